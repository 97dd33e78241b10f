# dist_leases — leases follow the work. With default settings a worker
# `--jobs 2` on a small run gets work for both jobs (more than one lease,
# rows from both job identities), where a count-sized lease made such a
# host run serially; `--chunk K` stays a fixed override (one lease of
# the whole run, one job doing it all). Behaviour only, never speed.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=8
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=150

# jobs_of LEDGER : distinct worker identities that stored rows
jobs_of() {
    "$PY" -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(distinct worker) from samples').fetchone()[0])" "$1"
}
# granted LOG : leases granted, from the coordinator's closing line
granted() {
    sed -n 's/.*leases: \([0-9]*\) granted.*/\1/p' "$1" | tail -1
}

start_coord coord.log --seed 5 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out ds --jobs 2 2>w.log || die "worker failed ($(tail -2 w.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
check_run ds 5 $N || die "run check"
g=$(granted coord.log)
echo "default leases: $g granted, rows from $(jobs_of led.sqlite) jobs"
[ "${g:-0}" -gt 1 ] || die "only ${g:-0} lease(s) granted for $N samples and 2 jobs"
[ "$(jobs_of led.sqlite)" -eq 2 ] || die "one job did all the work: $(grep 'leases:' coord.log)"

start_coord coord2.log --seed 5 --count $N --out ds2 --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only \
    --chunk $N --no-speculate
"$MG_BIN" worker --connect "$EP" --out ds2 --jobs 2 2>w2.log || die "worker failed ($(tail -2 w2.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord2.log))"
check_run ds2 5 $N || die "run check (--chunk)"
g=$(granted coord2.log)
echo "--chunk $N: $g granted, rows from $(jobs_of led2.sqlite) jobs"
[ "$g" -eq 1 ] || die "--chunk $N should grant one lease, granted $g"
[ "$(jobs_of led2.sqlite)" -eq 1 ] || die "--chunk $N: rows from more than one job"
cmp ds/manifest.jsonl ds2/manifest.jsonl >/dev/null 2>&1 || {
    sed 's/,"wrote_at":"[^"]*"//' ds/manifest.jsonl >a.jsonl
    sed 's/,"wrote_at":"[^"]*"//' ds2/manifest.jsonl >b.jsonl
    cmp a.jsonl b.jsonl || die "the two runs' manifests differ"
}
echo "leases: both jobs busy by default; --chunk overrides"
