"""dataset — read a dataset tree that `musicgen generate` (or a cluster run)
wrote: its complete samples in index order, their annotations, audio and
MIDI, without the C library (standard library; numpy for audio arrays).

    from musicgen.dataset import Dataset
    ds = Dataset("./ds", split="train", min_score=0.8)
    len(ds), ds.indices[:5]
    s = ds[0]                       # or ds.by_index(42)
    s.annotation["key"], s.annotation["beat_times"][:4]
    mix = s.audio("mix")            # (frames, channels) float32 in [-1, 1)
    midi = s.midi("melody")         # the bytes of midi/melody.mid

Which samples: those `musicgen export` writes rows for. The layout (flat
<root>/000042/ or sharded <root>/000/000042/) is detected; a sample is an
index directory holding sample.json (the engine publishes one by a rename
with sample.json already in it), so a half-written one (".tmp-*", or an
index directory without sample.json) never is; those are counted in
`partial`, and manifest.jsonl's failed rows in `failed`; its lines that
are no row (torn, hand-edited) are left aside, as export does, and listed
in `bad_rows`. A run still going, or static slices not merged yet, can be
read the same way.

Filters: split and min_score come from the sample's manifest row when it
has one (the last for its index; `score` keeps them true), so no file is
opened; genre, and samples without a row, read sample.json once, when the
Dataset is made. sample.json is otherwise read when first asked for; one
that does not parse raises DatasetError naming it (`export` leaves such a
sample out and counts it; `musicgen verify` names them all beforehand).

The PyTorch map-style dataset over it is musicgen.torch_dataset.
MusicgenDiskDataset.
"""
import bisect
import fcntl
import json
import os
import re
import stat
import struct
import time

try:
    import numpy as _np
except ImportError:
    _np = None

from ._native import LAYERS   # ctypes only: no library is loaded

SPLITS = ("train", "valid", "test")

# an index name as the engine writes it: 6 digits, or more without a
# leading zero (so "0000042" is not a second name for 42)
_INDEX = re.compile(r"([0-9]{6}|[1-9][0-9]{6,19})\Z")
_SHARD = re.compile(r"[0-9]{1,5}\Z")


class DatasetError(ValueError):
    """A dataset, a sample or one of its files that cannot be read as
    such; the message names it."""


def _unique_keys(pairs):
    """An object of sample.json, refused when a name is in it twice (a hand
    edit: musicgen writes none): json keeps the last silently, and export
    and the commands leave such a sample out as invalid, as verify names
    it."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise ValueError("key %r appears twice in one object" % k)
            seen.add(k)
    return d


def _names(v, what):
    if v is None:
        return None
    # a string is a name or, as on the command line, names separated
    # by commas ("jazz, latin" was one name no sample has)
    names = (tuple(n.strip() for n in v.split(",")) if isinstance(v, str)
             else tuple(v))
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ValueError("%s: need a name or a list of names, got %r"
                         % (what, v))
    return frozenset(names)


def _open_regular(path, encoding=None):
    """path opened for reading if it is a regular file, else DatasetError:
    a FIFO or a device in a damaged tree must not block a reader for ever
    (opened with O_NONBLOCK, then checked), as the C readers refuse it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise DatasetError("%s: %s" % (path, e.strerror)) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DatasetError("%s: not a regular file" % path)
    os.set_blocking(fd, True)
    if encoding:
        return os.fdopen(fd, "r", encoding=encoding)
    return os.fdopen(fd, "rb")


def _has_state(d):
    return (os.path.isfile(os.path.join(d, "manifest.jsonl")) or
            os.path.isdir(os.path.join(d, ".musicgen")))


def _dataset_root(root):
    """Refuse a directory that holds no dataset (no manifest.jsonl, no
    .musicgen/, no sample or shard directory), naming the subdirectories
    that do, as the C commands do (cli/dsargs.c)."""
    if _has_state(root):
        return
    found = []
    with os.scandir(root) as it:
        for e in it:
            if e.name.isdigit() and e.name.isascii() or \
                    e.name.startswith(".tmp-"):
                return
            if not e.name.startswith(".") and e.is_dir() and \
                    _has_state(e.path):
                found.append(e.name)
    found.sort()
    sep = "" if root.endswith("/") else "/"
    msg = ("%s holds no musicgen dataset (no manifest.jsonl, no sample "
           "directories)" % root)
    if found:
        msg += "; " + ", ".join(root + sep + n for n in found[:3])
        if len(found) > 3:
            msg += " and %d more" % (len(found) - 3)
        msg += " do" if len(found) > 1 else " does"
    raise DatasetError(msg)


