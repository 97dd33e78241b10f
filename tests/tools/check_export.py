#!/usr/bin/python3
"""check_export — judge a `musicgen export` output with independent readers.

Usage: check_export.py FMT OUT ROOT [--relative] [--no-midi] [--notes]
         [--split LIST] [--genre LIST] [--min-score X]
         [--shard-size N] [--row-group N] [--codec zstd|snappy|none]

Written apart from the exporter: it walks ROOT itself (flat or sharded),
reads every complete sample.json with Python's json, derives the rows the
export must hold (paths, every field with nested objects flattened to
dotted names; `notes` only with --notes), and compares them with what an
independent reader finds:
  jsonl       Python's json, row by row, in index order
  csv         Python's csv module (RFC 4180), lists and objects as JSON
  parquet     DuckDB (npm @duckdb/node-api, tests/tools/duckdb): row count,
              column types, every value (via DuckDB's own JSON writer),
              codec, row groups and column statistics (parquet_metadata)
  hf          the audiofolder convention: <split>/metadata.jsonl with
              file_name naming a regular file (hard link or copy of the
              mix) beside it; every audio file listed; values as jsonl;
              LICENSES.md: exactly the fonts of the rows (as webdataset)
  jams        the JAMS schema and namespaces (jsonschema), mir_eval beat and
              chord scores of the export against sample.json (all 1.0),
              note counts per layer equal to sample.json's instruments
  webdataset  GNU tar's `tar tf`: keys grouped, in index order, shard
              sizes, members per sample; KEY.json equals sample.json
Prints one line per problem (at most 30) and exits 1 if any.
"""
import argparse
import csv
import glob
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DUCK = os.path.join(SRC, "tests", "tools", "duckdb")
JAMS_REF = os.environ.get("MG_JAMS_REF", "/work/shared/reference/jams")

problems = []


def bad(msg):
    problems.append(msg)
    if len(problems) >= 30:
        finish()


def finish():
    for p in problems:
        print("check_export:", p)
    sys.exit(1 if problems else 0)


def samples(root):
    """(index, rel, sample) of every complete sample, in index order."""
    def is_index(n):
        return n.isdigit() and (len(n) == 6 or (len(n) > 6 and n[0] != "0"))
    out = []
    names = os.listdir(root)
    shards = [n for n in names if n.isdigit() and len(n) <= 5
              and os.path.isdir(os.path.join(root, n))]
    dirs = []
    if shards:
        for s in shards:
            for n in os.listdir(os.path.join(root, s)):
                if is_index(n):
                    dirs.append((int(n), s + "/" + n))
    else:
        dirs = [(int(n), n) for n in names if is_index(n)]
    for i, rel in sorted(dirs):
        p = os.path.join(root, rel, "sample.json")
        if not os.path.isfile(p):
            continue
        try:
            with open(p) as f:
                s = json.load(f)
        except ValueError:
            continue
        if isinstance(s, dict):
            out.append((i, rel, s))
    return out


def kept(s, a):
    if a.split and s.get("split") not in a.split.split(","):
        return False
    if a.genre:
        g = set(a.genre.split(","))
        if s.get("genre") not in g and not g & set(s.get("genres") or []):
            return False
    if a.min_score is not None:
        if not isinstance(s.get("musicality_score"), (int, float)) or \
                s["musicality_score"] < a.min_score:
            return False
    return True


def row_of(root, rel, s, a):
    d = rel if a.relative else os.path.join(os.path.realpath(root), rel)
    row = {"path": d,
           "mix_path": d + "/" + s["mix"] if isinstance(s.get("mix"), str) else None}
    for layer, f in (s.get("stems") or {}).items():
        row["stem_%s_path" % layer] = d + "/" + f
    if not a.no_midi:
        for layer, f in (s.get("midi") or {}).items():
            row["midi_%s_path" % layer] = d + "/" + f

    def rec(name, v):
        if isinstance(v, dict):
            for k, x in v.items():
                rec(name + "." + k, x)
        else:
            row[name] = v
    for k, v in s.items():
        if k not in ("mix", "stems", "midi") and (a.notes or k != "notes"):
            rec(k, v)
    return row


