/*
 * loudness — BS.1770 integrated loudness (see loudness.h for the
 * definition and invariants).
 */
#include "loudness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int
mg_loud_add(mg_loud *m, const float *x, size_t frames)
{
    const double b00 = m->b[0][0], b01 = m->b[0][1], b02 = m->b[0][2];
    const double a01 = m->a[0][1], a02 = m->a[0][2];
    const double a11 = m->a[1][1], a12 = m->a[1][2];
    double s0l = m->z[0][0][0], s1l = m->z[0][0][1];
    double s0r = m->z[0][1][0], s1r = m->z[0][1][1];
    double t0l = m->z[1][0][0], t1l = m->z[1][0][1];
    double t0r = m->z[1][1][0], t1r = m->z[1][1][1];
    double acc = m->acc;
    size_t fill = m->fill, i;

    for (i = 0; i < frames; i++) {
        /* transposed direct form II, both channels side by side */
        double xl = x[2 * i], xr = x[2 * i + 1];
        double yl = b00 * xl + s0l, yr = b00 * xr + s0r;
        s0l = b01 * xl - a01 * yl + s1l;
        s0r = b01 * xr - a01 * yr + s1r;
        s1l = b02 * xl - a02 * yl;
        s1r = b02 * xr - a02 * yr;
        double wl = yl + t0l, wr = yr + t0r;
        t0l = -2.0 * yl - a11 * wl + t1l;
        t0r = -2.0 * yr - a11 * wr + t1r;
        t1l = yl - a12 * wl;
        t1r = yr - a12 * wr;
        acc += wl * wl + wr * wr;
        if (++fill == m->hop) {
            if (m->nsub == m->cap) {
                size_t cap = m->cap ? 2 * m->cap : 1024;
                double *v = realloc(m->sub, cap * sizeof *v);
                if (!v)
                    return -1;
                m->sub = v;
                m->cap = cap;
            }
            m->sub[m->nsub++] = acc;
            acc = 0;
            fill = 0;
        }
    }
    m->z[0][0][0] = s0l;
    m->z[0][0][1] = s1l;
    m->z[0][1][0] = s0r;
    m->z[0][1][1] = s1r;
    m->z[1][0][0] = t0l;
    m->z[1][0][1] = t1l;
    m->z[1][1][0] = t0r;
    m->z[1][1][1] = t1r;
    m->acc = acc;
    m->fill = fill;
    return 0;
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
