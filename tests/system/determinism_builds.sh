# determinism_builds — the release build (-O2, vectorised loops) and the
# test build (-O1 with AddressSanitizer and UBSan) give the same bytes:
# every WAV, MIDI and sample.json of runs with every effect on every layer
# (an fx.json with all probabilities at 1), in pcm16, pcm24 and float, and
# with a 1 MB in-memory stem store so that the scratch file is used. A
# compiler transformation that changed floating-point results would fail
# here: GCC 12's SLP vectorizer did so on an unrolled form of the EQ loop
# (found while optimising it; that form was dropped). The test build has
# no AVX2 clones of the audio loops (MG_NO_CPU_CLONES), so on an AVX2
# machine this also compares the AVX2 path with the baseline one.
. "$MG_SRC/tests/system/lib.sh"
set -u
REL=${MG_RELEASE_BIN:-$MG_SRC/build/musicgen}
[ -x "$REL" ] || die "no release binary at $REL (\`make\` builds it; \`make test\` does too)"
[ "$REL" -ef "$MG_BIN" ] && die "MG_BIN is the release binary itself: nothing to compare"

mkdir sf
cp -R "$MG_SRC/sf/." sf/
"$PY" - sf/fx.json <<'PYEOF' || die "cannot write the all-effects fx.json"
import json, sys
p = sys.argv[1]
fx = json.load(open(p))
for layer in fx.values():
    for unit in layer.values():
        unit["probability"] = 1.0
json.dump(fx, open(p, "w"), indent=1)
PYEOF

M="--measures-per-part intro=1,verse=2,chorus=1,bridge=1,outro=1"
run() {    # run BIN OUT FORMAT [ENV...]
    bin=$1 out=$2 fmt=$3
    shift 3
    env "$@" "$bin" generate --seed 5 --count 2 --out "$out" --sf-dir sf \
        --sample-format "$fmt" --workers 1 $M -q 2>"$out.err" \
        || { cat "$out.err"; die "$bin: $out failed"; }
}
for fmt in pcm16 pcm24 float; do
    run "$REL" "rel-$fmt" "$fmt"
    run "$MG_BIN" "test-$fmt" "$fmt"
    diff -r -q -x .musicgen -x manifest.jsonl "rel-$fmt" "test-$fmt" \
        || die "$fmt: the release and test builds differ"
done
run "$REL" rel-spill pcm16 MUSICGEN_AUDIO_STORE_MB=1
run "$MG_BIN" test-spill pcm16 MUSICGEN_AUDIO_STORE_MB=1
diff -r -q -x .musicgen -x manifest.jsonl rel-spill test-spill \
    || die "scratch store: the release and test builds differ"
diff -r -q -x .musicgen -x manifest.jsonl rel-pcm16 rel-spill \
    || die "the scratch store changed the bytes"
# every effect really ran: each layer of each sample lists all eight
"$PY" - rel-pcm16 <<'PYEOF' || die "not every effect was drawn"
import glob, json, sys
n = 0
for f in glob.glob(sys.argv[1] + "/**/sample.json", recursive=True):
    fx = json.load(open(f))["fx"]
    for layer, chain in fx.items():
        assert len(chain) == 8, (f, layer, [u["type"] for u in chain])
    n += 1
assert n == 2, n
PYEOF
echo "release and test builds give the same bytes"
