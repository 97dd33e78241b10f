# export_formats — `musicgen export` to every format, over a flat and a
# sharded midi-only dataset and a small full-audio one, each output judged
# by independent readers (tests/tools/check_export.py: DuckDB for Parquet,
# Python's csv and json, jsonschema + mir_eval for JAMS, GNU tar for
# WebDataset, the audiofolder convention for hf). Half-written and broken
# samples are left out and counted; bad requests fail with one line and
# leave nothing behind.
. "$MG_SRC/tests/system/lib.sh"
set -u
CHK="$PY $TOOLS/check_export.py"
need_duckdb

"$MG_BIN" generate --seed 11 --count 200 --out flat --output-mode midi-only -q \
    || die "generate flat"
"$MG_BIN" generate --seed 12 --count 120 --out sharded --output-mode midi-only \
    --shard-width 4 -q || die "generate sharded"
"$MG_BIN" generate --seed 13 --count 2 --out full --shard-width 2 -g jazz -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 \
    || die "generate full"

# What a crash and a bad disk leave: two half-written directories and a
# sample whose sample.json is cut short.
mkdir flat/000200 flat/.tmp-000201-4242 sharded/0001/.tmp-000119-77
cp -r flat/000005 flat/000300
head -c 100 flat/000005/sample.json > flat/000300/sample.json

# And a sample of the test split that lost a MIDI file: the formats that
# read files (jams, webdataset) leave it out and say so; the others keep it.
lost=$(grep -l '"split": "test"' flat/0*/sample.json | head -n 1)
lost=$(dirname "$lost")
rm "$lost/midi/melody.mid"

# ---- flat, midi-only, every format ----
"$MG_BIN" export flat --out f.jsonl 2> log || die "export jsonl: $(cat log)"
grep -q "200 rows to f.jsonl (jsonl); left out: 2 half-written, 1 invalid" log \
    || die "summary line: $(cat log)"
$CHK jsonl f.jsonl flat --expect 200 || die "jsonl judged wrong"
"$MG_BIN" export flat --out fn.jsonl --notes -q || die "export jsonl --notes"
$CHK jsonl fn.jsonl flat --notes --expect 200 || die "jsonl --notes judged wrong"
"$MG_BIN" export flat --out f.csv --fmt csv --relative -q || die "export csv"
$CHK csv f.csv flat --relative || die "csv judged wrong"
"$MG_BIN" export flat --out f.parquet --fmt parquet --row-group 64 -q \
    || die "export parquet"
$CHK parquet f.parquet flat --row-group 64 || die "parquet judged wrong"
"$MG_BIN" export flat --out fn.parquet --fmt parquet --row-group 64 --notes \
    -q || die "export parquet --notes"
$CHK parquet fn.parquet flat --row-group 64 --notes \
    || die "parquet --notes judged wrong"
# (the test split only: validating every note of 200 files takes long)
"$MG_BIN" export flat --out f.jams --fmt jams --split test 2> log || die "export jams"
$CHK jams f.jams flat --split test || die "jams judged wrong"
grep -q "1 with a missing or unreadable file (first: .*$lost/midi/melody.mid" log \
    || die "jams did not name the missing MIDI: $(cat log)"
# compound metres (blues: 12/8, 6/8, a 12/8 part in a 4/4 song): the
# beat_position tuple is the bar's time signature (12 eighths, not "4/8"),
# the felt dotted quarters of beat_times the `beat` annotation
"$MG_BIN" generate --seed 3 --count 12 --out blues -g blues --output-mode midi-only -q \
    || die "generate blues"
"$MG_BIN" export blues --out b.jams --fmt jams -q || die "export blues jams"
$CHK jams b.jams blues || die "compound-metre jams judged wrong"
"$MG_BIN" export flat --out f.wds --fmt webdataset --shard-size 64 2> log \
    || die "export webdataset"
grep -q "199 rows.*1 with a missing" log || die "webdataset summary: $(cat log)"
$CHK webdataset f.wds flat --shard-size 64 || die "webdataset judged wrong"
[ "$(ls f.wds | tr '\n' ' ')" = "000000.tar 000001.tar 000002.tar 000003.tar LICENSES.md README.md " ] \
    || die "webdataset shards: $(ls f.wds)"
