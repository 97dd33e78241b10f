# valgrind_daemons — the coordinator and a worker (and the embedded
# generate, which forks workers) run a small midi-only run under valgrind
# memcheck with no memory error and no definite leak. Uses the plain
# (non-sanitizer) build, since ASan and valgrind do not mix.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
B=${MG_PLAIN_BIN:-$MG_SRC/build/musicgen}
[ -x "$B" ] || die "no plain build at $B (make all)"
command -v valgrind >/dev/null || die "valgrind missing (scripts/setup.sh installs it)"
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --trace-children=yes"

$VG --log-file=coord.%p.vg "$B" coordinator --endpoint-file ep.txt --seed 5 \
    --count 40 --out ds --ledger led.sqlite --bind 'tcp://127.0.0.1:*' \
    --output-mode midi-only --chunk 8 2>coord.log &
CPID=$!
wait_for 120 test -s ep.txt || die "coordinator did not bind under valgrind"
$VG --log-file=worker.%p.vg "$B" worker --connect "$(cat ep.txt)" --out ds \
    2>worker.log || die "worker exited $? under valgrind ($(tail -n 1 worker.log))"
wait_exit $CPID 120 || die "coordinator exited non-zero under valgrind ($(tail -n 1 coord.log))"
check_run ds 5 40 || die "run under valgrind incomplete"

$VG --log-file=gen.%p.vg "$B" generate --seed 6 --count 12 --out emb \
    --output-mode midi-only --workers 1 -q || die "generate exited $? under valgrind"
check_run emb 6 12 || die "embedded run under valgrind incomplete"

for f in *.vg; do
    if [ -s "$f" ]; then
        head -n 30 "$f"
        die "valgrind reported errors in $f"
    fi
done
echo "daemons clean under valgrind"
