#!/bin/sh
# bench_scale.sh — N-process scaling of musicgen next to that of the bare
# synthesizer (called by bench.sh; figures only, never pass/fail).
#
# musicgen: `generate --workers N` makes K full-mode samples. Bare: N
# `fluidsynth -ni -F` processes render the same samples' MIDI files
# (the four per sample; whole samples dealt between the N processes
# longest song first, each to the least loaded; each process loads the
# soundfont once, as each musicgen process has it once). Each side's
# speed-up is wall(1) / wall(N); the line that matters is their ratio
# (goal >= 0.95: musicgen gains as much from N cores as the synthesizer).
# Wall time is distorted by other load on the machine, so the legs run
# in R rounds, every leg once a round (musicgen and bare alternating,
# N=1 then the other Ns), each round's ratio is taken from its own legs
# (minutes apart at most) and the median over rounds is printed with its
# range. Each run also gives counters from perf stat (all processes of
# the run): CPU seconds, page faults and context switches per sample,
# and CPU efficiency = CPU per sample at 1 / CPU per sample at N (1.0:
# no contention), which a loaded machine distorts far less than wall.
# Start-up (loading the soundfonts: musicgen once, before it forks; each
# bare process its own, in parallel) is measured directly: musicgen's
# from its launch to its first lease (`-v`'s lease lines), in every run;
# bare's as a fluidsynth process playing an empty MIDI file. The
# speed-ups are printed as measured and with each run's start-up taken
# out (the steady state a long run sees). A one-sample run of each side
# gives the counters of a sample beyond start-up (the run of K less the
# run of 1). musicgen's tail, how long the first of its N processes to
# finish sat idle before the run's last sample was written (ledger row
# times), is printed beside. K must be large enough that start-up and
# the tail do not decide the ratio.
#   BENCH_SCALE_N       process counts (default "1 <cores>")
#   BENCH_SCALE_COUNT   samples (default 8 x the largest N, at least 16)
#   BENCH_SCALE_ROUNDS  rounds (default 3)
#   BENCH_SCALE_FONT    the bare synthesizer's soundfont (FluidR3_GM)
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
R=${BENCH_SCALE_ROUNDS:-3}
[ "$R" -ge 1 ] 2>/dev/null || R=1
echo "== scaling: N processes, musicgen vs the bare synthesizer ($K full samples, $R rounds; load average $(cut -d' ' -f1 /proc/loadavg))"
for need in fluidsynth perf; do
    command -v $need >/dev/null 2>&1 || { echo "($need missing: skipped)"; exit 0; }
done
[ -f "$FONT" ] || { echo "($FONT missing: skipped)"; exit 0; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-bench-scale.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }

# leg NAME CMD...: runs CMD under perf stat; appends "NAME wall
# task-clock-ms page-faults context-switches load-average launch-time"
# to $T/legs
leg() {
    name=$1
    shift
    sync        # no write-back of earlier runs' files during this one
    t0=$(now)
    perf stat -x, -e task-clock,page-faults,context-switches -o "$T/$name.perf" "$@" \
        >"$T/$name.out" 2>&1
    t1=$(now)
    printf '%s %s %s %s %s %s %s\n' "$name" "$(echo "$t1 - $t0" | bc -l)" \
        "$(counter "$name" task-clock)" "$(counter "$name" page-faults)" \
        "$(counter "$name" context-switches)" "$(cut -d' ' -f1 /proc/loadavg)" \
        "$t0" >>"$T/legs"
}
# idle LEDGER: seconds between the first and the last process's last row
idle() {
    sqlite3 "$1" "SELECT printf('%.3f', (max(t) - min(t)) * 86400) FROM
        (SELECT max(julianday(wrote_at)) AS t FROM samples GROUP BY worker)" \
        2>/dev/null || echo nan
}
counter() { # counter NAME EVENT -> value (task-clock in ms)
    awk -F, -v e="$2" '$3 == e || index($3, e) == 1 { print $1; exit }' "$T/$1.perf"
}

# the MIDI files of the samples, made once (the same bytes as in full mode)
"$BIN" generate --seed 42 --count "$K" --out "$T/midi" --output-mode midi-only -q ||
    { echo "(generate failed: skipped)"; exit 0; }
find "$T/midi" -name '*.mid' | sort >"$T/midis"
first_sample=$(head -n 1 "$T/midis" | xargs dirname)
# an empty MIDI file (format 0, one track: end of track): the bare
# synthesizer's start-up is the wall time of playing it
printf '\115\124\150\144\000\000\000\006\000\000\000\001\000\140\115\124\162\153\000\000\000\004\000\377\057\000' \
    >"$T/empty.mid"