class Dataset:
    """The complete samples of the dataset at root, in index order,
    filtered. Sequence of DiskSample: len(), [i], iteration; indices is
    the list of their sample indices. Picklable (a DataLoader worker gets
    the list, not the files)."""

    def __init__(self, root, split=None, min_score=None, genre=None):
        self.root = os.fspath(root)
        if not os.path.isdir(self.root):
            raise DatasetError("%s: not a directory" % self.root)
        _dataset_root(self.root)
        self.split = _names(split, "split")
        if self.split is not None and not self.split <= set(SPLITS):
            raise ValueError("split: %s is not a split (train, valid or "
                             "test)" % ", ".join(sorted(self.split - set(SPLITS))))
        if min_score is not None:
            try:
                min_score = float(min_score)
            except (TypeError, ValueError):
                raise ValueError("min_score: need a number in [0, 1], got %r"
                                 % (min_score,)) from None
            if not 0.0 <= min_score <= 1.0:
                raise ValueError("min_score: need a number in [0, 1], got %r"
                                 % min_score)
        self.min_score = min_score
        self.genre = _names(genre, "genre")
        self.failed = 0
        self.partial = 0
        self.filtered = 0
        self.bad_rows = []   # manifest lines that are no row: "line N: why"
        self.misplaced = []  # sample directories in another shard than theirs
        found = self._found()
        self.layout = ("sharded" if any(os.sep in p for _, p, _ in found)
                       else "flat")
        keep = []
        seen = set()   # the genres of the samples (genre= only)
        for index, rel, row in found:
            if self._keeps(index, rel, row, seen):
                keep.append((index, rel))
            else:
                self.filtered += 1
        if self.genre is not None and seen and not self.genre & seen:
            # as export --genre: a name no sample has is most likely a typo
            raise ValueError("genre: no sample in %s has %s (its genres: %s)"
                             % (self.root, ", ".join(sorted(self.genre)),
                                ", ".join(sorted(seen))))
        self.indices = [i for i, _ in keep]   # ascending
        self._rels = [rel for _, rel in keep]
        # a run (or score, filter, ...) writing the tree when it was read:
        # its words, e.g. "musicgen generate (pid 42 on node7)"; else None
        self.writer = _writer(self.root)

    # -- what is there ------------------------------------------------------
    def _found(self):
        """[(index, relative dir, (split, score) of its manifest row or
        None)] of the complete samples, by index."""
        on_disk = self._scan()
        rows = {}
        manifest = os.path.join(self.root, "manifest.jsonl")
        if os.path.exists(manifest):
            # utf-8-sig: a byte-order mark an editor put in front is not
            # part of the first row (as the commands read it)
            with open(manifest, encoding="utf-8-sig") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                        index = row["sample_index"]
                        # a number, as export reads it ("1" and true are
                        # no index: int() made them rows of 1)
                        if isinstance(index, bool) or not (
                                isinstance(index, int) or
                                isinstance(index, float) and index.is_integer()):
                            raise ValueError("sample_index %r is no index"
                                             % (index,))
                        index = int(index)
                        if index < 0:
                            raise ValueError("negative sample_index")
                    except (ValueError, KeyError, TypeError) as e:
                        # as export: a line that is no row (a torn or
                        # hand-edited manifest) is left aside and counted;
                        # its sample, if any, is read as one without a row
                        self.bad_rows.append("line %d: %s" % (n, e))
                        continue
                    # what the filters need, not the row (memory)
                    rows[index] = (row.get("status") == "ok",
                                   row.get("split"),
                                   row.get("musicality_score"))
        self.failed = sum(1 for i, r in rows.items()
                          if not r[0] and i not in on_disk)
        out = []
        for index, rel in sorted(on_disk.items()):
            r = rows.pop(index, None)
            out.append((index, rel, r[1:] if r and r[0] else None))
        return out

    def _scan(self):
        """{index: relative dir} of the directories holding sample.json,
        at the root and one level of shard directories; partial ones
        counted."""
        found = {}
        flat, shards = [], []   # the root's index and shard directories

        def look(dirpath, prefix, depth):
            with os.scandir(dirpath) as it:
                entries = sorted((e.name, e) for e in it)
            for name, e in entries:
                if name.startswith(".tmp-"):
                    self.partial += 1
                    continue
                if name.startswith(".") or not e.is_dir():
                    continue
                rel = prefix + name
                if depth == 0 and _INDEX.match(name):
                    flat.append(name)
                if _INDEX.match(name):
                    if not os.path.isfile(os.path.join(e.path, "sample.json")):
                        self.partial += 1
                    elif depth and not name.startswith(prefix[:-1]):
                        # in another shard than its own (moved by hand):
                        # left out, as the commands leave it out
                        self.misplaced.append(rel)
                    else:
                        found[int(name)] = rel
                elif depth == 0 and _SHARD.match(name):
                    shards.append(name)
                    look(e.path, rel + os.sep, 1)

        look(self.root, "", 0)
        # as the commands (common/base/sampledir.c): a tree of both
        # layouts, or of two shard widths, is refused, not read as one
        widths = sorted({len(s) for s in shards})
        if len(widths) > 1:
            raise DatasetError("%s: shard directories of different widths "
                               "(%s/ and %s/)" % (
                                   self.root, next(s for s in shards if len(s) == widths[0]),
                                   next(s for s in shards if len(s) == widths[1])))
        if flat and shards:
            raise DatasetError("%s: mixed layout: sample directory %s/ beside "
                               "shard directory %s/"
                               % (self.root, flat[0], shards[0]))
        return found

    def _keeps(self, index, rel, row, seen):
        """row: (split, musicality_score) of its manifest row, or None;
        seen gets the sample's genres when genre= filters."""
        if self.split is None and self.min_score is None and self.genre is None:
            return True
        if row is not None and self.genre is None:
            split, score = row
        else:
            ann = DiskSample(self.root, index, rel).annotation
            if self.genre is not None:
                genres = _genres(ann)
                seen |= genres
                if not genres & self.genre:
                    return False
            split, score = ann.get("split"), ann.get("musicality_score")
        if self.split is not None and split not in self.split:
            return False
        if self.min_score is not None and (
                not isinstance(score, (int, float)) or score < self.min_score):
            return False
        return True

    # -- the sequence -------------------------------------------------------
    def __len__(self):
        return len(self.indices)

    def __getitem__(self, k):
        if isinstance(k, slice):   # ds[10:20]: a list of samples
            return [self[i] for i in range(*k.indices(len(self)))]
        return DiskSample(self.root, self.indices[k], self._rels[k])

    def __iter__(self):
        for index, rel in zip(self.indices, self._rels):
            yield DiskSample(self.root, index, rel)

    def by_index(self, index):
        """The sample of this sample index (KeyError when it is not in
        the dataset or was filtered out)."""
        try:
            i = int(index)
        except (TypeError, ValueError):
            raise KeyError(index) from None
        k = bisect.bisect_left(self.indices, i)
        if k == len(self.indices) or self.indices[k] != i:
            raise KeyError(index)
        return self[k]

    def __repr__(self):
        return ("Dataset(%r: %d samples, %s; %d failed, %d partial, %d "
                "filtered%s)" % (self.root, len(self), self.layout,
                                 self.failed, self.partial, self.filtered,
                                 (", %d manifest lines that are no row"
                                  % len(self.bad_rows) if self.bad_rows
                                  else "") +
                                 (", being written by %s" % self.writer
                                  if self.writer else "")))


