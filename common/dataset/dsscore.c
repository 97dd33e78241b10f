/*
 * dsscore — post-hoc audio scoring of a dataset (see dsscore.h).
 *
 * One pass in index order over the sample directories merged with the
 * manifest's rows (also in index order): a row is written to the new
 * manifest once every sample at or below its index has been handled, so
 * memory stays constant. The samples come through dsfetch: its threads
 * read each sample.json, build its tree, hash and analyse its mix ahead
 * (prep_score); this thread replaces the sample.json files and writes
 * the log and the manifest, in index order, one at a time (so the kill
 * hook counts the same steps at every --jobs). Genre tempo ranges are
 * resolved once per distinct genre list (a handful per dataset), under a
 * lock.
 */
#include "dsscore.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "aread.h"
#include "ascore.h"
#include "dsfetch.h"
#include "dsfile.h"
#include "dsread.h"
#include "dsverify.h"
#include "errmsg.h"
#include "genre.h"
#include "jsonout.h"
#include "runlock.h"

void
mg_ds_test_step(void)
{
    static long left = -2;
    if (left == -2) {
        const char *e = getenv("MUSICGEN_TEST_KILL_AFTER");
        left = e && *e ? atol(e) : -1;
    }
    if (left < 0) return;
    if (--left <= 0) raise(SIGKILL);
}

void
mg_ds_tempo_range(mg_ds_tempo *rg, const json_t *genres, double *lo,
                  double *hi)
{
    char key[256] = "", *names[16];
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(genres, i, e) {
        const char *s = json_string_value(e);
        if (!s || n == 16) continue;
        size_t l = strlen(key);
        snprintf(key + l, sizeof key - l, "%s%s", l ? "," : "", s);
        names[n++] = (char *)s;
    }
    for (int k = 0; k < rg->n; k++)
        if (!strcmp(rg->r[k].key, key)) {
            *lo = rg->r[k].lo;
            *hi = rg->r[k].hi;
            return;
        }
    char err[512];
    mg_genre *g = mg_genre_resolve(rg->genres_dir, names, n, err, sizeof err);
    /* A genre this machine does not have: the analyser's default range. */
    *lo = g ? g->tempo_min : 0;
    *hi = g ? g->tempo_max : 0;
    mg_genre_destroy(&g);
    if (rg->n < MG_DS_TEMPO_RANGES) {
        snprintf(rg->r[rg->n].key, sizeof rg->r[rg->n].key, "%s", key);
        rg->r[rg->n].lo = *lo;
        rg->r[rg->n].hi = *hi;
        rg->n++;
    }
}

/* What a fetch thread found out about one sample (prep_score): the
 * analysis, the slow part, done ahead; the caller then writes in index
 * order (write_one). */
enum { V_UNREADABLE, V_ALREADY, V_NO_AUDIO, V_PROBLEM, V_SCORE };

typedef struct {
    json_t *j;      /* sample.json's tree (NULL: V_UNREADABLE) */
    int verdict;
    char msg[700];  /* V_PROBLEM: the log line's text after the sample */
    mg_ascore sc;   /* V_SCORE */
    double sym;     /* V_SCORE: musicality.symbolic.score */
} scored;

typedef struct {
    bool force;
    mg_ds_tempo rg;
    pthread_mutex_t mu; /* rg is shared by the fetch threads */
} score_ctx;

static void
scored_free(void *user)
{
    scored *v = user;
    json_decref(v->j);
    v->j = NULL;
}

/* In a fetch thread: the sample's tree, and whether and how it is to be
 * scored (the mix's SHA-256 checked against the record, then analysed). */
