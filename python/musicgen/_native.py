"""_native — libmusicgen through ctypes (standard library only).

Finds the shared library once per process: $MUSICGEN_LIBRARY (a path),
else the build tree this package sits in (<repo>/build/libmusicgen.so.0),
else the system's (ldconfig / LD_LIBRARY_PATH: libmusicgen.so.0). Declares
the prototype of every function of musicgen.h that the bindings call, so
ctypes converts and checks arguments; foreign calls release the GIL, so
threads with an engine each run in parallel.
"""
import ctypes
import ctypes.util
import os
import threading

_SONAME = "libmusicgen.so.0"
_lock = threading.Lock()
_lib = None


class MusicgenError(RuntimeError):
    """A failure reported by libmusicgen (its one-line message)."""


def _candidates():
    env = os.environ.get("MUSICGEN_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    tree = os.path.join(os.path.dirname(os.path.dirname(here)), "build", _SONAME)
    if os.path.exists(tree):
        yield tree
    found = ctypes.util.find_library("musicgen")
    if found:
        yield found
    yield _SONAME


class _Pcm(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("frames", ctypes.c_size_t),
        ("channels", ctypes.c_int),
        ("sample_rate", ctypes.c_int),
        ("format", ctypes.c_int),
        ("bytes_per_sample", ctypes.c_int),
    ]


class _BatchResult(ctypes.Structure):
    _fields_ = [
        ("succeeded", ctypes.c_uint64),
        ("failed", ctypes.c_uint64),
        ("skipped", ctypes.c_uint64),
    ]


BATCH_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
# musicgen_f32_alloc: (user, frames, channels) -> float * (NULL: fail)
F32_FN = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                          ctypes.c_int)
NO_WAV_CHECKSUMS = 1

# the engine's limits (common/config.h): a global seed is a signed 64-bit
# integer, a sample index at most MAX_INDEX (ctypes would wrap a larger
# Python int silently: -1 became index 2^64-1, 2^64 index 0)
SEED_MIN, SEED_MAX = -2 ** 63, 2 ** 63 - 1
MAX_INDEX = 999999999999

PCM16, PCM24, FLOAT32 = 1, 2, 3
MIX = 4
LAYERS = ("beat", "melody", "harmony", "bassline")


def _declare(lib):
    P, S, I, U64, I64, SZ = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                             ctypes.c_uint64, ctypes.c_int64, ctypes.c_size_t)
    PSZ = ctypes.POINTER(ctypes.c_size_t)
    protos = {
        "musicgen_version": (S, []),
        "musicgen_synth_version": (S, []),
        "musicgen_free": (None, [P]),
        "musicgen_process_setup": (None, []),
        "musicgen_config_new": (P, []),
        "musicgen_config_destroy": (None, [ctypes.POINTER(P)]),
        "musicgen_config_set": (I, [P, S, S]),
        "musicgen_config_load_file": (I, [P, S]),
        "musicgen_config_error": (S, [P]),
        "musicgen_config_json": (P, [P]),
        "musicgen_seed_of": (U64, [I64, U64]),
        "musicgen_split_of": (S, [P, I64, U64]),
        "musicgen_plan_new": (P, [P, ctypes.c_char_p, SZ]),
        "musicgen_plan_destroy": (None, [ctypes.POINTER(P)]),
        "musicgen_plan_seconds": (ctypes.c_double, [P, I64, U64]),
        "musicgen_engine_new": (P, [P, ctypes.c_char_p, SZ]),
        "musicgen_engine_destroy": (None, [ctypes.POINTER(P)]),
        "musicgen_engine_error": (S, [P]),
        "musicgen_engine_fingerprint": (S, [P]),
        "musicgen_generate": (I, [P, I64, U64, ctypes.POINTER(P)]),
        "musicgen_generate_to_dir": (I, [P, I64, U64, S, ctypes.POINTER(P)]),
        "musicgen_generate_f32": (I, [P, I64, U64, F32_FN, P, ctypes.c_uint,
                                      ctypes.POINTER(P)]),
        "musicgen_generate_f32_fd": (I, [P, I64, U64, I, ctypes.c_uint,
                                         ctypes.POINTER(P)]),
        "musicgen_sample_destroy": (None, [ctypes.POINTER(P)]),
        "musicgen_engine_recycle": (None, [P, ctypes.POINTER(P)]),
        "musicgen_sample_status": (I, [P]),
        "musicgen_sample_error": (S, [P]),
        "musicgen_sample_index": (U64, [P]),
        "musicgen_sample_global_seed": (I64, [P]),
        "musicgen_sample_seed": (U64, [P]),
        "musicgen_sample_split": (S, [P]),
        "musicgen_sample_musicality": (ctypes.c_double, [P]),
        "musicgen_sample_duration": (ctypes.c_double, [P]),
        "musicgen_sample_attempt": (I, [P]),
        "musicgen_sample_skipped": (I, [P]),
        "musicgen_sample_path": (S, [P]),
        "musicgen_sample_dir": (S, [P]),
        "musicgen_sample_manifest_row": (S, [P, S]),
        "musicgen_sample_json": (P, [P, PSZ]),
        "musicgen_sample_midi": (P, [P, I, PSZ]),
        "musicgen_sample_wav": (P, [P, I, PSZ]),
        "musicgen_sample_pcm": (I, [P, I, ctypes.POINTER(_Pcm)]),
        "musicgen_generate_batch": (I, [P, ctypes.POINTER(_BatchResult),
                                        BATCH_FN, P, ctypes.c_char_p, SZ]),
        "musicgen_write_licenses": (I, [S, S, ctypes.POINTER(I),
                                        ctypes.c_char_p, SZ]),
    }
    for name, (res, args) in protos.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args


def lib():
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            errors = []
            for path in _candidates():
                try:
                    handle = ctypes.CDLL(path)
                    break
                except OSError as e:
                    errors.append("%s: %s" % (path, e))
            else:
                raise MusicgenError(
                    "cannot load libmusicgen (build it with `make`, install it "
                    "with `make install`, or set MUSICGEN_LIBRARY): "
                    + "; ".join(errors))
            _declare(handle)
            _lib = handle
    return _lib


def whole(v, what, lo=None, hi=None):
    """v as an int (a float only when it is whole; no bool), in [lo, hi]
    where given; else ValueError naming `what` (not int()'s bare
    "invalid literal", nor a value ctypes would wrap)."""
    try:
        if isinstance(v, bool) or (isinstance(v, float) and v != int(v)):
            raise ValueError
        i = int(v)
    except (TypeError, ValueError, OverflowError):
        raise ValueError("%s: an integer, not %r" % (what, v)) from None
    if (lo is not None and i < lo) or (hi is not None and i > hi):
        raise ValueError("%s: %d is outside %d..%d" % (what, i, lo, hi))
    return i


def seed_arg(v, what="global_seed"):
    """A global seed for the library (required: None is an error)."""
    if v is None:
        raise ValueError("%s is required" % what)
    return whole(v, what, SEED_MIN, SEED_MAX)


def index_arg(v, what="index"):
    """A sample index for the library."""
    return whole(v, what, 0, MAX_INDEX)


def text(b):
    return b.decode("utf-8", "replace") if b is not None else None


def enc(s):
    return s.encode("utf-8") if isinstance(s, str) else s
