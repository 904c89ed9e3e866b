#!/bin/bash
# One command: install what is missing, build, and run the whole test suite,
# then run it again built with AddressSanitizer/LeakSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT

meson test -C build --print-errorlogs | tee -a "$log"

# The same suite under AddressSanitizer and LeakSanitizer (GstObject and
# buffer leaks are also caught by GStreamer's leaks tracer in both runs).
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address -Db_lundef=false -Dbenchmarks=disabled
fi
ninja -C build-asan
# Build the plugin registry first, in a run that selects no test: GLib's
# one-time allocations while scanning plugins are not leaks of ours.
ASAN_OPTIONS=detect_leaks=0 GST_CHECKS=none meson test -C build-asan runtime >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  meson test -C build-asan --print-errorlogs | tee -a "$log"

passed=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
echo "tests: $passed passed, $failed failed"
