#!/usr/bin/env python3
"""Plays tracks one after another through kitharamixer, crossfading from
each to the next, and changes a deck's EQ and speed while it plays.

    python3 decks.py [--output out.wav] [FILE[+FILE...] ...]

Each deck is `filesrc ! kitharadecode ! kitharaeq ! kithararesample` (a
generated tone when no FILE is given, so that it runs anywhere).  A deck
given a.flac+b.flac plays b.flac right after a.flac with no gap
(kitharadecode's next-uri, set again at each track change).  All
decks feed one kitharamixer, which plays on the sound card
(autoaudiosink) or, with --output, writes a 16-bit WAV file.  Every
kithara element runs on the same shared worker thread.

It shows:
 - decks that enter the mix at a time of their own (a pad offset);
 - a deck's queue of tracks, played with no gap between them;
 - crossfades scheduled with GstController on the mixer pads' volume;
 - a speed-up (varispeed) scheduled on kithararesample's playback-rate;
 - a live EQ change through the child proxy (band1::gain);
 - the elements' stats and the mixer's underrun messages.

The same as decks.c, with PyGObject.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstController", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import GLib, Gst, GstController, GstPbutils  # noqa: E402

CROSSFADE = 2 * Gst.SECOND
TONE_SECONDS = 8
FAST_RATE = 1.25        # the last deck's speed-up
EQ_CUT = -60.0          # dB; -24 or less kills an isolator band

# The tones played when no file is given (44.1 kHz, mixed at 48 kHz).
TONES = [440.0, 660.0, 880.0]


class Deck:
    def __init__(self, name, duration, tracks=None):
        self.name = name            # the files, or a description of the tone
        self.tracks = tracks        # the files, None for a tone
        self.next_track = 1         # the next one to queue
        self.duration = duration    # of its tracks, one after the other
        self.start = 0              # where it enters the mix
        self.decoder = None         # its kitharadecode, if it plays files
        self.eq = None              # its kitharaeq
        self.rate = None            # its kithararesample
        self.pad = None             # its input of the mixer


def seconds(t):
    return "%.2f s" % (t / Gst.SECOND)


def track_duration(path):
    try:
        info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(
            Gst.filename_to_uri(path))
    except GLib.Error as err:
        sys.exit("%s: %s" % (path, err.message))
    return info.get_duration()


def plan_decks(files):
    """The decks, and where each enters the mix: when the previous one
    starts to fade out.  Tones when no file is given."""
    if files:
        decks = []
        for f in files:
            tracks = f.split("+")
            decks.append(Deck(f, sum(track_duration(t) for t in tracks),
                              tracks))
    else:
        decks = [Deck("%.0f Hz tone" % f, TONE_SECONDS * Gst.SECOND)
                 for f in TONES]
    for i, deck in enumerate(decks):
        if i > 0:
            prev = decks[i - 1]
            fade = min(CROSSFADE, deck.duration // 2, prev.duration // 2)
            deck.start = prev.start + prev.duration - fade
        print("Deck %d: %s (%s), enters the mix at %s"
              % (i, deck.name, seconds(deck.duration), seconds(deck.start)))
    return decks


def build_pipeline(decks, files, output):
    """kitharamixer ! <output>, and per deck:
    <source> ! kitharaeq ! kithararesample ! mixer"""
    # The mix: 48 kHz stereo to the sound card or a 16-bit WAV file.
    desc = "kitharamixer name=mix ! audio/x-raw,rate=48000,channels=2 ! "
    if output:
        desc += ("audioconvert ! audio/x-raw,format=S16LE ! wavenc "
                 "! filesink name=out")
    else:
        desc += "autoaudiosink"
    for i in range(len(decks)):
        if files:
            desc += " filesrc name=src%d ! kitharadecode name=decoder%d" % (
                i, i)
        else:
            desc += (" audiotestsrc freq=%g volume=0.5 samplesperbuffer=441 "
                     "num-buffers=%d ! audio/x-raw,rate=44100,channels=2"
                     % (TONES[i], TONE_SECONDS * 100))
        # The isolator is the three-band EQ of a DJ mixer: low, mid, high.
        desc += (" ! kitharaeq name=eq%d mode=isolator "
                 "! kithararesample name=rate%d ! mix.sink_%d" % (i, i, i))
    # parse_launch drops unknown elements with a mere warning: look first.
    for name in ("kitharamixer", "kitharadecode", "kitharaeq",
                 "kithararesample"):
        if Gst.ElementFactory.find(name) is None:
            sys.exit("No element \"%s\": put the kithara plugins on "
                     "GST_PLUGIN_PATH, e.g.\n  export GST_PLUGIN_PATH="
                     "$PWD/build/gst/kithara:$PWD/build/ext/samplerate" % name)
    try:
        pipeline = Gst.parse_launch(desc)
    except GLib.Error as err:
        sys.exit(err.message)

    # File names are set as properties: no quoting in the description.
    if output:
        pipeline.get_by_name("out").set_property("location", output)
    mix = pipeline.get_by_name("mix")
    for i, deck in enumerate(decks):
        if files:
            pipeline.get_by_name("src%d" % i).set_property("location",
                                                           deck.tracks[0])
            deck.decoder = pipeline.get_by_name("decoder%d" % i)
            queue_next_track(deck)
        deck.eq = pipeline.get_by_name("eq%d" % i)
        deck.rate = pipeline.get_by_name("rate%d" % i)
        deck.pad = mix.get_static_pad("sink_%d" % i)
        # The deck's running time is shifted by its start: its first
        # sample lands there in the mix.  Until then it is silent and, at
        # volume 0, "warm": the worker prepares a few buffers ahead (its
        # queues fill) and serves the audible decks first.
        deck.pad.set_offset(deck.start)
    return pipeline


def queue_next_track(deck):
    """Queues the deck's next track, if it has one more: it plays with no
    gap once the current one ends."""
    if deck.tracks and deck.next_track < len(deck.tracks):
        deck.decoder.set_property(
            "next-uri", Gst.filename_to_uri(deck.tracks[deck.next_track]))
        deck.next_track += 1


def on_track_changed(msg, decks):
    """A deck moved on to its next track: the one after it is queued."""
    s = msg.get_structure()
    for i, deck in enumerate(decks):
        if msg.src == deck.decoder:
            print("  deck %d: next track %s, at %.4f s of the deck"
                  % (i, s.get_string("uri"), s.get_uint64("joint")[1] / 1e9))
            queue_next_track(deck)


def control(obj, prop):
    """Binds property prop of obj to a new linear control source: values
    set on it at stream times are interpolated between them."""
    cs = GstController.InterpolationControlSource()
    cs.props.mode = GstController.InterpolationMode.LINEAR
    obj.add_control_binding(
        GstController.DirectControlBinding.new_absolute(obj, prop, cs))
    return cs


def schedule_crossfades(decks):
    """Each deck fades in while the previous one fades out.  The mixer
    samples its pads' controlled volume at the end of every block, in the
    stream time of the mix, and glides there."""
    for i, deck in enumerate(decks):
        volume = control(deck.pad, "volume")
        if i > 0:
            prev = decks[i - 1]
            deck.pad.set_property("volume", 0.0)
            volume.set(deck.start, 0.0)
            volume.set(prev.start + prev.duration, 1.0)
        if i + 1 < len(decks):
            start, end = decks[i + 1].start, deck.start + deck.duration
            volume.set(start, 1.0)
            volume.set(end, 0.0)
            print("Crossfade deck %d -> deck %d: %s to %s"
                  % (i, i + 1, seconds(start), seconds(end)))


def schedule_speed_up(deck):
    """The deck speeds up (and goes up in pitch, as a turntable does) over
    one second from the middle of its track, in the stream time of the
    track (kithararesample's input)."""
    rate = control(deck.rate, "playback-rate")
    start = deck.duration // 2
    end = start + Gst.SECOND
    rate.set(start, 1.0)
    rate.set(end, FAST_RATE)
    print("%s: playback rate 1.00 -> %.2f from %s to %s of the track"
          % (deck.name, FAST_RATE, seconds(start), seconds(end)))


def kill_mids_at(mix, time, deck):
    """Kills the deck's mids when the mix reaches time.

    The probe runs on the mixer's streaming thread for every block it
    outputs.  Any property of a kithara element can be set at any time
    from any thread, as a user interface would; here it is set when the
    mix reaches the cue, so that the change is heard at that point even
    when rendering to a file faster than real time."""
    def on_mix_buffer(pad, info):
        if info.get_buffer().pts < time:
            return Gst.PadProbeReturn.OK
        Gst.ChildProxy.set_property(deck.eq, "band1::gain", EQ_CUT)
        print("  %8s  %s: mids killed (band1::gain = %.0f dB)"
              % (seconds(time), deck.name, EQ_CUT), flush=True)
        return Gst.PadProbeReturn.REMOVE

    mix.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                        on_mix_buffer)


