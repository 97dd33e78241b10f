# dataset_index — `musicgen index-midi` and `index-audio` write one record
# per MIDI file / WAV stem and mix with the ground truth of sample.json, in
# both layouts; an independent reader (Python over every sample.json), jq
# and DuckDB (read_json and read_csv) agree with it on counts, fields and
# a filtered query ("bass at T BPM in K"); failed, half-written and
# unreadable samples and missing files are left out and counted; bad
# requests fail with one line and leave an existing database untouched.
. "$MG_SRC/tests/system/lib.sh"
set -u
DQ="node $TOOLS/duckdb/q.mjs"
need_duckdb
command -v jq >/dev/null || die "jq is not installed: run sh scripts/setup.sh"

"$MG_BIN" generate --seed 9 --count 30 --out flat --output-mode midi-only -q \
    -g jazz -g latin --min-musicality-score 0.96 --max-attempts 2 2>/dev/null \
    || die "generate flat"
"$MG_BIN" generate --seed 4 --count 12 --out shard --output-mode midi-only -q \
    --shard-width 2 || die "generate sharded"
"$MG_BIN" generate --seed 13 --count 2 --out full --shard-width 2 -g jazz -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 \
    --fonts Csound_GMbank,FluidR3_GS -w 2 || die "generate full"
nfail=$(grep -c '"status": *"failed"' flat/manifest.jsonl)
[ "$nfail" -gt 0 ] || die "the gate made no failed sample to count"

# What crashes and bad disks leave: half-written directories, a cut
# sample.json, a lost MIDI file, a WAV stem cut short.
mkdir -p flat/000777/midi flat/.tmp-000778-42 shard/00/.tmp-000030-7
cp -r shard/00/000003 shard/00/000099
head -c 80 shard/00/000003/sample.json > shard/00/000099/sample.json
lost=$(ls flat/0*/midi/melody.mid | head -n 1)
rm "$lost"
cut=$(ls full/00/000001/stems/harmony.wav)
size=$(stat -c %s "$cut")
truncate -s $((size / 2)) "$cut"

"$MG_BIN" index-midi --dataset flat --out f.json --csv f.csv 2> log \
    || die "index-midi flat: $(cat log)"
grep -q "index-midi: [0-9]* records from [0-9]* samples to f.json and f.csv; left out: $nfail failed, 2 half-written, 0 unreadable, 1 missing files" log \
    || die "flat summary: $(cat log)"
"$MG_BIN" index-midi --dataset shard --out s.json -q 2> log \
    || die "index-midi shard: $(cat log)"
[ ! -s log ] || die "-q printed: $(cat log)"
"$MG_BIN" index-midi --dataset shard -o s2.json -q || die "index-midi -o"
# ROOT without --dataset, as verify, stats and export take it: the same
"$MG_BIN" index-midi shard -o s3.json -q || die "index-midi ROOT"
cmp -s s2.json s3.json || die "index-midi ROOT differs from --dataset ROOT"
# - is standard output: the same records as the file, the CSV beside
"$MG_BIN" index-midi shard -o - --csv s5.csv 2> log | cmp -s - s3.json ||
    die "index-midi -o - differs from the file"
grep -q "to standard output and s5.csv;" log || die "-o -'s summary: $(cat log)"
[ ! -e ./- ] || die "-o - wrote a file named -"
"$MG_BIN" index-midi shard -o - --csv - 2> log && die "-o - --csv - accepted"
"$MG_BIN" index-midi shard flat -o s4.json 2> log && die "a second ROOT accepted"
grep -q "unknown argument 'flat'" log || die "second ROOT message: $(cat log)"
cmp -s s.json s2.json || die "a second index of the same tree differs"
"$MG_BIN" index-midi --dataset shard --csv s.csv 2> log \
    || die "index-midi shard csv: $(cat log)"
grep -q "left out: 0 failed, 1 half-written, 1 unreadable, 0 missing files" log \
    || die "shard summary: $(cat log)"
