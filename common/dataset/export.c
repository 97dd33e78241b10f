/*
 * export — the driver: walk the tree, keep what the filters keep, build
 * each sample's row, hand it to the format's writer, and publish the
 * output atomically (contract in export.h; row model in export_priv.h).
 */
#include "export.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dsfetch.h"
#include "dsfile.h"
#include "dsnames.h"
#include "dsread.h"
#include "errmsg.h"
#include "export_priv.h"
#include "licenses.h"
#include "outpath.h"
#include "sampledir.h"
#include "utf8.h"

/* ---- options ---- */

static const char *const fmt_names[] = {"jsonl", "csv", "parquet",
                                        "hf", "jams", "webdataset"};

int
mg_export_fmt_parse(const char *s, mg_export_fmt *f)
{
    for (size_t i = 0; i < sizeof fmt_names / sizeof *fmt_names; i++)
        if (!strcmp(s, fmt_names[i])) {
            *f = (mg_export_fmt)i;
            return 0;
        }
    return -1;
}

const char *
mg_export_fmt_name(mg_export_fmt f)
{
    return (size_t)f < sizeof fmt_names / sizeof *fmt_names ? fmt_names[f]
                                                            : "?";
}

int
mg_export_codec_parse(const char *s, mg_export_codec *c)
{
    if (!strcmp(s, "zstd")) *c = MG_CODEC_ZSTD;
    else if (!strcmp(s, "snappy")) *c = MG_CODEC_SNAPPY;
    else if (!strcmp(s, "none")) *c = MG_CODEC_NONE;
    else return -1;
    return 0;
}

int
mg_export_opts_check(const mg_export_opts *o, char *err, size_t errlen)
{
    if (!o->root || !o->root[0]) return mg_errf(err, errlen, "missing ROOT");
    if (!o->out || !o->out[0])
        return mg_errf(err, errlen, "missing --out PATH");
    if ((size_t)o->fmt >= sizeof fmt_names / sizeof *fmt_names)
        return mg_errf(err, errlen, "unknown format");
    if (strstr(o->out, "{split}") && o->fmt == MG_EXPORT_HF)
        return mg_errf(err, errlen, "--out %s: hf has a directory per split "
                       "already (no {split})", o->out);
    if (!strcmp(o->out, "-") && o->fmt >= MG_EXPORT_HF)
        return mg_errf(err, errlen, "--out -: standard output takes jsonl, "
                       "csv or parquet, not %s (a directory of files)",
                       fmt_names[o->fmt]);
    if ((o->split && !o->split[0]) || (o->genre && !o->genre[0]))
        return mg_errf(err, errlen, "--split and --genre need a value");
    for (const char *p = o->split; p && *p;) {
        size_t n = strcspn(p, ",");
        if (!((n == 5 && !strncmp(p, "train", 5)) ||
              (n == 5 && !strncmp(p, "valid", 5)) ||
              (n == 4 && !strncmp(p, "test", 4))))
            return mg_errf(err, errlen, "--split: '%.*s' is not a split "
                           "(train, valid or test)", (int)n, p);
        p += n + (p[n] == ',');
    }
    if (o->has_min_score && !(o->min_score >= 0 && o->min_score <= 1))
        return mg_errf(err, errlen, "--min-score must be a number in [0, 1]");
    if ((unsigned)o->codec > MG_CODEC_ZSTD)
        return mg_errf(err, errlen, "unknown codec");
    if (o->columns) {
        if (o->fmt == MG_EXPORT_JAMS || o->fmt == MG_EXPORT_WEBDATASET)
            return mg_errf(err, errlen, "--columns goes with jsonl, csv, "
                           "parquet and hf, not %s (its files are whole)",
                           fmt_names[o->fmt]);
        mg_xcolsel cs;
        if (mg_xcolsel_parse(&cs, o->columns, err, errlen)) return -1;
    }
    return 0;
}

/* ---- row building ---- */

static const char *
arena_str(mg_xrow *r, const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
    if (r->used + la + lb + lc + 1 > sizeof r->arena) return NULL;
    char *p = r->arena + r->used;
    memcpy(p, a, la);
    if (lb) memcpy(p + la, b, lb);
    if (lc) memcpy(p + la + lb, c, lc);
    p[la + lb + lc] = 0;
    r->used += la + lb + lc + 1;
    return p;
}

static mg_xfield *
add_field(mg_xrow *r, const char *name)
{
    if (!name || r->nf == MG_XROW_MAX_FIELDS) {
        r->dropped++;
        return NULL;
    }
    mg_xfield *f = &r->f[r->nf++];
    memset(f, 0, sizeof *f);
    f->name = name;
    return f;
}

static void
add_str(mg_xrow *r, const char *name, const char *value)
{
    mg_xfield *f = add_field(r, name);
    if (!f) return;
    f->kind = value ? MG_XF_STR : MG_XF_NULL;
    f->str = value;
}

