/*
 * dsread — dataset tree and manifest readers (contract in dsread.h).
 *
 * A directory is read by a "scan": each readdir() pass keeps, in a
 * bounded max-heap, the smallest MG_DSREAD_WINDOW entries above the last
 * one given, then sorts them; when a pass saw more candidates than the
 * window holds, another pass follows. Memory is the window, whatever the
 * directory's size; time is one readdir pass per window.
 *
 * Entry keys are (index, kind, pid): a sample directory "000042" is kind
 * 0, a ".tmp-000042-77" is kind 1 with pid 77, so a half-written copy
 * comes right after the finished sample of the same index.
 */
#include "dsread.h"
#include "rfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "jdoc.h"
#include "sampledir.h"
#include "seed.h"

typedef struct {
    uint64_t idx;
    uint32_t kind; /* 0 index directory (or shard), 1 ".tmp-<index>-<pid>" */
    uint32_t pid;
} ent;

enum { SCAN_SHARDS, SCAN_SAMPLES };

typedef struct {
    char dir[4096];
    int mode;
    size_t minlen, maxlen; /* accepted name lengths (index digits) */
    ent *buf;
    size_t n, pos;
    bool have_last, final, want_odd, filled;
    size_t window;
    ent last;
    size_t maxlen_seen; /* longest index name seen, any tier */
    DIR *odd;           /* last phase: ".tmp-*" names carrying no index */
    char oddname[256];
} scan;

struct mg_dsread {
    char *root;
    unsigned flags;
    int width;
    size_t tier, maxlen_seen;
    scan shards, samples;
    bool in_shard, done;
    char shard[8];
    char rel[512], path[4700];
    /* The directory of the current sample's directory (the root, or its
     * shard), open: sample.json is opened relative to it, so the kernel
     * walks two names per sample, not the whole path. -1: none. */
    int dfd;
    char dfd_shard[8];
    char *raw;
    size_t raw_len, raw_cap;
    bool raw_ok;
    json_t *json;
    bool json_tried;
    mg_jdoc doc;
    char error[300];
};

static int
ent_cmp(const ent *a, const ent *b)
{
    if (a->idx != b->idx) return a->idx < b->idx ? -1 : 1;
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    if (a->pid != b->pid) return a->pid < b->pid ? -1 : 1;
    return 0;
}

static int
ent_qcmp(const void *a, const void *b)
{
    return ent_cmp(a, b);
}

/* ".tmp-<index>-<pid>" → index, its name length, pid. */
static bool
tmp_name(const char *name, uint64_t *idx, size_t *len, uint32_t *pid)
{
    if (strncmp(name, ".tmp-", 5)) return false;
    const char *s = name + 5, *dash = strchr(s, '-');
    if (!dash || !mg_sampledir_index_name(s, (size_t)(dash - s), idx)) return false;
    uint64_t p;
    if (!mg_sampledir_digits(dash + 1, strlen(dash + 1), &p) || p > UINT32_MAX)
        return false;
    *len = (size_t)(dash - s);
    *pid = (uint32_t)p;
    return true;
}

static bool
is_dir_entry(const char *dir, const struct dirent *de)
{
    if (de->d_type == DT_DIR) return true;
    if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) return false;
    char p[4400];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void
heap_sift_down(ent *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ent_cmp(&h[l], &h[m]) > 0) m = l;
        if (r < n && ent_cmp(&h[r], &h[m]) > 0) m = r;
        if (m == i) return;
        ent t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void
