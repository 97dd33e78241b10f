# dist_steal — the coordinator's work stealing: one worker holds the whole
# run as one lease (--chunk) and works through it steadily, not slowly
# enough to count as a straggler; a second worker that joins with the
# queue empty gets a copy of the back half of the samples behind the
# first one's current sample (before this, it got nothing until the first
# worker stopped making progress). Both end; the run is whole (one
# manifest row, one directory and one ledger row per index, nothing
# half-written) and every sample is byte for byte a plain generate's.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=100
start_coord coord.log --seed 6 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only \
    --chunk $N -v
MUSICGEN_FAULT_SAMPLE_DELAY_MS=40 "$MG_BIN" worker --connect "$EP" \
    --out ds --jobs 1 2> steady.log &
STEADY=$!
wait_for 30 have_samples ds 5 || die "the first worker made nothing ($(tail -2 steady.log))"
"$MG_BIN" worker --connect "$EP" --out ds --jobs 1 2> late.log ||
    die "the second worker failed ($(tail -2 late.log))"
wait_exit $STEADY 60 || die "the first worker did not end ($(tail -2 steady.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
"$PY" - coord.log $N <<'PYEOF' || die "no copy of the back half ($(grep 'lease ' coord.log | tail -3))"
import re, sys
log, n = open(sys.argv[1]).read(), int(sys.argv[2])
copies = re.findall(r"(\d+) samples? from (\d+), a copy of lease", log)
assert len(copies) == 1, copies
count, first = int(copies[0][0]), int(copies[0][1])
# the back half of what was behind the holder's current sample: it ends
# with the lease, and starts past its middle (a straggler's copy would
# start at the sample its holder is on)
assert first + count == n and first >= n // 2, (first, count)
print("copy: %d samples from %d" % (count, first))
PYEOF
run_whole ds led.sqlite 6 $N
echo "stealing: run whole"
