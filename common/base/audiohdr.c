/*
 * audiohdr — the length an audio file's header claims (see audiohdr.h).
 *
 * One parser per format, each reading the fields libsndfile reads, and
 * each checking that a field lies inside the n bytes before reading it.
 */
#include "audiohdr.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

static const char no_data[] = "no data chunk in the file's first bytes read";

/* A WAVE format tag whose frames have a fixed size: PCM, IEEE float,
 * A-law, mu-law. */
static bool
wave_fixed(unsigned tag)
{
    return tag == 1 || tag == 3 || tag == 6 || tag == 7;
}

/* A compressed encoding's "fact" frame count, believed where it could be
 * true (no codec packs more than 8 samples in a byte): libsndfile writes
 * 2^63 - 10^4 in a Wave64 MS ADPCM file's. */
static uint64_t
fact_frames(uint64_t fact, uint64_t data_size)
{
    return data_size <= UINT64_MAX / 8 && fact <= data_size * 8 ? fact : 0;
}

/* The format tag of a "fmt " chunk's body f of size bytes (for
 * WAVE_FORMAT_EXTENSIBLE, its sub-format's), 0 when not in the bytes. */
static unsigned
wave_tag(const unsigned char *f, uint64_t size, size_t avail)
{
    unsigned tag = avail >= 2 ? mg_le16(f) : 0;
    if (tag == 0xFFFE)
        tag = size >= 26 && avail >= 26 ? mg_le16(f + 24) : 0;
    return tag;
}

/* WAV and RF64 (and BW64): RIFF chunks up to "data"; RF64's sizes in its
 * ds64 chunk. A compressed encoding's frames are its "fact" chunk's. */
static const char *
riff_claim(const unsigned char *b, size_t n, bool rf64, mg_audiohdr *h)
{
    uint64_t ds64 = 0, fact = 0;
    unsigned block = 0, tag = 0;
    bool fmt = false;
    size_t off = 12;

    while (off + 8 <= n) {
        uint32_t size = mg_le32(b + off + 4);
        if (!memcmp(b + off, "ds64", 4) && off + 8 + 16 <= n) {
            ds64 = mg_le64(b + off + 16);
        } else if (!memcmp(b + off, "fmt ", 4)) {
            if (size < 16 || off + 8 + 16 > n) return "short fmt chunk";
            tag = wave_tag(b + off + 8, size, n - off - 8);
            block = mg_le16(b + off + 20);
            fmt = true;
        } else if (!memcmp(b + off, "fact", 4) && off + 12 <= n) {
            fact = mg_le32(b + off + 8);
        } else if (!memcmp(b + off, "data", 4)) {
            if (!fmt || !block) return "no fmt chunk before the data chunk";
            if (size == UINT32_MAX && !rf64) return "unknown length";
            h->data_off = off + 8;
            h->data_size = rf64 && size == UINT32_MAX ? ds64 : size;
            if (wave_fixed(tag))
                h->block_align = block;
            else
                h->frames = fact_frames(fact, h->data_size);
            return NULL;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    return no_data;
}

/* Wave64's GUIDs: the first four bytes name the chunk ("riff", "wave",
 * "fmt ", "fact", "data"), all but "riff" end alike */
static const unsigned char w64_tail[12] = {0xF3, 0xAC, 0xD3, 0x11, 0x8C,
                                           0xD1, 0x00, 0xC0, 0x4F, 0x8E,
                                           0xDB, 0x8A};

static const char *
w64_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    uint64_t fact = 0;
    unsigned block = 0, tag = 0;
    size_t off = 40;

    while (off + 24 <= n && !memcmp(b + off + 4, w64_tail, 12)) {
        uint64_t size = mg_le64(b + off + 16);
        if (size < 24) return "a chunk shorter than its header";
        if (!memcmp(b + off, "fmt ", 4) && off + 24 + 14 <= n) {
            tag = wave_tag(b + off + 24, size - 24, n - off - 24);
            block = mg_le16(b + off + 24 + 12);
        } else if (!memcmp(b + off, "fact", 4) && off + 32 <= n) {
            fact = mg_le64(b + off + 24);
        } else if (!memcmp(b + off, "data", 4)) {
            if (!block) return "no fmt chunk before the data chunk";
            h->data_off = off + 24;
            h->data_size = size - 24;
            if (wave_fixed(tag))
                h->block_align = block;
            else
                h->frames = fact_frames(fact, h->data_size);
            return NULL;
        }
        if (size > n) break;
        off += (size_t)((size + 7) & ~(uint64_t)7);
    }
    return no_data;
}

/* AIFF and AIFC: the frame count is COMM's, the samples SSND's, the two
 * chunks in either order (the spec fixes none; libsndfile reads a COMM
 * after the sound data). A frame's bytes are known for PCM, float and
 * the 8-bit laws; a compressed encoding claims SSND's bytes and COMM's
 * frames (ima4 counts packets of 64). A COMM past the bytes read (after
 * a long SSND) leaves the frame size to the caller. */
static const char *
aiff_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    bool aifc = !memcmp(b + 8, "AIFC", 4), comm = false, packed = false;
    uint64_t frames = 0, data_off = 0, ssnd = 0;
    unsigned bytes = 0, ch = 0, per = 1;
    size_t off = 12;

    while (off + 8 <= n && (!comm || !data_off)) {
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
                    packed = true;
                if (!memcmp(t, "ima4", 4))
                    per = 64;
            }
            if (!ch || (!bytes && !packed))
                return "COMM chunk with no channels or bits";
            comm = true;
        } else if (!memcmp(b + off, "SSND", 4) && off + 16 <= n) {
            uint32_t skip = mg_be32(b + off + 8);
            data_off = off + 16 + (uint64_t)skip;
            ssnd = size >= 8 + (uint64_t)skip ? size - 8 - (uint64_t)skip : 0;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    if (!data_off) return "no SSND chunk in the first bytes";
    h->data_off = data_off;
    if (comm && !packed) {
        h->block_align = ch * bytes;
        h->data_size = frames * h->block_align;
    } else {
        h->data_size = ssnd;
        h->frames = comm ? frames * per : 0;
    }
    return NULL;
}