def _writer(root):
    """Who holds root's run lock (common/base/runlock.h) now, or None:
    probed exclusive, to see static workers' shares too, with a few tries
    over ~50 ms (another probe holds it for a moment only)."""
    path = os.path.join(root, ".musicgen", "run.lock")
    try:    # for writing where it can be (NFS's exclusive flock needs it)
        f = open(path, "r+b")
    except OSError:
        try:
            f = open(path, "rb")
        except OSError:
            return None
    with f:
        for tries in range(11):
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if tries < 10:
                    time.sleep(0.005)
                    continue
                words = f.read(200).decode("utf-8", "replace").split("\n")[0]
                return words or "another musicgen process"
            except OSError:     # a file system without flock: cannot tell
                return None
            fcntl.flock(f, fcntl.LOCK_UN)
            return None


def _genres(ann):
    """The sample's genre and the genres it merged (as export --genre)."""
    out = {ann["genre"]} if isinstance(ann.get("genre"), str) else set()
    g = ann.get("genres")
    if isinstance(g, list):
        out.update(x for x in g if isinstance(x, str))
    return out


class DiskSample:
    """One sample directory: its sample.json (read when first asked), and
    its files. Paths come from sample.json's own `midi`, `mix` and
    `stems` entries."""

    def __init__(self, root, index, rel):
        self.index = index
        self.dir = os.path.join(root, rel)
        self._ann = None

    def __repr__(self):
        return "DiskSample(%d, %r)" % (self.index, self.dir)

    @property
    def annotation(self):
        """sample.json as a dict."""
        if self._ann is None:
            path = os.path.join(self.dir, "sample.json")
            try:
                with _open_regular(path, encoding="utf-8") as f:
                    self._ann = json.load(f, object_pairs_hook=_unique_keys)
            except OSError as e:
                raise DatasetError("%s: %s" % (path, e.strerror)) from None
            except ValueError as e:
                raise DatasetError("%s: %s" % (path, e)) from None
            if not isinstance(self._ann, dict):
                raise DatasetError("%s: not a JSON object" % path)
        return self._ann

    @property
    def split(self):
        return self.annotation.get("split")

    @property
    def musicality_score(self):
        return self.annotation.get("musicality_score")

    def path(self, track):
        """The file of a track: "mix", a layer's stem ("beat", ...) or
        "midi/<layer>"; None when the sample has none (a midi-only
        sample has no audio)."""
        ann = self.annotation
        if track == "mix":
            rel = ann.get("mix")
        elif track.startswith("midi/") and track[5:] in LAYERS:
            rel = (ann.get("midi") or {}).get(track[5:])
        elif track in LAYERS:
            rel = (ann.get("stems") or {}).get(track)
        else:
            raise ValueError("track: mix, %s or midi/<layer>, not %r"
                             % (", ".join(LAYERS), track))
        if not isinstance(rel, str):
            return None
        if os.path.isabs(rel) or ".." in rel.replace("\\", "/").split("/"):
            raise DatasetError("%s/sample.json: %s names %r, outside its "
                               "directory" % (self.dir, track, rel))
        return os.path.join(self.dir, rel)

    def midi(self, layer):
        """The bytes of the layer's MIDI file (None: the sample has none;
        a ValueError for a name that is no layer)."""
        if layer not in LAYERS:
            raise ValueError("layer: %s, not %r" % (", ".join(LAYERS), layer))
        p = self.path("midi/" + layer)
        if p is None:
            return None
        with _open_regular(p) as f:
            return f.read()

    def audio(self, track="mix", dtype="float32"):
        """The track's samples as a (frames, channels) numpy array: float
        in [-1, 1) (the WAV's integers / 32768 for pcm16, / 8388608 for
        pcm24; float32 WAVs as stored) for dtype "float32"/"float64", or
        the stored values (dtype "raw"). None when the sample has no such
        track."""
        p = self.path(track)
        if p is None:
            return None
        return read_wav(p, dtype)[0]

    @property
    def sample_rate(self):
        return self.annotation.get("sample_rate")

    @property
    def mix(self):
        return self.audio("mix")

    @property
    def stems(self):
        """{layer: array} of the stems the sample has."""
        out = {}
        for layer in LAYERS:
            a = self.audio(layer)
            if a is not None:
                out[layer] = a
        return out


