#!/bin/sh
# Builds (into ./build) and runs every benchmark, stock GStreamer and
# Kithara side by side.  Usage: tests/bench/run.sh [live-stream-count]
# bench-decks writes its CSV and plot to docs/ (bench-decks.csv, .png).
set -eu
cd "$(dirname "$0")/../.."
# gnuplot draws bench-decks' plot; only the benchmarks need it.
scripts/install-deps.sh gnuplot-nox
scripts/build.sh
export GST_PLUGIN_PATH="$PWD/build/gst/kithara:$PWD/build/ext/samplerate"
for b in build/tests/bench/bench-*; do
  # only the programs, not meson's bench-*.p object directories
  [ -f "$b" ] && [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  case "$(basename "$b")" in
    bench-live-streams) "$b" "${1:-200}" ;;
    bench-decks) "$b" --output docs/bench-decks ;;
    *) "$b" ;;
  esac
  echo
done