/* A decoded string token in the arena (NULL if it does not fit). */
static const char *
tok_str(mg_xrow *r, uint32_t tok)
{
    const mg_jtok *t = &r->doc->t[tok];
    if (t->type != MG_JT_STR) return NULL;
    size_t room = sizeof r->arena - r->used;
    size_t n = mg_jdoc_str(r->doc, tok, r->arena + r->used, room);
    if (n == (size_t)-1) return NULL;
    const char *p = r->arena + r->used;
    r->used += n + 1;
    return p;
}

/* Member name tok as a column name in the arena: prefix (nl bytes; none
 * when NULL), '.', then the decoded key, in one copy (NULL if it does not
 * fit, or tok is no string); *len: its length. */
static const char *
key_path(mg_xrow *r, const char *prefix, size_t nl, uint32_t tok, size_t *len)
{
    if (r->doc->t[tok].type != MG_JT_STR) return NULL;
    char *p = r->arena + r->used;
    size_t room = sizeof r->arena - r->used, off = prefix ? nl + 1 : 0;
    if (off >= room) return NULL;
    if (prefix) {
        memcpy(p, prefix, nl);
        p[nl] = '.';
    }
    size_t n = mg_jdoc_str(r->doc, tok, p + off, room - off);
    if (n == (size_t)-1) return NULL;
    r->used += off + n + 1;
    *len = off + n;
    return p;
}

/* Field name (nl bytes) for the value at tok: an object's members become
 * fields of their own, named name.member (recursively). */
static void
flatten(mg_xrow *r, const char *name, size_t nl, uint32_t tok)
{
    const mg_jtok *t = &r->doc->t[tok];
    if (t->type != MG_JT_OBJ) {
        mg_xfield *f = add_field(r, name);
        if (f) {
            f->kind = MG_XF_TOK;
            f->tok = tok;
        }
        return;
    }
    uint32_t k = tok + 1;
    for (uint32_t m = 0; m < t->n; m++) {
        size_t fl;
        const char *full = key_path(r, name, nl, k, &fl);
        if (!full) r->dropped++;
        else flatten(r, full, fl, k + 1);
        k = r->doc->t[k + 1].next;
    }
}

/* Paths of the files an object (stems, midi) names, as columns. */
static void
add_file_map(mg_xrow *r, const char *kind, uint32_t obj, const char *dir,
             bool columns)
{
    const mg_jtok *t = &r->doc->t[obj];
    if (t->type != MG_JT_OBJ) return;
    uint32_t k = obj + 1;
    for (uint32_t m = 0; m < t->n; m++) {
        const char *layer = tok_str(r, k), *file = tok_str(r, k + 1);
        if (layer && file && !mg_ds_rel_safe(file) && !r->unsafe)
            r->unsafe = arena_str(r, kind, ".", arena_str(r, layer,
                                  " names ", file));
        if (layer && file && mg_ds_rel_safe(file)) {
            if (columns)
                add_str(r, arena_str(r, kind, "_", arena_str(r, layer,
                                                             "_path", NULL)),
                        arena_str(r, dir, "/", file));
            if (r->nfiles < MG_XROW_MAX_FILES)
                r->files[r->nfiles++] =
                    (mg_xfile){.kind = kind, .layer = layer, .file = file};
        }
        k = r->doc->t[k + 1].next;
    }
}

/* Is root key k one whose value is not a column of its own (mix, stems
 * and midi are path columns; notes without --notes)? */
static bool
not_a_column(const mg_jdoc *d, uint32_t k, const mg_export_opts *o)
{
    const mg_jtok *t = &d->t[k];
    if (t->esc)
        return mg_jdoc_streq(d, k, "mix") || mg_jdoc_streq(d, k, "stems") ||
               mg_jdoc_streq(d, k, "midi") ||
               (!o->notes && mg_jdoc_streq(d, k, "notes"));
    const char *s = d->s + t->start;
    switch (t->len) { /* most keys are none of these: their length says */
    case 3: return !memcmp(s, "mix", 3);
    case 4: return !memcmp(s, "midi", 4);
    case 5: return !memcmp(s, "stems", 5) ||
                   (!o->notes && !memcmp(s, "notes", 5));
    default: return false;
    }
}

