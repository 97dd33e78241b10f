/*
 * gbuf — a growable byte buffer with sticky out-of-memory, and JSON
 * string literals written into it. One for every text and binary writer
 * (jsonout's canonical JSON, export's rows, the Parquet writer's pages).
 *
 * Invariants: after a successful put there is always one spare byte past
 * len (room for a NUL); once an allocation fails, oom stays set, the
 * buffer keeps what it had and later puts do nothing, so a writer checks
 * oom once at the end.
 */
#ifndef MG_GBUF_H
#define MG_GBUF_H

#include <stddef.h>
#include <string.h>

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} mg_gbuf;

/* Make room for len + n + 1 bytes; 0, or -1 (oom set). */
int mg_gbuf_grow(mg_gbuf *b, size_t n);

static inline int
mg_gbuf_reserve(mg_gbuf *b, size_t n)
{
    return b->len + n + 1 <= b->cap ? 0 : mg_gbuf_grow(b, n);
}

static inline void
mg_gbuf_put(mg_gbuf *b, const void *s, size_t n)
{
    if (!n || mg_gbuf_reserve(b, n)) return; /* s may be NULL when n is 0 */
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void
mg_gbuf_putc(mg_gbuf *b, char c)
{
    if (mg_gbuf_reserve(b, 1)) return;
    b->p[b->len++] = c;
}

void mg_gbuf_puts(mg_gbuf *b, const char *s);
void mg_gbuf_free(mg_gbuf *b);

/* s[0..n) as a JSON string literal: quotes, \" \\ \n \r \t \b \f, other
 * control bytes as \u00XX, valid UTF-8 as is, and each byte of no valid
 * UTF-8 sequence as U+FFFD (utf8.h: JSON text is UTF-8). */
void mg_gbuf_jstrn(mg_gbuf *b, const char *s, size_t n);
static inline void
mg_gbuf_jstr(mg_gbuf *b, const char *s)
{
    mg_gbuf_jstrn(b, s, strlen(s));
}

#endif
