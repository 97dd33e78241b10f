#!/usr/bin/python3
"""check_annotations — every time annotation of a sample against its MIDI
files, read with a third-party reader (mido, python3-mido).

Usage: check_annotations.py SAMPLE_DIR ...

From the conductor track (set_tempo, time_signature, marker events) it
rebuilds, on its own, the tempo map, the part starts and the metrical grid,
and converts ticks to seconds the way a MIDI player does (segment by
segment between tempo changes). Then, per sample:
  - tempo_map equals the MIDI's tempo events (tick and microseconds), and
    tempo_bpm is the opening tempo;
  - song_arrangement starts equal the markers' times, with the MIDI's time
    signatures;
  - beat_times, downbeat_times, felt_beat_times, denominator_beat_times
    equal the grid: x/4 quarters; 6/8 and 12/8 dotted quarters (felt) and
    eighths (denominator); 7/8 eighths, felt 2+2+3;
  - every chord starts and ends on a tick of the map, inside its part;
  - notes: every note of every layer file (note_on .. note_off) equals the
    notes annotation one for one (onset and offset within 1.5 us, pitch,
    velocity), and the layer's program equals its instrument;
  - every layer file carries the conductor track of melody.mid and ends
    where it does; instruments (notes count, 1-based channel) match it;
  - every chord's harte label names the pitch classes of its voicing
    (root, quality, the inversion's bass as the lowest voiced note), and
    every harmony note sounds a pitch class of the chord in force at its
    onset (the layer's timing offset and jitter allowed for);
  - swing: over the x/4 parts, and apart over the x/8 parts, the median
    position of the off-beat onsets of a swing cell (quarter in x/4, eighth
    in x/8), those between 0.42 of the cell and 0.1 past the recorded
    swing, is within 0.04 of the recorded swing where there are at least 8
    (drum and melody notes, each layer's own timing offset taken off: the
    median position of its onsets near a cell start); an unswung off-beat
    (0.5) under a recorded 0.7 is caught. x/8 parts record 0.5.
Prints one line per problem; exits 1 if any.
"""
import bisect
import json
import os
import statistics
import sys

import mido

TOL = 1.5e-6
LAYERS = ("beat", "melody", "harmony", "bassline")
PCS = {n: i for i, n in enumerate(
    "C C# D D# E F F# G G# A A# B".split())}
# Harte shorthands (Harte 2005) as semitones over the root
SHORT = {"maj": (0, 4, 7), "min": (0, 3, 7), "dim": (0, 3, 6),
         "aug": (0, 4, 8), "maj7": (0, 4, 7, 11), "min7": (0, 3, 7, 10),
         "7": (0, 4, 7, 10), "dim7": (0, 3, 6, 9), "hdim7": (0, 3, 6, 10),
         "minmaj7": (0, 3, 7, 11), "maj6": (0, 4, 7, 9),
         "min6": (0, 3, 7, 9), "9": (0, 4, 7, 10, 2),
         "maj9": (0, 4, 7, 11, 2), "min9": (0, 3, 7, 10, 2),
         "sus2": (0, 2, 7), "sus4": (0, 5, 7)}


def degree(t):
    """A Harte degree ('b3', '#5', '9') in semitones, mod 12."""
    acc = t.count("#") - t.count("b")
    d = int(t.lstrip("b#"))
    return ([0, 2, 4, 5, 7, 9, 11][(d - 1) % 7] + acc) % 12


def harte_pcs(h):
    """Pitch classes and bass pitch class (None: the root) of a label."""
    root, rest = h.split(":")
    rest, _, bass = rest.partition("/")
    sh, _, ivs = rest.partition("(")
    pcs = set(SHORT[sh]) if sh else set()
    for x in filter(None, ivs.rstrip(")").split(",")):
        if x.startswith("*"):
            pcs.discard(degree(x[1:]))
        else:
            pcs.add(degree(x))
    r = PCS[root]
    return ({(r + x) % 12 for x in pcs},
            (r + degree(bass)) % 12 if bass else r)


class Map:
    def __init__(self, ppq, tempi):
        self.ppq = ppq
        self.tempi = tempi  # [(tick, us)] sorted, first at 0
        self.ticks = [t for t, _ in tempi]
        self.acc = [0]
        for (t0, us), (t1, _) in zip(tempi, tempi[1:]):
            self.acc.append(self.acc[-1] + (t1 - t0) * us)

    def sec(self, tick):
        i = bisect.bisect_right(self.ticks, tick) - 1
        t0, us = self.tempi[i]
        return (self.acc[i] + (tick - t0) * us) / (self.ppq * 1e6)

    def tick(self, sec):
        lo, hi = 0, 1 << 31
        while hi - lo > 1:
            m = (lo + hi) // 2
            if self.sec(m) <= sec:
                lo = m
            else:
                hi = m
        return min((lo, lo + 1), key=lambda t: abs(self.sec(t) - sec))


