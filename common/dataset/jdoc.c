/*
 * jdoc — the JSON tokenizer (contract in jdoc.h; values and the jansson
 * bridge: jdoc_val.c).
 *
 * One recursive-descent pass, depth-limited so a hostile file cannot
 * exhaust the stack; the token array grows geometrically and is reused
 * between documents, so a stream of files allocates nothing after the
 * first few. Whitespace, digit and plain-string runs are found eight
 * bytes a step (little-endian word tricks; a byte loop elsewhere). With
 * MG_JDOC_LEAF_ARRAYS, arrays are validated by one token-free loop that
 * writes their compact text beside the tokens (mg_jdoc.c), so a writer
 * that needs them only as text copies them whole.
 */
#include "jdoc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "errmsg.h"
#include "jdoc_numblk.h"

#define MAX_DEPTH 256

typedef struct {
    mg_jdoc *d;
    const char *s;
    size_t len, pos;
    int depth;
    unsigned flags; /* MG_JDOC_LEAF_ARRAYS, MG_JDOC_SCALAR_ARRAYS */
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

/* The token array doubled (newtok's rare case, out of line). */
static __attribute__((noinline)) int
grow_toks(parser *p)
{
    mg_jdoc *d = p->d;
    uint32_t cap = d->cap ? d->cap * 2 : 1024;
    if (cap < d->cap) return fail(p, "too many values");
    mg_jtok *t = realloc(d->t, (size_t)cap * sizeof *t);
    if (!t) return fail(p, "out of memory");
    d->t = t;
    d->cap = cap;
    return 0;
}

/* Inlined: a token is made for every value of a document. */
static inline __attribute__((always_inline)) long
newtok(parser *p, mg_jtype type)
{
    mg_jdoc *d = p->d;
    if (__builtin_expect(d->n == d->cap, 0) && grow_toks(p)) return -1;
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


static inline size_t ws_end(const unsigned char *s, size_t i, size_t n);

/* The last separator between two values of a container (a comma and the
 * whitespace around it, up to 16 bytes). An indented file repeats the
 * same one between the elements of an array and the members of an
 * object, so the next is matched by one 16-byte comparison instead of
 * two whitespace scans. Only bytes equal to ones already validated are
 * skipped that way, so what is accepted (and every message) is as
 * before. */
typedef struct {
    uint64_t v[2], m[2];
    size_t len; /* 0: none yet */
} sepmark;

/* Do the 16 bytes at s start with the separator? (s has 16 bytes.) */
static inline bool
sep_hit(const sepmark *k, const unsigned char *s)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t a[2];
    memcpy(a, s, 16);
    return k->len &&
           !(((a[0] ^ k->v[0]) & k->m[0]) | ((a[1] ^ k->v[1]) & k->m[1]));
#else
    return k->len && !memcmp(s, k->v, k->len);
#endif
}

/* Remember s[0..l) (a separator just validated) when it fits. */
static inline void
sep_set(sepmark *k, const unsigned char *s, size_t l)
{
    if (l > 16) return;
    unsigned char b[16] = {0};
    memcpy(b, s, l);
    memcpy(k->v, b, 16);
    k->m[0] = l >= 8 ? ~0ULL : (1ULL << (8 * l)) - 1;
    k->m[1] = l >= 16 ? ~0ULL : l <= 8 ? 0 : (1ULL << (8 * (l - 8))) - 1;
    k->len = l;
}
static inline size_t plain_end(const unsigned char *s, size_t i, size_t n);
static inline bool plain_steps(const unsigned char *s, size_t *i, size_t n);
static inline size_t digits_end(const unsigned char *s, size_t i, size_t n);
static inline size_t num_fast(const unsigned char *s, size_t i, size_t n,
                              bool *real);

static inline void
skip_ws(parser *p)
{
    p->pos = ws_end((const unsigned char *)p->s, p->pos, p->len);
}

static int value(parser *p);

/* string()'s slow part, from p->pos (within string token ti, its text
 * from start): an escape, a control byte, the end of the text, or fewer
 * than sixteen bytes left before it. */
static __attribute__((noinline)) int
string_rest(parser *p, long ti, size_t start)
{
    uint8_t esc = 0;
    const char *s = p->s;
    for (;;) {
        p->pos = plain_end((const unsigned char *)s, p->pos, p->len);
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

static int string_grown(parser *p);

/* A string at p->pos (its opening quote); the usual one (plain bytes to
 * its closing quote, room for its token) here, calling nothing but in
 * tail position so that it has no registers to save; the rest in
 * string_rest and string_grown. */
static int
string(parser *p)
{
    if (__builtin_expect(p->d->n == p->d->cap, 0)) return string_grown(p);
    long ti = newtok(p, MG_JT_STR);
    if (ti < 0) return -1;
    size_t start = ++p->pos; /* past the opening quote */
    size_t i = start;
    bool hit = plain_steps((const unsigned char *)p->s, &i, p->len);
    p->pos = i;
    if (!hit || p->s[i] != '"') return string_rest(p, ti, start);
    mg_jtok *t = &p->d->t[ti];
    t->start = (uint32_t)start;
    t->len = (uint32_t)(i - start);
    t->next = (uint32_t)ti + 1; /* esc: 0 (newtok) */
    p->pos = i + 1; /* closing quote */
    return 0;
}

/* string() when the token array is full: grown first. */
static __attribute__((noinline)) int
string_grown(parser *p)
{
    if (grow_toks(p)) return -1;
    return string(p);
}

static int
number(parser *p)
{
    long ti = newtok(p, MG_JT_NUM);
    if (ti < 0) return -1;
    const char *s = p->s;
    size_t i = p->pos, n = p->len;
    uint8_t isint = 1;
    bool real;
    size_t end = num_fast((const unsigned char *)s, i, n, &real);
    if (end) {
        i = end;
        isint = !real;
        goto done;
    }
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        /* not a value at all ("garbage"), or a sign without digits */
        return fail(p, i == p->pos ? "unexpected character" : "bad number");
    const unsigned char *u = (const unsigned char *)s;
    if (s[i] == '0') i++;
    else i = digits_end(u, i + 1, n);
    if (i < n && s[i] == '.') {
        isint = 0;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "bad number");
        i = digits_end(u, i + 1, n);
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        isint = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return fail(p, "bad number");
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
done:;
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

static int skipped_value(parser *p);

/* Is string token i (a key just read) the unescaped text key? */
static inline bool
is_key(const mg_jdoc *d, uint32_t i, const char *key)
{
    const mg_jtok *t = &d->t[i];
    size_t kl = strlen(key);
    return !t->esc && t->len == kl && !memcmp(d->s + t->start, key, kl);
}

/* Is the unescaped name a[0..la) before b[0..lb) in byte order (the
 * order of mg_jdoc_dup_key's sort)? Inline: names mostly differ in their
 * first bytes, and an object's names are compared as they are read. */
static inline bool
name_before(const char *a, uint32_t la, const char *b, uint32_t lb)
{
    uint32_t n = la < lb ? la : lb;
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return (unsigned char)a[i] < (unsigned char)b[i];
    return la < lb;
}

static int
container(parser *p, bool obj)
{
    if (++p->depth > MAX_DEPTH) return fail(p, "nested too deeply");
    long ti = newtok(p, obj ? MG_JT_OBJ : MG_JT_ARR);
    if (ti < 0) return -1;
    char close = obj ? '}' : ']';
    uint32_t count = 0, prev = 0; /* prev: the last name's token */
    bool sorted = obj;
    sepmark sep = {.len = 0};
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
                uint32_t ki = p->d->n - 1;
                const mg_jtok *kt = &p->d->t[ki];
                if (sorted && (kt->esc ||
                               (prev && !name_before(p->s + p->d->t[prev].start,
                                                     p->d->t[prev].len,
                                                     p->s + kt->start, kt->len))))
                    sorted = false;
                prev = ki;
                bool skip = p->depth == 1 && p->d->skip &&
                            is_key(p->d, ki, p->d->skip);
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':')
                    return fail(p, "expected ':'");
                p->pos++;
                /* The whitespace before a value is skipped by the caller,
                 * not in value(): after a name it is one space in an
                 * indented file, before an array's element mostly none
                 * (the separator took it), so each test goes the same way
                 * almost always (one test for both was mispredicted: 9%
                 * of the parse of a sample.json). */
                if (p->pos + 1 < p->len && p->s[p->pos] == ' ' &&
                    !(cls[(unsigned char)p->s[p->pos + 1]] & 1))
                    p->pos++;
                else
                    skip_ws(p);
                if (skip) {
                    if (p->pos < p->len &&
                        (p->s[p->pos] == '{' || p->s[p->pos] == '[')) {
                        if (skipped_value(p)) return -1;
                        goto member_done;
                    }
                }
            } else {
                skip_ws(p); /* what the separator matched may stop short */
            }
            if (value(p)) return -1;
        member_done:
            count++;
            const unsigned char *u = (const unsigned char *)p->s;
            if (p->pos + 16 <= p->len && sep_hit(&sep, u + p->pos)) {
                p->pos += sep.len;
                continue;
            }
            size_t i0 = p->pos;
            skip_ws(p);
            if (p->pos >= p->len) return fail(p, "unexpected end");
            char c = p->s[p->pos++];
            if (c == close) break;
            if (c != ',') return fail(p, obj ? "expected ',' or '}'"
                                             : "expected ',' or ']'");
            skip_ws(p);
            sep_set(&sep, u + i0, p->pos - i0);
        }
    }
    mg_jtok *t = &p->d->t[ti];
    t->n = count;
    t->len = (uint32_t)(p->pos - t->start);
    t->next = p->d->n;
    t->sorted = sorted;
    if (obj && !sorted) p->d->unsorted++;
    p->depth--;
    return 0;
}

