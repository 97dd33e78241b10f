/*
 * sampledir — directory operations on the output tree (see sampledir.h).
 */
#include "sampledir.h"
#include "errmsg.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

int
mg_dir_make(const char *path)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) && errno != EEXIST) return -1;
        *s = '/';
    }
    if (mkdir(p, 0777) == 0) return 0;
    if (errno != EEXIST) return -1;
    /* a file of that name is no directory made (the callers' next
     * message would be a wrong reason: EACCES from access(W_OK|X_OK)) */
    struct stat st;
    if (stat(p, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int
mg_dir_remove(const char *path)
{
    /* O_NOFOLLOW: path itself a symbolic link to a directory is removed
     * as the link; opendir() followed it and emptied the directory it
     * named (`genre new --force` over a link to a shipped genre wiped
     * that genre's files) */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return errno == ENOTDIR || errno == ELOOP ? unlink(path) : -1;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= mg_dir_remove(p);
        else
            rc |= unlink(p);
    }
    closedir(d);
    return rmdir(path) | rc;
}

static bool
all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

/* One of our temporary sample directories: ".tmp-", an index (6 digits
 * or more), '-' (then host and pid, or the older pid alone). The sweep a
 * run makes by itself removes no other ".tmp-*": it may be the user's. */
static bool
ours_tmp(const char *name)
{
    if (strncmp(name, ".tmp-", 5)) return false;
    size_t n = 0;
    while (isdigit((unsigned char)name[5 + n])) n++;
    return n >= 6 && name[5 + n] == '-';
}

static bool
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Does directory p hold finished work: a dataset's mark, or a sample
 * (sample.json) in it or one level down (a reject directory or a copy
 * put where a sample's or a shard's name is)? Such a directory is never
 * a partial sample: removing it would lose samples. */
static bool
holds_finished(const char *p)
{
    char q[4400];
    if (mg_sampledir_marked(p)) return true;
    DIR *d = opendir(p);
    if (!d) return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        snprintf(q, sizeof q, "%s/%s/sample.json", p, de->d_name);
        if (!access(q, F_OK)) {
            found = true;
            break;
        }
        snprintf(q, sizeof q, "%s/%s", p, de->d_name);
        DIR *e = opendir(q);
        if (!e) continue;
        struct dirent *f;
        while (!found && (f = readdir(e))) {
            if (f->d_name[0] == '.') continue;
            char r[4700];
            snprintf(r, sizeof r, "%s/%s/sample.json", q, f->d_name);
            found = !access(r, F_OK);
        }
        closedir(e);
    }
    closedir(d);
    return found;
}

static long
walk(const char *dir, int depth, void (*found)(const char *, void *),
     void *arg)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        char p[4096], sj[4200];
        /* every ".tmp-*", as verify reports them all: clean runs in a
         * tree with a run's mark only (cli/cmd_clean.c) */
        bool tmp = !strncmp(name, ".tmp-", 5);
        if (name[0] == '.' && !tmp) continue;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (!is_dir(p)) continue;
        if (!tmp) {
            if (!all_digits(name)) continue;
            snprintf(sj, sizeof sj, "%s/sample.json", p);
            if (access(sj, F_OK) == 0) continue;
            /* A shard name is at most 5 digits, an index at least 6. */
            if (depth == 0 && strlen(name) <= 5) {
                long k = walk(p, 1, found, arg);
                if (k > 0) n += k;
                continue;
            }
            if (holds_finished(p)) continue;
        }
        found(p, arg);
        n++;
    }
    closedir(d);
    return n;
}

long
mg_sampledir_partials(const char *root,
                      void (*found)(const char *path, void *arg), void *arg)
{
    return walk(root, 0, found, arg);
}

/* ---- temporaries of writers that are gone ---- */

void
mg_tmp_host(char *buf, size_t n)
{
    char h[256];
    if (gethostname(h, sizeof h))
        snprintf(h, sizeof h, "localhost");
    h[sizeof h - 1] = '\0';
    size_t i = 0;
    for (; h[i] && i + 1 < n && i < 40; i++) {
        unsigned char ch = (unsigned char)h[i];
        buf[i] = isalnum(ch) || ch == '.' || ch == '_' ? (char)ch : '_';
    }
    if (n)
        buf[i < n ? i : n - 1] = '\0';
}

/* Newest modification time of a directory and what it holds, two levels
 * down (a sample's tmp holds midi/ and stems/): a writer keeps touching
 * it while it renders. */
static long long
newest_mtime(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st))
        return 0;
    long long t = (long long)st.st_mtime;
    if (!S_ISDIR(st.st_mode) || depth <= 0)
        return t;
    DIR *d = opendir(path);
    if (!d)
        return t;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        long long c = newest_mtime(p, depth - 1);
        if (c > t)
            t = c;
    }
    closedir(d);
    return t;
}

