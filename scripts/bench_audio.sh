#!/bin/sh
# bench_audio.sh — the audio part of `make bench` (called by bench.sh):
# the engine's time per whole full-mode sample, the bare synthesizer on
# the same four MIDIs and their ratio, the Python tool's pipeline (a
# fluidsynth process per part and stem; and a lower bound, one per
# whole-song stem) and the speed-ups, and one process's peak RSS next to
# the soundfont's size. Figures only, never pass/fail.
#   BENCH_AUDIO_N      samples (default 6)
#   BENCH_AUDIO_GENRE  one genre (default: all genres merged)
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export MUSICGEN_DATA_DIR="${MUSICGEN_DATA_DIR:-$PWD}"
echo "== audio engine (full mode, one process, one core)"
if ! command -v fluidsynth >/dev/null 2>&1; then
    echo "(no fluidsynth binary: the Python-tool pipeline is skipped;" \
         "Debian package fluidsynth)"
    export BENCH_AUDIO_NO_PYTHON=1
fi
# taskset pins the whole run (and the fluidsynth children) to one core
# where it exists, so "per core" means one core.
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
case $BUILD in
    /*) bin=$BUILD/musicgen ;;
    *) bin=$PWD/$BUILD/musicgen ;;
esac
MUSICGEN_BIN="$bin" \
    $pin "$BUILD/bench/bench_audio" "${BENCH_AUDIO_N:-6}" ${BENCH_AUDIO_GENRE:-}
