/*
 * test_curate — the pieces of verify, stats and eval that can be pinned
 * without a dataset: the JSON Schema subset validator (each keyword,
 * refusal of unknown keywords, the real schema on a minimal document),
 * AUROC, and the SVG writer's escaping and determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dseval.h"
#include "jschema.h"
#include "svg.h"

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

typedef struct {
    char msgs[8][300];
    int n;
} reports;

static void
collect(const char *msg, void *arg)
{
    reports *r = arg;
    if (r->n < 8) snprintf(r->msgs[r->n++], 300, "%s", msg);
}

static int
check(const mg_jschema *s, const char *doc, reports *r)
{
    json_error_t je;
    json_t *j = json_loads(doc, JSON_DECODE_INT_AS_REAL, &je);
    assert_non_null(j);
    memset(r, 0, sizeof *r);
    int n = mg_jschema_validate(s, j, collect, r, 8);
    json_decref(j);
    return n;
}

static void
schema_keywords(void **state)
{
    (void)state;
    char err[300];
    reports r;
    write_text("s.json",
               "{\"type\": \"object\", \"required\": [\"a\", \"k\"],"
               " \"additionalProperties\": false,"
               " \"definitions\": {\"pc\": {\"enum\": [\"C\", \"D\"]}},"
               " \"properties\": {"
               "  \"a\": {\"type\": \"integer\", \"minimum\": 0, "
               "         \"exclusiveMaximum\": 10},"
               "  \"k\": {\"$ref\": \"#/definitions/pc\"},"
               "  \"h\": {\"type\": \"string\", \"pattern\": \"^[0-9a-f]{4}$\"},"
               "  \"l\": {\"type\": \"array\", \"minItems\": 1,"
               "         \"items\": {\"type\": [\"number\", \"null\"]}},"
               "  \"m\": {\"type\": \"object\", \"propertyNames\": "
               "         {\"enum\": [\"x\"]}, \"additionalProperties\": "
               "         {\"type\": \"boolean\"}},"
               "  \"o\": {\"oneOf\": [{\"type\": \"string\"}, "
               "         {\"type\": \"integer\"}]}}}");
    mg_jschema *s = mg_jschema_load("s.json", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(check(s, "{\"a\": 3, \"k\": \"C\", \"h\": \"00ff\", "
                              "\"l\": [1.5, null], \"m\": {\"x\": true}, "
                              "\"o\": 7}", &r), 0);
    /* 2^64 - 1 parsed as a real still counts as an integer */
    assert_int_equal(check(s, "{\"a\": 3, \"k\": \"D\", \"o\": "
                              "18446744073709551615}", &r), 0);
    assert_int_equal(check(s, "{\"a\": 10, \"k\": \"E\"}", &r), 2);
    assert_string_equal(r.msgs[0], "/a: 10 is not less than 10");
    assert_string_equal(r.msgs[1],
                        "/k: \"E\" is not one of the allowed values");
    assert_int_equal(check(s, "{\"a\": 1.5, \"k\": \"C\", \"z\": 1}", &r), 2);
    assert_string_equal(r.msgs[0], "/a: number where integer is required");
    assert_string_equal(r.msgs[1], "/: property 'z' is not allowed");
    assert_int_equal(check(s, "{\"k\": \"C\", \"h\": \"00FF\", \"l\": [], "
                              "\"m\": {\"y\": 1}}", &r), 5);
    assert_string_equal(r.msgs[0], "/: required property 'a' is missing");
    assert_non_null(strstr(r.msgs[1], "/h: \"00FF\" does not match"));
    assert_string_equal(r.msgs[2], "/l: 0 items, fewer than 1");
    assert_string_equal(r.msgs[3], "/m/y: property name 'y' is not allowed");
    assert_string_equal(r.msgs[4], "/m/y: integer where boolean is required");
    assert_int_equal(check(s, "{\"a\": 1, \"k\": \"C\", \"o\": 1.5}", &r), 1);
    assert_string_equal(r.msgs[0], "/o: matches 0 of oneOf, not exactly 1");
    mg_jschema_destroy(&s);
    assert_null(s);

    /* an unknown keyword is refused at load, named */
    write_text("u.json", "{\"type\": \"object\", \"properties\": {\"a\": "
                         "{\"multipleOf\": 2}}}");
    assert_null(mg_jschema_load("u.json", err, sizeof err));
    assert_non_null(strstr(err, "'multipleOf' is not implemented"));
    write_text("r.json", "{\"$ref\": \"#/definitions/nope\"}");
    assert_null(mg_jschema_load("r.json", err, sizeof err));
    assert_non_null(strstr(err, "not a local definition"));
    /* a keyword whose value has the wrong form is refused, not read as
     * something else ("minimum": "5" checked against 0, "required": "a"
     * and "type": "bogus" skipped or failing every value) */
    static const char *const bad[][2] = {
        {"{\"required\": \"a\"}", "'required' must be a list of property"},
        {"{\"type\": \"bogus\"}", "'type' must be a type name"},
        {"{\"type\": []}", "'type' must be a type name"},
        {"{\"properties\": {\"a\": {\"minimum\": \"5\"}}}",
         "schema #/properties/a: 'minimum' must be a number"},
        {"{\"maxItems\": 1.5}", "'maxItems' must be a whole number"},
        {"{\"enum\": 3}", "'enum' must be a list of values"},
        {"{\"properties\": [1]}", "'properties' must be an object"},
        {"{\"oneOf\": []}", "'oneOf' must be a non-empty list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_text("f.json", bad[i][0]);
        err[0] = 0;
        assert_null(mg_jschema_load("f.json", err, sizeof err));
        if (!strstr(err, bad[i][1])) fail_msg("%s: %s", bad[i][0], err);
    }
}

