# dataset_stats — `musicgen stats` counts what an independent reader
# (Python over every sample.json and the manifest) counts, in both
# layouts; the histograms hold every sample; failed and half-written
# samples are counted; --plot writes well-formed standalone SVG charts
# and an index page.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 9 --count 60 --out flat --output-mode midi-only -q \
    -g jazz -g latin --min-musicality-score 0.96 --max-attempts 2 2>/dev/null ||
    die "generate flat failed"
"$MG_BIN" generate --seed 4 --count 40 --out shard --output-mode midi-only -q \
    --shard-width 2 || die "generate sharded failed"
mkdir -p flat/000777/midi shard/00/.tmp-000003-1

for t in flat shard; do
    "$MG_BIN" stats "$t" --fmt json > "$t.json" || die "stats $t failed"
    "$PY" - "$t" "$t.json" <<'PYEOF' || die "stats $t disagrees with an independent count"
import json, glob, os, sys, collections
root, out = sys.argv[1], json.load(open(sys.argv[2]))
files = sorted(glob.glob(os.path.join(root, "[0-9]*", "sample.json")) +
               glob.glob(os.path.join(root, "[0-9]*", "[0-9]*", "sample.json")))
S = [json.load(open(f)) for f in files]
assert out["samples"] == len(S) > 0, (out["samples"], len(S))
def check(dim, values):
    want = collections.Counter(values)
    got = out["counts"][dim]
    assert got == dict(want), (dim, got, dict(want))
check("split", [s["split"] for s in S])
check("genre", [s["genre"] for s in S])
check("key", [s["key"] for s in S])
check("mode", [s["mode"] for s in S])
check("meter", [s["time_signature"] for s in S])
gm = json.load(open(os.path.join(os.environ["MG_SRC"], "sf", "gm-names.json")))
def inst(l, p):
    return "%s: %s" % (l, gm["drum_kits"].get(str(p), "kit %d" % p) if l == "beat" else gm["programs"][p])
check("instrument", [inst(l, v["program"]) for s in S for l, v in s["instruments"].items()])
rows = [json.loads(l) for l in open(os.path.join(root, "manifest.jsonl"))]
failed = [r for r in rows if r["status"] == "failed"]
assert out["failed"] == len(failed), (out["failed"], len(failed))
assert sum(out["counts"]["failed"].values()) == len(failed)
assert [(f["sample_index"], f["error"]) for f in out["failed_samples"]] == \
       [(r["sample_index"], r["error"]) for r in failed][:100]
