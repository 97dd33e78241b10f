/*
 * dsstats — dataset distribution summary (see dsstats.h).
 *
 * Dimensions and histograms are tables below, so the text report, the
 * JSON and the charts list the same things in the same order.
 */
#include "dsstats.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dsnames.h"
#include "dsfetch.h"
#include "dsread.h"
#include "errmsg.h"
#include "jdoc.h"
#include "jsonout.h"
#include "sampledir.h"
#include "svg.h"

typedef struct {
    char name[80];
    uint64_t n;
} counter;

typedef struct {
    counter c[MG_DSSTATS_MAXKEYS + 1]; /* the last one: "(other)" */
    int n;
} dim;

enum { D_SPLIT, D_GENRE, D_KEY, D_MODE, D_METER, D_INSTR, D_FONT, D_FAILED,
       ND };
static const struct {
    const char *name, *title;
} dims[ND] = {
    {"split", "Samples by split"},
    {"genre", "Samples by genre"},
    {"key", "Samples by key (tonic)"},
    {"mode", "Samples by mode"},
    {"meter", "Samples by main time signature"},
    {"instrument", "Layers by instrument (layer: GM program or kit)"},
    {"soundfont", "Layers by soundfont"},
    {"failed", "Failed samples by reason"},
};

enum { H_TEMPO, H_DUR, H_SCORE, NH };
static const struct {
    const char *name, *field, *title, *xlabel;
    double lo, width;
    int nbins;
} hists[NH] = {
    {"tempo_bpm", "tempo_bpm", "Tempo", "tempo (BPM, quarter notes)", 40, 10,
     20},
    {"duration_seconds", "duration_seconds", "Duration", "duration (s)", 0,
     15, 20},
    {"musicality_score", "musicality_score", "Musicality score",
     "musicality_score", 0, 0.05, 20},
};

typedef struct {
    double bins[20];
    double min, max, mean; /* mean: running (no sum to overflow) */
    uint64_t n;
} hist;

#define MAX_FAILED_LISTED 100

struct mg_dsstats {
    struct {
        uint64_t index;
        char error[200];
    } failed[MAX_FAILED_LISTED]; /* the first ones, in manifest order */
    int nfailed;
    /* GM names; "" unknown */
    char prog[128][MG_GM_NAME_MAX], kit[128][MG_GM_NAME_MAX];
    dim d[ND];
    hist h[NH];
    uint64_t samples, unreadable, misplaced, partials, rows, failed_rows,
        ok_rows;
    int width;
    char root[4096];
};

mg_dsstats *
mg_dsstats_new(void)
{
    mg_dsstats *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    mg_gm_names_load(s->prog, s->kit);
    for (int i = 0; i < NH; i++) {
        s->h[i].min = INFINITY;
        s->h[i].max = -INFINITY;
    }
    return s;
}

void
mg_dsstats_destroy(mg_dsstats **sp)
{
    if (!sp || !*sp) return;
    free(*sp);
    *sp = NULL;
}

uint64_t
mg_dsstats_samples(const mg_dsstats *s)
{
    return s->samples;
}

static void
count(dim *d, const char *name)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->c[i].name, name)) {
            d->c[i].n++;
            return;
        }
    if (d->n < MG_DSSTATS_MAXKEYS) {
        snprintf(d->c[d->n].name, sizeof d->c[d->n].name, "%s", name);
        d->c[d->n++].n = 1;
        return;
    }
    snprintf(d->c[MG_DSSTATS_MAXKEYS].name, sizeof d->c[0].name, "(other)");
    d->c[MG_DSSTATS_MAXKEYS].n++;
}

