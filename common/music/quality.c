/*
 * quality — layer 1 of the musicality score: symbolic checks on a finished
 * song, before anything is rendered. docs/musicality.md defines every
 * metric and mapping; this file implements exactly that.
 *
 * Hard checks (any failure: passed = false, score = 0):
 *  - every layer active in at least one part has at least one note;
 *  - no single pitch class carries more than 80% of the melody's notes;
 *  - the melody spans at most 36 semitones.
 * Soft metrics (each in [0, 1], score = their mean), on the melody line:
 * key-profile correlation, scale adherence, step fraction, trigram entropy,
 * Lempel-Ziv complexity. A melody that is absent by design (inactive in
 * every part) is not a failure: the two tonal metrics then read the other
 * pitched layers and the three line metrics take the mean of those two.
 *
 * Invariants: a pure function of the song (no RNG, no clock); no heap
 * allocation — the line metrics read at most Q_MAXLINE notes (more than a
 * 3-minute melody of sixteenths at 240 bpm) into a stack array, and the
 * entropy and LZ metrics work on windows of Q_WINDOW notes, which bounds
 * the LZ parse to O(n * Q_WINDOW).
 */
#include "quality.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q_MAXLINE 4096
#define Q_WINDOW 64
#define Q_STUCK_PERCENT 80
#define Q_MAX_RANGE 36

static const char *const soft_names[MG_NQSOFT] = {
    "key_correlation", "scale_adherence", "step_fraction", "ngram_entropy",
    "lz_complexity"};

const char *
mg_quality_soft_name(int k)
{
    if (k < 0 || k >= MG_NQSOFT) return "?";
    return soft_names[k];
}

static void
add_fail(mg_quality *q, const char *fmt, ...)
{
    va_list ap;

    q->passed = false;
    if (q->nfail >= (int)(sizeof(q->fail) / sizeof(q->fail[0]))) return;
    va_start(ap, fmt);
    vsnprintf(q->fail[q->nfail], sizeof(q->fail[0]), fmt, ap);
    va_end(ap);
    q->nfail++;
}

static bool
layer_active_somewhere(const mg_song *s, int l)
{
    int i;

    for (i = 0; i < s->nparts; i++)
        if (s->parts[i].active[l]) return true;
    return false;
}

static double
clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* Krumhansl-Schmuckler: the best Pearson r of the pitch-class histogram
 * against the 24 rotated Krumhansl-Kessler profiles, mapped by (r+1)/2. A
 * flat histogram correlates with nothing and scores 0.5. */
static double
key_correlation(const double hist[12])
{
    const double *prof[2] = { mg_kk_major, mg_kk_minor };
    double hm = 0, hv = 0, best = -1;
    int m, k, i;

    for (i = 0; i < 12; i++)
        hm += hist[i] / 12;
    for (i = 0; i < 12; i++)
        hv += (hist[i] - hm) * (hist[i] - hm);
    if (hv <= 0) return 0.5;
    for (m = 0; m < 2; m++) {
        double pm = 0, pv = 0;

        for (i = 0; i < 12; i++)
            pm += prof[m][i] / 12;
        for (i = 0; i < 12; i++)
            pv += (prof[m][i] - pm) * (prof[m][i] - pm);
        for (k = 0; k < 12; k++) {
            double cov = 0, r;

            /* Key with tonic k: pitch class i is degree (i - k) mod 12. */
            for (i = 0; i < 12; i++)
                cov += (hist[i] - hm) * (prof[m][(i - k + 12) % 12] - pm);
            r = cov / sqrt(hv * pv);
            if (r > best) best = r;
        }
    }
    return clamp01((best + 1) / 2);
}

static double
scale_adherence(const double hist[12], int tonic_pc, mg_mode mode)
{
    double in = 0, all = 0;
    int pc;

    for (pc = 0; pc < 12; pc++) {
        all += hist[pc];
        if (mg_pc_in_scale(pc, tonic_pc, mode)) in += hist[pc];
    }
    return all > 0 ? in / all : 0;
}

/* Fraction of intervals of at most 2 semitones, mapped to a score that is
 * 1 over the tonal band [0.35, 0.85] (our generators give 0.34-0.76),
 * falls linearly to 0 at no steps at all (random leaps, the worse failure)
 * and to 0.5 at all steps (scale runs, dull but not broken). */
