#!/bin/sh
# bench_beats.sh BUILD — part of `make bench` (figures, not a test): per
# genre, Debian's aubio beat tracker (`aubio beat`) on the mixes of
# BENCH_BEATS_N short songs (seed 5, default 2), scored by the F-measure
# (+-70 ms, first 5 s ignored, the annotated level only) against the felt
# beats (felt_beat_times: dotted quarters in 6/8 and 12/8, 2+2+3 in 7/8)
# and against the denominator-unit beats (denominator_beat_times); and the
# median integrated loudness of the harmony and melody stems
# (sample.json mixing.stem_loudness, which tests/system/audio_loudness.sh
# checks against libebur128).
set -u
BUILD=${1:-build}
N=${BENCH_BEATS_N:-2}
command -v aubio >/dev/null 2>&1 || {
    echo "bench_beats: aubio not installed (Debian package aubio-tools)"
    exit 0
}
T=$(mktemp -d "${TMPDIR:-/tmp}/musicgen-bench-beats.XXXXXX")
trap 'rm -rf "$T"' EXIT
echo "== beat conventions and loudness (aubio beat, F-measure +-70 ms; $N songs a genre)"
for g in blues classical electronic hip-hop jazz latin pop reggae rock; do
    "$BUILD/musicgen" generate --seed 5 --count "$N" -g "$g" --out "$T/$g" \
        --measures-per-part intro=2,verse=4,chorus=4,bridge=2,outro=2 \
        --workers 1 -q || { echo "bench_beats: generate $g failed"; exit 0; }
done
/usr/bin/python3 - "$T" <<'PYEOF'
import glob, json, os, statistics, subprocess, sys
W, SKIP = 0.07, 5.0

def fmeasure(ref, est):
    ref = [t for t in ref if t >= SKIP]
    est = [t for t in est if t >= SKIP]
    if not ref or not est:
        return 0.0
    used, hit = set(), 0
    for r in ref:
        best = None
        for j, e in enumerate(est):
            d = abs(e - r)
            if j not in used and d <= W and (best is None or d < best[0]):
                best = (d, j)
        if best:
            used.add(best[1])
            hit += 1
    if not hit:
        return 0.0
    p, r = hit / len(est), hit / len(ref)
    return 2 * p * r / (p + r)

print("%-11s %6s %6s  %-22s %9s %9s" % ("genre", "F felt", "F den", "metres",
                                        "harmony", "melody"))
for gd in sorted(glob.glob(os.path.join(sys.argv[1], "*"))):
    ff, fd, ms, hl, ml = [], [], set(), [], []
    for sj in sorted(glob.glob(gd + "/*/sample.json")):
        s = json.load(open(sj))
        out = subprocess.run(["aubio", "beat", os.path.dirname(sj) + "/mix.wav"],
                             capture_output=True, text=True).stdout.split()
        est = [float(x) for x in out]
        ff.append(fmeasure(s["felt_beat_times"], est))
        fd.append(fmeasure(s["denominator_beat_times"], est))
        ms.add(s["time_signature"])
        L = s["mixing"]["stem_loudness"]
        if L["harmony"]["integrated_lufs"] is not None:
            hl.append(L["harmony"]["integrated_lufs"])
        if L["melody"]["integrated_lufs"] is not None:
            ml.append(L["melody"]["integrated_lufs"])
    med = lambda v: "%.1f LUFS" % statistics.median(v) if v else "-"
    print("%-11s %6.3f %6.3f  %-22s %9s %9s" % (
        os.path.basename(gd), statistics.mean(ff), statistics.mean(fd),
        " ".join(sorted(ms)), med(hl), med(ml)))
PYEOF
