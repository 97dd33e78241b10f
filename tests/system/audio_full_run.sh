# audio_full_run — full-mode samples from the real binary with the real
# FluidR3_GM: every sample has mix + 4 stems, WAV lengths equal
# duration_seconds x rate, the stems sum to the mix within 2 LSB, the
# audio annotations are present, the same command twice gives identical
# WAV bytes, mix-only / stems-only write only what they say, and pcm24 /
# float formats come out as asked, and sample.json "checksums" is the
# SHA-256 of every file's bytes on disk (the WAVs are hashed while being
# written) in every mode and format; the workers are forked from a
# process down to one thread.
. "$MG_SRC/tests/system/lib.sh"
set -u
M="--measures-per-part intro=1,verse=2,chorus=2,bridge=1,outro=1"
"$MG_BIN" generate --seed 42 --count 2 --out a $M --workers 1 -q \
    || die "full run failed"
"$MG_BIN" generate --seed 42 --count 2 --out b $M --workers 1 -v > b.log 2>&1 \
    || { tail -5 b.log; die "second full run failed"; }
# the fonts were loaded by threads (and FluidSynth's OpenMP pools): the
# workers are forked only once they are all gone, so no lock one held
# can be inherited held
grep -q "^musicgen generate: 1 worker forked from 1 thread$" b.log \
    || die "fork: $(grep forked b.log)"
"$PY" - a b <<'PYEOF' || die "full-mode samples check"
import json, os, sys, wave, array, filecmp, hashlib
a, b = sys.argv[1], sys.argv[2]
layers = ("beat", "melody", "harmony", "bassline")
def rd(p):
    w = wave.open(p)
    n, r, ch, sw = w.getnframes(), w.getframerate(), w.getnchannels(), w.getsampwidth()
    x = array.array("h", w.readframes(n))
    return n, r, ch, sw, x
for i in range(2):
    d = os.path.join(a, "%06d" % i)
    j = json.load(open(os.path.join(d, "sample.json")))
    for k in ("soundfonts", "fx", "levels", "render_offset_seconds",
              "sample_rate", "audio_score"):
        if k not in j:
            sys.exit("sample %d: sample.json lacks %s" % (i, k))
    n, r, ch, sw, mix = rd(os.path.join(d, "mix.wav"))
    if (r, ch, sw) != (44100, 2, 2):
        sys.exit("sample %d: mix format %r" % (i, (r, ch, sw)))
    if n != round(j["duration_seconds"] * r):
        sys.exit("sample %d: %d frames, duration says %d" % (i, n, round(j["duration_seconds"] * r)))
    st = []
    for l in layers:
        ns, _, _, _, x = rd(os.path.join(d, "stems", l + ".wav"))
        if ns != n:
            sys.exit("sample %d: stem %s has %d frames, mix %d" % (i, l, ns, n))
        st.append(x)
    worst = max(abs(st[0][k] + st[1][k] + st[2][k] + st[3][k] - mix[k]) for k in range(len(mix)))
    if worst > 2:
        sys.exit("sample %d: stems differ from the mix by %d LSB" % (i, worst))
    if max(abs(v) for v in mix) < 1000:
        sys.exit("sample %d: mix nearly silent" % i)
    # checksums: hashed while written (WAVs) or read back (MIDIs), they
    # must be the SHA-256 of the files' bytes as they lie on disk
    cs = j.get("checksums", {})
    for f in ["mix.wav"] + ["stems/%s.wav" % l for l in layers] + ["midi/%s.mid" % l for l in layers]:
        if f not in cs:
            sys.exit("sample %d: no checksum for %s" % (i, f))
        if hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() != cs[f]:
            sys.exit("sample %d: checksum of %s is not the file's SHA-256" % (i, f))
    for f in ["mix.wav"] + ["stems/%s.wav" % l for l in layers]:
        if not filecmp.cmp(os.path.join(d, f), os.path.join(b, "%06d" % i, f), shallow=False):
            sys.exit("sample %d: %s differs between two identical runs" % (i, f))
PYEOF
"$MG_BIN" generate --seed 42 --count 1 --out mo $M --output-mode mix-only \
    --workers 1 -q || die "mix-only run failed"
[ -f mo/000000/mix.wav ] || die "mix-only: no mix.wav"
[ ! -e mo/000000/stems ] || die "mix-only wrote stems"
cmp -s mo/000000/mix.wav a/000000/mix.wav || die "mix-only mix differs from full"
"$MG_BIN" generate --seed 42 --count 1 --out so $M --output-mode stems-only \
    --workers 1 -q || die "stems-only run failed"