static void
build_row(mg_xrow *r, const mg_dsample *s, const char *absroot,
          const mg_export_opts *o, const mg_xcolsel *cs)
{
    r->nf = r->nfiles = r->used = r->dropped = 0;
    r->unsafe = NULL;
    r->index = s->index;
    r->raw = s->raw;
    r->raw_len = s->raw_len;
    r->rel = arena_str(r, s->rel, NULL, NULL);
    r->dir = arena_str(r, absroot, "/", s->rel);
    const char *dir = o->relative ? r->rel : r->dir;
    /* the path columns are text, and JSON, CSV and Parquet strings are
     * UTF-8 (DuckDB refused all three): a root whose name is not is
     * written with U+FFFD there; r->dir, which opens the files, keeps
     * its bytes */
    if (dir && !mg_utf8_valid(dir)) {
        size_t need = mg_utf8_fix(dir, NULL, 0) + 1;
        if (r->used + need <= sizeof r->arena) {
            mg_utf8_fix(dir, r->arena + r->used, need);
            dir = r->arena + r->used;
            r->used += need;
        }
    }
    long sp = mg_jdoc_get(r->doc, 0, "split");
    r->split = sp >= 0 ? tok_str(r, (uint32_t)sp) : NULL;
    if (!r->split) r->split = "";

    add_str(r, "path", dir);
    long mix = mg_jdoc_get(r->doc, 0, "mix");
    const char *mixf = mix >= 0 ? tok_str(r, (uint32_t)mix) : NULL;
    if (mixf && !mg_ds_rel_safe(mixf)) {
        r->unsafe = arena_str(r, "mix names ", mixf, NULL);
        mixf = NULL;
    }
    add_str(r, "mix_path", mixf ? arena_str(r, dir, "/", mixf) : NULL);
    if (mixf)
        r->files[r->nfiles++] =
            (mg_xfile){.kind = "mix", .layer = "", .file = mixf};
    long stems = mg_jdoc_get(r->doc, 0, "stems");
    if (stems >= 0) add_file_map(r, "stem", (uint32_t)stems, dir, true);
    long midi = mg_jdoc_get(r->doc, 0, "midi");
    /* MIDI files are always known (JAMS reads their notes); --no-midi
     * drops their columns and tar members. */
    if (midi >= 0) add_file_map(r, "midi", (uint32_t)midi, dir, !o->no_midi);

    const mg_jtok *t = &r->doc->t[0];
    uint32_t k = 1;
    for (uint32_t m = 0; m < t->n; m++) {
        if (!not_a_column(r->doc, k, o)) {
            size_t kl;
            const char *key = key_path(r, NULL, 0, k, &kl);
            if (key) flatten(r, key, kl, k + 1);
            else r->dropped++;
        }
        k = r->doc->t[k + 1].next;
    }
    if (cs) mg_xcolsel_apply(r, cs);
}

/* ---- filters ---- */

/* The genres of the samples the filters looked at (export --genre), for
 * a listed genre no sample had: a typo keeps nothing and would say only
 * "filtered". Shared by the fetch threads. */
#define GENRES_MAX 64
typedef struct {
    pthread_mutex_t mu;
    char names[GENRES_MAX][64];
    int n;
    bool more; /* a name not kept (too many, too long) */
} genres_seen;

/* Is word w (n bytes) one of the comma-separated words in list? */
static bool
in_list(const char *w, size_t n, const char *list)
{
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == n && !memcmp(p, w, n)) return true;
        p += l + (c ? 1 : 0);
    }
    return false;
}

static void
genres_add(genres_seen *g, const char *name)
{
    pthread_mutex_lock(&g->mu);
    int i = 0;
    while (i < g->n && strcmp(g->names[i], name)) i++;
    if (i == g->n) {
        if (g->n < GENRES_MAX && strlen(name) < sizeof g->names[0])
            strcpy(g->names[g->n++], name);
        else
            g->more = true;
    }
    pthread_mutex_unlock(&g->mu);
}

/* Is the string token tok one of the words in list? A genre (seen not
 * NULL) is noted in seen. */
static bool
tok_in_list(const mg_jdoc *d, long tok, const char *list, genres_seen *seen)
{
    if (tok < 0 || d->t[tok].type != MG_JT_STR) return false;
    char v[256];
    if (mg_jdoc_str(d, (uint32_t)tok, v, sizeof v) == (size_t)-1) return false;
    if (seen) genres_add(seen, v);
    return in_list(v, strlen(v), list);
}

static bool
keep(const mg_jdoc *d, const mg_export_opts *o, genres_seen *seen)
{
    if (o->genre) {
        /* every genre of the sample is looked at (and noted), not just
         * up to the first hit; first of the filters, so that the genres
         * noted are those of every complete sample */
        bool hit = tok_in_list(d, mg_jdoc_get(d, 0, "genre"), o->genre, seen);
        long gs = mg_jdoc_get(d, 0, "genres");
        if (gs >= 0 && d->t[gs].type == MG_JT_ARR && d->t[gs].n) {
            /* A shallow doc has the array as text only: parse that. */
            mg_jdoc sub = {0};
            const mg_jdoc *a = d;
            uint32_t at = (uint32_t)gs;
            if (d->t[gs].leaf) {
                const mg_jtok *t = &d->t[gs];
                if (mg_jdoc_parse(&sub, d->s + t->start, t->len, NULL, 0))
                    t = NULL;
                a = t ? &sub : NULL;
                at = 0;
            }
            uint32_t k = at + 1;
            for (uint32_t m = 0; a && m < a->t[at].n; m++) {
                hit |= tok_in_list(a, k, o->genre, seen);
                k = a->t[k].next;
            }
            mg_jdoc_free(&sub);
        }
        if (!hit) return false;
    }
    if (o->split && !tok_in_list(d, mg_jdoc_get(d, 0, "split"), o->split,
                                 NULL))
        return false;
    if (o->has_min_score) {
        long sc = mg_jdoc_get(d, 0, "musicality_score");
        double v;
        if (sc < 0 || mg_jdoc_double(d, (uint32_t)sc, &v) || v < o->min_score)
            return false;
    }
    return true;
}

