#!/usr/bin/env python3
"""One deck through a player's whole lifecycle.

    python3 player.py [--mixer] [--loops N] [--beats B] [--bpm T] OUT.pcm
        TRACK NEXT

load TRACK (paused) -> ready -> queue NEXT, seek to the loop -> ready ->
play: the first B beats of TRACK N times, TRACK on to its end, NEXT with
no gap -> end.  With --mixer the deck plays through kitharamixer.
What plays is written to OUT.pcm as raw 48 kHz 16-bit stereo PCM, as
fast as it decodes (aplay -t raw -f S16_LE -r 48000 -c 2 OUT.pcm).

It shows:
 - the "kithara-deck-ready" message of a preload;
 - next-uri, the gapless next track, and "kithara-track-changed";
 - a seamless loop: a segment seek, then on each SEGMENT_DONE a
   non-flushing segment seek, then a plain non-flushing seek to go on.

The same as player.c, with PyGObject.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


class Player:
    def __init__(self, pipeline, next_uri, loop_end, loops):
        self.pipeline = pipeline
        self.deck = pipeline.get_by_name("deck")
        self.next_uri = next_uri
        self.loop_end = loop_end    # the loop is [0, loop_end)
        self.loops_left = loops
        self.playing = False
        self.ok = False
        self.mainloop = GLib.MainLoop()

    def seek_loop(self, flush):
        """Plays [0, loop_end) of the track, again: a segment seek,
        flushing only the first time (a non-flushing one follows on from
        what is playing).  Sent to the pipeline, it reaches the deck
        through whatever is downstream of it, kitharamixer included."""
        self.pipeline.seek(
            1.0, Gst.Format.TIME,
            flush | Gst.SeekFlags.ACCURATE | Gst.SeekFlags.SEGMENT,
            Gst.SeekType.SET, 0, Gst.SeekType.SET, self.loop_end)

    def on_message(self, bus, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT:
            if s.has_name("kithara-deck-ready") and self.next_uri:
                # Loaded: queue the next track, go to the loop.
                print("ready")
                self.deck.set_property("next-uri", self.next_uri)
                self.next_uri = None
                self.seek_loop(Gst.SeekFlags.FLUSH)
            elif s.has_name("kithara-deck-ready") and not self.playing:
                # Ready again, at the loop (a flushing seek re-arms it): play.
                self.playing = True
                self.pipeline.set_state(Gst.State.PLAYING)
            elif s.has_name("kithara-track-changed"):
                print("next track: %s" % s.get_string("uri"))
        elif msg.type == Gst.MessageType.SEGMENT_DONE:
            if self.loops_left > 1:
                self.loops_left -= 1
                self.seek_loop(Gst.SeekFlags.NONE)
            else:
                # Out of the loop: on to the end of the track, and the next.
                self.pipeline.seek(
                    1.0, Gst.Format.TIME, Gst.SeekFlags.ACCURATE,
                    Gst.SeekType.SET, self.loop_end, Gst.SeekType.SET, -1)
        elif msg.type == Gst.MessageType.EOS:
            self.ok = True
            self.mainloop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, _ = msg.parse_error()
            print("error from %s: %s" % (msg.src.get_name(), err.message),
                  file=sys.stderr)
            self.mainloop.quit()
        return True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mixer", "-m", action="store_true",
                        help="play the deck through kitharamixer")
    parser.add_argument("--loops", "-n", type=int, default=3)
    parser.add_argument("--beats", "-b", type=int, default=4)
    parser.add_argument("--bpm", "-t", type=float, default=120.0)
    parser.add_argument("output")
    parser.add_argument("track")
    parser.add_argument("next")
    args = parser.parse_args()
    if args.loops < 1 or args.beats < 1 or args.bpm <= 0:
        parser.error("--loops and --beats must be at least 1, --bpm > 0")

    Gst.init(None)
    # No dither: what plays is the files' own samples (the mixer mixes in
    # floating point).
    try:
        pipeline = Gst.parse_launch(
            "filesrc name=src ! kitharadecode name=deck ! kithararesample ! "
            + ("kitharamixer ! " if args.mixer else "") +
            "audio/x-raw,rate=48000 ! audioconvert dithering=none ! "
            "audio/x-raw,format=S16LE,channels=2 ! filesink name=out")
    except GLib.Error as e:
        sys.exit("%s (are the kithara plugins on GST_PLUGIN_PATH?)" %
                 e.message)
    pipeline.get_by_name("out").set_property("location", args.output)
    pipeline.get_by_name("src").set_property("location", args.track)
    player = Player(pipeline, Gst.filename_to_uri(args.next),
                    int(args.beats * 60.0 * Gst.SECOND / args.bpm),
                    args.loops)

    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, player.on_message)
    pipeline.set_state(Gst.State.PAUSED)      # the preload
    player.mainloop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_watch()
    sys.exit(0 if player.ok else 1)


if __name__ == "__main__":
    main()
