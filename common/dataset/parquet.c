/*
 * parquet — Parquet file writer (contract in parquet.h).
 *
 * Layout of what we write: "PAR1", then per row group the column chunks
 * one after the other (each a run of PageHeader + compressed page), then
 * the FileMetaData in Thrift compact protocol, its length (u32 LE) and
 * "PAR1". Field ids and enum values follow parquet-format's
 * parquet.thrift; a RowGroup's Thrift bytes are written as soon as the
 * group is flushed, so the footer grows with the number of row groups
 * only, never with rows.
 */
#include "parquet.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <snappy-c.h>
#include <zstd.h>

#include "errmsg.h"
#include "gbuf.h"
#include "ofile.h"

#define PAGE_BYTES (1u << 20)

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

static void
b_u32le(buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    b_put(b, x, 4);
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

static void
b_varint(buf *b, uint64_t v)
{
    while (v >= 0x80) {
        b_byte(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    b_byte(b, (uint8_t)v);
}

static void
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

static uint64_t
zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void
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

static void
tw_i32(tw *t, int16_t id, int32_t v)
{
    tw_field(t, T_I32, id);
    b_varint(t->b, zz(v));
}

static void
tw_i64(tw *t, int16_t id, int64_t v)
{
    tw_field(t, T_I64, id);
    b_varint(t->b, zz(v));
}

static void
tw_bin(tw *t, int16_t id, const void *p, size_t n)
{
    tw_field(t, T_BINARY, id);
    b_varint(t->b, n);
    b_put(t->b, p, n);
}

static void
tw_bool(tw *t, int16_t id, bool v)
{
    tw_field(t, v ? T_TRUE : T_FALSE, id);
}

static void
tw_push(tw *t)
{
    t->last[++t->depth] = 0;
}

static void
tw_pop(tw *t)
{
    b_byte(t->b, 0); /* stop */
    t->depth--;
}

static void
tw_struct(tw *t, int16_t id)
{
    tw_field(t, T_STRUCT, id);
    tw_push(t);
}

static void
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

typedef struct {
    const mg_pq_node *leaf;
    const char *path[32];
    int npath;
    int max_def, max_rep;
    /* current page */
    uint8_t *reps, *defs;
    size_t nlev, levcap, page_vals;
    buf vals;
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
};

static int
leaf_physical(mg_pq_type t)
{
    switch (t) {
    case MG_PQ_BOOL: return PT_BOOLEAN;
    case MG_PQ_INT64:
    case MG_PQ_UINT64: return PT_INT64;
    case MG_PQ_DOUBLE: return PT_DOUBLE;
    default: return PT_BYTE_ARRAY;
    }
}

/* Levels, columns, paths, depth first. */
static int
assign(mg_pq *p, mg_pq_node *n, int pdef, int prep, const char **path,
       int depth)
{
    if (depth >= 30) return -1;
    path[depth] = n->name;
    switch (n->kind) {
    case MG_PQ_LEAF: {
        n->def = pdef + 1;
        col *c = realloc(p->cols, (size_t)(p->ncols + 1) * sizeof *c);
        if (!c) return -1;
        p->cols = c;
        c = &p->cols[p->ncols];
        memset(c, 0, sizeof *c);
        c->leaf = n;
        c->dict_on = n->type == MG_PQ_STRING || n->type == MG_PQ_JSON;
        c->max_def = n->def;
        c->max_rep = prep;
        c->npath = depth + 1;
        memcpy(c->path, path, sizeof *path * (size_t)(depth + 1));
        n->col = p->ncols++;
        return 0;
    }
    case MG_PQ_STRUCT:
        n->def = pdef + 1;
        for (size_t i = 0; i < n->nkids; i++)
            if (assign(p, n->kids[i], n->def, prep, path, depth + 1))
                return -1;
        return 0;
    case MG_PQ_LIST:
        if (n->nkids != 1) return -1;
        n->def = pdef + 1;
        n->rep = prep + 1;
        path[depth + 1] = "list";
        return assign(p, n->kids[0], n->def + 1, n->rep, path, depth + 2);
    }
    return -1;
}

mg_pq *
mg_pq_open(const char *path, mg_pq_node **fields, size_t nfields, int codec,
           unsigned row_group, const char *created_by, char *err,
           size_t errlen)
{
    mg_pq *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->codec = codec;
    p->row_group = row_group ? row_group : 8192;
    p->fields = fields;
    p->nfields = nfields;
    p->path = strdup(path);
    p->created_by = strdup(created_by ? created_by : "musicgen");
    const char *stack[32];
    for (size_t i = 0; i < nfields; i++)
        if (assign(p, fields[i], 0, 0, stack, 0)) {
            mg_errf(err, errlen, "parquet: schema too deep");
            mg_pq_abort(&p);
            return NULL;
        }
    if (codec == 6 && !(p->zctx = ZSTD_createCCtx())) {
        mg_errf(err, errlen, "parquet: out of memory");
        mg_pq_abort(&p);
        return NULL;
    }
    p->f = mg_ofile_open(path, err, errlen);
    if (!p->f) {
        mg_pq_abort(&p);
        return NULL;
    }
    if (mg_ofile_write(p->f, "PAR1", 4)) p->io_errno = errno;
    p->offset = 4;
    return p;
}

int
mg_pq_ncols(const mg_pq *p)
{
    return p->ncols;
}

static void
push_level(col *c, int rep, int def)
{
    if (c->nlev == c->levcap) {
        size_t cap = c->levcap ? c->levcap * 2 : 1024;
        uint8_t *r = realloc(c->reps, cap), *d = realloc(c->defs, cap);
        if (r) c->reps = r;
        if (d) c->defs = d;
        if (!r || !d) {
            c->vals.oom = 1;
            return;
        }
        c->levcap = cap;
    }
    c->reps[c->nlev] = (uint8_t)rep;
    c->defs[c->nlev] = (uint8_t)def;
    c->nlev++;
    c->num_values++;
}

void
mg_pq_level(mg_pq *p, int col_, int rep, int def)
{
    col *c = &p->cols[col_];
    push_level(c, rep, def);
    c->nulls++;
}

void
mg_pq_int(mg_pq *p, int col_, int rep, int64_t v)
{
    col *c = &p->cols[col_];
    push_level(c, rep, c->max_def);
    b_u64le(&c->vals, (uint64_t)v);
    c->page_vals++;
    if (c->leaf->type == MG_PQ_UINT64) {
        uint64_t u = (uint64_t)v;
        if (!c->has_minmax || u < c->umin) c->umin = u;
        if (!c->has_minmax || u > c->umax) c->umax = u;
    } else {
        if (!c->has_minmax || v < c->imin) c->imin = v;
        if (!c->has_minmax || v > c->imax) c->imax = v;
    }
    c->has_minmax = true;
}

void
mg_pq_double(mg_pq *p, int col_, int rep, double v)
{
    col *c = &p->cols[col_];
    push_level(c, rep, c->max_def);
    uint64_t bits;
    memcpy(&bits, &v, 8);
    b_u64le(&c->vals, bits);
    c->page_vals++;
    if (isnan(v)) return; /* NaN takes no part in statistics */
    if (!c->has_minmax || v < c->dmin) c->dmin = v;
    if (!c->has_minmax || v > c->dmax) c->dmax = v;
    c->has_minmax = true;
}

void
mg_pq_bool(mg_pq *p, int col_, int rep, bool v)
{
    col *c = &p->cols[col_];
    push_level(c, rep, c->max_def);
    b_byte(&c->vals, v); /* bit-packed when the page is written */
    c->page_vals++;
    int64_t i = v;
    if (!c->has_minmax || i < c->imin) c->imin = i;
    if (!c->has_minmax || i > c->imax) c->imax = i;
    c->has_minmax = true;
}

static int
bytes_cmp(const buf *a, const char *s, size_t n)
{
    size_t m = a->len < n ? a->len : n;
    int r = memcmp(a->p, s, m);
    if (r) return r;
    return a->len < n ? -1 : a->len > n ? 1 : 0;
}

static uint32_t
str_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void
minmax_str(col *c, const char *s, size_t n)
{
    if (!c->has_minmax || bytes_cmp(&c->smin, s, n) > 0) {
        c->smin.len = 0;
        b_put(&c->smin, s, n);
    }
    if (!c->has_minmax || bytes_cmp(&c->smax, s, n) < 0) {
        c->smax.len = 0;
        b_put(&c->smax, s, n);
    }
    c->has_minmax = true;
}

/* Grow the hash table to cap slots (a power of two) and re-insert. */
static int
dict_rehash(col *c, uint32_t cap)
{
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot) return -1;
    for (uint32_t k = 0; k < c->ndent; k++) {
        uint32_t len;
        memcpy(&len, c->dict.p + c->dent[k], 4);
        uint32_t h = str_hash(c->dict.p + c->dent[k] + 4, len) & (cap - 1);
        while (slot[h]) h = (h + 1) & (cap - 1);
        slot[h] = k + 1;
    }
    free(c->dslot);
    c->dslot = slot;
    c->dcap = cap;
    return 0;
}

static int flush_page(mg_pq *p, col *c);
static int write_all(mg_pq *p, const void *s, size_t n);

/* The entry number of s in the column's dictionary (added when new), or
 * -1 when the dictionary gives up (or memory runs out): the caller then
 * writes s PLAIN, on a page of its own. */
static long
dict_index(mg_pq *p, col *c, const char *s, size_t n)
{
    if (!c->dcap && dict_rehash(c, 256)) goto give_up;
    uint32_t m = c->dcap - 1, h = str_hash(s, n) & m;
    for (uint32_t v; (v = c->dslot[h]); h = (h + 1) & m) {
        const char *e = c->dict.p + c->dent[v - 1];
        uint32_t len;
        memcpy(&len, e, 4);
        if (len == n && !memcmp(e + 4, s, n)) return (long)v - 1;
    }
    if ((c->ndent >= DICT_MIN && 2 * (uint64_t)c->ndent > c->chunk_vals) ||
        c->dict.len + n + 4 > DICT_BYTES || n > UINT32_MAX - 8)
        goto give_up;
    if (c->ndent == c->dentcap) {
        uint32_t cap = c->dentcap ? c->dentcap * 2 : 256;
        uint32_t *d = realloc(c->dent, cap * sizeof *d);
        if (!d) goto give_up;
        c->dent = d;
        c->dentcap = cap;
    }
    c->dent[c->ndent] = (uint32_t)c->dict.len;
    b_u32le(&c->dict, (uint32_t)n);
    b_put(&c->dict, s, n);
    if (c->dict.oom) goto give_up;
    c->dslot[h] = ++c->ndent;
    minmax_str(c, s, n); /* the chunk's values are its entries */
    if (2 * c->ndent > c->dcap && dict_rehash(c, c->dcap * 2)) {
        c->vals.oom = 1;
        return -1;
    }
    return (long)c->ndent - 1;
give_up:
    /* Entry numbers and PLAIN values never share a page: end this one. */
    c->dict_on = false;
    if (c->page_dict && flush_page(p, c)) c->vals.oom = 1;
    return -1;
}

void
mg_pq_str(mg_pq *p, int col_, int rep, const char *s, size_t n)
{
    col *c = &p->cols[col_];
    if (c->dict_on) {
        c->chunk_vals++;
        long k = dict_index(p, c, s, n);
        if (k >= 0) {
            push_level(c, rep, c->max_def);
            uint32_t e = (uint32_t)k;
            b_put(&c->vals, &e, 4);
            c->page_vals++;
            c->page_dict = true;
            return;
        }
    }
    push_level(c, rep, c->max_def);
    b_u32le(&c->vals, (uint32_t)n);
    b_put(&c->vals, s, n);
    c->page_vals++;
    minmax_str(c, s, n);
}

/* Entry numbers in the RLE / bit-packing hybrid (a bit width byte first,
 * no length): runs of 8 or more equal numbers as RLE runs, the rest
 * bit-packed in groups of 8 (the last group padded with zeros). */
static void
rle_dict(buf *b, const uint32_t *v, size_t n, int w)
{
    b_byte(b, (uint8_t)w);
    size_t vb = ((size_t)w + 7) / 8;
    for (size_t i = 0; i < n;) {
        size_t r = 1;
        while (i + r < n && v[i + r] == v[i]) r++;
        if (r >= 8) {
            b_varint(b, (uint64_t)r << 1);
            for (size_t k = 0; k < vb; k++) b_byte(b, (uint8_t)(v[i] >> (8 * k)));
            i += r;
            continue;
        }
        size_t j = i + r;
        while (j < n) {
            size_t r2 = 1;
            while (j + r2 < n && r2 < 8 && v[j + r2] == v[j]) r2++;
            if (r2 >= 8) break;
            j += r2;
        }
        size_t groups = (j - i + 7) / 8;
        b_varint(b, (uint64_t)groups << 1 | 1);
        uint64_t acc = 0; /* 8 values of w bits end on a byte edge */
        int bits = 0;
        for (size_t g = 0; g < groups * 8; g++) {
            uint64_t x = i + g < n ? v[i + g] : 0;
            acc |= x << bits;
            bits += w;
            while (bits >= 8) {
                b_byte(b, (uint8_t)acc);
                acc >>= 8;
                bits -= 8;
            }
        }
        i += groups * 8;
    }
}

/* RLE runs only (the hybrid encoding's simplest valid form). */
static void
rle_levels(buf *b, const uint8_t *lv, size_t n, int max)
{
    size_t start = b->len;
    b_u32le(b, 0);
    (void)max; /* every level fits one byte: bit width <= 8 */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && lv[j] == lv[i]) j++;
        b_varint(b, (uint64_t)(j - i) << 1);
        b_byte(b, lv[i]);
        i = j;
    }
    uint32_t len = (uint32_t)(b->len - start - 4);
    if (b->oom) return;
    for (int i = 0; i < 4; i++) b->p[start + (size_t)i] = (uint8_t)(len >> (8 * i));
}

