#!/bin/bash
# One command: install what is missing, build, and run the whole test suite,
# then run it again built with AddressSanitizer/LeakSanitizer and built with
# ThreadSanitizer.  Each half runs even when another failed; the last line
# sums them up, and the exit status is non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

if scripts/build.sh; then
  meson test -C build --print-errorlogs | tee -a "$log" || status=1
else
  echo "Fail: 1 (the build)" | tee -a "$log"
  status=1
fi

# Configures (once) and builds DIR with -Db_sanitize=SANITIZER, and gives
# it a system plugin directory of the plugins the tests use, whatever else
# is installed (see scripts/sanitizer-plugins.sh).
sanitizer_build() {
  local dir=$1 sanitizer=$2
  if [ ! -f "$dir/build.ninja" ] && ! meson setup "$dir" \
      -Db_sanitize="$sanitizer" -Db_lundef=false -Dbenchmarks=disabled ||
      ! ninja -C "$dir"; then
    echo "Fail: 1 (the $sanitizer build)" | tee -a "$log"
    return 1
  fi
  scripts/sanitizer-plugins.sh "$dir/system-plugins"
}

# The suite under AddressSanitizer and LeakSanitizer (GstObject and buffer
# leaks are also caught by GStreamer's leaks tracer in every run).
asan() {
  sanitizer_build build-asan address || return 1
  export GST_PLUGIN_SYSTEM_PATH_1_0="$PWD/build-asan/system-plugins"
  # The registry first, built in a run that selects no test: GLib's
  # one-time allocations while scanning plugins are not leaks of ours.
  ASAN_OPTIONS=detect_leaks=0 GST_CHECKS=none meson test -C build-asan \
    runtime >/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
    meson test -C build-asan --print-errorlogs | tee -a "$log"
}

# The suite under ThreadSanitizer, with GLib's locks annotated (the test
# environment, one process per program, is set in tests/check/meson.build).
tsan() {
  sanitizer_build build-tsan thread || return 1
  export GST_PLUGIN_SYSTEM_PATH_1_0="$PWD/build-tsan/system-plugins"
  meson test -C build-tsan --print-errorlogs | tee -a "$log"
}

(asan) || status=1
(tsan) || status=1

# What the ports of GStreamer's own element tests say (tests/check/peer/):
# scenarios passed and skipped by design, kithara and stock builds.
grep -h '^peer .* scenarios' build/meson-logs/testlog.txt 2>/dev/null | sort -u

passed=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
failed=$(sed -n 's/^\(Fail\|Timeout\): *\([0-9]*\).*/\2/p' "$log" | awk '{s += $1} END {print s + 0}')
echo "tests: $passed passed, $failed failed"
if [ "$failed" -gt 0 ]; then
  status=1
fi
exit $status
