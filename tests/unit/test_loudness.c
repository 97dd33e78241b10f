/*
 * test_loudness — the engine's BS.1770 meter (common/audio/loudness.c)
 * against the standard's reference points and against libebur128, the
 * independent implementation: a 1 kHz sine in both channels reads its
 * level in dBFS (EBU Tech 3341's calibration: -20 dBFS -> -20 LUFS),
 * silence is gated out, the result does not depend on how the stream is
 * split, and noise shaped by the K-weighting agrees with libebur128.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sine_reads_its_level),
        cmocka_unit_test(silence_is_gated),
        cmocka_unit_test(agrees_with_libebur128),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
