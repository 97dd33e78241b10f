# generate_hung_worker — a worker of `generate` that hangs mid-sample (a
# SIGSTOP here; a stuck disk in life) is declared lost, its lease goes to
# the other worker, and the run completes; generate kills the hung one at
# its end. Its ".tmp-*" directory was left in the finished tree ("done: 4
# ok", exit 0, and verify: "half-written directory"), since the sweep of
# dead writers' temporaries runs only at a start, which a finished run
# never has again; now generate sweeps them once its workers are gone.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
tmp1() { find ds -maxdepth 1 -name '.tmp-*' 2>/dev/null | head -1; }
has_tmp() { [ -n "$(tmp1)" ]; }
"$MG_BIN" generate --seed 2 --count 4 --out ds --workers 2 \
    --output-mode mix-only --sample-rate 22050 2> gen.log &
P=$!
wait_for 120 has_tmp || die "no sample in flight: $(cat gen.log)"
t=$(tmp1)
hung=${t##*-}
kill -STOP "$hung" || die "no worker $hung"
wait $P
rc=$?
kill -KILL "$hung" 2>/dev/null
[ $rc -eq 0 ] || die "exit $rc: $(cat gen.log)"
grep -q "^done: 4 ok, 0 failed" gen.log || die "not done: $(cat gen.log)"
[ ! -e "$t" ] || die "the hung worker's $t was left in the finished tree"
grep -qx "musicgen generate: removed 1 temporary directory of workers that did not finish" gen.log ||
    die "no word of the sweep: $(cat gen.log)"
"$MG_BIN" verify ds --quick > ver.txt || die "verify: $(cat ver.txt)"
echo "hung worker ok"
