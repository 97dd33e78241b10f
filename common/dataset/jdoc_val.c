/*
 * jdoc_val — the values of a tokenized document (contract in jdoc.h):
 * strings decoded, numbers converted (one at a time or a leaf array in
 * bulk), members looked up, the jansson bridge, and the checks a strict
 * reader makes that the tokenizer leaves to its readers (UTF-8, lone
 * surrogate escapes, repeated keys). The tokenizer itself is jdoc.c.
 */
#include "jdoc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonout.h"
#include "rfile.h"

static int
hexval(const char *h)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        char c = h[k];
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* Decode an escaped string body into out (at most src_len bytes: no
 * escape grows). Returns the length. Lone surrogates become U+FFFD. */
static size_t
unescape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            out[o++] = s[i];
            continue;
        }
        char c = s[++i];
        switch (c) {
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp = (unsigned)hexval(s + i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < n &&
                s[i + 1] == '\\' && s[i + 2] == 'u') {
                unsigned lo = (unsigned)hexval(s + i + 3);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xD800 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | cp >> 6);
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | cp >> 12);
                out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | cp >> 18);
                out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
                out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default: out[o++] = c; break; /* " \ / */
        }
    }
    return o;
}

size_t
mg_jdoc_str(const mg_jdoc *d, uint32_t i, char *buf, size_t n)
{
    const mg_jtok *t = &d->t[i];
    if (t->len >= n) return (size_t)-1;
    size_t k;
    if (!t->esc) {
        memcpy(buf, d->s + t->start, t->len);
        k = t->len;
    } else {
        k = unescape(d->s + t->start, t->len, buf);
    }
    buf[k] = 0;
    return k;
}

bool
mg_jdoc_streq(const mg_jdoc *d, uint32_t i, const char *key)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_STR) return false;
    /* The text of an unescaped string holds no NUL: strncmp stops at the
     * end of a shorter key, so no strlen of the key is needed. */
    if (!t->esc)
        return !strncmp(d->s + t->start, key, t->len) && !key[t->len];
    size_t kl = strlen(key);
    if (t->len > 4096) return false;
    char buf[4100];
    size_t n = unescape(d->s + t->start, t->len, buf);
    return n == kl && !memcmp(buf, key, kl);
}

long
mg_jdoc_get(const mg_jdoc *d, uint32_t obj, const char *key)
{
    const mg_jtok *o = &d->t[obj];
    if (o->type != MG_JT_OBJ) return -1;
    size_t kl = strlen(key);
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < o->n; m++) {
        const mg_jtok *t = &d->t[k];
        /* A key without escapes is its text: compare the length first. */
        if (t->esc ? mg_jdoc_streq(d, k, key)
                   : t->len == kl && !memcmp(d->s + t->start, key, kl))
            return (long)k + 1;
        k = d->t[k + 1].next;
    }
    return -1;
}

/* Exact powers of ten a double holds. */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The valid JSON number s[0..n) as a double: strtod's value. Fast path
 * (Clinger): no exponent, at most 19 digits making an integer m <= 2^53
 * and at most 22 of them after the point, so m and 10^k are exact and
 * m / 10^k, one IEEE division, is the correctly rounded result, the
 * very double strtod gives. -1 only when memory runs out. */
static inline int
num_double(const char *s, size_t n, double *v)
{
    if (n > 400) { /* rare: strtod on a copy of its own */
        char *b = malloc(n + 1);
        if (!b) return -1;
        memcpy(b, s, n);
        b[n] = 0;
        *v = strtod(b, NULL);
        free(b);
        return 0;
    }
    const char *e = s + n;
    bool neg = *s == '-';
    uint64_t m = 0;
    const char *q = s + neg, *d0 = q;
    while (q < e && (unsigned)(*q - '0') < 10) m = m * 10 + (uint64_t)(*q++ - '0');
    int frac = 0;
    if (q < e && *q == '.') {
        const char *f0 = ++q;
        while (q < e && (unsigned)(*q - '0') < 10)
            m = m * 10 + (uint64_t)(*q++ - '0');
        frac = (int)(q - f0);
    }
    /* m and 10^frac exact doubles (m <= 2^53, at most 19 digits read, so
     * m did not wrap): their quotient is the correctly rounded value,
     * strtod's. */
    if (q == e && q - d0 - (frac > 0) <= 19 && m <= (1ull << 53) &&
        frac <= 22) {
        double r = (double)m;
        if (frac) r /= pow10_exact[frac];
        *v = neg ? -r : r;
        return 0;
    }
    char buf[408];
    memcpy(buf, s, n);
    buf[n] = 0;
    *v = strtod(buf, NULL);
    return 0;
}

