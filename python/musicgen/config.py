"""config — Config, with the Python tool's field names and precedence.

A field given to the constructor wins; a field left out takes its
MUSICGEN_* environment variable where the tool documents one; otherwise
its default (the tool's README, "Configuration reference"). Fields of the
tool that this engine does not have are accepted so scripts run unchanged,
and say so in one line: a warning (UnsupportedFeatureWarning) where the
tool itself falls back to what we do (neural backends without a model,
soundfont manager errors, MUSICGEN_AUTO_DOWNLOAD_SF2 set true: we never
download, and an empty soundfont pool is an error naming the Debian
package of its fonts; the field's default, True, is silent), an
UnsupportedFeature error
where the result would differ (sample composition). Every variable of the
tool's "Configuration reference" is read (_ENV), for its field.

Extra fields of ours: sample_rate, sample_format, cache_dir, fonts and
accept_license (the soundfont selection and its licence gate, from
MUSICGEN_FONTS / MUSICGEN_ACCEPT_LICENSE when not given, as the
executable reads them; docs/soundfonts.md), and options (a dict of any
`musicgen generate` option by name, e.g. {"sample-format": "pcm24"}),
applied last.
"""
import ctypes
import dataclasses
import os
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple, Union

from . import _native


class UnsupportedFeature(NotImplementedError):
    """A feature of the Python tool that this engine does not provide."""


class UnsupportedFeatureWarning(UserWarning):
    """A Python-tool feature that is accepted but has no effect here."""


class _Unset:
    def __repr__(self):
        return "<unset>"


UNSET = _Unset()

# field -> (environment variable, parser)
def _bool(v):
    return v.strip().lower() in ("1", "true", "yes", "on")


def _flag(v):
    # as the executable reads a MUSICGEN_* flag: 1/true set it, 0/false
    # leave it unset, anything else is an error
    if v in ("1", "true"):
        return True
    if v in ("0", "false"):
        return False
    raise ValueError(v)


def _genres(v):
    return [g.strip() for g in v.split(",") if g.strip()]


_ENV = {
    "dataset_root": ("MUSICGEN_DATASET_ROOT", str),
    "count": ("MUSICGEN_COUNT", int),
    "output_mode": ("MUSICGEN_OUTPUT_MODE", str),
    "min_musicality_score": ("MUSICGEN_MIN_MUSICALITY_SCORE", float),
    "max_attempts": ("MUSICGEN_MAX_ATTEMPTS", int),
    "sf_dir": ("MUSICGEN_SF_DIR", str),
    "auto_download_sf2": ("MUSICGEN_AUTO_DOWNLOAD_SF2", _bool),
    "soundfont_manager_db": ("MUSICGEN_SOUNDFONT_MANAGER_DB", str),
    "soundfont_manager_sf_dir": ("MUSICGEN_SOUNDFONT_MANAGER_SF_DIR", str),
    "genre": ("MUSICGEN_GENRE", _genres),
    "genres_dir": ("MUSICGEN_GENRES_DIR", str),
    # ours, read as the executable reads them
    "fonts": ("MUSICGEN_FONTS", str),
    "accept_license": ("MUSICGEN_ACCEPT_LICENSE", "flag"),
}

_DEFAULTS = {
    "global_seed": None,
    "sample_index": 0,
    "dataset_root": "./dataset",
    "count": 1,
    "workers": None,
    "output_mode": "full",
    "split_ratios": (0.8, 0.1, 0.1),
    "min_musicality_score": 0.0,
    "max_attempts": 1,
    "sf_dir": None,             # None: the engine's (installed or source tree)
    "auto_download_sf2": True,
    "assets_toml": None,
    "soundfont_manager_db": None,
    "soundfont_manager_sf_dir": None,
    "genre": None,
    "genres_dir": None,
    "chord_backend": "markov",
    "melody_backend": "markov",
    "models_dir": None,
    "shard_width": 0,
    "measures_per_part_override": None,
    "sample_composition": None,
    "sample_rate": 44100,
    "sample_format": "pcm16",
    "cache_dir": None,
    "fonts": None,              # None: the engine's ("default")
    "accept_license": False,
    "options": None,
}


