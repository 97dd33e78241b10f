"""torch_dataset — an on-the-fly PyTorch IterableDataset over libmusicgen.

    from musicgen.torch_dataset import MusicgenIterableDataset
    ds = MusicgenIterableDataset(global_seed=42, count=10000, split="train",
                                 config=Config(measures_per_part_override=...))
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=4)
    for mix, stems, annotations in loader: ...

Each item is rendered in memory (nothing is written to disk) from its
index, so it is the same every epoch and on every machine with the same
fingerprint:
  mix          float32 tensor (channels, frames), in [-1, 1)
  stems        float32 tensor (4, channels, frames): beat, melody,
               harmony, bassline (zeros where the output mode makes no
               stems: mix-only)
  annotations  dict: sample.json (key, tempo, beat_times, chords, ...)
               plus "sample_index" and, with with_midi, "midi" {layer: bytes}

Indices: start .. start + count - 1 (count None: unbounded), keeping only
those of `split` (a pure function of the seed, so no sample is rendered to
decide). Sharding: the kept indices are dealt round-robin to the
DataLoader's workers (torch.utils.data.get_worker_info) and, for
distributed training, to ranks first (rank, world_size): each index is
yielded by exactly one worker once per epoch. Each worker makes its own
engine (soundfonts loaded once per worker process) on first use. A sample
the quality gate rejects is skipped (its index yields nothing).
"""
import dataclasses
import itertools

import torch
from torch.utils.data import IterableDataset, get_worker_info

from . import _native
from .api import Engine, _np
from .config import Config, NativeConfig

LAYERS = _native.LAYERS


class MusicgenIterableDataset(IterableDataset):
    def __init__(self, global_seed, count=None, start=0, split=None,
                 config=None, rank=0, world_size=1, with_midi=False):
        super().__init__()
        if split not in (None, "train", "valid", "test"):
            raise ValueError("split: None, 'train', 'valid' or 'test', got %r"
                             % (split,))
        if count is not None and count < 0:
            raise ValueError("count: must be >= 0 or None (unbounded)")
        if not 0 <= rank < world_size:
            raise ValueError("rank: must be in [0, world_size)")
        self.config = dataclasses.replace(config or Config(),
                                          global_seed=int(global_seed),
                                          dataset_root=None)
        self.global_seed = int(global_seed)
        self.start = int(start)
        self.count = count
        self.split = split
        self.rank = rank
        self.world_size = world_size
        self.with_midi = with_midi
        self._engine = None
        self._native_cfg = None

    # -- indices ------------------------------------------------------------
    def _split_of(self, index):
        if self._native_cfg is None:
            self._native_cfg = NativeConfig(self.config, include_out=False)
        return _native.text(_native.lib().musicgen_split_of(
            self._native_cfg.handle, self.global_seed, index))

    def _all_indices(self):
        it = (itertools.count(self.start) if self.count is None
              else range(self.start, self.start + self.count))
        for i in it:
            if self.split is None or self._split_of(i) == self.split:
                yield i

    def indices(self, worker_id=0, num_workers=1):
        """The indices one worker yields, in order (generator)."""
        shards = self.world_size * num_workers
        shard = self.rank * num_workers + worker_id
        return itertools.islice(self._all_indices(), shard, None, shards)

    def __len__(self):
        if self.count is None:
            raise TypeError("an unbounded MusicgenIterableDataset has no len")
        return sum(1 for _ in itertools.islice(
            self._all_indices(), self.rank, None, self.world_size))

    # -- items --------------------------------------------------------------
    def item(self, index):
        """(mix, stems, annotations) of one index (None if the gate
        rejected it)."""
        if self._engine is None:
            self._engine = Engine(self.config)
        s = self._engine.generate(index, self.global_seed)
        if s.status != "ok":
            return None
        ann = s.annotation
        ann["sample_index"] = int(index)
        if self.with_midi:
            ann["midi"] = dict(s.midi)
        mix = s.audio("mix")
        if mix is None:
            raise ValueError("output_mode %r makes no mix; use full or "
                             "mix-only" % self.config.output_mode)
        mix_t = torch.from_numpy(_np.ascontiguousarray(mix.T))
        st = s.stems
        if st:
            stems_t = torch.stack([torch.from_numpy(
                _np.ascontiguousarray(st[l].T)) for l in LAYERS])
        else:
            stems_t = torch.zeros((len(LAYERS),) + tuple(mix_t.shape),
                                  dtype=mix_t.dtype)
        return mix_t, stems_t, ann

    def __iter__(self):
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        for i in self.indices(wid, nw):
            x = self.item(i)
            if x is not None:
                yield x

    def __getstate__(self):
        # workers get a copy without the parent's native objects
        d = dict(self.__dict__)
        d["_engine"] = None
        d["_native_cfg"] = None
        return d
