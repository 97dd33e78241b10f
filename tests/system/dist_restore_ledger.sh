# dist_restore_ledger — the coordinator is killed and restarted on an
# older copy of its ledger (a restored backup: rows it had acknowledged
# are gone from it) while its worker stays up. The run must still finish:
# leases are renewed only by work done on them, the worker declares the
# leases it still works on when it joins again, and the restarted
# coordinator re-derives what is done from the rows and from the disk
# (a sample.json with the run's seed is a row). Before, the chunk stayed
# leased to the live worker for ever and the run stalled.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=12
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=250
start_coord coord.log --seed 33 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only
PORT=${EP##*:}
"$MG_BIN" worker --connect "$EP" --out ds --idle-timeout 60 2>w.log &
W=$!
wait_for 60 have_samples ds 3 || die "no samples ($(tail -1 w.log))"
# a consistent copy of the live ledger, as a backup tool makes it
"$PY" -c "import sqlite3; s = sqlite3.connect('led.sqlite'); d = sqlite3.connect('old.sqlite'); s.backup(d); d.close()" \
    || die "cannot copy the ledger"
old=$("$PY" -c "import sqlite3; print(sqlite3.connect('old.sqlite').execute('select count(*) from samples').fetchone()[0])")
want=$((old + 4)); [ $want -le $((N - 2)) ] || want=$((N - 2))
wait_for 60 have_samples ds $want || die "the run did not go on ($(tail -1 w.log))"
kill -9 $CPID
wait $CPID 2>/dev/null
cp old.sqlite led.sqlite
rm -f led.sqlite-wal led.sqlite-shm
echo "restored a ledger with $old rows; $(samples ds) samples on disk"
unset MUSICGEN_FAULT_SAMPLE_DELAY_MS
start_coord coord2.log --seed 33 --count $N --out ds --ledger led.sqlite \
    --bind "tcp://127.0.0.1:$PORT" --heartbeat-ms 200 --output-mode midi-only
wait_exit $CPID 60 || { kill $CPID $W 2>/dev/null; die "the restarted coordinator stalled ($(tail -1 coord2.log))"; }
wait_exit $W 30 || die "worker did not exit 0 ($(tail -2 w.log))"
grep -E "complete on disk had no row|adopted lease" coord2.log \
    || die "the restarted coordinator neither re-derived rows from disk nor adopted the worker's leases"
check_run ds 33 $N || die "run check"
"$MG_BIN" generate --seed 33 --count $N --out ref --output-mode midi-only -q \
    || die "reference run failed"
sed 's/,"wrote_at":"[^"]*"//' ds/manifest.jsonl >a.jsonl
sed 's/,"wrote_at":"[^"]*"//' ref/manifest.jsonl >b.jsonl
cmp a.jsonl b.jsonl || die "manifest differs from an uninterrupted run's"
echo "a coordinator restarted on an older ledger finishes the run"
