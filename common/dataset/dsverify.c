/*
 * dsverify — the checks of `musicgen verify` (see dsverify.h); the files
 * a sample names are checked in dsverify_file.c.
 *
 * Threads: the caller's thread walks the tree (dsread) and owns a ring of
 * slots; worker threads take the oldest unclaimed slot, check it and mark
 * it done; the caller prints and joins with the manifest only the oldest
 * slot, so output is in index order whatever finishes first. jansson is
 * safe for separate trees; the schema is read-only.
 */
#include "dsverify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dsnames.h"
#include "dsread.h"
#include "dsverify_priv.h"
#include "engine.h"
#include "errmsg.h"
#include "jdoc.h"
#include "jschema.h"
#include "licenses.h"
#include "runlock.h"
#include "seed.h"
#include "utf8.h"

#define MAX_SCHEMA_REPORTS 8

/* Fields one run holds the same in every sample; not the drawn ones
 * (seed, genre, key, tempo...) nor the per-sample soundfonts. */
const char *const mg_dsverify_run_fields[MG_DSV_NRUN] = {
    "musicgen_version", "fluidsynth_version", "genres_hash", "global_seed",
    "output_mode",      "ppq",                "genres",      "sample_rate",
    "audio_format",     "audio_channels"};

struct mg_dsverify {
    mg_jschema *schema;
    bool quick; /* sizes and headers, no SHA-256 (mg_dsverify_set_quick) */
    char run[MG_DSV_NRUN][MG_DSV_RUNLEN]; /* the run's ("": the first
                                           * sample's) */
    char run_src[200];
};

/* Keep JSON text t[0..n) as a run-level value: whole when it fits, else
 * its head and an FNV-1a hash of all of it (two long values that differ
 * stay apart). */
static void
run_value(char out[MG_DSV_RUNLEN], const char *t, size_t n)
{
    if (n < MG_DSV_RUNLEN) {
        memcpy(out, t, n);
        out[n] = '\0';
        return;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)t[i]) * 0x100000001b3ull;
    snprintf(out, MG_DSV_RUNLEN, "%.40s...#%016" PRIx64, t, h);
}

int
mg_dsverify_set_run(mg_dsverify *v, const char *field, const char *json,
                    const char *source)
{
    for (int f = 0; f < MG_DSV_NRUN; f++) {
        if (strcmp(field, mg_dsverify_run_fields[f])) continue;
        run_value(v->run[f], json, strlen(json));
        snprintf(v->run_src, sizeof v->run_src, "%s", source);
        return 0;
    }
    return -1;
}

mg_dsverify *
mg_dsverify_new(const char *schema_path, char *err, size_t errlen)
{
    mg_dsverify *v = calloc(1, sizeof *v);
    if (!v) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    v->schema = mg_jschema_load(schema_path, err, errlen);
    if (!v->schema) {
        free(v);
        return NULL;
    }
    return v;
}

void
mg_dsverify_set_quick(mg_dsverify *v, bool quick)
{
    v->quick = quick;
}

void
mg_dsverify_destroy(mg_dsverify **vp)
{
    if (!vp || !*vp) return;
    mg_jschema_destroy(&(*vp)->schema);
    free(*vp);
    *vp = NULL;
}

void
mg_dsverify_result_free(mg_dsverify_result *r)
{
    free(r->text);
    json_decref(r->fonts);
    memset(r, 0, sizeof *r);
}

