# genre_wizard — `musicgen genre new` typed into as a person would, in a
# real terminal (tmux send-keys): defaults from --from jazz, a wrong tempo
# range and a time signature given twice that are asked again, weights
# shown normalised (a table naming one twice was not), a starter drum
# style, a chord-transition matrix; a name taken and a drum style lacking
# a meter's patterns are asked again too. The genre it writes is shown by
# list-genres and used by generate -g; the flag-only form writes the same
# kind of genre without a terminal.
. "$MG_SRC/tests/system/lib.sh"
set -u
command -v tmux >/dev/null || die "tmux missing (scripts/setup.sh)"
mkdir g
S="mgwiz$$"
export TMUX_TMPDIR="$PWD"
tmux new-session -d -s "$S" -x 220 -y 60 \
    "MUSICGEN_DATA_DIR='$MUSICGEN_DATA_DIR' '$MG_BIN' genre new --genres-dir '$PWD/g' --from jazz 2>'$PWD/wiz.err'; echo EXIT=\$? >'$PWD/done.txt'; sleep 60"
trap 'tmux kill-server 2>/dev/null' EXIT
pane() { tmux capture-pane -p -J -S -3000 -t "$S"; }
asked=0
# finished FILE WHO: wait for the wizard's exit (done.txt), keep its pane
# in FILE, and require exit 0
finished() {
    i=0
    while [ ! -s done.txt ]; do
        i=$((i + 1)); [ $i -gt 400 ] && { pane | tail -8; die "$2 did not finish"; }
        sleep 0.05
    done
    pane >"$1"
    grep -q "EXIT=0" done.txt || { cat wiz.err "$1" | tail -20; die "$2 failed"; }
}
# answer A: wait for the next prompt (a line holding "]:"), then type A
answer() {
    asked=$((asked + 1))
    i=0
    while [ "$(pane | grep -c ']:')" -lt $asked ]; do
        i=$((i + 1)); [ $i -gt 400 ] && { pane | tail -5; die "prompt $asked never came"; }
        sleep 0.05
    done
    if [ -n "$1" ]; then tmux send-keys -t "$S" -l "$1"; fi
    tmux send-keys -t "$S" Enter
}
answer wizgenre             # name
answer ""                   # description (jazz's)
answer ""                   # style
answer "300-100"            # tempo: wrong, must be asked again
answer "90-130"             # tempo again
answer ""                   # swing
answer "4/4:3 4/4:1"        # time signatures: one twice, asked again
answer "4/4:3 3/4:1"        # time signatures
answer ""                   # keys
answer ""                   # chord types
answer ""                   # chord filter
answer ""                   # inversions
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do answer ""; done   # 4 layers x 3
answer ""                   # fx
answer swing                # drum style
answer yes                  # a chord matrix
answer "ii V ii"            # its states: one twice, asked again
answer "ii V I"             # its states
answer "V:1"                # after ii
answer "I:3 vi:1"           # after V: vi is not a state, asked again
answer "I:3 ii:1"           # after V
answer ""                   # after I: uniform
finished pane.txt "the wizard"
grep -q "min 300 is above max 100; try again" pane.txt || die "wrong tempo not re-asked"
[ "$(grep -c 'tempo range' pane.txt)" -ge 2 ] || die "tempo was not asked twice"
grep -q "4/4 0.75  3/4 0.25" pane.txt || die "weights not shown normalised"
grep -q "'4/4' is given twice; try again" pane.txt || die "a time signature given twice not re-asked"
grep -q "'vi' is not one of the states given; try again" pane.txt || die "bad matrix row not re-asked"
grep -q "'ii' is given twice; try again" pane.txt || die "a matrix state given twice not re-asked"
"$PY" - g/wizgenre <<'PYEOF' || die "the written genre"
import json, os, sys
d = sys.argv[1]
s = json.load(open(os.path.join(d, "spec.json")))
assert s["name"] == "wizgenre" and s["style"] == "jazz", s
assert s["tempo"] == {"min": 90, "max": 130}, s["tempo"]
assert s["time_signatures"] == {"4/4": 0.75, "3/4": 0.25}, s["time_signatures"]
assert "maj7" in s["chord_types"] and abs(sum(s["chord_types"].values()) - 1) < 1e-3
assert set(s["layers"]) == {"beat", "melody", "harmony", "bassline"}
assert s["layers"]["bassline"]["programs"][0]["program"] == 32, s["layers"]["bassline"]
assert sorted(f for f in os.listdir(d)) == ["chords.json", "drums_34.txt", "drums_44.txt", "spec.json"], os.listdir(d)
assert "swing-main" in open(os.path.join(d, "drums_44.txt")).read()
c = json.load(open(os.path.join(d, "chords.json")))
assert c["transitions"]["V"] == {"I": 0.75, "ii": 0.25}, c
PYEOF
# answers valid alone but not together are asked again, at the prompt
# (they ended the wizard): a name already in the directory, a drum style
# ("from" jazz) without patterns for a meter given (5/4)
S="mgwiz2$$"
asked=0
rm -f done.txt
tmux new-session -d -s "$S" -x 220 -y 60 \
    "MUSICGEN_DATA_DIR='$MUSICGEN_DATA_DIR' '$MG_BIN' genre new --genres-dir '$PWD/g' --from jazz --time-signatures '4/4:1 5/4:1' --description d --style jazz --tempo 90-130 --swing 0.6-0.7 --keys all --chord-types maj:1 --chord-filter none --inversions root:1 --fx reverb:1 --chords no $(for l in beat melody harmony bassline; do printf -- '--%s-probability 1 --%s-programs 0:1 --%s-tags x ' $l $l $l; done) 2>'$PWD/wiz.err'; echo EXIT=\$? >'$PWD/done.txt'; sleep 60"