static int
prep_score(mg_dsitem *it, void *ctxp)
{
    score_ctx *cx = ctxp;
    scored *v = it->user;
    scored_free(v);
    v->verdict = V_UNREADABLE;
    json_t *j = v->j = mg_jdoc_to_json(&it->doc, 0);
    if (!j) return 0; /* a string not valid UTF-8 */
    char path[4300], hex[65], err[600];
    const char *mix = json_string_value(json_object_get(j, "mix"));
    v->verdict = V_PROBLEM;
    if (!cx->force && json_is_object(json_object_get(j, "audio_score"))) {
        v->verdict = V_ALREADY;
        return 0;
    }
    if (!mix) {
        v->verdict = V_NO_AUDIO;
        return 0;
    }
    json_t *mus = json_object_get(j, "musicality");
    json_t *sym = json_object_get(json_object_get(mus, "symbolic"), "score");
    if (!json_is_object(mus) || !json_is_number(sym)) {
        snprintf(v->msg, sizeof v->msg, "sample.json: no "
                 "musicality.symbolic.score to combine with");
        return 0;
    }
    const char *want = json_string_value(
        json_object_get(json_object_get(j, "checksums"), mix));
    snprintf(path, sizeof path, "%s/%s", it->s.path, mix);
    if (mg_dsverify_sha256(path, hex)) {
        snprintf(v->msg, sizeof v->msg, "%s: %s", mix, strerror(errno));
        return 0;
    }
    if (!want || strcmp(want, hex)) {
        snprintf(v->msg, sizeof v->msg, "%s: SHA-256 %s the record: not "
                 "scored (run musicgen verify)", mix,
                 want ? "differs from" : "missing from");
        return 0;
    }
    size_t n;
    int rate;
    float *x = mg_aread_mono(path, &n, &rate, err, sizeof err);
    if (!x) {
        /* err is "PATH: what" (aread.h); the log names the sample */
        snprintf(v->msg, sizeof v->msg, "%s%s", mix, err + strlen(path));
        return 0;
    }
    double lo, hi;
    pthread_mutex_lock(&cx->mu);
    mg_ds_tempo_range(&cx->rg, json_object_get(j, "genres"), &lo, &hi);
    pthread_mutex_unlock(&cx->mu);
    int rc = mg_ascore_analyze(x, n, rate, lo, hi, &v->sc);
    free(x);
    if (rc) {
        snprintf(v->msg, sizeof v->msg, "%s: out of memory", mix);
        return 0;
    }
    v->sym = json_number_value(sym);
    v->verdict = V_SCORE;
    return 0;
}

/* In the caller's thread, in index order: count, log, and for a scored
 * sample replace sample.json. 1 when it was replaced, 0 when there was
 * nothing to do, -1 on a problem (logged). */
static int
write_one(const mg_dsample *ds, scored *v, FILE *log, mg_dsscore_totals *t)
{
    char path[4300], err[600];
    switch (v->verdict) {
    case V_ALREADY: t->already++; return 0;
    case V_NO_AUDIO: t->no_audio++; return 0;
    case V_PROBLEM:
        fprintf(log, "%s: %s\n", ds->rel, v->msg);
        return -1;
    default: break;
    }
    json_t *j = v->j;
    double total = 0.5 * v->sym + 0.5 * v->sc.score;
    json_object_set_new(j, "audio_score", mg_ascore_json(&v->sc));
    json_object_set_new(json_object_get(j, "musicality"), "combination",
                        json_string("0.5*symbolic+0.5*audio"));
    json_object_set_new(j, "musicality_score", mg_json_real(total, 4));
    char *text = mg_json_dump(j, 2);
    if (!text) {
        fprintf(log, "%s: sample.json: out of memory\n", ds->rel);
        return -1;
    }
    snprintf(path, sizeof path, "%s/sample.json", ds->path);
    int rc = mg_dsfile_replace(path, text, strlen(text), err, sizeof err);
    free(text);
    if (rc) {
        fprintf(log, "%s: %s\n", ds->rel, err);
        return -1;
    }
    fprintf(log, "%s: scored: audio %.4f, musicality_score %.4f\n", ds->rel,
            v->sc.score, round(total * 1e4) / 1e4);
    mg_ds_test_step();
    return 1;
}

/* Manifest side: rows read ahead, written to the new file in order. */
typedef struct {
    mg_dsmanifest *m;
    mg_dsout *out;
    json_t *row;
    uint64_t index;
    bool have;
    FILE *log;
    mg_dsscore_totals *t;
} mrows;

static void
mrows_next(mrows *mr)
{
    char err[600];
    json_t *row;
    long line;
    json_decref(mr->row);
    mr->row = NULL;
    mr->have = false;
    for (;;) {
        int rc = mg_dsmanifest_next(mr->m, &row, &line, err, sizeof err);
        if (rc == 0) return;
        if (rc < 0) {
            /* A line that is not JSON is kept out of the new manifest:
             * say so, it is the one thing this rewrite changes. */
            fprintf(mr->log, "%s (dropped from the new manifest)\n", err);
            mr->t->dropped_rows++;
            continue;
        }
        json_t *ix = json_object_get(row, "sample_index");
        if (!json_is_integer(ix) || json_integer_value(ix) < 0) {
            /* as filter's rewrite (dsfilter.c) */
            fprintf(mr->log, "manifest.jsonl:%ld: no sample_index (dropped "
                    "from the new manifest)\n", line);
            mr->t->dropped_rows++;
            continue;
        }
        mr->row = json_incref(row);
        mr->index = (uint64_t)json_number_value(
            json_object_get(row, "sample_index"));
        mr->have = true;
        return;
    }
}

