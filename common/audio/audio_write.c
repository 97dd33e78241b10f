/*
 * audio_write — the write pass of one sample: each stored block read once,
 * scaled by its loudness gain and the common headroom gain, quantised, the
 * mix summed, the sum of the stems checked against the mix, the mono mix
 * fed to the audio score, and the stems and mix written (audio_wav.c).
 *
 * Invariants:
 *  - every WAV has exactly round(duration * rate) frames; stems are the
 *    post-FX, post-level layers and the mix is their sample-wise sum, both
 *    scaled by one common headroom gain;
 *  - after quantisation the sum of the stems is checked against the mix
 *    on every frame (MG_STEM_TOL_LSB, or MG_STEM_TOL_FLOAT for float) and
 *    a sample that fails is an error;
 *  - on a write fault errno is what the failing call set (the engine tells
 *    output faults - ENOSPC, EFBIG - from sample faults);
 *  - with a float32 sink (in memory, audio.h) each track's float values
 *    are the WAV's samples scaled to [-1, 1] (x / 32768, x / 8388608, or
 *    the float), taken from the very values the WAV would hold.
 */
#include "audio_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int32_t
quantd(double v, double full)
{
    v = v > 1 ? 1 : v;
    v = v < -1 ? -1 : v;
    return (int32_t)((v * full + RND_D) - RND_D);   /* see q16 */
}

static int32_t
quant(float x, double full)
{
    return quantd(x, full);
}

/* clamp(y, +-32767), rounded to the nearest integer (ties to even; see
 * q16). Branch-free: the comparisons become selections. */
static inline int32_t
r16(float y)
{
    y = y < 32767.0f ? y : 32767.0f;
    y = y > -32767.0f ? y : -32767.0f;
    return (int32_t)((y + RND_F) - RND_F);
}

/* One 16-bit block (len samples) of the write pass, all in float: each
 * stem decoded (q x g) and quantised (r16) into o[l]; the mix is the
 * float sum of the decoded stems (m, kept for the score) quantised the
 * same way into om. Returns the largest |sum of the quantised stems -
 * quantised mix| in LSB. A plain loop with no branch, which the compiler
 * turns into vector code (see the Makefile's -fno-trapping-math). */
_Static_assert(MG_NLAYERS == 4, "write_block16 adds four stems");
AUDIO_AVX2_CLONES
static int32_t
write_block16(const int16_t *restrict q0, const int16_t *restrict q1,
              const int16_t *restrict q2, const int16_t *restrict q3,
              const float g[MG_NLAYERS], int16_t *restrict o0,
              int16_t *restrict o1, int16_t *restrict o2,
              int16_t *restrict o3, int16_t *restrict om,
              float *restrict m, size_t len)
{
    const float d0 = g[0], d1 = g[1], d2 = g[2], d3 = g[3];
    const float f0 = d0 * 32767.0f, f1 = d1 * 32767.0f, f2 = d2 * 32767.0f,
                f3 = d3 * 32767.0f;
    int32_t worst = 0;

    for (size_t i = 0; i < len; i++) {
        float x0 = q0[i], x1 = q1[i], x2 = q2[i], x3 = q3[i];
        float s = x0 * d0 + x1 * d1 + x2 * d2 + x3 * d3;
        int32_t v0 = r16(x0 * f0), v1 = r16(x1 * f1), v2 = r16(x2 * f2),
                v3 = r16(x3 * f3), vm = r16(s * 32767.0f);
        int32_t e = v0 + v1 + v2 + v3 - vm;

        e = e < 0 ? -e : e;
        worst = e > worst ? e : worst;
        o0[i] = (int16_t)v0;
        o1[i] = (int16_t)v1;
        o2[i] = (int16_t)v2;
        o3[i] = (int16_t)v3;
        om[i] = (int16_t)vm;
        m[i] = s;
    }
    return worst;
}

/* Channel ch of track l's block (n frames, as the WAV holds them) into
 * o as floats. */
static void
sink_channel(const mg_audio *a, int l, int ch, size_t n, float *restrict o)
{
    if (a->fmt == MG_SF_PCM16) {
        const int16_t *x = a->out16[l] + ch;
        for (size_t i = 0; i < n; i++)
            o[i] = (float)x[2 * i] * (1.0f / 32768.0f);
    } else if (a->fmt == MG_SF_PCM24) {
        const int32_t *x = a->out32[l] + ch;    /* the value << 8 */
        for (size_t i = 0; i < n; i++)
            o[i] = (float)(x[2 * i] / 256) * (1.0f / 8388608.0f);
    } else {
        const float *x = a->dec[l] + ch;
        for (size_t i = 0; i < n; i++)
            o[i] = x[2 * i];
    }
}

