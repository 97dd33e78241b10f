# generate_grow — a dataset grows: `generate` run again with a larger
# --count (or a --start that continues the run), seed and options the
# same, keeps the samples there, makes the new ones, and the manifest and
# ledger hold them all; every sample is byte for byte what one run of the
# full size makes, sharded or flat. Asking for part of the run to its end
# resumes it whole; fewer samples shrink it when none of those dropped is
# finished (the failed and those not made yet leave the ledger and the
# manifest), and are refused, naming them, when some are; a start before
# it, a gap after it, or another option is refused, naming it, and
# changes nothing. The standalone coordinator grows and shrinks its
# ledger's run the same way. Without --seed, both name the seed of the
# run their ledger holds. A new ledger (generate's gone, or a coordinator's
# new one) over a tree of another seed or a larger run is refused before
# anything is changed.
. "$MG_SRC/tests/tools/dist_lib.sh"
set -u
G="--seed 3 --output-mode midi-only --shard-width 2"

"$MG_BIN" generate $G --count 70 --out ds -q || die "generate 70"
"$MG_BIN" generate $G --count 100 --out ds 2> grow.log || die "grow: $(cat grow.log)"
grep -qx "musicgen generate: the run in ds grew from 70 to 100 samples (indices 0..99)" grow.log ||
    die "grow message: $(cat grow.log)"
grep -q "^done: 100 ok, 0 failed, 70 already present -> ds" grow.log ||
    die "grow summary: $(cat grow.log)"
# a --start that continues the run (past the ledger's first chunk of 64)
"$MG_BIN" generate $G --start 100 --count 40 --out ds 2> grow2.log ||
    die "grow by --start: $(cat grow2.log)"
grep -qx "musicgen generate: the run in ds grew from 100 to 140 samples (indices 0..139)" grow2.log ||
    die "grow by --start message: $(cat grow2.log)"
"$MG_BIN" generate $G --count 140 --out ref -q || die "generate ref"
"$PY" "$TOOLS/check_dataset.py" ds --global-seed 3 --count 140 --shard-width 2 \
    --no-midi-check > check.txt 2>&1 || die "grown run: $(tail -5 check.txt)"
same_samples ds 2 ref 2 140 || die "grown samples differ from one run's"
"$PY" - ds ref <<'PYEOF' || die "manifests differ"
import json, sys
def rows(root):
    out = []
    for l in open(root + "/manifest.jsonl"):
        r = json.loads(l); r.pop("wrote_at"); out.append(r)
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert a == b, [x for x, y in zip(a, b) if x != y][:2]
PYEOF
"$MG_BIN" verify ds > ver.txt || die "verify grown: $(cat ver.txt)"
"$MG_BIN" status --out ds > st.txt || die "status"
grep -q "^run: seed 3, 140 samples from 0" st.txt &&
    grep -q "^done: 140/140" st.txt && grep -q "3 done, 0 not done" st.txt ||
    die "status of the grown ledger: $(cat st.txt)"

# part of the run, to its end: resumed whole (a deleted sample made
# again), nothing dropped
rm -r ds/00/000005
"$MG_BIN" generate $G --start 100 --count 40 --out ds 2> part.log || die "part: $(cat part.log)"
grep -qx "musicgen generate: the run in ds holds samples 0..139, those asked for among them: resumed it whole" part.log ||
    die "part message: $(cat part.log)"
[ -f ds/00/000005/sample.json ] && [ "$(wc -l < ds/manifest.jsonl)" -eq 140 ] ||
    die "a resumed part did not keep the run whole"

