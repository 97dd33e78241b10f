#!/usr/bin/env python3
"""quickstart — the Python tool's library API, unchanged, on libmusicgen.

    PYTHONPATH=python python3 examples/python/quickstart.py [DATASET_ROOT]

Makes one sample, then a batch of four, into DATASET_ROOT (default
./dataset), with short songs (one measure per part) so it runs in seconds.
Run it twice: the second run skips what is already there.
"""
import sys

from musicgen import generate, generate_batch, Config, SampleResult, BatchResult

root = sys.argv[1] if len(sys.argv) > 1 else "./dataset"
short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}

# Single sample
result = generate(Config(global_seed=42, sample_index=0, dataset_root=root,
                         measures_per_part_override=short))
assert isinstance(result, SampleResult)
print(result.sample_dir)        # "./dataset/000000"
print(result.split)             # "train" | "valid" | "test"
print(result.musicality_score)  # float
print(result.status)            # "ok" | "failed"

# Batch
result = generate_batch(Config(global_seed=1, count=4, dataset_root=root,
                               workers=2, output_mode="midi-only",
                               sample_index=100,
                               measures_per_part_override=short))
assert isinstance(result, BatchResult)
print(result.succeeded, result.failed, result.skipped)
