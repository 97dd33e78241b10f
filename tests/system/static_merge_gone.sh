# static_merge_gone — merge of slices whose samples were deleted since
# (by hand, a cleanup script, a lost file system object): before, merge
# wrote their ok rows into the manifest and exited 0, and the tree did
# not verify. Now merge refuses, naming how many are gone and the first,
# and writes nothing; the slices run again make what they lack, and merge
# then writes a manifest of a whole tree. A merge before any slice says
# so.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
slices() {
    for i in 0 1; do
        "$MG_BIN" worker --static --array-index $i --array-size 2 --count 10 \
            --seed 3 --out ds --output-mode midi-only -q 2>task.log ||
            { cat task.log; die "slice $i"; }
    done
}
# before any slice: said so (not "1 of 1 samples missing": no --count)
"$MG_BIN" merge --out ds 2>merge.log && die "merge without slices"
grep -qx "musicgen merge: ds/.musicgen/slices holds no finished slice (slice-I-of-M.jsonl): run the static workers (musicgen worker --static) first" merge.log ||
    { cat merge.log; die "merge without slices: no clear line"; }
slices
rm -rf ds/000003 ds/000007/sample.json
"$MG_BIN" merge --out ds 2>merge.log && die "merge over samples gone from disk"
grep -qx "musicgen merge: 2 sample(s) of the slices' ok rows are gone from the tree (first: 3); run again the slices that made them (a slice makes what it lacks), then merge" merge.log ||
    { cat merge.log; die "merge: no clear refusal"; }
[ ! -e ds/manifest.jsonl ] || die "the refused merge wrote a manifest"
slices
"$MG_BIN" merge --out ds -q || die "merge after the slices ran again"
check_run ds 3 10 || die "the manifest after the slices ran again"
"$MG_BIN" verify ds --quick >v.txt || { cat v.txt; die "verify"; }
echo "merge of gone samples ok"
