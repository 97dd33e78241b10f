# static_missing_root — a static array's first run into an output root that
# does not exist yet: every task starts at the same moment (as a Slurm
# array does), each must create what it needs (mkdir -p, EEXIST races) and
# succeed; merge then writes one manifest row per index. Tasks of one
# array with different --jobs make one slicing.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=12
M=6
ROOT=new/deep/root
pids=""
i=0
while [ $i -lt $M ]; do
    "$MG_BIN" worker --static --seed 21 --count $N --out "$ROOT" \
        --output-mode midi-only --array-index $i --array-size $M \
        2>"task$i.log" &
    pids="$pids $!"
    i=$((i + 1))
done
i=0
for p in $pids; do
    wait "$p" || { cat "task$i.log"; die "array task $i failed on a missing root"; }
    i=$((i + 1))
done
[ "$(ls "$ROOT/.musicgen/slices" | grep -c '^slice-.*-of-6\.jsonl$')" -eq $M ] \
    || die "slices missing: $(ls "$ROOT/.musicgen/slices")"
[ -z "$(find "$ROOT/.musicgen/slices" -name '*.tmp.*')" ] || die "temporary slice file left"
"$MG_BIN" merge --out "$ROOT" --count $N 2>merge.log \
    || { cat merge.log; die "merge failed"; }
check_run "$ROOT" 21 $N || die "manifest after a static array on a new root"
# a rerun of a task removes the temporary slice files of its killed
# predecessors on this host (dead pid), never a live writer's
host=$(hostname | tr -c 'A-Za-z0-9._\n' '_' | cut -c1-40)
sh -c 'exit 0' & dead=$!; wait $dead
S=$ROOT/.musicgen/slices
: >"$S/slice-2-of-6.jsonl.tmp.$host.$dead"
: >"$S/slice-2-of-6.jsonl.tmp.$host.$$"
"$MG_BIN" worker --static --seed 21 --count $N --out "$ROOT" \
    --output-mode midi-only --array-index 2 --array-size $M 2>rerun.log ||
    { cat rerun.log; die "rerun of task 2 failed"; }
[ ! -e "$S/slice-2-of-6.jsonl.tmp.$host.$dead" ] || die "a dead writer's slice temporary kept"
[ -e "$S/slice-2-of-6.jsonl.tmp.$host.$$" ] || die "a live writer's slice temporary removed"
rm -f "$S/slice-2-of-6.jsonl.tmp.$host.$$"
# the same with --jobs 2 per task (one engine made before the fork)
rm -rf new
pids=""
for i in 0 1 2; do
    "$MG_BIN" worker --static --seed 21 --count $N --out "$ROOT" --jobs 2 \
        --output-mode midi-only --array-index $i --array-size 3 \
        2>"jtask$i.log" &
    pids="$pids $!"
done
for p in $pids; do wait "$p" || { cat jtask*.log; die "--jobs 2 task failed"; }; done
"$MG_BIN" merge --out "$ROOT" --count $N 2>merge.log \
    || { cat merge.log; die "merge (--jobs 2) failed"; }
check_run "$ROOT" 21 $N || die "manifest (--jobs 2)"
# the tasks of one array with different --jobs (a task resubmitted with
# other CPUs): the slice files are named by index and size alone, so
# the array is one slicing, which status and merge see whole (named by
# jobs, they were slices 0-1 of 4 beside slice 1 of 2: "slices 2, 3 of 4
# missing")
rm -rf mixed
"$MG_BIN" worker --static --seed 21 --count 9 --out mixed --jobs 3 \
    --output-mode midi-only --array-index 0 --array-size 2 2>mx0.log ||
    { cat mx0.log; die "task 0 (--jobs 3) failed"; }
"$MG_BIN" worker --static --seed 21 --count 9 --out mixed \
    --output-mode midi-only --array-index 1 --array-size 2 2>mx1.log ||
    { cat mx1.log; die "task 1 (--jobs 1) failed"; }
[ "$(ls mixed/.musicgen/slices)" = "$(printf 'range.json\nrun.json\nslice-0-of-2.jsonl\nslice-1-of-2.jsonl')" ] ||
    die "the slice files of mixed --jobs: $(ls mixed/.musicgen/slices)"
"$MG_BIN" status --out mixed > mx.txt &&
    grep -qx "run: static slices (worker --static), no ledger: 2 of 2 slices complete" mx.txt ||
    die "status of mixed --jobs: $(cat mx.txt)"
"$MG_BIN" merge --out mixed 2>merge.log || { cat merge.log; die "merge (mixed --jobs) failed"; }
check_run mixed 21 9 || die "manifest (mixed --jobs)"
echo "static array on a missing root ok"
