# python_tool_api — the Python bindings (python/musicgen, ctypes over
# build/libmusicgen.so) run a script written against the Python tool's
# documented API unchanged (tests/tools/py_tool_api.py: Config precedence,
# result fields, batch, idempotence, CLI-identical bytes, unsupported
# features named; the batch's tree passes verify, LICENSES.md included),
# then the examples quickstart.py and in_memory.py, and
# our fonts / accept_license fields with their MUSICGEN_* variables.
. "$MG_SRC/tests/system/lib.sh"
set -u
# the release build's library: a sanitizer build cannot be loaded by python
export MUSICGEN_LIBRARY="$MG_SRC/build/libmusicgen.so.0"
[ -f "$MUSICGEN_LIBRARY" ] || die "no $MUSICGEN_LIBRARY (make builds it)"
export PYTHONPATH="$MG_SRC/python"
"$PY" "$TOOLS/py_tool_api.py" || die "the tool-API script failed"
# the batch's tree is a whole dataset to verify, its LICENSES.md included
"$MG_BIN" verify ds_batch > vb.txt || { cat vb.txt; die "generate_batch's tree is not whole"; }
"$PY" "$MG_SRC/examples/python/quickstart.py" ex_ds > quick.txt || die "quickstart.py failed"
[ "$(sed -n 4p quick.txt)" = ok ] || die "quickstart: status not ok"
[ "$(sed -n 5p quick.txt)" = "4 0 0" ] || die "quickstart batch: $(sed -n 5p quick.txt)"
"$PY" "$MG_SRC/examples/python/quickstart.py" ex_ds > quick2.txt || die "quickstart.py re-run failed"
[ "$(sed -n 5p quick2.txt)" = "0 0 4" ] || die "quickstart re-run: $(sed -n 5p quick2.txt)"
"$PY" "$MG_SRC/examples/python/in_memory.py" > mem.txt || die "in_memory.py failed"
[ "$(grep -c 'sum(stems) - mix' mem.txt)" -eq 3 ] || die "in_memory: 3 samples expected"
# fonts / accept_license (ours): a field given wins, else MUSICGEN_FONTS /
# MUSICGEN_ACCEPT_LICENSE as the executable reads them, else the default;
# the engine gets the selection (an unknown name from the environment is
# the executable's error), a bad flag names its variable.
"$PY" - <<'PYEOF' || die "MUSICGEN_FONTS / MUSICGEN_ACCEPT_LICENSE checks failed"
import json, os
from musicgen import Config, Engine, MusicgenError
from musicgen.config import NativeConfig
def run_cfg(c):
    return json.loads(NativeConfig(c).json())
assert Config().fonts is None and run_cfg(Config())["fonts"] == "default"
os.environ["MUSICGEN_FONTS"] = "nosuchfont"
os.environ["MUSICGEN_ACCEPT_LICENSE"] = "1"
c = Config(output_mode="midi-only")
assert c.fonts == "nosuchfont" and c.accept_license is True, (c.fonts, c.accept_license)
assert run_cfg(c)["fonts"] == "nosuchfont" and run_cfg(c)["accept_license"] is True
try:
    Engine(c)
    raise SystemExit("an engine with MUSICGEN_FONTS=nosuchfont")
except MusicgenError as e:
    assert "no soundfont named 'nosuchfont'" in str(e), e
c = Config(output_mode="midi-only", fonts="default", accept_license=False)
assert run_cfg(c)["fonts"] == "default" and run_cfg(c)["accept_license"] is False
with Engine(c) as e:
    assert e.generate(0, 1).status == "ok"
os.environ["MUSICGEN_ACCEPT_LICENSE"] = "maybe"
try:
    Config()
    raise SystemExit("MUSICGEN_ACCEPT_LICENSE=maybe accepted")
except ValueError as e:
    assert "MUSICGEN_ACCEPT_LICENSE" in str(e), e
