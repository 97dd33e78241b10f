# font_map — a font's sample data is mapped from a side file in the SF2
# cache (common/audio/audio_fonts.c): the first run makes it, later runs
# map it; the audio bytes are the same with the mapping off
# (MUSICGEN_FONT_MAP=0), on a first run, on a run that maps, and after a
# truncated or altered side file (which is refused and made anew, never
# used).
. "$MG_SRC/tests/system/lib.sh"
set -u
FONT=/usr/share/sounds/sf2/TimGM6mb.sf2     # 6 MB: past the mapped size
[ -f "$FONT" ] || die "$FONT missing (scripts/setup.sh installs timgm6mb-soundfont)"
mkdir -p sft cache
cp "$MG_SRC/sf/fx.json" "$MG_SRC/sf/mix.json" sft/
printf '{"fonts": [{"path": "%s", "layers": ["beat", "melody", "harmony", "bassline"]}]}\n' "$FONT" >sft/registry.json
export MUSICGEN_SF2_CACHE="$PWD/cache"
M="--measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1"
run() { # run OUT: one full sample with the test font
    "$MG_BIN" generate --seed 11 --count 1 --out "$1" $M --sf-dir sft \
        --accept-license --workers 1 -q || die "generate $1 failed"
}
wavs_same() { # wavs_same A B
    for f in mix.wav stems/beat.wav stems/melody.wav stems/harmony.wav stems/bassline.wav sample.json; do
        cmp -s "$1/000000/$f" "$2/000000/$f" || die "$2: $f differs from $1"
    done
}
side() { find cache -name '*.smpl'; }

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
exit 0
