"""Helpers of the example checks: write the WAV files an example plays,
run it, read and measure the WAV file it wrote.  Plain Python (no PyGObject), so that the C examples
are checked in sanitizer builds too."""

import array
import math
import subprocess
import sys
import wave

RATE = 48000
BLOCK = RATE // 100             # kitharamixer's 10 ms blocks, in frames
TIMEOUT = 300


class Checks:
    """Prints every check and exits with a failure at the end if any
    failed."""

    def __init__(self):
        self.failures = 0

    def check(self, ok, what):
        print("%s: %s" % ("ok" if ok else "FAIL", what))
        self.failures += 0 if ok else 1

    def finish(self):
        if self.failures:
            sys.exit("%d check(s) failed" % self.failures)


def run(cmd):
    """Runs @cmd (a Python script runs with this interpreter), echoes its
    output and returns its standard output.  Fails if it fails, or if
    GStreamer complained: a critical warning, or objects left alive at
    gst_deinit() (GST_TRACERS=leaks, set by the test)."""
    if cmd[0].endswith(".py"):
        cmd = [sys.executable] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          timeout=TIMEOUT)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        sys.exit("%s exited with %d" % (cmd, proc.returncode))
    for complaint in ("CRITICAL", "Leaks detected"):
        if complaint in proc.stderr:
            sys.exit("%s: %s in its standard error" % (cmd, complaint))
    return proc.stdout


def write_stereo(path, frames, rate):
    """A 16-bit stereo WAV file of @frames, (left, right) pairs."""
    samples = array.array("h", [v for frame in frames for v in frame])
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def read_left(path):
    """The left channel of a 48 kHz 16-bit stereo WAV file, as floats in
    [-1, 1)."""
    with wave.open(path, "rb") as w:
        fmt = (w.getframerate(), w.getnchannels(), w.getsampwidth())
        if fmt != (RATE, 2, 2):
            sys.exit("%s: %d Hz, %d channels, %d bytes a sample; expected "
                     "48000 Hz 16-bit stereo" % ((path,) + fmt))
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    return [s / 32768.0 for s in samples[0::2]]


def window(samples, start, end):
    """The samples from @start to @end seconds."""
    return samples[round(start * RATE):round(end * RATE)]


def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / len(samples))


def amplitude(samples, freq):
    """Amplitude of the @freq component (Goertzel).  Windows that hold a
    whole number of periods of every tone keep tones from leaking into
    one another's measure."""
    coeff = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * math.sqrt(max(power, 0.0)) / len(samples)