/* The manifest's failed rows (streamed; no manifest counts none). */
static uint64_t
count_failed(const char *root)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/manifest.jsonl", root);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t failed = 0;
    mg_jdoc d = {0};
    while ((n = getline(&line, &cap, f)) > 0) {
        if (!strstr(line, "\"failed\"")) continue;
        if (mg_jdoc_parse(&d, line, (size_t)n, NULL, 0) ||
            d.t[0].type != MG_JT_OBJ)
            continue;
        long st = mg_jdoc_get(&d, 0, "status");
        if (st >= 0 && mg_jdoc_streq(&d, (uint32_t)st, "failed")) failed++;
    }
    mg_jdoc_free(&d);
    free(line);
    fclose(f);
    return failed;
}

/* Work done on each sample as it is fetched, in a dsfetch thread: the
 * filters, then the row (item->user). 1 kept, 0 filtered out. */
typedef struct {
    const mg_export_opts *o;
    const char *absroot;
    bool filters;
    genres_seen *seen; /* NULL: genres not noted */
    const mg_xcolsel *cs;  /* --columns; NULL: every column */
} prep_ctx;

static int
prep_row(mg_dsitem *it, void *ctx)
{
    const prep_ctx *c = ctx;
    if (c->filters && !keep(&it->doc, c->o, c->seen)) return 0;
    mg_xrow *row = it->user;
    row->doc = &it->doc;
    build_row(row, &it->s, c->absroot, c->o, c->cs);
    return 1;
}

int
mg_export_jobs(const mg_export_opts *o)
{
    return mg_dsfetch_jobs((int)o->jobs);
}

static mg_dsfetch *
fetch_open(const mg_export_opts *o, const mg_xwriter *w, prep_ctx *pc,
           unsigned dsflags, char *err, size_t errlen)
{
    /* Without --notes the tabular formats leave sample.json's notes out:
     * validated, not tokenized (jdoc.h, mg_jdoc.skip). */
    bool skip_notes = !o->notes && o->fmt != MG_EXPORT_JAMS &&
                      o->fmt != MG_EXPORT_WEBDATASET;
    mg_dsfetch_opts fo = {.dsflags = dsflags,
                          .jflags = w->jflags,
                          .skip = skip_notes ? "notes" : NULL,
                          .jobs = mg_export_jobs(o),
                          .user_size = sizeof(mg_xrow),
                          .prep = prep_row,
                          .ctx = pc};
    /* the main pass is the one a display follows, not the schema scan */
    if (dsflags & MG_DSREAD_PARTIALS) fo.progress = o->progress;
    return mg_dsfetch_open(pc->absroot, &fo, err, errlen);
}

/* each(row) for the first MG_EXPORT_SCAN_ROWS samples kept by the
 * filters (every sample when filters is false), in a fetch of its own
 * (the main pass then starts from the first again), rows built with the
 * column selection cs. The number of rows given, or -1 with err (each's
 * -1 stops it). */
typedef int (*row_fn)(const mg_xrow *r, void *ctx, char *err, size_t errlen);

static long
first_rows(const mg_export_opts *o, const mg_xwriter *w, const char *absroot,
           const mg_xcolsel *cs, bool filters, row_fn each, void *ctx,
           char *err, size_t errlen)
{
    prep_ctx pc = {o, absroot, filters, NULL, cs};
    mg_dsfetch *f = fetch_open(o, w, &pc, 0, err, errlen);
    if (!f) return -1;
    mg_dsitem *it;
    int rc;
    long n = 0;
    while (n < MG_EXPORT_SCAN_ROWS &&
           (rc = mg_dsfetch_next(f, &it, err, errlen)) == 1) {
        rc = 0;
        if (!it->ok || it->prep_rc != 1) continue;
        if ((rc = each(it->user, ctx, err, errlen))) break;
        n++;
    }
    mg_dsfetch_destroy(&f);
    return rc < 0 ? -1 : n;
}

typedef struct {
    mg_xwriter **ws;
    int nw;
} scan_ctx;

static int
scan_row(const mg_xrow *r, void *ctx, char *err, size_t errlen)
{
    const scan_ctx *c = ctx;
    /* every output gets every row's columns: one schema for all */
    for (int k = 0; k < c->nw; k++)
        if (c->ws[k]->scan(c->ws[k], r, err, errlen)) return -1;
    return 0;
}

