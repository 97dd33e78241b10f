/*
 * audio_store — the post-FX, post-level stems of one sample, kept from the
 * render pass until the common headroom gain is known and the write pass
 * reads them back: pcm16 as int16 block floating point (one scale per
 * SBLOCK frames, from the block's peak), pcm24/float as float.
 *
 * Invariants:
 *  - memory is bounded whatever the song's length: the first mem_blocks
 *    blocks (MUSICGEN_AUDIO_STORE_MB, reserved at start-up) are in
 *    memory, the rest goes to a scratch file in $TMPDIR, unlinked and this
 *    process's own (a fork opens its own); the bytes of a sample are the
 *    same either way;
 *  - a failed scratch write is kept (spill_errno) and fails the sample,
 *    never a silent gap.
 */
#include "audio_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Loops below work in lanes of VL independent elements (a fixed-count
 * inner loop the compiler turns into vector code at -O2) and a scalar
 * tail; the results are those of the plain sequential loops. */
#define VL 8

/* max(pk, the largest |x[i]| of len floats). */
AUDIO_AVX2_CLONES
static float
abs_peak(const float *restrict x, size_t len, float pk)
{
    float m[VL] = {0};
    size_t i = 0;

    for (; i + VL <= len; i += VL)
        for (int k = 0; k < VL; k++) {
            float v = fabsf(x[i + k]);
            m[k] = v > m[k] ? v : m[k];
        }
    for (; i < len; i++) {
        float v = fabsf(x[i]);
        pk = v > pk ? v : pk;
    }
    for (int k = 0; k < VL; k++)
        pk = m[k] > pk ? m[k] : pk;
    return pk;
}

/* round(clamp(x * inv, +-32767)) */
static inline int16_t
q16(float x, float inv)
{
    float y = x * inv;
    y = y > 32767.0f ? 32767.0f : y;
    y = y < -32767.0f ? -32767.0f : y;
    return (int16_t)(int32_t)((y + RND_F) - RND_F);
}

/* q[i] = q16(x[i], inv) for len samples. */
AUDIO_AVX2_CLONES
static void
quant_block(const float *restrict x, int16_t *restrict q, size_t len,
            float inv)
{
    size_t i = 0;

    for (; i + VL <= len; i += VL)
        for (int k = 0; k < VL; k++)
            q[i + k] = q16(x[i + k], inv);
    for (; i < len; i++)
        q[i] = q16(x[i], inv);
}

/* Where block b of layer l lies in the scratch file (b >= mem_blocks). */
static off_t
spill_at(const mg_audio *a, size_t b, int l)
{
    size_t slot = 2 * SBLOCK * (a->fmt == MG_SF_PCM16 ? sizeof(int16_t)
                                                      : sizeof(float));
    return (off_t)(((b - a->mem_blocks) * MG_NLAYERS + (size_t)l) * slot);
}

