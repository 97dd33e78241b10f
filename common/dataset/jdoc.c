/*
 * jdoc — JSON tokenizer and jansson bridge (contract in jdoc.h).
 *
 * One recursive-descent pass, depth-limited so a hostile file cannot
 * exhaust the stack; the token array grows geometrically and is reused
 * between documents, so a stream of files allocates nothing after the
 * first few.
 */
#include "jdoc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonout.h"

#define MAX_DEPTH 256

typedef struct {
    mg_jdoc *d;
    const char *s;
    size_t len, pos;
    int depth;
    char *err;
    size_t errlen;
} parser;

static int
fail(parser *p, const char *what)
{
    long line = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++)
        if (p->s[i] == '\n') line++;
    return mg_errf(p->err, p->errlen, "line %ld: %s", line, what);
}

static long
newtok(parser *p, mg_jtype type)
{
    mg_jdoc *d = p->d;
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 1024;
        if (cap < d->cap) return fail(p, "too many values");
        mg_jtok *t = realloc(d->t, (size_t)cap * sizeof *t);
        if (!t) return fail(p, "out of memory");
        d->t = t;
        d->cap = cap;
    }
    mg_jtok *t = &d->t[d->n];
    memset(t, 0, sizeof *t);
    t->type = (uint8_t)type;
    t->start = (uint32_t)p->pos;
    return d->n++;
}

/* Byte classes, so the hot loops test one table entry per byte: 1 is
 * JSON whitespace; 2 ends a plain run inside a string (quote, backslash,
 * control character). */
static const uint8_t cls[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 2, 2, 3, 2, 2, /* \t \n \r: 1 | 2 */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    [' '] = 1, ['"'] = 2, ['\\'] = 2,
};

static inline void
skip_ws(parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->pos, n = p->len;
    while (i < n && (cls[s[i]] & 1)) i++;
    p->pos = i;
}

static int value(parser *p);

static int
string(parser *p)
{
    long ti = newtok(p, MG_JT_STR);
    if (ti < 0) return -1;
    p->pos++; /* opening quote */
    size_t start = p->pos;
    uint8_t esc = 0;
    const char *s = p->s;
    for (;;) {
        /* Fast path: plain bytes. */
        {
            const unsigned char *u = (const unsigned char *)s;
            size_t i = p->pos, n = p->len;
            while (i < n && !(cls[u[i]] & 2)) i++;
            p->pos = i;
        }
        if (p->pos >= p->len) return fail(p, "unterminated string");
        char c = s[p->pos];
        if (c == '"') break;
        if (c != '\\') return fail(p, "control character in string");
        esc = 1;
        if (++p->pos >= p->len) return fail(p, "unterminated string");
        c = s[p->pos];
        if (c == 'u') {
            for (int k = 1; k <= 4; k++) {
                char h = p->pos + k < p->len ? s[p->pos + k] : 0;
                if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                      (h >= 'A' && h <= 'F')))
                    return fail(p, "bad \\u escape");
            }
            p->pos += 5;
        } else if (strchr("\"\\/bfnrt", c) && c) {
            p->pos++;
        } else {
            return fail(p, "bad escape in string");
        }
    }
    mg_jtok *t = &p->d->t[ti];
    t->start = (uint32_t)start;
    t->len = (uint32_t)(p->pos - start);
    t->esc = esc;
    t->next = (uint32_t)ti + 1;
    p->pos++; /* closing quote */
    return 0;
}

static int
number(parser *p)
{
    long ti = newtok(p, MG_JT_NUM);
    if (ti < 0) return -1;
    const char *s = p->s;
    size_t i = p->pos, n = p->len;
    uint8_t isint = 1;
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "bad number");
    if (s[i] == '0') {
        i++;
    } else {
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && s[i] == '.') {
        isint = 0;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "bad number");
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        isint = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "bad number");
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    mg_jtok *t = &p->d->t[ti];
    t->len = (uint32_t)(i - p->pos);
    t->isint = isint;
    t->next = (uint32_t)ti + 1;
    p->pos = i;
    return 0;
}

static int
literal(parser *p, const char *word, mg_jtype type)
{
    size_t k = strlen(word);
    if (p->len - p->pos < k || memcmp(p->s + p->pos, word, k))
        return fail(p, "unexpected character");
    long ti = newtok(p, type);
    if (ti < 0) return -1;
    p->d->t[ti].len = (uint32_t)k;
    p->d->t[ti].next = (uint32_t)ti + 1;
    p->pos += k;
    return 0;
}

