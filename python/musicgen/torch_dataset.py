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
yielded by exactly one worker once per epoch. A sample the quality gate
rejects is skipped (its index yields nothing).

Engine: made here, in the process that makes the dataset (preload=True,
the default), so DataLoader workers forked from it (Linux's default start
method) share its loaded soundfonts copy-on-write: no worker loads them
again, the fonts are in memory once, and the workers start at once.
Under the "spawn" or "forkserver" start methods (or preload=False) each
worker makes its own engine on first use. Audio goes from the library's
buffers into the tensors in one pass (no copy of the WAV bytes).
"""
import ctypes
import dataclasses
import itertools
import json
import sys

import torch
from torch.utils.data import IterableDataset, get_worker_info

from . import _native
from .api import Engine, _decode_pcm, _np
from .config import Config, NativeConfig

LAYERS = _native.LAYERS


class MusicgenIterableDataset(IterableDataset):
    def __init__(self, global_seed, count=None, start=0, split=None,
                 config=None, rank=0, world_size=1, with_midi=False,
                 preload=True):
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
        if preload:
            self._engine = Engine(self.config)

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
        return self._engine._generate_with(index, self.global_seed,
                                           self._take)

    def _take(self, L, p):
        """The item of library sample p (borrowed, read in place)."""
        if L.musicgen_sample_status(p) != 0:
            return None
        n = ctypes.c_size_t()
        j = L.musicgen_sample_json(p, ctypes.byref(n))
        ann = json.loads(ctypes.string_at(j, n.value).decode())
        ann["sample_index"] = int(L.musicgen_sample_index(p))
        if self.with_midi:
            midi = {}
            for t, name in enumerate(LAYERS):
                m = L.musicgen_sample_midi(p, t, ctypes.byref(n))
                if m:
                    midi[name] = ctypes.string_at(m, n.value)
            ann["midi"] = midi
        pcms = []
        for t in range(len(LAYERS) + 1):
            pcm = _native._Pcm()
            pcms.append(pcm if L.musicgen_sample_pcm(p, t, ctypes.byref(pcm))
                        == 0 else None)
        mixp = pcms[len(LAYERS)]
        if mixp is None:
            raise ValueError("output_mode %r makes no mix; use full or "
                             "mix-only" % self.config.output_mode)
        # in a DataLoader worker the tensors are made in shared memory, so
        # passing them to the main process moves a handle, not a copy
        shared = get_worker_info() is not None
        mix_t = _empty((mixp.channels, mixp.frames), shared)
        _pcm_array(mixp, mix_t.numpy())
        stp = pcms[:len(LAYERS)]
        if all(x is not None for x in stp):
            stems_t = _empty((len(LAYERS), stp[0].channels, stp[0].frames),
                             shared)
            st = stems_t.numpy()
            for l, x in enumerate(stp):
                _pcm_array(x, st[l])
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


_CTYPE = {_native.PCM16: ctypes.c_int16, _native.FLOAT32: ctypes.c_float}


def _pcm_array(pcm, out=None):
    """The samples of library PCM pcm (read in place) as float32 in
    [-1, 1), shape (channels, frames): into out when given (shape must
    match), else a new array. One pass: the int16 -> float conversion and
    the transpose write out directly (x / 32768 and x * 2**-15 are the same
    float, as in Sample.audio)."""
    shape = (pcm.channels, pcm.frames)
    if out is None:
        out = _np.empty(shape, dtype=_np.float32)
    elif out.shape != shape:
        raise ValueError("stems of unequal shapes: %s vs %s"
                         % (tuple(out.shape), shape))
    n = pcm.frames * pcm.channels
    ct = _CTYPE.get(pcm.format)
    if ct is None or sys.byteorder != "little" or n == 0:
        raw = ctypes.string_at(pcm.data, n * pcm.bytes_per_sample)
        out[...] = _decode_pcm(raw, pcm.format, pcm.channels, "float32").T
        return out
    x = _np.ctypeslib.as_array((ct * n).from_address(pcm.data))
    x = x.reshape(pcm.frames, pcm.channels).T
    if pcm.format == _native.PCM16:
        _np.multiply(x, _np.float32(1.0 / 32768.0), out=out)
    else:
        out[...] = x
    return out


def _empty(shape, shared):
    """An uninitialised float32 tensor of shape: in shared memory when
    shared (a DataLoader worker's item: torch sends shared storage to the
    main process as a handle, where a private one is first copied into
    shared memory), else ordinary."""
    if not shared:
        return torch.empty(shape, dtype=torch.float32)
    n = 1
    for d in shape:
        n *= d
    stride = []
    acc = 1
    for d in reversed(shape):
        stride.append(acc)
        acc *= d
    storage = torch.FloatStorage._new_shared(n)
    return torch.empty(0, dtype=torch.float32).set_(
        storage, 0, tuple(shape), tuple(reversed(stride)))