assert out["half_written"] == 1, out["half_written"]
for name, field in [("tempo_bpm", "tempo_bpm"), ("duration_seconds", "duration_seconds"),
                    ("musicality_score", "musicality_score")]:
    h = out["histograms"][name]
    assert sum(h["counts"]) == h["n"] == len(S), name
    vals = [s[field] for s in S]
    assert abs(h["min"] - min(vals)) < 1e-6 and abs(h["max"] - max(vals)) < 1e-6, name
    assert abs(h["mean"] - sum(vals) / len(vals)) < 1e-5, name
    # each value in its bin (edge bins take what lies outside)
    want = [0] * len(h["counts"])
    for v in vals:
        b = int((v - h["bin_start"]) // h["bin_width"])
        want[max(0, min(len(want) - 1, b))] += 1
    assert want == h["counts"], (name, want, h["counts"])
PYEOF
done
grep -q '"failed": [1-9]' flat.json || die "the gate made no failed sample to count"

"$MG_BIN" stats flat > flat.txt || die "text stats failed"
grep -q "^dataset flat (flat): [0-9]* samples, [1-9][0-9]* failed, 1 half-written" flat.txt ||
    { head -3 flat.txt; die "text summary line"; }
grep -q "^meter:" flat.txt && grep -q "^tempo_bpm: n " flat.txt || die "text sections"

"$MG_BIN" stats shard --plot plots > /dev/null || die "stats --plot failed"
for c in split genre key mode meter instrument soundfont tempo_bpm duration_seconds musicality_score; do
    [ -s "plots/$c.svg" ] || die "no chart $c.svg"
done
"$PY" - plots <<'PYEOF' || die "charts are not well-formed SVG"
import glob, os, sys
import xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
for f in glob.glob(os.path.join(sys.argv[1], "*.svg")):
    r = ET.parse(f).getroot()
    assert r.tag == ns + "svg" and r.get("viewBox"), f
    assert len(r.findall(ns + "rect")) >= 2, f          # background + bars
    assert r.find(ns + "title").text, f
html = open(os.path.join(sys.argv[1], "index.html")).read()
assert html.count("<img ") >= 10
PYEOF
# the same tree gives the same bytes
"$MG_BIN" stats shard --plot plots2 > /dev/null
diff -r plots plots2 > /dev/null || die "charts differ between two runs"
"$MG_BIN" stats nowhere > /dev/null 2> e.txt && die "missing root accepted"
[ "$(wc -l < e.txt)" -eq 1 ] || die "missing root: not one line"
"$MG_BIN" stats shard --fmt xml > /dev/null 2>&1 && die "bad --fmt accepted"
# a chart directory that cannot be made fails before the pass, in one line
touch afile
"$MG_BIN" stats shard --plot afile/charts > out.txt 2> e.txt && die "--plot under a file accepted"
[ ! -s out.txt ] && [ "$(wc -l < e.txt)" -eq 1 ] &&
    grep -q "^musicgen stats: --plot afile/charts: Not a directory" e.txt ||
    die "--plot under a file: $(cat out.txt e.txt)"
# --plot into a directory of something else is refused before the pass,
# nothing in it touched (its index.html would have been replaced); into
# an earlier plot's it replaces the charts
mkdir site && echo "my page" > site/index.html && echo x > site/logo.svg
"$MG_BIN" stats shard --plot site > out.txt 2> e.txt && die "--plot into a foreign directory accepted"
[ ! -s out.txt ] && grep -qx "musicgen stats: --plot site holds other files (index.html and logo.svg) and no earlier stats page: give a new or empty directory" e.txt ||
    die "--plot into a foreign directory: $(cat out.txt e.txt)"
[ "$(cat site/index.html)" = "my page" ] && [ "$(ls site | wc -l)" -eq 2 ] || die "a foreign --plot directory was changed"
"$MG_BIN" stats shard --plot plots > /dev/null || die "--plot into an earlier plot's directory refused"
diff -r plots plots2 > /dev/null || die "charts replaced differ"
# charts that cannot be written (a full disk: a file-size limit): the
# reason, and no cut picture or page left behind (an empty index.html
# and chart stayed, looking like a page)
( (ulimit -f 2; exec "$MG_BIN" stats shard --plot cut 2>&1 >/dev/null); echo "rc=$?" ) | cat > e.txt
grep -qx "rc=1" e.txt && grep -qx "musicgen stats: cannot write cut/tempo_bpm.svg: File too large" e.txt ||
    die "--plot on a full disk: $(cat e.txt)"
[ -z "$(ls -A cut)" ] || die "--plot on a full disk left $(ls -A cut)"
"$MG_BIN" stats shard --plot afile > out.txt 2> e.txt && die "--plot a file accepted"
grep -qx "musicgen stats: --plot afile is not a directory" e.txt || die "--plot a file: $(cat e.txt)"
# --plot where a sample would be: refused (ds/000099 became a half-written
# sample to verify and clean); a directory of its own at the top is fine
"$MG_BIN" stats shard --plot shard/000099 > out.txt 2> e.txt && die "--plot shard/000099 accepted"
grep -q "is inside the dataset shard" e.txt && [ ! -e shard/000099 ] || die "--plot shard/000099: $(cat e.txt)"
"$MG_BIN" stats shard --plot shard/charts > /dev/null || die "--plot shard/charts refused"
"$MG_BIN" verify shard > v.txt
grep -q "charts" v.txt && die "charts at the dataset's top named by verify: $(cat v.txt)"
rm -rf shard/charts
# values far outside the bins: in the edge bin (1e12 went to the first:
# an int overflow), and a finite mean (a sum near DBL_MAX was inf, and mean
# dropped out of the JSON)
mkdir -p huge && cp -R "$(ls -d shard/*/0* | head -n 1)" huge/000000 && cp -R "$(ls -d shard/*/0* | sed -n 2p)" huge/000001
"$PY" - <<'PYEOF' || die "cannot edit huge"
import json
for i, t in ((0, 1e12), (1, 1e308)):
    p = "huge/%06d/sample.json" % i
    d = json.load(open(p)); d["tempo_bpm"] = t
    open(p, "w").write(json.dumps(d, indent=2, sort_keys=True))
PYEOF
"$MG_BIN" stats huge --fmt json > huge.json || die "stats huge"
"$PY" - <<'PYEOF' || die "huge values: $(cat huge.json | head -c 600)"
import json, math
h = json.load(open("huge.json"))["histograms"]["tempo_bpm"]
assert h["counts"][-1] == 2 and sum(h["counts"]) == 2, h["counts"]
assert h["mean"] is not None and math.isfinite(h["mean"]) and h["mean"] > 1e307, h
PYEOF
# a value on a bin's edge is in the bin it opens, as the text report's
# edges say (0.95 / 0.05 is 18.999999999999996 in doubles: a score of
# 0.95 was counted in the 0.90-0.95 bin, 0.15 in 0.10-0.15, ...)
mkdir -p edge && cp -R "$(ls -d shard/*/0* | head -n 1)" edge/000000
for i in 1 2 3 4 5 6; do cp -R edge/000000 "edge/00000$i"; done
"$PY" - <<'PYEOF' || die "cannot edit edge"
import json
for i, (s, t, d) in enumerate([(0.95, 60, 15), (0.15, 70, 30), (0.3, 80, 45), (0.35, 40, 0),
                               (0.7, 230, 285), (0.55, 240, 300), (0.05, 50, 150)]):
    p = "edge/%06d/sample.json" % i
    j = json.load(open(p)); j["musicality_score"] = s; j["tempo_bpm"] = t; j["duration_seconds"] = d
    j["sample_index"] = i
    open(p, "w").write(json.dumps(j, indent=2, sort_keys=True))
PYEOF
"$MG_BIN" stats edge --fmt json > edge.json || die "stats edge"
"$PY" - <<'PYEOF' || die "values on bin edges: $(cat edge.json | head -c 900)"
import json
from decimal import Decimal as D
h = json.load(open("edge.json"))["histograms"]
for name, vals in (("musicality_score", ["0.95", "0.15", "0.3", "0.35", "0.7", "0.55", "0.05"]),
                   ("tempo_bpm", ["60", "70", "80", "40", "230", "240", "50"]),
                   ("duration_seconds", ["15", "30", "45", "0", "285", "300", "150"])):
    g = h[name]
    want = [0] * len(g["counts"])
    for v in vals:  # decimal arithmetic: the edges as written
        b = int((D(v) - D(str(g["bin_start"]))) // D(str(g["bin_width"])))
        want[max(0, min(len(want) - 1, b))] += 1
    assert want == g["counts"], (name, want, g["counts"])
PYEOF
# a sample moved by hand into another shard: counted as such, not as
# unreadable (verify names it); the text report says so
"$MG_BIN" stats shard --fmt json > before.json || die "stats before the move"
mkdir -p shard/01 && mv shard/00/000005 shard/01/
"$MG_BIN" stats shard --fmt json > moved.json || die "stats after the move"
"$PY" - <<'PYEOF' || die "a moved sample: $(cat moved.json | head -c 400)"
import json
b, m = json.load(open("before.json")), json.load(open("moved.json"))
assert m["misplaced"] == 1 and b["misplaced"] == 0, (b["misplaced"], m["misplaced"])
assert m["unreadable"] == b["unreadable"] and m["samples"] == b["samples"] - 1
PYEOF
"$MG_BIN" stats shard > moved.txt || die "stats text after the move"
grep -q "^1 in another shard than their index's" moved.txt || die "text: $(cat moved.txt | head -3)"
mv shard/01/000005 shard/00/ && rmdir shard/01
echo "stats ok"
