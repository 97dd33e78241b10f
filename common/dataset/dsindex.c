/*
 * dsindex — a database of a dataset's MIDI files or WAV files (see
 * dsindex.h; schema: docs/index.md).
 *
 * The columns are one table below: JSON Lines and CSV write the same
 * columns in the same order from the same values, so the two outputs
 * never disagree.
 */
#include "dsindex.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "dsfile.h"
#include "dsnames.h"
#include "dsfetch.h"
#include "dsread.h"
#include "errmsg.h"
#include "jsonout.h"
#include "utf8.h"
#include "wavhdr.h"

enum { T_STR, T_INT, T_REAL, T_BOOL };
enum { K_MIDI = 1, K_AUDIO = 2, K_BOTH = 3 };

enum {
    C_PATH, C_SAMPLE_DIR, C_INDEX, C_KIND, C_LAYER, C_PROGRAM, C_INSTRUMENT,
    C_CLASS, C_DRUM, C_CHANNEL, C_NOTES, C_FONT, C_FONT_LIC, C_FONT_LCLASS,
    C_PRESET, C_BANK, C_GENRE, C_SPLIT, C_TEMPO, C_TEMPO_MIN, C_TEMPO_MAX,
    C_KEY, C_MODE, C_KEY_LABEL, C_METER, C_SWING, C_SCORE, C_DURATION,
    C_RATE, C_CHANNELS, C_FRAMES, C_SHA, NCOL
};

static const struct {
    const char *name;
    int type, kinds;
} cols[NCOL] = {
    [C_PATH] = {"path", T_STR, K_BOTH},
    [C_SAMPLE_DIR] = {"sample_dir", T_STR, K_BOTH},
    [C_INDEX] = {"index", T_INT, K_BOTH},
    [C_KIND] = {"kind", T_STR, K_AUDIO},
    [C_LAYER] = {"layer", T_STR, K_BOTH},
    [C_PROGRAM] = {"program", T_INT, K_BOTH},
    [C_INSTRUMENT] = {"instrument", T_STR, K_BOTH},
    [C_CLASS] = {"instrument_class", T_STR, K_BOTH},
    [C_DRUM] = {"is_drum", T_BOOL, K_BOTH},
    [C_CHANNEL] = {"channel", T_INT, K_MIDI},
    [C_NOTES] = {"notes", T_INT, K_MIDI},
    [C_FONT] = {"font", T_STR, K_AUDIO},
    [C_FONT_LIC] = {"font_license", T_STR, K_AUDIO},
    [C_FONT_LCLASS] = {"font_license_class", T_STR, K_AUDIO},
    [C_PRESET] = {"preset", T_STR, K_AUDIO},
    [C_BANK] = {"bank", T_INT, K_AUDIO},
    [C_GENRE] = {"genre", T_STR, K_BOTH},
    [C_SPLIT] = {"split", T_STR, K_BOTH},
    [C_TEMPO] = {"tempo_bpm", T_REAL, K_BOTH},
    [C_TEMPO_MIN] = {"tempo_min_bpm", T_REAL, K_BOTH},
    [C_TEMPO_MAX] = {"tempo_max_bpm", T_REAL, K_BOTH},
    [C_KEY] = {"key", T_STR, K_BOTH},
    [C_MODE] = {"mode", T_STR, K_BOTH},
    [C_KEY_LABEL] = {"key_label", T_STR, K_BOTH},
    [C_METER] = {"time_signature", T_STR, K_BOTH},
    [C_SWING] = {"swing", T_REAL, K_BOTH},
    [C_SCORE] = {"musicality_score", T_REAL, K_BOTH},
    [C_DURATION] = {"duration_seconds", T_REAL, K_BOTH},
    [C_RATE] = {"sample_rate", T_INT, K_AUDIO},
    [C_CHANNELS] = {"channels", T_INT, K_AUDIO},
    [C_FRAMES] = {"frames", T_INT, K_AUDIO},
    [C_SHA] = {"sha256", T_STR, K_BOTH},
};

