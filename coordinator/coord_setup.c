/*
 * coord_setup — making and ending an mg_coord: the run opened (or
 * created) in the ledger, refused if its parameters differ; on resume the
 * disk checked against the ledger and samples found on disk imported as
 * rows; the work queue derived from the rows; the ledger lock, CURVE and
 * the bound socket; and mg_coord_destroy.
 *
 * Invariant: what is to do is re-derived at every start from the rows
 * (and, on resume, from the disk: a sample.json with the run's seed is a
 * row), so a restored old ledger cannot strand work.
 */
#include "coord_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#include "curve.h"
#include "dsfilter.h"
#include "dsread.h"
#include "endpoint.h"
#include "runlock.h"
#include "runmark.h"
#include "sampledir.h"
#include "worker.h"

static int
curve_setup(mg_coord *c, char *err, size_t errlen)
{
    mg_curve_keys k;
    if (mg_curve_load_server(c->o.curve_dir, &k, err, errlen))
        return -1;
    /* zauth serves ZAP in czmq's context; the socket must live there
     * too, and the handler must be up before the first handshake */
    c->ctx = mg_curve_context();
    c->czmq_ctx = true;
    if (!c->ctx) {
        snprintf(err, errlen, "cannot start czmq");
        return -1;
    }
    c->auth = mg_curve_auth_start(c->o.curve_dir, err, errlen);
    if (!c->auth)
        return -1;
    c->sock = zmq_socket(c->ctx, ZMQ_ROUTER);
    if (!c->sock || mg_curve_apply_server(c->sock, &k, err, errlen))
        goto fail;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://mg-coord-mon-%p", (void *)c);
    if (zmq_socket_monitor(c->sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
        c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
        if (c->mon && zmq_connect(c->mon, ep)) {
            zmq_close(c->mon);
            c->mon = NULL;
        }
    }
    memset(&k, 0, sizeof k);
    return 0;
fail:
    if (!err[0])
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
    memset(&k, 0, sizeof k);
    return -1;
}

/* ---- set-up ---- */

/* The resume-time disk check, run by every resume (`generate` and the
 * standalone coordinator): every ledger row marked done must have its
 * sample.json on disk (a sample directory gets its final name only when
 * complete, but a user may have deleted files in it since; the engine
 * replaces a directory without sample.json); one found instead in a
 * reject directory recorded by `musicgen filter` is done and kept out of
 * the manifest. A sample.json cut short since (mg_sampledir_json_whole:
 * its last 3 bytes read) is not done either. Rows come in index order,
 * which walks the shard directories one at a time: one open per shard
 * and one fstatat relative to it per row (no path walk from the root). */
typedef struct {
    const char *root;
    char dir[1100];          /* relative directory held open */
    bool have_dir;
    int dfd;                 /* -1: that directory is gone */
    uint64_t *gone;
    size_t n, cap;
    uint64_t rows, dirs;
    size_t damaged;          /* of gone: sample.json there but cut short */
    char *rej[MG_DSFILTER_MAX_REJECT_DIRS]; /* `musicgen filter`'s */
    int nrej;
    uint64_t *filtered;                      /* gone into one of them */
    size_t nf, capf;
    const volatile sig_atomic_t *stop;       /* Ctrl-C */
    uint64_t seen;
    const char *fault;                       /* why it stopped early */
} verify_ctx;

/* Append index to a growing array; 0, or 1 when out of memory. */
static int
index_push(uint64_t **a, size_t *n, size_t *cap, uint64_t index)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint64_t *g = realloc(*a, nc * sizeof *g);
        if (!g)
            return 1;
        *a = g;
        *cap = nc;
    }
    (*a)[(*n)++] = index;
    return 0;
}

