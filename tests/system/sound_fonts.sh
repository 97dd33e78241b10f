# sound_fonts — sound variety by default and licences that cannot go wrong
# (docs/soundfonts.md), with the real binary and the real Debian fonts:
# 300 midi-only samples with the default pools use at least four distinct
# fonts across their stems, every stem records font, licence, preset name
# and GM class, and LICENSES.md lists exactly the fonts used; a selection
# with a copyleft font is refused with one line unless --accept-license is
# given, which makes the run announce it and LICENSES.md carry it; the same
# command gives identical sample.json bytes; three full-audio samples
# render stems on several fonts, each stem with sound where its layer
# plays; `musicgen fonts` lists the licences; more dropped-in fonts than
# the pools hold, and a dropped-in font named like another, are refused
# with one line.
. "$MG_SRC/tests/system/lib.sh"
set -u

"$MG_BIN" generate --seed 9 --count 300 --out a --output-mode midi-only -q \
    || die "midi-only run failed"
"$MG_BIN" generate --seed 9 --count 20 --out b --output-mode midi-only -q \
    || die "second midi-only run failed"
same_samples a 0 b 0 20 || die "sample.json differs between two runs"

check_fonts() {   # check_fonts ROOT COUNT MIN_FONTS
    "$PY" - "$@" <<'PYEOF'
import json, os, re, sys
root, n, least = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
classes = {"Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings",
           "Strings (continued)", "Brass", "Reed", "Pipe", "Synth Lead", "Synth Pad",
           "Synth Effects", "Ethnic", "Percussive", "Sound Effects", "Drums"}
reg = {f["name"]: f for f in json.load(open(os.environ["MG_SRC"] + "/sf/registry.json"))["fonts"]}
used = set()
for i in range(n):
    j = json.load(open(os.path.join(root, "%06d" % i, "sample.json")))
    for layer, s in j["soundfonts"].items():
        for k in ("name", "license", "license_class", "bank", "program", "preset", "instrument_class"):
            if k not in s:
                sys.exit("sample %d %s: no %s" % (i, layer, k))
        f = reg.get(s["name"])
        if not f or f["license"] != s["license"]:
            sys.exit("sample %d %s: font %r / licence %r not the registry's" % (i, layer, s["name"], s["license"]))
        if s["instrument_class"] not in classes or (layer == "beat") != (s["instrument_class"] == "Drums"):
            sys.exit("sample %d %s: class %r" % (i, layer, s["instrument_class"]))
        if not s["preset"]:
            sys.exit("sample %d %s: empty preset name" % (i, layer))
        used.add(s["name"])
if len(used) < least:
    sys.exit("only %d distinct fonts: %s" % (len(used), sorted(used)))
lic = open(os.path.join(root, "LICENSES.md")).read()
listed = set(re.findall(r"^## (\S+)$", lic, re.M))
if listed != used:
    sys.exit("LICENSES.md lists %s, the samples used %s" % (sorted(listed), sorted(used)))
for name in used:
    if reg[name]["attribution"] not in lic:
        sys.exit("LICENSES.md lacks the attribution of %s" % name)
print(" ".join(sorted(used)))
PYEOF
}
used=$(check_fonts a 300 4) || die "default pools: $used"
echo "$used" | grep -q TimGM6mb && die "an opt-in font in the default pools"

# the gate: refused with one line, nothing made
"$MG_BIN" generate --seed 9 --count 5 --out g --output-mode midi-only \
    --fonts default,TimGM6mb 2>err.txt && die "an opt-in font was not refused"
[ "$(wc -l <err.txt)" -eq 1 ] || { cat err.txt; die "refusal is not one line"; }
grep -q "TimGM6mb (GPL-2.0-only, copyleft)" err.txt || { cat err.txt; die "refusal does not name the font and licence"; }
grep -q -- "--accept-license" err.txt || die "refusal does not name --accept-license"
[ -e g/000000/sample.json ] && die "a refused run made samples"
# accepted: announced at start, used, and listed
"$MG_BIN" generate --seed 9 --count 40 --out g --output-mode midi-only \
    --fonts TimGM6mb,Csound_GMbank --accept-license 2>err.txt \
    || { cat err.txt; die "accepted run failed"; }
grep -q "licence: the pools include TimGM6mb (GPL-2.0-only, copyleft)" err.txt \
    || { cat err.txt; die "no licence notice at start"; }
