# audio_faults — output and soundfont faults in full (audio) mode:
#  - a full disk while writing audio: a clear error, non-zero exit, no
#    sample directory without sample.json, no temporary directory left,
#    the earlier sample untouched (same bytes). The disk is a 'mount -t
#    tmpfs -o size=…' sized to hold one sample, where mount is permitted
#    (ENOSPC); else a file-size limit 'ulimit -f' (EFBIG: the engine
#    ignores SIGXFSZ so the write error is reported). The branch taken is
#    printed; both assert the same things;
#  - a truncated soundfont (valid header, cut after 1 MB: chmod 000 does
#    not stop root) and a corrupt one: an error naming it, nothing written;
#  - an unwritable output (a path through a regular file; plus a read-only
#    tmpfs where mount is permitted): an error, nothing written;
#  - an address-space limit (ulimit -v) too low for the font: one line
#    naming it, never a signal (it was a segmentation fault in FluidSynth);
#  - memory that runs out in a render (ulimit -v): a failed row that says
#    "audio: " once.
. "$MG_SRC/tests/system/lib.sh"
set -u
export XDG_CACHE_HOME="$PWD/cache"
M="--measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1"
FONT=/usr/share/sounds/sf2/FluidR3_GM.sf2

# no sample directory without sample.json, no temporary directory left
check_clean() {
    for d in "$1"/0*; do
        [ -d "$d" ] || continue
        [ -f "$d/sample.json" ] || die "$2: $d has no sample.json"
    done
    [ -z "$(ls -d "$1"/.tmp-* 2>/dev/null)" ] || die "$2: temporary directory left in $1"
}

# sample 0 made first, in a plain directory, then its ledger dropped so
# that a later run of count 2 into the same root skips it and makes 1
"$MG_BIN" generate --seed 7 --count 1 --out ref $M --workers 1 -q \
    || die "reference run failed"
size=$(du -sk ref/000000 | awk '{print $1}')

full_disk() {   # $1 = root on the small disk; run inside the limit
    "$MG_BIN" generate --seed 7 --count 2 --out "$1" $M --workers 1 \
        >full.out 2>full.err && die "$2: generate succeeded on a full disk"
    grep -qi "space\|too large" full.err \
        || { cat full.err; die "$2: the error does not say the disk is full"; }
    [ ! -e "$1/000001/sample.json" ] || die "$2: sample 1 claims to be complete"
    check_clean "$1" "$2"
    cmp -s ref/000000/mix.wav "$1/000000/mix.wav" \
        && cmp -s ref/000000/sample.json "$1/000000/sample.json" \
        || die "$2: the earlier sample changed"
}

mkdir -p disk
# AUDIO_FAULTS_NO_MOUNT=1 exercises the ulimit branch where mount works
if [ -z "${AUDIO_FAULTS_NO_MOUNT:-}" ] \
    && mount -t tmpfs -o size=$((size + 600))k tmpfs disk 2>/dev/null; then
    echo "full disk: tmpfs of $((size + 600)) KiB (ENOSPC)"
    trap 'umount disk 2>/dev/null' EXIT
    cp -R ref/000000 disk/000000 || die "cannot copy sample 0 to the tmpfs"
    full_disk disk/. "tmpfs ENOSPC"
    umount disk
    # a read-only file system
    mount -t tmpfs -o ro,size=1m tmpfs disk || die "cannot mount a read-only tmpfs"
    "$MG_BIN" generate --seed 7 --count 1 --out disk/ro $M --workers 1 -q \
        2>ro.err && die "generate on a read-only file system succeeded"
    grep -qi "read-only" ro.err || { cat ro.err; die "read-only error unclear"; }
    umount disk
    trap - EXIT
else
    # ulimit -f counts 512-byte blocks in dash, 1024 in bash: the limit
    # is below one WAV either way, above the ledger and the MIDIs
    echo "full disk: mount not permitted; ulimit -f (EFBIG)"
    mkdir -p lim
    cp -R ref/000000 lim/000000
    (ulimit -f 400 && full_disk lim "ulimit EFBIG") || exit 1
fi

