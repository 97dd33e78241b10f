# dist_kill_coordinator — kill -9 of the coordinator mid-run, restart on
# the same ledger and port: the workers reconnect, re-send what was not
# acknowledged, and the run completes with one row per index. The restart
# grows the run (a larger --count): the workers that stayed up work on
# into it (before, each exited 1: "the coordinator now serves a
# different run"). Restarted on another --out, the old root's workers are
# turned away; restarted with other options, a worker is told which.
# While it is down, clean keeps the samples its workers are making.
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
# While the coordinator is down its workers still make samples, and the
# run lock is free: clean keeps the .tmp-* of samples being made (another
# host's while workers hold the root's writers lock, this host's while the
# pid it names runs) and removes what no writer makes. It removed a live
# worker's .tmp-*, whose sample became a failed row. (The two workers'
# own .tmp-* of the samples they are on may be kept too: counted, their
# number is the moment's.)
H=$(hostname | cut -c1-40 | tr -c 'A-Za-z0-9._\n' '_')
mkdir ds/.tmp-000998-elsewhere-77 "ds/.tmp-000997-$H-$$" ds/000996
"$MG_BIN" clean --failed --out ds > clean1.log || die "clean with workers up: $(cat clean1.log)"
grep -qx "kept ds/.tmp-000998-elsewhere-77 (workers of a run are writing this tree)" clean1.log &&
    grep -qx "kept ds/.tmp-000997-$H-$$ (its writer runs on this host)" clean1.log &&
    grep -qx "removed ds/000996" clean1.log &&
    grep -Eqx "kept [0-9]+ \.tmp-\* directories of samples being made: clean again once the workers writing ds have stopped" clean1.log ||
    die "clean with workers up: $(cat clean1.log)"
[ -d ds/.tmp-000998-elsewhere-77 ] && [ ! -e ds/000996 ] || die "clean with workers up: the tree"
rm -rf ds/.tmp-000998-elsewhere-77 "ds/.tmp-000997-$H-$$"
# A different run on the same ledger is refused, naming the difference as
# the option typed; the larger --count is no difference (alone it would
# grow the run: tests/system/generate_grow.sh), so it is not named.
"$MG_BIN" coordinator --seed 9 --count 300 --max-attempts 2 --out ds --ledger led.sqlite \
    --output-mode midi-only --chunk 16 --bind 'tcp://127.0.0.1:*' \
    2>refused.log && die "a different run on the ledger was accepted"
grep -q "holds a different run (--max-attempts: ledger has 1, asked for 2);" refused.log &&
    ! grep -q "count" refused.log || { cat refused.log; die "refusal: $(cat refused.log)"; }
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
# no worker left: clean removes another host's .tmp-* (it cannot ask
# that host) and this host's whose writer is gone
sh -c 'exit 0' & DEAD=$!
wait $DEAD
mkdir ds/.tmp-000998-elsewhere-77 "ds/.tmp-000997-$H-$DEAD"
"$MG_BIN" clean --failed --out ds > clean2.log || die "clean, workers gone: $(cat clean2.log)"
grep -qx "removed 2 partial directories in ds" clean2.log || die "clean, workers gone: $(cat clean2.log)"
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
# restarted with other options (a new ledger and root), the worker that
# stayed up is told which differ (before: "serves a different run" alone)
A3="--count 200 --output-mode midi-only --heartbeat-ms 200"
# shellcheck disable=SC2086
start_coord coord5.log --seed 4 $A3 --out o5 --ledger led5.sqlite \
    --bind 'tcp://127.0.0.1:*'
"$MG_BIN" worker --connect "$EP" --out o5 2>w5.log &
W5=$!
wait_for 60 have_samples o5 5 || die "no progress before the third kill"
kill -9 $CPID
wait $CPID 2>/dev/null
# shellcheck disable=SC2086
start_coord coord6.log --seed 5 $A3 --out o6 --ledger led6.sqlite --bind "$EP"
wait_exit $W5 60
rc=$?
[ $rc -eq 1 ] || { cat w5.log; die "the worker of the other run: exit $rc, not 1"; }
grep -q "^musicgen worker: the coordinator now serves a different run (--seed was 4, now 5); restart this worker for it$" w5.log ||
    { cat w5.log; die "the worker of the other run: no difference named"; }
kill $CPID
wait $CPID 2>/dev/null
echo "coordinator kill -9 survived"
