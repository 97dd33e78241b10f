/*
 * genre — loads genre presets from genres/<name>/ and merges several into
 * one spec. The formats and the merge rule are documented for users in
 * docs/genres.md; this file is their one implementation.
 *
 * Two dialects are read: our own (spec.json with nested objects,
 * drums_<sig>.txt step grids, chords.json / melody.json) and the Python
 * tool's (flat spec.json field names, patterns_<sig>.txt lists,
 * chord_transitions.json / melody_transitions.json), so a migrating user's
 * custom genres load unchanged. Both may appear in one directory.
 *
 * Invariants of a spec this file returns:
 *  - tempo_min <= tempo_max within [20, 400]; swing within [0.5, 0.8];
 *  - every weight >= 0, and the ts, key, chord and inversion tables and
 *    each layer's program weights have a positive sum;
 *  - with a chord filter, types outside it have weight 0;
 *  - every time signature with weight > 0 has at least one non-fill drum
 *    pattern; pattern voices are sorted by note, rests are velocity 0;
 *  - Markov rows and init vectors are normalised to sum 1;
 *  - at least one arrangement; measures_min <= measures_max per part.
 * Errors name the file and the field ("genres/jazz/spec.json: tempo.min:
 * must be a number in 20..400"). Nothing here draws random numbers.
 */
#include "genre.h"
#include "rfile.h"

#include "errmsg.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"

/* Velocities of the step-grid symbols: accent, normal, ghost. */
#define VEL_ACCENT 112
#define VEL_NORMAL 90
#define VEL_GHOST 50

static const char *const fx_names[MG_NFX] = {
    "reverb", "chorus", "delay", "compressor", "eq", "filter",
    "distortion", "phaser",
};

static const char *const inversion_names[4] = {
    "root", "first", "second", "third",
};

const char *
mg_fx_name(mg_fx_kind k)
{
    return (k >= 0 && k < MG_NFX) ? fx_names[k] : "?";
}

int
mg_fx_from_name(const char *name)
{
    for (int i = 0; i < MG_NFX; i++)
        if (!strcmp(name, fx_names[i]))
            return i;
    return -1;
}

/* ---- error reporting ---------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
    char file[4200]; /* the file being read, as the user will see it */
    bool python;     /* the spec uses the Python tool's field names */
} ctx;

static int
fail(ctx *c, const char *field, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (field && *field)
        return mg_errf(c->err, c->errlen, "%s: %s: %s", c->file, field, msg);
    return mg_errf(c->err, c->errlen, "%s: %s", c->file, msg);
}

static bool
file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- name resolvers for weight tables ------------------------------ */

typedef int (*resolver)(const char *name);

static int
resolve_ts(const char *s)
{
    return mg_ts_from_name(s);
}

static int
resolve_key(const char *s)
{
    int pc;
    mg_mode m;
    if (mg_key_parse(s, &pc, &m) != 0)
        return -1;
    return pc * 2 + (int)m;
}

static int
resolve_chord(const char *s)
{
    return mg_chord_type_from_name(s);
}

static int
resolve_inversion(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, inversion_names[i]))
            return i;
    return -1;
}

static int
resolve_layer(const char *s)
{
    return mg_layer_from_name(s);
}

static int
resolve_part(const char *s)
{
    return mg_part_from_name(s);
}

/* ---- JSON field readers -------------------------------------------- */

static int
get_num(ctx *c, const json_t *v, const char *field, double lo, double hi,
        double *out)
{
    if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
        json_number_value(v) < lo || json_number_value(v) > hi)
        return fail(c, field, "must be a number in %g..%g", lo, hi);
    *out = json_number_value(v);
    return 0;
}

static int
get_int(ctx *c, const json_t *v, const char *field, int lo, int hi, int *out)
{
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi)
        return fail(c, field, "must be an integer in %d..%d", lo, hi);
    *out = (int)d;
    return 0;
}

static int
get_str(ctx *c, const json_t *v, const char *field, char *out, size_t n)
{
    if (!json_is_string(v))
        return fail(c, field, "must be a string");
    if (strlen(json_string_value(v)) >= n)
        return fail(c, field, "longer than %zu characters", n - 1);
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

/* {"name": weight, ...} into out[n] (zeroed first: a table given replaces
 * the default). `kind` names what a key must be, for messages. */
static int
get_weights(ctx *c, const json_t *obj, const char *field, resolver res,
            const char *kind, double hi, double *out, int n)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(obj))
        return fail(c, field, "must be an object of %s -> number", kind);
    for (int i = 0; i < n; i++)
        out[i] = 0;
    json_object_foreach((json_t *)obj, k, v) {
        int idx = res(k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (idx < 0 || idx >= n)
            return fail(c, f, "not a known %s", kind);
        if (get_num(c, v, f, 0, hi, &out[idx]) != 0)
            return -1;
    }
    return 0;
}

static bool
sum_positive(const double *w, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += w[i];
    return s > 0;
}

/* ---- defaults ------------------------------------------------------ */

/* Neutral values for fields a spec leaves out (documented in
 * docs/genres.md): they make a minimal {"name": "x"} spec usable. */
static void
set_neutral(mg_genre *g)
{
    static const int default_program[MG_NLAYERS] = {0, 0, 0, 33};
    g->tempo_min = 60;
    g->tempo_max = 240;
    g->swing_min = 0.5;
    g->swing_max = 0.75;
    g->ts_weight[MG_TS_4_4] = 1;
    for (int k = 0; k < MG_NKEYS; k++)
        g->key_weight[k] = 1;
    g->chord_weight[MG_CH_MAJ] = 1;
    g->chord_weight[MG_CH_MIN] = 1;
    g->inversion_weight[0] = 0.6;
    g->inversion_weight[1] = 0.25;
    g->inversion_weight[2] = 0.15;
    for (int l = 0; l < MG_NLAYERS; l++) {
        g->layer_prob[l] = 1;
        g->nprograms[l] = 1;
        g->program[l][0] = default_program[l];
        g->program_weight[l][0] = 1;
    }
    for (int f = 0; f < MG_NFX; f++)
        g->fx_profile[f] = 1;
    /* A gently humanised default performance (user genres get it). */
    {
        static const double off[MG_NLAYERS][2] = {
            {-2, 2}, {0, 10}, {0, 8}, {-4, 4}};
        static const double jit[MG_NLAYERS] = {3, 7, 5, 4};
        static const double loud[MG_NLAYERS] = {-20, -21, -22, -21};
        mg_perf_spec *pf = &g->perf;
        for (int l = 0; l < MG_NLAYERS; l++) {
            pf->offset_ms[l][0] = off[l][0];
            pf->offset_ms[l][1] = off[l][1];
            pf->jitter_ms[l] = jit[l];
            pf->legato[l][0] = 0.85;
            pf->legato[l][1] = 1.0;
            pf->loudness[l] = loud[l];
        }
        pf->accent[0] = 4;
        pf->accent[1] = 10;
        pf->ghost[0] = 0.6;
        pf->ghost[1] = 0.9;
        pf->phrase[0] = 3;
        pf->phrase[1] = 8;
        pf->vel_jitter = 4;
        pf->rit_prob = 0.3;
        pf->rit_depth[0] = 0.05;
        pf->rit_depth[1] = 0.15;
        pf->part_tempo_prob = 0.1;
        pf->part_tempo_range = 0.03;
        pf->rubato = 0;
    }
    for (int p = 0; p < MG_NPARTKINDS; p++) {
        g->measures_min[p] = 4;
        g->measures_max[p] = 8;
        for (int l = 0; l < MG_NLAYERS; l++)
            g->part_layer_prob[p][l] = 1;
    }
}