/* One record: a value per column; str points into sample.json's tree or
 * into the record's own buffers. */
typedef struct {
    bool set[NCOL];
    const char *s[NCOL];
    long long i[NCOL];
    double r[NCOL];
    bool b[NCOL];
} rec;

typedef struct {
    mg_dsindex_kind kind;
    int mask;
    mg_dsout *json, *csv;
    const char *json_path, *csv_path;
    char prefix[4200]; /* ROOT seen from the base directory, "" for ROOT */
    const char *bad; /* the output a write failed on, and its errno */
    int en;
    char *line; /* one output line, grown as needed (bounded by a record) */
    size_t len, cap;
    bool oom;
    /* GM names; "" unknown */
    char prog[128][MG_GM_NAME_MAX], kit[128][MG_GM_NAME_MAX];
    mg_dsindex_totals *t;
} ctx;

const char *const *
mg_dsindex_columns(mg_dsindex_kind kind)
{
    static const char *names[2][NCOL + 1];
    int m = kind == MG_DSINDEX_MIDI ? K_MIDI : K_AUDIO, n = 0;
    const char **out = names[kind == MG_DSINDEX_MIDI ? 0 : 1];
    for (int k = 0; k < NCOL; k++)
        if (cols[k].kinds & m) out[n++] = cols[k].name;
    out[n] = NULL;
    return out;
}

/* ---- output ---- */

static void
put(ctx *c, const char *s, size_t n)
{
    if (c->len + n + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 1024;
        while (c->len + n + 1 > cap) cap *= 2;
        char *p = realloc(c->line, cap);
        if (!p) {
            c->oom = true;
            return;
        }
        c->line = p;
        c->cap = cap;
    }
    memcpy(c->line + c->len, s, n);
    c->len += n;
}

static void
puts_(ctx *c, const char *s)
{
    put(c, s, strlen(s));
}

/* Shortest text that reads back to v, always with '.' or an exponent,
 * as sample.json writes reals (160.0, not 1.6e+02). */
static void
put_real(ctx *c, double v)
{
    char b[400];
    mg_json_real_text(v, b, sizeof b);
    puts_(c, b);
}

static void
put_json_str(ctx *c, const char *s)
{
    put(c, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        if (*p == '"' || *p == '\\') {
            e[0] = '\\';
            e[1] = (char)*p;
            put(c, e, 2);
        } else if (*p < 0x20) {
            snprintf(e, sizeof e, "\\u%04x", *p);
            put(c, e, 6);
        } else {
            put(c, (const char *)p, 1);
        }
    }
    put(c, "\"", 1);
}

static void
put_csv_str(ctx *c, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        puts_(c, s);
        return;
    }
    put(c, "\"", 1);
    for (const char *p = s; *p; p++) {
        if (*p == '"') put(c, "\"", 1);
        put(c, p, 1);
    }
    put(c, "\"", 1);
}

static void
put_value(ctx *c, const rec *r, int k, bool csv)
{
    char b[32];
    if (!r->set[k]) {
        if (!csv) puts_(c, "null");
        return;
    }
    switch (cols[k].type) {
    case T_STR:
        if (csv) put_csv_str(c, r->s[k]);
        else put_json_str(c, r->s[k]);
        break;
    case T_INT:
        snprintf(b, sizeof b, "%lld", r->i[k]);
        puts_(c, b);
        break;
    case T_REAL:
        if (isfinite(r->r[k])) put_real(c, r->r[k]);
        else if (!csv) puts_(c, "null");
        break;
    default:
        puts_(c, r->b[k] ? "true" : "false");
    }
}

static int
write_failed(ctx *c, const char *path)
{
    c->en = errno;
    c->bad = path;
    return -1;
}

