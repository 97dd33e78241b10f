# dist_tail — the end of a run is balanced: once what is left fits the
# tail window (8 samples per job), a coordinator (worker --jobs 2) and
# the embedded `generate --workers 2` hand out one sample per lease,
# longest estimated song first, each estimate the sample's real
# duration; a job gets its next tail sample only once its sample in
# hand is done; every index is leased once; and the order changes no
# byte: samples and manifest (wrote_at aside) equal a run with fixed
# leases (--chunk). Behaviour only, never speed (bench_dist has that).
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=24
# samples that take a while, so the two jobs overlap for real
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=100
TC="$PY $TOOLS/tail_check.py"

start_coord coord.log --seed 9 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only -v
"$MG_BIN" worker --connect "$EP" --out ds --jobs 2 2>w.log || die "worker failed ($(tail -2 w.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
check_run ds 9 $N || die "run check"
grep -q "go out one at a time, longest first" coord.log || die "no tail: $(grep -c 'lease ' coord.log) leases"
$TC coord.log led.sqlite ds 2 || die "coordinator's tail ($(grep 'lease ' coord.log | tail -3))"

"$MG_BIN" generate --seed 9 --count $N --out gen --workers 2 \
    --output-mode midi-only -v 2>gen.log || die "generate failed ($(tail -2 gen.log))"
check_run gen 9 $N || die "run check (generate)"
$TC gen.log gen/.musicgen/ledger.sqlite gen 2 || die "generate's tail ($(grep 'lease ' gen.log | tail -3))"

start_coord coord2.log --seed 9 --count $N --out fixed --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only \
    --chunk 4 -v
"$MG_BIN" worker --connect "$EP" --out fixed --jobs 2 2>w2.log || die "worker failed ($(tail -2 w2.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord2.log))"
check_run fixed 9 $N || die "run check (--chunk)"
grep -q "tail, estimate" coord2.log && die "--chunk 4 has a tail: fixed leases must stay fixed"
for d in ds gen; do
    same_samples fixed 0 $d 0 $N || die "$d: samples differ from the --chunk run"
    sed 's/,"wrote_at":"[^"]*"//' fixed/manifest.jsonl >a.jsonl
    sed 's/,"wrote_at":"[^"]*"//' $d/manifest.jsonl >b.jsonl
    cmp a.jsonl b.jsonl || die "$d: manifest differs from the --chunk run's"
done
echo "tail: longest first in the coordinator and in generate; bytes unchanged"
