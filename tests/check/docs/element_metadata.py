#!/usr/bin/env python3
"""Checks that gst-inspect-1.0 shows every element of the given plugins
completely, and that the documentation covers what it shows.

Usage: element_metadata.py SOURCE_ROOT PLUGIN_FILE...

Every element of each plugin is checked, so new elements are too:
  * metadata: long name, classification (known keywords only),
    description, author;
  * pad templates: caps that are not empty; raw audio caps that restrict
    the format also restrict the layout;
  * properties, including those of pads (requested ones too) and child
    objects (kitharaeq's bands): a nick and a blurb; enum and flags values: a description and a nick
    usable in gst-launch-1.0 (lower case, dashes).

Rules for doc writers (checked for everything a type named *Kithara*
defines; what the shared base class GstKitharaElement defines belongs in
docs/runtime.md instead of the element's page):
  * every element has a page docs/<element>.md and README.md names it;
  * the page has a table row whose first cell is the pad template's or the
    property's name, e.g. "| `src` | ..." or "| `num-bands` | ...";
  * the page names every enum value nick and every signal in backticks.
"""

import os
import re
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

BASE_TYPE = "GstKitharaElement"

KLASS_WORDS = {
    "Analyzer", "Audio", "Bin", "Codec", "Converter", "Decoder", "Demuxer",
    "Effect", "Encoder", "Filter", "Formatter", "Generic", "Mixer", "Muxer",
    "Network", "Parser", "Sink", "Source",
}

errors = {}  # ordered and without repeats: the base class is in every element


def fail(where, what):
    errors["%s: %s" % (where, what)] = True


class Page:
    """A markdown page, for the questions the rules ask of it."""

    def __init__(self, root, name):
        self.name = name
        path = os.path.join(root, name)
        self.text = open(path, encoding="utf-8").read() \
            if os.path.exists(path) else None

    def has_row(self, key):
        return self.text is not None and re.search(
            r"^\|\s*`?%s`?\s*\|" % re.escape(key), self.text, re.M)

    def names(self, key):
        return self.text is not None and ("`%s`" % key) in self.text


def ours(gtype):
    return "Kithara" in gtype.name


def kithara_types(gtype):
    """gtype and its ancestors that kithara defines, most derived first."""
    chain = []
    while gtype != GObject.TYPE_INVALID:
        if ours(gtype):
            chain.append(gtype)
        gtype = gtype.parent
    return chain


def check_pspec(where, pspec, page):
    if not pspec.nick.strip():
        fail(where, "property %s has no nick" % pspec.name)
    if not (pspec.blurb or "").strip():
        fail(where, "property %s has no blurb" % pspec.name)
    if not ours(pspec.owner_type):
        return
    if not page.has_row(pspec.name):
        fail(where, "%s has no table row for property `%s`" %
             (page.name, pspec.name))
    values = {}
    if pspec.value_type.is_a(GObject.TYPE_ENUM):
        values = pspec.default_value.__enum_values__
    elif pspec.value_type.is_a(GObject.TYPE_FLAGS):
        values = pspec.default_value.__flags_values__
    for value in values.values():
        what = "%s value %s" % (pspec.value_type.name, value.value_name)
        if not (value.value_name or "").strip():
            fail(where, "%s value %d has no description" %
                 (pspec.value_type.name, int(value)))
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", value.value_nick or ""):
            fail(where, "%s: nick %r is not lower-case-with-dashes" %
                 (what, value.value_nick))
        elif not page.names(value.value_nick):
            fail(where, "%s does not name `%s` (%s.%s)" %
                 (page.name, value.value_nick, pspec.name,
                  pspec.value_type.name))


def check_object(where, obj, own_page, base_page):
    """Properties and signals of obj and of the kithara types it derives
    from."""
    for pspec in GObject.list_properties(obj):
        if pspec.owner_type.name == BASE_TYPE:
            check_pspec(BASE_TYPE, pspec, base_page)
        else:
            check_pspec(where, pspec, own_page)
    for gtype in kithara_types(type(obj).__gtype__):
        page, who = (base_page, BASE_TYPE) if gtype.name == BASE_TYPE \
            else (own_page, where)
        for name in GObject.signal_list_names(gtype):
            if not page.names(name):
                fail(who, "%s does not name signal `%s`" % (page.name, name))


