#!/bin/sh
# Makes DIR the system plugin directory of the sanitizer runs: links to the
# plugins of GStreamer's core, -base and -good packages (all the tests
# need), whatever else is installed.  Plugins of -bad, -ugly or -libav
# load libraries whose constructors allocate for good (fontconfig, codec
# tables), which LeakSanitizer would report against our tests, and their
# elements would outrank the ones the tests autoplug, which the
# ThreadSanitizer run has not been checked with.
# Usage: scripts/sanitizer-plugins.sh DIR
set -eu
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
for pkg in libgstreamer1.0-0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good; do
  dpkg -L "$pkg" | grep '/gstreamer-1.0/libgst[^/]*\.so$' |
    while read -r plugin; do
      ln -s "$plugin" "$dir/"
    done
done
