/*
 * test_theory — chord vocabulary, key parsing and chord labels.
 * Harte labels are pinned against a table written from Harte et al. 2005.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "theory.h"

static void
test_chord_names_and_aliases(void **state)
{
    static const struct {
        const char *name;
        int type;
    } v[] = {
        {"maj", MG_CH_MAJ},     {"min", MG_CH_MIN},     {"m", MG_CH_MIN},
        {"major", MG_CH_MAJ},   {"minor", MG_CH_MIN},   {"dim", MG_CH_DIM},
        {"aug", MG_CH_AUG},     {"sus2", MG_CH_SUS2},   {"sus4", MG_CH_SUS4},
        {"power", MG_CH_POWER}, {"6", MG_CH_MAJ6},      {"maj6", MG_CH_MAJ6},
        {"m6", MG_CH_MIN6},     {"maj7", MG_CH_MAJ7},   {"m7", MG_CH_MIN7},
        {"min7", MG_CH_MIN7},   {"dom7", MG_CH_DOM7},   {"7", MG_CH_DOM7},
        {"m7b5", MG_CH_HDIM7},  {"hdim7", MG_CH_HDIM7}, {"dim7", MG_CH_DIM7},
        {"mmaj7", MG_CH_MINMAJ7}, {"7sus4", MG_CH_7SUS4},
        {"add9", MG_CH_ADD9},   {"madd9", MG_CH_MADD9}, {"maj9", MG_CH_MAJ9},
        {"m9", MG_CH_MIN9},     {"dom9", MG_CH_DOM9},   {"9", MG_CH_DOM9},
        {"M7", MG_CH_MAJ7},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_int_equal(mg_chord_type_from_name(v[i].name), v[i].type);
    assert_int_equal(mg_chord_type_from_name("blah"), -1);
    assert_int_equal(mg_chord_type_from_name(NULL), -1);
    /* every canonical name round-trips */
    for (i = 0; i < MG_NCHORDTYPES; i++)
        assert_int_equal(
            mg_chord_type_from_name(mg_chord_info_of((mg_chord_type)i)->name),
            (int)i);
}

static void
test_chord_table_consistent(void **state)
{
    int t, k;

    (void)state;
    for (t = 0; t < MG_NCHORDTYPES; t++) {
        const mg_chord_info *ci = mg_chord_info_of((mg_chord_type)t);

        assert_non_null(ci);
        assert_true(ci->ntones >= 2 && ci->ntones <= 6);
        assert_int_equal(ci->interval[0], 0);
        for (k = 1; k < ci->ntones; k++) {
            assert_true(ci->interval[k] > ci->interval[k - 1]);
            assert_non_null(ci->degree[k]);
        }
    }
}

static void
test_harte_labels(void **state)
{
    static const struct {
        int root, type, inv;
        const char *want;
    } v[] = {
        {0, MG_CH_MAJ, 0, "C:maj"},        {9, MG_CH_MIN7, 0, "A:min7"},
        {0, MG_CH_MAJ7, 0, "C:maj7"},      {7, MG_CH_DOM7, 2, "G:7/5"},
        {4, MG_CH_POWER, 0, "E:(1,5)"},    {9, MG_CH_MIN7, 1, "A:min7/b3"},
        {11, MG_CH_HDIM7, 0, "B:hdim7"},   {11, MG_CH_DIM7, 3, "B:dim7/bb7"},
        {0, MG_CH_ADD9, 0, "C:maj(9)"},    {2, MG_CH_MADD9, 0, "D:min(9)"},
        {7, MG_CH_7SUS4, 0, "G:sus4(b7)"}, {5, MG_CH_MAJ6, 0, "F:maj6"},
        {1, MG_CH_MIN6, 0, "C#:min6"},     {3, MG_CH_MINMAJ7, 0, "D#:minmaj7"},
        {10, MG_CH_DOM9, 0, "A#:9"},       {0, MG_CH_MAJ9, 0, "C:maj9"},
        {4, MG_CH_MIN9, 0, "E:min9"},      {0, MG_CH_SUS2, 0, "C:sus2"},
        {0, MG_CH_SUS4, 1, "C:sus4/4"},    {8, MG_CH_AUG, 2, "G#:aug/#5"},
        {6, MG_CH_DIM, 1, "F#:dim/b3"},    {0, MG_CH_MAJ, 1, "C:maj/3"},
        {7, MG_CH_DOM7, 3, "G:7/b7"},      {0, MG_CH_MAJ, 7, "C:maj"},
    };
    char buf[32];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        mg_chord_harte(buf, sizeof buf, v[i].root, (mg_chord_type)v[i].type,
                       v[i].inv);
        assert_string_equal(buf, v[i].want);
    }
}

