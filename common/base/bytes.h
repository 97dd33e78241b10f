/*
 * bytes — little-endian field readers for the binary formats we parse
 * (RIFF/WAV headers, SoundFont chunks): one definition, inline.
 */
#ifndef MG_BYTES_H
#define MG_BYTES_H

#include <stdint.h>

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

#endif