/* The writers' scan over the first rows, so that a tabular writer fixes
 * its columns from many rows. */
static int
prescan(mg_xwriter **ws, int nw, const char *absroot, const mg_export_opts *o,
        const mg_xcolsel *cs, bool filters, char *err, size_t errlen)
{
    scan_ctx c = {ws, nw};
    long n = first_rows(o, ws[0], absroot, cs, filters, scan_row, &c, err,
                        errlen);
    if (n < 0) return -1;
    /* Nothing kept: the columns of the samples there are, so an empty
     * table still has its schema. */
    if (n == 0 && filters)
        return prescan(ws, nw, absroot, o, cs, false, err, errlen);
    return 0;
}

/* --columns: every pattern must match a column of the first
 * MG_EXPORT_SCAN_ROWS kept samples (of any sample, when none is kept);
 * checked before anything is written. Else one line naming the pattern
 * and the columns like it. */
typedef struct {
    const mg_xcolsel *cs;
    mg_xcols names; /* the columns seen (full rows) */
    bool hit[MG_XCOLSEL_MAX];
} colcheck;

static int
colcheck_row(const mg_xrow *r, void *ctx, char *err, size_t errlen)
{
    colcheck *c = ctx;
    for (size_t i = 0; i < r->nf; i++) {
        if (mg_xcols_find(&c->names, r->f[i].name) >= 0) continue;
        if (c->names.n < MG_XROW_MAX_FIELDS &&
            mg_xcols_add(&c->names, r->f[i].name) < 0)
            return mg_errf(err, errlen, "out of memory");
        for (int k = 0; k < c->cs->n; k++)
            if (!c->hit[k]) c->hit[k] = mg_xcolsel_match(c->cs, k, r->f[i].name);
    }
    return 0;
}

static int
columns_check(mg_xwriter *w, const char *absroot, const mg_export_opts *o,
              const mg_xcolsel *cs, bool filters, char *err, size_t errlen)
{
    colcheck c = {.cs = cs};
    long n = first_rows(o, w, absroot, NULL, filters, colcheck_row, &c, err,
                        errlen);
    if (n <= 0) {
        mg_xcols_free(&c.names);
        /* nothing kept: judged on the samples there are; none: nothing
         * to judge (an empty table) */
        return n < 0 ? -1 : filters ? columns_check(w, absroot, o, cs, false,
                                                    err, errlen)
                                    : 0;
    }
    int rc = 0;
    for (int k = 0; k < cs->n && !rc; k++)
        if (!c.hit[k]) rc = mg_xcolsel_unmatched(cs, k, &c.names, err, errlen);
    mg_xcols_free(&c.names);
    return rc;
}

/* ---- the run ---- */

static bool
is_dir_format(mg_export_fmt f)
{
    return f == MG_EXPORT_HF || f == MG_EXPORT_JAMS ||
           f == MG_EXPORT_WEBDATASET;
}

static mg_xwriter *
writer_new(const mg_export_opts *o, mg_export_stats *st, const char *path,
           char *err, size_t errlen)
{
    switch (o->fmt) {
    case MG_EXPORT_JSONL: return mg_export_jsonl_new(o, st, path, err, errlen);
    case MG_EXPORT_CSV: return mg_export_csv_new(o, st, path, err, errlen);
    case MG_EXPORT_PARQUET:
        return mg_export_parquet_new(o, st, path, err, errlen);
    case MG_EXPORT_HF: return mg_export_hf_new(o, st, path, err, errlen);
    case MG_EXPORT_JAMS: return mg_export_jams_new(o, st, path, err, errlen);
    case MG_EXPORT_WEBDATASET:
        return mg_export_wds_new(o, st, path, err, errlen);
    }
    mg_errf(err, errlen, "unknown format");
    return NULL;
}

/* Is the output free to take (or may it be replaced)? Never the dataset,
 * a directory holding it (replacing it would delete the dataset), a
 * directory inside it, or a file inside a sample or in place of one of
 * its own (manifest.jsonl, LICENSES.md). */
static int
check_out(const mg_export_opts *o, bool in_place, const char *absroot,
          char *err, size_t errlen)
{
    struct stat st;
    if (!strcmp(o->out, "-")) {
        if (o->fmt == MG_EXPORT_PARQUET && isatty(STDOUT_FILENO))
            return mg_errf(err, errlen, "--out -: standard output is a "
                           "terminal, and Parquet is binary (send it to a "
                           "file or a pipe)");
        return 0;
    }
    if (in_place) return 0; /* a device or a FIFO: written into */
    char eg[32];
    snprintf(eg, sizeof eg, "dataset.%s", fmt_names[o->fmt]);
    if (mg_outpath_check("--out", o->out,
                         is_dir_format(o->fmt) ? MG_OUT_DIR : MG_OUT_FILE,
                         true, eg, err, errlen))
        return -1;
    if (mg_ds_out_check("--out", o->out, o->root, absroot,
                        is_dir_format(o->fmt), err, errlen))
        return -1;
    if (stat(o->out, &st)) return 0; /* a new one */
    if (!o->overwrite)
        return mg_errf(err, errlen, "%s exists (--force replaces it)",
                       o->out);
    return 0;
}

