#!/usr/bin/env python3
"""Runs a decks example (examples/decks.c or decks.py) and checks its mix.

Usage: check_decks.py EXAMPLE

EXAMPLE is an executable, or a Python script run with this interpreter.
It is run without files, so it plays its generated tones, and renders to
a WAV file in a scratch directory.  What it must have written (the
schedule below is the examples' own, kept in step with them):

  * deck 0, a 440 Hz tone of 8 s, from 0 s; its mids are killed at 4 s
    of the mix (the tone, in the mid band, drops);
  * deck 1, 660 Hz, 8 s, from 6 s: crossfade 0 -> 1 from 6 s to 8 s;
  * deck 2, 880 Hz, 8 s, from 12 s: crossfade 1 -> 2 from 12 s to 14 s;
    its playback rate ramps linearly from 1.0 to 1.25 between 4 s and 5 s
    of its track, so it ends at 12 + 4 + ln(1.25) / 0.25 + 3 / 1.25 s and
    plays its tone at 1100 Hz after the ramp;
  * 16-bit stereo at 48 kHz, as long as that to within one mixer block.
"""

import math
import os
import sys
import tempfile

from wavcheck import (BLOCK, RATE, Checks, amplitude, read_left, rms, run,
                      window)

LENGTH = 12 + 4 + math.log(1.25) / 0.25 + 3 / 1.25

PRESENT = 0.02                  # a tone's amplitude (full scale 1.0) ...
ABSENT = 0.001                  # ... and the most a missing tone may show
LOUD = 0.05                     # RMS of a section where a deck plays


def main():
    checks = Checks()
    check = checks.check
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.wav")
        run([sys.argv[1], "--output", out])
        left = read_left(out)

    frames = len(left)
    check(abs(frames - LENGTH * RATE) <= BLOCK,
          "length %d frames (%.4f s), expected %.4f s" %
          (frames, frames / RATE, LENGTH))
    end = frames / RATE

    # Each deck is heard where it plays alone.
    for name, start, stop in (("deck 0", 0.5, 5.5), ("deck 1", 8.5, 11.5),
                              ("deck 2", 14.5, end - 0.5)):
        level = rms(window(left, start, stop))
        check(level > LOUD, "%s alone (%.1f-%.1f s): RMS %.3f" %
              (name, start, stop, level))

    # Which tones sound where: (window, tones present, tones absent).
    # Every window is 0.5 s: a whole number of periods of every tone.
    expect = (
        ((5.5, 6.0), [440], [660]),          # before the first fade
        ((6.75, 7.25), [440, 660], []),      # in it: both decks
        ((8.5, 9.0), [660], [440, 880]),     # after it
        ((13.0, 13.5), [660, 880], []),      # in the second fade
        ((14.5, 15.5), [880], [660, 1100]),  # deck 2 before its ramp
        ((end - 1.0, end - 0.5), [1100], [880]),  # and after: 1.25 x 880
    )
    for (start, stop), present, absent in expect:
        samples = window(left, start, stop)
        for freq in present:
            a = amplitude(samples, freq)
            check(a > PRESENT, "%g Hz at %.2f-%.2f s: amplitude %.4f" %
                  (freq, start, stop, a))
        for freq in absent:
            a = amplitude(samples, freq)
            check(a < ABSENT, "no %g Hz at %.2f-%.2f s: amplitude %.5f" %
                  (freq, start, stop, a))

    # The live EQ change at 4 s (set when the mix got there, so heard a
    # little later): the 440 Hz tone lies in the killed mid band.
    before = amplitude(window(left, 2.5, 3.5), 440)
    after = amplitude(window(left, 4.5, 5.5), 440)
    drop = 20 * math.log10(before / max(after, 1e-9))
    check(drop > 10, "mids killed at 4 s: 440 Hz down %.1f dB" % drop)

    checks.finish()


if __name__ == "__main__":
    main()
