# python_dataset — the on-the-fly PyTorch dataset: the example
# torch_stream.py (a DataLoader with 2 workers yields each index once per
# epoch and the same tensors in two epochs), then the split and shard
# arithmetic (no rendering): the three splits partition the indices and
# agree with the rendered samples' split, and workers x ranks shards
# partition a split.
. "$MG_SRC/tests/system/lib.sh"
set -u
export MUSICGEN_LIBRARY="$MG_SRC/build/libmusicgen.so.0"
[ -f "$MUSICGEN_LIBRARY" ] || die "no $MUSICGEN_LIBRARY (make builds it)"
export PYTHONPATH="$MG_SRC/python"
"$PY" "$MG_SRC/examples/python/torch_stream.py" > stream.txt || { tail -5 stream.txt; die "torch_stream.py failed"; }
[ "$(grep -c '^epoch' stream.txt)" -eq 12 ] || die "expected 12 items over 2 epochs"
"$PY" - <<'PYEOF' || die "split/shard checks failed"
from musicgen import Config, Engine
from musicgen.torch_dataset import MusicgenIterableDataset as D
cfg = Config(output_mode="midi-only")
parts = {s: list(D(5, count=200, split=s, config=cfg).indices()) for s in ("train", "valid", "test")}
allx = sorted(sum(parts.values(), []))
assert allx == list(range(200)), "splits do not partition the indices"
assert 120 < len(parts["train"]) < 190, len(parts["train"])
with Engine(cfg) as e:
    for s, idx in parts.items():
        for i in idx[:2]:
            assert e.generate(i, 5).split == s, (i, s)
d = {(r, w): list(D(5, count=200, split="train", config=cfg, rank=r, world_size=2).indices(w, 3))
     for r in range(2) for w in range(3)}
flat = sorted(sum(d.values(), []))
assert flat == parts["train"], "shards do not partition the split"
assert len(D(5, count=200, split="train", config=cfg)) == len(parts["train"])
print("splits and shards ok")
PYEOF
# The dataset's engine is made where the dataset is and inherited by the
# DataLoader's forked workers (none loads the fonts again); an engine's
# close() in a forked child leaves the parent's pages alone. The one-pass
# PCM -> tensor path gives Sample.audio()'s values for every format.
"$PY" - <<'PYEOF' || die "engine sharing / tensor checks failed"
import ctypes, os
import numpy as np
import torch
from torch.utils.data import DataLoader, get_worker_info
from musicgen import Config, _native
from musicgen.api import _decode_pcm
from musicgen.torch_dataset import MusicgenIterableDataset as D, LAYERS, _pcm_array
parent = os.getpid()
ds = D(5, count=0, config=Config(output_mode="midi-only"))
p0 = ds._engine._p
assert p0 and ds._engine._pid == parent
def init(_):
    e = get_worker_info().dataset._engine
    assert e is not None and e._p == p0 and e._pid == parent, "worker made its own engine"
    e.close()                # a forked copy: dropped, not freed
    assert e._p is None
assert list(DataLoader(ds, batch_size=None, num_workers=2, worker_init_fn=init)) == []
assert ds._engine._p == p0
assert D(5, count=3, config=Config(output_mode="midi-only"), preload=False)._engine is None
# _pcm_array against _decode_pcm, every format, odd frame counts
rng = np.random.default_rng(1)
for fmt, bps, ints in ((_native.PCM16, 2, None), (_native.PCM24, 3, None), (_native.FLOAT32, 4, None)):
    for ch, frames in ((2, 1001), (1, 7), (2, 0)):
        raw = rng.integers(0, 256, size=frames * ch * bps, dtype=np.uint8).tobytes()
        if fmt == _native.FLOAT32:
            raw = (rng.random(frames * ch, dtype=np.float32) * 2 - 1).astype("<f4").tobytes()
        buf = ctypes.create_string_buffer(raw, len(raw) or 1)
        pcm = _native._Pcm(ctypes.addressof(buf), frames, ch, 8000, fmt, bps)
        want = _decode_pcm(raw, fmt, ch, "float32").T
        got = _pcm_array(pcm)
        assert got.dtype == np.float32 and got.shape == (ch, frames)
        assert np.array_equal(got, want), (fmt, ch, frames)
        into = np.full((3, ch, frames), 7, dtype=np.float32)
        _pcm_array(pcm, into[1])
        assert np.array_equal(into[1], want) and (into[0] == 7).all() and (into[2] == 7).all()
# end to end: an item equals the Sample path's arrays (one full sample)
short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
ds = D(3, count=1, config=Config(measures_per_part_override=short, sample_rate=8000))
mix, stems, ann = ds.item(0)
s = ds._engine.generate(0, 3)
a = s.annotation
a["sample_index"] = 0
assert ann == a
assert torch.equal(mix, torch.from_numpy(np.ascontiguousarray(s.audio("mix").T)))
assert torch.equal(stems, torch.stack([torch.from_numpy(np.ascontiguousarray(s.stems[l].T)) for l in LAYERS]))
print("engine shared by forked workers; one-pass tensors equal Sample.audio")
PYEOF
echo "python_dataset ok"
