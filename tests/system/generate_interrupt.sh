# generate_interrupt — Ctrl-C as a terminal sends it, to the whole process
# group (generate and its workers): once, the samples in hand are finished
# (README: "Ctrl-C (or SIGTERM) once finishes the samples in hand, twice
# abandons them"); exit 130; the same command then completes the run. The
# workers counted the Ctrl-C themselves and then the SIGTERM generate sent
# them on top: two stops, so they abandoned the samples in hand.
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
for i in $inhand; do
    [ -f "$(printf 'ds/%06d/sample.json' "$i")" ] ||
        die "sample $i, in hand at the Ctrl-C, was not finished"
done
"$MG_BIN" generate --seed 2 --count 8 --out ds --workers 2 \
    --sample-rate 22050 -q || die "the re-run failed"
"$MG_BIN" verify ds --quick >/dev/null || die "not whole after the re-run"
[ "$(wc -l < ds/manifest.jsonl)" -eq 8 ] || die "manifest: not 8 rows"
