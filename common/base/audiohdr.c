/*
 * audiohdr — the length an audio file's header claims (see audiohdr.h).
 */
#include "audiohdr.h"

#include <stdbool.h>
#include <string.h>

#include "bytes.h"
#include "wavhdr.h"

/* Wave64's GUIDs: the first four bytes name the chunk ("riff", "wave",
 * "fmt ", "data"), all but "riff" end alike */
static const unsigned char w64_tail[12] = {0xF3, 0xAC, 0xD3, 0x11, 0x8C,
                                           0xD1, 0x00, 0xC0, 0x4F, 0x8E,
                                           0xDB, 0x8A};

/* RF64 (and BW64): RIFF chunks, the sizes in the ds64 chunk */
static const char *
rf64_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    uint64_t ds64 = 0;
    unsigned block = 0;
    size_t off = 12;

    while (off + 8 <= n) {
        uint32_t size = mg_le32(b + off + 4);
        if (!memcmp(b + off, "ds64", 4) && off + 8 + 16 <= n) {
            ds64 = mg_le64(b + off + 16);
        } else if (!memcmp(b + off, "fmt ", 4) && off + 8 + 16 <= n) {
            block = mg_le16(b + off + 20);
        } else if (!memcmp(b + off, "data", 4)) {
            if (!block) return "no fmt chunk before the data chunk";
            h->block_align = block;
            h->data_off = off + 8;
            h->data_size = size == UINT32_MAX ? ds64 : size;
            return NULL;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    return "no data chunk in the file's first bytes read";
}

static const char *
w64_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    unsigned block = 0;
    size_t off = 40;

    while (off + 24 <= n && !memcmp(b + off + 4, w64_tail, 12)) {
        uint64_t size = mg_le64(b + off + 16);
        if (size < 24) return "a chunk shorter than its header";
        if (!memcmp(b + off, "fmt ", 4) && off + 24 + 14 <= n) {
            block = mg_le16(b + off + 24 + 12);
        } else if (!memcmp(b + off, "data", 4)) {
            if (!block) return "no fmt chunk before the data chunk";
            h->block_align = block;
            h->data_off = off + 24;
            h->data_size = size - 24;
            return NULL;
        }
        if (size > n) break;
        off += (size_t)((size + 7) & ~(uint64_t)7);
    }
    return "no data chunk in the file's first bytes read";
}

/* AIFF and AIFC: the frame count is COMM's, the samples SSND's; a frame's
 * bytes are known for PCM, float and the 8-bit laws */
static const char *
aiff_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    bool aifc = !memcmp(b + 8, "AIFC", 4);
    uint64_t frames = 0, data_off = 0;
    unsigned bytes = 0, ch = 0;
    size_t off = 12;

    while (off + 8 <= n && (!bytes || !data_off)) {
        uint32_t size = mg_be32(b + off + 4);
        if (!memcmp(b + off, "COMM", 4) && off + 8 + 18 <= n) {
            const unsigned char *c = b + off + 8;
            ch = mg_be16(c);
            frames = mg_be32(c + 2);
            bytes = (mg_be16(c + 6) + 7u) / 8;
            if (aifc && size >= 22 && off + 8 + 22 <= n) {
                const unsigned char *t = c + 18;
                if (!memcmp(t, "fl32", 4) || !memcmp(t, "FL32", 4))
                    bytes = 4;
                else if (!memcmp(t, "fl64", 4) || !memcmp(t, "FL64", 4))
                    bytes = 8;
                else if (!memcmp(t, "ulaw", 4) || !memcmp(t, "ULAW", 4) ||
                         !memcmp(t, "alaw", 4) || !memcmp(t, "ALAW", 4))
                    bytes = 1;
                else if (memcmp(t, "NONE", 4) && memcmp(t, "twos", 4) &&
                         memcmp(t, "sowt", 4) && memcmp(t, "in24", 4) &&
                         memcmp(t, "in32", 4) && memcmp(t, "raw ", 4))
                    return "a compressed AIFC encoding";
            }
            if (!ch || !bytes) return "COMM chunk with no channels or bits";
        } else if (!memcmp(b + off, "SSND", 4) && off + 16 <= n) {
            data_off = off + 16 + (uint64_t)mg_be32(b + off + 8);
        }
        off += 8 + (size_t)size + (size & 1);
    }
    if (!bytes || !data_off) return "no COMM or SSND chunk in the first bytes";
    h->block_align = ch * bytes;
    h->data_off = data_off;
    h->data_size = frames * h->block_align;
    return NULL;
}

/* Sun/NeXT .snd, big-endian (".snd") or little-endian ("dns.") */
static const char *
au_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    bool be = !memcmp(b, ".snd", 4);
    uint32_t (*rd)(const unsigned char *) = be ? mg_be32 : mg_le32;
    static const unsigned char bytes[] = {0, 1, 1, 2, 3, 4, 4, 8};
    uint32_t enc, ch, size;

    if (n < 24) return "short AU header";
    size = rd(b + 8), enc = rd(b + 12), ch = rd(b + 20);
    if (size == UINT32_MAX) return "unknown length";
    if (!ch || ch > 1024 || (enc >= sizeof bytes && enc != 27) || !enc)
        return "an AU encoding whose frame size is not fixed";
    h->block_align = ch * (enc == 27 ? 1 : bytes[enc]);
    h->data_off = rd(b + 4);
    h->data_size = size;
    return NULL;
}

const char *
mg_audiohdr_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    mg_wavhdr w;
    const char *why;

    memset(h, 0, sizeof *h);
    if (n < 12) return "too short for a header";
    if (!memcmp(b, "RIFF", 4)) {
        h->kind = "WAV";
        if ((why = mg_wavhdr_parse(b, n, &w))) return why;
        if (w.data_size == UINT32_MAX) return "unknown length";
        h->block_align = w.block_align;
        h->data_off = w.data_off;
        h->data_size = w.data_size;
        return NULL;
    }
    if ((!memcmp(b, "RF64", 4) || !memcmp(b, "BW64", 4)) &&
        !memcmp(b + 8, "WAVE", 4)) {
        h->kind = "RF64";
        why = rf64_claim(b, n, h);
    } else if (n >= 40 && !memcmp(b, "riff", 4) && !memcmp(b + 24, "wave", 4) &&
               !memcmp(b + 28, w64_tail, 12)) {
        h->kind = "Wave64";
        why = w64_claim(b, n, h);
    } else if (!memcmp(b, "FORM", 4) &&
               (!memcmp(b + 8, "AIFF", 4) || !memcmp(b + 8, "AIFC", 4))) {
        h->kind = "AIFF";
        why = aiff_claim(b, n, h);
    } else if (!memcmp(b, ".snd", 4) || !memcmp(b, "dns.", 4)) {
        h->kind = "AU";
        why = au_claim(b, n, h);
    } else {
        return "not a format whose header claims a length";
    }
    return why;
}