/* ---- leaf arrays (MG_JDOC_LEAF_ARRAYS) ----
 * One loop over the array's bytes validates it (container()'s and
 * value()'s grammar, depth limit and messages) and writes its compact
 * text to d->c at the same time: no token, no call per element. (SSE2
 * run finders were tried and were slower: the runs of an indented
 * sample.json are a few bytes long.) */
/* First i' >= i with s[i'] not whitespace (or n). An indented file's
 * runs are a newline and many spaces: spaces go eight at a time (the
 * first byte of a word that is not a space: its lowest non-zero byte of
 * word ^ 0x20...20, on a little-endian machine). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDS 1
#endif

static inline size_t
ws_end(const unsigned char *s, size_t i, size_t n)
{
    if (i < n && !(cls[s[i]] & 1)) return i; /* no run: the usual case */
#ifdef WORDS
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w ^= 0x2020202020202020ULL;
        if (!w) {
            i += 8;
            continue;
        }
        i += (size_t)__builtin_ctzll(w) >> 3;
        if (!(cls[s[i]] & 1)) return i;
        i++; /* \n, \t or \r */
    }
#endif
    while (i < n && (cls[s[i]] & 1)) i++;
    return i;
}

/* First i' >= i with s[i'] not a digit (or n), eight bytes a step: with
 * a = byte ^ '0', a digit is a <= 9; the high bit of (a + 0x76) | a is set
 * for every other byte. A carry (from a byte >= 0x8A, itself flagged)
 * only reaches later bytes, so the first flagged byte is right. */
