/*
 * export_text — the text formats: JSONL (one compact JSON object per
 * sample), CSV (RFC 4180: CRLF rows, fields quoted when they hold a
 * comma, quote, CR, LF or edge space, quotes doubled; lists and objects as
 * compact JSON), and the Hugging Face audiofolder tree (per split
 * directory a metadata.jsonl whose file_name names the sample's mix, hard
 * linked beside it; README.md, the dataset card, export_card.c).
 *
 * Output goes through one buffer flushed in large writes; nothing grows
 * with the number of samples.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "export_priv.h"
#include "rfile.h"
#include "sampledir.h"

#define FLUSH_AT (1u << 20)

/* ---- JSONL ---- */

typedef struct {
    mg_xwriter w;
    mg_ofile *f;
    mg_gbuf b;
} jsonl;

static int
jsonl_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    jsonl *j = (jsonl *)w;
    mg_export_row_json(&j->b, r);
    w->st->rows++;
    if (j->b.len >= FLUSH_AT && mg_xbuf_flush_o(&j->b, j->f))
        return mg_errf(err, errlen, "%s: %s", w->path, strerror(errno));
    return 0;
}

int
mg_xfile_finish(FILE **fp, mg_gbuf *b, const char *path, char *err,
                size_t errlen)
{
    FILE *f = *fp;
    *fp = NULL;
    int bad = mg_xbuf_flush(b, f) || fflush(f) || fsync(fileno(f));
    int en = errno;
    if (fclose(f) || bad)
        return mg_errf(err, errlen, "%s: %s", path, strerror(bad ? en : errno));
    return 0;
}

/* The last of the buffer, then the file closed (fsync'd). */
static int
ofile_finish(mg_ofile **fp, mg_gbuf *b, const char *path, char *err,
             size_t errlen)
{
    if (mg_xbuf_flush_o(b, *fp)) {
        int en = errno;
        mg_ofile_abort(fp);
        return mg_errf(err, errlen, "%s: %s", path, strerror(en));
    }
    return mg_ofile_close(fp, err, errlen);
}

static int
jsonl_finish(mg_xwriter *w, char *err, size_t errlen)
{
    jsonl *j = (jsonl *)w;
    return ofile_finish(&j->f, &j->b, w->path, err, errlen);
}

static void
jsonl_destroy(mg_xwriter *w)
{
    jsonl *j = (jsonl *)w;
    mg_ofile_abort(&j->f);
    mg_gbuf_free(&j->b);
    free(j);
}

FILE *
mg_xfile_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) mg_errf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

mg_xwriter *
mg_export_jsonl_new(const mg_export_opts *o, mg_export_stats *st,
                    const char *path, char *err, size_t errlen)
{
    jsonl *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->w = (mg_xwriter){NULL, jsonl_row, jsonl_finish, jsonl_destroy, o, st,
                        path, MG_JDOC_LEAF_ARRAYS};
    if (!(j->f = mg_ofile_open(path, err, errlen))) {
        free(j);
        return NULL;
    }
    return &j->w;
}

/* ---- CSV ---- */

typedef struct {
    mg_xwriter w;
    mg_ofile *f;
    mg_gbuf b, tmp;
    mg_xcols cols;
    bool started;
    long *slot; /* per column: field index in the row, or -1 */
    char *dec;  /* decoded string scratch */
    size_t dec_cap;
} csv;

static void
csv_cell(mg_gbuf *b, const char *s, size_t n)
{
    bool quote = n && (s[0] == ' ' || s[n - 1] == ' ');
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        mg_gbuf_put(b, s, n);
        return;
    }
    mg_gbuf_putc(b, '"');
    const char *run = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            mg_gbuf_put(b, run, (size_t)(s + i + 1 - run));
            mg_gbuf_putc(b, '"');
            run = s + i + 1;
        }
    mg_gbuf_put(b, run, (size_t)(s + n - run));
    mg_gbuf_putc(b, '"');
}