static int
compress_page(mg_pq *p, const buf *in, buf *out)
{
    out->len = 0;
    if (p->codec == 6) {
        size_t bound = ZSTD_compressBound(in->len);
        if (b_reserve(out, bound)) return -1;
        /* Level 1: on a sample.json export's pages (mostly doubles) it
         * compresses about twice as fast as the default 3 for a file
         * ~25% larger (x2.7 instead of x3.4); compression was the
         * largest part of a Parquet export's time. */
        size_t n = ZSTD_compressCCtx(p->zctx, out->p, bound, in->p, in->len,
                                     1);
        if (ZSTD_isError(n)) return -1;
        out->len = n;
    } else if (p->codec == 1) {
        size_t n = snappy_max_compressed_length(in->len);
        if (b_reserve(out, n)) return -1;
        if (snappy_compress((const char *)in->p, in->len, (char *)out->p, &n)
            != SNAPPY_OK)
            return -1;
        out->len = n;
    } else {
        b_put(out, in->p, in->len);
    }
    return out->oom ? -1 : 0;
}

/* Compress the page a + b (levels, then PLAIN values) into out: zstd
 * reads the two as one stream, so the values (most of a page) are not
 * copied behind the levels first; the other codecs need one buffer. */
static int
compress_two(mg_pq *p, buf *a, const buf *b, buf *out)
{
    if (p->codec != 6) {
        b_put(a, b->p, b->len);
        return a->oom ? -1 : compress_page(p, a, out);
    }
    out->len = 0;
    size_t total = a->len + b->len, bound = ZSTD_compressBound(total);
    if (b_reserve(out, bound)) return -1;
    if (ZSTD_isError(ZSTD_CCtx_reset(p->zctx, ZSTD_reset_session_only)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(p->zctx, ZSTD_c_compressionLevel,
                                            1)) ||
        ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(p->zctx, total)))
        return -1;
    ZSTD_outBuffer o = {out->p, bound, 0};
    ZSTD_inBuffer ia = {a->p, a->len, 0}, ib = {b->p, b->len, 0};
    while (ia.pos < ia.size)
        if (ZSTD_isError(ZSTD_compressStream2(p->zctx, &o, &ia,
                                              ZSTD_e_continue)))
            return -1;
    for (;;) {
        size_t left = ZSTD_compressStream2(p->zctx, &o, &ib, ZSTD_e_end);
        if (ZSTD_isError(left)) return -1;
        if (!left) break;
        if (o.pos == o.size) return -1; /* cannot happen: bound */
    }
    out->len = o.pos;
    return 0;
}

