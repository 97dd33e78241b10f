/*
 * spectro — STFT magnitude picture of a WAV (see spectro.h).
 *
 * The file is mixed to mono; one 2048-point Hann-windowed frame is taken
 * centred on each pixel column (so the picture's width sets the hop),
 * its power binned onto rows spaced logarithmically from 40 Hz to the
 * Nyquist frequency, and coloured by dB relative to the loudest cell over
 * an 80 dB range. Palette entries 0..239 are the colour ramp; 240.. are
 * marker colours, so markers never blend with data. The file is read one
 * frame's window at a time: memory is bounded by the picture, whatever
 * the length of the WAV.
 */
#include "spectro.h"

#include <math.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png.h"
#include "rfile.h"

#define NFFT 2048
#define RAMP 240
#define RANGE_DB 80.0
#define PALETTE (RAMP + 3)     /* the ramp, then the three marker colours */

static void
fft(double *re, double *im, int n)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double ang = -2 * M_PI / len;
        for (int i = 0; i < n; i += len)
            for (int k = 0; k < len / 2; k++) {
                double wr = cos(ang * k), wi = sin(ang * k);
                double ur = re[i + k], ui = im[i + k];
                double vr = re[i + k + len / 2] * wr -
                            im[i + k + len / 2] * wi;
                double vi = re[i + k + len / 2] * wi +
                            im[i + k + len / 2] * wr;
                re[i + k] = ur + vr;
                im[i + k] = ui + vi;
                re[i + k + len / 2] = ur - vr;
                im[i + k + len / 2] = ui - vi;
            }
    }
}

/* The mono samples of frames start..start+NFFT-1 into re (0 outside the
 * file), read through buf (NFFT frames of ch channels); 0 or -1. */
static int
window(SNDFILE *sf, size_t frames, size_t ch, long start, float *buf,
       double *re)
{
    long first = start < 0 ? 0 : start;
    long last = start + NFFT > (long)frames ? (long)frames : start + NFFT;
    for (int i = 0; i < NFFT; i++)
        re[i] = 0;
    if (last <= first)
        return 0;
    sf_count_t n = last - first;
    if (sf_seek(sf, first, SEEK_SET) != first ||
        sf_readf_float(sf, buf, n) != n)
        return -1;
    for (sf_count_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t c = 0; c < ch; c++)
            s += buf[(size_t)i * ch + c];
        re[first - start + i] = s / (double)ch;
    }
    return 0;
}

/* A dark-blue -> purple -> orange -> pale-yellow ramp (like "magma"). */
static void
palette(uint8_t *pal)
{
    static const double stops[][3] = {
        {0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99},
        {212, 72, 66}, {245, 125, 21}, {250, 193, 39}, {252, 255, 164},
    };
    int ns = (int)(sizeof stops / sizeof *stops);
    for (int i = 0; i < RAMP; i++) {
        double x = (double)i / (RAMP - 1) * (ns - 1);
        int k = (int)x;
        if (k >= ns - 1)
            k = ns - 2;
        double f = x - k;
        for (int c = 0; c < 3; c++)
            pal[i * 3 + c] = (uint8_t)lround(stops[k][c] * (1 - f) +
                                             stops[k + 1][c] * f);
    }
    /* markers: beat (grey), downbeat (white), part (cyan) */
    static const uint8_t marks[3][3] = {
        {150, 150, 150}, {255, 255, 255}, {0, 220, 255},
    };
    memcpy(pal + RAMP * 3, marks, sizeof marks);
}

/* wav_path opened for reading, its header read into info; 0, or -1 with
 * err. mg_spectro_check says what this says. */
static int
open_wav(const char *wav_path, FILE **fp, SNDFILE **sf, SF_INFO *info,
         char *err, size_t errlen)
{
    memset(info, 0, sizeof *info);
    /* a regular file only: a FIFO in a damaged tree held `serve`'s
     * request (and its thread, and its shutdown) for ever */
    if (mg_rfile_open(wav_path, 0, fp, err, errlen))
        return -1;
    *sf = sf_open_fd(fileno(*fp), SFM_READ, info, 0);
    if (!*sf) {
        snprintf(err, errlen, "%s: %s", wav_path, sf_strerror(NULL));
        fclose(*fp);
        return -1;
    }
    return 0;
}

int
mg_spectro_check(const char *wav_path, char *err, size_t errlen)
{
    FILE *fp;
    SNDFILE *sf;
    SF_INFO info;
    if (open_wav(wav_path, &fp, &sf, &info, err, errlen))
        return -1;
    sf_close(sf);
    fclose(fp);
    return 0;
}

size_t
mg_spectro_png_size(int width, int height)
{
    if (width < 64 || width > 4096 || height < 64 || height > 4096)
        return 0;
    return mg_png_size(width, height, PALETTE);
}

