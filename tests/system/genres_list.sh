# genres_list — `musicgen list-genres` shows every shipped genre with its
# bounds; --genres-dir and MUSICGEN_GENRES_DIR point it at a custom
# directory (ours and the Python tool's formats); a malformed custom genre
# is reported with its file and field and a non-zero exit.
. "$MG_SRC/tests/system/lib.sh"
set -u
out=$("$MG_BIN" list-genres) || die "list-genres exited $?"
for g in jazz hip-hop blues pop electronic latin reggae classical rock; do
    echo "$out" | grep -q "^$g " || die "list-genres does not show $g"
done
echo "$out" | grep -q "^jazz  *80-200  *0.60-0.75  *4/4 3/4" \
    || die "jazz line wrong: $(echo "$out" | grep '^jazz')"
echo "$out" | grep -q "^rock  *70-180  *0.50-0.57" || die "rock line wrong"
echo "$out" | grep -q "^default" && die "default listed as a genre"
names=$("$MG_BIN" list-genres --names) || die "--names exited $?"
[ "$(echo "$names" | wc -l)" -eq 9 ] || die "--names: not 9 lines"

# A custom directory: one genre in our format, one in the Python tool's.
D="$TMPDIR/custom-genres"
mkdir -p "$D/mine" "$D/old"
cp "$MG_SRC/genres/arrangements.json" "$D/"
cat > "$D/mine/spec.json" <<'JSON'
{"name": "mine", "description": "custom test genre",
 "tempo": {"min": 100, "max": 110}, "swing": {"min": 0.5, "max": 0.6},
 "time_signatures": {"3/4": 1}}
JSON
cat > "$D/mine/drums_34.txt" <<'TXT'
[pattern w]
parts = all
kick  = X... .... ....
snare = .... x... x...
TXT
cat > "$D/old/spec.json" <<'JSON'
{"name": "old", "description": "python format", "tempo_min": 65,
 "tempo_max": 95, "swing_min": 0.5, "swing_max": 0.55,
 "time_sig_weights": {"4/4": 1.0}, "fx_profile": {"ladder_filter": 0.5},
 "chord_type_hard_filter": null, "drum_pool_names": []}
JSON
printf 'verse: 36, 0, 38, 0\nchorus_roll: 38, 38, 38, 38\n' \
    > "$D/old/patterns_44.txt"
out=$("$MG_BIN" list-genres --genres-dir "$D") \
    || die "list-genres --genres-dir exited $?"
echo "$out" | grep -q "^mine  *100-110  *0.50-0.60  *3/4  *custom test genre" \
    || die "custom genre line wrong: $out"
echo "$out" | grep -q "^old  *65-95  *0.50-0.55  *4/4" \
    || die "python-format genre line wrong: $out"
echo "$out" | grep -q "^jazz" && die "--genres-dir still lists shipped genres"
out=$(MUSICGEN_GENRES_DIR="$D" "$MG_BIN" list-genres --names) \
    || die "MUSICGEN_GENRES_DIR run exited $?"
[ "$out" = "$(printf 'mine\nold')" ] || die "MUSICGEN_GENRES_DIR ignored: $out"

# A malformed genre: file and field named, non-zero exit, others listed.
mkdir -p "$D/bad"
echo '{"tempo": {"min": 5, "max": 100}}' > "$D/bad/spec.json"
if "$MG_BIN" list-genres --genres-dir "$D" >out.txt 2>err.txt; then
    die "malformed genre did not fail list-genres"
fi
grep -q "bad/spec.json: tempo.min: must be a number in 20..400" err.txt \
    || die "error does not name file and field: $(cat err.txt)"
grep -q "^mine" out.txt || die "good genres not listed beside a bad one"
"$MG_BIN" list-genres --genres-dir "$TMPDIR/nowhere" 2>err.txt \
    && die "missing genres dir accepted"
grep -q "nowhere" err.txt || die "missing dir not named: $(cat err.txt)"
exit 0