static inline size_t
digits_end(const unsigned char *s, size_t i, size_t n)
{
#ifdef WORDS
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w ^= 0x3030303030303030ULL;
        uint64_t nd = ((w + 0x7676767676767676ULL) | w) & 0x8080808080808080ULL;
        if (nd) return i + ((size_t)__builtin_ctzll(nd) >> 3);
        i += 8;
    }
#endif
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    return i;
}

/* First i' >= i with s[i'] a quote, backslash or control byte (or n),
 * eight bytes a step: the zero-byte test ((x - 0x01..) & ~x & 0x80..)
 * of byte ^ '"' and of byte ^ '\\', and (w - 0x20..) & ~w & 0x80.. for
 * bytes below 0x20. A borrow makes false flags only after a true one. */
#if defined(__SSE2__) && defined(WORDS)
#include <emmintrin.h>
#endif
/* plain_end's first part: true with *i at the first quote, backslash or
 * control byte at or after *i when one is found sixteen bytes a step;
 * false with *i where fewer than sixteen bytes are left (the rest is
 * plain_end's). Few registers: string()'s whole usual case. */
static inline bool
plain_steps(const unsigned char *s, size_t *ip, size_t n)
{
#if defined(__SSE2__) && defined(WORDS)
    /* sixteen bytes a step where they are there (most strings, keys, end
     * within the first): byte <= 0x1F as max(byte, 0x1F) == 0x1F */
    const __m128i quote = _mm_set1_epi8('"'), bsl = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1F);
    for (size_t i = *ip; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bsl)),
            _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        *ip = i;
        if (bits) {
            *ip = i + (size_t)__builtin_ctz(bits);
            return true;
        }
        *ip = i + 16;
    }
