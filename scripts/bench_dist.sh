#!/bin/sh
# bench_dist.sh — figures for the distributed layer (issue 4):
#   1. coordinator rows/s: a fake worker (build/tools/dist_flood) floods a
#      real coordinator + ledger with rows; no engine cost at all;
#   2. embedded `generate` with 1 and 2 workers, and the ratio;
#   3. coordinator + 2 workers on loopback TCP vs embedded with 2 workers.
# Usage: sh scripts/bench_dist.sh [BUILD_DIR]
#   env: BENCH_ROWS (200000), BENCH_MODE (midi-only, or full for the
#   audio pipeline: about 1 s per sample), BENCH_COUNT (2000 midi-only,
#   16 otherwise), BENCH_DIR (where the datasets go; default $TMPDIR).
#   Wall times on a shared machine are only as good as its quiet: the
#   script prints the load average beside them. A midi-only run writes
#   five small files per sample, so on a busy disk it measures the file
#   system: BENCH_DIR=/dev/shm leaves the disk out.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN=$BUILD/musicgen
FLOOD=$BUILD/tools/dist_flood
ROWS=${BENCH_ROWS:-200000}
MODE=${BENCH_MODE:-midi-only}
if [ "$MODE" = midi-only ]; then COUNT=${BENCH_COUNT:-2000}; else COUNT=${BENCH_COUNT:-16}; fi
export MUSICGEN_DATA_DIR="$SRC"
[ -x "$BIN" ] && [ -x "$FLOOD" ] || {
    echo "bench_dist: build $BIN and $FLOOD first (make BUILD=... unit)" >&2
    exit 1
}
T=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-dist.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
wait_file() {
    i=0
    while [ ! -s "$1" ]; do
        i=$((i + 1)); [ $i -gt 600 ] && { echo "timeout: $1" >&2; exit 1; }
        sleep 0.05
    done
}

# 1. coordinator alone
"$BIN" coordinator --seed 1 --count "$ROWS" --out "$T/flood" \
    --ledger "$T/flood.sqlite" --bind 'tcp://127.0.0.1:*' \
    --endpoint-file "$T/ep1" --output-mode midi-only --chunk 1000 \
    --linger-ms 100 -q 2>"$T/c1.log" &
C=$!
wait_file "$T/ep1"
"$FLOOD" "$(cat "$T/ep1")" >"$T/flood.txt"
wait $C
rps=$(awk '{print $6}' "$T/flood.txt")
echo "coordinator: $ROWS rows committed and acknowledged at $rps rows/s (goal >= 20000)"

# 2. embedded, 1 vs 2 workers
t0=$(now)
"$BIN" generate --seed 42 --count "$COUNT" --out "$T/e1" --output-mode "$MODE" \
    --workers 1 -q
t1=$(now)
"$BIN" generate --seed 42 --count "$COUNT" --out "$T/e2" --output-mode "$MODE" \
    --workers 2 -q
t2=$(now)
w1=$(echo "$t1 - $t0" | bc -l)
w2=$(echo "$t2 - $t1" | bc -l)
printf 'embedded %s x%s: 1 worker %.2f s, 2 workers %.2f s, speed-up %.2fx (goal >= 1.8 on 2 cores, full pipeline; load average %s)\n' \
    "$MODE" "$COUNT" "$w1" "$w2" "$(echo "$w1 / $w2" | bc -l)" \
    "$(cut -d' ' -f1 /proc/loadavg)"

# 3. distributed: coordinator + 2 workers on loopback TCP
t3=$(now)
"$BIN" coordinator --seed 42 --count "$COUNT" --out "$T/d" \
    --ledger "$T/d.sqlite" --bind 'tcp://127.0.0.1:*' --endpoint-file "$T/ep2" \
    --output-mode "$MODE" --linger-ms 100 -q 2>"$T/c2.log" &
C=$!
wait_file "$T/ep2"
"$BIN" worker --connect "$(cat "$T/ep2")" --out "$T/d" --jobs 2 -q
wait $C
t4=$(now)
wd=$(echo "$t4 - $t3" | bc -l)
printf 'distributed (tcp, 2 workers) %.2f s vs embedded (2 workers) %.2f s: ratio %.2f\n' \
    "$wd" "$w2" "$(echo "$wd / $w2" | bc -l)"
