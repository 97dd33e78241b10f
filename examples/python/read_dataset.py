#!/usr/bin/env python3
"""read_dataset — a dataset tree on disk, in Python and in PyTorch.

    ./build/musicgen generate --seed 42 --count 20 --out ./ds
    PYTHONPATH=python python3 examples/python/read_dataset.py ./ds

Lists what the tree holds by split, shows one sample's annotation, then
reads the training split through a shuffled DataLoader with two workers,
cropping each item to its first four seconds so a batch stacks.
"""
import sys

import torch
from torch.utils.data import DataLoader

from musicgen.dataset import Dataset
from musicgen.torch_dataset import MusicgenDiskDataset

root = sys.argv[1] if len(sys.argv) > 1 else "./ds"
ds = Dataset(root)
print(ds)
for split in ("train", "valid", "test"):
    print("  %-5s %d" % (split, len(Dataset(root, split=split))))
s = ds[0]
a = s.annotation
print("sample %d: %s %s, %s BPM, %s, %d chords, %d beats" % (
    s.index, a["key"], a["mode"], a["tempo_bpm"], a["time_signature"],
    len(a["chords"]), len(a["beat_times"])))

train = MusicgenDiskDataset(root, split="train")


def crop(items, seconds=4.0):
    rate = items[0][2]["sample_rate"]
    n = int(seconds * rate)
    mix = torch.stack([torch.nn.functional.pad(m[:, :n], (0, max(0, n - m.shape[1])))
                       for m, _, _ in items])
    return mix, [ann["sample_index"] for _, _, ann in items]


seen = []
for mix, indices in DataLoader(train, batch_size=4, shuffle=True,
                               num_workers=2, collate_fn=crop):
    print("batch", tuple(mix.shape), indices)
    seen += indices
assert sorted(seen) == train.indices
print("read %d training samples" % len(seen))
