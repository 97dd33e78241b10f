/*
 * bytes — little- and big-endian field readers for the binary formats we
 * parse (RIFF/WAV, AIFF and AU headers, SoundFont chunks), a short byte-run compare and
 * the JSON string scan's word step: one definition each, inline.
 */
#ifndef MG_BYTES_H
#define MG_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t
mg_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint16_t
mg_le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint64_t
mg_le64(const unsigned char *p)
{
    return (uint64_t)mg_le32(p) | (uint64_t)mg_le32(p + 4) << 32;
}

static inline uint32_t
mg_be32(const unsigned char *p)
{
    return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
           (uint32_t)p[0] << 24;
}

static inline uint16_t
mg_be16(const unsigned char *p)
{
    return (uint16_t)(p[1] | p[0] << 8);
}

/* Whether a[0..n) equals b[0..n): a short run (a dictionary string, a
 * field name: most are under 16 bytes) in two overlapping loads a side,
 * no call; a longer one by memcmp. */
static inline bool
mg_bytes_eq(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    if (n >= 8) {
        if (n > 16) return !memcmp(x, y, n);
        uint64_t a0, b0, a1, b1;
        memcpy(&a0, x, 8);
        memcpy(&b0, y, 8);
        memcpy(&a1, x + n - 8, 8);
        memcpy(&b1, y + n - 8, 8);
        return !((a0 ^ b0) | (a1 ^ b1));
    }
    if (n >= 4) {
        uint32_t a0, b0, a1, b1;
        memcpy(&a0, x, 4);
        memcpy(&b0, y, 4);
        memcpy(&a1, x + n - 4, 4);
        memcpy(&b1, y + n - 4, 4);
        return !((a0 ^ b0) | (a1 ^ b1));
    }
    unsigned d = 0;
    for (size_t i = 0; i < n; i++) d |= (unsigned)(x[i] ^ y[i]);
    return !d;
}

/* The first i' >= i where s[i'] is a quote, a backslash or a control
 * byte (what a JSON string must escape), eight bytes a step on a
 * little-endian machine: the zero-byte test ((x - 0x01..) & ~x & 0x80..)
 * of byte ^ '"' and byte ^ '\\', and (w - 0x20..) & ~w & 0x80.. for bytes
 * below 0x20 (a borrow makes false flags only after a true one). Stops
 * there, or where fewer than eight bytes are left: the caller's byte loop
 * finishes (at once when s[i'] is such a byte). Elsewhere: i. With
 * stop_high, a byte >= 0x80 stops it too (a writer checking UTF-8). */
static inline size_t
mg_json_words_(const unsigned char *s, size_t i, size_t n, bool stop_high)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, high = ones << 7;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t q = w ^ (ones * '"'), k = w ^ (ones * '\\');
        uint64_t hit = (((q - ones) & ~q) | ((k - ones) & ~k) |
                        ((w - ones * 0x20) & ~w) | (stop_high ? w : 0)) &
                       high;
        if (hit) return i + ((size_t)__builtin_ctzll(hit) >> 3);
        i += 8;
    }
#else
    (void)s;
    (void)n;
    (void)stop_high;
#endif
    return i;
}

static inline size_t
mg_json_plain_words(const unsigned char *s, size_t i, size_t n)
{
    return mg_json_words_(s, i, n, false);
}

/* The same, stopping at a byte >= 0x80 as well. */
static inline size_t
mg_json_ascii_words(const unsigned char *s, size_t i, size_t n)
{
    return mg_json_words_(s, i, n, true);
}

#endif