def same(a, b):
    """JSON values equal, ints and floats compared as numbers; a string
    against a list or object is read as JSON text (Parquet's JSON
    columns, for values whose shape varies between samples)."""
    if isinstance(a, str) and isinstance(b, (list, dict)):
        try:
            a = json.loads(a)
        except ValueError:
            return False
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def compare_rows(what, got, want):
    if len(got) != len(want):
        bad("%s: %d rows, expected %d" % (what, len(got), len(want)))
    for n, (g, w) in enumerate(zip(got, want)):
        for k in w:
            if k not in g:
                bad("%s row %d: no column %s" % (what, n, k))
            elif not same(g[k], w[k]):
                bad("%s row %d: %s = %.80r, sample.json has %.80r" %
                    (what, n, k, g[k], w[k]))
        for k in g:
            if k not in w and g[k] is not None:
                bad("%s row %d: column %s = %.80r, not in sample.json" % (what, n, k, g[k]))


def check_jsonl(out, want, a):
    with open(out) as f:
        got = [json.loads(line) for line in f]
    compare_rows("jsonl", got, want)


def check_csv(out, want, a):
    with open(out, newline="") as f:
        raw = f.read()
    if want and "\r\n" not in raw:
        bad("csv: rows do not end in CRLF (RFC 4180)")
    rows = list(csv.DictReader(raw.splitlines(keepends=True)))
    if len(rows) != len(want):
        bad("csv: %d rows, expected %d" % (len(rows), len(want)))
    for n, (g, w) in enumerate(zip(rows, want)):
        for k, v in w.items():
            cell = g.get(k)
            if cell is None:
                bad("csv row %d: no column %s" % (n, k))
                continue
            if v is None:
                ok = cell == ""
            elif isinstance(v, bool):
                ok = cell == ("true" if v else "false")
            elif isinstance(v, int):
                ok = cell == str(v)
            elif isinstance(v, float):
                ok = float(cell) == v
            elif isinstance(v, str):
                ok = cell == v
            else:
                ok = same(json.loads(cell), v)
            if not ok:
                bad("csv row %d: %s = %.80r, sample.json has %.80r" % (n, k, cell, v))