def wav_info(path):
    """(format, bits, channels, rate, data offset, data bytes) of a WAV
    file: format 1 (integer PCM) or 3 (IEEE float), WAVE_FORMAT_EXTENSIBLE
    resolved to its subformat."""
    with _open_regular(path) as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise DatasetError("%s: not a RIFF/WAVE file" % path)
        fmt = None
        pos = 12
        while True:
            ch = f.read(8)
            if len(ch) < 8:
                raise DatasetError("%s: no data chunk" % path)
            cid, size = ch[:4], struct.unpack("<I", ch[4:])[0]
            pos += 8
            if cid == b"fmt ":
                body = f.read(size)
                if len(body) < 16:
                    raise DatasetError("%s: short fmt chunk" % path)
                tag, chans, rate = struct.unpack("<HHI", body[:8])
                bits = struct.unpack("<H", body[14:16])[0]
                if tag == 0xFFFE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, bits, chans, rate)
                f.seek(pos + size + (size & 1))
            elif cid == b"data":
                if fmt is None:
                    raise DatasetError("%s: data before fmt" % path)
                end = os.fstat(f.fileno()).st_size
                if size > end - pos and size != 0xFFFFFFFF:
                    # cut short (a copy that stopped): an error, as verify
                    # says, not fewer frames without a word
                    raise DatasetError("%s: truncated: data chunk of %d "
                                       "bytes, the file holds %d"
                                       % (path, size, max(end - pos, 0)))
                return fmt + (pos, min(size, end - pos))
            else:
                f.seek(pos + size + (size & 1))
            pos += size + (size & 1)