void
mg_dsv_problem(mg_dsverify_result *r, const char *fmt, ...)
{
    char line[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    size_t n = strlen(line);
    r->nproblems++;
    if (r->len + n + 2 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        while (cap < r->len + n + 2)
            cap *= 2;
        char *t = realloc(r->text, cap);
        if (!t) return; /* counted, not printed */
        r->text = t;
        r->cap = cap;
    }
    memcpy(r->text + r->len, line, n);
    r->len += n;
    r->text[r->len++] = '\n';
    r->text[r->len] = 0;
}

/* A schema problem; note says which musicgen wrote a sample.json that
 * is not this one's (a field required since then is missing from it). */
typedef struct {
    mg_dsverify_result *r;
    char note[96];
} schema_ctx;

static void
schema_report(const char *msg, void *arg)
{
    schema_ctx *c = arg;
    mg_dsv_problem(c->r, "sample.json: schema: %s%s", msg, c->note);
}

static char *
slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EFTYPE_NOTREG;
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *b = malloc(cap);
    while (b) {
        if (n + 1 >= cap) {
            char *t = realloc(b, cap * 2);
            if (!t) {
                free(b);
                b = NULL;
                break;
            }
            b = t;
            cap *= 2;
        }
        ssize_t got = read(fd, b + n, cap - 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            free(b);
            b = NULL;
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    int en = errno;
    close(fd);
    errno = en;
    if (b) {
        b[n] = 0;
        *len = n;
    }
    return b;
}

/* The members of sample.json the checks below read, as a small jansson
 * object (numbers as reals, as the schema's integers may pass 2^63): the
 * large arrays (notes, beats, chords) stay tokens. A member jansson
 * cannot read is left out (the schema has named what is wrong with it). */
static json_t *
small_tree(const mg_jdoc *d, const char *text)
{
    static const char *const keys[] = {"soundfonts",
                                       "musicgen_version",
                                       "global_seed",
                                       "sample_index",
                                       "seed",
                                       "split",
                                       "musicality_score",
                                       "duration_seconds",
                                       "checksums",
                                       "midi",
                                       "stems",
                                       "mix",
                                       "sample_rate",
                                       "audio_frames"};
    json_t *j = json_object();
    for (size_t i = 0; j && i < sizeof keys / sizeof *keys; i++) {
        long t = mg_jdoc_get(d, 0, keys[i]);
        if (t < 0) continue;
        const mg_jtok *k = &d->t[t];
        size_t off = k->start, len = k->len;
        if (k->type == MG_JT_STR) { /* start is past the quote */
            off--;
            len += 2;
        }
        json_t *v = json_loadb(text + off, len,
                               JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
        if (v) json_object_set_new(j, keys[i], v);
    }
    return j ? j : json_object();
}

int
mg_dsverify_sample(const mg_dsverify *v, const char *dir, uint64_t index,
                   unsigned char *buf, size_t bufsize, mg_dsverify_result *r)
{
    char path[4200];
    size_t len = 0;

    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/sample.json", dir);
    char *text = slurp(path, &len);
    if (!text) {
        mg_dsv_problem(r, "sample.json: cannot read: %s", mg_dsv_why_err(errno));
        return r->nproblems;
    }
    /* Tokens, validated against the schema as tokens (jschema.h): a
     * sample.json's thousands of note values cost no jansson tree. */
    mg_jdoc d = {0};
    char perr[200];
    long bad_utf8 = mg_utf8_bad(text, len);
    int prc =
        bad_utf8 >= 0 ? -1 : mg_jdoc_parse(&d, text, len, perr, sizeof perr);
    long lone = prc ? -1 : mg_jdoc_lone_surrogate(&d);
    long dup = prc || lone >= 0 ? -1 : mg_jdoc_dup_key(&d);
    if (dup == -2) {
        mg_dsv_problem(r, "sample.json: out of memory");
        mg_jdoc_free(&d);
        free(text);
        return r->nproblems;
    }
    if (prc || lone >= 0 || dup >= 0 || d.t[0].type != MG_JT_OBJ) {
        if (bad_utf8 >= 0)
            mg_dsv_problem(r, "sample.json: invalid JSON at byte %ld: not UTF-8",
                    bad_utf8);
        else if (dup >= 0)
            mg_dsv_problem(r,
                    "sample.json: key \"%.*s\" appears twice in one "
                    "object (at byte %u)",
                    (int)(d.t[dup].len < 64 ? d.t[dup].len : 64),
                    d.s + d.t[dup].start, d.t[dup].start - 1);
        else if (lone >= 0)
            mg_dsv_problem(r,
                    "sample.json: invalid JSON at byte %ld: a \\u escape "
                    "that is half a surrogate pair",
                    lone);
        else if (prc)
            mg_dsv_problem(r, "sample.json: invalid JSON at %s%s", perr,
                    len == 0 ? " (empty file)" : "");
        else
            mg_dsv_problem(r, "sample.json: not a JSON object");
        mg_jdoc_free(&d);
        free(text);
        return r->nproblems;
    }
    json_t *j = small_tree(&d, text);
    r->parsed = true;
    r->fonts = json_incref(json_object_get(j, "soundfonts"));
    schema_ctx sc = {r, ""};
    const char *ver = json_string_value(json_object_get(j, "musicgen_version"));
    if (ver && strcmp(ver, MG_ENGINE_VERSION))
        snprintf(sc.note, sizeof sc.note,
                 " (written by musicgen %.24s; this is %s's schema)", ver,
                 MG_ENGINE_VERSION);
    mg_jschema_validate_doc(v->schema, &d, 0, schema_report, &sc,
                            MAX_SCHEMA_REPORTS);

    /* Identity: its own index and the seed the run derives for it, read
     * exactly from their tokens (whatever the file's layout: a seed is
     * past a double's precision) */
    uint64_t gseed = 0;
    long ti = mg_jdoc_get(&d, 0, "sample_index");
    long ts = mg_jdoc_get(&d, 0, "seed");
    long tg = mg_jdoc_get(&d, 0, "global_seed");
    bool has_index = ti >= 0 && !mg_jdoc_u64(&d, (uint32_t)ti, &r->index);
    if (!has_index || r->index != index) {
        const mg_jtok *t = ti >= 0 ? &d.t[ti] : NULL;
        mg_dsv_problem(r, "sample.json: sample_index %.*s in the directory of "
                "index %" PRIu64, t ? (int)(t->len < 40 ? t->len : 40) : 7,
                t ? d.s + t->start : "missing", index);
        if (!has_index) r->index = UINT64_MAX;
    }
    bool has_seed = ts >= 0 && !mg_jdoc_u64(&d, (uint32_t)ts, &r->seed);
    if (!has_seed) r->seed = 0;
    int64_t gi;
    bool has_g = tg >= 0 && (!mg_jdoc_u64(&d, (uint32_t)tg, &gseed) ||
                             (!mg_jdoc_i64(&d, (uint32_t)tg, &gi) &&
                              (gseed = (uint64_t)gi, true)));
    if (has_g && has_seed && mg_sample_seed(gseed, index) != r->seed)
        mg_dsv_problem(r, "sample.json: seed %" PRIu64 " is not the seed of index "
                "%" PRIu64 " under global seed %" PRIu64 " (%" PRIu64 ")",
                r->seed, index, gseed, mg_sample_seed(gseed, index));
    /* the run-level fields, as compact text from their tokens (the tree
     * compares them in index order: consume) */
    for (int f = 0; f < MG_DSV_NRUN; f++) {
        long tf = mg_jdoc_get(&d, 0, mg_dsverify_run_fields[f]);
        if (tf < 0) continue;
        if ((size_t)d.t[tf].len + 2 > bufsize) {
            run_value(r->run[f], d.s + d.t[tf].start, d.t[tf].len);
            continue;
        }
        size_t n = mg_jdoc_compact(&d, (uint32_t)tf, (char *)buf);
        run_value(r->run[f], (const char *)buf, n);
    }
    mg_jdoc_free(&d);
    snprintf(r->split, sizeof r->split, "%s",
             json_string_value(json_object_get(j, "split"))
                 ? json_string_value(json_object_get(j, "split"))
                 : "");
    /* not numbers (the schema names those): NaN, compared with nothing */
    json_t *jsc = json_object_get(j, "musicality_score");
    json_t *jdu = json_object_get(j, "duration_seconds");
    r->score = json_is_number(jsc) ? json_number_value(jsc) : NAN;
    r->duration = json_is_number(jdu) ? json_number_value(jdu) : NAN;

    /* Files: every one named, then every checksum not yet seen. */
    json_t *sums = json_object_get(j, "checksums");
    json_t *seen = json_object();
    const char *groups[] = {"midi", "stems"};
    for (int g = 0; g < 2; g++) {
        json_t *obj = json_object_get(j, groups[g]), *e;
        const char *k;
        if (!json_is_object(obj)) continue;
        json_object_foreach(obj, k, e) {
            const char *rel = json_string_value(e);
            if (!rel) continue;
            json_object_set_new(seen, rel, json_true());
            mg_dsv_check_file(dir, rel, json_string_value(json_object_get(sums, rel)),
                       j, buf, bufsize, v->quick, r);
        }
    }
    const char *mix = json_string_value(json_object_get(j, "mix"));
    if (mix) {
        json_object_set_new(seen, mix, json_true());
        mg_dsv_check_file(dir, mix, json_string_value(json_object_get(sums, mix)), j,
                   buf, bufsize, v->quick, r);
    }
    const char *k;
    json_t *e;
    json_object_foreach(sums, k, e) {
        if (json_object_get(seen, k)) continue;
        mg_dsv_check_file(dir, k, json_string_value(e), j, buf, bufsize, v->quick,
                   r);
    }
    json_decref(seen);
    json_decref(j);
    free(text);
    return r->nproblems;
}

/* ---- the tree ---------------------------------------------------------- */

typedef struct {
    uint64_t index;
    char rel[128];
    char path[4200];
    bool complete, tmp, misplaced;
    char why[300];
    int state; /* 0 free, 1 waiting, 2 taken, 3 done */
    mg_dsverify_result res;
} slot;

typedef struct {
    const mg_dsverify *v;
    slot *ring;
    int nslots;
    long head, tail, next; /* ring positions: oldest, end, next to take */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
} pool;

static void *
worker(void *arg)
{
    pool *p = arg;
    unsigned char *buf = malloc(BUF_SIZE);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->next < p->tail && p->ring[p->next % p->nslots].state != 1)
            p->next++;
        if (p->next == p->tail) {
            if (p->stop) break;
            pthread_cond_wait(&p->work, &p->mu);
            continue;
        }
        slot *s = &p->ring[p->next % p->nslots];
        p->next++;
        s->state = 2;
        pthread_mutex_unlock(&p->mu);
        if (!buf)
            mg_dsv_problem(&s->res, "sample.json: out of memory");
        else
            mg_dsverify_sample(p->v, s->path, s->index, buf, BUF_SIZE,
                               &s->res);
        pthread_mutex_lock(&p->mu);
        s->state = 3;
        pthread_cond_broadcast(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    free(buf);
    return NULL;
}

/* The values one run-level field took across the samples: the run's
 * first (val[0]), then the others as they came, each with its count and
 * first index; past MG_DSV_RUNVALS, only counted. */
typedef struct {
    char val[MG_DSV_RUNVALS][MG_DSV_RUNLEN];
    uint64_t count[MG_DSV_RUNVALS], first[MG_DSV_RUNVALS];
    int n;
    uint64_t more, more_first;
} runtally;

static void
runtally_add(runtally *rt, const char *val, uint64_t index)
{
    if (!val[0]) return; /* not in this sample (the schema says if it must) */
    for (int i = 0; i < rt->n; i++) {
        if (strcmp(rt->val[i], val)) continue;
        if (!rt->count[i]++) rt->first[i] = index;
        return;
    }
    if (rt->n == MG_DSV_RUNVALS) {
        if (!rt->more++) rt->more_first = index;
        return;
    }
    snprintf(rt->val[rt->n], MG_DSV_RUNLEN, "%s", val);
    rt->count[rt->n] = 1;
    rt->first[rt->n++] = index;
}

/* The manifest side of the join: rows read ahead one at a time. */
typedef struct {
    mg_dsmanifest *m;
    bool have, eof;
    json_t *row; /* owned copy */
    long line;
    uint64_t index, last;
    bool any;
    unsigned char *bits; /* indices seen, a bit each, while dense */
    size_t nbits;
    uint64_t *far;       /* indices seen past the dense bits (a hash set:
                          * index + 1, 0 empty), so one wild row of index
                          * 3e10 costs a slot, not 4 GB of bits */
    size_t nfar, capfar;
    FILE *out;
    mg_dsverify_totals *t;
    mg_licenses *lic; /* the fonts of the complete samples */
    mg_dsprogress progress;
    uint64_t consumed; /* sample directories joined (progress.tick) */
    runtally run[MG_DSV_NRUN];
} mside;

static void
say(mside *ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(mside *ms, const char *fmt, ...)
{
    va_list ap;
    if (ms->progress.clear) ms->progress.clear(ms->progress.ud);
    va_start(ap, fmt);
    vfprintf(ms->out, fmt, ap);
    va_end(ap);
    fputc('\n', ms->out);
    ms->t->problems++;
}

/* v's home slot in a hash set of cap (a power of two) slots */
static size_t
far_slot(uint64_t v, size_t cap)
{
    return (size_t)((v * 0x9E3779B97F4A7C15ull) >> 7) & (cap - 1);
}

/* Mark index i seen; whether it was before. Memory follows the rows: bits
 * up to 64 indices a row read (a dense manifest: a bit an index), a hash
 * set past that. When memory runs out, nothing is said (cannot tell). */
static bool
bit_test_set(mside *ms, uint64_t i)
{
    uint64_t dense = 64 * (ms->t->rows + 65536);
    if (i < dense) {
        if (i / 8 >= ms->nbits) {
            size_t n = ms->nbits ? ms->nbits : 4096;
            while (n <= i / 8)
                n *= 2;
            unsigned char *b = realloc(ms->bits, n);
            if (!b) return false;
            memset(b + ms->nbits, 0, n - ms->nbits);
            ms->bits = b;
            ms->nbits = n;
        }
        bool was = ms->bits[i / 8] & (1u << (i % 8));
        ms->bits[i / 8] |= (unsigned char)(1u << (i % 8));
        /* seen when it was past the dense bits (they have grown since) */
        for (size_t h = ms->capfar ? far_slot(i + 1, ms->capfar) : 0;
             !was && ms->nfar && ms->far[h]; h = (h + 1) & (ms->capfar - 1))
            was = ms->far[h] == i + 1;
        return was;
    }
    if (2 * (ms->nfar + 1) > ms->capfar) {
        size_t cap = ms->capfar ? 2 * ms->capfar : 64;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t) return false;
        for (size_t k = 0; k < ms->capfar; k++) {
            uint64_t v = ms->far[k];
            if (!v) continue;
            size_t h = far_slot(v, cap);
            while (t[h]) h = (h + 1) & (cap - 1);
            t[h] = v;
        }
        free(ms->far);
        ms->far = t;
        ms->capfar = cap;
    }
    uint64_t v = i + 1; /* 0 marks an empty slot */
    size_t h = far_slot(v, ms->capfar);
    while (ms->far[h]) {
        if (ms->far[h] == v) return true;
        h = (h + 1) & (ms->capfar - 1);
    }
    ms->far[h] = v;
    ms->nfar++;
    return false;
}

/* Advance to the next usable row: in order, not a duplicate. */
static void
mside_next(mside *ms)
{
    char err[600];
    json_t *row;
    long line;
    json_decref(ms->row);
    ms->row = NULL;
    ms->have = false;
    while (ms->m && !ms->eof) {
        int rc = mg_dsmanifest_next(ms->m, &row, &line, err, sizeof err);
        if (rc == 0) {
            ms->eof = true;
            break;
        }
        if (rc < 0) {
            say(ms, "%s", err);
            continue;
        }
        ms->t->rows++;
        json_t *ix = json_object_get(row, "sample_index");
        double d = json_number_value(ix);
        if (!json_is_number(ix) || d < 0 || floor(d) != d) {
            say(ms, "manifest.jsonl:%ld: no valid sample_index", line);
            continue;
        }
        uint64_t i = (uint64_t)d;
        if (bit_test_set(ms, i)) {
            say(ms, "manifest.jsonl:%ld: duplicate row for index %" PRIu64,
                line, i);
            continue;
        }
        if (ms->any && i < ms->last) {
            say(ms, "manifest.jsonl:%ld: index %" PRIu64 " out of order "
                "(after %" PRIu64 ")", line, i, ms->last);
            continue;
        }
        ms->any = true;
        ms->last = i;
        ms->row = json_incref(row);
        ms->line = line;
        ms->index = i;
        ms->have = true;
        return;
    }
}

/* A u64 from a manifest row: a number, or jsonout's tagged string that
 * the dataset reader makes of integers past 2^63. */
static uint64_t
row_u64(const json_t *v)
{
    uint64_t x;
    if (!mg_jdoc_json_u64(v, &x)) return x;
    return json_is_real(v) ? (uint64_t)json_real_value(v) : 0;
}

static bool
row_ok(const json_t *row)
{
    const char *st = json_string_value(json_object_get(row, "status"));
    return st && !strcmp(st, "ok");
}

/* A row with no complete directory of its index. */
static void
row_alone(mside *ms)
{
    if (row_ok(ms->row))
        say(ms, "manifest.jsonl:%ld: index %" PRIu64 " is \"ok\" but has no "
            "finished sample (%s: missing, half-written or not readable as "
            "one)", ms->line, ms->index,
            json_string_value(json_object_get(ms->row, "path"))
                ? json_string_value(json_object_get(ms->row, "path"))
                : "no path");
}

/* Join one finished slot with the manifest and print its problems. */
static void
consume(mside *ms, slot *s)
{
    const char *p = s->res.text;
    if (p && *p && ms->progress.clear) ms->progress.clear(ms->progress.ud);
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        fprintf(ms->out, "%s: %.*s\n", s->rel, (int)(nl - p), p);
        p = nl + 1;
    }
    ms->t->problems += (uint64_t)s->res.nproblems;
    ms->t->files += (uint64_t)s->res.files;
    ms->t->bytes += s->res.bytes;
    if (s->misplaced) {
        say(ms, "%s: %s", s->rel, s->why);
        return;
    }
    if (s->tmp || !s->complete) {
        ms->t->partials++;
        say(ms, "%s: half-written directory (%s)", s->rel,
            s->tmp ? "an interrupted writer's .tmp-* directory"
                   : "no sample.json");
        return;
    }
    ms->t->samples++;
    if (s->res.parsed)
        for (int f = 0; f < MG_DSV_NRUN; f++)
            runtally_add(&ms->run[f], s->res.run[f], s->index);
    /* as LICENSES.md counts them: every sample, with its fonts */
    if (s->res.parsed && ms->lic) mg_licenses_add_json(ms->lic, s->res.fonts);
    if (!ms->m) return;
    while (ms->have && ms->index < s->index) {
        row_alone(ms);
        mside_next(ms);
    }
    if (!ms->have || ms->index != s->index) {
        say(ms, "%s: orphan: no manifest row for index %" PRIu64, s->rel,
            s->index);
        return;
    }
    const json_t *row = ms->row;
    const mg_dsverify_result *r = &s->res;
    const char *path = json_string_value(json_object_get(row, "path"));
    const char *split = json_string_value(json_object_get(row, "split"));
    if (!row_ok(row))
        say(ms, "manifest.jsonl:%ld: index %" PRIu64 " is not \"ok\" but %s "
            "is a complete sample", ms->line, ms->index, s->rel);
    else if (!path || strcmp(path, s->rel))
        say(ms, "manifest.jsonl:%ld: path \"%s\", the sample is at %s",
            ms->line, path ? path : "", s->rel);
    if (r->parsed && row_ok(row)) {
        uint64_t seed = row_u64(json_object_get(row, "seed"));
        double sc = json_number_value(json_object_get(row,
                                                      "musicality_score"));
        double du = json_number_value(json_object_get(row,
                                                      "duration_seconds"));
        if (seed != r->seed)
            say(ms, "manifest.jsonl:%ld: seed %" PRIu64 ", sample.json has %"
                PRIu64,
                ms->line, seed, r->seed);
        if (!split || strcmp(split, r->split))
            say(ms, "manifest.jsonl:%ld: split \"%s\", sample.json has "
                "\"%s\"", ms->line, split ? split : "", r->split);
        if (!isnan(r->score) && fabs(sc - r->score) > 5e-5)
            say(ms, "manifest.jsonl:%ld: musicality_score %.4f, sample.json "
                "has %.4f", ms->line, sc, r->score);
        if (!isnan(r->duration) && fabs(du - r->duration) > 5e-7)
            say(ms, "manifest.jsonl:%ld: duration_seconds %.6f, sample.json "
                "has %.6f", ms->line, du, r->duration);
    }
    mside_next(ms);
}

/* One line per run-level field whose samples do not all hold the run's
 * value: each value with its count, the first index of each that is not
 * the run's. */
static void
run_mix_report(mside *ms, const mg_dsverify *v)
{
    for (int f = 0; f < MG_DSV_NRUN; f++) {
        const runtally *rt = &ms->run[f];
        bool mixed = rt->more > 0;
        for (int i = 1; i < rt->n; i++)
            mixed |= rt->count[i] > 0;
        if (!mixed) continue;
        char line[1400];
        size_t k = 0;
#define ADD(...)                                                            \
    do {                                                                    \
        if (k < sizeof line)                                                \
            k += (size_t)snprintf(line + k, sizeof line - k, __VA_ARGS__);  \
    } while (0)
        bool given = v->run[f][0] != '\0';
        for (int i = 0; i < rt->n; i++) {
            if (i == 0 && !rt->count[0]) continue; /* told at the end */
            ADD("%s%s in %" PRIu64, k ? ", " : "", rt->val[i], rt->count[i]);
            if (i == 0)
                ADD(" (the run's: %s)",
                    given ? v->run_src : "the first sample's");
            else
                ADD(" (first at index %" PRIu64 ")", rt->first[i]);
        }
        if (rt->more)
            ADD(", %" PRIu64 " sample%s of other values (first at index %"
                PRIu64 ")", rt->more, rt->more == 1 ? "" : "s",
                rt->more_first);
        if (!rt->count[0])
            ADD("; the run's is %s (%s), in no sample", rt->val[0],
                v->run_src);
#undef ADD
        say(ms, "run: %s differs between samples: %s",
            mg_dsverify_run_fields[f], line);
    }
}

static void
licence_problem(void *arg, const char *line)
{
    say(arg, "LICENSES.md: %s", line);
}

static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int
mg_dsverify_run(const mg_dsverify *v, const char *root, int jobs,
                const mg_dsprogress *progress, FILE *out, mg_dsverify_totals *t,
                char *err, size_t errlen)
{
    double t0 = now_s(), c0 = cpu_s();
    memset(t, 0, sizeof *t);
    if (jobs < 1) jobs = 1;
    if (jobs > 64) jobs = 64;
    mg_dsread *rd = mg_dsread_open(root, MG_DSREAD_PARTIALS, err, errlen);
    if (!rd) return -1;

    mside ms = {.out = out, .t = t, .lic = mg_licenses_new()};
    if (progress) ms.progress = *progress;
    for (int f = 0; f < MG_DSV_NRUN; f++)
        if (v->run[f][0]) {
            /* the run's value first, counted when samples hold it */
            snprintf(ms.run[f].val[0], MG_DSV_RUNLEN, "%s", v->run[f]);
            ms.run[f].n = 1;
        }
    char merr[600];
    ms.m = mg_dsmanifest_open(root, merr, sizeof merr);
    int men = errno;
    if (!ms.m) {
        if (ms.progress.clear) ms.progress.clear(ms.progress.ud);
        char sl[4200];
        struct stat sst;
        snprintf(sl, sizeof sl, "%s/.musicgen/slices", root);
        bool slices = men == ENOENT && !stat(sl, &sst) && S_ISDIR(sst.st_mode);
        if (slices)
            fprintf(out, "manifest.jsonl: missing: the static slices are not "
                    "merged (`musicgen status --out %s` says which are "
                    "complete; `musicgen merge` writes the manifest)\n", root);
        else
            fprintf(out, "manifest.jsonl: %s\n",
                    men == ENOENT ? "missing (a finished run has one)" : merr);
        t->problems++;
    }
    mside_next(&ms);

    pool p = {.v = v, .nslots = 4 * jobs + 4};
    p.ring = calloc((size_t)p.nslots, sizeof *p.ring);
    pthread_t th[64];
    int nth = 0, rc = 0;
    if (!p.ring) {
        mg_dsread_destroy(&rd);
        mg_dsmanifest_destroy(&ms.m);
        return mg_errf(err, errlen, "out of memory");
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.work, NULL);
    pthread_cond_init(&p.done, NULL);
    /* jansson seeds its hash function on first use: do it here, once. */
    json_decref(json_object());
    for (; nth < jobs; nth++)
        if (pthread_create(&th[nth], NULL, worker, &p)) break;
    if (!nth) {
        rc = mg_errf(err, errlen, "cannot start a thread");
        goto out;
    }

    bool walking = true;
    pthread_mutex_lock(&p.mu);
    while (walking || p.head < p.tail) {
        /* Fill free slots from the walk. */
        while (walking && p.tail - p.head < p.nslots) {
            mg_dsample ds;
            pthread_mutex_unlock(&p.mu);
            int got = mg_dsread_next(rd, &ds, err, errlen);
            pthread_mutex_lock(&p.mu);
            if (got <= 0) {
                walking = false;
                if (got < 0) rc = -1;
                break;
            }
            slot *s = &p.ring[p.tail % p.nslots];
            memset(s, 0, sizeof *s);
            s->index = ds.index;
            snprintf(s->rel, sizeof s->rel, "%s", ds.rel);
            snprintf(s->path, sizeof s->path, "%s", ds.path);
            s->complete = ds.complete;
            s->tmp = ds.tmp;
            s->misplaced = ds.misplaced;
            if (ds.misplaced) snprintf(s->why, sizeof s->why, "%s", ds.error);
            if (s->complete && !s->tmp && !s->misplaced) {
                s->state = 1;
                p.tail++;
                pthread_cond_signal(&p.work);
            } else {
                s->state = 3; /* nothing to check inside; workers skip it */
                p.tail++;
            }
        }
        if (p.head == p.tail) break;
        slot *h = &p.ring[p.head % p.nslots];
        while (h->state != 3)
            pthread_cond_wait(&p.done, &p.mu);
        pthread_mutex_unlock(&p.mu);
        consume(&ms, h);
        if (ms.progress.tick) ms.progress.tick(ms.progress.ud, ++ms.consumed);
        mg_dsverify_result_free(&h->res);
        pthread_mutex_lock(&p.mu);
        h->state = 0;
        p.head++;
    }
    p.stop = true;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    if (rc == 0) {
        /* Rows past the last directory. */
        while (ms.have) {
            row_alone(&ms);
            mside_next(&ms);
        }
        run_mix_report(&ms, v);
        char lp[4200];
        snprintf(lp, sizeof lp, "%s/LICENSES.md", root);
        if (!ms.lic)
            rc = mg_errf(err, errlen, "out of memory");
        else if (mg_licenses_check(ms.lic, lp, licence_problem, &ms) < 0) {
            if (errno != ENOENT)
                say(&ms, "LICENSES.md: cannot read: %s", strerror(errno));
            else if (t->samples) {
                /* a note, not a problem: trees made before the file
                 * existed, or sample by sample through the library */
                if (ms.progress.clear) ms.progress.clear(ms.progress.ud);
                fprintf(ms.out,
                        "note: no LICENSES.md (the soundfonts' "
                        "terms); `musicgen licenses %s` writes it\n",
                        root);
            }
        }
        char who[200];
        if (rc == 0 && mg_runlock_held(root, who, sizeof who)) {
            /* what a run leaves mid-way is counted all the same: the
             * tree is not whole yet; this says why */
            if (ms.progress.clear) ms.progress.clear(ms.progress.ud);
            fprintf(ms.out, "note: %s is being written by %s: half-written "
                    "samples and the manifest are its work in progress "
                    "(verify again when it has finished)\n", root,
                    who);
        }
    }
out:
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.work);
    pthread_cond_destroy(&p.done);
    free(p.ring);
    json_decref(ms.row);
    free(ms.bits);
    free(ms.far);
    mg_licenses_free(&ms.lic);
    mg_dsmanifest_destroy(&ms.m);
    mg_dsread_destroy(&rd);
    t->seconds = now_s() - t0;
    t->cpu_seconds = cpu_s() - c0;
    return rc;
}