/* All of n bytes at offset at, written (wr) or read; -1 with errno. */
static int
spill_io(mg_audio *a, bool wr, void *buf, size_t n, off_t at)
{
    char *p = buf;

    while (n > 0) {
        ssize_t r = wr ? pwrite(a->spill_fd, p, n, at)
                       : pread(a->spill_fd, p, n, at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        at += r;
    }
    return 0;
}

/* Store one processed block of layer l (frames [off, off + n)); returns
 * the block's peak |sample|. A block past the in-memory part goes to the
 * scratch file; a failed write is kept in spill_errno. */
float
audio_store_block(mg_audio *a, int l, const float *restrict x,
                  size_t off, size_t n)
{
    float pk = abs_peak(x, 2 * n, 0);
    size_t b = off / SBLOCK;
    bool mem = b < a->mem_blocks;

    if (!mem)
        a->spilled = true;
    if (a->fmt != MG_SF_PCM16) {
        if (mem)
            memcpy(a->fs[l] + 2 * off, x, sizeof(float) * 2 * n);
        else if (!a->spill_errno &&
                 spill_io(a, true, (void *)x, sizeof(float) * 2 * n,
                          spill_at(a, b, l)) < 0)
            a->spill_errno = errno;
        return pk;
    }
    {
        int16_t *restrict q = mem ? a->q[l] + 2 * off : a->qb[l];
        a->bscale[l][b] = pk / 32767.0f;
        quant_block(x, q, 2 * n, pk > 0 ? 32767.0f / pk : 0);
        if (!mem && !a->spill_errno &&
            spill_io(a, true, q, sizeof(int16_t) * 2 * n,
                     spill_at(a, b, l)) < 0)
            a->spill_errno = errno;
    }
    return pk;
}

/* Every layer's stored block at frame off (n frames): pointers into the
 * in-memory store, or the block read back from the scratch file into
 * qb/fb. q[] for pcm16, x[] otherwise. 0, or -1 with errno. */
int
audio_store_get(mg_audio *a, size_t off, size_t n,
                const int16_t *q[MG_NLAYERS], const float *x[MG_NLAYERS])
{
    size_t b = off / SBLOCK;

    for (int l = 0; l < MG_NLAYERS; l++) {
        if (b < a->mem_blocks) {
            q[l] = a->q[l] ? a->q[l] + 2 * off : NULL;
            x[l] = a->fs[l] ? a->fs[l] + 2 * off : NULL;
            continue;
        }
        if (a->fmt == MG_SF_PCM16) {
            if (spill_io(a, false, a->qb[l], sizeof(int16_t) * 2 * n,
                         spill_at(a, b, l)) < 0)
                return -1;
            q[l] = a->qb[l];
            x[l] = NULL;
        } else {
            if (spill_io(a, false, a->fb[l], sizeof(float) * 2 * n,
                         spill_at(a, b, l)) < 0)
                return -1;
            x[l] = a->fb[l];
            q[l] = NULL;
        }
    }
    return 0;
}

/* Decode frames [off, off + n) of every stem, scaled by h, into
 * a->dec[l] (floats, the values the files get). 0, or -1 with errno (the
 * scratch file). */
AUDIO_AVX2_CLONES
static int
decode_block(mg_audio *a, size_t off, size_t n, double h)
{
    const int16_t *qs[MG_NLAYERS];
    const float *xs[MG_NLAYERS];

    if (audio_store_get(a, off, n, qs, xs) < 0)
        return -1;
    for (int l = 0; l < MG_NLAYERS; l++) {
        float *o = a->dec[l];
        if (a->fmt == MG_SF_PCM16) {
            const int16_t *q = qs[l];
            float g = (float)(a->bscale[l][off / SBLOCK] * h * a->ngain[l]);
            for (size_t i = 0; i < 2 * n; i++)
                o[i] = (float)q[i] * g;
        } else {
            const float *x = xs[l];
            float g = (float)(h * a->ngain[l]);
            for (size_t i = 0; i < 2 * n; i++)
                o[i] = x[i] * g;
        }
    }
    return 0;
}

/* max(pk, the peak |sample| of a->dec's n frames of every stem and of
 * their sum), in VL lanes (a maximum is the same in any order; each sum
 * is the stems' in layer order, as one sample at a time). */
_Static_assert(MG_NLAYERS == 4, "peak_of sums four stems");

AUDIO_AVX2_CLONES
static float
peak_of(const mg_audio *a, size_t n, float pk)
{
    const float *d0 = a->dec[0], *d1 = a->dec[1], *d2 = a->dec[2],
                *d3 = a->dec[3];
    float m[VL] = {0};
    size_t i = 0;

    for (; i + VL <= 2 * n; i += VL)
        for (int k = 0; k < VL; k++) {
            float v0 = d0[i + k], v1 = d1[i + k], v2 = d2[i + k],
                  v3 = d3[i + k];
            float s = fabsf(0.0f + v0 + v1 + v2 + v3), x = m[k];
            /* each against the running maximum, as below (a NaN is
             * never taken) */
            x = fabsf(v0) > x ? fabsf(v0) : x;
            x = fabsf(v1) > x ? fabsf(v1) : x;
            x = fabsf(v2) > x ? fabsf(v2) : x;
            x = fabsf(v3) > x ? fabsf(v3) : x;
            m[k] = s > x ? s : x;
        }
    for (; i < 2 * n; i++) {
        float sum = 0;
        for (int l = 0; l < MG_NLAYERS; l++) {
            float v = a->dec[l][i];
            sum += v;
            if (fabsf(v) > pk)
                pk = fabsf(v);
        }
        if (fabsf(sum) > pk)
            pk = fabsf(sum);
    }
    for (int k = 0; k < VL; k++)
        pk = m[k] > pk ? m[k] : pk;
    return pk;
}

/* The peak |sample| of any stem or of their sum, as stored (a pass over
 * the stored song: only when several fonts render the layers in separate
 * passes). */
double
audio_stored_peak(mg_audio *a, size_t N)
{
    float pk = 0;

    for (size_t off = 0; off < N; off += SBLOCK) {
        size_t n = N - off < SBLOCK ? N - off : SBLOCK;
        if (decode_block(a, off, n, 1.0) < 0)
            return -1;
        pk = peak_of(a, n, pk);
    }
    return pk;
}

/* A whole-song stem store (written once per sample, read once): its own
 * anonymous mapping, offered to transparent huge pages (one page fault
 * and one TLB entry per 2 MB of the stream, not per 4 KB) and wiped on
 * fork: the store is reserved at start-up (mg_audio_new), and a process
 * forked after that (generate's workers inherit the engine) gets fresh
 * zero pages instead of copying any the parent wrote - the contents
 * never matter, every sample rewrites them. Where THP or
 * the wipe is not available the advice is ignored. */
static size_t
store_bytes(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    return (bytes + huge - 1) / huge * huge;
}

static void *
store_alloc(size_t bytes)
{
    void *p;

    bytes = store_bytes(bytes);
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
#ifdef MADV_WIPEONFORK
    madvise(p, bytes, MADV_WIPEONFORK);
#endif
    return p;
}

void
audio_store_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, store_bytes(bytes));
}

