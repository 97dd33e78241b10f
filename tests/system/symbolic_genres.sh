# symbolic_genres — over 1000+ samples across every shipped genre (and a
# merged pair), the genre constraints the engine loaded hold: tempo and
# swing inside the hard bounds, only time signatures and keys with weight
# > 0, chord types inside the hard filter. Checked outside the engine.
. "$MG_SRC/tests/system/lib.sh"
set -u
GD="$MG_SRC/genres"
genres=$("$MG_BIN" list-genres --names 2>/dev/null || ls "$GD")
n=0
for g in jazz hip-hop blues pop electronic latin reggae classical rock; do
    "$MG_BUILD/tools/genre_dump" "$GD" "$g" > "spec-$g.json" \
        || die "genre_dump $g"
    "$MG_BIN" generate --seed 11 --count 120 --out "ds-$g" -g "$g" \
        --output-mode midi-only -q || die "generate -g $g failed"
    "$PY" "$TOOLS/check_dataset.py" "ds-$g" --global-seed 11 --count 120 \
        --spec "spec-$g.json" --no-midi-check || die "constraints of $g"
    n=$((n + 120))
done
"$MG_BUILD/tools/genre_dump" "$GD" jazz latin > spec-jl.json || die "dump jazz+latin"
"$MG_BIN" generate --seed 12 --count 100 --out ds-jl -g jazz -g latin \
    --output-mode midi-only -q || die "generate jazz+latin failed"
"$PY" "$TOOLS/check_dataset.py" ds-jl --global-seed 12 --count 100 \
    --spec spec-jl.json || die "constraints of jazz+latin"
n=$((n + 100))
# No genre: the default spec, all seven time signatures reachable.
"$MG_BUILD/tools/genre_dump" "$GD" > spec-default.json || die "dump default"
"$MG_BIN" generate --seed 13 --count 150 --out ds-def \
    --output-mode midi-only -q || die "generate default failed"
"$PY" "$TOOLS/check_dataset.py" ds-def --global-seed 13 --count 150 \
    --spec spec-default.json || die "constraints of default"
n=$((n + 150))
tsn=$(cat ds-def/*/sample.json | "$PY" -c '
import sys, json, re
text = sys.stdin.read()
print(len(set(re.findall(r"\"time_signature\": \"([0-9/]+)\"", text))))')
[ "$tsn" -ge 5 ] || die "default spec drew only $tsn time signatures in 150 samples"
echo "genre constraints held over $n samples"