"$MG_BIN" index-audio --dataset full --out a.json --csv a.csv 2> log \
    || die "index-audio: $(cat log)"
grep -q "index-audio: 9 records from 2 samples .* 1 missing files" log \
    || die "audio summary: $(cat log)"

# ---- the independent reader: every sample.json, every file ----
"$PY" - <<'PYEOF' || die "the index disagrees with sample.json"
import csv, glob, json, os, wave
gm = json.load(open(os.path.join(os.environ["MG_SRC"], "sf", "gm-names.json")))
def samples(root):
    fs = glob.glob(os.path.join(root, "[0-9]*", "sample.json")) + \
         glob.glob(os.path.join(root, "[0-9]*", "[0-9]*", "sample.json"))
    out = []
    for f in fs:
        try: s = json.load(open(f))
        except ValueError: continue
        out.append((s["sample_index"], os.path.relpath(os.path.dirname(f), root), s))
    return sorted(out, key=lambda t: t[0])
def expect(root, audio):
    recs = []
    for i, rel, s in samples(root):
        files = [(l, p) for l, p in sorted((s.get("stems") or {}).items())] + \
                ([("mix", s["mix"])] if s.get("mix") else []) if audio else \
                sorted(s["midi"].items())
        for layer, p in files:
            full = os.path.join(root, rel, p)
            if not os.path.exists(full): continue
            r = {"path": rel + "/" + p, "sample_dir": rel, "index": i, "layer": layer,
                 "genre": s["genre"], "split": s["split"], "tempo_bpm": s["tempo_bpm"],
                 "key": s["key"], "mode": s["mode"], "key_label": s["key_label"],
                 "time_signature": s["time_signature"], "musicality_score": s["musicality_score"],
                 "duration_seconds": s["duration_seconds"], "sha256": s["checksums"][p],
                 "tempo_min_bpm": s["tempo_min_bpm"], "tempo_max_bpm": s["tempo_max_bpm"],
                 "swing": s["swing"]}
            if layer != "mix":
                ins, sf = s["instruments"][layer], s["soundfonts"][layer]
                drum = ins["channel"] == 10
                r.update(program=ins["program"], is_drum=drum, instrument_class=sf["instrument_class"],
                         instrument=gm["drum_kits"][str(ins["program"])] if drum else gm["programs"][ins["program"]])
                if audio:
                    r.update(font=sf["name"], font_license=sf["license"], preset=sf["preset"], bank=sf["bank"])
                else:
                    r.update(channel=ins["channel"], notes=ins["notes"])
            if audio:
                try:
                    w = wave.open(full)
                    r.update(sample_rate=w.getframerate(), channels=w.getnchannels(), frames=w.getnframes())
                    if len(open(full, "rb").read()) < 44 + w.getnframes() * w.getsampwidth() * w.getnchannels():
                        continue  # cut short: left out
                except (wave.Error, EOFError):
                    continue
            recs.append(r)
    return recs
for db, root, audio, csvf in [("f.json", "flat", False, "f.csv"), ("s.json", "shard", False, "s.csv"),
                              ("a.json", "full", True, "a.csv")]:
    got = [json.loads(l) for l in open(db)]
    want = expect(root, audio)
    assert len(got) == len(want) > 0, (db, len(got), len(want))
    for g, w in zip(got, want):
        for k, v in w.items():
            assert g[k] == v, (db, g["path"], k, g[k], v)
    keys = list(got[0].keys())
    assert all(list(g.keys()) == keys for g in got), db
    rows = list(csv.DictReader(open(csvf)))
    assert [r["path"] for r in rows] == [g["path"] for g in got], csvf
    assert list(rows[0].keys()) == keys, csvf
    # mixes carry no instrument; stems do
    if audio:
        assert {g["layer"] for g in got} >= {"mix", "bassline", "beat"}
        for g in got:
            assert (g["kind"] == "mix") == (g["layer"] == "mix") == (g["program"] is None)
            assert g["frames"] == json.load(open(os.path.join("full", g["sample_dir"], "sample.json")))["audio_frames"]
    assert len({g["sha256"] for g in got}) == len(got)