def read_wav(path, dtype="float32", channels_first=False, out=None):
    """(array, sample rate) of a pcm16, pcm24 or float32 WAV file: shape
    (frames, channels), or (channels, frames) with channels_first (one
    pass, no transposed copy); see DiskSample.audio for dtype. out: an
    array of that shape and dtype to fill (a DatasetError when the file's
    shape differs) instead of a new one."""
    if _np is None:
        raise DatasetError("reading audio needs numpy (python3-numpy)")
    tag, bits, chans, rate, off, size = wav_info(path)
    if not ((tag == 1 and bits in (16, 24)) or (tag == 3 and bits == 32)):
        raise DatasetError("%s: format %d with %d bits: not pcm16, pcm24 or "
                           "float32" % (path, tag, bits))
    size -= size % (chans * bits // 8)
    with _open_regular(path) as f:
        f.seek(off)
        raw = bytearray(size)
        if f.readinto(raw) != size:
            raise DatasetError("%s: shorter than its data chunk" % path)
    return decode_pcm(raw, bits, tag == 3, chans, dtype, channels_first, out,
                      path), rate


def decode_pcm(raw, bits, is_float, chans, dtype="float32",
               channels_first=False, out=None, what="audio"):
    """Interleaved little-endian samples (16- or 24-bit integers, or 32-bit
    floats) as an array (frames, channels), or (channels, frames) with
    channels_first: floats in [-1, 1) (integers / 32768 or / 8388608,
    floats as stored) of dtype, into out when given, or the stored values
    (dtype "raw"). Shared by read_wav and the in-memory Sample.audio."""
    if bits == 16:
        x = _np.frombuffer(raw, dtype="<i2")
        scale = 32768.0
    elif bits == 24:
        # each 3-byte value as the top of an int32: the shift extends its sign
        w = _np.zeros((len(raw) // 3, 4), dtype=_np.uint8)
        w[:, 1:] = _np.frombuffer(raw, dtype=_np.uint8).reshape(-1, 3)
        x = w.view("<i4").reshape(-1) >> 8
        scale = 8388608.0
    else:
        x = _np.frombuffer(raw, dtype="<f4")
        scale = None
    x = x.reshape(-1, chans)
    if channels_first:
        x = x.T
    if dtype == "raw":
        return _np.ascontiguousarray(x) if channels_first else x.copy()
    if _np.dtype(out.dtype if out is not None else dtype).kind != "f":
        # values in [-1, 1) cast to integers would be all zeros
        raise DatasetError("dtype must be a floating type or \"raw\", not %s"
                           % _np.dtype(out.dtype if out is not None
                                       else dtype).name)
    if out is None:
        out = _np.empty(x.shape, dtype=dtype)
    elif out.shape != x.shape:
        raise DatasetError("%s: %s samples, expected %s"
                           % (what, "x".join(map(str, x.shape)),
                              "x".join(map(str, out.shape))))
    if scale is None:
        out[...] = x
    else:   # a power of two: x * (1 / scale) is x / scale, exactly
        _np.multiply(x, out.dtype.type(1.0 / scale), out=out, casting="unsafe")
    return out
