# dist_refuse — a worker whose genre data differs is refused with a
# message naming genres_hash (with --jobs, once, before any job starts); a peer speaking another protocol version is
# refused naming the version; malformed frames are dropped, not fatal,
# each counted in /metrics, and a flood of them logs 20 lines, not one each.
# A worker whose --out is not the coordinator's root (a typo, another
# mount) is refused naming it, before it makes anything: its samples would
# be in no manifest, and the run's manifest would list samples its root
# does not hold. A second coordinator on the live one's ledger is refused
# by any name of it (a symlink, a hard link), one on its --out leaves no
# ledger behind, and a ledger that is no regular file is refused naming it.
# --workers (generate's) on a worker's or coordinator's command line is
# refused naming --jobs.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
start_coord coord.log --seed 1 --count 20 --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --http 127.0.0.1:0
wait_for 30 grep -q "status page on" coord.log || die "no status page line"
URL=$(sed -n 's/.*status page on \(http:[^ ]*\) .*/\1/p' coord.log | head -1)
ln -s led.sqlite led-link.sqlite
ln led.sqlite led-hard.sqlite
mkfifo led.fifo
for l in led-link.sqlite led-hard.sqlite; do
    timeout 30 "$MG_BIN" coordinator --seed 1 --count 20 --out ds2 --ledger $l \
        --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2>c2.log &&
        die "a second coordinator ran on the ledger as $l"
    grep -q "^musicgen coordinator: the ledger $l is in use by another coordinator" \
        c2.log || { cat c2.log; die "second coordinator on $l: no clear refusal"; }
done
timeout 30 "$MG_BIN" coordinator --seed 1 --count 20 --out ds --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2>c2.log &&
    die "a second coordinator ran on the live one's --out"
grep -q "^musicgen coordinator: ds is in use by musicgen coordinator" c2.log ||
    { cat c2.log; die "second coordinator on ds: no clear refusal"; }
[ ! -e led2.sqlite ] || die "the refused coordinator left a ledger behind"
timeout 30 "$MG_BIN" coordinator --seed 1 --count 20 --out ds3 --ledger led.fifo \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2>c3.log &&
    die "a FIFO was taken for a ledger"
grep -q "^musicgen coordinator: --ledger led.fifo is not a regular file (a FIFO)" \
    c3.log || { cat c3.log; die "a FIFO ledger: no clear refusal"; }
cp -R "$MG_SRC/genres" mygenres
f=$(find mygenres -name '*.json' | sort | head -1)
printf ' ' >> "$f"
"$MG_BIN" worker --connect "$EP" --out ds --genres-dir mygenres \
    2>bad.log && die "a worker with other genre data was accepted"
grep -q "genres_hash" bad.log || { cat bad.log; die "worker's refusal does not name genres_hash"; }
grep -q "genres_hash" coord.log || die "coordinator's log does not name genres_hash"
# with --jobs the refusal comes before any job starts, on both sides
n0=$(grep -c "genres_hash" coord.log)
"$MG_BIN" worker --connect "$EP" --out ds --genres-dir mygenres --jobs 2 \
    2>bad2.log
rc=$?
[ $rc -eq 2 ] || { cat bad2.log; die "--jobs 2 with other genre data: exit $rc, not 2"; }
grep -q "genres_hash" bad2.log || { cat bad2.log; die "--jobs 2 refusal does not name genres_hash"; }
grep -q "joined" bad2.log && { cat bad2.log; die "a job started although the run refuses us"; }
[ "$(grep -c "genres_hash" coord.log)" -gt "$n0" ] \
    || die "coordinator's log does not show the --jobs refusal"
"$PEER" "$EP" version >peer.txt || { cat peer.txt; die "protocol version not refused"; }
"$PEER" "$EP" garbage >peer2.txt || { cat peer2.txt; die "garbage handling"; }
# a worker of another musicgen: told which version the run needs (it
# said "engine_version 0.3.0 vs 0.0.1", neither whose nor what to do)
"$PEER" "$EP" oldjoin >peer3.txt || { cat peer3.txt; die "an old worker's JOIN"; }
V=$("$MG_BIN" --version | awk '{print $2}')
grep -qxF "refused: fingerprint differs: this worker is musicgen 0.0.1, the run is musicgen $V's: run a worker of musicgen $V" peer3.txt ||
    die "an old worker's refusal: $(cat peer3.txt)"
grep -q "malformed" coord.log || die "malformed frames not logged"
# a flood: every frame counted, the log held to its first 20
for i in 1 2 3; do "$PEER" "$EP" garbage >/dev/null || die "garbage handling"; done
nlog=$(grep -c "malformed" coord.log)
[ "$nlog" -le 20 ] || die "$nlog log lines for malformed frames (at most 20)"
nmet=$(curl -fsS "${URL}metrics" | sed -n 's/^musicgen_malformed_messages_total //p')
[ "${nmet:-0}" -gt 20 ] || die "/metrics counts $nmet malformed frames of the flood"
for j in 1 2; do
    "$MG_BIN" worker --connect "$EP" --out elsewhere --jobs $j 2>out.log
    rc=$?
    [ $rc -eq 2 ] || { cat out.log; die "a worker with another --out: exit $rc, not 2"; }
    grep -q "elsewhere is not the output root of the run" out.log ||
        { cat out.log; die "the refusal does not name the --out"; }
    [ -e elsewhere ] && die "a worker made samples in another --out"