print("fonts env ok")
PYEOF
# a tree of another run: its samples are not "skipped" as this run's (the
# rows of seed 1 went into the manifest over samples of seed 9)
"$MG_BIN" generate --seed 9 --count 2 --out other --output-mode midi-only -q || die "generate other"
cp other/manifest.jsonl other-before.jsonl
PYTHONPATH="$MG_SRC/python" "$PY" - <<'PYEOF' || die "a run of another seed went over a tree"
from musicgen import generate, generate_batch, Config, MusicgenError
for call in (lambda: generate(Config(global_seed=1, output_mode="midi-only", dataset_root="other", sample_index=0)),
             lambda: generate_batch(Config(global_seed=1, output_mode="midi-only", dataset_root="other", count=2))):
    try:
        call()
    except MusicgenError as e:
        assert "holds a sample of another run" in str(e), e
    else:
        raise SystemExit("accepted")
r = generate(Config(global_seed=9, output_mode="midi-only", dataset_root="other", sample_index=1))
assert r.skipped, r
# a config the engine refuses leaves no tree behind: generate() made the
# root and its run lock, generate_batch an empty manifest.jsonl and
# LICENSES.md, both before the engine said no
import os
for name, call in (("gen_bad", generate), ("batch_bad", generate_batch)):
    try:
        call(Config(global_seed=1, output_mode="midi-only", dataset_root=name, genre="no-such-genre"))
    except MusicgenError as e:
        assert "no-such-genre" in str(e), e
    else:
        raise SystemExit("unknown genre accepted")
    left = [f for f in ("", "manifest.jsonl", "LICENSES.md") if os.path.exists(os.path.join(name, f))]
    assert left == [] if name == "gen_bad" else "manifest.jsonl" not in left and "LICENSES.md" not in left, (name, left)
# a field that is no integer is named (int()'s bare "invalid literal" was)
for kw in ({"global_seed": "abc"}, {"global_seed": 1, "count": 2.5}):
    try:
        generate(Config(output_mode="midi-only", dataset_root="other", **kw))
    except ValueError as e:
        assert str(e).startswith(("global_seed: an integer", "count: an integer")), e
    else:
        raise SystemExit("%r accepted" % kw)
PYEOF
cmp -s other/manifest.jsonl other-before.jsonl || die "the other run's manifest changed"
"$MG_BIN" verify other > v.txt || die "the other run is not whole: $(cat v.txt)"
# numbers ctypes would wrap are named, never made as another sample:
# generate() with the engine it kept from an equal Config wrote
# sample_index -1 as 18446744073709551615/ (a row verify refuses), a seed
# of 2**64 - 1 as -1; Engine.generate(2**64) made index 0
"$PY" - <<'PYEOF' || die "a number out of the engine's range, a track that is none or no root was not refused"
import os
from musicgen import generate, generate_batch, Config, Engine, Plan, split_of
kw = dict(output_mode="midi-only", dataset_root="wrap")
assert generate(Config(global_seed=1, **kw)).status == "ok"
e = Engine(Config(output_mode="midi-only"))
bad = [
    (lambda: generate(Config(global_seed=1, sample_index=-1, **kw)),
     "sample_index: -1 is outside 0..999999999999"),
    (lambda: generate(Config(global_seed=2**64 - 1, sample_index=1, **kw)),
     "global_seed: 18446744073709551615 is outside -9223372036854775808.."),
    # named by Config itself, before any sample (docs/python.md)
    (lambda: Config(sample_index=-1), "sample_index: -1 is outside 0..999999999999"),
    (lambda: Config(global_seed=2**64), "global_seed: 18446744073709551616 is outside"),
    (lambda: e.generate(2**64, global_seed=1), "index: 18446744073709551616 is outside"),
    (lambda: e.generate_to_dir(-1, 1, "wrap"), "index: -1 is outside"),
    (lambda: Plan(Config(global_seed=1)).seconds(-1), "index: -1 is outside"),
    (lambda: split_of(Config(), 0), "global_seed is required"),
    (lambda: generate(Config(global_seed=1, sample_index=2,
                             measures_per_part_override={"verse": 2.5}, **kw)),
     "measures_per_part_override['verse']: an integer, not 2.5"),
    # no root: named (os.makedirs('')'s bare message, fspath's TypeError)
    (lambda: generate(Config(global_seed=1, dataset_root="")),
     "dataset_root: a directory is needed, not ''"),
    (lambda: generate_batch(Config(global_seed=1, dataset_root=None)),
     "dataset_root: a directory is needed, not None"),
]
for call, want in bad:
    try:
        call()
    except ValueError as x:
        assert str(x).startswith(want), (str(x), want)
    else:
        raise SystemExit("accepted: " + want)
