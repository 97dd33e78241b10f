# dataset_score_filter — `musicgen score` adds the audio score to samples
# that lack it and `musicgen filter` moves rejects out (each tree's
# LICENSES.md following its samples), both killed -9 for
# real at several points (a test hook that SIGKILLs the process after its
# K-th step, and kills at random moments from outside); after each kill
# every sample is whole, in place or in the reject directory, never both;
# a re-run finishes the job: nothing lost, nothing duplicated, `verify`
# passes both trees. score with --jobs 3 writes what --jobs 1 writes. The same `generate` run again afterwards keeps the
# rejects out (not made again, not back in the manifest).
. "$MG_SRC/tests/system/lib.sh"
set -u
short="intro=1,verse=1,chorus=1,bridge=1,outro=1"
"$MG_BIN" generate --seed 11 --count 8 --out gen -q \
    --measures-per-part "$short" || die "generate failed"

# Samples without the audio layer, as an older run or another tool wrote
# them: no audio_score, the symbolic score alone, the manifest in step.
strip() {
    "$PY" - "$1" <<'PYEOF'
import json, os, sys, glob
root = sys.argv[1]
scores = {}
for p in sorted(glob.glob(os.path.join(root, "[0-9]*", "sample.json"))):
    t = open(p).read()
    d = json.loads(t)
    sym = d["musicality"]["symbolic"]["score"]
    scores[d["sample_index"]] = sym
    # edit the text, not a re-dump: keep every other byte as written;
    # audio_score (all scalars) is one line (docs/determinism.md), or an
    # indented block as older files wrote it
    start = t.index('\n  "audio_score": {') + 1
    end = t.index("\n", start) + 1
    if t[start:end].rstrip().endswith("{"):
        end = t.index("  },\n", start) + 5
    t = t[:start] + t[end:]
    t = t.replace('"combination": "0.5*symbolic+0.5*audio"', '"combination": "symbolic"')
    import re
    t = re.sub(r'\n  "musicality_score": [0-9.]+,', '\n  "musicality_score": %s,' % repr(sym), t)
    open(p, "w").write(t)
lines = open(os.path.join(root, "manifest.jsonl")).read().splitlines()
out = []
for l in lines:
    i = json.loads(l)["sample_index"]
    out.append(re.sub(r'"musicality_score":[0-9.]+', '"musicality_score":%s' % repr(scores[i]), l))
open(os.path.join(root, "manifest.jsonl"), "w").write("\n".join(out) + "\n")
PYEOF
}
# How many samples of ROOT carry an audio score; every sample.json must parse.
n_scored() {
    "$PY" - "$1" <<'PYEOF'
import json, glob, os, sys
n = 0
for p in glob.glob(os.path.join(sys.argv[1], "[0-9]*", "sample.json")):
    d = json.load(open(p))            # a torn file fails here
    n += "audio_score" in d
print(n)
PYEOF
}
cp -R gen s
strip s
"$MG_BIN" verify s > v0.txt || { cat v0.txt; die "stripped tree is not whole"; }
[ "$(n_scored s)" -eq 0 ] || die "strip left audio scores"

# --- score, killed by the hook after its 3rd sample.json ---
MUSICGEN_TEST_KILL_AFTER=3 "$MG_BIN" score s > k1.txt 2>&1; rc=$?
[ "$rc" -eq 137 ] || die "score with the kill hook exited $rc, not 137"
[ "$(n_scored s)" -eq 3 ] || die "after the kill: $(n_scored s) scored, not 3"
ls s/.manifest.jsonl.tmp-* > /dev/null 2>&1 || die "the kill came before the manifest was begun?"
# killed from outside at four moments (whatever it is doing then)
for t in 0.2 0.4 0.6 0.8; do
    "$MG_BIN" score s -q > /dev/null 2>&1 &
    pid=$!
    sleep "$t"
    kill -9 "$pid" 2>/dev/null
    wait "$pid"
    n_scored s > /dev/null || die "a sample.json is torn after a kill at $t s"
