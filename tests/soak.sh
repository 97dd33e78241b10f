#!/bin/sh
# soak.sh — `make soak`: a long distributed run with real faults, then the
# checks a user would make. Not part of `make test` (minutes, gigabytes).
#
#   1. A coordinator and two workers on loopback TCP make SOAK_COUNT
#      (100,000) midi-only samples, shard width 3. On the way each worker
#      is killed -9 and restarted SOAK_WORKER_KILLS (4) times in turn, and
#      the coordinator is killed -9 once at half way and restarted on the
#      same ledger and port. It must end with exit 0 everywhere.
#   2. tests/tools/check_dataset.py --no-midi-check: exactly one manifest
#      row per index, formula seeds and splits, every sample.json valid;
#      and no sample directory without sample.json.
#   3. The resume-time disk check of `musicgen generate` at that scale:
#      the run's ledger is handed to `generate` (same parameters), which
#      checks every ledger row against the disk before finding the run
#      complete; after removing a few sample directories it must make
#      exactly those again.
# Prints figures as it goes and one summary line; exit 0 on pass.
#
#   make soak                      (BUILD=build by default)
#   SOAK_COUNT=20000 sh tests/soak.sh     a shorter soak
#   env: SOAK_COUNT, SOAK_WORKER_KILLS, SOAK_KEEP=1 (keep the directory),
#        SOAK_TIMEOUT (s, default 3600), TMPDIR (needs ~5 GB at 100k)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
BIN=${MG_BIN:-$BUILD/musicgen}
N=${SOAK_COUNT:-100000}
KILLS=${SOAK_WORKER_KILLS:-4}
LIMIT=${SOAK_TIMEOUT:-3600}
SEED=2024
export MUSICGEN_DATA_DIR="$SRC"
for v in $(env | sed -n 's/^\(MUSICGEN_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = MUSICGEN_DATA_DIR ] || unset "$v"
done
[ -x "$BIN" ] || { echo "soak: build $BIN first (make)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/musicgen-soak.XXXXXX")
PIDS=""
cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    if [ "${SOAK_KEEP:-0}" = 1 ]; then
        echo "soak: kept $T"
    else
        rm -rf "$T"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$T" || exit 1
die() { echo "SOAK FAIL: $*" >&2; tail -n 3 coord*.log >&2 2>/dev/null; exit 1; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.1f'; }
T0=$(now)
END=$(( $(date +%s) + LIMIT ))
in_time() { [ "$(date +%s)" -lt "$END" ] || die "over the time limit of $LIMIT s"; }

# done rows in the ledger (read-only; WAL lets it read beside the writer)
done_rows() {
    "$BIN" status --ledger ledger.sqlite 2>/dev/null |
        sed -n 's/^done: \([0-9]*\)\/.*/\1/p'
}
wait_done() {    # wait_done ROWS: until the ledger holds ROWS rows
    while :; do
        d=$(done_rows); d=${d:-0}
        [ "$d" -ge "$1" ] && return 0
        kill -0 "$CPID" 2>/dev/null || return 1
        in_time
        sleep 0.5
    done
}

ARGS="--seed $SEED --count $N --out ds --ledger ledger.sqlite \
--output-mode midi-only --shard-width 3 --chunk 64 --heartbeat-ms 500 \
--progress-ms 10000"
start_coord() {
    rm -f ep.txt
    # shellcheck disable=SC2086
    "$BIN" coordinator $ARGS --bind "$1" --endpoint-file ep.txt \
        2>>"coord$2.log" &
    CPID=$!
    PIDS="$PIDS $CPID"
    i=0
    while [ ! -s ep.txt ]; do
        i=$((i + 1)); [ $i -gt 600 ] && die "coordinator did not bind"
        sleep 0.05
    done
    EP=$(cat ep.txt)
}
start_worker() {    # start_worker SLOT: sets W<SLOT>
    "$BIN" worker --connect "$EP" --out ds --identity "soak-$1" \
        --idle-timeout 120 2>>"worker$1.log" &
    eval "W$1=$!"
    PIDS="$PIDS $!"
}

echo "soak: $N midi-only samples, 2 workers on loopback, $KILLS worker kills, 1 coordinator kill ($T)"
start_coord 'tcp://127.0.0.1:*' 1
start_worker a
start_worker b
# kill points spread over the run; the coordinator dies at half way
k=1
coord_killed=0
faults=0
# a fault only while there is work left (a short soak may outrun them)
running() { d=$(done_rows); [ "${d:-0}" -lt "$N" ] && kill -0 "$CPID" 2>/dev/null; }
while [ $k -le "$KILLS" ]; do
    at=$(( N * k / (KILLS + 2) ))
    if [ $coord_killed = 0 ] && [ "$at" -ge $(( N / 2 )) ]; then
        wait_done $(( N / 2 )) || die "coordinator exited before half way"
        running || break
        kill -9 "$CPID"; wait "$CPID" 2>/dev/null
        faults=$((faults + 1))
        t=$(now)
        start_coord "$EP" 2
        grep -q resuming coord2.log || die "restarted coordinator did not resume"
        echo "soak: killed -9 the coordinator at $(done_rows)/$N; restarted in $(secs "$t" "$(now)") s"
        coord_killed=1
        continue
    fi
    wait_done "$at" || die "coordinator exited early (at kill $k)"
    running || break
    if [ $((k % 2)) = 1 ]; then s=a; else s=b; fi
    eval "p=\$W$s"
    kill -9 "$p"; wait "$p" 2>/dev/null
    faults=$((faults + 1))
    echo "soak: killed -9 worker $s at $(done_rows)/$N"
    sleep 1     # its leases stay held by its name until it comes back
    start_worker $s
    k=$((k + 1))
done
[ "$faults" -eq $((KILLS + 1)) ] ||
    echo "soak: the run finished before the faults: $faults of $((KILLS + 1)) done (a larger SOAK_COUNT)"
# the end: coordinator exits 0 with the manifest, workers exit 0
while kill -0 "$CPID" 2>/dev/null; do in_time; sleep 1; done
wait "$CPID" || die "coordinator exit status $?"
for s in a b; do
    eval "p=\$W$s"
    i=0
    while kill -0 "$p" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 600 ] && die "worker $s did not exit"
        sleep 0.1
    done
    wait "$p" || die "worker $s exit status $?"
done
T1=$(now)
run_s=$(secs "$T0" "$T1")
echo "soak: run complete in $run_s s ($(echo "$N / $run_s" | bc) samples/s with the faults)"
grep -h "lost\|re-queued" coord*.log | head -3 | sed 's/^/    /'

# checks: one manifest row per index, sample.json everywhere
rows=$(wc -l <ds/manifest.jsonl)
[ "$rows" -eq "$N" ] || die "manifest has $rows rows, want $N"
t=$(now)
/usr/bin/python3 "$SRC/tests/tools/check_dataset.py" ds --global-seed $SEED \
    --count "$N" --shard-width 3 --no-midi-check >check.txt 2>&1 \
    || { head -20 check.txt; die "check_dataset"; }
/usr/bin/python3 - ds <<'PYEOF' || die "sample directories without sample.json"
import os, sys
root, bad, n = sys.argv[1], [], 0
for shard in os.scandir(root):
    if shard.name.startswith(".") or not shard.is_dir():
        continue
    for d in os.scandir(shard.path):
        if d.name.startswith("."):
            continue
        n += 1
        if not os.path.exists(os.path.join(d.path, "sample.json")):
            bad.append(d.path)
if bad:
    print("without sample.json:", bad[:5]); sys.exit(1)
print("soak: %d sample directories, each with sample.json" % n)
PYEOF
echo "soak: checks passed in $(secs "$t" "$(now)") s (check_dataset.py: one row per index, seeds, splits, schema)"

# the resume-time disk check of `generate` over every row of the ledger
mkdir -p ds/.musicgen
cp ledger.sqlite ds/.musicgen/ledger.sqlite
GEN="--seed $SEED --count $N --out ds --output-mode midi-only --shard-width 3 --workers 2"
t=$(now)
# shellcheck disable=SC2086
"$BIN" generate $GEN 2>gen1.log || { cat gen1.log; die "generate on the complete run"; }
echo "soak: generate on the complete run (disk check of $N rows): $(secs "$t" "$(now)") s"
grep -q "$N ok" gen1.log || { cat gen1.log; die "generate did not find the run complete"; }
gone=""
for i in 7 $((N / 2)) $((N - 1)); do
    p=$(printf '%06d' "$i"); p="ds/$(echo "$p" | cut -c1-3)/$p"
    rm -rf "$p"
    gone="$gone $p"
done
t=$(now)
# shellcheck disable=SC2086
"$BIN" generate $GEN 2>gen2.log || { cat gen2.log; die "generate after removals"; }
echo "soak: generate after removing 3 samples: $(secs "$t" "$(now)") s"
for p in $gone; do
    [ -f "$p/sample.json" ] || die "removed sample $p was not made again"
done
rows=$(wc -l <ds/manifest.jsonl)
[ "$rows" -eq "$N" ] || die "manifest has $rows rows after the re-run, want $N"
echo "soak: passed: $N samples, $faults kills -9 (of workers and coordinator), run $run_s s, total $(secs "$T0" "$(now)") s"