/* ---- song form: arrangements.json or a spec's "form" ---------------- */

static int
parse_form(ctx *c, const json_t *o, const char *prefix, mg_genre *g)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(o))
        return fail(c, prefix, "must be an object");
    json_object_foreach((json_t *)o, k, v) {
        snprintf(f, sizeof f, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (!strcmp(k, "forms")) {
            size_t i;
            json_t *form;
            if (!json_is_array(v) || json_array_size(v) == 0 ||
                json_array_size(v) > MG_MAX_ARRANGEMENTS)
                return fail(c, f, "must be a list of 1..%d forms",
                            MG_MAX_ARRANGEMENTS);
            g->narrangements = 0;
            json_array_foreach(v, i, form) {
                char ff[200];
                json_t *parts, *w;
                size_t j;
                json_t *p;
                snprintf(ff, sizeof ff, "%s[%zu]", f, i);
                if (!json_is_object(form))
                    return fail(c, ff, "must be {\"parts\": [...], "
                                       "\"weight\": n}");
                const char *fk;
                json_object_foreach(form, fk, w) {
                    if (strcmp(fk, "parts") && strcmp(fk, "weight"))
                        return fail(c, ff, "unknown field '%s'", fk);
                }
                parts = json_object_get(form, "parts");
                w = json_object_get(form, "weight");
                if (!json_is_array(parts) || json_array_size(parts) == 0 ||
                    json_array_size(parts) > MG_MAX_PARTS)
                    return fail(c, ff, "parts: must be a list of 1..%d "
                                       "part names", MG_MAX_PARTS);
                g->arrangement[i].nparts = (int)json_array_size(parts);
                json_array_foreach(parts, j, p) {
                    int pk = json_is_string(p)
                                 ? mg_part_from_name(json_string_value(p))
                                 : -1;
                    if (pk < 0)
                        return fail(c, ff, "parts[%zu]: must be intro, "
                                           "verse, chorus, bridge or outro",
                                    j);
                    g->arrangement[i].part[j] = (mg_part_kind)pk;
                }
                g->arrangement[i].weight = 1;
                if (w) {
                    snprintf(ff, sizeof ff, "%s[%zu].weight", f, i);
                    if (get_num(c, w, ff, 0, 1e6,
                                &g->arrangement[i].weight) != 0)
                        return -1;
                }
                g->narrangements++;
            }
        } else if (!strcmp(k, "measures")) {
            const char *pn;
            json_t *r;
            if (!json_is_object(v))
                return fail(c, f, "must be an object of part -> [min, max]");
            json_object_foreach(v, pn, r) {
                char ff[200];
                int pk = mg_part_from_name(pn), lo, hi;
                snprintf(ff, sizeof ff, "%s.%s", f, pn);
                if (pk < 0)
                    return fail(c, ff, "not a part name");
                if (!json_is_array(r) || json_array_size(r) != 2)
                    return fail(c, ff, "must be [min, max] bars");
                if (get_int(c, json_array_get(r, 0), ff, 1, 64, &lo) ||
                    get_int(c, json_array_get(r, 1), ff, 1, 64, &hi))
                    return -1;
                if (lo > hi)
                    return fail(c, ff, "min %d > max %d", lo, hi);
                g->measures_min[pk] = lo;
                g->measures_max[pk] = hi;
            }
        } else if (!strcmp(k, "layer_multipliers")) {
            const char *pn;
            json_t *r;
            if (!json_is_object(v))
                return fail(c, f, "must be an object of part -> "
                                  "{layer: probability}");
            json_object_foreach(v, pn, r) {
                char ff[200];
                double tmp[MG_NLAYERS];
                int pk = mg_part_from_name(pn);
                snprintf(ff, sizeof ff, "%s.%s", f, pn);
                if (pk < 0)
                    return fail(c, ff, "not a part name");
                if (get_weights(c, r, ff, resolve_layer, "layer", 1, tmp,
                                MG_NLAYERS) != 0)
                    return -1;
                /* a layer left out of the object keeps multiplier 1 */
                for (int l = 0; l < MG_NLAYERS; l++)
                    g->part_layer_prob[pk][l] =
                        json_object_get(r, mg_layer_name((mg_layer)l))
                            ? tmp[l]
                            : 1;
            }
        } else if (!strcmp(k, "ts_change_prob")) {
            if (get_num(c, v, f, 0, 1, &g->ts_change_prob) != 0)
                return -1;
        } else if (!strcmp(k, "description")) {
            if (!json_is_string(v))
                return fail(c, f, "must be a string");
        } else {
            return fail(c, f, "unknown field");
        }
    }
    return 0;
}

static int
load_json(ctx *c, const char *path, json_t **out)
{
    char msg[512];
    const char *why;
    snprintf(c->file, sizeof c->file, "%s", path);
    *out = mg_rfile_json(path, JSON_REJECT_DUPLICATES, msg, sizeof msg);
    if (!*out) {
        /* "PATH:LINE: reason": fail() names the file itself. */
        why = strncmp(msg, path, strlen(path)) ? msg : msg + strlen(path);
        if (*why == ':') {
            why++;
            return fail(c, NULL, "line %s", why);
        }
        return fail(c, NULL, "%s", why);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return fail(c, NULL, "must hold a JSON object");
    }
    return 0;
}

/* genres_dir/arrangements.json, else the shipped one (a custom genres
 * directory, e.g. a Python tool's, need not carry its own). */
static int
load_arrangements(ctx *c, const char *genres_dir, mg_genre *g)
{
    char path[4096];
    json_t *j;
    int rc;

    snprintf(path, sizeof path, "%s/arrangements.json", genres_dir);
    if (!file_exists(path)) {
        char alt[4096];
        snprintf(alt, sizeof alt, "%s/genres/arrangements.json",
                 mg_data_dir());
        if (!file_exists(alt)) {
            snprintf(c->file, sizeof c->file, "%s", path);
            return fail(c, NULL, "missing (the default song forms)");
        }
        snprintf(path, sizeof path, "%s", alt);
    }
    if (load_json(c, path, &j) != 0)
        return -1;
    rc = parse_form(c, j, "", g);
    json_decref(j);
    if (rc == 0 && g->narrangements == 0)
        rc = fail(c, "forms", "at least one form is required");
    return rc;
}

/* ---- spec.json ----------------------------------------------------- */

