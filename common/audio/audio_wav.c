/*
 * audio_wav — the WAV sink: libsndfile writes through our virtual I/O
 * (wfile, audio_priv.h) into a file or into memory, and the bytes are
 * hashed (SHA-256, sample.json "checksums") as they are written.
 *
 * Invariants:
 *  - the digest is always the SHA-256 of the file's bytes: computed on the
 *    way out when libsndfile writes the stream predicted (header, then the
 *    data in order, then the header again with the real sizes), else
 *    re-read from disk (or memory) at close;
 *  - a WAV made in memory has exactly the bytes of the file;
 *  - a discarded one (wf_open_mem with discard: the engine's float32
 *    sink) is hashed as it streams and stored nowhere: its digest is the
 *    one the file would have, or close fails (EIO) - never a guess;
 *  - no PEAK chunk: it would be the only varying bytes in a float WAV.
 */
#include "audio_priv.h"
#include "hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Write n bytes at offset `at` of the memory file (growing it; a hole
 * left by a seek past the end reads as zeros, as in a file). */
static int
wf_mem_put(wfile *w, const unsigned char *b, size_t n, sf_count_t at)
{
    size_t end = (size_t)at + n;

    if (w->discard)
        return 0;
    if (end > w->mcap) {
        size_t cap = w->mcap ? w->mcap : 65536;
        unsigned char *m;
        while (cap < end)
            cap *= 2;
        if (!(m = realloc(w->mem, cap))) {
            if (!w->err)
                w->err = ENOMEM;
            return -1;
        }
        w->mem = m;
        w->mcap = cap;
    }
    if ((sf_count_t)at > w->len)
        memset(w->mem + w->len, 0, (size_t)(at - w->len));
    memcpy(w->mem + at, b, n);
    return 0;
}

