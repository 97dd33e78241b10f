#!/bin/sh
# bench_dataset.sh — `make bench` part: the dataset tools.
#  - verify: MB/s of SHA-256 over a full-audio tree with 1 job and one job
#    per core, next to coreutils' sha256sum on the same files (page cache
#    warm: the CPU-bound figure; a cold tree runs at the disk's speed when
#    that is lower). Goal: >= 500 MB/s per core.
#  - eval validity: wall time for BENCH_EVAL_N good samples (default 100,
#    rendered, genres cycled) and their ten pathology sets, next to the
#    Python tool's published 3,514 s for 100 good samples.
# Figures only, never pass/fail. Usage: sh scripts/bench_dataset.sh BUILD
set -u
BUILD=${1:-build}
MG="$BUILD/musicgen"
NV=${BENCH_VERIFY_N:-24}
NE=${BENCH_EVAL_N:-100}
CORES=$(nproc)
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench-dataset.XXXXXX")
trap 'rm -rf "$T"' EXIT

now() { date +%s.%N; }
# calc EXPR: floating-point arithmetic with awk (no bc needed)
calc() { awk "BEGIN { print $1 }"; }

echo "== dataset tools: verify (SHA-256 of a full-audio tree)"
"$MG" generate --seed 42 --count "$NV" --out "$T/full" -q ||
    { echo "generate failed"; exit 1; }
MB=$(du -sm --apparent-size "$T/full" | cut -f1)
"$MG" verify "$T/full" --jobs "$CORES" > /dev/null # warm the page cache
for j in 1 "$CORES"; do
    "$MG" verify "$T/full" --jobs "$j" | tail -n 1 |
        sed 's/.*: \([0-9]* samples\).*hashed in \([0-9.]* s\) (\(.*\)).*/  verify: \1 in \2: \3/'
done
t0=$(now)
find "$T/full" -name '*.wav' -o -name '*.mid' | xargs sha256sum > /dev/null
t1=$(now)
printf "  sha256sum (coreutils, one process) over the same files: %.0f MB/s\n" \
    "$(calc "$MB / ($t1 - $t0)")"
echo "  ($NV samples, ${MB} MB; goal: >= 500 MB/s per core; on a busy"
echo "  machine the wall-clock MB/s falls, MB per CPU second does not)"
echo

echo "== dataset tools: eval validity ($NE good samples, rendered, $CORES jobs)"
t0=$(now)
"$MG" eval validity --n-samples "$NE" --jobs "$CORES" --output "$T/v.json" \
    > "$T/v.txt"
rc=$?
t1=$(now)
grep "^good:\|^overall" "$T/v.txt" | sed 's/^/  /'
w=$(calc "$t1 - $t0")
printf "  wall time %.0f s (exit %d); the Python tool: 3514 s for 100 good samples\n" "$w" "$rc"
printf "  per 100 good samples: %.0f s, %.1fx faster\n" \
    "$(calc "$w * 100 / $NE")" "$(calc "3514 / ($w * 100 / $NE)")"