answer wizgenre             # name: taken (above)
answer wiz54                # name
answer ""                   # drums: from jazz, which has no 5/4
answer backbeat             # drums
finished pane2.txt "the second wizard"
grep -q "g/wizgenre exists (choose another name, or --force); try again" pane2.txt ||
    die "a taken name not re-asked: $(cat pane2.txt)"
grep -q "no from drum patterns for 5/4 (.*/jazz/drums_54.txt); try again" pane2.txt ||
    die "a drum style without 5/4 not re-asked: $(cat pane2.txt)"
[ -f g/wiz54/drums_54.txt ] && [ -f g/wiz54/drums_44.txt ] || die "wiz54's drums"
"$MG_BIN" list-genres --genres-dir g >lg.txt || die "list-genres"
grep -q "^wizgenre .*90-130" lg.txt || die "list-genres does not show it: $(cat lg.txt)"
"$MG_BIN" generate --seed 5 --count 2 --out ds --genres-dir g -g wizgenre \
    --output-mode midi-only -q || die "generate -g wizgenre"
grep -q '"genre": *"wizgenre"' ds/000001/sample.json || die "sample not of the new genre"
# the same through flags only, and a wrong flag value is one line, exit 1;
# the staging directory a wizard killed on this host left is swept (its
# pid gone), another host's is not
host=$(hostname | tr -c 'A-Za-z0-9._\n' '_' | cut -c1-40)
sh -c 'exit 0' & gone=$!; wait $gone
mkdir -p "g/.genre-new-$host-$gone/half" "g/.genre-new-otherhost-$gone"
"$MG_BIN" genre new --genres-dir g --yes --name flaggenre --tempo 100-120 \
    --time-signatures "6/8:1 7/8:2" --drums electronic >flags.txt 2>&1 ||
    die "flag-only wizard: $(cat flags.txt)"
[ -f g/flaggenre/drums_68.txt ] && [ -f g/flaggenre/drums_78.txt ] || die "drums for each meter"
[ ! -e "g/.genre-new-$host-$gone" ] && [ -d "g/.genre-new-otherhost-$gone" ] ||
    die "staging directories: $(ls -a g)"
rm -rf "g/.genre-new-otherhost-$gone"
"$MG_BIN" genre new --genres-dir g --yes --name bad --swing 0.9-1 2>bad.txt
[ $? -ne 0 ] && grep -q "swing" bad.txt || die "bad --swing accepted"
[ ! -e g/bad ] || die "a refused genre was left behind"
# what the loader would refuse after every question is refused at once:
# a weight table naming one entry twice (it was written not normalised,
# or all 0) and programs whose weights are all 0
for f in "--time-signatures 4/4:3,4/4:1,3/4:4" "--chord-types maj:1,maj:0" \
         "--melody-programs 0:0,5:0" "--fx reverb:1,reverb:0"; do
    "$MG_BIN" genre new --genres-dir g --yes --name twice $f 2>bad.txt
    [ $? -eq 1 ] && [ "$(wc -l <bad.txt)" -eq 1 ] || die "$f: $(cat bad.txt)"
    grep -q "given twice\|at least one weight must be > 0" bad.txt || die "$f: $(cat bad.txt)"
    grep -q "does not load" bad.txt && die "$f reached the loader: $(cat bad.txt)"
done
[ ! -e g/twice ] || die "a refused genre was left behind"
# a --chord-matrix giving a state two rows: the second replaced the first
"$MG_BIN" genre new --genres-dir g --yes --name twice --chords yes \
    --chord-matrix 'I>V:1;V>I:1;I>IV:1;IV>I:1' 2>bad.txt && die "a state with two rows"
grep -qx "musicgen genre new: --chord-matrix: 'I' has two rows" bad.txt || die "two rows: $(cat bad.txt)"
# --force over a name that is a link to a genre elsewhere: the link is
# replaced, the genre it named untouched (its files were deleted)
cp -R g/flaggenre keep && ln -s "$PWD/keep" g/linked
"$MG_BIN" genre new --genres-dir g --yes --name linked --force >/dev/null 2>bad.txt ||
    die "--force over a link: $(cat bad.txt)"
