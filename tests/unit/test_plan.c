/*
 * test_plan — a sample's cost before it is made (common/plan.c): for
 * every sample the engine makes on its first attempt, the cost is its
 * duration_seconds to the last bit, for one genre, a merge of two and a
 * measures override; a cost is a pure function of (global_seed, index):
 * the same whatever was estimated before; and a genre that does not
 * exist is refused with its name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "engine.h"
#include "plan.h"

static void
config(mg_config *c, const char *genre, const char *measures)
{
    char err[256];
    mg_config_defaults(c);
    c->out_dir[0] = '\0';       /* in memory: mg_engine_make only */
    c->global_seed = 7;
    c->seed_set = true;
    assert_int_equal(mg_config_set(c, "output-mode", "midi-only", err,
                                   sizeof err), 0);
    if (genre)
        assert_int_equal(mg_config_set(c, "genre", genre, err, sizeof err),
                         0);
    if (measures)
        assert_int_equal(mg_config_set(c, "measures-per-part", measures,
                                       err, sizeof err), 0);
}

static void
cost_is_duration(const char *genre, const char *measures)
{
    char err[512] = "";
    mg_config c;
    config(&c, genre, measures);
    mg_engine *e = mg_engine_new(&c, err, sizeof err);
    assert_non_null(e);
    mg_plan *p = mg_plan_new(&c, err, sizeof err);
    assert_non_null(p);
    int first = 0;
    for (uint64_t i = 0; i < 24; i++) {
        mg_sample_mem m;
        assert_int_equal(mg_engine_make(e, c.global_seed, i, &m, err,
                                        sizeof err), 0);
        double cost = mg_plan_cost(p, c.global_seed, i);
        assert_true(cost > 0);
        if (m.row.status == MG_ROW_OK && m.row.attempt == 1) {
            /* the row's duration is rounded to the microsecond */
            assert_true(fabs(cost - m.row.duration) < 1e-6);
            first++;
        }
        mg_sample_mem_free(&m);
    }
    /* most samples pass on their first attempt: the check is not empty */
    assert_true(first >= 12);
    mg_plan_destroy(&p);
    assert_null(p);
    mg_engine_destroy(&e);
}

static void
test_cost_is_duration(void **state)
{
    (void)state;
    cost_is_duration(NULL, NULL);
    cost_is_duration("jazz,latin", NULL);
    cost_is_duration("rock", "intro=1,verse=2,chorus=3,bridge=1,outro=1");
}

static void
test_cost_is_pure(void **state)
{
    (void)state;
    char err[512];
    mg_config c;
    config(&c, NULL, NULL);
    mg_plan *a = mg_plan_new(&c, err, sizeof err), *b;
    b = mg_plan_new(&c, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    double fwd[32];
    for (int i = 0; i < 32; i++)
        fwd[i] = mg_plan_cost(a, 99, (uint64_t)i);
    bool differ = false;
    for (int i = 31; i >= 0; i--) {
        assert_true(mg_plan_cost(b, 99, (uint64_t)i) == fwd[i]);
        differ |= fwd[i] != fwd[0];
    }
    /* songs differ in length: an estimate worth ordering by */
    assert_true(differ);
    /* another global seed, other songs */
    bool other = false;
    for (int i = 0; i < 32; i++)
        other |= mg_plan_cost(a, 100, (uint64_t)i) != fwd[i];
    assert_true(other);
    mg_plan_destroy(&a);
    mg_plan_destroy(&b);
}

static void
test_unknown_genre(void **state)
{
    (void)state;
    char err[512] = "";
    mg_config c;
    config(&c, NULL, NULL);
    snprintf(c.genres[0], sizeof c.genres[0], "no-such-genre");
    c.ngenres = 1;
    assert_null(mg_plan_new(&c, err, sizeof err));
    assert_non_null(strstr(err, "no-such-genre"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cost_is_duration),
        cmocka_unit_test(test_cost_is_pure),
        cmocka_unit_test(test_unknown_genre),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
