/*
 * dseval — reliability and construct validity of the audio score (see
 * dseval.h).
 *
 * Work is a list of items (a good sample and what is made from it); each
 * item yields a fixed number of scores. With jobs > 1 the items are
 * shared among forked processes (item i to process i % jobs), each with
 * its own engines and scratch directory, which send their scores back
 * through a pipe; the results do not depend on jobs. A rendering process
 * walks its items genre by genre, so it loads each genre's soundfonts
 * once.
 */
#include "dseval.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aread.h"
#include "ascore.h"
#include "config.h"
#include "dsread.h"
#include "dsscore.h"
#include "engine.h"
#include "errmsg.h"
#include "forksafe.h"
#include "genre.h"
#include "jsonout.h"
#include "rng.h"
#include "sampledir.h"

#define NSYN 5
#define NREAL 5

static const char *const syn_names[NSYN] = {
    "synth/silence", "synth/noise", "synth/clip", "synth/dc",
    "synth/monotone"};
static const char *const real_names[NREAL] = {
    "real/silence_gaps", "real/noise_overlay", "real/tempo_warp",
    "real/pitch_scramble", "real/time_reverse"};

void
mg_eval_defaults(mg_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->n = 0; /* per command */
    o->calls = 5;
    o->renders = 5;
    o->bootstrap_n = 200;
    o->threshold = 0.5;
    o->jobs = 1;
}

/* ---- statistics ------------------------------------------------------- */

double
mg_eval_auroc(const double *good, int n, const double *bad, int m)
{
    double wins = 0;
    if (!n || !m) return NAN;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            wins += good[i] > bad[j] ? 1 : good[i] == bad[j] ? 0.5 : 0;
    return wins / ((double)n * m);
}

static int
cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy's default (linear) percentile of sorted v. */
static double
pct_sorted(const double *v, int n, double p)
{
    if (n <= 0) return NAN;
    double k = (n - 1) * p / 100.0;
    int f = (int)floor(k), c = (int)ceil(k);
    return v[f] + (v[c] - v[f]) * (k - f);
}

static double
pct(const double *v, int n, double p)
{
    double *s = malloc(sizeof *s * (size_t)(n ? n : 1));
    if (!s) return NAN;
    memcpy(s, v, sizeof *s * (size_t)n);
    qsort(s, (size_t)n, sizeof *s, cmp_d);
    double r = pct_sorted(s, n, p);
    free(s);
    return r;
}

static void
mean_std(const double *v, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    int same = 1;
    for (int i = 1; i < n; i++)
        same &= v[i] == v[0];
    if (n && same) { /* exactly: (x + x + x) / 3 need not be x */
        *mean = v[0];
        *sd = 0;
        return;
    }
    for (int i = 0; i < n; i++)
        s += v[i];
    *mean = n ? s / n : NAN;
    for (int i = 0; i < n; i++)
        q += (v[i] - *mean) * (v[i] - *mean);
    *sd = n ? sqrt(q / n) : NAN; /* population, as numpy's std */
}

/* Drop NaNs (samples that could not be made) in place; new count. */
static int
compact(double *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i])) v[k++] = v[i];
    return k;
}

static json_t *
reals(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

static json_t *
num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* ---- signals ---------------------------------------------------------- */

static mg_rng
stream(int64_t seed, int set, int item)
{
    uint64_t st = (uint64_t)seed * 0x9E3779B97F4A7C15ull ^
                  (uint64_t)(set + 1) << 40 ^ (uint64_t)item;
    mg_rng r;
    mg_rng_seed(&r, mg_splitmix64(&st));
    return r;
}

static void
synth(int kind, mg_rng *r, float *y, size_t n, int rate)
{
    const double tau = 2 * M_PI;
    double f1 = mg_rng_range_f(r, 110, 880), f2 = mg_rng_range_f(r, 110, 880),
           f3 = mg_rng_range_f(r, 110, 880);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, v = 0;
        switch (kind) {
        case 0: v = 0; break;                                  /* silence */
        case 1: v = mg_rng_range_f(r, -0.5, 0.5); break;       /* noise */
        case 2:                                                /* clip */
            v = 0.9 * (sin(tau * f1 * t) + sin(tau * f2 * t) +
                       sin(tau * f3 * t));
            v = v > 1 ? 1 : v < -1 ? -1 : v;
            break;
        case 3: v = 0.3 + 0.1 * sin(tau * f1 * t); break;      /* dc */
        case 4: v = 0.5 * sin(tau * f1 * t); break;            /* monotone */
        }
        y[i] = (float)v;
    }
}

