"""api — generate, generate_batch and in-memory samples over libmusicgen.

generate(Config) makes one sample into Config.dataset_root (skipped when
its sample.json exists, as in the Python tool) and appends its row to
<root>/manifest.jsonl; generate_batch(Config) makes count samples from
sample_index on, with `workers` threads of one engine each, and rewrites
the manifest with one row per index. Engine (one per thread) makes
samples in memory: Sample holds the bytes of every file and gives numpy
arrays (when numpy is installed) of the audio.

Engines load soundfonts (seconds), so generate() keeps the last engines
it made, per thread, keyed by the configuration that decides them.
"""
import collections
import ctypes
import dataclasses
import errno
import fcntl
import json
import os
import re
import socket
import threading
import time
from typing import List, Optional

from . import _native
from . import dataset as _disk
from .config import Config, NativeConfig
from ._native import MusicgenError

try:
    import numpy as _np
except ImportError:         # the bindings work without numpy
    _np = None

_setup_done = False
_setup_lock = threading.Lock()


def _process_setup():
    # FluidSynth's logger is process-global; a Python process (which
    # already ignores SIGXFSZ) gets the executable's quiet settings once.
    global _setup_done
    with _setup_lock:
        if not _setup_done:
            _native.lib().musicgen_process_setup()
            _setup_done = True


class _PathStr(str):
    """A sample directory: a str ("./dataset/000000", as the tool prints
    it) that also joins like a pathlib.Path (result.sample_dir / "mix.wav")."""

    def __truediv__(self, other):
        import pathlib
        return pathlib.Path(self) / other

    def __fspath__(self):
        return str(self)


@dataclasses.dataclass
class SampleResult:
    """One sample, as the Python tool's SampleResult."""
    sample_index: int
    global_seed: int
    seed: int
    sample_dir: Optional[str]
    split: str
    musicality_score: Optional[float]
    duration_seconds: Optional[float]
    status: str                 # "ok" | "failed"
    attempt: int
    skipped: bool = False       # already complete on disk
    error: Optional[str] = None


@dataclasses.dataclass
class BatchResult:
    """A batch, as the Python tool's BatchResult (plus its rows)."""
    succeeded: int
    failed: int
    skipped: int
    dataset_root: str = ""
    results: List[SampleResult] = dataclasses.field(default_factory=list)

    @property
    def total(self):
        return self.succeeded + self.failed + self.skipped


def _result(L, p, root):
    ok = L.musicgen_sample_status(p) == 0
    d = _native.text(L.musicgen_sample_dir(p))
    if d is not None and root is not None:
        d = _PathStr(os.path.join(os.fspath(root),
                                  _native.text(L.musicgen_sample_path(p))))
    return SampleResult(
        sample_index=L.musicgen_sample_index(p),
        global_seed=L.musicgen_sample_global_seed(p),
        seed=L.musicgen_sample_seed(p),
        sample_dir=d,
        split=_native.text(L.musicgen_sample_split(p)),
        musicality_score=L.musicgen_sample_musicality(p) if ok else None,
        duration_seconds=L.musicgen_sample_duration(p) if ok else None,
        status="ok" if ok else "failed",
        attempt=L.musicgen_sample_attempt(p),
        skipped=bool(L.musicgen_sample_skipped(p)),
        error=None if ok else _native.text(L.musicgen_sample_error(p)),
    )


def _decode_pcm(raw, fmt, channels, dtype):
    """Interleaved little-endian PCM bytes -> (frames, channels) array."""
    if _np is None:
        import array
        if fmt == _native.PCM24:
            raise MusicgenError("pcm24 audio needs numpy")
        a = array.array("h" if fmt == _native.PCM16 else "f")
        a.frombytes(raw)
        return a
    bits = {_native.PCM16: 16, _native.PCM24: 24}.get(fmt, 32)
    return _disk.decode_pcm(raw, bits, bits == 32, channels, dtype)