static int
csv_value(csv *c, const mg_xrow *r, const mg_xfield *f)
{
    if (f->kind == MG_XF_NULL) return 0;
    if (f->kind == MG_XF_STR) {
        csv_cell(&c->b, f->str, strlen(f->str));
        return 0;
    }
    const mg_jtok *t = &r->doc->t[f->tok];
    switch ((mg_jtype)t->type) {
    case MG_JT_NULL: return 0;
    case MG_JT_STR: {
        if (t->len + 1u > c->dec_cap) {
            size_t cap = (t->len + 1u) * 2;
            char *q = realloc(c->dec, cap);
            if (!q) return -1;
            c->dec = q;
            c->dec_cap = cap;
        }
        size_t n = mg_jdoc_str(r->doc, f->tok, c->dec, c->dec_cap);
        csv_cell(&c->b, c->dec, n);
        return 0;
    }
    case MG_JT_ARR:
    case MG_JT_OBJ:
        c->tmp.len = 0;
        mg_xbuf_json(&c->tmp, r->doc, f->tok);
        csv_cell(&c->b, c->tmp.p, c->tmp.len);
        return 0;
    default: /* numbers, true, false: their JSON text */
        mg_gbuf_put(&c->b, r->doc->s + t->start, t->len);
        return 0;
    }
}

static int
csv_scan(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    csv *c = (csv *)w;
    for (size_t i = 0; i < r->nf; i++)
        if (mg_xcols_add(&c->cols, r->f[i].name) < 0)
            return mg_errf(err, errlen, "out of memory");
    return 0;
}

static int
csv_header(csv *c, char *err, size_t errlen)
{
    if (!(c->slot = malloc((c->cols.n + 1) * sizeof *c->slot)))
        return mg_errf(err, errlen, "out of memory");
    for (size_t i = 0; i < c->cols.n; i++) {
        if (i) mg_gbuf_putc(&c->b, ',');
        csv_cell(&c->b, c->cols.names[i], strlen(c->cols.names[i]));
    }
    if (c->cols.n) mg_gbuf_put(&c->b, "\r\n", 2);
    c->started = true;
    return 0;
}

static int
csv_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    csv *c = (csv *)w;
    if (!c->started &&
        (csv_scan(w, r, err, errlen) || csv_header(c, err, errlen)))
        return -1;
    long dropped = mg_xcols_map(&c->cols, r, c->slot);
    if (dropped < 0) return mg_errf(err, errlen, "out of memory");
    w->st->dropped_fields += (uint64_t)dropped;
    for (size_t i = 0; i < c->cols.n; i++) {
        if (i) mg_gbuf_putc(&c->b, ',');
        if (c->slot[i] >= 0 && csv_value(c, r, &r->f[c->slot[i]]))
            return mg_errf(err, errlen, "out of memory");
    }
    mg_gbuf_put(&c->b, "\r\n", 2);
    w->st->rows++;
    if (c->b.len >= FLUSH_AT && mg_xbuf_flush_o(&c->b, c->f))
        return mg_errf(err, errlen, "%s: %s", w->path, strerror(errno));
    return 0;
}

static int
csv_finish(mg_xwriter *w, char *err, size_t errlen)
{
    csv *c = (csv *)w;
    /* No row: the header of the columns the scan found. */
    if (!c->started && csv_header(c, err, errlen)) return -1;
    return ofile_finish(&c->f, &c->b, w->path, err, errlen);
}

static void
csv_destroy(mg_xwriter *w)
{
    csv *c = (csv *)w;
    mg_ofile_abort(&c->f);
    mg_gbuf_free(&c->b);
    mg_gbuf_free(&c->tmp);
    mg_xcols_free(&c->cols);
    free(c->slot);
    free(c->dec);
    free(c);
}

mg_xwriter *
mg_export_csv_new(const mg_export_opts *o, mg_export_stats *st,
                  const char *path, char *err, size_t errlen)
{
    csv *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->w = (mg_xwriter){csv_scan, csv_row, csv_finish, csv_destroy, o, st,
                        path, MG_JDOC_LEAF_ARRAYS};
    if (!(c->f = mg_ofile_open(path, err, errlen))) {
        free(c);
        return NULL;
    }
    return &c->w;
}

/* ---- Hugging Face audiofolder ---- */

#define HF_MAX_SPLITS 16

typedef struct {
    mg_xwriter w;
    struct {
        char name[64];
        FILE *f;
        mg_gbuf b;
    } split[HF_MAX_SPLITS];
    int nsplit;
    mg_gbuf line;
    mg_hfcard *card;
} hf;

/* The directory names audiofolder maps to its splits. */
static const char *
hf_split_dir(const char *split)
{
    if (!strcmp(split, "valid")) return "validation";
    return split[0] ? split : "train";
}

