/*
 * tutil — set-up the unit tests share: a whole file read into memory and
 * a fresh temporary directory under $TMPDIR (tests/run.sh gives each test
 * its own).
 *
 * Invariant: no cmocka here (plain C, linked into every unit test); a
 * test asserts on what these return.
 */
#ifndef MG_TEST_TUTIL_H
#define MG_TEST_TUTIL_H

#include <stddef.h>

/* The bytes of path, NUL-terminated (not counted in *n); NULL when it
 * cannot be read. The caller frees. */
char *tu_slurp(const char *path, size_t *n);
/* mkdtemp of $TMPDIR/NAME.XXXXXX (or /tmp) into root; root, or NULL. */
char *tu_tmpdir(char *root, size_t n, const char *name);
/* Write text to dir/rel (created or replaced); 0, or -1. */
int tu_put(const char *dir, const char *rel, const char *text);

#endif