static int
flush_page(mg_pq *p, col *c)
{
    if (!c->nlev) return 0;
    buf *pg = &p->page;
    pg->len = 0;
    if (c->max_rep > 0) rle_levels(pg, c->reps, c->nlev, c->max_rep);
    if (c->max_def > 0) rle_levels(pg, c->defs, c->nlev, c->max_def);
    if (c->leaf->type == MG_PQ_BOOL) {
        uint8_t acc = 0;
        size_t k;
        for (k = 0; k < c->vals.len; k++) {
            if (c->vals.p[k]) acc |= (uint8_t)(1u << (k % 8));
            if (k % 8 == 7) {
                b_byte(pg, acc);
                acc = 0;
            }
        }
        if (k % 8) b_byte(pg, acc);
    } else if (c->page_dict) {
        int w = 1;
        while (w < 32 && (c->ndent - 1) >> w) w++;
        rle_dict(pg, (const uint32_t *)(const void *)c->vals.p,
                 c->vals.len / 4, w);
    }
    /* PLAIN values are compressed where they are (compress_two). */
    bool plain = c->leaf->type != MG_PQ_BOOL && !c->page_dict;
    size_t unc = pg->len + (plain ? c->vals.len : 0);
    if (pg->oom || c->vals.oom ||
        (plain ? compress_two(p, pg, &c->vals, &p->comp)
               : compress_page(p, pg, &p->comp)))
        return -1;
    buf *h = &p->hdr;
    h->len = 0;
    tw t = {.b = h};
    tw_i32(&t, 1, 0); /* DATA_PAGE */
    tw_i32(&t, 2, (int32_t)unc);
    tw_i32(&t, 3, (int32_t)p->comp.len);
    tw_struct(&t, 5); /* DataPageHeader */
    tw_i32(&t, 1, (int32_t)c->nlev);
    tw_i32(&t, 2, c->page_dict ? ENC_PLAIN_DICTIONARY : ENC_PLAIN);
    tw_i32(&t, 3, ENC_RLE);
    tw_i32(&t, 4, ENC_RLE);
    tw_pop(&t);
    b_byte(h, 0); /* end of PageHeader */
    b_put(&c->chunk, h->p, h->len);
    b_put(&c->chunk, p->comp.p, p->comp.len);
    c->uncompressed += (int64_t)(h->len + unc);
    c->nlev = 0;
    c->page_vals = 0;
    c->vals.len = 0;
    c->page_dict = false;
    return c->chunk.oom || h->oom ? -1 : 0;
}

