/*
 * test_curve — CURVE key files: keygen makes a private directory with the
 * coordinator keypair, a worker keypair and that worker authorised, and
 * never replaces a key; the coordinator and worker loaders read them back
 * (public halves agree across the two sides); a secret others can read,
 * a missing secret and an empty authorized/ are refused, naming the file;
 * whatever the umask, no key file is writable by others.
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

#include "curve.h"

static char *
tmpdir_new(void)
{
    char tmpl[512];
    const char *t = getenv("TMPDIR");
    snprintf(tmpl, sizeof tmpl, "%s/curve.XXXXXX", t ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static mode_t
mode_of(const char *dir, const char *name)
{
    char p[1024];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    assert_int_equal(stat(p, &st), 0);
    return st.st_mode & 07777;
}

static void
test_keygen_and_load(void **state)
{
    (void)state;
    char *base = tmpdir_new(), dir[600], rep[2048], err[512];
    snprintf(dir, sizeof dir, "%s/keys", base);
    assert_int_equal(mg_curve_keygen(dir, false, rep, sizeof rep, err,
                                     sizeof err), 0);
    assert_non_null(strstr(rep, "coordinator keypair"));
    assert_int_equal(mode_of(dir, "."), 0700);
    assert_int_equal(mode_of(dir, "coordinator.cert_secret"), 0600);
    assert_int_equal(mode_of(dir, "worker.cert_secret"), 0600);
    mode_of(dir, "authorized/worker.cert");

    /* under umask 0, in a directory that was there already (0777): the
     * authorised certificate was 0666, so anyone could put a key of
     * their own in its place */
    char open_dir[600];
    snprintf(open_dir, sizeof open_dir, "%s/open", base);
    mode_t um = umask(0);
    assert_int_equal(mkdir(open_dir, 0777), 0);
    assert_int_equal(mg_curve_keygen(open_dir, false, rep, sizeof rep, err,
                                     sizeof err), 0);
    umask(um);
    assert_int_equal(mode_of(open_dir, "authorized/worker.cert") & 022, 0);
    assert_int_equal(mode_of(open_dir, "worker.cert_secret"), 0600);

    mg_curve_keys s1, c1, s2, c2;
    assert_int_equal(mg_curve_load_server(dir, &s1, err, sizeof err), 0);
    assert_int_equal(mg_curve_load_client(dir, &c1, err, sizeof err), 0);
    /* the worker knows the coordinator's public key; keys differ */
    assert_memory_equal(c1.server_public, s1.public_key, 32);
    assert_memory_not_equal(c1.public_key, s1.public_key, 32);
    assert_memory_not_equal(c1.secret_key, c1.public_key, 32);

    /* a second run keeps every key */
    assert_int_equal(mg_curve_keygen(dir, false, rep, sizeof rep, err,
                                     sizeof err), 0);
    assert_string_equal(rep, "");
    assert_int_equal(mg_curve_load_server(dir, &s2, err, sizeof err), 0);
    assert_int_equal(mg_curve_load_client(dir, &c2, err, sizeof err), 0);
    assert_memory_equal(&s1, &s2, sizeof s1);
    assert_memory_equal(&c1, &c2, sizeof c1);
    free(base);
}

static void
test_refusals(void **state)
{
    (void)state;
    char *base = tmpdir_new(), dir[600], p[900], rep[2048], err[512];
    mg_curve_keys k;
    snprintf(dir, sizeof dir, "%s/keys", base);
    assert_int_equal(mg_curve_keygen(dir, false, rep, sizeof rep, err,
                                     sizeof err), 0);
    /* a secret others can read */
    snprintf(p, sizeof p, "%s/worker.cert_secret", dir);
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(mg_curve_load_client(dir, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "readable by others"));
    assert_non_null(strstr(err, "worker.cert_secret"));
    assert_int_equal(chmod(p, 0600), 0);
    /* no authorised worker */
    snprintf(p, sizeof p, "%s/authorized/worker.cert", dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mg_curve_load_server(dir, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "no authorised worker"));
    /* a missing coordinator secret */
    snprintf(p, sizeof p, "%s/coordinator.cert_secret", dir);
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mg_curve_load_server(dir, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "coordinator.cert_secret"));
    /* a worker-only directory has no coordinator key at all */
    snprintf(dir, sizeof dir, "%s/w", base);
    assert_int_equal(mg_curve_keygen(dir, true, rep, sizeof rep, err,
                                     sizeof err), 0);
    assert_int_equal(mg_curve_load_client(dir, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "coordinator.cert"));
    free(base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen_and_load),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
