# dist_jobs_share — `musicgen worker --jobs 2`, coordinated and static,
# makes one engine before it forks its jobs, so the soundfont is loaded
# once and shared. Checked on the live job processes: each one's private
# memory (/proc/PID/smaps_rollup) is below the font's size - a job that
# had loaded the font itself would hold all of it privately - and the
# font's sample data is shared: mapped from its side file in the SF2 cache
# (page-cache pages, the default; the coordinated run), or, with
# MUSICGEN_FONT_MAP=0 (the static run), the parent's pages shared
# copy-on-write (the jobs share at least the font's size). Both runs
# complete with the same bytes as embedded `generate`.
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