#else
    (void)s, (void)n;
#endif
    return false;
}

static inline size_t
plain_end(const unsigned char *s, size_t i, size_t n)
{
    if (plain_steps(s, &i, n)) return i;
    i = mg_json_plain_words(s, i, n);
    while (i < n && !(cls[s[i]] & 2)) i++;
    return i;
}

/* A number of the usual shape at s[i] ([-]digits[.digits], at most 16
 * bytes after the sign, no exponent) found with one 16-byte load: its end,
 * with *real set when it has a fraction; 0 when it is anything else (a
 * leading zero before more digits, an exponent, a longer or malformed
 * number, too near the end of the text), which the byte loop then
 * handles, messages and all. Digits are bytes d with d - '0' <= 9
 * unsigned: SSE2 compares are signed, so both sides are shifted by
 * 0x80. */
#if defined(__SSE2__) && defined(WORDS)
#include <emmintrin.h>
static inline size_t
num_fast(const unsigned char *s, size_t i, size_t n, bool *real)
{
    size_t j = i + (s[i] == '-');
    if (j + 16 > n) return 0;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + j));
    __m128i x = _mm_sub_epi8(v, _mm_set1_epi8('0' - 128));
    unsigned dig = (unsigned)_mm_movemask_epi8(
                       _mm_cmplt_epi8(x, _mm_set1_epi8(-128 + 10))) & 0xFFFF;
    unsigned dot = (unsigned)_mm_movemask_epi8(
                       _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
    unsigned a = (unsigned)__builtin_ctz(~dig); /* < 32: dig has 16 bits */
    if (a == 0 || a >= 16 || (s[j] == '0' && a > 1)) return 0;
    unsigned e = a;
    *real = false;
    if (dot >> a & 1) {
        unsigned b = (unsigned)__builtin_ctz(~(dig >> (a + 1)));
        e = a + 1 + b;
        if (b == 0 || e >= 16) return 0;
        *real = true;
    }
    if ((s[j + e] | 0x20) == 'e') return 0;
    return j + e;
}
#else
static inline size_t
num_fast(const unsigned char *s, size_t i, size_t n, bool *real)
{
    (void)s, (void)i, (void)n, (void)real;
    return 0;
}
#endif

/* Does the array end within the 16 bytes at s (a short array, or the
 * last element or two of a long one: not worth a number block,
 * jdoc_numblk.c)? */
#if defined(__SSE2__) && defined(WORDS)
static inline bool
ends_soon(const unsigned char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(']'))) != 0;
}
#else
static inline bool
ends_soon(const unsigned char *s)
{
    (void)s;
    return true;
}
#endif

/* Copy s[st..i) to o, which has 16 bytes of room past it: a short run
 * (most numbers) as one fixed 16-byte move, no call. */
