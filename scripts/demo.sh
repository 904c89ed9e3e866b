#!/bin/sh
# One command: install what is missing, build, and run the demo.
# Renders several streams through kithara elements on one shared worker to
# WAV files (no sound card needed) and prints what the worker did.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
GST_PLUGIN_PATH="$PWD/build/gst/kithara${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  build/examples/kithara-demo "${1:-demo-out}"
