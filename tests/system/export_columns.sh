# export_columns — `musicgen export --columns LIST`: only the columns the
# names and patterns name, in their order (a pattern's columns in the
# sample's order), with the values and types of the full export (Python's
# csv and json; DuckDB for Parquet); a notes.* pattern brings the notes;
# hf keeps file_name first. A name no column has is refused naming the
# columns like it, nothing written; formats whose files are whole (jams,
# webdataset) refuse the option.
. "$MG_SRC/tests/system/lib.sh"
set -u
need_duckdb
"$MG_BIN" generate --seed 14 --count 30 --out ds --output-mode midi-only \
    --shard-width 2 -q || die "generate ds"
"$MG_BIN" generate --seed 15 --count 2 --out full -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 || die "generate full"
COLS='sample_index,genre,tempo_bpm,levels.*,beat_times,chords,*_path'

for fmt in jsonl csv parquet; do
    "$MG_BIN" export ds -o all.$fmt -q || die "export all.$fmt"
    "$MG_BIN" export ds -o sel.$fmt --columns "$COLS" 2> log ||
        die "export sel.$fmt: $(cat log)"
    grep -q "^musicgen export: 30 rows to sel.$fmt ($fmt);" log || die "sel.$fmt: $(cat log)"
done
"$PY" - <<'EOF' || die "jsonl/csv columns"
import csv, fnmatch, json
pats = "sample_index,genre,tempo_bpm,levels.*,beat_times,chords,*_path".split(",")
full = [json.loads(l) for l in open("all.jsonl")]
names = list(full[0])
want = []
for p in pats:   # the patterns' order; a pattern's columns in the sample's
    want += [n for n in names if fnmatch.fnmatchcase(n, p) and n not in want]
assert want[:4] == ["sample_index", "genre", "tempo_bpm", "levels.bassline.gain_db"], want
assert "midi_melody_path" in want and want[-1].endswith("_path"), want
sel = [json.loads(l) for l in open("sel.jsonl")]
assert len(sel) == len(full) == 30
for s, f in zip(sel, full):
    assert list(s) == want, (list(s), want)
    assert s == {k: f[k] for k in want}
rows = list(csv.reader(open("sel.csv", newline="")))
assert rows[0] == want, rows[0]
allrows = list(csv.DictReader(open("all.csv", newline="")))
for r, f in zip(rows[1:], allrows):
    assert r == [f[k] for k in want]
print("ok")
EOF
# Parquet: the same columns, types and values as the full file's
q() { (cd "$DUCK" && node q.mjs "$@"); }
q "DESCRIBE SELECT * FROM '$PWD/sel.parquet'" > d.sel || die "duckdb describe sel"
cols=$("$PY" -c 'import json, sys; print(",".join("\"%s\"" % r["column_name"] for r in json.load(open("d.sel"))["rows"]))')
q "SELECT COUNT(*) AS n FROM (SELECT $cols FROM '$PWD/all.parquet' EXCEPT SELECT * FROM '$PWD/sel.parquet')" \
  "SELECT COUNT(*) AS n FROM '$PWD/sel.parquet'" \
  "DESCRIBE SELECT $cols FROM '$PWD/all.parquet'" > d.cmp || die "duckdb compare"
"$PY" - <<'EOF' || die "parquet columns"
import json
sel = json.load(open("d.sel"))["rows"]
diff, count, full = [json.loads(l) for l in open("d.cmp")]
assert diff["rows"][0]["n"] in ("0", 0), diff
assert count["rows"][0]["n"] in ("30", 30), count
assert [(r["column_name"], r["column_type"]) for r in sel] == \
       [(r["column_name"], r["column_type"]) for r in full["rows"]], (sel, full)
names = [r["column_name"] for r in sel]
assert names[:3] == ["sample_index", "genre", "tempo_bpm"], names
assert dict((r["column_name"], r["column_type"]) for r in sel)["beat_times"] == "DOUBLE[]"
print("ok")
EOF

# a notes pattern brings the notes (no --notes given)
"$MG_BIN" export ds -o - -c 'sample_index,notes.melody.pitch' -q > n.jsonl ||
    die "export notes pattern"
