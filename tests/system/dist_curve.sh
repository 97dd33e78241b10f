# dist_curve — CURVE keeps strangers out of a run (real sockets on
# loopback): `musicgen keygen` makes private keys and keeps them on a
# re-run; a coordinator with --curve-dir turns away a worker whose key is
# not in authorized/ and a worker without CURVE, each with a reason on
# both sides and no sample written; the authorised worker completes the
# run; a second authorised key cannot take over a live worker's identity
# (and its leases), but takes over a lost one's (a worker restarted with
# a new key), and a restart of the coordinator keeps the bindings (kept in
# its ledger); a secret key others can read is refused; SIGTERM still stops a
# CURVE coordinator cleanly (czmq's signal handlers stay off).
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
# keys that cannot be written (a full disk: no byte may be written) are
# an error, and nothing is kept: it wrote empty key files, said "made",
# exited 0, and a re-run kept the empty files as keys
# (its messages through a pipe: the limit would stop them in a file)
( (ulimit -f 0; exec "$MG_BIN" keygen --curve-dir fullkeys 2>&1 >/dev/null)
  echo "rc=$?" ) | cat > kgf.log
grep -qx "rc=1" kgf.log || die "keygen on a full disk: $(cat kgf.log)"
grep -q "coordinator.cert: cannot write the keypair" kgf.log || die "keygen on a full disk: $(cat kgf.log)"
[ -z "$(find fullkeys -type f)" ] || die "keygen on a full disk left $(find fullkeys -type f)"
"$MG_BIN" keygen --curve-dir keys 2>kg.log || { cat kg.log; die "keygen failed"; }
for f in coordinator.cert_secret worker.cert_secret; do
    [ "$(stat -c %a keys/$f)" = 600 ] || die "keys/$f is not mode 600"
