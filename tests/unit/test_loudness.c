/*
 * test_loudness — the engine's BS.1770 meter (common/audio/loudness.c)
 * against the standard's reference points and against libebur128, the
 * independent implementation: a 1 kHz sine in both channels reads its
 * level in dBFS (EBU Tech 3341's calibration: -20 dBFS -> -20 LUFS),
 * silence is gated out, the result does not depend on how the stream is
 * split, noise shaped by the K-weighting agrees with libebur128, and
 * two meters fed at once (mg_loud_add2) give exactly what each gives
 * alone, and a stem falling silent (its filters' state decaying into the
 * subnormal range, which the meter flushes to zero) gives exactly the
 * figures of plain IEEE arithmetic, and the gain to a target is gated
 * at the gained level (libebur128 reads the target on the gained signal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include <cmocka.h>
#include <ebur128.h>
#include <math.h>

#include "loudness.h"

#define RATE 44100

static float *
sine(size_t frames, double amp, double hz)
{
    float *x = malloc(sizeof(float) * 2 * frames);
    for (size_t i = 0; i < frames; i++)
        x[2 * i] = x[2 * i + 1] =
            (float)(amp * sin(2 * 3.14159265358979323846 * hz * i / RATE));
    return x;
}

static double
measure(const float *x, size_t frames, size_t piece)
{
    mg_loud m = {0};
    double l;
    mg_loud_reset(&m, RATE);
    for (size_t o = 0; o < frames; o += piece)
        assert_int_equal(
            mg_loud_add(&m, x + 2 * o, frames - o < piece ? frames - o : piece),
            0);
    l = mg_loud_integrated(&m);
    mg_loud_free(&m);
    return l;
}

static void
sine_reads_its_level(void **state)
{
    (void)state;
    size_t n = 20 * RATE;
    float *x = sine(n, 0.1, 1000);
    double l = measure(x, n, 4096);
    assert_true(fabs(l - -20.0) < 0.05);
    /* any split gives the same bits */
    assert_true(measure(x, n, 1) == l);
    assert_true(measure(x, n, 4410) == l);
    assert_true(measure(x, n, 100000) == l);
    free(x);
}

static void
silence_is_gated(void **state)
{
    (void)state;
    size_t n = 20 * RATE;
    float *x = sine(n, 0.1, 1000);
    double l;
    memset(x + n, 0, sizeof(float) * n);   /* the second half silent */
    l = measure(x, n, 4096);
    assert_true(fabs(l - -20.0) < 0.1);
    memset(x, 0, sizeof(float) * 2 * n);
    assert_true(isinf(measure(x, n, 4096)) && measure(x, n, 4096) < 0);
    assert_true(isinf(measure(x, 1000, 4096))); /* shorter than a block */
    free(x);
}

static void
agrees_with_libebur128(void **state)
{
    (void)state;
    size_t n = 12 * RATE;
    float *x = malloc(sizeof(float) * 2 * n);
    uint32_t s = 12345;
    double want;
    for (size_t i = 0; i < 2 * n; i++) {
        /* noise in bursts (the relative gate acts) plus a low tone */
        s = s * 1664525u + 1013904223u;
        double env = (i / (2 * RATE)) % 3 == 0 ? 0.02 : 0.3;
        x[i] = (float)(env * ((s >> 8) / 16777216.0 - 0.5) +
                       0.05 * sin(i * 0.004));
    }
    ebur128_state *st = ebur128_init(2, RATE, EBUR128_MODE_I);
    assert_non_null(st);
    ebur128_add_frames_float(st, x, n);
    ebur128_loudness_global(st, &want);
    ebur128_destroy(&st);
    assert_true(fabs(measure(x, n, 4096) - want) < 0.01);
    free(x);
}

/* Two meters fed together end in exactly the state each reaches alone
 * (every sub-block energy, the filter state), in step or not (a meter
 * that starts later falls back to one at a time). */
