# lib.sh — shared helpers for system tests (sourced, not run: no .sh test
# name of its own is needed, tests/run.sh skips files named lib.sh).
PY=/usr/bin/python3
TOOLS="$MG_SRC/tests/tools"
DUCK="$TOOLS/duckdb"   # the DuckDB judge (node q.mjs "SQL")

die() {
    echo "FAIL: $*" >&2
    exit 1
}

# need_duckdb: fail (a test never skips itself into a pass) when the DuckDB
# judge is not installed
need_duckdb() {
    [ -d "$DUCK/node_modules/@duckdb/node-api" ] ||
        die "the DuckDB judge is not installed: run sh scripts/setup.sh"
}

# Compare every sample.json and MIDI under two roots (same layout or not):
# same_samples ROOT_A WIDTH_A ROOT_B WIDTH_B COUNT
same_samples() {
    "$PY" - "$@" <<'PYEOF'
import filecmp, os, sys
a, wa, b, wb, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def rel(i, w):
    s = "%06d" % i
    return s if w == 0 else os.path.join(s[:w], s)
bad = 0
for i in range(n):
    for f in ["sample.json"] + ["midi/%s.mid" % l for l in ("beat", "melody", "harmony", "bassline")]:
        pa, pb = os.path.join(a, rel(i, wa), f), os.path.join(b, rel(i, wb), f)
        if not (os.path.exists(pa) and os.path.exists(pb) and filecmp.cmp(pa, pb, shallow=False)):
            print("differs: %d %s" % (i, f)); bad += 1
            if bad > 5: sys.exit(1)
sys.exit(1 if bad else 0)
PYEOF
}

# start_asset_server DIR : tests/tools/asset_server.py serving DIR on a
# free loopback port (written to ./port), stopped when the test exits;
# sets SRV (its pid) and U (its base URL)
start_asset_server() {
    "$PY" "$TOOLS/asset_server.py" "$1" port &
    SRV=$!
    trap 'kill $SRV 2>/dev/null' EXIT
    i=0
    while [ ! -s port ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s port ] || die "asset server did not start"
    U="http://127.0.0.1:$(cat port)"
}

# start_serve ARGS...: `musicgen serve` on a free loopback port in the
# background (its pid in SPID, its output in serve.out and serve.err),
# its URL in U
start_serve() {
    rm -f serve.out
    "$MG_BIN" serve --bind 127.0.0.1:0 "$@" >serve.out 2>serve.err &
    SPID=$!
    i=0
    while ! grep -q "http://" serve.out 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 200 ] && die "serve did not start: $(cat serve.err)"
        sleep 0.05
    done
    U=$(LC_ALL=C sed -n 's/.*\(http:[^ ]*\) .*/\1/p' serve.out)
}
