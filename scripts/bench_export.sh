#!/bin/sh
# bench_export.sh BUILD — `musicgen export` rows per second, JSONL and
# Parquet, with and without --notes, over a midi-only tree of
# BENCH_EXPORT_COUNT samples (the issue's 100,000 by default, sharded width
# 3: ~1 minute to generate on two cores, 6.3 GB on disk; with less than
# 8 GB free, 20,000 and a line saying so). The tree is generated once and
# kept under BUILD/bench-export/ (a later run reuses it). The one-core
# figures run export with --jobs 1 (no thread reading ahead) pinned to one
# CPU (taskset -c 0 where taskset exists); each runs BENCH_EXPORT_RUNS times (3) with
# a warm page cache and the best run is reported: rows/s of wall time,
# and rows per CPU second (user + system), which another process's load
# on the machine distorts less (the CPU of the writer's I/O thread
# included: output goes by direct I/O, common/base/ofile.h). Next to each
# figure: the sample.json bytes parsed per CPU second, since a row costs
# what its sample.json weighs. Each format runs twice: the default export
# (no notes columns; the notes validated only) and with --notes (every
# note of every layer a column too). Goal (issue 8): >= 20,000 samples/s
# on one core, judged on the default's rows per CPU second (`--jobs 1`:
# no thread reading ahead). Then the default export of each format with
# --jobs J (J = the cores; BENCH_EXPORT_JOBS), unpinned: its rows per
# second of wall time against --jobs 1's, the speed-up threads reading and
# tokenizing ahead of the writer give (common/dataset/dsfetch.h). Figures
# only, never pass/fail.
set -u
BUILD=${1:-build}
RUNS=${BENCH_EXPORT_RUNS:-3}
DIR="$BUILD/bench-export"
mkdir -p "$DIR"
N=${BENCH_EXPORT_COUNT:-${BENCH_EXPORT_N:-}}
if [ -z "$N" ]; then
    N=100000
    free_kb=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
    if [ ! -f "$DIR/tree-$N/.bench-complete" ] && [ "${free_kb:-0}" -lt 8000000 ]; then
        echo "(less than 8 GB free under $DIR: a 20,000-sample tree instead of 100,000; BENCH_EXPORT_COUNT sets it)"
        N=20000
    fi
fi
TREE="$DIR/tree-$N"
BIN="$BUILD/musicgen"
PIN=""
command -v taskset > /dev/null 2>&1 && PIN="taskset -c 0"
echo "== export (midi-only tree of $N samples, one core${PIN:+, $PIN})"
if [ ! -f "$TREE/.bench-complete" ]; then
    echo "generating the tree once ($TREE) ..."
    rm -rf "$TREE"
    "$BIN" generate --seed 2024 --count "$N" --out "$TREE" \
        --output-mode midi-only --shard-width 3 -q || exit 1
    touch "$TREE/.bench-complete"
fi
bytes=$(du -sk "$TREE/" | cut -f1)
json_kb=$(find -L "$TREE" -name sample.json -path '*/00000*' -printf '%s\n' |
          awk '{ s += $1; n++ } END { printf "%.1f", n ? s / n / 1024 : 0 }')
echo "tree: $N samples, $((bytes / 1024)) MiB, sample.json ~$json_kb KiB each (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
cat "$TREE"/*/000000/sample.json > /dev/null 2>&1 # warm the page cache
for run_as in "jsonl" "parquet" "jsonl --notes" "parquet --notes"; do
    set -- $run_as
    fmt=$1
    notes=${2:-}
    out="$DIR/out.$fmt"
    best=""
    run=0
    while [ "$run" -le "$RUNS" ]; do # run 0 warms the cache, not counted
        rm -f "$out"
        t=$( { /usr/bin/time -f "%e %U %S" $PIN "$BIN" export "$TREE" \
                 -o "$out" -f "$fmt" $notes -j 1 -q; } 2>&1 | tail -1)
        if [ "$run" -gt 0 ]; then
            best=$(printf '%s\n%s\n' "$best" "$t" | awk 'NF == 3' |
                   sort -n | head -1)
        fi
        run=$((run + 1))
    done
    set -- $best
    size=$(du -k "$out" | cut -f1)
    awk -v n="$N" -v w="$1" -v u="$2" -v s="$3" -v f="$run_as" \
        -v kb="$size" -v jk="$json_kb" -v notes="$notes" \
        'BEGIN { c = u + s; if (c <= 0) c = 0.01
                 printf "%-15s %6.2f s wall %6.2f s CPU  %6.0f rows/s (wall) %6.0f rows/s (CPU)  %4.0f MB/s of sample.json (CPU)  %5.0f MiB out", f, w, c, n / w, n / c, n / c * jk * 1024 / 1e6, kb / 1024
                 if (notes == "") printf "  goal 20000/s: %s", (n / c >= 20000 ? "met" : "not met")
                 printf "\n" }'
    rm -f "$out"
done
J=${BENCH_EXPORT_JOBS:-$(nproc 2>/dev/null || echo 2)}
echo "-- threads reading ahead: --jobs 1 against --jobs $J, unpinned, wall time (best of $RUNS)"
for fmt in jsonl parquet; do
    out="$DIR/out.$fmt"
    line=""
    for jobs in 1 "$J"; do
        best=""
        run=0
        while [ "$run" -le "$RUNS" ]; do
            rm -f "$out"
            t=$( { /usr/bin/time -f "%e %U %S" "$BIN" export "$TREE" \
                     -o "$out" -f "$fmt" -j "$jobs" -q; } 2>&1 | tail -1)
            [ "$run" -gt 0 ] && best=$(printf '%s\n%s\n' "$best" "$t" |
                                       awk 'NF == 3' | sort -n | head -1)
            run=$((run + 1))
        done
        line="$line ${best%% *}"
    done
    rm -f "$out"
    set -- $line
    awk -v n="$N" -v a="$1" -v b="$2" -v f="$fmt" -v j="$J" \
        'BEGIN { if (a <= 0) a = 0.01; if (b <= 0) b = 0.01
                 printf "%-15s --jobs 1 %6.2f s %6.0f rows/s   --jobs %d %6.2f s %6.0f rows/s   x%.2f\n", f, a, n / a, j, b, n / b, a / b }'
done
echo "(best of $RUNS; goal judged without --notes; on a loaded machine wall-clock rows/s fall, rows per CPU second less so; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
