# bad_input_prompt — inputs that used to hang or mislead now give one
# prompt line and a non-zero exit (issue 13, "faults fault injection
# found"): a config or soundfont path naming a device or FIFO, a count past
# the documented limit, an endpoint that is not one, a config line longer
# than any buffer, a broken file every genre reads, a full ledger disk, an
# eval whose --output cannot be written, an export --split typo, a dataset
# command's option without its value.
. "$MG_SRC/tests/system/lib.sh"
set -u

# expect_error "what the message must contain" command...: one line on
# stderr, non-zero exit, and within 20 s (a hang is the bug).
expect_error() {
    want=$1
    shift
    timeout 20 "$@" >out.txt 2>err.txt
    rc=$?
    [ "$rc" -ne 124 ] || die "hung: $*"
    [ "$rc" -ne 0 ] || die "succeeded: $*"
    [ "$(wc -l < err.txt)" -eq 1 ] || { cat err.txt; die "not one line: $*"; }
    grep -q -- "$want" err.txt || { cat err.txt; die "message lacks '$want': $*"; }
}

mkfifo fifo
G="--seed 1 --count 1 --output-mode midi-only"
# config: regular files only
expect_error "/dev/zero: is a character device" "$MG_BIN" generate $G --out o1 --config /dev/zero
expect_error "/dev/zero: is a character device" env MUSICGEN_CONFIG=/dev/zero "$MG_BIN" generate $G --out o1
expect_error "fifo: is a FIFO" "$MG_BIN" generate $G --out o1 --config fifo
expect_error "is a directory" "$MG_BIN" generate $G --out o1 --config .
[ ! -e o1 ] || die "a refused config created the output directory"
# a key given twice in a config file (the last silently won)
printf 'count = 3\n# more\n count=5\n' > twice.conf
expect_error "^musicgen generate: twice.conf:3: count is given twice (first at line 1)$" \
    "$MG_BIN" generate $G --out o1 --config twice.conf
[ ! -e o1 ] || die "a config with a key twice created the output directory"
# --version and --help take nothing after them
expect_error "^musicgen: --version takes no arguments, got 'extra'$" "$MG_BIN" --version extra
expect_error "^musicgen: help takes no arguments, got 'generate'" "$MG_BIN" help generate

# soundfont registry naming a device file or a FIFO
for dev in /dev/zero "$PWD/fifo"; do
    rm -rf sfx && cp -R "$MG_SRC/sf" sfx
    "$PY" - sfx/registry.json "$dev" <<'PYEOF'
import json, sys
p, dev = sys.argv[1], sys.argv[2]
r = json.load(open(p))
for f in r["fonts"]:
    f["path"] = dev
json.dump(r, open(p, "w"))
PYEOF
    expect_error "$dev: is a" "$MG_BIN" generate --seed 1 --count 1 --out o2 --sf-dir sfx
done

# counts and indices past the documented limits
expect_error "more than the 10000000 samples" "$MG_BIN" generate --seed 1 --count 1000000000000 --out o3
expect_error "count" env MUSICGEN_COUNT=20000000 "$MG_BIN" generate --seed 1 --out o3
expect_error "past the largest index" "$MG_BIN" generate --seed 1 --start 999999999999 --count 2 --out o3
[ ! -e o3 ] || die "a refused count created the output directory"

# endpoints are checked when parsed
expect_error "endpoint 'not-an-endpoint'" "$MG_BIN" worker --connect not-an-endpoint --out o4
expect_error "port" "$MG_BIN" worker --connect tcp://head:99999 --out o4
expect_error "--bind: endpoint 'nope'" "$MG_BIN" coordinator --seed 1 --count 4 --out o4 \
    --ledger led.sqlite --bind nope
[ ! -e led.sqlite ] || die "a bad --bind left a ledger behind"

# a config line longer than any read buffer is one line: the tail of a long
# comment is not an option, and a long bad line is refused by its number
pad=$("$PY" -c 'print("x" * 5000)')
printf 'seed = 5\n# %s count = 3\ncount = 2\noutput-mode = midi-only\n' "$pad" > long.conf
timeout 20 "$MG_BIN" generate --config long.conf --out o5 -q || die "long comment line refused"
[ "$(ls -d o5/0* | wc -l)" -eq 2 ] || die "long comment parsed as an option"
printf 'seed = 5\ngenre = %s\n' "$pad" > longval.conf
expect_error "longval.conf:2:" "$MG_BIN" generate --config longval.conf --out o6
printf 'seed = 5\ncount = 2\0junk\n' > nul.conf
expect_error "nul.conf:2: a NUL byte" "$MG_BIN" generate --config nul.conf --out o6