static inline void
copy_run(char *o, const unsigned char *s, size_t st, size_t i, size_t n)
{
    if (i - st <= 16 && st + 16 <= n) memcpy(o, s + st, 16);
    else memcpy(o, s + st, i - st);
}

/* Validate the array at p->pos (its '[') without making tokens, writing
 * its compact text at *op (room: the array's length); its element count
 * in *count, its elements' MG_JK_* kinds in *kinds, p->pos past its ']'.
 * With scalars_only, an element that is an array or object stops it
 * early: 1, p->pos unchanged, nothing said (the caller tokenizes the
 * array instead). Without emit the compact text is not wanted: runs of
 * numbers are then validated only (*op still has the room). Works the
 * same on an object at p->pos. */
static int
skip_array(parser *p, uint32_t *count, char **op, uint8_t *kinds,
           bool scalars_only, bool emit)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = p->pos, n = p->len;
    char *o = *op;
    bool obj[MAX_DEPTH + 1]; /* obj[k]: the container at level k */
    int top = 0;             /* open containers; obj[1] is the array */
    uint32_t cnt = 0;
    unsigned kd = 0;
    bool in_key = false;
    int noblk = 0; /* mg_jdoc_num_block failed in the array at this level */
    const char *why;
    sepmark sep = {.len = 0}; /* one for all levels: see sep_hit */
#define FAIL(w) do { why = (w); goto bad; } while (0)
open:
    if (p->depth + top + 1 > MAX_DEPTH) FAIL("nested too deeply");
    obj[++top] = s[i] == '{';
    if (noblk >= top) noblk = 0;
    *o++ = (char)s[i++];
    i = ws_end(s, i, n);
    if (i < n && s[i] == (obj[top] ? '}' : ']')) {
        *o++ = (char)s[i++];
        goto closed;
    }
    if (!obj[top]) goto val;
key:
    i = ws_end(s, i, n);
    if (i >= n || s[i] != '"') FAIL("expected a key");
    in_key = true;
    goto str;
colon:
    i = ws_end(s, i, n);
    if (i >= n || s[i] != ':') FAIL("expected ':'");
    *o++ = ':';
    i++;
val:
    i = ws_end(s, i, n);
    if (i >= n) FAIL("unexpected end");
    if (!obj[top] && noblk != top && i + 80 <= n &&
        (s[i] == '-' || (unsigned)(s[i] - '0') < 10) && !ends_soon(s + i)) {
        size_t at = mg_jdoc_num_block(s, i, n, emit ? &o : NULL,
                                      top == 1 ? &kd : NULL,
                                      top == 1 ? &cnt : NULL);
        if (at) {
            i = at;
            goto val;
        }
        noblk = top; /* not such a run: not again in this array */
    }
    switch (s[i]) {
    case '{':
    case '[':
        if (scalars_only) return 1; /* top is 1: nothing opened yet */
        if (top == 1) kd |= MG_JK_CONT;
        goto open;
    case '"':
        if (top == 1) kd |= MG_JK_STR;
        goto str;
    case 't':
        if (top == 1) kd |= MG_JK_BOOL;
        if (n - i < 4 || memcmp(s + i, "true", 4)) FAIL("unexpected character");
        memcpy(o, "true", 4);
        o += 4;
        i += 4;
        goto done_value;
    case 'f':
        if (top == 1) kd |= MG_JK_BOOL;
        if (n - i < 5 || memcmp(s + i, "false", 5))
            FAIL("unexpected character");
        memcpy(o, "false", 5);
        o += 5;
        i += 5;
        goto done_value;
    case 'n':
        if (top == 1) kd |= MG_JK_NULL;
        if (n - i < 4 || memcmp(s + i, "null", 4)) FAIL("unexpected character");
        memcpy(o, "null", 4);
        o += 4;
        i += 4;
        goto done_value;
    default: {
        size_t st = i;
        bool real;
        size_t end = num_fast(s, i, n, &real);
        if (end) {
            if (top == 1) kd |= real ? MG_JK_REAL : MG_JK_INT;
            copy_run(o, s, st, end, n);
            o += end - st;
            i = end;
            goto done_value;
        }
        unsigned k = MG_JK_INT;
        size_t i0 = i;
        if (s[i] == '-') i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            FAIL(i == i0 ? "unexpected character" : "bad number");
        if (s[i] == '0') i++;
        else i = digits_end(s, i + 1, n);
        if (i < n && s[i] == '.') {
            i++;
            if (i >= n || s[i] < '0' || s[i] > '9') FAIL("bad number");
            i = digits_end(s, i + 1, n);
            k = MG_JK_REAL;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            if (i < n && (s[i] == '+' || s[i] == '-')) i++;
            if (i >= n || s[i] < '0' || s[i] > '9') FAIL("bad number");
            i = digits_end(s, i + 1, n);
            k = MG_JK_REAL;
        }
        if (top == 1) kd |= k;
        copy_run(o, s, st, i, n);
        o += i - st;
        goto done_value;
    }
    }