assert sorted(os.listdir("wrap")) == [".musicgen", "000000", "manifest.jsonl"], os.listdir("wrap")
open("afile", "w").close()
try:
    generate(Config(global_seed=1, dataset_root="afile"))
except NotADirectoryError as x:    # makedirs said "File exists: 'afile'"
    assert str(x) == "[Errno 20] dataset_root: not a directory: 'afile'", x
else:
    raise SystemExit("a file as dataset_root")
# a track that is none is named (a Sample's audio("Mix") was None, as if
# the sample had no mix)
s = e.generate(0, global_seed=1)
assert s.audio("mix") is None and s.wav_bytes("beat") is None   # midi-only
for call in (lambda: s.audio("Mix"), lambda: s.wav_bytes("drums")):
    try:
        call()
    except ValueError as x:
        assert str(x).startswith("track: mix, beat, melody, harmony, bassline, not "), x
    else:
        raise SystemExit("a track that is none accepted")
PYEOF
"$MG_BIN" verify wrap > vw.txt || die "wrap is not whole: $(cat vw.txt)"
# a tree of shard width 3 is not written flat (nor a flat one sharded):
# generate() and generate_batch with the default shard_width wrote
# 000020/ beside 000/ and a second 000003/, and verify then refused the
# whole tree ("mixed layout")
"$MG_BIN" generate --seed 7 --count 4 --out sh3 --shard-width 3 --output-mode midi-only -q || die "generate sh3"
"$PY" - <<'PYEOF' || die "a tree of another layout was written"
from musicgen import generate, generate_batch, write_licenses, Config, MusicgenError
kw = dict(global_seed=7, output_mode="midi-only")
for call in (lambda: generate(Config(dataset_root="sh3", sample_index=3, **kw)),
             lambda: generate(Config(dataset_root="sh3", sample_index=20, **kw)),
             lambda: generate_batch(Config(dataset_root="sh3", sample_index=20, count=2, **kw))):
    try:
        call()
    except MusicgenError as e:
        assert "sh3 holds shard directories of width 3 (000/), not shard-width 0" in str(e), e
    else:
        raise SystemExit("accepted")
try:
    generate(Config(dataset_root="wrap", sample_index=1, shard_width=2, **kw))
except MusicgenError as e:
    assert "wrap holds flat sample directories (000000/), not shard-width 2" in str(e), e
else:
    raise SystemExit("a flat tree written sharded")
