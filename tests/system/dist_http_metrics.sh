# dist_http_metrics — a real distributed run on loopback with the
# coordinator's --http: /metrics passes `promtool check metrics` while the
# run goes on, the status page and status.json answer, and at the end the
# counters agree with the ledger (ok and failed rows); the gauges (leases
# active, workers connected) are as live as the counters.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
command -v promtool >/dev/null || die "promtool missing (scripts/setup.sh installs prometheus)"
command -v curl >/dev/null || die "curl missing"
N=60
export MUSICGEN_FAULT_SAMPLE_DELAY_MS=20
start_coord coord.log --seed 9 --count $N --out ds --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 8 \
    --heartbeat-ms 200 --progress-ms 100 --linger-ms 3000 \
    --http 127.0.0.1:0
wait_for 30 grep -q "status page on" coord.log || die "no status page line"
URL=$(sed -n 's/.*status page on \(http:[^ ]*\) .*/\1/p' coord.log | head -1)
[ -n "$URL" ] || die "no URL in the log"
"$MG_BIN" worker --connect "$EP" --out ds --identity w-one 2>w1.log &
W1=$!
"$MG_BIN" worker --connect "$EP" --out ds --identity w-two 2>w2.log &
W2=$!
wait_for 60 have_samples ds 10 || die "no progress"
# mid-run: the exposition is valid and shows live state
curl -fsS "${URL}metrics" >mid.prom || die "GET /metrics failed"
promtool check metrics <mid.prom >promtool.txt 2>&1 ||
    { cat promtool.txt; die "promtool rejects /metrics mid-run"; }
grep -q '^musicgen_samples_done_total ' mid.prom || die "no done counter"
grep -q '^musicgen_sample_render_seconds_bucket{le="+Inf"} ' mid.prom ||
    die "no render histogram"
grep -q '^musicgen_ledger_commit_seconds_count ' mid.prom || die "no commit histogram"
curl -fsS "$URL" >page.html || die "GET / failed"
grep -q "<script>" page.html && ! grep -q "src=" page.html ||
    die "the page must carry its script inline"
wait_for 10 sh -c "curl -fsS '${URL}status.json' | grep -q w-one" ||
    die "status.json does not list the workers"
curl -fsS "${URL}status.json" >mid.json
"$PY" - mid.json <<'PYEOF' || die "status.json content"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["total"] == 60, s
assert {w["identity"] for w in s["workers"]} >= {"w-one"}, s["workers"]
assert all(w["last_heartbeat_seconds_ago"] < 5 for w in s["workers"]), s["workers"]
assert isinstance(s["recent_rows"], list) and s["recent_rows"], s
PYEOF
code=$(curl -s -o /dev/null -w '%{http_code}' "${URL}../etc/passwd")
[ "$code" = 404 ] || die "unknown path answered $code"
# the end: wait for completion as /metrics reports it, then compare
wait_for 120 sh -c "curl -fsS '${URL}metrics' | grep -q '^musicgen_run_complete 1'" ||
    die "run never reported complete"
curl -fsS "${URL}metrics" >end.prom || die "GET /metrics at the end"
promtool check metrics <end.prom >promtool.txt 2>&1 ||
    { cat promtool.txt; die "promtool rejects /metrics at the end"; }
wait_exit $CPID 60 || die "coordinator did not finish"
wait_exit $W1 30 || die "worker 1"
wait_exit $W2 30 || die "worker 2"
ok=$(sqlite3 led.sqlite "SELECT count(*) FROM samples WHERE status = 0")
bad=$(sqlite3 led.sqlite "SELECT count(*) FROM samples WHERE status = 1")
m_ok=$(sed -n 's/^musicgen_samples_done_total //p' end.prom)
m_bad=$(sed -n 's/^musicgen_samples_failed_total //p' end.prom)
[ "$m_ok" = "$ok" ] || die "done counter $m_ok != ledger ok rows $ok"
[ "$m_bad" = "$bad" ] || die "failed counter $m_bad != ledger failed rows $bad"
[ $((ok + bad)) -eq $N ] || die "ledger has $((ok + bad)) rows, want $N"
# every stored row not found on disk was rendered: one observation each
cnt=$(sed -n 's/^musicgen_sample_render_seconds_count //p' end.prom)
[ "$cnt" -ge 1 ] && [ "$cnt" -le $N ] || die "render histogram count $cnt"
leases=$(sed -n 's/^musicgen_leases_active //p' end.prom)
[ "$leases" = 0 ] || die "leases still active at the end: $leases"
check_run ds 9 $N || die "run with --http"
echo "metrics: $ok ok, $bad failed, agree with the ledger; promtool passes"
# the gauges are as live as the counters: with no progress tick nor beat
# for a minute, a granted lease is active and its worker connected (they
# came from the last progress snapshot: granted 1, active 0, connected 0)
start_coord coord2.log --seed 9 --count 2 --out ds2 --ledger led2.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only --chunk 1 \
    --heartbeat-ms 60000 --progress-ms 3600000 --http 127.0.0.1:0
