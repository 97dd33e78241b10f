/*
 * gbuf — growable buffer and JSON string escaping (contract in gbuf.h).
 * Capacity doubles from 4 KiB, so n puts cost O(total bytes).
 */
#include "gbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytes.h"

int
mg_gbuf_grow(mg_gbuf *b, size_t n)
{
    if (b->oom) return -1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
        b->oom = 1;
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

void
mg_gbuf_puts(mg_gbuf *b, const char *s)
{
    mg_gbuf_put(b, s, strlen(s));
}

void
mg_gbuf_free(mg_gbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* First i' >= i with s[i'] a quote, backslash or control byte (or n).
 * (Paths and names, most of what export writes as strings, have nothing
 * to escape: the word step takes them.) */
static inline size_t
plain_end(const char *s, size_t i, size_t n)
{
    i = mg_json_plain_words((const unsigned char *)s, i, n);
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\') break;
    }
    return i;
}

void
mg_gbuf_jstrn(mg_gbuf *b, const char *s, size_t n)
{
    mg_gbuf_putc(b, '"');
    size_t run = 0; /* start of the current run of plain bytes */
    for (size_t i = 0; (i = plain_end(s, i, n)) < n; i++) {
        unsigned char c = (unsigned char)s[i];
        mg_gbuf_put(b, s + run, i - run);
        run = i + 1;
        char esc[8];
        switch (c) {
        case '"': mg_gbuf_puts(b, "\\\""); break;
        case '\\': mg_gbuf_puts(b, "\\\\"); break;
        case '\n': mg_gbuf_puts(b, "\\n"); break;
        case '\r': mg_gbuf_puts(b, "\\r"); break;
        case '\t': mg_gbuf_puts(b, "\\t"); break;
        case '\b': mg_gbuf_puts(b, "\\b"); break;
        case '\f': mg_gbuf_puts(b, "\\f"); break;
        default:
            snprintf(esc, sizeof esc, "\\u%04x", c);
            mg_gbuf_puts(b, esc);
        }
    }
    mg_gbuf_put(b, s + run, n - run);
    mg_gbuf_putc(b, '"');
}