# refused: nothing changes
sum=$(find ds -type f | sort | xargs cat | sha256sum)
refuse() {
    "$MG_BIN" generate $G "$@" --out ds 2> ref.log && die "accepted: $*"
    grep -q "$want" ref.log || die "refusal of $*: $(cat ref.log)"
    [ "$(find ds -type f | sort | xargs cat | sha256sum)" = "$sum" ] ||
        die "a refused run ($*) changed the tree"
}
# fewer samples over finished ones: refused, naming them (the run was
# resumed whole: a --count typed too large had no way back)
want="the ledger ds/.musicgen/ledger.sqlite holds the run of samples 0..139, and 130 samples at or past index 10 are finished (the first: index 10): it shrinks only by samples not made yet; give --count 140 or more, or another --out"
refuse --count 10
want="and 30 samples at or past index 110 are finished (the first: index 110): it shrinks only by samples not made yet; give --count 40 or more, or another --out"
refuse --start 100 --count 10
want="starting at 150 would leave samples 140..149 out (ask for --start 140 --count 20 or --start 0 --count 160)"
refuse --start 150 --count 10
# a start before the run's: what goes elsewhere, and the growth this
# run can give (it said only 'samples from 90 need another output
# directory')
"$MG_BIN" generate $G --start 100 --count 50 --out grow-lo -q || die "grow-lo"
want="the ledger grow-lo/.musicgen/ledger.sqlite holds the run of samples 100..149, which grows at its end only: samples 90..99 need another run (another --out); ask for --start 100 --count 60 to grow this one to samples 100..159"
"$MG_BIN" generate $G --start 90 --count 70 --out grow-lo 2> lo.log && die "a start before the run's accepted"
grep -qxF "musicgen generate: $want" lo.log || die "a start before the run's: $(cat lo.log)"
"$MG_BIN" generate $G --start 90 --count 5 --out grow-lo 2> lo.log && die "a range before the run's accepted"
grep -qxF "musicgen generate: the ledger grow-lo/.musicgen/ledger.sqlite holds the run of samples 100..149, which grows at its end only: samples 90..94 need another run (another --out)" lo.log ||
    die "a range before the run's: $(cat lo.log)"
# grown past what one run may hold: the ledger was grown, then every
# worker refused the run, and so the tree's own command
want="growing it to 0..10000039 would make 10000040 samples, more than the 10000000 one run may hold; grow it at most to --start 0 --count 10000000, and make later samples in another --out"
refuse --start 140 --count 9999900
# the options named as typed (--max-attempts, not the run config's
# max_attempts), and a range the run could give (fewer samples, or
# growth) left out of the differences: it is no reason to refuse
want="holds a different run (--seed: ledger has 3, asked for 4);"
"$MG_BIN" generate --seed 4 --output-mode midi-only --shard-width 2 --count 200 \
    --out ds 2> ref.log && die "another seed accepted"
grep -q "$want" ref.log || die "another seed: $(cat ref.log)"
want="holds a different run (--max-attempts: ledger has 1, asked for 2); use another --out or the same parameters$"
refuse --count 200 --max-attempts 2
# reals as given, not as doubles print at 17 digits
# ([0.80000000000000004,...])
want="holds a different run (--split: ledger has \\[0.8,0.1,0.1\\], asked for \\[0.7,0.2,0.1\\]);"
refuse --count 140 --split 0.7,0.2,0.1
want="holds a different run (--genre: ledger has \\[\\], asked for \\[\"jazz\"\\]); use another --out or the same parameters$"
refuse --count 2 -g jazz
# a range the run cannot give is named with the rest
want="holds a different run (--start: ledger has 0, asked for 150; --count: ledger has 140, asked for 10; --output-mode: ledger has \"midi-only\", asked for \"mix-only\");"
refuse --start 150 --count 10 --output-mode mix-only
# a --count typed too large (30), then stopped: a smaller one shrinks
# the run, its samples not made yet (and failed ones) dropped from the
# ledger and the manifest, when none of those it drops is finished (in
# the ledger or on disk); -w1 is -w 1, as getopt takes it
"$MG_BIN" generate $G --count 12 --out sh -q -w1 || die "sh 12"
start_coord sh1.log $G --count 30 --out sh --ledger sh/.musicgen/ledger.sqlite \
    --bind 'tcp://127.0.0.1:*'
kill -TERM $CPID
wait_exit $CPID 60
grep -q "growing the run: samples 0..11 -> 0..29" sh1.log || die "sh 30: $(cat sh1.log)"
"$PY" - sh <<'PYEOF' || die "a failed row"
import json, sqlite3, sys
root = sys.argv[1]
c = sqlite3.connect(root + "/.musicgen/ledger.sqlite")
c.execute("INSERT INTO samples (idx, seed, status, split, path, score, duration,"
          " attempt, worker, wrote_at, error) VALUES (20, 1, 1, 0, '', 0, 0, 1,"
          " 'w', 't', 'gate')")
