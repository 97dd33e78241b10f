/*
 * stats — counters, histograms and the last snapshot of a run, for the
 * status page and /metrics (see stats.h). One mutex guards everything;
 * the loop holds it for a few stores per event, a reader for one
 * rendering, so neither waits on the other for long.
 *
 * Invariants: counters only grow; a histogram's buckets are cumulative
 * when rendered and its +Inf bucket equals its count; the rings keep the
 * last RECENT rows and the last FAILS failures, oldest overwritten.
 */
#include "stats.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "jsonout.h"

#define RECENT 20
#define FAILS 50
#define NB_MAX 16

typedef struct {
    const double *le;
    size_t n;
    uint64_t count[NB_MAX];     /* per bucket, not cumulative */
    uint64_t total;
    double sum;
} histo;

typedef struct {
    uint64_t index;
    bool ok, skipped;
    double score, duration, render_s;
    char worker[64];
    char error[256];
    int64_t at_ms;
} row_rec;

static const double render_le[] = {
    0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120,
};
static const double commit_le[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};

struct mg_stats {
    pthread_mutex_t mu;
    char title[256];
    uint64_t done0, failed0;    /* in the ledger when we started */
    uint64_t ok_rows, failed_rows, skipped_rows;
    uint64_t granted, requeued, commits, bad_messages, rejected;
    uint64_t live_leases, live_workers;     /* mg_stats_gauges */
    histo render, commit;
    row_rec recent[RECENT];
    size_t nrecent;             /* rows ever put in the ring */
    row_rec fails[FAILS];
    size_t nfails;
    mg_stats_progress prog;
    mg_stats_worker *workers;
    size_t nworkers;
    int64_t started_ms, published_ms;
};

static void
histo_add(histo *h, double v)
{
    size_t i = 0;
    while (i < h->n && v > h->le[i])
        i++;
    if (i < h->n)
        h->count[i]++;
    h->total++;
    h->sum += v;
}

mg_stats *
mg_stats_new(const char *title, uint64_t done, uint64_t failed,
             uint64_t total)
{
    mg_stats *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->title, sizeof s->title, "%s", title ? title : "musicgen");
    s->done0 = done - failed;
    s->failed0 = failed;
    s->render.le = render_le;
    s->render.n = sizeof render_le / sizeof *render_le;
    s->commit.le = commit_le;
    s->commit.n = sizeof commit_le / sizeof *commit_le;
    s->prog.total = total;
    s->prog.done = done;
    s->prog.failed = failed;
    s->prog.eta_s = -1;
    s->started_ms = s->published_ms = mg_wall_ms();
    return s;
}

void
mg_stats_destroy(mg_stats **sp)
{
    mg_stats *s = *sp;
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->workers);
    free(s);
    *sp = NULL;
}

