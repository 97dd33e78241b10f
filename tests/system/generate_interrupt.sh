# generate_interrupt — Ctrl-C as a terminal sends it, to the whole process
# group (generate and its workers): once, the samples in hand are finished
# (README: "Ctrl-C (or SIGTERM) once finishes the samples in hand, twice
# abandons them"); exit 130; the same command then completes the run. The
# workers counted the Ctrl-C themselves and then the SIGTERM generate sent
# them on top: two stops, so they abandoned the samples in hand. Its line
# says the samples in hand were finished (it said "interrupted at 2/8"
# with 4 on disk). Then the same for `worker --jobs 2` beside a
# coordinator: its jobs finish the samples in hand and start no other.
# A job heard the Ctrl-C twice, from the terminal and passed on by its
# parent: counted as 2 when the parent's came first (leave now: .tmp-*
# left); and it started samples after it (a grant that came after the
# stop, or one its engine thread took before the network loop emptied
# the queue). The rows of the samples finished after a Ctrl-C are stored
# (generate's coordinator takes them until its workers have left).
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
tmps() { find ds -maxdepth 1 -name '.tmp-*' 2>/dev/null; }
has_tmp() { [ -n "$(tmps)" ]; }
# setsid: generate leads a process group of its own, as in a terminal
setsid "$MG_BIN" generate --seed 2 --count 8 --out ds --workers 2 \
    --sample-rate 22050 -q 2>gen.log &
P=$!
wait_for 120 has_tmp || die "no sample in flight: $(cat gen.log)"
inhand=$(tmps | sed 's/.*\.tmp-0*\([0-9][0-9]*\)-.*/\1/')
kill -INT -"$P"
wait $P
rc=$?
[ $rc -eq 130 ] || die "exit $rc after one Ctrl-C, not 130: $(cat gen.log)"
[ -z "$(tmps)" ] || die "one Ctrl-C abandoned the samples in hand: $(tmps)"
grep -q "interrupted at [0-9]*/8, and the samples then in hand finished;" \
    gen.log || die "its line does not say the samples in hand were finished: $(cat gen.log)"
for i in $inhand; do
    [ -f "$(printf 'ds/%06d/sample.json' "$i")" ] ||
        die "sample $i, in hand at the Ctrl-C, was not finished"
done
# and their rows stored: generate's coordinator stopped listening at the
# Ctrl-C, so the workers' rows went unstored (found on disk only at the
# next start) and each worker waited its 5 s for their ACK before it
# left: every Ctrl-C took 5 s, even on samples of milliseconds
ondisk=$(find ds -mindepth 2 -maxdepth 2 -name sample.json | wc -l)
"$MG_BIN" status --out ds > st.txt || die "status: $(cat st.txt)"
grep -q "^done: $ondisk/8 " st.txt ||
    die "the ledger lacks rows of the $ondisk samples on disk: $(cat st.txt)"
"$MG_BIN" generate --seed 2 --count 8 --out ds --workers 2 \
    --sample-rate 22050 -q || die "the re-run failed"
"$MG_BIN" verify ds --quick >/dev/null || die "not whole after the re-run"
[ "$(wc -l < ds/manifest.jsonl)" -eq 8 ] || die "manifest: not 8 rows"

# worker --jobs 2, Ctrl-C to its process group
start_coord coord.log --seed 6 --count 12 --out wds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --sample-rate 22050 -q
wtmps() { find wds -maxdepth 1 -name '.tmp-*' 2>/dev/null; }
w_has_two() { [ "$(wtmps | wc -l)" -ge 2 ]; }
wdone() { find wds -mindepth 1 -maxdepth 1 -name '[0-9]*' | sort; }
setsid "$MG_BIN" worker --connect "$EP" --out wds --jobs 2 2>worker.log &
W=$!
# the samples in hand and those finished, taken when none finished
# between the two looks (a sample started then would count as new)
while :; do
    wait_for 120 w_has_two || die "worker: no two samples in flight: $(cat worker.log)"
    d1=$(wdone)
    inhand=$(wtmps | sed 's/.*\.tmp-0*\([0-9][0-9]*\)-.*/\1/')
    d2=$(wdone)
    [ "$d1" = "$d2" ] && [ "$(echo "$inhand" | wc -l)" -ge 2 ] && break
done
kill -INT -"$W"
wait $W
[ -z "$(wtmps)" ] || die "worker --jobs 2: one Ctrl-C left $(wtmps)"
for i in $inhand; do
    [ -f "$(printf 'wds/%06d/sample.json' "$i")" ] ||
        die "worker: sample $i, in hand at the Ctrl-C, was not finished"
done
want=$( (echo "$d2"; for i in $inhand; do printf 'wds/%06d\n' "$i"; done) |
       grep . | sort)
[ "$(wdone)" = "$want" ] ||
    die "worker: samples started after the Ctrl-C: $(wdone | tr '\n' ' ') (had $(echo $want))"
kill -INT "$CPID"
wait "$CPID" || true     # stopped unfinished: not 0
# While generate loads its soundfonts (seconds, before any sample), its
# root was an empty directory: verify and export said it "holds no
# musicgen dataset" and the Python Dataset saw nothing of a run. The run
# lock is now taken before the fonts load: a reader is told the run is
# writing the tree, a second generate is refused at once, Ctrl-C there
# leaves no lock held, and a generate refused before its run (an unknown
# font) leaves no directory behind.
has_root() { [ -d early ]; }
setsid "$MG_BIN" generate --seed 4 --count 1 --out early --workers 1 \
    --fonts FluidR3_GM --cache-dir '' -q 2>early.log &
P=$!
wait_for 60 has_root || die "generate made no root: $(cat early.log)"
"$MG_BIN" verify early > ev.txt 2>&1
grep -q "^note: early is being written by musicgen generate (pid $P " ev.txt ||
    die "verify during the font loading: $(cat ev.txt)"
"$MG_BIN" generate --seed 4 --count 1 --out early -q 2> e2.log &&
    die "a second generate on a root in use was accepted"
grep -q "^musicgen generate: early is in use by musicgen generate (pid $P " e2.log ||
    die "a second generate: $(cat e2.log)"
kill -INT -"$P"
wait $P
"$MG_BIN" verify early > ev2.txt 2>&1
grep -q "being written" ev2.txt && die "the lock outlived generate: $(cat ev2.txt)"
"$MG_BIN" generate --seed 4 --count 1 --out nofont --fonts NoSuchFont -q \
    2> nf.log && die "an unknown font accepted"
[ ! -e nofont ] || die "a refused generate left $(ls -a nofont)"