/* The valid JSON integer s[0..n) (no fraction, no exponent) as int64;
 * -1 out of range. */
static inline int
num_i64(const char *s, size_t n, int64_t *v)
{
    bool neg = s[0] == '-';
    uint64_t x = 0;
    bool safe = n - neg <= 19;
    for (size_t k = neg; k < n; k++) {
        unsigned dgt = (unsigned)(s[k] - '0');
        if (!safe && x > (UINT64_MAX - dgt) / 10) return -1;
        x = x * 10 + dgt;
    }
    if (neg) {
        if (x > (uint64_t)INT64_MAX + 1) return -1;
        *v = x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x;
    } else {
        if (x > (uint64_t)INT64_MAX) return -1;
        *v = (int64_t)x;
    }
    return 0;
}

int
mg_jdoc_double(const mg_jdoc *d, uint32_t i, double *v)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_NUM) return -1;
    return num_double(d->s + t->start, t->len, v);
}

/* The compact text of a leaf array of numbers: "[" n1 "," n2 ... "]".
 * Each number ends at the first ',' or ']' (valid text, no spaces). One
 * pass per number: digits and a fraction of at most 15 digits in all
 * (m < 10^15 < 2^53, exact) are num_double's fast path; anything else
 * (an exponent, more digits) goes to num_double itself. */
int
mg_jdoc_leaf_doubles(const mg_jdoc *d, uint32_t i, double *out)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_ARR || !t->leaf ||
        (t->kinds & ~(MG_JK_INT | MG_JK_REAL)))
        return -1;
    if (!t->n) return 0;
    const char *s = d->c + t->cstart + 1, *e = d->c + t->cstart + t->clen;
    for (uint32_t k = 0; k < t->n; k++) {
        const char *q = s + (*s == '-'), *d0 = q;
        uint64_t m = 0;
        while ((unsigned)(*q - '0') < 10) m = m * 10 + (uint64_t)(*q++ - '0');
        int frac = 0;
        if (*q == '.') {
            const char *f0 = ++q;
            while ((unsigned)(*q - '0') < 10)
                m = m * 10 + (uint64_t)(*q++ - '0');
            frac = (int)(q - f0);
        }
        if ((*q == ',' || *q == ']') && q - d0 - (frac > 0) <= 15) {
            double r = (double)m;
            if (frac) r /= pow10_exact[frac];
            out[k] = *s == '-' ? -r : r;
        } else {
            while (*q != ',' && *q != ']') q++;
            if (num_double(s, (size_t)(q - s), &out[k])) return -1;
        }
        s = q + 1;
    }
    return s == e ? 0 : -1;
}

int
mg_jdoc_leaf_i64(const mg_jdoc *d, uint32_t i, int64_t *out)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_ARR || !t->leaf || (t->kinds & ~MG_JK_INT))
        return -1;
    if (!t->n) return 0;
    const char *s = d->c + t->cstart + 1, *e = d->c + t->cstart + t->clen;
    for (uint32_t k = 0; k < t->n; k++) {
        /* Up to 18 digits cannot overflow: no check per digit. */
        const char *q = s + (*s == '-'), *d0 = q;
        uint64_t x = 0;
        while ((unsigned)(*q - '0') < 10) x = x * 10 + (uint64_t)(*q++ - '0');
        if (q - d0 <= 18) {
            out[k] = *s == '-' ? -(int64_t)x : (int64_t)x;
        } else if (num_i64(s, (size_t)(q - s), &out[k])) {
            return -1;
        }
        s = q + 1;
    }
    return s == e ? 0 : -1;
}

int
mg_jdoc_expand(const mg_jdoc *d, uint32_t i, mg_jdoc *sub)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_ARR || !t->leaf) return -1;
    return mg_jdoc_parse(sub, d->c + t->cstart, t->clen, NULL, 0);
}