static int
emit(ctx *c, const rec *r)
{
    if (c->json) {
        bool first = true;
        c->len = 0;
        put(c, "{", 1);
        for (int k = 0; k < NCOL; k++) {
            if (!(cols[k].kinds & c->mask)) continue;
            if (!first) put(c, ",", 1);
            first = false;
            put_json_str(c, cols[k].name);
            put(c, ":", 1);
            put_value(c, r, k, false);
        }
        put(c, "}\n", 2);
        if (c->oom || mg_dsout_write(c->json, c->line, c->len))
            return write_failed(c, c->json_path);
    }
    if (c->csv) {
        bool first = true;
        c->len = 0;
        for (int k = 0; k < NCOL; k++) {
            if (!(cols[k].kinds & c->mask)) continue;
            if (!first) put(c, ",", 1);
            first = false;
            put_value(c, r, k, true);
        }
        put(c, "\n", 1);
        if (c->oom || mg_dsout_write(c->csv, c->line, c->len))
            return write_failed(c, c->csv_path);
    }
    c->t->records++;
    return 0;
}

static int
csv_header(ctx *c)
{
    c->len = 0;
    bool first = true;
    for (int k = 0; k < NCOL; k++) {
        if (!(cols[k].kinds & c->mask)) continue;
        if (!first) put(c, ",", 1);
        first = false;
        puts_(c, cols[k].name);
    }
    put(c, "\n", 1);
    if (c->oom || mg_dsout_write(c->csv, c->line, c->len))
        return write_failed(c, c->csv_path);
    return 0;
}

/* ---- values from sample.json ---- */

static void
set_str(rec *r, int k, const json_t *v)
{
    if (json_is_string(v)) {
        r->s[k] = json_string_value(v);
        r->set[k] = true;
    }
}

static void
set_int(rec *r, int k, const json_t *v)
{
    if (json_is_integer(v)) {
        r->i[k] = (long long)json_integer_value(v);
        r->set[k] = true;
    }
}

static void
set_real(rec *r, int k, const json_t *v)
{
    if (json_is_number(v)) {
        r->r[k] = json_number_value(v);
        r->set[k] = true;
    }
}

/* The layer's instrument columns from "instruments" and "soundfonts". */
static void
layer_fields(ctx *c, rec *r, const json_t *j, const char *layer)
{
    const json_t *ins = json_object_get(json_object_get(j, "instruments"),
                                        layer);
    const json_t *sf = json_object_get(json_object_get(j, "soundfonts"),
                                       layer);
    set_int(r, C_PROGRAM, json_object_get(ins, "program"));
    set_int(r, C_CHANNEL, json_object_get(ins, "channel"));
    set_int(r, C_NOTES, json_object_get(ins, "notes"));
    bool drum = r->set[C_CHANNEL] ? r->i[C_CHANNEL] == 10
                                  : !strcmp(layer, "beat");
    r->b[C_DRUM] = drum;
    r->set[C_DRUM] = true;
    if (r->set[C_PROGRAM] && r->i[C_PROGRAM] >= 0 && r->i[C_PROGRAM] < 128) {
        const char *n = drum ? c->kit[r->i[C_PROGRAM]]
                             : c->prog[r->i[C_PROGRAM]];
        if (*n) {
            r->s[C_INSTRUMENT] = n;
            r->set[C_INSTRUMENT] = true;
        }
    }
    set_str(r, C_CLASS, json_object_get(sf, "instrument_class"));
    set_str(r, C_FONT, json_object_get(sf, "name"));
    set_str(r, C_FONT_LIC, json_object_get(sf, "license"));
    set_str(r, C_FONT_LCLASS, json_object_get(sf, "license_class"));
    set_str(r, C_PRESET, json_object_get(sf, "preset"));
    set_int(r, C_BANK, json_object_get(sf, "bank"));
}

/* The WAV's format columns; false when the file is missing, its header
 * bad or its data cut short. */
