#!/usr/bin/env python3
"""Runs a player example (examples/player.c or player.py) and checks what
it wrote, sample for sample.

Usage: check_player.py EXAMPLE

It runs twice: the deck alone, and the deck through kitharamixer
(--mixer).

Two tracks are generated as 48 kHz 16-bit stereo WAV files (so nothing is
resampled and every sample can be compared; the example writes raw PCM): a 440 Hz sine of 3 s and
123 frames, then a 660 Hz sine of 1 s and 77 frames.  The example loops
the first 4 beats at 120 bpm (2 s) of the first track 3 times, plays the
first track on to its end, then the second with no gap.  Its output must
be exactly the first 2 s three times, the rest of the first track, and
the second track: the length to the frame, every loop joint and the
track joint seamless (no sample missing, repeated or changed).
"""

import array
import math
import os
import sys
import tempfile
import wave

from wavcheck import RATE, Checks, run

LOOPS = 3
LOOP = 2 * RATE                 # 4 beats at 120 bpm


def sine(frames, freq):
    """16-bit stereo frames of a sine, as a list of (left, right)."""
    return [(round(12000 * math.sin(2 * math.pi * freq * i / RATE)),
             round(-9000 * math.sin(2 * math.pi * freq * i / RATE)))
            for i in range(frames)]


def write(path, frames):
    samples = array.array("h", [v for frame in frames for v in frame])
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())


def read(path):
    """Raw 16-bit little-endian stereo PCM."""
    samples = array.array("h")
    with open(path, "rb") as f:
        samples.frombytes(f.read())
    if sys.byteorder != "little":
        samples.byteswap()
    return list(zip(samples[0::2], samples[1::2]))


def main():
    checks = Checks()
    check = checks.check
    track = sine(3 * RATE + 123, 440)
    after = sine(RATE + 77, 660)
    expected = track[:LOOP] * LOOPS + track[LOOP:] + after
    for how in ([], ["--mixer"]):
        what = "through kitharamixer" if how else "deck alone"
        with tempfile.TemporaryDirectory() as tmp:
            paths = [os.path.join(tmp, n)
                     for n in ("out.pcm", "a.wav", "b.wav")]
            write(paths[1], track)
            write(paths[2], after)
            out = run([sys.argv[1]] + how + ["--loops", str(LOOPS),
                                             "--beats", "4", "--bpm", "120"]
                      + paths)
            got = read(paths[0])

        check("ready" in out and "next track:" in out,
              "%s: the deck was ready and the next track started" % what)
        check(len(got) == len(expected), "%s: length %d frames, expected %d"
              % (what, len(got), len(expected)))
        first = next((i for i, (g, e) in enumerate(zip(got, expected))
                      if g != e), None)
        check(first is None, "%s: every frame as expected%s" %
              (what, "" if first is None else ": first difference at frame "
               "%d (%.4f s)" % (first, first / RATE)))
        joints = [LOOP * i for i in range(1, LOOPS + 1)]
        joints.append(LOOP * LOOPS + len(track) - LOOP)
        for j in joints:
            ok = got[j - 2:j + 2] == expected[j - 2:j + 2]
            check(ok, "%s: joint at frame %d (%.4f s) seamless" %
                  (what, j, j / RATE))
    checks.finish()


if __name__ == "__main__":
    main()
