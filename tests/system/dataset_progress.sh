# dataset_progress — the dataset commands' progress line (cli/progress.c):
# into a file with --progress, whole lines and a last one that counts
# every sample; on a terminal (a pseudo-terminal made by script(1)) one
# line redrawn in place and erased before the summary, a problem line of
# verify starting on a clean line, and nothing at all with -q. The
# commands' own output is the same with and without it.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 9 --count 40 --out ds --output-mode midi-only -q \
    --shard-width 1 || die "generate failed"

# ---- --progress into a file: lines, the last one counting all 40
"$MG_BIN" verify ds > plain.txt 2> plain.err || die "verify refused a whole tree"
"$MG_BIN" verify ds --progress > prog.txt 2> prog.err || die "verify --progress"
grep -q "^verify: 1 of 40 samples (2%), " prog.err || { cat prog.err; die "no first line"; }
tail -n 1 prog.err | grep -q "^verify: 40 samples in [0-9.]* s ([0-9]*/s)$" ||
    { cat prog.err; die "verify's last progress line"; }
grep -q "$(printf '\r')" prog.err && die "a redrawn line in a file"
[ ! -s plain.err ] || { cat plain.err; die "progress in a file without --progress"; }
sed 's/ in [0-9.]* s (.*)/ (time)/' plain.txt > a.txt
sed 's/ in [0-9.]* s (.*)/ (time)/' prog.txt > b.txt
cmp -s a.txt b.txt || die "verify's report changed with --progress"
for c in "stats ds" "index-midi ds -o i.json" "export ds -o x.jsonl" \
         "filter ds --min-score 0.99 --dry-run" "score ds"; do
    set -- $c
    # shellcheck disable=SC2086
    "$MG_BIN" $c --progress > out.txt 2> err.txt || { cat err.txt; die "$c --progress"; }
    grep -q "^$1: 40 samples in [0-9.]* s" err.txt ||
        { cat err.txt; die "$1: last progress line"; }
    rm -f x.jsonl
done

# ---- on a terminal: redrawn, erased, and out of the way of the report
script -qfec "\"$MG_BIN\" verify ds" tty.txt > /dev/null || die "verify under a pty"
tr '\r' '\n' < tty.txt | grep -q "^verify: [0-9]* of 40 samples" ||
    { cat -v tty.txt; die "no progress line on a terminal"; }
# the summary starts a clean line: the progress line was erased before it
grep -q "$(printf '\r\033\\[K')verify: ds: 40 samples, 40 manifest rows" tty.txt ||
    { cat -v tty.txt; die "the summary does not follow an erased line"; }
cp -R ds bad
printf 'x' >> bad/0/000007/midi/beat.mid
script -qfc "\"$MG_BIN\" verify bad" bad.txt > /dev/null
grep -q "$(printf '\r\033\\[K')0/000007: midi/beat.mid: " bad.txt ||
    { cat -v bad.txt; die "a problem line not on a clean line"; }
script -qfec "\"$MG_BIN\" export ds -o q.jsonl -q" q.txt > /dev/null || die "export -q under a pty"
grep -q "samples" q.txt && { cat -v q.txt; die "progress shown with -q"; }
[ -s q.jsonl ] || die "export -q wrote nothing"
echo "progress lines: ok"
