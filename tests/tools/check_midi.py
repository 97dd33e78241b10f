#!/usr/bin/python3
"""check_midi — read musicgen MIDI files with a third-party reader (mido).

Usage: check_midi.py [FILE.mid | sample.json | SAMPLE_DIR] ...

A SAMPLE_DIR stands for SAMPLE_DIR/midi/*.mid and SAMPLE_DIR/sample.json.
Every MIDI file must load as a format-1 file, carry a tempo, keep its notes
on the right channels (a file named beat*.mid, or whose track is named
"beat", only on channel 10; the others never on channel 10), end every note
it starts, and all files given together must have the same length. With a
sample.json, the tempo must equal tempo_bpm (relative 1e-6; with a
tempo_map, the tempo events must be the map's and the first tempo_bpm) and the last
event must fall at duration_seconds (within 1 ms).

Prints one line per problem and exits 1 if there was any, 2 on bad usage,
0 otherwise. Run with /usr/bin/python3 (Debian's python3-mido).
"""
import glob
import json
import os
import sys

import mido

DRUM_CHANNEL = 9  # channel 10, counted from zero
TEMPO_RTOL = 1e-6
LENGTH_TOL = 1e-3


def expand(args):
    mids, sample = [], None
    for a in args:
        if os.path.isdir(a):
            mids += sorted(glob.glob(os.path.join(a, "midi", "*.mid")))
            sj = os.path.join(a, "sample.json")
            if os.path.exists(sj):
                sample = sj
        elif a.endswith(".json"):
            sample = a
        else:
            mids.append(a)
    return mids, sample


def is_drum_file(path, mid):
    if os.path.basename(path).startswith("beat"):
        return True
    for track in mid.tracks:
        for msg in track:
            if msg.type == "track_name" and msg.name == "beat":
                return True
    return False


def check_file(path, want, problems):
    """Returns the file's length in seconds, or None if it did not load."""
    def bad(text):
        problems.append("%s: %s" % (path, text))

    try:
        mid = mido.MidiFile(path)
    except Exception as e:  # any failure to parse is the finding
        bad("does not load: %s %s" % (type(e).__name__, e))
        return None
    if mid.type != 1:
        bad("format %d, want 1" % mid.type)

    tempos = [m.tempo for t in mid.tracks for m in t if m.type == "set_tempo"]
    if not tempos:
        bad("no tempo meta event")
    elif want.get("tempo_map") is not None:
        # a tempo map: the file's tempo events are the map, in order, and
        # the first is tempo_bpm
        got = [m.tempo for m in mid.tracks[0] if m.type == "set_tempo"]
        if got != [e["us_per_quarter"] for e in want["tempo_map"]]:
            bad("tempo events differ from sample.json's tempo_map")
        elif abs(mido.tempo2bpm(got[0]) - float(want["tempo_bpm"])) > \
                TEMPO_RTOL * float(want["tempo_bpm"]):
            bad("first tempo %.9g bpm, sample.json says %.9g" % (
                mido.tempo2bpm(got[0]), float(want["tempo_bpm"])))
    elif want.get("tempo_bpm") is not None:
        want_bpm = float(want["tempo_bpm"])
        for t in sorted(set(tempos)):
            bpm = mido.tempo2bpm(t)
            if abs(bpm - want_bpm) > TEMPO_RTOL * abs(want_bpm):
                bad("tempo %.9g bpm, sample.json says %.9g" % (bpm, want_bpm))

    drums = is_drum_file(path, mid)
    notes = 0
    sounding = {}
    for track in mid.tracks:
        for msg in track:
            if not hasattr(msg, "channel"):
                continue
            if drums and msg.channel != DRUM_CHANNEL:
                bad("drum event on channel %d, want 10: %s"
                    % (msg.channel + 1, msg))
                break
            if not drums and msg.channel == DRUM_CHANNEL:
                bad("pitched event on the drum channel 10: %s" % msg)
                break
            key = (msg.channel, getattr(msg, "note", None))
            if msg.type == "note_on" and msg.velocity > 0:
                notes += 1
                sounding[key] = sounding.get(key, 0) + 1
            elif msg.type == "note_off" or msg.type == "note_on":
                if sounding.get(key, 0) <= 0:
                    bad("note-off without a note-on: %s" % msg)
                    break
                sounding[key] -= 1
    hanging = sum(v for v in sounding.values() if v > 0)
    if hanging:
        bad("%d note(s) never released" % hanging)

    # mido's length is the time of the last event (end of track included),
    # following every tempo change: exactly what a player does.
    length = mid.length
    if want.get("duration_seconds") is not None:
        dur = float(want["duration_seconds"])
        if abs(length - dur) > LENGTH_TOL:
            bad("last event at %.6f s, sample.json duration_seconds %.6f"
                % (length, dur))
    return length


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    mids, sample = expand(argv)
    problems = []
    want = {}
    if sample:
        try:
            with open(sample) as f:
                want = json.load(f)
        except (OSError, ValueError) as e:
            problems.append("%s: unreadable: %s" % (sample, e))
        for k in ("tempo_bpm", "duration_seconds"):
            if k not in want:
                problems.append("%s: no %s" % (sample, k))
    if not mids:
        problems.append("no MIDI files given")
    lengths = {}
    for p in mids:
        n = check_file(p, want, problems)
        if n is not None:
            lengths[p] = n
    if lengths:
        lo = min(lengths.values())
        hi = max(lengths.values())
        if hi - lo > LENGTH_TOL:
            problems.append("files differ in length: %s" % ", ".join(
                "%s %.6f s" % (os.path.basename(p), n)
                for p, n in sorted(lengths.items())))
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
