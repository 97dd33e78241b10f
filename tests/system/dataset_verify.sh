# dataset_verify — `musicgen verify` passes a whole tree (flat and sharded,
# full audio and midi-only) and finds and names each fault a copy to a
# cluster file system can suffer: a flipped byte in a stem, a deleted MIDI,
# a truncated sample.json, half-written directories, a duplicated manifest
# row, an orphan directory, a WAV whose length disagrees with the
# annotation, a row that disagrees with its sample, a LICENSES.md that
# disagrees with the samples' soundfonts, and samples of two engines or
# genre data sets in one tree; `musicgen licenses` rewrites LICENSES.md,
# and refuses a manifest line that is no row, naming it.
. "$MG_SRC/tests/system/lib.sh"
set -u
short="intro=1,verse=1,chorus=1,bridge=1,outro=1"
"$MG_BIN" generate --seed 5 --count 6 --out full --shard-width 3 -q \
    --measures-per-part "$short" || die "generate full failed"
"$MG_BIN" generate --seed 6 --count 30 --out midi --output-mode midi-only \
    -q || die "generate midi failed"

"$MG_BIN" verify full > ok.txt || { cat ok.txt; die "whole sharded tree refused"; }
grep -q "6 samples, 6 manifest rows, 54 files.*whole, 0 problems" ok.txt ||
    { cat ok.txt; die "summary of a whole tree"; }
"$MG_BIN" verify midi --jobs 1 > ok2.txt || { cat ok2.txt; die "whole midi-only tree refused"; }
grep -q "30 samples, 30 manifest rows, 120 files" ok2.txt || { cat ok2.txt; die "midi-only summary"; }

# LICENSES.md must agree with the samples' soundfonts (a stale or edited
# one is named, font by font); a tree without one is not faulted for it
# but noted, with the command that writes it.
cp -R midi lic
sed -i 's/ across 30 finished samples/ across 31 finished samples/' lic/LICENSES.md
first=$(sed -n 's/^| \([^ |]*\) | .*/\1/p' lic/LICENSES.md | grep -v '^font$' | head -n 1)
sed -i "s/^| $first | [^|]* |/| $first | CC-BY-4.0 |/" lic/LICENSES.md
"$MG_BIN" verify lic > lic.txt && { cat lic.txt; die "a stale LICENSES.md passed"; }
grep -q "^LICENSES.md: covers 31 samples; the tree's readable finished samples: 30$" lic.txt &&
    grep -q "^LICENSES.md: $first: licence CC-BY-4.0 (.*), the samples record " lic.txt &&
    grep -q ": 2 problems$" lic.txt || { cat lic.txt; die "stale LICENSES.md not named"; }
rm lic/LICENSES.md
"$MG_BIN" verify lic > lic.txt || { cat lic.txt; die "a tree without LICENSES.md refused"; }
grep -q "^note: no LICENSES.md .*\`musicgen licenses lic\` writes it$" lic.txt ||
    { cat lic.txt; die "a missing LICENSES.md not noted"; }