PYEOF

# ---- jq and DuckDB: counts, types and "bass at T BPM in K" ----
set --
for db in f s; do
    n=$(wc -l < $db.json)
    [ "$(jq -s length $db.json)" = "$n" ] || die "jq reads $db.json otherwise"
    # the query: the tempo and key of the first bassline record
    T=$(jq -r 'select(.layer=="bassline") | .tempo_bpm | round' $db.json | head -n 1)
    K=$(jq -r 'select(.layer=="bassline") | .key_label' $db.json | head -n 1)
    jq -r --argjson t "$T" --arg k "$K" \
        'select(.layer=="bassline" and (.tempo_bpm|round)==$t and .key_label==$k) | .path' \
        $db.json > jq.paths
    [ -s jq.paths ] || die "jq query found nothing in $db.json"
    "$PY" - "$db.json" "$T" "$K" <<'PYEOF' > py.paths || die "python query"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["layer"] == "bassline" and int(r["tempo_bpm"] + 0.5) == int(sys.argv[2]) and r["key_label"] == sys.argv[3]:
        print(r["path"])
PYEOF
    cmp -s jq.paths py.paths || die "jq and python disagree on the query over $db.json"
    cp py.paths "$db.want"
    echo "$n" > "$db.n"
    # one DuckDB process for every query (its start is the slow part)
    set -- "$@" "SELECT count(*) AS n FROM read_json('$db.json')" \
        "SELECT path FROM read_json('$db.json') WHERE layer='bassline' AND round(tempo_bpm)=$T AND key_label='$K' ORDER BY index" \
        "SELECT path FROM read_csv('$db.csv') WHERE layer='bassline' AND round(tempo_bpm)=$T AND key_label='$K' ORDER BY index" \
        "DESCRIBE SELECT * FROM read_json('$db.json')"
done
$DQ "$@" "SELECT count(*) AS n FROM read_json('a.json') WHERE kind='stem' AND font IS NOT NULL AND frames > 0" \
    > duck.out 2>&1 || die "duckdb: $(cat duck.out)"
"$PY" - <<'PYEOF' || die "DuckDB disagrees: $(cat duck.out)"
import json
res = [json.loads(l) for l in open("duck.out")]
assert len(res) == 9, len(res)
for k, db in enumerate(["f", "s"]):
    r = res[4 * k: 4 * k + 4]
    assert int(r[0]["rows"][0]["n"]) == int(open(db + ".n").read()), (db, r[0])
    want = open(db + ".want").read().split()
    assert [x["path"] for x in r[1]["rows"]] == want, (db, r[1], want)
    assert [x["path"] for x in r[2]["rows"]] == want, (db, r[2], want)
    types = {x["column_name"]: x["column_type"] for x in r[3]["rows"]}
    for c, t in [("index", "BIGINT"), ("tempo_bpm", "DOUBLE"), ("is_drum", "BOOLEAN"),
                 ("musicality_score", "DOUBLE"), ("key_label", "VARCHAR"), ("notes", "BIGINT")]:
        assert types[c] == t, (db, c, types[c])
assert res[8]["rows"] == [{"n": "7"}], res[8]   # 8 stems, one cut short
PYEOF

# ---- bad requests: one line, non-zero, the old database untouched ----
cp f.json keep.json
bad() { # bad WHAT ARGS...: fails with one line, f.json unchanged
    what=$1; shift
    "$MG_BIN" "$@" > out 2> err && die "$what: exit 0"
    [ "$(wc -l < err)" -eq 1 ] || die "$what: not one line: $(cat err)"
    cmp -s f.json keep.json || die "$what: f.json changed"
}
# the wrong index for a dataset: a note naming the other one
"$MG_BIN" index-audio flat --out none.json 2> log || die "index-audio of midi-only"
grep -qx "index-audio: note: no sample names a WAV file (a midi-only dataset? index-midi indexes it)" log ||
    die "no note for a midi-only tree: $(cat log)"
