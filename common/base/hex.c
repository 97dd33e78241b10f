/*
 * hex — bytes to lowercase hexadecimal (contract in hex.h). A table
 * lookup per nibble: no printf per byte.
 */
#include "hex.h"

void
mg_hex(const unsigned char *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = 0;
}
