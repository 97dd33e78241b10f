#!/bin/sh
# valgrind_lib — `make valgrind-lib`: the example memory_sample program,
# built against build/libmusicgen.so, makes one short full sample (four
# stems and a mix, at 8 kHz) under memcheck; any error or definite leak
# in our code fails. Third-party one-time allocations: tests/valgrind.supp.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/mg-valgrind-lib.XXXXXX")
trap 'rm -rf "$T"' EXIT
cc -std=c11 -Wall -Wextra -Werror -I"$SRC/lib" -o "$T/mem" \
    "$SRC/examples/c/memory_sample.c" -L"$SRC/$B" -lmusicgen
cd "$T"
# MUSICGEN_FONT_MAP=0: the fonts' sample data read, not mapped from side
# files (memcheck's allocator places the buffer at another page offset,
# which would make a side-file set of its own; docs/soundfonts.md)
MUSICGEN_FONT_MAP=0 MUSICGEN_DATA_DIR="$SRC" LD_LIBRARY_PATH="$SRC/$B" valgrind -q \
    --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --suppressions="$SRC/tests/valgrind.supp" \
    ./mem 23 1 out measures-per-part=intro=1,verse=1,chorus=1,bridge=1,outro=1 \
    sample-rate=8000 2>vg.log | tee out.txt || { grep -v "No preset" vg.log | tail -30; exit 1; }
grep -q "mix=" out.txt
echo "valgrind-lib ok: no memcheck error, no definite leak"