str: /* s[i] is an opening quote; in_key: a member's name */
    {
        size_t st = i++;
        for (;;) {
            i = plain_end(s, i, n);
            if (i >= n) FAIL("unterminated string");
            if (s[i] == '"') break;
            if (s[i] != '\\') FAIL("control character in string");
            if (++i >= n) FAIL("unterminated string");
            if (s[i] == 'u') {
                for (int k = 1; k <= 4; k++) {
                    unsigned char h = i + k < n ? s[i + k] : 0;
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                          (h >= 'A' && h <= 'F')))
                        FAIL("bad \\u escape");
                }
                i += 5;
            } else if (s[i] && strchr("\"\\/bfnrt", s[i])) {
                i++;
            } else {
                FAIL("bad escape in string");
            }
        }
        i++;
        copy_run(o, s, st, i, n);
        o += i - st;
    }
    if (in_key) {
        in_key = false;
        goto colon;
    }
done_value:
    if (top == 1) cnt++;
    if (i + 16 <= n && sep_hit(&sep, s + i)) {
        *o++ = ',';
        i += sep.len;
        if (obj[top]) goto key;
        goto val;
    }
    {
        size_t i0 = i;
        i = ws_end(s, i, n);
        if (i >= n) FAIL("unexpected end");
        unsigned char c = s[i++];
        if (c == ',') {
            *o++ = ',';
            i = ws_end(s, i, n);
            sep_set(&sep, s + i0, i - i0);
            if (obj[top]) goto key;
            goto val;
        }
        if (c != (obj[top] ? '}' : ']'))
            FAIL(obj[top] ? "expected ',' or '}'" : "expected ',' or ']'");
        *o++ = (char)c;
    }
closed:
    if (--top == 0) {
        p->pos = i;
        *count = cnt;
        *kinds = (uint8_t)kd;
        *op = o;
        return 0;
    }
    goto done_value;
bad:
    p->pos = i;
    return fail(p, why);
#undef FAIL
}

static int container(parser *p, bool obj);

/* An array as one token (MG_JDOC_LEAF_ARRAYS, or _SCALAR_ARRAYS and its
 * elements are scalars; else tokenized by container()). */
static int
leaf_array(parser *p)
{
    long ti = newtok(p, MG_JT_ARR);
    if (ti < 0) return -1;
    uint32_t count;
    uint8_t kinds = 0;
    mg_jdoc *d = p->d;
    char *o = d->c + d->clen;
    int rc = skip_array(p, &count, &o, &kinds,
                        !(p->flags & MG_JDOC_LEAF_ARRAYS), true);
    if (rc > 0) {
        d->n = (uint32_t)ti; /* not a leaf: its token is made again */
        return container(p, false);
    }
    if (rc) return -1;
    mg_jtok *t = &d->t[ti];
    t->leaf = 1;
    t->kinds = kinds;
    t->n = count;
    t->len = (uint32_t)(p->pos - t->start);
    t->next = (uint32_t)ti + 1;
    t->cstart = (uint32_t)d->clen;
    t->clen = (uint32_t)(o - (d->c + d->clen));
    d->clen += t->clen;
    return 0;
}