/* Rename tmp onto out, replacing an old out (a directory goes aside
 * first, then away, so out never holds half of either). */
static int
publish(const mg_export_opts *o, const char *tmp, char *err, size_t errlen)
{
    if (!is_dir_format(o->fmt)) {
        if (rename(tmp, o->out))
            return mg_errf(err, errlen, "%s: %s", o->out, strerror(errno));
        return 0;
    }
    char old[PATH_MAX + 128], host[64];
    mg_tmp_host(host, sizeof host);
    snprintf(old, sizeof old, "%s.old-%s-%ld", o->out, host, (long)getpid());
    bool had = rename(o->out, old) == 0;
    if (rename(tmp, o->out)) {
        int en = errno;
        if (had) rename(old, o->out);
        return mg_errf(err, errlen, "%s: %s", o->out, strerror(en));
    }
    if (had) mg_dir_remove(old);
    return 0;
}

/* The row's fonts (sample.json `soundfonts`) into lic; a sample without
 * them is counted, with none. */
static void
note_fonts(mg_licenses *lic, const mg_jdoc *d)
{
    long sf = mg_jdoc_get(d, 0, "soundfonts");
    if (sf >= 0 && d->t[sf].type != MG_JT_OBJ) sf = -1;
    static const char *const keys[] = {"name", "license", "license_class",
                                       "path"};
    char text[MG_NLAYERS][4][1024];
    mg_license_font f[MG_NLAYERS];
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char **slot[4] = {&f[l].name, &f[l].license, &f[l].license_class,
                                &f[l].path};
        long lo = sf >= 0 ? mg_jdoc_get(d, (uint32_t)sf, mg_layer_name(l)) : -1;
        for (int k = 0; k < 4; k++) {
            long v = lo >= 0 && d->t[lo].type == MG_JT_OBJ
                         ? mg_jdoc_get(d, (uint32_t)lo, keys[k])
                         : -1;
            *slot[k] = v >= 0 && d->t[v].type == MG_JT_STR &&
                               mg_jdoc_str(d, (uint32_t)v, text[l][k],
                                           sizeof text[l][k]) != (size_t)-1
                           ? text[l][k]
                           : NULL;
        }
    }
    mg_licenses_add(lic, f);
}

/* After the pass: the --genre words no sample had. All of them: an error
 * (most likely a typo; nothing is published); some: named in st for the
 * summary. Nothing is said when the genres seen were too many to keep. */
static int
genres_check(const mg_export_opts *o, const genres_seen *g, const char *root,
             mg_export_stats *st, char *err, size_t errlen)
{
    if (!g->n || g->more) return 0;
    char have[sizeof st->genres_seen] = "";
    char absent[sizeof st->genres_absent] = "";
    size_t hl = 0, al = 0;
    /* the names in order, for a message that reads the same every run */
    const char *order[GENRES_MAX];
    for (int i = 0; i < g->n; i++) {
        int j = i;
        for (; j > 0 && strcmp(order[j - 1], g->names[i]) > 0; j--)
            order[j] = order[j - 1];
        order[j] = g->names[i];
    }
    for (int i = 0; i < g->n && hl + 1 < sizeof have; i++)
        hl += (size_t)snprintf(have + hl, sizeof have - hl, "%s%s",
                               i ? ", " : "", order[i]);
    int words = 0, missing = 0;
    for (const char *p = o->genre; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        bool found = false;
        for (int i = 0; i < g->n && !found; i++)
            found = strlen(g->names[i]) == l && !memcmp(g->names[i], p, l);
        if (l) words++;
        if (l && !found && al + 1 < sizeof absent) {
            missing++;
            al += (size_t)snprintf(absent + al, sizeof absent - al, "%s%.*s",
                                   al ? ", " : "", (int)l, p);
        }
        p += l + (c ? 1 : 0);
    }
    if (!missing) return 0;
    if (missing == words)
        return mg_errf(err, errlen, "--genre %s: no sample in %s has %s "
                       "(its genres: %s)", o->genre, root,
                       words == 1 ? "it" : "any of them", have);
    snprintf(st->genres_absent, sizeof st->genres_absent, "%s", absent);
    snprintf(st->genres_seen, sizeof st->genres_seen, "%s", have);
    return 0;
}

/* out with every "{split}" replaced by split, into buf (n bytes). */
static void
split_path(const char *out, const char *split, char *buf, size_t n)
{
    size_t l = 0;
    for (const char *p = out; *p && l + 1 < n;) {
        if (!strncmp(p, "{split}", 7)) {
            l += (size_t)snprintf(buf + l, n - l, "%s", split);
            if (l >= n) l = n - 1;
            p += 7;
        } else {
            buf[l++] = *p++;
        }
    }
    buf[l] = '\0';
}