r = generate(Config(dataset_root="sh3", sample_index=20, shard_width=3, **kw))
assert r.sample_dir == "sh3/000/000020", r
write_licenses("sh3")
PYEOF
[ "$(ls sh3)" = "000
LICENSES.md
manifest.jsonl" ] || die "sh3 holds $(ls sh3)"
"$MG_BIN" verify sh3 > v3.txt || die "sh3 is not whole: $(cat v3.txt)"
# processes that call generate() for one index at once (allowed: the
# run lock is shared) leave one row: the ones whose rename lost to
# another's finished sample are skipped (each appended its row, and
# verify said "duplicate row for index 0")
"$PY" - <<'PYEOF' || die "generate() at once for one index"
import multiprocessing as mp
from musicgen import generate, generate_in_memory, Config
short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
cfg = dict(global_seed=3, dataset_root="race", measures_per_part_override=short)
def child(barrier, q):
    generate_in_memory(Config(sample_index=1, **cfg))   # the engine, loaded
    barrier.wait()
    q.put(generate(Config(sample_index=0, **cfg)).skipped)
ctx = mp.get_context("fork")
barrier, q = ctx.Barrier(3), ctx.Queue()
ps = [ctx.Process(target=child, args=(barrier, q)) for _ in range(3)]
for p in ps: p.start()
for p in ps: p.join()
assert all(p.exitcode == 0 for p in ps)
assert sorted(q.get() for _ in ps) == [False, True, True]
PYEOF
[ "$(wc -l < race/manifest.jsonl)" -eq 1 ] || die "race: $(wc -l < race/manifest.jsonl) rows for one sample"
"$MG_BIN" licenses race > /dev/null && "$MG_BIN" verify race > vr.txt || die "race is not whole: $(cat vr.txt)"
# Ctrl-C during generate()'s render is raised as the library call
# returns, the sample then on disk: its row still goes to the manifest
# (it was lost, and a re-run skips the sample, so it stayed an orphan);
# simulated by a library call that raises as it returns
"$PY" - <<'PYEOF' || die "an interrupted generate() lost its row"
from musicgen import generate, Config, _native
L = _native.lib()
real = L.musicgen_generate_to_dir
def interrupted(*a):
    real(*a)
    raise KeyboardInterrupt
L.musicgen_generate_to_dir = interrupted
cfg = dict(global_seed=8, dataset_root="intr", output_mode="midi-only")
try:
    generate(Config(sample_index=0, **cfg))
except KeyboardInterrupt:
    pass
else:
    raise SystemExit("not interrupted")
L.musicgen_generate_to_dir = real
assert generate(Config(sample_index=0, **cfg)).skipped
assert open("intr/manifest.jsonl").read().count("\n") == 1
PYEOF
"$MG_BIN" licenses intr > /dev/null && "$MG_BIN" verify intr > vi.txt || die "intr is not whole: $(cat vi.txt)"
# a writer killed between publishing its sample and appending its row
# (kill -9): the re-run finds the sample complete and appends the row the
# manifest lacks (it skipped it without one: an orphan for good); a
# sample that has its row gets no second one
"$PY" - <<'PYEOF' || die "a killed generate()'s sample got no row on the re-run"
import os
from musicgen import generate, Config, _native
cfg = dict(global_seed=8, dataset_root="killed", output_mode="midi-only")
def killed_after_publish(config):
    """generate(config) in a child killed (kill -9's exit) right after the
    library published the sample, before the row was appended"""
    pid = os.fork()
    if pid == 0:
        L = _native.lib()
        real = L.musicgen_generate_to_dir
        def killed(*a):
            real(*a)
            os._exit(9)
        L.musicgen_generate_to_dir = killed
        generate(config)
        os._exit(0)
    assert os.waitpid(pid, 0)[1] >> 8 == 9
generate(Config(sample_index=0, **cfg))
killed_after_publish(Config(sample_index=1, **cfg))
assert open("killed/manifest.jsonl").read().count("\n") == 1
# just published: it may be a writer about to append (no row added yet)
assert generate(Config(sample_index=1, **cfg)).skipped
assert open("killed/manifest.jsonl").read().count("\n") == 1
t = os.stat("killed/000001/sample.json").st_mtime - 120   # two minutes ago
os.utime("killed/000001/sample.json", (t, t))
for i in (1, 0, 1):
    assert generate(Config(sample_index=i, **cfg)).skipped
assert open("killed/manifest.jsonl").read().count("\n") == 2
# a loop run again over a sample the gate rejects adds no second failed
# row (one per failed sample per run: verify's "duplicate row")
gate = dict(cfg, min_musicality_score=1.0, sample_index=2)
for _ in range(3):
    assert generate(Config(**gate)).status == "failed"
rows = open("killed/manifest.jsonl").read()
assert rows.count("\n") == 3 and rows.count('"status":"failed"') == 1, rows
# the reason names the gate as given ("below 1.000" for 0.99995)
import re
r = generate(Config(**dict(gate, min_musicality_score=0.99995, dataset_root="gate5")))
assert r.status == "failed" and re.fullmatch(r"musicality 0\.\d+ below 0\.99995 \(after 1 attempt\)", r.error), r.error
# made by a laxer run whose writer was then killed: complete, its last
# row failed; an old such sample gets its ok row in the failed row's
# place (it was appended: two rows for one index, which verify named)
gate["dataset_root"] = "laxer"
assert generate(Config(**gate)).status == "failed"
killed_after_publish(Config(**dict(gate, min_musicality_score=0.0)))
os.utime("laxer/000002/sample.json", (t, t))
assert generate(Config(**dict(gate, min_musicality_score=0.0))).skipped
rows = open("laxer/manifest.jsonl").read().splitlines()
assert len(rows) == 1 and '"status":"ok"' in rows[-1], rows
PYEOF
"$MG_BIN" licenses killed > /dev/null && "$MG_BIN" verify killed > vk.txt || die "killed is not whole: $(cat vk.txt)"
"$MG_BIN" licenses laxer > /dev/null && "$MG_BIN" verify laxer > vl.txt || die "laxer is not whole: $(cat vl.txt)"
# one row per index whatever happened before: a sample whose first row
# said failed (the gate) made later by a laxer call, and one made again
# after its directory was removed, each keep one row, in its place (each
# got a second row, verify: "duplicate row for index 2"); a row's
# wrote_at has milliseconds, as the CLI's (it had whole seconds)
"$PY" - <<'PYEOF' || die "a sample made over a row of its index got a second row"
import re, shutil
from musicgen import generate, Config
cfg = dict(global_seed=8, dataset_root="remade", output_mode="midi-only")
for i in (1, 2, 3):
    generate(Config(sample_index=i, min_musicality_score=1.0 if i == 2 else 0.0, **cfg))
assert generate(Config(sample_index=2, **cfg)).status == "ok"
shutil.rmtree("remade/000003")
assert not generate(Config(sample_index=3, **cfg)).skipped
rows = open("remade/manifest.jsonl").read().splitlines()
assert [re.search(r'"sample_index":(\d+)', r).group(1) for r in rows] == ["1", "2", "3"], rows
assert all('"status":"ok"' in r for r in rows), rows
assert all(re.search(r'"wrote_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"', r) for r in rows), rows
PYEOF
# measures_per_part_override as the command line writes it is read
# (a string raised AttributeError: 'str' object has no attribute
# 'items'); an option Config has a field for that generate() reads from
# the field is refused (options={"seed": 9} made seed 1's sample with
# generate() and seed 9's with generate_batch)
"$PY" - <<'PYEOF' || die "measures_per_part_override as a string, or options naming a field"
from musicgen import generate, Config
cfg = dict(global_seed=8, dataset_root="mppstr", output_mode="midi-only")
a = generate(Config(measures_per_part_override="verse=2, chorus=1", **cfg))
b = generate(Config(measures_per_part_override={"verse": 2, "chorus": 1}, **dict(cfg, dataset_root="mppdict")))
c = generate(Config(**dict(cfg, dataset_root="mppnone")))
assert a.status == b.status == "ok"
same = lambda x, y: open(x.sample_dir / "sample.json", "rb").read() == open(y.sample_dir / "sample.json", "rb").read()
assert same(a, b) and not same(a, c)
for bad, words in (({"measures_per_part_override": 5}, "measures_per_part_override: a dict {part: bars} or 'part=bars,...', not 5"),
                   ({"options": {"seed": 9}}, "options: 'seed' is Config.global_seed: set that field"),
                   ({"options": {"start": 2}}, "options: 'start' is Config.sample_index: set that field")):
    try:
        generate(Config(**cfg, **bad))
        raise AssertionError("accepted: %r" % (bad,))
    except ValueError as e:
        assert str(e) == words, e
PYEOF
# Ctrl-C during generate_batch: heard at once (it was heard when the
# whole batch had finished: the main thread sat in the C call, and
# Python runs signal handlers there only); the samples in hand finish,
# no other starts, the manifest has their rows; the re-run completes it
"$PY" - <<'PYEOF' || die "Ctrl-C during generate_batch"
import os, signal, time
from musicgen import generate_batch, Config
signal.signal(signal.SIGINT, signal.default_int_handler)
cfg = Config(global_seed=4, count=12, workers=1, dataset_root="intr_batch", output_mode="midi-only")
def ctrl_c(r):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)             # the main thread hears it meanwhile
try:
    generate_batch(cfg, progress=ctrl_c)
    raise AssertionError("no KeyboardInterrupt")
