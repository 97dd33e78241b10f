# python_disk_dataset — reading a dataset tree from Python
# (musicgen.dataset.Dataset and the map-style MusicgenDiskDataset): the
# samples are exactly the rows `musicgen export` writes (flat and sharded,
# with half-written directories, a failed manifest row and a sample on
# disk without a row; and without a manifest), with its split /
# min-score / genre filters; the annotations are sample.json; the audio
# equals Python's own `wave`
# decoding and, as tensors, what MusicgenIterableDataset renders in memory
# for the same sample (pcm16, pcm24, float); MIDI bytes are the files
# and parse with mido; a DataLoader with 2 workers yields each sample
# once; bad roots and filters fail with a message naming them, and so do
# trees of mixed layouts (as export), unknown MIDI layers and a min_score
# that is no number; every output mode reads (stems-only: the mix None,
# full's stems; mix-only: zero stems; midi-only: refused naming the mode
# unless audio=False); the example examples/python/read_dataset.py runs.
. "$MG_SRC/tests/system/lib.sh"
set -u
export MUSICGEN_LIBRARY="$MG_SRC/build/libmusicgen.so.0"
[ -f "$MUSICGEN_LIBRARY" ] || die "no $MUSICGEN_LIBRARY (make builds it)"
export PYTHONPATH="$MG_SRC/python"
MPP="intro=1,verse=1,chorus=1,bridge=1,outro=1"

"$MG_BIN" generate --seed 21 --count 60 --out flat --output-mode midi-only \
    -g jazz -g latin -q || die "generate flat"
"$MG_BIN" generate --seed 22 --count 40 --out sharded --output-mode midi-only \
    --shard-width 3 -q || die "generate sharded"
for fmt in pcm16 pcm24 float; do
    "$MG_BIN" generate --seed 23 --count 2 --out "full_$fmt" --sample-format $fmt \
        --measures-per-part "$MPP" -q || die "generate full $fmt"
done
# the other audio modes, of pcm16's seed: their files are full's
for mode in stems-only mix-only; do
    "$MG_BIN" generate --seed 23 --count 2 --out "$mode" --output-mode $mode \
        --measures-per-part "$MPP" -q || die "generate $mode"
done

# What a crash leaves, a failed row, and a sample written after the
# manifest (on disk, no row): export's rules decide which are samples.
mkdir flat/000060 flat/.tmp-000061-4242 sharded/000/.tmp-000039-7
rm -r flat/000007
echo '{"attempt":3,"path":"000007","sample_index":7,"split":"train","status":"failed"}' \
    >> flat/manifest.jsonl
cp -r sharded/000/000005 sharded/000/000041
sed -i 's/"sample_index": 5,/"sample_index": 41,/' sharded/000/000041/sample.json

# a tree without a manifest (a run still going, slices not merged)
cp -R sharded nomani && rm nomani/manifest.jsonl
for root in flat sharded nomani; do
    "$MG_BIN" export "$root" --out "$root.jsonl" -q || die "export $root"
    "$MG_BIN" export "$root" --out "$root.valid.jsonl" --split valid,test -q \
        || die "export $root --split"
    "$MG_BIN" export "$root" --out "$root.score.jsonl" --min-score 0.9 -q \
        || die "export $root --min-score"
    "$MG_BIN" export "$root" --out "$root.jazz.jsonl" --genre jazz,default -q \
        || die "export $root --genre"
done

"$PY" - <<'PYEOF' || die "Dataset checks failed"
import json, os
from musicgen.dataset import Dataset, DatasetError

def rows(path):
    with open(path) as f:
        return [json.loads(l)["sample_index"] for l in f]

for root, layout, partial in (("flat", "flat", 2), ("sharded", "sharded", 1),
                              ("nomani", "sharded", 1)):
    ds = Dataset(root)
    assert ds.layout == layout, (root, ds.layout)
    assert ds.indices == rows(root + ".jsonl"), (root, ds.indices)
    assert ds.partial == partial, (root, ds.partial)
    assert ds.failed == (1 if root == "flat" else 0), (root, ds.failed)
    assert len(ds) == len(ds.indices) == len(list(ds))
    for name, kw in (("valid", dict(split=["valid", "test"])),
                     ("score", dict(min_score=0.9)),
                     ("jazz", dict(genre=["jazz", "default"]))):
        got = Dataset(root, **kw).indices
        want = rows("%s.%s.jsonl" % (root, name))
        assert got == want, (root, name, got, want)
    # each sample is its sample.json, and its files are what it names
    for s in ds:
        with open(os.path.join(s.dir, "sample.json")) as f:
            ann = json.load(f)
        assert s.annotation == ann and ann["sample_index"] == s.index
        assert s.mix is None and s.stems == {}
        for layer, rel in ann["midi"].items():
            with open(os.path.join(s.dir, rel), "rb") as f:
                assert s.midi(layer) == f.read()
    assert ds.by_index(ds.indices[-1]).index == ds.indices[-1]

