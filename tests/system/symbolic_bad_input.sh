# symbolic_bad_input — bad input gives one line on stderr naming the
# problem, a non-zero exit, and nothing half-written.
. "$MG_SRC/tests/system/lib.sh"
set -u

# expect_error "what the message must contain" command...
expect_error() {
    want=$1
    shift
    "$@" >out.txt 2>err.txt && die "succeeded: $*"
    [ "$(wc -l < err.txt)" -eq 1 ] || { cat err.txt; die "not one line: $*"; }
    grep -q -- "$want" err.txt || { cat err.txt; die "message lacks '$want': $*"; }
}

expect_error "unknown genre\|no genre\|not found" \
    "$MG_BIN" generate --seed 1 --count 3 --out o1 -g polka --output-mode midi-only
[ -z "$(ls o1 2>/dev/null | grep -v manifest)" ] || die "unknown genre wrote samples"

expect_error "count" "$MG_BIN" generate --seed 1 --count 0 --out o2
[ ! -e o2 ] || die "count 0 created the output directory"
expect_error "count" "$MG_BIN" generate --seed 1 --count -5 --out o2
expect_error "seed" "$MG_BIN" generate --count 2 --out o2
expect_error "shard-width" "$MG_BIN" generate --seed 1 --shard-width 9 --out o2
expect_error "sum to 1" "$MG_BIN" generate --seed 1 --split 0.5,0.5,0.5 --out o2
expect_error "output-mode" "$MG_BIN" generate --seed 1 --output-mode flac --out o2
expect_error "unknown option" "$MG_BIN" generate --seed 1 --frobnicate --out o2
expect_error "MUSICGEN_SHARD_WIDTH" env MUSICGEN_SHARD_WIDTH=x "$MG_BIN" generate --seed 1 --out o2
# a part given twice kept the last value, unsaid
expect_error "verse is given twice" "$MG_BIN" generate --seed 1 --out o2 \
    --measures-per-part 'verse=4,verse=5' --output-mode midi-only
# a cache directory that is a file: the run went on with no cache, unsaid
echo file >afile
expect_error "cache-dir: afile is not a directory" "$MG_BIN" generate \
    --seed 1 --count 1 --out o2 --cache-dir afile --output-mode midi-only
expect_error "cache-dir: afile/c is not a directory" "$MG_BIN" generate \
    --seed 1 --count 1 --out o2 --cache-dir afile/c --output-mode midi-only
"$MG_BIN" generate --seed 1 --count 1 --out o2 --cache-dir afile \
    --output-mode midi-only >/dev/null 2>&1
[ $? -eq 2 ] || die "a cache-dir that is a file: exit is not 2"
[ ! -e o2 ] || die "a rejected command created its output directory"

# A malformed genre spec: the message names the file and the field.
mkdir -p bad/broken
cp -R "$MG_SRC/genres/default" bad/default
[ -f "$MG_SRC/genres/arrangements.json" ] && cp "$MG_SRC/genres/arrangements.json" bad/
cp -R "$MG_SRC/genres/jazz/." bad/broken/
"$PY" - bad/broken/spec.json <<'PYEOF'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["name"] = "broken"
# break the tempo bounds whichever naming the spec uses
for k in list(s):
    if k in ("tempo", "tempo_min"):
        s[k] = "fast"
json.dump(s, open(p, "w"))
PYEOF
expect_error "spec.json" "$MG_BIN" generate --seed 1 --count 2 --out o3 \
    --genres-dir bad -g broken --output-mode midi-only
grep -q "tempo" err.txt || { cat err.txt; die "malformed spec message does not name the field"; }
[ -z "$(ls o3 2>/dev/null)" ] || die "malformed spec wrote samples"

# A custom genres directory without default/, and no -g: the message
# said default/drums_24.txt was missing (a pattern file of a genre the
# user never wrote); it says no genre was named and default/ is absent.
mkdir -p mine/solo
cp -R "$MG_SRC/genres/jazz/." mine/solo/
sed 's/"name": *"jazz"/"name": "solo"/' "$MG_SRC/genres/jazz/spec.json" \
    > mine/solo/spec.json
"$MG_BIN" generate --seed 1 --count 1 --out o5 --genres-dir mine -g solo \
    --output-mode midi-only -q || die "a custom genre without default/ failed"
expect_error "no genre named, and mine has no default genre" \
    "$MG_BIN" generate --seed 1 --count 1 --out o6 --genres-dir mine \
    --output-mode midi-only
[ ! -e o6 ] || die "a missing default genre created the output directory"
expect_error "genres directory nowhere: No such file" \
    "$MG_BIN" generate --seed 1 --count 1 --out o6 --genres-dir nowhere \
    --output-mode midi-only

# An output directory that cannot be written (its parent is a file).
echo x > afile
expect_error "afile" "$MG_BIN" generate --seed 1 --count 2 \
    --out afile/ds --output-mode midi-only
# --out a file itself: it said 'is not writable: Permission denied'
expect_error "output directory afile: Not a directory" "$MG_BIN" generate \
    --seed 1 --count 2 --out afile --output-mode midi-only
# A config file with a bad line names the file and line.
printf 'count = 3\nshard-width = many\n' > bad.conf
expect_error "bad.conf:2" "$MG_BIN" generate --seed 1 --config bad.conf --out o4
echo "bad input rejected cleanly"