@dataclasses.dataclass
class Config:
    """Run configuration; see the module docstring for precedence."""
    global_seed: Optional[int] = UNSET
    sample_index: int = UNSET
    dataset_root: Union[str, "os.PathLike[str]"] = UNSET
    count: int = UNSET
    workers: Optional[int] = UNSET
    output_mode: str = UNSET
    split_ratios: Tuple[float, float, float] = UNSET
    min_musicality_score: float = UNSET
    max_attempts: int = UNSET
    sf_dir: Optional[str] = UNSET
    auto_download_sf2: bool = UNSET
    assets_toml: Optional[str] = UNSET
    soundfont_manager_db: Optional[str] = UNSET
    soundfont_manager_sf_dir: Optional[str] = UNSET
    genre: Union[None, str, Sequence[str]] = UNSET
    genres_dir: Optional[str] = UNSET
    chord_backend: str = UNSET
    melody_backend: str = UNSET
    models_dir: Optional[str] = UNSET
    shard_width: int = UNSET
    measures_per_part_override: Optional[Dict[str, int]] = UNSET
    sample_composition: Any = UNSET
    # ours
    sample_rate: int = UNSET
    sample_format: str = UNSET
    cache_dir: Optional[str] = UNSET
    fonts: Optional[str] = UNSET
    accept_license: bool = UNSET
    options: Optional[Dict[str, Any]] = UNSET

    def __post_init__(self):
        given, from_env = set(), set()
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if v is not UNSET:
                given.add(f.name)
                continue
            env = _ENV.get(f.name)
            raw = os.environ.get(env[0]) if env else None
            if raw is not None and raw != "":
                try:
                    v = _flag(raw) if env[1] == "flag" else env[1](raw)
                except ValueError:
                    raise ValueError("%s: cannot parse %r for %s"
                                     % (env[0], raw, f.name)) from None
                given.add(f.name)
                from_env.add(f.name)
            else:
                v = _DEFAULTS[f.name]
            setattr(self, f.name, v)
        object.__setattr__(self, "_given", frozenset(given))
        object.__setattr__(self, "_from_env", frozenset(from_env))
        self._check_unsupported()
        self._check_range()

    # -- a seed or an index the engine cannot take: named at once, not
    # when the first sample is made (docs/python.md) ---------------------
    def _check_range(self):
        if self.global_seed is not None:
            _native.seed_arg(self.global_seed)
        _native.index_arg(self.sample_index, "sample_index")

    # -- what this engine does not do ------------------------------------
    def _check_unsupported(self):
        def warn(msg):
            warnings.warn(msg, UnsupportedFeatureWarning, stacklevel=4)

        if self.sample_composition is not None:
            raise UnsupportedFeature(
                "sample_composition: sample-based layers are not supported by "
                "musicgen (C); every layer is rendered with FluidSynth")
        for name in ("chord_backend", "melody_backend"):
            v = getattr(self, name)
            if v not in ("markov", "neural"):
                raise ValueError("%s: must be 'markov' or 'neural', got %r"
                                 % (name, v))
            if v == "neural":
                warn("%s='neural': neural backends are not supported by "
                     "musicgen (C); using the Markov generators (the Python "
                     "tool's fallback when no model is present)" % name)
        if self.models_dir is not None:
            warn("models_dir: neural models are not supported; ignored")
        if self.soundfont_manager_db is not None:
            warn("soundfont_manager_db: SoundfontManager tag selection is not "
                 "supported; soundfonts come from sf/registry.json pools and "
                 "genre tags (the Python tool's fallback is a directory scan)")
        if self.soundfont_manager_sf_dir is not None:
            warn("soundfont_manager_sf_dir: no SoundfontManager database is "
                 "read, so its base directory is not used; ignored")
        if self._env_asked("auto_download_sf2"):
            warn("auto_download_sf2: soundfonts are never downloaded; an "
                 "empty pool is an error naming the Debian package of its "
                 "fonts (sf/registry.json)")
        if self.assets_toml is not None:
            warn("assets_toml: the asset registry is not read by the "
                 "bindings; soundfonts come from sf_dir")
        # auto_download_sf2 True from the constructor (the default, and
        # what dataclasses.replace passes on) is silent: the tool downloads
        # only into an empty pool, which is an error here.

    def _env_asked(self, field):
        """True when field's MUSICGEN_* variable set it true (not a value
        passed on by dataclasses.replace)."""
        return field in self._from_env and bool(getattr(self, field))

    def native_options(self, include_out=True):
        """(name, value) pairs for musicgen_config_set, in order."""
        o = []

        def whole(field):
            """The field as an integer's text; a ValueError naming the
            field (not int()'s bare "invalid literal") when it is none."""
            return str(_native.whole(getattr(self, field), field))

        if self.global_seed is not None:
            o.append(("seed", str(_native.seed_arg(self.global_seed))))
        o.append(("count", whole('count')))
        o.append(("start", whole('sample_index')))
        if include_out and self.dataset_root is not None:
            o.append(("out", os.fspath(self.dataset_root)))
        o.append(("output-mode", str(self.output_mode)))
        if len(tuple(self.split_ratios)) != 3:
            raise ValueError("split_ratios: three ratios (train, valid, test)")
        o.append(("split", ",".join(repr(float(x)) for x in self.split_ratios)))
        o.append(("min-musicality-score", repr(float(self.min_musicality_score))))
        o.append(("max-attempts", whole('max_attempts')))
        if self.sf_dir is not None:
            o.append(("sf-dir", os.fspath(self.sf_dir)))
        if self.genres_dir is not None:
            o.append(("genres-dir", os.fspath(self.genres_dir)))
        if self.genre:
            g = [self.genre] if isinstance(self.genre, str) else list(self.genre)
            o.append(("genre", ",".join(g)))
        o.append(("shard-width", whole('shard_width')))
        mpp = self.measures_per_part_override
        if isinstance(mpp, str):
            # the command line's words ("verse=4, chorus=2"), parsed there
            o.append(("measures-per-part", mpp))
        elif mpp:
            if not hasattr(mpp, "items"):
                raise ValueError("measures_per_part_override: a dict "
                                 "{part: bars} or 'part=bars,...', not %r"
                                 % (mpp,))
            o.append(("measures-per-part", ",".join(
                "%s=%d" % (k, _native.whole(
                    v, "measures_per_part_override[%r]" % (k,)))
                for k, v in sorted(mpp.items()))))
        o.append(("sample-rate", whole('sample_rate')))
        o.append(("sample-format", str(self.sample_format)))
        if self.workers is not None:
            o.append(("workers", whole('workers')))
        if self.fonts is not None:
            o.append(("fonts", str(self.fonts)))
        if self.accept_license:
            o.append(("accept-license", "true"))
        # the bindings are a program, like the executable: its cache of
        # font hashes and pre-roll measurements, unless told otherwise
        # ("" = none), so a DataLoader worker's engine starts as fast
        cache = self.cache_dir
        if cache is None:
            x = os.environ.get("XDG_CACHE_HOME")
            cache = os.path.join(x, "musicgen") if x else os.path.join(
                os.path.expanduser("~"), ".cache", "musicgen")
        o.append(("cache-dir", os.fspath(cache)))
        for k, v in (self.options or {}).items():
            # generate() takes these from their fields, the batch from
            # here: the two disagreed (options={"seed": 9} made seed 1's
            # sample with generate(), seed 9's with generate_batch)
            if k in _FIELD_OF_OPTION:
                raise ValueError("options: %r is Config.%s: set that field"
                                 % (k, _FIELD_OF_OPTION[k]))
            o.append((k, "" if v is None else str(v)))
        return o