def print_stats(mix, decks):
    """What the worker and each node did, read from the elements' stats."""
    def print_node(what, element):
        s = element.get_property("stats")
        print("  %-22s %6d ticks %8.2f ms busy"
              % (what, s.get_value("ticks"), s.get_value("busy-ns") / 1e6))

    stats = mix.get_property("stats")
    worker = stats.get_value("worker")
    print("\nWorker \"%s\" (one thread): %d passes, %d ticks, %.1f ms busy, "
          "parked %d times" % (worker.get_value("context"),
                               worker.get_value("passes"),
                               worker.get_value("ticks"),
                               worker.get_value("busy-ns") / 1e6,
                               worker.get_value("parks")))
    for i, deck in enumerate(decks):
        print_node("deck %d kitharaeq" % i, deck.eq)
        print_node("deck %d kithararesample" % i, deck.rate)
    print_node("kitharamixer", mix)
    print("Mixer: %d underruns, %d blocks mixed without a late deck"
          % (stats.get_value("underruns"), stats.get_value("forced-blocks")))


def wait_for_eos(pipeline, decks):
    """Waits for the end, printing the mixer's and the decks' messages
    meanwhile."""
    bus = pipeline.get_bus()
    while True:
        msg = bus.timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR
            | Gst.MessageType.ELEMENT)
        if msg.type == Gst.MessageType.EOS:
            return True
        if msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            print("Error from %s: %s" % (msg.src.get_name(), err.message),
                  file=sys.stderr)
            return False
        # The first late block of a burst (a deck could not keep up).
        if msg.has_name("kithara-underrun"):
            print("  underrun in %s"
                  % msg.get_structure().get_string("element"))
        elif msg.has_name("kithara-track-changed"):
            on_track_changed(msg, decks)