except KeyboardInterrupt:
    pass
made = sorted(d for d in os.listdir("intr_batch") if d.isdigit())
assert 1 <= len(made) <= 2, made
assert open("intr_batch/manifest.jsonl").read().count("\n") == len(made)
b = generate_batch(cfg)
assert (b.succeeded, b.skipped) == (12 - len(made), len(made)), (b.succeeded, b.skipped)
PYEOF
"$MG_BIN" verify intr_batch > vib.txt || die "intr_batch is not whole: $(cat vib.txt)"
# a batch killed (kill -9, a second Ctrl-C) leaves the temporary directory
# of its sample in hand: the next batch removes it, its writer being gone,
# as `musicgen generate` does (the re-run completed the tree and verify
# named the .tmp-* directory, half-written, for ever)
"$PY" - <<'PYEOF' || die "a dead batch writer's temporary directory"
import os, socket, subprocess
from musicgen import generate_batch, Config
cfg = Config(global_seed=4, count=3, workers=1, dataset_root="dead_tmp", output_mode="midi-only")
generate_batch(cfg)
host = "".join(c if c.isalnum() or c in "._" else "_" for c in socket.gethostname()[:40])
gone = subprocess.Popen(["true"]); gone.wait()      # a pid no writer has
os.makedirs("dead_tmp/.tmp-000001-%s-%d/midi" % (host, gone.pid))
assert generate_batch(cfg).skipped == 3
assert not [d for d in os.listdir("dead_tmp") if d.startswith(".tmp-")], os.listdir("dead_tmp")
PYEOF
"$MG_BIN" verify dead_tmp > vdt.txt || die "dead_tmp is not whole: $(cat vdt.txt)"
# an Engine or a Plan used after close() says so (an Engine raised
# MusicgenError with no words, a Plan said every song lasts 0 seconds)
"$PY" - <<'PYEOF' || die "a closed Engine or Plan"
from musicgen import Config, Engine, Plan
cfg = Config(global_seed=1, output_mode="midi-only")
with Engine(cfg) as e, Plan(cfg) as p:
    assert e.generate(1).status == "ok" and p.seconds(1) > 0
