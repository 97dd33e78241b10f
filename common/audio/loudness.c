/*
 * loudness — BS.1770 integrated loudness (see loudness.h for the
 * definition and invariants).
 */
#include "loudness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

void
mg_loud_reset(mg_loud *m, int rate)
{
    double *sub = m->sub;
    size_t cap = m->cap;
    double f0, G, Q, K, Vh, Vb, a0;

    memset(m, 0, sizeof *m);
    m->sub = sub;
    m->cap = cap;
    m->hop = (size_t)lround(rate / 10.0);
    if (m->hop == 0)
        m->hop = 1;
    /* stage 1: the high shelf (head acoustics) */
    f0 = 1681.974450955533;
    G = 3.999843853973347;
    Q = 0.7071752369554196;
    K = tan(3.14159265358979323846 * f0 / rate);
    Vh = pow(10.0, G / 20.0);
    Vb = pow(Vh, 0.4996667741545416);
    a0 = 1.0 + K / Q + K * K;
    m->b[0][0] = (Vh + Vb * K / Q + K * K) / a0;
    m->b[0][1] = 2.0 * (K * K - Vh) / a0;
    m->b[0][2] = (Vh - Vb * K / Q + K * K) / a0;
    m->a[0][1] = 2.0 * (K * K - 1.0) / a0;
    m->a[0][2] = (1.0 - K / Q + K * K) / a0;
    /* stage 2: the RLB high pass */
    f0 = 38.13547087602444;
    Q = 0.5003270373238773;
    K = tan(3.14159265358979323846 * f0 / rate);
    a0 = 1.0 + K / Q + K * K;
    m->b[1][0] = 1.0;
    m->b[1][1] = -2.0;
    m->b[1][2] = 1.0;
    m->a[1][1] = 2.0 * (K * K - 1.0) / a0;
    m->a[1][2] = (1.0 - K / Q + K * K) / a0;
}

/* A 100 ms sub-block's energy appended to m->sub; 0, or -1. */
static int
loud_push(mg_loud *m, double acc)
{
    if (m->nsub == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        double *v = realloc(m->sub, cap * sizeof *v);
        if (!v)
            return -1;
        m->sub = v;
        m->cap = cap;
    }
    m->sub[m->nsub++] = acc;
    return 0;
}

/* Flush-to-zero for the filters' loop. A stem that falls silent leaves
 * the K-weighting's state decaying towards zero: after a few seconds it
 * is in the double's subnormal range, where every multiply and add took
 * a microcode assist (about a hundred cycles): the meter was 40% of a
 * full sample's CPU on the first 16 samples of seed 42, the synthesis
 * half as much. With FTZ a result that would be subnormal is 0 instead
 * (DAZ is not set: the inputs are floats widened to double, never
 * subnormal as doubles). The bytes cannot change: a value that differs
 * between the two modes is below 2^-1021 in magnitude; added to anything
 * the meter keeps (a state or an energy of a sound at least 1e-45 in
 * amplitude, a float's smallest) it is under half an ulp and rounds away
 * in both modes, and a 100 ms energy made only of such values is 1e-290
 * or less, far below the absolute gate (-70 LUFS, 1.2e-7) that drops it
 * from every figure the meter gives. The caller's MXCSR is restored on
 * every return. */
#if defined(__SSE2__)
#define LOUD_FTZ_ON() unsigned csr_ = _mm_getcsr(); _mm_setcsr(csr_ | 0x8000)
#define LOUD_FTZ_OFF() _mm_setcsr(csr_)
#else
#define LOUD_FTZ_ON() (void)0
#define LOUD_FTZ_OFF() (void)0
#endif

/* k meters (1 or 2, at the same position in their 100 ms sub-blocks)
 * fed `frames` frames each. Each channel's two biquads are chains of
 * dependent multiply-adds, so the more chains side by side, the less the
 * loop waits: both channels always, and two meters when the caller has
 * two stems' blocks at once. Each meter's arithmetic is the same whatever
 * k is. */
