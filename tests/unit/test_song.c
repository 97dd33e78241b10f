/*
 * test_song — time-signature tick arithmetic, the swing map, seconds and
 * track finishing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "song.h"

static void
test_names(void **state)
{
    (void)state;
    assert_int_equal(mg_ts_from_name("4/4"), MG_TS_4_4);
    assert_int_equal(mg_ts_from_name("44"), MG_TS_4_4);
    assert_int_equal(mg_ts_from_name("12/8"), MG_TS_12_8);
    assert_int_equal(mg_ts_from_name("128"), MG_TS_12_8);
    assert_int_equal(mg_ts_from_name("9/8"), -1);
    assert_string_equal(mg_ts_name(MG_TS_7_8), "7/8");
    assert_int_equal(mg_layer_from_name("bassline"), MG_LAYER_BASSLINE);
    assert_int_equal(mg_layer_from_name("bass"), -1);
    assert_string_equal(mg_layer_name(MG_LAYER_BEAT), "beat");
    assert_int_equal(mg_part_from_name("chorus"), MG_PART_CHORUS);
    assert_string_equal(mg_part_name(MG_PART_OUTRO), "outro");
}

static void
test_ts_ticks(void **state)
{
    static const struct {
        mg_ts ts;
        uint32_t bar;
        int beats;
        uint32_t beat, cell;
    } v[] = {
        {MG_TS_2_4, 960, 2, 480, 480},    {MG_TS_3_4, 1440, 3, 480, 480},
        {MG_TS_4_4, 1920, 4, 480, 480},   {MG_TS_5_4, 2400, 5, 480, 480},
        {MG_TS_6_8, 1440, 2, 720, 240},   {MG_TS_7_8, 1680, 7, 240, 240},
        {MG_TS_12_8, 2880, 4, 720, 240},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(mg_ts_bar_ticks(v[i].ts), v[i].bar);
        assert_int_equal(mg_ts_beats(v[i].ts), v[i].beats);
        assert_int_equal(mg_ts_beat_ticks(v[i].ts), v[i].beat);
        assert_int_equal(mg_ts_swing_cell(v[i].ts), v[i].cell);
        assert_int_equal(mg_ts_beats(v[i].ts) * mg_ts_beat_ticks(v[i].ts),
                         mg_ts_bar_ticks(v[i].ts));
    }
}

static void
test_swing_map(void **state)
{
    uint32_t t, prev = 0;

    (void)state;
    /* straight swing is the identity */
    assert_int_equal(mg_swing_tick(1240, 1000, 480, 0.5), 1240);
    /* cell boundaries never move */
    for (t = 0; t < 20; t++)
        assert_int_equal(mg_swing_tick(1000 + t * 480, 1000, 480, 0.67),
                         1000 + t * 480);
    /* the off-beat eighth moves to swing * cell */
    assert_int_equal(mg_swing_tick(1000 + 240, 1000, 480, 0.75), 1000 + 360);
    assert_int_equal(mg_swing_tick(1000 + 480 + 240, 1000, 480, 2.0 / 3),
                     1000 + 480 + 320);
    /* monotonic inside a cell */
    for (t = 0; t < 480; t++) {
        uint32_t s = mg_swing_tick(t, 0, 480, 0.7);

        assert_true(s >= prev);
        assert_true(s < 480);
        prev = s;
    }
    /* ticks before the part start are untouched */
    assert_int_equal(mg_swing_tick(10, 100, 480, 0.7), 10);
}

static void
test_seconds(void **state)
{
    mg_song s;

    (void)state;
    mg_song_init(&s);
    s.us_per_quarter = 500000; /* 120 BPM */
    s.total_ticks = 4 * 1920;
    assert_true(mg_song_seconds(&s, 480) == 0.5);
    assert_true(mg_song_duration(&s) == 8.0);
    mg_song_free(&s);
}

static void
test_finish_sorts_and_trims(void **state)
{
    mg_song s;
    mg_track *t;
    int i;

    (void)state;
    mg_song_init(&s);
    s.total_ticks = 1000;
    t = &s.track[MG_LAYER_MELODY];
    assert_int_equal(mg_track_add(t, 500, 100, 60, 90), 0);
    assert_int_equal(mg_track_add(t, 0, 600, 60, 90), 0); /* overlaps */
    assert_int_equal(mg_track_add(t, 900, 400, 64, 200), 0); /* past end */
    assert_int_equal(mg_track_add(t, 1200, 10, 65, 80), 0); /* after end */
    assert_int_equal(mg_track_add(t, 0, 50, 60, 70), 0); /* same onset */
    for (i = 0; i < 600; i++) /* growth */
        assert_int_equal(mg_track_add(&s.track[0], (uint32_t)i, 1, 36, 100),
                         0);
    mg_song_finish(&s);
    assert_int_equal(t->n, 3);
    assert_int_equal(t->v[0].tick, 0);
    assert_int_equal(t->v[0].dur, 500);
    assert_int_equal(t->v[1].tick, 500);
    assert_int_equal(t->v[2].dur, 100);
    assert_int_equal(t->v[2].vel, 127);
    assert_int_equal(s.track[0].n, 600);
    mg_song_reset_tracks(&s);
    assert_int_equal(s.track[0].n, 0);
    mg_song_free(&s);
    assert_null(s.track[0].v);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_ts_ticks),
        cmocka_unit_test(test_swing_map),
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_finish_sorts_and_trims),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
