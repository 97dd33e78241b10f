/*
 * gbuf — growable buffer and JSON string escaping (contract in gbuf.h).
 * Capacity doubles from 4 KiB, so n puts cost O(total bytes).
 */
#include "gbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytes.h"
#include "utf8.h"

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

/* First i' >= i with s[i'] a quote, backslash or control byte, or a
 * byte of no valid UTF-8 sequence (or n). (Paths and names, most of what
 * export writes as strings, have nothing to escape: the word step takes
 * their ASCII.) */
static inline size_t
plain_end(const char *s, size_t i, size_t n)
{
    i = mg_json_ascii_words((const unsigned char *)s, i, n);
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\') break;
        if (c >= 0x80) {
            size_t k = mg_utf8_seq((const unsigned char *)s + i, n - i);
            if (!k) break;
            i += k - 1;
        }
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
            /* JSON is UTF-8: a stray byte (a path's; file names are
             * bytes) is U+FFFD, the text stays readable and valid */
            if (c >= 0x80) {
                mg_gbuf_put(b, "\xEF\xBF\xBD", 3);
                break;
            }
            snprintf(esc, sizeof esc, "\\u%04x", c);
            mg_gbuf_puts(b, esc);
        }
    }
    mg_gbuf_put(b, s + run, n - run);
    mg_gbuf_putc(b, '"');
}