# a broken file that every genre reads is reported once, not per genre
mkdir gx && cp -R "$MG_SRC/genres/." gx/
echo '{broken' > gx/arrangements.json
timeout 20 "$MG_BIN" list-genres --genres-dir gx >out.txt 2>err.txt && die "list-genres passed a broken arrangements.json"
[ "$(wc -l < err.txt)" -eq 1 ] || { cat err.txt; die "the broken shared file was reported more than once"; }
grep -q "arrangements.json" err.txt || die "the message does not name arrangements.json"

# a full ledger disk: one line naming it (was a second, misleading one)
mkdir small
mount -t tmpfs -o size=160k tmpfs small || die "cannot mount a small tmpfs (the test runs as root)"
trap 'umount small 2>/dev/null' EXIT
"$MG_BIN" coordinator --seed 1 --count 3000 --out o7 --ledger small/l.sqlite \
    --bind 'tcp://127.0.0.1:*' --endpoint-file ep --output-mode midi-only -q \
    2>coerr.txt &
cpid=$!
i=0
while [ ! -s ep ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s ep ] || die "the coordinator did not start"
timeout 60 "$MG_BIN" worker --connect "$(cat ep)" --out o7 --jobs 2 -q --idle-timeout 2 2>/dev/null
wait $cpid && die "the coordinator did not fail on a full ledger disk"
grep -v '^20[0-9-]*T' coerr.txt > lines.txt
[ "$(wc -l < lines.txt)" -eq 1 ] || { cat coerr.txt; die "a full ledger disk was not one line"; }
grep -q "disk is full" lines.txt || { cat coerr.txt; die "the line does not say the disk is full"; }
# eval: an unknown evaluation is named in one line (not the whole usage),
# and an --output that cannot be written is refused before minutes of work
expect_error "unknown evaluation 'nosuch'" "$MG_BIN" eval nosuch
expect_error "directory /proc/x: No such file" "$MG_BIN" eval validity --output /proc/x/y
expect_error "is a directory" "$MG_BIN" eval reliability --type det --output .
# export: a split that is not one is refused (it exported nothing before)
expect_error "'val' is not a split" "$MG_BIN" export ds --out x.jsonl --fmt jsonl --split train,val
# the dataset commands: an option at the end without its value is named
# as such (it was called an unknown option), a stray one and a second ROOT
expect_error "filter: --min-score needs a value" "$MG_BIN" filter ds --min-score
expect_error "verify: --jobs needs a value" "$MG_BIN" verify ds --jobs
# the same for the other commands' options (they called a known option
# "unexpected" or "unknown")
expect_error "serve: --dataset needs a value" "$MG_BIN" serve --dataset
expect_error "plot: --piano-roll needs a value" "$MG_BIN" plot ds/000000 --piano-roll
# both pictures into one file: '-' twice wrote an SVG and a PNG into one
# stream (exit 0), one name twice kept the PNG alone
expect_error "plot: --piano-roll and --spectrogram both name -: give each picture its own file" \
    "$MG_BIN" plot ds/000000 --piano-roll - --spectrogram -
expect_error "plot: --piano-roll and --spectrogram both name p.out" \
    "$MG_BIN" plot ds/000000 --piano-roll p.out --spectrogram ./p.out
