/*
 * dsfile — atomic replacement of dataset files (see dsfile.h).
 */
#include "dsfile.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "jsonout.h"
#include "outpath.h"
#include "sampledir.h"
#include "wfile.h"

struct mg_dsout {
    FILE *f;
    char path[4096], tmp[4400];
    int failed;
    bool stream; /* "-", a device, a FIFO: written into, nothing renamed */
};

/* ".<name><suffix>" beside path: the hidden names of its temporaries */
static void
hidden_name(const char *path, const char *suffix, char *out, size_t n)
{
    char dir[4096];
    const char *base = mg_path_split(path, dir, sizeof dir);
    if (base == path)
        snprintf(out, n, ".%s%s", base, suffix);
    else
        snprintf(out, n, "%.*s.%s%s", (int)(base - path), path, base, suffix);
}

static int
sync_parent(const char *path)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", path);
    return mg_wfile_sync_dir(dirname(d));
}

int
mg_dsfile_replace(const char *path, const char *text, size_t len, char *err,
                  size_t errlen)
{
    char tmp[4200];
    /* ".<name>.tmp" (its callers hold the run lock: one writer at a time) */
    hidden_name(path, ".tmp", tmp, sizeof tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0)
        return mg_errf(err, errlen, "cannot write %s: %s", tmp,
                       strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int en = errno;
            close(fd);
            unlink(tmp);
            return mg_errf(err, errlen, "cannot write %s: %s", tmp,
                           strerror(en));
        }
        off += (size_t)w;
    }
    if (fsync(fd) || close(fd)) {
        int en = errno;
        unlink(tmp);
        return mg_errf(err, errlen, "cannot write %s: %s", tmp, strerror(en));
    }
    if (rename(tmp, path)) {
        int en = errno;
        unlink(tmp);
        return mg_errf(err, errlen, "cannot replace %s: %s", path,
                       strerror(en));
    }
    sync_parent(path);
    return 0;
}

void
mg_dsfile_sweep(const char *out, const char *host)
{
    char dir[PATH_MAX];
    const char *base = mg_path_split(out, dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) return;
    size_t bl = strlen(base), hl = strlen(host);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (strncmp(n, base, bl) || (strncmp(n + bl, ".tmp-", 5) &&
                                     strncmp(n + bl, ".old-", 5)))
            continue;
        const char *h = n + bl + 5;
        if (strncmp(h, host, hl) || h[hl] != '-') continue;
        char *end;
        long pid = strtol(h + hl + 1, &end, 10);
        if (*end || pid <= 0 || pid == (long)getpid() ||
            !mg_pid_gone(pid))
            continue;
        char p[PATH_MAX + 300];
        snprintf(p, sizeof p, "%s/%s", dir, n);
        struct stat st;
        if (!lstat(p, &st) && S_ISDIR(st.st_mode)) mg_dir_remove(p);
        else unlink(p);
    }
    closedir(d);
}

mg_dsout *
mg_dsout_open(const char *path, char *err, size_t errlen)
{
    mg_dsout *o = calloc(1, sizeof *o);
    if (!o) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    /* a device or a FIFO (/dev/stdout, a named pipe) is written into as
     * standard output is, never renamed over (that would replace the
     * node itself); a symbolic link, beside where it leads */
    char target[sizeof o->path];
    bool in_place =
        mg_outpath_target(path, target, sizeof target) == MG_OUT_IN_PLACE;
    snprintf(o->path, sizeof o->path, "%s", target);
    path = o->path;
    if (in_place) {
        /* a stream of our own (descriptor 1, or the node), closed at
         * commit */
        o->stream = true;
        bool out1 = !strcmp(path, "-");
        snprintf(o->tmp, sizeof o->tmp, "%s", out1 ? "standard output" : path);
        int fd = out1 ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
                      : open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
            mg_errf(err, errlen, "%s: %s", o->tmp, strerror(errno));
            if (fd >= 0) close(fd);
            free(o);
            return NULL;
        }
        return o;
    }
    /* ".<name>.tmp-<host>-<pid>", made here and nowhere else (O_EXCL):
     * two commands writing one output at once (two index runs) each
     * write their own and the last rename wins, whole; what a killed
     * one left on this host goes first */
    char host[64], stem[4200 - 100];
    mg_tmp_host(host, sizeof host);
    hidden_name(path, "", stem, sizeof stem);
    mg_dsfile_sweep(stem, host);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp-%s-%ld", stem, host,
             (long)getpid());
    unlink(o->tmp); /* ours, from an earlier output of this process */
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        mg_errf(err, errlen, "cannot write %s: %s", o->tmp, strerror(errno));
        if (fd >= 0) close(fd);
        free(o);
        return NULL;
    }
    return o;
}

int
mg_dsout_row(mg_dsout *o, const json_t *row)
{
    char *t = mg_json_dump(row, 0);
    if (!t) {
        o->failed = ENOMEM;
        return -1;
    }
    /* mg_json_dump ends in a newline: one row, one line. */
    if (fputs(t, o->f) < 0) o->failed = errno ? errno : EIO;
    free(t);
    return o->failed ? -1 : 0;
}

int
mg_dsout_write(mg_dsout *o, const char *text, size_t len)
{
    if (o->failed) return -1;
    if (len && fwrite(text, 1, len, o->f) != len) o->failed = errno ? errno
                                                                    : EIO;
    return o->failed ? -1 : 0;
}

int
mg_dsout_commit(mg_dsout **op, char *err, size_t errlen)
{
    mg_dsout *o = *op;
    int rc = 0;
    *op = NULL;
    if (fflush(o->f) || (!o->stream && fsync(fileno(o->f))))
        o->failed = errno;
    if (fclose(o->f) && !o->failed) o->failed = errno;
    if (o->stream) {
        if (o->failed)
            rc = mg_errf(err, errlen, "cannot write %s: %s", o->tmp,
                         strerror(o->failed));
    } else if (o->failed) {
        rc = mg_errf(err, errlen, "cannot write %s: %s", o->tmp,
                     strerror(o->failed));
        unlink(o->tmp);
    } else if (rename(o->tmp, o->path)) {
        rc = mg_errf(err, errlen, "cannot replace %s: %s", o->path,
                     strerror(errno));
        unlink(o->tmp);
    } else {
        sync_parent(o->path);
    }
    free(o);
    return rc;
}

void
mg_dsout_abort(mg_dsout **op)
{
    mg_dsout *o = op ? *op : NULL;
    if (!o) return;
    fclose(o->f);
    if (!o->stream) unlink(o->tmp);
    free(o);
    *op = NULL;
}