static int
wf_pwrite(wfile *w, const unsigned char *b, size_t n, sf_count_t at)
{
    size_t done = 0;

    if (w->inmem)
        return wf_mem_put(w, b, n, at);
    while (done < n) {
        ssize_t r = pwrite(w->fd, b + done, n - done,
                           (off_t)(at + (sf_count_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!w->err)
                w->err = r < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static int
wf_flush(wfile *w)
{
    if (w->bn > 0 && wf_pwrite(w, w->buf, w->bn, w->bpos) < 0)
        return -1;
    w->bpos += (sf_count_t)w->bn;
    w->bn = 0;
    return 0;
}

static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* The final header from the first one: RIFF size, every fact chunk's
 * frame count and the data chunk's size patched; false if [0, D) is not
 * RIFF/WAVE chunks ending in the data chunk's header. */
static bool
wf_predict(wfile *w)
{
    size_t D = (size_t)w->D, p = 12;

    memcpy(w->pred, w->hdr, D);
    if (D < 20 || memcmp(w->pred, "RIFF", 4) || memcmp(w->pred + 8, "WAVE", 4))
        return false;
    wr32(w->pred + 4, (uint32_t)(D + (size_t)w->dlen - 8));
    while (p + 8 <= D) {
        uint32_t n = rd32(w->pred + p + 4);
        if (!memcmp(w->pred + p, "data", 4)) {
            wr32(w->pred + p + 4, (uint32_t)w->dlen);
            return p + 8 == D;
        }
        if (!memcmp(w->pred + p, "fact", 4) && n >= 4 && p + 12 <= D)
            wr32(w->pred + p + 8, (uint32_t)w->frames);
        p += 8 + n + (n & 1);
    }
    return false;
}

static sf_count_t
wf_write(const void *ptr, sf_count_t count, void *user)
{
    wfile *w = user;
    const unsigned char *b = ptr;

    if (count <= 0)
        return 0;
    if (w->pos < WHDR) {
        sf_count_t n = WHDR - w->pos < count ? WHDR - w->pos : count;
        memcpy(w->hdr + w->pos, b, (size_t)n);
    }
    if (w->pos == 0)
        w->hend = count;    /* a header (libsndfile writes it whole) */
    if (w->ok && w->D == 0 && w->pos > 0 && w->pos == w->hend) {
        /* the first byte past the header: predict the final header */
        w->D = w->dnext = w->pos;
        w->ok = w->D <= WHDR && wf_predict(w);
        if (w->ok)
            EVP_DigestUpdate(w->md, w->pred, (size_t)w->D);
    }
    if (w->ok && w->D > 0) {
        if (w->pos == w->dnext) {
            EVP_DigestUpdate(w->md, b, (size_t)count);  /* data, in order */
            w->dnext += count;
        } else if (w->pos + count > w->D) {
            w->ok = false;  /* data rewritten, or a header grown */
        }
    }
    if (w->inmem) {
        if (wf_mem_put(w, b, (size_t)count, w->pos) < 0)
            return 0;
        w->pos += count;
        if (w->pos > w->len)
            w->len = w->pos;
        return count;
    }
    if (w->bn > 0 && (w->bpos + (sf_count_t)w->bn != w->pos ||
                      w->bn + (size_t)count > WBUF) && wf_flush(w) < 0)
        return 0;
    if ((size_t)count >= WBUF) {
        if (wf_pwrite(w, b, (size_t)count, w->pos) < 0)
            return 0;
    } else {
        if (w->bn == 0)
            w->bpos = w->pos;
        memcpy(w->buf + w->bn, b, (size_t)count);
        w->bn += (size_t)count;
    }
    w->pos += count;
    if (w->pos > w->len)
        w->len = w->pos;
    return count;
}

static sf_count_t
wf_read(void *ptr, sf_count_t count, void *user)
{
    wfile *w = user;
    ssize_t r;

    if (w->inmem) {
        /* discarded: only the header bytes [0, WHDR) are kept */
        sf_count_t end = w->discard && w->len > WHDR ? WHDR : w->len;
        r = w->pos >= end ? 0
            : (ssize_t)(end - w->pos < count ? end - w->pos : count);
        if (r > 0)
            memcpy(ptr, (w->discard ? w->hdr : w->mem) + w->pos, (size_t)r);
        w->pos += r;
        return r;
    }
    if (wf_flush(w) < 0)
        return 0;
    r = pread(w->fd, ptr, (size_t)count, (off_t)w->pos);
    if (r <= 0)
        return 0;
    w->pos += r;
    return r;
}

static sf_count_t
wf_seek(sf_count_t off, int whence, void *user)
{
    wfile *w = user;
    sf_count_t p = whence == SEEK_CUR ? w->pos + off
                   : whence == SEEK_END ? w->len + off : off;

    if (p < 0)
        return -1;
    w->pos = p;
    return p;
}

static sf_count_t
wf_tell(void *user)
{
    return ((wfile *)user)->pos;
}

static sf_count_t
wf_filelen(void *user)
{
    return ((wfile *)user)->len;
}

/* A fresh file state for `frames` frames of `fbytes` bytes each: what
 * wf_open and wf_open_mem have in common. */
static void
wf_reset(wfile *w, sf_count_t frames, int fbytes)
{
    w->err = 0;
    w->pos = w->len = w->D = w->bpos = w->hend = w->dnext = 0;
    w->bn = 0;
    w->frames = frames;
    w->dlen = frames * fbytes;
    w->md = EVP_MD_CTX_new();
    w->ok = w->md && EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) == 1;
}

/* Create path for a WAV of `frames` frames of `fbytes` bytes each. */
static int
wf_open(wfile *w, const char *path, sf_count_t frames, int fbytes)
{
    w->inmem = false;
    w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return -1;
    wf_reset(w, frames, fbytes);
    return 0;
}

/* Memory for a WAV of *cap bytes, freed with free(). A large one is
 * aligned to and sized in 2 MiB (*cap grows to that) and advised to use
 * transparent huge pages where the kernel offers them: its first writes
 * take one page fault per 2 MiB instead of one per 4 KiB (a fault is
 * most of the cost of fresh memory on a virtual machine). */
static unsigned char *
wav_alloc(size_t *cap)
{
    const size_t huge = (size_t)2 << 20;
    unsigned char *m;

    if (*cap < 2 * huge)
        return malloc(*cap);
    *cap = (*cap + huge - 1) / huge * huge;
    if (!(m = aligned_alloc(huge, *cap)))
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(m, *cap, MADV_HUGEPAGE);
#endif
    return m;
}

/* The same for a WAV made in memory: w->mem (kept from the last sample
 * unless taken by mg_audio_take_wav) is sized for the whole file; with
 * discard the bytes are only hashed (w->mem is neither used nor made). */
static int
wf_open_mem(wfile *w, sf_count_t frames, int fbytes, bool discard)
{
    size_t want = (size_t)(frames * fbytes) + WHDR;

    w->discard = discard;
    if (!discard && w->mcap < want) {
        /* half again the old size at least, so that a song a little
         * longer than the last does not take fresh memory (a page fault
         * per page) again; pages never written cost nothing. The old
         * bytes are not wanted: no realloc copying them. */
        size_t cap = w->mcap + w->mcap / 2 > want ? w->mcap + w->mcap / 2
                                                  : want;
        free(w->mem);
        w->mcap = 0;
        if (!(w->mem = wav_alloc(&cap))) {
            errno = ENOMEM;
            return -1;
        }
        w->mcap = cap;
    }
    w->inmem = true;
    w->fd = -1;
    wf_reset(w, frames, fbytes);
    return 0;
}

/* Flush and close (after sf_close); hex receives the file's SHA-256.
 * Returns 0, or -1 with errno (the first write error, or close's). */
int
audio_wav_close(wfile *w, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = 0, en = 0;

    if (w->fd < 0 && !w->inmem)
        return 0;
    if (wf_flush(w) < 0 || w->err) {
        rc = -1;
        en = w->err ? w->err : EIO;
    }
    if (rc == 0 && !(w->ok && w->D > 0 && w->len == w->D + w->dlen &&
                     w->dnext == w->len &&
                     !memcmp(w->hdr, w->pred, (size_t)w->D))) {
        /* not the stream predicted: hash the file's bytes from disk */
        sf_count_t at = 0;
        ssize_t r;
        if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
            rc = -1;
            en = ENOMEM;
        }
        if (rc == 0 && w->discard) {
            rc = -1;        /* the bytes are gone: no digest to give */
            en = EIO;
        }
        if (rc == 0 && w->inmem) {
            EVP_DigestUpdate(w->md, w->mem, (size_t)w->len);
            at = w->len;
        }
        while (rc == 0 && !w->inmem &&
               (r = pread(w->fd, w->buf, WBUF, (off_t)at)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = -1;
                en = errno;
                break;
            }
            EVP_DigestUpdate(w->md, w->buf, (size_t)r);
            at += r;
        }
    }
    if (rc == 0) {
        EVP_DigestFinal_ex(w->md, md, &mdlen);
        mg_hex(md, mdlen < 32 ? mdlen : 32, hex);
    }
    if (!w->inmem && close(w->fd) < 0 && rc == 0) {
        rc = -1;
        en = errno;
    }
    w->fd = -1;
    w->inmem = false;
    w->discard = false;
    EVP_MD_CTX_free(w->md);
    w->md = NULL;
    if (rc < 0)
        errno = en;
    return rc;
}

/* Open a WAV of `frames` frames at path through w (see wfile). */
SNDFILE *
audio_wav_open(mg_audio *a, wfile *w, const char *path, size_t frames,
               char *err, size_t errlen)
{
    static SF_VIRTUAL_IO vio = {wf_filelen, wf_seek, wf_read, wf_write,
                                wf_tell};
    int bytes = a->fmt == MG_SF_PCM24 ? 3 : a->fmt == MG_SF_FLOAT ? 4 : 2;
    SF_INFO info;
    SNDFILE *sf;

    if ((path ? wf_open(w, path, (sf_count_t)frames, 2 * bytes)
              : wf_open_mem(w, (sf_count_t)frames, 2 * bytes,
                            a->sink != NULL)) < 0) {
        snprintf(err, errlen, "write %s: %s", path ? path : "(memory)",
                 strerror(errno));
        return NULL;
    }
    memset(&info, 0, sizeof info);
    info.samplerate = a->rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV |
        (a->fmt == MG_SF_PCM24 ? SF_FORMAT_PCM_24
         : a->fmt == MG_SF_FLOAT ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
    sf = sf_open_virtual(&vio, SFM_WRITE, &info, w);
    if (!sf) {
        int en = w->err ? w->err : EIO;
        char hex[65];
        snprintf(err, errlen, "write %s: %s", path ? path : "(memory)",
                 w->err ? strerror(w->err) : sf_strerror(NULL));
        audio_wav_close(w, hex);
        errno = en;
        return NULL;
    }
    /* no PEAK chunk: it would be the only varying bytes in a float WAV */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    return sf;
}
