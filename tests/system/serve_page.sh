# serve_page — `musicgen serve` as a person uses it, in headless Chromium
# (tests/tools/serve_drive.js over DevTools): the form generates a sample,
# the page shows the piano roll (notes per layer, chords, beats, downbeats,
# parts), the spectrogram and five players whose WAVs the browser loads; a
# screenshot is not blank; a bad seed shows the server's message. Over
# HTTP: ../, %2e%2e and a symlink out of the dataset get 404, an encoded
# control byte (%00) 400, WAVs have their type and honour Range, the tar
# holds the sample, a dataset is browsed, generations past --max-jobs get
# 503, a method a URL does not take 405 with Allow, and a FIFO in a sample
# answers the tar and the spectrogram at once (500, its reason; a HEAD of
# the spectrogram too, and for a corrupt WAV); a server
# started again on the same --work makes its samples in new directories;
# a port in use is one line; a dataset path that is not UTF-8 is listed;
# another site's page cannot start a generation, nor read anything through
# a name of its own (Host); a dataset's list is kept while its root and
# shard directories are unchanged, and follows a tree being written and a
# sample.json deleted by hand (in a big tree too).
. "$MG_SRC/tests/system/lib.sh"
set -u
command -v chromium >/dev/null || die "chromium missing (scripts/setup.sh)"
command -v node >/dev/null || die "node missing"
command -v convert >/dev/null || die "imagemagick missing (scripts/setup.sh)"
# a small dataset to browse (MIDI only: fast)
"$MG_BIN" generate --seed 11 --count 2 --out ds --output-mode midi-only \
    --workers 1 -q || die "dataset"
trap 'kill $SPID 2>/dev/null' EXIT
start_serve --work work --dataset ds --max-jobs 1

node "$MG_SRC/tests/tools/serve_drive.js" "$U" shot.png >drive.json ||
    die "the page could not be driven"
"$PY" - drive.json "$U" <<'PYEOF' || die "what the page showed"
import json, sys
d = json.load(open(sys.argv[1])); u = sys.argv[2]
assert d["result_shown"] and d["progress_seen"], d
assert d["error_text"] == "", d["error_text"]
files = sorted(a["file"] for a in d["audio"])
assert files == sorted(["mix.wav"] + ["stems/%s.wav" % l for l in
        ("beat", "melody", "harmony", "bassline")]), files
for a in d["audio"]:
    assert a["loaded"] == "1" and a["duration"] > 1, a
    assert a["src"].startswith(u), a
dom = d["dom"]
assert sum(dom["notes"].values()) > 20 and sum(1 for v in dom["notes"].values() if v) >= 3, dom
for k in ("chords", "beats", "downbeats", "parts"):
    assert dom[k] > 0, (k, dom)
assert dom["beats"] > dom["downbeats"], dom
assert dom["spectro_w"] == 1000, dom
assert all(s.startswith(u) for s in dom["scripts"]), dom["scripts"]
assert "seed" in d["bad_seed_error"] and "12x" in d["bad_seed_error"], d
print("page:", dom["notes"], dom["chords"], "chords")
PYEOF
# the screenshot shows something: many colours, not one flat fill
colours=$(convert shot.png -format '%k' info:)
[ "$colours" -gt 200 ] || die "screenshot looks blank ($colours colours)"

# files: type, Range, tar, and no way out of the served roots
code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
[ "$(curl -s -o /dev/null -w '%{content_type}' "${U}files/job/1/mix.wav")" = audio/wav ] ||
    die "mix.wav content type"
[ "$(code -r 0-43 "${U}files/job/1/stems/beat.wav")" = 206 ] || die "Range not honoured"
curl -s -r 0-3 "${U}files/job/1/mix.wav" | grep -q RIFF || die "range bytes"
# another unit, several ranges or no valid one: ignored, the whole file
# (they were 416, or, for "0--5", 206); one past the end: 416
for r in "items=0-4" "bytes=0-1,5-6" "bytes=0--5" "bytes=10-5" "bytes=+3-4"; do
    [ "$(code -H "Range: $r" "${U}files/job/1/mix.wav")" = 200 ] || die "Range: $r not ignored"
