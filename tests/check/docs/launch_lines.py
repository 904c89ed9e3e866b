#!/usr/bin/env python3
"""Runs every gst-launch-1.0 line of the documentation to EOS.

Usage: launch_lines.py SOURCE_ROOT

Where the lines are taken from (new pages are picked up automatically):
  * README.md and docs/*.md: lines of fenced code blocks that start with
    `gst-launch-1.0`, and inline code spans `gst-launch-1.0 ...`;
  * element doc comments (gst/**/*.c, ext/**/*.c): lines in |[ ... ]|.
A line ending in a backslash continues on the next one.

Rules for doc writers; these are the only changes made to a line:
  * Input files: a source element's relative `location=NAME.EXT` (e.g.
    track.flac, song.mp3) is generated first: a 2 s stereo 48 kHz sine
    encoded as EXT says (see ENCODERS).  Use relative names.
  * Output files: each line runs in a scratch directory of its own, so a
    relative `filesink location=out.wav` lands there; it must not be empty.
  * Audio device sinks (see DEVICE_SINKS) become `fakesink sync=true`.
  * gst-launch-1.0 options (-v, -e, ...) are dropped.
  * A pipeline must reach EOS by itself within TIMEOUT seconds: give live
    or endless sources `num-buffers`.
"""

import glob
import os
import re
import shlex
import sys
import tempfile
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

TIMEOUT = 60.0

ENCODERS = {
    "flac": "flacenc",
    "mp3": "lamemp3enc",
    "ogg": "vorbisenc ! oggmux",
    "opus": "opusenc ! oggmux",
    "wav": "wavenc",
}

DEVICE_SINKS = {"autoaudiosink", "alsasink", "pulsesink", "pipewiresink"}

INPUT_SOURCE = ("audiotestsrc num-buffers=20 samplesperbuffer=4800 "
                "! audio/x-raw,rate=48000,channels=2 ! audioconvert ! ")


# --- extraction ------------------------------------------------------------

def join_continuations(lines, start):
    """The command starting at lines[start], and the index after it."""
    text = lines[start].strip()
    i = start + 1
    while text.endswith("\\") and i < len(lines):
        text = text[:-1].rstrip() + " " + lines[i].strip()
        i += 1
    return text, i


def is_launch(text):
    return text == "gst-launch-1.0" or text.startswith("gst-launch-1.0 ")


