/*
 * genre_merge — several genre specs merged into one (mg_genre_merge,
 * mg_genre_resolve); the rule is documented for users in docs/genres.md.
 *
 * Invariants: weight tables are averaged after each is normalised (a
 * spec's scale never outweighs another's); ranges are intersected, and
 * an empty intersection is an error naming both genres.
 */
#include "genre_priv.h"
#include "errmsg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- merge --------------------------------------------------------- */

/* Sum of the normalised tables of all specs, divided by n. */
static void
avg_normalised(double *out, mg_genre *const *specs, int n, size_t off,
               int len)
{
    for (int i = 0; i < len; i++)
        out[i] = 0;
    for (int s = 0; s < n; s++) {
        const double *w = (const double *)((const char *)specs[s] + off);
        double sum = 0;
        for (int i = 0; i < len; i++)
            sum += w[i];
        if (sum <= 0)
            continue;
        for (int i = 0; i < len; i++)
            out[i] += w[i] / sum / n;
    }
}

static int
merge_range(mg_genre *const *specs, int n, const char *what, size_t off_lo,
            size_t off_hi, double *lo, double *hi, char *err, size_t errlen)
{
#define LO(s) (*(const double *)((const char *)(s) + off_lo))
#define HI(s) (*(const double *)((const char *)(s) + off_hi))
    *lo = LO(specs[0]);
    *hi = HI(specs[0]);
    for (int i = 1; i < n; i++) {
        *lo = fmax(*lo, LO(specs[i]));
        *hi = fmin(*hi, HI(specs[i]));
        if (*lo > *hi) {
            /* name the earlier genre whose range misses this one */
            int j = 0;
            for (; j < i; j++)
                if (HI(specs[j]) < LO(specs[i]) ||
                    LO(specs[j]) > HI(specs[i]))
                    break;
            if (j == i)
                j = 0;
            mg_errf(err, errlen,
                   "genres %s and %s cannot be merged: %s ranges %g-%g "
                   "and %g-%g do not overlap",
                   specs[j]->name, specs[i]->name, what, LO(specs[j]),
                   HI(specs[j]), LO(specs[i]), HI(specs[i]));
            return -1;
        }
    }
    return 0;
#undef LO
#undef HI
}

