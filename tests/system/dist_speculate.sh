# dist_speculate — a straggler's lease is copied to an idle worker once
# the queue is empty, and the copy never makes a sample twice: a worker
# that renders every sample in 3 s takes the first lease, a fast one
# takes the rest, then (nothing left) gets a copy of the straggler's; both
# end, the run is whole (one manifest row and one directory per index, no
# half-written one), and every sample is byte for byte the one a plain
# `generate` makes.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=12
start_coord coord.log --seed 5 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only \
    --chunk 4 -v
MUSICGEN_FAULT_SAMPLE_DELAY_MS=3000 "$MG_BIN" worker --connect "$EP" \
    --out ds --jobs 1 2>slow.log &
SLOW=$!
# the straggler holds the first lease before the fast worker starts
wait_for 20 grep -q "lease [0-9]* to .*: 4 samples from 0" coord.log ||
    die "the slow worker got no lease ($(tail -2 coord.log))"
MUSICGEN_FAULT_SAMPLE_DELAY_MS=20 "$MG_BIN" worker --connect "$EP" \
    --out ds --jobs 1 2>fast.log || die "fast worker failed ($(tail -2 fast.log))"
wait_exit $SLOW 60 || die "slow worker did not end ($(tail -2 slow.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
grep -q "a copy of lease" coord.log ||
    die "no copy of the straggler's lease ($(grep 'lease ' coord.log | tail -4))"
run_whole ds led.sqlite 5 $N
echo "speculation: $(grep -c 'a copy of lease' coord.log) copy/copies, run whole"
