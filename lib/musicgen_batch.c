/*
 * musicgen_batch — musicgen_generate_batch and musicgen_write_licenses
 * (musicgen.h): threads with an engine each over a shared index counter,
 * under the tree's run lock, then one manifest merge (the rows already
 * there for other indices kept, one row per index of the batch, sorted,
 * through a temporary file and a rename) and LICENSES.md.
 *
 * Invariants: the callback is never called concurrently (under the
 * batch's lock); a skipped index keeps its old row; a fault stops the
 * batch and names the sample.
 */
#define MUSICGEN_BUILDING 1
#include "musicgen.h"
#include "musicgen_handles.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "licenses.h"
#include "runlock.h"
#include "sampledir.h"

typedef struct {
    const musicgen_config *c;
    pthread_mutex_t lock;
    uint64_t next;          /* offset of the next index to take */
    uint64_t count;
    bool stop;
    int fault;              /* the first fault's message is in err */
    char err[600];
    mg_row *rows;           /* by offset */
    bool *done;
    musicgen_batch_result r;
    musicgen_batch_fn fn;
    void *user;
} batch;

static void *
batch_worker(void *arg)
{
    batch *b = arg;
    char msg[512] = "";
    musicgen_engine *e = musicgen_engine_new(b->c, msg, sizeof msg);

    if (!e) {
        pthread_mutex_lock(&b->lock);
        if (!b->fault) {
            b->fault = 1;
            snprintf(b->err, sizeof b->err, "%s", msg);
        }
        b->stop = true;
        pthread_mutex_unlock(&b->lock);
        return NULL;
    }
    for (;;) {
        uint64_t k;
        musicgen_sample *s = NULL;
        int rc;

        pthread_mutex_lock(&b->lock);
        if (b->stop || b->next >= b->count) {
            pthread_mutex_unlock(&b->lock);
            break;
        }
        k = b->next++;
        pthread_mutex_unlock(&b->lock);
        rc = musicgen_generate_to_dir(e, b->c->cfg.global_seed,
                                      (uint64_t)b->c->cfg.start + k, NULL,
                                      &s);
        pthread_mutex_lock(&b->lock);
        if (rc < 0) {
            if (!b->fault) {
                b->fault = 1;
                snprintf(b->err, sizeof b->err, "sample %" PRIu64 ": %s",
                         (uint64_t)b->c->cfg.start + k, e->err);
            }
            b->stop = true;
        } else {
            b->rows[k] = s->row;
            b->done[k] = true;
            if (s->row.skipped)
                b->r.skipped++;
            else if (s->row.status == MG_ROW_OK)
                b->r.succeeded++;
            else
                b->r.failed++;
            if (b->fn && b->fn(s, b->user))
                b->stop = true;
        }
        pthread_mutex_unlock(&b->lock);
        musicgen_sample_destroy(&s);
    }
    musicgen_engine_destroy(&e);
    return NULL;
}

typedef struct {
    uint64_t index;
    char *text;     /* one manifest line, no newline */
} mline;

static int
cmp_line(const void *x, const void *y)
{
    const mline *a = x, *b = y;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* The sample_index of a manifest line (its text: seeds above 2^63 are not
 * JSON integers a parser keeps), or -1. */
static int
line_index(const char *l, uint64_t *ix)
{
    const char *p = strstr(l, "\"sample_index\":");
    char *end;

    if (!p)
        return -1;
    p += strlen("\"sample_index\":");
    while (*p == ' ')
        p++;
    errno = 0;
    *ix = strtoull(p, &end, 10);
    return end == p || errno ? -1 : 0;
}

static int
add_line(mline **v, size_t *n, size_t *cap, uint64_t ix, char *text)
{
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        mline *m = realloc(*v, c * sizeof *m);
        if (!m) {
            free(text);
            return -1;
        }
        *v = m;
        *cap = c;
    }
    (*v)[*n].index = ix;
    (*v)[(*n)++].text = text;
    return 0;
}

/* <out>/manifest.jsonl with one row per index: the rows already there
 * for other indices (and for skipped ones, which keep theirs), the new
 * ones for the rest, sorted by index, through a temporary file and a
 * rename. */
