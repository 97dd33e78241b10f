/*
 * test_jsonout — the canonical form sample.json relies on: sorted keys,
 * u64 beyond 2^63, shortest round-trip reals, stable bytes, and the
 * indented layout (flat arrays and objects on one line).
 */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonout.h"

static void
keys_sorted_and_reals_short(void **state)
{
    (void)state;
    json_t *j = json_object();
    json_object_set_new(j, "zeta", json_real(0.1));
    json_object_set_new(j, "alpha", json_integer(-3));
    json_object_set_new(j, "mid", json_real(120.0));
    json_object_set_new(j, "big", mg_json_u64(UINT64_C(18446744073709551615)));
    json_object_set_new(j, "s", json_string("a\"b\n\x01"));
    json_object_set_new(j, "r", mg_json_real(1.23456789, 3));
    json_object_set_new(j, "neg0", mg_json_real(-0.0000001, 3));
    char *t = mg_json_dump(j, 0);
    assert_string_equal(t, "{\"alpha\":-3,\"big\":18446744073709551615,"
                           "\"mid\":120.0,\"neg0\":0.0,\"r\":1.235,"
                           "\"s\":\"a\\\"b\\n\\u0001\",\"zeta\":0.1}\n");
    free(t);
    /* A flat object is one line, even indented. */
    t = mg_json_dump(j, 2);
    assert_string_equal(t, "{\"alpha\": -3, \"big\": 18446744073709551615, "
                           "\"mid\": 120.0, \"neg0\": 0.0, \"r\": 1.235, "
                           "\"s\": \"a\\\"b\\n\\u0001\", \"zeta\": 0.1}\n");
    free(t);
    json_decref(j);
}

/* Indented layout: an array or object of scalars (or empty containers)
 * on one line, ", " and ": " between; anything holding a non-empty
 * container two-space indented, one member a line. */
static void
indented_layout(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:[f,f,i],s:{s:i,s:s},s:[[i,i],[]],s:[{s:i},{}],"
                          "s:[],s:{},s:[i,[],{}]}",
                          "times", 0.0, 0.5, 2, "note", "pitch", 60, "kind",
                          "x", "nest", 1, 2, "objs", "a", 1, "e", "o", "m", 1);
    char *t = mg_json_dump(j, 2);
    assert_string_equal(t, "{\n"
                           "  \"e\": [],\n"
                           "  \"m\": [1, [], {}],\n"
                           "  \"nest\": [\n"
                           "    [1, 2],\n"
                           "    []\n"
                           "  ],\n"
                           "  \"note\": {\"kind\": \"x\", \"pitch\": 60},\n"
                           "  \"o\": {},\n"
                           "  \"objs\": [\n"
                           "    {\"a\": 1},\n"
                           "    {}\n"
                           "  ],\n"
                           "  \"times\": [0.0, 0.5, 2]\n"
                           "}\n");
    free(t);
    json_decref(j);
}

static void
nested_and_empty(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:[i,{s:b}],s:{},s:[],s:n}", "a", 1, "t", 1,
                          "o", "e", "z");
    char *t = mg_json_dump(j, 0);
    assert_string_equal(t, "{\"a\":[1,{\"t\":true}],\"e\":[],\"o\":{},"
                           "\"z\":null}\n");
    free(t);
    json_decref(j);
}

/* A real alone, as the index (dsindex.c) writes its columns: the same
 * text as in a dumped tree, never "%g"'s 1.6e+02 for 160. */
static void
real_text(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {160.0, "160.0"},      {0.1, "0.1"},        {-2.5, "-2.5"},
        {89.702909, "89.702909"}, {1e20, "1e+20"}, {1.5e-5, "1.5e-05"},
        {123456789012.5, "123456789012.5"}, {0.0, "0.0"},
        {1.0 / 3.0, "0.3333333333333333"},
    };
    char b[64];
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mg_json_real_text(cases[k].v, b, sizeof b);
        assert_string_equal(b, cases[k].text);
        /* the same as a dumped tree's */
        json_t *a = json_array();
        json_array_append_new(a, json_real(cases[k].v));
        char *t = mg_json_dump(a, 0);
        char want[96];
        snprintf(want, sizeof want, "[%s]\n", b);
        assert_string_equal(t, want);
        free(t);
        json_decref(a);
    }
    mg_json_real_text(NAN, b, sizeof b);
    assert_string_equal(b, "null");
    /* rounding to decimals past 2^53: the value itself, never inf (which
     * jansson refuses: a stats key went missing) */
    json_t *h = mg_json_real(1e308, 6);
    assert_non_null(h);
    assert_true(json_real_value(h) == 1e308);
    json_decref(h);
}

/* Text that is not UTF-8: the valid sequences stay, each stray byte is
 * U+FFFD; a path that is not also carries its bytes in KEY_hex (verify
 * and stats crashed or dropped the root of such a tree). */
static void
text_and_paths_not_utf8(void **state)
{
    (void)state;
    json_t *t = mg_json_text("caf\xC3\xA9 \xFF\xC3 \xED\xA0\x80x");
    assert_non_null(t);
    assert_string_equal(json_string_value(t), "caf\xC3\xA9 \xEF\xBF\xBD"
                        "\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD"
                        "\xEF\xBF\xBDx");
    json_decref(t);
    json_t *o = json_object();
    assert_int_equal(mg_json_set_path(o, "root", "/d/\xC3\xA9"), 0);
    assert_int_equal(mg_json_set_path(o, "where", "/d\xFF"), 0);
    char *s = mg_json_dump(o, 0);
    assert_string_equal(s, "{\"root\":\"/d/\xC3\xA9\",\"where\":\"/d\xEF\xBF"
                        "\xBD\",\"where_hex\":\"2f64ff\"}\n");
    free(s);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_sorted_and_reals_short),
        cmocka_unit_test(nested_and_empty),
        cmocka_unit_test(indented_layout),
        cmocka_unit_test(real_text),
        cmocka_unit_test(text_and_paths_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
