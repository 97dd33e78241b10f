/*
 * test_fx — the hand-written insert effects (common/audio/audio_fx.c) on
 * signals whose right answer is known: each unit gives the same bytes
 * whatever the block split (the engine streams a stem in pieces); the
 * compressor leaves a quiet tone at the makeup gain and pulls a loud one
 * down by (level - threshold)(1 - 1/ratio); the distortion is the
 * textbook tanh curve; the low-pass filter keeps a low tone and cuts a
 * high one; the EQ's low shelf lifts a low tone; the delay puts an echo
 * of an impulse exactly one delay time later, scaled by its mix; the
 * phaser changes the signal but keeps it bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <fluidsynth.h>

#include "audio_fx.h"

#define RATE 44100
#define N (RATE * 2) /* two seconds, stereo interleaved */

static float *
tone(double hz, double amp)
{
    float *b = malloc(sizeof(float) * 2 * N);
    assert_non_null(b);
    for (size_t i = 0; i < N; i++) {
        float v = (float)(amp * sin(2 * M_PI * hz * (double)i / RATE));
        b[2 * i] = v;
        b[2 * i + 1] = v;
    }
    return b;
}

static mg_fx_chain
one(mg_fx_kind k, const double *p, int np)
{
    mg_fx_chain c;
    memset(&c, 0, sizeof c);
    c.on[k] = true;
    memcpy(c.p[k], p, sizeof(double) * (size_t)np);
    return c;
}

/* peak |x| of the left channel over frames [from, to) */
static double
peak(const float *b, size_t from, size_t to)
{
    double m = 0;
    for (size_t i = from; i < to; i++)
        m = fabs(b[2 * i]) > m ? fabs(b[2 * i]) : m;
    return m;
}

static double
db(double x)
{
    return 20 * log10(x);
}

/* Every unit, and all of them chained: one call over the whole buffer and
 * the same buffer in blocks of irregular sizes give identical bytes. */
static void
split_invariant(void **state)
{
    static const double P[MG_NFX][MG_FX_MAXP] = {
        [MG_FX_DELAY] = {0.4, 0.3, 0.5},
        [MG_FX_COMPRESSOR] = {5, 3, 4, 100, -20},
        [MG_FX_EQ] = {3, -2, 2, 800},
        [MG_FX_FILTER] = {2000, 0.9},
        [MG_FX_DISTORTION] = {12, 0.5},
        [MG_FX_PHASER] = {800, 0.7, 0.5, 0.5, 0.5},
    };
    (void)state;
    for (int k = -1; k < MG_NFX; k++) {
        mg_fx_chain c;
        float *a = tone(220, 0.5), *b = tone(220, 0.5);
        mg_fx_state *s;
        size_t off = 0, step = 1;

        memset(&c, 0, sizeof c);
        for (int j = 0; j < MG_NFX; j++)
            if ((k < 0 || j == k) && j != MG_FX_REVERB && j != MG_FX_CHORUS) {
                c.on[j] = true;
                memcpy(c.p[j], P[j], sizeof P[j]);
            }
        /* some noise on top, so that the compressor's attack and release
         * both run */
        for (size_t i = 0; i < 2 * N; i++) {
            float v = (float)((i * 2654435761u % 1000) / 4000.0 - 0.125);
            a[i] += v;
            b[i] += v;
        }
        assert_int_equal(mg_fx_process(&c, a, N, RATE, 120), 0);
        s = mg_fx_state_new(&c, RATE, 120);
        assert_non_null(s);
        while (off < N) {
            size_t n = N - off < step ? N - off : step;
            mg_fx_state_run(s, b + 2 * off, n);
            off += n;
            step = step * 7 % 5003 + 1; /* 1, 8, 57, 400, ... */
        }
        mg_fx_state_destroy(&s);
        assert_memory_equal(a, b, sizeof(float) * 2 * N);
        free(a);
        free(b);
    }
}

/* Compressor, params {attack_ms, makeup_db, ratio, release_ms,
 * threshold_db}: a steady tone settles at level + makeup below the
 * threshold, and at thr + (level - thr) / ratio + makeup above it. */
static void
compressor_static_curve(void **state)
{
    (void)state;
    {
        double p[] = {5, 3, 4, 100, -20};
        mg_fx_chain c = one(MG_FX_COMPRESSOR, p, 5);
        float *b = tone(440, pow(10, -30 / 20.0)); /* -30 dBFS peak */
        assert_int_equal(mg_fx_process(&c, b, N, RATE, 120), 0);
        assert_true(fabs(db(peak(b, N / 2, N)) - (-30 + 3)) < 0.05);
        free(b);
    }
    {
        double p[] = {5, 0, 4, 100, -20};
        mg_fx_chain c = one(MG_FX_COMPRESSOR, p, 5);
        float *b = tone(440, pow(10, -4 / 20.0)); /* -4 dBFS peak */
        double want = -20 + (-4 + 20) / 4.0;      /* -16 dB */
        assert_int_equal(mg_fx_process(&c, b, N, RATE, 120), 0);
        /* a peak detector on a sine ripples between the peaks: the
         * settled peak is within a dB of the static curve */
        assert_true(fabs(db(peak(b, N / 2, N)) - want) < 1.0);
        assert_true(db(peak(b, N / 2, N)) < -10);
        free(b);
    }
}

