# readme_commands — the README's blocks under "Checking, summarising and
# curating a dataset", "Export" and "Finding files" run as written (eval,
# minutes long, left out) on a small full dataset at ./ds, each command
# exiting 0: docs_commands checks that their options exist, this that
# they work together in the order the README gives (a filter before the
# exports, `--out -` piped, the jq query over index-audio's output).
. "$MG_SRC/tests/system/lib.sh"
set -u
command -v jq >/dev/null || die "jq is not installed: run sh scripts/setup.sh"
mkdir -p build
ln -s "$MG_BIN" build/musicgen
short='intro=1,verse=1,chorus=1,bridge=1,outro=1'
build/musicgen generate --seed 42 --count 3 --out ./ds -w 2 \
    --measures-per-part "$short" -q >gen.log 2>&1 || die "generate: $(cat gen.log)"
"$PY" - "$MG_SRC/README.md" >run.sh <<'PYEOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
want = ("## Checking, summarising", "## Export", "## Finding files")
n = 0
for sec in re.split(r"\n(?=## )", text):
    if not sec.startswith(want):
        continue
    for block in re.findall(r"```sh\n(.*?)```", sec, re.S):
        for line in block.splitlines():
            if not line.strip() or " eval " in line:
                continue
            print("echo '+ %s' >&2" % line.replace("'", "'\\''"))
            print(line)
            n += 1
sys.stderr.write("%d commands\n" % n)
PYEOF
[ "$(grep -c . run.sh)" -ge 40 ] || die "the README's blocks were not found: $(cat run.sh)"
sh -e run.sh >out.txt 2>err.txt || die "a README command failed: $(tail -5 err.txt)"
for f in ds.parquet ds.jsonl notes.parquet ds.csv tempo.csv ds.jsonl.gz \
         ds-train.parquet hf/train/metadata.jsonl jams wds wds-train midi.json \
         midi.csv audio.json; do
    [ -e "$f" ] || die "$f was not made: $(tail -3 err.txt)"
done
gzip -dc ds.jsonl.gz | head -1 | jq -e .sample_index >/dev/null || die "the piped export is not JSONL"
echo "readme: $(grep -c '^+ ' err.txt) commands ran"
