#!/bin/sh
# One command: install what is missing, build, and run the whole test suite,
# then run it again built with AddressSanitizer.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
meson test -C build --print-errorlogs

# The same suite under AddressSanitizer and LeakSanitizer (GstObject and
# buffer leaks are also caught by GStreamer's leaks tracer in both runs).
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address -Db_lundef=false -Dbenchmarks=disabled
fi
ninja -C build-asan
# Build the plugin registry first, in a run that selects no test: GLib's
# one-time allocations while scanning plugins are not leaks of ours.
ASAN_OPTIONS=detect_leaks=0 GST_CHECKS=none meson test -C build-asan runtime
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  meson test -C build-asan --print-errorlogs
