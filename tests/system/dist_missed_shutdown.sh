# dist_missed_shutdown — a worker that is away when the run ends (here
# stopped with SIGSTOP, as a paused VM or a long network cut would be)
# misses the coordinator's SHUTDOWN; resumed, it finds the run-complete
# mark the coordinator left in the run root (.musicgen/complete, naming
# the run) and exits 0 at once, instead of retrying the closed port until
# its idle timeout. A mark naming another run is ignored.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=40
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=20
start_coord coord.log --seed 6 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 4 \
    --heartbeat-ms 200
# (w1's idle timeout passes while it is stopped: the mark still ends it
# with exit 0, not "giving up"; 3 s, not less, so that a loaded machine's
# pause while it runs is no timeout, and it is kept stopped past it below)
"$MG_BIN" worker --connect "$EP" --out ds --idle-timeout 3 --identity w1 \
    2>w1.log &
W1=$!
"$MG_BIN" worker --connect "$EP" --out ds --idle-timeout 120 --identity w2 \
    2>w2.log &
W2=$!
wait_for 60 have_samples ds 8 || die "no progress"
# both away until the coordinator has given w1 up (so it will never send
# it SHUTDOWN, however fast the rest of the run goes); then w2 alone ends
# the run while w1 stays stopped
kill -STOP $W1 $W2
stopped=$(date +%s)
wait_for 60 grep -q "worker w1 lost" coord.log || die "w1 never declared lost"
kill -CONT $W2
wait_exit $CPID 120 || die "coordinator did not finish ($(tail -1 coord.log))"
wait_exit $W2 30 || die "the running worker did not exit 0"
grep -qx '{"global_seed":6,"start":0,"count":40}' ds/.musicgen/complete ||
    die "no run-complete mark naming the run: $(cat ds/.musicgen/complete)"
while [ $(( $(date +%s) - stopped )) -lt 5 ]; do sleep 0.2; done
t0=$(date +%s)
kill -CONT $W1
wait_exit $W1 30 || die "the resumed worker did not exit 0 ($(tail -2 w1.log))"
[ $(( $(date +%s) - t0 )) -lt 30 ] || die "the resumed worker waited"
grep -q "run complete (.*/.musicgen/complete" w1.log ||
    die "the resumed worker did not say why it stopped: $(tail -2 w1.log)"
check_run ds 6 $N || die "run check"

# a mark of another run is not this run's end: the worker keeps trying
# (and gives up only at its idle timeout)
start_coord coord2.log --seed 7 --count 16 --out ds2 --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 2 \
    --heartbeat-ms 200
"$MG_BIN" worker --connect "$EP" --out ds2 --idle-timeout 3 --identity w3 \
    2>w3.log &
W3=$!
"$MG_BIN" worker --connect "$EP" --out ds2 --identity w4 2>w4.log &
W4=$!
wait_for 60 have_samples ds2 2 || die "no progress (run 2)"
kill -STOP $W3 $W4
wait_for 60 grep -q "worker w3 lost" coord2.log || die "w3 never declared lost"
kill -CONT $W4
wait_exit $CPID 120 || die "coordinator 2 did not finish"
wait_exit $W4 30 || die "worker 4 did not exit 0"
echo '{"global_seed":99,"start":0,"count":8}' > ds2/.musicgen/complete
kill -CONT $W3
wait_exit $W3 30 && die "a mark of another run ended the worker"
grep -q "giving up" w3.log || die "worker 3: $(tail -2 w3.log)"
echo "missed SHUTDOWN: the run-complete mark ends the worker"