static void
paired_meters_match_single(void **state)
{
    (void)state;
    size_t n = 7 * RATE + 123;
    float *x = sine(n, 0.2, 440), *y = sine(n, 0.05, 3000);
    mg_loud a = {0}, b = {0}, c = {0}, d = {0};

    for (size_t i = 0; i < 2 * n; i += 7)
        y[i] += 0.01f * (float)(i % 13);    /* not a scaled copy of x */
    mg_loud_reset(&a, RATE);
    mg_loud_reset(&b, RATE);
    mg_loud_reset(&c, RATE);
    mg_loud_reset(&d, RATE);
    /* d starts 1000 frames late: out of step with c at first */
    assert_int_equal(mg_loud_add(&b, y, 1000), 0);
    assert_int_equal(mg_loud_add(&d, y, 1000), 0);
    for (size_t o = 0; o < n; o += 4096) {
        size_t k = n - o < 4096 ? n - o : 4096;
        size_t kd = o + 1000 >= n ? 0 : n - o - 1000 < k ? n - o - 1000 : k;
        assert_int_equal(mg_loud_add(&a, x + 2 * o, k), 0);
        assert_int_equal(mg_loud_add(&b, y + 2 * (o + 1000), kd), 0);
        if (kd == k)
            assert_int_equal(
                mg_loud_add2(&c, x + 2 * o, &d, y + 2 * (o + 1000), k), 0);
        else
            assert_int_equal(mg_loud_add(&c, x + 2 * o, k) |
                                 mg_loud_add(&d, y + 2 * (o + 1000), kd),
                             0);
    }
    assert_true(a.nsub > 60 && a.nsub == c.nsub && b.nsub == d.nsub);
    assert_memory_equal(a.sub, c.sub, sizeof(double) * a.nsub);
    assert_memory_equal(b.sub, d.sub, sizeof(double) * b.nsub);
    assert_memory_equal(a.z, c.z, sizeof a.z);
    assert_memory_equal(b.z, d.z, sizeof b.z);
    assert_true(a.acc == c.acc && b.acc == d.acc && a.fill == c.fill &&
                b.fill == d.fill);
    /* and in step from the start */
    mg_loud_reset(&a, RATE);
    mg_loud_reset(&b, RATE);
    mg_loud_reset(&c, RATE);
    mg_loud_reset(&d, RATE);
    assert_int_equal(mg_loud_add(&a, x, n), 0);
    assert_int_equal(mg_loud_add(&b, y, n), 0);
    assert_int_equal(mg_loud_add2(&c, x, &d, y, n), 0);
    assert_true(mg_loud_integrated(&a) == mg_loud_integrated(&c));
    assert_true(mg_loud_integrated(&b) == mg_loud_integrated(&d));
    assert_memory_equal(a.sub, c.sub, sizeof(double) * a.nsub);
    assert_memory_equal(b.sub, d.sub, sizeof(double) * b.nsub);
    mg_loud_free(&a);
    mg_loud_free(&b);
    mg_loud_free(&c);
    mg_loud_free(&d);
    free(x);
    free(y);
}

/* The meter's K-weighting in plain IEEE arithmetic (the caller's FP
 * environment: subnormals kept), one channel pair, sub-block energies
 * into e[]; the final state into z[8]. Returns the sub-block count. */
static size_t
reference(const mg_loud *m0, const float *x, size_t frames, double *e,
          double z[8])
{
    double s0l = 0, s1l = 0, s0r = 0, s1r = 0;
    double t0l = 0, t1l = 0, t0r = 0, t1r = 0, acc = 0;
    size_t fill = 0, n = 0;
    for (size_t i = 0; i < frames; i++) {
        double xl = x[2 * i], xr = x[2 * i + 1];
        double yl = m0->b[0][0] * xl + s0l, yr = m0->b[0][0] * xr + s0r;
        s0l = m0->b[0][1] * xl - m0->a[0][1] * yl + s1l;
        s0r = m0->b[0][1] * xr - m0->a[0][1] * yr + s1r;
        s1l = m0->b[0][2] * xl - m0->a[0][2] * yl;
        s1r = m0->b[0][2] * xr - m0->a[0][2] * yr;
        double wl = yl + t0l, wr = yr + t0r;
        t0l = -2.0 * yl - m0->a[1][1] * wl + t1l;
        t0r = -2.0 * yr - m0->a[1][1] * wr + t1r;
        t1l = yl - m0->a[1][2] * wl;
        t1r = yr - m0->a[1][2] * wr;
        acc += wl * wl + wr * wr;
        if (++fill == m0->hop) {
            e[n++] = acc;
            acc = 0;
            fill = 0;
        }
    }
    z[0] = s0l, z[1] = s1l, z[2] = s0r, z[3] = s1r;
    z[4] = t0l, z[5] = t1l, z[6] = t0r, z[7] = t1r;
    return n;
}

/* Sound, 12 s of silence, quiet sound, 6 s of silence: the reference's
 * filter state ends subnormal, the meter's at zero, and every figure the
 * meter keeps is the reference's bit for bit (an energy made only of
 * subnormal-sized values may differ: it is below 1e-290, and the gate
 * drops it); the caller's MXCSR is left as it was. */
