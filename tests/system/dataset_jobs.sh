# dataset_jobs — export, stats, filter and index-midi read and tokenize
# sample.json in --jobs J threads ahead of the writer or mover
# (common/dataset/dsfetch.h). Over a sharded tree of 1,140 samples (past
# the Parquet and CSV schema scan's first 1,000 rows, which the scan's own
# fetch leaves with threads still reading ahead) holding a half-written
# directory, a truncated sample.json and a directory without one: export's
# output is byte for byte the output of --jobs 1, in every format, with
# the same counts, with and without filters; stats' counts and
# index-midi's records are the same; filter's report is the same at every
# J, the truncated sample.json named and left in place, then the same
# moves. A --jobs that is not in 1..64 is refused in one line.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 11 --count 60 --out ds --output-mode midi-only \
    --shard-width 2 -q || die "generate"
# 1,140 samples: the 60 hard-linked 19 times under other indices (export
# takes a directory's name as its index; sample.json is not compared)
"$PY" - <<'PYEOF' || die "cannot build the tree"
import os
for k in range(1, 19):
    for i in range(60):
        j = k * 60 + i
        src = "ds/%02d/%06d" % (i // 10000, i)
        dst = "ds/%02d/%06d" % (j // 10000, j)
        os.makedirs(dst)
        for d, _, fs in os.walk(src):
            os.makedirs(os.path.join(dst, os.path.relpath(d, src)), exist_ok=True)
            for f in fs:
                os.link(os.path.join(d, f), os.path.join(dst, os.path.relpath(d, src), f))
# a truncated sample.json (a copy: the others share the original)
p = "ds/00/000507/sample.json"
s = open(p).read()
os.unlink(p)
open(p, "w").write(s[: len(s) // 2])
# a directory without sample.json, and a half-written one
os.unlink("ds/00/001139/sample.json")
os.makedirs("ds/00/.tmp-001140-4242")
PYEOF

run() { # run NAME JOBS ARGS...: export, its summary line in NAME.err
    name=$1 jobs=$2
    shift 2
    # -j4 as well as -j 4 (getopt's attached value)
    "$MG_BIN" export ds -o "$name" -j"$jobs" -r "$@" 2> "$name.err" \
        || { cat "$name.err"; die "export $name failed"; }
}
for fmt in jsonl csv parquet webdataset jams; do
    for filt in "" "--split train --min-score 0.1"; do
        tag=$fmt$(echo "$filt" | tr -d ' .-')
        run "a-$tag" 1 -f "$fmt" $filt
        for j in 2 7; do
            run "b$j-$tag" "$j" -f "$fmt" $filt
            sed "s/b$j-$tag/a-$tag/g" "b$j-$tag.err" | cmp -s - "a-$tag.err" \
                || { cat "a-$tag.err" "b$j-$tag.err"; die "$tag: -j $j counts differ"; }
            if [ -d "a-$tag" ]; then
                diff -r "a-$tag" "b$j-$tag" > /dev/null \
                    || die "$tag: -j $j output differs"
            else
                cmp "a-$tag" "b$j-$tag" || die "$tag: -j $j output differs"
            fi
        done
    done
done
grep -q "1138 rows to a-jsonl (jsonl); left out: 2 half-written, 1 invalid" a-jsonl.err \
    || { cat a-jsonl.err; die "not 1138 rows, 2 half-written, 1 invalid"; }
rows=$(wc -l < a-jsonlsplittrainminscore01)
[ "$rows" -gt 0 ] && [ "$rows" -lt 1138 ] || die "the filters kept $rows rows"
# the tar shards group by key, in index order
tar tf b7-webdataset/*000000.tar | head -1 | grep -q '^000000\.' \
    || die "webdataset: the first shard does not start with sample 0"
for bad in 0 65 x -1; do
    "$MG_BIN" export ds -o x.jsonl -j "$bad" 2> err.txt && die "-j $bad accepted"
    [ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "--jobs must be" err.txt \
        || { cat err.txt; die "export -j $bad: not one line naming --jobs"; }
    "$MG_BIN" filter ds --min-score 0.5 -j "$bad" 2> err.txt && die "filter -j $bad accepted"
    [ "$(wc -l < err.txt)" -eq 1 ] && grep -q -- "--jobs" err.txt \
        || { cat err.txt; die "filter -j $bad: not one line naming --jobs"; }
done
# stats: the same counts at every J
"$MG_BIN" stats ds --fmt json -j 1 > st1.json && "$MG_BIN" stats ds --fmt json -j4 > st4.json \
    || die "stats failed"
cmp st1.json st4.json || die "stats differs with --jobs"
"$PY" -c "
import json; s = json.load(open('st1.json'))
assert (s['samples'], s['half_written'], s['unreadable']) == (1138, 2, 1), s" \
    || die "stats: not 1138 samples, 2 half-written, 1 unreadable"
# index-midi: the same records and counts at every J
for j in 1 5; do
    "$MG_BIN" index-midi -dds -oidx$j.json --csv idx$j.csv -j"$j" \
        2> idx$j.err || { cat idx$j.err; die "index-midi -j $j failed"; }
done
cmp idx1.json idx5.json && cmp idx1.csv idx5.csv || die "index-midi differs with --jobs"
grep -q "4552 records from 1138 samples .* 2 half-written, 1 unreadable" idx1.err \
    || { cat idx1.err; die "index-midi: not 1138 samples, 2 half-written, 1 unreadable"; }
# filter: the same report at every J; the truncated sample.json is named
# with its parse error and left in place (a problem: exit 1)
thr=$("$PY" -c "
import json
s = sorted(json.load(open('ds/00/%06d/sample.json' % i))['musicality_score'] for i in range(60))
print(s[20])")
for j in 1 3 6; do
    "$MG_BIN" filter ds --min-score "$thr" --dry-run -j "$j" > dry$j.txt
    [ $? -eq 1 ] || { cat dry$j.txt; die "filter --dry-run -j $j: not exit 1"; }
done
cmp dry1.txt dry3.txt && cmp dry1.txt dry6.txt || die "filter's dry runs differ with --jobs"
grep -q "^00/000507: sample.json: line [0-9]*: .*: left in place" dry1.txt \
    || { cat dry1.txt | head; die "the truncated sample.json is not named"; }
want=$(grep -c '^would move' dry1.txt)
[ "$want" -ge 300 ] || die "filter would move only $want samples"
"$MG_BIN" filter ds --min-score "$thr" -j 4 > moved.txt
[ $? -eq 1 ] || { cat moved.txt; die "filter -j 4: not exit 1 (one problem)"; }
grep -q " $want moved by this run.*; 1 problem$" moved.txt \
    || die "filter -j 4: not $want moved and 1 problem"
[ "$(grep -c '^moved ' moved.txt)" -eq "$want" ] \
    || die "filter -j 4 moved another number than its dry run named"
sed -n 's/^would move \([^ ]*\) .*/\1/p' dry1.txt > want.txt
sed -n 's/^moved \([^ ]*\) .*/\1/p' moved.txt | cmp -s - want.txt \
    || die "filter -j 4 moved other samples than its dry run named"
for s in $(cat want.txt); do
    [ -f "ds/rejected/$s/sample.json" ] && [ ! -e "ds/$s" ] \
        || die "$s not moved whole"
done
echo ok
