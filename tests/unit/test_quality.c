/*
 * test_quality — layer 1 of the musicality score on songs built by hand:
 * a stepwise C-major melody passes with a high score; an empty active
 * layer, a stuck pitch and an extreme range fail hard with their message;
 * random chromatic pitches and a two-note cycle score lower than the
 * stepwise melody; a melody absent by design is scored on what exists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "quality.h"
#include "rng.h"

#define NBARS 32
#define BAR (4 * MG_PPQ)

/* 32 bars of 4/4 in C major, one verse, every layer active; beat, harmony
 * and bassline get simple filler. The melody is `n` pitches, one per
 * eighth note (n <= NBARS * 8), or none when n == 0. */
static void
make_song(mg_song *s, const int *melody, int n)
{
    static const int chord[4][3] = {
        { 60, 64, 67 }, { 65, 69, 72 }, { 67, 71, 74 }, { 60, 64, 67 } };
    int i, b, l;

    mg_song_init(s);
    s->tonic_pc = 0;
    s->mode = MG_MODE_MAJOR;
    s->us_per_quarter = 500000;
    s->tempo_bpm = 120;
    s->ts = MG_TS_4_4;
    s->nparts = 1;
    s->parts[0].kind = MG_PART_VERSE;
    s->parts[0].ts = MG_TS_4_4;
    s->parts[0].measures = NBARS;
    s->parts[0].end_tick = NBARS * BAR;
    for (l = 0; l < MG_NLAYERS; l++)
        s->parts[0].active[l] = true;
    s->total_ticks = NBARS * BAR;
    for (b = 0; b < NBARS; b++) {
        for (i = 0; i < 4; i++)
            assert_int_equal(mg_track_add(&s->track[MG_LAYER_BEAT],
                                          (uint32_t)(b * BAR + i * MG_PPQ),
                                          60, i % 2 ? 38 : 36, 100), 0);
        for (i = 0; i < 3; i++)
            assert_int_equal(mg_track_add(&s->track[MG_LAYER_HARMONY],
                                          (uint32_t)(b * BAR), BAR,
                                          chord[b % 4][i], 70), 0);
        assert_int_equal(mg_track_add(&s->track[MG_LAYER_BASSLINE],
                                      (uint32_t)(b * BAR), BAR,
                                      chord[b % 4][0] - 24, 80), 0);
    }
    assert_true(n <= NBARS * 8);
    for (i = 0; i < n; i++)
        assert_int_equal(mg_track_add(&s->track[MG_LAYER_MELODY],
                                      (uint32_t)(i * MG_PPQ / 2),
                                      MG_PPQ / 2, melody[i], 90), 0);
    mg_song_finish(s);
}

/* The reference-good melody of the calibration: C4..C5 up the scale. */
static int
stepwise(int *out, int n)
{
    static const int up[8] = { 60, 62, 64, 65, 67, 69, 71, 72 };
    int i;

    for (i = 0; i < n; i++)
        out[i] = up[i % 8];
    return n;
}

static void
check_quality(const mg_song *s, mg_quality *q)
{
    int k;

    mg_quality_check(s, q);
    assert_true(q->score >= 0 && q->score <= 1);
    for (k = 0; k < MG_NQSOFT; k++)
        assert_true(q->soft[k] >= 0 && q->soft[k] <= 1);
    if (!q->passed) {
        assert_true(q->score == 0);
        assert_true(q->nfail > 0);
    } else {
        assert_int_equal(q->nfail, 0);
    }
}

static bool
has_fail(const mg_quality *q, const char *prefix)
{
    int i;

    for (i = 0; i < q->nfail; i++)
        if (strncmp(q->fail[i], prefix, strlen(prefix)) == 0) return true;
    return false;
}

static double
score_of(const int *melody, int n, mg_quality *q)
{
    mg_song s;

    make_song(&s, melody, n);
    check_quality(&s, q);
    mg_song_free(&s);
    return q->score;
}

static void
test_soft_names(void **state)
{
    (void)state;
    assert_string_equal(mg_quality_soft_name(MG_Q_KEY_CORR),
                        "key_correlation");
    assert_string_equal(mg_quality_soft_name(MG_Q_SCALE), "scale_adherence");
    assert_string_equal(mg_quality_soft_name(MG_Q_STEP), "step_fraction");
    assert_string_equal(mg_quality_soft_name(MG_Q_ENTROPY), "ngram_entropy");
    assert_string_equal(mg_quality_soft_name(MG_Q_LZ), "lz_complexity");
    assert_string_equal(mg_quality_soft_name(MG_NQSOFT), "?");
}

