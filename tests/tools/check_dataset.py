#!/usr/bin/python3
"""check_dataset — independent checks of a generated dataset.

Usage: check_dataset.py ROOT --global-seed S --count N [--start I]
         [--split 0.8,0.1,0.1] [--shard-width W] [--spec SPEC.json]
         [--mode midi-only|full|mix-only|stems-only] [--no-midi-check]

Checks, written apart from the engine so they can disagree with it:
  - manifest.jsonl has exactly one row per index in [start, start+count);
  - every ok row's directory holds sample.json valid against
    schema/sample.schema.json, and the files it lists, with their checksums;
  - seed and split equal the documented formula (SHA-256 over
    "<global_seed>:<index>", and "split:<seed>");
  - beat_times and downbeat_times strictly increase, start at 0, cover the
    song (last beat within one bar of the end), downbeats are beats;
  - song_arrangement is contiguous and ends at duration_seconds;
  - every chord label parses as Harte syntax and matches its root;
  - with --spec (genre_dump output): tempo and swing inside the bounds,
    time signatures only with weight > 0, chord types inside the filter;
  - each MIDI loads in mido (check_midi.py) with tempo == tempo_bpm.
Prints one line per problem (at most 50) and exits 1 if any.
"""
import argparse
import hashlib
import json
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import check_midi  # noqa: E402

HARTE = re.compile(
    r"^(N|(?P<root>[A-G](#|b)*):(?P<short>maj|min|dim|aug|maj7|min7|7|dim7|"
    r"hdim7|minmaj7|maj6|min6|9|maj9|min9|sus2|sus4)?"
    r"(\((?P<list>\*?(b|#)*\d+(,\*?(b|#)*\d+)*)\))?"
    r"(/(?P<bass>(b|#)*\d+))?)$")


def sample_seed(g, i):
    return int.from_bytes(hashlib.sha256(("%d:%d" % (g, i)).encode())
                          .digest()[:8], "big")


def split_of(seed, r):
    v = int.from_bytes(hashlib.sha256(("split:%d" % seed).encode())
                       .digest()[:4], "big") % 10000 / 100
    if v < r[0] * 100:
        return "train"
    if v < (r[0] + r[1]) * 100:
        return "valid"
    return "test"


