#!/usr/bin/env python3
"""Runs kithara-demo and checks what it printed and rendered.

Usage: check_demo.py KITHARA_DEMO

The demo encodes eight tracks, tones at (i + 1) x 110 Hz of 8 s, and
mixes them, each at 1/8, into OUTPUT-DIR/mix.wav through kitharadecode,
kitharaeq and kithararesample.  Checked: it succeeds; the process ran on
at most 5 threads (main, worker, the mixer's src task and GStreamer's
pool thread, plus one to spare), one of them a kithara worker; mix.wav is
48 kHz 16-bit stereo, 8 s long to within one mixer block, and every
track's tone is in it throughout.
"""

import os
import re
import sys
import tempfile

from wavcheck import BLOCK, RATE, Checks, amplitude, read_left, run, window

SECONDS = 8
TONES = [110.0 * (i + 1) for i in range(8)]
PRESENT = 0.05                  # each tone is mixed at about 0.1


def main():
    checks = Checks()
    check = checks.check
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = os.path.join(tmp, "demo-out")
        stdout = run([sys.argv[1], out_dir])
        left = read_left(os.path.join(out_dir, "mix.wav"))

    threads = re.search(r"^Threads of this process while playing: (\d+)$",
                        stdout, re.M)
    workers = re.findall(r"^  kt-\S+ +kithara worker", stdout, re.M)
    check(threads and int(threads.group(1)) <= 4 + len(workers),
          "threads while playing: %s" % (threads and threads.group(1)))
    # One context; its threads as configured (KITHARA_CONTEXTS), 1 by
    # default.
    configured = re.search(r"^Worker \"default\": (\d+) threads? ran all",
                           stdout, re.M)
    check(configured and len(workers) == int(configured.group(1)),
          "kithara worker threads: %d, the context says %s" %
          (len(workers), configured and configured.group(1)))

    frames = len(left)
    check(abs(frames - SECONDS * RATE) <= BLOCK,
          "length %d frames (%.4f s), expected %d s" %
          (frames, frames / RATE, SECONDS))
    for start in (0.5, SECONDS - 1.0):
        samples = window(left, start, start + 0.5)
        for freq in TONES:
            a = amplitude(samples, freq)
            check(a > PRESENT, "%g Hz at %.1f s: amplitude %.3f" %
                  (freq, start, a))

    checks.finish()


if __name__ == "__main__":
    main()
