# dist_generate_resume — `generate` killed with -9 mid-run (its worker
# processes go with it), then the same command again: it resumes from the
# ledger in the output directory and the dataset equals an uninterrupted
# one. Also the static array mode + merge gives the same dataset.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
N=200
MUSICGEN_FAULT_SAMPLE_DELAY_MS=15 "$MG_BIN" generate --seed 77 --count $N \
    --out ds --output-mode midi-only --workers 2 -q &
G=$!
wait_for 60 have_samples ds 40 || die "no progress before the kill"
kill -9 $G
wait $G 2>/dev/null
# the workers die with their parent
wait_for 20 sh -c "! pgrep -f 'generat[e] --seed 77' >/dev/null" \
    || die "worker processes outlived generate"
before=$(samples ds)
[ "$before" -lt $N ] || die "the run finished before the kill"
"$MG_BIN" generate --seed 77 --count $N --out ds --output-mode midi-only \
    --workers 2 2>rerun.log || { cat rerun.log; die "re-run failed"; }
grep -q "already present" rerun.log || die "re-run final line"
check_run ds 77 $N || die "resumed run check"
"$MG_BIN" generate --seed 77 --count $N --out ref --output-mode midi-only -q \
    || die "reference run failed"
same_samples ds 0 ref 0 $N || die "resumed run differs from an uninterrupted one"
# static mode: two array tasks, then merge
for i in 0 1; do
    "$MG_BIN" worker --static --array-index $i --array-size 2 --seed 77 \
        --count $N --out st --output-mode midi-only 2>st$i.log \
        || { cat st$i.log; die "static slice $i failed"; }
done
"$MG_BIN" merge --out st --count $N -q || die "merge failed"
check_run st 77 $N || die "static run check"
same_samples st 0 ref 0 $N || die "static run differs"
echo "generate resume and static mode ok"
