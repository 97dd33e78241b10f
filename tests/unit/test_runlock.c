/*
 * test_runlock — one writer of a tree at a time (runlock.h), on real
 * flock locks (two descriptors of one file conflict as two processes'
 * do): an exclusive holder refuses another exclusive taker and a static
 * worker's share, naming itself; shares coexist, refuse an exclusive
 * taker naming one of them, and are seen by mg_runlock_held (which
 * probed shared before shares existed, and saw none); the words go with
 * the last holder, and a tree never locked is not held.
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

#include "runlock.h"
#include "sampledir.h"

static char root[] = "/tmp/runlock-XXXXXX";

/* The words in the lock file now ("" when none). */
static void
words(char *buf, size_t n)
{
    char p[200];
    snprintf(p, sizeof p, "%s/.musicgen/run.lock", root);
    FILE *f = fopen(p, "r");
    buf[0] = '\0';
    if (!f) return;
    if (!fgets(buf, (int)n, f)) buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

static void
exclusive(void **state)
{
    (void)state;
    char err[600], who[200], w[300];
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 0);
    int a = mg_runlock_take(root, "musicgen filter", err, sizeof err);
    assert_true(a >= 0);
    words(w, sizeof w);
    assert_non_null(strstr(w, "musicgen filter (pid "));
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 1);
    assert_string_equal(who, w);
    /* a second exclusive taker, and a static worker's share: refused,
     * naming the holder */
    assert_int_equal(mg_runlock_take(root, "musicgen score", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "is in use by musicgen filter (pid "));
    assert_int_equal(mg_runlock_share(root, "musicgen worker --static",
                                      err, sizeof err), -1);
    assert_non_null(strstr(err, "is in use by musicgen filter (pid "));
    mg_runlock_release(a);
    words(w, sizeof w);
    assert_string_equal(w, "");
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 0);
}

static void
shared(void **state)
{
    (void)state;
    char err[600], who[200], w[300];
    int s1 = mg_runlock_share(root, "musicgen worker --static, slice 0 of 2",
                              err, sizeof err);
    assert_true(s1 >= 0);
    int s2 = mg_runlock_share(root, "musicgen worker --static, slice 1 of 2",
                              err, sizeof err);
    assert_true(s2 >= 0);
    /* the last to start is named */
    words(w, sizeof w);
    assert_non_null(strstr(w, "slice 1 of 2 (pid "));
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 1);
    assert_non_null(strstr(who, "musicgen worker --static, slice 1 of 2"));
    assert_int_equal(mg_runlock_take(root, "musicgen merge", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "is in use by musicgen worker --static"));
    /* one share given back: still held, its words kept for the other */
    mg_runlock_release(s2);
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 1);
    words(w, sizeof w);
    assert_string_not_equal(w, "");
    /* the last: free, no words */
    mg_runlock_release(s1);
    assert_int_equal(mg_runlock_held(root, who, sizeof who), 0);
    words(w, sizeof w);
    assert_string_equal(w, "");
    int a = mg_runlock_take(root, "musicgen merge", err, sizeof err);
    assert_true(a >= 0);
    mg_runlock_release(a);
}

/* Connected workers' writers lock: none made, none held (and none made
 * by asking); while two workers share it clean sees writers, the run
 * lock stays free (a coordinator may take it); the last gone, clean holds
 * it exclusive for its sweep. */
static void
writers(void **state)
{
    (void)state;
    char err[600], p[200];
    int fd;
    assert_int_equal(mg_runlock_writers(root, &fd), 0);
    assert_int_equal(fd, -1);
    snprintf(p, sizeof p, "%s/.musicgen/writers.lock", root);
    assert_int_not_equal(access(p, F_OK), 0);
    int w1 = mg_runlock_writer(root), w2 = mg_runlock_writer(root);
    assert_true(w1 >= 0 && w2 >= 0);
    assert_int_equal(mg_runlock_writers(root, &fd), 1);
    assert_int_equal(fd, -1);
    int a = mg_runlock_take(root, "musicgen coordinator", err, sizeof err);
    assert_true(a >= 0);
    mg_runlock_release(a);
    close(w1);
    assert_int_equal(mg_runlock_writers(root, &fd), 1);
    close(w2);
    assert_int_equal(mg_runlock_writers(root, &fd), 0);
    assert_true(fd >= 0);
    mg_runlock_release(fd);
}

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(root) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    return mg_dir_remove(root);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exclusive),
        cmocka_unit_test(shared),
        cmocka_unit_test(writers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