bad "missing root" index-midi --dataset nowhere --out f.json
grep -q "nowhere" err || die "missing root unnamed: $(cat err)"
bad "unknown flag" index-audio --dataset flat --out f.json --frobnicate
grep -q "frobnicate" err || die "unknown flag unnamed: $(cat err)"
bad "no ROOT" index-midi --out f.json
grep -q "need --dataset ROOT" err || die "no ROOT: $(cat err)"
bad "--out ending in /" index-midi --dataset flat --out adir2/
grep -q "ends in '/'" err || die "--out DIR/: $(cat err)"
[ ! -e adir2 ] || die "--out DIR/ made something"
bad "--midi-dir missing" index-midi --dataset flat --midi-dir nowhere
grep -q "midi-dir nowhere" err || die "--midi-dir unnamed: $(cat err)"
bad "unwritable --out" index-midi --dataset flat --out no/such/dir/db.json
grep -q "no/such/dir/db.json" err || die "unwritable --out unnamed: $(cat err)"
mkdir adir
bad "--out and --csv one file, spelled two ways" index-midi --dataset flat --out ./f.json --csv f.json
grep -q "name the same file" err || die "one file two ways: $(cat err)"
bad "--out over the dataset's manifest" index-midi --dataset flat --out flat/manifest.jsonl --force
grep -q "is inside the dataset flat" err || die "--out flat/manifest.jsonl: $(cat err)"
bad "--csv in a sample" index-midi --dataset flat --csv "$(ls -d flat/0* | head -n 1)/x.csv"
bad "--out a directory" index-midi --dataset flat --out adir
[ -d adir ] && [ -z "$(ls -A adir)" ] || die "--out a directory: adir changed"
[ -z "$(find . -maxdepth 1 -name '*.tmp')" ] || die "a temporary file was left: $(ls -A)"

# ---- the Python tool's spelling: -d, the default database, base dirs ----
mkdir py && cd py || die "cd py"
"$MG_BIN" index-midi -d ../shard -q || die "index-midi -d: no default --out"
[ -f midi_db.json ] || die "no ./midi_db.json by default: $(ls -A)"
"$MG_BIN" index-midi -d ../shard --midi-dir .. -o based.json -q ||
    die "index-midi --midi-dir"
"$MG_BIN" index-audio -d ../full --samples-dir ../full/00 -q ||
    die "index-audio --samples-dir"
[ -f audio_db.json ] || die "no ./audio_db.json by default"
# an index is rebuilt over an index; any other file under the name (the
# Python tool's MidiManager database is ./midi_db.json too) only with --force
"$MG_BIN" index-midi -d ../shard -q || die "rebuilding ./midi_db.json refused"
echo '{"files": {}, "version": 1}' > midi_db.json
"$MG_BIN" index-midi -d ../shard 2> log; [ $? -eq 1 ] || die "a foreign midi_db.json replaced"
grep -qx "musicgen index-midi: --out midi_db.json exists and is not an index (it does not begin as one); --force replaces it" log ||
    die "foreign midi_db.json: $(cat log)"
grep -q '"version": 1' midi_db.json || die "the foreign midi_db.json changed"
# the dataset's own manifest: refused as inside the dataset, not offered
# to --force (which refuses it too)
"$MG_BIN" index-midi ../shard -o ../shard/manifest.jsonl 2> log && die "--out over the manifest accepted"
grep -q "is inside the dataset" log || die "--out over the manifest: $(cat log)"
"$MG_BIN" index-midi -d ../shard --csv notes.txt -q 2>/dev/null || true
echo "my notes" > notes.txt
"$MG_BIN" index-midi -d ../shard --csv notes.txt -q 2> log && die "--csv over a foreign file accepted"
"$MG_BIN" index-midi -d ../shard --force -q || die "--force"
cmp -s midi_db.json ../s3.json || die "--force did not write the index"
cd .. || die "cd .."
# the same records; paths relative to ROOT, to the parent, from a sibling
python3 - py/midi_db.json s3.json py/based.json py/audio_db.json <<'PYEOF' || die "base dirs: paths wrong"
import json, os, sys
load = lambda p: [json.loads(l) for l in open(p)]
plain, ref, based, audio = map(load, sys.argv[1:])
assert plain == ref, "the default database differs from --out's"
assert len(based) == len(ref)
for b, r in zip(based, ref):
    assert b["path"] == "shard/" + r["path"], (b["path"], r["path"])
    assert os.path.isfile(b["path"]), b["path"]
    b["path"] = r["path"]
    assert b == r
