/*
 * dsfetch — samples read and tokenized ahead by worker threads (contract
 * in dsfetch.h).
 *
 * A ring of slots, one per item in flight. A worker claims the next
 * sequence number and takes that sample off the reader under the lock
 * (the walk, and sample.json's bytes swapped into the slot), then
 * tokenizes it and runs prep() unlocked. The caller takes slots in
 * sequence order; the slot of item `cons` is reused for item cons + K
 * only once the caller has let go of it, so a worker never writes a slot
 * the caller holds.
 */
#include "dsfetch.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY, SLOT_END };

typedef struct {
    mg_dsitem it;
    int state;
    int rc;           /* SLOT_END: mg_dsread_next's 0 or -1 */
    char *raw;        /* the item's sample.json bytes (jobs >= 2) */
    size_t raw_cap;
    char rel[512], path[4700], error[300];
    char why[300];    /* the item's parse error, "sample.json: ..." */
    char err[300];    /* SLOT_END with rc -1: why */
} slot;

struct mg_dsfetch {
    mg_dsfetch_opts o;
    mg_dsread *rd;
    slot *slots;
    size_t nslots;    /* allocated */
    size_t k;         /* in the ring: nslots, or 1 with no thread */
    uint64_t claim;   /* next sequence number a worker takes */
    uint64_t cons;    /* the caller's next (or held) item */
    bool held;        /* the caller holds item cons */
    uint64_t given;   /* items given to the caller (progress.tick) */
    bool walk_end, stop;
    bool cons_waits;  /* the caller sleeps on `ready` */
    int idle;         /* workers asleep on `space` */
    int busy;         /* items being tokenized */
    pthread_mutex_t mu;
    pthread_cond_t ready, space;
    pthread_t th[MG_DSFETCH_MAX_JOBS];
    int nth;
};

/* Tokenize the item's text and run prep (any thread; the slot is its). */
static void
work(mg_dsfetch *f, slot *sl)
{
    mg_dsitem *it = &sl->it;
    it->ok = false;
    it->prep_rc = 0;
    if (!it->s.complete || it->s.error || !it->s.raw) return;
    it->doc.skip = f->o.skip;
    char msg[200];
    if (mg_jdoc_parse_opt(&it->doc, it->s.raw, it->s.raw_len, f->o.jflags,
                          msg, sizeof msg)) {
        snprintf(sl->why, sizeof sl->why, "sample.json: %s", msg);
        it->s.error = sl->why;
        return;
    }
    if (it->doc.t[0].type != MG_JT_OBJ) {
        snprintf(sl->why, sizeof sl->why, "sample.json: not an object");
        it->s.error = sl->why;
        return;
    }
    /* a name twice in one object (a hand edit: jsonout writes none): the
     * readers would disagree on its value (the first here, the last in
     * jansson and Python), and JSON Lines carrying both is refused by
     * DuckDB for the whole file; verify names it too. Objects inside
     * leaf arrays (MG_JDOC_LEAF_ARRAYS) are text here, not looked at. */
    long dup = mg_jdoc_dup_key(&it->doc);
    if (dup != -1) {
        if (dup == -2)
            snprintf(sl->why, sizeof sl->why, "sample.json: out of memory");
        else
            snprintf(sl->why, sizeof sl->why,
                     "sample.json: key \"%.*s\" appears twice in one "
                     "object (at byte %u)",
                     (int)(it->doc.t[dup].len < 64 ? it->doc.t[dup].len : 64),
                     it->doc.s + it->doc.t[dup].start,
                     it->doc.t[dup].start - 1);
        it->s.error = sl->why;
        return;
    }
    it->ok = true;
    if (f->o.prep) it->prep_rc = f->o.prep(it, f->o.ctx);
}

/* Keep what mg_dsread_next gave (valid only until its next call) in the
 * slot: its strings copied, its bytes swapped in. Under the lock. */
static void
take(mg_dsfetch *f, slot *sl, const mg_dsample *s)
{
    mg_dsample *d = &sl->it.s;
    *d = *s;
    snprintf(sl->rel, sizeof sl->rel, "%s", s->rel);
    snprintf(sl->path, sizeof sl->path, "%s", s->path);
    d->rel = sl->rel;
    d->path = sl->path;
    if (s->error) {
        snprintf(sl->error, sizeof sl->error, "%s", s->error);
        d->error = sl->error;
    }
    d->json = NULL;
    if (s->raw) {
        mg_dsread_swap_raw(f->rd, &sl->raw, &sl->raw_cap);
        d->raw = sl->raw;
    }
}

static void *
worker(void *arg)
{
    mg_dsfetch *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->stop && !f->walk_end && f->claim - f->cons >= f->k) {
            f->idle++;
            pthread_cond_wait(&f->space, &f->mu);
            f->idle--;
        }
        if (f->stop || f->walk_end) break;
        uint64_t seq = f->claim++;
        slot *sl = &f->slots[seq % f->k];
        mg_dsample s;
        int rc = mg_dsread_next(f->rd, &s, sl->err, sizeof sl->err);
        if (rc <= 0) {
            f->walk_end = true;
            sl->rc = rc;
            sl->state = SLOT_END;
            pthread_cond_broadcast(&f->ready);
            pthread_cond_broadcast(&f->space); /* the others: stop */
            break;
        }
        take(f, sl, &s);
        sl->state = SLOT_BUSY;
        f->busy++;
        pthread_mutex_unlock(&f->mu);
        work(f, sl);
        pthread_mutex_lock(&f->mu);
        sl->state = SLOT_READY;
        /* The caller, asleep, is woken once its slot is ready and a
         * quarter of the ring is done or under way past it, so that it
         * takes a run of items per wake-up, not one (a wake-up per item
         * was two context switches a sample). */
        f->busy--;
        if (f->cons_waits &&
            f->slots[f->cons % f->k].state == SLOT_READY &&
            (seq >= f->cons + f->k / 4 || f->walk_end || !f->busy))
            pthread_cond_signal(&f->ready);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void
