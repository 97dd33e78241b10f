# serve_limits — `musicgen serve` against a demanding or hostile client,
# over real sockets (no browser): a big sample's tar and spectrogram cost
# the server little memory (they were built whole in memory, the WAV read
# twice over as floats and doubles).
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 3 --count 1 --out ds --output-mode midi-only \
    --workers 1 -q || die "dataset"
# a 48 MB mix.wav (16-bit stereo, sparse: no disk used), as a long song's
"$PY" - ds/000000/mix.wav <<'PYEOF'
import struct, sys
n = 48 << 20
with open(sys.argv[1], "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16) +
            b"data" + struct.pack("<I", n))
    f.truncate(44 + n)
PYEOF
trap 'kill $SPID 2>/dev/null' EXIT
start_serve --work work --dataset ds
# peak_after PATH: the growth of the server's peak RSS (kB) over a request
peak() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' /proc/$SPID/status; }
peak_after() {
    before=$(peak)
    curl -fsS -o got "$U$1" || die "$1"
    echo $(($(peak) - before))
}
g=$(peak_after api/tar/ds/0)
[ "$(wc -c <got)" -gt $((48 << 20)) ] && tar tf got | grep -qx 000000/mix.wav ||
    die "the tar of a big sample"
[ "$g" -lt 16384 ] || die "the tar of a 48 MB sample took $g kB of memory"
g=$(peak_after api/spectrogram/ds/0)
[ "$(head -c 8 got | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || die "not a PNG"
[ "$g" -lt 16384 ] || die "the spectrogram of a 48 MB mix took $g kB of memory"
kill $SPID
wait $SPID
echo "serve: bounded memory"