# the options Config has a field for that generate() reads from the field
_FIELD_OF_OPTION = {"seed": "global_seed", "start": "sample_index",
                    "out": "dataset_root"}


class NativeConfig:
    """A musicgen_config made from a Config (owned; freed with the object)."""

    def __init__(self, cfg, include_out=True):
        L = _native.lib()
        self._p = L.musicgen_config_new()
        if not self._p:
            raise MemoryError("musicgen_config_new")
        for k, v in cfg.native_options(include_out):
            if L.musicgen_config_set(self._p, _native.enc(k), _native.enc(v)):
                msg = _native.text(L.musicgen_config_error(self._p))
                self.close()
                # a value the caller did not write names where it came from
                field = "dataset_root" if k == "out" else k.replace("-", "_")
                if field in cfg._from_env:
                    msg += " (from %s)" % _ENV[field][0]
                raise ValueError("Config: %s" % msg)

    @property
    def handle(self):
        return self._p

    def json(self):
        L = _native.lib()
        p = L.musicgen_config_json(self._p)
        try:
            return _native.text(ctypes_string(p))
        finally:
            L.musicgen_free(p)

    def close(self):
        # ctypes imported with the module: an import here fails when the
        # object is freed at interpreter exit (a dataset alive to the end
        # printed "import of ctypes halted" from __del__)
        if getattr(self, "_p", None):
            p = ctypes.c_void_p(self._p)
            _native.lib().musicgen_config_destroy(ctypes.byref(p))
            self._p = None

    def __del__(self):
        self.close()


def ctypes_string(p):
    return ctypes.string_at(p) if p else None
