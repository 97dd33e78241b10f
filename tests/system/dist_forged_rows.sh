# dist_forged_rows — a peer that speaks the protocol and holds a real
# lease forges rows (wrong seed, a foreign run's seed, an index outside
# its lease or the run, leases never granted to it, score 1e300, negative
# and huge durations, attempt 0 and 1,000,000, a wrong split, error text
# where none belongs): every one is refused (never acknowledged), as is
# a row for a lease of the identity a routing id had before, and one on a
# lease never granted that a JOIN listed as its own, the
# peer is dropped and its identity refused, and the run, finished by an
# honest worker, ends with the manifest of an honest run: every column
# byte for byte except wrote_at (the wall clock of the commit), which is
# stripped from both before comparing.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=24
FORGER="$MG_BUILD/tools/row_forger"
start_coord coord.log --seed 21 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only
"$FORGER" "$EP" >forger.txt 2>&1 || die "forger: $(tail -1 forger.txt)"
cat forger.txt
grep -q "refused 16 forged rows" forger.txt || die "forger was not dropped at 16 rows"
# a routing id reused by another identity (one socket says HELLO as
# "first", takes a lease, then HELLO as "second"): the id is second's, so
# its row for first's lease is refused, not taken for first's
"$PEER" "$EP" rehello >rehello.txt 2>&1 || die "rehello: $(tail -1 rehello.txt)"
grep "rejected a row from second" coord.log | grep -q "is not this worker's" ||
    die "second's row for first's lease: $(grep -i second coord.log)"
# a JOIN listing a lease never granted, as a worker back from a restart
# of the coordinator lists its leases, is not adopted: the true row for
# its index is not acknowledged (any lease listed was adopted, and the
# manifest listed a sample the peer never made)
"$PEER" "$EP" claim >claim.txt 2>&1 || die "claim: $(tail -1 claim.txt)"
grep -q "did not adopt lease 1 of claimer (1 samples from 0): the ledger has no such lease" \
    coord.log || die "the claimed lease: $(grep -i claimer coord.log)"
"$MG_BIN" worker --connect "$EP" --out ds 2>w.log || die "honest worker failed ($(tail -2 w.log))"
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
n=$(grep -c "rejected a row from forger" coord.log)
[ "$n" -eq 16 ] || die "expected 16 rejected rows logged, got $n"
grep -q "dropped worker forger" coord.log || die "no line says the forger was dropped"
for why in "is not the run's" "is not in lease" "was never granted" \
    "not in \[0, 1\]" "duration" "attempt 1000000 not in" "attempt 0 not in" \
    "split" "carries an error" "without its error" "outside the run"; do
    grep "rejected a row from forger" coord.log | grep -q -- "$why" \
        || die "no rejection says '$why'"
done
check_run ds 21 $N || die "run check"
"$MG_BIN" generate --seed 21 --count $N --out ref --output-mode midi-only -q \
    || die "honest reference run failed"
sed 's/,"wrote_at":"[^"]*"//' ds/manifest.jsonl >a.jsonl
sed 's/,"wrote_at":"[^"]*"//' ref/manifest.jsonl >b.jsonl
[ "$(wc -l <a.jsonl)" -eq $N ] || die "manifest has $(wc -l <a.jsonl) rows"
cmp a.jsonl b.jsonl || die "manifest differs from an honest run's"
grep -q '"wrote_at"' ds/manifest.jsonl || die "no wrote_at column to strip"
echo "forged rows refused; manifest equals an honest run's"