/* Block [off, off + n) of every track this mode writes into the float32
 * sink's planar tracks (MG_NLAYERS + 1 tracks of 2 x N floats): into base,
 * or through a->sinkbuf into sink->fd. Returns 0, or -1 with errno. */
static int
sink_block(mg_audio *a, float *base, size_t N, size_t off, size_t n,
           bool want_stems, bool want_mix)
{
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (l < MG_NLAYERS ? !want_stems : !want_mix)
            continue;
        for (int ch = 0; ch < 2; ch++) {
            size_t at = ((size_t)l * 2 + (size_t)ch) * N + off;
            const unsigned char *p = (const unsigned char *)a->sinkbuf;
            size_t left = n * sizeof(float);
            if (base) {
                sink_channel(a, l, ch, n, base + at);
                continue;
            }
            sink_channel(a, l, ch, n, a->sinkbuf);
            at *= sizeof(float);
            while (left) {
                ssize_t w = pwrite(a->sink->fd, p, left, (off_t)at);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    if (w == 0)
                        errno = EIO;
                    return -1;
                }
                p += w;
                at += (size_t)w;
                left -= (size_t)w;
            }
        }
    }
    return 0;
}

/* Scale by h, quantise, check the stem sum, feed the score and write, a
 * block at a time: each stored block is read once (decode, mix sum, mono
 * for the score, quantisation, sum check all in one loop) and the files
 * are hashed as they are written (hex[l]: stems, hex[MG_NLAYERS]: mix).
 * max_err receives the largest |sum(stems) - mix| seen (LSB, or absolute
 * for float). On a write fault errno is left as the failing call set it
 * (the engine tells output faults - ENOSPC, EFBIG - from sample faults). */
