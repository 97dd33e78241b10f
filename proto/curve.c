/*
 * curve — key files, the zauth ZAP handler and CURVE socket options (see
 * curve.h for the directory layout).
 *
 * Invariants: a secret key is read only from a file nobody but its owner
 * can read; keygen never overwrites a key (a re-run is harmless, and a
 * run's workers keep working); the coordinator never starts with an empty
 * authorised set, since a CURVE server nobody may join is a mistake, not
 * a policy.
 */
#include "curve.h"

#include <czmq.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

static void
path_of(char *buf, size_t n, const char *dir, const char *name,
        const char *suffix)
{
    snprintf(buf, n, "%s/%s%s", dir, name, suffix);
}

static bool
exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A secret key file must exist and be private to its owner. */
static int
check_secret(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st)) {
        snprintf(err, errlen, "%s: %s (create keys with `musicgen keygen "
                 "--curve-dir DIR`)", path, strerror(errno));
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen, "%s: a secret key readable by others (mode "
                 "%04o); chmod 600 it", path, (unsigned)(st.st_mode & 07777));
        return -1;
    }
    return 0;
}

static int
mkdir_private(const char *dir, char *err, size_t errlen)
{
    if (mkdir(dir, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Did c reach path whole (with its secret half in path_secret when
 * secret)? zcert_save reports no failed write: on a full disk it left
 * empty files and returned 0, and a later keygen kept them as keys. */
static bool
saved_whole(zcert_t *c, const char *path, bool secret)
{
    zcert_t *b = zcert_load(path);
    bool same = b && !memcmp(zcert_public_key(b), zcert_public_key(c), 32) &&
                (!secret ||
                 !memcmp(zcert_secret_key(b), zcert_secret_key(c), 32));
    zcert_destroy(&b);
    return same;
}

/* A new keypair saved as DIR/NAME and DIR/NAME_secret (0600). */
static int
make_pair(const char *dir, const char *name, const char *role,
          zcert_t **out, char *err, size_t errlen)
{
    char path[2048];
    path_of(path, sizeof path, dir, name, "");
    zcert_t *c = zcert_new();
    if (!c) {
        snprintf(err, errlen, "cannot make a CURVE keypair");
        return -1;
    }
    zcert_set_meta(c, "role", "%s", role);
    zcert_set_meta(c, "made-by", "musicgen keygen");
    /* created private, not chmod'ed after: no moment of exposure */
    mode_t old = umask(077);
    int rc = zcert_save(c, path);
    umask(old);
    if (rc || !saved_whole(c, path, true)) {
        char spath[2100];
        path_of(spath, sizeof spath, dir, name, "_secret");
        unlink(path);
        unlink(spath);
        snprintf(err, errlen, "%s: cannot write the keypair (it did not "
                 "read back whole: a full disk?); nothing kept", path);
        zcert_destroy(&c);
        return -1;
    }
    if (out)
        *out = c;
    else
        zcert_destroy(&c);
    return 0;
}

static void
report_add(char *report, size_t replen, const char *what)
{
    size_t l = strlen(report);
    snprintf(report + l, replen - l, "%s%s", l ? "; " : "", what);
}

int
mg_curve_keygen(const char *dir, bool worker_only, char *report,
                size_t replen, char *err, size_t errlen)
{
    char path[4096], auth[2048], line[4200];
    report[0] = '\0';
    if (strlen(dir) > 1900) {
        snprintf(err, errlen, "--curve-dir: path too long");
        return -1;
    }
    snprintf(auth, sizeof auth, "%s/%s", dir, MG_CURVE_AUTH_DIR);
    if (mkdir_private(dir, err, errlen) ||
        (!worker_only && mkdir_private(auth, err, errlen)))
        return -1;
    if (!worker_only) {
        path_of(path, sizeof path, dir, MG_CURVE_COORD_CERT, "_secret");
        if (!exists(path)) {
            if (make_pair(dir, MG_CURVE_COORD_CERT, "coordinator", NULL, err,
                          errlen))
                return -1;
            snprintf(line, sizeof line, "made the coordinator keypair %s/%s",
                     dir, MG_CURVE_COORD_CERT);
            report_add(report, replen, line);
        }
    }
    path_of(path, sizeof path, dir, MG_CURVE_WORKER_CERT, "_secret");
    zcert_t *w = NULL;
    if (!exists(path)) {
        if (make_pair(dir, MG_CURVE_WORKER_CERT, "worker", &w, err, errlen))
            return -1;
        snprintf(line, sizeof line, "made the worker keypair %s/%s", dir,
                 MG_CURVE_WORKER_CERT);
        report_add(report, replen, line);
    }
    path_of(path, sizeof path, auth, MG_CURVE_WORKER_CERT, "");
    if (w && !worker_only && !exists(path)) {
        /* public, but never writable by others whatever the umask (under
         * umask 0 it was 0666: anyone who could reach authorized/ could
         * swap in a key of their own and join the run) */
        mode_t old = umask(022);
        umask(old | 022);
        int rc = zcert_save_public(w, path);
        umask(old);
        if (rc || !saved_whole(w, path, false)) {
            unlink(path);
            snprintf(err, errlen, "%s: cannot write the public key (it did "
                     "not read back whole: a full disk?); nothing kept",
                     path);
            zcert_destroy(&w);
            return -1;
        }
        snprintf(line, sizeof line, "authorised it in %s/", auth);
        report_add(report, replen, line);
    }
    zcert_destroy(&w);
    return 0;
}

/* Load DIR/NAME with its secret half into pub/sec (sec may be NULL:
 * public half only). */
static int
load_cert(const char *dir, const char *name, uint8_t *pub, uint8_t *sec,
          char *err, size_t errlen)
{
    char path[4096], spath[4096];
    path_of(path, sizeof path, dir, name, "");
    path_of(spath, sizeof spath, dir, name, "_secret");
    if (sec && check_secret(spath, err, errlen))
        return -1;
    if (!sec && !exists(path)) {
        snprintf(err, errlen, "%s: %s (copy the coordinator's public "
                 "certificate here)", path, strerror(ENOENT));
        return -1;
    }
    zcert_t *c = zcert_load(path);
    if (!c) {
        snprintf(err, errlen, "%s: not a CURVE certificate", sec ? spath
                 : path);
        return -1;
    }
    memcpy(pub, zcert_public_key(c), 32);
    if (sec) {
        memcpy(sec, zcert_secret_key(c), 32);
        static const uint8_t zero[32];
        if (!memcmp(sec, zero, 32)) {
            snprintf(err, errlen, "%s: holds no secret key", spath);
            zcert_destroy(&c);
            return -1;
        }
    }
    zcert_destroy(&c);
    return 0;
}

static int
count_certs(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

int
mg_curve_load_server(const char *dir, mg_curve_keys *k, char *err,
                     size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (load_cert(dir, MG_CURVE_COORD_CERT, k->public_key, k->secret_key,
                  err, errlen))
        return -1;
    memcpy(k->server_public, k->public_key, 32);
    char auth[2048];
    snprintf(auth, sizeof auth, "%s/%s", dir, MG_CURVE_AUTH_DIR);
    if (count_certs(auth) <= 0) {
        snprintf(err, errlen, "%s: no authorised worker certificates (run "
                 "`musicgen keygen --curve-dir %s` or copy workers' "
                 "public .cert files there)", auth, dir);
        return -1;
    }
    return 0;
}

int
mg_curve_load_client(const char *dir, mg_curve_keys *k, char *err,
                     size_t errlen)
{
    memset(k, 0, sizeof *k);
    if (load_cert(dir, MG_CURVE_COORD_CERT, k->server_public, NULL, err,
                  errlen))
        return -1;
    return load_cert(dir, MG_CURVE_WORKER_CERT, k->public_key,
                     k->secret_key, err, errlen);
}

int
mg_curve_apply_server(void *sock, const mg_curve_keys *k, char *err,
                      size_t errlen)
{
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->secret_key, 32) ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, MG_CURVE_ZAP_DOMAIN,
                       strlen(MG_CURVE_ZAP_DOMAIN))) {
        snprintf(err, errlen, "CURVE: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

int
mg_curve_apply_client(void *sock, const mg_curve_keys *k, char *err,
                      size_t errlen)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, k->server_public, 32) ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, k->public_key, 32) ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, k->secret_key, 32)) {
        snprintf(err, errlen, "CURVE: %s", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

void *
mg_curve_context(void)
{
    /* czmq would otherwise install its own SIGINT/SIGTERM handlers over
     * the ones that let our daemons stop cleanly */
    zsys_handler_set(NULL);
    return zsys_init();
}

void *
mg_curve_auth_start(const char *dir, char *err, size_t errlen)
{
    char auth[2048];
    snprintf(auth, sizeof auth, "%s/%s", dir, MG_CURVE_AUTH_DIR);
    mg_curve_context();
    zactor_t *a = zactor_new(zauth, NULL);
    if (!a) {
        snprintf(err, errlen, "cannot start the ZAP handler (zauth)");
        return NULL;
    }
    /* a directory, never CURVE_ALLOW_ANY: strangers stay out */
    if (zstr_sendx(a, "CURVE", auth, NULL) || zsock_wait(a) < 0) {
        snprintf(err, errlen, "zauth: cannot load %s", auth);
        zactor_destroy(&a);
        return NULL;
    }
    return a;
}

void
mg_curve_auth_stop(void **auth)
{
    zactor_t *a = *auth;
    if (a)
        zactor_destroy(&a);
    *auth = NULL;
}

int
mg_monitor_event(void *mon, uint16_t *event, uint32_t *value)
{
    zmq_msg_t ev, addr;
    int rc = -1;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, mon, ZMQ_DONTWAIT) < 0)
        goto out;
    if (zmq_msg_more(&ev))      /* the endpoint frame */
        zmq_msg_recv(&addr, mon, ZMQ_DONTWAIT);
    if (zmq_msg_size(&ev) < 6)
        goto out;
    memcpy(event, zmq_msg_data(&ev), 2);
    memcpy(value, (const uint8_t *)zmq_msg_data(&ev) + 2, 4);
    rc = 0;
out:
    zmq_msg_close(&addr);
    zmq_msg_close(&ev);
    return rc;
}
