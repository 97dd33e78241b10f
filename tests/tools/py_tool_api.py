"""py_tool_api — a script written against the Python tool's documented
library API (README "Library API" and "Configuration reference"), run on
our bindings: generate / generate_batch / Config / SampleResult /
BatchResult, the precedence constructor > MUSICGEN_* env > defaults, the
result fields, idempotent re-runs, the same bytes as the CLI, and clear
failures for what is not supported. Run by tests/system/python_tool_api.sh
with MG_BIN and a scratch cwd."""
import filecmp
import os
import subprocess
import sys
import warnings

import musicgen
from musicgen import generate, generate_batch, Config, SampleResult, BatchResult
from musicgen import UnsupportedFeature, UnsupportedFeatureWarning

short = {"intro": 1, "verse": 1, "chorus": 1, "bridge": 1, "outro": 1}
LAYERS = ("beat", "melody", "harmony", "bassline")


def check(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


# defaults and env precedence: env fills what the constructor leaves out
for v in list(os.environ):
    if v.startswith("MUSICGEN_") and v != "MUSICGEN_DATA_DIR":
        del os.environ[v]
c = Config()
check(c.global_seed is None and c.sample_index == 0 and c.count == 1, "defaults")
check(c.output_mode == "full" and tuple(c.split_ratios) == (0.8, 0.1, 0.1), "defaults")
check(c.min_musicality_score == 0.0 and c.max_attempts == 1 and c.shard_width == 0, "defaults")
os.environ["MUSICGEN_DATASET_ROOT"] = "ds_env"
os.environ["MUSICGEN_OUTPUT_MODE"] = "midi-only"
os.environ["MUSICGEN_GENRE"] = "rock,funk"
os.environ["MUSICGEN_COUNT"] = "2"
c = Config(global_seed=42)
check(c.dataset_root == "ds_env" and c.output_mode == "midi-only", "env fills fields")
check(list(c.genre) == ["rock", "funk"] and c.count == 2, "env genre list, count")
c = Config(global_seed=42, output_mode="mix-only", count=5)
check(c.output_mode == "mix-only" and c.count == 5, "constructor wins over env")
os.environ["MUSICGEN_COUNT"] = "many"
try:
    Config()
    check(False, "bad env value accepted")
except ValueError as e:
    check("MUSICGEN_COUNT" in str(e), "env error names the variable: %s" % e)
del os.environ["MUSICGEN_COUNT"]
del os.environ["MUSICGEN_GENRE"]

# every variable of the tool's "Configuration reference", one at a time:
# it fills its field (parsed), reaches the engine's options where the
# engine has the feature, and says "not supported" in one warning line
# where it has not; a field given to the constructor wins over it
ENV = [  # variable, raw, field, parsed, engine option or "warn"
    ("MUSICGEN_DATASET_ROOT", "ds_e", "dataset_root", "ds_e", ("out", "ds_e")),
    ("MUSICGEN_COUNT", "3", "count", 3, ("count", "3")),
    ("MUSICGEN_OUTPUT_MODE", "stems-only", "output_mode", "stems-only", ("output-mode", "stems-only")),
    ("MUSICGEN_MIN_MUSICALITY_SCORE", "0.25", "min_musicality_score", 0.25, ("min-musicality-score", "0.25")),
    ("MUSICGEN_MAX_ATTEMPTS", "4", "max_attempts", 4, ("max-attempts", "4")),
    ("MUSICGEN_SF_DIR", "/x/sf", "sf_dir", "/x/sf", ("sf-dir", "/x/sf")),
    ("MUSICGEN_AUTO_DOWNLOAD_SF2", "true", "auto_download_sf2", True, "warn"),
    ("MUSICGEN_SOUNDFONT_MANAGER_DB", "sm.db", "soundfont_manager_db", "sm.db", "warn"),
    ("MUSICGEN_SOUNDFONT_MANAGER_SF_DIR", "/x/sm", "soundfont_manager_sf_dir", "/x/sm", "warn"),
    ("MUSICGEN_GENRE", "jazz", "genre", ["jazz"], ("genre", "jazz")),
    ("MUSICGEN_GENRES_DIR", "/x/genres", "genres_dir", "/x/genres", ("genres-dir", "/x/genres")),
]
os.environ.pop("MUSICGEN_DATASET_ROOT", None)
os.environ.pop("MUSICGEN_OUTPUT_MODE", None)
for var, raw, field, want, effect in ENV:
    os.environ[var] = raw
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        c = Config(global_seed=1)
    got = getattr(c, field)
    check((list(got) if field == "genre" else got) == want, "%s -> %s: %r" % (var, field, got))
    msgs = [str(x.message) for x in w if issubclass(x.category, UnsupportedFeatureWarning)]
    if effect == "warn":
        check(len(msgs) == 1 and field in msgs[0] and "\n" not in msgs[0],
              "%s: one warning line naming %s: %s" % (var, field, msgs))
    else:
        check(not msgs, "%s: no warning: %s" % (var, msgs))
        check(effect in c.native_options(), "%s reaches the engine: %s" % (var, effect))
    default = Config(global_seed=1, **{field: None if field != "count" else 1})
    check(getattr(default, field) != got or field == "genre" and default.genre is None,
          "%s: the constructor wins" % var)
    del os.environ[var]
os.environ["MUSICGEN_AUTO_DOWNLOAD_SF2"] = "false"     # what we do: silent
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    check(Config(global_seed=1).auto_download_sf2 is False, "auto_download_sf2 false")
    check(not [x for x in w if issubclass(x.category, UnsupportedFeatureWarning)],
          "auto_download_sf2=false warns")
del os.environ["MUSICGEN_AUTO_DOWNLOAD_SF2"]
os.environ["MUSICGEN_DATASET_ROOT"] = "ds_env"
os.environ["MUSICGEN_OUTPUT_MODE"] = "midi-only"

# generate: output root and mode from the environment
r = generate(Config(global_seed=42, sample_index=0, measures_per_part_override=short))
check(isinstance(r, SampleResult), "SampleResult")
print(r.sample_dir, r.split, r.musicality_score, r.status)
check(r.sample_dir == os.path.join("ds_env", "000000"), "sample_dir %r" % r.sample_dir)
check(os.path.isdir(r.sample_dir / "midi"), "sample_dir joins like a Path")
check(r.split in ("train", "valid", "test"), "split")
check(isinstance(r.musicality_score, float) and 0 <= r.musicality_score <= 1, "score")
check(r.status == "ok" and r.attempt == 1 and not r.skipped, "status")
check(os.path.exists("ds_env/000000/sample.json"), "sample.json written")
check(not os.path.exists("ds_env/000000/mix.wav"), "midi-only from env: no audio")
# the same sample from the CLI: same bytes
subprocess.run([os.environ["MG_BIN"], "generate", "--seed", "42", "--count", "1",
                "--out", "cli", "--output-mode", "midi-only", "-q", "-w", "1",
                "--measures-per-part", "intro=1,verse=1,chorus=1,bridge=1,outro=1"],
               check=True)
for f in ["sample.json"] + ["midi/%s.mid" % l for l in LAYERS]:
    check(filecmp.cmp("cli/000000/" + f, "ds_env/000000/" + f, shallow=False),
          "%s differs from the CLI's" % f)
# re-running short-circuits: same row, files untouched
m = os.stat("ds_env/000000/sample.json").st_mtime_ns
r2 = generate(Config(global_seed=42, sample_index=0, measures_per_part_override=short))
check(r2.skipped and r2.status == "ok" and r2.split == r.split, "re-run skipped")
check(r2.musicality_score == r.musicality_score, "re-run score")
check(os.stat("ds_env/000000/sample.json").st_mtime_ns == m, "re-run rewrote")
rows = open("ds_env/manifest.jsonl").read().splitlines()
check(len(rows) == 1 and '"sample_index":0' in rows[0], "one manifest row: %r" % rows)
# sample by sample, LICENSES.md is written on request, the same as the CLI's
check(not os.path.exists("ds_env/LICENSES.md"), "generate() wrote LICENSES.md")
nf = musicgen.write_licenses("ds_env")
check(isinstance(nf, int) and nf >= 1, "write_licenses font count %r" % nf)
lic = open("ds_env/LICENSES.md").read()
check("across 1 finished sample" in lic, "LICENSES.md covers the one sample")
subprocess.run([os.environ["MG_BIN"], "licenses", "cli", "-q"], check=True)
check(open("cli/LICENSES.md").read() == lic, "write_licenses differs from `musicgen licenses`")
try:
    musicgen.write_licenses("no_such_root")
    check(False, "write_licenses of a missing root succeeded")
except musicgen.MusicgenError as e:
    check("manifest.jsonl" in str(e), "names the missing manifest: %s" % e)

# the constructor beats the environment: mix-only into an explicit root
r = generate(Config(global_seed=42, sample_index=1, dataset_root="ds_mix",
                    output_mode="mix-only", measures_per_part_override=short))
check(r.sample_dir == os.path.join("ds_mix", "000001"), "explicit root")
check(os.path.exists("ds_mix/000001/mix.wav"), "mix-only: mix.wav")
check(not os.path.exists("ds_mix/000001/stems"), "mix-only: no stems")

# batch
b = generate_batch(Config(global_seed=1, count=3, workers=2, dataset_root="ds_batch",
                          measures_per_part_override=short, shard_width=3))
check(isinstance(b, BatchResult), "BatchResult")
print(b.succeeded, b.failed, b.skipped)
check((b.succeeded, b.failed, b.skipped) == (3, 0, 0), "batch counts")
check([x.sample_index for x in b.results] == [0, 1, 2], "batch results")
check(all(os.path.exists("ds_batch/000/00000%d/sample.json" % i) for i in range(3)), "shard layout")
b = generate_batch(Config(global_seed=1, count=4, workers=2, dataset_root="ds_batch",
                          measures_per_part_override=short, shard_width=3))
check((b.succeeded, b.skipped) == (1, 3), "batch idempotent: %r" % ((b.succeeded, b.skipped),))
rows = open("ds_batch/manifest.jsonl").read().splitlines()
check(len(rows) == 4, "manifest: one row per index, got %d" % len(rows))
# the batch writes the soundfonts' terms of the four samples, as generate
lic = open("ds_batch/LICENSES.md").read() if os.path.exists("ds_batch/LICENSES.md") else ""
check("across 4 finished samples" in lic, "batch LICENSES.md covers its 4 samples")

# errors and what is not supported
try:
    generate(Config(sample_index=0))
    check(False, "no global_seed accepted")
except ValueError as e:
    check("global_seed" in str(e), "names global_seed")
try:
    Config(global_seed=1, sample_composition=object())
    check(False, "sample_composition accepted")
except UnsupportedFeature as e:
    check("sample_composition" in str(e), "names sample_composition")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    Config(global_seed=1, chord_backend="neural", soundfont_manager_db="x.json")
    msgs = " ".join(str(x.message) for x in w
                    if issubclass(x.category, UnsupportedFeatureWarning))
    check("chord_backend" in msgs and "soundfont_manager_db" in msgs, "warnings: %s" % msgs)
try:
    generate(Config(global_seed=1, dataset_root="ds_bad", genre="no-such-genre"))
    check(False, "unknown genre accepted")
except Exception as e:
    check("no-such-genre" in str(e), "error names the genre: %s" % e)
try:
    Config(global_seed=1, shard_width=9).native_options()
    generate(Config(global_seed=1, dataset_root="ds_bad", shard_width=9))
    check(False, "shard_width 9 accepted")
except ValueError as e:
    check("shard-width" in str(e), "error names shard-width: %s" % e)
print("py_tool_api ok")
