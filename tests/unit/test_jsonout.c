/*
 * test_jsonout — the canonical form sample.json relies on: sorted keys,
 * u64 beyond 2^63, shortest round-trip reals, stable bytes.
 */
#include <setjmp.h>
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
    t = mg_json_dump(j, 2);
    assert_non_null(strstr(t, "{\n  \"alpha\": -3,\n  \"big\""));
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_sorted_and_reals_short),
        cmocka_unit_test(nested_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