def duck(*sql):
    r = subprocess.run(["node", os.path.join(DUCK, "q.mjs")] + list(sql),
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        bad("duckdb: %s" % r.stderr.strip()[-400:])
        finish()
    return [json.loads(line) for line in r.stdout.splitlines()]


def check_parquet(out, want, a):
    tmp = tempfile.mkdtemp()
    dump = os.path.join(tmp, "rows.json")
    q = out.replace("'", "''")
    res = duck("SELECT count(*) AS n FROM read_parquet('%s')" % q,
               "DESCRIBE SELECT * FROM read_parquet('%s')" % q,
               "COPY (SELECT * FROM read_parquet('%s')) TO '%s' (FORMAT JSON)" % (q, dump),
               "SELECT row_group_id, path_in_schema, compression, stats_min_value,"
               " stats_max_value, stats_null_count, encodings FROM parquet_metadata('%s')" % q)
    n = int(res[0]["rows"][0]["n"])
    if n != len(want):
        bad("parquet: DuckDB counts %d rows, expected %d" % (n, len(want)))
    types = {r["column_name"]: r["column_type"] for r in res[1]["rows"]}
    expect = {"seed": "UBIGINT", "sample_index": "BIGINT", "tempo_bpm": "DOUBLE",
              "beat_times": "DOUBLE[]", "downbeat_times": "DOUBLE[]",
              "key": "VARCHAR", "split": "VARCHAR", "musicality_score": "DOUBLE",
              "beat_positions": "BIGINT[]", "path": "VARCHAR",
              "genres": "VARCHAR[]", "active_layers": "VARCHAR[][]"}
    for c, t in expect.items():
        if want and c in want[0] and types.get(c) != t:
            bad("parquet: column %s is %s, expected %s" % (c, types.get(c), t))
    for c, fields in (("chords", ("start_seconds DOUBLE", "harte VARCHAR",
                                  "voicing BIGINT[]")),
                      ("song_arrangement", ("part VARCHAR", "end_seconds DOUBLE",
                                            "chords_harte VARCHAR[]"))):
        t = types.get(c, "")
        if want and c in want[0] and not (t.startswith("STRUCT(") and t.endswith(")[]")
                                          and all(f in t for f in fields)):
            bad("parquet: column %s is %s, expected a list of structs with %s" %
                (c, t, ", ".join(fields)))
    with open(dump) as f:
        got = [json.loads(line) for line in f]
    compare_rows("parquet", got, want)
    meta = res[3]["rows"]
    codec = {"zstd": "ZSTD", "snappy": "SNAPPY", "none": "UNCOMPRESSED"}[a.codec]
    groups = {m["row_group_id"] for m in meta}
    if want:
        expect_groups = -(-len(want) // a.row_group)
        if len(groups) != expect_groups:
            bad("parquet: %d row groups, expected %d" % (len(groups), expect_groups))
    for m in meta:
        if m["compression"] != codec:
            bad("parquet: %s compressed %s, expected %s" %
                (m["path_in_schema"], m["compression"], codec))
            break
    # Low-cardinality strings are dictionary-encoded (the values were
    # compared above, so DuckDB decodes the dictionaries right).
    for col in ("genre", "key", "mode", "split", "time_signature"):
        for m in meta:
            if want and m["path_in_schema"] == col and \
                    "PLAIN_DICTIONARY" not in (m["encodings"] or ""):
                bad("parquet: %s is not dictionary-encoded (%s)" % (col, m["encodings"]))
    # Statistics of scalar columns against the data, per whole file.
    for col in ("tempo_bpm", "sample_index", "duration_seconds", "key"):
        if not want or col not in want[0]:
            continue
        st = [m for m in meta if m["path_in_schema"] == col]
        vals = [w[col] for w in want if w[col] is not None]
        if not st or any(m["stats_min_value"] is None for m in st):
            bad("parquet: no statistics for %s" % col)
            continue
        conv = str if col == "key" else float
        lo = min(conv(m["stats_min_value"]) for m in st)
        hi = max(conv(m["stats_max_value"]) for m in st)
        if lo != min(vals) or hi != max(vals):
            bad("parquet: statistics of %s [%r, %r], data [%r, %r]" %
                (col, lo, hi, min(vals), max(vals)))
        if any(int(m["stats_null_count"]) != 0 for m in st):
            bad("parquet: %s has a null count" % col)


def check_hf(out, want, a, root):
    with_mix = [w for w in want if w["mix_path"] is not None]
    listed = set()
    got = []
    for split in sorted(os.listdir(out)):
        d = os.path.join(out, split)
        if split in ("LICENSES.md", "README.md"):
            continue    # the soundfonts' terms and the card, beside the splits
        if split not in ("train", "validation", "test"):
            bad("hf: %s is not a split directory audiofolder knows" % split)
            continue
        meta = os.path.join(d, "metadata.jsonl")
        if not os.path.isfile(meta):
            bad("hf: %s has no metadata.jsonl" % split)
            continue
        with open(meta) as f:
            for line in f:
                r = json.loads(line)
                fn = r.pop("file_name", None)
                if not fn or os.path.isabs(fn) or ".." in fn:
                    bad("hf: bad file_name %r" % fn)
                    continue
                p = os.path.join(d, fn)
                if os.path.islink(p) or not os.path.isfile(p):
                    bad("hf: %s is not a regular file" % p)
                    continue
                listed.add(os.path.realpath(p))
                src = os.path.join(root, r["path"]) if a.relative else r["path"]
                src = os.path.join(src, "mix.wav")
                sp = {"train": "train", "validation": "valid", "test": "test"}[split]
                if r.get("split") != sp:
                    bad("hf: %s in %s/ has split %r" % (fn, split, r.get("split")))
                with open(p, "rb") as x, open(src, "rb") as y:
                    if x.read() != y.read():
                        bad("hf: %s differs from %s" % (p, src))
                got.append((r["sample_index"], r))
    for dirpath, _, files in os.walk(out):
        for f in files:
            if f.endswith(".wav") and os.path.realpath(os.path.join(dirpath, f)) not in listed:
                bad("hf: %s is not in any metadata.jsonl" % os.path.join(dirpath, f))
    got.sort(key=lambda x: x[0])
    compare_rows("hf", [r for _, r in got], with_mix)
    check_card(out, got)


def check_card(out, got, split_dirs=True, shards=0):
    """The dataset card (hf and webdataset): the hub's YAML block (a
    licence pointing at the LICENSES.md beside it, the size bucket of the
    rows) and the page's counts, each against the rows written (hf: our
    split valid is the directory validation); webdataset: the shard range
    of its loading line."""
    import yaml
    p = os.path.join(out, "README.md")
    if not got:
        return
    if not os.path.isfile(p):
        bad("hf: no README.md (dataset card)")
        return
    with open(p) as f:
        text = f.read()
    if not text.startswith("---\n") or "\n---\n" not in text[4:]:
        bad("hf card: no YAML block")
        return
    head, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(head)
    n = len(got)
    bucket = ("n<1K" if n < 1000 else "1K<n<10K" if n < 10000 else
              "10K<n<100K" if n < 100000 else "100K<n<1M")
    if meta.get("size_categories") != [bucket]:
        bad("hf card: size_categories %r for %d rows" % (meta.get("size_categories"), n))
    if meta.get("license") != "other" or meta.get("license_link") != "LICENSES.md":
        bad("hf card: licence %r / %r" % (meta.get("license"), meta.get("license_link")))
    if not os.path.isfile(os.path.join(out, meta.get("license_link", "?"))):
        bad("hf card: license_link names no file")
    for key in ("pretty_name", "task_categories", "tags"):
        if not meta.get(key):
            bad("hf card: no %s" % key)
    want = "%d sample%s, " % (n, "" if n == 1 else "s")
    if want not in body:
        bad("hf card: %r not on the page" % want)
    per = {}
    for _, r in got:
        sp = r.get("split") or "(none)"
        if split_dirs:
            sp = {"valid": "validation"}.get(sp, sp)
        per[sp] = per.get(sp, 0) + 1
    table = dict(re.findall(r"^\| (\w+) \| (\d+) \|$", body, re.M))
    if {k: int(v) for k, v in table.items()} != per:
        bad("hf card: split table %r, rows %r" % (table, per))
    seeds = sorted({str(r["global_seed"]) for _, r in got})
    line = re.search(r"^- Global seeds: (.*)$", body, re.M)
    if not line or sorted(line.group(1).split(", ")) != seeds:
        bad("hf card: seeds line %r, rows %r" % (line and line.group(1), seeds))
    if shards:
        want = "{000000..%06d}.tar" % (shards - 1)
        if want not in body:
            bad("hf card: loading line without %s" % want)


def check_jams(out, want, a, root, items):
    import jsonschema
    import mir_eval
    import numpy as np
    with open(os.path.join(JAMS_REF, "jams_schema.json")) as f:
        schema = json.load(f)
    ns = {}
    for p in glob.glob(os.path.join(JAMS_REF, "namespaces", "*", "*.json")):
        with open(p) as f:
            ns.update(json.load(f))
    files = sorted(glob.glob(os.path.join(out, "**", "*.jams"), recursive=True))
    if len(files) != len(items):
        bad("jams: %d files, expected %d" % (len(files), len(items)))
    V = jsonschema.Draft4Validator
    for i, rel, s in items:
        p = os.path.join(out, rel + ".jams")
        if not os.path.isfile(p):
            bad("jams: no %s" % p)
            continue
        with open(p) as f:
            j = json.load(f)
        errs = list(V(schema).iter_errors(j))
        if errs:
            bad("jams: %s: %s" % (p, errs[0].message[:200]))
            continue
        by = {}
        for ann in j["annotations"]:
            name = ann["namespace"]
            by.setdefault(name, []).append(ann)
            if name not in ns:
                bad("jams: %s: unknown namespace %s" % (p, name))
                continue
            vs = V(ns[name]["value"])
            cs = V(ns[name]["confidence"]) if "confidence" in ns[name] else None
            for o in ann["data"]:
                e = next(vs.iter_errors(o["value"]), None)
                if e is None and cs is not None:
                    e = next(cs.iter_errors(o["confidence"]), None)
                if e is not None:
                    bad("jams: %s: %s value %r: %s" % (p, name, o["value"], e.message[:120]))
                    break
            md = ann["annotation_metadata"]
            if md.get("annotator", {}).get("generator") != "musicgen" or \
                    md.get("version") != s["musicgen_version"] or \
                    md.get("annotator", {}).get("version") != s["musicgen_version"] or \
                    not md.get("annotation_tools", "").startswith("musicgen "):
                bad("jams: %s: %s annotation_metadata does not name musicgen %s" %
                    (p, name, s["musicgen_version"]))
        for name in ("beat_position", "beat", "chord", "key_mode", "tempo", "segment_open"):
            if len(by.get(name, [])) != 1:
                bad("jams: %s: %d %s annotations" % (p, len(by.get(name, [])), name))
        if any(len(by.get(n, [])) != 1 for n in ("beat_position", "beat", "chord")):
            continue
        # beat: the beats of beat_times (felt dotted quarters in 6/8, 12/8),
        # each valued with its position; beat_position: the denominator
        # grid, (num_beats, beat_units) the bar's time signature in JAMS's
        # reading (12/8: 12 eighths, never 4 "eighths")
        for name, tk, pk in (("beat", "beat_times", "beat_positions"),
                             ("beat_position", "denominator_beat_times",
                              "denominator_beat_positions")):
            data = by[name][0]["data"]
            est = np.array([o["time"] for o in data])
            ref = np.array(s[tk])
            if mir_eval.beat.f_measure(ref, est) != 1.0 or len(est) != len(ref):
                bad("jams: %s: %s: mir_eval beat F-measure against %s below 1" % (p, name, tk))
            pos = [o["value"]["position"] if name == "beat_position" else o["value"]
                   for o in data]
            if pos != s[pk]:
                bad("jams: %s: %s positions differ from sample.json's %s" % (p, name, pk))
        parts = s["song_arrangement"]
        for o in by["beat_position"][0]["data"]:
            part = [q for q in parts if q["start_seconds"] <= o["time"] + 1e-9][-1]
            sig = "%d/%d" % (o["value"]["num_beats"], o["value"]["beat_units"])
            if sig != part["time_signature"]:
                bad("jams: %s: beat_position at %s says %s in a %s part" %
                    (p, o["time"], sig, part["time_signature"]))
                break
        ch = by["chord"][0]["data"]
        est_i = np.array([[o["time"], o["time"] + o["duration"]] for o in ch])
        ref_i = np.array([[c["start_seconds"], c["end_seconds"]] for c in s["chords"]])
        scores = mir_eval.chord.evaluate(ref_i, [c["harte"] for c in s["chords"]],
                                         est_i, [o["value"] for o in ch])
        low = {k: v for k, v in scores.items() if abs(v - 1.0) > 1e-9}
        if low:
            bad("jams: %s: mir_eval chord scores below 1: %s" % (p, low))
        k = by["key_mode"][0]["data"][0]["value"]
        if k != "%s:%s" % (s["key"], s["mode"]):
            bad("jams: %s: key %s" % (p, k))
        if by["tempo"][0]["data"][0]["value"] != s["tempo_bpm"]:
            bad("jams: %s: tempo differs" % p)
        # every tempo of tempo_map, at its time, lasting to the next one
        tempi = by["tempo"][0]["data"]
        tmap = s.get("tempo_map") or []
        if tmap and [(o["time"], o["value"]) for o in tempi] != \
                [(e["seconds"], e["bpm"]) for e in tmap]:
            bad("jams: %s: tempo observations %s != tempo_map %s" % (
                p, [(o["time"], o["value"]) for o in tempi][:4], tmap[:4]))
        ends = [o["time"] + o["duration"] for o in tempi]
        if any(abs(e - n["time"]) > 2e-6 for e, n in zip(ends, tempi[1:])) or \
                abs(ends[-1] - s["duration_seconds"]) > 2e-6:
            bad("jams: %s: tempo observations do not tile the song" % p)
        layers = {ann["sandbox"]["layer"]: len(ann["data"]) for ann in by.get("note_midi", [])}
        want_layers = {l: s["instruments"][l]["notes"] for l in (s.get("midi") or {})}
        if layers != want_layers:
            bad("jams: %s: notes per layer %s, sample.json says %s" % (p, layers, want_layers))


def check_wds(out, want, a, root, items):
    shards = sorted(glob.glob(os.path.join(out, "*.tar")))
    if want and not shards:
        bad("webdataset: no shards")
    keys = []
    members = {}
    for n, sh in enumerate(shards):
        r = subprocess.run(["tar", "tf", sh], capture_output=True, text=True)
        if r.returncode != 0:
            bad("webdataset: tar tf %s: %s" % (sh, r.stderr.strip()))
            continue
        shard_keys = []
        for name in r.stdout.split():
            key, _, field = name.partition(".")
            if not shard_keys or shard_keys[-1] != key:
                if key in shard_keys or key in keys:
                    bad("webdataset: key %s not grouped in %s" % (key, sh))
                shard_keys.append(key)
            members.setdefault(key, []).append(field)
        if n < len(shards) - 1 and len(shard_keys) != a.shard_size:
            bad("webdataset: %s holds %d samples, expected %d" % (sh, len(shard_keys), a.shard_size))
        if len(shard_keys) > a.shard_size or not shard_keys:
            bad("webdataset: %s holds %d samples" % (sh, len(shard_keys)))
        keys += shard_keys
        with tarfile.open(sh) as t:
            for m in t.getmembers():
                if m.name.endswith(".json"):
                    key = m.name.split(".")[0]
                    i = int(key)
                    src = [rel for (x, rel, _) in items if x == i]
                    if src:
                        with open(os.path.join(root, src[0], "sample.json"), "rb") as f:
                            if t.extractfile(m).read() != f.read():
                                bad("webdataset: %s differs from sample.json" % m.name)
    exp = ["%06d" % i for i, _, _ in items]
    if keys != exp:
        bad("webdataset: keys %s..., expected %s..." % (keys[:5], exp[:5]))
    for i, rel, s in items:
        f = sorted(members.get("%06d" % i, []))
        e = ["json"]
        if isinstance(s.get("mix"), str):
            e.append("mix.wav")
        e += ["%s.wav" % l for l in (s.get("stems") or {})]
        if not a.no_midi:
            e += ["%s.mid" % l for l in (s.get("midi") or {})]
        if f != sorted(e):
            bad("webdataset: %06d has %s, expected %s" % (i, f, sorted(e)))
    check_card(out, [(i, s) for i, _, s in items], split_dirs=False,
               shards=len(shards))


def check_licenses(fmt, out, written):
    """OUT/LICENSES.md lists exactly the fonts of the samples written (their
    sample.json `soundfonts`): per font its licence, class, stems per layer
    and samples; and says how many samples it covers."""
    p = os.path.join(out, "LICENSES.md")
    if not os.path.isfile(p):
        bad("%s: no LICENSES.md beside the audio" % fmt)
        return
    want = {}
    for s in written:
        seen = set()
        for k, layer in enumerate(("beat", "melody", "harmony", "bassline")):
            f = (s.get("soundfonts") or {}).get(layer) or {}
            if not f.get("name"):
                continue
            e = want.setdefault(f["name"], [f.get("license"), f.get("license_class"),
                                            [0, 0, 0, 0], 0])
            e[2][k] += 1
            if f["name"] not in seen:
                seen.add(f["name"])
                e[3] += 1
    got = {}
    with open(p) as f:
        text = f.read()
    for line in text.splitlines():
        c = [x.strip() for x in line.strip("|").split("|")]
        if len(c) == 5 and "/" in c[3] and c[4].isdigit():
            got[c[0]] = [c[1], c[2], [int(x) for x in c[3].split("/")], int(c[4])]
    if got != want:
        bad("%s: LICENSES.md lists %s, the samples written use %s" % (fmt, got, want))
    if "across %d exported sample" % len(written) not in text:
        bad("%s: LICENSES.md does not say it covers %d samples" % (fmt, len(written)))
    for name in want:
        if "## " + name not in text:
            bad("%s: LICENSES.md has no section for %s" % (fmt, name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fmt")
    ap.add_argument("out")
    ap.add_argument("root")
    ap.add_argument("--relative", action="store_true")
    ap.add_argument("--no-midi", action="store_true")
    ap.add_argument("--notes", action="store_true",
                    help="the export has the notes.<layer>.* columns")
    ap.add_argument("--split")
    ap.add_argument("--genre")
    ap.add_argument("--min-score", type=float)
    ap.add_argument("--shard-size", type=int, default=1000)
    ap.add_argument("--row-group", type=int, default=8192)
    ap.add_argument("--codec", default="zstd")
    ap.add_argument("--expect", type=int, help="rows the export must hold")
    a = ap.parse_args()
    items = [(i, rel, s) for i, rel, s in samples(a.root) if kept(s, a)]
    # A sample a file of which is missing cannot be written in the formats
    # that read its files: the exporter leaves it out (and counts it).
    def files_ok(rel, s, kinds):
        names = []
        if "mix" in kinds and isinstance(s.get("mix"), str):
            names.append(s["mix"])
        for k in kinds:
            if k != "mix":
                names += list((s.get(k) or {}).values())
        return all(os.access(os.path.join(a.root, rel, n), os.R_OK) for n in names)
    need = {"hf": ("mix",), "jams": ("midi",),
            "webdataset": ("mix", "stems") + (() if a.no_midi else ("midi",))}
    if a.fmt in need:
        items = [(i, rel, s) for i, rel, s in items if files_ok(rel, s, need[a.fmt])]
    want = [row_of(a.root, rel, s, a) for _, rel, s in items]
    if a.expect is not None and len(want) != a.expect:
        bad("the dataset holds %d matching samples, the test expects %d" % (len(want), a.expect))
    if a.fmt == "jsonl":
        check_jsonl(a.out, want, a)
    elif a.fmt == "csv":
        check_csv(a.out, want, a)
    elif a.fmt == "parquet":
        check_parquet(a.out, want, a)
    elif a.fmt == "hf":
        check_hf(a.out, want, a, a.root)
        check_licenses("hf", a.out, [s for _, _, s in items
                                     if isinstance(s.get("mix"), str)])
    elif a.fmt == "jams":
        check_jams(a.out, want, a, a.root, items)
    elif a.fmt == "webdataset":
        check_wds(a.out, want, a, a.root, items)
        check_licenses("webdataset", a.out, [s for _, _, s in items])
    else:
        bad("unknown format %s" % a.fmt)
    finish()


if __name__ == "__main__":
    main()