# in JSON a note is not a problem: it was an element of "problems" of a
# whole tree (problem_count 0, whole true)
"$MG_BIN" verify lic --fmt json > lic.json || die "--fmt json of a tree without LICENSES.md refused"
"$PY" - <<'PYEOF' || die "a note in verify --fmt json: $(cat lic.json)"
import json
j = json.load(open("lic.json"))
assert j["problems"] == [] and j["problem_count"] == 0 and j["whole"] is True, j
assert len(j["notes"]) == 1 and j["notes"][0].startswith("no LICENSES.md "), j["notes"]
PYEOF
# `musicgen licenses` writes it again: what generate wrote, byte for byte
"$MG_BIN" licenses lic > out.txt || die "musicgen licenses failed"
grep -q "^licenses: lic/LICENSES.md: [1-9][0-9]* fonts\?$" out.txt || { cat out.txt; die "licenses summary"; }
cmp -s midi/LICENSES.md lic/LICENSES.md || die "musicgen licenses differs from generate's"
"$MG_BIN" verify lic > lic.txt || { cat lic.txt; die "rewritten LICENSES.md refused"; }
grep -q "^note:" lic.txt && { cat lic.txt; die "a note with LICENSES.md present"; }
# a registry that is not there: refused (it wrote "Attribution: unknown"
# for every font over a good LICENSES.md)
cp lic/LICENSES.md lic-keep.md
"$MG_BIN" licenses lic --sf-dir ./typo 2> err.txt; [ $? -eq 2 ] || die "licenses --sf-dir typo: exit not 2"
grep -qx "musicgen licenses: --sf-dir ./typo: No such file or directory" err.txt || die "--sf-dir typo: $(cat err.txt)"
cmp -s lic/LICENSES.md lic-keep.md || die "licenses --sf-dir typo changed LICENSES.md"
"$MG_BIN" licenses nowhere 2> err.txt && die "licenses of a missing root succeeded"
grep -qx "musicgen licenses: nowhere: No such file or directory" err.txt || { cat err.txt; die "missing root message"; }
mkdir empty
"$MG_BIN" licenses empty 2> err.txt && die "licenses of a directory without a manifest succeeded"
grep -q "no manifest.jsonl" err.txt || { cat err.txt; die "no-manifest message"; }
# a manifest line that is no row: one line naming it, exit 1, the file
# as it was (it was skipped without a word, and LICENSES.md left out the
# fonts of its sample); the same for an ok row without a path; a row
# longer than 8 KiB is one row (it was read as two pieces, both skipped)
cp lic/LICENSES.md lic-keep.md
cp lic/manifest.jsonl lic-manifest.keep
sed -i '3s/.*/garbage{/' lic/manifest.jsonl
"$MG_BIN" licenses lic >out.txt 2>err.txt; [ $? -eq 1 ] || die "licenses with a garbage line: exit not 1"
[ ! -s out.txt ] && [ "$(wc -l <err.txt)" -eq 1 ] &&
    grep -q "^musicgen licenses: LICENSES.md not written: manifest.jsonl:3: not a JSON row (" err.txt ||
    die "licenses with a garbage line: $(cat err.txt)"
cmp -s lic/LICENSES.md lic-keep.md || die "licenses with a garbage line changed LICENSES.md"
cp lic-manifest.keep lic/manifest.jsonl
sed -i '5s/"path": *"[^"]*"/"path": 5/' lic/manifest.jsonl
"$MG_BIN" licenses lic 2>err.txt && die "licenses with an ok row without a path succeeded"
grep -qx "musicgen licenses: LICENSES.md not written: manifest.jsonl:5: an ok row without a path inside the dataset" err.txt ||
    die "licenses, an ok row without a path: $(cat err.txt)"
"$PY" - lic-manifest.keep lic/manifest.jsonl <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
rows[4]["note"] = "x" * 9000
with open(sys.argv[2], "w") as f:
    for r in rows:
        f.write(json.dumps(r, sort_keys=True, separators=(",", ":")) + "\n")
PYEOF
"$MG_BIN" licenses lic >out.txt 2>err.txt || die "licenses with a long row: $(cat err.txt)"
cmp -s lic/LICENSES.md lic-keep.md || die "licenses with a long row: LICENSES.md differs"
cp lic-manifest.keep lic/manifest.jsonl

# Each fault in its own place of one copy.
cp -R full bad
printf '\001' | dd of=bad/000/000001/stems/melody.wav bs=1 seek=5000 conv=notrunc 2>/dev/null
# flip, not overwrite: make sure the byte really changed
cmp -s full/000/000001/stems/melody.wav bad/000/000001/stems/melody.wav &&
    die "the flip did not change the stem"
rm bad/000/000002/midi/bassline.mid
head -c 700 full/000/000003/sample.json > bad/000/000003/sample.json
mkdir -p bad/000/.tmp-000004-4242/midi bad/000/000099/midi
touch bad/000/000099/midi/beat.mid
head -n 1 full/manifest.jsonl >> bad/manifest.jsonl
mkdir -p bad/001/001000 && cp full/000/000000/sample.json bad/001/001000/ 2>/dev/null
"$MG_BIN" verify bad --jobs 2 > bad.txt; rc=$?
cat bad.txt
[ "$rc" -eq 1 ] || die "verify of a broken tree exited $rc, not 1"
grep -q "^000/000001: stems/melody.wav: SHA-256 mismatch" bad.txt || die "flipped byte not named"
grep -q "^000/000002: midi/bassline.mid: missing" bad.txt || die "deleted MIDI not named"
grep -q "^000/000003: sample.json: invalid JSON" bad.txt || die "truncated sample.json not named"
grep -q "^000/.tmp-000004-4242: half-written directory" bad.txt || die ".tmp directory not named"
grep -q "^000/000099: half-written directory (no sample.json)" bad.txt || die "directory without sample.json not named"
grep -q "^manifest.jsonl:7: duplicate row for index 0" bad.txt || die "duplicated row not named"
grep -q "^001/001000: orphan: no manifest row for index 1000" bad.txt || die "orphan not named"
grep -q "^001/001000: sample.json: sample_index 0 in the directory of index 1000" bad.txt ||
    die "foreign sample.json not named"