heap_push(ent *h, size_t *n, ent e)
{
    size_t i = (*n)++;
    h[i] = e;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (ent_cmp(&h[p], &h[i]) >= 0) break;
        ent t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

/* Classify one directory entry for a scan; true and *e when it counts. */
static bool
classify(scan *s, const struct dirent *de, ent *e)
{
    const char *name = de->d_name;
    size_t len = strlen(name);
    if (s->mode == SCAN_SHARDS) {
        if (len != s->minlen || !mg_sampledir_digits(name, len, &e->idx)) return false;
        e->kind = 0;
        e->pid = 0;
        return is_dir_entry(s->dir, de);
    }
    size_t ilen;
    if (name[0] == '.') {
        if (!tmp_name(name, &e->idx, &ilen, &e->pid)) return false;
        e->kind = 1;
    } else {
        if (!mg_sampledir_index_name(name, len, &e->idx)) return false;
        ilen = len;
        e->kind = 0;
        e->pid = 0;
    }
    if (ilen > s->maxlen_seen) s->maxlen_seen = ilen;
    if (ilen < s->minlen || ilen > s->maxlen) return false;
    return is_dir_entry(s->dir, de);
}

/* One readdir pass: the next window of entries, sorted. */
static int
scan_fill(scan *s, char *err, size_t errlen)
{
    DIR *d = opendir(s->dir);
    if (!d)
        return mg_errf(err, errlen, "%s: %s", s->dir, strerror(errno));
    size_t n = 0, seen = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        ent e;
        if (!classify(s, de, &e)) continue;
        if (s->have_last && ent_cmp(&e, &s->last) <= 0) continue;
        seen++;
        if (n < s->window) {
            heap_push(s->buf, &n, e);
        } else if (ent_cmp(&e, &s->buf[0]) < 0) {
            s->buf[0] = e;
            heap_sift_down(s->buf, n, 0);
        }
    }
    int en = errno;
    closedir(d);
    if (en)
        return mg_errf(err, errlen, "%s: %s", s->dir, strerror(en));
    qsort(s->buf, n, sizeof *s->buf, ent_qcmp);
    s->n = n;
    s->pos = 0;
    s->final = seen <= s->window;
    return 0;
}

static int
scan_open(scan *s, const char *dir, int mode, size_t minlen, size_t maxlen,
          bool want_odd, char *err, size_t errlen)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    s->mode = mode;
    s->minlen = minlen;
    s->maxlen = maxlen;
    s->n = s->pos = 0;
    s->have_last = false;
    s->final = false;
    s->filled = false;
    s->want_odd = want_odd;
    s->maxlen_seen = 0;
    s->odd = NULL;
    if (!s->buf) {
        s->buf = malloc(s->window * sizeof *s->buf);
        if (!s->buf) return mg_errf(err, errlen, "out of memory");
    }
    return 0; /* the first scan_next() reads the first window */
}

static void
scan_close(scan *s)
{
    if (s->odd) closedir(s->odd);
    s->odd = NULL;
}

/* 1 and *e (or *odd set to a name for a ".tmp-*" without an index), 0 at
 * the end, -1 on error. */
static int
scan_next(scan *s, ent *e, const char **odd, char *err, size_t errlen)
{
    *odd = NULL;
    while (s->pos == s->n) {
        if (!s->filled || !s->final) {
            s->filled = true;
            if (scan_fill(s, err, errlen)) return -1;
            continue;
        }
        if (!s->want_odd) return 0;
        if (!s->odd) {
            s->odd = opendir(s->dir);
            if (!s->odd)
                return mg_errf(err, errlen, "%s: %s", s->dir,
                               strerror(errno));
        }
        struct dirent *de;
        while ((de = readdir(s->odd))) {
            uint64_t i;
            size_t l;
            uint32_t p;
            if (strncmp(de->d_name, ".tmp-", 5) ||
                tmp_name(de->d_name, &i, &l, &p) ||
                !is_dir_entry(s->dir, de))
                continue;
            snprintf(s->oddname, sizeof s->oddname, "%s", de->d_name);
            *odd = s->oddname;
            return 1;
        }
        s->want_odd = false;
        return 0;
    }
    *e = s->buf[s->pos++];
    s->last = *e;
    s->have_last = true;
    return 1;
}

/* Detect the layout from the root's entries (an empty root is flat). */
static int
detect(mg_dsread *r, char *err, size_t errlen)
{
    int width;
    if (mg_sampledir_layout(r->root, &width, NULL, 0, err, errlen))
        return -1;
    r->width = width < 0 ? 0 : width;
    return 0;
}

int
mg_dsread_root_check(const char *root, struct stat *st, char *err,
                     size_t errlen)
{
    struct stat own;
    if (!st)
        st = &own;
    /* "musicgen verify $DS" with DS unset said ": No such file ..." */
    if (!*root)
        return mg_errf(err, errlen, "the dataset ROOT is an empty name");
    if (stat(root, st))
        return mg_errf(err, errlen, "%s: %s", root, strerror(errno));
    if (!S_ISDIR(st->st_mode))
        return mg_errf(err, errlen, "%s: not a directory", root);
    return 0;
}