/* Sun/NeXT .snd, big-endian (".snd") or little-endian ("dns."); the
 * G.72x encodings pack a sample in 4, 3 or 5 bits */
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
    if (!ch || ch > 1024) return "an AU header with no channels";
    h->data_off = rd(b + 4);
    h->data_size = size;
    if (enc == 23 || enc == 25 || enc == 26) {
        unsigned bits = enc == 23 ? 4 : enc == 25 ? 3 : 5;
        h->frames = (uint64_t)size * 8 / bits / ch;
        return NULL;
    }
    if ((enc >= sizeof bytes && enc != 27) || !enc)
        return "an AU encoding whose frame size is not fixed";
    h->block_align = ch * (enc == 27 ? 1 : bytes[enc]);
    return NULL;
}

/* NIST SPHERE: "NIST_1A\n", the header's size, then "name -type value"
 * lines up to "end_head" */
static const char *
nist_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    char txt[4096];
    long long count = -1, ch = 1, bytes = 0, hsize;
    size_t len = n < sizeof txt - 1 ? n : sizeof txt - 1;

    memcpy(txt, b, len);
    txt[len] = 0;
    hsize = strtoll(txt + 8, NULL, 10);
    if (hsize < 16 || !strstr(txt, "end_head")) return "short NIST header";
    /* "name -i 42" or "name -s2 42": the value after the type */
    for (char *l = txt; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        char *v = strchr(l, ' '), *nl = strchr(l, '\n');
        if (!v || (nl && v > nl) || v[1] != '-') continue;
        v = strchr(v + 1, ' ');
        if (!v || (nl && v > nl)) continue;
        long long x = strtoll(v + 1, NULL, 10);
        if (!strncmp(l, "sample_count ", 13)) count = x;
        else if (!strncmp(l, "channel_count ", 14)) ch = x;
        else if (!strncmp(l, "sample_n_bytes ", 15)) bytes = x;
    }
    if (count < 0) return "no sample_count";
    if (ch < 1 || ch > 1024 || bytes < 1 || bytes > 8)
        return "no channel_count or sample_n_bytes";
    h->block_align = (unsigned)(ch * bytes);
    h->data_off = (uint64_t)hsize;
    h->data_size = (uint64_t)count > UINT64_MAX / h->block_align
                       ? UINT64_MAX : (uint64_t)count * h->block_align;
    return NULL;
}

