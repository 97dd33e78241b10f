# dataset_not_a_root — the dataset commands given a directory that holds
# no dataset (a slip: the dataset's parent, an empty or wrong directory)
# say so in one line, exit 1 and write nothing (no output file, no
# .musicgen/ left behind), naming the subdirectories that do hold one;
# `clean` (it removes directories) wants a run's mark, not digit names;
# they used to report "0 samples" and exit 0 (score and filter leaving a
# .musicgen/ in the wrong directory). A tree with only a run's state
# (.musicgen/: a run stopped before its first sample) or only a manifest
# (every sample filtered away) is still a dataset.
. "$MG_SRC/tests/system/lib.sh"
set -u
mkdir -p top/empty
"$MG_BIN" generate --seed 3 --count 2 --out top/b-ds --output-mode midi-only -q ||
    die "generate b-ds"
"$MG_BIN" generate --seed 4 --count 2 --out top/a-ds --output-mode midi-only -q ||
    die "generate a-ds"
before=$(ls -aR top | sha256sum)
refused() { # ROOT HINT CMD ARGS... : exit 1, the one line, nothing written
    root=$1 hint=$2
    shift 2
    "$MG_BIN" "$@" > out.txt 2> err.txt
    rc=$?
    [ "$rc" -eq 1 ] || die "$* on $root: exit $rc ($(cat err.txt))"
    grep -qx "musicgen $1: $root holds no musicgen dataset (no manifest.jsonl, no sample directories)$hint" err.txt ||
        die "$* on $root: $(cat err.txt)"
    [ "$(wc -l < err.txt)" -eq 1 ] || die "$* on $root: more than one line: $(cat err.txt)"
    [ "$(ls -aR top | sha256sum)" = "$before" ] || die "$* on $root changed the tree"
    [ ! -e x.jsonl ] && [ ! -e x.json ] || die "$* on $root wrote its output"
}
for root in top/empty "top; top/a-ds, top/b-ds do"; do
    hint=""
    case $root in *";"*) hint="; ${root#*; }"; root=${root%%;*} ;; esac
    refused "$root" "$hint" stats "$root"
    refused "$root" "$hint" verify "$root"
    refused "$root" "$hint" score "$root"
    refused "$root" "$hint" filter "$root" --min-score 0.5
    refused "$root" "$hint" export "$root" -o x.jsonl
    refused "$root" "$hint" index-midi "$root" -o x.json
    refused "$root" "$hint" serve --dataset "$root" --bind 127.0.0.1:0
    # status said 'ledger ROOT/.musicgen/ledger.sqlite: No such file ...'
    refused "$root" "$hint" status --out "$root"
done
# a trailing slash is kept as given; one dataset below: "does"
mkdir -p one
"$MG_BIN" generate --seed 5 --count 1 --out one/ds --output-mode midi-only -q ||
    die "generate one/ds"
"$MG_BIN" stats one/ 2> err.txt && die "stats one/ succeeded"
grep -qx "musicgen stats: one/ holds no musicgen dataset (no manifest.jsonl, no sample directories); one/ds does" err.txt ||
    die "stats one/: $(cat err.txt)"

# clean removes directories: it wants a run's mark (manifest.jsonl or
# .musicgen/), not names of digits - a photo archive is no dataset
mkdir -p photos/2019/201905 photos/2020
touch photos/2019/201905/img.jpg
for dry in "" --dry-run; do
    "$MG_BIN" clean --failed photos $dry > out.txt 2> err.txt && die "clean $dry ran on photos"
    grep -qx "musicgen clean: photos has no manifest.jsonl and no .musicgen/: not a musicgen dataset, and clean removes directories only in one" err.txt ||
        die "clean $dry on photos: $(cat err.txt)"
done
[ -f photos/2019/201905/img.jpg ] || die "clean removed a directory of photos"
# a run's own sweep removes its dead writers' temporary directories, not
# a ".tmp-*" not named as ours (the user's, however old)
mkdir top/b-ds/.tmp-000098-gone-999999999 top/b-ds/.tmp-notes
touch -d '3 days ago' top/b-ds/.tmp-notes top/b-ds/.tmp-000098-gone-999999999
"$MG_BIN" generate --seed 3 --count 2 --out top/b-ds --output-mode midi-only -q ||
    die "generate b-ds again"
