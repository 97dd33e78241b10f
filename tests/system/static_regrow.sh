# static_regrow — a static array's tree run again with other numbers.
# Slice files are named by array index and size alone, so before, a rerun
# with a smaller --count (the same --array-size) replaced the run's slices
# with fewer rows, one with a --start that continues the run replaced
# them with its own, and a run grown with a smaller --array-size left the
# old, larger array's slices, which merge took: each time merge wrote a
# manifest that left finished samples out and exited 0. Now a larger
# --count grows the run with any --array-size (merge takes the newest
# array's slices), and a smaller --count or another --start is refused,
# naming the range to give, before anything is made or replaced; so is a
# merge --count/--start of part of the run, and a static array of part of
# a coordinator's run over its tree.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
S="--seed 3 --output-mode midi-only -q"
slices() { # COUNT SIZE [more options]: every task of the array, in turn
    c=$1 m=$2; shift 2
    i=0
    while [ $i -lt "$m" ]; do
        # shellcheck disable=SC2086
        "$MG_BIN" worker --static --array-index $i --array-size "$m" \
            --count "$c" --out ds $S "$@" 2>task.log || return 1
        i=$((i + 1))
    done
}
slices 15 3 || { cat task.log; die "the first array"; }
# a merge of part of the run is refused too (it wrote a manifest of 5
# rows over a tree of 15 samples, exit 0)
"$MG_BIN" merge --out ds --count 5 2>merge.log && die "a merge of part of the run"
grep -qx "musicgen merge: ds holds the static run of samples 0..14 (.musicgen/slices/range.json): --start 0 --count 5 would leave samples out of the manifest; give --start 0 --count 15 (or no --count)" merge.log ||
    { cat merge.log; die "merge of part of the run: no clear refusal"; }
[ ! -e ds/manifest.jsonl ] || die "the refused merge wrote a manifest"
"$MG_BIN" merge --out ds -q || die "merge of the first array"
sum=$(cat ds/.musicgen/slices/slice-* | sha256sum)
for start in 0 15; do
    # shellcheck disable=SC2086
    "$MG_BIN" worker --static --array-index 0 --array-size 3 --out ds $S \
        --start $start --count 6 2>err.txt &&
        die "a slice of --start $start --count 6 over the run of 15"
    grep -q "^musicgen worker: --out ds holds the static run of samples 0..14: slices of --start $start --count 6 would replace its slice files" err.txt ||
        { cat err.txt; die "--start $start --count 6: no clear refusal"; }
done
grep -q "give --start 0 --count 21 " err.txt || { cat err.txt; die "no range to give"; }
[ "$(cat ds/.musicgen/slices/slice-* | sha256sum)" = "$sum" ] ||
    die "a refused slice changed the slices"
[ "$(samples ds)" -eq 15 ] || die "a refused slice made samples"
# grown with a smaller array: merge takes the newest array's slices
slices 20 2 || { cat task.log; die "the grown array"; }
"$MG_BIN" merge --out ds 2>merge.log || { cat merge.log; die "merge of the grown run"; }
grep -qx "merge: the run of the slices: --start 0 --count 20" merge.log ||
    { cat merge.log; die "merge did not take the grown run"; }
check_run ds 3 20 || die "the grown run's manifest"
"$MG_BIN" verify ds --quick >v.txt || { cat v.txt; die "verify after growth"; }
# a task of the old array, requeued late, is refused too
# shellcheck disable=SC2086
"$MG_BIN" worker --static --array-index 2 --array-size 3 --count 15 --out ds \
    $S 2>err.txt && die "the old array's task over the grown run"
grep -q "holds the static run of samples 0..19" err.txt || { cat err.txt; die "old task: no clear refusal"; }
# a coordinator's tree (no ledger there, no slices): a static array of
# part of its run is refused (merge replaced its manifest of 10 rows with
# one of 6), one that holds it grows it
start_coord c.log --seed 3 --count 10 --out cds --ledger cl.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out cds -q 2>w.log || { cat w.log; die "worker"; }
wait_exit $CPID 60 || die "coordinator did not finish"
cp cds/manifest.jsonl cds-before.jsonl
# shellcheck disable=SC2086
"$MG_BIN" worker --static --array-index 0 --array-size 1 --count 6 --out cds \
    $S 2>err.txt && die "a static slice of part of a coordinator's run"
grep -qxF "musicgen worker: --out cds holds 4 finished samples at or past index 6 (the first: index 6, manifest.jsonl:7), past this run's samples 0..5: a run shrinks only by samples not made yet; give --count 10 or more with their run's seed and options, or another --out" err.txt ||
    { cat err.txt; die "part of a coordinator's run: no clear refusal"; }
cmp -s cds/manifest.jsonl cds-before.jsonl || die "the refused slice changed the manifest"
# shellcheck disable=SC2086
"$MG_BIN" worker --static --array-index 0 --array-size 1 --count 12 --out cds \
    $S 2>err.txt || { cat err.txt; die "a static slice growing a coordinator's run"; }
"$MG_BIN" merge --out cds -q || die "merge of the grown coordinator's run"
check_run cds 3 12 || die "the grown coordinator's run"
echo "static regrow ok"