c.commit()
rows = [json.loads(l) for l in open(root + "/manifest.jsonl")]
r = dict(rows[0], sample_index=20, status="failed")
open(root + "/manifest.jsonl", "a").write(json.dumps(r) + "\n")
PYEOF
# a sample finished on disk past the new end, in no row (one in hand at
# a stop): refused too
cp -R ds/00/000025 sh/00/
"$MG_BIN" generate $G --count 16 --out sh 2> sh.log && die "a shrink over a finished sample accepted"
grep -qxF "musicgen generate: the ledger sh/.musicgen/ledger.sqlite holds the run of samples 0..29, and 1 sample at or past index 16 is finished (the first: index 25): it shrinks only by samples not made yet; give --count 26 or more, or another --out" sh.log ||
    die "shrink over a finished sample: $(cat sh.log)"
rm -r sh/00/000025
"$MG_BIN" generate $G --count 16 --out sh 2> sh.log || die "shrink: $(cat sh.log)"
grep -qx "musicgen generate: the run in sh shrank from 30 to 16 samples (indices 0..15; none of those dropped was finished)" sh.log ||
    die "shrink message: $(cat sh.log)"
grep -q "^done: 16 ok, 0 failed, 12 already present -> sh" sh.log || die "shrink summary: $(cat sh.log)"
"$PY" "$TOOLS/check_dataset.py" sh --global-seed 3 --count 16 --shard-width 2 \
    --no-midi-check > check.txt 2>&1 || die "shrunk run: $(tail -5 check.txt)"
! grep -q '"sample_index": *20[,}]' sh/manifest.jsonl || die "the failed row past the end stayed in the manifest"
"$MG_BIN" verify sh > ver.txt || die "verify shrunk: $(cat ver.txt)"
"$MG_BIN" status --out sh > st.txt && grep -q "^run: seed 3, 16 samples from 0" st.txt &&
    grep -q "^done: 16/16" st.txt || die "status of the shrunk ledger: $(cat st.txt)"
# and grows again
"$MG_BIN" generate $G --count 20 --out sh -q || die "sh 20"
"$PY" "$TOOLS/check_dataset.py" sh --global-seed 3 --count 20 --shard-width 2 \
    --no-midi-check > check.txt 2>&1 || die "regrown run: $(tail -5 check.txt)"
same_samples sh 2 ds 2 20 || die "shrunk and regrown samples differ from one run's"

# a flat tree, grown
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 3 --out flat -q || die "flat 3"
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 8 --out flat -q || die "flat 8"
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 8 --out flatref -q || die "flatref"
same_samples flat 0 flatref 0 8 || die "grown flat samples differ"

# the standalone coordinator: its ledger's run grows too
start_coord c1.log --seed 9 --count 6 --out cd --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out cd 2> w1.log || die "worker 1: $(cat w1.log)"
wait_exit $CPID 60 || die "coordinator 1 did not finish"
start_coord c2.log --seed 9 --count 12 --out cd --ledger led.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out cd 2> w2.log || die "worker 2: $(cat w2.log)"
wait_exit $CPID 60 || die "coordinator 2 did not finish"
grep -q "growing the run: samples 0..5 -> 0..11" c2.log || die "coordinator: $(cat c2.log)"
check_run cd 9 12 || die "coordinator's grown run"
# fewer samples: the same rule (it resumed the run whole)
timeout 60 "$MG_BIN" coordinator --seed 9 --count 8 --out cd --ledger led.sqlite \
    --output-mode midi-only 2> sk.log && die "coordinator: a shrink over finished samples"
grep -qxF "musicgen coordinator: the ledger led.sqlite holds the run of samples 0..11, and 4 samples at or past index 8 are finished (the first: index 8): it shrinks only by samples not made yet; give --count 12 or more, or another ledger" sk.log ||
    die "coordinator, a shrink over finished samples: $(cat sk.log)"
