#!/bin/sh
# bench.sh — `make bench`: figures and ratios, never pass/fail.
# Each section is a script or program of its own; missing ones are named.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
export MUSICGEN_DATA_DIR="$PWD"
echo "== musicgen benchmarks ($(nproc) cores, $(uname -m), $(date -u +%Y-%m-%dT%H:%MZ))"
echo
echo "== symbolic engine (midi-only, one core)"
"$BUILD/bench/bench_symbolic" "${BENCH_SYMBOLIC_N:-3000}"
echo
for part in scripts/bench_audio.sh scripts/bench_beats.sh scripts/bench_dist.sh \
    scripts/bench_scale.sh scripts/bench_dataset.sh scripts/bench_export.sh \
    scripts/bench_lib.sh; do
    if [ -f "$part" ]; then
        sh "$part" "$BUILD"
        echo
    fi
done