: >"$T/legs"
: >"$T/tails"
r=1
while [ "$r" -le "$R" ]; do
    # start-up: one sample, one process, each side
    rm -rf "$T/mg1s"
    leg "mgone.$r" "$BIN" generate --seed 42 --count 1 --out "$T/mg1s" \
        --workers 1 -q
    leg "bareone.$r" fluidsynth -ni -g 1 -r 44100 -F "$T/one.wav" "$FONT" \
        "$first_sample"/*.mid
    leg "barestart.$r" fluidsynth -ni -g 1 -r 44100 -F "$T/empty.wav" "$FONT" \
        "$T/empty.mid"
    for n in $NS; do
        rm -rf "$T/mg"
        leg "mg$n.$r" "$BIN" generate --seed 42 --count "$K" --out "$T/mg" \
            --workers "$n" -v
        echo "mg$n.$r $(idle "$T/mg/.musicgen/ledger.sqlite")" >>"$T/tails"
        # bare: n processes; whole samples (their four MIDI files) dealt
        # longest song first, each to the process with the least song so
        # far, as musicgen's coordinator hands out its last samples (dealt
        # file by file round-robin, one process got every bassline and
        # harmony, the other every beat and melody)
        rm -f "$T"/bare-*
        /usr/bin/python3 - "$T" "$n" <<'PYDEAL'
import json, os, sys
T, n = sys.argv[1], int(sys.argv[2])
rows = [json.loads(l) for l in open(T + "/midi/manifest.jsonl")]
rows.sort(key=lambda r: (-r["duration_seconds"], r["path"]))
load = [0.0] * n
for r in rows:
    k = load.index(min(load))
    load[k] += r["duration_seconds"]
    d = os.path.join(T, "midi", r["path"], "midi")
    with open("%s/bare-%d.list" % (T, k), "a") as f:
        for m in sorted(os.listdir(d)):
            f.write(os.path.join(d, m) + "\n")
PYDEAL
        cat >"$T/bare.sh" <<EOF
for l in "$T"/bare-*.list; do
    fluidsynth -ni -g 1 -r 44100 -F "\$l.wav" "$FONT" \$(cat "\$l") >/dev/null 2>"\$l.err" &
done
wait
EOF
        leg "bare$n.$r" sh "$T/bare.sh"
        if [ "$r" = 1 ]; then
            nopre=$(cat "$T"/bare-*.list.err | grep -c "No preset found")
            subst=$(cat "$T"/bare-*.list.err | grep -c "substituted")
            [ "$nopre" = 0 ] && [ "$subst" = 0 ] ||
                echo "(bare N=$n: fluidsynth found no preset on $nopre and substituted one on $subst channel selections: those stems are silent or another instrument there)"
        fi
    done
    r=$((r + 1))
done

# medians over the rounds; each ratio from one round's own legs
/usr/bin/python3 - "$T" "$K" "$R" $NS <<'PYEOF'
import datetime
import re
import statistics
import sys

T, K, R, ns = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
leg = {}
for line in open(T + "/legs"):
    name, wall, cpu, pf, cs, load, t0 = line.split()
    leg[name] = dict(wall=float(wall), cpu=float(cpu) / 1000, pf=float(pf),
                     cs=float(cs), load=float(load), t0=float(t0))
tail = dict(line.split() for line in open(T + "/tails"))
for name, v in leg.items():
    if name.startswith("mg") and not name.startswith("mgone"):
        # musicgen's start-up: launch to the first lease (-v)
        m = re.search(r"^(\S+)Z coordinator: lease", open(
            "%s/%s.out" % (T, name)).read(), re.M)
        lease = datetime.datetime.fromisoformat(m.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp() if m else float("nan")
        v["start"] = lease - v["t0"]
        v["tail"] = float(tail.get(name, "nan"))
    elif name.startswith("bare") and not name.startswith("bareone"):
        v["start"] = leg["barestart." + name.split(".")[1]]["wall"]
rounds = range(1, R + 1)
label = {"mg": "musicgen", "bare": "fluidsynth"}
med = statistics.median


def rng(v):
    return "%.2f..%.2f" % (min(v), max(v)) if len(v) > 1 else "one round"


def of(side, n, key):
    return [leg["%s%s.%d" % (side, n, r)][key] for r in rounds]


first = ns[0]
if first == "1":
    for side in ("mg", "bare"):
        cpu = [(b - a) / (K - 1) for a, b in zip(of(side, "one", "cpu"),
                                                  of(side, "1", "cpu"))]
        pf = [(b - a) / (K - 1) for a, b in zip(of(side, "one", "pf"),
                                                of(side, "1", "pf"))]
        print("%-10s start-up %5.2f s (%s); per sample beyond it: CPU %5.2f "
              "s, %6.0f page faults" %
              (label[side], med(of(side, "1", "start")),
               "launch to first lease, N=1" if side == "mg"
               else "an empty MIDI file", med(cpu), med(pf)))
speed = {}
for n in ns:
    for side in ("mg", "bare"):
        w, w1 = of(side, n, "wall"), of(side, first, "wall")
        c, c1 = of(side, n, "cpu"), of(side, first, "cpu")
        speed[side, n] = [a / b for a, b in zip(w1, w)]
        print("%-10s N=%-3s wall %7.2f s  speed-up %5.2fx  CPU %6.2f s/sample "
              "(efficiency %.2f)  %6.0f page faults/sample  %5.0f context "
              "switches/sample%s" %
              (label[side], n, med(w), med(speed[side, n]), med(c) / K,
               med([a / b for a, b in zip(c1, c)]),
               med(of(side, n, "pf")) / K, med(of(side, n, "cs")) / K,
               "  start-up %.2f s, idle at the end %.2f s" %
               (med(of(side, n, "start")), med(of(side, n, "tail")))
               if side == "mg" else ""))
    if n == first:
        continue
    ratio = [a / b for a, b in zip(speed["mg", n], speed["bare", n])]
    loads = [v["load"] for v in leg.values()]
    print("N=%s: musicgen speed-up / bare synthesizer speed-up = %.2f (median "
          "of %d rounds, %s; goal >= 0.95; %d samples, load average "
          "%.1f..%.1f)" % (n, med(ratio), R, rng(ratio), K, min(loads),
                           max(loads)))
    ss = {}
    for side in ("mg", "bare"):
        ss[side] = [(a - sa) / (b - sb) for a, b, sa, sb in
                    zip(of(side, first, "wall"), of(side, n, "wall"),
                        of(side, first, "start"), of(side, n, "start"))]
    rs = [a / b for a, b in zip(ss["mg"], ss["bare"])]
    print("N=%s without start-up: musicgen speed-up %.2fx, bare %.2fx, "
          "ratio %.2f (median; %s)" %
          (n, med(ss["mg"]), med(ss["bare"]), med(rs), rng(rs)))
PYEOF