cp -R cd cds && cp led.sqlite leds.sqlite
start_coord c3.log --seed 9 --count 20 --out cds --ledger leds.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
kill -TERM $CPID
wait_exit $CPID 60
start_coord c4.log --seed 9 --count 15 --out cds --ledger leds.sqlite \
    --bind 'tcp://127.0.0.1:*' --output-mode midi-only
"$MG_BIN" worker --connect "$EP" --out cds 2> w4.log || die "worker 4: $(cat w4.log)"
wait_exit $CPID 60 || die "coordinator 4 did not finish"
grep -q "shrinking the run: samples 0..19 -> 0..14 (samples 15..19, none finished, dropped)" c4.log ||
    die "coordinator shrink: $(cat c4.log)"
check_run cds 9 15 || die "coordinator's shrunk run"
# another option: the coordinator's refusal names another ledger
# (generate's, above, another --out: it has no --ledger)
timeout 60 "$MG_BIN" coordinator --seed 9 --count 12 --out cd --ledger led.sqlite \
    --output-mode midi-only --max-attempts 2 2> ma.log && die "coordinator: other options"
grep -q "holds a different run (--max-attempts: ledger has 1, asked for 2); use another ledger or the same parameters$" ma.log ||
    die "coordinator, other options: $(cat ma.log)"
# a run begun by another musicgen: no option resumes it ("use another
# --out or the same parameters" was no remedy), and worker --static grew
# it with this version's samples (exit 0)
cp -R flat oldv
"$PY" - oldv/.musicgen/ledger.sqlite <<'PYEOF' || die "ledger edit"
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE run SET engine_version = '0.0.1'")
c.commit()
PYEOF
V=$("$MG_BIN" --version | awk '{print $2}')
ov="the ledger oldv/.musicgen/ledger.sqlite holds a run made by musicgen 0.0.1, and this is musicgen $V: finish the run with musicgen 0.0.1, or make it again with another"
sum=$(find oldv -type f | sort | xargs cat | sha256sum)
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 8 --out oldv 2> ov.log &&
    die "a run of another version resumed"
grep -qxF "musicgen generate: $ov --out" ov.log || die "generate, another version: $(cat ov.log)"
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 2 -g jazz --out oldv 2> ov.log &&
    die "a run of another version resumed"
grep -qxF "musicgen generate: $ov --out" ov.log || die "generate, another version and genre: $(cat ov.log)"
timeout 60 "$MG_BIN" coordinator --seed 3 --count 8 --out oldv --ledger oldv/.musicgen/ledger.sqlite \
    --output-mode midi-only 2> ov.log && die "coordinator: a run of another version"
grep -qxF "musicgen coordinator: $ov ledger" ov.log || die "coordinator, another version: $(cat ov.log)"
"$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 3 --count 10 \
    --output-mode midi-only --out oldv 2> ov.log && die "worker --static: a run of another version grown"
grep -qxF "musicgen worker: $ov --out" ov.log || die "worker --static, another version: $(cat ov.log)"
[ "$(find oldv -type f | sort | xargs cat | sha256sum)" = "$sum" ] ||
    die "a refused run of another version changed the tree"