# an unwritable output: a path through a regular file
echo file >afile
"$MG_BIN" generate --seed 7 --count 1 --out afile/out $M --workers 1 -q \
    2>nd.err && die "generate into a path through a file succeeded"
grep -q "afile" nd.err || { cat nd.err; die "unwritable-output error does not name it"; }
[ ! -e afile/out ] || die "something was written"

# a long song (here: any song, with a 1 MB in-memory store) whose
# scratch file cannot be made: the run stops, naming TMPDIR
MUSICGEN_AUDIO_STORE_MB=1 TMPDIR="$PWD/no-such-tmp" \
    "$MG_BIN" generate --seed 7 --count 2 --out sc $M --workers 1 -q \
    2>sc.err && die "generate without a usable TMPDIR succeeded"
grep -q "no-such-tmp (TMPDIR)" sc.err || { cat sc.err; die "scratch-file error does not name TMPDIR"; }
# one sample's error, then the stop (which sample goes first is the
# coordinator's choice: the tail of a run goes out longest first)
[ "$(grep -c "sample [0-9]" sc.err)" -eq 1 ] || { cat sc.err; die "the run went on after the scratch-file fault"; }
[ -z "$(ls -d sc/0* 2>/dev/null)" ] || die "a sample was written without a scratch file"

# the store's budget is a whole number of MB, 1..65536: anything else is
# one line naming the variable ("abc", "2x" and "0" were read as 1 MB,
# 99999999999 as 64 GB, without a word)
for v in abc 2x 0 99999999999; do
    MUSICGEN_AUDIO_STORE_MB=$v "$MG_BIN" generate --seed 7 --count 1 --out sv $M \
        --workers 1 -q 2>sv.err && die "MUSICGEN_AUDIO_STORE_MB=$v accepted"
    grep -qx "musicgen generate: MUSICGEN_AUDIO_STORE_MB: need a whole number of MB from 1 to 65536, got '$v'" sv.err ||
        die "MUSICGEN_AUDIO_STORE_MB=$v: $(cat sv.err)"
done
# a budget past the machine's memory (every process reserves it) is one
# line with both figures; it failed at the workers' fork ("cannot start 1
# workers: Cannot allocate memory")
mem=$(( $(getconf _PHYS_PAGES) / 1024 * $(getconf PAGESIZE) / 1024 ))
v=$((mem + 1))
if [ "$v" -le 65536 ]; then
    MUSICGEN_AUDIO_STORE_MB=$v "$MG_BIN" generate --seed 7 --count 1 --out sm $M \
        --workers 1 -q 2>sm.err && die "MUSICGEN_AUDIO_STORE_MB=$v accepted (${mem} MB here)"
    grep -qx "musicgen generate: MUSICGEN_AUDIO_STORE_MB=$v: the stem store every process maps ([0-9]* MB) is more than this machine's [0-9]* MB of memory" sm.err ||
        die "MUSICGEN_AUDIO_STORE_MB=$v: $(cat sm.err)"
    [ -z "$(ls -d sm/0* 2>/dev/null)" ] || die "a sample was written"
else
    echo "more than 64 GB of memory: the budget's ceiling is below it"
fi

# a truncated and a corrupt soundfont
mkdir -p sft
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" sft/
head -c 1000000 "$FONT" >sft/cut.sf2
printf '{"fonts": [{"path": "%s/sft/cut.sf2", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' "$PWD" >sft/registry.json
"$MG_BIN" generate --seed 7 --count 1 --out tr $M --sf-dir sft --workers 1 \
    -q 2>tr.err && die "generate with a truncated font succeeded"
grep -q "cut.sf2" tr.err || { cat tr.err; die "truncated-font error does not name it"; }
[ -z "$(ls -d tr/0* 2>/dev/null)" ] || die "a sample was written with a truncated font"
head -c 12 "$FONT" >sft/cut.sf2             # header only: still RIFF sfbk
dd if=/dev/urandom bs=1k count=64 2>/dev/null >>sft/cut.sf2
"$MG_BIN" generate --seed 7 --count 1 --out co $M --sf-dir sft --workers 1 \
    -q 2>co.err && die "generate with a corrupt font succeeded"