/* Distortion {drive_db, mix}: y = (1 - mix) x + mix tanh(k x) / tanh(k),
 * k = 10^(drive/20). */
static void
distortion_is_tanh(void **state)
{
    double p[] = {12, 0.6};
    mg_fx_chain c = one(MG_FX_DISTORTION, p, 2);
    float *b = tone(100, 0.9), *x = tone(100, 0.9);
    double k = pow(10, 12 / 20.0), worst = 0;

    (void)state;
    assert_int_equal(mg_fx_process(&c, b, N, RATE, 120), 0);
    for (size_t i = 0; i < 2 * N; i++) {
        double want = 0.4 * x[i] + 0.6 * tanh(k * x[i]) / tanh(k);
        double e = fabs(b[i] - want);
        worst = e > worst ? e : worst;
    }
    assert_true(worst < 2e-6);
    free(b);
    free(x);
}

/* Filter {cutoff_hz, q}: a 1 kHz low-pass keeps 100 Hz and cuts 8 kHz by
 * more than 24 dB (12 dB/octave, three octaves). */
static void
filter_lowpass(void **state)
{
    double p[] = {1000, 0.707};
    mg_fx_chain c = one(MG_FX_FILTER, p, 2);
    float *lo = tone(100, 0.5), *hi = tone(8000, 0.5);

    (void)state;
    assert_int_equal(mg_fx_process(&c, lo, N, RATE, 120), 0);
    assert_int_equal(mg_fx_process(&c, hi, N, RATE, 120), 0);
    assert_true(fabs(db(peak(lo, N / 2, N) / 0.5)) < 0.5);
    assert_true(db(peak(hi, N / 2, N) / 0.5) < -24);
    free(lo);
    free(hi);
}

/* EQ {high_db, low_db, mid_db, mid_hz}: +6 dB low shelf (200 Hz) lifts a
 * 40 Hz tone by about 6 dB and leaves 2 kHz within a dB. */
static void
eq_low_shelf(void **state)
{
    double p[] = {0, 6, 0, 1000};
    mg_fx_chain c = one(MG_FX_EQ, p, 4);
    float *lo = tone(40, 0.25), *mid = tone(2000, 0.25);

    (void)state;
    assert_int_equal(mg_fx_process(&c, lo, N, RATE, 120), 0);
    assert_int_equal(mg_fx_process(&c, mid, N, RATE, 120), 0);
    assert_true(fabs(db(peak(lo, N / 2, N) / 0.25) - 6) < 0.7);
    assert_true(fabs(db(peak(mid, N / 2, N) / 0.25)) < 1.0);
    free(lo);
    free(mid);
}

/* Delay {feedback, mix, time_beats}: at 120 BPM one beat is 0.5 s; an
 * impulse comes back 22050 frames later at mix, then at mix x feedback. */
static void
delay_echo(void **state)
{
    double p[] = {0.5, 0.25, 1.0};
    mg_fx_chain c = one(MG_FX_DELAY, p, 3);
    float *b = calloc(2 * N, sizeof *b);
    size_t d = RATE / 2;

    (void)state;
    assert_non_null(b);
    b[0] = b[1] = 1.0f;
    assert_int_equal(mg_fx_process(&c, b, N, RATE, 120), 0);
    assert_true(fabs(mg_fx_delay_seconds(&c, 120) - 0.5) < 1e-12);
    assert_true(fabs(b[0] - 1.0f) < 1e-6);
    assert_true(fabs(b[2 * d] - 0.25f) < 1e-6);
    assert_true(fabs(b[2 * d + 1] - 0.25f) < 1e-6);
    assert_true(fabs(b[2 * 2 * d] - 0.125f) < 1e-6);
    assert_true(peak(b, 1, d) == 0);
    assert_true(peak(b, d + 1, 2 * d) == 0);
    free(b);
    /* the line holds the whole delay: 1e6 beats asked for 176 GB; at
     * most 16 beats run, at least 0.25 */
    double q[] = {0.5, 0.25, 1e6};
    c = one(MG_FX_DELAY, q, 3);
    mg_fx_effective(&c, RATE);
    assert_true(c.p[MG_FX_DELAY][2] == 16);
    q[2] = 0.1;
    c = one(MG_FX_DELAY, q, 3);
    mg_fx_effective(&c, RATE);
    assert_true(c.p[MG_FX_DELAY][2] == 0.25);
    assert_true(mg_fx_delay_seconds(&c, 120) == 0.125);
}