/* The chunk's dictionary page (its entries PLAIN, compressed), written
 * to the file ahead of its data pages; bytes written in *size. */
static int
write_dict_page(mg_pq *p, col *c, int64_t *unc, int64_t *size)
{
    *unc = *size = 0;
    if (!c->ndent) return 0;
    if (c->dict.oom || compress_page(p, &c->dict, &p->comp)) return -1;
    buf *h = &p->hdr;
    h->len = 0;
    tw t = {.b = h};
    tw_i32(&t, 1, 2); /* DICTIONARY_PAGE */
    tw_i32(&t, 2, (int32_t)c->dict.len);
    tw_i32(&t, 3, (int32_t)p->comp.len);
    tw_struct(&t, 7); /* DictionaryPageHeader */
    tw_i32(&t, 1, (int32_t)c->ndent);
    tw_i32(&t, 2, ENC_PLAIN_DICTIONARY);
    tw_pop(&t);
    b_byte(h, 0); /* end of PageHeader */
    if (h->oom || write_all(p, h->p, h->len) ||
        write_all(p, p->comp.p, p->comp.len))
        return -1;
    *unc = (int64_t)(h->len + c->dict.len);
    *size = (int64_t)(h->len + p->comp.len);
    return 0;
}

static void
stat_value(const col *c, bool max, buf *out)
{
    out->len = 0;
    switch (c->leaf->type) {
    case MG_PQ_BOOL: b_byte(out, (uint8_t)(max ? c->imax : c->imin)); break;
    case MG_PQ_INT64: b_u64le(out, (uint64_t)(max ? c->imax : c->imin)); break;
    case MG_PQ_UINT64: b_u64le(out, max ? c->umax : c->umin); break;
    case MG_PQ_DOUBLE: {
        double v = max ? c->dmax : c->dmin;
        /* The spec: a zero min is written -0.0, a zero max +0.0. */
        if (v == 0) v = max ? 0.0 : -0.0;
        uint64_t bits;
        memcpy(&bits, &v, 8);
        b_u64le(out, bits);
        break;
    }
    default: {
        const buf *s = max ? &c->smax : &c->smin;
        b_put(out, s->p, s->len);
        break;
    }
    }
}

