/*
 * worker_engine — the worker's engine thread and the lease queue it
 * shares with the network loop (worker.c).
 *
 * The network loop pushes leased indices; the engine thread takes the
 * next one itself (no round trip between samples), makes it through the
 * public API (lib/musicgen.h) and posts a result, waking the network loop
 * through the eventfd only when the list goes from empty to non-empty (at
 * most every WAKE_MIN_MS while work is queued), so a burst of cheap
 * samples costs one wake-up, not one per sample. It runs at most one
 * sample at a time; emptying the queue and setting quit is what lets it
 * finish exactly the sample in hand. An engine made before the fork is
 * borrowed, never freed here; one made here is its own.
 */
#include "worker_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "dlog.h"
#include "musicgen.h"
#include "musicgen_internal.h"

/* Results of fast samples wake the network loop at most this often (the
 * rest ride along), unless the engine is about to run dry. */
#define WAKE_MIN_MS 5

/* Under mu. A result that cannot be stored is lost: its lease expires
 * and the sample is made again. */
static bool
push_result(engine_shared *s, const result *r)
{
    if (s->nres == s->cap_res) {
        size_t cap = s->cap_res ? s->cap_res * 2 : 16;
        result *n = realloc(s->res, cap * sizeof *n);
        if (!n)
            return false;
        s->res = n;
        s->cap_res = cap;
    }
    s->res[s->nres++] = *r;
    return s->nres == 1;
}

static void
post_result(engine_shared *s, const result *r)
{
    pthread_mutex_lock(&s->mu);
    bool wake = push_result(s, r) || s->deferred;
    s->busy = false;
    if (wake) {
        /* A wake-up per sample costs more than a midi-only sample on a
         * virtual machine: coalesce, but never hold a result while the
         * engine waits for work (or leaves) */
        int64_t now = mg_mono_ms();
        if (s->qlen == 0 || s->quit || now - s->last_wake >= WAKE_MIN_MS) {
            s->last_wake = now;
            s->deferred = false;
        } else {
            s->deferred = true;
            wake = false;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (wake) {
        uint64_t one = 1;
        ssize_t n = write(s->efd, &one, sizeof one);
        (void)n;     /* the counter cannot overflow at one per batch */
    }
}

void *
worker_engine_main(void *arg)
{
    engine_shared *s = arg;
    result *r = calloc(1, sizeof *r);
    char err[512];
    /* An engine made before the fork is borrowed: never freed here (see
     * mg_worker_opts.engine); one made here is ours. */
    mg_engine *eng = s->pre;
    bool own = !eng;
    musicgen_engine *e = NULL;
    s->pre = NULL;
    if (!eng && r)
        eng = mg_engine_new(&s->cfg, err, sizeof err);
    /* samples are made through the public API (lib/musicgen.h), as any
     * client of libmusicgen makes them */
    if (eng && !(e = mgapi_engine_wrap(eng, &s->cfg))) {
        snprintf(err, sizeof err, "out of memory");
        if (own)
            mg_engine_destroy(&eng);
    }
    /* Fault-injection hook for the test suite: a slower engine makes
     * "kill it mid-run" a window wide enough to hit. Never set in use. */
    const char *d = getenv("MUSICGEN_FAULT_SAMPLE_DELAY_MS");
    long delay_ms = d ? atol(d) : 0;
    /* MUSICGEN_FAULT_SLOW_SAMPLE=I:MS: sample I takes MS more (one
     * straggler among the samples: work stealing's case) */
    const char *si = getenv("MUSICGEN_FAULT_SLOW_SAMPLE");
    long long slow_index = -1;
    long slow_ms = 0;
    if (si && sscanf(si, "%lld:%ld", &slow_index, &slow_ms) != 2)
        slow_index = -1;
    if (!e) {
        result fail;
        memset(&fail, 0, sizeof fail);
        fail.kind = 2;
        snprintf(fail.err, sizeof fail.err, "%s", r ? err : "out of memory");
        post_result(s, &fail);
        free(r);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        /* stopping: the sample in hand was the last. The network loop
         * empties the queue when it wakes, up to half a heartbeat after
         * the signal (which this thread may have taken): a sample queued
         * meanwhile was started after the Ctrl-C. */
        while (!s->quit && (s->qlen == 0 || (s->stop && *s->stop)))
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->quit) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        pending p = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % s->qcap;
        s->qlen--;
        s->busy = true;
        s->busy_lease = p.lease;
        s->busy_index = p.index;
        bool durable = s->durable;
        pthread_mutex_unlock(&s->mu);
        memset(r, 0, sizeof *r);
        r->lease = p.lease;
        long wait_ms = delay_ms;
        if (slow_index >= 0 && (uint64_t)slow_index == p.index)
            wait_ms += slow_ms;
        if (wait_ms > 0 && wait_ms < 60000)
            usleep((useconds_t)wait_ms * 1000);
        musicgen_sample *smp = NULL;
        if (musicgen_generate_to_dir(e, s->cfg.global_seed, p.index,
                                     s->cfg.out_dir, &smp)) {
            r->kind = 1;
            r->row.index = p.index;
            snprintf(r->err, sizeof r->err, "%s", musicgen_engine_error(e));
        } else {
            r->row = *mgapi_sample_row(smp);
            if (durable && r->row.status == MG_ROW_OK &&
                worker_sync_sample(s->cfg.out_dir, r->row.path, r->err,
                            sizeof r->err))
                r->kind = 1;
        }
        musicgen_sample_destroy(&smp);
        post_result(s, r);
    }
    eng = mgapi_engine_unwrap(&e);
    if (own)
        mg_engine_destroy(&eng);
    free(r);
    return NULL;
}

engine_shared *
worker_engine_new(void)
{
    engine_shared *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e->efd < 0) {
        free(e);
        return NULL;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    return e;
}

void
worker_engine_free(engine_shared *e)
{
    if (!e)
        return;
    close(e->efd);
    e->pre = NULL;               /* borrowed */
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e->queue);
    free(e->res);
    free(e);
}

/* Under mu. */
void
worker_engine_push(engine_shared *e, uint64_t lease, uint64_t index)
{
    if (e->qlen == e->qcap) {
        size_t cap = e->qcap ? e->qcap * 2 : 256;
        pending *q = malloc(cap * sizeof *q);
        if (!q)
            return;     /* the lease expires and is redone */
        for (size_t i = 0; i < e->qlen; i++)
            q[i] = e->queue[(e->qhead + i) % e->qcap];
        free(e->queue);
        e->queue = q;
        e->qcap = cap;
        e->qhead = 0;
    }
    e->queue[(e->qhead + e->qlen) % e->qcap] = (pending){lease, index};
    e->qlen++;
}
