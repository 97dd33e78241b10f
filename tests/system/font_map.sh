# font_map — a font's sample data is mapped from a side file in the SF2
# cache (common/audio/audio_fonts.c): the first run makes it, later runs
# map it; the audio bytes are the same with the mapping off
# (MUSICGEN_FONT_MAP=0), on a first run, on a run that maps, and after a
# truncated or altered side file (which is refused and made anew, never
# used). Side files are per font path: a font of the same name in another
# directory has its own, and a font replaced or touched since (new size or
# mtime) has its old side files removed when the new one is made, while
# those of the current version (another page shift) stay.
. "$MG_SRC/tests/system/lib.sh"
set -u
FONT=/usr/share/sounds/sf2/TimGM6mb.sf2     # 6 MB: past the mapped size
[ -f "$FONT" ] || die "$FONT missing (scripts/setup.sh installs timgm6mb-soundfont)"
mkdir -p sft cache
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" sft/
printf '{"fonts": [{"path": "%s", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' "$FONT" >sft/registry.json
export MUSICGEN_SF2_CACHE="$PWD/cache"
M="--measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1"
run() { # run OUT [SFDIR]: one full sample with the test font
    "$MG_BIN" generate --seed 11 --count 1 --out "$1" $M --sf-dir "${2:-sft}" \
        --accept-license --workers 1 -q || die "generate $1 failed"
}
wavs_same() { # wavs_same A B
    for f in mix.wav stems/beat.wav stems/melody.wav stems/harmony.wav stems/bassline.wav sample.json; do
        cmp -s "$1/000000/$f" "$2/000000/$f" || die "$2: $f differs from $1"
    done
}
audio_same() { # audio_same A B: the WAVs (sample.json names the font's path)
    for f in mix.wav stems/beat.wav stems/melody.wav stems/harmony.wav stems/bassline.wav; do
        cmp -s "$1/000000/$f" "$2/000000/$f" || die "$2: $f differs from $1"
    done
}
side() { find cache -name '*.smpl'; }

# a value other than 0 or 1 is one line naming it ("off" mapped without
# a word), before anything is loaded or written
MUSICGEN_FONT_MAP=off "$MG_BIN" generate --seed 11 --count 1 --out badmap $M \
    --sf-dir sft --accept-license --workers 1 -q 2>e.txt && die "MUSICGEN_FONT_MAP=off accepted"
grep -qx "musicgen generate: MUSICGEN_FONT_MAP: need 0 (read the fonts, no mapping) or 1, got 'off'" e.txt ||
    die "MUSICGEN_FONT_MAP=off: $(cat e.txt)"
[ -z "$(side)" ] && [ -z "$(ls -d badmap/0* 2>/dev/null)" ] || die "MUSICGEN_FONT_MAP=off mapped or wrote"
MUSICGEN_FONT_MAP=0 run off
[ -z "$(side)" ] || die "MUSICGEN_FONT_MAP=0 made a side file: $(side)"
run first
[ "$(side | wc -l)" -eq 1 ] || die "first run: side files: $(side)"
S=$(side)
case "$S" in *TimGM6mb.sf2-*.smpl) ;; *) die "side file not named after its font: $S" ;; esac
[ -z "$(find cache -name '*.tmp-*')" ] || die "temporary side file left"
wavs_same off first
ino=$(stat -c %i "$S")
run mapped
[ "$(stat -c %i "$S")" = "$ino" ] || die "a good side file was made again"
wavs_same off mapped

# truncated: refused, made again
head -c 100000 "$S" >cut && mv cut "$S"
run again1
[ "$(stat -c %s "$S")" -gt 1000000 ] || die "a truncated side file was not made again"
wavs_same off again1
# altered near its end: refused, made again
printf 'XXXXXXXX' | dd of="$S" bs=1 seek=$(($(stat -c %s "$S") - 100)) \
    conv=notrunc 2>/dev/null
ino=$(stat -c %i "$S")
run again2
[ "$(stat -c %i "$S")" != "$ino" ] || die "an altered side file was kept"
wavs_same off again2

# the same font name in two directories: a side file each
for d in fa fb; do
    mkdir -p $d/sft
    cp "$FONT" $d/TimGM6mb.sf2
    cp sft/fx.json sft/mix.json $d/sft/
    printf '{"fonts": [{"path": "%s", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' "$PWD/$d/TimGM6mb.sf2" >$d/sft/registry.json
    run out_$d $d/sft
    audio_same off out_$d
done
[ "$(side | wc -l)" -eq 3 ] || die "fonts of one name in two directories: side files: $(side)"
set -- $(ls -t cache/*.smpl)
SB=$1 SA=$2           # newest first: fb's, then fa's
[ "$SA" != "$SB" ] || die "two font paths share a side file"
# another build's page shift for fa's current version: kept
other=$(echo "$SA" | sed 's/-p[0-9]*\.smpl$/-p999.smpl/')
cp "$SA" "$other"
# fa's font replaced (new mtime): its old side file goes, the others stay
touch -d '2020-01-01 00:00' fa/TimGM6mb.sf2
run out_fa2 fa/sft
audio_same off out_fa2
[ ! -e "$SA" ] || die "the side file of fa's old version was kept"
[ ! -e "$other" ] || die "a side file of fa's old version (another shift) was kept"
[ -e "$SB" ] || die "fb's side file was removed with fa's"
[ -e "$S" ] || die "the system font's side file was removed with fa's"
[ "$(side | wc -l)" -eq 3 ] || die "after fa's update: side files: $(side)"
# a side file of fa's current version made for another shift stays
cur=$(ls -t cache/*.smpl | head -n 1)
other=$(echo "$cur" | sed 's/-p[0-9]*\.smpl$/-p999.smpl/')
cp "$cur" "$other"
rm -f "$cur"
run out_fa3 fa/sft
audio_same off out_fa3
[ -e "$other" ] || die "a side file of the current version (another shift) was removed"
exit 0
