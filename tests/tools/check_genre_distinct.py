#!/usr/bin/python3
"""check_genre_distinct — are datasets of different genres made with one
seed distinct from each other, index by index?

Usage: check_genre_distinct.py COUNT GENRE=DIR GENRE=DIR ...

For every pair of datasets and every index below COUNT it compares, using
mido (python3-mido) on the MIDI files and the sample.json labels:
  - the melody's first 16 pitches (identical openings: at most 2 %),
  - the bassline's first 16 pitches (at most 2 %),
  - the beat layer's first 16 onset times in ticks (at most 2 %),
  - the key label (at most 25 %), the song form (part names: at most 50 %).
Indices where either side has fewer than 16 notes in a layer are not
counted for that layer. Prints one line per pair, then one line per
failure; exits 1 on any failure.
"""
import itertools
import json
import os
import sys

import mido

LIMITS = {"melody": 0.02, "bassline": 0.02, "beat": 0.02, "key": 0.25,
          "form": 0.50}


def opening(path, what):
    mid = mido.MidiFile(path)
    out = []
    for track in mid.tracks:
        t = 0
        for msg in track:
            t += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                out.append(msg.note if what == "pitch" else t)
                if len(out) == 16:
                    return tuple(out)
    return None


def load(d, count):
    rows = []
    for i in range(count):
        sd = os.path.join(d, "%06d" % i)
        with open(os.path.join(sd, "sample.json")) as f:
            j = json.load(f)
        rows.append({
            "key": j["key_label"],
            "form": tuple(p["part"] for p in j["song_arrangement"]),
            "melody": opening(os.path.join(sd, "midi/melody.mid"), "pitch"),
            "bassline": opening(os.path.join(sd, "midi/bassline.mid"),
                                "pitch"),
            "beat": opening(os.path.join(sd, "midi/beat.mid"), "tick"),
        })
    return rows


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    count = int(sys.argv[1])
    sets = {}
    for a in sys.argv[2:]:
        g, d = a.split("=", 1)
        sets[g] = load(d, count)
    bad = 0
    for a, b in itertools.combinations(sorted(sets), 2):
        same = {k: 0 for k in LIMITS}
        seen = {k: 0 for k in LIMITS}
        for ra, rb in zip(sets[a], sets[b]):
            for k in LIMITS:
                if ra[k] is None or rb[k] is None:
                    continue
                seen[k] += 1
                same[k] += ra[k] == rb[k]
        fr = {k: same[k] / seen[k] if seen[k] else 0 for k in LIMITS}
        print("%s vs %s: %s" % (a, b, " ".join(
            "%s %d/%d" % (k, same[k], seen[k]) for k in LIMITS)))
        for k in LIMITS:
            if fr[k] > LIMITS[k]:
                print("FAIL %s vs %s: same %s in %.0f%% of indices "
                      "(limit %.0f%%)" % (a, b, k, 100 * fr[k],
                                           100 * LIMITS[k]))
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