static void
verify_open(verify_ctx *v, const char *dir)
{
    char path[2400];
    if (v->dfd >= 0)
        close(v->dfd);
    snprintf(v->dir, sizeof v->dir, "%s", dir);
    v->have_dir = true;
    v->dirs++;
    snprintf(path, sizeof path, "%s%s%s", v->root, *dir ? "/" : "", dir);
    v->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* One row: 0, or 1 when out of memory. */
static int
verify_one(verify_ctx *v, const mg_row *row)
{
    if (row->status != MG_ROW_OK)
        return 0;
    v->rows++;
    /* path "SHARD/NAME" (sharded) or "NAME" (flat layout) */
    char dir[sizeof row->path], rel[sizeof row->path + 16];
    const char *slash = strrchr(row->path, '/');
    size_t dlen = slash ? (size_t)(slash - row->path) : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)dlen, row->path);
    if (!v->have_dir || strcmp(dir, v->dir))
        verify_open(v, dir);
    snprintf(rel, sizeof rel, "%s/sample.json",
             slash ? slash + 1 : row->path);
    int whole = v->dfd >= 0 ? mg_sampledir_json_whole(v->dfd, rel) : 0;
    if (whole > 0)
        return 0;
    if (whole < 0) {
        /* cut short since: not done (made again over it) */
        v->damaged++;
        return index_push(&v->gone, &v->n, &v->cap, row->index);
    }
    struct stat st;
    /* moved out by `musicgen filter`: done, and kept out */
    for (int i = 0; i < v->nrej; i++) {
        char p[5200];
        snprintf(p, sizeof p, "%s/%s/sample.json", v->rej[i], row->path);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return index_push(&v->filtered, &v->nf, &v->capf, row->index);
    }
    return index_push(&v->gone, &v->n, &v->cap, row->index);
}

/* The ledger's callback: a row's check, and where to stop early (the
 * ledger stops at a non-zero answer and says nothing: the reason is
 * v->fault) - out of memory, or a Ctrl-C (a million rows take seconds) */
static int
verify_row(const mg_row *row, const char *wrote_at, void *ud)
{
    verify_ctx *v = ud;
    (void)wrote_at;
    if (verify_one(v, row))
        v->fault = "out of memory";
    else if (!(++v->seen & 4095) && v->stop && *v->stop)
        v->fault = "interrupted";
    return v->fault != NULL;
}

/* *rows: the ledger's done rows whose sample is on disk */
static int
verify_disk(mg_coord *c, uint64_t *rows, char *err, size_t errlen)
{
    verify_ctx v;
    memset(&v, 0, sizeof v);
    v.root = c->o.cfg.out_dir;
    v.dfd = -1;
    v.nrej = mg_dsfilter_reject_dirs(v.root, v.rej,
                                     MG_DSFILTER_MAX_REJECT_DIRS);
    int64_t t0 = mg_mono_ms();
    v.stop = c->o.stop;
    int rc = mg_ledger_foreach_row(c->ledger, verify_row, &v, err, errlen);
    if (rc == 0 && v.fault) {
        snprintf(err, errlen, "disk check: %s", v.fault);
        rc = -1;
    }
    if (v.dfd >= 0)
        close(v.dfd);
    for (int i = 0; i < v.nrej; i++)
        free(v.rej[i]);
    if (rc == 0 && v.nf) {
        free(c->filtered);
        c->filtered = v.filtered;
        c->nfiltered = v.nf;
        v.filtered = NULL;
        if (!c->o.quiet)
            mg_dlog(WHO, "%zu sample(s) moved out by `musicgen filter` are "
                    "kept out: not made again, not in the manifest", v.nf);
    }
    free(v.filtered);
    if (rc == 0 && v.n) {
        c->missing = v.n;
        rc = mg_ledger_begin(c->ledger, err, errlen);
        for (size_t i = 0; rc == 0 && i < v.n; i++)
            rc = mg_ledger_forget(c->ledger, v.gone[i], err, errlen);
        if (rc == 0)
            rc = mg_ledger_commit(c->ledger, err, errlen);
        if (rc == 0 && !c->o.quiet)
            mg_dlog(WHO, "%zu sample(s) in the ledger are gone from disk"
                    "%s%.0zu%s; they will be made again", v.n,
                    v.damaged ? " (" : "", v.damaged,
                    v.damaged ? " of them: sample.json there but cut short)"
                              : "");
    }
    if (rc == 0 && !c->o.quiet)
        mg_dlog(WHO, "disk check: %" PRIu64 " rows in %" PRIu64
                " directories in %" PRId64 " ms", v.rows, v.dirs,
                mg_mono_ms() - t0);
    free(v.gone);
    *rows = v.rows - v.n;
    return rc;
}