/* IRCAM: a 1024-byte header, no length; the encoding's low four bits are
 * a sample's bytes */
static const char *
ircam_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    uint32_t ch, enc;
    if (n < 16) return "short IRCAM header";
    ch = mg_le32(b + 8), enc = mg_le32(b + 12);
    if (!ch || ch > 1024)
        ch = mg_be32(b + 8), enc = mg_be32(b + 12);
    if (!ch || ch > 1024 || !(0x16 & (1u << (enc & 15))))
        return "an IRCAM header with no channels or encoding";
    h->open_end = true;
    h->block_align = ch * (enc & 15);
    h->data_off = 1024;
    return NULL;
}

/* MATLAB 4: two matrices, "samplerate" (1x1 double) then the audio; a
 * matrix is type, rows, columns, imaginary flag and name length (int32s,
 * byte order from the first type: 0 little-endian, 1000 big), its name,
 * then rows x columns numbers of the type's precision */
static const char *
mat4_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    static const unsigned char prec[] = {8, 4, 4, 2, 2, 1};
    bool be = mg_be32(b) == 1000;
    uint32_t (*rd)(const unsigned char *) = be ? mg_be32 : mg_le32;
    uint64_t off, cells;
    uint32_t type;

    if (n < 20) return "short MAT4 header";
    cells = (uint64_t)rd(b + 4) * rd(b + 8);
    if (cells > n) return "no second matrix in the first bytes";
    off = 20 + (uint64_t)rd(b + 16) + 8 * cells;
    if (off + 20 > n) return "no second matrix in the first bytes";
    type = rd(b + off) % 1000;
    if (type % 10 || type / 10 % 10 >= sizeof prec)
        return "a MAT4 matrix type that is not numbers";
    cells = (uint64_t)rd(b + off + 4) * rd(b + off + 8);
    /* past UINT64_MAX / 8: a claim no file meets */
    h->data_size = cells > UINT64_MAX / 8 ? UINT64_MAX
                                          : cells * prec[type / 10 % 10];
    h->data_off = off + 20 + rd(b + off + 16);
    return NULL;
}

/* MATLAB 5: a 128-byte header (byte order "IM" or "MI" at 126), then data
 * elements; the audio is the real part of the miMATRIX named "wavedata".
 * An element's tag is type and size, or in the small form both in one
 * word with the data in the next. */
typedef struct {
    uint32_t type, size;
    uint64_t data, next;
} mat5_el;

static bool
mat5_el_at(const unsigned char *b, size_t n, uint64_t p, bool be,
           mat5_el *e)
{
    uint32_t (*rd)(const unsigned char *) = be ? mg_be32 : mg_le32;
    if (p + 8 > n) return false;
    e->type = rd(b + p);
    if (e->type >> 16) {
        e->size = e->type >> 16;
        e->type &= 0xFFFF;
        e->data = p + 4;
        e->next = p + 8;
    } else {
        e->size = rd(b + p + 4);
        e->data = p + 8;
        e->next = p + 8 + (((uint64_t)e->size + 7) & ~(uint64_t)7);
    }
    return true;
}

static const char *
mat5_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    bool be = !memcmp(b + 126, "MI", 2);
    uint64_t p = 128;
    mat5_el e, s;

    while (mat5_el_at(b, n, p, be, &e)) {
        if (e.type == 14) { /* miMATRIX: flags, dimensions, name, real */
            uint64_t q = e.data;
            bool wave = false;
            for (int k = 0; k < 4 && mat5_el_at(b, n, q, be, &s); k++) {
                if (k == 2)
                    wave = s.size == 8 && s.data + 8 <= n &&
                           !memcmp(b + s.data, "wavedata", 8);
                if (k == 3 && wave) {
                    h->data_off = s.data;
                    h->data_size = s.size;
                    return NULL;
                }
                q = s.next;
            }
        }
        p = e.next;
    }
    return "no wavedata matrix in the first bytes";
}

