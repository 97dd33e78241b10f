# dist_generate_resume — `generate` killed with -9 mid-run (its worker
# processes go with it), then the same command again: it resumes from the
# ledger in the output directory and the dataset equals an uninterrupted
# one; samples damaged by hand afterwards (a directory removed, a
# sample.json removed) are found by the disk check and made again. Also
# the static array mode + merge gives the same dataset.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=200
MUSICGEN_FAULT_SAMPLE_DELAY_MS=15 "$MG_BIN" generate --seed 77 --count $N \
    --out ds --output-mode midi-only --workers 2 -q &
G=$!
wait_for 60 have_samples ds 40 || die "no progress before the kill"
kill -9 $G
wait $G 2>/dev/null
# the workers die with their parent
wait_for 20 sh -c "! pgrep -f 'generat[e] --seed 77' >/dev/null" \
    || die "worker processes outlived generate"
before=$(samples ds)
[ "$before" -lt $N ] || die "the run finished before the kill"
"$MG_BIN" generate --seed 77 --count $N --out ds --output-mode midi-only \
    --workers 2 2>rerun.log || { cat rerun.log; die "re-run failed"; }
grep -q "already present" rerun.log || die "re-run final line"
check_run ds 77 $N || die "resumed run check"
"$MG_BIN" generate --seed 77 --count $N --out ref --output-mode midi-only -q \
    || die "reference run failed"
same_samples ds 0 ref 0 $N || die "resumed run differs from an uninterrupted one"
# damage by hand after the run: one sample directory removed, another's
# sample.json removed (its directory stays, incomplete). The ledger says
# both are done; the resume-time disk check must find both, and the
# re-run must make them again, byte for byte.
gone1=$(find ds -name sample.json -path '*000013*' | head -1)
gone2=$(find ds -name sample.json -path '*000157*' | head -1)
[ -n "$gone1" ] && [ -n "$gone2" ] || die "samples 13 and 157 not found"
rm -rf "$(dirname "$gone1")"
rm -f "$gone2"
"$MG_BIN" generate --seed 77 --count $N --out ds --output-mode midi-only \
    --workers 2 2>damaged.log || { cat damaged.log; die "re-run after damage failed"; }
grep -q "2 sample(s) recorded as done were gone from disk" damaged.log \
    || { cat damaged.log; die "the disk check did not report both samples"; }
[ -f "$gone1" ] && [ -f "$gone2" ] || die "damaged samples not made again"
check_run ds 77 $N || die "run check after repair"
same_samples ds 0 ref 0 $N || die "repaired run differs from an uninterrupted one"
# the same in the flat layout (no shard directories): an intact run is
# all present, a removed sample.json is found
"$MG_BIN" generate --seed 78 --count 12 --out flat --shard-width 0 \
    --output-mode midi-only -q || die "flat run failed"
"$MG_BIN" generate --seed 78 --count 12 --out flat --shard-width 0 \
    --output-mode midi-only 2>flat1.log || die "flat re-run failed"
grep -q "gone from disk" flat1.log && die "intact flat run reported gone"
rm -f flat/000005/sample.json
"$MG_BIN" generate --seed 78 --count 12 --out flat --shard-width 0 \
    --output-mode midi-only 2>flat2.log || die "flat repair failed"
grep -q "^musicgen generate: 1 sample(s) recorded as done were gone" \
    flat2.log || { cat flat2.log; die "flat: missing sample not reported"; }
