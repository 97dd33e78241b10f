# parquet_dict — the Parquet writer's dictionary encoding of strings, read
# back by DuckDB: a column of distinct strings whose dictionary gives up
# part-way through a row group (dictionary pages, then PLAIN pages in the
# same chunk) and stays off in the next one, low-cardinality strings with
# nulls, runs (RLE-encoded entry numbers), a list of strings (nulls and
# empty lists), JSON text. Every value DuckDB reads equals what was
# written, and the column chunks declare the encodings we expect, with
# statistics over the dictionary's values. Integers too: distinct ones
# (giving up), six values with nulls, a list of small ones, a list of
# distinct ones whose dictionary gives up inside a row. The writer's
# compressor thread (mg_pq_thread) writes the same bytes.
. "$MG_SRC/tests/system/lib.sh"
set -u
need_duckdb
"$MG_BUILD/tools/pq_dict" d.parquet d.jsonl 3000 2500 || die "pq_dict"
# the same rows with the writer's compressor thread: the same bytes (one
# row group of 2,500 and one of 500; with 80,000 rows, many pages queued)
"$MG_BUILD/tools/pq_dict" t.parquet t.jsonl 3000 2500 thread \
    || die "pq_dict thread"
cmp d.parquet t.parquet || die "the compressor thread wrote other bytes"
"$MG_BUILD/tools/pq_dict" big.parquet big.jsonl 80000 30000 \
    && "$MG_BUILD/tools/pq_dict" bigt.parquet bigt.jsonl 80000 30000 thread \
    || die "pq_dict 80000"
cmp big.parquet bigt.parquet || die "the compressor thread wrote other bytes (80,000 rows)"
node "$TOOLS/duckdb/q.mjs" \
    "COPY (SELECT * FROM read_parquet('d.parquet') ORDER BY i) TO 'back.json' (FORMAT JSON)" \
    "SELECT row_group_id, path_in_schema, encodings, dictionary_page_offset, stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata('d.parquet') ORDER BY row_group_id, column_id" \
    > meta.json || die "duckdb cannot read the file"
"$PY" - <<'PYEOF' || die "DuckDB reads other values or encodings"
import json, sys
want = [json.loads(l) for l in open("d.jsonl")]
got = [json.loads(l) for l in open("back.json")]
bad = 0
if len(got) != len(want):
    print("rows: %d, wrote %d" % (len(got), len(want))); sys.exit(1)
for w, g in zip(want, got):
    g["i"] = int(g["i"])
    if g.get("k") is not None: g["k"] = int(g["k"])
    if g.get("n") is not None: g["n"] = [int(x) for x in g["n"]]
    if g.get("m") is not None: g["m"] = [int(x) for x in g["m"]]
    if isinstance(g.get("j"), str): g["j"] = json.loads(g["j"])
    if g != w:
        print("row %d: read %r, wrote %r" % (w["i"], g, w)); bad += 1
        if bad > 3: sys.exit(1)
meta = json.loads(open("meta.json").read().splitlines()[-1])["rows"]
enc = {(int(m["row_group_id"]), m["path_in_schema"]): m for m in meta}
def dict_in(rg, col):
    return "PLAIN_DICTIONARY" in enc[(rg, col)]["encodings"] and \
        enc[(rg, col)]["dictionary_page_offset"] is not None
expect = {(0, "u"): True, (1, "u"): False, (0, "g"): True, (1, "g"): True,
          (0, "r"): True, (1, "r"): True, (0, "l, list, element"): True,
          (0, "j"): True, (0, "i"): True, (1, "i"): False, (0, "k"): True,
          (1, "k"): True, (0, "n, list, element"): True,
          (1, "n, list, element"): True, (0, "m, list, element"): True,
          (1, "m, list, element"): False}
for k, v in expect.items():
    if dict_in(*k) != v:
        print("%s: encodings %s, dictionary expected: %s" % (k, enc[k]["encodings"], v)); bad += 1
for rg, rows in ((0, want[:2500]), (1, want[2500:])):
    for col in ("u", "g", "r", "i", "k"):
        vals = [w[col] for w in rows if w[col] is not None]
        m = enc[(rg, col)]
        st = (m["stats_min_value"], m["stats_max_value"], int(m["stats_null_count"]))
        exp = (min(vals), max(vals), len(rows) - len(vals))
        if isinstance(vals[0], int):
            exp = (str(exp[0]), str(exp[1]), exp[2])
        if st != exp:
            print("%d %s: statistics %r, data %r" % (rg, col, st, exp)); bad += 1
sys.exit(1 if bad else 0)
PYEOF
echo ok
