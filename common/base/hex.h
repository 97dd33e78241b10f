/*
 * hex — bytes as lowercase hexadecimal text (SHA-256 digests in
 * sample.json checksums, font and genre fingerprints, verify reports).
 *
 * Invariant: out receives exactly 2 * n digits and a NUL (2 * n + 1
 * bytes); the same bytes always give the same text.
 */
#ifndef MG_HEX_H
#define MG_HEX_H

#include <stddef.h>

/* Write the 2n hex digits of bytes[0..n) and a NUL to out. */
void mg_hex(const unsigned char *bytes, size_t n, char *out);

/* A SHA-256 digest (32 bytes) as its 64 digits. */
static inline void
mg_hex_sha256(const unsigned char digest[32], char out[65])
{
    mg_hex(digest, 32, out);
}

#endif
