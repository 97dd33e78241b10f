/*
 * test_dsfetch — samples read and tokenized ahead by threads: at every
 * number of jobs the items come in index order, each once, with the
 * reader's flags (complete, half-written), sample.json tokenized (the
 * skipped member one token), a broken file named with its parse error,
 * prep() run on every good item and its state kept per item; a fetch
 * dropped part-way (threads still reading ahead) frees what prep left
 * through user_free; an unreadable root is refused at open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dsfetch.h"
#include "sampledir.h"
#include "util/tutil.h"

#define N 300

static char root[512];

/* A flat tree of N samples, sample i's notes i values long; sample 7's
 * sample.json cut short; 000011 without one; a .tmp-000013-99 beside. */
static int
setup(void **state)
{
    (void)state;
    assert_non_null(tu_tmpdir(root, sizeof root, "dsfetch"));
    for (int i = 0; i < N; i++) {
        char rel[64], p[1024], t[8192], q[1100];
        snprintf(rel, sizeof rel, "%06d", i);
        snprintf(p, sizeof p, "%s/%s", root, rel);
        assert_int_equal(mg_dir_make(p), 0);
        if (i == 11) continue;
        int n = snprintf(t, sizeof t, "{\"notes\": {\"onset\": [");
        for (int k = 0; k < i; k++)
            n += snprintf(t + n, sizeof t - (size_t)n, "%s%d.5", k ? ", " : "",
                          k);
        snprintf(t + n, sizeof t - (size_t)n,
                 "]}, \"sample_index\": %d, \"split\": \"train\"}\n", i);
        if (i == 7) t[20] = 0;
        snprintf(q, sizeof q, "%s/sample.json", rel);
        assert_int_equal(tu_put(root, q, t), 0);
    }
    char p[1024];
    snprintf(p, sizeof p, "%s/.tmp-000013-99", root);
    assert_int_equal(mg_dir_make(p), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    mg_dir_remove(root);
    return 0;
}

static int frees;

/* The item's sample_index, boxed (so user_free has something to free). */
static int
prep_index(mg_dsitem *it, void *ctx)
{
    (void)ctx;
    long **box = it->user;
    free(*box);
    *box = NULL;
    long k = mg_jdoc_get(&it->doc, 0, "sample_index");
    int64_t v;
    if (k < 0 || mg_jdoc_i64(&it->doc, (uint32_t)k, &v)) return 2;
    *box = malloc(sizeof **box);
    if (!*box) return 3;
    **box = (long)v;
    return 1;
}

static void
free_box(void *user)
{
    long **box = user;
    if (*box) frees++;
    free(*box);
    *box = NULL;
}

static mg_dsfetch *
open_fetch(int jobs)
{
    char err[300];
    mg_dsfetch_opts o = {.dsflags = MG_DSREAD_PARTIALS,
                         .jflags = MG_JDOC_SCALAR_ARRAYS,
                         .skip = "notes",
                         .jobs = jobs,
                         .user_size = sizeof(long *),
                         .prep = prep_index,
                         .user_free = free_box};
    mg_dsfetch *f = mg_dsfetch_open(root, &o, err, sizeof err);
    if (!f) fail_msg("open: %s", err);
    return f;
}

static void
every_item_in_order_at_every_jobs(void **state)
{
    (void)state;
    static const int jobs[] = {1, 2, 3, 8, 17};
    for (size_t j = 0; j < sizeof jobs / sizeof *jobs; j++) {
        mg_dsfetch *f = open_fetch(jobs[j]);
        assert_int_equal(mg_dsfetch_shard_width(f), 0);
        mg_dsitem *it;
        char err[300];
        int rc, n = 0, tmp = 0;
        uint64_t want = 0;
        while ((rc = mg_dsfetch_next(f, &it, err, sizeof err)) == 1) {
            if (it->s.tmp) { /* .tmp-000013-99, beside sample 13 */
                assert_int_equal(it->s.index, 13);
                assert_false(it->s.complete);
                assert_false(it->ok);
                tmp++;
                continue;
            }
            assert_int_equal(it->s.index, want);
            want++;
            n++;
            if (it->s.index == 11) { /* no sample.json: half-written */
                assert_false(it->s.complete);
                assert_false(it->ok);
                continue;
            }
            assert_true(it->s.complete);
            if (it->s.index == 7) {
                assert_false(it->ok);
                assert_non_null(it->s.error);
                assert_non_null(strstr(it->s.error, "sample.json: line 1: "));
                continue;
            }
            assert_true(it->ok);
            assert_int_equal(it->prep_rc, 1);
            long **box = it->user;
            assert_non_null(*box);
            assert_int_equal(**box, (long)it->s.index);
            /* the notes: one token, validated, its members counted */
            long k = mg_jdoc_get(&it->doc, 0, "notes");
            assert_true(k > 0);
            assert_true(it->doc.t[k].skipped);
            assert_int_equal(it->doc.t[k].n, 1);
            free_box(box); /* taken: nothing left for user_free */
            frees--;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, N);
        assert_int_equal(tmp, 1);
        /* the end stays the end */
        assert_int_equal(mg_dsfetch_next(f, &it, err, sizeof err), 0);
        frees = 0;
        mg_dsfetch_destroy(&f);
        assert_null(f);
        assert_int_equal(frees, 0);
    }
}

static void
dropped_part_way_frees_what_prep_left(void **state)
{
    (void)state;
    for (int jobs = 1; jobs <= 6; jobs += 5) {
        mg_dsfetch *f = open_fetch(jobs);
        mg_dsitem *it;
        char err[300];
        for (int i = 0; i < 20; i++)
            assert_int_equal(mg_dsfetch_next(f, &it, err, sizeof err), 1);
        assert_int_equal(it->s.index, 18); /* 0..18 and the .tmp at 13 */
        frees = 0;
        mg_dsfetch_destroy(&f); /* threads stopped, boxes freed (ASan) */
        assert_true(frees >= 1);
        if (jobs == 1) assert_int_equal(frees, 1); /* the one in hand */
    }
}

static void
unreadable_root_refused(void **state)
{
    (void)state;
    char err[300] = "", p[1024];
    snprintf(p, sizeof p, "%s/no-such-dir", root);
    mg_dsfetch_opts o = {.jobs = 4};
    assert_null(mg_dsfetch_open(p, &o, err, sizeof err));
    assert_non_null(strstr(err, "no-such-dir"));
    assert_int_equal(mg_dsfetch_jobs(3), 3);
    assert_true(mg_dsfetch_jobs(0) >= 1);
    assert_true(mg_dsfetch_jobs(0) <= MG_DSFETCH_AUTO_JOBS);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_item_in_order_at_every_jobs),
        cmocka_unit_test(dropped_part_way_frees_what_prep_left),
        cmocka_unit_test(unreadable_root_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
