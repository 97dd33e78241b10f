/*
 * wavhdr — RIFF/WAVE header parser (see wavhdr.h).
 */
#include "wavhdr.h"

#include <stdbool.h>
#include <string.h>

#include "bytes.h"

const char *
mg_wavhdr_parse(const unsigned char *b, size_t n, mg_wavhdr *h)
{
    memset(h, 0, sizeof *h);
    if (n < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4))
        return "not a RIFF/WAVE file";
    size_t off = 12;
    bool fmt = false;
    while (off + 8 <= n) {
        uint32_t size = mg_le32(b + off + 4);
        if (!memcmp(b + off, "fmt ", 4)) {
            if (size < 16 || off + 8 + 16 > n) return "short fmt chunk";
            h->channels = mg_le16(b + off + 10);
            h->rate = mg_le32(b + off + 12);
            h->block_align = mg_le16(b + off + 20);
            fmt = true;
        } else if (!memcmp(b + off, "data", 4)) {
            if (!fmt) return "data chunk before fmt chunk";
            if (!h->channels || !h->rate || !h->block_align)
                return "fmt chunk with zero channels, rate or block size";
            h->data_off = off + 8;
            h->data_size = size;
            h->ok = 1;
            return NULL;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    return "no data chunk in the file's first bytes read";
}
