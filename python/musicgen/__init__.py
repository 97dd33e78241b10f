"""musicgen — Python bindings of libmusicgen (ctypes, standard library).

The Python tool's library API, on the C engine:

    from musicgen import generate, generate_batch, Config, SampleResult, BatchResult
    result = generate(Config(global_seed=42, sample_index=0, dataset_root="./dataset"))
    batch = generate_batch(Config(global_seed=1, count=32, dataset_root="./dataset", workers=4))

plus samples in memory (Engine, generate_in_memory -> Sample with numpy
audio), songs' lengths before they are made (Plan), a PyTorch
IterableDataset (musicgen.torch_dataset), and a written dataset tree read
back (musicgen.dataset; MusicgenDiskDataset for PyTorch). See
docs/python.md.
"""
from ._native import MusicgenError
from .config import Config, UnsupportedFeature, UnsupportedFeatureWarning
from .api import (BatchResult, Engine, Plan, Sample, SampleResult, generate,
                  generate_batch, generate_in_memory, split_of, version,
                  write_licenses)

__all__ = [
    "generate", "generate_batch", "Config", "SampleResult", "BatchResult",
    "Engine", "Plan", "Sample", "generate_in_memory", "split_of", "version",
    "MusicgenError", "UnsupportedFeature", "UnsupportedFeatureWarning",
    "write_licenses",
]


def __getattr__(name):
    # the loaded library's version (the engine's), read when asked
    if name == "__version__":
        return version()
    raise AttributeError(name)