static int
write_all(mg_pq *p, const void *s, size_t n)
{
    if (n && mg_ofile_write(p->f, s, n)) {
        p->io_errno = errno ? errno : EIO;
        return -1;
    }
    p->offset += n;
    return 0;
}

static int
flush_group(mg_pq *p)
{
    if (!p->rows_in_group) return 0;
    tw t = {.b = &p->groups};
    tw_push(&t); /* RowGroup (a list element) */
    tw_list(&t, 1, T_STRUCT, (size_t)p->ncols);
    int64_t total_unc = 0, total_comp = 0;
    uint64_t first = p->offset;
    buf st = {0};
    for (int i = 0; i < p->ncols; i++) {
        col *c = &p->cols[i];
        if (flush_page(p, c)) {
            b_free(&st);
            return -1;
        }
        uint64_t dict_off = p->offset;
        int64_t dict_unc, dict_size;
        if (write_dict_page(p, c, &dict_unc, &dict_size)) {
            b_free(&st);
            return -1;
        }
        uint64_t off = p->offset;
        if (write_all(p, c->chunk.p, c->chunk.len)) {
            b_free(&st);
            return -1;
        }
        int64_t chunk_unc = c->uncompressed + dict_unc;
        int64_t chunk_size = (int64_t)c->chunk.len + dict_size;
        total_unc += chunk_unc;
        total_comp += chunk_size;
        tw_push(&t); /* ColumnChunk */
        tw_i64(&t, 2, (int64_t)(c->ndent ? dict_off : off));
        tw_struct(&t, 3); /* ColumnMetaData */
        tw_i32(&t, 1, leaf_physical(c->leaf->type));
        tw_list(&t, 2, T_I32, c->ndent ? 3 : 2);
        if (c->ndent) b_varint(t.b, zz(ENC_PLAIN_DICTIONARY));
        b_varint(t.b, zz(ENC_PLAIN));
        b_varint(t.b, zz(ENC_RLE));
        tw_list(&t, 3, T_BINARY, (size_t)c->npath);
        for (int k = 0; k < c->npath; k++) {
            size_t n = strlen(c->path[k]);
            b_varint(t.b, n);
            b_put(t.b, c->path[k], n);
        }
        tw_i32(&t, 4, p->codec);
        tw_i64(&t, 5, c->num_values);
        tw_i64(&t, 6, chunk_unc);
        tw_i64(&t, 7, chunk_size);
        tw_i64(&t, 9, (int64_t)off);
        if (c->ndent) tw_i64(&t, 11, (int64_t)dict_off);
        tw_struct(&t, 12); /* Statistics */
        tw_i64(&t, 3, c->nulls);
        if (c->has_minmax) {
            stat_value(c, true, &st);
            tw_bin(&t, 5, st.p, st.len);
            stat_value(c, false, &st);
            tw_bin(&t, 6, st.p, st.len);
        }
        tw_pop(&t);
        tw_pop(&t); /* ColumnMetaData */
        tw_pop(&t); /* ColumnChunk */
        c->chunk.len = 0;
        c->num_values = c->nulls = c->uncompressed = 0;
        c->has_minmax = false;
        /* a new chunk, a new dictionary */
        c->dict.len = 0;
        c->ndent = 0;
        c->chunk_vals = 0;
        if (c->dslot) memset(c->dslot, 0, c->dcap * sizeof *c->dslot);
    }
    b_free(&st);
    tw_i64(&t, 2, total_unc);
    tw_i64(&t, 3, (int64_t)p->rows_in_group);
    tw_i64(&t, 5, (int64_t)first);
    tw_i64(&t, 6, total_comp);
    tw_field(&t, T_I16, 7);
    b_varint(t.b, zz((int64_t)p->ngroups));
    tw_pop(&t);
    p->ngroups++;
    p->rows_in_group = 0;
    return p->groups.oom ? -1 : 0;
}