/* Linear interpolation of x at fractional position p (0 outside). */
static float
at(const float *x, size_t n, double p)
{
    if (p < 0 || p >= (double)(n - 1)) return 0;
    size_t i = (size_t)p;
    double f = p - (double)i;
    return (float)(x[i] * (1 - f) + x[i + 1] * f);
}

/* A corruption of the good mix x (n samples) into y (n samples). */
static void
corrupt(int kind, mg_rng *r, const float *x, float *y, size_t n, int rate)
{
    switch (kind) {
    case 0: { /* silence_gaps: 0.5-2 s kept, 0.5-2 s silent, alternating */
        size_t i = 0;
        bool on = true;
        while (i < n) {
            size_t len = (size_t)(mg_rng_range_f(r, 0.5, 2.0) * rate);
            for (size_t k = 0; k < len && i < n; k++, i++)
                y[i] = on ? x[i] : 0;
            on = !on;
        }
        break;
    }
    case 1: { /* noise_overlay: white noise at the mix's RMS (0 dB SNR) */
        double q = 0, peak = 0;
        for (size_t i = 0; i < n; i++)
            q += (double)x[i] * x[i];
        double rms = sqrt(q / (n ? n : 1)), a = rms * sqrt(3.0);
        for (size_t i = 0; i < n; i++) {
            y[i] = (float)(x[i] + mg_rng_range_f(r, -a, a));
            if (fabs(y[i]) > peak) peak = fabs(y[i]);
        }
        if (peak > 0.99)
            for (size_t i = 0; i < n; i++)
                y[i] = (float)(y[i] * 0.99 / peak);
        break;
    }
    case 2: { /* tempo_warp: speed 1 +- 0.3, a sine of period 3-8 s */
        double period = mg_rng_range_f(r, 3, 8), ph = mg_rng_uniform(r);
        double p = 0;
        for (size_t i = 0; i < n; i++) {
            y[i] = at(x, n, p);
            p += 1 + 0.3 * sin(2 * M_PI * ((double)i / rate / period + ph));
            if (p >= (double)(n - 1)) p = 0; /* loop: same length out */
        }
        break;
    }
    case 3: { /* pitch_scramble: each 0.5 s shifted by +-1..6 semitones */
        size_t seg = (size_t)(0.5 * rate);
        for (size_t s0 = 0; s0 < n; s0 += seg) {
            int k = mg_rng_range(r, 1, 6) * (mg_rng_chance(r, 0.5) ? 1 : -1);
            double step = pow(2, k / 12.0);
            for (size_t i = s0; i < s0 + seg && i < n; i++)
                y[i] = at(x, n, (double)s0 + (double)(i - s0) * step);
        }
        break;
    }
    case 4: /* time_reverse */
        for (size_t i = 0; i < n; i++)
            y[i] = x[n - 1 - i];
        break;
    }
}

static double
score_of(const float *x, size_t n, int rate, double lo, double hi)
{
    mg_ascore s;
    if (mg_ascore_analyze(x, n, rate, lo, hi, &s)) return NAN;
    return s.score;
}

/* ---- good samples ----------------------------------------------------- */

typedef struct {
    const mg_eval_opts *o;
    char genres[MG_EVAL_MAX_GENRES][64];
    int ngenres;
    /* render mode */
    char scratch[1000];
    mg_engine *e;
    int engine_genre;
    double lo, hi;
    /* dataset mode */
    mg_dsread *rd;
    long pos; /* samples with a mix given so far */
    mg_ds_tempo tempo;
} source;

