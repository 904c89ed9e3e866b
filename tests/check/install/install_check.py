#!/usr/bin/env python3
"""`meson install` into a DESTDIR under the build dir, then the result used
as a user of the installed files would use it.

Usage: install_check.py BUILD_ROOT PREFIX LIBDIR API_SOURCE PLUGIN_FILE...
Environment: MESON (the meson command), CC (the C compiler command), NM
(binutils' nm).

Checks:
  * the plugins land in LIBDIR/gstreamer-1.0, where GStreamer's own
    pkg-config `pluginsdir` is relative to its libdir, so with GStreamer's
    prefix (--prefix=/usr) they are in GStreamer's plugin directory;
  * gst-inspect-1.0 <plugin> lists, from the installed files alone, with
    nothing but GST_PLUGIN_PATH at the installed plugin dir (no
    LD_LIBRARY_PATH: the plugins find the runtime library through their
    RPATH, relative to where they are), the same elements as the plugin
    files of the build, and gst-inspect-1.0 <element> works for each;
  * pkg-config gstreamer-kithara-1.0 resolves with PKG_CONFIG_PATH at the
    installed pkgconfig dir only to installed files, and API_SOURCE builds
    (with every installed header force-included), links and runs without
    LD_LIBRARY_PATH;
  * no internal header is installed, and the installed libraries export
    (nm -D) exactly the functions the installed headers declare
    KITHARA_API: nothing internal leaks into the ABI, and no declared call
    is missing.
"""

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

errors = []


def fail(what):
    errors.append(what)
    print("FAIL " + what)


def run(argv, env=None, check_rc=True):
    """argv's output; a non-zero exit is a failure reported with it."""
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    if check_rc and p.returncode != 0:
        fail("%s exited with %d:\n%s%s" % (" ".join(argv), p.returncode,
                                           p.stdout, p.stderr))
    return p.stdout


