# audio_errors_score_calibrate — a missing or corrupt soundfont is a clear
# error before any sample is written; `calibrate` measures a plausible
# pre-roll, the same twice, and caches it; `score-audio` ranks a rendered
# mix above white noise above silence and explains its components, and
# refuses a --tempo-range that is not LO:HI, a rate outside 8..768 kHz,
# a FIFO, and a file cut short in any format whose header says its length
# (WAV, AIFF, NIST, MAT5 ...).
. "$MG_SRC/tests/system/lib.sh"
set -u
export XDG_CACHE_HOME="$PWD/cache"
M="--measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1"

# missing font
mkdir -p sfbad
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" sfbad/
printf '{"fonts": [{"path": "/nonexistent/none.sf2", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' >sfbad/registry.json
if "$MG_BIN" generate --seed 1 --count 1 --out bad --sf-dir sfbad --workers 1 \
    -q 2>err.txt; then die "generate with a missing font succeeded"; fi
grep -q "/nonexistent/none.sf2" err.txt || { cat err.txt; die "error does not name the font"; }
[ -z "$(ls bad/0* 2>/dev/null)" ] || die "a sample was written despite the bad font"
# corrupt font dropped into a pool directory
mkdir -p sfbad/melody
printf '{"fonts": [{"path": "/usr/share/sounds/sf2/FluidR3_GM.sf2", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' >sfbad/registry.json
echo "not a soundfont" >sfbad/melody/broken.sf2
if "$MG_BIN" generate --seed 1 --count 1 --out bad2 --sf-dir sfbad --workers 1 \
    -q 2>err2.txt; then die "generate with a corrupt font succeeded"; fi
grep -q "broken.sf2" err2.txt || { cat err2.txt; die "error does not name the corrupt font"; }

# mix.json's numbers in their ranges, one line naming the field: a
# headroom of +6 dBFS failed every sample as "stems do not sum to the mix
# (error 8929 LSB)", a gain cap of -200 dB wrote silence, a ramp of -5 ms
# cut the end of a part, one of 1e9 ms sounded through a silent part
mkdir -p sfmix
cp "$MG_SRC/sf/registry.json" "$MG_SRC/sf/fx.json" sfmix/
for kv in headroom_dbfs=6:-60:0 max_gain_db=-200:0:60 ramp_ms=-5:0:1000 \
          ramp_ms=1e9:0:1000 fade_out_ms=-10:0:1000; do
    k=${kv%%=*} v=${kv#*=}; v=${v%%:*} r=${kv#*:}
    "$PY" - "$MG_SRC/sf/mix.json" sfmix/mix.json "$k" "$v" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
m[sys.argv[3]] = float(sys.argv[4])
json.dump(m, open(sys.argv[2], "w"))
PYEOF
    "$MG_BIN" generate --seed 1 --count 1 --out mixbad --sf-dir sfmix --workers 1 \
        -q 2>e.txt && die "mix.json $k $v accepted"
    grep -q "^musicgen generate: sfmix/mix.json: $k: need a number from ${r%%:*} to ${r#*:} " e.txt ||
        die "mix.json $k $v: $(cat e.txt)"
    [ -z "$(ls -d mixbad/0* 2>/dev/null)" ] || die "a sample was written with $k $v"
done

# a layer's level range and a part's gain within bounds: a level_db of
# [-1000, 1000] drew a melody 214 dB up (the other stems fell below the
# loudness gate), [-1e300, 1e300] and a part gain of 1e40 overflowed the
# float stems (every sample failed as "stems do not sum to the mix")
for kv in 'layers.melody.level_db=[-1000, 1000]' 'layers.bassline.level_db=[-61, 0]' \
          'layers.beat.level_db=[0, 21]' 'parts.chorus.melody=1e40' 'parts.intro.beat=10.5'; do
    k=${kv%%=*} v=${kv#*=}
    "$PY" - "$MG_SRC/sf/mix.json" sfmix/mix.json "$k" "$v" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
o, *path, key = sys.argv[3].split(".")
d = m[o]
for p in path:
    d = d[p]
d[key] = json.loads(sys.argv[4])
json.dump(m, open(sys.argv[2], "w"))
PYEOF
    "$MG_BIN" generate --seed 1 --count 1 --out mixbad --sf-dir sfmix --workers 1 \
        -q 2>e.txt && die "mix.json $k $v accepted"
    case $k in
    *level_db) want="need \[lo, hi\] within \[-60, 20\] dB, got " ;;
    *) want="need a number from 0 to 10 (a gain: 10 is +20 dB)" ;;
    esac
    grep -q "^musicgen generate: sfmix/mix.json: $k: $want" e.txt &&
        [ "$(wc -l <e.txt)" -eq 1 ] || die "mix.json $k $v: $(cat e.txt)"
    [ -z "$(ls -d mixbad/0* 2>/dev/null)" ] || die "a sample was written with $k $v"