assert audio, "no audio records"
for a in audio:
    # from full/00: ../00/... for shard 00's samples, ../01/... for 01's
    p = os.path.normpath(os.path.join("full/00", a["path"]))
    assert a["path"].startswith("../"), a["path"]
    assert os.path.isfile(p), (a["path"], p)
PYEOF
# ---- one output, two writers at once (slowed to overlap): each its own
# temporary, both succeed, the result is one run's, whole (before, both
# wrote one ".NAME.tmp": the later failed "cannot replace", and the file
# held one's rows over the other's) ----
"$MG_BIN" index-midi flat -o a.json -q || die "index flat"
"$MG_BIN" index-midi shard -o b.json -q || die "index shard"
MUSICGEN_FAULT_INDEX_ROW_DELAY_MS=30 "$MG_BIN" index-midi flat -o twice.json \
    -j 1 -q 2> log1 & p1=$!
sleep 0.2
MUSICGEN_FAULT_INDEX_ROW_DELAY_MS=10 "$MG_BIN" index-midi shard -o twice.json \
    -j 1 -q 2> log2 & p2=$!
wait $p1 || die "first of two at once failed: $(cat log1)"
wait $p2 || die "second of two at once failed: $(cat log2)"
cmp -s twice.json a.json || cmp -s twice.json b.json ||
    die "two writers at once: the database is neither run's"
# a FIFO or a device is written into (not read first: that waited for
# ever), never renamed over; a link is followed, not replaced
mkfifo ififo
timeout 60 cat ififo > from-fifo.json & reader=$!
timeout 60 "$MG_BIN" index-midi flat -o ififo -q || die "index into a FIFO"
wait $reader || die "the FIFO's reader failed"
[ -p ififo ] && cmp -s from-fifo.json a.json || die "index into a FIFO: $(ls -l ififo)"
"$MG_BIN" index-midi flat -o /dev/stdout -q | cmp -s - a.json || die "index -o /dev/stdout"
[ -L /dev/stdout ] || [ -c /dev/stdout ] || die "/dev/stdout was replaced"
ln -s ireal.json ilink.json
"$MG_BIN" index-midi flat -o ilink.json -q && "$MG_BIN" index-midi flat -o ilink.json -q ||
    die "index to a link"
[ -L ilink.json ] && cmp -s ireal.json a.json || die "the link was replaced: $(ls -l ilink.json)"
# a killed writer's temporary (this host, a pid that is gone) is swept by
# the next; another host's is left alone (its writer may be running)
host=$(hostname | tr -c 'A-Za-z0-9._\n' '_' | cut -c1-40)
sh -c 'exit 0' & dead=$!; wait $dead
: > ".once.json.tmp-$host-$dead"
: > ".once.json.tmp-otherhost-$dead"
"$MG_BIN" index-midi flat -o once.json -q || die "index after a kill"
[ ! -e ".once.json.tmp-$host-$dead" ] || die "a dead writer's temporary stayed: $(ls -a)"
[ -e ".once.json.tmp-otherhost-$dead" ] || die "another host's temporary was removed"
rm -f ".once.json.tmp-otherhost-$dead"
[ -z "$(ls -a | grep '\.tmp')" ] || die "temporaries left: $(ls -a | grep tmp)"
true
