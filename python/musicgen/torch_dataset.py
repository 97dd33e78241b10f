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
               plus "sample_index" and, with with_midi, "midi" {layer: bytes}.
               Its "checksums" list the MIDI files only: no WAV is encoded
               (with_checksums=True: the WAVs' SHA-256 too, as in the
               sample.json `musicgen generate` writes; slower)

Indices: start .. start + count - 1 (count None: unbounded), keeping only
those of `split` (a pure function of the seed, so no sample is rendered to
decide), dealt round-robin to distributed ranks first (rank, world_size).
Within a rank, the DataLoader's workers (torch.utils.data.get_worker_info)
share the rank's indices in the order order(num_workers): in windows of
`window` indices, each sorted longest planned song first (Plan: the
song's length from the parameter draw alone, microseconds; render time
grows with it), as `musicgen generate` hands out its tail; a DataLoader
takes one item from each worker in turn, so the workers should render
songs of about the same length side by side and end on the shortest.
  sharding="dynamic" (default): each worker takes the next position of
    that order not yet taken when it is ready for one (a counter in
    memory shared with the process that made the dataset, as `musicgen
    generate`'s workers take leases), and renders up to `readahead` items
    ahead of what the DataLoader asks of it: a worker is never idle while
    the others still have indices, and the epoch ends when the last
    (shortest) sample does. Which worker yields an index, and so the
    order of items, depends on timing.
  sharding="static": worker k of n takes positions k, k + n, ... of that
    order (indices(worker_id, num_workers)): a fixed order.
Either way each index is yielded by exactly one worker once per epoch.
Without workers (num_workers=0) items come in index order. Dynamic
sharding needs the workers forked from a process where the dataset
exists (Linux's default start method); under "spawn" or "forkserver" the
workers share nothing and deal statically. A sample the quality gate
rejects is skipped (its index yields nothing).

Engine: made here, in the process that makes the dataset (preload=True,
the default), so DataLoader workers forked from it share its loaded
soundfonts copy-on-write: no worker loads them again, the fonts are in
memory once, and the workers start at once. Under the "spawn" or
"forkserver" start methods (or preload=False) each worker makes its own
engine on first use.

Audio: the library writes each sample's float32 values (the WAV's
samples / 32768 for pcm16, / 8388608 for pcm24, the floats themselves
for float32) straight into the item's memory as it renders
(musicgen_generate_f32): no WAV bytes, no conversion or copy in Python.
In a DataLoader worker that memory is one fresh shared-memory file
(memfd) holding stems and mix, which the library fills with pwrite (the
worker maps none of it: a fresh mapped page costs far more than the
kernel's copy on a virtual machine; musicgen_generate_f32_fd), sent to
the main process as one file descriptor, not a copy; the main process
gets plain tensors (views of that one storage) in a list.
"""
import ctypes
import dataclasses
import itertools
import json
import mmap
import multiprocessing
import os
import queue
import threading

import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from . import _native
from . import dataset as _disk
from .api import Engine, Plan
from .config import Config, NativeConfig

LAYERS = _native.LAYERS
SHARDING = ("dynamic", "static")


class MusicgenIterableDataset(IterableDataset):
    def __init__(self, global_seed, count=None, start=0, split=None,
                 config=None, rank=0, world_size=1, with_midi=False,
                 preload=True, sharding="dynamic", readahead=2,
                 with_checksums=False, window=64):
        super().__init__()
        if split not in (None, "train", "valid", "test"):
            raise ValueError("split: None, 'train', 'valid' or 'test', got %r"
                             % (split,))
        if count is not None:
            count = _native.whole(count, "count")
            if count < 0:
                raise ValueError("count: must be >= 0 or None (unbounded)")
        if not 0 <= rank < world_size:
            raise ValueError("rank: must be in [0, world_size)")
        if sharding not in SHARDING:
            raise ValueError("sharding: 'dynamic' or 'static', got %r"
                             % (sharding,))
        if int(readahead) < 1:
            raise ValueError("readahead: must be >= 1, got %r" % (readahead,))
        if int(window) < 1:
            raise ValueError("window: must be >= 1, got %r" % (window,))
        global_seed = _native.seed_arg(global_seed)
        self.config = dataclasses.replace(config or Config(),
                                          global_seed=global_seed,
                                          dataset_root=None)
        self.global_seed = global_seed
        self.start = _native.index_arg(start, "start")
        if count:   # the last index too (rendering it would fail)
            _native.index_arg(self.start + count - 1, "start + count - 1")
        self.count = count
        self.split = split
        self.rank = rank
        self.world_size = world_size
        self.with_midi = with_midi
        self.with_checksums = bool(with_checksums)
        self.sharding = sharding
        self.readahead = int(readahead)
        self.window = int(window)
        self._engine = None
        self._native_cfg = None
        self._plan = None
        self._local()
        if preload:
            self._engine = Engine(self.config)
            self._plan = Plan(self.config)

    def _local(self):
        """The per-process parts: the claims shared with forked children,
        the iterations begun here, the engine's lock (one render at a
        time: an engine serves one thread at a time)."""
        self._claims = _Claims.new() if self.sharding == "dynamic" else None
        self._iters = 0
        self._render_lock = threading.Lock()
        self._plan_lock = threading.Lock()

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

    def _rank_indices(self):
        return itertools.islice(self._all_indices(), self.rank, None,
                                self.world_size)

    def _windows(self):
        """The rank's indices in windows of `window`, each sorted longest
        planned song first (ties: the lower index first)."""
        it = self._rank_indices()
        while True:
            w = list(itertools.islice(it, self.window))
            if not w:
                return
            with self._plan_lock:
                if self._plan is None:
                    self._plan = Plan(self.config)
                secs = [self._plan.seconds(i) for i in w]
            yield [i for _, i in sorted(zip(secs, w),
                                        key=lambda t: (-t[0], t[1]))]

    def order(self, num_workers=1):
        """The rank's indices in the order its num_workers workers share
        them (generator): index order for one worker (or window=1), else
        each window of `window` indices longest planned song first."""
        if num_workers < 2 or self.window < 2:
            return self._rank_indices()
        return itertools.chain.from_iterable(self._windows())

    def indices(self, worker_id=0, num_workers=1):
        """The indices worker worker_id of num_workers yields under
        sharding="static", in order (generator): positions worker_id,
        worker_id + num_workers, ... of order(num_workers), so the k-th
        items of the workers, which a DataLoader takes in turn, are of
        about the same length; under "dynamic" the workers take the
        positions of order(num_workers) as they become free."""
        return itertools.islice(self.order(num_workers), worker_id, None,
                                num_workers)

    def __len__(self):
        if self.count is None:
            raise TypeError("an unbounded MusicgenIterableDataset has no len")
        return sum(1 for _ in self._rank_indices())

    # -- items --------------------------------------------------------------
    def item(self, index):
        """(mix, stems, annotations) of one index (None if the gate
        rejected it). In a DataLoader worker the tensors are in shared
        memory (one storage)."""
        with self._render_lock:
            if self._engine is None:
                self._engine = Engine(self.config)
            return self._render(index)

    def _render(self, index):
        if self.config.output_mode not in ("full", "mix-only"):
            raise ValueError("output_mode %r makes no mix; use full or "
                             "mix-only" % self.config.output_mode)
        L = _native.lib()
        mem = _TrackMemory(get_worker_info() is not None)
        p = ctypes.c_void_p()
        flags = 0 if self.with_checksums else _native.NO_WAV_CHECKSUMS
        e, seed = self._engine._p, self.global_seed
        try:
            rc = (L.musicgen_generate_f32_fd(e, seed, int(index), mem.fd,
                                             flags, ctypes.byref(p))
                  if mem.fd >= 0 else
                  L.musicgen_generate_f32(e, seed, int(index), mem.callback,
                                          None, flags, ctypes.byref(p)))
            if rc:
                if mem.exc is not None:
                    raise mem.exc
                raise _native.MusicgenError(_native.text(
                    L.musicgen_engine_error(e)))
            if L.musicgen_sample_status(p.value) != 0:
                return None
            ann = self._annotations(L, p.value)
            mix, stems = mem.tensors(
                (ann["audio_channels"], ann["audio_frames"]),
                self.config.output_mode == "full")
            return mix, stems, ann
        finally:
            mem.close()
            L.musicgen_sample_destroy(ctypes.byref(p))

    def _annotations(self, L, p):
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
        return ann

    # -- iteration ----------------------------------------------------------
    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return self._static(0, 1)
        self._iters += 1
        c = self._claims
        if (c is None or info.num_workers < 2 or not c.inherited()
                or info.num_workers > _Claims.MAXW):
            return self._static(info.id, info.num_workers)
        # the workers of one DataLoader iterator share its base seed
        # (seed - id) and have begun as many iterations each
        ticket = c.join((info.seed - info.id, self._iters, info.num_workers,
                         self.rank, self.world_size), info.id)
        return _Readahead(self, ticket, info.num_workers)

    def _static(self, worker_id, num_workers):
        shared = get_worker_info() is not None
        for i in self.indices(worker_id, num_workers):
            x = self.item(i)
            if x is not None:
                yield _SharedItem(x) if shared else x

    def __getstate__(self):
        # workers get a copy without the parent's native objects; a
        # spawned worker shares no claims with its siblings (static)
        d = dict(self.__dict__)
        for k in ("_engine", "_native_cfg", "_plan", "_claims",
                  "_render_lock", "_plan_lock"):
            d[k] = None
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._local()


class MusicgenDiskDataset(Dataset):
    """A map-style PyTorch dataset over a dataset tree on disk (what
    `musicgen generate` or a cluster run wrote): item k is the k-th
    complete sample in index order, after the filters (musicgen.dataset.
    Dataset: split, min_score, genre; its `indices` say which), as

      mix          float32 tensor (channels, frames), in [-1, 1): the WAV's
                   integers / 32768 (pcm16), / 8388608 (pcm24), float32
                   WAVs as stored, the same values MusicgenIterableDataset
                   renders for that sample
      stems        float32 tensor (4, channels, frames): beat, melody,
                   harmony, bassline (zeros where the sample has no stem)
      annotations  sample.json as a dict (sample_index, key, tempo_bpm,
                   beat_times, chords, ...); with with_midi, "midi":
                   {layer: bytes}

    Every output mode reads: a mix-only sample's stems are zeros, a
    stems-only sample's mix is None (its stems are read), and a midi-only
    sample (no audio) needs audio=False, which gives mix and stems None
    and opens no WAV (an error naming the mode otherwise); with
    stems=False, stems is None and only the mix is read (a fifth of the
    reading; an error for a stems-only sample). Nothing is loaded before it
    is asked for, and the dataset pickles as the list of sample directories, so
    DataLoader workers (any start method) share the indexing, not the
    data; shuffle and samplers work as on any map-style dataset."""

    def __init__(self, root, split=None, min_score=None, genre=None,
                 audio=True, with_midi=False, stems=True):
        super().__init__()
        self.tree = _disk.Dataset(root, split=split, min_score=min_score, genre=genre)
        self.audio = bool(audio)
        self.stems = bool(stems)
        self.with_midi = bool(with_midi)
        self.indices = self.tree.indices

    def __len__(self):
        return len(self.tree)

    def __getitem__(self, k):
        s = self.tree[k]
        ann = s.annotation
        if self.with_midi:
            ann["midi"] = {l: m for l in LAYERS
                           for m in (s.midi(l),) if m is not None}
        if not self.audio:
            return None, None, ann
        path = s.path("mix")
        stem_paths = [s.path(layer) for layer in LAYERS]
        if path is None and (not self.stems or not any(stem_paths)):
            # what the output mode made: say which, and what reads it
            mode = ann.get("output_mode") or (
                "stems-only" if any(stem_paths) else "midi-only")
            raise _disk.DatasetError(
                "%s: a %s sample has no mix%s" % (s.dir, mode,
                    "; stems=False reads the mix alone: keep stems (the "
                    "item's mix is then None) or audio=False"
                    if any(stem_paths) else
                    " and no stems; audio=False reads its annotations "
                    "(and with_midi its MIDI)"))
        if path is not None:
            mix = torch.from_numpy(
                _disk.read_wav(path, channels_first=True)[0])
            if not self.stems:
                return mix, None, ann
            shape = tuple(mix.shape)
        else:
            # stems-only: the mix is None, the stems' shape the first's
            mix = None
            tag, bits, chans, rate, off, size = _disk.wav_info(
                next(p for p in stem_paths if p))
            shape = (chans, size // (chans * bits // 8))
        # each stem decoded straight into its place (same shape as the mix)
        stems = torch.empty((len(LAYERS),) + shape, dtype=torch.float32)
        for i, path in enumerate(stem_paths):
            if path is None:
                stems[i].zero_()
            else:
                _disk.read_wav(path, channels_first=True,
                               out=stems[i].numpy())
        return mix, stems, ann


# ---- dynamic sharding -------------------------------------------------------

class _Slot(ctypes.Structure):
    _fields_ = [("gen", ctypes.c_int64),
                ("key", ctypes.c_int64 * 5),
                ("next", ctypes.c_int64),
                ("joined", ctypes.c_uint8 * 128)]


class _Table(ctypes.Structure):
    _fields_ = [("gens", ctypes.c_int64),
                ("slots", _Slot * 4)]


class _Claims:
    """The index counters the workers of one DataLoader iterator share:
    a table in anonymous shared memory (inherited by forked children)
    under a process-shared lock. One slot per iteration (an epoch of one
    DataLoader iterator), found by its key (the iterator's base seed, the
    iterations each worker has begun, the number of workers, rank and
    world size): the first worker to begin an iteration takes the oldest
    slot and resets its counter, the others join it (a worker id joins a
    slot once: a second iteration with an equal key gets a new slot).
    Four iterations may run at once."""
    MAXW = 8 * 128

    def __init__(self):
        self._mm = mmap.mmap(-1, ctypes.sizeof(_Table))
        self._t = _Table.from_buffer(self._mm)
        self._lock = multiprocessing.get_context("fork").Lock()
        self._pid = os.getpid()

    @classmethod
    def new(cls):
        try:
            return cls()
        except (OSError, ValueError, ImportError):
            return None     # no shared memory or fork here: static

    def inherited(self):
        """True in a process forked from the one that made the table."""
        return self._pid != os.getpid()

    def join(self, key, worker_id):
        """A ticket (slot, generation) of the iteration `key` for
        worker_id."""
        byte, bit = divmod(worker_id, 8)
        key = tuple(ctypes.c_int64(v).value for v in key)
        with self._lock:
            t = self._t
            best = None
            for k, s in enumerate(t.slots):
                if (s.gen and tuple(s.key) == key
                        and not s.joined[byte] & (1 << bit)
                        and (best is None or s.gen > t.slots[best].gen)):
                    best = k
            if best is None:
                best = min(range(len(t.slots)), key=lambda k: t.slots[k].gen)
                s = t.slots[best]
                t.gens += 1
                s.gen = t.gens
                s.key[:] = key
                s.next = 0
                ctypes.memset(s.joined, 0, len(s.joined))
            s = t.slots[best]
            s.joined[byte] |= 1 << bit
            return best, s.gen

    def claim(self, ticket):
        """The next position of the iteration's index sequence."""
        k, gen = ticket
        with self._lock:
            s = self._t.slots[k]
            if s.gen != gen:
                raise RuntimeError(
                    "MusicgenIterableDataset: more than %d DataLoader "
                    "iterations over one dataset at once"
                    % len(self._t.slots))
            c = s.next
            s.next += 1
            return c


_END = object()


class _Failure:
    def __init__(self, exc):
        self.exc = exc


class _Readahead:
    """A worker's items under dynamic sharding: a thread claims the next
    position of the rank's index sequence, renders it and queues it, at
    most `readahead` items ahead of what the DataLoader has taken."""

    def __init__(self, ds, ticket, num_workers):
        self._q = queue.Queue()
        self._room = threading.Semaphore(ds.readahead)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(
            target=self._run, args=(ds, ticket, num_workers, self._q,
                                    self._room, self._stop),
            name="musicgen-readahead", daemon=True)
        self._thread.start()

    @staticmethod
    def _run(ds, ticket, num_workers, q, room, stop):
        try:
            seq = ds.order(num_workers)
            pos = -1
            while True:
                while not room.acquire(timeout=0.2):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                c = ds._claims.claim(ticket)
                i = next(itertools.islice(seq, c - pos - 1, None), None)
                pos = c
                if i is None:
                    q.put(_END)
                    return
                x = ds.item(i)
                q.put(None if x is None else _SharedItem(x))
        except BaseException as e:   # the consumer raises it
            q.put(_Failure(e))

    def __iter__(self):
        return self

    def __next__(self):
        while not self._done:
            x = self._q.get()
            if x is _END:
                self._done = True
                break
            if isinstance(x, _Failure):
                self._done = True
                raise x.exc
            self._room.release()
            if x is not None:
                return x
        raise StopIteration

    def close(self):
        self._stop.set()

    def __del__(self):
        self._stop.set()


# ---- tensors ----------------------------------------------------------------

_F32 = 4


def _fd_sharing():
    return (hasattr(os, "memfd_create")
            and hasattr(torch.UntypedStorage, "_new_shared_fd_cpu")
            and torch.multiprocessing.get_sharing_strategy()
            == "file_descriptor")


class _TrackMemory:
    """Where one item's five float32 tracks (stems in layer order, then
    the mix, each (channels, frames)) go. In a DataLoader worker: a new
    memfd the library writes with pwrite (musicgen_generate_f32_fd: this
    process maps none of it - on a virtual machine, writing through a
    fresh mapping costs several times the kernel's copy), then handed to
    torch as shared storage, which sends it to the main process as one
    descriptor; or, where descriptors are not how torch shares, torch's
    shared memory. In the process that iterates: private memory. Those
    two are made when the library asks (musicgen_generate_f32's alloc,
    once per attempt that renders)."""

    def __init__(self, shared):
        self.exc = None
        self.storage = None         # the tracks' UntypedStorage
        self.fd = -1
        self.callback = None
        if shared and _fd_sharing():
            self.fd = os.memfd_create("musicgen-item", os.MFD_CLOEXEC)
        else:
            self._shared = shared
            self.callback = _native.F32_FN(self._alloc)

    def _alloc(self, _user, frames, channels):
        try:
            n = (len(LAYERS) + 1) * channels * frames * _F32
            self.storage = (torch.UntypedStorage._new_shared(n)
                            if self._shared else torch.UntypedStorage(n))
            return self.storage.data_ptr()
        except BaseException as e:      # raised by the caller
            self.exc = e
            self.storage = None
            return None

    def tensors(self, shape, has_stems):
        """(mix, stems) of shape (channels, frames) over the storage
        (stems zeros if not has_stems)."""
        if self.fd >= 0:
            self.storage = torch.UntypedStorage._new_shared_fd_cpu(
                self.fd, (len(LAYERS) + 1) * _F32 * shape[0] * shape[1])
        mix, stems = _views(self.storage, shape)
        if not has_stems and self.fd < 0:
            stems.zero_()           # the memfd reads zeros there already
        return mix, stems

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _views(storage, shape):
    """(mix, stems) float32 tensors over one storage of five tracks."""
    ch, frames = shape
    ts = torch.TypedStorage(wrap_storage=storage, dtype=torch.float32)
    stems = torch.empty(0, dtype=torch.float32).set_(
        ts, 0, (len(LAYERS), ch, frames), (ch * frames, frames, 1))
    mix = torch.empty(0, dtype=torch.float32).set_(
        ts, len(LAYERS) * ch * frames, (ch, frames), (frames, 1))
    return mix, stems


def _storage_of(t):
    f = getattr(t, "untyped_storage", None)
    return f() if f is not None else t.storage()._storage


class _SharedItem(list):
    """[mix, stems, annotations] as a DataLoader worker sends it: pickled
    as the one storage both tensors view (one descriptor to pass), and
    rebuilt in the main process as a plain list of the same views. Any
    other content (a collated batch: batch_size set) pickles as a list."""

    def __reduce__(self):
        if len(self) == 3:
            mix, stems, ann = self
            if (isinstance(mix, torch.Tensor) and isinstance(stems, torch.Tensor)
                    and mix.dtype == stems.dtype == torch.float32
                    and stems.dim() == 3 and stems.shape[0] == len(LAYERS)
                    and tuple(mix.shape) == tuple(stems.shape[1:])
                    and stems.is_contiguous() and mix.is_contiguous()
                    and stems.storage_offset() == 0
                    and mix.storage_offset() == stems.numel()):
                st = _storage_of(stems)
                if (st.data_ptr() == _storage_of(mix).data_ptr()
                        and st.nbytes() == _F32 * (stems.numel() + mix.numel())):
                    return (_rebuild_item, (st, tuple(mix.shape), ann))
        return (list, (list(self),))


def _rebuild_item(storage, shape, ann):
    mix, stems = _views(storage, shape)
    return [mix, stems, ann]