grep -q "cut.sf2" co.err || { cat co.err; die "corrupt-font error does not name it"; }
[ -z "$(ls -d co/0* 2>/dev/null)" ] || die "a sample was written with a corrupt font"

# An allocation that fails in a sample's render fails that sample, its
# row saying "audio: " once: it read "audio: audio: out of memory" (the
# engine prefixed messages that said it already). Here four 16-beat delay
# lines (74 MB each at 20 BPM and 192 kHz) under a ulimit -v that lets
# the one font load; that limit depends on the machine, so it is found by
# trying from low to high (MALLOC_ARENA_MAX=1: no per-thread arenas to
# move it). A sanitizer build (its shadow needs the address space) starts
# under none of them, so this part runs the release binary (`make test`
# builds it), as determinism_builds does.
REL=${MG_RELEASE_BIN:-$MG_SRC/build/musicgen}
[ -x "$REL" ] || die "no release binary at $REL (\`make\` builds it; \`make test\` does too)"
mkdir -p sfo g/slow
cp "$MG_SRC/sf/mix.json" sfo/
"$PY" - "$MG_SRC/sf" sfo "$FONT" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1] + "/registry.json"))
r["fonts"] = [f for f in r["fonts"] if f["path"] == sys.argv[3]]
json.dump(r, open(sys.argv[2] + "/registry.json", "w"))
j = json.load(open(sys.argv[1] + "/fx.json"))
for l in j:
    for k in j[l]:
        j[l][k]["probability"] = 0.0
    j[l]["delay"] = {"probability": 1.0, "params": {"time_beats": [16, 16],
                     "feedback": [0.2, 0.2], "mix": [0.2, 0.2]}}
json.dump(j, open(sys.argv[2] + "/fx.json", "w"))
PYEOF
cp "$MG_SRC/genres/default/drums_128.txt" g/slow/
cat >g/slow/spec.json <<'EOF2'
{"tempo": {"min": 20, "max": 20}, "time_signatures": {"12/8": 1},
 "form": {"forms": [{"parts": ["intro", "outro"]}],
   "measures": {"intro": [1, 1], "verse": [1, 1], "chorus": [1, 1],
                "bridge": [1, 1], "outro": [1, 1]}}}
EOF2
# On the way up, no limit may kill it with a signal: one too low for the
# font was a segmentation fault inside FluidSynth's loader (100000 here)
# or libgomp's "Thread creation failed", where a little more gave "cannot
# load it"; the room is now tried before the font loads, one line naming
# the limit.
kb=100000 row= roomless=0
while [ $kb -le 4000000 ] && [ -z "$row" ]; do
    rm -rf oom
    ( (ulimit -v $kb; MALLOC_ARENA_MAX=1 exec "$REL" generate --seed 1 \
        --count 1 --out oom --genres-dir g -g slow --sf-dir sfo \
        --output-mode mix-only --sample-rate 192000 --workers 1 -q) ) \
        >/dev/null 2>oom.err
    rc=$?
    [ $rc -lt 128 ] || die "ulimit -v $kb: killed by signal $((rc - 128)): $(cat oom.err)"
    grep -q "^musicgen generate: soundfont $FONT: no room to load it: it needs about [0-9]* MiB of address space, more than the process's limit (ulimit -v $kb) leaves free: raise the limit$" oom.err &&
        roomless=$((roomless + 1))
    row=$(cat oom/manifest.jsonl 2>/dev/null)
    kb=$((kb + 25000))
done
[ $roomless -gt 0 ] || die "no limit was named as too low for the font"
case $row in
'') die "no address-space limit up to 4 GB lets the release build load the font" ;;
*'"status":"ok"'*) die "no limit between the font's and the delay lines' (ulimit -v $kb): $row" ;;
*'"error":"audio: audio:'*) die "the prefix doubled: $row" ;;
*'"error":"audio: out of memory'*) echo "ulimit -v $((kb - 25000)): $(echo "$row" | grep -o '"error":"[^"]*"')" ;;
*) die "out of memory in a render: $row" ;;
esac
exit 0