# Nothing else: the untouched samples 0 and 5 are not mentioned.
grep -q "^000/000000:\|^000/000005:" bad.txt && die "a whole sample was reported"
# The same report, in the same order, with one thread.
"$MG_BIN" verify bad --jobs 1 > bad1.txt
grep -v '^verify:' bad.txt > a.txt; grep -v '^verify:' bad1.txt > b.txt
cmp -s a.txt b.txt || die "report differs between --jobs 1 and 2"
# --quick: the same report less what only a hash finds (the flipped byte)
"$MG_BIN" verify bad --quick > q.txt && die "verify --quick passed a broken tree"
grep -v '^verify:' q.txt > qa.txt
grep -v '^verify:' bad.txt | grep -v "SHA-256 mismatch" > qb.txt
cmp -s qa.txt qb.txt || die "--quick's report: $(diff qb.txt qa.txt)"
grep -q "^verify: bad: .* files of [0-9.]* MB, sizes and headers checked, not hashed (--quick), in .*: [0-9]* problems$" q.txt ||
    die "--quick summary: $(tail -1 q.txt)"
"$MG_BIN" verify full --quick > q.txt || die "--quick refused a whole tree: $(cat q.txt)"
grep -q "whole, 0 problems$" q.txt || die "--quick on a whole tree: $(cat q.txt)"
# --fmt json: the same problems, in the same order, as one JSON object
# (each with its sample's index or the manifest's line), and the totals
"$MG_BIN" verify bad --fmt json > bad.json; [ $? -eq 1 ] || die "--fmt json of a broken tree: exit not 1"
"$MG_BIN" verify full -f json --quick > full.json || die "--fmt json of a whole tree failed"
"$PY" - <<'PYEOF' || die "verify --fmt json disagrees with the text report"
import json
lines = [l.rstrip("\n") for l in open("bad.txt") if not l.startswith("verify:")]
j = json.load(open("bad.json"))
got = [(p["where"] + ": " if p["where"] else "") + p["problem"] for p in j["problems"]]
assert got == lines, (got, lines)
assert j["problem_count"] == len(lines) and j["whole"] is False and j["hashed"] is True
assert j["root"] == "bad" and j["samples"] >= 5 and j["manifest_rows"] > 0
by = {p["where"]: p for p in j["problems"]}
assert by["000/000001"]["index"] == 1 and by["000/000001"]["line"] is None
assert by["manifest.jsonl:7"]["line"] == 7 and by["manifest.jsonl:7"]["index"] is None
assert by["001/001000"]["index"] == 1000
assert by["000/.tmp-000004-4242"]["index"] is None
w = json.load(open("full.json"))
assert w["problems"] == [] and w["whole"] is True and w["hashed"] is False, w
assert w["problem_count"] == 0 and w["files"] > 0 and w["bytes"] > 0
assert j["notes"] == [] and w["notes"] == [], (j["notes"], w["notes"])
PYEOF
# a run that cannot be made still gives a whole object, whole false
"$MG_BIN" verify nowhere --fmt json > nw.json 2> err.txt && die "verify nowhere passed"
"$PY" -c "
import json
j = json.load(open('nw.json'))
assert j['whole'] is False and 'nowhere' in j['error'] and j['problems'] == [], j
" || die "verify --fmt json of a missing root: $(cat nw.json)"
# a root whose name is not UTF-8 (file names are bytes): readable in
# "root", exact in "root_hex" (it crashed on a NULL string)
NU=$(printf 'mid\377i')
cp -r midi "$NU" && rm "$NU/000004/midi/beat.mid"
"$MG_BIN" verify "$NU" --fmt json > nu.json; [ $? -eq 1 ] || die "--fmt json of a non-UTF-8 root: exit not 1"
"$PY" -c "
import json
j = json.load(open('nu.json'))
assert j['root'] == 'mid\ufffdi' and bytes.fromhex(j['root_hex']) == b'mid\xffi', j
assert [p['where'] for p in j['problems']] == ['000004'] and 'root_hex' not in json.load(open('full.json')), j
" || die "verify --fmt json of a non-UTF-8 root: $(cat nu.json)"
"$MG_BIN" stats "$NU" --fmt json > nus.json || die "stats of a non-UTF-8 root"
"$PY" -c "
import json
j = json.load(open('nus.json'))
assert j['root'] == 'mid\ufffdi' and bytes.fromhex(j['root_hex']) == b'mid\xffi', j
" || die "stats --fmt json of a non-UTF-8 root: $(head -c 300 nus.json)"
mkdir ixd && "$MG_BIN" index-midi "$NU" --midi-dir ixd --out nu.jsonl -q || die "index-midi of a non-UTF-8 root"
"$PY" -c "
import json
for l in open('nu.jsonl', 'rb'):
    assert json.loads(l)['path'].startswith('../mid\ufffdi/'), l
