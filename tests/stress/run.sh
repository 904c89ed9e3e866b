#!/bin/sh
# The stress test for longer than the suite runs it, under
# AddressSanitizer and LeakSanitizer (and GStreamer's leaks tracer):
# four threads building random kithara pipelines and acting on them (see
# tests/check/stress.c).  Usage: tests/stress/run.sh [seconds] [seed]
# (default 600 s, a random seed; the seed is printed).
set -eu
cd "$(dirname "$0")/../.."
scripts/install-deps.sh
if [ ! -f build-asan/build.ninja ]; then
  meson setup build-asan -Db_sanitize=address -Db_lundef=false \
    -Dbenchmarks=disabled
fi
ninja -C build-asan tests/check/stress

cd build-asan
export GST_PLUGIN_PATH_1_0="$PWD/gst/kithara:$PWD/ext/samplerate"
export GST_REGISTRY="$PWD/tests/check/registry.bin"
export GST_REGISTRY_FORK=no
export GST_TRACERS=leaks
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export KITHARA_STRESS_SECONDS="${1:-600}"
[ -n "${2:-}" ] && export KITHARA_STRESS_SEED="$2"
# Build the registry first, without leak checks (GLib's one-time
# allocations while plugins load are not ours).
ASAN_OPTIONS=detect_leaks=0 GST_CHECKS=none tests/check/stress >/dev/null
exec tests/check/stress
