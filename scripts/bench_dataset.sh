#!/bin/sh
# bench_dataset.sh — `make bench` part: the dataset tools.
#  - verify: MB/s of SHA-256 over a full-audio tree with 1 job and one job
#    per core, next to coreutils' sha256sum on the same files (page cache
#    warm: the CPU-bound figure; a cold tree runs at the disk's speed when
#    that is lower). Goal: >= 500 MB/s per core. And --quick (no hash):
#    samples per second of wall time. Then a midi-only tree of
#    2,000 samples with one job: samples per CPU second (sample.json
#    parsing and the schema check, not hashing, decide it there).
#  - eval validity: wall time for BENCH_EVAL_N good samples (rendered,
#    genres cycled) and their ten pathology sets, next to the Python
#    tool's published 3,514 s for 100 good samples. A good sample with
#    its pathologies costs ~6 CPU s (measured: 8 samples 49 CPU s, 2
#    samples 14 CPU s), so 100 take ~5 minutes on two idle cores and far
#    more on a shared machine; the default, 32, fits about four minutes
#    on the shared 2-core machine this was written on. BENCH_EVAL_N=100
#    measures the published case itself; below 100 the output says that
#    the per-100 figures are extrapolated (linearly).
# Figures only, never pass/fail. Usage: sh scripts/bench_dataset.sh BUILD
set -u
BUILD=${1:-build}
MG="$BUILD/musicgen"
NV=${BENCH_VERIFY_N:-24}
NE=${BENCH_EVAL_N:-32}
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
t0=$(now)
"$MG" verify "$T/full" --jobs "$CORES" --quick > /dev/null
t1=$(now)
printf "  verify --quick (sizes and headers, no SHA-256), %s jobs: %.3f s, %.0f samples/s\n" \
    "$CORES" "$(calc "$t1 - $t0")" "$(calc "$NV / ($t1 - $t0)")"
echo "  ($NV samples, ${MB} MB; goal: >= 500 MB/s per core; on a busy"
echo "  machine the wall-clock MB/s falls, MB per CPU second does not)"
# A midi-only tree is the other end: little to hash, a 37 KB sample.json
# to parse and validate per sample. 2,000 samples, one job, samples per
# CPU second (the schema check runs on tokens, jschema.h).
"$MG" generate --seed 43 --count 2000 --out "$T/midi" --output-mode midi-only \
    -q || { echo "generate midi-only failed"; exit 1; }
"$MG" verify "$T/midi" --jobs 1 > /dev/null # warm
sh -c '"$1" verify "$2" --jobs 1 > /dev/null; times > "$3"' sh "$MG" \
    "$T/midi" "$T/vtimes"
vcpu=$(tail -n 1 "$T/vtimes" | awk '{
    n = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] }
    print n }')
printf "  verify, midi-only tree (2000 samples, one job): %.0f samples per CPU second\n" \
    "$(calc "2000 / ($vcpu > 0 ? $vcpu : 0.01)")"
echo

echo "== dataset tools: eval validity ($NE good samples, rendered, $CORES jobs)"
t0=$(now)
# `times` in a child shell: the CPU time of the eval and all its processes
sh -c '"$1" eval validity --n-samples "$2" --jobs "$3" --output "$4/v.json" \
    > "$4/v.txt"; echo $? > "$4/rc"; times > "$4/times"' sh "$MG" "$NE" \
    "$CORES" "$T"
rc=$(cat "$T/rc")
t1=$(now)
cpu=$(tail -n 1 "$T/times" | awk '{
    n = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); n += a[1] * 60 + a[2] }
    print n }')
grep "^good:\|^overall" "$T/v.txt" | sed 's/^/  /'
w=$(calc "$t1 - $t0")
printf "  wall time %.0f s for %d good samples, measured (exit %d); the Python tool: 3514 s for 100\n" "$w" "$NE" "$rc"
if [ "$NE" -ge 100 ]; then
    how="measured"
else
    how="extrapolated linearly from the $NE measured"
fi
printf "  per 100 good samples: %.0f s (%s), %.1fx faster\n" \
    "$(calc "$w * 100 / $NE")" "$how" "$(calc "3514 / ($w * 100 / $NE)")"
printf "  CPU time %.0f s (all processes): per 100 good samples %.0f CPU s (%s),\n" \
    "$cpu" "$(calc "$cpu * 100 / $NE")" "$how"
printf "  i.e. %.0f s on %d idle cores (%.1fx faster than the Python tool)\n" \
    "$(calc "$cpu * 100 / $NE / $CORES")" "$CORES" \
    "$(calc "3514 / ($cpu * 100 / $NE / $CORES)")"