"$MG_BIN" export flat --out f2.wds --fmt webdataset --no-midi -q || die "wds --no-midi"
$CHK webdataset f2.wds flat --no-midi || die "webdataset --no-midi judged wrong"

# ---- sharded (width 4), filters, snappy, no MIDI columns ----
"$MG_BIN" export sharded -o s.parquet -f parquet --codec snappy --relative \
    --no-midi -q || die "export sharded parquet"
$CHK parquet s.parquet sharded --codec snappy --relative --no-midi --expect 120 \
    || die "sharded parquet judged wrong"
"$MG_BIN" export sharded -o s.jsonl --split train,test --min-score 0.95 2> log \
    || die "export filtered"
$CHK jsonl s.jsonl sharded --split train,test --min-score 0.95 \
    || die "filtered jsonl judged wrong"
grep -q "1 half-written, 0 invalid, 0 failed (manifest), [1-9][0-9]* filtered" log \
    || die "filtered summary: $(cat log)"
# --split and --genre given again add to the list (the last alone was
# kept: a silent half of what was asked)
"$MG_BIN" export sharded -o - --split train --split test --min-score 0.95 -q > s2.jsonl ||
    die "--split twice"
cmp -s s2.jsonl s.jsonl || die "--split train --split test differs from --split train,test"
"$MG_BIN" export full -o - -g jazz -g rock -q > g2.jsonl 2>/dev/null || die "-g twice"
"$MG_BIN" export full -o - -g jazz,rock -q > g1.jsonl 2>/dev/null || die "-g list"
[ -s g1.jsonl ] && cmp -s g1.jsonl g2.jsonl || die "-g jazz -g rock differs from -g jazz,rock"
# blanks after the commas, as a user writes lists ('jazz, rock' matched
# ' rock', which no sample has; --split 'train, test' was refused)
"$MG_BIN" export full -o - -g 'jazz, rock ' -q > g3.jsonl 2>/dev/null || die "-g 'jazz, rock'"
cmp -s g1.jsonl g3.jsonl || die "-g 'jazz, rock' differs from -g jazz,rock"
"$MG_BIN" export sharded -o - --split 'train, test' --min-score 0.95 -q > s3.jsonl ||
    die "--split 'train, test'"
cmp -s s3.jsonl s.jsonl || die "--split 'train, test' differs from --split train,test"
# A filter that keeps nothing: the header (CSV) or schema (Parquet) alone.
"$MG_BIN" export sharded -o s.csv -f csv --min-score 1 -q || die "export none"
[ "$(wc -l < s.csv)" -eq 1 ] && head -c 25 s.csv | grep -q '^path,mix_path,' \
    || die "a filter keeping nothing: $(head -c 200 s.csv)"
"$MG_BIN" export sharded -o s0.parquet -f parquet --min-score 1 -q \
    || die "export none (parquet)"
$CHK parquet s0.parquet sharded --min-score 1 --expect 0 \
    || die "empty parquet judged wrong"
# A genre no sample has (a typo) is an error naming the genres there, and
# leaves nothing; next to one that some sample has, a note.
"$MG_BIN" export sharded -o sg.csv -f csv --genre no-such-genre 2> log \
    && die "a genre no sample has was not refused"
grep -qx "musicgen export: --genre no-such-genre: no sample in sharded has it (its genres: default)" log \
    || die "unknown genre message: $(cat log)"
[ ! -e sg.csv ] && [ -z "$(ls | grep '^sg\.csv')" ] || die "a refused export left $(ls | grep sg)"
"$MG_BIN" export sharded -o sg.jsonl --genre jaz,default 2> log \
    || die "export with one genre present: $(cat log)"
grep -qx "musicgen export: note: no sample of genre jaz (its genres: default)" log \
    || die "no note for the absent genre: $(cat log)"
$CHK jsonl sg.jsonl sharded --genre jaz,default --expect 120 \
    || die "export --genre jaz,default judged wrong"