[ -f flat/000005/sample.json ] || die "flat: sample 5 not made again"
# status reads the ledger and leaves the tree as it found it: no -wal
# or -shm beside a stopped run's ledger (a read-only connection made them
# and could not remove them)
ls -a flat/.musicgen > before.txt
"$MG_BIN" status --out flat > fst.txt || die "status of flat: $(cat fst.txt)"
grep -qx "state: complete" fst.txt || die "status of flat: $(cat fst.txt)"
ls -a flat/.musicgen | diff before.txt - || die "status changed flat/.musicgen"
# a sample.json cut short after the run (a copy that stopped; a power cut
# that left a renamed but never synced file empty): the sample looked
# done to the resume (a presence check) while verify named it. Now the
# check reads its end: both made again, byte for byte; one rewritten
# valid but in another layout (compact, by a user's tool) stays done
cp flat/000003/sample.json good3.json
head -c 100 good3.json > flat/000003/sample.json
: > flat/000004/sample.json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); open(sys.argv[1],"w").write(json.dumps(d))' flat/000006/sample.json
cp flat/000006/sample.json compact6.json
# and one whose seeds pass 2^63 (past jansson's integers), compacted too
big=$(/usr/bin/python3 - flat <<'PYEOF'
import json, os, sys
for i in range(7, 12):
    p = os.path.join(sys.argv[1], "%06d" % i, "sample.json")
    d = json.load(open(p))
    if max(d["seed"], d["attempt_seed"]) > 2**63 - 1:
        open(p, "w").write(json.dumps(d))
        print("%06d" % i)
        break
PYEOF
)
[ -n "$big" ] || die "flat: no sample of seed 78 has a seed past 2^63"
cp flat/$big/sample.json compactbig.json
"$MG_BIN" generate --seed 78 --count 12 --out flat --shard-width 0 \
    --output-mode midi-only 2>flat3.log || die "flat repair of cut files failed"
grep -q "^musicgen generate: 2 sample(s) recorded as done were gone from disk (no sample.json, or one cut short)" \
    flat3.log || { cat flat3.log; die "flat: cut sample.json not made again"; }
cmp -s flat/000003/sample.json good3.json || die "flat: sample 3 not made again"
[ -s flat/000004/sample.json ] || die "flat: empty sample 4 not made again"
cmp -s flat/000006/sample.json compact6.json || die "flat: a valid reformatted sample.json was made again"
cmp -s flat/$big/sample.json compactbig.json ||
    die "flat: a valid reformatted sample.json with a seed past 2^63 was made again"
"$MG_BIN" verify flat >/dev/null 2>&1 || die "flat: verify after repair of cut files"
# static mode: two array tasks, then merge
for i in 0 1; do
    "$MG_BIN" worker --static --array-index $i --array-size 2 --seed 77 \
        --count $N --out st --output-mode midi-only 2>st$i.log \
        || { cat st$i.log; die "static slice $i failed"; }
done
# a slice of another run (another seed) in this tree, or in a tree that
# generate made: refused before anything is written (it skipped the
# samples there, wrote rows of its own seed, and merge put them over a
# good manifest)
cp -R st st-keep
"$MG_BIN" worker --static --array-index 1 --array-size 2 --seed 5 \
    --count $N --out st --output-mode midi-only 2> other.log && die "a slice of another seed accepted"
grep -q "^musicgen worker: --out st holds another run (the run the tree's first static slice recorded): --seed 5, the run's 77" other.log ||
    die "a slice of another seed: $(cat other.log)"
diff -r st st-keep > /dev/null || die "a refused slice changed the tree"
rm -rf st-keep
"$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 5 --count 12 \
    --out flat --shard-width 0 --output-mode midi-only 2> other.log && die "a slice over generate's run of another seed accepted"
grep -q "holds another run (the tree's run (its ledger, from generate)): --seed 5, the run's 78" other.log ||
    die "a slice over generate's run: $(cat other.log)"
[ ! -e flat/.musicgen/slices/slice-0-of-1.jsonl ] || die "a refused slice wrote its rows"
# status and verify of the slices before the merge: which are complete,
# what merge to run
"$MG_BIN" status --out st > sst.txt || die "status of static slices: $(cat sst.txt)"
grep -qx "run: static slices (worker --static), no ledger: 2 of 2 slices complete" sst.txt &&
    grep -qx "rows: $N ($N ok, 0 failed), indices 0..$((N - 1))" sst.txt &&
    grep -qx "state: slices complete, not merged: musicgen merge --out st --count $N builds the manifest" sst.txt ||
    die "status of static slices: $(cat sst.txt)"
