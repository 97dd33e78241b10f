# generate_kill9_orphans — kill -9 of `generate` mid-sample: its worker
# processes notice the parent's death once (however many threads they
# have), finish the sample in hand or abandon it, and exit; none is left
# rendering, and no ".tmp-*" directory outlives them. A re-run sweeps the
# temporaries of writers that are provably gone (a dead pid on this host,
# or older than the documented bound elsewhere) and keeps those of live
# writers, then completes the run.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
M="--measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1"
N=4
tmps() { find ds -name '.tmp-*' 2>/dev/null; }
has_tmp() { [ -n "$(tmps)" ]; }
# shellcheck disable=SC2086
"$MG_BIN" generate --seed 13 --count $N --out ds --workers 2 $M -q 2>gen1.log &
P=$!
wait_for 120 has_tmp || die "no sample in flight"
kids=$(ps -o pid= --ppid $P | tr -d ' ' | tr '\n' ' ')
[ -n "$kids" ] || die "generate has no worker processes"
kill -9 $P
wait $P 2>/dev/null
alive() { for k in $kids; do kill -0 "$k" 2>/dev/null && return 0; done; return 1; }
wait_for 120 sh -c "! { $(for k in $kids; do printf 'kill -0 %s 2>/dev/null || ' "$k"; done) false; }" ||
    die "worker processes still alive 120 s after the parent's kill -9: $kids"
[ -z "$(tmps)" ] || die "temporary directories left by orphaned workers: $(tmps)"
# every sample.json on disk belongs to a complete sample
for sj in $(find ds -name sample.json); do
    d=$(dirname "$sj")
    [ -f "$d/mix.wav" ] || die "$d: sample.json without mix.wav"
done

# leftovers of writers: dead here (removed), alive here (kept), another
# host recent (kept) and old (removed), the old naming without a host
# (removed only when old)
host=$(hostname)
sleep 30 & live=$!
sh -c 'exit 0' & dead=$!; wait $dead
# a writer killed with its parent stays a zombie where init reaps none (a
# container's): gone all the same (its directory stayed, and verify failed
# after a resumed run)
"$PY" -c "
import os, time
pid = os.fork()
if pid == 0:
    os._exit(0)
open('zpid', 'w').write(str(pid))
time.sleep(60)
" & zparent=$!
i=0; while [ ! -s zpid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
zombie=$(cat zpid)
grep -q '^[0-9]* ([^)]*) Z' "/proc/$zombie/stat" || die "no zombie to test with"
mkdir -p "ds/.tmp-000007-$host-$zombie/midi"
mkdir -p "ds/.tmp-000001-$host-$dead/midi" "ds/.tmp-000002-$host-$live/midi" \
    "ds/.tmp-000003-elsewhere-7/midi" "ds/.tmp-000004-elsewhere-8/midi" \
    "ds/.tmp-000005-99999" "ds/.tmp-000006-99998"
touch -d '3 days ago' ds/.tmp-000004-elsewhere-8/midi ds/.tmp-000004-elsewhere-8 \
    ds/.tmp-000006-99998
# shellcheck disable=SC2086
"$MG_BIN" generate --seed 13 --count $N --out ds --workers 2 $M -q 2>gen2.log ||
    { cat gen2.log; die "re-run after kill -9 failed"; }
[ ! -e "ds/.tmp-000001-$host-$dead" ] || die "tmp of a dead local writer kept"
[ ! -e "ds/.tmp-000007-$host-$zombie" ] || die "tmp of a zombie writer kept"
kill $zparent 2>/dev/null
[ -d "ds/.tmp-000002-$host-$live" ] || die "tmp of a live local writer removed"
[ -d ds/.tmp-000003-elsewhere-7 ] || die "recent tmp of another host removed"
[ ! -e ds/.tmp-000004-elsewhere-8 ] || die "old tmp of another host kept"
[ -d ds/.tmp-000005-99999 ] || die "recent tmp without a host removed"
[ ! -e ds/.tmp-000006-99998 ] || die "old tmp without a host kept"
kill $live 2>/dev/null
rm -rf "ds/.tmp-000002-$host-$live" ds/.tmp-000003-elsewhere-7 ds/.tmp-000005-99999
check_run ds 13 $N || die "run after kill -9 and re-run"
echo "kill -9 of generate: no orphans, no leftovers"
