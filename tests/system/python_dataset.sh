# python_dataset — the on-the-fly PyTorch dataset: the example
# torch_stream.py (a DataLoader with 2 workers yields each index once per
# epoch and the same tensors in two epochs), then the split and shard
# arithmetic (no rendering): the three splits partition the indices and
# agree with the rendered samples' split, and workers x ranks shards
# partition a split, the balanced order (windows sorted by planned length,
# Plan.seconds = duration_seconds) holds each index once for 1, 2 and 3
# workers; then dynamic sharding (each index once per epoch
# across iterations, broken-off epochs, repeated base seeds, 3 workers)
# and static sharding's fixed order (the balanced order, every epoch).
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
# balancing: each window of a rank's indices is sorted longest planned
# song first (Plan.seconds: a first attempt's duration_seconds); static
# workers take its positions in turn, dynamic ones share that order; one
# worker (or window=1) keeps index order; every way, each index once
from musicgen import Plan
full = Config(measures_per_part_override={"intro": 1, "verse": 2, "chorus": 1, "bridge": 1, "outro": 1})
plan = Plan(full)
with Engine(full) as e:
    for i in range(4):
        s = e.generate(i, 5)
        if s.attempt == 1:
            assert abs(plan.seconds(i, 5) - s.duration_seconds) < 1e-6, i
for r, ws in ((0, 1), (1, 2)):
    base = list(D(5, count=50, split="train", config=full, rank=r, world_size=ws).indices())
    for window in (1, 4, 64):
        ds = D(5, count=50, split="train", config=full, rank=r, world_size=ws,
               window=window, preload=False)
        for n in (1, 2, 3):
            order = list(ds.order(n))
            shares = [list(ds.indices(w, n)) for w in range(n)]
            assert sorted(order) == sorted(sum(shares, [])) == sorted(base), (window, n)
            assert shares == [order[w::n] for w in range(n)], (window, n)
            if n == 1 or window == 1:
                assert order == base, (window, n)
                continue
            wins = [order[k:k + window] for k in range(0, len(base), window)]
            assert len(wins) > 1 or window == 64
            for k, win in enumerate(wins):
                assert sorted(win) == sorted(base[k * window:(k + 1) * window]), k
                secs = [plan.seconds(i, 5) for i in win]
                assert secs == sorted(secs, reverse=True) and secs[0] > secs[-1], secs
print("splits, shards and balanced windows ok")
PYEOF
# The dataset's engine is made where the dataset is and inherited by the
# DataLoader's forked workers (none loads the fonts again); an engine's
# close() in a forked child leaves the parent's pages alone. The float32
# tracks the library writes (musicgen_generate_f32) are Sample.audio()'s
# values (the WAV's samples / 32768, / 8388608, or the floats) in every
# format, and the annotations are sample.json's: with_checksums=True
# exactly, by default less the WAVs' checksums (the MIDIs' kept).
"$PY" - <<'PYEOF' || die "engine sharing / tensor checks failed"
import ctypes, os
import numpy as np
import torch
from torch.utils.data import DataLoader, get_worker_info
from musicgen import Config, _native
from musicgen.torch_dataset import MusicgenIterableDataset as D, LAYERS
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
short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
def wav_tensors(s):
    mix = torch.from_numpy(np.ascontiguousarray(s.audio("mix").T))
    return mix, torch.stack([torch.from_numpy(np.ascontiguousarray(s.stems[l].T)) for l in LAYERS])
for fmt in ("pcm16", "pcm24", "float"):
    cfg = Config(measures_per_part_override=short, sample_rate=8000, sample_format=fmt)
    ds = D(3, count=1, config=cfg)
    s = ds._engine.generate(0, 3)
    for sums in (False, True):
        ds.with_checksums = sums
        mix, stems, ann = ds.item(0)
        a = dict(s.annotation, sample_index=0)
        if not sums:
            a["checksums"] = {k: v for k, v in a["checksums"].items() if k.startswith("midi/")}
            assert len(a["checksums"]) == 4
        assert ann == a, fmt
        assert mix.dtype == stems.dtype == torch.float32
        want = wav_tensors(s)
        assert torch.equal(mix, want[0]) and torch.equal(stems, want[1]), fmt
        assert mix.abs().max() <= 1 and mix.any()
print("engine shared by forked workers; f32 tracks equal the WAVs' samples in pcm16, pcm24 and float")
PYEOF
# Dynamic sharding (the default): the workers of one DataLoader iteration
# share a counter, so each index is yielded once per epoch whatever the
# timing: non-persistent workers, an epoch broken off after one item,
# a loader made again with the same generator seed (the same base seed:
# the same iteration key), 3 workers after 2, and mix-only (zero stems).
# sharding="static" deals round-robin: a fixed order, the same each epoch.
"$PY" - <<'PYEOF' || die "dynamic/static sharding checks failed"
import torch
from torch.utils.data import DataLoader
from musicgen import Config
from musicgen.torch_dataset import MusicgenIterableDataset as D, _Claims
short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
cfg = Config(measures_per_part_override=short, sample_rate=8000)
ds = D(3, count=5, config=cfg)
def epoch(loader, stop=None):
    out = {}
    for mix, stems, ann in loader:
        i = ann["sample_index"]
        assert i not in out, "index %d twice in one epoch" % i
        out[i] = (mix, stems)
        if stop is not None and len(out) == stop:
            break
    return out