static void
test_stepwise_major_passes_high(void **state)
{
    int mel[NBARS * 8];
    mg_quality q;
    double s;

    (void)state;
    s = score_of(mel, stepwise(mel, 256), &q);
    assert_true(q.passed);
    assert_true(s > 0.8);
    assert_true(q.soft[MG_Q_SCALE] == 1.0);
    assert_true(q.soft[MG_Q_KEY_CORR] > 0.9);
    assert_true(q.soft[MG_Q_STEP] > 0.8);
}

static void
test_empty_active_layer_fails(void **state)
{
    int mel[NBARS * 8];
    mg_quality q;
    mg_song s;

    (void)state;
    make_song(&s, mel, stepwise(mel, 256));
    s.track[MG_LAYER_BASSLINE].n = 0;
    check_quality(&s, &q);
    assert_false(q.passed);
    assert_true(q.score == 0);
    assert_int_equal(q.nfail, 1);
    assert_string_equal(q.fail[0], "empty layer: bassline");

    /* The same empty layer, inactive in every part, is no failure. */
    s.parts[0].active[MG_LAYER_BASSLINE] = false;
    check_quality(&s, &q);
    assert_true(q.passed);
    assert_true(q.score > 0.8);

    /* An active melody with no notes is a failure too. */
    s.parts[0].active[MG_LAYER_BASSLINE] = true;
    s.track[MG_LAYER_BASSLINE].n = 1;
    s.track[MG_LAYER_MELODY].n = 0;
    check_quality(&s, &q);
    assert_false(q.passed);
    assert_string_equal(q.fail[0], "empty layer: melody");
    mg_song_free(&s);
}

/* No melody by design: tonal metrics read harmony and bassline, and the
 * line metrics take their mean. */
static void
test_absent_melody_scores_what_exists(void **state)
{
    mg_quality q;
    mg_song s;
    int k;

    (void)state;
    make_song(&s, NULL, 0);
    s.parts[0].active[MG_LAYER_MELODY] = false;
    check_quality(&s, &q);
    assert_true(q.passed);
    assert_true(q.soft[MG_Q_SCALE] == 1.0);
    assert_true(q.soft[MG_Q_KEY_CORR] > 0.8);
    for (k = MG_Q_STEP; k < MG_NQSOFT; k++)
        assert_true(q.soft[k] ==
                    (q.soft[MG_Q_KEY_CORR] + q.soft[MG_Q_SCALE]) / 2);
    assert_true(q.score > 0.8);
    mg_song_free(&s);
}

static void
test_stuck_pitch_fails(void **state)
{
    int mel[256], i;
    mg_quality q;

    (void)state;
    for (i = 0; i < 256; i++)
        mel[i] = i % 16 == 15 ? 64 : 67; /* 15 of 16 the same */
    score_of(mel, 256, &q);
    assert_false(q.passed);
    assert_true(q.score == 0);
    assert_true(has_fail(&q, "stuck pitch"));
    assert_false(has_fail(&q, "extreme range"));

    /* 80% exactly is allowed; the threshold is "more than". */
    for (i = 0; i < 250; i++)
        mel[i] = i % 5 == 4 ? 64 + 2 * (i % 3) : 67;
    score_of(mel, 250, &q);
    assert_false(has_fail(&q, "stuck pitch"));
}

static void
test_extreme_range_fails(void **state)
{
    int mel[NBARS * 8], i;
    mg_quality q;

    (void)state;
    /* MIDI 36..84: four octaves, stepping through C major. */
    for (i = 0; i < 256; i++) {
        static const int deg[7] = { 0, 2, 4, 5, 7, 9, 11 };
        int d = i % 29;

        mel[i] = 36 + 12 * (d / 7) + deg[d % 7];
    }
    mel[255] = 84;
    score_of(mel, 256, &q);
    assert_false(q.passed);
    assert_true(has_fail(&q, "extreme range"));
    assert_false(has_fail(&q, "stuck pitch"));

    /* Three octaves exactly is allowed. */
    for (i = 0; i < 256; i++)
        mel[i] = 48 + (mel[i] - 36) % 37;
    mel[0] = 48;
    mel[1] = 84;
    score_of(mel, 256, &q);
    assert_false(has_fail(&q, "extreme range"));
}

