#!/bin/sh
# Installs the Debian 12 packages Kithara needs to build, test and run its
# demo, if any is missing.  Needs root (or sudo) when something is missing.
# Extra packages given as arguments are installed too (the benchmarks' own,
# which the tests do not need).
set -eu

# Build: compiler and C library headers (gcc only recommends them), meson.
# Tests: gst-inspect-1.0 (tools); audiotestsrc, decodebin, vorbisenc, opusenc
# (base); flacenc, lamemp3enc, wavenc, id3v2mux, matroskamux (good); libav's
# decoders, among which kitharadecode must choose as decodebin does (every
# MPEG audio decoder ranks marginal); Python with PyGObject for the
# docs and install checks and examples/decks.py (typelibs: Gst and
# GstController in gir1.2-gstreamer-1.0, GstPbutils in
# gir1.2-gst-plugins-base-1.0).
# Examples played on a sound card: autoaudiosink picks pulsesink (good) or
# alsasink (gstreamer1.0-alsa).
PACKAGES="
  gcc libc6-dev pkg-config meson ninja-build
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-libav
  gstreamer1.0-alsa
  libsamplerate0-dev
  python3 python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  valgrind
  $*
"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "Installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