/* The value at p->pos (a '{' or '['), validated by skip_array's loop
 * (its compact text written to scratch room and dropped), as one token
 * (mg_jdoc.skip). */
static int
skipped_value(parser *p)
{
    mg_jdoc *d = p->d;
    long ti = newtok(p, p->s[p->pos] == '{' ? MG_JT_OBJ : MG_JT_ARR);
    if (ti < 0) return -1;
    uint32_t count;
    uint8_t kinds = 0;
    char *o = d->c + d->clen;
    if (skip_array(p, &count, &o, &kinds, false, false)) return -1;
    mg_jtok *t = &d->t[ti];
    t->skipped = 1;
    t->n = count;
    t->len = (uint32_t)(p->pos - t->start);
    t->next = (uint32_t)ti + 1;
    return 0;
}

/* The value at p->pos, whitespace before it skipped by the caller. */
static int
value(parser *p)
{
    if (p->pos >= p->len) return fail(p, "unexpected end");
    switch (p->s[p->pos]) {
    case '{': return container(p, true);
    case '[': return p->flags ? leaf_array(p) : container(p, false);
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
    return mg_jdoc_parse_opt(d, text, len, 0, err, errlen);
}

int
mg_jdoc_parse_opt(mg_jdoc *d, const char *text, size_t len, unsigned flags,
                  char *err, size_t errlen)
{
    d->s = text;
    d->n = 0;
    d->unsorted = 0;
    flags &= MG_JDOC_LEAF_ARRAYS | MG_JDOC_SCALAR_ARRAYS;
    d->shallow = flags != 0;
    if (len >= UINT32_MAX) return mg_errf(err, errlen, "file too large");
    d->clen = 0;
    if ((d->shallow || d->skip) && d->ccap < len + 17) {
        /* Compact text never outgrows the text (copy_run: 16 more). */
        size_t cap = d->ccap ? d->ccap : 65536;
        while (cap < len + 17) cap *= 2;
        char *c = realloc(d->c, cap);
        if (!c) return mg_errf(err, errlen, "out of memory");
        d->c = c;
        d->ccap = cap;
    }
    parser p = {.d = d, .s = text, .len = len, .err = err, .errlen = errlen,
                .flags = flags};
    skip_ws(&p);
    if (value(&p)) return -1;
    skip_ws(&p);
    if (p.pos != len) return fail(&p, "text after the value");
    return 0;
}

size_t
mg_jdoc_compact(const mg_jdoc *d, uint32_t i, char *out)
{
    const mg_jtok *t = &d->t[i];
    const unsigned char *s = (const unsigned char *)d->s + t->start;
    if (t->type == MG_JT_STR) {
        out[0] = '"';
        memcpy(out + 1, s, t->len);
        out[t->len + 1] = '"';
        return (size_t)t->len + 2;
    }
    if (t->type != MG_JT_ARR && t->type != MG_JT_OBJ) {
        memcpy(out, s, t->len);
        return t->len;
    }
    if (t->type == MG_JT_ARR && t->leaf) {
        memcpy(out, d->c + t->cstart, t->clen);
        return t->clen;
    }
    /* The text is valid JSON: drop whitespace outside strings, copy each
     * string whole (an escaped quote does not end it). Branch-free on the
     * whitespace, which is most of an indented file. */
    const unsigned char *e = s + t->len;
    char *o = out;
    while (s < e) {
        unsigned char c = *s++;
        *o = (char)c;
        o += !(cls[c] & 1);
        if (c == '"') {
            for (;;) {
                c = *s++;
                *o++ = (char)c;
                if (c == '"') break;
                if (c == '\\') *o++ = (char)*s++;
            }
        }
    }
    return (size_t)(o - out);
}

void
mg_jdoc_free(mg_jdoc *d)
{
    free(d->t);
    free(d->c);
    d->t = NULL;
    d->c = NULL;
    d->n = d->cap = 0;
    d->clen = d->ccap = 0;
}