bool
mg_pid_gone(long pid)
{
    if (pid <= 0) return false;
    if (kill((pid_t)pid, 0)) return errno == ESRCH;
    /* a zombie is gone too: killed with its parent, it waits for an init
     * that reaps it (a container's often never does) */
    char p[64], b[256];
    snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    FILE *f = fopen(p, "re");
    if (!f) return false;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = '\0';
    const char *rp = strrchr(b, ')'); /* the name may hold spaces */
    return rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X');
}

/* The writer of temporary directory NAME (".tmp-<id>-<host>-<pid>"):
 * 1 running on this host (named host), 0 gone from it, -1 not known
 * (another host's, or the older ".tmp-<id>-<pid>"). */
static int
tmp_writer(const char *name, const char *host)
{
    const char *s = name + 5, *dash = strchr(s, '-');
    const char *last = strrchr(name, '-');
    if (dash && last > dash) {
        /* host between the first and the last dash */
        size_t hl = (size_t)(last - dash - 1);
        char *end;
        long pid = strtol(last + 1, &end, 10);
        if (*end == '\0' && pid > 0 && hl == strlen(host) &&
            !strncmp(dash + 1, host, hl))
            return mg_pid_gone(pid) ? 0 : 1;
    }
    return -1;
}

int
mg_sampledir_tmp_writer(const char *name)
{
    char host[80];
    mg_tmp_host(host, sizeof host);
    return strncmp(name, ".tmp-", 5) ? -1 : tmp_writer(name, host);
}

/* Is the writer of the temporary directory NAME (".tmp-<id>-<host>-<pid>"
 * or the older ".tmp-<id>-<pid>") gone for sure? */
static bool
writer_gone(const char *dir, const char *name, const char *host,
            long long now_s, long max_age_s)
{
    int w = tmp_writer(name, host);
    if (w >= 0)
        return w == 0;
    /* another host, or no host in the name: only its age tells */
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    long long t = newest_mtime(p, 2);
    return t > 0 && now_s - t > max_age_s;
}

typedef struct {
    const char *host;
    long long now_s;
    long max_age_s;
    void (*removed)(const char *, void *);
    void *arg;
} sweep_ctx;

static long
sweep_dir(const char *dir, int depth, const sweep_ctx *x)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (ours_tmp(name)) {
            if (!is_dir(p) || !writer_gone(dir, name, x->host, x->now_s,
                                           x->max_age_s))
                continue;
            if (mg_dir_remove(p) == 0 || errno == ENOENT) {
                if (x->removed)
                    x->removed(p, x->arg);
                n++;
            }
            continue;
        }
        /* shard directories: digits only, at most 5 (an index has 6+) */
        if (depth == 0 && all_digits(name) && strlen(name) <= 5 &&
            (de->d_type == DT_DIR || (de->d_type == DT_UNKNOWN && is_dir(p)))) {
            long k = sweep_dir(p, 1, x);
            if (k > 0)
                n += k;
        }
    }
    closedir(d);
    return n;
}

long
mg_sampledir_sweep(const char *root, long long now_s, long max_age_s,
                   void (*removed)(const char *path, void *arg), void *arg)
{
    char host[80];
    mg_tmp_host(host, sizeof host);
    sweep_ctx x = {host, now_s, max_age_s, removed, arg};
    long n = sweep_dir(root, 0, &x);
    if (n < 0 && errno == ENOENT)
        return 0;
    return n;
}

bool
mg_sampledir_index_name(const char *s, size_t n, uint64_t *v)
{
    return n >= 6 && (n == 6 || s[0] != '0') && mg_sampledir_digits(s, n, v);
}

bool
mg_sampledir_digits(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || x > (UINT64_MAX - d) / 10) return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

int
mg_sampledir_layout(const char *root, int *width, char *eg, size_t egsize,
                    char *err, size_t errlen)
{
    char flat_eg[256] = "", shard_eg[256] = "", p[4400];
    int w = -1;
    bool flat = false;
    struct dirent *de;
    DIR *d = opendir(root);

    *width = -1;
    if (!d)
        return mg_errf(err, errlen, "%s: %s", root, strerror(errno));
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        uint64_t v;
        bool ix = mg_sampledir_index_name(name, len, &v);
        if (!ix && !(len <= 5 && all_digits(name))) continue;
        if (de->d_type != DT_DIR) {
            if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
            snprintf(p, sizeof p, "%s/%s", root, name);
            if (!is_dir(p)) continue;
        }
        if (ix) {
            flat = true;
            if (!flat_eg[0]) snprintf(flat_eg, sizeof flat_eg, "%s", name);
            continue;
        }
        if (w >= 0 && (size_t)w != len) {
            mg_errf(err, errlen,
                    "%s: shard directories of different widths (%s/ and "
                    "%s/)", root, shard_eg, name);
            closedir(d); /* after: name lives in d's buffer */
            return -1;
        }
        w = (int)len;
        if (!shard_eg[0]) snprintf(shard_eg, sizeof shard_eg, "%s", name);
    }
    closedir(d);
    if (flat && w >= 0)
        return mg_errf(err, errlen,
                       "%s: mixed layout: sample directory %s/ beside "
                       "shard directory %s/", root, flat_eg, shard_eg);
    *width = flat ? 0 : w;
    if (eg && egsize) snprintf(eg, egsize, "%s", flat ? flat_eg : shard_eg);
    return 0;
}

