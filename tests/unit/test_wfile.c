/*
 * test_wfile — a small file written whole on shared storage (wfile.h):
 * the first writer wins where the file must not be replaced and a later
 * one leaves it as it was; a replacing writer replaces it; no temporary
 * is left either way; another host's writer of the same pid (a static
 * worker is pid 1 in every container of a Kubernetes job), midway with
 * its temporary, is not disturbed (the temporaries were named PATH.tmp.
 * PID, one name for both: the second writer failed or wrote into the
 * first's file); a file that cannot be written is named in one line.
 */
#include <dirent.h>
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

#include "sampledir.h"
#include "util/tutil.h"
#include "wfile.h"

static char root[200];

/* Entries of root other than . and .. */
static int
entries(void)
{
    DIR *d = opendir(root);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

static void
first_wins(void **state)
{
    (void)state;
    char p[300], err[400];
    size_t n;
    snprintf(p, sizeof p, "%s/run.json", root);
    assert_int_equal(mg_wfile_put(p, "{\"a\":1}\n", 8, false, err,
                                  sizeof err), 0);
    assert_int_equal(mg_wfile_put(p, "{\"b\":22}\n", 9, false, err,
                                  sizeof err), 1);
    char *t = tu_slurp(p, &n);
    assert_non_null(t);
    assert_string_equal(t, "{\"a\":1}\n");
    free(t);
    assert_int_equal(entries(), 1);
    assert_int_equal(mg_wfile_put(p, "{\"b\":22}\n", 9, true, err,
                                  sizeof err), 0);
    t = tu_slurp(p, &n);
    assert_non_null(t);
    assert_string_equal(t, "{\"b\":22}\n");
    free(t);
    assert_int_equal(entries(), 1);
    unlink(p);
}

static void
other_host_same_pid(void **state)
{
    (void)state;
    char p[300], theirs[400], old[400], err[400];
    size_t n;
    snprintf(p, sizeof p, "%s/range.json", root);
    /* another host's writer of our pid, its temporary open (a directory
     * here: what any write into it or over it would be refused by) */
    snprintf(theirs, sizeof theirs, "%s/.range.json.tmp-otherhost-%ld", root,
             (long)getpid());
    snprintf(old, sizeof old, "%s/range.json.tmp.%ld", root, (long)getpid());
    assert_int_equal(mkdir(theirs, 0755), 0);
    assert_int_equal(mkdir(old, 0755), 0);
    assert_int_equal(mg_wfile_put(p, "{}\n", 3, true, err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(theirs, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    char *t = tu_slurp(p, &n);
    assert_non_null(t);
    assert_string_equal(t, "{}\n");
    free(t);
    assert_int_equal(entries(), 3);
    rmdir(theirs);
    rmdir(old);
    unlink(p);
}

static void
cannot_write(void **state)
{
    (void)state;
    char p[300], err[400] = "";
    snprintf(p, sizeof p, "%s/no/such/dir/run.json", root);
    assert_int_equal(mg_wfile_put(p, "x", 1, true, err, sizeof err), -1);
    char want[400];
    snprintf(want, sizeof want, "cannot write %s: No such file or directory",
             p);
    assert_string_equal(err, want);
    assert_null(strchr(err, '\n'));
    assert_int_equal(mg_wfile_put(p, "x", 1, false, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_int_equal(entries(), 0);
}

static int
setup(void **state)
{
    (void)state;
    return tu_tmpdir(root, sizeof root, "wfile") ? 0 : -1;
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
        cmocka_unit_test(first_wins),
        cmocka_unit_test(other_host_same_pid),
        cmocka_unit_test(cannot_write),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