static void
silent_tail_same_as_ieee(void **state)
{
    (void)state;
    size_t sec = RATE, n = 20 * sec;
    float *x = calloc(2 * n, sizeof *x);
    float *a = sine(sec, 0.5, 60), *b = sine(sec, 1e-3, 5000);
    memcpy(x, a, sizeof(float) * 2 * sec);
    memcpy(x + 2 * 13 * sec, b, sizeof(float) * 2 * sec);
    mg_loud m = {0};
    mg_loud_reset(&m, RATE);
    double *e = malloc(sizeof(double) * (n / m.hop + 1)), z[8];
    size_t ne = reference(&m, x, n, e, z);
    int sub = 0;
    for (int i = 0; i < 8; i++)
        sub += z[i] != 0 && fabs(z[i]) < 2.2250738585072014e-308;
    assert_true(sub > 0);    /* the test reaches the subnormal range */
#if defined(__SSE2__)
    unsigned csr = _mm_getcsr();
#endif
    for (size_t o = 0; o < n; o += 4096)
        assert_int_equal(mg_loud_add(&m, x + 2 * o, n - o < 4096 ? n - o : 4096),
                         0);
#if defined(__SSE2__)
    assert_int_equal(_mm_getcsr(), csr);
#endif
    assert_int_equal(m.nsub, ne);
    size_t same = 0;
    for (size_t i = 0; i < ne; i++) {
        if (e[i] > 1e-290 || m.sub[i] > 1e-290) {
            assert_true(m.sub[i] == e[i]);
            same++;
        }
    }
    assert_true(same >= 20);
    double ref = -HUGE_VAL;
    {
        mg_loud r = m;    /* the reference's energies, through the gate */
        r.sub = e;
        ref = mg_loud_integrated(&r);
    }
    assert_true(mg_loud_integrated(&m) == ref && ref > -70);
    for (int i = 0; i < 8; i++)
        assert_true(fabs(((double *)m.z)[i]) == 0 ||
                    fabs(((double *)m.z)[i]) >= 2.2250738585072014e-308);
    mg_loud_free(&m);
    free(e);
    free(a);
    free(b);
    free(x);
}

/* A stream half at -60 LUFS, half at -72 (below the absolute gate as it
 * is, above it once boosted 37 dB): the gain to -23 LUFS reads -23 on the
 * gained signal, by the meter and by libebur128; target - measured, the
 * quiet half gated out, misses by more than 1 LU. */
static void
gain_to_target_is_gated_at_its_level(void **state)
{
    (void)state;
    size_t n = 16 * RATE;
    float *x = sine(n, 0.001, 1000), *q = sine(n / 2, 2.5e-4, 1000);
    mg_loud m = {0};
    double g, want, naive;

    memcpy(x + n, q, sizeof(float) * n);    /* the second half quiet */
    mg_loud_reset(&m, RATE);
    assert_int_equal(mg_loud_add(&m, x, n), 0);
    g = mg_loud_gain_to(&m, -23);
    assert_true(fabs(mg_loud_integrated_at(&m, g) - -23) < 1e-9);
    naive = -23 - mg_loud_integrated(&m);
    assert_true(fabs(mg_loud_integrated_at(&m, naive) - -23) > 1);
    for (size_t i = 0; i < 2 * n; i++)
        x[i] = (float)(x[i] * pow(10.0, g / 20));
    ebur128_state *st = ebur128_init(2, RATE, EBUR128_MODE_I);
    assert_non_null(st);
    ebur128_add_frames_float(st, x, n);
    ebur128_loudness_global(st, &want);
    ebur128_destroy(&st);
    assert_true(fabs(want - -23) < 0.01);
    /* silence has no gain */
    memset(x, 0, sizeof(float) * 2 * n);
    mg_loud_reset(&m, RATE);
    assert_int_equal(mg_loud_add(&m, x, n), 0);
    assert_true(isnan(mg_loud_gain_to(&m, -23)));
    mg_loud_free(&m);
    free(q);
    free(x);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sine_reads_its_level),
        cmocka_unit_test(silence_is_gated),
        cmocka_unit_test(agrees_with_libebur128),
        cmocka_unit_test(paired_meters_match_single),
        cmocka_unit_test(silent_tail_same_as_ieee),
        cmocka_unit_test(gain_to_target_is_gated_at_its_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