def clean_env(**extra):
    """The test's environment without anything that would find the build
    tree's plugins or libraries."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GST_PLUGIN_") and k not in
           ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH", "GST_REGISTRY")}
    env.update(extra)
    return env


def inspect_plugin(out):
    """(plugin name, file name, element names) from gst-inspect-1.0."""
    name = re.search(r"^\s+Name\s+(\S+)$", out, re.M)
    filename = re.search(r"^\s+Filename\s+(\S+)$", out, re.M)
    elements = set(re.findall(r"^  ([a-z0-9]+): ", out, re.M))
    return (name and name.group(1), filename and filename.group(1), elements)


# Headers of the libraries' internals: never installed.
INTERNAL_HEADERS = ("kitharadebug.h", "kitharafutex.h",
                    "kitharacontextconfig.h", "kithararealtime.h",
                    "kitharaframering.h")
LIBRARIES = ("libkithara-1.0.so", "libkithara-app-1.0.so")
# Defined by the toolchain in a shared object, not by the sources.
TOOLCHAIN_SYMBOLS = ("_init", "_fini", "_edata", "_end", "__bss_start")


def api_declarations(headers):
    """The names the headers declare KITHARA_API (a G_DECLARE_*_TYPE after
    it declares its _get_type), and every identifier in them."""
    declared = set()
    words = set()
    for h in headers:
        with open(h) as f:
            text = f.read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        # Preprocessor lines: KITHARA_API's own definition declares nothing.
        text = re.sub(r"^[ \t]*#(?:.*\\\n)*.*$", " ", text, flags=re.M)
        words |= set(re.findall(r"\w+", text))
        for m in re.finditer(r"\bKITHARA_API\s+(?:G_DECLARE_\w+\s*\(([^)]*)\)"
                             r"|([^;]*);)", text):
            if m.group(1) is not None:
                declared.add(m.group(1).split(",")[1].strip() + "_get_type")
                continue
            name = re.match(r"[^(]*?(\w+)\s*\(", m.group(2))
            if name:
                declared.add(name.group(1))
            else:
                fail("%s: KITHARA_API on no function: %s" %
                     (os.path.basename(h), " ".join(m.group(2).split())))
    return declared, words


def check_symbols(lib, headers):
    """No internal header is installed; every symbol the installed
    libraries export is declared KITHARA_API in an installed header, and
    every such declaration is exported."""
    names = set(os.path.basename(h) for h in headers)
    for internal in INTERNAL_HEADERS:
        if internal in names:
            fail("internal header %s is installed" % internal)
    declared, words = api_declarations(headers)
    exported = set()
    for name in LIBRARIES:
        path = os.path.join(lib, name)
        if not os.path.exists(path):
            fail("%s not installed in %s" % (name, lib))
            continue
        functions = set()
        data = set()
        for line in run([os.environ.get("NM", "nm"), "-D", "--defined-only",
                         path]).splitlines():
            fields = line.split()
            if len(fields) != 3 or fields[2] in TOOLCHAIN_SYMBOLS:
                continue
            symbol = fields[2].split("@")[0]
            (functions if fields[1] in "TtWi" else data).add(symbol)
        problems = len(errors)
        unknown = sorted(functions - words - declared)
        if unknown:
            fail("%s exports functions no installed header names: %s" %
                 (name, ", ".join(unknown)))
        unmarked = sorted((functions & words) - declared)
        if unmarked:
            fail("%s exports functions not declared KITHARA_API: %s" %
                 (name, ", ".join(unmarked)))
        # The API has no variables.
        if data:
            fail("%s exports data: %s" % (name, ", ".join(sorted(data))))
        exported |= functions
        if len(errors) == problems:
            print("ok   %s exports %d functions, all KITHARA_API" %
                  (name, len(functions)))
    missing = sorted(declared - exported)
    if missing:
        fail("declared KITHARA_API, exported by no library: %s" %
             ", ".join(missing))


def main():
    build_root, prefix, libdir, api_source = sys.argv[1:5]
    plugin_files = [os.path.abspath(p) for p in sys.argv[5:]]
    destdir = os.path.join(build_root, "install-check")
    shutil.rmtree(destdir, ignore_errors=True)
    root = os.path.join(destdir, prefix.lstrip("/"))
    lib = os.path.join(root, libdir)
    plugin_dir = os.path.join(lib, "gstreamer-1.0")
    registry = os.path.join(destdir, "registry.bin")

    run(shlex.split(os.environ["MESON"]) + [
        "install", "-C", build_root, "--no-rebuild", "--quiet",
        "--destdir", destdir])
    if errors:
        return 1

    # Where GStreamer keeps its plugins, relative to its libdir.
    gst_libdir = run(["pkg-config", "--variable=libdir", "gstreamer-1.0"])
    gst_plugins = run(["pkg-config", "--variable=pluginsdir",
                       "gstreamer-1.0"])
    if os.path.relpath(gst_plugins.strip(), gst_libdir.strip()) != \
            "gstreamer-1.0":
        fail("GStreamer's pluginsdir %s is not its libdir/gstreamer-1.0: "
             "update plugins_install_dir" % gst_plugins.strip())

    installed_env = clean_env(GST_PLUGIN_PATH=plugin_dir,
                              GST_REGISTRY=registry)
    build_env = clean_env(GST_PLUGIN_SYSTEM_PATH="", GST_REGISTRY=registry +
                          ".build")
    for path in plugin_files:
        installed = os.path.join(plugin_dir, os.path.basename(path))
        if not os.path.exists(installed):
            fail("%s not installed in %s" % (os.path.basename(path),
                                             plugin_dir))
            continue
        name, _, expected = inspect_plugin(
            run(["gst-inspect-1.0", path], env=build_env))
        if not name or not expected:
            fail("gst-inspect-1.0 %s lists no elements" % path)
            continue
        _, filename, listed = inspect_plugin(
            run(["gst-inspect-1.0", name], env=installed_env))
        if filename != installed:
            fail("gst-inspect-1.0 %s: loaded %s, not %s" %
                 (name, filename, installed))
        if listed != expected:
            fail("gst-inspect-1.0 %s lists %s, the build has %s" %
                 (name, sorted(listed), sorted(expected)))
        for element in sorted(expected):
            run(["gst-inspect-1.0", element], env=installed_env)
        print("ok   plugin %s: %s" % (name, ", ".join(sorted(listed))))

    pc_env = clean_env(PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "gstreamer-kithara-1.0"],
                env=pc_env)
    for opt in ("-I", "-L"):
        dirs = [f[2:] for f in shlex.split(flags) if f.startswith(opt)]
        if not any(os.path.realpath(d).startswith(os.path.realpath(destdir))
                   for d in dirs):
            fail("pkg-config gives no %s into the install (is the .pc file "
                 "relocatable? meson configure -Dpkgconfig.relocatable=true)"
                 % opt)
    headers = sorted(glob.glob(os.path.join(
        root, "include", "gstreamer-1.0", "gst", "kithara", "*.h")))
    if not headers:
        fail("no headers installed")
    check_symbols(lib, headers)
    includes = []
    for h in headers:
        includes += ["-include", "gst/kithara/" + os.path.basename(h)]
    program = os.path.join(destdir, "kithara-api")
    run(shlex.split(os.environ["CC"]) + ["-Wall", "-Werror"] + includes +
        [api_source, "-o", program] + shlex.split(flags), env=pc_env)
    if os.path.exists(program):
        run([program], env=clean_env())
        print("ok   %d headers, pkg-config: %s" % (len(headers),
                                                   flags.strip()))

    print("%d problems" % len(errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