static inline int
loud_add_k(mg_loud *const *m, const float *const *x, int k, size_t frames)
{
    double b00[2], b01[2], b02[2], a01[2], a02[2], a11[2], a12[2];
    double s0l[2], s1l[2], s0r[2], s1r[2], t0l[2], t1l[2], t0r[2], t1r[2];
    double acc[2];
    size_t fill = m[0]->fill, hop = m[0]->hop;

    for (int j = 0; j < k; j++) {
        b00[j] = m[j]->b[0][0];
        b01[j] = m[j]->b[0][1];
        b02[j] = m[j]->b[0][2];
        a01[j] = m[j]->a[0][1];
        a02[j] = m[j]->a[0][2];
        a11[j] = m[j]->a[1][1];
        a12[j] = m[j]->a[1][2];
        s0l[j] = m[j]->z[0][0][0];
        s1l[j] = m[j]->z[0][0][1];
        s0r[j] = m[j]->z[0][1][0];
        s1r[j] = m[j]->z[0][1][1];
        t0l[j] = m[j]->z[1][0][0];
        t1l[j] = m[j]->z[1][0][1];
        t0r[j] = m[j]->z[1][1][0];
        t1r[j] = m[j]->z[1][1][1];
        acc[j] = m[j]->acc;
    }
    LOUD_FTZ_ON();
    for (size_t i = 0; i < frames; i++) {
        for (int j = 0; j < k; j++) {
            /* transposed direct form II, both channels side by side */
            double xl = x[j][2 * i], xr = x[j][2 * i + 1];
            double yl = b00[j] * xl + s0l[j], yr = b00[j] * xr + s0r[j];
            s0l[j] = b01[j] * xl - a01[j] * yl + s1l[j];
            s0r[j] = b01[j] * xr - a01[j] * yr + s1r[j];
            s1l[j] = b02[j] * xl - a02[j] * yl;
            s1r[j] = b02[j] * xr - a02[j] * yr;
            double wl = yl + t0l[j], wr = yr + t0r[j];
            t0l[j] = -2.0 * yl - a11[j] * wl + t1l[j];
            t0r[j] = -2.0 * yr - a11[j] * wr + t1r[j];
            t1l[j] = yl - a12[j] * wl;
            t1r[j] = yr - a12[j] * wr;
            acc[j] += wl * wl + wr * wr;
        }
        if (++fill == hop) {
            for (int j = 0; j < k; j++) {
                if (loud_push(m[j], acc[j]) < 0) {
                    LOUD_FTZ_OFF();
                    return -1;
                }
                acc[j] = 0;
            }
            fill = 0;
        }
    }
    LOUD_FTZ_OFF();
    for (int j = 0; j < k; j++) {
        m[j]->z[0][0][0] = s0l[j];
        m[j]->z[0][0][1] = s1l[j];
        m[j]->z[0][1][0] = s0r[j];
        m[j]->z[0][1][1] = s1r[j];
        m[j]->z[1][0][0] = t0l[j];
        m[j]->z[1][0][1] = t1l[j];
        m[j]->z[1][1][0] = t0r[j];
        m[j]->z[1][1][1] = t1r[j];
        m[j]->acc = acc[j];
        m[j]->fill = fill;
    }
    return 0;
}

int
mg_loud_add(mg_loud *m, const float *x, size_t frames)
{
    return loud_add_k(&m, &x, 1, frames);
}

int
mg_loud_add2(mg_loud *m1, const float *x1, mg_loud *m2, const float *x2,
             size_t frames)
{
    mg_loud *m[2] = {m1, m2};
    const float *x[2] = {x1, x2};

    if (m1->fill != m2->fill || m1->hop != m2->hop)
        return mg_loud_add(m1, x1, frames) < 0 ||
                       mg_loud_add(m2, x2, frames) < 0
                   ? -1
                   : 0;
    return loud_add_k(m, x, 2, frames);
}

double
mg_loud_integrated(const mg_loud *m)
{
    /* block j = sub-blocks j..j+3 (400 ms), mean square per channel sum */
    const double abs_gate = pow(10.0, (-70.0 + 0.691) / 10.0);
    double n4 = 4.0 * (double)m->hop, sum = 0, rel;
    size_t j, cnt = 0;

    if (m->nsub < 4)
        return -HUGE_VAL;
    for (j = 0; j + 4 <= m->nsub; j++) {
        double e = (m->sub[j] + m->sub[j + 1] + m->sub[j + 2] +
                    m->sub[j + 3]) / n4;
        if (e > abs_gate) {
            sum += e;
            cnt++;
        }
    }
    if (!cnt)
        return -HUGE_VAL;
    rel = sum / (double)cnt * pow(10.0, -10.0 / 10.0);
    sum = 0;
    cnt = 0;
    for (j = 0; j + 4 <= m->nsub; j++) {
        double e = (m->sub[j] + m->sub[j + 1] + m->sub[j + 2] +
                    m->sub[j + 3]) / n4;
        if (e > abs_gate && e > rel) {
            sum += e;
            cnt++;
        }
    }
    if (!cnt)
        return -HUGE_VAL;
    return -0.691 + 10.0 * log10(sum / (double)cnt);
}

void
mg_loud_free(mg_loud *m)
{
    free(m->sub);
    m->sub = NULL;
    m->cap = m->nsub = 0;
}