int
mg_pq_end_row(mg_pq *p, char *err, size_t errlen)
{
    p->rows++;
    p->rows_in_group++;
    int rc = 0;
    for (int i = 0; i < p->ncols && !rc; i++) {
        col *c = &p->cols[i];
        if (c->vals.oom) rc = -1;
        else if (c->vals.len + c->nlev * 2 >= PAGE_BYTES) rc = flush_page(p, c);
    }
    if (!rc && p->rows_in_group >= p->row_group) rc = flush_group(p);
    if (rc)
        return mg_errf(err, errlen, "%s: %s", p->path,
                       p->io_errno ? strerror(p->io_errno)
                                   : "out of memory or compression failed");
    return 0;
}

static void
schema_element(tw *t, const mg_pq_node *n, const char *name, int repetition)
{
    tw_push(t);
    if (n && n->kind == MG_PQ_LEAF) tw_i32(t, 1, leaf_physical(n->type));
    tw_i32(t, 3, repetition);
    tw_bin(t, 4, name, strlen(name));
    if (!n) { /* the repeated "list" group */
        tw_i32(t, 5, 1);
        tw_pop(t);
        return;
    }
    if (n->kind == MG_PQ_STRUCT) tw_i32(t, 5, (int32_t)n->nkids);
    if (n->kind == MG_PQ_LIST) {
        tw_i32(t, 5, 1);
        tw_i32(t, 6, 3); /* ConvertedType LIST */
        tw_struct(t, 10);
        tw_struct(t, 3); /* LogicalType.LIST */
        tw_pop(t);
        tw_pop(t);
    }
    if (n->kind == MG_PQ_LEAF) {
        if (n->type == MG_PQ_STRING || n->type == MG_PQ_JSON) {
            tw_i32(t, 6, n->type == MG_PQ_STRING ? 0 : 19); /* UTF8, JSON */
            tw_struct(t, 10);
            tw_struct(t, n->type == MG_PQ_STRING ? 1 : 12);
            tw_pop(t);
            tw_pop(t);
        } else if (n->type == MG_PQ_UINT64) {
            tw_i32(t, 6, 14); /* UINT_64 */
            tw_struct(t, 10);
            tw_struct(t, 10); /* LogicalType.INTEGER */
            tw_field(t, T_BYTE, 1);
            b_byte(t->b, 64);
            tw_bool(t, 2, false);
            tw_pop(t);
            tw_pop(t);
        }
    }
    tw_pop(t);
}