def _track(track):
    """track, when it is "mix" or a layer; else a ValueError naming them
    (a misspelt "Mix" read as a track the sample does not have)."""
    if track != "mix" and track not in _native.LAYERS:
        raise ValueError("track: mix, %s, not %r"
                         % (", ".join(_native.LAYERS), track))
    return track


class Sample:
    """A sample made in memory: its row (the SampleResult fields), the
    bytes of each file, and the audio as arrays. Owns its data (copied out
    of the library), so it outlives the engine."""

    def __init__(self, L, p):
        self.result = _result(L, p, None)
        self._pcm = {}
        self._wav = {}
        self.midi = {}
        n = ctypes.c_size_t()
        j = L.musicgen_sample_json(p, ctypes.byref(n))
        self.sample_json = ctypes.string_at(j, n.value).decode() if j else None
        for t, name in enumerate(_native.LAYERS + ("mix",)):
            if t < 4:
                m = L.musicgen_sample_midi(p, t, ctypes.byref(n))
                if m:
                    self.midi[name] = ctypes.string_at(m, n.value)
            w = L.musicgen_sample_wav(p, t, ctypes.byref(n))
            if not w:
                continue
            self._wav[name] = ctypes.string_at(w, n.value)
            pcm = _native._Pcm()
            if L.musicgen_sample_pcm(p, t, ctypes.byref(pcm)) == 0:
                off = pcm.data - w
                size = pcm.frames * pcm.channels * pcm.bytes_per_sample
                self._pcm[name] = (off, size, pcm.format, pcm.channels,
                                   pcm.sample_rate)

    # the SampleResult fields, directly
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.result, name)

    @property
    def annotation(self):
        """sample.json as a dict (None for a failed sample)."""
        return json.loads(self.sample_json) if self.sample_json else None

    @property
    def sample_rate(self):
        for v in self._pcm.values():
            return v[4]
        return None

    def wav_bytes(self, track="mix"):
        """The bytes of mix.wav or stems/<track>.wav (None: not made)."""
        return self._wav.get(_track(track))

    def audio(self, track="mix", dtype="float32"):
        """The track's samples as a (frames, channels) numpy array: float
        in [-1, 1) (dtype "float32"/"float64"), or the stored integers /
        floats (dtype "raw"). Without numpy: an array.array of the raw
        interleaved values (pcm16, float). None when not made."""
        if _track(track) not in self._pcm:
            return None
        off, size, fmt, ch, _ = self._pcm[track]
        raw = self._wav[track][off:off + size]
        return _decode_pcm(raw, fmt, ch, dtype)

    @property
    def mix(self):
        return self.audio("mix")

    @property
    def stems(self):
        """{layer: array} for the stems made (full and stems-only modes)."""
        return {l: self.audio(l) for l in _native.LAYERS if l in self._pcm}


def _config_of(cfg, fields):
    """The Config an Engine or Plan is made from: cfg, or Config(**fields),
    or cfg with fields replaced."""
    if cfg is None:
        return Config(**fields)
    return dataclasses.replace(cfg, **fields) if fields else cfg


def _native_new(make, cfg):
    """A native handle made by make(config, err, errlen) from cfg (no
    output root), or MusicgenError with the library's message."""
    nc = NativeConfig(cfg, include_out=False)
    err = ctypes.create_string_buffer(512)
    try:
        p = make(nc.handle, err, len(err))
    finally:
        nc.close()
    if not p:
        raise MusicgenError(err.value.decode("utf-8", "replace"))
    return p


