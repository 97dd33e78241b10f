# symbolic_clean — `clean --failed` removes what a crash leaves (temporary
# and sample directories without sample.json) and nothing else.
. "$MG_SRC/tests/system/lib.sh"
set -u
"$MG_BIN" generate --seed 3 --count 6 --out ds --output-mode midi-only \
    --shard-width 2 -q || die "generate failed"
mkdir -p ds/00/.tmp-000003-999/midi ds/00/000099/midi ds/.tmp-x
touch ds/00/000099/midi/beat.mid
sum_before=$(cat ds/00/00000*/sample.json | sha256sum)
"$MG_BIN" clean --failed --out ds --dry-run > dry.txt || die "dry run failed"
[ -d ds/00/000099 ] || die "dry run removed something"
"$MG_BIN" clean --failed --out ds > out.txt || die "clean failed"
[ ! -e ds/00/000099 ] || die "partial sample kept"
[ ! -e ds/00/.tmp-000003-999 ] || die "temporary directory kept"
[ ! -e ds/.tmp-x ] || die "top-level temporary directory kept"
[ "$(cat ds/00/00000*/sample.json | sha256sum)" = "$sum_before" ] || die "finished samples touched"
[ -f ds/manifest.jsonl ] || die "manifest removed"
grep -q "removed 3" out.txt || { cat out.txt; die "count of removed directories"; }
"$MG_BIN" clean --out ds >/dev/null 2>&1 && die "clean without --failed should refuse"
# ROOT as the other dataset commands take it (or --out, not both)
mkdir ds/00/000098
"$MG_BIN" clean --failed ds > out.txt || die "clean ROOT failed"
[ ! -e ds/00/000098 ] && grep -q "removed 1 partial directory in ds" out.txt ||
    die "clean ROOT: $(cat out.txt)"
"$MG_BIN" clean --failed ds --out ds 2> err.txt && die "ROOT and --out both accepted"
grep -qx "musicgen clean: ROOT or --out, not both" err.txt || die "$(cat err.txt)"
echo "clean ok"