[ ! -e so/000000/mix.wav ] || die "stems-only wrote mix.wav"
cmp -s so/000000/stems/beat.wav a/000000/stems/beat.wav \
    || die "stems-only stem differs from full"
"$MG_BIN" generate --seed 42 --count 1 --out mi $M --output-mode midi-only \
    --workers 1 -q || die "midi-only run failed"
ls mi/000000/*.wav mi/000000/stems >/dev/null 2>&1 && die "midi-only wrote audio"
grep -q '"soundfonts"' mi/000000/sample.json || die "midi-only sample.json lacks soundfonts"
for fmt in pcm24 float; do
    "$MG_BIN" generate --seed 42 --count 1 --out f$fmt $M --sample-format $fmt \
        --workers 1 -q || die "$fmt run failed"
    "$PY" - f$fmt/000000/mix.wav $fmt <<'PYEOF' || die "$fmt header"
import struct, sys
b = open(sys.argv[1], "rb").read(64)
fmt_tag, ch, rate = struct.unpack("<HHI", b[20:28])
bits = struct.unpack("<H", b[34:36])[0]
want = {"pcm24": (1, 24), "float": (3, 32)}[sys.argv[2]]
if (fmt_tag, bits) != want and not (sys.argv[2] == "pcm24" and fmt_tag == 0xFFFE and bits == 24):
    sys.exit("format tag %d bits %d" % (fmt_tag, bits))
PYEOF
done
# checksums in the other modes and formats are the files' SHA-256 too
for d in mo/000000 so/000000 fpcm24/000000 ffloat/000000; do
    "$PY" - "$d" <<'PYEOF' || die "$d: checksums"
import hashlib, json, os, sys
d = sys.argv[1]
cs = json.load(open(os.path.join(d, "sample.json")))["checksums"]
if not any(k.endswith(".wav") for k in cs):
    sys.exit("no WAV checksum")
for f, h in cs.items():
    if hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest() != h:
        sys.exit("checksum of %s is not the file's SHA-256" % f)
PYEOF
done
# sample.json's fx are the parameters the DSP runs: a filter drawn at
# 12 kHz runs at 0.45 x 22050 = 9922.5 Hz and a delay's feedback of 5 at
# 0.9, and sample.json said 12000 and 5; FluidSynth's reverb and chorus
# ignored a wet of 1.5 and a rate of 0.05 Hz (their defaults, 0.9 and
# 0.3, ran: sample.json said 1.5 and 0.05): they run at 1 and 0.1001 Hz,
# the least 4-decimal rate its float range (0.1f) takes; a delay of 1e6
# beats asked for a 176 GB line (every sample failed, "out of memory"):
# it runs at 16
mkdir -p sfx
cp "$MG_SRC/sf/registry.json" "$MG_SRC/sf/mix.json" sfx/
"$PY" - "$MG_SRC/sf/fx.json" sfx/fx.json <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
for l in j:
    j[l]["filter"] = {"probability": 1.0, "params": {"cutoff_hz": [12000, 12000], "q": [0.7, 0.7]}}
    j[l]["delay"] = {"probability": 1.0, "params": {"time_beats": [1e6, 1e6], "feedback": [5, 5], "mix": [0.5, 0.5]}}
    j[l]["reverb"]["probability"] = 1.0
    j[l]["reverb"]["params"]["wet"] = [1.5, 1.5]
    j[l]["chorus"]["probability"] = 1.0
    j[l]["chorus"]["params"]["rate_hz"] = [0.05, 0.05]
json.dump(j, open(sys.argv[2], "w"))
PYEOF
"$MG_BIN" generate --seed 7 --count 1 --out fxc $M --sf-dir sfx --sample-rate 22050 \
    --output-mode mix-only --workers 1 -q || die "run with clamped fx failed"
"$PY" - fxc/000000/sample.json <<'PYEOF' || die "fx recorded are not the ones run"
import json, sys
fx = json.load(open(sys.argv[1]))["fx"]
for l, chain in fx.items():
    p = {e["type"]: e["params"] for e in chain}
    if (p["filter"]["cutoff_hz"] != 9922.5 or p["delay"]["feedback"] != 0.9
            or p["delay"]["time_beats"] != 16):
        sys.exit("%s: filter %s, delay %s" % (l, p["filter"], p["delay"]))
    if p["reverb"]["wet"] != 1 or p["chorus"]["rate_hz"] != 0.1001:
        sys.exit("%s: reverb %s, chorus %s" % (l, p["reverb"], p["chorus"]))
PYEOF
exit 0