[ ! -e top/b-ds/.tmp-000098-gone-999999999 ] || die "the run's sweep kept a dead writer's directory"
[ -d top/b-ds/.tmp-notes ] || die "a run's sweep removed a .tmp-* that is not ours"
# clean, asked for, removes what verify names: every .tmp-*, partials
mkdir top/b-ds/000099
"$MG_BIN" clean --failed top/b-ds > out.txt 2> err.txt || die "clean b-ds: $(cat err.txt)"
[ ! -e top/b-ds/000099 ] && [ ! -e top/b-ds/.tmp-notes ] ||
    die "clean left b-ds's partial directories: $(ls -a top/b-ds)"

# samples without their run's ledger (a copy): status says there is no
# run, in one line
mkdir copy
cp -R top/a-ds/0* top/a-ds/manifest.jsonl copy/
"$MG_BIN" status --out copy > out.txt 2> err.txt && die "status of a copy succeeded"
grep -qx "musicgen status: copy holds no run (no .musicgen/ledger.sqlite): stats copy reads its samples" err.txt ||
    die "status of a copy: $(cat err.txt)"

# still datasets: only a run's state; only a manifest (all filtered away)
mkdir -p state/.musicgen
"$MG_BIN" stats state > out.txt 2> err.txt || die "stats of a run's state only: $(cat err.txt)"
grep -q "0 samples" out.txt || die "stats of a run's state only: $(cat out.txt)"
mkdir mani
: > mani/manifest.jsonl
"$MG_BIN" export mani -o x.jsonl 2> err.txt || die "export of a manifest only: $(cat err.txt)"
grep -q "^musicgen export: 0 rows to x.jsonl" err.txt || die "export of a manifest only: $(cat err.txt)"
"$MG_BIN" verify top/b-ds > out.txt || die "verify b-ds: $(cat out.txt)"
# the other way round: a run, a static worker, a coordinator or a
# library batch into a directory of something else (a project checkout)
# is refused before anything is made there - its manifest.jsonl and
# LICENSES.md would replace the files of those names; an empty directory
# or a fresh file system's mount point (lost+found) is fine
mkdir -p proj/src mnt/lost+found
echo "ours" > proj/LICENSES.md
echo "hello" > proj/README.md
psum=$(ls -aR proj | sha256sum)
foreign="is not empty and holds no musicgen dataset (it has LICENSES.md, README.md and src)"
"$MG_BIN" generate --seed 6 --count 2 --out proj --output-mode midi-only 2> err.txt &&
    die "generate into proj/"
grep -q "^musicgen generate: --out proj $foreign: a run writes manifest.jsonl and LICENSES.md there" err.txt ||
    die "generate into proj/: $(cat err.txt)"
"$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 6 --count 2 \
    --out proj --output-mode midi-only 2> err.txt && die "a static worker into proj/"
grep -q "^musicgen worker: --out proj $foreign: merge writes" err.txt ||
    die "a static worker into proj/: $(cat err.txt)"
timeout 30 "$MG_BIN" coordinator --out proj --seed 6 --count 2 --ledger "$PWD/l.sqlite" \
    --bind "tcp://127.0.0.1:*" --output-mode midi-only 2> err.txt &&
    die "a coordinator into proj/"
grep -q "^musicgen coordinator: --out proj $foreign" err.txt ||
    die "a coordinator into proj/: $(cat err.txt)"
PYTHONPATH="$MG_SRC/python" "$PY" -c '
from musicgen import Config, MusicgenError, generate_batch
try:
    generate_batch(Config(dataset_root="proj", global_seed=6, count=2,
                          output_mode="midi-only"))
except MusicgenError as e:
    assert "proj is not empty and holds no musicgen dataset" in str(e), e
else:
    raise AssertionError("generate_batch wrote into proj/")
' || die "generate_batch into proj/"
# nor does filter move rejects into it (its manifest and LICENSES.md)
fsum=$(ls -R top/b-ds | sha256sum)
"$MG_BIN" filter top/b-ds --min-score 1 --reject-dir proj 2> err.txt &&
    die "filter into proj/"
grep -qx "musicgen filter: reject directory proj $foreign: filter writes manifest.jsonl and LICENSES.md there; choose a new directory or an earlier reject directory" err.txt ||
    die "filter into proj/: $(cat err.txt)"
[ "$(ls -R top/b-ds | sha256sum)" = "$fsum" ] || die "a refused filter moved samples"
[ "$(ls -aR proj | sha256sum)" = "$psum" ] && [ "$(cat proj/LICENSES.md)" = ours ] ||
    die "a refused run changed proj/: $(ls -a proj)"
"$MG_BIN" generate --seed 6 --count 2 --out mnt --output-mode midi-only -q ||
    die "generate onto a mount point (lost+found)"
[ -f mnt/manifest.jsonl ] || die "nothing made on the mount point"
echo "not-a-root ok"
