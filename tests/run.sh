#!/bin/sh
# run.sh — the test suite: every unit test binary (cmocka) and every system
# test (tests/system/*.sh, real binaries, real processes), against the
# build in $MG_BUILD (make test uses the ASan+UBSan build, build/asan).
# Prints one line per test and ends with "N passed, M failed".
#   sh tests/run.sh [PATTERN]    only tests whose name contains PATTERN
#                                (the name alone, never the directory)
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
MG_BUILD=${MG_BUILD:-build/asan}
case "$MG_BUILD" in /*) ;; *) MG_BUILD="$SRC/$MG_BUILD" ;; esac
MG_BIN=${MG_BIN:-$MG_BUILD/musicgen}
PATTERN=${1:-}
export MG_BUILD MG_BIN
export MG_SRC="$SRC"
export MUSICGEN_DATA_DIR="$SRC"
# Leaks inside libfluidsynth/glib's one-time init are not ours.
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Only the suite's own settings: no MUSICGEN_* from the caller's shell.
for v in $(env | sed -n 's/^\(MUSICGEN_[A-Z_]*\)=.*/\1/p'); do
    [ "$v" = MUSICGEN_DATA_DIR ] || unset "$v"
done

# The SF3 fonts' expansions (docs/soundfonts.md) are a pure function of
# the font files: one directory for every test, even those that give
# themselves a fresh XDG_CACHE_HOME, so each is expanded once per machine.
export MUSICGEN_SF2_CACHE="${HOME:-/tmp}/.cache/musicgen/sf2"

ROOT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/musicgen-tests.XXXXXX")
trap 'rm -rf "$ROOT_TMP"' EXIT
passed=0
failed=0
failures=""

run_unit() {
    bin=$1
    name=$(basename "$bin")
    log="$ROOT_TMP/$name.log"
    dir="$ROOT_TMP/$name"
    mkdir -p "$dir"
    (cd "$dir" && TMPDIR="$dir" timeout 600 "$bin") >"$log" 2>&1
    rc=$?
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        echo "FAIL $name ($p passed, $f failed, exit $rc)"
        sed -n '/FAILED\|ERROR\|error\|Sanitizer\|runtime error/p' "$log" | head -20 | sed 's/^/    /'
        failures="$failures $name"
    else
        echo "ok   $name ($p tests)"
    fi
}

# The processes still working in directory $1 (a daemon a test started in
# the background and left when it failed or forgot it): pids, one a line.
strays() {
    for p in /proc/[0-9]*; do
        case "$(readlink "$p/cwd" 2>/dev/null)" in
        "$1" | "$1"/*) echo "${p#/proc/}" ;;
        esac
    done
}

run_system() {
    script=$1
    name=$(basename "$script" .sh)
    log="$ROOT_TMP/$name.log"
    dir="$ROOT_TMP/$name"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    start=$(date +%s)
    (cd "$dir" && TMPDIR="$dir" timeout 900 sh "$script") >"$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    # nothing a test started outlives it (it would run on against a
    # removed directory, or hold a port the next test wants)
    left=$(strays "$dir")
    note=""
    if [ -n "$left" ]; then
        kill -9 $left 2> /dev/null
        note=", $(echo "$left" | wc -l | tr -d ' ') process(es) it left killed"
    fi
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name (${secs}s$note)"
    else
        failed=$((failed + 1))
        echo "FAIL $name (exit $rc, ${secs}s$note)"
        tail -n 15 "$log" | sed 's/^/    /'
        failures="$failures $name"
    fi
}

for bin in "$MG_BUILD"/tests/test_*; do
    [ -x "$bin" ] || continue
    case "$(basename "$bin")" in *"$PATTERN"*) run_unit "$bin" ;; esac
done
for bin in "$MG_BUILD"/fuzz/fuzz_*; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    case "$name" in *"$PATTERN"*) ;; *) continue ;; esac
    log="$ROOT_TMP/$name.log"
    if (cd "$ROOT_TMP" && timeout 600 "$bin" "$SRC/tests/fuzz/corpus/${name#fuzz_}") >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name ($(tail -n 1 "$log"))"
    else
        failed=$((failed + 1))
        echo "FAIL $name (corpus replay)"
        tail -n 15 "$log" | sed 's/^/    /'
        failures="$failures $name"
    fi
done
for script in "$SRC"/tests/system/*.sh; do
    [ "$(basename "$script")" = lib.sh ] && continue
    [ -f "$script" ] || continue
    case "$(basename "$script" .sh)" in *"$PATTERN"*) run_system "$script" ;; esac
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