" || die "index-midi of a non-UTF-8 root: not JSON Lines: $(head -c 300 nu.jsonl)"
rm -r "$NU"
"$MG_BIN" verify full --fmt yaml 2> err.txt; [ $? -eq 2 ] || die "--fmt yaml accepted"
grep -q "fmt must be text or json, not 'yaml'" err.txt || die "--fmt yaml: $(cat err.txt)"

# Identity read from the tokens, whatever the layout: a sample.json
# re-indented (as Python's json.dumps writes it) is whole; a seed changed
# in it and its manifest row is caught re-indented too (before, the seed
# was read from the two-space layout only: a wrong "seed differs" for the
# first, nothing for the second); an index that is no index is quoted.
cp -R midi ind
"$PY" - <<'PYEOF' || die "cannot re-indent"
import json
for i, f in ((1, None), (2, "seed"), (3, "index")):
    p = "ind/%06d/sample.json" % i
    d = json.load(open(p))
    if f == "seed":
        d["seed"] = 123
        rows = [json.loads(l) for l in open("ind/manifest.jsonl")]
        for r in rows:
            if r["sample_index"] == i: r["seed"] = 123
        open("ind/manifest.jsonl", "w").write("".join(json.dumps(r) + "\n" for r in rows))
    if f == "index":
        d["sample_index"] = -1
        d["musicality_score"] = "high"   # not a number: the schema says so
    open(p, "w").write(json.dumps(d, indent=4, sort_keys=True))
PYEOF
"$MG_BIN" verify ind > ind.txt && die "a changed seed passed"
grep -q "^000001:" ind.txt && die "a re-indented sample.json was reported: $(cat ind.txt)"
grep -q "^000002: sample.json: seed 123 is not the seed of index 2 under global seed " ind.txt ||
    die "a changed seed, re-indented, not caught: $(cat ind.txt)"
grep -q "^000003: sample.json: sample_index -1 in the directory of index 3" ind.txt ||
    die "sample_index -1 misquoted: $(cat ind.txt)"
grep -q "musicality_score .*sample.json has 0.0000" ind.txt &&
    die "a score that is no number compared as 0: $(cat ind.txt)"
grep -q "^000003: sample.json: schema: /musicality_score" ind.txt ||
    die "a score that is no number not named by the schema: $(cat ind.txt)"

# A sample moved by hand into another shard: named as such (it was an
# "orphan" whose row exists), and left out by the readers (export wrote
# its row last, out of index order)
cp -R full mv && mkdir -p mv/007 && mv mv/000/000002 mv/007/
"$MG_BIN" verify mv > mv.txt && die "a misplaced sample passed"
grep -q "^007/000002: in shard 007, but index 2 belongs in shard 000 (moved by hand?): not read as a sample$" mv.txt ||
    die "misplaced sample not named: $(cat mv.txt)"
grep -q "orphan" mv.txt && die "a misplaced sample called an orphan: $(cat mv.txt)"
"$MG_BIN" export mv -o mv.jsonl 2> log || die "export of mv"
grep -q "1 invalid,.* (invalid, the first: 007/000002: in shard 007, but index 2 belongs in shard 000" log ||
    die "export of a misplaced sample: $(cat log)"
