# symbolic_gate — the quality gate re-rolls with attempt_seed = seed +
# attempt - 1, records the attempt, keeps only samples at or above the
# threshold, and leaves a failed row (and no directory) for samples that
# never reach it. The same gated run twice gives the same bytes.
. "$MG_SRC/tests/system/lib.sh"
set -u
G="--output-mode midi-only --min-musicality-score 0.985 --max-attempts 4 -q"
"$MG_BIN" generate --seed 3 --count 60 --out a $G 2>/dev/null || die "gated run failed"
"$MG_BIN" generate --seed 3 --count 60 --out b $G 2>/dev/null || die "second gated run failed"
"$PY" - a b <<'PYEOF' || die "gate check"
import filecmp, json, os, sys
a, b = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(os.path.join(a, "manifest.jsonl"))]
if len(rows) != 60 or sorted(r["sample_index"] for r in rows) != list(range(60)):
    sys.exit("manifest does not have one row per index")
ok = [r for r in rows if r["status"] == "ok"]
failed = [r for r in rows if r["status"] == "failed"]
rerolled = [r for r in ok if r["attempt"] > 1]
if not ok or not failed or not rerolled:
    sys.exit("want kept, re-rolled and failed samples: %d ok, %d re-rolled, %d failed"
             % (len(ok), len(rerolled), len(failed)))
for r in ok:
    s = json.load(open(os.path.join(a, r["path"], "sample.json")))
    if s["musicality_score"] < 0.985 or r["musicality_score"] < 0.985:
        sys.exit("%d kept below the gate" % r["sample_index"])
    if s["attempt"] != r["attempt"]:
        sys.exit("%d: attempt differs between manifest and sample.json" % r["sample_index"])
    if s["attempt_seed"] != (s["seed"] + s["attempt"] - 1) % 2**64:
        sys.exit("%d: attempt_seed is not seed + attempt - 1" % r["sample_index"])
    if s["seed"] != r["seed"]:
        sys.exit("%d: seed is not the sample seed" % r["sample_index"])
    for f in ["sample.json"] + ["midi/%s.mid" % l for l in ("beat", "melody", "harmony", "bassline")]:
        if not filecmp.cmp(os.path.join(a, r["path"], f), os.path.join(b, r["path"], f), shallow=False):
            sys.exit("%d: %s differs between two gated runs" % (r["sample_index"], f))
for r in failed:
    if os.path.exists(os.path.join(a, r["path"])):
        sys.exit("%d failed but has a directory" % r["sample_index"])
    if r["attempt"] != 4 or "below" not in r.get("error", ""):
        sys.exit("%d: failed row lacks attempt 4 / reason: %r" % (r["sample_index"], r))
print("gate: %d kept (%d re-rolled), %d failed" % (len(ok), len(rerolled), len(failed)))
PYEOF
# Without the gate every index is kept at attempt 1.
"$MG_BIN" generate --seed 3 --count 20 --out c --output-mode midi-only -q || die "ungated run failed"
grep -q '"status":"failed"' c/manifest.jsonl && die "ungated run failed a sample"
grep -q '"attempt":[^1]' c/manifest.jsonl && die "ungated run re-rolled"
exit 0