for call, name in ((lambda: e.generate(1), "Engine"), (lambda: e.generate_to_dir(1, root="closed"), "Engine"),
                   (lambda: e.fingerprint, "Engine"), (lambda: p.seconds(1), "Plan")):
    try:
        call()
        raise AssertionError("a closed %s answered" % name)
    except ValueError as x:
        assert str(x) == name + " is closed (close() or the end of its with-block freed it)", x
PYEOF
"$MG_BIN" licenses remade > /dev/null && "$MG_BIN" verify remade > vm.txt || die "remade is not whole: $(cat vm.txt)"
grep -vq '"wrote_at":"[0-9T:-]*\.[0-9][0-9][0-9]Z"' ds_batch/manifest.jsonl &&
    die "generate_batch's wrote_at without milliseconds: $(head -1 ds_batch/manifest.jsonl)"
# a bad value from a MUSICGEN_* variable names the variable (the caller
# wrote no count: 'count: must be a positive integer, got '-1'' alone)
MUSICGEN_COUNT=-1 "$PY" - <<'PYEOF' || die "a bad MUSICGEN_COUNT not named"
from musicgen import generate_batch, Config
for kw, tail in (({}, " (from MUSICGEN_COUNT)"), ({"count": -2}, "'-2'")):
    try:
        generate_batch(Config(global_seed=1, dataset_root="envbad", **kw))
    except ValueError as e:
        assert str(e).startswith("Config: count: must be a positive integer") \
            and str(e).endswith(tail), e
    else:
        raise SystemExit("accepted")
PYEOF
# a sample generate() added outside a CLI run's range keeps its row when
# the run is resumed or grown (the manifest from the ledger dropped it:
# an orphan, LICENSES.md without its fonts, verify failed)
"$MG_BIN" generate --seed 7 --count 3 --out mixed --output-mode midi-only -q ||
    die "CLI run for the mixed tree"
"$PY" -c "
from musicgen import generate, Config
assert generate(Config(global_seed=7, sample_index=9, dataset_root='mixed', output_mode='midi-only')).status == 'ok'
" || die "generate() of index 9"
"$MG_BIN" generate --seed 7 --count 3 --out mixed --output-mode midi-only -q ||
    die "CLI resume of the mixed tree"
"$MG_BIN" verify mixed > v.txt || die "the resumed tree: $(tail -3 v.txt)"
"$MG_BIN" generate --seed 7 --count 5 --out mixed --output-mode midi-only -q ||
    die "CLI growth of the mixed tree"
"$MG_BIN" verify mixed > v.txt || die "the grown tree: $(tail -3 v.txt)"
[ "$(grep -c '"sample_index":9,' mixed/manifest.jsonl)" = 1 ] &&
    [ "$(wc -l < mixed/manifest.jsonl)" = 6 ] || die "rows: $(cat mixed/manifest.jsonl)"
echo "python_tool_api ok"
