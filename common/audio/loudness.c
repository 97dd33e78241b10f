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

/* One meter's filters and energy while a block streams through: copied
 * in and out of the mg_loud around the loop so that, the callers'
 * k being a constant once loud_add_k is inlined, every field lives in a
 * register (kept in the struct, or in arrays indexed by a variable j,
 * they stayed in memory: a store and a reload inside every step of the
 * recursion). */
typedef double v2d __attribute__((vector_size(16)));   /* left, right */

typedef struct {
    v2d b0, b1, b2, a01, a02, a11, a12;     /* the same in both lanes */
    v2d s0, s1, t0, t1;
    double acc;
} kmeter;

static inline __attribute__((always_inline)) void
kmeter_load(kmeter *q, const mg_loud *m)
{
    q->b0 = (v2d){m->b[0][0], m->b[0][0]};
    q->b1 = (v2d){m->b[0][1], m->b[0][1]};
    q->b2 = (v2d){m->b[0][2], m->b[0][2]};
    q->a01 = (v2d){m->a[0][1], m->a[0][1]};
    q->a02 = (v2d){m->a[0][2], m->a[0][2]};
    q->a11 = (v2d){m->a[1][1], m->a[1][1]};
    q->a12 = (v2d){m->a[1][2], m->a[1][2]};
    q->s0 = (v2d){m->z[0][0][0], m->z[0][1][0]};
    q->s1 = (v2d){m->z[0][0][1], m->z[0][1][1]};
    q->t0 = (v2d){m->z[1][0][0], m->z[1][1][0]};
    q->t1 = (v2d){m->z[1][0][1], m->z[1][1][1]};
    q->acc = m->acc;
}

static inline __attribute__((always_inline)) void
kmeter_save(const kmeter *q, mg_loud *m, size_t fill)
{
    m->z[0][0][0] = q->s0[0];
    m->z[0][1][0] = q->s0[1];
    m->z[0][0][1] = q->s1[0];
    m->z[0][1][1] = q->s1[1];
    m->z[1][0][0] = q->t0[0];
    m->z[1][1][0] = q->t0[1];
    m->z[1][0][1] = q->t1[0];
    m->z[1][1][1] = q->t1[1];
    m->acc = q->acc;
    m->fill = fill;
}

/* One frame through both channels' two biquads (transposed direct form
 * II), the two channels in the two lanes of one vector (each lane's
 * operations are the scalar ones, in the same order), and into the
 * energy (left squared plus right squared, then added). */
static inline __attribute__((always_inline)) void
kmeter_step(kmeter *q, const float *x)
{
    v2d in = {x[0], x[1]};
    v2d y = q->b0 * in + q->s0;
    q->s0 = q->b1 * in - q->a01 * y + q->s1;
    q->s1 = q->b2 * in - q->a02 * y;
    v2d w = y + q->t0;
    q->t0 = -2.0 * y - q->a11 * w + q->t1;
    q->t1 = y - q->a12 * w;
    v2d e = w * w;
    q->acc += e[0] + e[1];
}

/* k meters (1 or 2, at the same position in their 100 ms sub-blocks)
 * fed `frames` frames each. Each channel's two biquads are chains of
 * dependent multiply-adds, so the more chains side by side, the less the
 * loop waits: both channels always, and two meters when the caller has
 * two stems' blocks at once. Each meter's arithmetic is the same whatever
 * k is. Inlined into its two callers (k a constant there). */
static inline __attribute__((always_inline)) int
loud_add_k(mg_loud *const *m, const float *const *x, int k, size_t frames)
{
    kmeter q0, q1 = {0};
    size_t fill = m[0]->fill, hop = m[0]->hop;
    int rc = 0;

    kmeter_load(&q0, m[0]);
    if (k == 2)
        kmeter_load(&q1, m[1]);
    LOUD_FTZ_ON();
    for (size_t i = 0; i < frames; i++) {
        kmeter_step(&q0, x[0] + 2 * i);
        if (k == 2)
            kmeter_step(&q1, x[1] + 2 * i);
        if (++fill == hop) {
            if (loud_push(m[0], q0.acc) < 0 ||
                (k == 2 && loud_push(m[1], q1.acc) < 0)) {
                rc = -1;
                break;
            }
            q0.acc = 0;
            q1.acc = 0;
            fill = 0;
        }
    }
    LOUD_FTZ_OFF();
    if (rc < 0)
        return -1;
    kmeter_save(&q0, m[0], fill);
    if (k == 2)
        kmeter_save(&q1, m[1], fill);
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
    return mg_loud_integrated_at(m, 0);
}

/* The gated loudness of the metered signal scaled by gain_db, less
 * gain_db: the gates at the scaled signal's level (-70 LUFS absolute, so
 * -70 - gain_db here; the relative gate moves with the scale). Depends
 * on gain_db only through which blocks pass, so it is the same double
 * for every gain that passes the same blocks. */
static double
loud_gated(const mg_loud *m, double gain_db)
{
    /* block j = sub-blocks j..j+3 (400 ms), mean square per channel sum */
    const double abs_gate = pow(10.0, (-70.0 - gain_db + 0.691) / 10.0);
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

double
mg_loud_integrated_at(const mg_loud *m, double gain_db)
{
    return loud_gated(m, gain_db) + gain_db;
}

/* F(g) = loud_gated(m, g) does not increase with g: a higher gain lets
 * in only blocks quieter than every block already in (the absolute
 * gate), which lowers the gated mean and so the relative gate, which
 * lets in more blocks, all below that mean. So g -> target - F(g) does
 * not decrease, and iterating it from g0 = target - F(0) moves one way
 * (up for a quiet stem's boost) until the set of passing blocks stops
 * changing: then F(g) is the same double as in the step before, and g
 * is exact. Each step that moves adds (or drops) at least one block. */
double
mg_loud_gain_to(const mg_loud *m, double target)
{
    double f = loud_gated(m, 0), g;

    if (!isfinite(f))
        return NAN;
    g = target - f;
    for (size_t k = 0; k <= m->nsub; k++) {
        f = loud_gated(m, g);
        if (!isfinite(f) || target - f == g)
            break;
        g = target - f;
    }
    return g;
}

void
mg_loud_free(mg_loud *m)
{
    free(m->sub);
    m->sub = NULL;
    m->cap = m->nsub = 0;
}