def absolute(track):
    t = 0
    for msg in track:
        t += msg.time
        yield t, msg


def check(sd):
    probs = []

    def bad(m):
        probs.append("%s: %s" % (sd, m))

    with open(os.path.join(sd, "sample.json")) as f:
        s = json.load(f)
    mids = {l: mido.MidiFile(os.path.join(sd, "midi", l + ".mid"))
            for l in LAYERS}
    cond = mids["melody"].tracks[0]
    ppq = mids["melody"].ticks_per_beat
    tempi, sigs, marks, end = [], [], [], 0
    for t, m in absolute(cond):
        if m.type == "set_tempo":
            if tempi and tempi[-1][0] == t:
                tempi[-1] = (t, m.tempo)
            else:
                tempi.append((t, m.tempo))
        elif m.type == "time_signature":
            sigs.append((t, m.numerator, m.denominator))
        elif m.type == "marker":
            marks.append((t, m.text))
        elif m.type == "end_of_track":
            end = t
    mp = Map(ppq, tempi)
    cond_events = [(t, str(m)) for t, m in absolute(cond)]
    for l in LAYERS:
        other = mids[l].tracks[0]
        if [(t, str(m)) for t, m in absolute(other)
                if m.type != "track_name"] != \
                [x for x in cond_events if "track_name" not in x[1]]:
            bad("%s.mid: conductor track differs from melody.mid's" % l)
        ends = [list(absolute(tr))[-1][0] for tr in mids[l].tracks]
        if any(e != end for e in ends):
            bad("%s.mid: tracks end at %s, the conductor at %d" % (
                l, ends, end))
    got = [(e["tick"], e["us_per_quarter"]) for e in s["tempo_map"]]
    if got != tempi:
        bad("tempo_map %s != MIDI tempi %s" % (got[:4], tempi[:4]))
    if abs(s["tempo_bpm"] - 60e6 / tempi[0][1]) > 1e-4:
        bad("tempo_bpm is not the opening tempo")
    if abs(mp.sec(end) - s["duration_seconds"]) > TOL:
        bad("duration %r, MIDI %r" % (s["duration_seconds"], mp.sec(end)))
    arr = s["song_arrangement"]
    if len(marks) != len(arr):
        bad("%d markers, %d parts" % (len(marks), len(arr)))
        return probs
    beats, downs, felt, den, part_ticks = [], [], [], [], []
    cur = None
    for i, (t, name) in enumerate(marks):
        for st, n, d in sigs:
            if st <= t:
                cur = (n, d)
        p = arr[i]
        if p["part"] != name or abs(p["start_seconds"] - mp.sec(t)) > TOL:
            bad("part %d %s at %r, marker %s at %r" % (
                i, p["part"], p["start_seconds"], name, mp.sec(t)))
        if "%d/%d" % cur != p["time_signature"]:
            bad("part %d time signature %s, MIDI %d/%d" % (
                i, p["time_signature"], cur[0], cur[1]))
        t1 = marks[i + 1][0] if i + 1 < len(marks) else end
        part_ticks.append((t, t1, cur))
        n, d = cur
        unit = 4 * ppq // d
        bar = n * unit
        if d == 8 and n in (6, 12):
            bt = [3 * unit * k for k in range(n // 3)]
        else:
            bt = [unit * k for k in range(n)]
        fe = [0, 2 * unit, 4 * unit] if (n, d) == (7, 8) else bt
        for b0 in range(t, t1, bar):
            downs.append(mp.sec(b0))
            beats += [mp.sec(b0 + o) for o in bt]
            felt += [mp.sec(b0 + o) for o in fe]
            den += [mp.sec(b0 + k * unit) for k in range(n)]
    for key, want in (("beat_times", beats), ("downbeat_times", downs),
                      ("felt_beat_times", felt),
                      ("denominator_beat_times", den)):
        have = s[key]
        if len(have) != len(want) or any(
                abs(a - b) > TOL for a, b in zip(have, want)):
            bad("%s differs from the MIDI grid (%d vs %d)" % (
                key, len(have), len(want)))
    for c in s["chords"]:
        t0, t1, _ = part_ticks[c["part_index"]]
        for k in ("start_seconds", "end_seconds"):
            tk = mp.tick(c[k])
            if abs(mp.sec(tk) - c[k]) > TOL or not t0 <= tk <= t1:
                bad("chord %s %r not on a tick of its part" % (k, c[k]))
    ticks = {}
    for l in LAYERS:
        on, notes, prog = {}, [], None
        for t, m in absolute(mids[l].tracks[1]):
            if m.type == "program_change":
                prog = m.program
            elif m.type == "note_on" and m.velocity > 0:
                on[m.note] = (t, m.velocity)
            elif m.type in ("note_off", "note_on") and m.note in on:
                t0, v = on.pop(m.note)
                notes.append((t0, t, m.note, v))
        notes.sort()
        ticks[l] = [x[0] for x in notes]
        a = s["notes"][l]
        ann = sorted(zip(a["onset"], a["offset"], a["pitch"], a["velocity"]))
        mid = sorted((mp.sec(t0), mp.sec(t1), p, v) for t0, t1, p, v in notes)
        if len(ann) != len(mid):
            bad("%s: %d annotated notes, %d in the MIDI" % (
                l, len(ann), len(mid)))
            continue
        for x, y in zip(ann, mid):
            if abs(x[0] - y[0]) > TOL or abs(x[1] - y[1]) > TOL or \
                    tuple(x[2:]) != tuple(y[2:]):
                bad("%s: note %r vs MIDI %r" % (l, x, y))
                break
        if l != "beat" and prog != a["instrument"]:
            bad("%s: program %r, instrument %r" % (l, prog, a["instrument"]))
        inst = s["instruments"][l]
        chans = {m.channel + 1 for _, m in absolute(mids[l].tracks[1])
                 if m.type == "note_on"}
        if inst["notes"] != len(notes) or chans - {inst["channel"]}:
            bad("%s: instruments %r, MIDI %d notes on channels %s" % (
                l, inst, len(notes), sorted(chans)))
        if l == "harmony":
            hnotes = notes
    # Chord labels against their voicings, and the harmony layer against
    # the chords: a note's onset may sit off the chord's span by the
    # layer's timing offset and jitter (clipped at 2.5 sd).
    for c in s["chords"]:
        pcs, bass = harte_pcs(c["harte"])
        low = min(c["voicing"]) % 12
        if pcs != {p % 12 for p in c["voicing"]} or \
                (low != bass and c["quality"] != "power"):
            bad("chord %s, voicing %s" % (c["harte"], c["voicing"]))
    perf = s["performance"]
    slack = 0.005 + (abs(perf["offset_ms"]["harmony"]) +
                     2.5 * perf["jitter_ms"]["harmony"]) / 1000
    spans = [(c["start_seconds"], c["end_seconds"],
              {p % 12 for p in c["voicing"]}) for c in s["chords"]]
    for t0, _, p, _ in hnotes:
        on = mp.sec(t0)
        if not any(a - slack <= on < b + slack and p % 12 in pcs
                   for a, b, pcs in spans):
            bad("harmony note %d at %.6f s is in no chord sounding then" % (
                p, on))
            break
    # Swing, measured on the drum and melody onsets: per layer, the median
    # offset of the onsets near a cell start (the layer's laid-back or
    # pushed timing) is taken off the positions of the onsets in the
    # second half of a cell; their median is the swing played.
    for simple in (True, False):
        pos, recs = [], set()
        for l in ("beat", "melody"):
            near, off = [], []
            for i, (t0, t1, (n, d)) in enumerate(part_ticks):
                if (d == 4) != simple:
                    continue
                recs.add(arr[i]["swing"])
                cell = ppq if d == 4 else ppq // 2
                for t in ticks[l]:
                    if t0 <= t < t1:
                        x = ((t - t0) % cell) / cell
                        if x < 0.12 or x > 0.88:
                            near.append(x if x < 0.5 else x - 1)
                        elif 0.42 < x < arr[i]["swing"] + 0.1:
                            off.append(x)
            bias = statistics.median(near) if near else 0.0
            pos += [x - bias for x in off]
        if not recs:
            continue
        if len(recs) != 1:
            bad("parts of one kind of metre record different swings %s"
                % sorted(recs))
            continue
        rec = recs.pop()
        if not simple and rec != 0.5:
            bad("x/8 parts record swing %.3f (they are played straight)"
                % rec)
        if len(pos) >= 8:
            med = statistics.median(pos)
            if abs(med - rec) > 0.04:
                bad("%s metre: measured swing %.3f, recorded %.3f" % (
                    "x/4" if simple else "x/8", med, rec))
    return probs


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    n = 0
    for sd in sys.argv[1:]:
        for p in check(sd):
            print(p)
            n += 1
    print("%d samples, %d problems" % (len(sys.argv) - 1, n))
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