done

# fx.json's gains within bounds, one line naming the field and its
# bounds: a compressor makeup of 200 dB or an EQ shelf of 300 dB rendered
# without a word (the loudness normalisation took the level back, the
# score dropped); nothing else bounds them
mkdir -p sffx
cp "$MG_SRC/sf/registry.json" "$MG_SRC/sf/mix.json" sffx/
for kv in compressor.makeup_db=200:-24:24 eq.low_db=300:-24:24 \
          eq.mid_db=-30:-24:24 eq.high_db=25:-24:24 \
          compressor.threshold_db=6:-60:0 distortion.drive_db=-1:0:40; do
    k=${kv%%=*} v=${kv#*=}; v=${v%%:*} r=${kv#*:}
    "$PY" - "$MG_SRC/sf/fx.json" sffx/fx.json "$k" "$v" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
fx, p = sys.argv[3].split(".")
j["harmony"][fx]["params"][p] = [float(sys.argv[4])] * 2
json.dump(j, open(sys.argv[2], "w"))
PYEOF
    "$MG_BIN" generate --seed 1 --count 1 --out fxbad --sf-dir sffx --workers 1 \
        -q 2>e.txt && die "fx.json $k $v accepted"
    grep -q "^musicgen generate: sffx/fx.json: harmony.${k%%.*}.params.${k#*.}: need \[lo, hi\] within \[${r%%:*}, ${r#*:}\] dB, got " e.txt ||
        die "fx.json $k $v: $(cat e.txt)"
    [ "$(wc -l <e.txt)" -eq 1 ] || die "fx.json $k $v: $(cat e.txt)"
    [ -z "$(ls -d fxbad/0* 2>/dev/null)" ] || die "a sample was written with $k $v"
done

# a key that names nothing, one line naming it: an fx.json effect
# "flanger" or an effect's "enabled": false, a mix.json layer's "mute"
# or a top-level "master_gain_db" was taken without a word and did nothing
for kv in 'fx:melody.flanger:not an effect (reverb chorus delay compressor eq filter distortion phaser)' \
          'fx:Melody:not a layer (beat melody harmony bassline)' \
          'fx:melody.reverb.enabled:unknown field (probability, params)' \
          'mix:master_gain_db:unknown field' \
          'mix:layers.melody.mute:unknown field (level_db, pan)' \
          'mix:layers.lead:not a layer (beat melody harmony bassline)' \
          'mix:parts.solo:not a part (intro verse chorus bridge outro)' \
          'mix:parts.chorus.lead:not a layer (beat melody harmony bassline)'; do
    f=${kv%%:*} r=${kv#*:}; k=${r%%:*} why=${r#*:}
    rm -rf sfkey && mkdir sfkey && cp "$MG_SRC/sf/registry.json" "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" sfkey/
    "$PY" - "sfkey/$f.json" "$k" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
*path, key = sys.argv[2].split(".")
d = j
for p in path:
    d = d[p]
d[key] = {} if len(path) < 2 or path[0] == "layers" else 1.0
json.dump(j, open(sys.argv[1], "w"))
PYEOF
    "$MG_BIN" generate --seed 1 --count 1 --out keybad --sf-dir sfkey --workers 1 \
        --output-mode midi-only -q 2>e.txt && die "$f.json $k accepted"
    grep -qxF "musicgen generate: sfkey/$f.json: $k: $why" e.txt || die "$f.json $k: $(cat e.txt)"
    [ -z "$(ls -d keybad/0* 2>/dev/null)" ] || die "a sample was written with $f.json $k"
done

# calibrate
# no cache to write: one line, its prefix once
"$MG_BIN" calibrate --cache-dir "" >cal0.txt 2>&1 && die "calibrate without a cache directory"
grep -qx "musicgen calibrate: no cache directory (--cache-dir)" cal0.txt ||
    { cat cal0.txt; die "calibrate without a cache: not one clear line"; }
"$MG_BIN" calibrate >cal1.txt 2>&1 || { cat cal1.txt; die "calibrate failed"; }
"$MG_BIN" calibrate >cal2.txt 2>&1 || die "second calibrate failed"
f1=$(awk '/FluidR3_GM/ {print $2}' cal1.txt)
f2=$(awk '/FluidR3_GM/ {print $2}' cal2.txt)
[ -n "$f1" ] || { cat cal1.txt; die "calibrate printed no pre-roll"; }
[ "$f1" = "$f2" ] || die "pre-roll not stable: $f1 vs $f2"
[ "$f1" -ge 0 ] && [ "$f1" -lt 2205 ] || die "implausible pre-roll $f1 frames"
[ -f cache/musicgen/calibration.json ] || die "no calibration cache"

# score-audio ordering
"$MG_BIN" generate --seed 5 --count 1 --out s $M --output-mode mix-only \
    --workers 1 -q || die "render for scoring failed"
"$PY" - <<'PYEOF'
import wave, array, random
random.seed(1)
for name, gen in (("noise.wav", lambda: int(random.uniform(-0.5, 0.5) * 32767)),
                  ("silence.wav", lambda: 0)):
    w = wave.open(name, "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(44100)
    w.writeframes(array.array("h", [gen() for _ in range(44100 * 4)]).tobytes()); w.close()
PYEOF
"$MG_BIN" score-audio s/000000/mix.wav noise.wav silence.wav >scores.txt \
    || die "score-audio failed"
m=$(awk 'NR==1 {print $1}' scores.txt)
n=$(awk 'NR==2 {print $1}' scores.txt)
z=$(awk 'NR==3 {print $1}' scores.txt)
awk -v m="$m" -v n="$n" -v z="$z" 'BEGIN { exit !(m > n + 0.1 && n > z) }' \
    || { cat scores.txt; die "score order wrong: mix $m noise $n silence $z"; }
"$MG_BIN" score-audio --explain noise.wav | grep -q "harmony" \
    || die "--explain prints no components"
if "$MG_BIN" score-audio nothere.wav 2>e.txt; then die "missing file scored"; fi
grep -q "nothere.wav" e.txt || die "missing-file error does not name it"
# said plainly (libsndfile's "System error : No such file or directory."
# and "Format not recognised." for a directory or an empty file)
mkdir adir
: >empty.wav
# a FIFO was opened by libsndfile, which waited for a writer for ever
mkfifo afifo
for f in "nothere.wav:No such file or directory" "adir:a directory, not an audio file" \
         "empty.wav:an empty file, not an audio file" \
         "afifo:is a FIFO, expected a regular file"; do
    timeout 60 "$MG_BIN" score-audio "${f%%:*}" noise.wav >o.txt 2>e.txt && die "${f%%:*} accepted"
    grep -qx "musicgen score-audio: ${f%%:*}: ${f#*:}" e.txt || die "${f%%:*}: $(cat e.txt)"
    [ "$(wc -l <o.txt)" -eq 1 ] || die "${f%%:*}: the other file was not scored"
done
# --tempo-range: two finite numbers, LO < HI, nothing after ("nan:nan" was
# ignored, "60:inf" scored every file 0, "60:120xyz" passed)
for r in nan:nan 60:inf 60:120xyz 0:10 "" ; do
    "$MG_BIN" score-audio --tempo-range "$r" noise.wav >o.txt 2>e.txt
    [ $? -eq 2 ] && [ ! -s o.txt ] || die "--tempo-range '$r' accepted"
    grep -qx "musicgen score-audio: --tempo-range: need LO:HI in BPM, got '$r'" e.txt ||
        die "--tempo-range '$r': $(cat e.txt)"
done
"$MG_BIN" score-audio noise.wav --tempo-range 2>e.txt && die "--tempo-range without a value"
grep -qx "musicgen score-audio: --tempo-range: need LO:HI in BPM, got ''" e.txt ||
    die "--tempo-range without a value: $(cat e.txt)"
"$MG_BIN" score-audio --tempo-range 80:100 noise.wav >/dev/null || die "--tempo-range 80:100"
# --json names every file, also one whose name is not UTF-8 (its line had
# no "file": jansson refuses such a string; the stray byte reads U+FFFD,
# the bytes are in file_hex)
cp noise.wav "$(printf 'n\377.wav')"
"$MG_BIN" score-audio --json "$(printf 'n\377.wav')" noise.wav >j.txt || die "score-audio --json"
grep -c '"file":' j.txt | grep -qx 2 || die "a --json line without its file: $(cut -c1-60 j.txt)"
grep -q "\"file\":\"n$(printf '\357\277\275').wav\"" j.txt || die "the non-UTF-8 name: $(grep -o '"file":"[^"]*"' j.txt)"
# ... and its exact bytes in file_hex (only there)
grep -c '"file_hex":"6eff2e776176"' j.txt | grep -qx 1 || die "the non-UTF-8 name's bytes: $(grep -o '"file[_hex]*":"[^"]*"' j.txt)"

# a float file with a NaN or an infinite sample is refused, one line naming
# it (NaNs reached the analysis: a file of NaNs scored 0.1, above silence)
"$PY" - <<'PYEOF'
import struct, math
for name, bad in (("nan.wav", float("nan")), ("inf.wav", float("-inf"))):
    x = [0.5 * math.sin(k * 0.05) for k in range(44100)]
    x[1000] = bad
    d = struct.pack("<%df" % len(x), *x)
    open(name, "wb").write(b"RIFF" + struct.pack("<I", 36 + len(d)) + b"WAVEfmt " +
        struct.pack("<IHHIIHH", 16, 3, 1, 44100, 176400, 4, 32) + b"data" +
        struct.pack("<I", len(d)) + d)
PYEOF
for f in nan.wav:NaN inf.wav:infinite; do
    "$MG_BIN" score-audio "${f%%:*}" >o.txt 2>e.txt && die "${f%%:*} scored: $(cat o.txt)"
    [ ! -s o.txt ] || die "${f%%:*}: printed a score"
    grep -qx "musicgen score-audio: ${f%%:*}: frame 1000, channel 1: sample is ${f#*:}, not a finite number" e.txt ||
        die "${f%%:*}: $(cat e.txt)"
done

# A rate the analysis cannot take is refused, one line naming it (1 Hz
# was scored 0 and 10 MHz scored without a word; below 512 Hz the tempo
# search had read before the onset envelope, ASan); 8 and 768 kHz are
# scored. A WAV whose header claims more frames than the file holds is
# refused (libsndfile reads what is there without a word: a 30 s song cut
# at 2 s was scored as a 2 s song); a streamed WAV's unknown size
# (0xFFFFFFFF) is no claim.
"$PY" - <<'PYEOF'
import struct, math, random
random.seed(1)
def wav(name, rate, x, size=None, cut=None):
    d = struct.pack("<%dh" % len(x), *x)
    b = (b"RIFF" + struct.pack("<I", 36 + len(d)) + b"WAVEfmt " +
        struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16) + b"data" +
        struct.pack("<I", len(d) if size is None else size) + d)
    open(name, "wb").write(b if cut is None else b[:cut])
wav("k1.wav", 1000, [int(10000 * math.sin(k * 0.05)) for k in range(88200)])
wav("k50.wav", 50, [int(random.gauss(0, 3000)) for _ in range(70000)])
wav("k1hz.wav", 1, [int(8000 * math.sin(k * 0.3)) for k in range(5000)])
wav("k10m.wav", 10000000, [int(8000 * math.sin(k * 0.003)) for k in range(200000)])
def pulses(rate, secs):     # 440 Hz, loud for 0.1 s of every 0.5
    return [int((8000 if k % (rate // 2) < rate // 10 else 1000) *
                math.sin(2 * math.pi * 440 * k / rate)) for k in range(rate * secs)]
tone = pulses(8000, 8)
wav("k8k.wav", 8000, tone)
wav("k768k.wav", 768000, pulses(768000, 8))
wav("cut.wav", 8000, tone, cut=44 + 2 * 8000 * 2)
wav("stream.wav", 8000, tone, size=0xFFFFFFFF)
PYEOF
for f in k1.wav:1000 k50.wav:50 k1hz.wav:1 k10m.wav:10000000; do
    "$MG_BIN" score-audio "${f%%:*}" >o.txt 2>e.txt
    [ $? -eq 1 ] && [ ! -s o.txt ] || die "${f%%:*} scored: $(cat o.txt)"
    grep -qx "musicgen score-audio: ${f%%:*}: sample rate ${f#*:} Hz, outside the 8000..768000 Hz the audio score takes" e.txt ||
        die "${f%%:*}: $(cat e.txt)"
done
"$MG_BIN" score-audio cut.wav >o.txt 2>e.txt
[ $? -eq 1 ] && [ ! -s o.txt ] || die "a truncated WAV scored: $(cat o.txt)"
grep -qx "musicgen score-audio: cut.wav: truncated WAV: its header says 64000 frames, the file holds 16000" e.txt ||
    die "truncated WAV: $(cat e.txt)"
# an Ogg file cut short: libsndfile does not know its length (SF_COUNT_MAX
# frames), which was taken as the length to allocate ("out of memory");
# what it holds is read a piece at a time and scored
"$PY" - "$MG_SRC/tests/tools" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import sndfile_write as sw
sw.write("p.ogg", 0x200060, 22050, sw.pulses(22050, 12))  # OGG | VORBIS
b = open("p.ogg", "rb").read()
open("cut.ogg", "wb").write(b[:len(b) // 3])
PYEOF
"$MG_BIN" score-audio cut.ogg >o.txt 2>e.txt || die "a cut Ogg file: $(cat e.txt)"
grep -q "^0\.[0-9]*  cut.ogg$" o.txt || die "a cut Ogg file: $(cat o.txt)"
# AIFF, AIFC, RF64, Wave64 and AU files cut short were scored on what is
# there without a word (libsndfile shortens the length to the bytes
# present, as for WAV): each is refused in one line naming the frames its
# header claims and the frames held (libsndfile's count of the cut file),
# and the whole file after them is still scored
"$PY" - "$MG_SRC/tests/tools" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import sndfile_write as sw
x = sw.pulses(8000, 8)
out = open("cut-expect.txt", "w")
for name, kind, fmt in (("t.aiff", "AIFF", 0x020002), ("t.aifc", "AIFF", 0x020006),
                        ("t.rf64", "RF64", 0x220002), ("t.w64", "Wave64", 0x0B0002),
                        ("t.au", "AU", 0x030002)):
    sw.write(name, fmt, 8000, x)
    b = open(name, "rb").read()
    open("cut-" + name, "wb").write(b[:len(b) // 3])
    out.write("musicgen score-audio: cut-%s: truncated %s: its header says "
              "%d frames, the file holds %d\n" % (name, kind, len(x),
                                                  sw.frames("cut-" + name)))
PYEOF
"$MG_BIN" score-audio cut-t.aiff cut-t.aifc cut-t.rf64 cut-t.w64 cut-t.au t.aiff \
    >o.txt 2>e.txt
[ $? -eq 1 ] || die "cut AIFF/RF64/Wave64/AU files: exit 0: $(cat o.txt)"
cmp -s e.txt cut-expect.txt || die "cut AIFF/RF64/Wave64/AU files: $(cat e.txt) (not $(cat cut-expect.txt))"
grep -qx "0\.[0-9]*  t.aiff" o.txt && [ "$(wc -l <o.txt)" -eq 1 ] ||
    die "cut AIFF/RF64/Wave64/AU files: $(cat o.txt)"
# the whole files score as the WAV of the same samples
"$MG_BIN" score-audio t.aifc t.rf64 t.w64 t.au >o.txt 2>e.txt ||
    die "whole AIFF/RF64/Wave64/AU files: $(cat e.txt)"
[ "$(grep -c '^0\.[0-9]*  t\.' o.txt)" -eq 4 ] || die "whole files: $(cat o.txt)"
# Every other format libsndfile reads whose header has a length, cut
# short, was scored on what is there without a word too (NIST, MAT4,
# MAT5, compressed AIFC and AU, ...; a cut compressed WAV was refused
# with its blocks counted as frames, "127 frames"): each is refused in
# one line naming the frames its header promises (libsndfile's count of
# the whole file) and the frames the cut one holds (its count of the cut
# file), or the bytes where the header has no frame count (Wave64 MS
# ADPCM) or libsndfile makes the missing frames up (SDS). IRCAM, PAF and
# PVF headers have no length: a cut inside a frame is what shows. The
# whole files are all scored; so is an AIFF whose COMM chunk comes after
# its sound data (the spec allows any order; libsndfile reads it), as
# the same samples with COMM first, and one cut before that late COMM is
# refused, not libsndfile's "Channel count is zero.".
"$PY" - "$MG_SRC/tests/tools" <<'PYEOF'
import struct, sys
sys.path.insert(0, sys.argv[1])
import sndfile_write as sw
x = sw.pulses(8000, 2)
out = open("cut2-expect.txt", "w")
names = []
def line(name, what):
    out.write("musicgen score-audio: cut-%s: truncated %s\n" % (name, what))
for name, kind, fmt in (("n.nist", "NIST", 0x070002), ("u.nist", "NIST", 0x070010),
                        ("m.mat4", "MAT4", 0x0C0002), ("m.mat5", "MAT5", 0x0D0006),
                        ("i.aifc", "AIFF", 0x020012), ("g.aifc", "AIFF", 0x020020),
                        ("d.aifc", "AIFF", 0x020041), ("g.au", "AU", 0x030030),
                        ("i.wav", "WAV", 0x010012), ("g.wav", "WAV", 0x010020),
                        ("s.svx", "SVX", 0x060002), ("v.voc", "VOC", 0x080002),
                        ("a.avr", "AVR", 0x120002), ("w.wve", "WVE", 0x190011),
                        ("p.mpc2k", "MPC2000", 0x210002), ("m.w64", "Wave64", 0x0B0013),
                        ("s.sds", "SDS", 0x110002), ("i.ircam", "IRCAM", 0x0A0006),
                        ("p.paf", "PAF", 0x050002), ("p.pvf", "PVF", 0x0E0004)):
    sw.write(name, fmt, 8000, x)
    b = open(name, "rb").read()
    names.append(name)
    cut = len(b) // 3
    if kind in ("IRCAM", "PAF", "PVF"):     # one byte into a frame
        off = {"IRCAM": 1024, "PAF": 2048, "PVF": b.find(b"\n", 5) + 1}[kind]
        fb = {"IRCAM": 4, "PAF": 2, "PVF": 4}[kind]
        cut = off + (cut - off) // fb * fb + 1
    open("cut-" + name, "wb").write(b[:cut])
    if kind == "Wave64":        # the data chunk's size, from its GUID header
        d = b.index(b"data")
        size = struct.unpack("<Q", b[d + 16:d + 24])[0] - 24
        line(name, "%s: its header says %d bytes of audio, the file holds %d"
             % (kind, size, cut - d - 24))
    elif kind == "SDS":         # a 21-byte header
        line(name, "%s: its header says %d bytes of audio, the file holds %d"
             % (kind, len(b) - 21, cut - 21))
    elif kind in ("IRCAM", "PAF", "PVF"):
        line(name, "%s: it ends inside a frame, after %d whole frames and %d "
             "of the next one's %d bytes" % (kind, (cut - off) // fb,
                                            (cut - off) % fb, fb))
    else:
        line(name, "%s: its header says %d frames, the file holds %d"
             % (kind, sw.frames(name), sw.frames("cut-" + name)))
open("cut2-names.txt", "w").write(" ".join(names))
# COMM after SSND, whole and cut before the COMM
b = open("t.aiff", "rb").read()
off, ch = 12, {}
while off + 8 <= len(b):
    size = struct.unpack(">I", b[off + 4:off + 8])[0]
    ch[b[off:off + 4]] = b[off:off + 8 + size + (size & 1)]
    off += 8 + size + (size & 1)
body = b"AIFF" + ch[b"SSND"] + ch[b"COMM"]
late = b"FORM" + struct.pack(">I", len(body)) + body
open("late.aiff", "wb").write(late)
open("cut-late.aiff", "wb").write(late[:len(late) // 2])
out.write("musicgen score-audio: cut-late.aiff: truncated AIFF: its header says "
          "%d bytes of audio, the file holds %d\n" % (len(ch[b"SSND"]) - 16,
                                                     len(late) // 2 - 28))
PYEOF
"$MG_BIN" score-audio $(sed 's/\([^ ]*\)/cut-\1/g' cut2-names.txt) cut-late.aiff \
    >o.txt 2>e.txt
[ $? -eq 1 ] && [ ! -s o.txt ] || die "cut files of other formats: exit 0 or scored: $(cat o.txt)"
cmp -s e.txt cut2-expect.txt || { diff e.txt cut2-expect.txt; die "cut files of other formats"; }
"$MG_BIN" score-audio $(cat cut2-names.txt) >o.txt 2>e.txt ||
    die "whole files of other formats: $(cat e.txt)"
[ "$(grep -c '^0\.[0-9]*  ' o.txt)" -eq 20 ] || die "whole files of other formats: $(cat o.txt)"
"$MG_BIN" score-audio t.aiff late.aiff >o.txt 2>e.txt || die "an AIFF with COMM last: $(cat e.txt)"
[ "$(cut -c1-6 o.txt | sort -u | wc -l)" -eq 1 ] || die "an AIFF with COMM last scores otherwise: $(cat o.txt)"
"$MG_BIN" score-audio --json k8k.wav k768k.wav stream.wav >k1.txt 2>e.txt ||
    die "score-audio at 8 and 768 kHz: $(cat e.txt)"
"$PY" - k1.txt <<'PYEOF' || die "8 and 768 kHz scores"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
if len(lines) != 3:
    sys.exit("%d lines" % len(lines))
for j in lines:     # the pulses' 120 BPM, found at either rate
    bad = [k for k, v in j.items() if v is None]
    if bad or abs(j["tempo_bpm"] - 120) > 3:
        sys.exit("%s: null %s, tempo %s BPM" % (j["file"], bad, j["tempo_bpm"]))
PYEOF

# A song whose WAV would pass 4 GiB (a RIFF size is 32 bits): 12 parts of
# 64 bars of 12/8 at 20 BPM, 13824 s, as float at 44.1 kHz is 4.88 GB.
# It was rendered (a scratch file of ~20 GB, hours) and written with its
# sizes wrapped by libsndfile, a WAV a reader takes for a tenth of the
# song; it is a failed sample, said why, before anything is rendered.
mkdir -p long/slow
cp "$MG_SRC/genres/default/drums_128.txt" long/slow/
cat >long/slow/spec.json <<'EOF2'
{"tempo": {"min": 20, "max": 20}, "time_signatures": {"12/8": 1},
 "form": {"forms": [{"parts": ["intro", "verse", "chorus", "bridge", "outro",
   "verse", "chorus", "bridge", "outro", "verse", "chorus", "outro"]}],
   "measures": {"intro": [64, 64], "verse": [64, 64], "chorus": [64, 64],
                "bridge": [64, 64], "outro": [64, 64]}}}
EOF2
timeout 60 "$MG_BIN" generate --seed 1 --count 1 --out big --genres-dir long \
    -g slow --output-mode mix-only --sample-format float --workers 1 -q \
    2>e.txt || die "generate of a too-long song: exit $? $(cat e.txt)"
grep -q '13824 s song at 44100 Hz float makes WAV files of 4.88 GB, past the 4 GiB' \
    big/manifest.jsonl && grep -q '"status":"failed"' big/manifest.jsonl ||
    die "too-long song: $(cat big/manifest.jsonl)"
[ -z "$(ls big | grep '^0')" ] || die "a too-long song left a sample"

# The same refusal with errno left at EACCES by an earlier call that
# succeeded (as POSIX lets any call do; here the jansson call just before
# it, through a shim): still a failed row. The engine read errno after
# any failed render and took a stale EACCES for an unwritable output:
# the whole run stopped at this sample.
cat >shim.c <<'EOF2'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
typedef struct json_t json_t;
int json_object_set_new(json_t *o, const char *k, json_t *v);
int
json_object_set_new(json_t *o, const char *k, json_t *v)
{
    int (*real)(json_t *, const char *, json_t *);
    *(void **)&real = dlsym(RTLD_NEXT, "json_object_set_new");
    int rc = real(o, k, v);
    if (rc == 0 && strcmp(k, "levels") == 0)
        errno = EACCES;
    return rc;
}
EOF2
cc -std=c11 -shared -fPIC -o shim.so shim.c -ldl || die "cannot build the shim"
LD_PRELOAD="$PWD/shim.so" ASAN_OPTIONS="verify_asan_link_order=0:$ASAN_OPTIONS" \
    timeout 60 "$MG_BIN" generate --seed 1 --count 1 --out big2 \
    --genres-dir long -g slow --output-mode mix-only --sample-format float \
    --workers 1 -q 2>e2.txt || die "a stale errno stopped the run: exit $? $(cat e2.txt)"
grep -q 'past the 4 GiB' big2/manifest.jsonl \
    && grep -q '"status":"failed"' big2/manifest.jsonl \
    || die "too-long song with a stale errno: $(cat big2/manifest.jsonl)"
exit 0