/* The queue: every index of the run without a row. */
typedef struct {
    mg_coord *c;
    uint64_t next;
    int rc;
} gap_ctx;

static int
gap_index(uint64_t index, void *ud)
{
    gap_ctx *g = ud;
    if (index > g->next && coord_todo_add(g->c, g->next, index))
        g->rc = -1;
    g->next = index + 1;
    return g->rc;
}

static int
build_todo(mg_coord *c, char *err, size_t errlen)
{
    uint64_t start = (uint64_t)c->o.cfg.start;
    uint64_t end = start + (uint64_t)c->o.cfg.count;
    gap_ctx g = {c, start, 0};
    if (mg_ledger_indices(c->ledger, start, end - start, gap_index, &g, err,
                          errlen))
        return -1;
    if (g.rc == 0 && g.next < end && coord_todo_add(c, g.next, end))
        g.rc = -1;
    if (g.rc)
        snprintf(err, errlen, "out of memory");
    return g.rc;
}

/* The row of a sample complete on disk, as a worker finding it would
 * report it: 0 when sample.json is there and is this run's sample. */
static int
row_from_disk(mg_coord *c, uint64_t index, mg_row *row)
{
    const mg_config *cfg = &c->o.cfg;
    char rel[64], path[1200];
    mg_sample_relpath(rel, sizeof rel, index, cfg->shard_width);
    snprintf(path, sizeof path, "%s/%s/sample.json", cfg->out_dir, rel);
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > (64 << 20))
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!text || got != (size_t)st.st_size) {
        free(text);
        return -1;
    }
    text[got] = '\0';
    /* seeds exceed 2^63: read ours from the text, exactly */
    uint64_t seed = mg_sample_seed(cfg->global_seed, index);
    const char *k = strstr(text, "\"seed\"");
    bool seed_ok = false;
    if (k) {
        k += 6;
        while (*k == ' ' || *k == ':' || *k == '\n' || *k == '\t')
            k++;
        char *e;
        errno = 0;
        unsigned long long v = strtoull(k, &e, 10);
        seed_ok = e != k && errno == 0 && v == seed;
    }
    json_t *j = seed_ok ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL)
                        : NULL;
    free(text);
    char why[200];
    if (j && mg_sample_of_run(j, cfg, &c->fp, seed, why, sizeof why)) {
        /* another run's: not imported (the worker given it refuses it) */
        json_decref(j);
        j = NULL;
    }
    if (!j)
        return -1;
    memset(row, 0, sizeof *row);
    row->index = index;
    row->seed = seed;
    row->status = MG_ROW_OK;
    row->split = mg_split_of(seed, cfg->split);
    snprintf(row->path, sizeof row->path, "%s", rel);
    row->score = json_number_value(json_object_get(j, "musicality_score"));
    row->duration = json_number_value(json_object_get(j, "duration_seconds"));
    row->attempt = (int)json_number_value(json_object_get(j, "attempt"));
    row->skipped = true;
    json_decref(j);
    if (row->attempt < 1)
        row->attempt = 1;
    if (!(row->score >= 0 && row->score <= 1) || !(row->duration > 0) ||
        row->duration > MG_ENGINE_MAX_DURATION_S ||
        row->attempt > cfg->max_attempts)
        return -1;
    return 0;
}

/* On resume: a sample finished on disk whose row the ledger lacks (a
 * ledger restored from an older copy, a power cut in non-durable mode)
 * is done - its row is re-derived from its sample.json. The candidates
 * are the indices to do; looking each one up cost a stat per index (10
 * s for a 10,000,000-sample run with a few thousand made, minutes on
 * network storage, and the workers gave up waiting after 20 s), so when
 * they outnumber the ledger's rows (about what the disk holds) the
 * tree's sample directories are listed instead (mg_dsread, in index
 * order, beside the ascending todo ranges). */