static int
get_range(ctx *c, const json_t *o, const char *field, double lo, double hi,
          double *mn, double *mx)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(o))
        return fail(c, field, "must be {\"min\": n, \"max\": n}");
    json_object_foreach((json_t *)o, k, v) {
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (!strcmp(k, "min")) {
            if (get_num(c, v, f, lo, hi, mn) != 0)
                return -1;
        } else if (!strcmp(k, "max")) {
            if (get_num(c, v, f, lo, hi, mx) != 0)
                return -1;
        } else {
            return fail(c, f, "unknown field");
        }
    }
    return 0;
}

static int
get_tags(ctx *c, const json_t *v, const char *field, mg_genre *g, int l)
{
    size_t i;
    json_t *t;
    if (!json_is_array(v) || json_array_size(v) > MG_MAX_TAGS)
        return fail(c, field, "must be a list of at most %d strings",
                    MG_MAX_TAGS);
    g->ntags[l] = 0;
    json_array_foreach(v, i, t) {
        char f[200];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (get_str(c, t, f, g->tags[l][i], sizeof g->tags[l][i]) != 0)
            return -1;
        g->ntags[l]++;
    }
    return 0;
}

/* [{"program": 0..127, "weight": w, "name": "..."}, ...] */
static int
get_programs(ctx *c, const json_t *v, const char *field, mg_genre *g, int l)
{
    size_t i;
    json_t *p;
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > MG_MAX_PROGRAMS)
        return fail(c, field, "must be a list of 1..%d programs",
                    MG_MAX_PROGRAMS);
    g->nprograms[l] = 0;
    json_array_foreach(v, i, p) {
        char f[200], ff[220];
        const char *k;
        json_t *x;
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (!json_is_object(p) || !json_object_get(p, "program"))
            return fail(c, f, "must be {\"program\": 0..127, "
                              "\"weight\": n, \"name\": \"...\"}");
        g->program_weight[l][i] = 1;
        json_object_foreach(p, k, x) {
            snprintf(ff, sizeof ff, "%s.%s", f, k);
            if (!strcmp(k, "program")) {
                if (get_int(c, x, ff, 0, 127, &g->program[l][i]) != 0)
                    return -1;
            } else if (!strcmp(k, "weight")) {
                if (get_num(c, x, ff, 0, 1e6, &g->program_weight[l][i]))
                    return -1;
            } else if (!strcmp(k, "name")) {
                if (!json_is_string(x))
                    return fail(c, ff, "must be a string");
            } else {
                return fail(c, ff, "unknown field");
            }
        }
        for (size_t j = 0; j < i; j++)
            if (g->program[l][j] == g->program[l][i])
                return fail(c, ff, "program %d listed twice",
                            g->program[l][i]);
        g->nprograms[l]++;
    }
    if (!sum_positive(g->program_weight[l], g->nprograms[l]))
        return fail(c, field, "at least one weight must be > 0");
    return 0;
}

static int
get_layers(ctx *c, const json_t *o, mg_genre *g)
{
    const char *ln;
    json_t *lv;
    if (!json_is_object(o))
        return fail(c, "layers", "must be an object of layer -> {...}");
    json_object_foreach((json_t *)o, ln, lv) {
        int l = mg_layer_from_name(ln);
        const char *k;
        json_t *v;
        char f[160];
        snprintf(f, sizeof f, "layers.%s", ln);
        if (l < 0)
            return fail(c, f, "not a layer (beat, melody, harmony, "
                              "bassline)");
        if (!json_is_object(lv))
            return fail(c, f, "must be an object");
        json_object_foreach(lv, k, v) {
            snprintf(f, sizeof f, "layers.%s.%s", ln, k);
            if (!strcmp(k, "probability")) {
                if (get_num(c, v, f, 0, 1, &g->layer_prob[l]) != 0)
                    return -1;
            } else if (!strcmp(k, "tags")) {
                if (get_tags(c, v, f, g, l) != 0)
                    return -1;
            } else if (!strcmp(k, "programs")) {
                if (get_programs(c, v, f, g, l) != 0)
                    return -1;
            } else {
                return fail(c, f, "unknown field");
            }
        }
    }
    return 0;
}

static int
get_filter(ctx *c, const json_t *v, const char *field, mg_genre *g)
{
    size_t i;
    json_t *t;
    if (json_is_null(v)) {
        g->chord_filter = false;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, field, "must be null or a non-empty list of chord "
                              "types");
    g->chord_filter = true;
    memset(g->chord_allowed, 0, sizeof g->chord_allowed);
    json_array_foreach(v, i, t) {
        char f[200];
        int ct = json_is_string(t)
                     ? mg_chord_type_from_name(json_string_value(t))
                     : -1;
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (ct < 0)
            return fail(c, f, "not a known chord type");
        g->chord_allowed[ct] = true;
    }
    return 0;
}

/* The Python tool names pedalboard effects; map them onto ours. "gain" is
 * a level stage, not an effect with a chance, so it is accepted and
 * ignored. */
static const struct {
    const char *py;
    int fx; /* -1 = ignored */
} py_fx[] = {
    {"ladder_filter", MG_FX_FILTER},     {"lowpass_filter", MG_FX_FILTER},
    {"highpass_filter", MG_FX_FILTER},   {"peak_filter", MG_FX_EQ},
    {"low_shelf_filter", MG_FX_EQ},      {"high_shelf_filter", MG_FX_EQ},
    {"clipping", MG_FX_DISTORTION},      {"bitcrush", MG_FX_DISTORTION},
    {"gain", -1},
};

/* {"effect": multiplier}; effects left out keep multiplier 1. */
static int
get_fx(ctx *c, const json_t *o, const char *field, bool python, mg_genre *g)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(o))
        return fail(c, field, "must be an object of effect -> multiplier");
    json_object_foreach((json_t *)o, k, v) {
        int fx = mg_fx_from_name(k);
        double d;
        snprintf(f, sizeof f, "%s.%s", field, k);
        for (size_t i = 0; python && fx < 0 && i < sizeof py_fx /
                                                     sizeof *py_fx; i++)
            if (!strcmp(k, py_fx[i].py))
                fx = py_fx[i].fx == -1 ? MG_NFX : py_fx[i].fx;
        if (fx < 0)
            return fail(c, f, "not an effect (reverb chorus delay "
                              "compressor eq filter distortion phaser)");
        if (get_num(c, v, f, 0, 10, &d) != 0)
            return -1;
        if (fx < MG_NFX)
            g->fx_profile[fx] = d;
    }
    return 0;
}