int
audio_write_outputs(mg_audio *a, const char *dir, size_t N, double h,
                    double *max_err, char hex[MG_NLAYERS + 1][65],
                    char *err, size_t errlen)
{
    bool want_mix = a->mode == MG_OUT_FULL || a->mode == MG_OUT_MIX_ONLY;
    bool want_stems = a->mode == MG_OUT_FULL || a->mode == MG_OUT_STEMS_ONLY;
    SNDFILE *sf[MG_NLAYERS + 1] = {NULL};
    const double full = 8388607.0;     /* 24-bit; 16-bit: write_block16 */
    float *m = a->dec[MG_NLAYERS];
    char path[1200];
    const char *where = dir ? dir : "(memory)";
    const mg_audio_sink *sink = dir ? NULL : a->sink;
    float *base = NULL;
    int rc = -1, en = 0;

    *max_err = 0;
    for (int l = 0; l <= MG_NLAYERS; l++) {
        a->wf[l].fd = -1;
        a->wf[l].inmem = false;
        a->wlen[l] = 0;
        hex[l][0] = 0;
    }
    mg_ascore_acc_reset(a->acc);
    if (want_stems && dir) {
        snprintf(path, sizeof path, "%s/stems", dir);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            en = errno;
            snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
            errno = en;
            return -2;
        }
    }
    if (sink && (want_stems || want_mix) && sink->fd >= 0) {
        off_t size = (off_t)((MG_NLAYERS + 1) * 2 * N * sizeof(float));
        if (ftruncate(sink->fd, 0) < 0 || ftruncate(sink->fd, size) < 0) {
            snprintf(err, errlen, "float tracks file: %s",
                     strerror(errno));
            errno = EIO;        /* a fault, never a re-rolled sample */
            return -2;
        }
    } else if (sink && (want_stems || want_mix) &&
               !(base = sink->alloc(sink->user, N, 2))) {
        snprintf(err, errlen, "no memory for %zu frames of float "
                 "tracks", N);
        errno = ENOMEM;
        return -2;
    }
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (l < MG_NLAYERS ? !want_stems : !want_mix)
            continue;
        if (sink && !sink->hash)
            continue;       /* samples only: no WAV encoded */
        if (l < MG_NLAYERS)
            snprintf(path, sizeof path, "%s/stems/%s.wav", dir,
                     mg_layer_name(l));
        else
            snprintf(path, sizeof path, "%s/mix.wav", dir);
        if (!(sf[l] = audio_wav_open(a, &a->wf[l], dir ? path : NULL, N,
                                     err, errlen))) {
            en = errno;
            goto out;
        }
    }
    for (size_t off = 0; off < N; off += SBLOCK) {
        size_t n = N - off < SBLOCK ? N - off : SBLOCK;
        float g[MG_NLAYERS];
        const int16_t *q[MG_NLAYERS];
        const float *x[MG_NLAYERS];
        double worst = 0;
        if (audio_store_get(a, off, n, q, x) < 0) {
            en = errno;
            snprintf(err, errlen, "read the scratch file in %s: %s",
                     a->spill_dir, strerror(en));
            goto out;
        }
        for (int l = 0; l < MG_NLAYERS; l++)
            g[l] = a->fmt == MG_SF_PCM16
                       ? (float)(a->bscale[l][off / SBLOCK] * h * a->ngain[l])
                       : (float)(h * a->ngain[l]);
        if (a->fmt == MG_SF_FLOAT) {
            /* float: the mix is the sum of the values written, exactly
             * as summed here; the check re-adds in double */
            for (size_t i = 0; i < 2 * n; i++) {
                float s = 0;
                double ds = 0, e;
                for (int l = 0; l < MG_NLAYERS; l++) {
                    float d = x[l][i] * g[l];
                    a->dec[l][i] = d;
                    s += d;
                    ds += d;
                }
                m[i] = s;
                e = fabs(ds - s);
                if (e > worst)
                    worst = e;
            }
        } else if (a->fmt == MG_SF_PCM16) {
            int16_t(*o)[2 * SBLOCK] = a->out16;
            worst = write_block16(q[0], q[1], q[2], q[3], g, o[0], o[1],
                                  o[2], o[3], o[MG_NLAYERS], m, 2 * n);
        } else {
            /* 24-bit: from the float store, quantised in double; the
             * mix is summed in double too (a float sum is off by up to
             * 0.75 LSB at 24 bits, which could push |stems - mix| past
             * the 2 LSB bound: 4 x 0.5 + 0.5 rounds down to 2) */
            for (size_t i = 0; i < 2 * n; i++) {
                double s = 0;
                int32_t qs = 0, qm;
                int e;
                for (int l = 0; l < MG_NLAYERS; l++) {
                    float d = x[l][i] * g[l];
                    int32_t v = quant(d, full);
                    s += d;
                    qs += v;
                    a->out32[l][i] = (int32_t)((uint32_t)v << 8);
                }
                m[i] = (float)s;
                qm = quantd(s, full);
                a->out32[MG_NLAYERS][i] = (int32_t)((uint32_t)qm << 8);
                e = abs(qs - qm);
                if (e > worst)
                    worst = e;
            }
        }
        if (worst > *max_err)
            *max_err = worst;
        if (worst > (a->fmt == MG_SF_FLOAT ? MG_STEM_TOL_FLOAT
                                           : MG_STEM_TOL_LSB)) {
            snprintf(err, errlen, "stems do not sum to the mix in frames "
                     "%zu..%zu (error %g%s)", off, off + n, worst,
                     a->fmt == MG_SF_FLOAT ? "" : " LSB");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            a->mono[i] = 0.5f * m[2 * i] + 0.5f * m[2 * i + 1];
        if (mg_ascore_acc_feed(a->acc, a->mono, n) < 0) {
            snprintf(err, errlen, "out of memory in the audio score");
            goto out;
        }
        if (sink && sink_block(a, base, N, off, n, want_stems,
                               want_mix) < 0) {
            snprintf(err, errlen, "write the float tracks file: %s",
                     strerror(errno));
            en = EIO;           /* a fault, never a re-rolled sample */
            goto out;
        }
        for (int l = 0; l <= MG_NLAYERS; l++) {
            sf_count_t w;
            if (!sf[l])
                continue;
            errno = 0;
            if (a->fmt == MG_SF_FLOAT)
                w = sf_writef_float(sf[l], a->dec[l], (sf_count_t)n);
            else if (a->fmt == MG_SF_PCM24)
                w = sf_writef_int(sf[l], a->out32[l], (sf_count_t)n);
            else
                w = sf_writef_short(sf[l], a->out16[l], (sf_count_t)n);
            if (w != (sf_count_t)n) {
                en = a->wf[l].err ? a->wf[l].err : errno ? errno : EIO;
                snprintf(err, errlen, "write %s/%s: %s", where,
                         l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav",
                         a->wf[l].err || errno ? strerror(en)
                                               : sf_strerror(sf[l]));
                goto out;
            }
        }
    }
    rc = 0;
out:
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (sf[l] && sf_close(sf[l]) != 0 && rc == 0) {
            en = a->wf[l].err ? a->wf[l].err : EIO;
            snprintf(err, errlen, "write %s/%s: close failed", where,
                     l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav");
            rc = -1;
        }
        bool inmem = a->wf[l].inmem;
        sf_count_t len = a->wf[l].len;
        if (!(a->wf[l].fd >= 0 || inmem))
            continue;
        if (audio_wav_close(&a->wf[l], hex[l]) < 0 && rc == 0) {
            en = errno;
            snprintf(err, errlen, "write %s/%s: %s", where,
                     l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav",
                     strerror(en));
            rc = -1;
        }
        if (inmem && !sink)
            a->wlen[l] = (size_t)len;
    }
    if (rc < 0) {
        for (int l = 0; l <= MG_NLAYERS; l++)
            a->wlen[l] = 0;
        errno = en;
        if (en)
            rc = -2;    /* an I/O failure; else the sample's own fault */
    }
    return rc;
}