typedef struct {
    mg_coord *c;
    uint64_t *found;
    size_t n, cap;
    int rc;
} import_ctx;

static int
import_one(import_ctx *x, uint64_t i, char *err, size_t errlen)
{
    mg_coord *c = x->c;
    mg_row row;
    if (row_from_disk(c, i, &row))
        return 0;
    if (!c->in_tx && coord_tx_open(c, err, errlen))
        return -1;
    char wrote_at[40];
    mg_rfc3339(wrote_at, sizeof wrote_at, mg_wall_ms());
    if (mg_ledger_put_row(c->ledger, &row, "(found on disk)", wrote_at, err,
                          errlen) < 0)
        return -1;
    coord_touch_chunk(c, mg_ledger_chunk_of(c->ledger, i));
    if (index_push(&x->found, &x->n, &x->cap, i)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* 1 when Ctrl-C (the stop flag) came: a long start-up heard it only once
 * it was over */
static bool
stopped(const mg_coord *c)
{
    return c->o.stop && *c->o.stop;
}

static int
import_from_disk(mg_coord *c, uint64_t ledger_rows, char *err, size_t errlen)
{
    import_ctx x = {c, NULL, 0, 0, 0};
    uint64_t steps = 0;
    if (c->todo_total <= ledger_rows) {
        for (size_t r = 0; r < c->ntodo && x.rc == 0; r++)
            for (uint64_t i = c->todo[r].a; i < c->todo[r].b && x.rc == 0;
                 i++) {
                x.rc = import_one(&x, i, err, errlen);
                if (x.rc == 0 && !(++steps & 4095) && stopped(c)) {
                    snprintf(err, errlen, "interrupted");
                    x.rc = -1;
                }
            }
    } else {
        mg_dsread *rd = mg_dsread_open(c->o.cfg.out_dir, 0, err, errlen);
        mg_dsample ds;
        size_t r = 0;
        int got;
        if (!rd)
            x.rc = -1;
        while (x.rc == 0 && r < c->ntodo &&
               (got = mg_dsread_next(rd, &ds, err, errlen)) != 0) {
            if (got < 0) {
                x.rc = -1;
                break;
            }
            if (!ds.complete || ds.misplaced || ds.index == MG_DSREAD_NOINDEX)
                continue;
            while (r < c->ntodo && c->todo[r].b <= ds.index)
                r++;
            if (r < c->ntodo && c->todo[r].a <= ds.index)
                x.rc = import_one(&x, ds.index, err, errlen);
            if (x.rc == 0 && !(++steps & 4095) && stopped(c)) {
                snprintf(err, errlen, "interrupted");
                x.rc = -1;
            }
        }
        mg_dsread_destroy(&rd);
    }
    int rc = x.rc;
    if (rc == 0 && c->in_tx)
        rc = coord_tx_commit(c, err, errlen);
    for (size_t i = 0; rc == 0 && i < x.n; i++)
        coord_todo_sub(c, x.found[i], x.found[i] + 1);
    c->st.rows_from_disk = x.n;
    if (rc == 0 && x.n && !c->o.quiet)
        mg_dlog(WHO, "%zu sample(s) complete on disk had no row in the "
                "ledger: their rows are re-derived from sample.json", x.n);
    free(x.found);
    return rc;
}

/* The run's root as this session sees it, kept in the ledger's meta. A
 * run resumed on another --out (moved, or a typo) leaves the old root's
 * serving mark naming it, and workers that stayed up across the restart
 * - their --out the old root - would work on there, their rows accepted
 * and their samples in no manifest of ours: the old root's mark goes,
 * and they are turned away at their next RUN (worker.c, check_root). */
static int
note_root(mg_coord *c, char *err, size_t errlen)
{
    char here[PATH_MAX];
    if (!realpath(c->o.cfg.out_dir, here))
        return 0;
    char *was = mg_ledger_get_meta(c->ledger, "out_dir");
    if (was && strcmp(was, here) &&
        mg_runmark_serves(was, c->o.cfg.global_seed,
                          (uint64_t)c->o.cfg.start)) {
        if (mg_runmark_unserve(was))
            mg_dlog(WHO, "the run's output root was %s, now %s: workers "
                    "still writing there are turned away", was, here);
    }
    free(was);
    return mg_ledger_set_meta(c->ledger, "out_dir", here, err, errlen);
}

static int
open_run(mg_coord *c, char *err, size_t errlen)
{
    mg_ledger_run want = {0}, have = {0};
    if (c->o.fp)
        c->fp = *c->o.fp;
    else if (mg_fingerprint_compute(&c->o.cfg, &c->fp, err, errlen))
        return -1;
    c->run_json = mg_config_run_json(&c->o.cfg);
    if (!c->run_json) {
        snprintf(err, errlen, "cannot serialise the run config");
        return -1;
    }
    /* an unmerged static tree of another run: the workers refused it at
     * their first sample, after a 'new run' here */
    if (mg_worker_static_run_check(&c->o.cfg, &c->fp, err, errlen))
        return -1;
    want.global_seed = c->o.cfg.global_seed;
    want.start = (uint64_t)c->o.cfg.start;
    want.count = (uint64_t)c->o.cfg.count;
    want.chunk = c->o.chunk ? c->o.chunk : 64;   /* status bookkeeping */
    want.run_json = c->run_json;
    want.fp = c->fp;
    int rc = mg_ledger_get_run(c->ledger, &have, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        /* a new ledger over a tree of another run: its manifest would be
         * rewritten from our rows alone */
        if (mg_dsmanifest_run_check(c->o.cfg.out_dir, want.global_seed,
                                    want.start, want.count, NULL, 0, NULL,
                                    err, errlen))
            return -1;
        /* rows past the run's end are failed ones (the check refuses
         * others): a tree's run shrinks by them, as a ledger's does
         * (shrink); they would be carried as rows of other writers */
        if (mg_ledger_manifest_drop(c->o.cfg.out_dir, want.start + want.count,
                                    UINT64_MAX, err, errlen))
            return -1;
        if (mg_ledger_create_run(c->ledger, &want, err, errlen))
            return -1;
        if (mg_ledger_get_run(c->ledger, &have, err, errlen) != 1)
            return -1;
        if (!c->o.quiet)
            mg_dlog(WHO, "new run: seed %" PRId64 ", %" PRIu64 " samples "
                    "from %" PRIu64 ", %s", want.global_seed,
                    want.count, want.start, c->o.chunk ? "fixed leases"
                    : "leases sized by measured sample time");
    } else {
        char why[2048];
        int g = 0;
        if (mg_ledger_check_run(&have, &want, why, sizeof why) &&
            (g = coord_range_only(c, &have, &want, err, errlen)) <= 0) {
            if (g == 0)
                coord_range_refuse(c, &have, &want, why, sizeof why, err,
                                   errlen);
            mg_ledger_run_free(&have);
            return -1;
        }
    }
    mg_ledger_run_free(&have);
    /* the one resume-time disk check, for generate's embedded run and the
     * standalone coordinator alike: both write the manifest in ROOT */
    uint64_t on_disk = 0;
    if (rc == 1 && verify_disk(c, &on_disk, err, errlen))
        return -1;
    /* a new ledger imports too: a tree of this run made without it (the
     * slices of `worker --static`, a ledger lost) started at 0/N done,
     * and stopped before any worker came it wrote a manifest of no rows
     * over the tree's finished samples */
    if (build_todo(c, err, errlen) ||
        import_from_disk(c, on_disk, err, errlen))
        return -1;
    mg_ledger_counts counts;
    if (mg_ledger_counts_get(c->ledger, mg_wall_ms(), &counts, err, errlen))
        return -1;
    c->done = counts.ok + counts.failed;
    c->failed = counts.failed;
    c->resumed = c->done;
    /* the mark of an earlier completion (samples since deleted are made
     * again) would send workers that reconnect home before the end */
    if (c->done < (uint64_t)c->o.cfg.count &&
        mg_runmark_clear(c->o.cfg.out_dir, err, errlen))
        return -1;
    /* what a worker checks in its --out before it joins (runmark.h) */
    if (mg_runmark_serve(c->o.cfg.out_dir, c->o.cfg.global_seed,
                         (uint64_t)c->o.cfg.start, err, errlen) ||
        note_root(c, err, errlen))
        return -1;
    if (rc == 1 && !c->o.quiet)
        mg_dlog(WHO, "resuming run: %" PRIu64 "/%" PRIu64 " done",
                c->done, counts.total);
    return 0;
}

/* One coordinator per ledger: an exclusive flock on the ledger file
 * itself (made empty when new: SQLite takes an empty file for a new
 * database), so that every name of it finds the lock - a symlink, a hard
 * link, another mount point; a "LEDGER.lock" beside the name given let a
 * second coordinator in through a symlink, and both leased every index.
 * SQLite's own locks are fcntl locks, which flock does not touch; the fd
 * stays open until the ledger is closed (closing another fd of the file
 * would drop SQLite's locks). A FIFO, a device or a directory is no
 * ledger: refused, not opened by SQLite ("disk I/O error"). */
static int
lock_ledger(mg_coord *c, char *err, size_t errlen)
{
    const char *path = c->o.ledger_path;
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "--ledger %s is not a regular file (a %s)",
                 path, S_ISDIR(st.st_mode) ? "directory" :
                 S_ISFIFO(st.st_mode) ? "FIFO" : "device or socket");
        return -1;
    }
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
    if (c->lock_fd < 0) {
        snprintf(err, errlen, "--ledger %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB)) {
        snprintf(err, errlen, "the ledger %s is in use by another "
                 "coordinator", path);
        return -1;
    }
    return 0;
}

static int
write_endpoint_file(const char *path, const char *endpoint, char *err,
                    size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", endpoint) < 0 || fclose(f)) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

mg_coord *
mg_coord_new(const mg_coord_opts *o, char *err, size_t errlen)
{
    mg_coord *c = calloc(1, sizeof *c);
    if (!c) {
        mg_runlock_release(o->run_fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->o = *o;
    c->lock_fd = -1;
    c->run_fd = o->run_fd;
    if (c->o.heartbeat_ms < 50)
        c->o.heartbeat_ms = 50;
    if (c->o.liveness < 2)
        c->o.liveness = 2;
    if (c->o.progress_ms < 50)
        c->o.progress_ms = 50;
    if (!(c->o.lease_s > 0))
        c->o.lease_s = 2.0;
    /* ids of this session's leases: after any id an earlier session of
     * this ledger handed out (it started earlier; 65536 leases per ms of
     * its life), so a worker's lease from before our restart is never
     * mistaken for one of ours */
    c->lease_base = (uint64_t)mg_wall_ms() << 16;
    /* The endpoint first: a bad --bind must leave nothing behind (no
     * output directory, no ledger). */
    if (mg_endpoint_check(c->o.bind, true, err, errlen))
        goto fail;
    err[0] = '\0';
    if (c->o.curve_dir) {
        if (curve_setup(c, err, errlen))
            goto fail;
    } else {
        c->ctx = zmq_ctx_new();
        c->sock = c->ctx ? zmq_socket(c->ctx, ZMQ_ROUTER) : NULL;
    }
    if (!c->sock) {
        if (!err[0])
            snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        goto fail;
    }
    int zero = 0, hwm = 100000, maxmsg = (int)MG_PROTO_MAX_FRAME;
    int64_t maxmsg64 = maxmsg;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* oversize frames are cut off by libzmq before they reach us */
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg64, sizeof maxmsg64);
    if (zmq_bind(c->sock, c->o.bind)) {
        snprintf(err, errlen, "cannot bind %s: %s", c->o.bind,
                 zmq_strerror(errno));
        goto fail;
    }
    size_t elen = sizeof c->endpoint;
    zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, c->endpoint, &elen);
    /* not a directory of something else: the run's manifest.jsonl and
     * LICENSES.md would replace files of those names there */
    char what[300];
    if (mg_sampledir_foreign(c->o.cfg.out_dir, what, sizeof what)) {
        snprintf(err, errlen, "--out %s is not empty and holds no musicgen "
                 "dataset (it has %s): a run writes manifest.jsonl and "
                 "LICENSES.md there; give a new or empty directory, or a "
                 "dataset to resume or grow", c->o.cfg.out_dir, what);
        goto fail;
    }
    if (mg_dir_make(c->o.cfg.out_dir)) {
        snprintf(err, errlen, "%s: %s", c->o.cfg.out_dir, strerror(errno));
        goto fail;
    }
    /* the tree first (score, filter or clean there now would lose
     * work): a coordinator refused for it leaves no empty ledger */
    if (c->run_fd < 0)
        c->run_fd = mg_runlock_take(c->o.cfg.out_dir,
                                    c->o.who ? c->o.who
                                             : "musicgen coordinator",
                                    err, errlen);
    if (c->run_fd < 0)
        goto fail;
    if (lock_ledger(c, err, errlen))
        goto fail;
    c->ledger = mg_ledger_open(c->o.ledger_path, err, errlen);
    if (!c->ledger ||
        mg_ledger_set_durable(c->ledger, c->o.durable, err, errlen) ||
        open_run(c, err, errlen) ||
        (c->o.curve_dir && coord_keys_load(c, err, errlen)))
        goto fail;
    if (c->o.endpoint_file &&
        write_endpoint_file(c->o.endpoint_file, c->endpoint, err, errlen))
        goto fail;
    /* the tail's estimates (coord_lease.c): the genre data only, loaded
     * once the endpoint is out (workers start meanwhile); without it the
     * tail goes in index order, a slower end but the same run */
    if (!c->o.chunk) {
        char perr[512];
        c->plan = mg_plan_new(&c->o.cfg, perr, sizeof perr);
        if (!c->plan)
            mg_dlog(WHO, "no cost estimates for the end of the run: %s",
                    perr);
    }
    if (c->o.http) {
        char title[1200];
        snprintf(title, sizeof title, "musicgen run: seed %" PRId64 ", %"
                 PRId64 " samples -> %s", c->o.cfg.global_seed,
                 c->o.cfg.count, c->o.cfg.out_dir);
        c->stats = mg_stats_new(title, c->done, c->failed,
                                (uint64_t)c->o.cfg.count);
        if (!c->stats) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        c->http = mg_http_start(c->o.http, c->stats, err, errlen);
        if (!c->http)
            goto fail;
        /* always said, even quiet: it is how the user finds the page */
        mg_dlog(WHO, "status page on %s (metrics: %smetrics)",
                mg_http_url(c->http), mg_http_url(c->http));
    }
    if (!c->o.quiet)
        mg_dlog(WHO, "listening on %s%s (ledger %s%s)", c->endpoint,
                c->o.curve_dir ? " with CURVE" : "", c->o.ledger_path,
                c->o.durable ? ", durable" : "");
    return c;
fail:
    mg_coord_destroy(&c);
    return NULL;
}

void
mg_coord_destroy(mg_coord **cp)
{
    mg_coord *c = *cp;
    if (!c)
        return;
    if (c->in_tx && c->ledger) {
        char err[256];
        if (coord_tx_commit(c, err, sizeof err))
            mg_dlog(WHO, "%s", err);
    }
    for (size_t i = 0; i < c->npeers; i++)
        free(c->peers[i].acks);
    free(c->peers);
    free(c->touched);
    for (size_t i = 0; i < c->nleases; i++)
        free(c->leases[i].bits);
    free(c->leases);
    free(c->live);
    free(c->seqpos);
    free(c->todo);
    free(c->heap);
    mg_plan_destroy(&c->plan);
    free(c->filtered);
    free(c->banned);
    free(c->keyed);
    if (c->mon)
        zmq_close(c->mon);
    if (c->sock)
        zmq_close(c->sock);
    mg_curve_auth_stop(&c->auth);
    /* czmq terminates its own context at exit */
    if (c->ctx && !c->czmq_ctx)
        zmq_ctx_term(c->ctx);
    mg_ledger_close(&c->ledger);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    mg_runlock_release(c->run_fd);
    free(c->run_json);
    /* the server goes before the stats it reads */
    mg_http_stop(&c->http);
    mg_stats_destroy(&c->stats);
    free(c);
    *cp = NULL;
}