static double
step_score_of(double f)
{
    if (f < 0.35) return f / 0.35;
    if (f <= 0.85) return 1;
    return 1 - 0.5 * (f - 0.85) / 0.15;
}

static double
step_fraction(const uint8_t *p, size_t n)
{
    size_t i, steps = 0;

    if (n < 2) return 0;
    for (i = 1; i < n; i++)
        if (abs((int)p[i] - (int)p[i - 1]) <= 2) steps++;
    return (double)steps / (double)(n - 1);
}

static int
u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Shannon entropy of the trigram distribution in one window, normalised by
 * log2 of the number of trigrams in it (the most it could be): a short
 * cycle scores near 0, a sequence that never repeats a trigram scores 1.
 * (The Python tool divides by log2 of the number of distinct trigrams,
 * which gives a 1-2-1-2 cycle the top score; see docs/musicality.md.) */
static double
trigram_entropy(const uint8_t *p, size_t n)
{
    uint32_t tri[Q_WINDOW];
    size_t i, j, m;
    double h = 0;

    if (n < 4) return 0;
    m = n - 2;
    for (i = 0; i < m; i++)
        tri[i] = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    qsort(tri, m, sizeof(tri[0]), u32_cmp);
    for (i = 0; i < m; i = j) {
        double pr;

        for (j = i + 1; j < m && tri[j] == tri[i]; j++)
            ;
        pr = (double)(j - i) / (double)m;
        h -= pr * log2(pr);
    }
    return clamp01(h / log2((double)m));
}

/* Only the low tail is penalised: below 0.6 the melody is repeating a few
 * trigrams (a cycle); above it, high entropy alone is no fault, since a
 * tonal melody without motifs scores as high as noise (the tonal and LZ
 * metrics judge that tail). */
static double
entropy_score_of(double h)
{
    return h >= 0.6 ? 1 : h / 0.6;
}

/* Lempel-Ziv (1976) complexity: the number of phrases in the exhaustive
 * parse, where each phrase is the longest prefix of the rest that already
 * occurs starting earlier (overlap allowed), plus one new symbol. */
static size_t
lz76_phrases(const uint8_t *p, size_t n)
{
    size_t pos = 0, c = 0;

    while (pos < n) {
        size_t best = 0, q;

        for (q = 0; q < pos && pos + best < n; q++) {
            size_t L = 0;

            while (pos + L < n && p[q + L] == p[pos + L])
                L++;
            if (L > best) best = L;
        }
        c++;
        pos += best + 1;
    }
    return c;
}

/* Normalised LZ complexity of one window: c * log_12(n) / n, the phrase
 * count relative to that of a random sequence over twelve symbols (a
 * melody's usual alphabet). A fixed base, not the window's own alphabet
 * size, so that a two-note cycle is not excused for using two notes: it
 * gives about 0.08, a repeated eight-note scale 0.23, our generators'
 * melodies 0.4-0.95, random chromatic pitches about 1.15. Not clipped
 * here: the score mapping needs the tail above 1. */
static double
lz_complexity(const uint8_t *p, size_t n)
{
    if (n < 4) return 0;
    return (double)lz76_phrases(p, n) * log((double)n) / log(12.0) /
           (double)n;
}

/* Both tails are pathologies: 1 on [0.30, 0.95], linear to 0 at 0.10
 * (a two-note cycle) and at 1.10 (random chromatic pitches). */
static double
lz_score_of(double c)
{
    if (c < 0.30) return clamp01((c - 0.10) / 0.20);
    if (c <= 0.95) return 1;
    return clamp01(1 - (c - 0.95) / 0.15);
}

/* Mean of a metric over consecutive windows of Q_WINDOW notes (the last
 * one ends at the last note, overlapping its neighbour), so that a song
 * that repeats its verse is judged like the verse itself and a long song
 * is not judged differently from a short one. */
static double
windowed(double (*f)(const uint8_t *, size_t), const uint8_t *p, size_t n)
{
    size_t start, k = 0;
    double sum = 0;

    if (n <= Q_WINDOW) return f(p, n);
    for (start = 0; start + Q_WINDOW <= n; start += Q_WINDOW, k++)
        sum += f(p + start, Q_WINDOW);
    if (n % Q_WINDOW) {
        sum += f(p + n - Q_WINDOW, Q_WINDOW);
        k++;
    }
    return sum / (double)k;
}