static int
hf_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    hf *h = (hf *)w;
    if (r->unsafe) { /* this sample only, left out whole */
        mg_errf(err, errlen, "%s/sample.json: %s, not a path inside the "
                "sample", r->rel, r->unsafe);
        return 1;
    }
    const mg_xfile *mix = NULL;
    for (size_t i = 0; i < r->nfiles && !mix; i++)
        if (!strcmp(r->files[i].kind, "mix")) mix = &r->files[i];
    if (!mix) {
        w->st->no_audio++;
        return 0;
    }
    const char *sd = hf_split_dir(r->split);
    if (strchr(sd, '/') || sd[0] == '.')
        return mg_errf(err, errlen, "%s: split name '%s' cannot be a "
                       "directory name", r->rel, r->split);
    int k;
    for (k = 0; k < h->nsplit; k++)
        if (!strcmp(h->split[k].name, sd)) break;
    char p[8192];
    if (k == h->nsplit) {
        if (k == HF_MAX_SPLITS)
            return mg_errf(err, errlen, "more than %d splits", HF_MAX_SPLITS);
        snprintf(h->split[k].name, sizeof h->split[k].name, "%s", sd);
        snprintf(p, sizeof p, "%s/%s", w->path, sd);
        if (mg_dir_make(p))
            return mg_errf(err, errlen, "%s: %s", p, strerror(errno));
        snprintf(p, sizeof p, "%s/%s/metadata.jsonl", w->path, sd);
        if (!(h->split[k].f = mg_xfile_open(p, err, errlen))) return -1;
        h->nsplit++;
    }
    /* The audio beside its metadata: <split>/<rel>.wav ("000/000042.wav"
     * in a sharded dataset: audiofolder reads nested directories). */
    const char *ext = strrchr(mix->file, '.');
    char fname[1024], src[8192];
    snprintf(fname, sizeof fname, "%s%s", r->rel, ext ? ext : ".wav");
    const char *slash = strrchr(fname, '/');
    if (slash) {
        snprintf(p, sizeof p, "%s/%s/%.*s", w->path, sd,
                 (int)(slash - fname), fname);
        if (mg_dir_make(p))
            return mg_errf(err, errlen, "%s: %s", p, strerror(errno));
    }
    snprintf(p, sizeof p, "%s/%s/%s", w->path, sd, fname);
    snprintf(src, sizeof src, "%s/%s", r->dir, mix->file);
    if (mg_rfile_check(src, err, errlen)) return 1; /* regular too */
    if (mg_export_link(src, p, err, errlen)) return -1;
    w->st->files++;

    mg_gbuf *b = &h->split[k].b;
    mg_gbuf_puts(b, "{\"file_name\":");
    mg_gbuf_jstr(b, fname);
    h->line.len = 0;
    mg_export_row_json(&h->line, r);
    if (h->line.oom) return mg_errf(err, errlen, "out of memory");
    if (h->line.len > 2) {
        mg_gbuf_putc(b, ',');
        mg_gbuf_put(b, h->line.p + 1, h->line.len - 1); /* past '{' */
    } else {
        mg_gbuf_puts(b, "}\n");
    }
    w->st->rows++;
    if (mg_hfcard_add(h->card, sd, r))
        return mg_errf(err, errlen, "more than %d splits", HF_MAX_SPLITS);
    if (b->len >= FLUSH_AT && mg_xbuf_flush(b, h->split[k].f))
        return mg_errf(err, errlen, "metadata.jsonl: %s", strerror(errno));
    return 0;
}

static int
hf_finish(mg_xwriter *w, char *err, size_t errlen)
{
    hf *h = (hf *)w;
    for (int k = 0; k < h->nsplit; k++)
        if (mg_xfile_finish(&h->split[k].f, &h->split[k].b, h->split[k].name,
                            err, errlen))
            return -1;
    if (!h->nsplit) return 0; /* no row: no card (export says why) */
    char p[8192];
    snprintf(p, sizeof p, "%s/README.md", w->path);
    return mg_hfcard_save(h->card, p, 0, 0, err, errlen);
}

static void
hf_destroy(mg_xwriter *w)
{
    hf *h = (hf *)w;
    for (int k = 0; k < h->nsplit; k++) {
        if (h->split[k].f) fclose(h->split[k].f);
        mg_gbuf_free(&h->split[k].b);
    }
    mg_gbuf_free(&h->line);
    mg_hfcard_free(&h->card);
    free(h);
}

mg_xwriter *
mg_export_hf_new(const mg_export_opts *o, mg_export_stats *st,
                 const char *path, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    hf *h = calloc(1, sizeof *h);
    if (!h || !(h->card = mg_hfcard_new())) {
        free(h);
        return NULL;
    }
    h->w = (mg_xwriter){NULL, hf_row, hf_finish, hf_destroy, o, st, path,
                        MG_JDOC_LEAF_ARRAYS};
    return &h->w;
}
