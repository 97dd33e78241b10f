# dist_durable — `--durable yes` (the coordinator's default) makes an
# acknowledged row survive power loss, and `--durable no` does not pay for
# it. Observed from outside: an LD_PRELOAD shim (tests/tools/shim/
# fsync_log.c) logs the path of every successful fsync/fdatasync of the
# real worker and coordinator processes.
#   durable: every file of every sample, its directory and the run root
#   were synced by the worker (before its ROW: sync_sample runs before
#   the row is posted), and the coordinator synced its ledger's WAL at
#   least once per committed batch (synchronous=FULL);
#   not durable: the worker synced no sample file at all.
# The same for `worker --static` (its --durable, default yes), where the
# slice file then names only samples that reached the disk.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
SHIM=$MG_BUILD/tools/fsync_log.so
[ -f "$SHIM" ] || die "$SHIM not built (make unit)"
N=4
# the shim loads before the ASan runtime: tell ASan that is intended
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

run() { # NAME DURABLE
    rm -f "$1.clog" "$1.wlog"
    MG_FSYNC_LOG=$PWD/$1.clog LD_PRELOAD=$SHIM start_coord "$1.coord.log" \
        --seed 8 --count $N --out "$1" --ledger "$1.sqlite" \
        --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 \
        --output-mode midi-only --durable "$2"
    MG_FSYNC_LOG=$PWD/$1.wlog LD_PRELOAD=$SHIM "$MG_BIN" worker \
        --connect "$EP" --out "$1" 2>"$1.w.log" ||
        die "worker failed ($(tail -2 "$1.w.log"))"
    wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 "$1.coord.log"))"
    check_run "$1" 8 $N || die "$1: run check"
}

run dur yes
root=$(cd dur && pwd -P)
[ -s dur.wlog ] || die "durable: the worker synced nothing"
missing=0
for d in "$root"/[0-9]*; do
    for f in "$d" $(find "$d" -mindepth 1); do
        grep -qxF "fsync $f" dur.wlog || { echo "not synced: $f"; missing=$((missing + 1)); }
    done
done
[ "$missing" -eq 0 ] || die "durable: $missing path(s) of finished samples never synced"
grep -qxF "fsync $root" dur.wlog || die "durable: the run root never synced"
# the ledger: SQLite in WAL mode syncs the WAL on every commit only with
# synchronous=FULL
wal=$(grep -c "dur.sqlite-wal\$" dur.clog)
echo "durable: $(wc -l < dur.wlog) worker syncs, $wal ledger WAL syncs"
[ "$wal" -ge 1 ] || die "durable: the coordinator never synced its WAL"

run lax no
root=$(cd lax && pwd -P)
touch lax.wlog lax.clog     # the shim creates them on the first sync only
n=$(grep -cF "fsync $root/" lax.wlog)
echo "not durable: $(wc -l < lax.wlog) worker syncs," \
    "$(grep -c 'lax.sqlite-wal$' lax.clog) ledger WAL syncs"
[ "$n" -eq 0 ] || die "--durable no: the worker synced $n sample path(s)"
echo "durable mode syncs, --durable no does not"

# static mode (no coordinator): the same promise for the slice file
static() { # NAME DURABLE
    MG_FSYNC_LOG=$PWD/$1.wlog LD_PRELOAD=$SHIM "$MG_BIN" worker --static \
        --array-index 0 --array-size 1 --seed 8 --count 3 --out "$1" \
        --output-mode midi-only --durable "$2" 2>"$1.w.log" ||
        die "static worker failed ($(tail -2 "$1.w.log"))"
    touch "$1.wlog"
}
static st yes
root=$(cd st && pwd -P)
for d in "$root"/[0-9]*; do
    for f in "$d" $(find "$d" -mindepth 1); do
        grep -qxF "fsync $f" st.wlog || die "static durable: $f never synced"
    done
done
[ "$(ls -d "$root"/[0-9]* | wc -l)" -eq 3 ] || die "static: not 3 samples"
grep -q "fsync $root/.musicgen/slices/slice-0-of-1.jsonl.tmp" st.wlog ||
    die "static durable: the slice file never synced"
static stl no
n=$(grep -cF "fsync $(cd stl && pwd -P)/0" stl.wlog)
[ "$n" -eq 0 ] || die "static --durable no: $n sample path(s) synced"
"$MG_BIN" worker --connect tcp://127.0.0.1:1 --out x --durable yes 2>e.txt &&
    die "--durable without --static accepted"
grep -q "goes with --static" e.txt || die "message: $(cat e.txt)"
[ "$(wc -l < e.txt)" -eq 1 ] || die "more than one line: $(cat e.txt)"
echo "static durable ok"