static size_t
count_elements(const mg_pq_node *n)
{
    size_t k = 1;
    if (n->kind == MG_PQ_LIST) return 1 + 1 + count_elements(n->kids[0]);
    for (size_t i = 0; i < n->nkids; i++) k += count_elements(n->kids[i]);
    return k;
}

static void
schema_tree(tw *t, const mg_pq_node *n, const char *name)
{
    schema_element(t, n, name, 1);
    if (n->kind == MG_PQ_STRUCT)
        for (size_t i = 0; i < n->nkids; i++)
            schema_tree(t, n->kids[i], n->kids[i]->name);
    if (n->kind == MG_PQ_LIST) {
        schema_element(t, NULL, "list", 2);
        schema_tree(t, n->kids[0], "element");
    }
}

static void
free_p(mg_pq *p)
{
    for (int i = 0; i < p->ncols; i++) {
        col *c = &p->cols[i];
        free(c->reps);
        free(c->defs);
        b_free(&c->vals);
        b_free(&c->chunk);
        b_free(&c->smin);
        b_free(&c->smax);
        b_free(&c->dict);
        free(c->dent);
        free(c->dslot);
    }
    free(p->cols);
    b_free(&p->groups);
    b_free(&p->page);
    b_free(&p->comp);
    b_free(&p->hdr);
    if (p->zctx) ZSTD_freeCCtx(p->zctx);
    free(p->path);
    free(p->created_by);
    free(p);
}

