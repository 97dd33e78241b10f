# dataset_runlock — one writer of a dataset tree at a time
# (common/base/runlock.h). While `generate` writes a tree, `score`,
# `filter` and `clean` are refused with a message naming the run (its
# last manifest would undo theirs, clean would remove samples being
# made) and change nothing; their dry runs and `verify` (which says why
# the tree is not whole yet) still read it. Afterwards each works. A
# holder killed with -9 leaves nothing stale: the next run starts. And a
# run is refused on a tree another process holds. Static workers share
# the lock: two slices run at once, the others wait for the last of them,
# and a static worker is refused while one of the others holds it.
. "$MG_SRC/tests/system/lib.sh"
set -u
command -v flock > /dev/null || die "flock(1) (util-linux) is missing"
MPP="intro=1,verse=1,chorus=1,bridge=1,outro=1"

# ---- a run in progress: full audio, one worker, ~2 s a sample ----
"$MG_BIN" generate --seed 31 --count 16 --out ds --workers 1 \
    --measures-per-part "$MPP" -q > gen.log 2>&1 &
gen=$!
i=0
until grep -q 'musicgen generate (pid ' ds/.musicgen/run.lock 2> /dev/null &&
      [ -n "$(ls ds | grep '^0000')" ]; do
    i=$((i + 1))
    [ "$i" -lt 300 ] || die "the run never took its lock: $(cat gen.log)"
    kill -0 "$gen" 2> /dev/null || die "the run ended too soon: $(cat gen.log)"
    sleep 0.1
done
grep -q "^musicgen generate (pid $gen on " ds/.musicgen/run.lock ||
    die "the lock names another holder: $(cat ds/.musicgen/run.lock)"
before=$(ls -R ds | sha256sum)

for cmd in "score ds" "filter ds --min-score 0.99" "clean --failed ds"; do
    name=${cmd%% *}
    "$MG_BIN" $cmd > out.txt 2> err.txt && die "$name ran on a tree being written"
    grep -qx "musicgen $name: ds is in use by musicgen generate (pid $gen on .*): one of generate, coordinator, merge, score, filter and clean at a time, or static workers (run this when it has finished or stopped)" err.txt ||
        die "$name's refusal: $(cat err.txt)"
done
[ ! -d ds/rejected ] || die "a refused filter made its reject directory"
# the library: generate() (a shared hold per sample) and generate_batch
# (the whole tree's) are refused too, naming the run
PYTHONPATH="$MG_SRC/python" "$PY" -c '
import sys
from musicgen import Config, MusicgenError, generate, generate_batch
for f in (generate, generate_batch):
    try:
        f(Config(dataset_root="ds", global_seed=31, sample_index=15, count=1,
                 output_mode="midi-only"))
    except MusicgenError as e:
        assert "ds is in use by musicgen generate (pid %s on " % sys.argv[1] in str(e), e
    else:
        raise AssertionError("%s ran on a tree being written" % f.__name__)
' "$gen" || die "the library wrote beside the run"
# dry runs and verify read the tree; verify says why it is not whole
"$MG_BIN" filter ds --min-score 0.99 --dry-run > out.txt ||
    die "filter --dry-run refused during a run"
"$MG_BIN" clean --failed ds --dry-run > out.txt ||
    die "clean --dry-run refused during a run"
"$MG_BIN" verify ds > ver.txt 2>&1
grep -q "^note: ds is being written by musicgen generate (pid $gen on " ver.txt ||
    die "verify did not say a run is writing the tree: $(cat ver.txt)"
"$MG_BIN" status --out ds > st.txt || die "status during a run"
grep -q "^state: incomplete, being written by musicgen generate (pid $gen on " st.txt ||
    die "status during a run: $(cat st.txt)"
# export and stats read what is finished, and say so
"$MG_BIN" export ds --out part.jsonl 2> exp.txt || die "export during a run: $(cat exp.txt)"
grep -q "^musicgen export: note: ds is being written by musicgen generate (pid $gen on .*): the export holds the samples finished so far" exp.txt ||
    die "export did not say a run is writing the tree: $(cat exp.txt)"
