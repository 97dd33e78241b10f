#!/bin/sh
# tutorial.sh — run docs/tutorial.md: its ```sh and ```python blocks, in
# order, in a scratch directory (```console blocks are for people only:
# setup, build, serve), then deal with the pictures the page shows:
#   sh scripts/tutorial.sh          regenerate docs/tutorial/ from them
#   sh scripts/tutorial.sh --check  compare them byte for byte with
#                                   docs/tutorial/ (tests/system/tutorial_doc.sh)
# MG_BIN names the musicgen binary (default build/musicgen).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
MG_BIN=${MG_BIN:-$SRC/build/musicgen}
PY=${PY:-/usr/bin/python3}
PICS="roll.svg spectrogram.png charts/tempo_bpm.svg charts/key.svg charts/meter.svg"
check=0
[ "${1:-}" = --check ] && check=1
W=$(mktemp -d "${TMPDIR:-/tmp}/musicgen-tutorial.XXXXXX")
trap 'rm -rf "$W"' EXIT
export MUSICGEN_DATA_DIR="${MUSICGEN_DATA_DIR:-$SRC}"
export PYTHONPATH="$SRC/python"     # as the page says: from the repository
mkdir -p "$W/build"
ln -s "$MG_BIN" "$W/build/musicgen"
# the blocks, as one shell script (python blocks become files it runs)
awk -v dir="$W" '
    /^```sh$/     { mode = "sh"; next }
    /^```python$/ { mode = "py"; n++; f = dir "/block" n ".py";
                    print "\"$PY\" " f; next }
    /^```/        { mode = ""; next }
    mode == "sh"  { print }
    mode == "py"  { print > f }
' "$SRC/docs/tutorial.md" >"$W/run.sh"
(cd "$W" && PY="$PY" sh -e ./run.sh) || { echo "tutorial: a command failed" >&2; exit 1; }
status=0
for p in $PICS; do
    [ -s "$W/$p" ] || { echo "tutorial: $p was not made" >&2; exit 1; }
    if [ $check = 1 ]; then
        if ! cmp -s "$W/$p" "$SRC/docs/tutorial/$p"; then
            echo "tutorial: $p differs from docs/tutorial/$p (regenerate: sh scripts/tutorial.sh)" >&2
            status=1
        fi
    else
        mkdir -p "$SRC/docs/tutorial/$(dirname "$p")"
        cp "$W/$p" "$SRC/docs/tutorial/$p"
    fi
done
[ $check = 1 ] && [ $status = 0 ] && echo "tutorial: every command ran; $(echo $PICS | wc -w) pictures byte-equal"
[ $check = 0 ] && echo "tutorial: pictures written to docs/tutorial/"
exit $status