int
mg_jdoc_u64(const mg_jdoc *d, uint32_t i, uint64_t *v)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_NUM || !t->isint) return -1;
    const char *s = d->s + t->start;
    if (s[0] == '-') {
        /* "-0" only */
        if (t->len == 2 && s[1] == '0') return *v = 0, 0;
        return -1;
    }
    uint64_t x = 0;
    /* Up to 19 digits cannot overflow: no check (a division) per digit. */
    bool safe = t->len <= 19;
    for (uint32_t k = 0; k < t->len; k++) {
        unsigned dgt = (unsigned)(s[k] - '0');
        if (!safe && x > (UINT64_MAX - dgt) / 10) return -1;
        x = x * 10 + dgt;
    }
    *v = x;
    return 0;
}

int
mg_jdoc_i64(const mg_jdoc *d, uint32_t i, int64_t *v)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_NUM || !t->isint) return -1;
    return num_i64(d->s + t->start, t->len, v);
}

json_t *
mg_jdoc_to_json(const mg_jdoc *d, uint32_t i)
{
    const mg_jtok *t = &d->t[i];
    if (t->skipped) { /* nothing inside tokenized: parse its text */
        mg_jdoc sub = {0};
        json_t *v = mg_jdoc_parse(&sub, d->s + t->start, t->len, NULL, 0)
                        ? NULL
                        : mg_jdoc_to_json(&sub, 0);
        mg_jdoc_free(&sub);
        return v;
    }
    switch ((mg_jtype)t->type) {
    case MG_JT_NULL: return json_null();
    case MG_JT_TRUE: return json_true();
    case MG_JT_FALSE: return json_false();
    case MG_JT_NUM: {
        int64_t iv;
        uint64_t uv;
        double dv;
        if (t->isint && mg_jdoc_i64(d, i, &iv) == 0) return json_integer(iv);
        if (t->isint && mg_jdoc_u64(d, i, &uv) == 0) return mg_json_u64(uv);
        if (mg_jdoc_double(d, i, &dv)) return NULL;
        return json_real(dv);
    }
    case MG_JT_STR: {
        if (!t->esc) return json_stringn(d->s + t->start, t->len);
        char *buf = malloc((size_t)t->len + 1);
        if (!buf) return NULL;
        size_t n = unescape(d->s + t->start, t->len, buf);
        json_t *j = json_stringn(buf, n);
        free(buf);
        return j;
    }
    case MG_JT_ARR: {
        if (t->leaf) { /* elements not tokenized: tokenize them now */
            mg_jdoc sub = {0};
            json_t *a = mg_jdoc_expand(d, i, &sub) ? NULL
                                                   : mg_jdoc_to_json(&sub, 0);
            mg_jdoc_free(&sub);
            return a;
        }
        json_t *a = json_array();
        uint32_t k = i + 1;
        for (uint32_t m = 0; a && m < t->n; m++) {
            json_t *v = mg_jdoc_to_json(d, k);
            if (!v || json_array_append_new(a, v)) {
                json_decref(a);
                return NULL;
            }
            k = d->t[k].next;
        }
        return a;
    }
    case MG_JT_OBJ: {
        json_t *o = json_object();
        uint32_t k = i + 1;
        char small[256];
        for (uint32_t m = 0; o && m < t->n; m++) {
            const mg_jtok *kt = &d->t[k];
            char *key = kt->len < sizeof small ? small : malloc(kt->len + 1u);
            json_t *v = key ? mg_jdoc_to_json(d, k + 1) : NULL;
            size_t kl = key ? mg_jdoc_str(d, k, key, (size_t)kt->len + 1) : 0;
            int bad = !v || json_object_setn_new(o, key, kl, v);
            if (key != small) free(key);
            if (bad) {
                json_decref(o);
                return NULL;
            }
            k = d->t[k + 1].next;
        }
        return o;
    }
    }
    return NULL;
}

int
mg_jdoc_json_u64(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0) return -1;
        *out = (uint64_t)x;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || strncmp(s, "\x01u64:", 5)) return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s + 5, &end, 10);
    if (errno || *end || end == s + 5) return -1;
    *out = x;
    return 0;
}

