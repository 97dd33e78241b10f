/*
 * test_sampledir — mg_dir_remove is rm -rf that follows no symbolic
 * link: a tree goes, a link inside it goes as a link, and a path that is
 * itself a link to a directory is removed as the link, the directory it
 * names untouched (it was emptied).
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

#include "sampledir.h"
#include "util/tutil.h"

static void
test_remove_follows_no_link(void **state)
{
    (void)state;
    char root[600], p[800], q[800];
    assert_non_null(tu_tmpdir(root, sizeof root, "sampledir"));
    snprintf(p, sizeof p, "%s/kept", root);
    assert_int_equal(mg_dir_make(p), 0);
    snprintf(p, sizeof p, "%s/tree/sub", root);
    assert_int_equal(mg_dir_make(p), 0);
    assert_int_equal(tu_put(root, "kept/a.txt", "a\n"), 0);
    assert_int_equal(tu_put(root, "tree/sub/b.txt", "b\n"), 0);
    snprintf(p, sizeof p, "%s/kept", root);
    snprintf(q, sizeof q, "%s/tree/sub/link", root);
    assert_int_equal(symlink(p, q), 0);
    /* a tree holding a link to a directory: the link goes, not its
     * target's files */
    snprintf(q, sizeof q, "%s/tree", root);
    assert_int_equal(mg_dir_remove(q), 0);
    assert_int_equal(access(q, F_OK), -1);
    snprintf(q, sizeof q, "%s/kept/a.txt", root);
    assert_int_equal(access(q, F_OK), 0);
    /* the path itself a link to a directory */
    snprintf(q, sizeof q, "%s/link", root);
    assert_int_equal(symlink(p, q), 0);
    assert_int_equal(mg_dir_remove(q), 0);
    struct stat st;
    assert_int_equal(lstat(q, &st), -1);
    snprintf(q, sizeof q, "%s/kept/a.txt", root);
    assert_int_equal(access(q, F_OK), 0);
    /* a plain file, and nothing at all */
    assert_int_equal(mg_dir_remove(q), 0);
    assert_int_equal(access(q, F_OK), -1);
    assert_int_equal(mg_dir_remove(q), 0);
    assert_int_equal(mg_dir_remove(root), 0);
    assert_int_equal(access(root, F_OK), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remove_follows_no_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
