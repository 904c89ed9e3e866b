#!/usr/bin/env python3
"""Runs a player example (examples/player.c or player.py) and checks what
it wrote, sample for sample.

Usage: check_player.py EXAMPLE

Two tracks are generated as 16-bit stereo WAV files: a 440 Hz sine of
3 s and 123 frames, then a 660 Hz sine of 1 s and 77 frames.  The example
loops the first 4 beats at 120 bpm (2 s) of the first track 3 times,
plays the first track on to its end, then the second with no gap, and
writes raw 48 kHz PCM.  What it wrote must be the first 2 s three times,
the rest of the first track, and the second track, with no sample
missing, repeated or changed at any joint:

  * tracks at 48 kHz, the deck alone and through kitharamixer (--mixer):
    nothing is resampled, so the output is those samples exactly;
  * tracks at 44.1 kHz, the deck alone: the output is exactly what
    kithararesample makes of one file holding those samples (its
    converter goes on across every joint, as across no joint at all).
    gst-launch-1.0 makes that reference, which a sanitizer build's
    plugins cannot be loaded into (KITHARA_CHECK_SANITIZED): there only
    the length is checked.
"""

import array
import math
import os
import subprocess
import sys
import tempfile

from wavcheck import RATE, Checks, run, write_stereo

LOOPS = 3


def sine(frames, freq, rate):
    """16-bit stereo frames of a sine, as a list of (left, right)."""
    return [(round(12000 * math.sin(2 * math.pi * freq * i / rate)),
             round(-9000 * math.sin(2 * math.pi * freq * i / rate)))
            for i in range(frames)]


def read(path):
    """Raw 16-bit little-endian stereo PCM."""
    samples = array.array("h")
    with open(path, "rb") as f:
        samples.frombytes(f.read())
    if sys.byteorder != "little":
        samples.byteswap()
    return list(zip(samples[0::2], samples[1::2]))


def resampled(tmp, frames, rate):
    """What kithararesample makes of @frames in one file, as the example
    writes it."""
    src, out = os.path.join(tmp, "whole.wav"), os.path.join(tmp, "whole.pcm")
    write_stereo(src, frames, rate)
    subprocess.run(
        ["gst-launch-1.0", "-q", "filesrc", "location=" + src, "!",
         "wavparse", "!", "kithararesample", "!", "audio/x-raw,rate=48000",
         "!", "audioconvert", "dithering=none", "!",
         "audio/x-raw,format=S16LE,channels=2", "!", "filesink",
         "location=" + out], check=True, timeout=120)
    return read(out)


def check_run(check, example, how, rate):
    what = "%d Hz, %s" % (rate, "through kitharamixer" if how
                          else "deck alone")
    loop = 2 * rate             # 4 beats at 120 bpm
    track = sine(3 * rate + 123, 440, rate)
    after = sine(rate + 77, 660, rate)
    played = track[:loop] * LOOPS + track[loop:] + after
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, n) for n in ("out.pcm", "a.wav", "b.wav")]
        write_stereo(paths[1], track, rate)
        write_stereo(paths[2], after, rate)
        out = run([example] + how + ["--loops", str(LOOPS), "--beats", "4",
                                     "--bpm", "120"] + paths)
        got = read(paths[0])
        if rate == RATE:
            expected = played
        elif os.environ.get("KITHARA_CHECK_SANITIZED"):
            frames = round(len(played) * RATE / rate)
            check(len(got) == frames, "%s: length %d frames, expected %d" %
                  (what, len(got), frames))
            return
        else:
            expected = resampled(tmp, played, rate)

    check("ready" in out and "next track:" in out,
          "%s: the deck was ready and the next track started" % what)
    check(len(got) == len(expected), "%s: length %d frames, expected %d" %
          (what, len(got), len(expected)))
    first = next((i for i, (g, e) in enumerate(zip(got, expected))
                  if g != e), None)
    check(first is None, "%s: every frame as expected%s" %
          (what, "" if first is None else ": first difference at frame %d "
           "(%.4f s)" % (first, first / RATE)))
    # The joints, in output frames.
    joints = [loop * i for i in range(1, LOOPS + 1)]
    joints.append(loop * LOOPS + len(track) - loop)
    for j in (round(j * RATE / rate) for j in joints):
        ok = got[j - 8:j + 8] == expected[j - 8:j + 8]
        check(ok, "%s: joint at frame %d (%.4f s) seamless" %
              (what, j, j / RATE))


def main():
    checks = Checks()
    check_run(checks.check, sys.argv[1], [], RATE)
    check_run(checks.check, sys.argv[1], ["--mixer"], RATE)
    check_run(checks.check, sys.argv[1], [], 44100)
    checks.finish()


if __name__ == "__main__":
    main()