flat = Dataset("flat")
assert 7 not in flat.indices and 60 not in flat.indices and 61 not in flat.indices
assert 41 in Dataset("sharded").indices, "a sample without a manifest row is one"
assert sum(len(Dataset("flat", split=s)) for s in ("train", "valid", "test")) == len(flat)
assert Dataset("flat", genre="jazz").indices
# names separated by commas, as on the command line ("jazz, latin" was
# one name no sample has)
assert Dataset("flat", genre="jazz, latin").indices == Dataset("flat", genre=["jazz", "latin"]).indices
assert Dataset("flat", split="train, test").indices == Dataset("flat", split=("train", "test")).indices

# MIDI parses with an independent reader
import io, mido
m = mido.MidiFile(file=io.BytesIO(flat[0].midi("melody")))
assert sum(1 for t in m.tracks for e in t if e.type == "note_on" and e.velocity) > 0

def refused(f, words):
    try:
        f()
    except (DatasetError, ValueError) as e:
        assert all(w in str(e) for w in words), (str(e), words)
        return
    raise AssertionError("accepted: %r" % (words,))

refused(lambda: Dataset("nowhere"), ["nowhere", "not a directory"])
# a directory holding no dataset (here: an empty one, and the parent of
# "sharded"), as the C commands say it (cli/dsargs.c)
os.makedirs("emptydir", exist_ok=True)
refused(lambda: Dataset("emptydir"),
        ["emptydir holds no musicgen dataset (no manifest.jsonl, no sample directories)"])
os.makedirs("up", exist_ok=True)
if not os.path.exists("up/sharded"):
    os.symlink(os.path.abspath("sharded"), "up/sharded")
refused(lambda: Dataset("up"), ["up holds no musicgen dataset", "; up/sharded does"])
# a tree some process holds the run lock of (runlock.h: flock, its words
# in the file) is read, and says who writes it
import fcntl
assert Dataset("sharded").writer is None
with open("sharded/.musicgen/run.lock", "w") as lk:
    fcntl.flock(lk, fcntl.LOCK_EX)
    lk.write("musicgen generate (pid 4242 on node7)\n"); lk.flush()
    held = Dataset("sharded")
    assert held.writer == "musicgen generate (pid 4242 on node7)", held.writer
    assert "being written by musicgen generate (pid 4242" in repr(held)
    assert held.indices == Dataset("nomani").indices
assert Dataset("sharded").writer is None
# static workers hold it shared (any number at once): seen as well
with open("sharded/.musicgen/run.lock", "w") as lk:
    fcntl.flock(lk, fcntl.LOCK_SH)
    lk.write("musicgen worker --static, slice 3 of 8 (pid 4242 on node7)\n")
    lk.flush()
    assert Dataset("sharded").writer == \
        "musicgen worker --static, slice 3 of 8 (pid 4242 on node7)"
assert Dataset("sharded").writer is None
# manifest lines that are no row: left aside and listed, as export does
import shutil
shutil.copytree("sharded", "torn")
with open("torn/manifest.jsonl", "a") as f:
    f.write('{"sample_index": 3, "split": "tr\n{"sample_index": -1}\n')
t = Dataset("torn")
assert t.indices == Dataset("sharded").indices, t.indices
assert [b.split(":")[0] for b in t.bad_rows] == ["line 41", "line 42"], t.bad_rows
assert "2 manifest lines that are no row" in repr(t), repr(t)
import subprocess
subprocess.run([os.environ["MG_BIN"], "export", "torn", "--out", "torn.jsonl",
                "-q"], check=True)
assert t.indices == rows("torn.jsonl")
s = Dataset("sharded")[2]
s.annotation["midi"]["melody"] = "../../000001/midi/melody.mid"
refused(lambda: s.midi("melody"), ["outside its directory", "midi/melody"])
refused(lambda: Dataset("flat", split="dev"), ["dev", "not a split"])
refused(lambda: Dataset("flat", min_score=2), ["min_score"])
# a genre no sample has (a typo), as export --genre: named, with those there
refused(lambda: Dataset("flat", genre="rock"), ["no sample", "rock", "jazz"])
with open("flat/%s/sample.json" % ("%06d" % flat.indices[3]), "w") as f:
    f.write('{"key": ')
refused(lambda: Dataset("flat")[3].annotation, ["%06d" % flat.indices[3], "sample.json"])
print("Dataset ok:", flat, Dataset("sharded"))
PYEOF

