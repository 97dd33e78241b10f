# dist_resume_filter — the standalone coordinator, restarted on its ledger
# after `musicgen filter` moved some samples to the reject directory, keeps
# those rejects out as the embedded `generate` does (they are done: not
# made again, not back in the manifest, the reject directory untouched),
# while a sample deleted by hand (in neither place) is made again by a
# real worker. Both resumes run the same disk check (coord_setup.c), and
# the run-complete mark of the first run is gone while the second lasts.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=8
run() {
    start_coord "$1" --seed 21 --count $N --out ds --ledger led.sqlite \
        --bind 'tcp://127.0.0.1:*' --heartbeat-ms 200 --output-mode midi-only
    # a run with work to do is not complete: no run-complete mark while it
    # lasts (a stale one sent reconnecting workers home early)
    [ "$1" = coord.log ] || [ ! -e ds/.musicgen/complete ] ||
        { kill $CPID; die "resumed run with work to do still marked complete"; }
    "$MG_BIN" worker --connect "$EP" --out ds --idle-timeout 60 2>>w.log ||
        { kill $CPID 2>/dev/null; die "worker failed ($(tail -2 w.log))"; }
    wait_exit $CPID 60 || die "coordinator did not finish ($(tail -2 "$1"))"
}
run coord.log
check_run ds 21 $N || die "first run"
thr=$("$PY" -c "
import json
s = sorted(json.loads(l)['musicality_score'] for l in open('ds/manifest.jsonl'))
print((s[3] + s[4]) / 2)")
"$MG_BIN" filter ds --min-score "$thr" >f.txt || die "filter failed"
nrej=$(ls ds/rejected | grep -c '^[0-9]')
[ "$nrej" -ge 1 ] && [ "$nrej" -lt $N ] || die "filter moved $nrej of $N"
sed 's/,"wrote_at":"[^"]*"//' ds/manifest.jsonl >kept.jsonl
ls -R ds/rejected >rej-before.txt
# one kept sample deleted by hand: it must be made again
gone=$("$PY" -c "import json; print(json.loads(open('ds/manifest.jsonl').readline())['path'])")
rm -rf "ds/$gone"
run coord2.log
grep -q "$nrej sample(s) moved out by .musicgen filter. are kept out" \
    coord2.log || { cat coord2.log; die "resume did not keep the rejects out"; }
grep -q "1 sample(s) in the ledger are gone from disk" coord2.log ||
    { cat coord2.log; die "resume did not make the deleted sample again"; }
[ -f "ds/$gone/sample.json" ] || die "deleted sample $gone not made again"
[ "$(ls ds | grep -c '^[0-9]')" -eq $((N - nrej)) ] ||
    die "resume refilled the root with rejects"
sed 's/,"wrote_at":"[^"]*"//' ds/manifest.jsonl | cmp -s - kept.jsonl ||
    { diff kept.jsonl ds/manifest.jsonl; die "manifest after resume differs from filter's"; }
ls -R ds/rejected | cmp -s - rej-before.txt || die "resume touched the rejects"
"$MG_BIN" verify ds >v.txt || { cat v.txt; die "root not whole after resume"; }
echo "a resumed standalone coordinator keeps filter's rejects out"