static void
test_several_failures_reported(void **state)
{
    int mel[64], i;
    mg_quality q;
    mg_song s;

    (void)state;
    for (i = 0; i < 64; i++)
        mel[i] = i == 0 ? 20 : 90;
    make_song(&s, mel, 64);
    s.track[MG_LAYER_HARMONY].n = 0;
    check_quality(&s, &q);
    assert_int_equal(q.nfail, 3);
    assert_true(has_fail(&q, "empty layer: harmony"));
    assert_true(has_fail(&q, "stuck pitch"));
    assert_true(has_fail(&q, "extreme range"));
    mg_song_free(&s);
}

static void
test_random_chromatic_scores_lower(void **state)
{
    int good[NBARS * 8], bad[NBARS * 8], i;
    mg_quality qg, qb;
    mg_rng r;

    (void)state;
    mg_rng_seed(&r, 12345);
    for (i = 0; i < 256; i++)
        bad[i] = mg_rng_range(&r, 55, 85); /* 30 semitones: no hard fail */
    score_of(good, stepwise(good, 256), &qg);
    score_of(bad, 256, &qb);
    assert_true(qb.passed);
    assert_true(qb.score < qg.score - 0.2);
    assert_true(qb.soft[MG_Q_SCALE] < qg.soft[MG_Q_SCALE]);
    assert_true(qb.soft[MG_Q_KEY_CORR] < qg.soft[MG_Q_KEY_CORR]);
    assert_true(qb.soft[MG_Q_STEP] < qg.soft[MG_Q_STEP]);
    assert_true(qb.soft[MG_Q_LZ] < qg.soft[MG_Q_LZ]);
}

/* A 1-2-1-2 cycle (the degenerate repetition of the design document)
 * passes the hard checks but loses on entropy and compression. */
static void
test_two_note_cycle_scores_lower(void **state)
{
    int good[NBARS * 8], bad[NBARS * 8], i;
    mg_quality qg, qb;

    (void)state;
    for (i = 0; i < 256; i++)
        bad[i] = i % 2 ? 62 : 60;
    score_of(good, stepwise(good, 256), &qg);
    score_of(bad, 256, &qb);
    assert_true(qb.passed);
    assert_true(qb.score < qg.score - 0.2);
    assert_true(qb.soft[MG_Q_ENTROPY] < qg.soft[MG_Q_ENTROPY]);
    assert_true(qb.soft[MG_Q_LZ] < qg.soft[MG_Q_LZ]);
}

static void
test_deterministic_and_long_melodies(void **state)
{
    int mel[NBARS * 8], i;
    mg_quality a, b;
    mg_song s;
    mg_rng r;

    (void)state;
    mg_rng_seed(&r, 99);
    for (i = 0; i < 256; i++)
        mel[i] = 60 + 2 * mg_rng_range(&r, 0, 6);
    make_song(&s, mel, 256);
    mg_quality_check(&s, &a);
    mg_quality_check(&s, &b);
    assert_memory_equal(&a, &b, sizeof(a));

    /* Far more notes than the analysed line holds: still well defined. */
    for (i = 0; i < 6000; i++)
        assert_int_equal(mg_track_add(&s.track[MG_LAYER_MELODY],
                                      (uint32_t)(i * 10), 10,
                                      60 + (i % 8), 90), 0);
    s.total_ticks = 60000 + NBARS * BAR;
    mg_song_finish(&s);
    check_quality(&s, &a);
    assert_true(a.passed);
    mg_song_free(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_soft_names),
        cmocka_unit_test(test_stepwise_major_passes_high),
        cmocka_unit_test(test_empty_active_layer_fails),
        cmocka_unit_test(test_absent_melody_scores_what_exists),
        cmocka_unit_test(test_stuck_pitch_fails),
        cmocka_unit_test(test_extreme_range_fails),
        cmocka_unit_test(test_several_failures_reported),
        cmocka_unit_test(test_random_chromatic_scores_lower),
        cmocka_unit_test(test_two_note_cycle_scores_lower),
        cmocka_unit_test(test_deterministic_and_long_melodies),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