"$PY" -c "
import json
i = [json.loads(l)['sample_index'] for l in open('mv.jsonl')]
assert i == sorted(i) and 2 not in i, i
" || die "export of mv: rows out of order or the misplaced one kept"
PYTHONPATH="$MG_SRC/python" "$PY" -c "
from musicgen.dataset import Dataset
ds = Dataset('mv')
assert 2 not in ds.indices and ds.misplaced == ['007/000002'], (ds.indices, ds.misplaced)
" || die "python Dataset kept a misplaced sample"

# A wild manifest row (index 2e11, twice): named as a duplicate, in
# memory that follows the rows (a bit per index up to it took 25 GB, and
# when that failed the duplicate was misreported)
cp -R midi wild
printf '{"sample_index":200000000000,"status":"failed","path":"x"}\n' >> wild/manifest.jsonl
printf '{"sample_index":200000000000,"status":"failed","path":"x"}\n' >> wild/manifest.jsonl
"$MG_BIN" verify wild --quick > wild.txt && die "a duplicated wild row passed"
grep -q "^manifest.jsonl:32: duplicate row for index 200000000000$" wild.txt ||
    die "a duplicated wild row: $(cat wild.txt)"
[ "$(grep -vc '^verify:' wild.txt)" -eq 1 ] || die "more than the duplicate reported: $(cat wild.txt)"

# A WAV whose length disagrees with the annotation (its checksum fixed so
# only the length speaks), and a manifest row that disagrees.
cp -R full len
f=len/000/000004/mix.wav
sz=$(stat -c %s "$f")
truncate -s $((sz - 4000)) "$f"
new=$(sha256sum "$f" | cut -c1-64)
old=$(sha256sum full/000/000004/mix.wav | cut -c1-64)
sed -i "s/$old/$new/" len/000/000004/sample.json
sed -i '2s/"musicality_score":[0-9.]*/"musicality_score":0.1234/' len/manifest.jsonl
"$MG_BIN" verify len > len.txt && { cat len.txt; die "length fault passed"; }
cat len.txt
grep -q "^000/000004: mix.wav: truncated WAV" len.txt || die "truncated WAV not named"
"$MG_BIN" verify len --quick > lenq.txt && die "--quick passed a truncated WAV"
grep -q "^000/000004: mix.wav: truncated WAV" lenq.txt || die "--quick: truncated WAV not named"
grep -q "^manifest.jsonl:2: musicality_score 0.1234, sample.json has" len.txt ||
    die "disagreeing manifest row not named"

# No manifest at all, and a sample.json that breaks the schema.
cp -R midi nom
rm nom/manifest.jsonl
sed -i 's/"mode": "m[a-z]*"/"mode": "lydian"/' nom/000007/sample.json
"$MG_BIN" verify nom > nom.txt && die "tree without manifest passed"
grep -q "^manifest.jsonl: missing" nom.txt || die "missing manifest not named"
grep -q '^000007: sample.json: schema: /mode: "lydian" is not one of the allowed values' nom.txt ||
    { cat nom.txt; die "schema violation not named"; }
# A sample.json written by an older musicgen, without a field required
# since: the problem says which version wrote it (this one's is unchanged).
sed -i -e 's/"musicgen_version": "[^"]*"/"musicgen_version": "0.1.0"/' \
    -e '/"genre_key":/d' nom/000008/sample.json
"$MG_BIN" verify nom > nom.txt && die "an older sample.json passed"
grep -q "^000008: sample.json: schema: /: required property 'genre_key' is missing (written by musicgen 0.1.0; this is [0-9.]*'s schema)" nom.txt ||
    { cat nom.txt; die "older sample.json not named with its version"; }
grep '^000007: ' nom.txt | grep -q "written by" && die "a current sample.json was called older"
# Text that is JSON by its grammar but not Unicode: a byte that is not
# UTF-8, a \u escape that is half a surrogate pair (strict readers refuse
# both); and a key that appears twice in one object.
cp -R midi enc
printf '\377' | dd of=enc/000003/sample.json bs=1 seek=20 conv=notrunc 2>/dev/null
sed -i 's/"key_label": "/"key_label": "\\ud800/' enc/000004/sample.json
"$MG_BIN" verify enc > enc.txt && die "a sample.json that is not UTF-8 passed"
grep -q "^000003: sample.json: invalid JSON at byte 20: not UTF-8$" enc.txt ||
    { cat enc.txt; die "a byte that is not UTF-8 not named"; }
