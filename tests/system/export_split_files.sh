# export_split_files — `musicgen export --out 'ds-{split}.parquet'`: one
# file per split kept, in one pass, each holding exactly the rows of its
# split in index order, all with one schema (the columns of the whole
# export): DuckDB reads the three Parquet files as the single-file export
# split three ways; JSONL and CSV likewise (Python). --split keeps fewer
# files; hf (a directory per split already), or an existing file without
# --force, is refused with one line and nothing written. WebDataset and
# JAMS get a directory per split (tarfile: each shard holds its split's
# samples only; each directory its card and LICENSES.md).
. "$MG_SRC/tests/system/lib.sh"
set -u
need_duckdb
"$MG_BIN" generate --seed 22 --count 60 --out ds --output-mode midi-only \
    --shard-width 2 -q || die "generate"
"$MG_BIN" export ds -o all.parquet -q || die "export all.parquet"
"$MG_BIN" export ds -o all.jsonl -q || die "export all.jsonl"
"$MG_BIN" export ds -o all.csv -q || die "export all.csv"
counts=$("$PY" -c '
import json, collections
c = collections.Counter(json.loads(l)["split"] for l in open("all.jsonl"))
print("train %d, valid %d, test %d" % (c["train"], c["valid"], c["test"]))')
"$MG_BIN" export ds -o "out/ds-{split}.parquet" 2> log && die "export into a missing directory"
grep -qx "musicgen export: --out out/ds-train.parquet: directory out: No such file or directory" log ||
    die "missing directory: $(cat log)"
mkdir out
for ext in parquet jsonl csv; do
    "$MG_BIN" export ds -o "out/ds-{split}.$ext" 2> log || die "export {split}.$ext: $(cat log)"
    grep -qx "musicgen export: 60 rows to out/ds-{split}.$ext ($ext: $counts); left out: 0 half-written, 0 invalid, 0 failed (manifest), 0 filtered" log ||
        die "{split}.$ext summary: $(cat log)"
done
ls out | sort | tr '\n' ' ' | grep -qx "ds-test.csv ds-test.jsonl ds-test.parquet ds-train.csv ds-train.jsonl ds-train.parquet ds-valid.csv ds-valid.jsonl ds-valid.parquet " ||
    die "the files: $(ls out)"
"$PY" - <<'EOF' || die "jsonl/csv split files"
import csv, json
full = [l for l in open("all.jsonl")]
for s in ("train", "valid", "test"):
    want = [l for l in full if json.loads(l)["split"] == s]
    got = list(open("out/ds-%s.jsonl" % s))
    assert got == want, s
rows = list(csv.reader(open("all.csv", newline="")))
for s in ("train", "valid", "test"):
    got = list(csv.reader(open("out/ds-%s.csv" % s, newline="")))
    k = rows[0].index("split")
    assert got[0] == rows[0], "header"
    assert got[1:] == [r for r in rows[1:] if r[k] == s], s
print("ok")
EOF
q() { (cd "$DUCK" && node q.mjs "$@"); }
q "SELECT COUNT(*) AS n FROM (SELECT * FROM '$PWD/all.parquet' EXCEPT SELECT * FROM read_parquet('$PWD/out/ds-*.parquet'))" \
  "SELECT COUNT(*) AS n FROM read_parquet('$PWD/out/ds-*.parquet')" \
  "SELECT COUNT(*) AS n FROM '$PWD/out/ds-valid.parquet' WHERE split <> 'valid'" \
  "DESCRIBE SELECT * FROM '$PWD/out/ds-test.parquet'" \
  "DESCRIBE SELECT * FROM '$PWD/all.parquet'" > d.json || die "duckdb"
"$PY" - <<'EOF' || die "parquet split files: $(head -c 600 d.json)"
import json
diff, n, wrong, dt, da = [json.loads(l) for l in open("d.json")]
assert diff["rows"][0]["n"] in ("0", 0), diff
assert n["rows"][0]["n"] in ("60", 60), n
assert wrong["rows"][0]["n"] in ("0", 0), wrong
assert dt["rows"] == da["rows"], "the split file's schema differs"
print("ok")
EOF
# --split keeps fewer files; refusals
"$MG_BIN" export ds -o "few-{split}.jsonl" --split test,valid -q || die "--split with {split}"
[ -f few-test.jsonl ] && [ -f few-valid.jsonl ] && [ ! -e few-train.jsonl ] ||
    die "--split test,valid made: $(ls few-*)"
"$MG_BIN" export ds -o "out/ds-{split}.jsonl" 2> log && die "overwrote without --force"
grep -qx "musicgen export: out/ds-train.jsonl exists (--force replaces it)" log || die "exists: $(cat log)"
"$MG_BIN" export ds -o "h-{split}" -f hf 2> log
[ $? -eq 2 ] || die "hf with {split}: not a usage error"
grep -qx "musicgen export: --out h-{split}: hf has a directory per split already (no {split})" log ||
    die "hf with {split}: $(cat log)"
[ ! -e "h-{split}" ] && [ ! -e h-train ] || die "a refused export wrote"

# directory formats: a directory per split, its own shards (WebDataset),
# card and LICENSES.md; JAMS files likewise
"$MG_BIN" export ds -o "wds-{split}" -f webdataset --shard-size 16 2> log ||
    die "webdataset {split}: $(cat log)"
grep -q "^musicgen export: 60 rows to wds-{split} (webdataset: $counts);" log ||
    die "webdataset {split} summary: $(cat log)"
"$MG_BIN" export ds -o "j-{split}" -f jams -q || die "jams {split}"
"$PY" - <<'EOF' || die "webdataset/jams split directories"
import glob, json, os, tarfile
full = [json.loads(l) for l in open("all.jsonl")]
for s in ("train", "valid", "test"):
    want = sorted("%06d" % r["sample_index"] for r in full if r["split"] == s)
    keys = []
    for t in sorted(glob.glob("wds-%s/*.tar" % s)):
        with tarfile.open(t) as tf:
            for m in tf.getmembers():
                if m.name.endswith(".json"):
                    keys.append(m.name[:-5])
                    assert json.load(tf.extractfile(m))["split"] == s, (t, m.name)
    assert keys == want, (s, keys, want)
    assert os.path.isfile("wds-%s/LICENSES.md" % s), s
    if want:
        assert "| %s | %d |" % (s, len(want)) in open("wds-%s/README.md" % s).read(), s
    jams = sorted(os.path.basename(p)[:-5] for p in glob.glob("j-%s/*/*.jams" % s))
    assert jams == want, (s, jams)
print("ok")
EOF
ls -a | grep -q '\.tmp-' && die "a temporary output left: $(ls -a | grep tmp)"
echo "export split files ok"
