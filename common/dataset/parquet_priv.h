/*
 * parquet_priv — what the Parquet writer's two files share: the byte
 * buffer and Thrift compact-protocol helpers, the column state (levels,
 * values, statistics, dictionary of the page and chunk being built) and
 * the writer's state. parquet_col.c encodes values into pages;
 * parquet.c lays out the file (row groups, footer). Not a public header.
 */
#ifndef MG_PARQUET_PRIV_H
#define MG_PARQUET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <zstd.h>

#include "gbuf.h"
#include "ofile.h"
#include "parquet.h"

#define PAGE_BYTES (1u << 20)
/* A column's values start this far into its buffer: room for the page's
 * levels in front of them, so a page is compressed where it lies. */
#define VHEAD 4096u

/* ---- byte buffer: mg_gbuf (common/base/gbuf.h) ---- */

typedef mg_gbuf buf;

static inline int
b_reserve(buf *b, size_t n)
{
    return mg_gbuf_reserve(b, n);
}

static inline void
b_put(buf *b, const void *s, size_t n)
{
    mg_gbuf_put(b, s, n);
}

static inline void
b_byte(buf *b, uint8_t c)
{
    if (b_reserve(b, 1)) return;
    b->p[b->len++] = c;
}

static inline void
b_u32le(buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    b_put(b, x, 4);
}

/* v as a little-endian host holds it (PLAIN's byte order): itself
 * there, byte-swapped on a big-endian host. */
static inline uint64_t
pq_le64(uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

/* n 8-byte values (doubles or int64s) to dst in PLAIN's byte order. */
static inline void
pq_put8n(void *dst, const void *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const uint8_t *s = src;
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, s + 8 * i, 8);
        v = pq_le64(v);
        memcpy(d + 8 * i, &v, 8);
    }
#else
    memcpy(dst, src, 8 * n);
#endif
}

static inline void
b_u64le(buf *b, uint64_t v)
{
    if (b_reserve(b, 8)) return;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(b->p + b->len, &v, 8); /* hot: every number of every row */
#else
    for (int i = 0; i < 8; i++) b->p[b->len + (size_t)i] = (uint8_t)(v >> (8 * i));
#endif
    b->len += 8;
}

static inline void
b_varint(buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    b_byte(b, (uint8_t)v);
}

static inline void
b_free(buf *b)
{
    mg_gbuf_free(b);
}

/* ---- Thrift compact protocol ---- */

enum {
    T_TRUE = 1, T_FALSE = 2, T_BYTE = 3, T_I16 = 4, T_I32 = 5, T_I64 = 6,
    T_DOUBLE = 7, T_BINARY = 8, T_LIST = 9, T_STRUCT = 12
};

typedef struct {
    buf *b;
    int16_t last[16];
    int depth;
} tw;

static inline uint64_t
zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline void
tw_field(tw *t, int type, int16_t id)
{
    int delta = id - t->last[t->depth];
    if (delta > 0 && delta <= 15) {
        b_byte(t->b, (uint8_t)(delta << 4 | type));
    } else {
        b_byte(t->b, (uint8_t)type);
        b_varint(t->b, zz(id));
    }
    t->last[t->depth] = id;
}

static inline void
tw_i32(tw *t, int16_t id, int32_t v)
{
    tw_field(t, T_I32, id);
    b_varint(t->b, zz(v));
}

static inline void
tw_i64(tw *t, int16_t id, int64_t v)
{
    tw_field(t, T_I64, id);
    b_varint(t->b, zz(v));
}

static inline void
tw_bin(tw *t, int16_t id, const void *p, size_t n)
{
    tw_field(t, T_BINARY, id);
    b_varint(t->b, n);
    b_put(t->b, p, n);
}

static inline void
tw_bool(tw *t, int16_t id, bool v)
{
    tw_field(t, v ? T_TRUE : T_FALSE, id);
}

static inline void
tw_push(tw *t)
{
    t->last[++t->depth] = 0;
}

static inline void
tw_pop(tw *t)
{
    b_byte(t->b, 0); /* stop */
    t->depth--;
}

static inline void
tw_struct(tw *t, int16_t id)
{
    tw_field(t, T_STRUCT, id);
    tw_push(t);
}

static inline void
tw_list(tw *t, int16_t id, int elem, size_t n)
{
    tw_field(t, T_LIST, id);
    if (n < 15) {
        b_byte(t->b, (uint8_t)(n << 4 | elem));
    } else {
        b_byte(t->b, (uint8_t)(0xF0 | elem));
        b_varint(t->b, n);
    }
}

/* ---- columns ---- */

enum { PT_BOOLEAN = 0, PT_INT64 = 2, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6 };
enum { ENC_PLAIN = 0, ENC_PLAIN_DICTIONARY = 2, ENC_RLE = 3 };