grep -q "^000004: sample.json: invalid JSON at byte [0-9]*: a \\\\u escape that is half a surrogate pair$" enc.txt ||
    { cat enc.txt; die "a lone surrogate escape not named"; }
# a key twice in one object: readers disagree on which value wins
sed -i 's/^  "key": /  "mode": "major",\n  "key": /' enc/000006/sample.json
"$MG_BIN" verify enc > enc.txt
grep -q '^000006: sample.json: key "mode" appears twice in one object (at byte [0-9]*)$' enc.txt ||
    { cat enc.txt; die "a repeated key not named"; }
grep -q "^000005:" enc.txt && { cat enc.txt; die "an untouched sample reported"; }
# One run is one engine and one data set: a tree whose samples 28-29 were
# made with another --genres-dir (a preset's text edited: the same notes,
# another genres_hash) - a Slurm array on two installs, a hand-merged tree
# - was "whole". Named once per field, with each value's count and the
# first index of the one that is not the run's (the ledger's, else the
# first sample's); nothing else is wrong with that tree.
cp -R "$MG_SRC/genres" g2
sed -i '0,/"description": "/s//"description": "Edited. /' g2/jazz/spec.json
"$MG_BIN" generate --seed 6 --start 28 --count 2 --out mixb --output-mode midi-only \
    --genres-dir g2 -q || die "generate mixb failed"
cp -R midi mix
rm -rf mix/000028 mix/000029
cp -R mixb/000028 mixb/000029 mix/
ha=$(sed -n 's/.*"genres_hash": "\([0-9a-f]*\)".*/\1/p' midi/000000/sample.json)
hb=$(sed -n 's/.*"genres_hash": "\([0-9a-f]*\)".*/\1/p' mixb/000028/sample.json)
[ -n "$ha" ] && [ -n "$hb" ] && [ "$ha" != "$hb" ] || die "the edited preset did not change genres_hash"
"$MG_BIN" verify mix > mix.txt; rc=$?
[ "$rc" -eq 1 ] || { cat mix.txt; die "a tree of two genre data sets: exit $rc, not 1"; }
grep -qx "run: genres_hash differs between samples: \"$ha\" in 28 (the run's: .musicgen/ledger.sqlite), \"$hb\" in 2 (first at index 28)" mix.txt &&
    [ "$(grep -c . mix.txt)" -eq 2 ] && grep -q ": 1 problem$" mix.txt ||
    { cat mix.txt; die "a mix of genre data not named (or more than it)"; }
# no ledger: the first sample's value is the run's
rm -rf mix/.musicgen
"$MG_BIN" verify mix > mix.txt && { cat mix.txt; die "a mix without a ledger passed"; }
grep -qx "run: genres_hash differs between samples: \"$ha\" in 28 (the run's: the first sample's), \"$hb\" in 2 (first at index 28)" mix.txt ||
    { cat mix.txt; die "a mix without a ledger not named"; }
# the run's record wins over the first sample: a ledger of the minority's
# run, then a static run's record (.musicgen/slices/run.json)
cp -R mixb/.musicgen mix/
"$MG_BIN" verify mix > mix.txt
grep -qx "run: genres_hash differs between samples: \"$hb\" in 2 (the run's: .musicgen/ledger.sqlite), \"$ha\" in 28 (first at index 0)" mix.txt ||
    { cat mix.txt; die "the ledger's genres_hash not the run's"; }
rm -rf mix/.musicgen && mkdir -p mix/.musicgen/slices
printf '{"fingerprint": {"engine_version": "0.0.9", "genres_hash": "%s"}, "seed": 6}\n' "$hb" > mix/.musicgen/slices/run.json
"$MG_BIN" verify mix > mix.txt
grep -qx "run: genres_hash differs between samples: \"$hb\" in 2 (the run's: .musicgen/slices/run.json), \"$ha\" in 28 (first at index 0)" mix.txt &&
    grep -qx "run: musicgen_version differs between samples: \"[0-9.]*\" in 30 (first at index 0); the run's is \"0.0.9\" (.musicgen/slices/run.json), in no sample" mix.txt ||
    { cat mix.txt; die "the static run's record not the run's"; }
grep -q "^run: global_seed" mix.txt && { cat mix.txt; die "an agreeing field named"; }
"$MG_BIN" verify does-not-exist > /dev/null 2> err.txt && die "missing root passed"
[ "$(wc -l < err.txt)" -eq 1 ] || die "missing root: not one line"
echo "verify ok"