done
[ "$(code -H "Range: bytes=-0" "${U}files/job/1/mix.wav")" = 416 ] || die "Range: bytes=-0 not 416"
[ "$(code -H "Range: bytes=999999999-" "${U}files/job/1/mix.wav")" = 416 ] || die "Range past the end not 416"
[ "$(curl -s -H "Range: bytes=-4" "${U}files/job/1/mix.wav" | wc -c)" = 4 ] || die "Range: the last 4 bytes"
curl -fsS "${U}api/tar/job/1" -o s.tar || die "tar download"
tar tf s.tar >tar.txt || die "not a tar"
for f in 000003/sample.json 000003/mix.wav 000003/stems/melody.wav 000003/midi/beat.mid; do
    grep -qx "$f" tar.txt || die "tar lacks $f"
done
for p in "files/job/1/../../../etc/passwd" "files/job/1/%2e%2e/%2e%2e/etc/passwd" \
         "files/ds/0/..%2f..%2fsample.json" "serve.js/../../README.md" \
         "files/job/1/stems/../../../work/job-1.log" "files/job/9/mix.wav" \
         "api/view/job/../../etc"; do
    [ "$(code "$U$p")" = 404 ] || die "$p was not 404"
done
# an encoded NUL (or any control byte) in the URL: 400, never the file
# of the name before it (libmicrohttpd's decoded path ended at the NUL)
for p in "files/ds/0/sample.json%00.png" "serve.js%00x" "api/dataset%00" \
         "files/ds/0/midi/beat.mid%0a" "api/view/ds/0%7f" "api/genres?x=%1F"; do
    [ "$(code "$U$p")" = 400 ] || die "$p was not 400"
done
curl -s "${U}serve.js%00x" | grep -q 'encoded control character' || die "%00: the reason"
# a FIFO where a file should be: 404 at once (the request hung, holding
# a server thread)
rm -f ds/000001/midi/beat.mid && mkfifo ds/000001/midi/beat.mid
[ "$(code --max-time 10 "${U}files/ds/1/midi/beat.mid")" = 404 ] || die "a FIFO was not 404 at once"
ln -s /etc/passwd ds/000001/mix.wav
[ "$(code "${U}files/ds/1/mix.wav")" = 404 ] || die "a symlink out of the dataset was served"
# browsing the dataset
curl -fsS "${U}api/dataset" | grep -q '"samples":\[0,1\]' || die "dataset listing"
curl -fsS "${U}api/view/ds/1" >v.json || die "view of ds/1"
"$PY" -c "import json,sys; v=json.load(open('v.json')); assert v['sample']['sample_index']==1 and any(v['notes'].values()), v['notes'].keys()" ||
    die "ds/1 view"
# a seed above 2^63 (jansson's own loader calls it "too big integer"):
# the view of sample 0 carries it exactly, and `musicgen plot` draws it
curl -fsS "${U}api/view/ds/0" >v0.json || die "view of ds/0 (seed above 2^63)"
"$PY" - <<'PYEOF' || die "ds/0 view: seed not exact"
import json
v = json.load(open("v0.json"))
s = json.load(open("ds/000000/sample.json"))
assert s["seed"] >= 2**63, s["seed"]          # the case this checks
assert v["sample"]["seed"] == s["seed"], (v["sample"]["seed"], s["seed"])
PYEOF
"$MG_BIN" plot ds/000000 --piano-roll roll0.svg 2> log || die "plot of a sample seeded above 2^63: $(cat log)"
grep -q "<svg" roll0.svg || die "plot: no SVG"
"$MG_BIN" plot ds/000000 --spectrogram sp0.png 2> log && die "a spectrogram of a midi-only sample"
grep -qx "musicgen plot: ds/000000: no mix.wav (a midi-only sample? --piano-roll draws it)" log ||
    die "spectrogram of a midi-only sample: $(cat log)"