static bool
style_known(const char *style)
{
    const char *list = MG_GENRE_STYLES;
    size_t n = strlen(style);
    for (const char *p = list; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && n && !strncmp(p, style, n)) return true;
        p += w;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* [lo, hi] within [min, max], lo <= hi. */
static int
get_pair(ctx *c, const json_t *v, const char *field, double min, double max,
         double out[2])
{
    if (!json_is_array(v) || json_array_size(v) != 2)
        return fail(c, field, "must be [lo, hi]");
    for (int i = 0; i < 2; i++) {
        char f[180];
        snprintf(f, sizeof f, "%s[%d]", field, i);
        if (get_num(c, json_array_get(v, (size_t)i), f, min, max, &out[i]))
            return -1;
    }
    if (out[0] > out[1])
        return fail(c, field, "lo %g > hi %g", out[0], out[1]);
    return 0;
}

/* {"<layer>": value, ...}; value a number or a [lo, hi] pair. */
static int
get_layer_vals(ctx *c, const json_t *o, const char *field, double min,
               double max, double *one, double (*two)[2])
{
    const char *k;
    json_t *v;
    char f[180];

    if (!json_is_object(o))
        return fail(c, field, "must be an object of layer -> %s",
                    two ? "[lo, hi]" : "number");
    json_object_foreach((json_t *)o, k, v) {
        int l = mg_layer_from_name(k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (l < 0)
            return fail(c, f, "not a layer (beat melody harmony bassline)");
        if (two ? get_pair(c, v, f, min, max, two[l])
                : get_num(c, v, f, min, max, &one[l]))
            return -1;
    }
    return 0;
}

static int
parse_performance(ctx *c, const json_t *o, mg_perf_spec *pf)
{
    const char *k;
    json_t *v;
    char f[180];

    if (!json_is_object(o))
        return fail(c, "performance", "must be an object");
    json_object_foreach((json_t *)o, k, v) {
        int rc;
        snprintf(f, sizeof f, "performance.%s", k);
        if (!strcmp(k, "offset_ms"))
            rc = get_layer_vals(c, v, f, -60, 60, NULL, pf->offset_ms);
        else if (!strcmp(k, "jitter_ms"))
            rc = get_layer_vals(c, v, f, 0, 30, pf->jitter_ms, NULL);
        else if (!strcmp(k, "legato"))
            rc = get_layer_vals(c, v, f, 0.2, 1.2, NULL, pf->legato);
        else if (!strcmp(k, "accent"))
            rc = get_pair(c, v, f, 0, 40, pf->accent);
        else if (!strcmp(k, "ghost"))
            rc = get_pair(c, v, f, 0.2, 1, pf->ghost);
        else if (!strcmp(k, "phrase"))
            rc = get_pair(c, v, f, 0, 30, pf->phrase);
        else if (!strcmp(k, "velocity_jitter"))
            rc = get_num(c, v, f, 0, 20, &pf->vel_jitter);
        else if (!strcmp(k, "rubato"))
            rc = get_num(c, v, f, 0, 0.1, &pf->rubato);
        else if (!strcmp(k, "ritardando") || !strcmp(k, "part_tempo")) {
            const char *k2;
            json_t *v2;
            bool rit = !strcmp(k, "ritardando");
            rc = 0;
            if (!json_is_object(v))
                rc = fail(c, f, "must be an object");
            json_object_foreach(v, k2, v2) {
                char f2[200];
                snprintf(f2, sizeof f2, "%s.%s", f, k2);
                if (rc)
                    break;
                if (!strcmp(k2, "probability"))
                    rc = get_num(c, v2, f2, 0, 1,
                                 rit ? &pf->rit_prob : &pf->part_tempo_prob);
                else if (rit && !strcmp(k2, "depth"))
                    rc = get_pair(c, v2, f2, 0, 0.5, pf->rit_depth);
                else if (!rit && !strcmp(k2, "range"))
                    rc = get_num(c, v2, f2, 0, 0.2, &pf->part_tempo_range);
                else
                    rc = fail(c, f2, "unknown field");
            }
        } else
            rc = fail(c, f, "unknown field");
        if (rc)
            return -1;
    }
    return 0;
}

static int
parse_spec(ctx *c, const json_t *j, const char *dirname, mg_genre *g)
{
    const char *k;
    json_t *v;

    static const char *const python_fields[] = {
        "tempo_min", "tempo_max", "swing_min", "swing_max",
        "time_sig_weights", "scale_weights", "chord_type_weights",
        "chord_type_hard_filter", "inversion_weights", "layer_probs",
        "fx_profile", "soundfont_tags", "drum_pool_names"};
    json_object_foreach((json_t *)j, k, v) {
        int rc = 0;
        for (size_t i = 0; i < sizeof python_fields / sizeof *python_fields;
             i++)
            if (!strcmp(k, python_fields[i])) c->python = true;
        if (!strcmp(k, "name")) {
            char nm[64];
            rc = get_str(c, v, k, nm, sizeof nm);
            if (rc == 0 && strcmp(nm, dirname))
                rc = fail(c, k, "'%s' does not match the directory name "
                                "'%s'", nm, dirname);
        } else if (!strcmp(k, "description")) {
            rc = get_str(c, v, k, g->description, sizeof g->description);
        } else if (!strcmp(k, "style")) {
            rc = get_str(c, v, k, g->style, sizeof g->style);
            if (rc == 0 && !style_known(g->style))
                rc = fail(c, k, "'%s' is not one of: %s", g->style,
                          MG_GENRE_STYLES);
        } else if (!strcmp(k, "tempo")) {
            rc = get_range(c, v, k, 20, 400, &g->tempo_min, &g->tempo_max);
        } else if (!strcmp(k, "tempo_min")) {
            rc = get_num(c, v, k, 20, 400, &g->tempo_min);
        } else if (!strcmp(k, "tempo_max")) {
            rc = get_num(c, v, k, 20, 400, &g->tempo_max);
        } else if (!strcmp(k, "swing")) {
            rc = get_range(c, v, k, 0.5, 0.8, &g->swing_min, &g->swing_max);
        } else if (!strcmp(k, "swing_min")) {
            rc = get_num(c, v, k, 0.5, 0.8, &g->swing_min);
        } else if (!strcmp(k, "swing_max")) {
            rc = get_num(c, v, k, 0.5, 0.8, &g->swing_max);
        } else if (!strcmp(k, "time_signatures") ||
                   !strcmp(k, "time_sig_weights")) {
            rc = get_weights(c, v, k, resolve_ts, "time signature", 1e6,
                             g->ts_weight, MG_NTS);
        } else if (!strcmp(k, "keys") || !strcmp(k, "scale_weights")) {
            rc = get_weights(c, v, k, resolve_key, "key (C, F#, Am, C#m)",
                             1e6, g->key_weight, MG_NKEYS);
        } else if (!strcmp(k, "chord_types") ||
                   !strcmp(k, "chord_type_weights")) {
            rc = get_weights(c, v, k, resolve_chord, "chord type", 1e6,
                             g->chord_weight, MG_NCHORDTYPES);
        } else if (!strcmp(k, "chord_filter") ||
                   !strcmp(k, "chord_type_hard_filter")) {
            rc = get_filter(c, v, k, g);
        } else if (!strcmp(k, "inversions") ||
                   !strcmp(k, "inversion_weights")) {
            rc = get_weights(c, v, k, resolve_inversion,
                             "inversion (root, first, second, third)", 1e6,
                             g->inversion_weight, 4);
        } else if (!strcmp(k, "layers")) {
            rc = get_layers(c, v, g);
        } else if (!strcmp(k, "layer_probs")) {
            /* Python: layers left out keep their probability */
            double tmp[MG_NLAYERS];
            rc = get_weights(c, v, k, resolve_layer, "layer", 1, tmp,
                             MG_NLAYERS);
            for (int l = 0; rc == 0 && l < MG_NLAYERS; l++)
                if (json_object_get(v, mg_layer_name((mg_layer)l)))
                    g->layer_prob[l] = tmp[l];
        } else if (!strcmp(k, "fx") || !strcmp(k, "fx_profile")) {
            rc = get_fx(c, v, k, !strcmp(k, "fx_profile"), g);
        } else if (!strcmp(k, "soundfont_tags")) {
            const char *ln;
            json_t *lv;
            if (!json_is_object(v))
                rc = fail(c, k, "must be an object of layer -> [tags]");
            json_object_foreach(v, ln, lv) {
                char f[160];
                int l = mg_layer_from_name(ln);
                snprintf(f, sizeof f, "%s.%s", k, ln);
                if (rc == 0 && l < 0)
                    rc = fail(c, f, "not a layer");
                if (rc == 0)
                    rc = get_tags(c, lv, f, g, l);
            }
        } else if (!strcmp(k, "drum_pool_names")) {
            if (!json_is_array(v))
                rc = fail(c, k, "must be a list (ignored)");
        } else if (!strcmp(k, "form")) {
            rc = parse_form(c, v, "form", g);
        } else if (!strcmp(k, "performance")) {
            rc = parse_performance(c, v, &g->perf);
        } else if (!strcmp(k, "loudness")) {
            rc = get_layer_vals(c, v, k, -40, -6, g->perf.loudness, NULL);
        } else {
            rc = fail(c, k, "unknown field");
        }
        if (rc != 0)
            return -1;
    }
    if (g->tempo_min > g->tempo_max)
        return fail(c, "tempo", "min %g > max %g", g->tempo_min,
                    g->tempo_max);
    if (g->swing_min > g->swing_max)
        return fail(c, "swing", "min %g > max %g", g->swing_min,
                    g->swing_max);
    if (!sum_positive(g->ts_weight, MG_NTS))
        return fail(c, "time_signatures", "at least one weight must be > 0");
    if (!sum_positive(g->key_weight, MG_NKEYS))
        return fail(c, "keys", "at least one weight must be > 0");
    if (!sum_positive(g->inversion_weight, 4))
        return fail(c, "inversions", "at least one weight must be > 0");
    if (g->chord_filter)
        for (int t = 0; t < MG_NCHORDTYPES; t++)
            if (!g->chord_allowed[t])
                g->chord_weight[t] = 0;
    if (!sum_positive(g->chord_weight, MG_NCHORDTYPES))
        return fail(c, "chord_types", "no allowed chord type has a weight "
                                      "> 0");
    return 0;
}

/* ---- drum patterns ------------------------------------------------- */

typedef struct {
    char *name;
    int note;
} drum_voice_name;

static const drum_voice_name drum_voices[] = {
    {"kick", 36},      {"kick2", 35},      {"rim", 37},
    {"snare", 38},     {"clap", 39},       {"snare2", 40},
    {"tom_floor", 41}, {"hihat", 42},      {"tom_low", 45},
    {"pedalhat", 44},  {"openhat", 46},    {"tom_mid", 47},
    {"tom_himid", 48}, {"crash", 49},      {"tom_hi", 50},
    {"ride", 51},      {"china", 52},      {"ridebell", 53},
    {"tambourine", 54}, {"splash", 55},    {"cowbell", 56},
    {"crash2", 57},    {"vibraslap", 58},  {"ride2", 59},
    {"bongo_hi", 60},  {"bongo_lo", 61},   {"conga_hi", 62},
    {"conga_open", 63}, {"conga_lo", 64},   {"timbale_hi", 65},
    {"timbale_lo", 66}, {"agogo_hi", 67},  {"agogo_lo", 68},
    {"cabasa", 69},    {"shaker", 70},     {"maracas", 70},
    {"whistle", 71},   {"guiro", 73},      {"claves", 75},
    {"clave", 75},     {"woodblock", 76},  {"woodblock_lo", 77},
    {"cuica_mute", 78}, {"cuica", 79},     {"triangle_mute", 80},
    {"triangle", 81},
};

const char *
mg_drum_voice(size_t i, int *note)
{
    if (i >= sizeof drum_voices / sizeof *drum_voices)
        return NULL;
    if (note)
        *note = drum_voices[i].note;
    return drum_voices[i].name;
}

/* A voice name or a plain GM note number; -1 if neither. */
static int
drum_note(const char *s)
{
    char *end;
    long v;
    for (size_t i = 0; i < sizeof drum_voices / sizeof *drum_voices; i++)
        if (!strcmp(s, drum_voices[i].name))
            return drum_voices[i].note;
    v = strtol(s, &end, 10);
    if (end != s && !*end && v >= 1 && v <= 127)
        return (int)v;
    return -1;
}

typedef struct {
    int n, cap;
    mg_drum_pattern *v;
} pattern_list;

static mg_drum_pattern *
plist_add(pattern_list *pl)
{
    if (pl->n == pl->cap) {
        int cap = pl->cap ? pl->cap * 2 : 16;
        mg_drum_pattern *nv = realloc(pl->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return NULL;
        pl->v = nv;
        pl->cap = cap;
    }
    memset(&pl->v[pl->n], 0, sizeof *pl->v);
    return &pl->v[pl->n++];
}

static int
cmp_voice(const void *a, const void *b)
{
    const unsigned char *x = a, *y = b; /* first byte is the note */
    return (int)*x - (int)*y;
}

static void
sort_voices(mg_drum_pattern *p)
{
    qsort(p->voice, (size_t)p->nvoices, sizeof p->voice[0], cmp_voice);
}

static bool
pattern_equal(const mg_drum_pattern *a, const mg_drum_pattern *b)
{
    if (a->parts != b->parts || a->fill != b->fill || a->steps != b->steps ||
        a->nvoices != b->nvoices)
        return false;
    for (int i = 0; i < a->nvoices; i++)
        if (a->voice[i].note != b->voice[i].note ||
            memcmp(a->voice[i].vel, b->voice[i].vel, (size_t)a->steps))
            return false;
    return true;
}

static char *
trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
                     e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int
check_pattern(ctx *c, const char *field, mg_drum_pattern *p)
{
    bool any = false;
    if (!p->parts)
        return fail(c, field, "parts: missing");
    if (p->nvoices == 0)
        return fail(c, field, "no voices");
    for (int i = 0; i < p->nvoices; i++)
        for (int s = 0; s < p->steps; s++)
            any |= p->voice[i].vel[s] > 0;
    if (!any)
        return fail(c, field, "no hits");
    sort_voices(p);
    return 0;
}

/* Our format: [pattern name] sections of key = value lines. */
static int
parse_drums(ctx *c, FILE *f, pattern_list *pl)
{
    char line[512], field[200];
    int lineno = 0, steps_given = 0;
    mg_drum_pattern *p = NULL;

    field[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        char *s, *eq, *key, *val, *hash;
        lineno++;
        if ((hash = strchr(line, '#')))
            *hash = '\0';
        s = trim(line);
        if (!*s)
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            char *nm;
            if (p && check_pattern(c, field, p) != 0)
                return -1;
            snprintf(field, sizeof field, "line %d", lineno);
            if (!close || strncmp(s, "[pattern", 8) || trim(close + 1)[0])
                return fail(c, field, "expected [pattern NAME]");
            *close = '\0';
            nm = trim(s + 8);
            if (!*nm || strlen(nm) >= sizeof p->name)
                return fail(c, field, "pattern name must be 1..%zu "
                                      "characters", sizeof p->name - 1);
            if (!(p = plist_add(pl)))
                return fail(c, field, "out of memory");
            snprintf(p->name, sizeof p->name, "%s", nm);
            snprintf(field, sizeof field, "line %d: pattern %s", lineno,
                     p->name);
            steps_given = 0;
            continue;
        }
        snprintf(field, sizeof field, "line %d", lineno);
        if (!p)
            return fail(c, field, "expected [pattern NAME] first");
        snprintf(field, sizeof field, "line %d: pattern %s", lineno,
                 p->name);
        if (!(eq = strchr(s, '=')))
            return fail(c, field, "expected key = value");
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        if (!strcmp(key, "parts")) {
            char *tok, *save;
            p->parts = 0;
            for (tok = strtok_r(val, " \t,", &save); tok;
                 tok = strtok_r(NULL, " \t,", &save)) {
                int pk = resolve_part(tok);
                if (!strcmp(tok, "all"))
                    p->parts = (1u << MG_NPARTKINDS) - 1;
                else if (pk < 0)
                    return fail(c, field, "parts: '%s' is not a part "
                                          "(intro verse chorus bridge "
                                          "outro all)", tok);
                else
                    p->parts |= 1u << pk;
            }
        } else if (!strcmp(key, "fill")) {
            if (!strcmp(val, "yes"))
                p->fill = true;
            else if (!strcmp(val, "no"))
                p->fill = false;
            else
                return fail(c, field, "fill: must be yes or no");
        } else if (!strcmp(key, "steps")) {
            char *end;
            long n = strtol(val, &end, 10);
            if (end == val || *end || n < 1 || n > MG_MAX_STEPS ||
                (p->nvoices && n != p->steps))
                return fail(c, field, "steps: must be 1..%d and match the "
                                      "grids", MG_MAX_STEPS);
            p->steps = (int)n;
            steps_given = 1;
        } else {
            int note = drum_note(key), n = 0, v;
            if (note < 0)
                return fail(c, field, "'%s' is not a drum voice name or "
                                      "GM note number", key);
            for (v = 0; v < p->nvoices; v++)
                if (p->voice[v].note == note)
                    return fail(c, field, "%s: note %d given twice", key,
                                note);
            if (p->nvoices == MG_MAX_DRUM_VOICES)
                return fail(c, field, "more than %d voices",
                            MG_MAX_DRUM_VOICES);
            v = p->nvoices;
            for (char *q = val; *q; q++) {
                int vel;
                if (*q == ' ' || *q == '\t' || *q == '|')
                    continue;
                switch (*q) {
                case 'X': vel = VEL_ACCENT; break;
                case 'x': vel = VEL_NORMAL; break;
                case 'o': vel = VEL_GHOST; break;
                case '.': case '-': vel = 0; break;
                default:
                    return fail(c, field, "%s: '%c' is not a step "
                                          "(X x o .)", key, *q);
                }
                if (n >= MG_MAX_STEPS)
                    return fail(c, field, "%s: more than %d steps", key,
                                MG_MAX_STEPS);
                p->voice[v].vel[n++] = (unsigned char)vel;
            }
            if (!steps_given && p->nvoices == 0)
                p->steps = n;
            if (n != p->steps)
                return fail(c, field, "%s: %d steps, expected %d", key, n,
                            p->steps);
            p->voice[v].note = (unsigned char)note;
            p->nvoices++;
        }
    }
    if (p && check_pattern(c, field, p) != 0)
        return -1;
    return 0;
}

/* The Python tool's format: "verse: 36, 0, 38, 42", one hit per step. */
static int
parse_patterns_py(ctx *c, FILE *f, pattern_list *pl)
{
    char line[1024], field[64];
    int lineno = 0;

    while (fgets(line, sizeof line, f)) {
        char *s = trim(line), *colon, *tok, *save, *us;
        mg_drum_pattern *p;
        int pk, step = 0;
        lineno++;
        if (!*s || *s == '#')
            continue;
        snprintf(field, sizeof field, "line %d", lineno);
        if (!(colon = strchr(s, ':')))
            return fail(c, field, "expected 'part: note, note, ...'");
        *colon = '\0';
        s = trim(s);
        if (!(p = plist_add(pl)))
            return fail(c, field, "out of memory");
        if ((us = strstr(s, "_roll")) && !us[5]) {
            *us = '\0';
            p->fill = true;
        }
        if ((pk = resolve_part(s)) < 0)
            return fail(c, field, "'%s' is not a part (intro verse chorus "
                                  "bridge outro, or <part>_roll)", s);
        p->parts = 1u << pk;
        snprintf(p->name, sizeof p->name, "%s%s-%d", s,
                 p->fill ? "_roll" : "", lineno);
        for (tok = strtok_r(colon + 1, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            char *t = trim(tok), *end;
            long note = strtol(t, &end, 10);
            int v;
            if (end == t || *end || note < 0 || note > 127)
                return fail(c, field, "'%s' is not a note 0..127", t);
            if (step >= MG_MAX_STEPS)
                return fail(c, field, "more than %d steps", MG_MAX_STEPS);
            if (note > 0) {
                for (v = 0; v < p->nvoices; v++)
                    if (p->voice[v].note == note)
                        break;
                if (v == p->nvoices) {
                    if (v == MG_MAX_DRUM_VOICES)
                        return fail(c, field, "more than %d voices",
                                    MG_MAX_DRUM_VOICES);
                    p->voice[v].note = (unsigned char)note;
                    p->nvoices++;
                }
                p->voice[v].vel[step] = VEL_NORMAL;
            }
            step++;
        }
        p->steps = step;
        if (check_pattern(c, field, p) != 0)
            return -1;
    }
    return 0;
}

/* A Python-format genre may leave a meter to the tool's default patterns
 * (its loader falls back to genres/default); ours must ship its own, so
 * only a spec written with the Python field names gets the fallback. */
static int
load_patterns(ctx *c, const char *dir, const char *fallback, mg_genre *g)
{
    for (int ts = 0; ts < MG_NTS; ts++) {
        pattern_list pl = {0, 0, NULL};
        char sig[8], path[4096];
        const char *tsn = mg_ts_name((mg_ts)ts);
        int k = 0;
        for (const char *q = tsn; *q && k < 7; q++)
            if (*q != '/')
                sig[k++] = *q;
        sig[k] = '\0';
        bool want = g->ts_weight[ts] > 0;
        for (int fmt = 0; fmt < 4; fmt++) {
            FILE *f;
            int rc;
            bool any_main = false;
            for (int i = 0; i < pl.n; i++)
                any_main |= !pl.v[i].fill;
            if (fmt >= 2 && (!fallback || !c->python || !want || any_main))
                break;
            snprintf(path, sizeof path, "%s/%s_%s.txt",
                     fmt >= 2 ? fallback : dir,
                     fmt & 1 ? "patterns" : "drums", sig);
            if (access(path, F_OK) != 0)
                continue;
            {
                char msg[512];
                if (mg_rfile_open(path, MG_RFILE_JSON_MAX, &f, msg,
                                  sizeof msg) < 0) {
                    free(pl.v);
                    return mg_errf(c->err, c->errlen, "%s", msg);
                }
            }
            snprintf(c->file, sizeof c->file, "%s", path);
            rc = fmt & 1 ? parse_patterns_py(c, f, &pl)
                         : parse_drums(c, f, &pl);
            fclose(f);
            if (rc != 0) {
                free(pl.v);
                return -1;
            }
        }
        if (g->ts_weight[ts] > 0) {
            bool any = false;
            for (int i = 0; i < pl.n; i++)
                any |= !pl.v[i].fill;
            if (!any) {
                free(pl.v);
                snprintf(c->file, sizeof c->file, "%s/drums_%s.txt", dir,
                         sig);
                return fail(c, NULL, "missing: time signature %s has "
                                     "weight > 0 but no drum patterns "
                                     "(drums_%s.txt or patterns_%s.txt)",
                            tsn, sig, sig);
            }
        }
        g->patterns[ts] = pl.v;
        g->npatterns[ts] = pl.n;
    }
    return 0;
}

/* ---- Markov tables ------------------------------------------------- */

static const char *const romans[7] = {"I", "II", "III", "IV", "V", "VI",
                                      "VII"};

/* chords: [b|#]roman numeral, all upper (major) or all lower (minor) case;
 * melody: [b|#]1..7. */
static bool
valid_state(const char *s, bool chords)
{
    if (*s == 'b' || *s == '#')
        s++;
    if (!chords)
        return s[0] >= '1' && s[0] <= '7' && !s[1];
    for (int i = 0; i < 7; i++) {
        char lower[8];
        size_t n = strlen(romans[i]);
        for (size_t j = 0; j <= n; j++)
            lower[j] = (char)(romans[i][j] ? romans[i][j] + 32 : 0);
        if (!strcmp(s, romans[i]) || !strcmp(s, lower))
            return true;
    }
    return false;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
state_index(const mg_markov *m, const char *s)
{
    for (int i = 0; i < m->nstates; i++)
        if (!strcmp(m->state[i], s))
            return i;
    return -1;
}

#define MAX_NAMES (4 * MG_MAX_MSTATES)

static int
add_name(ctx *c, const char **names, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], s))
            return 0;
    if (*n == MAX_NAMES)
        return fail(c, "transitions", "more than %d states",
                    MG_MAX_MSTATES);
    names[(*n)++] = s;
    return 0;
}

/* Collect every state named anywhere, sorted bytewise so the index order
 * does not depend on the order of keys in the file. Pair keys "a,b" name
 * states that must also appear on their own, so they add none. */
static int
collect_states(ctx *c, const json_t *j, bool chords, mg_markov *m)
{
    const char *names[MAX_NAMES];
    int n = 0;
    const char *k, *k2;
    json_t *v, *v2;

    json_object_foreach(json_object_get(j, "init_probs"), k, v)
        if (add_name(c, names, &n, k) != 0)
            return -1;
    json_object_foreach(json_object_get(j, "transitions"), k, v) {
        if (!strchr(k, ',') && add_name(c, names, &n, k) != 0)
            return -1;
        json_object_foreach(v, k2, v2)
            if (add_name(c, names, &n, k2) != 0)
                return -1;
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    m->nstates = 0;
    for (int i = 0; i < n; i++) {
        char f[160];
        snprintf(f, sizeof f, "transitions: state '%s'", names[i]);
        if (strlen(names[i]) >= sizeof m->state[0] ||
            !valid_state(names[i], chords))
            return fail(c, f, "not a %s",
                        chords ? "roman numeral (I ii bVII ...)"
                               : "scale degree (1..7, b3 ...)");
        if (m->nstates == MG_MAX_MSTATES)
            return fail(c, "transitions", "more than %d states",
                        MG_MAX_MSTATES);
        snprintf(m->state[m->nstates++], sizeof m->state[0], "%s",
                 names[i]);
    }
    return 0;
}

static int
get_row(ctx *c, const json_t *o, const char *field, const mg_markov *m,
        double *row)
{
    const char *k;
    json_t *v;
    char f[160];
    double s = 0;

    if (!json_is_object(o))
        return fail(c, field, "must be an object of state -> probability");
    for (int i = 0; i < MG_MAX_MSTATES; i++)
        row[i] = 0;
    json_object_foreach((json_t *)o, k, v) {
        int i = state_index(m, k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (i < 0)
            return fail(c, f, "unknown state");
        if (get_num(c, v, f, 0, 1e6, &row[i]) != 0)
            return -1;
        s += row[i];
    }
    if (s <= 0)
        return fail(c, field, "at least one probability must be > 0");
    for (int i = 0; i < MG_MAX_MSTATES; i++)
        row[i] /= s;
    return 0;
}

static int
parse_markov(ctx *c, const json_t *j, bool chords, mg_markov *m)
{
    const char *k;
    json_t *v, *tr;
    int order = 0;

    memset(m, 0, sizeof *m);
    json_object_foreach((json_t *)j, k, v) {
        if (!strcmp(k, "order")) {
            if (get_int(c, v, k, 1, 2, &order) != 0)
                return -1;
        } else if (strcmp(k, "init_probs") && strcmp(k, "transitions") &&
                   strcmp(k, "description")) {
            return fail(c, k, "unknown field");
        }
    }
    if (!order)
        return fail(c, "order", "missing (1 or 2)");
    if (!json_is_object(json_object_get(j, "init_probs")))
        return fail(c, "init_probs", "must be an object of state -> "
                                     "probability");
    tr = json_object_get(j, "transitions");
    if (!json_is_object(tr))
        return fail(c, "transitions", "must be an object of state -> "
                                      "{state: probability}");
    json_object_foreach(tr, k, v) {
        char f[160];
        snprintf(f, sizeof f, "transitions.%s", k);
        if (!json_is_object(v))
            return fail(c, f, "must be an object of state -> probability");
    }
    if (collect_states(c, j, chords, m) != 0)
        return -1;
    if (get_row(c, json_object_get(j, "init_probs"), "init_probs", m,
                m->init) != 0)
        return -1;
    json_object_foreach(tr, k, v) {
        char f[160];
        const char *comma = strchr(k, ',');
        snprintf(f, sizeof f, "transitions.%s", k);
        if (!comma) {
            int a = state_index(m, k);
            if (get_row(c, v, f, m, m->t1[a]) != 0)
                return -1;
        } else {
            char sa[32];
            int a, b;
            snprintf(sa, sizeof sa, "%.*s", (int)(comma - k), k);
            a = state_index(m, sa);
            b = state_index(m, comma + 1);
            if (order != 2)
                return fail(c, f, "a pair key needs \"order\": 2");
            if (a < 0 || b < 0)
                return fail(c, f, "a pair key must be two known states "
                                  "\"a,b\"");
            if (get_row(c, v, f, m, m->t2[a][b]) != 0)
                return -1;
            m->has_t2[a][b] = true;
        }
    }
    /* a state with no first-order row would strand the chain */
    for (int a = 0; a < m->nstates; a++) {
        if (!sum_positive(m->t1[a], m->nstates))
            return fail(c, "transitions", "state '%s' has no row of its "
                                          "own", m->state[a]);
    }
    m->order = order;
    return 0;
}

static int
load_markov(ctx *c, const char *dir, bool chords, mg_markov *m)
{
    const char *names[2] = {chords ? "chords.json" : "melody.json",
                            chords ? "chord_transitions.json"
                                   : "melody_transitions.json"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        json_t *j;
        int rc;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!file_exists(path))
            continue;
        if (load_json(c, path, &j) != 0)
            return -1;
        rc = parse_markov(c, j, chords, m);
        json_decref(j);
        return rc;
    }
    m->order = 0;
    return 0;
}

/* ---- loading a genre directory -------------------------------------- */

static bool
valid_genre_name(const char *name)
{
    if (!*name || *name == '.' || strlen(name) >= 64)
        return false;
    for (const char *q = name; *q; q++)
        if (*q == '/' || *q == '\\' || *q == '+' || *q == ',')
            return false;
    return true;
}

void
mg_genre_destroy(mg_genre **g)
{
    if (!g || !*g)
        return;
    for (int ts = 0; ts < MG_NTS; ts++)
        free((*g)->patterns[ts]);
    free(*g);
    *g = NULL;
}

static mg_genre *
load_dir(const char *genres_dir, const char *name, bool is_default,
         char *err, size_t errlen)
{
    ctx c = {err, errlen, "", false};
    char dir[2048], path[4096];
    mg_genre *g;
    json_t *j = NULL;

    if (!valid_genre_name(name)) {
        mg_errf(err, errlen, "'%s' is not a valid genre name", name);
        return NULL;
    }
    snprintf(dir, sizeof dir, "%s/%s", genres_dir, name);
    snprintf(path, sizeof path, "%s/spec.json", dir);
    if (!is_default && !file_exists(path)) {
        mg_errf(err, errlen, "unknown genre '%s' (no %s)", name, path);
        return NULL;
    }
    if (!(g = calloc(1, sizeof *g))) {
        mg_errf(err, errlen, "out of memory loading genre %s", name);
        return NULL;
    }
    set_neutral(g);
    snprintf(g->name, sizeof g->name, "%s", name);
    if (is_default)
        for (int ts = 0; ts < MG_NTS; ts++)
            g->ts_weight[ts] = 1;
    if (load_arrangements(&c, genres_dir, g) != 0)
        goto bad;
    if (file_exists(path)) {
        if (load_json(&c, path, &j) != 0)
            goto bad;
        if (parse_spec(&c, j, name, g) != 0)
            goto bad;
        json_decref(j);
        j = NULL;
    }
    char fallback[2100];
    snprintf(fallback, sizeof fallback, "%s/default", genres_dir);
    if (load_patterns(&c, dir, is_default ? NULL : fallback, g) != 0 ||
        load_markov(&c, dir, true, &g->chords) != 0 ||
        load_markov(&c, dir, false, &g->melody) != 0)
        goto bad;
    return g;
bad:
    json_decref(j);
    mg_genre_destroy(&g);
    return NULL;
}

mg_genre *
mg_genre_load(const char *genres_dir, const char *name, char *err,
              size_t errlen)
{
    return load_dir(genres_dir, name, false, err, errlen);
}

mg_genre *
mg_genre_default(const char *genres_dir, char *err, size_t errlen)
{
    return load_dir(genres_dir, "default", true, err, errlen);
}

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
                    dup = pattern_equal(&g->patterns[ts][q], pat);
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

/* ---- listing and hashing ------------------------------------------- */

void
mg_genre_names_free(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int
mg_genre_list(const char *genres_dir, char ***names, char *err,
              size_t errlen)
{
    DIR *d = opendir(genres_dir);
    struct dirent *e;
    char **v = NULL;
    int n = 0, cap = 0;

    *names = NULL;
    if (!d) {
        mg_errf(err, errlen, "%s: cannot open genres directory: %s",
               genres_dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char path[1400];
        if (!valid_genre_name(e->d_name) || !strcmp(e->d_name, "default"))
            continue;
        snprintf(path, sizeof path, "%s/%s/spec.json", genres_dir,
                 e->d_name);
        if (!file_exists(path))
            continue;
        if (n == cap) {
            char **nv;
            cap = cap ? cap * 2 : 16;
            if (!(nv = realloc(v, (size_t)cap * sizeof *v)))
                goto oom;
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, cmp_str);
    *names = v;
    return n;
oom:
    closedir(d);
    mg_genre_names_free(v, n);
    mg_errf(err, errlen, "out of memory listing %s", genres_dir);
    return -1;
}

typedef struct {
    char **v;
    int n, cap;
} path_list;

static int
walk(const char *root, const char *rel, path_list *pl, char *err,
     size_t errlen)
{
    char dir[2048];
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    if (!(d = opendir(dir))) {
        mg_errf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char sub[2048], full[4096];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
                 e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (walk(root, sub, pl, err, errlen) != 0) {
                closedir(d);
                return -1;
            }
        } else if (S_ISREG(st.st_mode)) {
            if (pl->n == pl->cap) {
                int cap = pl->cap ? pl->cap * 2 : 64;
                char **nv = realloc(pl->v, (size_t)cap * sizeof *nv);
                if (!nv)
                    goto oom;
                pl->v = nv;
                pl->cap = cap;
            }
            if (!(pl->v[pl->n] = strdup(sub)))
                goto oom;
            pl->n++;
        }
    }
    closedir(d);
    return 0;
oom:
    closedir(d);
    mg_errf(err, errlen, "out of memory hashing %s", root);
    return -1;
}

int
mg_genre_dir_hash(const char *genres_dir, char out[65], char *err,
                  size_t errlen)
{
    path_list pl = {NULL, 0, 0};
    EVP_MD_CTX *md = NULL;
    unsigned char digest[32], buf[65536];
    unsigned dlen = 0;
    int rc = -1;

    if (walk(genres_dir, "", &pl, err, errlen) != 0)
        goto out;
    if (pl.n)
        qsort(pl.v, (size_t)pl.n, sizeof *pl.v, cmp_str);
    if (!(md = EVP_MD_CTX_new()) ||
        EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        mg_errf(err, errlen, "SHA-256 unavailable");
        goto out;
    }
    for (int i = 0; i < pl.n; i++) {
        char full[4096];
        FILE *f;
        size_t got;
        snprintf(full, sizeof full, "%s/%s", genres_dir, pl.v[i]);
        if (mg_rfile_open(full, 0, &f, err, errlen) < 0) goto out;
        EVP_DigestUpdate(md, pl.v[i], strlen(pl.v[i]) + 1);
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            EVP_DigestUpdate(md, buf, got);
        if (ferror(f)) {
            fclose(f);
            mg_errf(err, errlen, "%s: read error", full);
            goto out;
        }
        fclose(f);
    }
    EVP_DigestFinal_ex(md, digest, &dlen);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    for (int i = 0; i < pl.n; i++)
        free(pl.v[i]);
    free(pl.v);
    return rc;
}