static int
container(parser *p, bool obj)
{
    if (++p->depth > MAX_DEPTH) return fail(p, "nested too deeply");
    long ti = newtok(p, obj ? MG_JT_OBJ : MG_JT_ARR);
    if (ti < 0) return -1;
    char close = obj ? '}' : ']';
    uint32_t count = 0;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            if (obj) {
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != '"')
                    return fail(p, "expected a key");
                if (string(p)) return -1;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':')
                    return fail(p, "expected ':'");
                p->pos++;
            }
            if (value(p)) return -1;
            count++;
            skip_ws(p);
            if (p->pos >= p->len) return fail(p, "unexpected end");
            char c = p->s[p->pos++];
            if (c == close) break;
            if (c != ',') return fail(p, obj ? "expected ',' or '}'"
                                             : "expected ',' or ']'");
        }
    }
    mg_jtok *t = &p->d->t[ti];
    t->n = count;
    t->len = (uint32_t)(p->pos - t->start);
    t->next = p->d->n;
    p->depth--;
    return 0;
}

static int
value(parser *p)
{
    skip_ws(p);
    if (p->pos >= p->len) return fail(p, "unexpected end");
    switch (p->s[p->pos]) {
    case '{': return container(p, true);
    case '[': return container(p, false);
    case '"': return string(p);
    case 't': return literal(p, "true", MG_JT_TRUE);
    case 'f': return literal(p, "false", MG_JT_FALSE);
    case 'n': return literal(p, "null", MG_JT_NULL);
    default: return number(p);
    }
}

int
mg_jdoc_parse(mg_jdoc *d, const char *text, size_t len, char *err,
              size_t errlen)
{
    d->s = text;
    d->n = 0;
    if (len >= UINT32_MAX) return mg_errf(err, errlen, "file too large");
    parser p = {.d = d, .s = text, .len = len, .err = err, .errlen = errlen};
    if (value(&p)) return -1;
    skip_ws(&p);
    if (p.pos != len) return fail(&p, "text after the value");
    return 0;
}

void
mg_jdoc_free(mg_jdoc *d)
{
    free(d->t);
    d->t = NULL;
    d->n = d->cap = 0;
}

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
    size_t kl = strlen(key);
    if (!t->esc) return t->len == kl && !memcmp(d->s + t->start, key, kl);
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
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < o->n; m++) {
        if (mg_jdoc_streq(d, k, key)) return (long)k + 1;
        k = d->t[k + 1].next;
    }
    return -1;
}

/* Exact powers of ten a double holds. */
static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int
mg_jdoc_double(const mg_jdoc *d, uint32_t i, double *v)
{
    const mg_jtok *t = &d->t[i];
    if (t->type != MG_JT_NUM || t->len > 400) return -1;
    /* Fast path (Clinger): at most 15 digits and no exponent, so the
     * digits are an exact integer m < 2^53 and m / 10^k, one IEEE
     * division of two exact values, is the correctly rounded result,
     * the very double strtod gives. */
    {
        const char *s = d->s + t->start, *e = s + t->len;
        bool neg = *s == '-';
        uint64_t m = 0;
        int digits = 0, frac = -1;
        const char *q = s + neg;
        for (; q < e; q++) {
            if (*q == '.') {
                frac = 0;
                continue;
            }
            if (*q < '0' || *q > '9') break;
            m = m * 10 + (uint64_t)(*q - '0');
            if (m) digits++;
            if (frac >= 0) frac++;
        }
        if (q == e && digits <= 15) {
            double r = (double)m;
            if (frac > 0) r /= pow10_exact[frac <= 22 ? frac : 22];
            if (frac <= 22) {
                *v = neg ? -r : r;
                return 0;
            }
        }
    }
    char buf[408];
    memcpy(buf, d->s + t->start, t->len);
    buf[t->len] = 0;
    *v = strtod(buf, NULL);
    return 0;
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
    for (uint32_t k = 0; k < t->len; k++) {
        unsigned dgt = (unsigned)(s[k] - '0');
        if (x > (UINT64_MAX - dgt) / 10) return -1;
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
    const char *s = d->s + t->start;
    bool neg = s[0] == '-';
    uint64_t x = 0;
    for (uint32_t k = neg; k < t->len; k++) {
        unsigned dgt = (unsigned)(s[k] - '0');
        if (x > (UINT64_MAX - dgt) / 10) return -1;
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

json_t *
mg_jdoc_to_json(const mg_jdoc *d, uint32_t i)
{
    const mg_jtok *t = &d->t[i];
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
        mg_jdoc_double(d, i, &dv);
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
