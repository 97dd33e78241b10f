/*
 * test_forksafe — the thread count read from /proc and the wait before a
 * fork: a detached thread still running is counted, the wait returns once
 * it has ended (not before), and gives up after its bound.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "forksafe.h"

static void *
nap(void *arg)
{
    int ms = *(int *)arg;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return NULL;
}

static pthread_t
start_detached(int *ms)
{
    pthread_t th;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    assert_int_equal(pthread_create(&th, &a, nap, ms), 0);
    pthread_attr_destroy(&a);
    return th;
}

static void
counts_threads(void **state)
{
    (void)state;
    assert_int_equal(mg_threads(), 1);
    static int ms = 300;
    start_detached(&ms);
    assert_int_equal(mg_threads(), 2);
    /* a bound shorter than the thread's life: still two */
    assert_int_equal(mg_await_one_thread(20), 2);
    /* a longer one: it returns once the thread is gone */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(mg_await_one_thread(5000), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(s < 4.5); /* returned on the thread's end, not the bound */
    assert_int_equal(mg_threads(), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
