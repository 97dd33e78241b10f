# static_jobs_overlap — two runs of one static slice with --jobs at once
# (a requeued task beside the one still running): the first to join its
# parts removed every part file of the slice, the second's among them,
# and the second exited 1 ("...part-0-of-2: No such file or directory")
# although the slice was complete. Now a join that finds a part gone
# takes the slice file the other renamed into place when it holds a row
# of every sample of the slice, and succeeds; merge finds every row.
# The overlap: each sample takes 2.5 s (the fault hook), the parts are 1
# and 2 samples; B starts once A's jobs have begun, so B's first part is
# done before A joins (and removes it) and B's second after.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=2500
task() {
    "$MG_BIN" worker --static --array-index 0 --array-size 1 --jobs 2 \
        --seed 5 --count 3 --out ds --output-mode midi-only -q
}
task 2>a.log & A=$!
wait_for 60 sh -c 'ls ds/.musicgen/slices | grep -q "part-1-of-2.tmp"' ||
    die "the first task's jobs did not start"
task 2>b.log & B=$!
wait "$A" || { cat a.log; die "the first task"; }
wait "$B" || { cat b.log; die "the second task, whose parts the first removed"; }
unset MUSICGEN_FAULT_SAMPLE_DELAY_MS
ls ds/.musicgen/slices | grep -q part && die "part files were left"
"$MG_BIN" merge --out ds -q || die "merge"
check_run ds 5 3 || die "the merged run"
"$MG_BIN" verify ds --quick >v.txt || { cat v.txt; die "verify"; }
echo "overlapping static tasks ok"
