# dist_jobs_share — `musicgen worker --jobs 2`, coordinated and static,
# makes one engine before it forks its jobs, so the soundfont is loaded
# once and shared. Checked on the live job processes: each one's private
# memory (/proc/PID/smaps_rollup) is below the font's size - a job that
# had loaded the font itself would hold all of it privately - and the
# font's sample data is shared: mapped from its side file in the SF2 cache
# (page-cache pages, the default; the coordinated run), or, with
# MUSICGEN_FONT_MAP=0 (the static run), the parent's pages shared
# copy-on-write (the jobs share at least the font's size). A run grown
# between the worker's question and its jobs' start is still served by
# the shared engine. The runs complete (the first two with the same bytes
# as embedded `generate`).
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
FONT=/usr/share/sounds/sf2/FluidR3_GM.sf2
fsz=$(stat -c %s "$FONT")
N=6

# private_ok PARENT_PID map|cow : both jobs of PARENT_PID hold less than
# the font privately, and share its sample data as said
private_ok() {
    kids=$(pgrep -P "$1")
    [ "$(echo $kids | wc -w)" -eq 2 ] || die "expected 2 job processes, got: $kids"
    for k in $kids; do
        priv=$(awk '/^Private_(Clean|Dirty)/ { s += $2 } END { print s * 1024 }' \
            "/proc/$k/smaps_rollup")
        shared=$(awk '/^Shared_(Clean|Dirty)/ { s += $2 } END { print s * 1024 }' \
            "/proc/$k/smaps_rollup")
        echo "job $k: private $priv B, shared $shared B (font $fsz B)"
        [ "$priv" -lt "$fsz" ] || die "job $k holds $priv bytes privately: the font is not shared"
        if [ "$2" = map ]; then
            grep -q 'FluidR3_GM\.sf2-.*\.smpl$' "/proc/$k/maps" ||
                die "job $k does not map FluidR3_GM's side file"
        else
            [ "$shared" -ge "$fsz" ] || die "job $k shares only $shared bytes"
        fi
    done
}

# the reference run first: on a fresh cache it also makes the fonts' side
# files (a first start reads the font and writes them), so the jobs below
# find them to map whatever ran before this test
"$MG_BIN" generate --seed 9 --count $N --out ref --shard-width 0 -q \
    || die "reference run failed"

# the jobs must be alive while we look: a slower engine
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=500
start_coord coord.log --seed 9 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --chunk 1 --heartbeat-ms 200 --shard-width 0
"$MG_BIN" worker --connect "$EP" --out ds --jobs 2 2>w.log &
W=$!
wait_for 120 have_samples ds 1 || die "no sample from the jobs ($(tail -2 w.log))"
private_ok $W map
wait_exit $CPID 180 || die "coordinator did not finish ($(tail -1 coord.log))"
wait_exit $W 30 || die "worker did not exit 0 ($(tail -2 w.log))"
check_run ds 9 $N || die "coordinated run check"

# a coordinator restarted with a larger --count between the worker's
# question for the run and its jobs' HELLO (MUSICGEN_FAULT_JOBS_AFTER
# holds the jobs until the file go exists) serves the same run grown at
# its end: the jobs work with the engine made before the fork (each made
# its own: its start again and about 40 MB more private memory a job;
# the same in every output mode, MIDI alone here, for speed)
G="--chunk 1 --heartbeat-ms 200 --shard-width 0 --output-mode midi-only"
# shellcheck disable=SC2086
start_coord coordg.log --seed 9 --count 2 --out dg --ledger ledg.sqlite \
    --bind 'tcp://127.0.0.1:*' $G
MUSICGEN_FAULT_SAMPLE_DELAY_MS=0 MUSICGEN_FAULT_JOBS_AFTER=go "$MG_BIN" \
    worker --connect "$EP" --out dg --jobs 2 -v 2>wg.log &
W=$!
wait_for 60 grep -q "left: asked for the run only" coordg.log ||
    die "the worker did not ask for the run ($(tail -2 wg.log))"
kill -TERM $CPID
wait_exit $CPID 30
[ $? -eq 3 ] || die "coordinator on SIGTERM ($(tail -1 coordg.log))"
# shellcheck disable=SC2086
start_coord coordg2.log --seed 9 --count $N --out dg --ledger ledg.sqlite \
    --bind "$EP" $G
grep -q "growing the run" coordg2.log || die "the restart did not grow the run"
touch go
wait_exit $CPID 180 || die "grown coordinator did not finish ($(tail -1 coordg2.log))"
wait_exit $W 30 || die "worker of the grown run did not exit 0 ($(tail -2 wg.log))"
[ "$(grep -c "works with the engine made before the fork" wg.log)" -eq 2 ] ||
    die "a job of the grown run did not use the shared engine: $(grep -e 'own' -e 'engine' wg.log)"
grep -q "makes its own" wg.log && die "a job made its own engine: $(cat wg.log)"
check_run dg 9 $N || die "grown run check"

MUSICGEN_FONT_MAP=0 "$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 9 --count $N \
    --out st --shard-width 0 --jobs 2 2>st.log &
S=$!
wait_for 120 have_samples st 1 || die "no sample from the static jobs ($(tail -2 st.log))"
private_ok $S cow
wait_exit $S 180 || die "static worker did not exit 0 ($(tail -2 st.log))"
"$MG_BIN" merge --out st --count $N -q || die "merge failed"
check_run st 9 $N || die "static run check"

same_samples ds 0 ref 0 $N || die "coordinated jobs differ from generate"
same_samples st 0 ref 0 $N || die "static jobs differ from generate"
echo "worker --jobs shares one engine's soundfont"