static int
write_manifest(batch *b, char *err, size_t errlen)
{
    const char *root = b->c->cfg.out_dir;
    uint64_t start = (uint64_t)b->c->cfg.start;
    char path[1200], tmp[1300], stamp[40], line[2048];
    mline *rows = NULL;
    size_t nrows = 0, cap = 0;
    FILE *f;
    int rc = -1;

    mg_rfc3339(stamp, sizeof stamp, mg_wall_ms());
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    snprintf(tmp, sizeof tmp, "%s/.manifest.jsonl.%ld.tmp", root,
             (long)getpid());
    /* the old rows, minus those this batch replaces */
    if ((f = fopen(path, "r"))) {
        char *l = NULL;
        size_t ln = 0;
        ssize_t got;
        while ((got = getline(&l, &ln, f)) > 0) {
            uint64_t ix, k;
            l[strcspn(l, "\n")] = 0;
            if (line_index(l, &ix) < 0)
                continue;
            k = ix - start;
            if (ix >= start && k < b->count && b->done[k]) {
                if (!b->rows[k].skipped)
                    continue;           /* replaced by the new row */
                b->done[k] = false;     /* skipped: its old row stays */
            }
            if (add_line(&rows, &nrows, &cap, ix, strdup(l)) < 0)
                break;
        }
        free(l);
        fclose(f);
    }
    for (uint64_t k = 0; k < b->count; k++) {
        if (!b->done[k] ||
            mg_row_jsonl(&b->rows[k], stamp, line, sizeof line) < 0)
            continue;
        if (add_line(&rows, &nrows, &cap, start + k, strdup(line)) < 0)
            break;
    }
    if (nrows)
        qsort(rows, nrows, sizeof *rows, cmp_line);
    if (!(f = fopen(tmp, "w"))) {
        mgapi_seterr(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].text)
            fprintf(f, "%s\n", rows[i].text);
    if (fflush(f) || ferror(f) || fsync(fileno(f))) {
        mgapi_seterr(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        goto out;
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        mgapi_seterr(err, errlen, "cannot rename %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].text);
    free(rows);
    return rc;
}

int
musicgen_generate_batch(const musicgen_config *c, musicgen_batch_result *r,
                        musicgen_batch_fn fn, void *user, char *err,
                        size_t errlen)
{
    batch b;
    int nthreads, started = 0, rc = -1;
    pthread_t *th = NULL;
    char msg[512];

    if (!c || !r) {
        mgapi_seterr(err, errlen, "%s is NULL", c ? "r" : "c");
        return -1;
    }
    memset(r, 0, sizeof *r);
    if (mg_config_validate(&c->cfg, true, msg, sizeof msg) < 0) {
        mgapi_seterr(err, errlen, "%s", msg);
        return -1;
    }
    if (!c->cfg.out_dir[0]) {
        mgapi_seterr(err, errlen, "out: an output root is required for a batch");
        return -1;
    }
    /* a batch writes the tree's manifest and LICENSES.md as a run does:
     * not into a directory of something else (sampledir.h), and holding
     * the tree's run lock (runlock.h) as `generate` does */
    char lkerr[1300];
    if (mg_sampledir_foreign(c->cfg.out_dir, lkerr, 300)) {
        mgapi_seterr(err, errlen, "out: %s is not empty and holds no musicgen "
               "dataset (it has %s): a batch writes manifest.jsonl and "
               "LICENSES.md there; give a new or empty directory, or a "
               "dataset to resume or grow", c->cfg.out_dir, lkerr);
        return -1;
    }
    int lk = mg_runlock_take(c->cfg.out_dir, "musicgen_generate_batch",
                             lkerr, sizeof lkerr);
    if (lk < 0) {
        mgapi_seterr(err, errlen, "%s", lkerr);
        return -1;
    }
    /* the temporary directories a killed batch (kill -9, a second
     * Ctrl-C) or generate() left: those of writers provably gone go, as
     * `musicgen generate` sweeps them (the re-run completed the tree and
     * verify still named them, half-written, for ever) */
    mg_sampledir_sweep(c->cfg.out_dir, (long long)time(NULL), MG_TMP_STALE_S,
                       NULL, NULL);
    memset(&b, 0, sizeof b);
    b.c = c;
    b.count = (uint64_t)c->cfg.count;
    b.fn = fn;
    b.user = user;
    pthread_mutex_init(&b.lock, NULL);
    nthreads = c->cfg.workers;
    if (nthreads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = n > 0 ? (int)n : 1;
    }
    if ((uint64_t)nthreads > b.count)
        nthreads = (int)b.count;
    b.rows = calloc(b.count, sizeof *b.rows);
    b.done = calloc(b.count, sizeof *b.done);
    th = calloc((size_t)nthreads, sizeof *th);
    if (!b.rows || !b.done || !th) {
        mgapi_seterr(err, errlen, "out of memory for %" PRIu64 " samples", b.count);
        goto out;
    }
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&th[i], NULL, batch_worker, &b)) {
            pthread_mutex_lock(&b.lock);
            b.stop = true;
            if (!b.fault) {
                b.fault = 1;
                snprintf(b.err, sizeof b.err, "cannot start a thread");
            }
            pthread_mutex_unlock(&b.lock);
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    *r = b.r;
    /* finished samples get their rows even when a fault stopped the run;
     * a batch that made and found nothing (its engine could not start: an
     * unknown genre, a refused font) leaves the tree as it was, not an
     * empty manifest and LICENSES.md that look like a dataset */
    bool any = false;
    for (uint64_t k = 0; k < b.count && !any; k++)
        any = b.done[k];
    rc = any ? write_manifest(&b, err, errlen) : 0;
    /* and the soundfonts' terms of what the root now holds, as generate */
    if (rc == 0 && any)
        rc =
            mg_licenses_write(c->cfg.out_dir, c->cfg.sf_dir, NULL, err, errlen);
    if (b.fault) {
        mgapi_seterr(err, errlen, "%s", b.err);
        rc = -1;
    }
out:
    pthread_mutex_destroy(&b.lock);
    free(b.rows);
    free(b.done);
    free(th);
    mg_runlock_release(lk);
    return rc;
}

int
musicgen_write_licenses(const char *root, const char *sf_dir, int *nfonts,
                        char *err, size_t errlen)
{
    char e[1400];
    if (!root || !root[0]) {
        mgapi_seterr(err, errlen, "no dataset root given");
        return -1;
    }
    if (mg_licenses_write(root, sf_dir, nfonts, e, sizeof e)) {
        mgapi_seterr(err, errlen, "%s", e);
        return -1;
    }
    return 0;
}
