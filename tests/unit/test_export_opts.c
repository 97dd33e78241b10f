/*
 * test_export_opts — the export library checks its own options
 * (mg_export_opts_check, called first by mg_export_run), so a caller
 * other than the CLI gets the same refusals: an unknown split name, an
 * empty --split or --genre, a min score outside [0, 1], a missing root or
 * output; and a refused run leaves nothing at the output path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "export.h"

static mg_export_opts
good_opts(void)
{
    return (mg_export_opts){.root = ".", .out = "x.jsonl",
                            .fmt = MG_EXPORT_JSONL};
}

static void
accepts(void **state)
{
    (void)state;
    char err[200] = "";
    mg_export_opts o = good_opts();
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), 0);
    o.split = "train,valid,test";
    o.genre = "rock";
    o.has_min_score = true;
    o.min_score = 1;
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), 0);
    o.split = "test";
    o.min_score = 0;
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), 0);
}

static void
refuses(void **state)
{
    (void)state;
    char err[200];
    mg_export_opts o = good_opts();
    o.split = "train,val";
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "'val' is not a split"));
    o.split = "training";
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "'training' is not a split"));
    o.split = "train,,test"; /* an empty word is no split either */
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "'' is not a split"));
    o.split = "";
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "need a value"));
    o = good_opts();
    o.genre = "";
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    o = good_opts();
    o.has_min_score = true;
    o.min_score = 1.5;
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "--min-score"));
    o = good_opts();
    o.out = NULL;
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
    o = good_opts();
    o.root = NULL;
    assert_int_equal(mg_export_opts_check(&o, err, sizeof err), -1);
}

/* mg_export_run refuses the same options, before touching anything. */
static void
run_refuses(void **state)
{
    (void)state;
    char dir[] = "/tmp/export-opts-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[64];
    snprintf(out, sizeof out, "%s/x.jsonl", dir);
    mg_export_opts o = {.root = dir, .out = out, .fmt = MG_EXPORT_JSONL,
                        .split = "train,val"};
    mg_export_stats st;
    char err[200] = "";
    assert_int_equal(mg_export_run(&o, &st, err, sizeof err), -1);
    assert_non_null(strstr(err, "'val' is not a split"));
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);
    /* the same dataset with a good split exports (an empty file) */
    o.split = "valid";
    assert_int_equal(mg_export_run(&o, &st, err, sizeof err), 0);
    assert_int_equal(stat(out, &sb), 0);
    assert_int_equal(st.rows, 0);
    unlink(out);
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts),
        cmocka_unit_test(refuses),
        cmocka_unit_test(run_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