"$MG_BIN" export sharded -o s.jams -f jams -q || die "export sharded jams"
[ -f s.jams/0001/000119.jams ] || die "jams does not mirror the sharded layout"

# A sample.json naming a file outside its sample (hand-edited): the
# formats that read files leave it out whole and name it (the tar had the
# group without that member); the tables keep the row, that path null,
# and say so
rm -rf us && mkdir us && cp -R flat/000000 flat/000001 flat/000002 us/
"$PY" - <<'PYEOF' || die "cannot edit us"
import json
p = "us/000001/sample.json"
d = json.load(open(p))
d["midi"]["melody"] = "../000000/midi/melody.mid"
open(p, "w").write(json.dumps(d, indent=2, sort_keys=True))
PYEOF
for f in webdataset jams; do
    "$MG_BIN" export us --out "us.$f" --fmt $f 2> log || die "export us $f: $(cat log)"
    grep -q "2 rows to us.$f ($f);.* 1 with a missing or unreadable file (first: 000001/sample.json: midi.melody names ../000000/midi/melody.mid, not a path inside the sample)" log ||
        die "us $f: $(cat log)"
done
tar tf us.webdataset/000000.tar | grep -q '^000001\.' && die "the unsafe sample is in the tar"
"$MG_BIN" export us --out us.jsonl 2> log || die "export us jsonl"
grep -q "3 rows.*1 naming a file outside its sample (that path left null; first: 000001/midi.melody names ../000000/midi/melody.mid)" log ||
    die "us jsonl: $(cat log)"
# ---- full audio: hf, jams, webdataset, parquet ----
# the Python tool's README form: --out hf/ (a directory, slash and all)
"$MG_BIN" export full --out hf/ --fmt hf 2> log || die "export hf: $(cat log)"
grep -q "rows to hf (hf);.* in hf/LICENSES.md" log || die "hf summary: $(cat log)"
$CHK hf hf full || die "hf judged wrong"
[ -z "$(ls -d hf.* hf/.tmp* 2>/dev/null)" ] || die "hf/ left temporaries: $(ls -A . hf)"
"$MG_BIN" export full -o fj/ -f jams -q || die "export full jams"
$CHK jams fj full || die "full jams judged wrong"
"$MG_BIN" export full -o fw -f webdataset --shard-size 1 -q || die "export full wds"
$CHK webdataset fw full --shard-size 1 || die "full webdataset judged wrong"
tar tf fw/000000.tar | grep -qx '000000.mix.wav' || die "no 000000.mix.wav"
"$MG_BIN" export full -o fp.parquet -f parquet -q || die "export full parquet"
$CHK parquet fp.parquet full || die "full parquet judged wrong"

# ---- bad requests: one line, non-zero, nothing left behind ----
"$MG_BIN" export flat -o x.hf -f hf 2> log && die "hf of a midi-only dataset succeeded"
grep -q "no sample has a mix" log || die "hf midi-only message: $(cat log)"
[ ! -e x.hf ] || die "a failed hf export left x.hf"
"$MG_BIN" export flat -o x --fmt xml 2> log; [ $? -eq 2 ] || die "--fmt xml"
grep -q "fmt must be" log || die "--fmt message: $(cat log)"
# an unknown option is named as one, even where it could take a value
"$MG_BIN" export flat --overwrite -o x.jsonl 2> log; [ $? -eq 2 ] || die "--overwrite accepted"
[ "$(cat log)" = "musicgen export: unknown option '--overwrite' (try --help)" ] ||
    die "unknown option message: $(cat log)"
"$MG_BIN" export flat -o x.jsonl --overwrite 2> log; [ $? -eq 2 ] || die "trailing --overwrite accepted"
grep -q "unknown option '--overwrite'" log || die "trailing unknown option: $(cat log)"
[ ! -e x.jsonl ] || die "a refused export wrote x.jsonl"
# the format follows the file's extension when --fmt is not given; an
# --fmt that contradicts it is refused before anything is written
"$MG_BIN" export flat -o byext.parquet -q || die "export to .parquet without --fmt"
$CHK parquet byext.parquet flat || die "a .parquet file without --fmt is not Parquet"
"$MG_BIN" export flat -o slip.csv -f parquet 2> log; [ $? -eq 2 ] || die "csv named, parquet asked: accepted"
grep -qx "musicgen export: --out slip.csv names a csv file, --fmt says parquet" log &&
    [ ! -e slip.csv ] || die "csv named, parquet asked: $(cat log)"
