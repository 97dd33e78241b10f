# dist_lib.sh — helpers for the tests/system/dist_*.sh tests (sourced).
# Every wait is on a real event (a file, a count of directories, a process
# exit) with a bounded timeout; nothing sleeps to synchronise.
. "$MG_SRC/tests/system/lib.sh"
PEER="$MG_BUILD/tools/proto_peer"

# wait_for TIMEOUT_S CMD... : poll until CMD succeeds or fail the test
wait_for() {
    t=$1; shift
    end=$(( $(date +%s) + t ))
    while ! "$@" 2>/dev/null; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.05
    done
    return 0
}

# wait_exit PID TIMEOUT_S : wait for a process to end; prints its status
wait_exit() {
    wait_for "$2" sh -c "! kill -0 $1" || return 1
    wait "$1"
}

# samples ROOT : number of finished samples (sample.json present)
samples() {
    find "$1" -name sample.json 2>/dev/null | wc -l
}
have_samples() { [ "$(samples "$1")" -ge "$2" ]; }

# start_coord LOG ARGS... : coordinator in the background on a free
# loopback port; sets CPID and EP (the endpoint it bound)
start_coord() {
    log=$1; shift
    rm -f ep.txt
    "$MG_BIN" coordinator --endpoint-file ep.txt "$@" 2>>"$log" &
    CPID=$!
    wait_for 30 test -s ep.txt || die "coordinator did not bind ($(tail -1 "$log"))"
    EP=$(cat ep.txt)
}

# check_run ROOT SEED COUNT : one manifest row per index, formula seeds,
# and no sample directory without sample.json (temporaries are hidden)
check_run() {
    "$PY" "$TOOLS/check_dataset.py" "$1" --global-seed "$2" --count "$3" \
        --no-midi-check >check.txt 2>&1 || { cat check.txt; return 1; }
    "$PY" - "$1" <<'PYEOF'
import os, sys
root = sys.argv[1]
bad = [d for d in os.listdir(root)
       if not d.startswith(".") and os.path.isdir(os.path.join(root, d))
       and not os.path.exists(os.path.join(root, d, "sample.json"))]
if bad:
    print("sample directories without sample.json:", bad[:5]); sys.exit(1)
PYEOF
}

# run_whole ROOT LEDGER SEED COUNT : a midi-only run (flat) made with
# copies of leases is whole: check_run, one directory and one ledger row
# per index, no half-written directory, and every sample byte for byte
# what a plain generate makes (into ./ref). Dies naming what is not.
run_whole() {
    check_run "$1" "$3" "$4" || die "run check"
    [ "$(find "$1" -name sample.json | wc -l)" -eq "$4" ] ||
        die "not one directory per index"
    find "$1" -name '.tmp-*' | grep -q . && die "a half-written directory was left"
    "$PY" - "$2" "$4" <<'PYEOF' || die "ledger rows are not one per index"
import sqlite3, sys
n = int(sys.argv[2])
rows = sqlite3.connect(sys.argv[1]).execute("select idx from samples").fetchall()
sys.exit(0 if sorted(r[0] for r in rows) == list(range(n)) else 1)
PYEOF
    "$MG_BIN" generate --seed "$3" --count "$4" --out ref --output-mode midi-only \
        -q || die "reference generate failed"
    same_samples ref 0 "$1" 0 "$4" || die "samples differ from a plain generate"
}