done
"$MG_BIN" score s > s1.txt || { cat s1.txt; die "re-run of score failed"; }
"$MG_BIN" score s > s2.txt || { cat s2.txt; die "second re-run of score failed"; }
grep -q "8 samples: 0 scored, 8 already scored" s2.txt || { cat s2.txt; die "second re-run summary"; }
# what the killed runs left (.manifest.jsonl.tmp-<host>-<pid>) is gone
[ -z "$(ls -a s | grep 'manifest.jsonl.tmp')" ] || die "killed runs' temporaries stayed: $(ls -a s)"
[ "$(n_scored s)" -eq 8 ] || die "not every sample scored"
"$MG_BIN" verify s > v1.txt || { cat v1.txt; die "scored tree is not whole"; }
# the post-hoc score is the engine's (within the 16-bit WAV's rounding)
"$PY" - gen s <<'PYEOF' || die "post-hoc scores differ from the engine's"
import json, glob, os, sys
for p in glob.glob(os.path.join(sys.argv[1], "[0-9]*", "sample.json")):
    a = json.load(open(p))
    b = json.load(open(p.replace(sys.argv[1], sys.argv[2], 1)))
    assert abs(a["musicality_score"] - b["musicality_score"]) <= 0.002, (p, a["musicality_score"], b["musicality_score"])
PYEOF
"$MG_BIN" score s --force -q > /dev/null || die "score --force failed"
"$MG_BIN" verify s > /dev/null || die "tree not whole after --force"
# threads analysing ahead (--jobs) change nothing: the same files, log
# and manifest as with none
cp -R s sj1 && cp -R s sj3
"$MG_BIN" score sj1 --force -j 1 > j1.txt || die "score -j 1 failed"
"$MG_BIN" score sj3 --force -j 3 > j3.txt || die "score -j 3 failed"
diff -r sj1 sj3 > /dev/null || die "score -j 3 wrote other files than -j 1"
sed 's/sj1/X/' j1.txt > j1n.txt && sed 's/sj3/X/' j3.txt > j3n.txt
cmp j1n.txt j3n.txt || die "score -j 3 logged otherwise than -j 1"