void
mg_stats_row(mg_stats *s, const char *worker, uint64_t index, bool ok,
             bool skipped, double score, double duration, const char *error,
             double render_s)
{
    if (!s)
        return;
    row_rec r;
    memset(&r, 0, sizeof r);
    r.index = index;
    r.ok = ok;
    r.skipped = skipped;
    r.score = score;
    r.duration = duration;
    r.render_s = render_s;
    r.at_ms = mg_wall_ms();
    snprintf(r.worker, sizeof r.worker, "%s", worker ? worker : "");
    snprintf(r.error, sizeof r.error, "%s", error ? error : "");
    pthread_mutex_lock(&s->mu);
    if (ok)
        s->ok_rows++;
    else
        s->failed_rows++;
    if (skipped)
        s->skipped_rows++;
    if (render_s >= 0 && !skipped)
        histo_add(&s->render, render_s);
    s->recent[s->nrecent++ % RECENT] = r;
    if (!ok)
        s->fails[s->nfails++ % FAILS] = r;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_commit(mg_stats *s, double seconds)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->commits++;
    histo_add(&s->commit, seconds);
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_lease_granted(mg_stats *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->granted++;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_requeued(mg_stats *s, int n)
{
    if (!s || n <= 0)
        return;
    pthread_mutex_lock(&s->mu);
    s->requeued += (uint64_t)n;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_row_rejected(mg_stats *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->rejected++;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_bad_message(mg_stats *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->bad_messages++;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_gauges(mg_stats *s, uint64_t leases_active, uint64_t workers_joined)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->live_leases = leases_active;
    s->live_workers = workers_joined;
    pthread_mutex_unlock(&s->mu);
}

void
mg_stats_publish(mg_stats *s, const mg_stats_progress *p,
                 const mg_stats_worker *w, size_t nw)
{
    if (!s)
        return;
    mg_stats_worker *copy = NULL;
    if (nw) {
        copy = malloc(nw * sizeof *copy);
        if (!copy)
            return;     /* the next publish tries again */
        memcpy(copy, w, nw * sizeof *copy);
    }
    pthread_mutex_lock(&s->mu);
    s->prog = *p;
    free(s->workers);
    s->workers = copy;
    s->nworkers = nw;
    s->published_ms = mg_wall_ms();
    pthread_mutex_unlock(&s->mu);
}

/* ---- rendering ---- */

static json_t *
row_json(const row_rec *r)
{
    char at[40];
    mg_rfc3339(at, sizeof at, r->at_ms);
    json_t *o = json_pack("{s:I,s:s,s:b,s:f,s:f,s:o,s:s}",
                          "index", (json_int_t)r->index,
                          "status", r->ok ? "ok" : "failed",
                          "skipped", r->skipped, "score", r->score,
                          "duration_seconds", r->duration,
                          "worker", mg_json_text(r->worker), "at", at);
    if (o && r->render_s >= 0)
        json_object_set_new(o, "render_seconds", json_real(r->render_s));
    if (o && !r->ok)
        json_object_set_new(o, "error", mg_json_text(r->error));
    return o;
}

char *
mg_stats_json(mg_stats *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t now = mg_wall_ms();
    const mg_stats_progress *p = &s->prog;
    json_t *o = json_object();
    /* text that is not UTF-8 (an --out path, a worker's identity or
     * error) was NULL to jansson: the title, a worker or a row went
     * missing from the page */
    json_object_set_new(o, "title", mg_json_text(s->title));
    json_object_set_new(o, "total", json_integer((json_int_t)p->total));
    /* the counters are live; the snapshot is as old as the last tick */
    uint64_t failed = s->failed0 + s->failed_rows;
    uint64_t done = s->done0 + s->ok_rows + failed;
    json_object_set_new(o, "done", json_integer((json_int_t)done));
    json_object_set_new(o, "failed", json_integer((json_int_t)failed));
    json_object_set_new(o, "rate", json_real(p->rate));
    json_object_set_new(o, "eta_seconds",
                        p->eta_s >= 0 ? json_real(p->eta_s) : json_null());
    json_object_set_new(o, "elapsed_seconds", json_real(p->elapsed_s));
    json_object_set_new(o, "leases_active",
                        json_integer((json_int_t)s->live_leases));
    json_object_set_new(o, "leases_requeued",
                        json_integer((json_int_t)s->requeued));
    json_object_set_new(o, "rows_rejected",
                        json_integer((json_int_t)s->rejected));
    json_object_set_new(o, "complete", json_boolean(p->complete));
    json_object_set_new(o, "snapshot_age_seconds",
                        json_real((double)(now - s->published_ms) / 1000.0));
    json_t *ws = json_array();
    for (size_t i = 0; i < s->nworkers; i++) {
        const mg_stats_worker *w = &s->workers[i];
        json_t *x = json_pack("{s:o,s:s,s:f,s:I}", "identity",
                              mg_json_text(w->identity),
                              "state", w->joined ? "joined" : "greeted",
                              "last_heartbeat_seconds_ago",
                              (double)(now - w->last_seen_ms) / 1000.0,
                              "rows", (json_int_t)w->rows);
        if (x && w->lease >= 0)
            json_object_set_new(x, "lease", json_pack(
                "{s:I,s:I,s:I}", "id", (json_int_t)w->lease,
                "first", (json_int_t)w->lease_first,
                "last", (json_int_t)(w->lease_first + w->lease_n - 1)));
        json_array_append_new(ws, x);
    }
    json_object_set_new(o, "workers", ws);
    json_t *rr = json_array();
    size_t n = s->nrecent < RECENT ? s->nrecent : RECENT;
    for (size_t k = 0; k < n; k++)  /* newest first */
        json_array_append_new(rr, row_json(
            &s->recent[(s->nrecent - 1 - k) % RECENT]));
    json_object_set_new(o, "recent_rows", rr);
    json_t *fr = json_array();
    n = s->nfails < FAILS ? s->nfails : FAILS;
    for (size_t k = 0; k < n; k++)
        json_array_append_new(fr, row_json(
            &s->fails[(s->nfails - 1 - k) % FAILS]));
    json_object_set_new(o, "failures", fr);
    json_object_set_new(o, "failures_total", json_integer((json_int_t)failed));
    pthread_mutex_unlock(&s->mu);
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return out;
}

/* A growing text buffer; on no memory it stops growing and the caller
 * gets NULL. */
typedef struct {
    char *b;
    size_t len, cap;
    bool oom;
} buf;

static void
bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bprintf(buf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->b + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *nb = realloc(b->b, cap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->b = nb;
        b->cap = cap;
    }
}

static void
metric(buf *b, const char *name, const char *type, const char *help,
       double v)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
            type, name, v);
}

static void
histo_render(buf *b, const char *name, const char *help, const histo *h)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < h->n; i++) {
        cum += h->count[i];
        bprintf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->le[i],
                (unsigned long long)cum);
    }
    bprintf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n",
            name, (unsigned long long)h->total, name, h->sum, name,
            (unsigned long long)h->total);
}

