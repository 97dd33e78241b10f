# dataset_threads_helgrind — the threads the dataset commands start (the
# read-ahead of common/dataset/dsfetch.c, the Parquet writer's compressor
# thread in parquet_async.c) run under valgrind's helgrind with no data
# race, lock-order or pthread misuse report: export to Parquet and JSONL,
# stats, index-midi, a filter dry run and score (no mix here: the trees
# and verdicts only), each with --jobs 3, over a small
# midi-only tree with a truncated sample.json. (ThreadSanitizer cannot run
# the binary on our VMs; helgrind can.) Uses the plain build.
. "$MG_SRC/tests/system/lib.sh"
set -u
B=${MG_PLAIN_BIN:-$MG_SRC/build/musicgen}
[ -x "$B" ] || die "no plain build at $B (make all)"
command -v valgrind >/dev/null || die "valgrind missing (scripts/setup.sh installs it)"
"$B" generate --seed 8 --count 24 --out ds --output-mode midi-only -q || die "generate"
p=ds/000005/sample.json
head -c 3000 "$p" > cut.json && rm "$p" && mv cut.json "$p"
HG="valgrind --tool=helgrind -q --error-exitcode=99 --suppressions=$MG_SRC/tests/valgrind.supp"
n=0
run() { # run NAME CMD...: under helgrind, its report in NAME.hg
    name=$1
    shift
    $HG --log-file="$name.hg" "$@" > "$name.out" 2>&1
    rc=$?
    if [ -s "$name.hg" ] || [ "$rc" -eq 99 ]; then
        head -n 40 "$name.hg"
        die "helgrind reported on $name"
    fi
    n=$((n + 1))
}
run export_pq "$B" export ds -o x.parquet -f parquet -j 3 -q
run export_jsonl "$B" export ds -o x.jsonl -f jsonl -j 3 -q
run stats "$B" stats ds -j 3
run index "$B" index-midi --dataset ds -o idx.json -j 3 -q
run filter "$B" filter ds --min-score 0.99 --dry-run -j 3
run score "$B" score ds --force -j 3
[ "$(wc -l < x.jsonl)" -eq 23 ] || die "export under helgrind: not 23 rows"
grep -q "000005: sample.json: line" filter.out || die "filter did not name the cut sample.json"
grep -q "24 samples: 0 scored, 0 already scored, 23 without audio, 1 problem" score.out \
    || { cat score.out; die "score under helgrind: not 23 without audio and 1 problem"; }
echo "$n commands clean under helgrind"