"$PY" - <<'PYEOF' || die "audio / torch checks failed"
import wave
import numpy as np
import torch
from torch.utils.data import DataLoader
from musicgen import Config
from musicgen.dataset import Dataset, read_wav
from musicgen.torch_dataset import MusicgenDiskDataset, MusicgenIterableDataset

MPP = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
for fmt, width in (("pcm16", 2), ("pcm24", 3), ("float", None)):
    root = "full_" + fmt
    ds = Dataset(root)
    assert len(ds) == 2
    s = ds[0]
    assert s.annotation["audio_format"] == fmt, s.annotation["audio_format"]
    mix = s.audio("mix")
    assert mix.dtype == np.float32 and mix.shape == (
        s.annotation["audio_frames"], s.annotation["audio_channels"])
    if width:   # Python's wave module reads integer PCM: the same values
        with wave.open(s.path("mix")) as w:
            assert w.getsampwidth() == width
            raw = np.frombuffer(w.readframes(w.getnframes()), np.uint8)
        raw = raw.reshape(-1, width)
        ints = np.zeros(len(raw), np.int64)
        for k in range(width):
            ints |= raw[:, k].astype(np.int64) << (8 * k)
        ints = np.where(ints >= 1 << (8 * width - 1), ints - (1 << (8 * width)), ints)
        assert np.array_equal(ints.reshape(mix.shape), s.audio("mix", "raw"))
    # the disk dataset's tensors are what the in-memory renderer makes
    disk = MusicgenDiskDataset(root, with_midi=True)
    mem = MusicgenIterableDataset(23, count=2, preload=False, config=Config(
        measures_per_part_override=MPP, sample_format=fmt))
    for k in range(2):
        m1, s1, a1 = disk[k]
        m2, s2, a2 = mem.item(disk.indices[k])
        assert m1.shape == m2.shape and s1.shape == s2.shape, (m1.shape, m2.shape)
        assert torch.equal(m1, m2) and torch.equal(s1, s2), (fmt, k)
        assert a1["sample_index"] == a2["sample_index"] == disk.indices[k]
        assert a1["midi"].keys() == {"beat", "melody", "harmony", "bassline"}
        assert a1["beat_times"] == a2["beat_times"] and a1["chords"] == a2["chords"]
        assert a1["midi"]["melody"] == ds[k].midi("melody")

# the mix alone: the same tensor, no stems read
m1, s1, _ = MusicgenDiskDataset("full_pcm24", stems=False)[1]
m2, _, _ = MusicgenDiskDataset("full_pcm24")[1]
assert s1 is None and torch.equal(m1, m2)

# a DataLoader over the disk dataset: every sample once, from 2 workers
disk = MusicgenDiskDataset("sharded", audio=False)
seen = [int(ann["sample_index"]) for _, _, ann in
        DataLoader(disk, batch_size=None, num_workers=2, shuffle=True)]
assert sorted(seen) == disk.indices, seen
for kw in ({}, {"stems": False}):
    try:
        MusicgenDiskDataset("sharded", **kw)[0]
        raise AssertionError("audio from a midi-only sample")
    except ValueError as e:
        assert "a midi-only sample has no mix and no stems; audio=False" in str(e), e
# every audio mode reads (a stems-only tree was refused: "no mix"): its
# stems are full's and its mix None; mix-only: full's mix, zero stems
fm, fs, fa = MusicgenDiskDataset("full_pcm16")[1]
sm, ss, sa = MusicgenDiskDataset("stems-only")[1]
assert sm is None and torch.equal(ss, fs) and sa["sample_index"] == 1
mm, ms, _ = MusicgenDiskDataset("mix-only")[1]
assert torch.equal(mm, fm) and not ms.any()
items = list(DataLoader(MusicgenDiskDataset("stems-only"), batch_size=None, num_workers=2))
assert len(items) == 2 and all(m is None and s.shape[0] == 4 for m, s, _ in items)
try:
    MusicgenDiskDataset("stems-only", stems=False)[0]
    raise AssertionError("stems=False of a stems-only sample")
except ValueError as e:
    assert "a stems-only sample has no mix; stems=False reads the mix alone" in str(e), e
# a stem whose length is not the mix's is named, not cropped or padded
import shutil
from musicgen.dataset import DatasetError
shutil.copytree("full_pcm16", "bad_len")
d = Dataset("bad_len")
a, b = d[0], d[1]
assert a.audio("melody").shape != b.audio("melody").shape
shutil.copy(b.path("melody"), a.path("melody"))
try:
    MusicgenDiskDataset("bad_len")[0]
    raise AssertionError("a stem of another length was accepted")
except DatasetError as e:
    assert "melody.wav" in str(e) and "expected" in str(e), e
print("audio and torch ok")
PYEOF

