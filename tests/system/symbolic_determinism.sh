# symbolic_determinism — the same midi-only run twice, flat and sharded,
# gives identical MIDI and sample.json bytes; seeds and splits follow the
# formula; a re-run skips finished samples and keeps the manifest whole.
. "$MG_SRC/tests/system/lib.sh"
set -u
N=150
"$MG_BIN" generate --seed 42 --count $N --out a --output-mode midi-only -q \
    || die "first run failed"
"$MG_BIN" generate --seed 42 --count $N --out b --output-mode midi-only -q \
    || die "second run failed"
"$MG_BIN" generate --seed 42 --count $N --out c --output-mode midi-only \
    --shard-width 3 -q || die "sharded run failed"
[ -d c/000/000042 ] || die "sharded layout: c/000/000042 missing"
same_samples a 0 b 0 $N || die "two flat runs differ"
same_samples a 0 c 3 $N || die "flat and sharded runs differ"
"$PY" "$TOOLS/check_dataset.py" a --global-seed 42 --count $N \
    || die "flat dataset check"
"$PY" "$TOOLS/check_dataset.py" c --global-seed 42 --count $N \
    --shard-width 3 || die "sharded dataset check"

# Multi-genre runs are deterministic too.
"$MG_BIN" generate --seed 7 --count 40 --out g1 -g jazz -g latin \
    --output-mode midi-only -q || die "jazz+latin run failed"
MUSICGEN_GENRE=jazz,latin "$MG_BIN" generate --seed 7 --count 40 --out g2 \
    --output-mode midi-only -q || die "jazz+latin via env failed"
same_samples g1 0 g2 0 40 || die "genre run differs between CLI and env"

# Other seeds: negative and large global seeds, an index offset, other
# split ratios.
"$MG_BIN" generate --seed -7 --count 30 --start 999990 --out d \
    --output-mode midi-only --split 0.5,0.3,0.2 -q || die "offset run failed"
"$PY" "$TOOLS/check_dataset.py" d --global-seed -7 --count 30 \
    --start 999990 --split 0.5,0.3,0.2 || die "offset dataset check"
"$MG_BIN" generate --seed 4611686018427387904 --count 10 --out e \
    --output-mode midi-only -q || die "large seed run failed"
"$PY" "$TOOLS/check_dataset.py" e --global-seed 4611686018427387904 \
    --count 10 || die "large seed dataset check"

# A re-run skips: sample.json untouched, manifest still one row per index.
before=$(stat -c %Y.%s a/000010/sample.json)
sha_before=$(sha256sum a/000010/midi/melody.mid)
rm -rf a/000020
"$MG_BIN" generate --seed 42 --count $N --out a --output-mode midi-only -q \
    || die "re-run failed"
[ "$(stat -c %Y.%s a/000010/sample.json)" = "$before" ] || die "re-run rewrote a finished sample"
[ "$(sha256sum a/000010/midi/melody.mid)" = "$sha_before" ] || die "re-run changed a MIDI"
same_samples a 0 b 0 $N || die "re-made sample differs"
"$PY" "$TOOLS/check_dataset.py" a --global-seed 42 --count $N \
    --no-midi-check || die "dataset check after re-run"
echo "symbolic determinism ok"
