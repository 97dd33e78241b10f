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
echo "python_dataset ok"