# the same without the ledger: its samples' sample.json name the version
# (it said "give that run's --seed and options")
cp -R flat olds && rm -rf olds/.musicgen
sed -i "s/\"musicgen_version\": *\"$V\"/\"musicgen_version\": \"0.0.1\"/" olds/*/sample.json
"$MG_BIN" generate --seed 3 --output-mode midi-only --count 8 --out olds 2> ov.log &&
    die "a tree of another version resumed"
grep -qxF "musicgen generate: --out olds holds a run (olds/000000/sample.json) made by musicgen 0.0.1, and this is musicgen $V: finish the run with musicgen 0.0.1, or make it again with another --out" ov.log ||
    die "generate, a tree of another version: $(cat ov.log)"
"$MG_BIN" worker --static --array-index 0 --array-size 1 --seed 3 --count 8 \
    --output-mode midi-only --out olds 2> ov.log && die "worker --static: a tree of another version"
grep -qxF "musicgen worker: olds/000000 holds a sample made by musicgen 0.0.1, and this is musicgen $V: finish the run with musicgen 0.0.1, or make it again with another output directory" ov.log ||
    die "worker --static, a tree of another version: $(cat ov.log)"
# a resume or growth without --seed is refused, naming the ledger's seed
"$MG_BIN" coordinator --count 12 --out cd --ledger led.sqlite \
    --output-mode midi-only 2> ns.log && die "coordinator without --seed"
grep -qx "musicgen coordinator: --seed is required (the global seed): the run in led.sqlite has --seed 9; give it, with the run's other options, to resume or grow that run" ns.log ||
    die "coordinator without --seed: $(cat ns.log)"
"$MG_BIN" generate --count 8 --out flat 2> ns.log && die "generate without --seed"
grep -qx "musicgen generate: --seed is required (the global seed): the run in flat/.musicgen/ledger.sqlite has --seed 3; give it, with the run's other options, to resume or grow that run" ns.log ||
    die "generate without --seed: $(cat ns.log)"
"$MG_BIN" generate --count 12 --out cd2 2> ns.log && die "generate without --seed"
grep -qx "musicgen generate: --seed is required (the global seed)" ns.log ||
    die "generate without --seed, new tree: $(cat ns.log)"
# a tree whose ledger is gone, run with another seed: refused before
# anything is made (each sample failed, and the manifest was rewritten
# empty); with its own seed it resumes
cp -R cd noledger && rm -rf noledger/.musicgen
cp noledger/manifest.jsonl nl-before.jsonl
"$MG_BIN" generate --seed 10 --count 12 --out noledger --output-mode midi-only 2> nl.log &&
    die "another seed over a tree without its ledger accepted"
grep -q "^musicgen generate: --out noledger holds another run: its manifest.jsonl:1 gives index 0 the seed" nl.log ||
    die "another seed, no ledger: $(cat nl.log)"
cmp -s noledger/manifest.jsonl nl-before.jsonl || die "the refused run changed the manifest"
# the same for a standalone coordinator with a new ledger (it rewrote the
# tree's manifest from its own rows: empty at its first stop), and for a
# run smaller than the tree's (it dropped the rows past its end)
for a in "--seed 10 --count 12" "--seed 9 --count 6"; do
    # shellcheck disable=SC2086
    timeout 60 "$MG_BIN" coordinator $a --out noledger --ledger new.sqlite \
        --bind 'tcp://127.0.0.1:*' --output-mode midi-only 2> nl.log &&
        die "coordinator $a over another run's tree accepted"
    grep -q "^musicgen coordinator: --out noledger holds " nl.log ||
        die "coordinator $a, another run's tree: $(cat nl.log)"
    cmp -s noledger/manifest.jsonl nl-before.jsonl || die "coordinator $a changed the manifest"
done
# the smaller run: in the words of a ledger's run that would shrink over
# finished samples
grep -qxF "musicgen coordinator: --out noledger holds 6 finished samples at or past index 6 (the first: index 6, manifest.jsonl:7), past this run's samples 0..5: a run shrinks only by samples not made yet; give --count 12 or more with their run's seed and options, or another --out" nl.log ||
    die "no range named: $(cat nl.log)"
"$MG_BIN" generate --seed 9 --count 6 --out noledger --output-mode midi-only 2> nl.log &&
    die "a smaller run over a tree without its ledger accepted"
cmp -s noledger/manifest.jsonl nl-before.jsonl || die "the smaller run changed the manifest"
# the manifest gone too, or older than the samples (a grown run killed
# before its end): the samples on disk past the run's range were left in
# no manifest, orphans to verify, and LICENSES.md did not cover them
for cut in "rm nl4/manifest.jsonl" "sed -i 6q nl4/manifest.jsonl"; do
    for who in generate coordinator; do
        rm -rf nl4 && cp -R noledger nl4 && rm -rf nl4/.musicgen && $cut
        find nl4 -type f | sort | xargs cat | sha256sum > nl4.sum
        if [ $who = generate ]; then
            "$MG_BIN" generate --seed 9 --count 6 --out nl4 \
                --output-mode midi-only 2> nl4.log
        else
            timeout 60 "$MG_BIN" coordinator --seed 9 --count 6 --out nl4 \
                --ledger nl4.sqlite --bind 'tcp://127.0.0.1:*' \
                --output-mode midi-only 2> nl4.log
        fi && die "$who over samples past its range ($cut) accepted"
        rm -f nl4.sqlite
        grep -qxF "musicgen $who: --out nl4 holds 6 finished samples at or past index 6 (the first: index 6), past this run's samples 0..5: a run shrinks only by samples not made yet; give --count 12 or more with their run's seed and options, or another --out" nl4.log ||
            die "$who, samples past its range ($cut): $(cat nl4.log)"
        [ "$(find nl4 -type f | sort | xargs cat | sha256sum)" = "$(cat nl4.sum)" ] ||
            die "$who over samples past its range ($cut) changed the tree"
    done
done
"$MG_BIN" generate --seed 9 --count 12 --out nl4 --output-mode midi-only -q &&
    check_run nl4 9 12 || die "the tree's own range refused"
# without its ledger, the same rule as with it: a smaller run over a tree
# whose rows past its end are failed ones is accepted, and they leave the
# manifest (they were refused as another run's, where the ledger's run
# shrank over them)
rm -rf nl5 && cp -R noledger nl5 && rm -rf nl5/.musicgen nl5/000008 nl5/000009 nl5/000010 nl5/000011
"$PY" - nl5/manifest.jsonl <<'PYEOF' || die "nl5 manifest"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][:8]
rows.append(dict(rows[0], sample_index=10, status="failed"))
open(sys.argv[1], "w").write("".join(json.dumps(r) + "\n" for r in rows))
PYEOF
"$MG_BIN" generate --seed 9 --count 8 --out nl5 --output-mode midi-only 2> nl5.log ||
    die "a smaller run over failed rows past it, no ledger: $(cat nl5.log)"
check_run nl5 9 8 && [ "$(wc -l < nl5/manifest.jsonl)" -eq 8 ] ||
    die "nl5: the smaller run: $(cat nl5/manifest.jsonl)"
"$MG_BIN" generate --seed 9 --count 12 --out noledger --output-mode midi-only -q ||
    die "its own seed refused"
check_run noledger 9 12 || die "the run resumed without its ledger"
# the same seed with another genre (or the same genres in another order:
# a merge takes the first one's form) or output mode over that tree: its
# samples were taken for this run's ("done: 12 ok, 12 already present",
# a mix-only run holding no mix.wav, verify 'whole'); refused before
# anything is made, naming what differs
for opt in "-g jazz --output-mode midi-only:genres are [], this run's [\"jazz\"]" \
           "--output-mode mix-only:output_mode is 'midi-only', this run's 'mix-only'" \
           "--output-mode midi-only --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1:intro has 4 bars, this run's --measures-per-part intro=1)"; do
    rm -rf nl2 && cp -R noledger nl2 && rm -rf nl2/.musicgen
    cp nl2/manifest.jsonl nl2-before.jsonl
    "$MG_BIN" generate --seed 9 --count 13 --out nl2 ${opt%%:*} \
        2> nl2.log && die "${opt%%:*} over another run's samples accepted"
    grep -qF "musicgen generate: --out nl2 holds another run: nl2/000000/sample.json is not this run's sample (its ${opt#*:}" nl2.log ||
        die "${opt%%:*}, no ledger: $(cat nl2.log)"
    [ ! -e nl2/000012 ] && [ -z "$(find nl2 -name mix.wav)" ] ||
        die "${opt%%:*} over another run's samples made one"
    cmp -s nl2/manifest.jsonl nl2-before.jsonl || die "${opt%%:*} changed the manifest"
done
# another shard width: the worker refused it at its first sample, after
# the run had written an empty manifest, LICENSES.md and a ledger of its
# own over the tree's, so that even the tree's own options were then
# refused; now refused before anything is written
rm -rf nl2 && cp -R noledger nl2 && rm -rf nl2/.musicgen
cp nl2/manifest.jsonl nl2-before.jsonl
"$MG_BIN" generate --seed 9 --count 12 --out nl2 --shard-width 3 \
    --output-mode midi-only 2> nl2.log && die "another shard width accepted"
grep -qx "musicgen generate: --out nl2 holds flat sample directories (0000[0-9][0-9]/), not --shard-width 3: give --shard-width 0, or another --out" nl2.log ||
    die "another shard width: $(cat nl2.log)"
cmp -s nl2/manifest.jsonl nl2-before.jsonl && [ ! -e nl2/.musicgen ] ||
    die "another shard width changed the tree"
"$MG_BIN" generate --seed 9 --count 12 --out nl2 --output-mode midi-only -q ||
    die "the tree's own options refused after another shard width"
# the manifest gone as well: the tree's first sample is read instead (it
# was refused by the worker that found it, after the run had left a
# ledger of its own options, so the tree's own command was then refused)
rm -rf nl2 && cp -R noledger nl2 && rm -rf nl2/.musicgen nl2/manifest.jsonl
"$MG_BIN" generate --seed 9 --count 12 --out nl2 -g latin,jazz \
    --output-mode midi-only 2> nl2.log && die "no manifest: accepted"
grep -qxF "musicgen generate: --out nl2 holds another run: nl2/000000/sample.json is not this run's sample (its genres are [], this run's [\"latin\",\"jazz\"]); give that run's --seed and options, or another --out" nl2.log ||
    die "no manifest: $(cat nl2.log)"
[ ! -e nl2/.musicgen ] && [ ! -e nl2/manifest.jsonl ] ||
    die "no manifest: the refused run wrote into the tree"
"$MG_BIN" generate --seed 10 --count 12 --out nl2 --output-mode midi-only \
    2> nl2.log && die "no manifest, another seed: accepted"
grep -qF "(its seed is not index 0's under --seed 10)" nl2.log ||
    die "no manifest, another seed: $(cat nl2.log)"
"$MG_BIN" generate --seed 9 --count 12 --out nl2 --output-mode midi-only -q ||
    die "no manifest: the tree's own options refused"
check_run nl2 9 12 || die "no manifest: the run resumed"
# a sample.json damaged since it was written (cut short): a run without
# the ledger made the sample again but kept the damaged one on disk,
# counting the fresh one's row ('done: 12 ok'; verify: invalid JSON)
rm -rf nl3 && cp -R noledger nl3 && rm -rf nl3/.musicgen
cp nl3/000003/sample.json good3.json
truncate -s 100 nl3/000003/sample.json
"$MG_BIN" generate --seed 9 --count 12 --out nl3 --output-mode midi-only -q ||
    die "damaged sample.json: the run failed"
cmp -s nl3/000003/sample.json good3.json ||
    die "damaged sample.json: not made again"
# A resume looked each index still to do up on disk (a sample made but
# not in the ledger is imported): a stat per index, 10,000,000 of them for
# a run of that count (10 s here, minutes on network storage, past the
# workers' 20 s patience; Ctrl-C unheard meanwhile). Where the indices to
# do outnumber the ledger's rows it lists the tree's sample directories
# instead: a few thousand stats. (strace counts them: no timing.)
command -v strace > /dev/null || die "strace is needed (scripts/setup.sh installs it)"
setsid "$MG_BIN" generate --seed 5 --count 10000000 --out big -w 1 \
    --output-mode midi-only -q 2> big1.log &
P=$!
wait_for 60 have_samples big 20 || die "big: no samples: $(cat big1.log)"
kill -INT -"$P"
wait $P
n1=$(samples big)
setsid strace -f -c -o big.strace "$MG_BIN" generate --seed 5 \
    --count 10000000 --out big -w 1 --output-mode midi-only -q 2> big2.log &
P=$!
more() { [ "$(samples big)" -gt "$n1" ]; }
wait_for 120 more || die "big: the resume made nothing: $(cat big2.log)"
kill -INT -"$P"
wait $P
stats=$(awk '$NF ~ /^(newfstatat|stat|statx|lstat|fstatat64)$/ { n += $4 } END { print n + 0 }' big.strace)
[ "$stats" -lt 200000 ] || die "big: the resume made $stats stat calls for $n1 samples"
echo "grow ok"
