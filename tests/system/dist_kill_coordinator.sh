# dist_kill_coordinator — kill -9 of the coordinator mid-run, restart on
# the same ledger and port: the workers reconnect, re-send what was not
# acknowledged, and the run completes with one row per index. The restart
# grows the run (a larger --count): the workers that stayed up work on
# into it (before, each exited 1: "the coordinator now serves a
# different run"). Restarted on another --out, the old root's workers are
# turned away.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=200
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=15
ARGS="--seed 9 --count $N --out ds --ledger led.sqlite --output-mode midi-only --chunk 16 --heartbeat-ms 200"
start_coord coord1.log $ARGS --bind 'tcp://127.0.0.1:*'
"$MG_BIN" worker --connect "$EP" --out ds 2>w1.log &
W1=$!
"$MG_BIN" worker --connect "$EP" --out ds 2>w2.log &
W2=$!
wait_for 60 have_samples ds 40 || die "no progress before the kill"
kill -9 $CPID
wait $CPID 2>/dev/null
# A different run on the same ledger is refused, naming the difference
# (a larger --count alone would grow the run: tests/system/generate_grow.sh).
"$MG_BIN" coordinator --seed 9 --count 300 --max-attempts 2 --out ds --ledger led.sqlite \
    --output-mode midi-only --chunk 16 --bind 'tcp://127.0.0.1:*' \
    2>refused.log && die "a different run on the ledger was accepted"
grep -q "count" refused.log || { cat refused.log; die "refusal does not name count"; }
N2=$((N + 60))
# shellcheck disable=SC2086
start_coord coord2.log $(echo "$ARGS" | sed "s/--count $N/--count $N2/") --bind "$EP"
grep -q "resuming" coord2.log || die "restart did not resume"
grep -q "growing the run: samples 0..$((N - 1)) -> 0..$((N2 - 1))" coord2.log ||
    die "restart did not grow the run"
wait_exit $CPID 120 || die "restarted coordinator did not finish ($(tail -1 coord2.log))"
wait_exit $W1 30 || die "worker 1 did not exit 0 ($(tail -1 w1.log))"
wait_exit $W2 30 || die "worker 2 did not exit 0 ($(tail -1 w2.log))"
grep -q "the run grew to $N2 samples" w1.log || die "worker 1 did not take the grown run"
check_run ds 9 $N2 || die "run after a coordinator kill"
# restarted on another --out (moved, or a typo): the old root's serving
# mark goes, so the worker that stayed up there is turned away at its next
# RUN instead of working on into a root whose samples no manifest lists
A2="--seed 4 --count 200 --ledger led2.sqlite --output-mode midi-only --heartbeat-ms 200"
# shellcheck disable=SC2086
start_coord coord3.log $A2 --out old --bind 'tcp://127.0.0.1:*'
"$MG_BIN" worker --connect "$EP" --out old 2>w3.log &
W3=$!
wait_for 60 have_samples old 5 || die "no progress before the second kill"
kill -9 $CPID
wait $CPID 2>/dev/null
# shellcheck disable=SC2086
start_coord coord4.log $A2 --out new --bind "$EP"
wait_exit $W3 60
rc=$?
[ $rc -eq 2 ] || { cat w3.log; die "the worker on the old root: exit $rc, not 2"; }
grep -q "old is not the output root of the run" w3.log || { cat w3.log; die "no reason given"; }
grep -q "the run's output root was .*/old, now .*/new" coord4.log || die "the move is not logged"
"$MG_BIN" worker --connect "$EP" --out new 2>w4.log || die "worker on the new root"
wait_exit $CPID 60 || die "coordinator on the new root did not finish"
check_run new 4 200 || die "the run on its new root"
echo "coordinator kill -9 survived"