static int
genre_list(const mg_eval_opts *o, source *src, char *err, size_t errlen)
{
    if (o->ngenres) {
        for (int i = 0; i < o->ngenres; i++)
            snprintf(src->genres[i], 64, "%s", o->genres[i]);
        src->ngenres = o->ngenres;
        return 0;
    }
    char **names;
    int n = mg_genre_list(o->genres_dir, &names, err, errlen);
    if (n < 0) return -1;
    for (int i = 0; i < n && src->ngenres < MG_EVAL_MAX_GENRES; i++)
        if (strcmp(names[i], "default"))
            snprintf(src->genres[src->ngenres++], 64, "%s", names[i]);
    mg_genre_names_free(names, n);
    if (!src->ngenres)
        return mg_errf(err, errlen, "no genres in %s", o->genres_dir);
    return 0;
}

static void
source_close(source *src)
{
    mg_engine_destroy(&src->e);
    mg_dsread_destroy(&src->rd);
    if (src->scratch[0]) mg_dir_remove(src->scratch);
    src->scratch[0] = 0;
}

/* Render sample `index` of genre g; the mix as mono float. */
static float *
render(source *src, int g, uint64_t index, size_t *n, int *rate, char *err,
       size_t errlen)
{
    const mg_eval_opts *o = src->o;
    if (!src->scratch[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(src->scratch, sizeof src->scratch, "%s/musicgen-eval-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(src->scratch)) {
            src->scratch[0] = 0;
            mg_errf(err, errlen, "cannot make a scratch directory in %s: %s",
                    tmp && *tmp ? tmp : "/tmp", strerror(errno));
            return NULL;
        }
    }
    if (!src->e || src->engine_genre != g) {
        mg_config c;
        mg_engine_destroy(&src->e);
        mg_config_defaults(&c);
        c.global_seed = o->seed;
        c.seed_set = true;
        c.output_mode = MG_OUT_MIX_ONLY;
        c.ngenres = 1;
        snprintf(c.genres[0], sizeof c.genres[0], "%s", src->genres[g]);
        snprintf(c.out_dir, sizeof c.out_dir, "%s", src->scratch);
        if (o->genres_dir)
            snprintf(c.genres_dir, sizeof c.genres_dir, "%s", o->genres_dir);
        if (o->sf_dir) snprintf(c.sf_dir, sizeof c.sf_dir, "%s", o->sf_dir);
        c.max_attempts = 3;
        for (int k = 0; k < MG_NPARTKINDS && k < 8; k++)
            if (o->measures_override[k])
                c.measures_override[k] = o->measures_override[k];
        src->e = mg_engine_new(&c, err, errlen);
        if (!src->e) return NULL;
        src->engine_genre = g;
        char *names[1] = {src->genres[g]};
        mg_genre *gs = mg_genre_resolve(c.genres_dir, names, 1, err, errlen);
        if (!gs) return NULL;
        src->lo = gs->tempo_min;
        src->hi = gs->tempo_max;
        mg_genre_destroy(&gs);
    }
    mg_row row;
    if (mg_engine_run(src->e, index, &row, err, errlen)) return NULL;
    char dir[4200], mix[4300];
    snprintf(dir, sizeof dir, "%s/%s", src->scratch, row.path);
    if (row.status != MG_ROW_OK) {
        mg_errf(err, errlen, "%s sample %llu could not be made: %s",
                src->genres[g], (unsigned long long)index, row.error);
        mg_dir_remove(dir);
        return NULL;
    }
    snprintf(mix, sizeof mix, "%s/mix.wav", dir);
    float *x = mg_aread_mono(mix, n, rate, err, errlen);
    mg_dir_remove(dir);
    return x;
}

/* The item-th sample with a mix of the dataset (items asked in order). */
static float *
from_dataset(source *src, long item, size_t *n, int *rate, char *err,
             size_t errlen)
{
    if (!src->rd) {
        src->rd = mg_dsread_open(src->o->dataset, MG_DSREAD_PARSE, err,
                                 errlen);
        if (!src->rd) return NULL;
        src->tempo.genres_dir = src->o->genres_dir;
    }
    mg_dsample ds;
    int got;
    while ((got = mg_dsread_next(src->rd, &ds, err, errlen)) > 0) {
        const char *mix = ds.json ? json_string_value(json_object_get(
                                        ds.json, "mix"))
                                  : NULL;
        if (!ds.complete || !mix) continue;
        if (src->pos++ != item) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", ds.path, mix);
        mg_ds_tempo_range(&src->tempo, json_object_get(ds.json, "genres"),
                          &src->lo, &src->hi);
        return mg_aread_mono(p, n, rate, err, errlen);
    }
    if (got == 0)
        mg_errf(err, errlen, "%s has only %ld samples with a mix; asked for "
                "%ld", src->o->dataset, src->pos, item + 1);
    return NULL;
}

/* ---- items ------------------------------------------------------------ */

typedef enum { W_VALIDITY, W_DET, W_RINV, W_SEED } work;

typedef struct {
    work w;
    int nitems, nvals;
    int n; /* samples per genre (seed) */
} plan;

/* Genre and sample index of item i. */
static void
item_where(const plan *p, const source *src, int i, int *g, uint64_t *index)
{
    if (p->w == W_SEED) {
        *g = i / p->n;
        *index = (uint64_t)(i % p->n);
    } else {
        *g = src->ngenres ? i % src->ngenres : 0; /* none: dataset mode */
        *index = (uint64_t)i;
    }
}

/* Compute item i's values; 0, or -1 with err (values then NaN). */
static int
do_item(const plan *p, source *src, int i, double *v, char *err,
        size_t errlen)
{
    const mg_eval_opts *o = src->o;
    int g, rate;
    uint64_t index;
    size_t n;
    float *x;
    for (int k = 0; k < p->nvals; k++)
        v[k] = NAN;
    item_where(p, src, i, &g, &index);
    if (p->w == W_RINV) {
        for (int k = 0; k < o->renders; k++) {
            x = render(src, g, index, &n, &rate, err, errlen);
            if (!x) return -1;
            v[k] = score_of(x, n, rate, src->lo, src->hi);
            free(x);
        }
        return 0;
    }
    x = o->dataset ? from_dataset(src, i, &n, &rate, err, errlen)
                   : render(src, g, index, &n, &rate, err, errlen);
    if (!x) return -1;
    v[0] = score_of(x, n, rate, src->lo, src->hi);
    if (p->w == W_DET) {
        for (int k = 1; k < o->calls; k++)
            v[k] = score_of(x, n, rate, src->lo, src->hi);
    } else if (p->w == W_VALIDITY) {
        float *y = malloc(sizeof *y * (n ? n : 1));
        if (!y) {
            free(x);
            return mg_errf(err, errlen, "out of memory");
        }
        for (int k = 0; k < NREAL; k++) {
            mg_rng r = stream(o->seed, NSYN + k, i);
            corrupt(k, &r, x, y, n, rate);
            v[1 + k] = score_of(y, n, rate, src->lo, src->hi);
        }
        /* synthetic signals as long as good sample i, at its rate: the
         * length cannot tell the sets apart */
        for (int k = 0; k < NSYN; k++) {
            mg_rng r = stream(o->seed, k, i);
            synth(k, &r, y, n, rate);
            v[1 + NREAL + k] = score_of(y, n, rate, 0, 0);
        }
        free(y);
    }
    free(x);
    if (o->verbose)
        fprintf(stderr, "eval: item %d (%s, index %llu): %.4f\n", i,
                o->dataset ? "dataset" : src->genres[g],
                (unsigned long long)index, v[0]);
    return 0;
}

static bool
o_dataset(const source *s)
{
    return s->o->dataset != NULL;
}

/* The items of process k of jobs, in the order that loads each genre's
 * engine once (render mode), into vals[i * nvals ...]. Stops at the first
 * error. */
static int
run_share(const plan *p, source *src, int k, int jobs, double *vals,
          int fd, char *err, size_t errlen)
{
    for (int g = 0; g < (o_dataset(src) ? 1 : src->ngenres); g++) {
        for (int i = 0; i < p->nitems; i++) {
            int gi;
            uint64_t idx;
            if (i % jobs != k) continue;
            item_where(p, src, i, &gi, &idx);
            if (!o_dataset(src) && gi != g) continue;
            double *v = vals + (size_t)i * p->nvals;
            if (do_item(p, src, i, v, err, errlen)) return -1;
            if (fd >= 0) {
                int32_t ii = i;
                if (write(fd, &ii, sizeof ii) != sizeof ii ||
                    write(fd, v, sizeof *v * (size_t)p->nvals) !=
                        (ssize_t)(sizeof *v * (size_t)p->nvals))
                    return mg_errf(err, errlen, "pipe: %s", strerror(errno));
            }
        }
    }
    return 0;
}

/* All items, by `jobs` processes; vals gets nitems * nvals values. */
static int
run_items(const plan *p, const mg_eval_opts *o, double *vals, char *err,
          size_t errlen)
{
    source src = {.o = o, .engine_genre = -1};
    int jobs = o->jobs < 1 ? 1 : o->jobs > 64 ? 64 : o->jobs;
    if (jobs > p->nitems) jobs = p->nitems > 0 ? p->nitems : 1;
    if (!o->dataset && genre_list(o, &src, err, errlen)) return -1;
    if (o->dataset) {
        /* enough samples with a mix? say so before any work */
        size_t n;
        int rate;
        float *x = from_dataset(&src, p->nitems - 1, &n, &rate, err, errlen);
        source_close(&src);
        src = (source){.o = o, .engine_genre = -1};
        if (!x) return -1;
        free(x);
    }
    for (size_t i = 0; i < (size_t)p->nitems * p->nvals; i++)
        vals[i] = NAN;
    if (jobs == 1) {
        int rc = run_share(p, &src, 0, 1, vals, -1, err, errlen);
        source_close(&src);
        return rc;
    }
    pid_t pids[64];
    int fds[64], started = 0, rc = 0;
    mg_await_one_thread(2000); /* the engine's font loaders' OpenMP threads */
    fflush(NULL);
    for (int k = 0; k < jobs; k++) {
        int pfd[2];
        if (pipe(pfd)) {
            rc = mg_errf(err, errlen, "pipe: %s", strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid < 0) {
            close(pfd[0]);
            close(pfd[1]);
            rc = mg_errf(err, errlen, "fork: %s", strerror(errno));
            break;
        }
        if (pid == 0) {
            char e2[1024] = "";
            close(pfd[0]);
            for (int j = 0; j < started; j++)
                close(fds[j]);
            int r = run_share(p, &src, k, jobs, vals, pfd[1], e2, sizeof e2);
            if (r) {
                /* the message travels as item -1 */
                int32_t neg = -1;
                uint32_t len = (uint32_t)strlen(e2);
                if (write(pfd[1], &neg, sizeof neg) < 0 ||
                    write(pfd[1], &len, sizeof len) < 0 ||
                    write(pfd[1], e2, len) < 0)
                    r = 1;
            }
            source_close(&src);
            close(pfd[1]);
            _exit(r ? 1 : 0);
        }
        close(pfd[1]);
        pids[started] = pid;
        fds[started++] = pfd[0];
    }
    /* Read every child's results (one pipe at a time is enough: each
     * child writes little, far below a pipe's buffer per item). */
    for (int k = 0; k < started; k++) {
        FILE *f = fdopen(fds[k], "r");
        int32_t i;
        while (f && fread(&i, sizeof i, 1, f) == 1) {
            if (i < 0) {
                uint32_t len = 0;
                char e2[1024] = "";
                if (fread(&len, sizeof len, 1, f) == 1 && len < sizeof e2 &&
                    fread(e2, 1, len, f) == len && !rc)
                    rc = mg_errf(err, errlen, "%s", e2);
                break;
            }
            if (i >= p->nitems ||
                fread(vals + (size_t)i * p->nvals, sizeof *vals,
                      (size_t)p->nvals, f) != (size_t)p->nvals)
                break;
        }
        if (f) fclose(f);
        else close(fds[k]);
    }
    for (int k = 0; k < started; k++) {
        int st;
        while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
            ;
        if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
            rc = mg_errf(err, errlen, "an eval process failed");
    }
    return rc;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *
genre_array(const mg_eval_opts *o, char *err, size_t errlen)
{
    source src = {.o = o};
    if (o->dataset) return json_array();
    if (genre_list(o, &src, err, errlen)) return NULL;
    json_t *a = json_array();
    for (int g = 0; g < src.ngenres; g++)
        json_array_append_new(a, json_string(src.genres[g]));
    return a;
}

json_t *
mg_eval_reliability(const mg_eval_opts *o, const char *type, char *err,
                    size_t errlen)
{
    plan p = {0};
    double t0 = now_s();
    int n = o->n > 0 ? o->n : (!strcmp(type, "seed") ? 20 : 5);
    if (!strcmp(type, "det")) {
        p.w = W_DET;
        p.nitems = n;
        p.nvals = o->calls;
    } else if (!strcmp(type, "rinv")) {
        p.w = W_RINV;
        p.nitems = n;
        p.nvals = o->renders;
    } else if (!strcmp(type, "seed")) {
        p.w = W_SEED;
        p.n = n;
        p.nvals = 1;
    } else {
        mg_errf(err, errlen, "--type: det, rinv or seed, not '%s'", type);
        return NULL;
    }
    if (o->dataset && p.w != W_DET) {
        mg_errf(err, errlen, "--type %s renders its samples: --dataset "
                "only serves det", type);
        return NULL;
    }
    if (p.nvals < 2 && p.w != W_SEED) {
        mg_errf(err, errlen, "need at least 2 calls or renders per sample");
        return NULL;
    }
    json_t *genres = genre_array(o, err, errlen);
    if (!genres) return NULL;
    if (p.w == W_SEED) p.nitems = n * (int)json_array_size(genres);
    double *v = calloc((size_t)p.nitems * p.nvals, sizeof *v);
    if (!v) {
        json_decref(genres);
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (run_items(&p, o, v, err, errlen)) {
        free(v);
        json_decref(genres);
        return NULL;
    }
    json_t *j = json_object();
    json_object_set_new(j, "type", json_string(type));
    json_object_set_new(j, "seed", json_integer(o->seed));
    json_object_set_new(j, "genres", genres);
    bool passed = true;
    if (p.w == W_SEED) {
        json_t *entries = json_array();
        size_t g;
        json_t *name;
        json_array_foreach(genres, g, name) {
            double *s = v + g * (size_t)n, mean, sd;
            int k = compact(s, n);
            mean_std(s, k, &mean, &sd);
            qsort(s, (size_t)k, sizeof *s, cmp_d);
            json_t *e = json_object();
            json_object_set(e, "genre", name);
            json_object_set_new(e, "n_seeds", json_integer(k));
            json_object_set_new(e, "mean", num_or_null(mean));
            json_object_set_new(e, "median", num_or_null(pct_sorted(s, k, 50)));
            json_object_set_new(e, "sigma", num_or_null(sd));
            json_object_set_new(e, "iqr", num_or_null(pct_sorted(s, k, 75) -
                                                      pct_sorted(s, k, 25)));
            json_object_set_new(e, "p10", num_or_null(pct_sorted(s, k, 10)));
            json_object_set_new(e, "p90", num_or_null(pct_sorted(s, k, 90)));
            json_object_set_new(e, "scores", reals(s, k));
            if (k < 2 || !(sd <= MG_EVAL_SEED_SIGMA_MAX)) passed = false;
            json_array_append_new(entries, e);
        }
        json_object_set_new(j, "n_seeds", json_integer(n));
        json_object_set_new(j, "sigma_max_allowed",
                            json_real(MG_EVAL_SEED_SIGMA_MAX));
        json_object_set_new(j, "entries", entries);
    } else {
        json_t *entries = json_array(), *all = json_array();
        double maxs = 0;
        for (int i = 0; i < p.nitems; i++) {
            double *s = v + (size_t)i * p.nvals, mean, sd;
            int k = compact(s, p.nvals);
            mean_std(s, k, &mean, &sd);
            if (k < p.nvals) passed = false;
            if (sd > maxs) maxs = sd;
            json_t *e = json_object();
            json_object_set_new(e, "sample_index", json_integer(i));
            if (!o->dataset)
                json_object_set(e, "genre",
                                json_array_get(genres, (size_t)i %
                                                   json_array_size(genres)));
            json_object_set_new(e, "sigma", num_or_null(sd));
            json_object_set_new(e, "scores", reals(s, k));
            json_array_append_new(entries, e);
            json_array_append_new(all, num_or_null(sd));
        }
        json_object_set_new(j, "n_samples", json_integer(p.nitems));
        json_object_set_new(j, p.w == W_DET ? "n_calls" : "n_renders",
                            json_integer(p.nvals));
        json_object_set_new(j, "all_sigma", all);
        json_object_set_new(j, "max_sigma", json_real(maxs));
        json_object_set_new(j, "entries", entries);
        if (maxs != 0) passed = false;
    }
    json_object_set_new(j, "passed", json_boolean(passed));
    json_object_set_new(j, "elapsed_seconds", json_real(now_s() - t0));
    free(v);
    return j;
}

/* Percentile bootstrap of the AUROC of each bad set and of their mean. */
static void
bootstrap(const mg_eval_opts *o, const double *good, int n, double **bad,
          const int *m, int nsets, double (*ci)[2], double overall[2])
{
    int B = o->bootstrap_n;
    double *g = malloc(sizeof *g * (size_t)(n ? n : 1));
    double *b = malloc(sizeof *b * 1024 * 64);
    double *dist = malloc(sizeof *dist * (size_t)B * (nsets + 1));
    mg_rng r;
    mg_rng_seed(&r, (uint64_t)o->seed ^ 0xB0075742ull);
    if (!g || !b || !dist || B < 1 || n < 1) {
        for (int k = 0; k < nsets; k++)
            ci[k][0] = ci[k][1] = NAN;
        overall[0] = overall[1] = NAN;
        free(g);
        free(b);
        free(dist);
        return;
    }
    for (int it = 0; it < B; it++) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            g[i] = good[mg_rng_range(&r, 0, n - 1)];
        for (int k = 0; k < nsets; k++) {
            int mk = m[k] < 1024 * 64 ? m[k] : 1024 * 64;
            for (int i = 0; i < mk; i++)
                b[i] = bad[k][mg_rng_range(&r, 0, mk - 1)];
            double a = mg_eval_auroc(g, n, b, mk);
            dist[(size_t)k * B + it] = a;
            sum += a;
        }
        dist[(size_t)nsets * B + it] = sum / nsets;
    }
    for (int k = 0; k <= nsets; k++) {
        double *d = dist + (size_t)k * B;
        qsort(d, (size_t)B, sizeof *d, cmp_d);
        double lo = pct_sorted(d, B, 2.5), hi = pct_sorted(d, B, 97.5);
        if (k < nsets) {
            ci[k][0] = lo;
            ci[k][1] = hi;
        } else {
            overall[0] = lo;
            overall[1] = hi;
        }
    }
    free(g);
    free(b);
    free(dist);
}

json_t *
mg_eval_validity(const mg_eval_opts *o, const char *mode, char *err,
                 size_t errlen)
{
    double t0 = now_s();
    bool good_only = !strcmp(mode, "good"), bad_only = !strcmp(mode, "bad");
    if (!good_only && !bad_only && strcmp(mode, "both")) {
        mg_errf(err, errlen, "--mode: good, bad or both, not '%s'", mode);
        return NULL;
    }
    int n = o->n > 0 ? o->n : 100;
    plan p = {.w = W_VALIDITY, .nitems = n, .nvals = 1 + NREAL + NSYN};
    json_t *genres = genre_array(o, err, errlen);
    if (!genres) return NULL;
    double *v = calloc((size_t)n * p.nvals, sizeof *v);
    double *cols = calloc((size_t)n * p.nvals, sizeof *cols);
    if (!v || !cols) {
        free(v);
        free(cols);
        json_decref(genres);
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    if (run_items(&p, o, v, err, errlen)) {
        free(v);
        free(cols);
        json_decref(genres);
        return NULL;
    }
    /* columns: 0 good, 1..5 real, 6..10 synth; NaNs dropped */
    int cn[11];
    for (int c = 0; c < p.nvals; c++) {
        double *col = cols + (size_t)c * n;
        for (int i = 0; i < n; i++)
            col[i] = v[(size_t)i * p.nvals + c];
        cn[c] = compact(col, n);
    }
    free(v);
    json_t *j = json_object();
    json_object_set_new(j, "seed", json_integer(o->seed));
    json_object_set_new(j, "genres", genres);
    if (o->dataset) mg_json_set_path(j, "dataset", o->dataset);
    json_object_set_new(j, "mode", json_string(mode));
    double gm, gs;
    mean_std(cols, cn[0], &gm, &gs);
    json_object_set_new(j, "n_good", json_integer(cn[0]));
    if (!bad_only) {
        json_object_set_new(j, "good_mean", num_or_null(gm));
        json_object_set_new(j, "good_std", num_or_null(gs));
        json_object_set_new(j, "good_p10", num_or_null(pct(cols, cn[0], 10)));
        json_object_set_new(j, "good_p90", num_or_null(pct(cols, cn[0], 90)));
        json_object_set_new(j, "good_scores", reals(cols, cn[0]));
    }
    if (!good_only) {
        /* pathologies in the Python tool's order: synthetic, then real */
        static const int order[10] = {6, 7, 8, 9, 10, 1, 2, 3, 4, 5};
        double *bad[10], ci[10][2] = {{0}}, overall_ci[2] = {NAN, NAN}, sum = 0;
        int m[10];
        for (int k = 0; k < 10; k++) {
            bad[k] = cols + (size_t)order[k] * n;
            m[k] = cn[order[k]];
        }
        bool both = !bad_only;
        if (both)
            bootstrap(o, cols, cn[0], bad, m, 10, ci, overall_ci);
        json_t *paths = json_array();
        for (int k = 0; k < 10; k++) {
            int c = order[k];
            double bm, bs, rej = 0;
            mean_std(bad[k], m[k], &bm, &bs);
            for (int i = 0; i < m[k]; i++)
                rej += bad[k][i] < o->threshold;
            json_t *e = json_object();
            json_object_set_new(e, "name", json_string(c >= 6
                                                       ? syn_names[c - 6]
                                                       : real_names[c - 1]));
            json_object_set_new(e, "n", json_integer(m[k]));
            json_object_set_new(e, "mean", num_or_null(bm));
            json_object_set_new(e, "std", num_or_null(bs));
            json_object_set_new(e, "rejection_rate",
                                num_or_null(m[k] ? rej / m[k] : NAN));
            if (both) {
                double a = mg_eval_auroc(cols, cn[0], bad[k], m[k]);
                double pooled = sqrt((gs * gs + bs * bs) / 2);
                sum += a;
                json_object_set_new(e, "auroc", num_or_null(a));
                json_t *cia = json_array();
                json_array_append_new(cia, num_or_null(ci[k][0]));
                json_array_append_new(cia, num_or_null(ci[k][1]));
                json_object_set_new(e, "auroc_ci_95", cia);
                json_object_set_new(e, "cohens_d",
                                    gs > 0 && bs > 0
                                        ? json_real((gm - bm) / pooled)
                                        : json_null());
                json_object_set_new(e, "is_chance_level",
                                    json_boolean(ci[k][0] <= 0.5 &&
                                                 ci[k][1] >= 0.5));
            }
            json_object_set_new(e, "scores", reals(bad[k], m[k]));
            json_array_append_new(paths, e);
        }
        if (both) {
            double overall = sum / 10;
            json_t *cia = json_array();
            json_array_append_new(cia, num_or_null(overall_ci[0]));
            json_array_append_new(cia, num_or_null(overall_ci[1]));
            json_object_set_new(j, "overall_auroc", num_or_null(overall));
            json_object_set_new(j, "overall_auroc_ci", cia);
            json_object_set_new(j, "criterion_auroc_min",
                                json_real(MG_EVAL_AUROC_MIN));
            json_object_set_new(j, "passed",
                                json_boolean(overall >= MG_EVAL_AUROC_MIN));
        }
        json_object_set_new(j, "bootstrap_n", json_integer(o->bootstrap_n));
        json_object_set_new(j, "rejection_threshold", json_real(o->threshold));
        json_object_set_new(j, "pathologies", paths);
    }
    json_object_set_new(j, "elapsed_seconds", json_real(now_s() - t0));
    free(cols);
    return j;
}