static void
test_symbols(void **state)
{
    char buf[32];

    (void)state;
    mg_chord_symbol(buf, sizeof buf, 0, MG_CH_MAJ7, 0);
    assert_string_equal(buf, "Cmaj7");
    mg_chord_symbol(buf, sizeof buf, 9, MG_CH_MIN7, 1);
    assert_string_equal(buf, "Am7/C");
    mg_chord_symbol(buf, sizeof buf, 7, MG_CH_DOM7, 0);
    assert_string_equal(buf, "G7");
    mg_chord_symbol(buf, sizeof buf, 4, MG_CH_POWER, 0);
    assert_string_equal(buf, "E5");
}

static void
test_keys(void **state)
{
    int pc;
    mg_mode m;

    (void)state;
    assert_int_equal(mg_key_parse("C", &pc, &m), 0);
    assert_int_equal(pc, 0);
    assert_int_equal(m, MG_MODE_MAJOR);
    assert_int_equal(mg_key_parse("C#m", &pc, &m), 0);
    assert_int_equal(pc, 1);
    assert_int_equal(m, MG_MODE_MINOR);
    assert_int_equal(mg_key_parse("Bbm", &pc, &m), 0);
    assert_int_equal(pc, 10);
    assert_int_equal(mg_key_parse("A minor", &pc, &m), 0);
    assert_int_equal(pc, 9);
    assert_int_equal(m, MG_MODE_MINOR);
    assert_int_equal(mg_key_parse("F# major", &pc, &m), 0);
    assert_int_equal(pc, 6);
    assert_int_equal(m, MG_MODE_MAJOR);
    assert_int_equal(mg_key_parse("H", &pc, &m), -1);
    assert_int_equal(mg_key_parse("Cx", &pc, &m), -1);
    assert_int_equal(mg_pc_from_name("Db"), 1);
    assert_int_equal(mg_pc_from_name("B#"), 0);
    assert_int_equal(mg_pc_from_name("Q"), -1);
    assert_string_equal(mg_pc_name(10), "A#");
    assert_string_equal(mg_pc_name(-1), "B");
    assert_string_equal(mg_mode_name(MG_MODE_MINOR), "minor");
}

static void
test_scales(void **state)
{
    (void)state;
    assert_int_equal(mg_scale(MG_MODE_MAJOR)[2], 4);
    assert_int_equal(mg_scale(MG_MODE_MINOR)[2], 3);
    assert_int_equal(mg_degree_family(MG_MODE_MAJOR, 6), MG_FAM_DIM);
    assert_int_equal(mg_degree_family(MG_MODE_MINOR, 1), MG_FAM_DIM);
    assert_int_equal(mg_degree_family(MG_MODE_MINOR, 2), MG_FAM_MAJOR);
    assert_true(mg_pc_in_scale(11, 0, MG_MODE_MAJOR));
    assert_false(mg_pc_in_scale(1, 0, MG_MODE_MAJOR));
    assert_true(mg_pc_in_scale(0, 9, MG_MODE_MINOR));
    assert_false(mg_pc_in_scale(8, 9, MG_MODE_MINOR));
    assert_true(mg_kk_major[0] > mg_kk_major[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chord_names_and_aliases),
        cmocka_unit_test(test_chord_table_consistent),
        cmocka_unit_test(test_harte_labels),
        cmocka_unit_test(test_symbols),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_scales),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
