#!/bin/sh
# Builds (into ./build) and runs every benchmark, stock GStreamer and
# Kithara side by side.  Usage: tests/bench/run.sh [live-stream-count]
set -eu
cd "$(dirname "$0")/../.."
scripts/install-deps.sh
scripts/build.sh
export GST_PLUGIN_PATH="$PWD/build/gst/kithara:$PWD/build/ext/samplerate"
for b in build/tests/bench/bench-*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  case "$(basename "$b")" in
    bench-live-streams) "$b" "${1:-200}" ;;
    *) "$b" ;;
  esac
  echo
done
