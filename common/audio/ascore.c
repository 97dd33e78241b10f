/*
 * ascore — the audio score: integrity checks, an onset envelope, a tempo
 * estimate and dynamic-programming beat tracker, chroma with a
 * Krumhansl-Kessler key correlation, and spectral noise measures.
 *
 * Hand-written (with a small radix-2 FFT) rather than a library: the
 * analyses are short, we need them byte-stable across runs, and nothing in
 * Debian offers onset/beat/chroma for C without pulling in a framework
 * (aubio would do the beats but not chroma or the key profile). The
 * definitions, thresholds and weights are documented in docs/audio.md and
 * are the only place those numbers live.
 *
 * Invariants: pure function of (samples, rate, tempo range); the
 * streaming accumulator gives the same result as one call over the whole
 * signal. No spectrogram is kept: each STFT frame is consumed as it is
 * made (the onset flux, the noise measures, the chroma), so the memory
 * beyond the decimated signal is a few values per frame, not a whole
 * song's spectrum (18 MB for a 140 s song).
 */
#include "ascore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"

/* Analysis at ~5.5 kHz: everything measured lies below 2.8 kHz (chroma
 * up to 2.1 kHz, contrast bands up to 2.8 kHz), and the STFT sizes are
 * halved with the rate, so frame times (23 ms hop) and bin widths
 * (10.8 Hz onset, 2.7 Hz chroma) are those of the earlier 11 kHz
 * analysis at half the cost. */
#define AN_RATE 5512.5  /* analysis rate (decimated) */
#define ON_N 512        /* onset/noise STFT size */
#define ON_HOP 128
#define CH_N 2048       /* chroma STFT size */
#define CH_HOP 1024
#define CONTRAST_BANDS 5 /* octaves from ar/64 (86 Hz) to Nyquist */
#define NOISE_STEP 4    /* noise measures on every 4th onset frame */

static const double ks_major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                    2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
static const double ks_minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                    2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

static double
clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : (isnan(x) ? 0 : x);
}

/* The twiddle factors of an n-point fft, stage after stage (n - 1 of
 * each): per stage, (1, 0) turned by (cos, sin)(-2 pi / len) one step at
 * a time - the recurrence fft once ran inside every group of butterflies,
 * so the table holds those very values and the transform's bits are
 * unchanged; made once per STFT, not once per group of every frame. */
static void
fft_twiddles(double *cr_tab, double *ci_tab, int n)
{
    int o = 0;

    for (int len = 2; len <= n; len <<= 1) {
        double ang = -2 * M_PI / len;
        double wr = cos(ang), wi = sin(ang);
        double cr = 1, ci = 0;
        for (int k = 0; k < len / 2; k++) {
            double t;
            cr_tab[o + k] = cr;
            ci_tab[o + k] = ci;
            t = cr * wr - ci * wi;
            ci = cr * wi + ci * wr;
            cr = t;
        }
        o += len / 2;
    }
}

/* In-place iterative radix-2 FFT, n a power of two, with the twiddle
 * factors of fft_twiddles. */