def relpath(i, w):
    s = "%06d" % i
    return s if w == 0 else "%s/%s" % (s[:w], s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--global-seed", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--split", default="0.8,0.1,0.1")
    ap.add_argument("--shard-width", type=int, default=0)
    ap.add_argument("--spec")
    ap.add_argument("--mode", default="midi-only")
    ap.add_argument("--no-midi-check", action="store_true")
    a = ap.parse_args()
    ratios = [float(x) for x in a.split.split(",")]
    spec = json.load(open(a.spec)) if a.spec else None
    schema = json.load(open(os.path.join(SRC, "schema",
                                         "sample.schema.json")))
    validator = jsonschema.Draft7Validator(schema)
    problems = []

    def bad(msg):
        problems.append(msg)

    rows = {}
    try:
        with open(os.path.join(a.root, "manifest.jsonl")) as f:
            for n, line in enumerate(f, 1):
                r = json.loads(line)
                idx = r["sample_index"]
                if idx in rows:
                    bad("manifest line %d: index %d appears twice" % (n, idx))
                rows[idx] = r
    except (OSError, ValueError) as e:
        bad("manifest.jsonl: %s" % e)
    want = set(range(a.start, a.start + a.count))
    if set(rows) != want:
        bad("manifest indices: missing %s, extra %s" % (
            sorted(want - set(rows))[:5], sorted(set(rows) - want)[:5]))

    for idx in sorted(want & set(rows)):
        r = rows[idx]
        seed = sample_seed(a.global_seed, idx)
        if r["seed"] != seed:
            bad("%d: manifest seed %s != formula %d" % (idx, r["seed"], seed))
        if r["split"] != split_of(seed, ratios):
            bad("%d: manifest split %s != formula" % (idx, r["split"]))
        if r["path"] != relpath(idx, a.shard_width):
            bad("%d: path %s, want %s" % (idx, r["path"],
                                         relpath(idx, a.shard_width)))
        for k in ("status", "musicality_score", "duration_seconds",
                  "attempt", "wrote_at"):
            if k not in r:
                bad("%d: manifest row lacks %s" % (idx, k))
        if r.get("status") != "ok":
            continue
        d = os.path.join(a.root, r["path"])
        try:
            s = json.load(open(os.path.join(d, "sample.json")))
        except (OSError, ValueError) as e:
            bad("%d: sample.json: %s" % (idx, e))
            continue
        for e in validator.iter_errors(s):
            bad("%d: schema: %s at %s" % (idx, e.message,
                                          "/".join(map(str, e.path))))
            break
        if s.get("seed") != seed or s.get("sample_index") != idx:
            bad("%d: sample.json seed/index wrong" % idx)
        if s.get("split") != r["split"]:
            bad("%d: split differs between manifest and sample.json" % idx)
        if abs(s.get("musicality_score", -1) - r["musicality_score"]) > 1e-9:
            bad("%d: score differs between manifest and sample.json" % idx)
        for rel, digest in s.get("checksums", {}).items():
            p = os.path.join(d, rel)
            try:
                h = hashlib.sha256(open(p, "rb").read()).hexdigest()
            except OSError as e:
                bad("%d: %s: %s" % (idx, rel, e))
                continue
            if h != digest:
                bad("%d: %s checksum mismatch" % (idx, rel))
        dur = s["duration_seconds"]
        beats, downs = s["beat_times"], s["downbeat_times"]
        if beats[0] != 0 or any(b2 <= b1 for b1, b2 in zip(beats, beats[1:])):
            bad("%d: beat_times not strictly increasing from 0" % idx)
        if beats[-1] >= dur:
            bad("%d: a beat at or after the end" % idx)
        if dur - beats[-1] > 4 * 60.0 / s["tempo_bpm"] * 1.5 + 1e-6:
            bad("%d: beats stop %.3fs before the end" % (idx, dur - beats[-1]))
        if not set(downs) <= set(beats):
            bad("%d: a downbeat that is not a beat" % idx)
        if len(s["beat_positions"]) != len(beats):
            bad("%d: beat_positions length" % idx)
        # The x/8 metres are played straight: the swing recorded (song and
        # part) is 0.5 there and the drawn swing elsewhere.
        comp = ("6/8", "12/8", "7/8")
        want = 0.5 if s["time_signature"] in comp else s["swing_drawn"]
        if s["swing"] != want:
            bad("%d: swing %r, expected %r" % (idx, s["swing"], want))
        for p in s["song_arrangement"]:
            want = 0.5 if p["time_signature"] in comp else s["swing_drawn"]
            if p["swing"] != want:
                bad("%d: part swing %r, expected %r" % (idx, p["swing"], want))
        # Beat grids: felt and denominator beats start at 0, strictly
        # increase, and contain every bar's first beat.
        for k in ("felt_beat_times", "denominator_beat_times"):
            g = s[k]
            if g[0] != 0 or any(b2 <= b1 for b1, b2 in zip(g, g[1:])):
                bad("%d: %s not strictly increasing from 0" % (idx, k))
            if not set(downs) <= set(g):
                bad("%d: a downbeat missing from %s" % (idx, k))
        arr = s["song_arrangement"]
        t = 0.0
        for p in arr:
            if abs(p["start_seconds"] - t) > 1e-6 or \
                    p["end_seconds"] <= p["start_seconds"]:
                bad("%d: arrangement not contiguous at %s" % (idx, p["part"]))
            t = p["end_seconds"]
        if abs(t - dur) > 1e-6:
            bad("%d: arrangement ends at %f, duration %f" % (idx, t, dur))
        for c in s["chords"]:
            m = HARTE.match(c["harte"])
            if not m or m.group("root") != c["root"]:
                bad("%d: bad Harte label %r" % (idx, c["harte"]))
        if spec:
            if not (spec["tempo_min"] - 1e-6 <= s["tempo_bpm"]
                    <= spec["tempo_max"] + 1e-6):
                bad("%d: tempo %.3f outside [%g, %g]" % (
                    idx, s["tempo_bpm"], spec["tempo_min"], spec["tempo_max"]))
            if not (spec["swing_min"] - 1e-4 <= s["swing_drawn"]
                    <= spec["swing_max"] + 1e-4):
                bad("%d: swing %.4f outside bounds" % (idx, s["swing_drawn"]))
            for ts in s["time_signatures_per_part"]:
                if spec["ts_weight"].get(ts, 0) <= 0:
                    bad("%d: time signature %s has weight 0" % (idx, ts))
            for c in s["chords"]:
                if c["quality"] not in spec["chord_allowed"]:
                    bad("%d: chord type %s outside the filter" % (
                        idx, c["quality"]))
            if "%s%s" % (s["key"], "m" if s["mode"] == "minor" else "") \
                    not in spec["keys"]:
                bad("%d: key %s %s has weight 0" % (idx, s["key"], s["mode"]))
        if not a.no_midi_check:
            mp = []
            mids, _ = check_midi.expand([d])
            if len(mids) != 4:
                mp.append("%d MIDI files, want 4" % len(mids))
            for m in mids:
                check_midi.check_file(m, s, mp)
            problems.extend("%d: %s" % (idx, x) for x in mp)
        if len(problems) > 50:
            break

    for p in problems[:50]:
        print(p)
    if problems:
        print("%d problem(s)" % len(problems))
        return 1
    print("dataset ok: %d rows" % len(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