int
mg_spectro_png(const char *wav_path, int width, int height,
               const mg_spectro_marks *marks, size_t nmarks, uint8_t **png,
               size_t *len, char *err, size_t errlen)
{
    if (width < 64 || width > 4096 || height < 64 || height > 4096) {
        snprintf(err, errlen, "picture size %dx%d outside 64..4096", width,
                 height);
        return -1;
    }
    SF_INFO info;
    FILE *fp;
    SNDFILE *sf;
    if (open_wav(wav_path, &fp, &sf, &info, err, errlen))
        return -1;
    size_t frames = (size_t)info.frames, ch = (size_t)info.channels;
    /* one frame's window at a time, never the whole file: a long mix
     * (or 64 requests of `serve` at once) took its size twice over in
     * floats and doubles */
    float *buf = malloc(NFFT * ch * sizeof *buf + 1);
    double *cell = malloc((size_t)width * (size_t)height * sizeof *cell);
    uint8_t *pix = malloc((size_t)width * (size_t)height);
    double *re = malloc(NFFT * sizeof *re), *im = malloc(NFFT * sizeof *im);
    double *win = malloc(NFFT * sizeof *win);
    int rc = -1;
    if (!buf || !cell || !pix || !re || !im || !win) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int i = 0; i < NFFT; i++)
        win[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (NFFT - 1));
    double rate = info.samplerate, fmin = 40, fmax = rate / 2;
    double top = -1e300;
    int *k0s = malloc((size_t)height * 2 * sizeof *k0s);
    if (!k0s) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int y = 0; y < height; y++) {
        /* row y (0 = top) covers [f_lo, f_hi) on a log axis */
        double a = (double)(height - 1 - y) / height;
        double b = (double)(height - y) / height;
        int k0 = (int)floor(fmin * pow(fmax / fmin, a) * NFFT / rate);
        int k1 = (int)floor(fmin * pow(fmax / fmin, b) * NFFT / rate);
        if (k1 < k0)
            k1 = k0;
        if (k1 > NFFT / 2)
            k1 = NFFT / 2;
        k0s[2 * y] = k0;
        k0s[2 * y + 1] = k1;
    }
    for (int x = 0; x < width; x++) {
        double centre = ((double)x + 0.5) * (double)frames / width;
        long start = (long)centre - NFFT / 2;
        if (window(sf, frames, ch, start, buf, re)) {
            snprintf(err, errlen, "%s: short read", wav_path);
            free(k0s);
            goto out;
        }
        for (int i = 0; i < NFFT; i++) {
            re[i] *= win[i];
            im[i] = 0;
        }
        fft(re, im, NFFT);
        for (int y = 0; y < height; y++) {
            int k0 = k0s[2 * y], k1 = k0s[2 * y + 1];
            double p = 0;
            int nk = 0;
            for (int k = k0; k <= k1; k++, nk++)
                p += re[k] * re[k] + im[k] * im[k];
            double db = 10 * log10(p / (nk ? nk : 1) + 1e-20);
            cell[(size_t)y * width + x] = db;
            if (db > top)
                top = db;
        }
    }
    free(k0s);
    for (size_t i = 0; i < (size_t)width * height; i++) {
        double v = (cell[i] - (top - RANGE_DB)) / RANGE_DB;
        v = v < 0 ? 0 : v > 1 ? 1 : v;
        pix[i] = (uint8_t)lround(v * (RAMP - 1));
    }
    double secs = (double)frames / rate;
    for (size_t m = 0; m < nmarks; m++) {
        const mg_spectro_marks *mk = &marks[m];
        for (size_t i = 0; i < mk->n; i++) {
            long x = lround(mk->times[i] / secs * width);
            if (x < 0 || x >= width)
                continue;
            /* beats: a tick at the bottom; downbeats: dotted full
             * height; parts: a solid line */
            for (int y = 0; y < height; y++) {
                bool on = mk->kind == MG_SPECTRO_PART ||
                    (mk->kind == MG_SPECTRO_DOWNBEAT && (y / 3) % 2 == 0) ||
                    (mk->kind == MG_SPECTRO_BEAT && y >= height - height / 12);
                if (on)
                    pix[(size_t)y * width + x] = (uint8_t)(RAMP + mk->kind);
            }
        }
    }
    uint8_t pal[256 * 3];
    memset(pal, 0, sizeof pal);
    palette(pal);
    if (mg_png_encode(pix, width, height, pal, PALETTE, png, len)) {
        snprintf(err, errlen, "cannot encode the PNG");
        goto out;
    }
    rc = 0;
out:
    sf_close(sf);
    fclose(fp);
    free(buf);
    free(cell);
    free(pix);
    free(re);
    free(im);
    free(win);
    return rc;
}