/* One output of the run: the file (or directory), or, with "{split}" in
 * --out, one per split, each with its writer and its own counts. */
typedef struct {
    mg_export_opts o; /* the run's, out set to this output's path */
    char path[PATH_MAX];
    char tmp[PATH_MAX + 128];
    const char *split; /* "{split}" outputs: its split; else NULL */
    bool in_place;     /* "-", a device, a FIFO: written straight in */
    mg_xwriter *w;
    mg_export_stats st;
} xout;

int
mg_export_run(const mg_export_opts *o, mg_export_stats *st, char *err,
              size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (mg_export_opts_check(o, err, errlen)) return -1;
    /* --columns: parsed once; a notes.* pattern brings the notes */
    mg_xcolsel cs_here, *cs = NULL; /* ~17 KB, read by the fetch threads */
    mg_export_opts oo = *o;
    if (o->columns) {
        cs = &cs_here;
        if (mg_xcolsel_parse(cs, o->columns, err, errlen)) return -1;
        for (int k = 0; k < cs->n; k++)
            if (!strncmp(cs->pat[k], "notes", 5)) oo.notes = true;
        o = &oo;
    }
    char absroot[PATH_MAX];
    if (!realpath(o->root, absroot))
        return mg_errf(err, errlen, "%s: %s", o->root, strerror(errno));
    /* The outputs: one, or one per split kept ("{split}" in --out) */
    static const char *const all_splits[] = {"train", "valid", "test"};
    bool by_split = strstr(o->out, "{split}") != NULL;
    int nout = 0;
    xout *outs = calloc(3, sizeof *outs);
    if (!outs) return mg_errf(err, errlen, "out of memory");
    for (int k = 0; k < (by_split ? 3 : 1); k++) {
        if (by_split && o->split &&
            !in_list(all_splits[k], strlen(all_splits[k]), o->split))
            continue;
        xout *x = &outs[nout++];
        x->o = *o;
        x->split = by_split ? all_splits[k] : NULL;
        split_path(o->out, by_split ? all_splits[k] : "", x->path,
                   sizeof x->path);
        if (!by_split) snprintf(x->path, sizeof x->path, "%s", o->out);
        /* "hf/": the directory hf (its temporaries beside it, not in it) */
        if (is_dir_format(o->fmt)) {
            char t[sizeof x->path];
            snprintf(x->path, sizeof x->path, "%s",
                     mg_outpath_trim(x->path, t, sizeof t));
        }
        /* written beside where a symbolic link leads (the file or the
         * directory it names is replaced, the link stays); a file straight
         * into a device or FIFO (a directory format refuses those) */
        {
            char t[sizeof x->path];
            bool dev = mg_outpath_target(x->path, t, sizeof t) ==
                       MG_OUT_IN_PLACE;
            x->in_place = dev && !is_dir_format(o->fmt);
            snprintf(x->path, sizeof x->path, "%s", t);
        }
        x->o.out = x->path;
    }
    int rc = 0;
    for (int k = 0; k < nout && !rc; k++)
        rc = check_out(&outs[k].o, outs[k].in_place, absroot, err, errlen);
    if (rc) {
        free(outs);
        return -1;
    }
    /* Written aside and renamed into place at the end (a failed export
     * leaves no half file), except on standard output (or a device, a
     * FIFO), which takes the rows as they come (a failure there: the
     * exit status says it). */
    char host[64];
    mg_tmp_host(host, sizeof host);
    for (int k = 0; k < nout && !rc; k++) {
        xout *x = &outs[k];
        snprintf(x->tmp, sizeof x->tmp, "%s.tmp-%s-%ld", x->path, host,
                 (long)getpid());
        if (x->in_place) snprintf(x->tmp, sizeof x->tmp, "%s", x->path);
        else mg_dsfile_sweep(x->path, host);
        if (is_dir_format(o->fmt)) {
            mg_dir_remove(x->tmp);
            if (mkdir(x->tmp, 0777))
                rc = mg_errf(err, errlen, "%s: %s", x->tmp, strerror(errno));
        }
        if (!rc && !(x->w = writer_new(&x->o, &x->st, x->tmp, err, errlen)))
            rc = -1;
    }
    mg_xwriter *ws[3] = {NULL, NULL, NULL};
    for (int k = 0; k < nout; k++) ws[k] = outs[k].w;
    st->failed = count_failed(absroot);
    if (!rc && cs) rc = columns_check(ws[0], absroot, o, cs, true, err, errlen);
    if (!rc && ws[0]->scan)
        rc = prescan(ws, nout, absroot, o, cs, true, err, errlen);
    genres_seen seen = {.mu = PTHREAD_MUTEX_INITIALIZER};
    prep_ctx pc = {o, absroot, true, o->genre ? &seen : NULL, cs};
    mg_dsfetch *f =
        rc ? NULL : fetch_open(o, ws[0], &pc, MG_DSREAD_PARTIALS, err, errlen);
    if (!f) rc = -1;
    /* hf and webdataset carry the audio (and MIDI) away from the tree's
     * LICENSES.md: theirs lists the fonts of the rows written */
    mg_licenses *lic[3] = {NULL, NULL, NULL}; /* one per output */
    for (int k = 0; k < nout && !rc; k++)
        if ((o->fmt == MG_EXPORT_HF || o->fmt == MG_EXPORT_WEBDATASET) &&
            !(lic[k] = mg_licenses_new()))
            rc = mg_errf(err, errlen, "out of memory");
    /* the test suite's hook (a pass slow enough to be killed midway) */
    const char *dl = getenv("MUSICGEN_FAULT_EXPORT_ROW_DELAY_MS");
    long delay_ms = dl ? atol(dl) : 0;
    mg_dsitem *it;
    while (!rc && (rc = mg_dsfetch_next(f, &it, err, errlen)) == 1) {
        rc = 0;
        if (delay_ms > 0) {
            struct timespec ts = {delay_ms / 1000, delay_ms % 1000 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (!it->s.complete) {
            st->partial++;
            continue;
        }
        if (!it->ok) {
            if (!st->invalid++)
                snprintf(st->first_invalid, sizeof st->first_invalid,
                         "%s: %s", it->s.rel,
                         it->s.error ? it->s.error : "unreadable");
            continue;
        }
        if (it->prep_rc != 1) {
            st->filtered++;
            continue;
        }
        const mg_xrow *row = it->user;
        /* one file per split: the row's (a split none is for: filtered) */
        int k = 0;
        if (by_split) {
            while (k < nout && strcmp(outs[k].split, row->split)) k++;
            if (k == nout) {
                st->filtered++;
                continue;
            }
        }
        st->dropped_fields += row->dropped;
        char why[300];
        rc = ws[k]->row(ws[k], row, why, sizeof why);
        if (rc == 0 && row->unsafe && !st->unsafe_paths++)
            snprintf(st->first_unsafe, sizeof st->first_unsafe, "%s/%s",
                     row->rel, row->unsafe);
        if (rc == 0 && lic[k]) note_fonts(lic[k], row->doc);
        if (rc == 1) {
            if (!st->unreadable++)
                snprintf(st->first_unreadable, sizeof st->first_unreadable,
                         "%s", why);
            rc = 0;
        } else if (rc) {
            snprintf(err, errlen, "%s", why);
        }
    }
    mg_dsfetch_destroy(&f);
    for (int k = 0; k < nout; k++) {
        xout *x = &outs[k];
        if (rc == 0 && x->w) rc = x->w->finish(x->w, err, errlen);
        if (x->w) x->w->destroy(x->w);
        x->w = NULL;
        /* the writers' counts, into the run's */
        st->rows += x->st.rows;
        st->bad_values += x->st.bad_values;
        st->dropped_fields += x->st.dropped_fields;
        st->files += x->st.files;
        st->no_audio += x->st.no_audio;
        if (by_split && k < (int)(sizeof st->split_rows /
                                  sizeof *st->split_rows)) {
            snprintf(st->split_name[k], sizeof st->split_name[k], "%s",
                     x->split);
            st->split_rows[k] = x->st.rows;
            st->nsplit = k + 1;
        }
    }
    if (rc == 0 && o->fmt == MG_EXPORT_HF && st->rows == 0 && st->no_audio)
        rc = mg_errf(err, errlen,
                     "no sample has a mix (a midi-only or stems-only "
                     "dataset): the audiofolder layout needs one audio "
                     "file per row; export jsonl, parquet or jams instead");
    if (rc == 0 && o->genre)
        rc = genres_check(o, &seen, o->root, st, err, errlen);
    for (int k = 0; k < nout; k++) {
        if (rc == 0 && lic[k]) {
            char lp[PATH_MAX + 160];
            int fonts = 0;
            snprintf(lp, sizeof lp, "%s/LICENSES.md", outs[k].tmp);
            rc = mg_licenses_save(lic[k], o->sf_dir, lp, "export",
                                  "exported sample", &fonts, err, errlen);
            if (fonts > st->fonts) st->fonts = fonts; /* the most of one */
        }
        mg_licenses_free(&lic[k]);
    }
    for (int k = 0; k < nout && rc == 0; k++)
        if (!outs[k].in_place)
            rc = publish(&outs[k].o, outs[k].tmp, err, errlen);
    if (rc) {
        for (int k = 0; k < nout; k++) {
            if (outs[k].in_place) continue;
            if (is_dir_format(o->fmt)) mg_dir_remove(outs[k].tmp);
            else unlink(outs[k].tmp);
        }
    }
    free(outs);
    return rc ? -1 : 0;
}