used=$(check_fonts g 40 2) || die "accepted pools: $used"
[ "$used" = "Csound_GMbank TimGM6mb" ] || die "accepted pools used: $used"

# full audio: the fonts really render
"$MG_BIN" generate --seed 4 --count 3 --out f --workers 1 -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 \
    || die "full run failed"
"$PY" - f <<'PYEOF' || die "full-audio fonts"
import array, json, os, sys, wave
root = sys.argv[1]
fonts = set()
for i in range(3):
    d = os.path.join(root, "%06d" % i)
    j = json.load(open(os.path.join(d, "sample.json")))
    for layer, s in j["soundfonts"].items():
        fonts.add(s["name"])
        w = wave.open(os.path.join(d, "stems", layer + ".wav"))
        x = array.array("h", w.readframes(w.getnframes()))
        plays = j["instruments"][layer]["notes"] > 0
        peak = max(abs(v) for v in x) if x else 0
        if plays and peak < 100:
            sys.exit("sample %d %s on %s: silent stem (peak %d)" % (i, layer, s["name"], peak))
if len(fonts) < 2:
    sys.exit("3 samples rendered on one font only: %s" % fonts)
PYEOF
[ -s f/LICENSES.md ] || die "no LICENSES.md after a full run"

"$MG_BIN" fonts >fonts.txt || die "musicgen fonts failed"
grep -q "TimGM6mb .*GPL-2.0-only .*copyleft .*yes" fonts.txt || { cat fonts.txt; die "fonts: no licence line"; }
# a typo in --sf-dir or --fonts is one line, exit 1 (it listed nothing,
# or marked no font, exit 0; generate refuses both)
"$MG_BIN" fonts --sf-dir nothere >out.txt 2>err.txt && die "fonts --sf-dir nothere"
[ ! -s out.txt ] && grep -qx "musicgen fonts: nothere: No such file or directory" err.txt ||
    die "fonts --sf-dir nothere: $(cat err.txt)"
"$MG_BIN" fonts --fonts FluidR3_GMX >out.txt 2>err.txt && die "fonts --fonts FluidR3_GMX"
[ ! -s out.txt ] && grep -qx "musicgen fonts: --fonts: no soundfont named 'FluidR3_GMX' in the registry (musicgen fonts lists them)" err.txt ||
    die "fonts --fonts FluidR3_GMX: $(cat err.txt)"
