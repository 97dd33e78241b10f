# full_dataset — a short full-mode run (audio) passes the same independent
# dataset checks as the symbolic runs: schema (with the audio keys),
# formula seeds and splits, checksums of every file including the WAVs,
# beats, arrangement, Harte labels, and MIDI read back by mido.
. "$MG_SRC/tests/system/lib.sh"
set -u
M="--measures-per-part intro=1,verse=2,chorus=2,bridge=1,outro=1"
"$MG_BIN" generate --seed 77 --count 3 --out ds $M -g jazz -g latin -q \
    || die "full run failed"
"$PY" "$TOOLS/check_dataset.py" ds --global-seed 77 --count 3 --mode full \
    || die "full-mode dataset check"
grep -q '"mix.wav"' ds/000000/sample.json || die "sample.json does not name mix.wav"
grep -q '"stems/beat.wav": "[0-9a-f]\{64\}"' ds/000000/sample.json \
    || die "no checksum for stems/beat.wav"
echo "full dataset ok"