"$PY" -c '
import json
for l in open("n.jsonl"):
    r = json.loads(l)
    assert list(r) == ["sample_index", "notes.melody.pitch"], list(r)
    assert isinstance(r["notes.melody.pitch"], list) and r["notes.melody.pitch"]
' || die "notes pattern: $(head -c 300 n.jsonl)"

# hf: file_name first, then the columns asked for
"$MG_BIN" export full -o hf -f hf -c 'sample_index,tempo_bpm' -q || die "export hf"
"$PY" -c '
import glob, json
rows = [json.loads(l) for f in glob.glob("hf/*/metadata.jsonl") for l in open(f)]
assert len(rows) == 2 and all(list(r) == ["file_name", "sample_index", "tempo_bpm"] for r in rows), rows
' || die "hf columns: $(cat hf/*/metadata.jsonl)"

# refusals: one line, nothing written
"$MG_BIN" export ds -o bad.csv -c 'sample_index,tempo' 2> log
[ $? -eq 1 ] || die "an unknown column: exit $?"
grep -qx "musicgen export: --columns: no column is named 'tempo' (like it: tempo_bpm, tempo_map, .*)" log ||
    die "unknown column message: $(cat log)"
"$MG_BIN" export ds -o bad.csv -c 'key_lbl' 2> log && die "key_lbl accepted"
grep -q "no column is named 'key_lbl' (like it: key_label" log || die "key_lbl message: $(cat log)"
[ ! -e bad.csv ] && ! ls -a | grep -q '\.tmp-' || die "a refused export left a file: $(ls -a)"
"$MG_BIN" export ds -o j -f jams -c sample_index 2> log
[ $? -eq 2 ] || die "jams --columns: not a usage error"
grep -qx "musicgen export: --columns goes with jsonl, csv, parquet and hf, not jams (its files are whole)" log ||
    die "jams --columns: $(cat log)"
"$MG_BIN" export ds -o x.jsonl -c 'genre,,key' 2> log && die "an empty name accepted"
grep -q "an empty name" log || die "empty name: $(cat log)"
[ ! -e j ] && [ ! -e x.jsonl ] || die "a refused export wrote"
# Integer columns hold every value: a negative global_seed (--seed -5) came
# out null in Parquet, its *seed column typed UBIGINT; seeds of both signs
# are BIGINT, a column with a negative value and one past INT64_MAX DOUBLE
mkdir -p signs
for i in 0 1 2; do cp -R ds/00/00000$i signs/00000$i; done
"$PY" - <<'EOF' || die "cannot edit signs"
import json
for i, (g, x) in enumerate([(-5, -1), (7, 18446744073709551615), (-5, 3)]):
    p = "signs/%06d/sample.json" % i
    d = json.load(open(p)); d["global_seed"] = g; d["x_count"] = x; d["sample_index"] = i
    open(p, "w").write(json.dumps(d, indent=2, sort_keys=True))
EOF
"$MG_BIN" export signs -o signs.parquet -q --columns 'sample_index,global_seed,seed,x_count' ||
    die "export signs.parquet"
q "SELECT sample_index, global_seed, seed, x_count FROM '$PWD/signs.parquet' ORDER BY 1" \
  "DESCRIBE SELECT * FROM '$PWD/signs.parquet'" > d.signs || die "duckdb signs"
"$PY" - <<'EOF' || die "integer columns: $(cat d.signs)"
import json
rows, desc = [json.loads(l) for l in open("d.signs")]
types = {r["column_name"]: r["column_type"] for r in desc["rows"]}
assert types == {"sample_index": "BIGINT", "global_seed": "BIGINT", "seed": "UBIGINT",
                 "x_count": "DOUBLE"}, types
got = [(int(r["global_seed"]), float(r["x_count"])) for r in rows["rows"]]
assert got == [(-5, -1.0), (7, 18446744073709551615.0), (-5, 3.0)], got
want = [json.load(open("signs/%06d/sample.json" % i))["seed"] for i in range(3)]
assert [int(r["seed"]) for r in rows["rows"]] == want
EOF
echo "export columns ok"