"$MG_BIN" stats ds > /dev/null 2> sts.txt || die "stats during a run: $(cat sts.txt)"
grep -q "^musicgen stats: note: ds is being written by musicgen generate" sts.txt ||
    die "stats did not say a run is writing the tree: $(cat sts.txt)"
kill -0 "$gen" 2> /dev/null || die "the run ended before the checks did (they prove nothing)"
wait "$gen" || die "generate failed: $(cat gen.log)"

# ---- finished: the lock is free, its words gone, each command runs ----
[ ! -s ds/.musicgen/run.lock ] || die "a finished run left words: $(cat ds/.musicgen/run.lock)"
"$MG_BIN" verify ds > ver.txt || die "verify after the run: $(cat ver.txt)"
grep -q 'being written' ver.txt && die "verify names a run that has finished"
"$MG_BIN" export ds --out all.jsonl 2> exp.txt || die "export after the run"
grep -q 'being written' exp.txt && die "export names a run that has finished"
"$MG_BIN" score ds > out.txt 2>&1 || die "score after the run: $(cat out.txt)"
"$MG_BIN" clean --failed ds > out.txt 2>&1 || die "clean after the run: $(cat out.txt)"
"$MG_BIN" filter ds --min-score 0.99 > out.txt 2>&1 ||
    die "filter after the run: $(cat out.txt)"
"$MG_BIN" verify ds > ver.txt || die "verify after filter: $(cat ver.txt)"

# ---- a tree held by another process: a run is refused, changes nothing;
# the holder killed with -9, the next run starts ----
"$MG_BIN" generate --seed 32 --count 4 --out m --output-mode midi-only -q ||
    die "generate m"
# one process holding it (flock(1) would leave it with the command it runs)
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' \
    m/.musicgen/run.lock &
holder=$!
i=0
until ! flock -n m/.musicgen/run.lock true; do
    i=$((i + 1)); [ "$i" -lt 100 ] || die "flock(1) never held the lock"; sleep 0.1
done
rm -r m/000003 # a sample the run would make again
sum=$(cat m/manifest.jsonl | sha256sum)
"$MG_BIN" generate --seed 32 --count 4 --out m --output-mode midi-only -q \
    2> err.txt && die "a run started on a held tree"
grep -q "m is in use by another musicgen process" err.txt ||
    die "the refused run's message: $(cat err.txt)"
[ ! -e m/000003 ] && [ "$(cat m/manifest.jsonl | sha256sum)" = "$sum" ] ||
    die "a refused run changed the tree"
"$MG_BIN" score m > out.txt 2> err.txt && die "score ran on a held tree"
kill -9 "$holder"
wait "$holder" 2> /dev/null
"$MG_BIN" generate --seed 32 --count 4 --out m --output-mode midi-only -q \
    2> err.txt || die "no run after the holder was killed: $(cat err.txt)"
[ -f m/000003/sample.json ] || die "the run after the kill made nothing"
"$MG_BIN" verify m > ver.txt || die "verify m: $(cat ver.txt)"

# a run killed with -9: its lock is gone with it; status says nothing
# writes the tree, and the same command resumes it
"$MG_BIN" generate --seed 33 --count 16 --out k --workers 1 \
    --measures-per-part "$MPP" -q 2> k.log &
