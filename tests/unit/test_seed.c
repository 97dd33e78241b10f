/*
 * test_seed — the determinism contract's formulas. The vectors were
 * computed independently with Python's hashlib (the Python tool's own
 * formula), so a change in encoding or byte order fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rng.h"
#include "seed.h"

static void
sample_seed_matches_python_vectors(void **state)
{
    (void)state;
    assert_true(mg_sample_seed(42, 0) == UINT64_C(6085284259181818738));
    assert_true(mg_sample_seed(42, 1) == UINT64_C(278651779053087998));
    assert_true(mg_sample_seed(42, 999) == UINT64_C(10522869893443032026));
    assert_true(mg_sample_seed(0, 0) == UINT64_C(12426054289685354689));
    assert_true(mg_sample_seed(-1, 5) == UINT64_C(6197345477973335761));
    assert_true(mg_sample_seed(123456789, 1000000) ==
                UINT64_C(8439039742243788400));
}

static void
split_matches_python_vectors(void **state)
{
    (void)state;
    const double r[3] = {0.8, 0.1, 0.1};
    assert_int_equal(mg_split_of(UINT64_C(6085284259181818738), r),
                     MG_SPLIT_TRAIN);
    assert_int_equal(mg_split_of(UINT64_C(10522869893443032026), r),
                     MG_SPLIT_TEST);
    assert_string_equal(mg_split_name(MG_SPLIT_VALID), "valid");
}

static void
split_follows_ratios(void **state)
{
    (void)state;
    const double r[3] = {0.5, 0.25, 0.25};
    const double all_train[3] = {1, 0, 0};
    int n[3] = {0};
    for (uint64_t i = 0; i < 4000; i++) {
        uint64_t s = mg_sample_seed(7, i);
        n[mg_split_of(s, r)]++;
        assert_int_equal(mg_split_of(s, all_train), MG_SPLIT_TRAIN);
    }
    /* 4000 draws: each share within 4 points of its ratio. */
    assert_in_range(n[0], 1840, 2160);
    assert_in_range(n[1], 840, 1160);
    assert_in_range(n[2], 840, 1160);
}

static void
attempt_seed_is_offset(void **state)
{
    (void)state;
    assert_true(mg_attempt_seed(100, 1) == 100);
    assert_true(mg_attempt_seed(100, 3) == 102);
    assert_true(mg_attempt_seed(UINT64_MAX, 2) == 0);
}

static void
streams_are_distinct_and_repeatable(void **state)
{
    (void)state;
    mg_rng a[MG_NSTREAMS], b[MG_NSTREAMS];
    mg_streams_init(a, 12345, mg_genre_salt("default"));
    mg_streams_init(b, 12345, mg_genre_salt("default"));
    uint64_t first[MG_NSTREAMS];
    for (int k = 0; k < MG_NSTREAMS; k++) {
        first[k] = mg_rng_next(&a[k]);
        assert_true(first[k] == mg_rng_next(&b[k]));
    }
    for (int i = 0; i < MG_NSTREAMS; i++)
        for (int j = i + 1; j < MG_NSTREAMS; j++)
            assert_true(first[i] != first[j]);
    assert_string_equal(mg_stream_name(MG_STREAM_GENERATORS), "generators");
}

static void
genre_key_is_sorted_and_conditions_streams(void **state)
{
    (void)state;
    const char *names[] = {"latin", "jazz", "hip-hop"};
    char key[128];
    assert_int_equal(mg_genre_key(key, sizeof key, names, 3), 0);
    assert_string_equal(key, "hip-hop+jazz+latin");
    assert_int_equal(mg_genre_key(key, sizeof key, names, 0), 0);
    assert_string_equal(key, "default");
    assert_int_equal(mg_genre_key(key, 8, names, 3), -1);
    /* Python: int.from_bytes(hashlib.sha256(b"genre:jazz").digest()[:8],
     * "big") */
    assert_true(mg_genre_salt("jazz") == UINT64_C(11087373307898638292));
    mg_rng a[MG_NSTREAMS], b[MG_NSTREAMS];
    mg_streams_init(a, 777, mg_genre_salt("jazz"));
    mg_streams_init(b, 777, mg_genre_salt("pop"));
    for (int k = 0; k < MG_NSTREAMS; k++)
        assert_true(mg_rng_next(&a[k]) != mg_rng_next(&b[k]));
}

static void
xoshiro_reference_sequence(void **state)
{
    (void)state;
    /* splitmix64 from 0: the published first output. */
    uint64_t st = 0;
    assert_true(mg_splitmix64(&st) == UINT64_C(0xe220a8397b1dcdaf));
    /* xoshiro256** with state {1,2,3,4}: first outputs of the reference
     * implementation. */
    mg_rng r = {{1, 2, 3, 4}};
    assert_true(mg_rng_next(&r) == UINT64_C(11520));
    assert_true(mg_rng_next(&r) == UINT64_C(0));
    assert_true(mg_rng_next(&r) == UINT64_C(1509978240));
}

static void
range_and_weighted_stay_in_bounds(void **state)
{
    (void)state;
    mg_rng r;
    mg_rng_seed(&r, 99);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        int v = mg_rng_range(&r, -3, 3);
        assert_in_range(v + 3, 0, 6);
        seen[v + 3]++;
        double u = mg_rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
    }
    for (int k = 0; k < 7; k++)
        assert_in_range(seen[k], 800, 1200);
    const double w[4] = {0, 1, 0, 3};
    int n[4] = {0};
    for (int i = 0; i < 4000; i++)
        n[mg_rng_weighted(&r, w, 4)]++;
    assert_int_equal(n[0], 0);
    assert_int_equal(n[2], 0);
    assert_in_range(n[3], 2800, 3200);
    const double zero[2] = {0, 0};
    assert_int_equal(mg_rng_weighted(&r, zero, 2), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_seed_matches_python_vectors),
        cmocka_unit_test(split_matches_python_vectors),
        cmocka_unit_test(split_follows_ratios),
        cmocka_unit_test(attempt_seed_is_offset),
        cmocka_unit_test(streams_are_distinct_and_repeatable),
        cmocka_unit_test(genre_key_is_sorted_and_conditions_streams),
        cmocka_unit_test(xoshiro_reference_sequence),
        cmocka_unit_test(range_and_weighted_stay_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