expect_error "genre new: --tempo needs a value" "$MG_BIN" genre new --tempo
expect_error "genre new: --from needs a value" "$MG_BIN" genre new --from
expect_error "list-genres: --genres-dir needs a value" "$MG_BIN" list-genres --genres-dir
expect_error "download-assets: --registry needs a value" "$MG_BIN" download-assets --registry
expect_error "keygen: --curve-dir needs a value" "$MG_BIN" keygen --curve-dir
expect_error "serve: unexpected argument '--bogus'" "$MG_BIN" serve --bogus
expect_error "stats: unknown option '--frobnicate'" "$MG_BIN" stats ds --frobnicate
expect_error "score: one ROOT only, got 'b' too" "$MG_BIN" score a b
# a ROOT that is missing is named missing (these four said "is not a
# directory" or "not a dataset directory" of a path that was not there)
expect_error "filter: nope: No such file or directory" "$MG_BIN" filter nope --min-score 0.5
expect_error "score: nope: No such file or directory" "$MG_BIN" score nope
expect_error "licenses: nope: No such file or directory" "$MG_BIN" licenses nope
expect_error "clean: nope: No such file or directory" "$MG_BIN" clean --out nope --failed
# status said 'ledger nope/.musicgen/ledger.sqlite: No such file or directory'
expect_error "status: nope: No such file or directory" "$MG_BIN" status --out nope
# an empty ROOT or option value (a shell variable left unset) is named as
# such: it read ": No such file or directory" or "--plot : No such ..."
for c in verify stats score licenses index-midi; do
    expect_error "$c: the dataset ROOT is an empty name" "$MG_BIN" $c ""
done
expect_error "filter: the dataset ROOT is an empty name" "$MG_BIN" filter "" --min-score 0.5
expect_error "stats: --plot is an empty value" "$MG_BIN" stats ds --plot ""
expect_error "verify: --schema is an empty value" "$MG_BIN" verify ds --schema ""

# standard output that cannot be written (a full disk): one line naming
# it and a failure exit, never a report lost under status 0 (stdio wrote
# it at exit, where nobody looked)
"$MG_BIN" generate --seed 2 --count 2 --output-mode midi-only --out ds2 -q || die "generate ds2"
cp -R ds2 ds2bad && rm ds2bad/000001/midi/beat.mid   # verify's exit 1 too
while read -r cmd; do
    # shellcheck disable=SC2086
    timeout 20 "$MG_BIN" $cmd >/dev/full 2>err.txt && die "output lost under status 0: musicgen $cmd"
    [ "$(wc -l < err.txt)" -eq 1 ] && grep -q "standard output: " err.txt ||
        { cat err.txt; die "musicgen $cmd to a full disk: not one line naming standard output"; }
done <<'EOT'
verify ds2
verify ds2 --fmt json
verify ds2bad
stats ds2
licenses ds2
list-genres
fonts
filter ds2 --min-score 0.99 --dry-run
clean ds2 --failed --dry-run
--version
export --help
EOT
# eval --output -: its report goes to stderr, the failure once beside it
# (it said "cannot write standard output" and main said it again)
"$MG_BIN" eval reliability --type det --n-samples 1 --calls 2 --jobs 1 \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 --output - \
    >/dev/full 2>err.txt && die "eval --output - to a full disk succeeded"
[ "$(grep -c "standard output" err.txt)" -eq 1 ] || { cat err.txt; die "eval --output - to a full disk: not one line"; }
# plot names "-" itself, once
"$MG_BIN" plot ds2/000000 --piano-roll - >/dev/full 2>err.txt && die "plot - to a full disk succeeded"
[ "$(cat err.txt)" = "musicgen plot: -: No space left on device" ] || { cat err.txt; die "plot - to a full disk: not one line"; }

# "--" ends the options, as verify, stats, score and filter take it: a
# ROOT or a file named "-x" (export, index-midi, score-audio and plot
# called "--" an unknown option or argument)
cp -R ds2 ./-ds
"$MG_BIN" export --out dd.jsonl -q -- -ds || die "export -- -ds"
[ "$(wc -l < dd.jsonl)" -eq 2 ] || die "export -- -ds: $(wc -l < dd.jsonl) rows"
"$MG_BIN" index-midi -o dd.json -q -- -ds || die "index-midi -- -ds"
"$PY" -c "
import math, struct, wave
w = wave.open('-tone.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
w.writeframes(b''.join(struct.pack('<h', int(8000 * math.sin(i * 0.05))) for i in range(44100)))
"
"$MG_BIN" score-audio -- -tone.wav > sa.txt || die "score-audio -- -tone.wav"
cp -R ds2/000000 ./-s0
"$MG_BIN" plot --piano-roll s0.svg -- -s0 && [ -s s0.svg ] || die "plot -- -s0"
grep -q " -tone.wav$" sa.txt || die "score-audio -- -tone.wav: $(cat sa.txt)"
echo "ok"
