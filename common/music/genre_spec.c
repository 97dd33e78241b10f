/*
 * genre_spec — a genre's spec.json, in both dialects (ours, nested; the
 * Python tool's flat field names), over the neutral defaults a minimal
 * {"name": "x"} spec gets (documented in docs/genres.md).
 *
 * Invariants: tempo_min <= tempo_max within [20, 400]; swing within
 * [0.5, 0.8]; every weight >= 0 and the ts, key, chord and inversion
 * tables and each layer's program weights have a positive sum; with a
 * chord filter, types outside it have weight 0. Unknown fields are
 * errors naming the field.
 */
#include "genre_priv.h"
#include "errmsg.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- defaults ------------------------------------------------------ */

/* Neutral values for fields a spec leaves out (documented in
 * docs/genres.md): they make a minimal {"name": "x"} spec usable. */
void
genre_set_neutral(mg_genre *g)
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

/* ---- spec.json ----------------------------------------------------- */

static int
get_range(ctx *c, const json_t *o, const char *field, double lo, double hi,
          double *mn, double *mx)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(o))
        return genre_fail(c, field, "must be {\"min\": n, \"max\": n}");
    json_object_foreach((json_t *)o, k, v) {
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (!strcmp(k, "min")) {
            if (genre_get_num(c, v, f, lo, hi, mn) != 0)
                return -1;
        } else if (!strcmp(k, "max")) {
            if (genre_get_num(c, v, f, lo, hi, mx) != 0)
                return -1;
        } else {
            return genre_fail(c, f, "unknown field");
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
        return genre_fail(c, field, "must be a list of at most %d strings",
                          MG_MAX_TAGS);
    g->ntags[l] = 0;
    json_array_foreach(v, i, t) {
        char f[200];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (genre_get_str(c, t, f, g->tags[l][i], sizeof g->tags[l][i]) != 0)
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
        return genre_fail(c, field, "must be a list of 1..%d programs",
                          MG_MAX_PROGRAMS);
    g->nprograms[l] = 0;
    json_array_foreach(v, i, p) {
        char f[200], ff[220];
        const char *k;
        json_t *x;
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (!json_is_object(p) || !json_object_get(p, "program"))
            return genre_fail(c, f, "must be {\"program\": 0..127, "
                              "\"weight\": n, \"name\": \"...\"}");
        g->program_weight[l][i] = 1;
        json_object_foreach(p, k, x) {
            snprintf(ff, sizeof ff, "%s.%s", f, k);
            if (!strcmp(k, "program")) {
                if (genre_get_int(c, x, ff, 0, 127, &g->program[l][i]) != 0)
                    return -1;
            } else if (!strcmp(k, "weight")) {
                if (genre_get_num(c, x, ff, 0, 1e6, &g->program_weight[l][i]))
                    return -1;
            } else if (!strcmp(k, "name")) {
                if (!json_is_string(x))
                    return genre_fail(c, ff, "must be a string");
            } else {
                return genre_fail(c, ff, "unknown field");
            }
        }
        for (size_t j = 0; j < i; j++)
            if (g->program[l][j] == g->program[l][i])
                return genre_fail(c, ff, "program %d listed twice",
                                  g->program[l][i]);
        g->nprograms[l]++;
    }
    if (!genre_sum_positive(g->program_weight[l], g->nprograms[l]))
        return genre_fail(c, field, "at least one weight must be > 0");
    return 0;
}

static int
get_layers(ctx *c, const json_t *o, mg_genre *g)
{
    const char *ln;
    json_t *lv;
    if (!json_is_object(o))
        return genre_fail(c, "layers", "must be an object of layer -> {...}");
    json_object_foreach((json_t *)o, ln, lv) {
        int l = mg_layer_from_name(ln);
        const char *k;
        json_t *v;
        char f[160];
        snprintf(f, sizeof f, "layers.%s", ln);
        if (l < 0)
            return genre_fail(c, f, "not a layer (beat, melody, harmony, "
                              "bassline)");
        if (!json_is_object(lv))
            return genre_fail(c, f, "must be an object");
        json_object_foreach(lv, k, v) {
            snprintf(f, sizeof f, "layers.%s.%s", ln, k);
            if (!strcmp(k, "probability")) {
                if (genre_get_num(c, v, f, 0, 1, &g->layer_prob[l]) != 0)
                    return -1;
            } else if (!strcmp(k, "tags")) {
                if (get_tags(c, v, f, g, l) != 0)
                    return -1;
            } else if (!strcmp(k, "programs")) {
                if (get_programs(c, v, f, g, l) != 0)
                    return -1;
            } else {
                return genre_fail(c, f, "unknown field");
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
        return genre_fail(c, field, "must be null or a non-empty list of "
                          "chord types");
    g->chord_filter = true;
    memset(g->chord_allowed, 0, sizeof g->chord_allowed);
    json_array_foreach(v, i, t) {
        char f[200];
        int ct = json_is_string(t)
                     ? mg_chord_type_from_name(json_string_value(t))
                     : -1;
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        if (ct < 0)
            return genre_fail(c, f, "not a known chord type");
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
        return genre_fail(c, field, "must be an object of effect -> "
                          "multiplier");
    json_object_foreach((json_t *)o, k, v) {
        int fx = mg_fx_from_name(k);
        double d;
        snprintf(f, sizeof f, "%s.%s", field, k);
        for (size_t i = 0; python && fx < 0 && i < sizeof py_fx /
                                                     sizeof *py_fx; i++)
            if (!strcmp(k, py_fx[i].py))
                fx = py_fx[i].fx == -1 ? MG_NFX : py_fx[i].fx;
        if (fx < 0)
            return genre_fail(c, f, "not an effect (reverb chorus delay "
                              "compressor eq filter distortion phaser)");
        if (genre_get_num(c, v, f, 0, 10, &d) != 0)
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
        return genre_fail(c, field, "must be [lo, hi]");
    for (int i = 0; i < 2; i++) {
        char f[180];
        snprintf(f, sizeof f, "%s[%d]", field, i);
        if (genre_get_num(c, json_array_get(v, (size_t)i), f, min, max,
                          &out[i]))
            return -1;
    }
    if (out[0] > out[1])
        return genre_fail(c, field, "lo %g > hi %g", out[0], out[1]);
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
        return genre_fail(c, field, "must be an object of layer -> %s",
                          two ? "[lo, hi]" : "number");
    json_object_foreach((json_t *)o, k, v) {
        int l = mg_layer_from_name(k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (l < 0)
            return genre_fail(c, f, "not a layer (beat melody harmony "
                              "bassline)");
        if (two ? get_pair(c, v, f, min, max, two[l])
                : genre_get_num(c, v, f, min, max, &one[l]))
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
        return genre_fail(c, "performance", "must be an object");
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
            rc = genre_get_num(c, v, f, 0, 20, &pf->vel_jitter);
        else if (!strcmp(k, "rubato"))
            rc = genre_get_num(c, v, f, 0, 0.1, &pf->rubato);
        else if (!strcmp(k, "ritardando") || !strcmp(k, "part_tempo")) {
            const char *k2;
            json_t *v2;
            bool rit = !strcmp(k, "ritardando");
            rc = 0;
            if (!json_is_object(v))
                rc = genre_fail(c, f, "must be an object");
            json_object_foreach(v, k2, v2) {
                char f2[200];
                snprintf(f2, sizeof f2, "%s.%s", f, k2);
                if (rc)
                    break;
                if (!strcmp(k2, "probability"))
                    rc = genre_get_num(c, v2, f2, 0, 1,
                                       rit ? &pf->rit_prob
                                           : &pf->part_tempo_prob);
                else if (rit && !strcmp(k2, "depth"))
                    rc = get_pair(c, v2, f2, 0, 0.5, pf->rit_depth);
                else if (!rit && !strcmp(k2, "range"))
                    rc = genre_get_num(c, v2, f2, 0, 0.2,
                                       &pf->part_tempo_range);
                else
                    rc = genre_fail(c, f2, "unknown field");
            }
        } else
            rc = genre_fail(c, f, "unknown field");
        if (rc)
            return -1;
    }
    return 0;
}

int
genre_parse_spec(ctx *c, const json_t *j, const char *dirname, mg_genre *g)
{
    const char *k;
    json_t *v;

    static const char *const python_fields[] = {
        "tempo_min", "tempo_max", "swing_min", "swing_max",
        "time_sig_weights", "scale_weights", "chord_type_weights",
        "chord_type_hard_filter", "inversion_weights", "layer_probs",
        "fx_profile", "soundfont_tags", "drum_pool_names"};
    /* One setting under both names: whichever came later in the object
     * won without a word. */
    static const char *const same[][3] = {
        {"tempo", "tempo_min", "tempo_max"},
        {"swing", "swing_min", "swing_max"},
        {"time_signatures", "time_sig_weights", NULL},
        {"keys", "scale_weights", NULL},
        {"chord_types", "chord_type_weights", NULL},
        {"chord_filter", "chord_type_hard_filter", NULL},
        {"inversions", "inversion_weights", NULL},
        {"fx", "fx_profile", NULL}};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        for (int p = 1; p < 3 && json_object_get(j, same[i][0]); p++)
            if (same[i][p] && json_object_get(j, same[i][p]))
                return genre_fail(c, same[i][p], "the Python tool's name "
                                  "for '%s', which is given too: keep one",
                                  same[i][0]);
    json_object_foreach((json_t *)j, k, v) {
        int rc = 0;
        for (size_t i = 0; i < sizeof python_fields / sizeof *python_fields;
             i++)
            if (!strcmp(k, python_fields[i])) c->python = true;
        if (!strcmp(k, "name")) {
            char nm[64];
            rc = genre_get_str(c, v, k, nm, sizeof nm);
            if (rc == 0 && strcmp(nm, dirname))
                rc = genre_fail(c, k, "'%s' does not match the directory name "
                                "'%s'", nm, dirname);
        } else if (!strcmp(k, "description")) {
            rc = genre_get_str(c, v, k, g->description, sizeof g->description);
        } else if (!strcmp(k, "style")) {
            rc = genre_get_str(c, v, k, g->style, sizeof g->style);
            if (rc == 0 && !style_known(g->style))
                rc = genre_fail(c, k, "'%s' is not one of: %s", g->style,
                                MG_GENRE_STYLES);
        } else if (!strcmp(k, "tempo")) {
            rc = get_range(c, v, k, 20, 400, &g->tempo_min, &g->tempo_max);
        } else if (!strcmp(k, "tempo_min")) {
            rc = genre_get_num(c, v, k, 20, 400, &g->tempo_min);
        } else if (!strcmp(k, "tempo_max")) {
            rc = genre_get_num(c, v, k, 20, 400, &g->tempo_max);
        } else if (!strcmp(k, "swing")) {
            rc = get_range(c, v, k, 0.5, 0.8, &g->swing_min, &g->swing_max);
        } else if (!strcmp(k, "swing_min")) {
            rc = genre_get_num(c, v, k, 0.5, 0.8, &g->swing_min);
        } else if (!strcmp(k, "swing_max")) {
            rc = genre_get_num(c, v, k, 0.5, 0.8, &g->swing_max);
        } else if (!strcmp(k, "time_signatures") ||
                   !strcmp(k, "time_sig_weights")) {
            rc = genre_get_weights(c, v, k, genre_resolve_ts,
                                   "time signature", 1e6, g->ts_weight,
                                   MG_NTS);
        } else if (!strcmp(k, "keys") || !strcmp(k, "scale_weights")) {
            rc = genre_get_weights(c, v, k, genre_resolve_key,
                                   "key (C, F#, Am, C#m)", 1e6,
                                   g->key_weight, MG_NKEYS);
        } else if (!strcmp(k, "chord_types") ||
                   !strcmp(k, "chord_type_weights")) {
            rc = genre_get_weights(c, v, k, genre_resolve_chord,
                                   "chord type", 1e6, g->chord_weight,
                                   MG_NCHORDTYPES);
        } else if (!strcmp(k, "chord_filter") ||
                   !strcmp(k, "chord_type_hard_filter")) {
            rc = get_filter(c, v, k, g);
        } else if (!strcmp(k, "inversions") ||
                   !strcmp(k, "inversion_weights")) {
            rc = genre_get_weights(c, v, k, genre_resolve_inversion,
                                   "inversion (root, first, second, third)",
                                   1e6, g->inversion_weight, 4);
        } else if (!strcmp(k, "layers")) {
            rc = get_layers(c, v, g);
        } else if (!strcmp(k, "layer_probs")) {
            /* Python: layers left out keep their probability */
            double tmp[MG_NLAYERS];
            rc = genre_get_weights(c, v, k, genre_resolve_layer, "layer",
                                   1, tmp, MG_NLAYERS);
            for (int l = 0; rc == 0 && l < MG_NLAYERS; l++)
                if (json_object_get(v, mg_layer_name((mg_layer)l)))
                    g->layer_prob[l] = tmp[l];
        } else if (!strcmp(k, "fx") || !strcmp(k, "fx_profile")) {
            rc = get_fx(c, v, k, !strcmp(k, "fx_profile"), g);
        } else if (!strcmp(k, "soundfont_tags")) {
            const char *ln;
            json_t *lv;
            if (!json_is_object(v))
                rc = genre_fail(c, k, "must be an object of layer -> [tags]");
            json_object_foreach(v, ln, lv) {
                char f[160];
                int l = mg_layer_from_name(ln);
                snprintf(f, sizeof f, "%s.%s", k, ln);
                if (rc == 0 && l < 0)
                    rc = genre_fail(c, f, "not a layer");
                if (rc == 0)
                    rc = get_tags(c, lv, f, g, l);
            }
        } else if (!strcmp(k, "drum_pool_names")) {
            if (!json_is_array(v))
                rc = genre_fail(c, k, "must be a list (ignored)");
        } else if (!strcmp(k, "form")) {
            rc = genre_parse_form(c, v, "form", g);
        } else if (!strcmp(k, "performance")) {
            rc = parse_performance(c, v, &g->perf);
        } else if (!strcmp(k, "loudness")) {
            rc = get_layer_vals(c, v, k, -40, -6, g->perf.loudness, NULL);
        } else {
            rc = genre_fail(c, k, "unknown field");
        }
        if (rc != 0)
            return -1;
    }
    if (g->tempo_min > g->tempo_max)
        return genre_fail(c, "tempo", "min %g > max %g", g->tempo_min,
                          g->tempo_max);
    if (g->swing_min > g->swing_max)
        return genre_fail(c, "swing", "min %g > max %g", g->swing_min,
                          g->swing_max);
    if (!genre_sum_positive(g->ts_weight, MG_NTS))
        return genre_fail(c, "time_signatures",
                          "at least one weight must be > 0");
    if (!genre_sum_positive(g->key_weight, MG_NKEYS))
        return genre_fail(c, "keys", "at least one weight must be > 0");
    if (!genre_sum_positive(g->inversion_weight, 4))
        return genre_fail(c, "inversions", "at least one weight must be > 0");
    if (g->chord_filter)
        for (int t = 0; t < MG_NCHORDTYPES; t++)
            if (!g->chord_allowed[t])
                g->chord_weight[t] = 0;
    if (!genre_sum_positive(g->chord_weight, MG_NCHORDTYPES))
        return genre_fail(c, "chord_types", "no allowed chord type has a "
                          "weight > 0");
    return 0;
}