done
[ -s keys/authorized/worker.cert ] || die "keygen did not authorise its worker"
sum1=$(cat keys/*_secret | cksum)
"$MG_BIN" keygen --curve-dir keys 2>kg2.log || die "keygen re-run failed"
[ "$(cat keys/*_secret | cksum)" = "$sum1" ] || die "keygen replaced existing keys"
# a stranger: its own keypair, and the coordinator's public key (public)
"$MG_BIN" keygen --curve-dir stranger --worker-only 2>kg3.log \
    || die "keygen --worker-only failed"
[ ! -e stranger/coordinator.cert_secret ] || die "--worker-only made a coordinator key"
cp keys/coordinator.cert stranger/

start_coord coord.log --seed 4 --count 20 --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --curve-dir keys
grep -q "with CURVE" coord.log || die "coordinator does not say it uses CURVE"
"$MG_BIN" worker --connect "$EP" --out ds --curve-dir stranger \
    --idle-timeout 20 2>stranger.log
rc=$?
[ $rc -eq 2 ] || { cat stranger.log; die "stranger's worker exit $rc, not 2 (refused)"; }
[ "$(grep -c "rejected this worker's CURVE key" stranger.log)" -eq 1 ] \
    || { cat stranger.log; die "stranger's worker does not say why in one line"; }
# with --jobs, the refusal comes before any job starts, said once
"$MG_BIN" worker --connect "$EP" --out ds --curve-dir stranger --jobs 2 \
    --idle-timeout 20 2>stranger2.log
rc=$?
[ $rc -eq 2 ] || { cat stranger2.log; die "stranger's --jobs 2 exit $rc, not 2"; }
[ "$(grep -c "rejected this worker's CURVE key" stranger2.log)" -eq 1 ] \
    || { cat stranger2.log; die "stranger's --jobs 2 does not say why in one line"; }
grep -q "not authorised" coord.log || die "coordinator log does not name the refused key"
"$MG_BIN" worker --connect "$EP" --out ds --idle-timeout 20 2>plain.log
rc=$?
[ $rc -eq 2 ] || { cat plain.log; die "plain worker exit $rc, not 2 (refused)"; }
[ "$(grep -c "requires CURVE" plain.log)" -eq 1 ] \
    || { cat plain.log; die "plain worker does not say why in one line"; }
[ "$(samples ds)" -eq 0 ] || die "a refused worker wrote samples"
# (bounded: its unsent HELLO would keep a plain peer from exiting)
timeout 10 "$PEER" "$EP" version >peer.txt 2>&1 && die "a plain peer got an answer through CURVE"
# a secret key others can read is refused before anything starts
cp -R keys loose
chmod 644 loose/worker.cert_secret
"$MG_BIN" worker --connect "$EP" --out ds --curve-dir loose --idle-timeout 5 \
    2>loose.log && die "a world-readable secret key was accepted"
grep -q "readable by others" loose.log || { cat loose.log; die "loose key error"; }
# the authorised worker (two jobs sharing one engine) completes the run
"$MG_BIN" worker --connect "$EP" --out ds --curve-dir keys --jobs 2 \
    2>good.log || { cat good.log; die "authorised worker failed"; }
[ "$(grep -c " joined " good.log)" -eq 2 ] || { cat good.log; die "not two jobs"; }
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord.log))"
check_run ds 4 20 || die "run check"
# an identity belongs to the key it first said HELLO with: a second
# authorised key claiming a live worker's identity is refused (logged
# once), and the real worker keeps its leases and finishes the run
"$MG_BIN" keygen --curve-dir other --worker-only 2>kg4.log \
    || die "keygen of a second worker failed"
cp other/worker.cert keys/authorized/other.cert
cp keys/coordinator.cert other/
start_coord coord3.log --seed 6 --count 20 --out ds3 --ledger led3.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --curve-dir keys
MUSICGEN_FAULT_SAMPLE_DELAY_MS=300 "$MG_BIN" worker --connect "$EP" \
    --out ds3 --curve-dir keys --identity alpha 2>alpha.log &
APID=$!
wait_for 60 have_samples ds3 1 || die "the first worker made no sample"
for k in 1 2; do
    "$MG_BIN" worker --connect "$EP" --out ds3 --curve-dir other \
        --identity alpha --idle-timeout 20 2>imp$k.log
    rc=$?
    [ $rc -eq 2 ] || { cat imp$k.log; die "impostor exit $rc, not 2 (refused)"; }
    grep -q "identity alpha is in use by a worker with another CURVE key" \
        imp$k.log || { cat imp$k.log; die "impostor not told why"; }
done
[ "$(samples ds3)" -lt 20 ] || die "the run ended before the impostor came"
wait_exit $APID 120 || { cat alpha.log; die "the first worker failed"; }
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord3.log))"
[ "$(grep -c "refused a peer: identity alpha is bound" coord3.log)" -eq 1 ] \
    || { cat coord3.log; die "the refusal is not logged once"; }
grep -q "lease(s) re-queued" coord3.log && { cat coord3.log; die "the real worker lost its leases"; }
check_run ds3 6 20 || die "run check (impostor)"
"$MG_BIN" verify ds3 >verify3.log 2>&1 || { cat verify3.log; die "verify ds3"; }
# a worker restarted with the same --identity and a new key: refused
# while the old one's connection lives, with the remedy in the message;
# once the coordinator has declared the old one lost, the identity is the
# new key's (it was refused until the coordinator restarted)
start_coord coord4.log --seed 7 --count 12 --out ds4 --ledger led4.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --curve-dir keys \
    --heartbeat-ms 200
MUSICGEN_FAULT_SAMPLE_DELAY_MS=300 "$MG_BIN" worker --connect "$EP" \
    --out ds4 --curve-dir keys --identity beta 2>beta.log &
BPID=$!
wait_for 60 have_samples ds4 1 || die "worker beta made no sample"
kill -9 $BPID
wait $BPID 2>/dev/null
"$MG_BIN" worker --connect "$EP" --out ds4 --curve-dir other \
    --identity beta --idle-timeout 20 2>new1.log
rc=$?
[ $rc -eq 2 ] || { cat new1.log; die "new key while the old lives: exit $rc, not 2"; }
grep -q "identity beta is in use by a worker with another CURVE key (give each worker its own --identity; a worker restarted with a new key takes it back once the old one's connection and leases are released, within [0-9]* s of its last message)" \
    new1.log || { cat new1.log; die "the refusal does not name the remedy"; }
wait_for 30 grep -q "worker beta lost" coord4.log || die "beta not declared lost"
"$MG_BIN" worker --connect "$EP" --out ds4 --curve-dir other \
    --identity beta --idle-timeout 20 2>new2.log ||
    { cat new2.log; die "the restarted worker's new key was refused"; }
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord4.log))"
grep -q "identity beta: bound to CURVE key" coord4.log || die "rebinding not logged"
check_run ds4 7 12 || die "run check (new key)"
# a restart keeps the bindings (the ledger holds them): a second key
# presenting a worker's identity after the coordinator restarted is
# refused while that worker may come back (it was the first authorised
# key to speak after a restart, and took the identity and its rows), and
# the worker, back, finishes the run under its identity
start_coord coord5.log --seed 8 --count 12 --out ds5 --ledger led5.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --curve-dir keys
MUSICGEN_FAULT_SAMPLE_DELAY_MS=300 "$MG_BIN" worker --connect "$EP" \
    --out ds5 --curve-dir keys --identity gamma 2>gamma.log &
GPID=$!
wait_for 60 have_samples ds5 1 || die "worker gamma made no sample"
kill -STOP $GPID        # it cannot say HELLO before the other key does
kill -9 $CPID
wait $CPID 2>/dev/null
start_coord coord5b.log --seed 8 --count 12 --out ds5 --ledger led5.sqlite \
    --bind "$EP" --output-mode midi-only --curve-dir keys
"$MG_BIN" worker --connect "$EP" --out ds5 --curve-dir other \
    --identity gamma --idle-timeout 20 2>imp5.log
rc=$?
kill -CONT $GPID
[ $rc -eq 2 ] || { cat imp5.log; die "another key took gamma after a restart: exit $rc, not 2"; }
grep -q "identity gamma is in use by a worker with another CURVE key (give each worker its own --identity; bound to that key before the coordinator restarted, it is kept for that worker to come back: a worker restarted with a new key takes it in [0-9]* s)" \
    imp5.log || { cat imp5.log; die "the refusal after a restart does not say why"; }
wait_exit $GPID 120 || { cat gamma.log; die "worker gamma failed after the restart"; }
wait_exit $CPID 60 || die "coordinator did not finish ($(tail -1 coord5b.log))"
grep -q "refused a peer: identity gamma is bound" coord5b.log || die "the refusal is not logged"
check_run ds5 8 12 || die "run check (restart)"
"$PY" - led5.sqlite <<'PYEOF' || die "a row of gamma's run is another worker's"
import sqlite3, sys
w = {r[0] for r in sqlite3.connect(sys.argv[1]).execute("select worker from samples")}
sys.exit(0 if w <= {"gamma", "(found on disk)"} else 1)
PYEOF
# SIGTERM on a CURVE coordinator: state kept, exit 3
start_coord coord2.log --seed 4 --count 50 --out ds2 --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --curve-dir keys
kill -TERM $CPID
wait_exit $CPID 20
rc=$?
[ $rc -eq 3 ] || { cat coord2.log; die "CURVE coordinator on SIGTERM exit $rc, not 3"; }
echo "CURVE keeps strangers out"
