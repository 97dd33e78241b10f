# annotations_midi — every annotation of a sample (tempo map, parts, the
# three beat grids, chords, the note-level annotation, swing) agrees with
# its MIDI files read by mido (tests/tools/check_annotations.py), under
# tempo maps too; and the performance is really humanised: onsets leave
# the grid, velocities vary, some songs change tempo (issue 10).
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 21 --count 10 --out ds-cl -g classical \
    --output-mode midi-only -q || die "generate classical failed"
"$MG_BIN" generate --seed 21 --count 8 --out ds-jazz -g jazz \
    --output-mode midi-only -q || die "generate jazz failed"
"$MG_BIN" generate --seed 21 --count 10 --out ds-def \
    --output-mode midi-only -q || die "generate default failed"
"$PY" "$TOOLS/check_annotations.py" ds-cl/0* ds-jazz/0* ds-def/0* \
    || die "annotations disagree with the MIDI"
"$PY" - ds-cl ds-jazz ds-def <<'PYEOF' || die "performance not humanised"
import glob, json, sys
maps = rit = off = tot = 0
vels = set()
metres = set()
for d in sys.argv[1:]:
    for sj in sorted(glob.glob(d + "/0*/sample.json")):
        s = json.load(open(sj))
        metres.add(s["time_signature"])
        maps += len(s["tempo_map"]) > 2
        rit += s["performance"]["ritardando"]
        if s["tempo_min_bpm"] > s["tempo_max_bpm"]:
            sys.exit("tempo range inverted in " + sj)
        for e in s["tempo_map"]:
            if e["tick"] == 0 and abs(e["bpm"] - s["tempo_bpm"]) > 1e-4:
                sys.exit("tempo_bpm is not the opening tempo in " + sj)
        bt = s["beat_times"]
        for l, n in s["notes"].items():
            vels.update(n["velocity"])
            for t in n["onset"]:
                tot += 1
                # distance to the nearest 1/32 of a beat
                import bisect
                i = bisect.bisect_right(bt, t) - 1
                if 0 <= i < len(bt) - 1:
                    x = (t - bt[i]) / (bt[i + 1] - bt[i]) * 32
                    off += abs(x - round(x)) > 0.05
print("tempo maps %d, ritardandos %d, off-grid onsets %d of %d, %d "
      "velocities, metres %s" % (maps, rit, off, tot, len(vels),
                                 sorted(metres)))
if maps < 3 or rit < 2 or off < tot * 0.3 or len(vels) < 40:
    sys.exit("too little variation")
if not {"6/8", "7/8"} & metres:
    sys.exit("no x/8 metre among the samples: change the seed")
PYEOF