mg_dsread *
mg_dsread_open(const char *root, unsigned flags, char *err, size_t errlen)
{
    if (mg_dsread_root_check(root, NULL, err, errlen))
        return NULL;
    mg_dsread *r = calloc(1, sizeof *r);
    if (!r || !(r->root = strdup(root))) {
        free(r);
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    r->dfd = -1;
    size_t rl = strlen(r->root);
    while (rl > 1 && r->root[rl - 1] == '/') r->root[--rl] = 0;
    r->flags = flags;
    r->shards.window = r->samples.window = MG_DSREAD_WINDOW;
    if (strlen(r->root) > 3000) {
        mg_errf(err, errlen, "%s: path too long", root);
        mg_dsread_destroy(&r);
        return NULL;
    }
    if (detect(r, err, errlen)) {
        mg_dsread_destroy(&r);
        return NULL;
    }
    bool partials = flags & MG_DSREAD_PARTIALS;
    int rc = r->width == 0
                 ? scan_open(&r->samples, r->root, SCAN_SAMPLES, 6, 20,
                             partials, err, errlen)
                 : scan_open(&r->shards, r->root, SCAN_SHARDS,
                             (size_t)r->width, (size_t)r->width, false, err,
                             errlen);
    if (rc) {
        mg_dsread_destroy(&r);
        return NULL;
    }
    r->tier = 6;
    return r;
}

void
mg_dsread_destroy(mg_dsread **rp)
{
    mg_dsread *r = *rp;
    if (!r) return;
    scan_close(&r->shards);
    scan_close(&r->samples);
    if (r->dfd >= 0) close(r->dfd);
    free(r->shards.buf);
    free(r->samples.buf);
    json_decref(r->json);
    mg_jdoc_free(&r->doc);
    free(r->raw);
    free(r->root);
    free(r);
    *rp = NULL;
}

int
mg_dsread_set_window(mg_dsread *r, size_t n)
{
    if (n < 1 || n > MG_DSREAD_WINDOW || r->samples.filled ||
        r->shards.filled)
        return -1;
    r->shards.window = r->samples.window = n;
    return 0;
}

int
mg_dsread_shard_width(const mg_dsread *r)
{
    return r->width;
}

const char *
mg_dsread_root(const mg_dsread *r)
{
    return r->root;
}

/* Open <path>/sample.json read-only, relative to the sample's parent
 * directory (held open from one sample to the next); an fd, or -1 with
 * errno set. The parent failing to open is that of the path. */
static int
sample_open(mg_dsread *r)
{
    if (r->dfd < 0 || strcmp(r->dfd_shard, r->shard)) {
        if (r->dfd >= 0) close(r->dfd);
        char d[4200];
        snprintf(d, sizeof d, "%s%s%s", r->root, r->shard[0] ? "/" : "",
                 r->shard);
        r->dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (r->dfd < 0) return -1;
        snprintf(r->dfd_shard, sizeof r->dfd_shard, "%s", r->shard);
    }
    char p[600];
    const char *name = r->rel + (r->shard[0] ? strlen(r->shard) + 1 : 0);
    snprintf(p, sizeof p, "%s/sample.json", name);
    /* O_NONBLOCK: a FIFO there (a damaged or hostile tree) is refused by
     * the fstat that follows instead of blocking the pass; a regular
     * file's reads ignore it */
    return openat(r->dfd, p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

/* Read <path>/sample.json into r->raw: 1 read, 0 absent, -1 error. */
static int
read_sample_json(mg_dsread *r, bool want_bytes)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/sample.json", r->path);
    if (!want_bytes) {
        if (access(p, F_OK) == 0) return 1;
        return errno == ENOENT || errno == ENOTDIR ? 0 : 1;
    }
    int fd = sample_open(r);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;
        snprintf(r->error, sizeof r->error, "sample.json: %s",
                 strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(r->error, sizeof r->error, "sample.json: not a file");
        return -1;
    }
    size_t want = (size_t)st.st_size + 1;
    if (want > r->raw_cap) {
        size_t cap = r->raw_cap ? r->raw_cap : 65536;
        while (cap < want) cap *= 2;
        char *q = realloc(r->raw, cap);
        if (!q) {
            close(fd);
            snprintf(r->error, sizeof r->error, "sample.json: out of memory");
            return -1;
        }
        r->raw = q;
        r->raw_cap = cap;
    }
    /* Read to EOF (the size is a hint; the file may be shorter). */
    size_t len = 0;
    for (;;) {
        if (len + 1 >= r->raw_cap) {
            char *q = realloc(r->raw, r->raw_cap * 2);
            if (!q) break;
            r->raw = q;
            r->raw_cap *= 2;
        }
        size_t ask = r->raw_cap - 1 - len;
        ssize_t k = read(fd, r->raw + len, ask);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            snprintf(r->error, sizeof r->error, "sample.json: %s",
                     strerror(errno));
            close(fd);
            return -1;
        }
        if (k == 0) break;
        len += (size_t)k;
        /* A short read of a regular file at or past its size is its end:
         * no second read() to be told so (one system call per file). */
        if ((size_t)k < ask && len >= (size_t)st.st_size) break;
    }
    close(fd);
    r->raw[len] = 0;
    r->raw_len = len;
    r->raw_ok = true;
    return 1;
}

void
mg_dsread_swap_raw(mg_dsread *r, char **buf, size_t *cap)
{
    char *b = r->raw;
    size_t c = r->raw_cap;
    r->raw = *buf;
    r->raw_cap = *buf ? *cap : 0;
    *buf = b;
    *cap = c;
    r->raw_ok = false;
    r->raw_len = 0;
    r->json_tried = true; /* its bytes are gone: no json for this one */
}

json_t *
mg_dsread_json(mg_dsread *r)
{
    if (r->json_tried) return r->json;
    r->json_tried = true;
    if (!r->raw_ok) {
        if (r->error[0]) return NULL;
        if (read_sample_json(r, true) != 1) {
            if (!r->error[0])
                snprintf(r->error, sizeof r->error, "no sample.json");
            return NULL;
        }
    }
    char msg[200];
    if (mg_jdoc_parse(&r->doc, r->raw, r->raw_len, msg, sizeof msg)) {
        snprintf(r->error, sizeof r->error, "sample.json: %s", msg);
        return NULL;
    }
    if (r->doc.t[0].type != MG_JT_OBJ) {
        snprintf(r->error, sizeof r->error, "sample.json: not an object");
        return NULL;
    }
    r->json = mg_jdoc_to_json(&r->doc, 0);
    if (!r->json)
        snprintf(r->error, sizeof r->error,
                 "sample.json: invalid UTF-8 in a string");
    return r->json;
}

/* Next entry of the tree: 1 with rel/index/kind set, 0 end, -1 error. */
static int
next_entry(mg_dsread *r, ent *e, const char **odd, char *err, size_t errlen)
{
    bool partials = r->flags & MG_DSREAD_PARTIALS;
    if (r->width == 0) {
        int rc = scan_next(&r->samples, e, odd, err, errlen);
        if (rc == 1) snprintf(r->shard, sizeof r->shard, "%s", "");
        return rc;
    }
    for (;;) {
        if (r->in_shard) {
            int rc = scan_next(&r->samples, e, odd, err, errlen);
            if (rc) return rc;
            if (r->samples.maxlen_seen > r->maxlen_seen)
                r->maxlen_seen = r->samples.maxlen_seen;
            scan_close(&r->samples);
            r->in_shard = false;
        }
        ent sh;
        const char *none;
        int rc = scan_next(&r->shards, &sh, &none, err, errlen);
        if (rc < 0) return -1;
        if (rc == 0) {
            /* Longer indices (7+ digits) in a further tier. */
            if (r->maxlen_seen <= r->tier || r->tier >= 20) return 0;
            r->tier++;
            scan_close(&r->shards);
            if (scan_open(&r->shards, r->root, SCAN_SHARDS,
                          (size_t)r->width, (size_t)r->width, false, err,
                          errlen))
                return -1;
            continue;
        }
        snprintf(r->shard, sizeof r->shard, "%0*" PRIu64, r->width, sh.idx);
        char dir[4200];
        snprintf(dir, sizeof dir, "%s/%s", r->root, r->shard);
        if (scan_open(&r->samples, dir, SCAN_SAMPLES, r->tier, r->tier,
                      partials && r->tier == 6, err, errlen))
            return -1;
        r->in_shard = true;
    }
}

int
mg_dsread_next(mg_dsread *r, mg_dsample *out, char *err, size_t errlen)
{
    for (;;) {
        json_decref(r->json);
        r->json = NULL;
        r->json_tried = false;
        r->raw_ok = false;
        r->raw_len = 0;
        r->error[0] = 0;
        ent e;
        const char *odd;
        int rc = next_entry(r, &e, &odd, err, errlen);
        if (rc <= 0) return rc;
        const char *sep = r->width ? "/" : "";
        memset(out, 0, sizeof *out);
        if (odd) {
            snprintf(r->rel, sizeof r->rel, "%s%s%s", r->shard, sep, odd);
            out->index = MG_DSREAD_NOINDEX;
            out->tmp = true;
        } else if (e.kind == 1) {
            snprintf(r->rel, sizeof r->rel, "%s%s.tmp-%06" PRIu64 "-%" PRIu32,
                     r->shard, sep, e.idx, e.pid);
            out->index = e.idx;
            out->tmp = true;
        } else {
            snprintf(r->rel, sizeof r->rel, "%s%s%06" PRIu64, r->shard, sep,
                     e.idx);
            out->index = e.idx;
        }
        snprintf(r->path, sizeof r->path, "%s/%s", r->root, r->rel);
        out->rel = r->rel;
        out->path = r->path;
        if (!out->tmp) {
            bool bytes = r->flags & (MG_DSREAD_RAW | MG_DSREAD_PARSE);
            int have = read_sample_json(r, bytes);
            out->complete = have != 0;
            if (have > 0 && bytes) {
                out->raw = r->raw;
                out->raw_len = r->raw_len;
            }
            if (have > 0 && (r->flags & MG_DSREAD_PARSE))
                out->json = mg_dsread_json(r);
        }
        if (!out->complete && !(r->flags & MG_DSREAD_PARTIALS)) continue;
        if (r->width && !out->tmp && out->complete) {
            char id[32];
            snprintf(id, sizeof id, "%06" PRIu64, e.idx);
            if (strncmp(id, r->shard, (size_t)r->width)) {
                out->misplaced = true;
                snprintf(r->error, sizeof r->error, "in shard %s, but index "
                         "%" PRIu64 " belongs in shard %.*s (moved by hand?): "
                         "not read as a sample", r->shard, e.idx, r->width,
                         id);
            }
        }
        out->error = r->error[0] ? r->error : NULL;
        return 1;
    }
}

/* ---- manifest ---- */

struct mg_dsmanifest {
    FILE *f;
    char *line;
    size_t cap;
    long lineno;
    json_t *row;
    mg_jdoc doc;
};

mg_dsmanifest *
mg_dsmanifest_open(const char *root, char *err, size_t errlen)
{
    char p[4200];
    struct stat st;
    if (stat(root, &st) == 0 && S_ISREG(st.st_mode))
        snprintf(p, sizeof p, "%s", root);
    else
        snprintf(p, sizeof p, "%s/manifest.jsonl", root);
    FILE *f = fopen(p, "r");
    if (!f) {
        int en = errno;
        mg_errf(err, errlen, "%s: %s", p, strerror(en));
        errno = en;
        return NULL;
    }
    mg_dsmanifest *m = calloc(1, sizeof *m);
    if (!m) {
        fclose(f);
        mg_errf(err, errlen, "out of memory");
        errno = ENOMEM;
        return NULL;
    }
    m->f = f;
    return m;
}

void
mg_dsmanifest_destroy(mg_dsmanifest **mp)
{
    mg_dsmanifest *m = *mp;
    if (!m) return;
    fclose(m->f);
    free(m->line);
    json_decref(m->row);
    mg_jdoc_free(&m->doc);
    free(m);
    *mp = NULL;
}

int
mg_dsmanifest_next(mg_dsmanifest *m, json_t **row, long *lineno, char *err,
                   size_t errlen)
{
    json_decref(m->row);
    m->row = NULL;
    ssize_t n;
    while ((n = getline(&m->line, &m->cap, m->f)) > 0) {
        m->lineno++;
        while (n > 0 && (m->line[n - 1] == '\n' || m->line[n - 1] == '\r'))
            m->line[--n] = 0;
        /* a byte-order mark an editor put in front (UTF-8's): not part
         * of the first row, which would be dropped by a rewrite */
        size_t bom = m->lineno == 1 ? mg_rfile_bom(m->line, (size_t)n) : 0;
        if (bom) {
            memmove(m->line, m->line + bom, (size_t)n - bom + 1);
            n -= (ssize_t)bom;
        }
        size_t i = 0;
        while (i < (size_t)n && (m->line[i] == ' ' || m->line[i] == '\t'))
            i++;
        if (i == (size_t)n) continue;
        *lineno = m->lineno;
        char msg[200];
        if (mg_jdoc_parse(&m->doc, m->line, (size_t)n, msg, sizeof msg))
            return mg_errf(err, errlen, "manifest.jsonl:%ld: %s",
                           m->lineno, msg + (strncmp(msg, "line 1: ", 8)
                                                 ? 0 : 8));
        if (m->doc.t[0].type != MG_JT_OBJ)
            return mg_errf(err, errlen, "manifest.jsonl:%ld: not an object",
                           m->lineno);
        m->row = mg_jdoc_to_json(&m->doc, 0);
        if (!m->row)
            return mg_errf(err, errlen,
                           "manifest.jsonl:%ld: invalid UTF-8", m->lineno);
        *row = m->row;
        return 1;
    }
    if (ferror(m->f))
        return mg_errf(err, errlen, "manifest.jsonl: %s", strerror(errno));
    return 0;
}

/* The finished samples on disk (whatever the manifest says: it may be
 * gone, or an earlier run's, the run that made them killed before its
 * end) must lie in the range too: a run without the tree's ledger left
 * those outside it in no manifest, orphans to verify. */
int
mg_dsread_span(const char *root, uint64_t *lo, uint64_t *hi)
{
    char e2[300];
    mg_dsread *r = mg_dsread_open(root, 0, e2, sizeof e2);
    if (!r)
        return 0;   /* none yet (or unreadable: the caller says so) */
    mg_dsample ds;
    *lo = UINT64_MAX;
    *hi = 0;
    while (mg_dsread_next(r, &ds, e2, sizeof e2) == 1)
        if (ds.complete && !ds.misplaced && ds.index != MG_DSREAD_NOINDEX) {
            if (ds.index < *lo)
                *lo = ds.index;
            *hi = ds.index;   /* index order */
        }
    mg_dsread_destroy(&r);
    return *lo != UINT64_MAX;
}

/* The finished samples of root's tree at index from or past it: how
 * many, the first and the last. */
static uint64_t
tree_past(const char *root, uint64_t from, uint64_t *first, uint64_t *last)
{
    char e2[300];
    uint64_t n = 0;
    mg_dsread *r = mg_dsread_open(root, 0, e2, sizeof e2);
    mg_dsample ds;
    while (r && mg_dsread_next(r, &ds, e2, sizeof e2) == 1)
        if (ds.complete && !ds.misplaced && ds.index != MG_DSREAD_NOINDEX &&
            ds.index >= from) {
            if (!n++)
                *first = ds.index;
            *last = ds.index;   /* index order */
        }
    mg_dsread_destroy(&r);
    return n;
}

/* The refusal of a run that ends before n finished samples (the first
 * and last given): the words of a ledger's run that would shrink over
 * them (coordinator/coord_range.c, shrink), since without the ledger the
 * rule is the same. */
static int
past_end(const char *root, uint64_t start, uint64_t count, uint64_t n,
         uint64_t first, uint64_t last, const char *where, char *err,
         size_t errlen)
{
    return mg_errf(err, errlen, "--out %s holds %" PRIu64 " finished "
                   "sample%s at or past index %" PRIu64 " (the first: index %"
                   PRIu64 "%s), past this run's samples %" PRIu64 "..%"
                   PRIu64 ": a run shrinks only by samples not made yet; "
                   "give --count %" PRIu64 " or more with their run's seed "
                   "and options, or another --out", root, n,
                   n == 1 ? "" : "s", start + count, first, where, start,
                   start + count - 1, last + 1 - start);
}

static int
tree_range_check(const char *root, uint64_t start, uint64_t count,
                 char *err, size_t errlen)
{
    uint64_t lo, hi;
    if (!mg_dsread_span(root, &lo, &hi) ||
        (lo >= start && hi - start < count))
        return 0;
    uint64_t a = lo < start ? lo : start;
    uint64_t b = hi + 1 > start + count ? hi + 1 : start + count;
    uint64_t first = 0, last = 0, n;
    if (lo >= start && (n = tree_past(root, start + count, &first, &last)))
        return past_end(root, start, count, n, first, last, "", err,
                        errlen);
    return mg_errf(err, errlen, "--out %s holds another run: its "
                   "finished samples %" PRIu64 "..%" PRIu64 " are not all "
                   "within this run's samples %" PRIu64 "..%" PRIu64 " (a "
                   "new run there would leave them out of its manifest); "
                   "give --start %" PRIu64 " --count %" PRIu64 " with their "
                   "run's seed and options, or another --out", root, lo, hi,
                   start, start + count - 1, a, b - a);
}

int
mg_dsmanifest_run_check(const char *root, int64_t global_seed,
                        uint64_t start, uint64_t count, char *rel,
                        size_t rellen, uint64_t *index, char *err,
                        size_t errlen)
{
    char e2[300];
    if (rel && rellen)
        rel[0] = '\0';
    mg_dsmanifest *m = mg_dsmanifest_open(root, e2, sizeof e2);
    if (!m)   /* none (or unreadable: verify says so, not a run) */
        return tree_range_check(root, start, count, err, errlen);
    json_t *row;
    long line, first_line = 0;
    int got, rc = 0;
    bool seed_seen = false;
    /* "ok" rows past the run's end: a run shrinks only by samples not
     * made yet (failed rows there leave the manifest, as a ledger's run
     * drops them) */
    uint64_t npast = 0, first = 0, last = 0;
    while (rc == 0 && (got = mg_dsmanifest_next(m, &row, &line, e2,
                                                 sizeof e2)) != 0) {
        json_t *ix = got > 0 ? json_object_get(row, "sample_index") : NULL;
        if (!json_is_integer(ix) || json_integer_value(ix) < 0)
            continue;
        uint64_t idx = (uint64_t)json_integer_value(ix);
        const char *st = json_string_value(json_object_get(row, "status"));
        if (idx >= start && idx - start >= count) {
            if (!st || strcmp(st, "ok"))
                continue;
            if (!npast++ || idx < first) {
                first = idx;
                first_line = line;
            }
            if (idx > last)
                last = idx;
            continue;
        }
        if (idx < start) {
            rc = mg_errf(err, errlen, "--out %s holds another run: its "
                         "manifest.jsonl:%ld lists sample %" PRIu64 ", "
                         "outside this run's samples %" PRIu64 "..%" PRIu64
                         " (a new run there would drop it from the "
                         "manifest); give --start and --count that hold "
                         "the tree's run, or another --out", root, line,
                         idx, start, start + count - 1);
            break;
        }
        json_t *sd = json_object_get(row, "seed");
        if (seed_seen || !st || strcmp(st, "ok") || !sd)
            continue;
        seed_seen = true;
        uint64_t have = 0;
        mg_jdoc_json_u64(sd, &have);
        uint64_t want = mg_sample_seed(global_seed, idx);
        const char *p = json_string_value(json_object_get(row, "path"));
        if (rel && rellen && p)
            snprintf(rel, rellen, "%s", p);
        if (index)
            *index = idx;
        if (have != want)
            rc = mg_errf(err, errlen, "--out %s holds another run: its "
                         "manifest.jsonl:%ld gives index %" PRIu64 " the "
                         "seed %" PRIu64 ", not %" PRIu64 " (--seed %"
                         PRId64 "'s); give that run's --seed, or another "
                         "--out", root, line, idx, have, want, global_seed);
    }
    mg_dsmanifest_destroy(&m);
    if (rc == 0 && npast) {
        char where[64];
        snprintf(where, sizeof where, ", manifest.jsonl:%ld", first_line);
        rc = past_end(root, start, count, npast, first, last, where, err,
                      errlen);
    }
    return rc ? rc : tree_range_check(root, start, count, err, errlen);
}

int
mg_dsrow_index(const char *line, uint64_t *index)
{
    const char *k = strstr(line, "\"sample_index\":");
    if (!k)
        return 0;
    char *end;
    errno = 0;
    unsigned long long i = strtoull(k + 15, &end, 10);
    if (errno || end == k + 15)
        return 0;
    *index = i;
    return 1;
}