want = {i: ds.item(i)[:2] for i in range(5)}
def same(got):
    assert sorted(got) == list(range(5)), sorted(got)
    for i, (m, s) in got.items():
        assert torch.equal(m, want[i][0]) and torch.equal(s, want[i][1]), i
loader = DataLoader(ds, batch_size=None, num_workers=2)
same(epoch(loader))
# a worker's item arrives as a list whose tensors view one storage (one
# descriptor passed); a list of items (collate_fn=list) too; any other
# content of the wrapper pickles as a plain list
import pickle
from musicgen.torch_dataset import _SharedItem
x = next(iter(DataLoader(ds, batch_size=None, num_workers=1)))
assert type(x) is list and x[0].storage().data_ptr() == x[1].storage().data_ptr()
batches = list(DataLoader(ds, batch_size=2, num_workers=2, collate_fn=list))
got = {a["sample_index"]: (m, s) for b in batches for m, s, a in b}
same(got)
assert pickle.loads(pickle.dumps(_SharedItem([1, [2], {"a": 3}]))) == [1, [2], {"a": 3}]
assert len(epoch(loader, stop=1)) == 1        # broken off
same(epoch(loader))
for _ in range(2):                            # same base seed twice
    same(epoch(DataLoader(ds, batch_size=None, num_workers=2,
                          generator=torch.Generator().manual_seed(7))))
same(epoch(DataLoader(ds, batch_size=None, num_workers=3)))
st = D(3, count=5, config=cfg, sharding="static")
orders = [[a["sample_index"] for _, _, a in DataLoader(st, batch_size=None, num_workers=2)]
          for _ in range(2)]
# the workers' shares taken in turn: the rank's window, longest first
assert orders[0] == orders[1] == list(st.order(2)) != [0, 1, 2, 3, 4], orders
same(epoch(DataLoader(st, batch_size=None, num_workers=3)))
mo = D(3, count=2, config=Config(measures_per_part_override=short, sample_rate=8000,
                                 output_mode="mix-only"))
for mix, stems, ann in DataLoader(mo, batch_size=None, num_workers=2):
    assert stems.shape == (4,) + tuple(mix.shape) and not stems.any() and mix.any()
# the table itself: one slot per iteration key, a worker id joins once,
# the oldest slot is reused, a superseded iteration says so
c = _Claims()
a0 = c.join((1, 1, 2, 0, 1), 0); a1 = c.join((1, 1, 2, 0, 1), 1)
assert a0 == a1 and [c.claim(a0), c.claim(a1), c.claim(a0)] == [0, 1, 2]
b0 = c.join((1, 1, 2, 0, 1), 0)               # same key, id 0 again: new
assert b0 != a0 and c.claim(b0) == 0 and c.claim(a1) == 3
assert c.join((1, 1, 2, 0, 1), 1) == b0        # id 1 joins the newest
for k in range(3):
    c.join((9, k, 2, 0, 1), 0)
try:
    c.claim(a0)
    raise SystemExit("a superseded iteration claimed")
except RuntimeError as e:
    assert "at once" in str(e)
print("dynamic and static sharding ok")
PYEOF
# a count, start or seed the stream cannot render is named when the
# dataset is made (count=2.5 and an index past the engine's last failed
# inside a worker, start=-1 wrapped to index 2^64 - 1)
"$PY" - <<'PYEOF' || die "a bad count, start or seed accepted"
from musicgen.torch_dataset import MusicgenIterableDataset
for kw, want in ((dict(count=2.5), "count: an integer, not 2.5"),
                 (dict(start=-1), "start: -1 is outside 0..999999999999"),
                 (dict(start=999999999999, count=2),
                  "start + count - 1: 1000000000000 is outside"),
                 (dict(global_seed=2**63), "global_seed: 9223372036854775808 is outside")):
    try:
        MusicgenIterableDataset(**dict(dict(global_seed=1, preload=False), **kw))
    except ValueError as e:
        assert str(e).startswith(want), e
    else:
        raise SystemExit("accepted: %r" % kw)
assert list(MusicgenIterableDataset(global_seed=1, start=999999999999, count=1,
                                    preload=False).indices()) == [999999999999]
PYEOF
# a split-filtered stream alive when the interpreter exits says nothing
# (NativeConfig.__del__ printed "import of ctypes halted" there)
"$PY" - > exit.out 2> exit.err <<'PYEOF' || die "a stream alive at exit"
import itertools, warnings
warnings.simplefilter("ignore")
from musicgen.torch_dataset import MusicgenIterableDataset
ds = MusicgenIterableDataset(global_seed=3, count=None, split="valid", preload=False)
print(list(itertools.islice(ds.indices(0, 2), 3)))
PYEOF
[ ! -s exit.err ] || die "at exit: $(cat exit.err)"
echo "python_dataset ok"
