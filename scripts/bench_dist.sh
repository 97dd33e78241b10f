#!/bin/sh
# bench_dist.sh — figures for the distributed layer (issue 4):
#   1. coordinator rows/s: a fake worker (build/tools/dist_flood) floods a
#      real coordinator + ledger with rows; no engine cost at all;
#   2. embedded `generate` with 1 and 2 workers, and the ratio;
#   3. coordinator + one worker --jobs 2 on loopback TCP, default leases
#      (sized from measured sample time), vs embedded with 2 workers (goal:
#      within 10%), in BENCH_DIST_REPEATS pairs (5): median and range;
#   4. coordinator + one worker --jobs 2 vs --jobs 1 on a 16-sample
#      full-audio run, default leases (goal >= 1.8x on 2 free cores), and
#      the --jobs 2 run against embedded `generate --workers 2` on the
#      same samples (distributed vs embedded where the work is audio);
#      sections 2 and 4 also print how long the first job to finish sat
#      idle before the run's last row (the end's imbalance, from the
#      ledger's per-job row times);
#   5. the cost of durable mode (the coordinator's default: ledger
#      synchronous=FULL, samples fsynced before their rows): the same
#      full-audio run with --durable yes and --durable no.
# Usage: sh scripts/bench_dist.sh [BUILD_DIR]
#   env: BENCH_ROWS (200000), BENCH_MODE (midi-only, or full for the
#   audio pipeline: about 1 s per sample), BENCH_COUNT (2000 midi-only,
#   16 otherwise), BENCH_DIST_REPEATS (5: section 3's pairs),
#   BENCH_FULL_COUNT (16: sections 4 and 5, always full audio), BENCH_DIR
#   (where the datasets go; default $TMPDIR).
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
# idle LEDGER : the end's imbalance - seconds from the first job's last
# row to the run's last row (a core idle while another job finishes)
idle() {
    sqlite3 "$1" "SELECT printf('%.2f', (max(t) - min(t)) * 86400) FROM
        (SELECT max(julianday(wrote_at)) AS t FROM samples GROUP BY worker)" \
        2>/dev/null || echo '?'
}
wait_file() { # (its own counter: the callers' loops use i)
    wf=0
    while [ ! -s "$1" ]; do
        wf=$((wf + 1)); [ $wf -gt 600 ] && { echo "timeout: $1" >&2; exit 1; }
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

# Each timed run starts after a sync: the dirty pages of the runs before it
# (thousands of sample files, then rm -rf) would otherwise be written back
# by the kernel's flusher threads during it, on the same two cores.
# 2. embedded, 1 vs 2 workers
sync
t0=$(now)
"$BIN" generate --seed 42 --count "$COUNT" --out "$T/e1" --output-mode "$MODE" \
    --workers 1 -q
t1=$(now)
sync
t1b=$(now)
"$BIN" generate --seed 42 --count "$COUNT" --out "$T/e2" --output-mode "$MODE" \
    --workers 2 -q
t2=$(now)
w1=$(echo "$t1 - $t0" | bc -l)
w2=$(echo "$t2 - $t1b" | bc -l)
printf 'embedded %s x%s: 1 worker %.2f s, 2 workers %.2f s, speed-up %.2fx (goal >= 1.8 on 2 cores, full pipeline; idle at the end %s s; load average %s)\n' \
    "$MODE" "$COUNT" "$w1" "$w2" "$(echo "$w1 / $w2" | bc -l)" \
    "$(idle "$T/e2/.musicgen/ledger.sqlite")" "$(cut -d' ' -f1 /proc/loadavg)"

# 3. distributed: coordinator + worker --jobs 2 on loopback TCP, against
# embedded generate --workers 2, run in pairs (embedded, then distributed)
# BENCH_DIST_REPEATS times (default 5): load that drifts during the bench
# hits both sides of a pair alike, and the median of the pairs' ratios
# with its spread (min..max) says how far one figure can be trusted.
R=${BENCH_DIST_REPEATS:-5}
i=0
: >"$T/pairs"
while [ $i -lt "$R" ]; do
    rm -rf "$T/e2" "$T/d" "$T/d.sqlite" "$T/ep2"
    sync
    a=$(now)
    "$BIN" generate --seed 42 --count "$COUNT" --out "$T/e2" \
        --output-mode "$MODE" --workers 2 -q
    b=$(now)
    sync
    b2=$(now)
    # (non-durable like generate: durable mode's cost is section 5)
    "$BIN" coordinator --seed 42 --count "$COUNT" --out "$T/d" \
        --ledger "$T/d.sqlite" --bind 'tcp://127.0.0.1:*' --endpoint-file "$T/ep2" \
        --output-mode "$MODE" --linger-ms 100 --durable no -q 2>"$T/c2.log" &
    C=$!
    wait_file "$T/ep2"
    "$BIN" worker --connect "$(cat "$T/ep2")" --out "$T/d" --jobs 2 -q
    wait $C
    c=$(now)
    echo "$(echo "$b - $a" | bc -l) $(echo "$c - $b2" | bc -l)" >>"$T/pairs"
    i=$((i + 1))
done
# median and range of a column of numbers (stdin)
stats() { sort -g | awk '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f (%.2f..%.2f)", m, v[1], v[NR]}'; }
printf 'distributed (tcp, worker --jobs 2, default leases, --durable no as generate) vs embedded (2 workers), %s x%s, %s pairs: embedded %s s, distributed %s s, ratio %s (median (min..max); goal <= 1.10; load average %s)\n' \
    "$MODE" "$COUNT" "$R" "$(awk '{print $1}' "$T/pairs" | stats)" \
    "$(awk '{print $2}' "$T/pairs" | stats)" \
    "$(awk '{print $2 / $1}' "$T/pairs" | stats)" \
    "$(cut -d' ' -f1 /proc/loadavg)"

# dist_run NAME JOBS MODE COUNT [coordinator options] : one coordinator and
# one worker --jobs JOBS on loopback TCP; prints the wall seconds
dist_run() {
    name=$1 jobs=$2 mode=$3 count=$4
    shift 4
    sync
    a=$(now)
    "$BIN" coordinator --seed 42 --count "$count" --out "$T/$name" \
        --ledger "$T/$name.sqlite" --bind 'tcp://127.0.0.1:*' \
        --endpoint-file "$T/$name.ep" --output-mode "$mode" --linger-ms 100 \
        -q "$@" 2>"$T/$name.log" &
    C=$!
    wait_file "$T/$name.ep"
    "$BIN" worker --connect "$(cat "$T/$name.ep")" --out "$T/$name" \
        --jobs "$jobs" -q
    wait $C
    b=$(now)
    echo "$b - $a" | bc -l
}

# 4. one worker host: --jobs 2 vs --jobs 1, default leases, full audio
FULL=${BENCH_FULL_COUNT:-16}
j1=$(dist_run j1 1 full "$FULL")
j2=$(dist_run j2 2 full "$FULL")
printf 'coordinator + worker, full x%s, default leases: --jobs 1 %.2f s, --jobs 2 %.2f s, speed-up %.2fx (goal >= 1.8 on 2 free cores; --jobs 2 idle at the end %s s; load average %s)\n' \
    "$FULL" "$j1" "$j2" "$(echo "$j1 / $j2" | bc -l)" \
    "$(idle "$T/j2.sqlite")" "$(cut -d' ' -f1 /proc/loadavg)"
# the same full-audio run embedded (generate --workers 2): section 3's
# comparison where the work is audio, not five small files a sample (a
# midi-only run of 2000 measures the file system as much as the
# coordinator, and its pairs spread widely on a shared disk)
sync
a=$(now)
"$BIN" generate --seed 42 --count "$FULL" --out "$T/ef" --workers 2 -q
ef=$(echo "$(now) - $a" | bc -l)
printf 'distributed vs embedded, full x%s, 2 processes: embedded %.2f s, distributed (--jobs 2 above: default leases, durable by default) %.2f s, ratio %.2f (goal <= 1.10)\n' \
    "$FULL" "$ef" "$j2" "$(echo "$j2 / $ef" | bc -l)"

# 5. durable mode's cost (same run, --jobs 2)
dy=$(dist_run dy 2 full "$FULL" --durable yes)
dn=$(dist_run dn 2 full "$FULL" --durable no)
printf 'durable mode, full x%s, --jobs 2: --durable yes %.2f s, --durable no %.2f s, cost %+.1f%%\n' \
    "$FULL" "$dy" "$dn" "$(echo "($dy / $dn - 1) * 100" | bc -l)"
my=$(dist_run my 2 "$MODE" "$COUNT" --durable yes)
mn=$(dist_run mn 2 "$MODE" "$COUNT" --durable no)
printf 'durable mode, %s x%s, --jobs 2: --durable yes %.2f s, --durable no %.2f s, cost %+.1f%%\n' \
    "$MODE" "$COUNT" "$my" "$mn" "$(echo "($my / $mn - 1) * 100" | bc -l)"