/* The project's schema loads (every keyword it uses is implemented) and
 * rejects an empty object, naming the required fields. */
static void
project_schema_loads(void **state)
{
    (void)state;
    char err[300], path[2048];
    reports r;
    snprintf(path, sizeof path, "%s/schema/sample.schema.json", MG_SRC_DIR);
    mg_jschema *s = mg_jschema_load(path, err, sizeof err);
    assert_non_null(s);
    assert_true(check(s, "{}", &r) > 10);
    assert_non_null(strstr(r.msgs[0], "required property"));
    mg_jschema_destroy(&s);
}

static void
auroc_values(void **state)
{
    (void)state;
    double g[] = {0.9, 0.8, 0.7}, b1[] = {0.1, 0.2}, b2[] = {0.8, 0.95};
    assert_true(mg_eval_auroc(g, 3, b1, 2) == 1.0);
    assert_true(mg_eval_auroc(b1, 2, g, 3) == 0.0);
    /* pairs: 0.9>0.8 1, 0.8=0.8 0.5, 0.7<0.8 0; all < 0.95: 1.5 of 6 */
    assert_true(mg_eval_auroc(g, 3, b2, 2) == 0.25);
    assert_true(mg_eval_auroc(g, 3, g, 3) == 0.5);
}

static void
svg_escapes_and_is_stable(void **state)
{
    (void)state;
    char err[300];
    mg_svg_bar bars[] = {{"jazz+latin", 3}, {"<b>&\"x\"", 1}};
    double h[] = {0, 2, 5, 1};
    assert_int_equal(mg_svg_hbars("a.svg", "Genres & <more>", "samples",
                                  bars, 2, err, sizeof err), 0);
    char *t = read_text("a.svg");
    assert_non_null(strstr(t, "&lt;b&gt;&amp;&quot;x&quot;"));
    assert_non_null(strstr(t, "Genres &amp; &lt;more&gt;"));
    assert_null(strstr(t, "<b>"));
    assert_int_equal(mg_svg_histogram("h1.svg", "Tempo", "BPM", 40, 10, h, 4,
                                      err, sizeof err), 0);
    assert_int_equal(mg_svg_histogram("h2.svg", "Tempo", "BPM", 40, 10, h, 4,
                                      err, sizeof err), 0);
    char *a = strdup(read_text("h1.svg"));
    assert_string_equal(a, read_text("h2.svg"));
    /* four bars, each with its bin in a tooltip */
    assert_non_null(strstr(a, "<title>50-60: 2</title>"));
    assert_non_null(strstr(a, "<title>60-70: 5</title>"));
    free(a);
    assert_int_equal(mg_svg_hbars("/nonexistent/x.svg", "t", "u", bars, 2,
                                  err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.svg"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(schema_keywords),
        cmocka_unit_test(project_schema_loads),
        cmocka_unit_test(auroc_values),
        cmocka_unit_test(svg_escapes_and_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