/* A string column's dictionary gives up (for the rest of the file) when
 * it is not paying: past DICT_MIN entries and more than one entry for two
 * values, or past DICT_BYTES of values. */
#define DICT_MIN 1024u
#define DICT_BYTES (1u << 20)
#define SMALL_INTS 128u

typedef struct {
    const mg_pq_node *leaf;
    const char *path[32];
    int npath;
    int max_def, max_rep;
    /* current page */
    uint8_t *reps, *defs;
    size_t nlev, levcap, page_vals;
    buf vals; /* VHEAD bytes of room, then the page's values */
    /* current chunk */
    buf chunk;
    int64_t num_values, nulls, uncompressed;
    /* statistics of the chunk */
    bool has_minmax;
    int64_t imin, imax;
    uint64_t umin, umax;
    double dmin, dmax;
    buf smin, smax;
    /* dictionary (string leaves): the chunk's distinct values PLAIN
     * encoded (u32 length + bytes), entry k at dent[k]; dslot is a hash
     * table of entry + 1 (0 empty); a dictionary page's vals are u32
     * entry numbers */
    bool dict_on;     /* still tried (off for good once it gave up) */
    bool page_dict;   /* the current page holds entry numbers */
    buf dict;
    uint32_t *dent, ndent, dentcap;
    uint32_t *dslot, dcap;
    uint64_t chunk_vals;
    /* integer leaves: entry + 1 (0 none) of the values 0..SMALL_INTS-1,
     * looked up before the hash table */
    uint32_t small[SMALL_INTS];
} col;

struct mg_pq {
    mg_ofile *f; /* direct I/O, off the page cache (ofile.h) */
    char *path;
    int codec;
    unsigned row_group;
    char *created_by;
    mg_pq_node **fields;
    size_t nfields;
    col *cols;
    int ncols;
    uint64_t offset;      /* bytes written so far */
    uint64_t rows, rows_in_group;
    size_t ngroups;
    buf groups;           /* Thrift RowGroup structs, back to back */
    buf page, comp, hdr;  /* scratch */
    ZSTD_CCtx *zctx;
    int io_errno;
    /* With mg_pq_thread: the thread that compresses pages and writes the
     * file (parquet_async.c); it alone then touches each column's chunk
     * and uncompressed, and the file side of this struct (f, offset,
     * groups, ngroups, comp, hdr, zctx, io_errno) until it is drained.
     * NULL: all inline. */
    struct pq_async *as;
};

/* What a row group needs of a column's chunk once the group is over,
 * taken when it ends (the column then starts the next group's). */
typedef struct {
    uint32_t ndent;
    int64_t num_values, nulls;
    bool has_minmax;
    buf smax, smin; /* PLAIN statistics values */
    buf dict;       /* the dictionary's entries, PLAIN (ndent > 0) */
} pq_colsnap;

typedef struct {
    uint64_t rows;
    pq_colsnap *cols; /* one per column */
    int ncols;
} pq_group;

/* Write a row group whose last pages are out: each column's dictionary
 * page and chunk, and its RowGroup metadata; 0 or -1 (parquet.c). */
int mg_pq_group_out(mg_pq *p, pq_group *g);
void mg_pq_group_free(pq_group *g);
/* Compress an encoded page (nlev level entries; dictionary indices or
 * PLAIN values) and append it with its header to the column's chunk. */
int mg_pq_page_out(mg_pq *p, col *c, const buf *whole, size_t nlev,
                   bool page_dict);

/* ---- the compressor thread (parquet_async.c) ---- */
bool mg_pq_async_on(const mg_pq *p);
/* Queue page bytes (copied) for mg_pq_page_out on column ci; waits while
 * too much is queued. 0, or -1 when the thread has failed. */
int mg_pq_async_page(mg_pq *p, int ci, const buf *whole, size_t nlev,
                     bool page_dict);
/* Queue a finished row group (taken, freed by the thread). 0 or -1. */
int mg_pq_async_group(mg_pq *p, pq_group *g);
/* Let the thread finish everything queued and stop; 0, or -1 when a job
 * failed (io_errno says why when it was the file). */
int mg_pq_async_drain(mg_pq *p);
/* Stop the thread, dropping what is queued (an aborted file). */
void mg_pq_async_kill(mg_pq *p);

/* Encode the column's current page (levels, values), compress it and
 * append it, with its header, to the column's chunk; 0 or -1. */
int mg_pq_flush_page(mg_pq *p, col *c);
/* Compress in with the file's codec into out; 0 or -1. */
int mg_pq_compress(mg_pq *p, const buf *in, buf *out);
/* The statistics value (min or max) of the column's chunk, PLAIN. */
void mg_pq_stat_value(const col *c, bool max, buf *out);

#endif