# the example, as the README shows it
"$PY" "$MG_SRC/examples/python/read_dataset.py" full_pcm16 > ex.txt 2>&1 \
    || { tail -5 ex.txt; die "read_dataset.py failed"; }
grep -q "^Dataset('full_pcm16': 2 samples, flat" ex.txt \
    && grep -q "^read [0-9]* training samples" ex.txt || die "read_dataset.py: $(cat ex.txt)"
# a WAV cut short is an error naming it (it gave fewer frames without a
# word, and the torch dataset then blamed a stem), and a dtype the values
# cannot take is refused (integers: all zeros)
cp -R full_pcm16 cut
f=$(ls cut/0*/mix.wav | head -n 1)
truncate -s 1000 "$f"
PYTHONPATH="$MG_SRC/python" "$PY" - "$f" <<'PYEOF' || die "a cut WAV or an integer dtype accepted"
import sys
from musicgen.dataset import Dataset, DatasetError
ds = Dataset("cut")
s = ds[0]
try:
    s.audio("mix")
except DatasetError as e:
    assert "truncated" in str(e) and sys.argv[1].split("/", 1)[1] in str(e), e
else:
    raise SystemExit("a cut mix.wav read without an error")
for dt in ("int16", "int8", "uint8"):
    try:
        ds[1].audio("mix", dtype=dt)
    except DatasetError as e:
        assert "floating" in str(e), e
    else:
        raise SystemExit("dtype %s accepted" % dt)
assert ds[1].audio("mix", dtype="float64").dtype.name == "float64"
# a slice is a list of samples (it was a TypeError from inside)
sl = ds[0:2]
assert [x.index for x in sl] == list(ds.indices[0:2]) and ds[::-1][0].index == ds.indices[-1]
PYEOF
# a tree of both layouts (flat samples beside shard directories) or of
# two shard widths is refused as the commands refuse it (it was read as
# one, an index in both kept once); a MIDI layer, a min_score or a
# by_index key that is no such thing is named (midi("piano") was None,
# min_score="x" float()'s bare message)
cp -R sharded mixed && cp -R sharded/000/000003 mixed/000003
cp -R sharded widths && mkdir widths/00
for root in mixed widths; do
    "$MG_BIN" export "$root" --out "$root.jsonl" > "$root.err" 2>&1 && die "export read $root"
done
PYTHONPATH="$MG_SRC/python" "$PY" - <<'PYEOF' || die "a mixed tree or a bad name accepted"
from musicgen.dataset import Dataset, DatasetError
for root, want in (("mixed", "mixed: mixed layout: sample directory 000003/ beside shard directory 000/"),
                   ("widths", "widths: shard directories of different widths (00/ and 000/)")):
    try:
        Dataset(root)
    except DatasetError as e:
        assert str(e) == want, e
        assert want in open(root + ".err").read(), "export says otherwise"
    else:
        raise SystemExit(root + " read")
ds = Dataset("sharded")
for call, want in ((lambda: ds[0].midi("piano"), "layer: beat, melody, harmony, bassline, not 'piano'"),
                   (lambda: Dataset("sharded", min_score="x"), "min_score: need a number in [0, 1], got 'x'")):
    try:
        call()
    except ValueError as e:
        assert str(e) == want, e
    else:
        raise SystemExit("accepted: " + want)
try:
    ds.by_index("x")
except KeyError:
    pass
assert ds[0].midi("melody")[:4] == b"MThd"
PYEOF
# a hand-edited row whose sample_index is a string or true is no row, as
# export reads it (int() made them rows of 1 and 3, their split used)
cp -R sharded edited
"$PY" - <<'PYEOF' || die "edit the manifest"
import json
lines = open("edited/manifest.jsonl").read().splitlines()
for n, v in ((1, "1"), (3, True)):
    r = json.loads(lines[n]); assert r["sample_index"] == n
    r["sample_index"] = v
    r["split"] = "test" if json.load(open("edited/" + r["path"] + "/sample.json"))["split"] != "test" else "train"
    lines[n] = json.dumps(r)
open("edited/manifest.jsonl", "w").write("\n".join(lines) + "\n")
PYEOF
"$MG_BIN" export edited --out edited.jsonl --split test 2> /dev/null || die "export edited"
PYTHONPATH="$MG_SRC/python" "$PY" - <<'PYEOF' || die "a string or true sample_index read as a row"
import json
from musicgen.dataset import Dataset
ds = Dataset("edited", split="test")
want = [json.loads(l)["sample_index"] for l in open("edited.jsonl")]
assert ds.indices == want, (ds.indices, want)
assert [b.split(":")[0] for b in ds.bad_rows] == ["line 2", "line 4"], ds.bad_rows
PYEOF
echo "python_disk_dataset ok"