def from_markdown(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    fenced = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("```") or line.startswith("~~~"):
            fenced = not fenced
        elif fenced:
            if line.startswith("$ "):
                lines[i] = line = line[2:]
            if is_launch(line):
                text, end = join_continuations(lines, i)
                yield path, i + 1, text
                i = end
                continue
        else:
            for m in re.finditer(r"`(gst-launch-1\.0 [^`]+)`", line):
                yield path, i + 1, m.group(1)
        i += 1


def from_doc_comments(path):
    with open(path, encoding="utf-8") as f:
        lines = [re.sub(r"^\s*\*\s?", "", l) for l in f.read().splitlines()]
    in_block = False
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("|["):
            in_block = True
        elif line.startswith("]|"):
            in_block = False
        elif in_block and is_launch(line):
            text, end = join_continuations(lines, i)
            yield path, i + 1, text
            i = end
            continue
        i += 1


def documented_lines(root):
    pages = [os.path.join(root, "README.md")]
    pages += sorted(glob.glob(os.path.join(root, "docs", "*.md")))
    sources = []
    for top in ("gst", "ext"):
        sources += sorted(glob.glob(os.path.join(root, top, "**", "*.c"),
                                    recursive=True))
    for page in pages:
        yield from from_markdown(page)
    for source in sources:
        yield from from_doc_comments(source)


def launch_argv(text):
    """gst-launch-1.0's arguments as the shell would pass them, after the
    device sink substitution."""
    argv = shlex.split(text, comments=True)[1:]
    while argv and argv[0].startswith("-"):
        argv.pop(0)
    out = []
    for arg in argv:
        out += ["fakesink", "sync=true"] if arg in DEVICE_SINKS else [arg]
    return out


# --- running ---------------------------------------------------------------

class Failed(Exception):
    pass


def error_text(msg):
    err, debug = msg.parse_error()
    return "error from %s: %s\n%s" % (msg.src.get_path_string(),
                                      err.message, debug)


def wait(bus, deadline, types):
    msg = bus.timed_pop_filtered(
        max(0, int((deadline - time.monotonic()) * Gst.SECOND)),
        types | Gst.MessageType.ERROR)
    if msg is None:
        raise Failed("no EOS within %d s (an endless source? give it "
                     "num-buffers)" % TIMEOUT)
    if msg.type == Gst.MessageType.ERROR:
        raise Failed(error_text(msg))
    return msg


def state_failed(bus, state):
    """A failed state change has posted its reason already, if any."""
    msg = bus.pop_filtered(Gst.MessageType.ERROR)
    raise Failed(error_text(msg) if msg else "cannot go to " + state)


def run(pipeline):
    """As gst-launch-1.0 does: preroll in PAUSED, then PLAYING until EOS."""
    if not isinstance(pipeline, Gst.Pipeline):
        element, pipeline = pipeline, Gst.Pipeline()
        pipeline.add(element)
    bus = pipeline.get_bus()
    deadline = time.monotonic() + TIMEOUT
    try:
        ret = pipeline.set_state(Gst.State.PAUSED)
        if ret == Gst.StateChangeReturn.FAILURE:
            state_failed(bus, "PAUSED")
        eos = False
        if ret == Gst.StateChangeReturn.ASYNC:
            msg = wait(bus, deadline,
                       Gst.MessageType.ASYNC_DONE | Gst.MessageType.EOS)
            eos = msg.type == Gst.MessageType.EOS
        if not eos:
            if pipeline.set_state(Gst.State.PLAYING) == \
                    Gst.StateChangeReturn.FAILURE:
                state_failed(bus, "PLAYING")
            wait(bus, deadline, Gst.MessageType.EOS)
    finally:
        pipeline.set_state(Gst.State.NULL)


def elements(element):
    """The element and everything inside it (Gst.Iterator needs the
    python3-gst overrides; the children list does not)."""
    found = [element]
    for child in getattr(element, "children", None) or []:
        found += elements(child)
    return found


def klass(element):
    return element.get_factory().get_metadata(Gst.ELEMENT_METADATA_KLASS)


def input_file(name, inputs):
    """Path of a generated input file for a documented `location=name`."""
    if os.path.isabs(name):
        raise Failed("absolute input location %s: use a relative name" % name)
    ext = name.rsplit(".", 1)[-1]
    if ext not in ENCODERS:
        raise Failed("no rule to generate input %s (known: %s)" %
                     (name, ", ".join(sorted(ENCODERS))))
    path = os.path.join(inputs, os.path.basename(name))
    if not os.path.exists(path):
        desc = INPUT_SOURCE + ENCODERS[ext] + " ! filesink location=" + path
        try:
            run(Gst.parse_launch(desc))
        except (GLib.Error, Failed) as e:
            if os.path.exists(path):
                os.remove(path)
            raise Failed("cannot generate input %s with `%s`: %s" %
                         (name, desc, e))
    return path


def run_line(text, inputs, scratch):
    argv = launch_argv(text)
    try:
        pipeline = Gst.parse_launchv_full(argv, None,
                                          Gst.ParseFlags.FATAL_ERRORS)
    except GLib.Error as e:
        raise Failed("does not parse: %s" % e.message)
    outputs = []
    for e in elements(pipeline):
        if e.find_property("location") is None or e.get_factory() is None:
            continue
        location = e.get_property("location")
        if not location:
            continue
        if "Source" in klass(e):
            e.set_property("location", input_file(location, inputs))
        elif "Sink" in klass(e):
            if os.path.isabs(location):
                raise Failed("absolute output location %s" % location)
            outputs.append(location)
    os.chdir(scratch)
    run(pipeline)
    for out in outputs:
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            raise Failed("wrote nothing to %s" % out)


def main():
    root = os.path.abspath(sys.argv[1])
    Gst.init(None)
    lines = list(documented_lines(root))
    if not lines:
        print("no gst-launch-1.0 lines found under %s" % root)
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="kithara-doc-") as tmp:
        inputs = os.path.join(tmp, "inputs")
        os.mkdir(inputs)
        for n, (path, lineno, text) in enumerate(lines):
            where = "%s:%d" % (os.path.relpath(path, root), lineno)
            scratch = os.path.join(tmp, str(n))
            os.mkdir(scratch)
            try:
                run_line(text, inputs, scratch)
                print("ok   %s: %s" % (where, text))
            except Failed as e:
                failures += 1
                print("FAIL %s: %s\n     %s" % (where, text, e))
            finally:
                os.chdir(tmp)
    print("%d of %d documented lines failed" % (failures, len(lines)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
