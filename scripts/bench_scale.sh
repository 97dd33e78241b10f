#!/bin/sh
# bench_scale.sh — N-process scaling of musicgen next to that of the bare
# synthesizer (called by bench.sh; figures only, never pass/fail).
#
# musicgen: `generate --workers N` makes K full-mode samples. Bare: N
# `fluidsynth -ni -F` processes render the same samples' MIDI files
# (the four per sample, split between the N processes, each loading the
# soundfont once, as each musicgen process has it once). Each side's
# speed-up is wall(1) / wall(N); the line that matters is their ratio
# (goal >= 0.95: musicgen gains as much from N cores as the synthesizer).
# Wall time is distorted by other load on the machine, so each run also
# prints counters from perf stat (all processes of the run): CPU seconds,
# page faults and context switches per sample, and CPU efficiency =
# CPU per sample at 1 / CPU per sample at N (1.0: no contention).
# Start-up (loading the soundfonts: musicgen once, before it forks; each
# bare process its own, in parallel) is measured apart: a one-sample run
# of each side, one process, gives start-up = wall(1) - (wall(K) -
# wall(1)) / (K - 1) at N=1, and the counters of a sample beyond it; the
# speed-ups are printed as measured and with each side's start-up taken
# out (the steady state a long run sees). K must be large enough that
# start-up and the last samples' tail do not decide the ratio.
#   BENCH_SCALE_N      process counts (default "1 <cores>")
#   BENCH_SCALE_COUNT  samples (default 8 x the largest N, at least 16)
#   BENCH_SCALE_FONT   the bare synthesizer's soundfont (FluidR3_GM)
# The bare side renders every stem with that one font (FluidR3_GM has
# all 128 bank-0 programs and the standard kit, so fluidsynth substitutes
# a preset it lacks rather than render silence); its warnings (a preset
# substituted, or none found: a silent stem) are counted and said.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
BIN=$BUILD/musicgen
export MUSICGEN_DATA_DIR="${MUSICGEN_DATA_DIR:-$PWD}"
FONT=${BENCH_SCALE_FONT:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
cores=$(nproc)
NS=${BENCH_SCALE_N:-1 $cores}
[ "$cores" -gt 1 ] || NS=${BENCH_SCALE_N:-1 2}
max=1
for n in $NS; do [ "$n" -gt "$max" ] && max=$n; done
K=${BENCH_SCALE_COUNT:-$((max * 8 < 16 ? 16 : max * 8))}
[ "$K" -ge 2 ] || K=2
echo "== scaling: N processes, musicgen vs the bare synthesizer ($K full samples; load average $(cut -d' ' -f1 /proc/loadavg))"
for need in fluidsynth perf; do
    command -v $need >/dev/null 2>&1 || { echo "($need missing: skipped)"; exit 0; }
done
[ -f "$FONT" ] || { echo "($FONT missing: skipped)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench-scale.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }

# run_counted NAME CMD...: wall seconds and perf counters into $T/NAME.*
run_counted() {
    name=$1
    shift
    sync        # no write-back of earlier runs' files during this one
    t0=$(now)
    perf stat -x, -e task-clock,page-faults,context-switches -o "$T/$name.perf" "$@" \
        >"$T/$name.out" 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc -l >"$T/$name.wall"
}
counter() { # counter NAME EVENT -> value (task-clock in ms)
    awk -F, -v e="$2" '$3 == e || index($3, e) == 1 { print $1; exit }' "$T/$1.perf"
}

# the MIDI files of the samples, made once (the same bytes as in full mode)
"$BIN" generate --seed 42 --count "$K" --out "$T/midi" --output-mode midi-only -q ||
    { echo "(generate failed: skipped)"; exit 0; }
find "$T/midi" -name '*.mid' | sort >"$T/midis"
first_sample=$(head -n 1 "$T/midis" | xargs dirname)

# start-up: one sample, one process, each side
rm -rf "$T/mg1s"
run_counted mgone "$BIN" generate --seed 42 --count 1 --out "$T/mg1s" \
    --workers 1 -q
run_counted bareone fluidsynth -ni -g 1 -r 44100 -F "$T/one.wav" "$FONT" \
    "$first_sample"/*.mid

for n in $NS; do
    rm -rf "$T/mg"
    run_counted "mg$n" "$BIN" generate --seed 42 --count "$K" --out "$T/mg" \
        --workers "$n" -q
    # bare: n processes, the MIDI files dealt round-robin
    i=0
    rm -f "$T"/bare-*.list "$T"/bare-*.wav
    while read -r f; do
        echo "$f" >>"$T/bare-$((i % n)).list"
        i=$((i + 1))
    done <"$T/midis"
    cat >"$T/bare.sh" <<EOF
for l in "$T"/bare-*.list; do
    fluidsynth -ni -g 1 -r 44100 -F "\$l.wav" "$FONT" \$(cat "\$l") >/dev/null 2>"\$l.err" &
done
wait
EOF
    run_counted "bare$n" sh "$T/bare.sh"
    nopre=$(cat "$T"/bare-*.list.err | grep -c "No preset found")
    subst=$(cat "$T"/bare-*.list.err | grep -c "substituted")
    [ "$nopre" = 0 ] && [ "$subst" = 0 ] ||
        echo "(bare N=$n: fluidsynth found no preset on $nopre and substituted one on $subst channel selections: those stems are silent or another instrument there)"
done

first=""
for n in $NS; do [ -n "$first" ] || first=$n; done
# start-up of each side (N=1 runs: the first N must be 1 for these lines)
if [ "$first" = 1 ]; then
    for side in mg bare; do
        w1=$(cat "$T/${side}one.wall")
        wk=$(cat "$T/${side}1.wall")
        st=$(echo "$w1 - ($wk - $w1) / ($K - 1)" | bc -l)
        eval "st_$side=$st"
        # counters of one sample beyond start-up
        c1=$(counter "${side}one" task-clock) ck=$(counter "${side}1" task-clock)
        p1=$(counter "${side}one" page-faults) pk=$(counter "${side}1" page-faults)
        printf '%-9s start-up %5.2f s (one process); beyond it, per sample: CPU %5.2f s, %6.0f page faults\n' \
            "$( [ $side = mg ] && echo musicgen || echo fluidsynth)" "$st" \
            "$(echo "($ck - $c1) / 1000 / ($K - 1)" | bc -l)" \
            "$(echo "($pk - $p1) / ($K - 1)" | bc -l)"
    done
fi
for n in $NS; do
    [ -n "$first" ] || first=$n
    line=""
    for side in mg bare; do
        w=$(cat "$T/$side$n.wall")
        w1=$(cat "$T/$side$first.wall")
        cpu=$(counter "$side$n" task-clock)
        cpu1=$(counter "$side$first" task-clock)
        pf=$(counter "$side$n" page-faults)
        cs=$(counter "$side$n" context-switches)
        su=$(echo "$w1 / $w" | bc -l)
        eff=$(echo "$cpu1 / $cpu" | bc -l)
        eval "su_$side=$su"
        printf '%-9s N=%-3s wall %7.2f s  speed-up %5.2fx  CPU %6.2f s/sample (efficiency %.2f)  %6.0f page faults/sample  %5.0f context switches/sample\n' \
            "$( [ $side = mg ] && echo musicgen || echo fluidsynth)" "$n" "$w" "$su" \
            "$(echo "$cpu / 1000 / $K" | bc -l)" "$eff" "$(echo "$pf / $K" | bc -l)" \
            "$(echo "$cs / $K" | bc -l)"
    done
    [ "$n" = "$first" ] || printf 'N=%s: musicgen speed-up / bare synthesizer speed-up = %.2f (goal >= 0.95; %s samples, load average %s)\n' \
        "$n" "$(echo "$su_mg / $su_bare" | bc -l)" "$K" "$(cut -d' ' -f1 /proc/loadavg)"
    if [ "$n" != "$first" ] && [ "$first" = 1 ]; then
        # start-up taken out of both walls of each side
        for side in mg bare; do
            eval "st=\$st_$side"
            w=$(cat "$T/$side$n.wall")
            w1=$(cat "$T/${side}1.wall")
            eval "ss_$side=$(echo "($w1 - $st) / ($w - $st)" | bc -l)"
        done
        printf 'N=%s without start-up: musicgen speed-up %.2fx, bare %.2fx, ratio %.2f\n' \
            "$n" "$ss_mg" "$ss_bare" "$(echo "$ss_mg / $ss_bare" | bc -l)"
    fi
done
