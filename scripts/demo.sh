#!/bin/sh
# One command: install what is missing, build, and run the demo.
# Eight decks (decode, EQ, resample) mixed by kitharamixer on one shared
# worker, rendered to demo-out/mix.wav (no sound card needed); prints the
# threads of the process and what the worker did.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
GST_PLUGIN_PATH="$PWD/build/gst/kithara:$PWD/build/ext/samplerate${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" \
  build/examples/kithara-demo "${1:-demo-out}"