"$MG_BIN" plot ds/000000 --piano-roll /dev/stdout | cmp -s - roll0.svg || die "plot to /dev/stdout"
[ -L /dev/stdout ] || [ -c /dev/stdout ] || die "/dev/stdout was replaced"
# a sample.json whose duration is absurd: a picture of the usual size (a
# label every 5 s made 68 MB of them for 5e6 s)
for d in 5e6 3e9 1e300; do
    rm -rf odd && cp -R ds/000000 odd
    "$PY" -c "import json; p='odd/sample.json'; s=json.load(open(p)); s['duration_seconds']=$d; json.dump(s, open(p,'w'))"
    "$MG_BIN" plot odd --piano-roll odd.svg 2>log || die "plot of a $d s sample: $(cat log)"
    [ "$(wc -c <odd.svg)" -lt 300000 ] || die "plot of a $d s sample: $(wc -c <odd.svg) bytes"
    [ "$(grep -c 'font-size="12" fill="#444">[0-9]*:[0-9][0-9]<' odd.svg)" -le 61 ] || die "plot of a $d s sample: labels"
done
# text of sample.json with control characters (a chord symbol, a part
# name): left out, the SVG stays well-formed XML (they went in as they were)
rm -rf odd && cp -R ds/000000 odd
"$PY" - <<'PYEOF'
import json
p = "odd/sample.json"; s = json.load(open(p))
s["chords"][0]["symbol"] = "A\x01<&>\"\u00e9"
s["song_arrangement"][0]["part"] = "x\x02y"
json.dump(s, open(p, "w"))
PYEOF
"$MG_BIN" plot odd --piano-roll odd.svg 2>log || die "plot of control characters: $(cat log)"
"$PY" -c "import xml.etree.ElementTree as E; E.parse('odd.svg')" || die "plot wrote XML that does not parse"
grep -q 'A&lt;&amp;&gt;&quot;' odd.svg || die "plot: the chord symbol escaped"
# a MIDI file the sample lists that cannot be read: one line, no picture
# (it drew the other lanes and exited 0, the layer silently gone)
rm -rf odd && cp -R ds/000000 odd && echo garbage > odd/midi/beat.mid
"$MG_BIN" plot odd --piano-roll bad.svg 2>log && die "plot of a corrupt beat.mid succeeded"
grep -qx "musicgen plot: odd/midi/beat.mid: not a MIDI file (no MThd header)" log ||
    die "plot of a corrupt beat.mid: $(cat log)"
[ ! -e bad.svg ] || die "plot of a corrupt beat.mid wrote a picture"
# an empty name (an unset shell variable): one line naming it, exit 2 (it
# read /sample.json, or said ": No such file or directory")
"$MG_BIN" plot ds/000000 --spectrogram '' 2>log; [ $? -eq 2 ] || die "plot --spectrogram ''"
grep -qx "musicgen plot: --spectrogram is an empty name (give a file, or - for standard output)" log ||
    die "plot --spectrogram '': $(cat log)"
"$MG_BIN" plot '' --piano-roll r.svg 2>log; [ $? -eq 2 ] || die "plot ''"
grep -qx "musicgen plot: the sample directory is an empty name" log || die "plot '': $(cat log)"
# a picture that cannot be written: the path asked for, not its temporary
"$MG_BIN" plot ds/000000 --piano-roll nodir/r.svg 2>log && die "plot into a missing directory"
grep -qx "musicgen plot: nodir/r.svg: No such file or directory" log || die "plot into nodir: $(cat log)"
# a picture never goes into the sample: '--spectrogram ds/.../mix.wav'
# (taken for the input) replaced the mix with the PNG
rm -rf odd && cp -R work/job-1/000003 odd && cp odd/mix.wav mix.keep
"$MG_BIN" plot odd --spectrogram odd/mix.wav 2>log; [ $? -eq 2 ] || die "plot over its own mix.wav"
grep -qx "musicgen plot: odd/mix.wav is inside the sample odd: write the picture elsewhere" log ||
    die "plot over its own mix.wav: $(cat log)"
cmp -s odd/mix.wav mix.keep || die "plot replaced the sample's mix.wav"
ln -s odd/sample.json slink.svg
"$MG_BIN" plot odd --piano-roll slink.svg 2>log && die "plot through a link into the sample"
ln -s roll1.svg rlink.svg
"$MG_BIN" plot ds/000000 --piano-roll rlink.svg && [ -L rlink.svg ] && cmp -s roll1.svg roll0.svg ||
    die "plot to a link: $(ls -l rlink.svg)"
# validation and the bound on concurrent generations
[ "$(code -X POST "${U}api/generate?seed=1&mode=bogus")" = 400 ] || die "bad mode not 400"
# a method the URL does not take: 405 naming those it takes (a GET of
# /api/generate was 404, and no 405 had Allow)
curl -s -D h405.txt -o /dev/null "${U}api/generate?seed=1"
head -1 h405.txt | grep -q ' 405 ' && grep -qi '^allow: POST' h405.txt || die "GET /api/generate: $(cat h405.txt)"
curl -s -D h405.txt -o /dev/null -X DELETE "${U}api/dataset"
head -1 h405.txt | grep -q ' 405 ' && grep -qi '^allow: GET, HEAD' h405.txt || die "DELETE /api/dataset: $(cat h405.txt)"
# a page of another site may not start a generation (any page could POST
# to 127.0.0.1); the server's own page did above, through the browser
[ "$(code -X POST -H "Origin: http://evil.example" "${U}api/generate?seed=1")" = 403 ] ||
    die "a cross-site POST was not refused"
[ "$(code -X POST -H "Origin: null" "${U}api/generate?seed=1")" = 403 ] ||
    die "a POST from an opaque origin was not refused"
# bound to loopback, it answers to loopback names only: a page of a site
# whose name is pointed at 127.0.0.1 (DNS rebinding) reads nothing
port=${U##*:}; port=${port%/}
[ "$(code -H "Host: evil.example:$port" "${U}api/dataset")" = 403 ] ||
    die "a request for another host name was answered"
[ "$(code -H "Host: 127.0.0.1.evil.example" "${U}api/dataset")" = 403 ] ||
    die "a look-alike host name was answered"
for h in "localhost:$port" "LOCALHOST" "127.0.0.1:$port" "127.1.2.3" "[::1]:$port"; do
    [ "$(code -H "Host: $h" "${U}api/dataset")" = 200 ] || die "Host $h refused"
done
[ "$(code -X POST "${U}api/generate?seed=1&genre=..%2Fx")" = 400 ] || die "bad genre not 400"
[ "$(code -X POST "${U}api/generate?seed=1&index=3&rate=22050")" = 202 ] || die "second job not started"
[ "$(code -X POST "${U}api/generate?seed=2&rate=22050")" = 503 ] || die "past --max-jobs not 503"
# a FIFO where the tar or the spectrogram reads: a one-line 500 at once
# (the request hung, and so did the server's shutdown, waiting on it)
[ "$(code --max-time 10 "${U}api/tar/ds/1")" = 500 ] || die "tar of a sample holding a FIFO"
[ "$(code -I "${U}api/spectrogram/job/1")" = 200 ] || die "HEAD of a spectrogram"
rm work/job-1/000003/mix.wav && mkfifo work/job-1/000003/mix.wav
[ "$(code --max-time 10 "${U}api/spectrogram/job/1")" = 500 ] || die "spectrogram of a FIFO"
curl -s "${U}api/spectrogram/job/1" | grep -q 'mix.wav: is a FIFO' || die "spectrogram of a FIFO: the reason"
# a HEAD answers what the GET does (it was 200 for a FIFO and a corrupt
# WAV): a FIFO, and (below) a WAV cut inside its header
[ "$(code -I --max-time 10 "${U}api/spectrogram/job/1")" = 500 ] || die "HEAD of a FIFO's spectrogram"
[ "$(code --max-time 10 "${U}api/tar/job/1")" = 500 ] || die "tar of a FIFO mix.wav"
rm work/job-1/000003/mix.wav && printf 'RIFF\044\0\0\0WAVEfmt ' >work/job-1/000003/mix.wav
[ "$(code "${U}api/spectrogram/job/1")" = 500 ] || die "spectrogram of a corrupt WAV"
[ "$(code -I "${U}api/spectrogram/job/1")" = 500 ] || die "HEAD of a corrupt WAV's spectrogram"
kill $SPID
timeout 20 sh -c "while kill -0 $SPID 2>/dev/null; do sleep 0.1; done" || die "serve did not stop"
wait $SPID
# the same --work again: a new job gets a directory of its own (it took
# job-1 of the last server, and generate refused the other seed there)
start_serve --work work
curl -fsS -X POST "${U}api/generate?seed=77&mode=mix-only&measures=intro=1" >j.json ||
    die "generate in a used --work"
id=$("$PY" -c "import json; print(json.load(open('j.json'))['id'])")
[ "$id" -gt 2 ] || die "job $id took a directory of the last server"
for k in 1 2 3 4 5 6; do
    curl -fsS "${U}api/job/$id?wait=1" >j.json || die "job $id status"
    grep -q '"running"' j.json || break
done
grep -q '"state":"done"' j.json || die "job in a used --work: $(cat j.json)"
curl -fsS "${U}api/view/job/$id" | grep -q '"global_seed":77' || die "job $id is not seed 77"
# its port taken: one line with the reason, for serve and for the
# coordinator's --http (libmicrohttpd printed "Failed to bind to port 0:
# ..." on a line of its own, and ours guessed)
P=$(echo "$U" | sed 's/.*:\([0-9]*\)\/$/\1/')
timeout 20 "$MG_BIN" serve --bind "127.0.0.1:$P" >/dev/null 2>err.txt; [ $? -eq 1 ] ||
    die "serve on a port in use: not exit 1"
[ "$(cat err.txt)" = "musicgen serve: cannot serve HTTP on 127.0.0.1:$P: Address already in use" ] ||
    die "serve on a port in use: $(cat err.txt)"
timeout 20 "$MG_BIN" generate --seed 1 --count 1 --out gen --output-mode midi-only -q \
    --http "127.0.0.1:$P" 2>err.txt && die "generate --http on a port in use"
[ "$(cat err.txt)" = "musicgen generate: cannot serve HTTP on 127.0.0.1:$P: Address already in use" ] ||
    die "generate --http on a port in use: $(cat err.txt)"
kill $SPID
wait $SPID
# a dataset whose path is not UTF-8: its listing, and an error naming a
# file there (jansson refuses such a string, and the answer made of it
# crashed the server)
D=$(printf 'ds\377')
cp -R ds "$D" && mkfifo "$D/000000/mix.wav"
start_serve --work work --dataset "$D"
curl -fsS "${U}api/dataset" | grep -q '"samples":\[0,1\]' || die "listing of a non-UTF-8 dataset"
[ "$(code "${U}api/spectrogram/ds/0")" = 500 ] || die "an error naming a non-UTF-8 path"
curl -s "${U}api/spectrogram/ds/0" | grep -q 'mix.wav: is a FIFO' || die "the non-UTF-8 error's text"
[ "$(code "${U}api/genres")" = 200 ] || die "serve died"
kill $SPID
wait $SPID
# a file where a directory belongs: refused at once (it served an empty
# dataset, and every generation failed)
: > afile
timeout 20 "$MG_BIN" serve --dataset afile --bind 127.0.0.1:0 2> err.txt; [ $? -eq 2 ] ||
    die "serve --dataset afile: not exit 2"
grep -qx "musicgen serve: --dataset afile is not a directory" err.txt || die "serve --dataset afile: $(cat err.txt)"
timeout 20 "$MG_BIN" serve --work afile --bind 127.0.0.1:0 2> err.txt; [ $? -eq 2 ] ||
    die "serve --work afile: not exit 2"
# --work inside the dataset browsed read only: refused before anything is
# made there (job directories and their ledgers went into the dataset)
timeout 20 "$MG_BIN" serve --dataset ds --work ds/jobs --bind 127.0.0.1:0 2> err.txt; [ $? -eq 2 ] ||
    die "serve --work inside --dataset: not exit 2"
grep -qx "musicgen serve: --work ds/jobs is inside the dataset ds (browsed read only): give a directory outside it" err.txt ||
    die "serve --work inside --dataset: $(cat err.txt)"
[ ! -e ds/jobs ] || die "serve made its --work inside the dataset"
# /api/dataset is read once and kept while the root and its shard
# directories are unchanged (a page polling it read every sample
# directory of the tree each time), and follows a tree being written
kill $SPID; wait $SPID 2>/dev/null
"$MG_BIN" generate --seed 11 --count 3 --out sh --shard-width 3 \
    --output-mode midi-only --workers 1 -q || die "sharded dataset"
touch -d '2020-01-01 00:00' sh sh/000
start_serve --work work2 --dataset sh
list() { curl -fsS "${U}api/dataset" | sed -n 's/.*"samples":\(\[[0-9,]*\]\).*/\1/p'; }
[ "$(list)" = "[0,1,2]" ] || die "sharded listing: $(list)"
# a change it does not watch (a sample put in the shard, whose time is
# set back) shows the answer was kept, not read again
cp -R sh/000/000002 sh/000/000009 && touch -d '2020-01-01 00:00' sh/000
[ "$(list)" = "[0,1,2]" ] || die "the list of an unchanged tree was read again"
# a sample.json deleted by hand in its directory (no directory the list
# watches changes): not listed any more (it was, kept)
mv sh/000/000002/sample.json s2.json
[ "$(list)" = "[0,1,9]" ] || die "a sample without its sample.json listed: $(list)"
mv s2.json sh/000/000002/sample.json && rm -r sh/000/000009
mv sh/000/000001 s1         # a sample leaves its shard: read again
[ "$(list)" = "[0,2]" ] || die "a sample moved out of its shard: $(list)"
"$MG_BIN" generate --seed 11 --count 5 --out sh --shard-width 3 \
    --output-mode midi-only --workers 1 -q || die "sharded dataset, more"
[ "$(list)" = "[0,1,2,3,4]" ] || die "samples written into the tree: $(list)"
kill $SPID; wait $SPID 2>/dev/null
# a tree too big to look at every sample each time (1100 of them, sample
# directories of a sample.json alone): each answer looks at 1024 in turn,
# so a deleted sample.json drops out within two answers, and at once
# once the sample is asked for
"$PY" -c "
import os
for i in range(100000, 101100):
    os.makedirs('big/%d' % i)
    open('big/%d/sample.json' % i, 'w').write('{}')" && touch -d '2020-01-01 00:00' big
start_serve --work work3 --dataset big
n() { curl -fsS "${U}api/dataset" | "$PY" -c "import json, sys; s = json.load(sys.stdin)['samples']; print(len(s), $1 in s)"; }
[ "$(n 101050)" = "1100 True" ] || die "the list of a big tree: $(n 101050)"
rm big/101050/sample.json
[ "$(n 101050)" = "1100 True" ] || die "the big tree's list was read again"
[ "$(n 101050)" = "1099 False" ] || die "a deleted sample.json still listed: $(n 101050)"
# the list read again, the next answer looks at its first 1024 samples
# (100000..101024): 101080 is not among them, but it is asked for, and
# no more there
rm big/101080/sample.json
[ "$(code "${U}api/view/ds/101080")" = 404 ] || die "view of a deleted sample.json"
[ "$(n 101080)" = "1098 False" ] || die "a sample.json asked for and gone still listed: $(n 101080)"
echo "serve: page drives, files safe, bounded"