def main():
    parser = argparse.ArgumentParser(
        description="Crossfade tracks with kitharamixer.")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="write a WAV file instead of playing on the "
                        "sound card")
    parser.add_argument("files", nargs="*", metavar="FILE[+FILE...]",
                        help="a deck's file, or files played one after "
                        "the other with no gap")
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.SIG_DFL)   # Ctrl-C stops at once
    Gst.init(None)

    decks = plan_decks(args.files)
    pipeline = build_pipeline(decks, args.files, args.output)
    schedule_crossfades(decks)
    schedule_speed_up(decks[-1])
    # A live EQ change on the first deck, in the middle of its track.
    mix = pipeline.get_by_name("mix")
    kill_mids_at(mix, decks[0].duration // 2, decks[0])

    if args.output:
        print("Rendering to %s (nothing syncs to a clock: faster than real "
              "time)" % args.output, flush=True)
    else:
        print("Playing", flush=True)
    pipeline.set_state(Gst.State.PLAYING)
    ok = wait_for_eos(pipeline, decks)
    if ok:
        _, end = pipeline.query_position(Gst.Format.TIME)
        print("End of the mix at %s" % seconds(end))
        # Still PLAYING: the counters are those of the whole run.
        print_stats(mix, decks)
        if args.output:
            print("Wrote %s" % args.output)
    pipeline.set_state(Gst.State.NULL)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