class _Closing:
    """A native handle freed by close(), by the end of a with-block or
    when the object is collected."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class Engine(_Closing):
    """One libmusicgen engine (soundfonts loaded once). Use one per thread;
    close() or a with-block frees it."""

    def __init__(self, cfg=None, **fields):
        self.config = cfg = _config_of(cfg, fields)
        _process_setup()
        # no output root in the engine: generate_to_dir names it, and an
        # in-memory engine must not create ./dataset
        self._p = _native_new(_native.lib().musicgen_engine_new, cfg)
        self._pid = os.getpid()

    @property
    def fingerprint(self):
        return json.loads(_native.text(
            _native.lib().musicgen_engine_fingerprint(_live(self))))

    def _seed(self, global_seed):
        return _native.seed_arg(self.config.global_seed
                                if global_seed is None else global_seed)

    def generate(self, index, global_seed=None):
        """Sample `index` in memory (a Sample; status "failed" when the
        quality gate rejected every attempt)."""
        return self._generate_with(index, global_seed, Sample)

    def _generate_with(self, index, global_seed, fn):
        """fn(L, p) over sample `index` made in memory, its result
        returned; p (the library's sample, its buffers read in place) is
        freed after fn returns, its audio buffers handed back to the
        engine for the next sample (musicgen_engine_recycle: no fresh
        memory, no page faults). fn must keep nothing of p. (The
        on-the-fly dataset does not come here: it renders float32 tracks
        with musicgen_generate_f32 / _f32_fd.)"""
        L = _native.lib()
        p = ctypes.c_void_p()
        if L.musicgen_generate(_live(self), self._seed(global_seed),
                               _native.index_arg(index),
                               ctypes.byref(p)):
            raise MusicgenError(_native.text(L.musicgen_engine_error(self._p)))
        try:
            return fn(L, p.value)
        finally:
            L.musicgen_engine_recycle(self._p, ctypes.byref(p))

    def generate_to_dir(self, index, global_seed=None, root=None):
        """Sample `index` into root (default: the config's dataset_root);
        a SampleResult."""
        L = _native.lib()
        p = ctypes.c_void_p()
        root = _root(root if root is not None else self.config.dataset_root)
        seed, index = self._seed(global_seed), _native.index_arg(index)
        r = None
        handle = _live(self)
        try:
            rc = L.musicgen_generate_to_dir(handle, seed, index,
                                            _native.enc(root),
                                            ctypes.byref(p))
        finally:
            # Once the call returns the sample is on disk: its row goes to
            # the manifest even when an exception cuts in here (Ctrl-C
            # during the render is raised as the call returns; the sample
            # was left without a row, and a re-run skips it: for ever)
            if p.value:
                try:
                    r = _result(L, p.value, root)
                    last = _last_row(root, r.sample_index)
                    if _needs_row(r, last):
                        _write_row(root, _native.text(
                            L.musicgen_sample_manifest_row(p.value, None)),
                            r.sample_index if last is not None else None)
                finally:
                    L.musicgen_sample_destroy(ctypes.byref(p))
        if rc:
            raise MusicgenError(_native.text(L.musicgen_engine_error(self._p)))
        return r

    def close(self):
        if getattr(self, "_p", None):
            if getattr(self, "_pid", None) != os.getpid():
                # a forked child's copy of its parent's engine (a DataLoader
                # worker): its soundfonts are the parent's pages, and
                # freeing them would copy every page written; the process's
                # exit returns them
                self._p = None
                return
            p = ctypes.c_void_p(self._p)
            _native.lib().musicgen_engine_destroy(ctypes.byref(p))
            self._p = None



class Plan(_Closing):
    """A sample's length before it is made (musicgen_plan: the genre data,
    no soundfont): seconds(index) is its duration_seconds when its first
    attempt passes, from the parameter draw alone (microseconds). Render
    time grows with it. One thread at a time; close() or a with-block
    frees it."""

    def __init__(self, cfg=None, **fields):
        self.config = cfg = _config_of(cfg, fields)
        self._p = _native_new(_native.lib().musicgen_plan_new, cfg)

    def seconds(self, index, global_seed=None):
        return _native.lib().musicgen_plan_seconds(
            _live(self), _native.seed_arg(self.config.global_seed
                                      if global_seed is None else global_seed),
            _native.index_arg(index))

    def close(self):
        if getattr(self, "_p", None):
            p = ctypes.c_void_p(self._p)
            _native.lib().musicgen_plan_destroy(ctypes.byref(p))
            self._p = None



def _live(obj):
    """obj's library handle; a ValueError once closed (the library took
    the NULL handle: an Engine raised MusicgenError with no words, a
    Plan said every song lasts 0 seconds)."""
    if not getattr(obj, "_p", None):
        raise ValueError("%s is closed (close() or the end of its "
                         "with-block freed it)" % type(obj).__name__)
    return obj._p


def _root(root):
    """A dataset root as a path's text; a ValueError naming dataset_root
    when there is none (os.makedirs('')'s bare "No such file or
    directory: ''", os.fspath(None)'s TypeError)."""
    try:
        r = os.fspath(root)
    except TypeError:
        r = None
    if not r:
        raise ValueError("dataset_root: a directory is needed, not %r"
                         % (root,))
    return r


# What each manifest.jsonl's rows say, read incrementally (each call reads
# only what was appended since): {root: [(dev, inode), bytes read,
# {index: its last row is "ok"}]}. generate() appends a row a complete
# sample lacks (_needs_row: its writer was killed between publishing the
# sample and appending the row, and every re-run skipped it, so it
# stayed an orphan) and no failed row over a failed one (a re-run of a
# loop added one per failed sample each time; verify: "duplicate row");
# a row for an index that has one replaces it (_write_row), as a sample
# whose first row failed may be made later.
_rows_seen = {}
_rows_lock = threading.Lock()
_ROW_INDEX = re.compile(rb'"sample_index":\s*([0-9]+)')
_ROW_OK = re.compile(rb'"status":\s*"ok"')

# A sample published this recently may be another writer's that is about
# to append its row (two generate() calls of one index at once): only an
# older one without a row is an orphan.
_SETTLED_S = 60


def _needs_row(r, last):
    """Does result r go into the manifest whose last row for its index
    says last (_last_row)?"""
    if not r.skipped:
        return not (r.status == "failed" and last is False)
    if last:        # complete, and so is its row (a failed last row is
        return False    # not: a laxer run's killed writer)
    try:
        age = time.time() - os.stat(os.path.join(r.sample_dir,
                                                 "sample.json")).st_mtime
    except OSError:
        return False
    return age > _SETTLED_S


def _last_row(root, index):
    """True / False: the manifest's last row for index is ok / is not;
    None: it has none."""
    path = os.path.join(root, "manifest.jsonl")
    with _rows_lock:
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None
        with f:
            st = os.fstat(f.fileno())
            seen = _rows_seen.get(root)
            if (seen is None or seen[0] != (st.st_dev, st.st_ino)
                    or st.st_size < seen[1]):   # replaced or cut: again
                seen = _rows_seen[root] = [(st.st_dev, st.st_ino), 0, {}]
            f.seek(seen[1])
            new = f.read()
            end = new.rfind(b"\n") + 1        # whole lines only
            for line in new[:end].split(b"\n"):
                m = _ROW_INDEX.search(line)
                if m:
                    seen[2][int(m.group(1))] = bool(_ROW_OK.search(line))
            seen[1] += end
            return seen[2].get(index)


def _write_row(root, row, replace=None):
    """Row appended to root's manifest under an exclusive lock (several
    processes may append to it, as the tool's ManifestWriter does); with
    replace (an index), the row takes the place of the rows the manifest
    has for that index, so that it keeps one row per index (a sample whose
    first row said failed, made later: verify named the two rows). That
    rewrite (rare: a sample made over a row) copies the manifest through
    a temporary file and a rename, under the same lock; a writer that
    waited on the old file's lock sees it replaced and takes the new."""
    if not row:
        return
    path = os.path.join(root, "manifest.jsonl")
    while True:
        with open(path, "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                try:
                    st = os.stat(path)
                except FileNotFoundError:
                    continue            # removed while we waited
                fs = os.fstat(f.fileno())
                if (st.st_dev, st.st_ino) != (fs.st_dev, fs.st_ino):
                    continue            # replaced while we waited
                if replace is None:
                    f.write(row + "\n")
                    f.flush()
                    return
                tmp = os.path.join(root, ".manifest.jsonl.%d.%d.tmp"
                                   % (os.getpid(), threading.get_ident()))
                try:
                    new = row.encode() + b"\n"
                    with open(path, "rb") as src, open(tmp, "wb") as out:
                        for line in src:
                            m = _ROW_INDEX.search(line)
                            if m and int(m.group(1)) == replace:
                                out.write(new)      # in the first's place
                                new = b""
                                continue
                            out.write(line if line.endswith(b"\n")
                                      else line + b"\n")
                        out.write(new)
                        out.flush()
                        os.fsync(out.fileno())
                    os.rename(tmp, path)
                except BaseException:
                    try:
                        os.unlink(tmp)
                    except OSError:
                        pass
                    raise
                return
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)


# generate(): the last engines per thread, keyed by what decides them
_tls = threading.local()
_KEEP = 2


def _engine_for(cfg):
    key = tuple((k, v) for k, v in cfg.native_options(include_out=False)
                if k not in ("seed", "count", "start", "workers"))
    cache = getattr(_tls, "engines", None)
    if cache is None:
        cache = _tls.engines = collections.OrderedDict()
    e = cache.get(key)
    if e is None:
        e = Engine(cfg)
        cache[key] = e
        while len(cache) > _KEEP:
            cache.popitem(last=False)[1].close()
    cache.move_to_end(key)
    return e


class _SharedRunLock:
    """The tree's run lock (common/base/runlock.h) held shared while one
    sample is written, as a static worker holds it: any number of these at
    once, none beside `musicgen generate`, a coordinator, generate_batch,
    score, filter, clean or merge (MusicgenError naming the holder)."""

    def __init__(self, root):
        d = os.path.join(root, ".musicgen")
        os.makedirs(d, exist_ok=True)
        self.f = open(os.path.join(d, "run.lock"), "a+b")
        try:
            for tries in range(11):     # another's probe: a moment only
                try:
                    fcntl.flock(self.f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    # words for a refused command's message (runlock.c)
                    self.f.truncate(0)
                    os.pwrite(self.f.fileno(), (
                        "musicgen.generate() (pid %d on %s)\n"
                        % (os.getpid(), socket.gethostname() or "this host")
                    ).encode(), 0)
                    break
                except BlockingIOError:
                    if tries == 10:
                        self.f.seek(0)
                        who = self.f.read(200).decode("utf-8", "replace")
                        who = who.split("\n")[0] or "another musicgen process"
                        raise MusicgenError(
                            "%s is in use by %s: one of generate, coordinator, "
                            "merge, score, filter and clean at a time, or "
                            "static workers (run this when it has finished "
                            "or stopped)" % (root, who)) from None
                    time.sleep(0.005)
                except OSError:  # no flock here: unguarded, as in C
                    break
        except BaseException:
            self.f.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        # the words go with the last holder (runlock.c's release)
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.f.truncate(0)
        except OSError:
            pass
        self.f.close()


def _checked(cfg):
    """(global_seed, sample_index) of cfg, in the library's range (the
    engine generate() reuses was made from another Config, so the
    library has not seen these)."""
    return (_native.seed_arg(cfg.global_seed, "global_seed"),
            _native.index_arg(cfg.sample_index, "sample_index"))


def generate(cfg: Config) -> SampleResult:
    """Make sample (cfg.global_seed, cfg.sample_index) in cfg.dataset_root;
    skipped (result.skipped) when its sample.json already exists. The
    root's LICENSES.md is not rewritten per sample (it is counted from
    the whole manifest): call write_licenses(root) after the last one
    (generate_batch writes it itself)."""
    if cfg.global_seed is None:
        raise ValueError("Config.global_seed is required at generate time")
    root = _root(cfg.dataset_root)
    seed, index = _checked(cfg)
    # the engine first: a config it refuses (an unknown genre, a bad
    # option) touches no directory
    engine = _engine_for(cfg)
    try:
        os.makedirs(root, exist_ok=True)
    except FileExistsError:     # a file: makedirs says "File exists"
        raise NotADirectoryError(errno.ENOTDIR, "dataset_root: not a "
                                 "directory", root) from None
    with _SharedRunLock(root):
        return engine.generate_to_dir(index, seed, root)


def write_licenses(root, sf_dir=None) -> int:
    """(Re)write root/LICENSES.md from the finished samples its
    manifest.jsonl lists: every soundfont they used, its licence, the
    attribution it asks for and the stems and samples using it, as
    generate_batch and `musicgen licenses ROOT` write it. sf_dir: the
    soundfont registry the attribution texts come from (None: the
    installed one). Returns the number of fonts listed."""
    L = _native.lib()
    err = ctypes.create_string_buffer(1400)
    n = ctypes.c_int(0)
    if L.musicgen_write_licenses(_native.enc(os.fspath(root)),
                                 _native.enc(os.fspath(sf_dir))
                                 if sf_dir is not None else None,
                                 ctypes.byref(n), err, len(err)):
        raise MusicgenError(err.value.decode("utf-8", "replace"))
    return n.value


def generate_in_memory(cfg: Config) -> Sample:
    """Make sample (cfg.global_seed, cfg.sample_index) in memory only."""
    if cfg.global_seed is None:
        raise ValueError("Config.global_seed is required at generate time")
    seed, index = _checked(cfg)
    return _engine_for(cfg).generate(index, seed)


def generate_batch(cfg: Config, progress=None) -> BatchResult:
    """Make cfg.count samples from cfg.sample_index on into
    cfg.dataset_root with cfg.workers threads (None: one per core), each
    with its own engine; idempotent (finished samples are skipped) and
    the manifest ends with one row per index. progress(SampleResult), if
    given, is called after each sample (return True to stop)."""
    if cfg.global_seed is None:
        raise ValueError("Config.global_seed is required at generate time")
    _process_setup()
    L = _native.lib()
    root = _root(cfg.dataset_root)
    results = []
    failure = []
    stop = threading.Event()

    def on_sample(p, user):
        try:
            r = _result(L, p, root)
            results.append(r)
            asked = progress and progress(r)
            return 1 if (asked or stop.is_set()) else 0
        except BaseException as e:     # never unwind through C
            failure.append(e)
            return 1

    fn = _native.BATCH_FN(on_sample)
    nc = NativeConfig(cfg)
    res = _native._BatchResult()
    err = ctypes.create_string_buffer(1024)
    out = []
    done = threading.Event()

    def run():
        try:
            out.append(L.musicgen_generate_batch(nc.handle,
                                                 ctypes.byref(res), fn, None,
                                                 err, len(err)))
        finally:
            done.set()

    # The batch runs in a thread of its own and this one waits on it, so
    # that a Ctrl-C is heard: Python runs signal handlers in the main
    # thread only, between bytecodes, and a main thread inside the C call
    # heard it when the whole batch had finished (hours for a large one).
    # At a Ctrl-C the samples in hand finish, no other starts, their rows
    # go into the manifest, and KeyboardInterrupt is raised (a second one
    # leaves at once: the re-run completes the tree). An Event, not
    # Thread.join: a join cut by KeyboardInterrupt marks the thread ended
    # while it runs on.
    t = threading.Thread(target=run, name="musicgen-batch", daemon=True)
    t.start()
    try:
        try:
            done.wait()
        except KeyboardInterrupt:
            stop.set()
            done.wait()
            raise
    finally:
        if done.is_set():       # a C call still running uses it
            nc.close()
    rc = out[0]
    if failure:
        raise failure[0]
    if rc:
        raise MusicgenError(err.value.decode("utf-8", "replace"))
    results.sort(key=lambda r: r.sample_index)
    return BatchResult(succeeded=res.succeeded, failed=res.failed,
                       skipped=res.skipped, dataset_root=root,
                       results=results)


def split_of(cfg: Config, index: int, global_seed: Optional[int] = None):
    """The split of sample `index` without making it."""
    nc = NativeConfig(dataclasses.replace(cfg, dataset_root=None),
                      include_out=False)
    try:
        s = cfg.global_seed if global_seed is None else global_seed
        return _native.text(_native.lib().musicgen_split_of(
            nc.handle, _native.seed_arg(s), _native.index_arg(index)))
    finally:
        nc.close()


def version():
    return _native.text(_native.lib().musicgen_version())