int
mg_sampledir_fits(const char *root, int want, const char *opt_root,
                  const char *opt_width, const char *other, int *width,
                  char *msg, size_t msglen)
{
    char eg[256];
    int w;
    if (mg_sampledir_layout(root, &w, eg, sizeof eg, msg, msglen) < 0)
        return -1;
    *width = w;
    if (w < 0 || w == want) return 0;
    if (w)
        mg_errf(msg, msglen,
                "%s%s holds shard directories of width %d (%s/), not %s "
                "%d: give %s %d, or %s", opt_root, root, w, eg, opt_width,
                want, opt_width, w, other);
    else
        mg_errf(msg, msglen,
                "%s%s holds flat sample directories (%s/), not %s %d: give "
                "%s 0, or %s", opt_root, root, eg, opt_width, want,
                opt_width, other);
    return 1;
}

int
mg_sampledir_json_whole(int dfd, const char *rel)
{
    struct stat st;
    /* O_NONBLOCK: a FIFO of that name is no sample, not a hang */
    int fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        /* unreadable (permissions): what a presence check would say,
         * never a reason to make the sample again over it */
        return fstatat(dfd, rel, &st, 0) == 0 && S_ISREG(st.st_mode) ? 1 : 0;
    char end[3];
    int rc = -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        rc = 0;
    } else if (st.st_size >= 3 &&
               pread(fd, end, 3, st.st_size - 3) == 3 &&
               !memcmp(end, "\n}\n", 3)) {
        rc = 1;
    } else {
        /* seeds run to 2^64 - 1, past what jansson takes as integers */
        json_t *j = json_loadfd(fd, JSON_DECODE_INT_AS_REAL, NULL);
        if (json_is_object(j)) rc = 1;
        json_decref(j);
    }
    close(fd);
    return rc;
}

bool
mg_sampledir_marked(const char *root)
{
    char p[4200];
    struct stat st;
    snprintf(p, sizeof p, "%s/manifest.jsonl", root);
    if (!stat(p, &st) && S_ISREG(st.st_mode)) return true;
    snprintf(p, sizeof p, "%s/.musicgen", root);
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}

bool
mg_sampledir_is_dataset(const char *root)
{
    if (mg_sampledir_marked(root)) return true;
    DIR *d = opendir(root);
    if (!d) return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)))
        found = all_digits(de->d_name) || ours_tmp(de->d_name);
    closedir(d);
    return found;
}

int
mg_sampledir_foreign(const char *root, char *what, size_t n)
{
    if (n) what[0] = '\0';
    if (mg_sampledir_is_dataset(root)) return 0;
    DIR *d = opendir(root);
    if (!d) return 0;
    mg_names3 t = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && strcmp(de->d_name, "lost+found"))
            mg_names3_add(&t, de->d_name);
    closedir(d);
    if (!t.n) return 0;
    mg_names3_text(&t, what, n);
    return 1;
}

void
mg_names3_text(const mg_names3 *t, char *out, size_t n)
{
    size_t l = 0;
    if (n) out[0] = '\0';
    for (int i = 0; i < t->n && l < n; i++)
        l += (size_t)snprintf(out + l, n - l, "%s%s",
                              i ? (i == t->n - 1 && !t->more ? " and " : ", ")
                                : "",
                              t->name[i]);
    if (t->more && l < n) snprintf(out + l, n - l, " and %d more", t->more);
}

void
mg_names3_add(mg_names3 *t, const char *name)
{
    int at = t->n < 3 ? t->n++ : 3;
    if (at == 3) {
        t->more++;
        if (strcmp(name, t->name[2]) >= 0) return;
        at = 2; /* the last of the three gives way */
    }
    while (at > 0 && strcmp(t->name[at - 1], name) > 0) {
        memcpy(t->name[at], t->name[at - 1], sizeof t->name[0]);
        at--;
    }
    snprintf(t->name[at], sizeof t->name[0], "%.60s", name);
}
