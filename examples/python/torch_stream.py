#!/usr/bin/env python3
"""torch_stream — train-style loop over an on-the-fly dataset.

    PYTHONPATH=python python3 examples/python/torch_stream.py

Samples are rendered in memory by index inside the DataLoader's two
worker processes (forked after the dataset loaded its soundfonts, so they
share them; each takes the next index not yet taken);
two epochs see the same tensors. Nothing is written to disk.
"""
import torch
from torch.utils.data import DataLoader

from musicgen import Config
from musicgen.torch_dataset import MusicgenIterableDataset

short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
ds = MusicgenIterableDataset(
    global_seed=3, count=6, split=None,
    config=Config(measures_per_part_override=short, sample_rate=8000))
loader = DataLoader(ds, batch_size=None, num_workers=2, persistent_workers=True)
first = {}
for epoch in range(2):
    seen = []
    for mix, stems, ann in loader:
        i = ann["sample_index"]
        seen.append(i)
        if epoch == 0:
            first[i] = (mix, stems)
        else:
            assert torch.equal(first[i][0], mix) and torch.equal(first[i][1], stems)
        print("epoch %d index %d split %-5s mix %s stems %s %.0f BPM"
              % (epoch, i, ann["split"], tuple(mix.shape), tuple(stems.shape),
                 ann["tempo_bpm"]))
    assert sorted(seen) == list(range(6)), seen
print("each index once per epoch; epoch 2 == epoch 1")
