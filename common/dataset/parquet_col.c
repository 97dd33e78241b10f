/*
 * parquet_col — column encoding for the Parquet writer (parquet.h): level
 * entries and values appended per row (one at a time, or a list's values
 * at once), chunk statistics, string dictionaries, and pages: RLE levels,
 * PLAIN or dictionary-index values, compressed, with their Thrift header,
 * appended to the column's chunk (parquet.c writes chunks to the file).
 *
 * Invariants: a column's values sit VHEAD bytes into its buffer, so a
 * page's levels are written in front of them and the page is compressed
 * where it lies; a page holds dictionary indices or PLAIN values, never
 * both (dict_index ends a page when its dictionary gives up).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>
#include <zstd.h>

#include "bytes.h"
#include "parquet_priv.h"

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

static bool ints_dict(mg_pq *p, col *c, int rep, int rep_next,
                      const int64_t *v, size_t n);

/* The chunk statistics of integers v[0..n) (n >= 1). */
static void
minmax_ints(col *c, const int64_t *v, size_t n)
{
    if (c->leaf->type == MG_PQ_UINT64) {
        uint64_t lo = c->has_minmax ? c->umin : (uint64_t)v[0], hi = lo;
        if (c->has_minmax) hi = c->umax;
        for (size_t i = 0; i < n; i++) {
            uint64_t u = (uint64_t)v[i];
            if (u < lo) lo = u;
            if (u > hi) hi = u;
        }
        c->umin = lo;
        c->umax = hi;
    } else {
        int64_t lo = c->has_minmax ? c->imin : v[0];
        int64_t hi = c->has_minmax ? c->imax : v[0];
        for (size_t i = 0; i < n; i++) {
            if (v[i] < lo) lo = v[i];
            if (v[i] > hi) hi = v[i];
        }
        c->imin = lo;
        c->imax = hi;
    }
    c->has_minmax = true;
}