# --- filter ---
thr=$("$PY" -c "
import json
s = sorted(json.loads(l)['musicality_score'] for l in open('s/manifest.jsonl'))
print((s[3] + s[4]) / 2)")
below=$("$PY" -c "
import json
print(sum(json.loads(l)['musicality_score'] < $thr for l in open('s/manifest.jsonl')))")
[ "$below" -eq 4 ] || die "threshold $thr splits $below/8"
"$MG_BIN" filter s --min-score "$thr" --dry-run > dry.txt || die "dry run failed"
grep -c "^would move" dry.txt | grep -qx 4 || { cat dry.txt; die "dry run count"; }
[ ! -e s/rejected ] || die "dry run made the reject directory"
"$MG_BIN" filter s --min-score 0 --dry-run > dry0.txt || die "dry run at 0 failed"
grep -q "^filter: s: [0-9]* samples, none below 0: nothing to move (dry run, nothing changed)$" dry0.txt ||
    die "dry run with none below: $(cat dry0.txt)"
# A score four places cannot tell from the threshold is shown as it is:
# 0.97999 below 0.98 was "would move 000000 (score 0.9800)"; 0.98 stays
mkdir -p fe && cp -R "$(ls -d s/0* | head -n 1)" fe/000000 && cp -R fe/000000 fe/000001
"$PY" - <<'PYEOF' || die "cannot edit fe"
import json
for i, v in ((0, 0.97999), (1, 0.98)):
    p = "fe/%06d/sample.json" % i
    d = json.load(open(p)); d["musicality_score"] = v; d["sample_index"] = i
    open(p, "w").write(json.dumps(d, indent=2, sort_keys=True))
PYEOF
"$MG_BIN" filter fe --min-score 0.98 --dry-run > dryfe.txt || die "dry run fe failed"
grep -qx "would move 000000 (score 0.97999)" dryfe.txt && [ "$(grep -c '^would move' dryfe.txt)" -eq 1 ] ||
    die "a score near the threshold: $(cat dryfe.txt)"

# Every index exactly once, in place or rejected, each whole.
invariant() {
    "$PY" - s s/rejected <<'PYEOF' || die "invariant broken after a kill ($1)"
import json, glob, os, sys
root, rej = sys.argv[1], sys.argv[2]
def dirs(r):
    return {os.path.basename(d) for d in glob.glob(os.path.join(r, "[0-9]*")) if os.path.isdir(d)}
a, b = dirs(root), dirs(rej) if os.path.isdir(rej) else set()
assert not (a & b), "in both: %s" % (a & b)
assert a | b == {"%06d" % i for i in range(8)}, "lost: %s" % sorted(a | b)
for d in [os.path.join(root, x) for x in a] + [os.path.join(rej, x) for x in b]:
    json.load(open(os.path.join(d, "sample.json")))
    assert len(os.listdir(os.path.join(d, "stems"))) == 4 and os.path.exists(os.path.join(d, "mix.wav")), d
assert not glob.glob(os.path.join(root, ".tmp-*")) and not glob.glob(os.path.join(rej, ".tmp-*"))
PYEOF
}
# killed after its 1st move, then after 2 more, then between the two
# manifest replacements (K = moves left + 1), then finished
MUSICGEN_TEST_KILL_AFTER=1 "$MG_BIN" filter s --min-score "$thr" > f1.txt 2>&1; rc=$?
[ "$rc" -eq 137 ] || die "filter (kill after 1) exited $rc"
invariant "1 move"
[ "$(ls s/rejected | grep -c '^[0-9]')" -eq 1 ] || die "not 1 moved"
MUSICGEN_TEST_KILL_AFTER=2 "$MG_BIN" filter s --min-score "$thr" > f2.txt 2>&1
[ $? -eq 137 ] || die "filter (kill after 2 more) not killed"
invariant "3 moves"
MUSICGEN_TEST_KILL_AFTER=2 "$MG_BIN" filter s --min-score "$thr" > f3.txt 2>&1
[ $? -eq 137 ] || die "filter (kill between manifests) not killed"
invariant "between manifests"
[ -f s/rejected/manifest.jsonl ] || die "reject manifest not committed first"
"$MG_BIN" filter s --min-score "$thr" > f4.txt || { cat f4.txt; die "re-run of filter failed"; }
cat f4.txt
invariant "done"
grep -q "8 samples\|4 samples" f4.txt || die "summary"
grep -q "rows kept" f4.txt || die "summary"
[ "$(wc -l < s/manifest.jsonl)" -eq 4 ] || die "root manifest rows"
[ "$(wc -l < s/rejected/manifest.jsonl)" -eq 4 ] || die "reject manifest rows"
"$MG_BIN" verify s > v2.txt || { cat v2.txt; die "root not whole after filter"; }
"$MG_BIN" verify s/rejected > v3.txt || { cat v3.txt; die "reject tree not whole"; }
# each tree's LICENSES.md lists the fonts of the samples it now holds
"$PY" - s s/rejected <<'PYEOF' || die "LICENSES.md does not follow the samples"
import json, os, sys
for root in sys.argv[1:]:
    want, n = {}, 0
    for line in open(os.path.join(root, "manifest.jsonl")):
        r = json.loads(line)
        if r["status"] != "ok":
            continue
        n += 1
        sj = json.load(open(os.path.join(root, r["path"], "sample.json")))
        seen = set()
        for k, layer in enumerate(("beat", "melody", "harmony", "bassline")):
            name = sj["soundfonts"][layer]["name"]
            e = want.setdefault(name, [[0, 0, 0, 0], 0])
            e[0][k] += 1
            if name not in seen:
                seen.add(name)
                e[1] += 1
    text = open(os.path.join(root, "LICENSES.md")).read()
    got = {}
    for line in text.splitlines():
        c = [x.strip() for x in line.strip("|").split("|")]
        if len(c) == 5 and "/" in c[3] and c[4].isdigit():
            got[c[0]] = [[int(x) for x in c[3].split("/")], int(c[4])]
    assert got == want, (root, got, want)
    assert "across %d finished sample" % n in text, (root, n)
PYEOF
# every file still there, wherever it is now (verify checked the bytes)
now=$(find s/[0-9]* s/rejected/[0-9]* -type f | wc -l)
[ "$now" -eq 80 ] || die "files after filter: $now, not 80"
"$MG_BIN" filter s --min-score "$thr" > f5.txt || die "idempotent re-run failed"
grep -q ", 0 below" f5.txt || { cat f5.txt; die "second run moved something"; }

# A reject directory on another file system is refused before any move.
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d .)" ]; then
    "$MG_BIN" filter s --min-score 1 --reject-dir /dev/shm/mg-rej-$$ > x.txt 2> xe.txt &&
        die "cross-device reject dir accepted"
    grep -q "another file system" xe.txt || die "cross-device message"
    [ "$(ls s | grep -c '^[0-9]')" -eq 4 ] || die "cross-device refusal moved samples"
fi
# A reject directory where the dataset's readers look for samples is
# refused: a name of digits (a sample's or a shard's; `clean` then took
# the rejects for a half-written sample and removed them: seen), inside a
# sample, deeper inside ROOT, or holding ROOT. And `clean` never removes
# an index directory that holds finished samples or a dataset's mark.
for r in s/000099 s/000001/rej s/07 s/a/b s/.hidden . ..; do
    "$MG_BIN" filter s --min-score 1 --reject-dir "$r" > x.txt 2> xe.txt &&
        die "reject dir $r accepted"
    grep -q "reject directory $r \(is inside s\|holds ROOT\)" xe.txt ||
        die "reject dir $r: $(cat xe.txt)"
done
# ... and the refusal says why: a hidden name is no name of digits
"$MG_BIN" filter s --min-score 1 --reject-dir s/.hidden 2> xe.txt &&
    die "hidden reject dir accepted"
grep -q "at a hidden name" xe.txt && ! grep -q digits xe.txt ||
    die "hidden reject dir message: $(cat xe.txt)"
"$MG_BIN" filter s --min-score 1 --reject-dir s/07 2> xe.txt &&
    die "digits reject dir accepted"
grep -q "at a name of digits" xe.txt || die "digits message: $(cat xe.txt)"
"$MG_BIN" filter s --min-score 1 --reject-dir s/000001/rej 2> xe.txt &&
    die "reject dir in a sample accepted"
grep -q "is inside s at a path in a sample or a shard: " xe.txt || die "in-sample message: $(cat xe.txt)"
[ "$(ls s | grep -c '^[0-9]')" -eq 4 ] && [ ! -e s/000099 ] || die "a refused reject dir moved samples"
mkdir -p cl && cp -R s/0* cl/ && cp s/manifest.jsonl cl/
mkdir -p cl/000099 && cp -R s/rejected/0* cl/000099/ && cp s/manifest.jsonl cl/000099/
mkdir -p cl/000098/000042 && cp s/rejected/manifest.jsonl cl/000098/ 2>/dev/null
mkdir -p cl/000097/midi
"$MG_BIN" clean --failed cl > cl.txt || die "clean: $(cat cl.txt)"
[ -d cl/000099 ] && [ -d cl/000098 ] || die "clean removed a directory holding samples or a manifest: $(cat cl.txt)"
[ ! -e cl/000097 ] || die "clean left a half-written sample: $(cat cl.txt)"
# midi-only samples have nothing to score
"$MG_BIN" generate --seed 3 --count 3 --out midi --output-mode midi-only -q
"$MG_BIN" score midi > m.txt || die "score of midi-only failed"
grep -q "3 without audio" m.txt || die "midi-only not counted"

# The same generate run again after a filter keeps the rejects out: not
# made again, not back in the manifest, the reject directory untouched.
"$MG_BIN" generate --seed 5 --count 10 --out rr --output-mode midi-only -q ||
    die "generate rr failed"
thr=$("$PY" -c "
import json
s = sorted(json.loads(l)['musicality_score'] for l in open('rr/manifest.jsonl'))
print((s[4] + s[5]) / 2)")
"$MG_BIN" filter rr --min-score "$thr" > rf.txt || die "filter rr failed"
grep -qx "$(cd rr && pwd -P)/rejected" rr/.musicgen/reject-dirs ||
    die "filter did not record its reject directory"
cp rr/manifest.jsonl rr-before.jsonl
ls rr/rejected > rej-before.txt
"$MG_BIN" generate --seed 5 --count 10 --out rr --output-mode midi-only \
    2> rg.txt || { cat rg.txt; die "re-run of generate after filter failed"; }
grep -q "5 sample(s) moved out by .musicgen filter. stay out" rg.txt ||
    { cat rg.txt; die "re-run did not say the rejects stay out"; }
grep -q "gone from disk" rg.txt && die "re-run made filtered samples again"
[ "$(ls rr | grep -c '^[0-9]')" -eq 5 ] || die "re-run refilled the root"
cmp -s rr-before.jsonl rr/manifest.jsonl || die "re-run changed the manifest"
ls rr/rejected | cmp -s - rej-before.txt || die "re-run touched the rejects"
"$MG_BIN" verify rr > rv.txt || { cat rv.txt; die "root not whole after re-run"; }
# a sample deleted by hand (not filtered) is still made again
rm -rf rr/000000 rr/000001 rr/000002 rr/000003 rr/000004 rr/000005 \
    rr/000006 rr/000007 rr/000008 rr/000009 2>/dev/null
"$MG_BIN" generate --seed 5 --count 10 --out rr --output-mode midi-only \
    2> rg2.txt || die "re-run after a deletion failed"
grep -q "5 sample(s) recorded as done were gone from disk" rg2.txt ||
    { cat rg2.txt; die "deleted samples not made again"; }
[ "$(wc -l < rr/manifest.jsonl)" -eq 5 ] || die "manifest after re-making"

# Manifest lines that are no row (a torn or hand-edited file): the
# rewrites leave them out, name each, and count them in the summary.
printf 'garbage{\n{"sample_index":-5,"status":"ok"}\n' >> rr/manifest.jsonl
"$MG_BIN" score rr > rs.txt || die "score with bad manifest lines: $(cat rs.txt)"
grep -qx "manifest.jsonl:6: unexpected character (dropped from the new manifest)" rs.txt &&
    grep -qx "manifest.jsonl:7: no sample_index (dropped from the new manifest)" rs.txt &&
    grep -qx "score: 2 manifest lines that were no row left out of the new manifest (named above)" rs.txt ||
    die "score on bad manifest lines: $(cat rs.txt)"
[ "$(wc -l < rr/manifest.jsonl)" -eq 5 ] || die "score kept lines that are no row"
printf '{"status":"ok"}\n' >> rr/manifest.jsonl
printf 'nope\n' >> rr/rejected/manifest.jsonl
"$MG_BIN" filter rr --min-score 0.01 > rf2.txt || die "filter with bad lines: $(cat rf2.txt)"
grep -qx "manifest.jsonl:6: no sample_index (dropped from the new manifest)" rf2.txt &&
    grep -q "^reject directory: manifest.jsonl:[0-9]*: unexpected character (dropped" rf2.txt &&
    grep -qx "filter: 2 manifest lines that were no row left out of the new manifests (named above)" rf2.txt ||
    die "filter on bad manifest lines: $(cat rf2.txt)"
"$MG_BIN" verify rr > rv.txt || die "not whole after the rewrites: $(cat rv.txt)"
# A manifest an editor saved with a byte-order mark: its first row is a
# row (verify called it garbage, and filter's rewrite dropped it)
"$MG_BIN" generate --seed 8 --count 4 --out bom --output-mode midi-only -q || die "generate bom"
printf '\357\273\277' | cat - bom/manifest.jsonl > bom.jsonl && mv bom.jsonl bom/manifest.jsonl
"$MG_BIN" verify bom > bv.txt || die "verify of a manifest with a BOM: $(cat bv.txt)"
"$MG_BIN" filter bom --min-score 0.01 > bf.txt || die "filter of a manifest with a BOM: $(cat bf.txt)"
grep -q "dropped" bf.txt && die "filter dropped a row of a manifest with a BOM: $(cat bf.txt)"
[ "$(grep -c sample_index bom/manifest.jsonl)" -eq 4 ] || die "rows lost: $(cat bom/manifest.jsonl)"
PYTHONPATH="$MG_SRC/python" "$PY" -c "
from musicgen.dataset import Dataset
import sys
ds = Dataset('bom')
assert not ds.bad_rows and len(ds) == 4, (ds.bad_rows, len(ds))
" || die "python Dataset on a manifest with a BOM"
echo "score/filter ok"