wait_for 30 grep -q "status page on" coord2.log || die "no status page line (2)"
URL2=$(sed -n 's/.*status page on \(http:[^ ]*\) .*/\1/p' coord2.log | head -1)
MUSICGEN_FAULT_SAMPLE_DELAY_MS=30000 "$MG_BIN" worker --connect "$EP" \
    --out ds2 --identity w-slow 2>w3.log &
W3=$!
wait_for 30 sh -c "curl -fsS '${URL2}metrics' | grep -q '^musicgen_leases_granted_total 1$'" ||
    die "no lease granted"
curl -fsS "${URL2}metrics" >live.prom || die "GET /metrics (2)"
kill $W3 $CPID 2>/dev/null
wait $W3 $CPID 2>/dev/null
grep -q '^musicgen_leases_active 1$' live.prom &&
    grep -q '^musicgen_workers_connected 1$' live.prom ||
    die "gauges not live: $(grep -E '^musicgen_(leases|workers)' live.prom)"
promtool check metrics <live.prom >promtool.txt 2>&1 ||
    { cat promtool.txt; die "promtool rejects /metrics (2)"; }
# generate --http: the same page and metrics for a local run
MUSICGEN_FAULT_SAMPLE_DELAY_MS=50 "$MG_BIN" generate --seed 4 --count 40 \
    --out local --output-mode midi-only --workers 2 -q --http 127.0.0.1:0 \
    2>gen.log &
GPID=$!
wait_for 30 grep -q "status page on" gen.log || die "generate --http: no page"
GURL=$(sed -n 's/.*status page on \(http:[^ ]*\) .*/\1/p' gen.log | head -1)
curl -fsS "${GURL}metrics" >local.prom || die "generate --http: /metrics"
promtool check metrics <local.prom >promtool.txt 2>&1 ||
    { cat promtool.txt; die "promtool rejects generate's /metrics"; }
grep -q '^musicgen_samples_target 40$' local.prom || die "generate's metrics"
curl -fsS "$GURL" | grep -q "musicgen run" || die "generate --http: page"
# an encoded NUL cut the path: /metrics%00x was /metrics (200)
[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "${GURL}metrics%00x")" = 400 ] ||
    die "generate --http: an encoded NUL in the URL was not 400"
curl -s -D h405.txt -o /dev/null -X POST "${GURL}metrics"
head -1 h405.txt | grep -q ' 405 ' && grep -qi '^allow: GET, HEAD' h405.txt ||
    die "generate --http: a POST's 405 without Allow: $(cat h405.txt)"
wait_exit $GPID 60 || die "generate --http did not finish"
# a bad --http address is one line and exit 2, before any work
"$MG_BIN" generate --seed 1 --count 2 --out bad --http 127.0.0.1:99999 2>bad.txt
[ $? -eq 2 ] || die "bad --http address not refused"
grep -q "PORT in 0..65535" bad.txt || die "bad --http message: $(cat bad.txt)"
[ ! -e bad/manifest.jsonl ] || die "a refused run wrote a manifest"
# --http is the command line's alone: the help said every option could
# come from MUSICGEN_<NAME> or a --config file (MUSICGEN_HTTP was ignored,
# `http = ...` refused as unknown); it says so now
"$MG_BIN" generate --help | grep -q "the command line only (not MUSICGEN_HTTP or --config)" ||
    die "generate --help does not say --http is the command line's alone"