mg_genre *
mg_genre_merge(mg_genre *const *specs, int n, char *err, size_t errlen)
{
    mg_genre *g;
    const mg_genre *first = NULL;

    if (n < 1 || n > MG_MAX_GENRES) {
        mg_errf(err, errlen, "can merge 1..%d genres, not %d",
               MG_MAX_GENRES, n);
        return NULL;
    }
    if (!(g = calloc(1, sizeof *g))) {
        mg_errf(err, errlen, "out of memory merging genres");
        return NULL;
    }
    first = specs[0];
    /* name "a+b+c", truncated to fit */
    for (int i = 0; i < n; i++) {
        size_t len = strlen(g->name);
        snprintf(g->name + len, sizeof g->name - len, "%s%s", i ? "+" : "",
                 specs[i]->name);
    }
    snprintf(g->style, sizeof g->style, "%s", first->style);
    if (n == 1)
        snprintf(g->description, sizeof g->description, "%s",
                 first->description);
    else
        snprintf(g->description, sizeof g->description,
                 "merge of %s (docs/genres.md)", g->name);
    if (merge_range(specs, n, "tempo", offsetof(mg_genre, tempo_min),
                    offsetof(mg_genre, tempo_max), &g->tempo_min,
                    &g->tempo_max, err, errlen) != 0 ||
        merge_range(specs, n, "swing", offsetof(mg_genre, swing_min),
                    offsetof(mg_genre, swing_max), &g->swing_min,
                    &g->swing_max, err, errlen) != 0)
        goto bad;
    avg_normalised(g->ts_weight, specs, n, offsetof(mg_genre, ts_weight),
                   MG_NTS);
    avg_normalised(g->key_weight, specs, n, offsetof(mg_genre, key_weight),
                   MG_NKEYS);
    avg_normalised(g->chord_weight, specs, n,
                   offsetof(mg_genre, chord_weight), MG_NCHORDTYPES);
    avg_normalised(g->inversion_weight, specs, n,
                   offsetof(mg_genre, inversion_weight), 4);
    /* chord filter: permissive wins */
    g->chord_filter = true;
    for (int i = 0; i < n; i++) {
        if (!specs[i]->chord_filter)
            g->chord_filter = false;
        for (int t = 0; t < MG_NCHORDTYPES; t++)
            g->chord_allowed[t] |= specs[i]->chord_allowed[t];
    }
    if (!g->chord_filter)
        memset(g->chord_allowed, 0, sizeof g->chord_allowed);
    /* performance and loudness: plain mean, field by field (all doubles) */
    {
        double *d = (double *)&g->perf;
        size_t nd = sizeof g->perf / sizeof(double);
        memset(&g->perf, 0, sizeof g->perf);
        for (int i = 0; i < n; i++) {
            const double *e = (const double *)&specs[i]->perf;
            for (size_t q = 0; q < nd; q++)
                d[q] += e[q] / n;
        }
    }
    /* probabilities and multipliers: plain mean */
    for (int i = 0; i < n; i++) {
        for (int l = 0; l < MG_NLAYERS; l++)
            g->layer_prob[l] += specs[i]->layer_prob[l] / n;
        for (int f = 0; f < MG_NFX; f++)
            g->fx_profile[f] += specs[i]->fx_profile[f] / n;
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        /* tags: union in first-genre order, the first MG_MAX_TAGS kept */
        for (int i = 0; i < n; i++)
            for (int t = 0; t < specs[i]->ntags[l]; t++) {
                const char *tag = specs[i]->tags[l][t];
                bool seen = false;
                for (int q = 0; q < g->ntags[l]; q++)
                    seen |= !strcmp(g->tags[l][q], tag);
                if (!seen && g->ntags[l] < MG_MAX_TAGS)
                    snprintf(g->tags[l][g->ntags[l]++], 32, "%s", tag);
            }
        /* programs: union with averaged normalised weights; past
         * MG_MAX_PROGRAMS the lightest are dropped (stable order) */
        int np = 0, prog[MG_MAX_GENRES * MG_MAX_PROGRAMS];
        double w[MG_MAX_GENRES * MG_MAX_PROGRAMS];
        for (int i = 0; i < n; i++) {
            double sum = 0;
            for (int p = 0; p < specs[i]->nprograms[l]; p++)
                sum += specs[i]->program_weight[l][p];
            for (int p = 0; p < specs[i]->nprograms[l]; p++) {
                int q = 0;
                while (q < np && prog[q] != specs[i]->program[l][p])
                    q++;
                if (q == np) {
                    prog[np] = specs[i]->program[l][p];
                    w[np++] = 0;
                }
                if (sum > 0)
                    w[q] += specs[i]->program_weight[l][p] / sum / n;
            }
        }
        while (np > MG_MAX_PROGRAMS) {
            int lightest = np - 1;
            for (int q = np - 1; q >= 0; q--)
                if (w[q] < w[lightest])
                    lightest = q;
            memmove(&prog[lightest], &prog[lightest + 1],
                    (size_t)(np - lightest - 1) * sizeof *prog);
            memmove(&w[lightest], &w[lightest + 1],
                    (size_t)(np - lightest - 1) * sizeof *w);
            np--;
        }
        g->nprograms[l] = np;
        for (int q = 0; q < np; q++) {
            g->program[l][q] = prog[q];
            g->program_weight[l][q] = w[q];
        }
    }
    /* drum patterns: union, deduplicated by content */
    for (int ts = 0; ts < MG_NTS; ts++) {
        int total = 0;
        for (int i = 0; i < n; i++)
            total += specs[i]->npatterns[ts];
        if (!total)
            continue;
        g->patterns[ts] = malloc((size_t)total * sizeof *g->patterns[ts]);
        if (!g->patterns[ts]) {
            mg_errf(err, errlen, "out of memory merging genres");
            goto bad;
        }
        for (int i = 0; i < n; i++)
            for (int p = 0; p < specs[i]->npatterns[ts]; p++) {
                const mg_drum_pattern *pat = &specs[i]->patterns[ts][p];
                bool dup = false;
                for (int q = 0; q < g->npatterns[ts] && !dup; q++)
                    dup = genre_pattern_equal(&g->patterns[ts][q], pat);
                if (!dup)
                    g->patterns[ts][g->npatterns[ts]++] = *pat;
            }
    }
    /* song form: the first genre's */
    g->narrangements = first->narrangements;
    memcpy(g->arrangement, first->arrangement, sizeof g->arrangement);
    memcpy(g->measures_min, first->measures_min, sizeof g->measures_min);
    memcpy(g->measures_max, first->measures_max, sizeof g->measures_max);
    memcpy(g->part_layer_prob, first->part_layer_prob,
           sizeof g->part_layer_prob);
    g->ts_change_prob = first->ts_change_prob;
    /* Markov tables: the first genre in the list that has one */
    for (int i = 0; i < n && !g->chords.order; i++)
        if (specs[i]->chords.order)
            g->chords = specs[i]->chords;
    for (int i = 0; i < n && !g->melody.order; i++)
        if (specs[i]->melody.order)
            g->melody = specs[i]->melody;
    return g;
bad:
    mg_genre_destroy(&g);
    return NULL;
}

mg_genre *
mg_genre_resolve(const char *genres_dir, char *const *names, int n,
                 char *err, size_t errlen)
{
    mg_genre *specs[MG_MAX_GENRES] = {0}, *g = NULL;

    if (n == 0)
        return mg_genre_default(genres_dir, err, errlen);
    if (n < 0 || n > MG_MAX_GENRES) {
        mg_errf(err, errlen, "at most %d genres can be merged",
               MG_MAX_GENRES);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (!(specs[i] = mg_genre_load(genres_dir, names[i], err, errlen)))
            goto out;
    g = n == 1 ? specs[0] : mg_genre_merge(specs, n, err, errlen);
    if (n == 1)
        specs[0] = NULL;
out:
    for (int i = 0; i < n; i++)
        mg_genre_destroy(&specs[i]);
    return g;
}