static void
fft(double *re, double *im, int n, const double *cr_tab,
    const double *ci_tab)
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
    for (int len = 2, o = 0; len <= n; o += len / 2, len <<= 1) {
        const double *cw = cr_tab + o, *sw = ci_tab + o;
        for (int i = 0; i < n; i += len) {
            for (int k = 0; k < len / 2; k++) {
                int a = i + k, b = i + k + len / 2;
                double cr = cw[k], ci = sw[k];
                double xr = re[b] * cr - im[b] * ci;
                double xi = re[b] * ci + im[b] * cr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
    }
}

/* The STFT, one frame at a time: magnitudes of n/2 + 1 bins, normalised
 * so a full-scale sine peaks near 1. The real frame is transformed as a
 * complex sequence of n/2 points (even samples real, odd imaginary) and
 * split into the n/2 + 1 bins of the real spectrum: half the work of an
 * n-point complex FFT. */
typedef struct {
    int n, hop;
    double *re, *im, *win, *tw;
    double *cr, *ci;    /* the fft's twiddles (fft_twiddles) */
    double *m;          /* the current frame's magnitudes */
} stft;

static int
stft_init(stft *p, int n, int hop)
{
    int h = n / 2;

    p->n = n;
    p->hop = hop;
    p->re = malloc(sizeof(double) * (size_t)h);
    p->im = malloc(sizeof(double) * (size_t)h);
    p->win = malloc(sizeof(double) * (size_t)n);
    p->tw = malloc(sizeof(double) * (size_t)n);
    p->cr = malloc(sizeof(double) * (size_t)h);
    p->ci = malloc(sizeof(double) * (size_t)h);
    p->m = malloc(sizeof(double) * (size_t)(h + 1));
    if (!p->re || !p->im || !p->win || !p->tw || !p->cr || !p->ci || !p->m)
        return -1;
    fft_twiddles(p->cr, p->ci, h);
    for (int i = 0; i < n; i++)
        p->win[i] = 0.5 - 0.5 * cos(2 * M_PI * i / n);
    for (int k = 0; k < h; k++) {
        p->tw[2 * k] = cos(2 * M_PI * k / n);
        p->tw[2 * k + 1] = -sin(2 * M_PI * k / n);
    }
    return 0;
}

static void
stft_free(stft *p)
{
    free(p->re);
    free(p->im);
    free(p->win);
    free(p->tw);
    free(p->cr);
    free(p->ci);
    free(p->m);
}

/* Frames of a signal of len samples. */
static long
stft_count(const stft *p, size_t len)
{
    if (len < (size_t)p->n)
        return 0;
    return (long)((len - (size_t)p->n) / (size_t)p->hop) + 1;
}

/* Frame t of x into p->m. */
static void
stft_frame(stft *p, const float *x, long t)
{
    const float *f = x + (size_t)t * (size_t)p->hop;
    int n = p->n, h = n / 2;
    double *re = p->re, *im = p->im, *m = p->m;
    const double *win = p->win, *tw = p->tw;

    for (int i = 0; i < h; i++) {
        re[i] = f[2 * i] * win[2 * i];
        im[i] = f[2 * i + 1] * win[2 * i + 1];
    }
    fft(re, im, h, p->cr, p->ci);
    /* X[k] = E[k] + w^k O[k], E/O the spectra of the even/odd
     * samples: E = (Z[k] + conj Z[h-k]) / 2,
     * O = (Z[k] - conj Z[h-k]) / 2i */
    for (int k = 0; k <= h; k++) {
        int a = k % h, b = (h - k) % h;
        double er = 0.5 * (re[a] + re[b]), ei = 0.5 * (im[a] - im[b]);
        double or_ = 0.5 * (im[a] + im[b]), oi = -0.5 * (re[a] - re[b]);
        double wr = k < h ? tw[2 * k] : -1, wi = k < h ? tw[2 * k + 1] : 0;
        double xr = er + wr * or_ - wi * oi;
        double xi = ei + wr * oi + wi * or_;
        m[k] = sqrt(xr * xr + xi * xi) / (n / 4.0);
    }
}

/* Pearson correlation of a with b rotated by r. */
static double
corr_rot(const double *a, const double *b, int r)
{
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < 12; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= 12;
    mb /= 12;
    for (int i = 0; i < 12; i++) {
        double x = a[(i + r) % 12] - ma, y = b[i] - mb;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    return (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : 0;
}

static void
harmony(const float *x, size_t len, double ar, mg_ascore *s, int *fail)
{
    double mean[12] = {0}, prev[12] = {0};
    int used = 0, pairs = 0, have_prev = 0;
    double stab = 0, best = -2, mx = 0, avg = 0;
    stft sp;
    long T;

    if (stft_init(&sp, CH_N, CH_HOP) < 0) {
        stft_free(&sp);
        *fail = 1;
        return;
    }
    T = stft_count(&sp, len);
    for (long t = 0; t < T; t++) {
        const double *m = sp.m;
        double c[12] = {0}, cm = 0, e = 0, dot = 0, n1 = 0, n2 = 0;
        stft_frame(&sp, x, t);
        for (int k = 1; k <= CH_N / 2; k++) {
            double f = k * ar / CH_N;
            int pc;
            if (f < 65 || f > 2100)
                continue;
            pc = ((int)lround(12 * log2(f / 440.0)) % 12 + 12 + 9) % 12;
            c[pc] += m[k];
            e += m[k] * m[k];
        }
        if (e < 1e-8) {
            have_prev = 0;
            continue;
        }
        for (int i = 0; i < 12; i++)
            if (c[i] > cm)
                cm = c[i];
        for (int i = 0; i < 12; i++) {
            c[i] /= cm;
            mean[i] += c[i];
        }
        used++;
        /* stability on mean-centred chroma: flat (noisy) frames carry no
         * shape, so they neither look stable nor unstable */
        cm = 0;
        for (int i = 0; i < 12; i++)
            cm += c[i] / 12;
        if (have_prev) {
            for (int i = 0; i < 12; i++) {
                dot += (c[i] - cm) * prev[i];
                n1 += (c[i] - cm) * (c[i] - cm);
                n2 += prev[i] * prev[i];
            }
            stab += (n1 > 0 && n2 > 0) ? dot / sqrt(n1 * n2) : 0;
            pairs++;
        }
        for (int i = 0; i < 12; i++)
            prev[i] = c[i] - cm;
        have_prev = 1;
    }
    stft_free(&sp);
    if (!used)
        return;
    for (int i = 0; i < 12; i++) {
        mean[i] /= used;
        avg += mean[i] / 12;
        if (mean[i] > mx)
            mx = mean[i];
    }
    for (int r = 0; r < 12; r++) {
        double a = corr_rot(mean, ks_major, r), b = corr_rot(mean, ks_minor, r);
        if (a > best) {
            best = a;
            s->key_pc = r;
            s->key_minor = 0;
        }
        if (b > best) {
            best = b;
            s->key_pc = r;
            s->key_minor = 1;
        }
    }
    s->key_correlation = clamp01((best + 1) / 2);
    s->key_clarity = avg > 0 ? clamp01(mx / avg - 1) : 0;
    s->harmonic_stability = pairs ? clamp01(stab / pairs) : 0;
    s->harmony = (s->key_correlation + s->key_clarity +
                  s->harmonic_stability) / 3;
}

/* Spectral noise measures on the onset STFT: sums over every
 * NOISE_STEP-th frame (noise_frame, in frame order), then the zero
 * crossings of the signal and the means (noise_finish). */
typedef struct {
    double flat, contrast;
    int frames;
    double tmp[ON_N / 2 + 1];   /* a band's powers, sorted */
} noise_acc;

static void
noise_frame(noise_acc *na, const double *m, double ar)
{
    double *tmp = na->tmp;
    double e = 0, lg = 0, ar_mean = 0, c = 0;
    int nb = 0;

    /* every NOISE_STEP-th frame (non-overlapping windows): flatness and
     * contrast are means over the song, and the per-frame band sorts and
     * logs were most of the score's cost */
    for (int k = 1; k <= ON_N / 2; k++)
        e += m[k] * m[k];
    if (e < 1e-8)
        return;
    for (int k = 1; k <= ON_N / 2; k++) {
        double p = m[k] * m[k] + 1e-12;
        lg += log(p);
        ar_mean += p;
    }
    na->flat += exp(lg / (ON_N / 2)) / (ar_mean / (ON_N / 2));
    /* octave bands from ar/64 upward: mean of the top and bottom
     * fifths of the band's power, in dB */
    for (int b = 0; b < CONTRAST_BANDS; b++) {
        double lo = ar / 64 * pow(2, b), hi = lo * 2;
        int k0 = (int)ceil(lo * ON_N / ar), k1 = (int)(hi * ON_N / ar);
        int n = 0, q;
        double top = 0, bot = 0;
        if (k1 > ON_N / 2)
            k1 = ON_N / 2;
        for (int k = k0; k < k1; k++) {
            double p = m[k] * m[k] + 1e-12;
            int j = n++;
            while (j > 0 && tmp[j - 1] > p) {
                tmp[j] = tmp[j - 1];
                j--;
            }
            tmp[j] = p;
        }
        if (n < 5)
            continue;
        q = n / 5;
        for (int i = 0; i < q; i++) {
            bot += tmp[i];
            top += tmp[n - 1 - i];
        }
        c += 10 * log10(top / bot);
        nb++;
    }
    if (nb)
        na->contrast += c / nb;
    na->frames++;
}

static void
noise_finish(const noise_acc *na, const float *x, size_t len, mg_ascore *s)
{
    size_t zc = 0, nz = 0;
    int frames = na->frames;

    for (size_t i = 1; i < len; i++) {
        if (fabs(x[i]) < 1e-4 && fabs(x[i - 1]) < 1e-4)
            continue;
        nz++;
        if ((x[i] >= 0) != (x[i - 1] >= 0))
            zc++;
    }
    s->zcr_score = nz ? clamp01(1 - 2.0 * zc / nz) : 0;
    s->flatness_score = frames ? clamp01(1 - (na->flat / frames) / 0.5) : 0;
    s->contrast_score =
        frames ? clamp01((na->contrast / frames - 15) / 25) : 0;
    s->noise = (s->zcr_score + s->flatness_score + s->contrast_score) / 3;
}

/* The onset STFT's log-magnitude spectral flux of frame t (m: its
 * magnitudes) into raw[t]; lg holds the log-magnitudes of the last two
 * frames (each frame's once: they serve as "now" and then as "before"). */
static void
onset_flux(const double *m, long t, double lg[2][ON_N / 2 + 1],
           double *raw)
{
    double *la = lg[t & 1];
    const double *lb = lg[(t - 1) & 1];
    double f = 0;

    if (t == 0) {
        for (int k = 1; k <= ON_N / 2; k++)
            la[k] = log1p(1000 * m[k]);
        raw[0] = 0;
        return;
    }
    for (int k = 1; k <= ON_N / 2; k++) {
        double d;
        la[k] = log1p(1000 * m[k]);
        d = la[k] - lb[k];
        if (d > 0)
            f += d;
    }
    raw[t] = f;
}

/* Onset envelope: the spectral flux (onset_flux), minus a local mean,
 * half-wave rectified. */
static double *
onset_env(const double *raw, long T)
{
    double *o = calloc((size_t)T, sizeof *o);

    if (!o)
        return NULL;
    for (long t = 0; t < T; t++) {
        double m = 0;
        int n = 0;
        for (long j = t - 8; j <= t + 8; j++)
            if (j >= 0 && j < T) {
                m += raw[j];
                n++;
            }
        o[t] = raw[t] - m / n > 0 ? raw[t] - m / n : 0;
    }
    return o;
}

static double
autocorr(const double *o, long T, long lag)
{
    double s = 0;
    for (long t = lag; t < T; t++)
        s += o[t] * o[t - lag];
    return s;
}

static void
rhythm_tempo(const double *raw, long T, double ar, double tmin, double tmax,
             mg_ascore *s, int *fail)
{
    double fps = ar / ON_HOP, mean = 0, sd = 0, *o, *ac, *score = NULL;
    long lmin = (long)floor(fps * 60 / 240), lmax = (long)ceil(fps * 60 / 40);
    long best = -1, *back = NULL, *beats = NULL, nb = 0, t;
    double bw = -HUGE_VAL, p, ac0, centre, lo, hi;

    if (lmin < 1)       /* under 4 frames a second (a file below 512 Hz): */
        lmin = 1;       /* lag 0 gave an infinite tempo (null in --json) */
    if (T < lmax * 2 + 2)
        return;
    o = onset_env(raw, T);
    ac = calloc((size_t)lmax + 2, sizeof *ac);
    if (!o || !ac) {
        *fail = 1;
        free(o);
        free(ac);
        return;
    }
    for (t = 0; t < T; t++)
        mean += o[t] / T;
    for (t = 0; t < T; t++)
        sd += (o[t] - mean) * (o[t] - mean) / T;
    sd = sqrt(sd);
    if (sd <= 0)
        goto out;
    for (t = 0; t < T; t++)
        o[t] = (o[t] - mean) / sd;
    for (long l = 0; l <= lmax + 1; l++)
        ac[l] = autocorr(o, T, l);
    ac0 = ac[0];
    /* log-normal tempo prior around 120 BPM, one octave wide */
    for (long l = lmin; l <= lmax; l++) {
        double bpm = 60 * fps / l;
        double w = exp(-0.5 * pow(log2(bpm / 120.0), 2)) * ac[l];
        if (w > bw) {
            bw = w;
            best = l;
        }
    }
    p = best;
    if (best > lmin && best < lmax) {
        double a = ac[best - 1], b = ac[best], c = ac[best + 1];
        double den = a - 2 * b + c;
        /* the vertex of the parabola, when it lies beside the lag: where
         * ac[best] is no peak (the prior chose it) it can lie far off,
         * even below 0 (a 1 kHz file: a negative period, then lag
         * -1 read before the onset envelope) */
        if (den < 0 && fabs(0.5 * (a - c) / den) < 1)
            p = best + 0.5 * (a - c) / den;
    }
    s->tempo_bpm = 60 * fps / p;
    s->onset_clarity = ac0 > 0 ? clamp01(ac[best] / ac0) : 0;

    /* beat tracking by dynamic programming (Ellis 2007) */
    score = malloc(sizeof(double) * (size_t)T);
    back = malloc(sizeof(long) * (size_t)T);
    beats = malloc(sizeof(long) * (size_t)T);
    if (!score || !back || !beats) {
        *fail = 1;
        goto out;
    }
    for (t = 0; t < T; t++) {
        long a = t - (long)round(2 * p), b = t - (long)round(p / 2);
        double bs = -1e300;
        long bi = -1;
        for (long j = a < 0 ? 0 : a; j <= b; j++) {
            double r = log((t - j) / p);
            double v = score[j] - 100 * r * r;
            if (v > bs) {
                bs = v;
                bi = j;
            }
        }
        score[t] = o[t] + (bi >= 0 && bs > 0 ? bs : 0);
        back[t] = (bi >= 0 && bs > 0) ? bi : -1;
    }
    {
        long last = T - 1;
        double bs = -1e300;
        for (t = T - 1; t >= 0 && t >= T - (long)ceil(p); t--)
            if (score[t] > bs) {
                bs = score[t];
                last = t;
            }
        for (t = last; t >= 0; t = back[t])
            beats[nb++] = t;
        for (long i = 0; i < nb / 2; i++) {
            long x = beats[i];
            beats[i] = beats[nb - 1 - i];
            beats[nb - 1 - i] = x;
        }
    }
    s->nbeats = (int)nb;
    if (nb >= 3) {
        double im = 0, iv = 0, at = 0, all = 0;
        long near = 0, peaks = 0;
        for (long i = 1; i < nb; i++)
            im += (double)(beats[i] - beats[i - 1]) / (nb - 1);
        for (long i = 1; i < nb; i++) {
            double d = beats[i] - beats[i - 1] - im;
            iv += d * d / (nb - 1);
        }
        s->beat_stability = clamp01(1 - sqrt(iv) / im / 0.25);
        s->beat_regularity = s->beat_stability;
        /* strength: envelope at beats against its mean (o is z-scored, so
         * shift it positive first) */
        for (long i = 0; i < nb; i++)
            at += o[beats[i]] + 3;
        for (t = 0; t < T; t++)
            all += o[t] + 3;
        s->beat_strength = clamp01((at / nb) / (all / T) - 1);
        /* regularity: strong onsets on the sixteenth grid of the beats,
         * beyond what chance would put there */
        for (t = 3; t < T - 3; t++) {
            int isp = o[t] > 0.5;
            for (long j = t - 3; isp && j <= t + 3; j++)
                if (o[j] > o[t])
                    isp = 0;
            if (!isp)
                continue;
            peaks++;
            for (long i = 0; i + 1 < nb; i++) {
                double span = beats[i + 1] - beats[i];
                int hit = 0;
                for (int k = 0; k < 4 && !hit; k++)
                    if (fabs(t - (beats[i] + k * span / 4)) <= 1.0)
                        hit = 1;
                if (hit || labs(t - beats[i + 1]) <= 1) {
                    near++;
                    break;
                }
            }
        }
        if (peaks > 0) {
            double chance = 12.0 / im > 1 ? 1 : 12.0 / im;
            double frac = (double)near / peaks;
            s->beat_regularity = chance < 1
                ? clamp01((frac - chance) / (1 - chance)) : 0;
        }
    }
    /* pattern: self-similarity at 1, 2 and 4 beats */
    {
        double sum = 0;
        int n = 0;
        for (int m = 1; m <= 4; m *= 2) {
            long l = (long)round(m * p);
            if (l < T / 2) {
                sum += autocorr(o, T, l) / ac0 * T / (T - l);
                n++;
            }
        }
        s->pattern = n ? clamp01(sum / n) : 0;
    }
    s->density = exp(-0.5 * pow(log2(s->tempo_bpm / 60 / 1.5), 2));
    centre = (tmin > 0 && tmax > tmin) ? sqrt(tmin * tmax) : 120;
    lo = (tmin > 0 && tmax > tmin) ? tmin : 60;
    hi = (tmin > 0 && tmax > tmin) ? tmax : 180;
    {
        double b = s->tempo_bpm;
        if (b >= lo && b <= hi) {
            double half = log2(hi / lo) / 2;
            s->tempo_reasonableness =
                half > 0 ? 1 - 0.5 * fabs(log2(b / centre)) / half : 1;
        } else {
            double d = b < lo ? log2(lo / b) : log2(b / hi);
            s->tempo_reasonableness = 0.5 * exp(-pow(d / 0.25, 2));
        }
    }
    s->tempo = (s->beat_stability + s->tempo_reasonableness +
                s->onset_clarity) / 3;
    s->rhythm = 0.35 * s->beat_regularity + 0.30 * s->beat_strength +
                0.20 * s->pattern + 0.15 * s->density;
out:
    free(score);
    free(back);
    free(beats);
    free(o);
    free(ac);
}

/* Streaming front end: integrity sums at the full rate and the decimated
 * signal (means of `dec` consecutive samples), so a caller can feed the
 * mix block by block and never hold it at the full rate. */
struct mg_ascore_acc {
    int rate, dec;
    double sum, sq, peak;
    size_t n, clip, quiet;
    double part;        /* running sum of the current decimation group */
    int npart;
    float *x;           /* decimated signal */
    size_t len, cap;
};

mg_ascore_acc *
mg_ascore_acc_new(int rate)
{
    mg_ascore_acc *a = calloc(1, sizeof *a);

    if (!a)
        return NULL;
    a->rate = rate;
    a->dec = rate > AN_RATE ? (int)lround(rate / AN_RATE) : 1;
    return a;
}

void
mg_ascore_acc_reset(mg_ascore_acc *a)
{
    a->sum = a->sq = a->peak = a->part = 0;
    a->n = a->clip = a->quiet = a->len = 0;
    a->npart = 0;
}

void
mg_ascore_acc_destroy(mg_ascore_acc **ap)
{
    if (!ap || !*ap)
        return;
    free((*ap)->x);
    free(*ap);
    *ap = NULL;
}

int
mg_ascore_acc_feed(mg_ascore_acc *a, const float *mono, size_t n)
{
    size_t need = a->len + (a->npart + n) / (size_t)a->dec + 1;

    if (need > a->cap) {
        size_t cap = a->cap ? a->cap : 1 << 16;
        float *p;
        while (cap < need)
            cap *= 2;
        p = realloc(a->x, sizeof(float) * cap);
        if (!p)
            return -1;
        a->x = p;
        a->cap = cap;
    }
    {
        /* the sums in locals: a store into a->x could alias the struct's
         * fields (the build has -fno-strict-aliasing), so each would go
         * through memory every sample; the same sums in the same order */
        double sum = a->sum, sq = a->sq, peak = a->peak, part = a->part;
        size_t clip = a->clip, quiet = a->quiet, len = a->len;
        int npart = a->npart, dec = a->dec;
        float *x = a->x;
        for (size_t i = 0; i < n; i++) {
            double v = mono[i], m = fabs(v);
            sum += v;
            sq += v * v;
            if (m > peak)
                peak = m;
            clip += m >= 0.99;
            quiet += m < 0.01;
            part += v;
            if (++npart == dec) {
                x[len++] = (float)(part / dec);
                part = 0;
                npart = 0;
            }
        }
        a->sum = sum;
        a->sq = sq;
        a->peak = peak;
        a->part = part;
        a->clip = clip;
        a->quiet = quiet;
        a->len = len;
        a->npart = npart;
    }
    a->n += n;
    return 0;
}

int
mg_ascore_acc_finish(mg_ascore_acc *a, double tempo_min, double tempo_max,
                     mg_ascore *s)
{
    double ar = (double)a->rate / a->dec, *raw = NULL;
    double pc, ps, pd;
    double lg[2][ON_N / 2 + 1];
    noise_acc na = {0, 0, 0, {0}};
    stft on;
    long T;
    int fail = 0;
    size_t n = a->n;

    memset(s, 0, sizeof *s);
    s->clipping_ratio = n ? (double)a->clip / n : 0;
    s->silence_ratio = n ? (double)a->quiet / n : 1;
    s->dc_offset = n ? fabs(a->sum / n) : 0;
    s->crest_db = (a->sq > 0 && n) ? 20 * log10(a->peak / sqrt(a->sq / n))
                                   : 0;
    pc = clamp01(s->clipping_ratio / 0.01);
    ps = clamp01((s->silence_ratio - 0.5) * 2.0);
    pd = clamp01((s->dc_offset - 0.001) / 0.049);
    s->integrity_penalty = pc > ps ? (pc > pd ? pc : pd) : (ps > pd ? ps : pd);
    /* one pass over the onset STFT's frames: the flux and the noise
     * measures */
    if (stft_init(&on, ON_N, ON_HOP) < 0) {
        stft_free(&on);
        return -1;
    }
    T = stft_count(&on, a->len);
    if (T > 0 && !(raw = malloc(sizeof(double) * (size_t)T))) {
        stft_free(&on);
        return -1;
    }
    for (long t = 0; t < T; t++) {
        stft_frame(&on, a->x, t);
        onset_flux(on.m, t, lg, raw);
        if (t % NOISE_STEP == 0)
            noise_frame(&na, on.m, ar);
    }
    stft_free(&on);
    if (T > 0) {
        rhythm_tempo(raw, T, ar, tempo_min, tempo_max, s, &fail);
        noise_finish(&na, a->x, a->len, s);
        harmony(a->x, a->len, ar, s, &fail);
    }
    free(raw);
    if (fail)
        return -1;
    s->raw = 0.30 * s->tempo + 0.30 * s->harmony + 0.25 * s->rhythm +
             0.15 * s->noise;
    s->score = clamp01(s->raw * (1 - s->integrity_penalty));
    return 0;
}

int
mg_ascore_analyze(const float *mono, size_t n, int rate, double tempo_min,
                  double tempo_max, mg_ascore *s)
{
    mg_ascore_acc *a = mg_ascore_acc_new(rate);
    int rc;

    if (!a)
        return -1;
    rc = mg_ascore_acc_feed(a, mono, n) < 0
        ? -1 : mg_ascore_acc_finish(a, tempo_min, tempo_max, s);
    mg_ascore_acc_destroy(&a);
    return rc;
}

json_t *
mg_ascore_json(const mg_ascore *s)
{
    static const char *const pcs[12] = {"C", "C#", "D", "D#", "E", "F",
                                        "F#", "G", "G#", "A", "A#", "B"};
    json_t *o = json_object();
    struct { const char *k; double v; } f[] = {
        {"score", s->score}, {"raw", s->raw},
        {"integrity_penalty", s->integrity_penalty},
        {"clipping_ratio", s->clipping_ratio},
        {"silence_ratio", s->silence_ratio}, {"dc_offset", s->dc_offset},
        {"crest_db", s->crest_db}, {"tempo", s->tempo},
        {"harmony", s->harmony}, {"rhythm", s->rhythm},
        {"noise", s->noise}, {"tempo_bpm", s->tempo_bpm},
        {"beat_stability", s->beat_stability},
        {"tempo_reasonableness", s->tempo_reasonableness},
        {"onset_clarity", s->onset_clarity},
        {"key_correlation", s->key_correlation},
        {"key_clarity", s->key_clarity},
        {"harmonic_stability", s->harmonic_stability},
        {"beat_regularity", s->beat_regularity},
        {"beat_strength", s->beat_strength}, {"pattern", s->pattern},
        {"density", s->density}, {"zcr_score", s->zcr_score},
        {"flatness_score", s->flatness_score},
        {"contrast_score", s->contrast_score},
    };
    char key[8];

    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        json_object_set_new(o, f[i].k, mg_json_real(f[i].v, 4));
    snprintf(key, sizeof key, "%s%s", pcs[s->key_pc % 12],
             s->key_minor ? "m" : "");
    json_object_set_new(o, "key", json_string(key));
    json_object_set_new(o, "beats", json_integer(s->nbeats));
    return o;
}
