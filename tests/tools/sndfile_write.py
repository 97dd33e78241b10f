"""sndfile_write: audio files written through libsndfile itself (ctypes),
for tests that need formats Python's wave module cannot write (Ogg
Vorbis, AIFF, RF64, Wave64, AU) and the frame count libsndfile reads
from a file.

    write(path, fmt, rate, samples)  mono float samples, fmt an SF_FORMAT_*
    frames(path)                     libsndfile's frame count of path
    pulses(rate, seconds)            a 440 Hz tone loud for 0.1 s every
                                     0.5 s (120 BPM), quiet between
"""
import array
import ctypes
import ctypes.util
import math

_sf = ctypes.CDLL(ctypes.util.find_library("sndfile"))


class _Info(ctypes.Structure):
    _fields_ = [("frames", ctypes.c_int64), ("samplerate", ctypes.c_int),
                ("channels", ctypes.c_int), ("format", ctypes.c_int),
                ("sections", ctypes.c_int), ("seekable", ctypes.c_int)]


_sf.sf_open.restype = ctypes.c_void_p
_sf.sf_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(_Info)]
_sf.sf_writef_float.argtypes = [ctypes.c_void_p, ctypes.c_void_p,
                                ctypes.c_int64]
_sf.sf_close.argtypes = [ctypes.c_void_p]
_READ, _WRITE = 0x10, 0x20


def pulses(rate, seconds):
    return array.array("f", [
        (0.5 if k % (rate // 2) < rate // 10 else 0.06) *
        math.sin(2 * math.pi * 440 * k / rate) for k in range(rate * seconds)])


def write(path, fmt, rate, samples):
    info = _Info(0, rate, 1, fmt, 0, 0)
    f = _sf.sf_open(path.encode(), _WRITE, ctypes.byref(info))
    assert f, "libsndfile cannot write %s (format 0x%x)" % (path, fmt)
    _sf.sf_writef_float(f, samples.buffer_info()[0], len(samples))
    _sf.sf_close(f)


def frames(path):
    info = _Info()
    f = _sf.sf_open(path.encode(), _READ, ctypes.byref(info))
    assert f, "libsndfile cannot read " + path
    _sf.sf_close(f)
    return info.frames
