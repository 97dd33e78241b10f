/*
 * png — indexed-colour PNG writer (see png.h). Chunks: IHDR, PLTE, IDAT
 * (zlib stream of stored deflate blocks, Adler-32), IEND; each with its
 * CRC-32. Every row starts with filter type 0.
 */
#include "png.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
crc32_update(uint32_t c, const uint8_t *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {           /* idempotent: racing threads write the same */
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t k = i;
            for (int j = 0; j < 8; j++)
                k = k & 1 ? 0xedb88320u ^ (k >> 1) : k >> 1;
            table[i] = k;
        }
        ready = 1;
    }
    c ^= 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void
be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* type + data at o[4..], length before it, CRC after; returns bytes. */
static size_t
chunk(uint8_t *o, const char *type, const uint8_t *data, size_t n)
{
    be32(o, (uint32_t)n);
    memcpy(o + 4, type, 4);
    if (n && data != o + 8)
        memmove(o + 8, data, n);
    be32(o + 8 + n, crc32_update(0, o + 4, n + 4));
    return n + 12;
}

/* The zlib stream of a w x h picture: its bytes, stored blocks of at
 * most 65535 bytes (rows with their filter byte) */
static size_t
zlib_len(int w, int h)
{
    size_t raw = (size_t)h * ((size_t)w + 1);
    size_t blocks = (raw + 65534) / 65535;
    return 2 + raw + blocks * 5 + 4;
}

size_t
mg_png_size(int w, int h, int npal)
{
    if (w <= 0 || h <= 0 || w > 16384 || h > 16384 || npal < 1 ||
        npal > 256)
        return 0;
    return 8 + 25 + 12 + (size_t)npal * 3 + 12 + zlib_len(w, h) + 12;
}

int
mg_png_encode(const uint8_t *pix, int w, int h, const uint8_t *pal,
              int npal, uint8_t **out, size_t *len)
{
    size_t total = mg_png_size(w, h, npal);
    if (!total)
        return -1;
    size_t raw = (size_t)h * ((size_t)w + 1);
    size_t zlen = zlib_len(w, h);
    uint8_t *o = malloc(total), *z = malloc(zlen);
    if (!o || !z) {
        free(o);
        free(z);
        return -1;
    }
    static const uint8_t sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    memcpy(o, sig, 8);
    size_t at = 8;
    uint8_t ihdr[13];
    be32(ihdr, (uint32_t)w);
    be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;        /* bit depth */
    ihdr[9] = 3;        /* indexed colour */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    at += chunk(o + at, "IHDR", ihdr, 13);
    at += chunk(o + at, "PLTE", pal, (size_t)npal * 3);
    /* zlib: CMF/FLG for deflate, 32K window, no dictionary */
    size_t zi = 0;
    z[zi++] = 0x78;
    z[zi++] = 0x01;
    uint32_t a = 1, b = 0;
    size_t left = raw, row = 0, col = 0;
    while (left) {
        size_t n = left > 65535 ? 65535 : left;
        left -= n;
        z[zi++] = left ? 0 : 1;
        z[zi++] = (uint8_t)n;
        z[zi++] = (uint8_t)(n >> 8);
        z[zi++] = (uint8_t)~n;
        z[zi++] = (uint8_t)(~n >> 8);
        for (size_t k = 0; k < n; k++) {
            uint8_t v;
            if (col == 0)
                v = 0;          /* filter: none */
            else
                v = pix[row * (size_t)w + col - 1];
            if (++col > (size_t)w) {
                col = 0;
                row++;
            }
            z[zi++] = v;
            a = (a + v) % 65521;
            b = (b + a) % 65521;
        }
    }
    be32(z + zi, (b << 16) | a);
    zi += 4;
    memcpy(o + at + 8, z, zi);
    at += chunk(o + at, "IDAT", o + at + 8, zi);
    at += chunk(o + at, "IEND", NULL, 0);
    free(z);
    *out = o;
    *len = at;
    return 0;
}
