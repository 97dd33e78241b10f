# static_identity — the identity of a static run is its fingerprint too,
# as a coordinator's ledger records it. Before, .musicgen/slices/run.json
# held the run's options alone: tasks of one array on two musicgen builds
# or with two genre (or soundfont) data sets each made their slice, merge
# joined them and exited 0, one dataset of mixed bytes; a static slice
# over a tree generate made compared neither data hash. Now run.json
# records the fingerprint and a task whose musicgen or data differ is
# refused before it makes anything, naming what differs; a run.json of an
# older musicgen (no fingerprint) is refused saying how to go on; merge
# refuses slices whose samples another musicgen or other data made; and
# a coordinator over a static tree of other data is refused.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
slice() {   # ROOT I [options]: slice I of 2 of the run of seed 3
    r=$1 i=$2
    shift 2
    "$MG_BIN" worker --static --array-index "$i" --array-size 2 --seed 3 \
        --count 4 --out "$r" --output-mode midi-only -q "$@"
}
H='[0-9a-f]\{12\}'
V=$("$MG_BIN" --version | sed 's/^musicgen //')
RUN=ds/.musicgen/slices/run.json
cp -r "$MG_SRC/genres" g2
printf ' ' >>g2/jazz/spec.json     # other genre data (its hash)
slice ds 0 2>t.log || { cat t.log; die "slice 0"; }
grep -q "\"fingerprint\":{\"engine_version\":\"$V\",\"genres_hash\":\"" $RUN ||
    { cat $RUN; die "run.json records no fingerprint"; }
cp $RUN run.good
# a task with other genre data: refused, nothing made
slice ds 1 --genres-dir g2 2>t.log && die "a slice with other genre data"
grep -qx "musicgen worker: --out ds holds a run (the run the tree's first static slice recorded) made with other data: genres_hash $H, this worker's $H (the genre presets of --genres-dir differ); give every task of the run the same data (--genres-dir, --sf-dir, --fonts) and musicgen build, or another --out" t.log ||
    { cat t.log; die "other genre data: no clear refusal"; }
[ ! -e ds/.musicgen/slices/slice-1-of-2.jsonl ] && [ "$(samples ds)" -eq 2 ] ||
    die "the refused slice made something"
# a run begun by another musicgen (its run.json as that one wrote it)
sed 's/"engine_version":"[^"]*"/"engine_version":"0.1.0"/' run.good >$RUN
slice ds 1 2>t.log && die "a slice of another musicgen's run"
grep -qx "musicgen worker: --out ds holds a run (the run the tree's first static slice recorded) made by musicgen 0.1.0, and this is musicgen $V: finish the run with musicgen 0.1.0, or make it again with another --out" t.log ||
    { cat t.log; die "another musicgen: no clear refusal"; }
# begun by an older musicgen that recorded no fingerprint
sed 's/"fingerprint":{[^}]*},//' run.good >$RUN
slice ds 1 2>t.log && die "a slice of a run.json without fingerprint"
grep -qx "musicgen worker: --out ds holds a static run whose $RUN records no musicgen version (an older musicgen began it): finish it with that musicgen, or make it again with another --out; or, if musicgen $V made all of it, remove that file and run every slice again (each checks the samples it finds)" t.log ||
    { cat t.log; die "run.json without fingerprint: no clear refusal"; }
# the way on it names
rm $RUN
slice ds 0 2>t.log && slice ds 1 2>>t.log || { cat t.log; die "the slices again"; }
cmp -s $RUN run.good || die "run.json of the slices again"
# a coordinator with other genre data over the static tree
"$MG_BIN" coordinator --seed 3 --count 4 --out ds --ledger c.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --genres-dir g2 \
    2>c.log && die "a coordinator with other genre data"
grep -qx "musicgen coordinator: --out ds holds a run (the run the tree's first static slice recorded) made with other data: genres_hash $H, this coordinator's $H (the genre presets of --genres-dir differ); give every task of the run the same data (--genres-dir, --sf-dir, --fonts) and musicgen build, or another --out" c.log ||
    { cat c.log; die "coordinator with other genre data: no clear refusal"; }
# an older musicgen's tree of one musicgen and data merges as before
sed 's/"fingerprint":{[^}]*},//' run.good >$RUN
"$MG_BIN" merge --out ds -q || die "merge of an older musicgen's tree"
check_run ds 3 4 || die "the merged tree"
# merge of a tree of two genre data sets (as an older musicgen let the
# tasks make it, its run.json written again between them)
slice mixed 0 2>t.log || { cat t.log; die "mixed slice 0"; }
rm mixed/.musicgen/slices/run.json
slice mixed 1 --genres-dir g2 2>t.log || { cat t.log; die "mixed slice 1"; }
"$MG_BIN" merge --out mixed 2>m.log && die "merge of two genre data sets"
grep -qx "musicgen merge: slice-0-of-2.jsonl was made by another musicgen or with other data than the run (mixed/.musicgen/slices/run.json): its first sample, mixed/000000/sample.json, has genres_hash $H, the run's $H; make the run again in another --out with one musicgen and one --genres-dir, --sf-dir and --fonts, or remove that slice file and the samples its rows list and run that slice again" m.log ||
    { cat m.log; die "merge of two data sets: no clear refusal"; }
[ ! -e mixed/manifest.jsonl ] || die "the refused merge wrote a manifest"
# ... and without a fingerprint in run.json: the slices against each other
sed -i 's/"fingerprint":{[^}]*},//' mixed/.musicgen/slices/run.json
"$MG_BIN" merge --out mixed 2>m.log && die "merge of two data sets, old run.json"
grep -q "^musicgen merge: slice-[01]-of-2.jsonl was made by another musicgen or with other data than the run (slice-[01]-of-2.jsonl's first sample, mixed/00000[02]/sample.json): its first sample, mixed/00000[02]/sample.json, has genres_hash $H, the run's $H; " m.log ||
    { cat m.log; die "merge of two data sets, old run.json: no clear refusal"; }
# a tree generate made (its ledger): a slice of samples not made yet,
# with other genre data, was not refused by any sample on disk
"$MG_BIN" generate --seed 3 --count 2 --out gds --output-mode midi-only -q \
    2>g.log || { cat g.log; die "generate"; }
slice gds 1 --genres-dir g2 2>t.log && die "a slice with other data over generate's tree"
grep -qx "musicgen worker: --out gds holds a run (the tree's run (its ledger, from generate)) made with other data: genres_hash $H, this worker's $H (the genre presets of --genres-dir differ); give every task of the run the same data (--genres-dir, --sf-dir, --fonts) and musicgen build, or another --out" t.log ||
    { cat t.log; die "other data over generate's tree: no clear refusal"; }
[ "$(samples gds)" -eq 2 ] || die "the refused slice made samples"
echo "static run identity ok"