/* IFF 8SVX / 16SV: the samples are BODY's; CHAN 6 is stereo */
static const char *
svx_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    unsigned ch = 1, bytes = !memcmp(b + 8, "16SV", 4) ? 2 : 1;
    size_t off = 12;

    while (off + 8 <= n) {
        uint32_t size = mg_be32(b + off + 4);
        if (!memcmp(b + off, "CHAN", 4) && off + 12 <= n) {
            ch = mg_be32(b + off + 8) == 6 ? 2 : 1;
        } else if (!memcmp(b + off, "BODY", 4)) {
            h->block_align = ch * bytes;
            h->data_off = off + 8;
            h->data_size = size;
            return NULL;
        }
        off += 8 + (size_t)size + (size & 1);
    }
    return "no BODY chunk in the first bytes";
}

/* Creative VOC: blocks after the header; the first sound block holds the
 * audio (type 1: 8-bit mono, after rate and codec bytes; type 9: rate,
 * bits, channels, codec in 12 bytes). A block's size is 24-bit. */
static const char *
voc_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    uint64_t off = mg_le16(b + 20);

    while (off + 4 <= n) {
        unsigned type = b[off];
        uint32_t size = b[off + 1] | b[off + 2] << 8 | (uint32_t)b[off + 3]
                                                          << 16;
        if (type == 0) break;
        if (type == 1 && size >= 2) {
            h->block_align = 1;
            h->data_off = off + 6;
            h->data_size = size - 2;
            return NULL;
        }
        if (type == 9 && size >= 12 && off + 16 <= n) {
            unsigned bits = b[off + 8], ch = b[off + 9];
            if (!ch || (bits != 8 && bits != 16)) break;
            h->block_align = ch * bits / 8;
            h->data_off = off + 16;
            h->data_size = size - 12;
            return NULL;
        }
        off += 4 + (uint64_t)size;
    }
    return "no sound block in the first bytes";
}

/* MIDI Sample Dump Standard: a 21-byte header (bits at 6, the length in
 * samples as three 7-bit bytes at 10), then 127-byte packets of 120
 * bytes of data, a sample in (bits + 6) / 7 of them. */
static const char *
sds_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    unsigned bits = b[6], per;
    uint64_t len;

    if (n < 21 || bits < 8 || bits > 28) return "short SDS header";
    per = 120 / ((bits + 6) / 7);
    len = b[10] | b[11] << 7 | (uint64_t)b[12] << 14;
    h->data_off = 21;
    h->data_size = (len + per - 1) / per * 127;
    h->frames = len;
    return NULL;
}