stop_threads(mg_dsfetch *f)
{
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->space);
    pthread_cond_broadcast(&f->ready);
    pthread_mutex_unlock(&f->mu);
    for (int i = 0; i < f->nth; i++) pthread_join(f->th[i], NULL);
    f->nth = 0;
}

mg_dsfetch *
mg_dsfetch_open(const char *root, const mg_dsfetch_opts *o, char *err,
                size_t errlen)
{
    mg_dsfetch *f = calloc(1, sizeof *f);
    if (!f) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->ready, NULL);
    pthread_cond_init(&f->space, NULL);
    f->o = *o;
    int jobs = o->jobs < 1 ? 1 : o->jobs > MG_DSFETCH_MAX_JOBS
                                     ? MG_DSFETCH_MAX_JOBS
                                     : o->jobs;
    f->k = jobs > 1 ? (size_t)jobs * MG_DSFETCH_AHEAD : 1;
    f->rd = mg_dsread_open(root,
                           (o->dsflags & MG_DSREAD_PARTIALS) | MG_DSREAD_RAW,
                           err, errlen);
    f->slots = f->rd ? calloc(f->k, sizeof *f->slots) : NULL;
    f->nslots = f->slots ? f->k : 0;
    bool ok = f->slots != NULL;
    for (size_t i = 0; ok && i < f->nslots && o->user_size; i++)
        ok = (f->slots[i].it.user = calloc(1, o->user_size)) != NULL;
    if (!ok) {
        if (f->rd) mg_errf(err, errlen, "out of memory");
        mg_dsfetch_destroy(&f);
        return NULL;
    }
    /* prep may build jansson trees in the threads: jansson seeds its
     * hash tables at the first object, so seed it here, before them. */
    json_object_seed(0);
    /* jobs workers (the caller's thread writes; with one job it also
     * reads, and no thread is started). */
    for (int i = 0; jobs > 1 && i < jobs; i++) {
        if (pthread_create(&f->th[f->nth], NULL, worker, f)) break;
        f->nth++;
    }
    if (jobs > 1 && f->nth == 0) f->k = 1; /* no thread: all inline */
    return f;
}

int
mg_dsfetch_next(mg_dsfetch *f, mg_dsitem **out, char *err, size_t errlen)
{
    if (!f->nth) { /* inline: the reader's strings and bytes as they are */
        slot *sl = &f->slots[0];
        if (f->walk_end) return 0;
        int rc = mg_dsread_next(f->rd, &sl->it.s, err, errlen);
        if (rc <= 0) {
            f->walk_end = true;
            return rc;
        }
        work(f, sl);
        *out = &sl->it;
        if (f->o.progress.tick)
            f->o.progress.tick(f->o.progress.ud, ++f->given);
        return 1;
    }
    pthread_mutex_lock(&f->mu);
    if (f->held) {
        f->slots[f->cons % f->k].state = SLOT_FREE;
        f->cons++;
        f->held = false;
        /* Sleeping workers are woken once half the ring is free, not for
         * every slot (a wake-up per sample cost more than the sample's
         * hand-over). */
        if (f->idle && f->claim - f->cons <= f->k / 2)
            pthread_cond_broadcast(&f->space);
    }
    slot *sl = &f->slots[f->cons % f->k];
    while (sl->state != SLOT_READY && sl->state != SLOT_END) {
        f->cons_waits = true;
        pthread_cond_wait(&f->ready, &f->mu);
        f->cons_waits = false;
    }
    bool end = sl->state == SLOT_END;
    f->held = !end;
    pthread_mutex_unlock(&f->mu);
    if (end) {
        if (sl->rc < 0) mg_errf(err, errlen, "%s", sl->err);
        return sl->rc;
    }
    *out = &sl->it;
    if (f->o.progress.tick) f->o.progress.tick(f->o.progress.ud, ++f->given);
    return 1;
}

int
mg_dsfetch_shard_width(const mg_dsfetch *f)
{
    return mg_dsread_shard_width(f->rd);
}

int
mg_dsfetch_jobs(int jobs)
{
    if (jobs > 0) return jobs;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MG_DSFETCH_AUTO_JOBS ? MG_DSFETCH_AUTO_JOBS : (int)n;
}

void
mg_dsfetch_destroy(mg_dsfetch **fp)
{
    mg_dsfetch *f = *fp;
    if (!f) return;
    stop_threads(f);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->ready);
    pthread_cond_destroy(&f->space);
    for (size_t i = 0; i < f->nslots; i++) {
        mg_jdoc_free(&f->slots[i].it.doc);
        if (f->o.user_free && f->slots[i].it.user)
            f->o.user_free(f->slots[i].it.user);
        free(f->slots[i].it.user);
        free(f->slots[i].raw);
    }
    free(f->slots);
    mg_dsread_destroy(&f->rd);
    free(f);
    *fp = NULL;
}
