#!/usr/bin/env python3
"""Runs a decks example (examples/decks.c or decks.py) and checks its mix.

Usage: check_decks.py EXAMPLE

EXAMPLE is an executable, or a Python script run with this interpreter.
It is run twice, rendering to a WAV file in a scratch directory: without
files, so it plays its generated tones, and with the same tones written
as WAV files, deck 0's split in two at 3.3 s + 37 frames and given as
"a.wav+b.wav", so that deck 0 plays them one after the other with no gap
(next-uri).  What it must have written both times (the schedule below is
the examples' own, kept in step with them):

  * deck 0, a 440 Hz tone of 8 s, from 0 s; its mids are killed at 4 s
    of the mix (the tone, in the mid band, drops);
  * deck 1, 660 Hz, 8 s, from 6 s: crossfade 0 -> 1 from 6 s to 8 s;
  * deck 2, 880 Hz, 8 s, from 12 s: crossfade 1 -> 2 from 12 s to 14 s;
    its playback rate ramps linearly from 1.0 to 1.25 between 4 s and 5 s
    of its track, so it ends at 12 + 4 + ln(1.25) / 0.25 + 3 / 1.25 s and
    plays its tone at 1100 Hz after the ramp;
  * 16-bit stereo at 48 kHz, as long as that to within one mixer block;
  * with files, no trace of deck 0's joint: around it, no step and no
    change of slope larger than the tone's own elsewhere.
"""

import math
import os
import sys
import tempfile

from wavcheck import (BLOCK, RATE, Checks, amplitude, read_left, rms, run,
                      window, write_stereo)

LENGTH = 12 + 4 + math.log(1.25) / 0.25 + 3 / 1.25

PRESENT = 0.02                  # a tone's amplitude (full scale 1.0) ...
ABSENT = 0.001                  # ... and the most a missing tone may show
LOUD = 0.05                     # RMS of a section where a deck plays


TONES = (440, 660, 880)          # the examples' tones: 8 s at 44.1 kHz
TONE_RATE = 44100
TONE_FRAMES = 8 * TONE_RATE
SPLIT = round(3.3 * TONE_RATE) + 37  # deck 0's joint, in its frames


def write_tone(path, freq, first, last):
    """Frames [first, last) of the examples' tone at @freq (half of full
    scale, as audiotestsrc volume=0.5 makes it), 16-bit stereo."""
    frames = []
    for i in range(first, last):
        v = round(0.5 * 32767 * math.sin(2 * math.pi * freq * i / TONE_RATE))
        frames.append((v, v))
    write_stereo(path, frames, TONE_RATE)


def deck_files(tmp):
    """The tones as files: deck 0's in two parts, played without a gap."""
    parts = [os.path.join(tmp, n) for n in ("a.wav", "b.wav")]
    write_tone(parts[0], TONES[0], 0, SPLIT)
    write_tone(parts[1], TONES[0], SPLIT, TONE_FRAMES)
    decks = ["+".join(parts)]
    for freq in TONES[1:]:
        path = os.path.join(tmp, "%d.wav" % freq)
        write_tone(path, freq, 0, TONE_FRAMES)
        decks.append(path)
    return decks


def largest(samples, order):
    """The largest first (order 1) or second (order 2) difference."""
    if order == 1:
        return max(abs(b - a) for a, b in zip(samples, samples[1:]))
    return max(abs(c - 2 * b + a)
               for a, b, c in zip(samples, samples[1:], samples[2:]))


def check_joint(check, left):
    """Deck 0 plays alone around its joint: its tone goes on there as it
    does elsewhere (the resampler and the EQ would spread a gap, a
    repeated or a missing frame over a few samples, not hide it)."""
    joint = SPLIT / TONE_RATE
    near = window(left, joint - 0.01, joint + 0.01)
    elsewhere = window(left, 1.0, 2.0)
    for order, name in ((1, "step"), (2, "change of slope")):
        got, own = largest(near, order), largest(elsewhere, order)
        check(got <= own * 1.5 + 2 / 32768.0,
              "deck 0's joint at %.4f s: largest %s %.5f, the tone's own "
              "%.5f" % (joint, name, got, own))


def check_mix(check, left):
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



def main():
    checks = Checks()
    for files in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.wav")
            run([sys.argv[1], "--output", out] +
                (deck_files(tmp) if files else []))
            left = read_left(out)
        print("With files (deck 0: two, no gap):" if files else "Tones:")
        check_mix(checks.check, left)
        if files:
            check_joint(checks.check, left)
    checks.finish()

if __name__ == "__main__":
    main()