"$MG_BIN" export nowhere -o x.jsonl 2> log && die "a missing root succeeded"
grep -q "nowhere" log || die "missing root message: $(cat log)"
"$MG_BIN" export flat -o f.jsonl 2> log && die "overwrote without --force"
grep -q "exists" log || die "exists message: $(cat log)"
"$MG_BIN" export flat -o f.jsonl --force -q || die "--force"
"$MG_BIN" export flat -o m.csv --min-score 2 2> log && die "--min-score 2 accepted"
# an output in a directory that is not there is named, not its temporary
"$MG_BIN" export flat -o nodir/x.parquet -f parquet 2> log && die "nodir/ accepted"
[ "$(wc -l < log)" -eq 1 ] && grep -q "out nodir/x.parquet: directory nodir: No such" log \
    && ! grep -q tmp log || die "missing directory message: $(cat log)"
# never over the dataset: a directory holding it (--force would have
# deleted it: seen), a directory inside it, a file in a sample or in
# place of its own files
mkdir -p par && cp -R flat par/ds
"$MG_BIN" export par/ds --out par --fmt jams --force 2> log && die "--out holding the dataset accepted"
grep -qx "musicgen export: --out par holds the dataset par/ds (replacing it would delete the dataset): give a path outside it" log ||
    die "--out holding the dataset: $(cat log)"
[ -f par/ds/manifest.jsonl ] || die "the dataset under --out was touched"
for bad in "par/ds/j --fmt jams" "par/ds/000001 --fmt webdataset --force" \
           "par/ds/manifest.jsonl --force" "par/ds/000001/x.jsonl"; do
    "$MG_BIN" export par/ds --out $bad 2> log && die "--out $bad accepted"
    grep -q "is inside the dataset par/ds" log || die "--out $bad: $(cat log)"
done
cmp -s par/ds/manifest.jsonl flat/manifest.jsonl || die "the manifest was touched"
"$MG_BIN" export par/ds --out par/ds/rows.jsonl -q || die "a new file at the dataset's top refused"
rm par/ds/rows.jsonl
# a FIFO (or a device) is written into, never renamed over; a symbolic
# link is followed, not replaced
mkfifo fifo
timeout 60 cat fifo > from-fifo.jsonl & reader=$!
timeout 60 "$MG_BIN" export flat --out fifo -q || die "export into a FIFO"
wait $reader || die "the FIFO's reader failed"
[ -p fifo ] || die "the FIFO was replaced: $(ls -l fifo)"
cmp -s from-fifo.jsonl f.jsonl || die "the FIFO's rows differ from the file's"
ln -s real.jsonl link.jsonl
"$MG_BIN" export flat --out link.jsonl -q || die "export to a dangling link"
[ -L link.jsonl ] && cmp -s real.jsonl f.jsonl || die "the link was replaced, or its file is wrong: $(ls -l link.jsonl real.jsonl)"
"$MG_BIN" export flat --out link.jsonl --force -q || die "export over a link"
[ -L link.jsonl ] || die "--force replaced the link itself"
# a directory format too: the directory the link names is replaced, the
# link stays (--force had emptied the target through the link and left a
# link.old-* beside it; then the link was replaced by a directory)
mkdir wreal && touch wreal/stale.tar && ln -s wreal wlink
"$MG_BIN" export flat --out wlink -f webdataset -q 2> log && die "webdataset over an existing linked directory without --force"
"$MG_BIN" export flat --out wlink -f webdataset --force -q || die "webdataset over a link"
[ -L wlink ] && [ -f wreal/000000.tar ] && [ ! -e wreal/stale.tar ] ||
    die "webdataset through a link: $(ls -l wlink wreal)"