static void
mrows_emit(mrows *mr)
{
    if (mg_dsout_row(mr->out, mr->row) == 0) mr->t->rows++;
    mrows_next(mr);
}

static int
score_run(const char *root, bool force, const char *genres_dir, int jobs,
          const mg_dsprogress *progress, FILE *log, mg_dsscore_totals *t,
          char *err, size_t errlen)
{
    char mpath[4200];
    score_ctx cx = {.force = force, .rg = {.genres_dir = genres_dir}};
    pthread_mutex_init(&cx.mu, NULL);
    /* Each sample read, its tree built, its mix hashed and analysed by
     * fetch threads ahead (dsfetch.h); written here, in order. */
    mg_dsfetch_opts fo = {.jobs = mg_dsfetch_jobs(jobs),
                          .user_size = sizeof(scored),
                          .prep = prep_score,
                          .ctx = &cx,
                          .user_free = scored_free};
    if (progress) fo.progress = *progress;
    mg_dsfetch *f = mg_dsfetch_open(root, &fo, err, errlen);
    if (!f) {
        pthread_mutex_destroy(&cx.mu);
        return -1;
    }
    mrows mr = {.log = log, .t = t};
    char merr[600];
    mr.m = mg_dsmanifest_open(root, merr, sizeof merr);
    if (!mr.m && errno != ENOENT) {
        mg_dsfetch_destroy(&f);
        pthread_mutex_destroy(&cx.mu);
        return mg_errf(err, errlen, "%s", merr);
    }
    if (mr.m) {
        snprintf(mpath, sizeof mpath, "%s/manifest.jsonl", root);
        mr.out = mg_dsout_open(mpath, err, errlen);
        if (!mr.out) {
            mg_dsmanifest_destroy(&mr.m);
            mg_dsfetch_destroy(&f);
            pthread_mutex_destroy(&cx.mu);
            return -1;
        }
        mrows_next(&mr);
    } else {
        fprintf(log, "%s: no manifest.jsonl: only the samples are scored\n",
                root);
    }
    mg_dsitem *it;
    int rc = 0, got;
    while ((got = mg_dsfetch_next(f, &it, err, errlen)) > 0) {
        const mg_dsample *ds = &it->s;
        if (!ds->complete) continue;
        t->samples++;
        double score = NAN;
        scored *v = it->user;
        if (!it->ok || !v->j) {
            /* ds->error: "sample.json: line L: what" (dsfetch) */
            fprintf(log, "%s: %s\n", ds->rel,
                    !it->ok ? (ds->error ? ds->error
                                         : "sample.json: unreadable")
                            : "sample.json: invalid UTF-8 in a string");
            t->problems++;
        } else {
            int r = write_one(ds, v, log, t);
            if (r < 0) t->problems++;
            if (r > 0) t->scored++;
            json_t *ms = json_object_get(v->j, "musicality_score");
            if (json_is_number(ms)) score = json_number_value(ms);
        }
        scored_free(v);
        if (!mr.out) continue;
        while (mr.have && mr.index < ds->index)
            mrows_emit(&mr);
        while (mr.have && mr.index == ds->index) {
            const char *st = json_string_value(json_object_get(mr.row,
                                                               "status"));
            if (st && !strcmp(st, "ok") && !isnan(score))
                json_object_set_new(mr.row, "musicality_score",
                                    mg_json_real(score, 4));
            mrows_emit(&mr);
        }
    }
    if (got < 0) rc = -1;
    if (mr.out) {
        while (rc == 0 && mr.have)
            mrows_emit(&mr);
        if (rc == 0)
            rc = mg_dsout_commit(&mr.out, err, errlen);
        else
            mg_dsout_abort(&mr.out);
    }
    json_decref(mr.row);
    mg_dsmanifest_destroy(&mr.m);
    mg_dsfetch_destroy(&f);
    pthread_mutex_destroy(&cx.mu);
    return rc;
}

int
mg_dsscore_run(const char *root, bool force, const char *genres_dir, int jobs,
               const mg_dsprogress *progress, FILE *log, mg_dsscore_totals *t,
               char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (mg_dsread_root_check(root, NULL, err, errlen))
        return -1;
    /* one writer of the tree at a time */
    int lk = mg_runlock_take(root, "musicgen score", err, errlen);
    if (lk < 0) return -1;
    int rc = score_run(root, force, genres_dir, jobs, progress, log, t, err,
                       errlen);
    mg_runlock_release(lk);
    return rc;
}