/* ---- what a strict reader refuses (jdoc.h) ---- */

long
mg_jdoc_lone_surrogate(const mg_jdoc *d)
{
    for (uint32_t i = 0; i < d->n; i++) {
        const mg_jtok *t = &d->t[i];
        if (t->type != MG_JT_STR || !t->esc) continue;
        const char *s = d->s + t->start, *e = s + t->len;
        while (s < e) {
            if (*s != '\\') {
                s++;
                continue;
            }
            if (s[1] != 'u') {
                s += 2;
                continue;
            }
            /* the pairing rule unescape() applies, U+FFFD there */
            int u = hexval(s + 2);
            if (u >= 0xDC00 && u < 0xE000) return (long)(s - d->s);
            if (u >= 0xD800 && u < 0xDC00) {
                if (e - s < 12 || s[6] != '\\' || s[7] != 'u' ||
                    hexval(s + 8) < 0xDC00 || hexval(s + 8) >= 0xE000)
                    return (long)(s - d->s);
                s += 12;
                continue;
            }
            s += 6;
        }
    }
    return -1;
}

typedef struct {
    const char *p;
    size_t len;
    uint32_t tok;
} keyview;

static int
keyview_cmp(const void *a, const void *b)
{
    const keyview *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    if (c) return c;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->tok < y->tok ? -1 : x->tok > y->tok;
}

long
mg_jdoc_dup_key(const mg_jdoc *d)
{
    keyview *kv = NULL;
    size_t cap = 0;
    char *arena = NULL;
    long found = -1;
    /* The parse noted objects whose names are plain and strictly rising
     * (sample.json's are, as jsonout writes them): no two alike there. A
     * skipped object (mg_jdoc.skip) has no name tokens to look at. */
    for (uint32_t i = 0; d->unsorted && i < d->n && found == -1; i++) {
        const mg_jtok *o = &d->t[i];
        if (o->type != MG_JT_OBJ || o->n < 2 || o->sorted || o->skipped)
            continue;
        if (o->n > cap) {
            keyview *nk = realloc(kv, o->n * sizeof *kv);
            if (!nk) {
                found = -2;
                break;
            }
            kv = nk;
            cap = o->n;
        }
        size_t bytes = 0;
        uint32_t a = i + 1;
        for (uint32_t m = 0; m < o->n; m++, a = d->t[a + 1].next)
            if (d->t[a].esc) bytes += d->t[a].len + 1u;
        char *ar = NULL;
        if (bytes) {
            if (!(ar = realloc(arena, bytes))) {
                found = -2;
                break;
            }
            arena = ar;
        }
        a = i + 1;
        for (uint32_t m = 0; m < o->n; m++, a = d->t[a + 1].next) {
            const mg_jtok *k = &d->t[a];
            kv[m].tok = a;
            if (!k->esc) {
                kv[m].p = d->s + k->start;
                kv[m].len = k->len;
            } else {
                kv[m].p = ar;
                kv[m].len = mg_jdoc_str(d, a, ar, k->len + 1u);
                ar += k->len + 1u;
            }
        }
        qsort(kv, o->n, sizeof *kv, keyview_cmp);
        for (uint32_t m = 1; m < o->n; m++)
            if (kv[m].len == kv[m - 1].len &&
                !memcmp(kv[m].p, kv[m - 1].p, kv[m].len)) {
                found = (long)kv[m].tok; /* the later of the two */
                break;
            }
    }
    free(kv);
    free(arena);
    return found;
}

json_t *
mg_jdoc_json_file(const char *path, char *err, size_t errlen)
{
    char *text = NULL, msg[300];
    size_t len = 0;
    if (mg_rfile_read(path, MG_RFILE_JSON_MAX, &text, &len, err, errlen) < 0)
        return NULL;
    mg_jdoc d = {0};
    json_t *j = NULL;
    if (mg_jdoc_parse(&d, text, len, msg, sizeof msg))
        mg_errf(err, errlen, "%s: %s", path, msg);
    else if (!(j = mg_jdoc_to_json(&d, 0)))
        mg_errf(err, errlen, "%s: not UTF-8, or out of memory", path);
    mg_jdoc_free(&d);
    free(text);
    return j;
}