[ -z "$(ls -d wlink.* wreal.* 2> /dev/null)" ] || die "leftovers beside the link: $(ls -d wlink.* wreal.*)"
"$MG_BIN" export flat --out /dev/stdout -q | cmp -s - f.jsonl || die "--out /dev/stdout"
[ -L /dev/stdout ] || [ -c /dev/stdout ] || die "/dev/stdout was replaced"
# a file format into a directory: named, with a file name to give
"$MG_BIN" export flat -o newdir/ 2> log && die "jsonl to newdir/ accepted"
grep -qx "musicgen export: --out newdir/ ends in '/' (a directory); the output is one file: name it (e.g. newdir/dataset.jsonl)" log &&
    [ ! -e newdir ] || die "jsonl to newdir/: $(cat log)"
mkdir adir
"$MG_BIN" export flat -o adir -f parquet 2> log && die "parquet to adir accepted"
grep -q "adir is a directory;.*adir/dataset.parquet" log || die "parquet to adir: $(cat log)"
rmdir adir || die "parquet to adir wrote in it"
"$MG_BIN" export flat -o f.jsonl/x.jsonl 2> log && die "a file as directory accepted"
grep -q "f.jsonl is not a directory" log || die "not-a-directory message: $(cat log)"
# --out -: standard output, the same bytes as the file (a pipe and a
# file the shell opened); a directory format there is refused
"$MG_BIN" export flat -o - 2> log | cmp -s - f.jsonl ||
    die "jsonl on standard output differs from the file"
grep -q "^musicgen export: [0-9]* rows to standard output (jsonl);" log ||
    die "standard output's summary: $(cat log)"
[ ! -e ./- ] || die "--out - wrote a file named -"
"$MG_BIN" export flat -o - -f csv --relative -q | cmp -s - f.csv ||
    die "csv on standard output differs from the file"
"$MG_BIN" export flat -o - -f parquet --row-group 64 -q > p.parquet &&
    cmp -s p.parquet f.parquet || die "parquet on standard output differs"
"$MG_BIN" export flat -o - -f hf > out 2> log && die "hf on standard output"
grep -qx "musicgen export: --out -: standard output takes jsonl, csv or parquet, not hf (a directory of files)" log ||
    die "hf on standard output: $(cat log)"
ls -a | grep -q '\.tmp-' && die "temporary output left: $(ls -a | grep tmp)"

# an export killed with -9 leaves its temporary output; the next export
# to the same path removes it (its process is gone), whole or not. (Test
# hook: 100 ms a row, so the kill lands midway.) And a FIFO where a
# sample.json should be is a bad sample, not a pass blocked for ever.
cp -r sharded stuck
victim=$(ls -d stuck/0001/0001* | head -n 1)
rm "$victim/sample.json"
mkfifo "$victim/sample.json"
for f in k.parquet kdir; do
    fmt=parquet
    [ "$f" = kdir ] && fmt=jams
    MUSICGEN_FAULT_EXPORT_ROW_DELAY_MS=100 "$MG_BIN" export stuck -o $f -f $fmt \
        -j 1 -q 2> /dev/null &
    kp=$!
    i=0
    until ls -a | grep -q "^$f\.tmp-.*-$kp\$"; do
        i=$((i + 1)); [ "$i" -lt 100 ] || die "the export to kill made no temporary output"
        sleep 0.1
    done
    sleep 0.3
    kill -0 "$kp" 2> /dev/null || die "the export ended before the kill"
    kill -9 "$kp"
    wait "$kp" 2> /dev/null
    ls -a | grep -q "^$f\.tmp-.*-$kp\$" || die "the killed export left nothing (the test proves nothing)"
done
timeout 60 "$MG_BIN" export stuck -o k.parquet 2> log || die "export after the kill: $(cat log)"
grep -q "^musicgen export: 119 rows to k.parquet (parquet); left out: [0-9]* half-written, 1 invalid," log ||
    die "the FIFO sample: $(cat log)"
"$MG_BIN" export stuck -o kdir -f jams -q 2> /dev/null || die "jams export after the kill"
ls -a | grep -q '\.tmp-' && die "a killed export's temporary output stayed: $(ls -a | grep tmp)"
[ -f k.parquet ] && [ -d kdir ] || die "no output after the kill"
echo "export formats ok"