"$MG_BIN" fonts --fonts TimGM6mb | grep -q "^\* *TimGM6mb " || die "fonts --fonts TimGM6mb: not marked"
# a registry string longer than its field is one line naming it: a name
# was cut at 63 bytes without a word (two fonts alike for their first 63
# bytes were one name in sample.json; --fonts found neither by the
# registry's name), a licence at 63, its URL at 255
for kv in name:64 license:64 license_url:256 debian_package:64; do
    k=${kv%%:*} n=${kv#*:}
    mkdir -p long
    "$PY" - "$MG_SRC/sf/registry.json" long/registry.json "$k" "$n" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["fonts"][1][sys.argv[3]] = "x" * int(sys.argv[4])
json.dump(r, open(sys.argv[2], "w"))
PYEOF
    "$MG_BIN" fonts --sf-dir long >out.txt 2>err.txt && die "a $n-byte $k accepted"
    grep -qx "musicgen fonts: long/registry.json: fonts\[1\].$k: longer than $((n - 1)) bytes" err.txt ||
        die "a $n-byte $k: $(cat err.txt)"
done
# a font dropped into a pool under a file name that is not UTF-8: refused,
# naming it (its name and path went missing from every sample.json that
# used it, which then failed verify's schema)
rm -rf sfnu && cp -R "$MG_SRC/sf" sfnu && mkdir -p sfnu/melody &&
    ln -s /usr/share/sounds/sf2/TimGM6mb.sf2 "sfnu/melody/$(printf 't\377').sf2"
"$MG_BIN" fonts --sf-dir sfnu >out.txt 2>err.txt && die "fonts with a non-UTF-8 font name"
LC_ALL=C grep -q "^musicgen fonts: sfnu/melody/t.*\.sf2: a soundfont's file name must be UTF-8 text" err.txt ||
    die "fonts with a non-UTF-8 font name: $(cat err.txt)"
"$MG_BIN" generate --seed 1 --count 1 --out nu --sf-dir sfnu --output-mode midi-only --accept-license -q 2>err.txt &&
    die "generate with a non-UTF-8 font name"
[ ! -e nu/000000/sample.json ] || die "a sample was written without its font's name"
# tags: every one counts in the draw (past the 16th they were dropped:
# the shipped FluidR3_GM's "808" and "electronic_drums" steered nothing),
# so their order in the registry changes no draw; more than 64, or one
# longer than 31 bytes, is one line
"$PY" - "$MG_SRC/sf/registry.json" <<'PYEOF'
import json, os, sys
r = json.load(open(sys.argv[1]))
for d, edit in (("rev", lambda f: f["tags"].reverse()),
                ("many", lambda f: f.update(tags=["t%d" % i for i in range(65)])),
                ("longtag", lambda f: f["tags"].append("x" * 32))):
    os.makedirs(d, exist_ok=True)
    q = json.loads(json.dumps(r))
    for f in q["fonts"]:
        if f.get("tags"):
            edit(f)
            if d != "rev":
                break
    json.dump(q, open(d + "/registry.json", "w"))
PYEOF
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" rev/
for d in "$MG_SRC/sf" rev; do
    "$MG_BIN" generate --seed 42 --count 8 -g electronic --out "tags-${d##*/}" \
        --sf-dir "$d" --output-mode midi-only --workers 1 -q || die "generate --sf-dir $d"
done
for f in tags-sf/0*/sample.json; do
    cmp -s "$f" "tags-rev/${f#tags-sf/}" || die "the registry's tag order changed $f"
done
"$MG_BIN" fonts --sf-dir many >out.txt 2>err.txt && die "65 tags accepted"
grep -qx "musicgen fonts: many/registry.json: fonts\[0\].tags: need a list of at most 64 strings" err.txt ||
    die "65 tags: $(cat err.txt)"
# a weight past 1e6 (1e308 made the draw's total infinite: the pool's
# last font drawn every time, never the one so weighted) and more than
# 128 drum kits (past the 64th they were dropped) are one line each
"$PY" - "$MG_SRC/sf/registry.json" <<'PYEOF'
import json, os, sys
r = json.load(open(sys.argv[1]))
for d, k, v in (("heavy", "weight", 1e308), ("kits", "drum_kits", [[128, 0]] * 129),
                ("typo", "wieght", 5)):
    os.makedirs(d, exist_ok=True)
    q = json.loads(json.dumps(r))
    q["fonts"][0][k] = v
    json.dump(q, open(d + "/registry.json", "w"))
PYEOF
"$MG_BIN" fonts --sf-dir heavy >out.txt 2>err.txt && die "a weight of 1e308 accepted"
grep -qx "musicgen fonts: heavy/registry.json: fonts\[0\].weight: need a number above 0, at most 1e+06" err.txt ||
    die "a weight of 1e308: $(cat err.txt)"
# a key that names no field ("wieght" was taken without a word: the font
# drawn at weight 1)
"$MG_BIN" fonts --sf-dir typo >out.txt 2>err.txt && die "a 'wieght' accepted"
grep -qx "musicgen fonts: typo/registry.json: fonts\[0\].wieght: unknown field" err.txt ||
    die "a 'wieght': $(cat err.txt)"
"$MG_BIN" fonts --sf-dir kits >out.txt 2>err.txt && die "129 drum kits accepted"
grep -qx "musicgen fonts: kits/registry.json: fonts\[0\].drum_kits: need \[\[bank, program\], ...\], at most 128" err.txt ||
    die "129 drum kits: $(cat err.txt)"
"$MG_BIN" fonts --sf-dir longtag >out.txt 2>err.txt && die "a 32-byte tag accepted"
grep -qx "musicgen fonts: longtag/registry.json: fonts\[0\].tags\[[0-9]*\]: need a string of at most 31 bytes" err.txt ||
    die "a 32-byte tag: $(cat err.txt)"
# more dropped-in fonts than the pools hold (64): refused with one line
# naming the directory and the count. The first 64 names in readdir's
# order were kept and the rest dropped without a word, so which fonts a
# run drew depended on the file system (two workers with the same files
# drew different fonts for one seed); created here newest-last in
# reverse sorted order, which a tmpfs lists first-to-last reversed
mkdir -p many/melody && echo '{"fonts": []}' >many/registry.json
"$PY" -c 'import os
for i in range(65, 0, -1):
    os.symlink("/usr/share/sounds/sf2/TimGM6mb.sf2", "many/melody/f%02d.sf2" % i)' ||
    die "cannot make 65 fonts"
"$MG_BIN" fonts --sf-dir many >out.txt 2>err.txt && die "65 dropped-in fonts accepted"
[ ! -s out.txt ] && grep -qx "musicgen fonts: many/melody: 65 soundfonts dropped in, and the pools hold at most 64 fonts in all (0 come before them from the registry and the other layers' directories): move some out" err.txt ||
    die "65 dropped-in fonts: $(cat err.txt)"
"$MG_BIN" generate --seed 1 --count 1 --out m65 --sf-dir many --output-mode midi-only -q 2>err.txt &&
    die "generate with 65 dropped-in fonts"
grep -q "many/melody: 65 soundfonts dropped in" err.txt || die "generate, 65 fonts: $(cat err.txt)"
rm many/melody/f33.sf2
"$MG_BIN" fonts --sf-dir many >out.txt || die "64 dropped-in fonts refused"
[ "$(awk 'NR > 1 {print $2}' out.txt | tr '\n' ' ')" = "$(seq -f 'f%02g' 1 65 | grep -vx f33 | tr '\n' ' ')" ] ||
    die "64 dropped-in fonts: not all, in name order: $(cat out.txt)"
# a dropped-in font named like a registry font (or like another dropped-in
# file): refused, naming both. Its stems were recorded as FluidR3_GM and
# LICENSES.md gave them FluidR3_GM's MIT licence; the sidecar's "name"
# sets it apart
rm -rf sfdup && cp -R "$MG_SRC/sf" sfdup && mkdir -p sfdup/melody sfdup/harmony &&
    ln -s /usr/share/sounds/sf2/TimGM6mb.sf2 sfdup/melody/FluidR3_GM.sf2
"$MG_BIN" fonts --sf-dir sfdup >out.txt 2>err.txt && die "a dropped-in FluidR3_GM accepted"
grep -qx "musicgen fonts: sfdup/melody/FluidR3_GM.sf2: a dropped-in soundfont named 'FluidR3_GM', as is a font of sfdup/registry.json (samples and LICENSES.md name fonts by name): rename the file, or give it another \"name\" in sfdup/melody/FluidR3_GM.sf2.json" err.txt ||
    die "a dropped-in FluidR3_GM: $(cat err.txt)"
"$MG_BIN" generate --seed 3 --count 1 --out dup --sf-dir sfdup --output-mode midi-only --accept-license -q 2>err.txt &&
    die "generate with a dropped-in FluidR3_GM"
[ ! -e dup/000000/sample.json ] || die "a sample was made with two fonts of one name"
echo '{"name": "MyTim", "license": "GPL-2.0-only", "license_class": "copyleft"}' >sfdup/melody/FluidR3_GM.sf2.json
"$MG_BIN" fonts --sf-dir sfdup >out.txt 2>err.txt || die "a renamed dropped-in font: $(cat err.txt)"
[ "$(grep -c ' FluidR3_GM ' out.txt)" -eq 1 ] && grep -q "^\* *MyTim .*GPL-2.0-only" out.txt ||
    die "a renamed dropped-in font: $(cat out.txt)"
ln -s /usr/share/sounds/sf2/TimGM6mb.sf2 sfdup/harmony/FluidR3_GM.sf2
"$MG_BIN" fonts --sf-dir sfdup >out.txt 2>err.txt && die "two fonts named FluidR3_GM accepted"
grep -q "^musicgen fonts: sfdup/harmony/FluidR3_GM.sf2: a dropped-in soundfont named 'FluidR3_GM', as is a font of sfdup/registry.json" err.txt ||
    die "a second dropped-in FluidR3_GM: $(cat err.txt)"
echo '{"name": "MyTim"}' >sfdup/harmony/FluidR3_GM.sf2.json
"$MG_BIN" fonts --sf-dir sfdup >out.txt 2>err.txt && die "two dropped-in fonts named MyTim accepted"
grep -qx "musicgen fonts: sfdup/harmony/FluidR3_GM.sf2: a dropped-in soundfont named 'MyTim', as is sfdup/melody/FluidR3_GM.sf2 (samples and LICENSES.md name fonts by name): rename one, or give it another \"name\" in sfdup/harmony/FluidR3_GM.sf2.json (one file serves several layers through \"layers\" there)" err.txt ||
    die "two dropped-in fonts named MyTim: $(cat err.txt)"
exit 0
