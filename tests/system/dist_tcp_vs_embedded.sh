# dist_tcp_vs_embedded — a coordinator and two workers on loopback TCP
# write the same MIDI and sample.json bytes as the embedded `generate`,
# and the same manifest rows (wrote_at aside); status reports completion,
# and `status --out` on the coordinator's root says where its ledger is.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=200
start_coord coord.log --seed 42 --count $N --out dist --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 16
"$MG_BIN" worker --connect "$EP" --out dist 2>w1.log &
W1=$!
"$MG_BIN" worker --connect "$EP" --out dist 2>w2.log &
W2=$!
wait_exit $CPID 120 || die "coordinator did not finish ($(tail -1 coord.log))"
wait_exit $W1 30 || die "worker 1 did not exit 0 after the run ($(tail -1 w1.log))"
wait_exit $W2 30 || die "worker 2 did not exit 0 after the run ($(tail -1 w2.log))"
grep -q "joined" w1.log && grep -q "joined" w2.log || die "a worker never joined"
"$MG_BIN" generate --seed 42 --count $N --out emb --output-mode midi-only -q \
    --workers 2 || die "embedded generate failed"
same_samples dist 0 emb 0 $N || die "distributed and embedded bytes differ"
check_run dist 42 $N || die "distributed run check"
strip() { sed 's/"wrote_at":"[^"]*"//' "$1"; }
[ "$(strip dist/manifest.jsonl)" = "$(strip emb/manifest.jsonl)" ] \
    || die "manifests differ beyond wrote_at"
"$MG_BIN" status --ledger led.sqlite >status.txt || die "status failed"
grep -q "done: $N/$N" status.txt && grep -q "state: complete" status.txt \
    || { cat status.txt; die "status does not report a complete run"; }
"$MG_BIN" status --out dist >status.txt 2>&1 && die "status --out of a coordinator's root"
grep -qx "musicgen status: dist is the root of a coordinator's run; its ledger is on the coordinator's disk: musicgen status --ledger FILE there" status.txt ||
    { cat status.txt; die "status --out of a coordinator's root: no clear line"; }
echo "distributed == embedded"
