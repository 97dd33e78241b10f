#!/usr/bin/env python3
"""in_memory — samples rendered in memory, as numpy arrays: no files.

    PYTHONPATH=python python3 examples/python/in_memory.py

One engine (soundfonts loaded once) makes three short samples; each gives
its mix and stems as float32 (frames, 2) arrays, its MIDI bytes and its
annotations (sample.json as a dict). The stems sum to the mix.
"""
import numpy as np

from musicgen import Config, Engine

short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
with Engine(Config(measures_per_part_override=short, sample_rate=22050)) as engine:
    for index in range(3):
        s = engine.generate(index, global_seed=7)
        mix, stems, ann = s.mix, s.stems, s.annotation
        err = np.abs(sum(stems.values()) - mix).max()
        print("sample %d: %s, %s %s, %.1f BPM, %.2f s, mix %s, "
              "|sum(stems) - mix| = %.1e, midi %s bytes"
              % (index, s.split, ann["key"], ann["mode"], ann["tempo_bpm"],
                 mix.shape[0] / s.sample_rate, mix.shape, err,
                 sum(len(m) for m in s.midi.values())))
        assert err < 1e-3, "stems must sum to the mix"
