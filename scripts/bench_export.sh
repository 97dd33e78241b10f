#!/bin/sh
# bench_export.sh BUILD — `musicgen export` rows per second, JSONL and
# Parquet, over a midi-only tree of BENCH_EXPORT_N samples (100,000 by
# default, sharded width 3). The tree is generated once and kept under
# BUILD/bench-export/ (a later run reuses it); each export runs twice and
# the second (warm page cache) is reported. Export is single-threaded:
# rows/s of wall time is the one-core figure; CPU s counts user + system.
# Goal (issue 8): >= 20,000 samples/s on one core.
set -u
BUILD=${1:-build}
N=${BENCH_EXPORT_N:-100000}
DIR="$BUILD/bench-export"
TREE="$DIR/tree-$N"
BIN="$BUILD/musicgen"
mkdir -p "$DIR"
echo "== export (midi-only tree of $N samples, one core)"
if [ ! -f "$TREE/.bench-complete" ]; then
    echo "generating the tree once ($TREE) ..."
    rm -rf "$TREE"
    "$BIN" generate --seed 2024 --count "$N" --out "$TREE" \
        --output-mode midi-only --shard-width 3 -q || exit 1
    touch "$TREE/.bench-complete"
fi
bytes=$(du -sk "$TREE" | cut -f1)
echo "tree: $N samples, $((bytes / 1024)) MiB"
for fmt in jsonl parquet; do
    out="$DIR/out.$fmt"
    for run in 1 2; do
        rm -f "$out"
        t=$( { /usr/bin/time -f "%e %U %S" "$BIN" export "$TREE" -o "$out" \
                 -f "$fmt" -q; } 2>&1 | tail -1)
    done
    set -- $t
    size=$(du -k "$out" | cut -f1)
    awk -v n="$N" -v w="$1" -v u="$2" -v s="$3" -v f="$fmt" -v kb="$size" \
        'BEGIN { printf "%-8s %8.2f s wall %8.2f s CPU  %9.0f rows/s (wall) %9.0f rows/s (CPU)  %6.0f MiB out  goal 20000: %s\n", f, w, u + s, n / w, n / (u + s), kb / 1024, (n / w >= 20000 ? "met" : "not met") }'
    rm -f "$out"
done