/* The melody line: one pitch per onset, the highest when notes share an
 * onset (the "skyline"; a monophonic melody passes through unchanged).
 * Tracks are sorted by (tick, pitch) after mg_song_finish. */
static size_t
skyline(const mg_track *t, uint8_t *out, size_t max)
{
    size_t i, n = 0;
    uint32_t last = 0;

    for (i = 0; i < t->n; i++) {
        const mg_note *no = &t->v[i];

        if (n > 0 && no->tick == last) {
            if (no->pitch > out[n - 1]) out[n - 1] = no->pitch;
            continue;
        }
        if (n == max) break;
        out[n++] = no->pitch;
        last = no->tick;
    }
    return n;
}

static void
melody_hard_checks(const mg_track *t, mg_quality *q)
{
    size_t count[12] = { 0 }, i, top = 0;
    int lo = 128, hi = -1, pc, top_pc = 0;

    for (i = 0; i < t->n; i++) {
        int p = t->v[i].pitch;

        count[p % 12]++;
        if (p < lo) lo = p;
        if (p > hi) hi = p;
    }
    for (pc = 0; pc < 12; pc++)
        if (count[pc] > top) {
            top = count[pc];
            top_pc = pc;
        }
    if (top * 100 > Q_STUCK_PERCENT * t->n)
        add_fail(q, "stuck pitch: %s in %.0f%% of melody notes",
                 mg_pc_name(top_pc), 100.0 * (double)top / (double)t->n);
    if (hi - lo > Q_MAX_RANGE)
        add_fail(q, "extreme range: melody spans %d semitones", hi - lo);
}

static size_t
add_hist(double hist[12], const mg_track *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        hist[t->v[i].pitch % 12] += 1;
    return t->n;
}

void
mg_quality_check(const mg_song *s, mg_quality *q)
{
    const mg_track *mel = &s->track[MG_LAYER_MELODY];
    double hist[12] = { 0 }, sum = 0;
    int l, k;

    memset(q, 0, sizeof(*q));
    q->passed = true;
    for (l = 0; l < MG_NLAYERS; l++)
        if (s->track[l].n == 0 && layer_active_somewhere(s, l))
            add_fail(q, "empty layer: %s", mg_layer_name((mg_layer)l));

    if (mel->n > 0) {
        uint8_t line[Q_MAXLINE];
        size_t n = skyline(mel, line, Q_MAXLINE);

        melody_hard_checks(mel, q);
        add_hist(hist, mel);
        q->soft[MG_Q_KEY_CORR] = key_correlation(hist);
        q->soft[MG_Q_SCALE] = scale_adherence(hist, s->tonic_pc, s->mode);
        q->soft[MG_Q_STEP] = step_score_of(step_fraction(line, n));
        q->soft[MG_Q_ENTROPY] =
            entropy_score_of(windowed(trigram_entropy, line, n));
        q->soft[MG_Q_LZ] = lz_score_of(windowed(lz_complexity, line, n));
    } else if (!layer_active_somewhere(s, MG_LAYER_MELODY)) {
        /* No melody by design: judge tonality on what sounds, and let the
         * line metrics, which have no line to read, follow that verdict. */
        if (add_hist(hist, &s->track[MG_LAYER_HARMONY]) +
                add_hist(hist, &s->track[MG_LAYER_BASSLINE]) > 0) {
            double t;

            q->soft[MG_Q_KEY_CORR] = key_correlation(hist);
            q->soft[MG_Q_SCALE] =
                scale_adherence(hist, s->tonic_pc, s->mode);
            t = (q->soft[MG_Q_KEY_CORR] + q->soft[MG_Q_SCALE]) / 2;
            q->soft[MG_Q_STEP] = q->soft[MG_Q_ENTROPY] = t;
            q->soft[MG_Q_LZ] = t;
        } else {
            /* Drums only: nothing pitched can be wrong. */
            for (k = 0; k < MG_NQSOFT; k++)
                q->soft[k] = 1;
        }
    }
    for (k = 0; k < MG_NQSOFT; k++)
        sum += q->soft[k];
    q->score = q->passed ? clamp01(sum / MG_NQSOFT) : 0;
}