void
mg_pq_int(mg_pq *p, int col_, int rep, int64_t v)
{
    mg_pq_ints(p, col_, rep, rep, &v, 1);
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

/* n level entries, all values: the first at rep, the others at
 * rep_next; false when memory runs out. */
static bool
push_levels(col *c, int rep, int rep_next, size_t n)
{
    if (n == 1) { /* mg_pq_int: one value, no memset calls */
        push_level(c, rep, c->max_def);
        return !c->vals.oom;
    }
    if (c->nlev + n > c->levcap) {
        size_t cap = c->levcap ? c->levcap * 2 : 1024;
        while (cap < c->nlev + n) cap *= 2;
        uint8_t *r = realloc(c->reps, cap), *d = realloc(c->defs, cap);
        if (r) c->reps = r;
        if (d) c->defs = d;
        if (!r || !d) {
            c->vals.oom = 1;
            return false;
        }
        c->levcap = cap;
    }
    c->reps[c->nlev] = (uint8_t)rep;
    memset(c->reps + c->nlev + 1, rep_next, n - 1);
    memset(c->defs + c->nlev, c->max_def, n);
    c->nlev += n;
    c->num_values += (int64_t)n;
    return true;
}

void
mg_pq_doubles(mg_pq *p, int col_, int rep, int rep_next, const double *v,
              size_t n)
{
    col *c = &p->cols[col_];
    if (!n || !push_levels(c, rep, rep_next, n) || b_reserve(&c->vals, 8 * n))
        return;
    pq_put8n(c->vals.p + c->vals.len, v, n); /* PLAIN: IEEE 754 LE */
    c->vals.len += 8 * n;
    c->page_vals += n;
    double lo = c->dmin, hi = c->dmax;
    bool have = c->has_minmax;
    for (size_t i = 0; i < n; i++) {
        if (v[i] != v[i]) continue; /* NaN takes no part in statistics */
        if (!have || v[i] < lo) lo = v[i];
        if (!have || v[i] > hi) hi = v[i];
        have = true;
    }
    c->dmin = lo;
    c->dmax = hi;
    c->has_minmax = have;
}

void
mg_pq_ints(mg_pq *p, int col_, int rep, int rep_next, const int64_t *v,
           size_t n)
{
    col *c = &p->cols[col_];
    if (!n) return;
    minmax_ints(c, v, n);
    if (c->dict_on && ints_dict(p, c, rep, rep_next, v, n)) return;
    if (!push_levels(c, rep, rep_next, n) || b_reserve(&c->vals, 8 * n))
        return;
    pq_put8n(c->vals.p + c->vals.len, v, n); /* PLAIN: int64 LE */
    c->vals.len += 8 * n;
    c->page_vals += n;
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

/* Eight bytes a step, the last 1..7 in overlapping loads (FNV-1a's byte
 * a step was most of a dictionary lookup); only the hash table's slots
 * depend on it, never the file. */
static uint32_t
str_hash(const char *s, size_t n)
{
    const uint64_t k = 0xff51afd7ed558ccdull;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n, w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    if (n) { /* the last 1..7 bytes in two overlapping loads, or three */
        uint32_t a, b;
        if (n >= 4) {
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
        } else {
            a = (uint32_t)(uint8_t)s[0] << 16 | (uint32_t)(uint8_t)s[n / 2] << 8;
            b = (uint8_t)s[n - 1];
        }
        w = (uint64_t)a << 32 | b;
        h = (h ^ w) * k;
        h ^= h >> 32;
    }
    return (uint32_t)(h ^ (h >> 29));
}

static inline uint32_t
int_hash(uint64_t v)
{
    return (uint32_t)((v * 0x9E3779B97F4A7C15ull) >> 32);
}

static inline bool
int_col(const col *c)
{
    return c->leaf->type == MG_PQ_INT64 || c->leaf->type == MG_PQ_UINT64;
}

/* A dictionary entry's key: an integer's 8 bytes (INT64 PLAIN) or a
 * string's bytes (after its u32 length); its hash. */
static const char *
dent_key(const col *c, uint32_t k, size_t *n)
{
    const char *e = c->dict.p + c->dent[k];
    if (int_col(c)) {
        *n = 8;
        return e;
    }
    const uint8_t *u = (const uint8_t *)e; /* b_u32le's length */
    *n = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 |
         (size_t)u[3] << 24;
    return e + 4;
}

static uint32_t
key_hash(const col *c, const char *s, size_t n)
{
    if (!int_col(c)) return str_hash(s, n);
    uint64_t v;
    memcpy(&v, s, 8);
    return int_hash(v);
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
        size_t len;
        const char *e = dent_key(c, k, &len);
        uint32_t h = key_hash(c, e, len) & (cap - 1);
        while (slot[h]) h = (h + 1) & (cap - 1);
        slot[h] = k + 1;
    }
    free(c->dslot);
    c->dslot = slot;
    c->dcap = cap;
    return 0;
}


/* The entry number of s (a string's bytes, or an integer's 8) in the
 * column's dictionary (added when new), or -1 when the dictionary gives
 * up (or memory runs out): the caller then writes s PLAIN, on a page of
 * its own. */
static long
dict_index(mg_pq *p, col *c, const char *s, size_t n)
{
    if (!c->dcap && dict_rehash(c, 256)) goto give_up;
    uint32_t m = c->dcap - 1, h = key_hash(c, s, n) & m;
    for (uint32_t v; (v = c->dslot[h]); h = (h + 1) & m) {
        size_t len;
        const char *e = dent_key(c, v - 1, &len);
        if (len == n && mg_bytes_eq(e, s, n)) return (long)v - 1;
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
    if (!int_col(c)) b_u32le(&c->dict, (uint32_t)n);
    b_put(&c->dict, s, n);
    if (c->dict.oom) goto give_up;
    c->dslot[h] = ++c->ndent;
    /* a string chunk's values are its entries; integers' statistics are
     * kept over every value (mg_pq_int, mg_pq_ints) */
    if (!int_col(c)) minmax_str(c, s, n);
    if (2 * c->ndent > c->dcap && dict_rehash(c, c->dcap * 2)) {
        c->vals.oom = 1;
        return -1;
    }
    return (long)c->ndent - 1;
give_up:
    /* Entry numbers and PLAIN values never share a page: end this one. */
    c->dict_on = false;
    if (c->page_dict && mg_pq_flush_page(p, c)) c->vals.oom = 1;
    return -1;
}

/* The entry number of integer v in an integer column's dictionary (added
 * when new), or -1 as dict_index. */
static inline long
dict_int(mg_pq *p, col *c, uint64_t v)
{
    if (v < SMALL_INTS && c->small[v]) return (long)c->small[v] - 1;
    /* entries are PLAIN (int64 LE) bytes; key_hash hashes them read as
     * a host integer, which is le there */
    uint64_t le = pq_le64(v);
    if (c->dcap) {
        uint32_t m = c->dcap - 1, h = int_hash(le) & m;
        for (uint32_t e; (e = c->dslot[h]); h = (h + 1) & m) {
            uint64_t x;
            memcpy(&x, c->dict.p + c->dent[e - 1], 8);
            if (x == le) return (long)e - 1;
        }
    }
    char b[8];
    memcpy(b, &le, 8);
    long k = dict_index(p, c, b, 8);
    if (k >= 0 && v < SMALL_INTS) c->small[v] = (uint32_t)k + 1;
    return k;
}

/* n integers of an integer column as dictionary entry numbers, after
 * their n level entries; false when the dictionary gave up (the caller
 * then writes them PLAIN; entries added for them stay, unused). */
static bool
ints_dict(mg_pq *p, col *c, int rep, int rep_next, const int64_t *v,
          size_t n)
{
    c->chunk_vals += n;
    if (b_reserve(&c->vals, 4 * n)) return false;
    uint32_t *out = (uint32_t *)(void *)(c->vals.p + c->vals.len);
    for (size_t i = 0; i < n; i++) {
        long k = dict_int(p, c, (uint64_t)v[i]);
        if (k < 0) return false;
        out[i] = (uint32_t)k;
    }
    if (!push_levels(c, rep, rep_next, n)) return false;
    c->vals.len += 4 * n;
    c->page_vals += n;
    c->page_dict = true;
    return true;
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
        if (w <= 8 && !b_reserve(b, groups * 8)) {
            /* 8 values of w <= 8 bits: one 64-bit word, w bytes of it */
            for (size_t g = 0; g < groups; g++) {
                uint64_t acc = 0;
                const uint32_t *x = v + i + 8 * g;
                size_t m = n - (i + 8 * g) < 8 ? n - (i + 8 * g) : 8;
                for (size_t k = 0; k < m; k++) acc |= (uint64_t)x[k] << (k * (size_t)w);
                for (int k = 0; k < w; k++)
                    b->p[b->len++] = (char)(uint8_t)(acc >> (8 * k));
            }
            i += groups * 8;
            continue;
        }
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
        /* the run's end eight levels a step (runs are long: a list's
         * repetition levels, the definition levels of present values) */
        const uint64_t all = 0x0101010101010101ull * lv[i];
        for (uint64_t w; j + 8 <= n; j += 8) {
            memcpy(&w, lv + j, 8);
            if (w != all) break; /* the byte loop finds where */
        }
        while (j < n && lv[j] == lv[i]) j++;
        b_varint(b, (uint64_t)(j - i) << 1);
        b_byte(b, lv[i]);
        i = j;
    }
    uint32_t len = (uint32_t)(b->len - start - 4);
    if (b->oom) return;
    for (int i = 0; i < 4; i++) b->p[start + (size_t)i] = (uint8_t)(len >> (8 * i));
}

int
mg_pq_compress(mg_pq *p, const buf *in, buf *out)
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

int
mg_pq_flush_page(mg_pq *p, col *c)
{
    if (!c->nlev) return 0;
    if (c->vals.oom) return -1; /* sticky; vals.len may lack its VHEAD */
    buf *pg = &p->page;
    pg->len = 0;
    if (c->max_rep > 0) rle_levels(pg, c->reps, c->nlev, c->max_rep);
    if (c->max_def > 0) rle_levels(pg, c->defs, c->nlev, c->max_def);
    if (c->leaf->type == MG_PQ_BOOL) {
        uint8_t acc = 0;
        size_t k;
        for (k = 0; k < c->vals.len - VHEAD; k++) {
            if (c->vals.p[VHEAD + k]) acc |= (uint8_t)(1u << (k % 8));
            if (k % 8 == 7) {
                b_byte(pg, acc);
                acc = 0;
            }
        }
        if (k % 8) b_byte(pg, acc);
    } else if (c->page_dict) {
        int w = 1;
        while (w < 32 && (c->ndent - 1) >> w) w++;
        rle_dict(pg, (const uint32_t *)(const void *)(c->vals.p + VHEAD),
                 (c->vals.len - VHEAD) / 4, w);
    }
    /* PLAIN values: the levels go in front of them (VHEAD), and the page
     * is compressed in one call where it lies. (zstd's streaming mode
     * over the two parts copied both into a window of its own.) */
    bool plain = c->leaf->type != MG_PQ_BOOL && !c->page_dict;
    if (pg->oom || c->vals.oom) return -1;
    buf whole = *pg;
    if (plain && pg->len <= VHEAD) {
        size_t at = VHEAD - pg->len;
        memcpy(c->vals.p + at, pg->p, pg->len);
        whole.p = c->vals.p + at;
        whole.len = c->vals.len - at;
    } else if (plain) { /* levels too long for the room: one more copy */
        b_put(pg, c->vals.p + VHEAD, c->vals.len - VHEAD);
        whole = *pg;
    }
    if (whole.oom) return -1;
    int rc = mg_pq_async_on(p)
                 ? mg_pq_async_page(p, (int)(c - p->cols), &whole, c->nlev,
                                    c->page_dict)
                 : mg_pq_page_out(p, c, &whole, c->nlev, c->page_dict);
    c->nlev = 0;
    c->page_vals = 0;
    c->vals.len = VHEAD;
    c->page_dict = false;
    return rc;
}

int
mg_pq_page_out(mg_pq *p, col *c, const buf *whole, size_t nlev,
               bool page_dict)
{
    size_t unc = whole->len;
    if (mg_pq_compress(p, whole, &p->comp)) return -1;
    buf *h = &p->hdr;
    h->len = 0;
    tw t = {.b = h};
    tw_i32(&t, 1, 0); /* DATA_PAGE */
    tw_i32(&t, 2, (int32_t)unc);
    tw_i32(&t, 3, (int32_t)p->comp.len);
    tw_struct(&t, 5); /* DataPageHeader */
    tw_i32(&t, 1, (int32_t)nlev);
    tw_i32(&t, 2, page_dict ? ENC_PLAIN_DICTIONARY : ENC_PLAIN);
    tw_i32(&t, 3, ENC_RLE);
    tw_i32(&t, 4, ENC_RLE);
    tw_pop(&t);
    b_byte(h, 0); /* end of PageHeader */
    b_put(&c->chunk, h->p, h->len);
    b_put(&c->chunk, p->comp.p, p->comp.len);
    c->uncompressed += (int64_t)(h->len + unc);
    return c->chunk.oom || h->oom ? -1 : 0;
}

void
mg_pq_stat_value(const col *c, bool max, buf *out)
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

