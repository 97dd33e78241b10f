/*
 * bytes — little-endian field readers for the binary formats we parse
 * (RIFF/WAV headers, SoundFont chunks), and a short byte-run compare:
 * one definition, inline.
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

#endif