kgen=$!
i=0
until grep -q "pid $kgen " k/.musicgen/run.lock 2> /dev/null &&
      [ -n "$(ls k | grep '^0000')" ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || die "the run to kill never took its lock"
    sleep 0.1
done
kill -9 "$kgen"
wait "$kgen" 2> /dev/null
"$MG_BIN" status --out k > st.txt || die "status of a killed run"
grep -qx "state: incomplete, nothing writing it now (stopped: the same command again resumes it)" st.txt ||
    die "status of a killed run: $(cat st.txt)"
"$MG_BIN" generate --seed 33 --count 16 --out k --workers 1 \
    --measures-per-part "$MPP" -q 2> k2.log || die "resume after kill -9: $(cat k2.log)"
"$MG_BIN" verify k > ver.txt || die "verify k: $(cat ver.txt)"
# ---- static workers share it: two slices at once; clean, merge, score,
# filter and a run are refused while either writes; a static worker is
# refused on a tree another command holds ----
for i in 0 1; do
    MUSICGEN_FAULT_SAMPLE_DELAY_MS=300 "$MG_BIN" worker --static \
        --array-index $i --array-size 2 --seed 34 --count 16 --out st \
        --output-mode midi-only -q 2> st$i.log &
    eval "sw$i=\$!"
done
i=0
until [ "$(ls st 2> /dev/null | grep -c '^0000')" -ge 2 ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || die "the static workers made nothing"
    sleep 0.1
done
grep -q "^musicgen worker --static, slice [01] of 2 (pid \($sw0\|$sw1\) on " \
    st/.musicgen/run.lock || die "the lock's words: $(cat st/.musicgen/run.lock)"
for cmd in "clean --failed st" "merge --out st --count 16" "score st" \
           "filter st --min-score 0.99"; do
    name=${cmd%% *}
    "$MG_BIN" $cmd > out.txt 2> err.txt && die "$name ran beside static workers"
    grep -qx "musicgen $name: st is in use by musicgen worker --static, slice [01] of 2 (pid [0-9]* on .*): one of generate, coordinator, merge, score, filter and clean at a time, or static workers (run this when it has finished or stopped)" err.txt ||
        die "$name's refusal beside static workers: $(cat err.txt)"
done
[ ! -f st/manifest.jsonl ] || die "a refused merge wrote a manifest"
"$MG_BIN" generate --seed 34 --count 16 --out st --output-mode midi-only \
    -q 2> err.txt && die "a run started beside static workers"
grep -q "st is in use by musicgen worker --static" err.txt ||
    die "the run's refusal beside static workers: $(cat err.txt)"
"$MG_BIN" verify st > ver.txt 2>&1
grep -q "^note: st is being written by musicgen worker --static, slice [01] of 2" ver.txt ||
    die "verify did not name the static workers: $(cat ver.txt)"
kill -0 "$sw0" 2> /dev/null && kill -0 "$sw1" 2> /dev/null ||
    die "a static worker ended before the checks did (they prove nothing)"
wait "$sw0" || die "static slice 0: $(cat st0.log)"
wait "$sw1" || die "static slice 1: $(cat st1.log)"
[ ! -s st/.musicgen/run.lock ] || die "static workers left words: $(cat st/.musicgen/run.lock)"
"$MG_BIN" merge --out st --count 16 -q 2> err.txt || die "merge after the slices: $(cat err.txt)"
"$MG_BIN" verify st > ver.txt || die "verify st: $(cat ver.txt)"
# a static worker on a tree `filter` holds (its process, as above)
"$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a"); f.write("musicgen filter (pid 1 on elsewhere)\n"); f.flush()
fcntl.flock(f, fcntl.LOCK_EX); time.sleep(60)' st/.musicgen/run.lock &
holder=$!
i=0
until ! flock -n st/.musicgen/run.lock true; do
    i=$((i + 1)); [ "$i" -lt 100 ] || die "the holder never held the lock"; sleep 0.1
done
rm -r st/000015
"$MG_BIN" worker --static --array-index 1 --array-size 2 --seed 34 \
    --count 16 --out st --output-mode midi-only -q 2> err.txt &&
    die "a static worker ran on a held tree"
grep -qx "musicgen worker: st is in use by musicgen filter (pid 1 on elsewhere): .*" err.txt ||
    die "the static worker's refusal: $(cat err.txt)"
[ ! -e st/000015 ] || die "a refused static worker made a sample"
kill -9 "$holder"
wait "$holder" 2> /dev/null
"$MG_BIN" worker --static --array-index 1 --array-size 2 --seed 34 \
    --count 16 --out st --output-mode midi-only -q 2> err.txt ||
    die "no static worker after the holder was killed: $(cat err.txt)"
[ -f st/000015/sample.json ] || die "the static worker after the kill made nothing"
echo "runlock ok"