"$MG_BIN" verify st > ver.log && die "verify passed an unmerged tree"
grep -qx "manifest.jsonl: missing: the static slices are not merged (\`musicgen status --out st\` says which are complete; \`musicgen merge\` writes the manifest)" ver.log ||
    die "verify of unmerged slices: $(cat ver.log)"
"$MG_BIN" stats st > /dev/null 2> sts.log || die "stats of unmerged slices"
grep -qx "musicgen stats: note: st's static slices are not merged (no manifest.jsonl, so failed samples are not counted; \`musicgen status --out st\` says which slices are complete)" sts.log ||
    die "stats of unmerged slices: $(cat sts.log)"
mv st/.musicgen/slices/slice-1-of-2.jsonl slice1.keep
"$MG_BIN" status --out st > sst.txt || die "status, a slice missing"
grep -qx "missing slices: 1 (each task writes its slice's rows when it has finished it)" sst.txt &&
    grep -q "^state: incomplete, nothing writing it now" sst.txt ||
    die "status, a slice missing: $(cat sst.txt)"
# merge without --count takes the run the slices cover: refused while
# one is missing, naming it
"$MG_BIN" merge --out st 2> merge.log && die "merge with a slice missing"
grep -qx "musicgen merge: slice 1 of 2 missing: run it again (the same --array-size), then merge" merge.log ||
    die "merge with a slice missing: $(cat merge.log)"
[ ! -e st/manifest.jsonl ] || die "a refused merge wrote a manifest"
mv slice1.keep st/.musicgen/slices/slice-1-of-2.jsonl
"$MG_BIN" merge --out st 2> merge.log || die "merge failed: $(cat merge.log)"
grep -qx "merge: the run of the slices: --start 0 --count $N" merge.log ||
    die "merge without --count: $(cat merge.log)"
"$MG_BIN" status --out st > sst.txt || die "status after merge"
grep -qx "state: complete (merged into manifest.jsonl)" sst.txt || die "status after merge: $(cat sst.txt)"
# a slice written after the merge, in the same second: not merged (the
# times compared to the second said complete)
touch -d '2026-01-01 10:00:00.100' st/.musicgen/slices/slice-*.jsonl
touch -d '2026-01-01 10:00:00.200' st/manifest.jsonl
touch -d '2026-01-01 10:00:00.700' st/.musicgen/slices/slice-1-of-2.jsonl
"$MG_BIN" status --out st > sst.txt || die "status, a slice after the merge"
grep -qx "state: slices complete, merged before the last of them was written: musicgen merge --out st --count $N builds the manifest" sst.txt ||
    die "status, a slice written after the merge: $(cat sst.txt)"
touch -d '2026-01-01 10:00:00.900' st/manifest.jsonl
check_run st 77 $N || die "static run check"
same_samples st 0 ref 0 $N || die "static run differs"
# filter moves samples out; merging the slices again (a slice re-run)
# keeps them out of the manifest, as a coordinator does
"$MG_BIN" filter st --min-score 0.97 > filt.log || die "filter st: $(cat filt.log)"
moved=$(grep -c '^moved ' filt.log)
[ "$moved" -gt 0 ] && [ "$moved" -lt $N ] || die "filter moved $moved of $N"
"$MG_BIN" merge --out st --count $N 2> merge.log || die "merge again failed"
grep -qx "merged $((N - moved)) rows -> st/manifest.jsonl ($moved sample(s) moved out by \`musicgen filter\` kept out)" merge.log ||
    die "merge after filter: $(cat merge.log)"
[ "$(wc -l < st/manifest.jsonl)" -eq $((N - moved)) ] || die "manifest rows after merge"
"$MG_BIN" verify st > ver.log || die "verify after filter + merge: $(cat ver.log)"
echo "generate resume and static mode ok"
