# dataset_fifo — a damaged (or hostile) tree with FIFOs where files should
# be: a sample.json, a mix, a stem and a MIDI file. Every reader names
# them ("not a regular file" / "is a FIFO") and goes on, or stops with one
# line; none blocks for ever opening a FIFO nobody writes (each command
# runs under `timeout`: exit 124 is the failure this test is about).
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 17 --count 5 --out ds -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 || die "generate"
fifo() { rm "$1" && mkfifo "$1" || die "mkfifo $1"; }
fifo ds/000001/sample.json
fifo ds/000002/mix.wav
fifo ds/000003/stems/melody.wav
fifo ds/000004/midi/bassline.mid
run() { # EXPECTED-EXIT CMD...: the command ends, with that status
    want=$1
    shift
    timeout 60 "$@" > out.txt 2> err.txt
    rc=$?
    [ "$rc" -ne 124 ] || die "$* blocked (a FIFO opened for reading)"
    [ "$rc" -eq "$want" ] || die "$*: exit $rc, not $want: $(tail -3 err.txt) $(tail -3 out.txt)"
}
run 1 "$MG_BIN" verify ds
for want in "000001: sample.json: cannot read: not a regular file" \
            "000002: mix.wav: not a regular file" \
            "000003: stems/melody.wav: not a regular file" \
            "000004: midi/bassline.mid: not a regular file"; do
    grep -qxF "$want" out.txt || die "verify did not say '$want': $(cat out.txt)"
done
run 1 "$MG_BIN" verify ds --quick
grep -qxF "000002: mix.wav: not a regular file" out.txt || die "verify --quick: $(cat out.txt)"
run 0 "$MG_BIN" stats ds
grep -q "4 samples, 0 failed, 0 half-written, 1 unreadable" out.txt || die "stats: $(cat out.txt)"
run 0 "$MG_BIN" export ds -o x.jsonl
grep -q "^musicgen export: 4 rows to x.jsonl (jsonl); left out: 0 half-written, 1 invalid," err.txt ||
    die "export jsonl: $(cat err.txt)"
run 0 "$MG_BIN" export ds -o x.parquet
for fmt in jams webdataset hf; do
    run 0 "$MG_BIN" export ds -o x.$fmt -f $fmt
    grep -q "with a missing or unreadable file (first: .*: is a FIFO, expected a regular file)" err.txt ||
        die "export $fmt: $(cat err.txt)"
done
run 0 "$MG_BIN" index-midi ds -o m.json
run 0 "$MG_BIN" index-audio ds -o a.json
run 1 "$MG_BIN" score ds --force
grep -q "problem" out.txt || die "score named no problem: $(cat out.txt)"
run 1 "$MG_BIN" eval validity --dataset ds --mode good --n-samples 2
grep -qx "musicgen eval validity: ds/000002/mix.wav: is a FIFO, expected a regular file" err.txt ||
    die "eval: $(cat err.txt)"
PYTHONPATH="$MG_SRC/python" run 0 "$PY" -c '
from musicgen.dataset import Dataset, DatasetError
d = Dataset("ds")
by = {s.index: s for s in d}
assert 1 not in by, sorted(by)   # its sample.json is no file: not a sample
for i, f in ((2, lambda s: s.audio()), (3, lambda s: s.audio("melody")),
             (4, lambda s: s.midi("bassline"))):
    try:
        f(by[i])
    except DatasetError as e:
        assert "not a regular file" in str(e), e
    else:
        raise AssertionError("sample %d: a FIFO was read" % i)
'
echo "fifo ok"