def check_templates(where, factory, page):
    templates = factory.get_static_pad_templates()
    if not templates:
        fail(where, "no pad templates")
    for templ in templates:
        name = templ.name_template
        caps = templ.get_caps()
        if caps.is_empty():
            fail(where, "pad template %s has empty caps" % name)
        for i in range(caps.get_size()):
            s = caps.get_structure(i)
            if s.get_name() == "audio/x-raw" and s.has_field("format") \
                    and not s.has_field("layout"):
                fail(where, "pad template %s: audio/x-raw with a format "
                     "but no layout" % name)
        if not page.has_row(name):
            fail(where, "%s has no table row for pad template `%s`" %
                 (page.name, name))


def check_element(root, factory, readme, base_page):
    name = factory.get_name()
    where = name
    page = Page(root, os.path.join("docs", name + ".md"))
    if page.text is None:
        fail(where, "no page %s" % page.name)
    if not readme.names(name):
        fail(where, "README.md does not name `%s`" % name)

    for key in (Gst.ELEMENT_METADATA_LONGNAME, Gst.ELEMENT_METADATA_KLASS,
                Gst.ELEMENT_METADATA_DESCRIPTION, Gst.ELEMENT_METADATA_AUTHOR):
        if not (factory.get_metadata(key) or "").strip():
            fail(where, "no %s" % key)
    klass = factory.get_metadata(Gst.ELEMENT_METADATA_KLASS) or ""
    unknown = set(klass.split("/")) - KLASS_WORDS
    if unknown:
        fail(where, "unknown classification keywords %s in %r" %
             (sorted(unknown), klass))

    check_templates(where, factory, page)

    element = factory.create(None)
    if element is None:
        fail(where, "cannot be created")
        return
    check_object(where, element, page, base_page)
    # Pads can have properties of their own (a mixer's volume per pad).
    requested = []
    for templ in factory.get_static_pad_templates():
        if templ.presence == Gst.PadPresence.REQUEST:
            pad = element.request_pad_simple(templ.name_template)
            if pad is None:
                fail(where, "cannot request a pad of %s" % templ.name_template)
            else:
                requested.append(pad)
    for pad in element.pads:
        check_object("%s pad %s" % (where, pad.get_name()), pad, page,
                     base_page)
    if isinstance(element, Gst.ChildProxy):
        seen = set()
        for i in range(element.get_children_count()):
            child = element.get_child_by_index(i)
            if type(child) not in seen:
                seen.add(type(child))
                check_object("%s child %s" % (where, child.get_name()),
                             child, page, base_page)
    for pad in requested:
        element.release_request_pad(pad)


def check_plugin(root, path, readme, base_page):
    """The plugin in file path (libgst<name>.so), as the registry has it."""
    plugin_name = re.sub(r"^(lib)?gst|\..*$", "", os.path.basename(path))
    plugin = Gst.Registry.get().find_plugin(plugin_name)
    if plugin is None:
        fail(plugin_name, "plugin not found")
        return 0
    if os.path.realpath(plugin.get_filename()) != os.path.realpath(path):
        fail(plugin_name, "plugin loaded from %s, not %s" %
             (plugin.get_filename(), path))
    for what in ("description", "version", "license", "source", "package",
                 "origin"):
        if not (getattr(plugin, "get_" + what)() or "").strip():
            fail(plugin_name, "plugin has no %s" % what)
    factories = [f for f in Gst.Registry.get().get_feature_list_by_plugin(
        plugin_name) if isinstance(f, Gst.ElementFactory)]
    if not factories:
        fail(plugin_name, "plugin has no elements")
    for factory in sorted(factories, key=lambda f: f.get_name()):
        check_element(root, factory, readme, base_page)
    return len(factories)


def main():
    root = os.path.abspath(sys.argv[1])
    Gst.init(None)
    readme = Page(root, "README.md")
    base_page = Page(root, os.path.join("docs", "runtime.md"))
    count = 0
    for path in sys.argv[2:]:
        count += check_plugin(root, path, readme, base_page)
    for e in errors:
        print("FAIL " + e)
    print("%d elements checked, %d problems" % (count, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
