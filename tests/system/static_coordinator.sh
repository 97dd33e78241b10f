# static_coordinator — a coordinator over a static tree of its own run
# (slices of `worker --static`, the same seed and options, not merged)
# with a new ledger: before, it did not count the samples there (a new
# ledger looked nothing up on disk), started at "0/4 done" and, stopped
# before any worker came, wrote a manifest of no rows over the tree.
# Now the finished samples are imported as done, as a resume imports
# them: stopped at once the manifest lists them, and over a whole tree
# the run is complete without a worker. And merge, over a tree such a
# coordinator grew, refuses rather than shrink its manifest.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
slice() {   # slice I of M of ROOT's run (seed 5, 4 samples)
    "$MG_BIN" worker --static --array-index "$1" --array-size "$2" \
        --seed 5 --count 4 --out "$3" --output-mode midi-only -q 2>task.log ||
        { cat task.log; die "slice $1 of $2"; }
}
# half the run made by slices, the coordinator stopped before any worker
slice 0 2 half
start_coord c1.log --seed 5 --count 4 --out half --ledger half.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
kill -INT "$CPID"
wait_for 30 sh -c "! kill -0 $CPID" || die "the coordinator did not stop"
wait "$CPID"
grep -q "2 sample(s) complete on disk" c1.log ||
    { cat c1.log; die "the slices' samples were not taken as done"; }
[ "$(wc -l <half/manifest.jsonl)" -eq 2 ] ||
    { cat c1.log; die "the stopped coordinator's manifest lost the slices' samples"; }
# the rest by the other slice; resumed, the run is whole at once
slice 1 2 half
"$MG_BIN" coordinator --seed 5 --count 4 --out half --ledger half.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2>c2.log ||
    { cat c2.log; die "resume over the whole tree"; }
check_run half 5 4 || die "the resumed run"
# the whole run made by one slice: complete without a worker
slice 0 1 whole
"$MG_BIN" coordinator --seed 5 --count 4 --out whole --ledger whole.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2>c3.log ||
    { cat c3.log; die "coordinator over a whole static tree"; }
grep -q "run complete: 4 samples" c3.log || { cat c3.log; die "not complete"; }
check_run whole 5 4 || die "the coordinator's manifest of the static tree"
"$MG_BIN" verify whole --quick >v.txt || { cat v.txt; die "verify"; }
# the coordinator grows it past the slices: merge (reading the slices of
# samples 0..3) replaced its manifest of 6 rows with one of 4, exit 0;
# now it refuses and the run's manifest stays
start_coord c4.log --seed 5 --count 6 --out whole --ledger whole.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out whole -q 2>w.log ||
    { cat w.log; die "the worker of the grown run"; }
wait "$CPID" || { cat c4.log; die "the grown run"; }
check_run whole 5 6 || die "the grown run's manifest"
"$MG_BIN" merge --out whole 2>m.log && die "merge over the grown run"
grep -q "holds finished samples 0..5, past the slices' run of samples 0..3" m.log ||
    { cat m.log; die "merge over the grown run: no clear refusal"; }
check_run whole 5 6 || die "merge replaced the grown run's manifest"
echo "coordinator over a static tree ok"