[ -f keep/spec.json ] && [ -f keep/drums_68.txt ] || die "--force emptied the genre a link named"
[ -d g/linked ] && [ ! -L g/linked ] && [ -f g/linked/spec.json ] || die "--force did not replace the link"
# an answer longer than a line buffer is refused whole (its tail was taken
# as the next answer: here the name 'myname')
{ head -c 2047 /dev/zero | tr '\0' x; printf 'myname\nother\n'; } |
    "$MG_BIN" genre new --genres-dir g >long.txt 2>/dev/null
grep -q "longer than 2046 characters; try again" long.txt || die "a long answer not refused whole"
grep -q "description" long.txt || die "the answer after a long one not taken"
[ ! -e g/myname ] && [ ! -e g/other ] || die "a genre written from a cut answer"
# --from a genre whose spec.json does not parse, or is a FIFO: named as
# such, at once (it said 'no genre NAME', and the FIFO hung the wizard)
mkdir -p g/brokenspec g/fifospec && echo '{' >g/brokenspec/spec.json && mkfifo g/fifospec/spec.json
timeout 20 "$MG_BIN" genre new --genres-dir g --yes --from brokenspec --name b2 2>bad.txt
[ $? -eq 2 ] && grep -q "^musicgen genre new: --from brokenspec: g/brokenspec/spec.json:2: " bad.txt ||
    die "--from a broken genre: $(cat bad.txt)"
timeout 20 "$MG_BIN" genre new --genres-dir g --yes --from fifospec --name b2 2>bad.txt
[ $? -eq 2 ] && grep -q "fifospec/spec.json: is a FIFO" bad.txt || die "--from a FIFO: $(cat bad.txt)"
# drums 'from' a genre whose pattern file is a FIFO: refused at once (the
# copy hung)
cp -R "$MUSICGEN_DATA_DIR/genres/jazz" g/fifodrums && rm g/fifodrums/drums_44.txt &&
    mkfifo g/fifodrums/drums_44.txt
timeout 20 "$MG_BIN" genre new --genres-dir g --yes --from fifodrums --drums from --name b3 2>bad.txt
[ $? -eq 1 ] && grep -q "fifodrums/drums_44.txt: is a FIFO" bad.txt || die "drums from a FIFO: $(cat bad.txt)"
[ ! -e g/b3 ] || die "a refused genre was left behind"
rm -rf g/brokenspec g/fifospec g/fifodrums
# a flag value longer than the answer buffer is refused, not cut short (a
# long --chord-matrix lost its last rows, or part of one)
M=$("$PY" -c "print(';'.join('%s>I:0.%s,V:1' % (s, '1' * 300) for s in ('I', 'V', 'ii', 'IV', 'vi', 'iii', 'vii')))")
"$MG_BIN" genre new --genres-dir g --yes --name cut --chords yes --chord-matrix "$M" 2>bad.txt &&
    die "a --chord-matrix of ${#M} characters accepted"
grep -qx "musicgen genre new: --chord-matrix: longer than 2047 characters" bad.txt || die "long matrix: $(cat bad.txt)"
"$MG_BIN" genre new --genres-dir g --yes --name cut --description "$(printf '%03000d' 0)" 2>bad.txt &&
    die "a --description of 3000 characters accepted"
grep -qx "musicgen genre new: --description: longer than 2047 characters" bad.txt || die "long flag: $(cat bad.txt)"
[ ! -e g/cut ] || die "a refused genre was left behind"
# text that is not UTF-8 (spec.json is): refused with the reason, not
# an empty reason for the description, not a tag dropped without a word
"$MG_BIN" genre new --genres-dir g --yes --name lat --description "$(printf 'caf\351')" 2>bad.txt &&
    die "a Latin-1 --description accepted"
LC_ALL=C grep -q "^musicgen genre new: --description .*: not UTF-8 text$" bad.txt || die "Latin-1 description: $(cat bad.txt)"
"$MG_BIN" genre new --genres-dir g --yes --name lat --melody-tags "$(printf 'a l\351ger')" 2>bad.txt &&
    die "a Latin-1 tag accepted"
LC_ALL=C grep -q "is not UTF-8 text$" bad.txt || die "Latin-1 tag: $(cat bad.txt)"
[ ! -e g/lat ] || die "a refused genre was left behind"
# a tag longer than the loader's 31 characters: refused at its question
# (it was refused by the loader after every other one)
"$MG_BIN" genre new --genres-dir g --yes --name longtag --beat-tags "$(printf '%040d' 0)" 2>bad.txt &&
    die "a tag of 40 characters accepted"
grep -qx "musicgen genre new: --beat-tags '0*': tag '0*\.\.\.' is longer than 31 characters" bad.txt ||
    die "long tag: $(cat bad.txt)"
[ ! -e g/longtag ] || die "a refused genre was left behind"
"$MG_BIN" genre new --midi | grep -q " 38  snare" || die "--midi table"
echo "wizard: re-asked a wrong value, wrote a genre that loads and generates"