done
wait_for 10 grep -q "is not the run's output root" coord.log ||
    die "the coordinator's log does not say why the worker left"
"$MG_BIN" worker --connect "$EP" --out ds 2>w.log || die "good worker failed after refusals"
wait_exit $CPID 60 || die "coordinator did not finish"
check_run ds 1 20 || die "run check"
# --idle-timeout 0 is "never give up" (deploy's systemd unit uses it):
# --help says so
"$MG_BIN" worker --help | grep -q "0: never, wait for one for ever" ||
    die "worker --help does not say what --idle-timeout 0 means"
# --identity: empty (every HELLO was dropped as malformed and the worker
# waited for ever), with a space, or longer than fits with --jobs' ".N"
# (cut at 63 bytes, two names sharing those took each other's leases):
# refused before anything starts, exit 2
for id in '' 'a b' "$(printf 'x%.0s' $(seq 59))"; do
    timeout 20 "$MG_BIN" worker --connect "$EP" --out ds --identity "$id" \
        --idle-timeout 2 2>id.log
    rc=$?
    [ $rc -eq 2 ] && grep -q "^musicgen worker: --identity must be 1 to 58 printable characters without spaces" id.log ||
        die "--identity '$id': exit $rc, $(cat id.log)"
done
# no coordinator at the port: the worker gives up after --idle-timeout,
# counted from when it last heard one (checked at reconnections only, it
# gave up about 11 s after the start with --idle-timeout 1)
timeout 8 "$MG_BIN" worker --connect tcp://127.0.0.1:1 --out ds \
    --idle-timeout 1 2>idle.log
rc=$?
[ $rc -eq 3 ] && grep -q "^musicgen worker: no coordinator at tcp://127.0.0.1:1 for 1 s; giving up" idle.log ||
    die "--idle-timeout 1 with no coordinator: exit $rc, $(cat idle.log)"
# --workers is generate's: the coordinator's and worker's --help listed
# it, and the command line's was taken without a word (a worker of one
# job); refused naming what to give, ignored from the environment (a
# setting shared with generate)
for cmd in "worker --connect tcp://127.0.0.1:1 --out ds --workers 4|a worker's are --jobs J" \
           "worker -w 4 --connect tcp://127.0.0.1:1 --out ds|a worker's are --jobs J" \
           "coordinator --seed 1 --workers=4 --ledger wl.sqlite --out wl|the coordinator makes no samples: give each worker --jobs J"; do
    # shellcheck disable=SC2086
    timeout 20 "$MG_BIN" ${cmd%%|*} 2> w.log
    rc=$?
    [ $rc -eq 2 ] && grep -qx "musicgen ${cmd%% *}: --workers is generate's (the processes it forks); ${cmd#*|}" w.log ||
        die "${cmd%%|*}: exit $rc, $(cat w.log)"
    "$MG_BIN" ${cmd%% *} --help | grep -q -- "--workers" &&
        die "${cmd%% *} --help lists --workers"
done
[ ! -e wl ] && [ ! -e wl.sqlite ] || die "a refused coordinator left its ledger or root"
MUSICGEN_WORKERS=4 timeout 8 "$MG_BIN" worker --connect tcp://127.0.0.1:1 \
    --out ds --idle-timeout 1 2> w.log
[ $? -eq 3 ] || die "MUSICGEN_WORKERS refused by the worker: $(cat w.log)"
# a coordinator over an unmerged static tree of another run is refused at
# start, naming the difference (it said "new run", its workers refused at
# their first sample, and at its stop it wrote an empty manifest.jsonl
# over the tree); the tree's own run is served
"$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 5 --count 4 \
    --out st --output-mode midi-only -q || die "static slice"
timeout 20 "$MG_BIN" coordinator --seed 6 --count 4 --out st --ledger st.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2> st.log &&
    die "a coordinator over a static tree of another run ran"
grep -qx "musicgen coordinator: --out st holds another run (the run the tree's first static slice recorded): --seed 6, the run's 5 (give the same --seed and options as every slice of the run, or another --out)" st.log ||
    die "coordinator over another static run: $(cat st.log)"
[ ! -e st/manifest.jsonl ] && [ ! -e st/.musicgen/serving ] ||
    die "a refused coordinator wrote in the static tree"
"$MG_BIN" generate --seed 5 --count 4 --out st --output-mode midi-only -q \
    2> st.log || die "generate of the static tree's own run: $(cat st.log)"
echo "refusals ok"
