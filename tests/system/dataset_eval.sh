# dataset_eval — `musicgen eval`: validity reports ten pathology sets with
# AUROCs that an independent computation (Python, from the scores in the
# JSON) reproduces, a bootstrap CI around each, the same bytes on a re-run
# and with another number of processes; the criterion decides the exit
# status (a dataset whose mixes were replaced by silence fails it, one
# with a mix cut short is refused); reliability det/rinv/seed run on small
# sizes and pass.
. "$MG_SRC/tests/system/lib.sh"
set -u
short="intro=1,verse=1,chorus=1,bridge=1,outro=1"
"$MG_BIN" generate --seed 21 --count 4 --out ds --output-mode mix-only -q \
    --measures-per-part "$short" || die "generate failed"

"$MG_BIN" eval validity --dataset ds --n-samples 4 --bootstrap-n 50 \
    --jobs 2 --output v1.json > v1.txt; rc=$?
cat v1.txt
"$PY" - v1.json "$rc" <<'PYEOF' || die "validity result is wrong"
import json, sys
r, rc = json.load(open(sys.argv[1])), int(sys.argv[2])
names = [p["name"] for p in r["pathologies"]]
assert names == ["synth/silence", "synth/noise", "synth/clip", "synth/dc", "synth/monotone",
                 "real/silence_gaps", "real/noise_overlay", "real/tempo_warp",
                 "real/pitch_scramble", "real/time_reverse"], names
g = r["good_scores"]
assert r["n_good"] == len(g) == 4
def auroc(g, b):
    return sum((x > y) + 0.5 * (x == y) for x in g for y in b) / (len(g) * len(b))
total = 0
for p in r["pathologies"]:
    a = auroc(g, p["scores"])
    assert abs(a - p["auroc"]) < 1e-12, (p["name"], a, p["auroc"])
    lo, hi = p["auroc_ci_95"]
    assert 0 <= lo <= hi <= 1, p["name"]
    assert p["n"] == len(p["scores"]) == 4
    assert abs(p["rejection_rate"] - sum(s < 0.5 for s in p["scores"]) / 4) < 1e-12
    total += a
assert abs(r["overall_auroc"] - total / 10) < 1e-12
# silence, clipping and DC are integrity failures: scored 0
for p in r["pathologies"][:4:2] + r["pathologies"][3:4]:
    assert max(p["scores"]) == 0.0, p["name"]
assert r["passed"] == (r["overall_auroc"] >= 0.8)
assert (rc == 0) == r["passed"], rc
PYEOF
grep -q "^overall AUROC" v1.txt || die "no overall line"
# same options, same result (the bootstrap is seeded), whatever --jobs
"$MG_BIN" eval validity --dataset ds --n-samples 4 --bootstrap-n 50 \
    --jobs 1 --output v2.json > /dev/null
grep -v elapsed v1.json > a.json; grep -v elapsed v2.json > b.json
cmp -s a.json b.json || die "validity differs between runs / --jobs"

# good samples whose mixes are silence: the criterion fails, exit 1
cp -R ds sil
"$PY" - sil <<'PYEOF'
import glob, os, sys, wave
for p in glob.glob(os.path.join(sys.argv[1], "[0-9]*", "mix.wav")):
    w = wave.open(p); prm = w.getparams(); n = w.getnframes(); w.close()
    o = wave.open(p, "wb"); o.setparams(prm); o.writeframes(b"\0" * n * prm.sampwidth * prm.nchannels); o.close()
PYEOF
"$MG_BIN" eval validity --dataset sil --n-samples 2 --bootstrap-n 20 > s.txt && die "silent good set passed"
grep -q "FAILED" s.txt || die "failure not reported"
"$MG_BIN" eval validity --dataset ds --n-samples 9 > /dev/null 2> e.txt && die "more samples than the dataset has"
grep -q "only 4 samples" e.txt || { cat e.txt; die "message for too few samples"; }
# -n2 as well as -n 2 (getopt's attached value)
"$MG_BIN" eval validity --dataset ds -n2 --mode good > g.txt || die "mode good failed"
grep -q "^good: n 2, mean" g.txt || die "mode good output"
# a mix cut short is refused in one line, as score-audio refuses it (the
# dataset's mixes were read without score-audio's checks: a cut mix was
# scored as a short song, a float mix of NaNs scored)
cp -R ds cut
"$PY" - cut/000001/mix.wav <<'PYEOF'
import sys, wave
w = wave.open(sys.argv[1]); n = w.getnframes(); w.close()
b = open(sys.argv[1], "rb").read()
open(sys.argv[1], "wb").write(b[:44 + 2 * 2 * 1000])
open("cut-expect.txt", "w").write("musicgen eval reliability: %s: truncated WAV: "
    "its header says %d frames, the file holds 1000\n" % (sys.argv[1], n))
PYEOF
"$MG_BIN" eval reliability --type det --dataset cut --n-samples 2 --calls 2 --jobs 1 \
    >o.txt 2>e.txt && die "det on a dataset with a cut mix passed: $(cat o.txt)"
cmp -s e.txt cut-expect.txt || die "a cut mix: $(cat e.txt) (not $(cat cut-expect.txt))"

# reliability
"$MG_BIN" eval reliability --type det --dataset ds --n-samples 2 --calls 3 \
    --output d.json > d.txt || { cat d.txt; die "det failed"; }
# --output -: the JSON alone on standard output, the report on stderr
"$MG_BIN" eval reliability --type det --dataset ds --n-samples 2 --calls 3 \
    --output - > d2.json 2> d2.txt || die "det --output - failed"
"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["passed"] is True, d' \
    d2.json || die "det --output - is not the result: $(head -c 300 d2.json)"
grep -q "^determinism: 2 samples x 3 calls" d2.txt || die "det --output -'s report: $(cat d2.txt)"
[ ! -e ./- ] || die "--output - wrote a file named -"
grep -q "max sigma 0: PASSED" d.txt || die "det summary"
"$MG_BIN" eval reliability --type rinv -g pop --n-samples 1 --renders 2 \
    --measures-per-part "$short" > r.txt || { cat r.txt; die "rinv failed"; }
grep -q "render invariance: 1 samples x 2 renders: max sigma 0: PASSED" r.txt || die "rinv summary"
"$MG_BIN" eval reliability --type seed -g pop,jazz --n-samples 2 --jobs 2 \
    --measures-per-part "$short" --output sd.json > sd.txt || { cat sd.txt; die "seed failed"; }
"$PY" - sd.json <<'PYEOF' || die "seed result"
import json, sys, statistics
r = json.load(open(sys.argv[1]))
assert [e["genre"] for e in r["entries"]] == ["pop", "jazz"]
for e in r["entries"]:
    s = e["scores"]
    assert len(s) == 2 and abs(e["mean"] - sum(s) / 2) < 1e-12
    assert abs(e["sigma"] - statistics.pstdev(s)) < 1e-12
PYEOF
"$MG_BIN" eval reliability --type xyz > /dev/null 2>&1; [ $? -eq 2 ] || die "bad --type not a usage error"
"$MG_BIN" eval reliability --type rinv --dataset ds > /dev/null 2>&1 && die "rinv with --dataset accepted"
echo "eval ok"
