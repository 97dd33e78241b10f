#!/bin/sh
# check_big_endian.sh — the Parquet writer gives the same bytes on a
# big-endian host (s390x, run under qemu-user) as on this one: the writer
# (common/dataset/parquet*.c) and tests/tools/pq_dict.c, built for both
# with the codec "none" (compression is libzstd's and libsnappy's, which
# this does not judge, so two small headers stand in for theirs), write
# the same rows (dictionaries giving up mid-page, integer dictionaries,
# lists, nulls), inline and with the writer's thread; the files and the
# JSON lines must be byte for byte equal. Not part of `make test` (it
# needs a cross compiler and qemu: apt-get install gcc-s390x-linux-gnu
# libc6-dev-s390x-cross qemu-user-static). Exit 0 when equal.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
for t in s390x-linux-gnu-gcc qemu-s390x-static; do
    command -v "$t" > /dev/null || {
        echo "check_big_endian: $t missing (apt-get install gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user-static)" >&2
        exit 2
    }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/mg-be.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/stub"
cat > "$W/stub/zstd.h" <<'H'
#pragma once
#include <stddef.h>
typedef struct ZSTD_CCtx_s ZSTD_CCtx;
static inline ZSTD_CCtx *ZSTD_createCCtx(void) { return 0; }
static inline size_t ZSTD_freeCCtx(ZSTD_CCtx *c) { (void)c; return 0; }
static inline size_t ZSTD_compressBound(size_t n) { return n; }
static inline unsigned ZSTD_isError(size_t c) { (void)c; return 1; }
static inline size_t ZSTD_compressCCtx(ZSTD_CCtx *c, void *d, size_t dn,
    const void *s, size_t sn, int l)
{ (void)c; (void)d; (void)dn; (void)s; (void)sn; (void)l; return 0; }
H
cat > "$W/stub/snappy-c.h" <<'H'
#pragma once
#include <stddef.h>
typedef enum { SNAPPY_OK = 0, SNAPPY_INVALID_INPUT = 1 } snappy_status;
static inline size_t snappy_max_compressed_length(size_t n) { return n; }
static inline snappy_status snappy_compress(const char *i, size_t il,
    char *o, size_t *ol)
{ (void)i; (void)il; (void)o; (void)ol; return SNAPPY_INVALID_INPUT; }
H
# pq_dict with codec 0 (none) instead of 6 (zstd)
sed 's/mg_pq_open(argv\[1\], fields, 9, 6, group/mg_pq_open(argv[1], fields, 9, 0, group/' \
    "$SRC/tests/tools/pq_dict.c" > "$W/pqd.c"
grep -q 'fields, 9, 0, group' "$W/pqd.c" || { echo "check_big_endian: pq_dict.c changed shape" >&2; exit 1; }
D="$SRC/common/dataset" B="$SRC/common/base"
for cc in gcc s390x-linux-gnu-gcc; do
    $cc -std=c11 -D_GNU_SOURCE -O1 -static -I"$W/stub" -I"$D" -I"$B" -I"$SRC/common" \
        "$W/pqd.c" "$D/parquet.c" "$D/parquet_col.c" "$D/parquet_async.c" \
        "$B/ofile.c" "$B/errmsg.c" "$B/gbuf.c" "$B/utf8.c" -lm -lpthread -o "$W/pqd-$cc"
done
cd "$W"
./pqd-gcc le.parquet le.jsonl 40000 15000
for mode in "" thread; do
    qemu-s390x-static ./pqd-s390x-linux-gnu-gcc be.parquet be.jsonl 40000 15000 $mode
    if ! cmp le.parquet be.parquet || ! cmp le.jsonl be.jsonl; then
        echo "check_big_endian: the s390x file differs (${mode:-inline})" >&2
        exit 1
    fi
done
echo "check_big_endian: s390x and $(uname -m) wrote the same $(wc -c < le.parquet)-byte file, inline and with the writer's thread"