void
mg_pq_abort(mg_pq **pp)
{
    mg_pq *p = *pp;
    if (!p) return;
    mg_ofile_abort(&p->f);
    free_p(p);
    *pp = NULL;
}

int
mg_pq_close(mg_pq **pp, char *err, size_t errlen)
{
    mg_pq *p = *pp;
    *pp = NULL;
    int rc = flush_group(p);
    buf meta = {0};
    tw t = {.b = &meta};
    tw_i32(&t, 1, 1);
    size_t nel = 1;
    for (size_t i = 0; i < p->nfields; i++) nel += count_elements(p->fields[i]);
    tw_list(&t, 2, T_STRUCT, nel);
    tw_push(&t); /* root */
    tw_bin(&t, 4, "schema", 6);
    tw_i32(&t, 5, (int32_t)p->nfields);
    tw_pop(&t);
    for (size_t i = 0; i < p->nfields; i++)
        schema_tree(&t, p->fields[i], p->fields[i]->name);
    tw_i64(&t, 3, (int64_t)p->rows);
    tw_list(&t, 4, T_STRUCT, p->ngroups);
    b_put(&meta, p->groups.p, p->groups.len);
    tw_bin(&t, 6, p->created_by, strlen(p->created_by));
    tw_list(&t, 7, T_STRUCT, (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        tw_push(&t); /* ColumnOrder */
        tw_struct(&t, 1); /* TYPE_ORDER */
        tw_pop(&t);
        tw_pop(&t);
    }
    b_byte(&meta, 0); /* end of FileMetaData */
    if (!rc && (meta.oom || p->groups.oom)) rc = -1;
    if (!rc) rc = write_all(p, meta.p, meta.len);
    uint8_t tail[8];
    uint32_t ml = (uint32_t)meta.len;
    for (int i = 0; i < 4; i++) tail[i] = (uint8_t)(ml >> (8 * i));
    memcpy(tail + 4, "PAR1", 4);
    if (!rc) rc = write_all(p, tail, 8);
    b_free(&meta);
    if (rc) {
        mg_ofile_abort(&p->f);
        mg_errf(err, errlen, "%s: %s", p->path,
                p->io_errno ? strerror(p->io_errno) : "out of memory");
    } else {
        rc = mg_ofile_close(&p->f, err, errlen);
    }
    free_p(p);
    return rc ? -1 : 0;
}