static void
add_value(hist *h, int k, double v)
{
    if (!isfinite(v)) return;
    /* clamped as a double first: (int) of 1e12 / 10 is undefined (it
     * came out negative, so a huge value went to the first bin) */
    double x = (v - hists[k].lo) / hists[k].width;
    /* a value on a bin's edge belongs to the bin it opens: 0.95 / 0.05
     * is 18.999999999999996 in doubles, which put a score of 0.95 in the
     * 0.90-0.95 bin; a quotient within rounding of a whole number is that
     * number (the values carry at most six decimals) */
    double r = nearbyint(x);
    if (fabs(x - r) <= 1e-9 * fmax(1.0, fabs(r))) x = r;
    x = floor(x);
    int b = x < 0 ? 0 : x >= hists[k].nbins ? hists[k].nbins - 1 : (int)x;
    h->bins[b]++;
    h->n++;
    /* the mean as a running mean: a sum of values near DBL_MAX would
     * overflow to inf (and mean drop out of the JSON) */
    h->mean += (v - h->mean) / (double)h->n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

/* String member key of object token obj into buf; false when absent. */
static bool
get_str(const mg_jdoc *d, uint32_t obj, const char *key, char *buf, size_t n)
{
    long i = mg_jdoc_get(d, obj, key);
    if (i < 0 || d->t[i].type != MG_JT_STR) return false;
    return mg_jdoc_str(d, (uint32_t)i, buf, n) != (size_t)-1;
}

/* One sample's counts from its tokens (objects tokenized; arrays may be
 * leaves, none is read). */
static void
add_doc(mg_dsstats *s, const mg_jdoc *d)
{
    char v[80], lay[40];
    s->samples++;
    static const char *const fields[] = {"split", "genre", "key", "mode",
                                         "time_signature"};
    for (int k = 0; k < 5; k++)
        count(&s->d[k], get_str(d, 0, fields[k], v, sizeof v) ? v
                                                              : "(none)");
    /* instruments: {layer: {program: N}}, soundfonts: {layer: {name}} */
    long ins = mg_jdoc_get(d, 0, "instruments");
    if (ins >= 0 && d->t[ins].type == MG_JT_OBJ) {
        uint32_t i = (uint32_t)ins + 1;
        for (uint32_t m = 0; m < d->t[ins].n; m++) {
            uint32_t val = i + 1;
            int64_t prog;
            long p = d->t[val].type == MG_JT_OBJ
                         ? mg_jdoc_get(d, val, "program")
                         : -1;
            if (mg_jdoc_str(d, i, lay, sizeof lay) != (size_t)-1 && p >= 0 &&
                mg_jdoc_i64(d, (uint32_t)p, &prog) == 0) {
                char name[96];
                const char *gm = prog < 0 || prog > 127 ? ""
                                 : !strcmp(lay, "beat") ? s->kit[prog]
                                                        : s->prog[prog];
                if (*gm)
                    snprintf(name, sizeof name, "%s: %s", lay, gm);
                else
                    snprintf(name, sizeof name, "%s: %s %lld", lay,
                             !strcmp(lay, "beat") ? "kit" : "program",
                             (long long)prog);
                count(&s->d[D_INSTR], name);
            }
            i = d->t[val].next;
        }
    }
    long sf = mg_jdoc_get(d, 0, "soundfonts");
    if (sf >= 0 && d->t[sf].type == MG_JT_OBJ) {
        uint32_t i = (uint32_t)sf + 1;
        for (uint32_t m = 0; m < d->t[sf].n; m++) {
            uint32_t val = i + 1;
            if (d->t[val].type == MG_JT_OBJ &&
                get_str(d, val, "name", v, sizeof v))
                count(&s->d[D_FONT], v);
            i = d->t[val].next;
        }
    }
    for (int k = 0; k < NH; k++) {
        long i = mg_jdoc_get(d, 0, hists[k].field);
        double x;
        if (i >= 0 && mg_jdoc_double(d, (uint32_t)i, &x) == 0)
            add_value(&s->h[k], k, x);
    }
}

/* A failed row's reason without its per-sample details: up to the first
 * ':' ("symbolic check failed", "audio", "musicality 0.41 below 0.60"
 * becomes "musicality below threshold"). */
static void
reason(const char *e, char *buf, size_t n)
{
    if (!e || !*e) {
        snprintf(buf, n, "(no reason given)");
        return;
    }
    if (!strncmp(e, "musicality ", 11) && strstr(e, " below ")) {
        snprintf(buf, n, "musicality below the gate");
        return;
    }
    size_t l = strcspn(e, ":(");
    while (l && e[l - 1] == ' ')
        l--;
    snprintf(buf, n, "%.*s", (int)l, e);
}

int
mg_dsstats_run(mg_dsstats *s, const char *root, int jobs,
               const mg_dsprogress *progress, char *err, size_t errlen)
{
    snprintf(s->root, sizeof s->root, "%s", root);
    /* sample.json read and tokenized ahead by threads (dsfetch.h), arrays
     * as text and the notes validated only: no count needs them. */
    mg_dsfetch_opts fo = {.dsflags = MG_DSREAD_PARTIALS,
                          .jflags = MG_JDOC_LEAF_ARRAYS,
                          .skip = "notes",
                          .jobs = mg_dsfetch_jobs(jobs)};
    if (progress) fo.progress = *progress;
    mg_dsfetch *f = mg_dsfetch_open(root, &fo, err, errlen);
    if (!f) return -1;
    s->width = mg_dsfetch_shard_width(f);
    mg_dsitem *it;
    int got;
    while ((got = mg_dsfetch_next(f, &it, err, errlen)) > 0) {
        if (!it->s.complete) {
            s->partials++;
            continue;
        }
        if (it->s.misplaced) { /* in another shard: verify names it */
            s->misplaced++;
            continue;
        }
        if (!it->ok) {
            s->unreadable++;
            continue;
        }
        add_doc(s, &it->doc);
    }
    mg_dsfetch_destroy(&f);
    if (got < 0) return -1;
    char merr[600];
    mg_dsmanifest *m = mg_dsmanifest_open(root, merr, sizeof merr);
    if (m) {
        json_t *row;
        long line;
        int rc;
        while ((rc = mg_dsmanifest_next(m, &row, &line, merr, sizeof merr)))
        {
            if (rc < 0) continue;
            s->rows++;
            const char *st = json_string_value(json_object_get(row,
                                                               "status"));
            if (st && !strcmp(st, "failed")) {
                char r[80];
                s->failed_rows++;
                if (s->nfailed < MAX_FAILED_LISTED) {
                    const char *e = json_string_value(
                        json_object_get(row, "error"));
                    s->failed[s->nfailed].index = (uint64_t)json_number_value(
                        json_object_get(row, "sample_index"));
                    snprintf(s->failed[s->nfailed].error,
                             sizeof s->failed[0].error, "%s", e ? e : "");
                    s->nfailed++;
                }
                reason(json_string_value(json_object_get(row, "error")), r,
                       sizeof r);
                count(&s->d[D_FAILED], r);
            } else {
                s->ok_rows++;
            }
        }
        mg_dsmanifest_destroy(&m);
    }
    return 0;
}

static int
by_count(const void *a, const void *b)
{
    const counter *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* The counters of one dimension sorted by count (then name), "(other)"
 * last; returns how many. */
static int
sorted(const dim *d, counter *out)
{
    int n = d->n;
    memcpy(out, d->c, sizeof *out * (size_t)n);
    qsort(out, (size_t)n, sizeof *out, by_count);
    if (d->c[MG_DSSTATS_MAXKEYS].n) out[n++] = d->c[MG_DSSTATS_MAXKEYS];
    return n;
}

void
mg_dsstats_print(const mg_dsstats *s, FILE *f)
{
    counter c[MG_DSSTATS_MAXKEYS + 1]; /* 22 KB of stack: re-entrant */
    fprintf(f, "dataset %s (%s", s->root, s->width ? "sharded" : "flat");
    if (s->width) fprintf(f, ", shard width %d", s->width);
    fprintf(f, "): %llu samples", (unsigned long long)s->samples);
    fprintf(f, ", %llu failed, %llu half-written, %llu unreadable\n",
            (unsigned long long)s->failed_rows,
            (unsigned long long)s->partials,
            (unsigned long long)s->unreadable);
    if (s->misplaced)
        fprintf(f, "%llu in another shard than their index's (moved by hand? "
                "not counted; verify names them)\n",
                (unsigned long long)s->misplaced);
    if (s->rows)
        fprintf(f, "manifest: %llu rows (%llu ok, %llu failed)\n",
                (unsigned long long)s->rows, (unsigned long long)s->ok_rows,
                (unsigned long long)s->failed_rows);
    for (int k = 0; k < ND; k++) {
        int n = sorted(&s->d[k], c);
        uint64_t tot = 0;
        if (!n) continue;
        for (int i = 0; i < n; i++)
            tot += c[i].n;
        fprintf(f, "\n%s:\n", dims[k].name);
        for (int i = 0; i < n; i++)
            fprintf(f, "  %-36s %8llu  %5.1f%%\n", c[i].name,
                    (unsigned long long)c[i].n, 100.0 * c[i].n / tot);
    }
    if (s->nfailed) {
        fprintf(f, "\nfailed samples%s:\n",
                s->failed_rows > (uint64_t)s->nfailed ? " (the first 100)"
                                                      : "");
        for (int i = 0; i < s->nfailed; i++)
            fprintf(f, "  %06llu  %s\n",
                    (unsigned long long)s->failed[i].index,
                    s->failed[i].error);
    }
    for (int k = 0; k < NH; k++) {
        const hist *h = &s->h[k];
        double max = 0;
        if (!h->n) continue;
        for (int b = 0; b < hists[k].nbins; b++)
            if (h->bins[b] > max) max = h->bins[b];
        fprintf(f, "\n%s: n %llu, min %.4g, mean %.4g, max %.4g\n",
                hists[k].name, (unsigned long long)h->n, h->min,
                h->mean, h->max);
        for (int b = 0; b < hists[k].nbins; b++) {
            if (!h->bins[b]) continue;
            int len = (int)lround(40 * h->bins[b] / max);
            fprintf(f, "  %7.4g .. %-7.4g %8.0f  %.*s\n",
                    hists[k].lo + hists[k].width * b,
                    hists[k].lo + hists[k].width * (b + 1), h->bins[b], len,
                    "########################################");
        }
    }
}

json_t *
mg_dsstats_json(const mg_dsstats *s)
{
    counter c[MG_DSSTATS_MAXKEYS + 1]; /* 22 KB of stack: re-entrant */
    json_t *j = json_object(), *counts = json_object(), *hs = json_object();
    mg_json_set_path(j, "root", s->root);
    json_object_set_new(j, "shard_width", json_integer(s->width));
    json_object_set_new(j, "samples", json_integer((json_int_t)s->samples));
    json_object_set_new(j, "failed", json_integer((json_int_t)s->failed_rows));
    json_object_set_new(j, "half_written",
                        json_integer((json_int_t)s->partials));
    json_object_set_new(j, "unreadable",
                        json_integer((json_int_t)s->unreadable));
    json_object_set_new(j, "misplaced",
                        json_integer((json_int_t)s->misplaced));
    json_object_set_new(j, "manifest_rows", json_integer((json_int_t)s->rows));
    for (int k = 0; k < ND; k++) {
        json_t *o = json_object();
        int n = sorted(&s->d[k], c);
        for (int i = 0; i < n; i++)
            json_object_set_new(o, c[i].name, json_integer((json_int_t)c[i].n));
        json_object_set_new(counts, dims[k].name, o);
    }
    for (int k = 0; k < NH; k++) {
        const hist *h = &s->h[k];
        json_t *o = json_object(), *bins = json_array();
        for (int b = 0; b < hists[k].nbins; b++)
            json_array_append_new(bins, json_integer((json_int_t)h->bins[b]));
        json_object_set_new(o, "n", json_integer((json_int_t)h->n));
        json_object_set_new(o, "bin_start", mg_json_real(hists[k].lo, 6));
        json_object_set_new(o, "bin_width", mg_json_real(hists[k].width, 6));
        json_object_set_new(o, "counts", bins);
        json_object_set_new(o, "min", h->n ? mg_json_real(h->min, 6)
                                           : json_null());
        json_object_set_new(o, "max", h->n ? mg_json_real(h->max, 6)
                                           : json_null());
        json_object_set_new(o, "mean", h->n ? mg_json_real(h->mean, 6)
                                            : json_null());
        json_object_set_new(hs, hists[k].name, o);
    }
    json_t *fl = json_array();
    for (int i = 0; i < s->nfailed; i++) {
        json_t *e = json_object();
        json_object_set_new(e, "sample_index",
                            json_integer((json_int_t)s->failed[i].index));
        json_object_set_new(e, "error", mg_json_text(s->failed[i].error));
        json_array_append_new(fl, e);
    }
    json_object_set_new(j, "failed_samples", fl);
    json_object_set_new(j, "counts", counts);
    json_object_set_new(j, "histograms", hs);
    return j;
}

/* The title every chart page carries: how a directory an earlier
 * --plot wrote is told from a directory of something else. */
#define PLOT_TITLE "<title>musicgen stats</title>"

int
mg_dsstats_plot_dir_check(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        struct stat st;
        if (!stat(dir, &st) && !S_ISDIR(st.st_mode))
            return mg_errf(err, errlen, "--plot %s is not a directory", dir);
        return 0; /* absent: made by the plot, which names what stops it */
    }
    mg_names3 t = {0};
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            mg_names3_add(&t, de->d_name);
    closedir(d);
    if (!t.n) return 0;
    char path[4300], head[512];
    snprintf(path, sizeof path, "%s/index.html", dir);
    FILE *f = fopen(path, "re");
    size_t got = f ? fread(head, 1, sizeof head - 1, f) : 0;
    if (f) fclose(f);
    head[got] = '\0';
    if (strstr(head, PLOT_TITLE)) return 0; /* an earlier plot: replaced */
    char what[300];
    mg_names3_text(&t, what, sizeof what);
    return mg_errf(err, errlen, "--plot %s holds other files (%s) and no "
                   "earlier stats page: give a new or empty directory", dir,
                   what);
}

int
mg_dsstats_plot(const mg_dsstats *s, const char *dir, char *err,
                size_t errlen)
{
    counter c[MG_DSSTATS_MAXKEYS + 1]; /* 22 KB of stack: re-entrant */
    mg_svg_bar bars[MG_DSSTATS_MAXKEYS + 1];
    char path[4300], hpath[4300], title[200];
    if (mg_dir_make(dir))
        return mg_errf(err, errlen, "cannot create %s: %s", dir,
                       strerror(errno));
    snprintf(hpath, sizeof hpath, "%s/index.html", dir);
    FILE *html = fopen(hpath, "w");
    if (!html)
        return mg_errf(err, errlen, "cannot write %s: %s", hpath,
                       strerror(errno));
    fprintf(html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                  PLOT_TITLE "</head>\n<body style=\""
                  "font-family: sans-serif\">\n<h1>musicgen stats</h1>\n"
                  "<p>%llu samples, %llu failed, %llu half-written</p>\n",
            (unsigned long long)s->samples,
            (unsigned long long)s->failed_rows,
            (unsigned long long)s->partials);
    for (int k = 0; k < NH; k++) {
        const hist *h = &s->h[k];
        snprintf(path, sizeof path, "%s/%s.svg", dir, hists[k].name);
        if (h->n)
            snprintf(title, sizeof title, "%s (n %llu, mean %.4g)",
                     hists[k].title, (unsigned long long)h->n,
                     h->mean);
        else
            snprintf(title, sizeof title, "%s (no samples)", hists[k].title);
        if (mg_svg_histogram(path, title, hists[k].xlabel, hists[k].lo,
                             hists[k].width, h->bins, hists[k].nbins, err,
                             errlen)) {
            fclose(html);
            unlink(hpath);
            return -1;
        }
        fprintf(html, "<img src=\"%s.svg\" alt=\"%s\"><br>\n", hists[k].name,
                hists[k].title);
    }
    for (int k = 0; k < ND; k++) {
        int n = sorted(&s->d[k], c);
        if (!n && k == D_FAILED) continue;
        for (int i = 0; i < n; i++) {
            bars[i].label = c[i].name;
            bars[i].value = (double)c[i].n;
        }
        snprintf(path, sizeof path, "%s/%s.svg", dir, dims[k].name);
        if (mg_svg_hbars(path, dims[k].title,
                         k >= D_INSTR && k != D_FAILED ? "layers" : "samples",
                         bars, n, err, errlen)) {
            fclose(html);
            unlink(hpath);
            return -1;
        }
        fprintf(html, "<img src=\"%s.svg\" alt=\"%s\"><br>\n", dims[k].name,
                dims[k].title);
    }
    fputs("</body></html>\n", html);
    return mg_svg_close(html, hpath, err, errlen);
}
