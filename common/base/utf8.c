/*
 * utf8 — validity and repair of UTF-8 text (rules in utf8.h).
 */
#include "utf8.h"

#include <string.h>

size_t
mg_utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;

    if (c < 0x80) return avail ? 1 : 0;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    else return 0;
    if (avail < n) return 0;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return n;
}

long
mg_utf8_bad(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) { /* the common case: no call */
            i++;
            continue;
        }
        size_t k = mg_utf8_seq(p + i, n - i);
        if (!k) return (long)i;
        i += k;
    }
    return -1;
}

bool
mg_utf8_valid(const char *s)
{
    return mg_utf8_bad(s, strlen(s)) < 0;
}

size_t
mg_utf8_fix(const char *s, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), len = 0, kept = 0; /* kept: bytes in out */
    bool full = !cap;
    for (size_t i = 0; i < n;) {
        size_t k = mg_utf8_seq(p + i, n - i);
        size_t m = k ? k : 3;
        if (!full && kept + m < cap) {
            memcpy(out + kept, k ? s + i : "\xEF\xBF\xBD", m);
            kept += m;
        } else {
            full = true; /* never half a character */
        }
        len += m;
        i += k ? k : 1;
    }
    if (cap) out[kept] = 0;
    return len;
}