/* The scratch file for this process (a fork gets its own): O_TMPFILE in
 * $TMPDIR (else /tmp), or a named file unlinked at once. */
static int
spill_open(mg_audio *a, char *err, size_t errlen)
{
    const char *t = getenv("TMPDIR");
    char path[600];

    if (a->spill_fd >= 0 && a->spill_pid == getpid())
        return 0;
    if (a->spill_fd >= 0)
        close(a->spill_fd);     /* the parent's: not ours to write */
    snprintf(a->spill_dir, sizeof a->spill_dir, "%s", t && *t ? t : "/tmp");
#ifdef O_TMPFILE
    a->spill_fd = open(a->spill_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    a->spill_fd = -1;
#endif
    if (a->spill_fd < 0) {
        snprintf(path, sizeof path, "%s/musicgen-store-XXXXXX",
                 a->spill_dir);
        a->spill_fd = mkostemp(path, O_CLOEXEC);
        if (a->spill_fd >= 0)
            unlink(path);
    }
    if (a->spill_fd < 0) {
        snprintf(err, errlen, "cannot make a scratch file in %s "
                 "(TMPDIR) for a long song: %s", a->spill_dir,
                 strerror(errno));
        /* a fault of this machine's set-up that every long song would
         * meet: an I/O fault for the engine, which stops the run */
        errno = EIO;
        return -1;
    }
    a->spill_pid = getpid();
    return 0;
}

double
audio_store_reserved(const mg_audio *a)
{
    size_t per = (a->fmt == MG_SF_PCM16 ? sizeof(int16_t) : sizeof(float)) *
                 2 * a->mem_blocks * SBLOCK;
    return (double)MG_NLAYERS * (double)store_bytes(per);
}

/* Room for a song of N frames: the in-memory store up to mem_blocks
 * blocks, the block scales, and the scratch file when N needs it. */
int
audio_ensure_buffers(mg_audio *a, size_t N, char *err, size_t errlen)
{
    size_t nb = (N + SBLOCK - 1) / SBLOCK;

    if (!a->acc && !(a->acc = mg_ascore_acc_new(a->rate)))
        goto oom;
    if (a->fmt == MG_SF_PCM16 && nb > a->nbscale) {
        for (int l = 0; l < MG_NLAYERS; l++) {
            float *sc = realloc(a->bscale[l], sizeof(float) * nb);
            if (!sc)
                goto oom;
            a->bscale[l] = sc;
        }
        a->nbscale = nb;
    }
    if (nb > a->mem_blocks) {
        if (spill_open(a, err, errlen) < 0)
            return -1;
        N = a->mem_blocks * SBLOCK;     /* the rest goes to the file */
    }
    if (N <= a->cap)
        return 0;
    for (int l = 0; l < MG_NLAYERS; l++) {
        if (a->fmt == MG_SF_PCM16) {
            audio_store_free(a->q[l], a->qbytes[l]);
            a->qbytes[l] = sizeof(int16_t) * 2 * N;
            if (!(a->q[l] = store_alloc(a->qbytes[l]))) {
                a->qbytes[l] = 0;
                goto oom;
            }
        } else {
            audio_store_free(a->fs[l], a->fbytes[l]);
            a->fbytes[l] = sizeof(float) * 2 * N;
            if (!(a->fs[l] = store_alloc(a->fbytes[l]))) {
                a->fbytes[l] = 0;
                goto oom;
            }
        }
    }
    a->cap = N;
    return 0;
oom:
    snprintf(err, errlen, "out of memory for %zu frames of the stem store", N);
    errno = ENOMEM;
    return -1;
}
