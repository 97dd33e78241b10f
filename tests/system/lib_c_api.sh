# lib_c_api — libmusicgen as a new user meets it: `make install` into a
# staging root, the example C programs compiled against the *installed*
# library with `pkg-config --cflags --libs musicgen` (shared, and static
# with --static), a sample made in memory equal byte for byte to the
# CLI's files for the same seed and index, four threads with one engine
# each equal to four CLI worker processes, only musicgen_* symbols
# exported, and two full samples made in memory on two threads clean
# under valgrind (a small font keeps memcheck to seconds).
. "$MG_SRC/tests/system/lib.sh"
set -u
D=$PWD/stage
P=/opt/mglib
make -s -C "$MG_SRC" install PREFIX=$P DESTDIR="$D" >make.log 2>&1 \
    || { tail -5 make.log; die "make install failed"; }
for f in lib/libmusicgen.so lib/libmusicgen.a include/musicgen.h \
         lib/pkgconfig/musicgen.pc; do
    [ -e "$D$P/$f" ] || die "$f not installed"
done
export PKG_CONFIG_PATH="$D$P/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
pkg-config --exists musicgen || die "pkg-config does not find musicgen"
[ "$(pkg-config --modversion musicgen)" = "$("$MG_BIN" --version | cut -d' ' -f2)" ] \
    || die "musicgen.pc version differs from the executable's"
soname=$(objdump -p "$D$P/lib/libmusicgen.so" | awk '/SONAME/ {print $2}')
[ "$soname" = libmusicgen.so.0 ] || die "SONAME is '$soname'"
bad=$(nm -D --defined-only "$D$P/lib/libmusicgen.so" | awk '$2 ~ /[TDBR]/ {print $3}' \
      | grep -v '^musicgen_' | head -3)
[ -z "$bad" ] || die "exported beyond the API: $bad"

EX="$MG_SRC/examples/c"
cc -std=c11 -Wall -Wextra -Werror -o mem "$EX/memory_sample.c" \
    $(pkg-config --cflags --libs musicgen) || die "cannot build memory_sample"
cc -std=c11 -Wall -Wextra -Werror -o mem_static "$EX/memory_sample.c" \
    $(pkg-config --cflags musicgen) \
    $(pkg-config --libs musicgen | sed 's/-lmusicgen/-Wl,-Bstatic -lmusicgen -Wl,-Bdynamic/') \
    $(pkg-config --libs $(pkg-config --print-requires-private musicgen)) -lm -lpthread \
    || die "cannot build memory_sample against libmusicgen.a"
cc -std=c11 -Wall -Wextra -Werror -o threads "$EX/threads.c" \
    $(pkg-config --cflags --libs musicgen) -lcrypto -lpthread \
    || die "cannot build threads"
ldd mem | grep -q "$D$P/lib/libmusicgen.so.0" 2>/dev/null \
    || LD_LIBRARY_PATH="$D$P/lib" ldd mem | grep -q "$D$P/lib/libmusicgen.so.0" \
    || die "mem does not load the installed libmusicgen.so.0"
! ldd mem_static | grep -q libmusicgen || die "mem_static is not static"
export LD_LIBRARY_PATH="$D$P/lib"

# short songs at 22.05 kHz: the same code paths, half the synthesis
SHORT="measures-per-part=intro=1,verse=1,chorus=1,bridge=1,outro=1"
"$MG_BIN" generate --seed 23 --start 5 --count 1 --out cli -w 1 -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 --sample-rate 22050 \
    || die "CLI generate failed"
./mem 23 5 memout "$SHORT" sample-rate=22050 > mem.txt 2> mem.err \
    || die "memory_sample failed: $(cat mem.err)"
grep -q "split=" mem.txt || die "memory_sample printed no row"
# the library sets no logger, so the engine must not make FluidSynth warn:
# handing a render synth's font back printed "No preset found on channel
# N" 48 times a sample on the caller's stderr
[ ! -s mem.err ] || die "memory_sample wrote to stderr: $(head -3 mem.err)"
# a SEED, INDEX or COUNT that is no such number is named (seed "x" was 0,
# index -1 was 2^64 - 1)
./mem x 5 bad > bad.txt 2>&1 && die "memory_sample took seed x"
grep -q "^seed: must be an integer" bad.txt || die "memory_sample: $(cat bad.txt)"
./mem 23 -1 bad > bad.txt 2>&1 && die "memory_sample took index -1"
grep -q "^start: must be a non-negative integer, got '-1'" bad.txt || die "memory_sample: $(cat bad.txt)"
./threads 23 -1 2 > bad.txt 2>&1 && die "threads took count -1"
grep -q "^count: must be a positive integer" bad.txt || die "threads: $(cat bad.txt)"
[ ! -e bad ] || die "memory_sample wrote bad/"
./mem_static 23 5 memout_static "$SHORT" sample-rate=22050 >/dev/null || die "static memory_sample failed"
n=0
for f in $(cd cli/000005 && find . -type f | sort); do
    cmp -s "cli/000005/$f" "memout/000005/$f" || die "$f: memory bytes differ from the CLI's"
    cmp -s "cli/000005/$f" "memout_static/000005/$f" || die "$f: static library differs"
    n=$((n + 1))
done
[ "$n" -eq 10 ] || die "expected 10 files in a full sample, compared $n"
[ "$(cd memout/000005 && find . -type f | wc -l)" -eq 10 ] || die "memory sample has extra files"

# four threads, one engine each == four worker processes of the CLI
"$MG_BIN" generate --seed 31 --count 4 --out procs -w 4 -q \
    --measures-per-part intro=1,verse=1,chorus=1,bridge=1,outro=1 --sample-rate 22050 \
    || die "CLI generate -w 4 failed"
./threads 31 4 4 "$SHORT" sample-rate=22050 | sort > threads.txt || die "threads failed"
(cd procs && for d in 00000?; do
    find "$d" -type f | sort | while read -r f; do
        echo "$d ${f#*/} $(sha256sum "$f" | cut -d' ' -f1)"
    done
done) | sort > procs.txt
[ "$(wc -l < threads.txt)" -eq 40 ] || die "threads made $(wc -l < threads.txt) files, not 40"
diff threads.txt procs.txt > threads.diff || { head -5 threads.diff; die "threads' bytes differ from the processes'"; }

# valgrind: the library's own code (config, engine, MIDI, sample.json,
# FluidSynth rendering, stems, mix, threads) making two full samples in
# memory on two threads, with a 4 MB font at 8 kHz so memcheck takes
# seconds, not minutes (FluidR3_GM under memcheck: `make valgrind-lib`);
# the bytes equal those of the same run without valgrind.
command -v valgrind >/dev/null || die "valgrind missing (scripts/setup.sh installs it)"
SMALL="fonts=Csound_GMbank sample-rate=8000"
# shellcheck disable=SC2086
./threads 31 2 2 "$SHORT" $SMALL | sort > small.txt || die "threads (small font) failed"
# shellcheck disable=SC2086
valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --suppressions="$MG_SRC/tests/valgrind.supp" \
    ./threads 31 2 2 "$SHORT" $SMALL >vg.txt 2>vg.log \
    || { grep -v "No preset" vg.log | tail -20; die "valgrind reports errors in the library"; }
[ "$(wc -l < vg.txt)" -eq 20 ] || die "the valgrind run made $(wc -l < vg.txt) files, not 20"
grep -q " mix.wav " vg.txt || die "the valgrind run made no audio"
sort vg.txt | diff - small.txt > vg.diff || { head -5 vg.diff; die "bytes differ under valgrind"; }
echo "lib_c_api ok"