char *
mg_stats_metrics(mg_stats *s)
{
    buf b = {malloc(4096), 0, 4096, false};
    if (!b.b)
        return NULL;
    b.b[0] = '\0';
    pthread_mutex_lock(&s->mu);
    const mg_stats_progress *p = &s->prog;
    metric(&b, "musicgen_samples_done_total", "counter",
           "Samples stored in the ledger with status ok (rows found at "
           "start included).", (double)(s->done0 + s->ok_rows));
    metric(&b, "musicgen_samples_failed_total", "counter",
           "Samples stored in the ledger with status failed.",
           (double)(s->failed0 + s->failed_rows));
    metric(&b, "musicgen_samples_skipped_total", "counter",
           "Rows of samples a worker found already complete on disk.",
           (double)s->skipped_rows);
    metric(&b, "musicgen_samples_target", "gauge",
           "Samples in the run.", (double)p->total);
    metric(&b, "musicgen_leases_active", "gauge",
           "Chunks leased to a worker now.", (double)s->live_leases);
    metric(&b, "musicgen_leases_granted_total", "counter",
           "Leases granted to workers.", (double)s->granted);
    metric(&b, "musicgen_leases_requeued_total", "counter",
           "Leases given back to the queue (worker lost, left or "
           "restarted).", (double)s->requeued);
    metric(&b, "musicgen_workers_connected", "gauge",
           "Workers joined to the run.", (double)s->live_workers);
    metric(&b, "musicgen_malformed_messages_total", "counter",
           "Messages dropped as malformed.", (double)s->bad_messages);
    metric(&b, "musicgen_rows_rejected_total", "counter",
           "Rows refused by the row checks (wrong lease, seed or split, "
           "values out of range; proto/PROTOCOL.md).", (double)s->rejected);
    metric(&b, "musicgen_ledger_commits_total", "counter",
           "Ledger write transactions committed.", (double)s->commits);
    metric(&b, "musicgen_run_rate_samples_per_second", "gauge",
           "Samples per second over the last progress window.", p->rate);
    metric(&b, "musicgen_run_complete", "gauge",
           "1 once every sample of the run has a row.",
           p->complete ? 1.0 : 0.0);
    histo_render(&b, "musicgen_sample_render_seconds",
                 "Wall seconds per sample as the coordinator sees them: "
                 "the interval between a worker's successive rows (a "
                 "worker renders one sample at a time).", &s->render);
    histo_render(&b, "musicgen_ledger_commit_seconds",
                 "Latency of a ledger COMMIT (rows are acknowledged "
                 "after it).", &s->commit);
    pthread_mutex_unlock(&s->mu);
    if (b.oom) {
        free(b.b);
        return NULL;
    }
    return b.b;
}