const char *
mg_audiohdr_claim(const unsigned char *b, size_t n, mg_audiohdr *h)
{
    const char *why = NULL;

    memset(h, 0, sizeof *h);
    if (n < 12) return "too short for a header";
    if (!memcmp(b, "RIFF", 4) && !memcmp(b + 8, "WAVE", 4)) {
        h->kind = "WAV";
        why = riff_claim(b, n, false, h);
    } else if ((!memcmp(b, "RF64", 4) || !memcmp(b, "BW64", 4)) &&
               !memcmp(b + 8, "WAVE", 4)) {
        h->kind = "RF64";
        why = riff_claim(b, n, true, h);
    } else if (n >= 40 && !memcmp(b, "riff", 4) && !memcmp(b + 24, "wave", 4) &&
               !memcmp(b + 28, w64_tail, 12)) {
        h->kind = "Wave64";
        why = w64_claim(b, n, h);
    } else if (!memcmp(b, "FORM", 4) &&
               (!memcmp(b + 8, "AIFF", 4) || !memcmp(b + 8, "AIFC", 4))) {
        h->kind = "AIFF";
        why = aiff_claim(b, n, h);
    } else if (!memcmp(b, "FORM", 4) &&
               (!memcmp(b + 8, "8SVX", 4) || !memcmp(b + 8, "16SV", 4))) {
        h->kind = "SVX";
        why = svx_claim(b, n, h);
    } else if (!memcmp(b, ".snd", 4) || !memcmp(b, "dns.", 4)) {
        h->kind = "AU";
        why = au_claim(b, n, h);
    } else if (n >= 16 && !memcmp(b, "NIST_1A\n", 8)) {
        h->kind = "NIST";
        why = nist_claim(b, n, h);
    } else if (n >= 16 && ((b[0] == 0x64 && b[1] == 0xA3 && !b[3] &&
                            b[2] >= 1 && b[2] <= 4) ||
                           (!b[0] && b[1] >= 1 && b[1] <= 4 &&
                            b[2] == 0xA3 && b[3] == 0x64))) {
        h->kind = "IRCAM";
        why = ircam_claim(b, n, h);
    } else if (n >= 128 && !memcmp(b, "MATLAB 5.0 MAT-file", 19) &&
               (!memcmp(b + 126, "IM", 2) || !memcmp(b + 126, "MI", 2))) {
        h->kind = "MAT5";
        why = mat5_claim(b, n, h);
    } else if (n >= 20 && (mg_le32(b) == 0 || mg_be32(b) == 1000) &&
               mg_le32(b + 16) && (mg_le32(b + 16) < 64 ||
                                   mg_be32(b + 16) < 64)) {
        /* MAT4 has no magic: a double matrix with a short name */
        h->kind = "MAT4";
        why = mat4_claim(b, n, h);
    } else if (n >= 22 && !memcmp(b, "Creative Voice File\x1A", 20)) {
        h->kind = "VOC";
        why = voc_claim(b, n, h);
    } else if (n >= 128 && !memcmp(b, "2BIT", 4)) {
        /* AVR: mono (0) or not at 12, bits at 14, frames at 26 */
        h->kind = "AVR";
        h->block_align = (mg_be16(b + 12) ? 2u : 1u) * (mg_be16(b + 14) / 8u);
        h->data_off = 128;
        h->data_size = (uint64_t)mg_be32(b + 26) * h->block_align;
        if (!h->block_align) why = "an AVR header with no bits";
    } else if (n >= 32 && !memcmp(b, "ALawSoundFile**\0\017\020", 18)) {
        /* Psion WVE: mono A-law, frames at 18 */
        h->kind = "WVE";
        h->block_align = 1;
        h->data_off = 32;
        h->data_size = mg_be32(b + 18);
    } else if (n >= 42 && b[0] == 1 && b[1] == 4) {
        /* Akai MPC 2000: 16-bit, stereo flag at 21, frames at 30 */
        h->kind = "MPC2000";
        h->block_align = b[21] ? 4 : 2;
        h->data_off = 42;
        h->data_size = (uint64_t)mg_le32(b + 30) * h->block_align;
    } else if (n >= 21 && b[0] == 0xF0 && b[1] == 0x7E && b[3] == 1) {
        h->kind = "SDS";
        why = sds_claim(b, n, h);
    } else if (n >= 2048 && (!memcmp(b, " paf", 4) || !memcmp(b, "fap ", 4))) {
        /* Ensoniq PARIS: no length; format 0 16-bit, 2 8-bit (1, 24-bit,
         * is packed in blocks) */
        uint32_t (*rd)(const unsigned char *) = b[0] == ' ' ? mg_be32
                                                            : mg_le32;
        uint32_t fmt = rd(b + 16), ch = rd(b + 20);
        h->kind = "PAF";
        h->open_end = true;
        h->data_off = 2048;
        if (ch && ch <= 1024 && (fmt == 0 || fmt == 2))
            h->block_align = ch * (fmt ? 1 : 2);
        else
            why = "a PAF encoding packed in blocks";
    } else if (n >= 8 && !memcmp(b, "PVF1\n", 5)) {
        /* Portable Voice Format: "PVF1\nCH RATE BITS\n", no length */
        const unsigned char *e = memchr(b + 5, '\n', n - 5);
        char line[64];
        unsigned ch = 0, rate = 0, bits = 0;
        h->kind = "PVF";
        if (e && (size_t)(e - b) - 5 < sizeof line) {
            memcpy(line, b + 5, (size_t)(e - b) - 5);
            line[e - b - 5] = 0;
            char *p = line;
            ch = (unsigned)strtoul(p, &p, 10);
            rate = (unsigned)strtoul(p, &p, 10);
            bits = (unsigned)strtoul(p, &p, 10);
        }
        if (!e || !ch || ch > 1024 || !rate || (bits != 8 && bits != 16 &&
                                                bits != 32))
            return "short PVF header";
        h->open_end = true;
        h->block_align = ch * bits / 8;
        h->data_off = (uint64_t)(e - b) + 1;
    } else {
        return "not a format whose header claims a length";
    }
    return why;
}
