# dist_kill_worker — kill -9 of a worker mid-run: its leases expire, the
# other worker redoes them, the run completes with one manifest row per
# index and no sample directory without sample.json.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=200
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=15
start_coord coord.log --seed 5 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 16 \
    --heartbeat-ms 200
"$MG_BIN" worker --connect "$EP" --out ds 2>w1.log &
W1=$!
"$MG_BIN" worker --connect "$EP" --out ds 2>w2.log &
W2=$!
wait_for 60 have_samples ds 40 || die "no progress before the kill"
kill -9 $W1
wait $W1 2>/dev/null
wait_exit $CPID 120 || die "coordinator did not finish after the kill ($(tail -1 coord.log))"
wait_exit $W2 30 || die "surviving worker did not exit 0"
grep -q "lost" coord.log || die "coordinator never noticed the dead worker"
check_run ds 5 $N || die "run after a worker kill"
echo "worker kill -9 survived"