/* Phaser {centre_hz, depth, feedback, mix, rate_hz}: it changes the
 * signal, stays bounded and finite. */
static void
phaser_bounded(void **state)
{
    double p[] = {800, 0.8, 0.6, 0.5, 1.0};
    mg_fx_chain c = one(MG_FX_PHASER, p, 5);
    float *b = tone(600, 0.5), *x = tone(600, 0.5);
    double diff = 0;

    (void)state;
    assert_int_equal(mg_fx_process(&c, b, N, RATE, 120), 0);
    for (size_t i = 0; i < 2 * N; i++) {
        assert_true(isfinite(b[i]));
        diff += fabs(b[i] - x[i]);
    }
    assert_true(diff / (2 * N) > 0.01);
    assert_true(peak(b, 0, N) < 1.5);
    free(b);
    free(x);
}

/* The 4-decimal value nearest inside [lo, hi] at its low (side 0) or
 * high end: FluidSynth keeps its ranges as floats (the chorus speed's
 * 0.1 is 0.10000000149), and 0.1 is refused. */
static double
lim4(double lo, double hi, int side)
{
    return side ? floor(hi * 1e4) / 1e4 : ceil(lo * 1e4) / 1e4;
}

/* FluidSynth's reverb and chorus ignore a value outside their settings'
 * ranges (the unit keeps its default, while sample.json recorded the
 * drawn value): mg_fx_effective clamps each to that range, and the synth
 * takes the clamped values. Parameter order: reverb {damping, room_size,
 * wet, width}, chorus {depth_ms, mix, rate_hz}. */
static void
synth_fx_clamped_to_fluidsynth(void **state)
{
    static const char *const rv[] = {"synth.reverb.damp",
        "synth.reverb.room-size", "synth.reverb.level", "synth.reverb.width"};
    static const char *const ch[] = {"synth.chorus.depth",
        "synth.chorus.level", "synth.chorus.speed"};
    fluid_settings_t *st = new_fluid_settings();
    fluid_synth_t *syn;

    (void)state;
    assert_non_null(st);
    syn = new_fluid_synth(st);
    assert_non_null(syn);
    for (int side = 0; side < 2; side++) {
        double v = side ? 1e6 : -1e6, lo, hi;
        double p[4] = {v, v, v, v};
        mg_fx_chain c = one(MG_FX_REVERB, p, 4);

        c.on[MG_FX_CHORUS] = true;
        memcpy(c.p[MG_FX_CHORUS], p, sizeof(double) * 3);
        mg_fx_effective(&c, 44100);
        for (int i = 0; i < 4; i++) {
            assert_int_equal(fluid_settings_getnum_range(st, rv[i], &lo, &hi),
                             FLUID_OK);
            assert_true(c.p[MG_FX_REVERB][i] == lim4(lo, hi, side));
        }
        for (int i = 0; i < 3; i++) {
            assert_int_equal(fluid_settings_getnum_range(st, ch[i], &lo, &hi),
                             FLUID_OK);
            assert_true(c.p[MG_FX_CHORUS][i] == lim4(lo, hi, side));
        }
        const double *r = c.p[MG_FX_REVERB], *k = c.p[MG_FX_CHORUS];
        assert_int_equal(fluid_synth_set_reverb_group_damp(syn, -1, r[0]), FLUID_OK);
        assert_int_equal(fluid_synth_set_reverb_group_roomsize(syn, -1, r[1]), FLUID_OK);
        assert_int_equal(fluid_synth_set_reverb_group_level(syn, -1, r[2]), FLUID_OK);
        assert_int_equal(fluid_synth_set_reverb_group_width(syn, -1, r[3]), FLUID_OK);
        assert_int_equal(fluid_synth_set_chorus_group_depth(syn, -1, k[0]), FLUID_OK);
        assert_int_equal(fluid_synth_set_chorus_group_level(syn, -1, k[1]), FLUID_OK);
        assert_int_equal(fluid_synth_set_chorus_group_speed(syn, -1, k[2]), FLUID_OK);
    }
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_invariant),
        cmocka_unit_test(compressor_static_curve),
        cmocka_unit_test(distortion_is_tanh),
        cmocka_unit_test(filter_lowpass),
        cmocka_unit_test(eq_low_shelf),
        cmocka_unit_test(delay_echo),
        cmocka_unit_test(phaser_bounded),
        cmocka_unit_test(synth_fx_clamped_to_fluidsynth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
