# export_notes — the notes.<layer>.* columns (every note of every layer,
# most of a sample.json) are opt-in: JSONL, CSV and Parquet leave them out
# by default and hold them, equal to sample.json's notes, with --notes;
# every other column is the same either way (the same values in the same
# order). The tar shards do not change with --notes.
. "$MG_SRC/tests/system/lib.sh"
set -u
CHK="$PY $TOOLS/check_export.py"
need_duckdb
"$MG_BIN" generate --seed 21 --count 30 --out ds --output-mode midi-only \
    --shard-width 2 -q || die "generate"
for fmt in jsonl csv parquet; do
    "$MG_BIN" export ds -o "d.$fmt" -f "$fmt" -q || die "export $fmt"
    "$MG_BIN" export ds -o "n.$fmt" -f "$fmt" --notes -q \
        || die "export $fmt --notes"
    $CHK "$fmt" "d.$fmt" ds --expect 30 || die "$fmt judged wrong"
    $CHK "$fmt" "n.$fmt" ds --notes --expect 30 \
        || die "$fmt --notes judged wrong"
done
node "$TOOLS/duckdb/q.mjs" \
    "DESCRIBE SELECT * FROM read_parquet('d.parquet')" \
    "DESCRIBE SELECT * FROM read_parquet('n.parquet')" > types.json \
    || die "duckdb cannot read the files"
"$PY" - <<'PYEOF' || die "notes columns wrong"
import csv, json
def layers(i):
    s = json.load(open("ds/%s/%06d/sample.json" % (("%06d" % i)[:2], i)))
    return s["notes"]
d = [json.loads(l) for l in open("d.jsonl")]
n = [json.loads(l) for l in open("n.jsonl")]
assert len(d) == len(n) == 30
for a, b in zip(d, n):
    assert not [k for k in a if k.startswith("notes")], list(a)
    notes = layers(a["sample_index"])
    want = ["notes.%s.%s" % (l, f) for l in notes for f in notes[l]]
    assert len(want) >= 8, want
    got = [k for k in b if k.startswith("notes.")]
    assert got == want, (got, want)
    for k in want:
        _, l, f = k.split(".")
        assert b[k] == notes[l][f], k
    # the rest of the row: the same columns, in the same order, same values
    rest = [(k, v) for k, v in b.items() if not k.startswith("notes.")]
    assert rest == list(a.items())
hd = next(csv.reader(open("d.csv", newline="")))
hn = next(csv.reader(open("n.csv", newline="")))
assert not [h for h in hd if h.startswith("notes")], hd
assert [h for h in hn if not h.startswith("notes.")] == hd
assert "notes.beat.onset" in hn and "notes.melody.pitch" in hn
t = [{r["column_name"]: r["column_type"] for r in json.loads(l)["rows"]}
     for l in open("types.json")]
assert not [c for c in t[0] if c.startswith("notes")], list(t[0])
assert t[1]["notes.beat.onset"] == "DOUBLE[]", t[1]["notes.beat.onset"]
assert t[1]["notes.beat.pitch"] == "BIGINT[]", t[1]["notes.beat.pitch"]
assert {c: v for c, v in t[1].items() if not c.startswith("notes.")} == t[0]
PYEOF
# the tar shards carry sample.json as written: --notes changes nothing
"$MG_BIN" export ds -o w1 -f webdataset -q || die "export webdataset"
"$MG_BIN" export ds -o w2 -f webdataset --notes -q \
    || die "export webdataset --notes"
cmp w1/000000.tar w2/000000.tar || die "webdataset differs with --notes"
echo "export notes ok"