static bool
wav_fields(rec *r, const char *path)
{
    unsigned char b[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return false;
    struct stat st;
    ssize_t got = fstat(fd, &st) || !S_ISREG(st.st_mode)
                      ? -1 : read(fd, b, sizeof b);
    close(fd);
    if (got <= 0) return false;
    mg_wavhdr h;
    if (mg_wavhdr_parse(b, (size_t)got, &h) ||
        h.data_off + h.data_size > (uint64_t)st.st_size)
        return false;
    r->i[C_RATE] = h.rate;
    r->i[C_CHANNELS] = h.channels;
    r->i[C_FRAMES] = (long long)(h.data_size / h.block_align);
    r->set[C_RATE] = r->set[C_CHANNELS] = r->set[C_FRAMES] = true;
    return true;
}

/* One file of a sample: its record, or counted as missing. */
static int
file_record(ctx *c, const rec *base, const mg_dsample *ds, const json_t *j,
            const char *layer, const char *kind, const char *rel)
{
    char path[8400], relpath[12800], text[3 * 12800];
    rec r = *base;
    if (!mg_ds_rel_safe(rel)) {
        c->t->missing++;
        return 0;
    }
    snprintf(path, sizeof path, "%s/%s", ds->path, rel);
    snprintf(relpath, sizeof relpath, "%s%s/%s", c->prefix, ds->rel, rel);
    if (c->kind == MG_DSINDEX_AUDIO) {
        if (!wav_fields(&r, path)) {
            c->t->missing++;
            return 0;
        }
    } else {
        struct stat st;
        if (stat(path, &st) || !S_ISREG(st.st_mode)) {
            c->t->missing++;
            return 0;
        }
    }
    /* the path is text: JSON and CSV (for DuckDB too) are UTF-8, a path
     * whose bytes are not gets U+FFFD for each stray byte */
    r.s[C_PATH] = relpath;
    if (!mg_utf8_valid(relpath)) {
        mg_utf8_fix(relpath, text, sizeof text);
        r.s[C_PATH] = text;
    }
    r.set[C_PATH] = true;
    r.s[C_LAYER] = layer;
    r.set[C_LAYER] = true;
    if (kind) {
        r.s[C_KIND] = kind;
        r.set[C_KIND] = true;
    }
    if (strcmp(layer, "mix")) layer_fields(c, &r, j, layer);
    set_str(&r, C_SHA, json_object_get(json_object_get(j, "checksums"), rel));
    return emit(c, &r);
}

static int
sample_records(ctx *c, const mg_dsample *ds, const json_t *j)
{
    rec base;
    memset(&base, 0, sizeof base);
    base.s[C_SAMPLE_DIR] = ds->rel;
    base.set[C_SAMPLE_DIR] = true;
    set_int(&base, C_INDEX, json_object_get(j, "sample_index"));
    if (!base.set[C_INDEX] && ds->index != MG_DSREAD_NOINDEX) {
        base.i[C_INDEX] = (long long)ds->index;
        base.set[C_INDEX] = true;
    }
    static const struct {
        int col;
        const char *field;
    } fields[] = {
        {C_GENRE, "genre"}, {C_SPLIT, "split"}, {C_TEMPO, "tempo_bpm"},
        {C_TEMPO_MIN, "tempo_min_bpm"}, {C_TEMPO_MAX, "tempo_max_bpm"},
        {C_KEY, "key"}, {C_MODE, "mode"}, {C_KEY_LABEL, "key_label"},
        {C_METER, "time_signature"}, {C_SWING, "swing"},
        {C_SCORE, "musicality_score"}, {C_DURATION, "duration_seconds"},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const json_t *v = json_object_get(j, fields[i].field);
        if (cols[fields[i].col].type == T_STR)
            set_str(&base, fields[i].col, v);
        else
            set_real(&base, fields[i].col, v);
    }
    const char *layer;
    json_t *v;
    if (c->kind == MG_DSINDEX_MIDI) {
        json_object_foreach((json_t *)json_object_get(j, "midi"), layer, v) {
            if (json_is_string(v) &&
                file_record(c, &base, ds, j, layer, NULL,
                            json_string_value(v)))
                return -1;
        }
        return 0;
    }
    json_object_foreach((json_t *)json_object_get(j, "stems"), layer, v) {
        if (json_is_string(v) &&
            file_record(c, &base, ds, j, layer, "stem", json_string_value(v)))
            return -1;
    }
    v = json_object_get(j, "mix");
    if (json_is_string(v) &&
        file_record(c, &base, ds, j, "mix", "mix", json_string_value(v)))
        return -1;
    return 0;
}

static int
count_failed(const char *root, mg_dsindex_totals *t)
{
    char merr[600];
    mg_dsmanifest *m = mg_dsmanifest_open(root, merr, sizeof merr);
    if (!m) return 0; /* no manifest: nothing failed that we can know of */
    json_t *row;
    long line;
    int rc;
    while ((rc = mg_dsmanifest_next(m, &row, &line, merr, sizeof merr))) {
        if (rc < 0) continue;
        const char *st = json_string_value(json_object_get(row, "status"));
        if (st && !strcmp(st, "failed")) t->failed++;
    }
    mg_dsmanifest_destroy(&m);
    return 0;
}

/* The members of sample.json a record is made of (sample_records,
 * file_record, layer_fields): the sample's tree holds these only. */
static const char *const wanted[] = {
    "checksums", "duration_seconds", "genre", "instruments", "key",
    "key_label", "midi", "mix", "mode", "musicality_score", "sample_index",
    "soundfonts", "split", "stems", "swing", "tempo_bpm", "tempo_max_bpm",
    "tempo_min_bpm", "time_signature", NULL};

static bool
is_wanted(const mg_jdoc *d, uint32_t key)
{
    for (const char *const *w = wanted; *w; w++)
        if (mg_jdoc_streq(d, key, *w)) return true;
    return false;
}

/* In a dsfetch thread: the jansson tree of the sample's wanted members,
 * in the item (NULL when a string is not valid UTF-8: unreadable). */
static int
prep_tree(mg_dsitem *it, void *unused)
{
    (void)unused;
    json_t **tree = it->user;
    json_decref(*tree);
    *tree = NULL;
    const mg_jdoc *d = &it->doc;
    json_t *o = json_object();
    uint32_t k = 1;
    for (uint32_t m = 0; o && m < d->t[0].n; m++) {
        if (is_wanted(d, k)) {
            char name[1024];
            json_t *v = mg_jdoc_to_json(d, k + 1);
            if (!v || mg_jdoc_str(d, k, name, sizeof name) == (size_t)-1 ||
                json_object_set_new(o, name, v)) {
                json_decref(o);
                o = NULL;
                break;
            }
        }
        k = d->t[k + 1].next;
    }
    *tree = o;
    return 0;
}

static void
free_tree(void *user)
{
    json_t **tree = user;
    json_decref(*tree);
    *tree = NULL;
}

/* The path that leads from directory base to root ("" when they are one;
 * "../" steps where root is not under base), ending in '/', into out. */
static int
root_from_base(const char *root, const char *base, char *out, size_t n,
               char *err, size_t errlen)
{
    char r[PATH_MAX], b[PATH_MAX];
    if (!realpath(root, r))
        return mg_errf(err, errlen, "%s: %s", root, strerror(errno));
    if (!realpath(base, b))
        return mg_errf(err, errlen, "%s: %s", base, strerror(errno));
    struct stat st;
    if (stat(b, &st) || !S_ISDIR(st.st_mode))
        return mg_errf(err, errlen, "%s is not a directory", base);
    /* the longest common run of whole components */
    size_t common = 0;
    for (size_t k = 0;; k++) {
        bool rend = !r[k] || r[k] == '/', bend = !b[k] || b[k] == '/';
        if (rend && bend) common = k;
        if (!r[k] || !b[k] || r[k] != b[k]) break;
    }
    out[0] = '\0';
    size_t len = 0;
    for (const char *p = b + common; *p; p++)
        if (*p == '/' && p[1])
            len += (size_t)snprintf(out + len, len < n ? n - len : 0, "../");
    const char *rest = r + common;
    while (*rest == '/') rest++;
    if (*rest)
        len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s/", rest);
    if (len >= n) return mg_errf(err, errlen, "%s: path too long", root);
    return 0;
}

int
mg_dsindex_run(const char *root, mg_dsindex_kind kind, int jobs,
               const mg_dsprogress *progress, const char *json_path,
               const char *csv_path, const char *base, mg_dsindex_totals *t,
               char *err, size_t errlen)
{
    mg_dsfetch *f = NULL;
    memset(t, 0, sizeof *t);
    if (!json_path && !csv_path)
        return mg_errf(err, errlen, "nothing to write: need --out or --csv");
    ctx *c = calloc(1, sizeof *c);
    if (!c) return mg_errf(err, errlen, "out of memory");
    c->kind = kind;
    c->mask = kind == MG_DSINDEX_MIDI ? K_MIDI : K_AUDIO;
    c->t = t;
    c->json_path = json_path;
    c->csv_path = csv_path;
    if (base && root_from_base(root, base, c->prefix, sizeof c->prefix, err,
                               errlen)) {
        free(c);
        return -1;
    }
    mg_gm_names_load(c->prog, c->kit);
    int rc = -1;
    char e2[1200];
    /* sample.json read and validated (arrays as text, the notes not
     * tokenized), and the jansson tree of the members records are made
     * of built, ahead, by threads (dsfetch.h). */
    mg_dsfetch_opts fo = {.dsflags = MG_DSREAD_PARTIALS,
                          .jflags = MG_JDOC_LEAF_ARRAYS,
                          .skip = "notes",
                          .jobs = mg_dsfetch_jobs(jobs),
                          .user_size = sizeof(json_t *),
                          .prep = prep_tree,
                          .user_free = free_tree};
    if (progress) fo.progress = *progress;
    f = mg_dsfetch_open(root, &fo, err, errlen);
    if (!f) goto out;
    if (json_path && !(c->json = mg_dsout_open(json_path, e2, sizeof e2))) {
        mg_errf(err, errlen, "--out %s: %s", json_path, e2);
        goto out;
    }
    if (csv_path && !(c->csv = mg_dsout_open(csv_path, e2, sizeof e2))) {
        mg_errf(err, errlen, "--csv %s: %s", csv_path, e2);
        goto out;
    }
    if (c->csv && csv_header(c)) goto write_err;
    mg_dsitem *it;
    int got;
    /* the test suite's hook (a pass slow enough for two to overlap) */
    const char *dl = getenv("MUSICGEN_FAULT_INDEX_ROW_DELAY_MS");
    long delay_ms = dl ? atol(dl) : 0;
    while ((got = mg_dsfetch_next(f, &it, err, errlen)) > 0) {
        if (delay_ms > 0) {
            struct timespec ts = {delay_ms / 1000, delay_ms % 1000 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (!it->s.complete) {
            t->half_written++;
            continue;
        }
        json_t **tree = it->user;
        if (!it->ok || !*tree) {
            t->unreadable++;
            continue;
        }
        t->samples++;
        int rc2 = sample_records(c, &it->s, *tree);
        free_tree(tree);
        if (rc2) goto write_err;
    }
    if (got < 0) goto out;
    count_failed(root, t);
    if (c->json && mg_dsout_commit(&c->json, err, errlen)) goto out;
    if (c->csv && mg_dsout_commit(&c->csv, err, errlen)) goto out;
    rc = 0;
    goto out;
write_err:
    if (c->oom)
        mg_errf(err, errlen, "out of memory");
    else
        mg_errf(err, errlen, "cannot write %s: %s", c->bad,
                strerror(c->en ? c->en : EIO));
out:
    if (c->json) mg_dsout_abort(&c->json);
    if (c->csv) mg_dsout_abort(&c->csv);
    mg_dsfetch_destroy(&f);
    free(c->line);
    free(c);
    return rc;
}
