/*
 * genre_form — song forms: arrangements.json (genres_dir's, else the
 * shipped one) and a spec's "form" object: the arrangements (lists of
 * parts with weights), bars per part, per-part layer multipliers and the
 * time-signature change probability.
 *
 * Invariants: at least one arrangement of 1..MG_MAX_PARTS known parts;
 * measures min <= max in 1..64 per part; a layer left out of a part's
 * multipliers keeps 1.
 */
#include "genre_priv.h"
#include "config.h"
#include "errmsg.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* ---- song form: arrangements.json or a spec's "form" ---------------- */

int
genre_parse_form(ctx *c, const json_t *o, const char *prefix, mg_genre *g)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(o))
        return genre_fail(c, prefix, "must be an object");
    json_object_foreach((json_t *)o, k, v) {
        snprintf(f, sizeof f, "%s%s%s", prefix, *prefix ? "." : "", k);
        if (!strcmp(k, "forms")) {
            size_t i;
            json_t *form;
            if (!json_is_array(v) || json_array_size(v) == 0 ||
                json_array_size(v) > MG_MAX_ARRANGEMENTS)
                return genre_fail(c, f, "must be a list of 1..%d forms",
                                  MG_MAX_ARRANGEMENTS);
            g->narrangements = 0;
            json_array_foreach(v, i, form) {
                char ff[200];
                json_t *parts, *w;
                size_t j;
                json_t *p;
                snprintf(ff, sizeof ff, "%s[%zu]", f, i);
                if (!json_is_object(form))
                    return genre_fail(c, ff, "must be {\"parts\": [...], "
                                       "\"weight\": n}");
                const char *fk;
                json_object_foreach(form, fk, w) {
                    if (strcmp(fk, "parts") && strcmp(fk, "weight"))
                        return genre_fail(c, ff, "unknown field '%s'", fk);
                }
                parts = json_object_get(form, "parts");
                w = json_object_get(form, "weight");
                if (!json_is_array(parts) || json_array_size(parts) == 0 ||
                    json_array_size(parts) > MG_MAX_PARTS)
                    return genre_fail(c, ff, "parts: must be a list of 1..%d "
                                       "part names", MG_MAX_PARTS);
                g->arrangement[i].nparts = (int)json_array_size(parts);
                json_array_foreach(parts, j, p) {
                    int pk = json_is_string(p)
                                 ? mg_part_from_name(json_string_value(p))
                                 : -1;
                    if (pk < 0)
                        return genre_fail(c, ff, "parts[%zu]: must be intro, "
                                           "verse, chorus, bridge or outro",
                                    j);
                    g->arrangement[i].part[j] = (mg_part_kind)pk;
                }
                g->arrangement[i].weight = 1;
                if (w) {
                    snprintf(ff, sizeof ff, "%s[%zu].weight", f, i);
                    if (genre_get_num(c, w, ff, 0, 1e6,
                                      &g->arrangement[i].weight) != 0)
                        return -1;
                }
                g->narrangements++;
            }
            /* All forms at weight 0 would leave the draw nothing, and the
             * song would take a form the genre never named. */
            double w[MG_MAX_ARRANGEMENTS];
            for (int a = 0; a < g->narrangements; a++)
                w[a] = g->arrangement[a].weight;
            if (!genre_sum_positive(w, g->narrangements))
                return genre_fail(c, f, "at least one weight must be > 0");
        } else if (!strcmp(k, "measures")) {
            const char *pn;
            json_t *r;
            if (!json_is_object(v))
                return genre_fail(c, f, "must be an object of part -> "
                                  "[min, max]");
            json_object_foreach(v, pn, r) {
                char ff[200];
                int pk = mg_part_from_name(pn), lo, hi;
                snprintf(ff, sizeof ff, "%s.%s", f, pn);
                if (pk < 0)
                    return genre_fail(c, ff, "not a part name");
                if (!json_is_array(r) || json_array_size(r) != 2)
                    return genre_fail(c, ff, "must be [min, max] bars");
                if (genre_get_int(c, json_array_get(r, 0), ff, 1, 64, &lo) ||
                    genre_get_int(c, json_array_get(r, 1), ff, 1, 64, &hi))
                    return -1;
                if (lo > hi)
                    return genre_fail(c, ff, "min %d > max %d", lo, hi);
                g->measures_min[pk] = lo;
                g->measures_max[pk] = hi;
            }
        } else if (!strcmp(k, "layer_multipliers")) {
            const char *pn;
            json_t *r;
            if (!json_is_object(v))
                return genre_fail(c, f, "must be an object of part -> "
                                  "{layer: probability}");
            json_object_foreach(v, pn, r) {
                char ff[200];
                double tmp[MG_NLAYERS];
                int pk = mg_part_from_name(pn);
                snprintf(ff, sizeof ff, "%s.%s", f, pn);
                if (pk < 0)
                    return genre_fail(c, ff, "not a part name");
                if (genre_get_weights(c, r, ff, genre_resolve_layer, "layer",
                                      1, tmp, MG_NLAYERS) != 0)
                    return -1;
                /* a layer left out of the object keeps multiplier 1 */
                for (int l = 0; l < MG_NLAYERS; l++)
                    g->part_layer_prob[pk][l] =
                        json_object_get(r, mg_layer_name((mg_layer)l))
                            ? tmp[l]
                            : 1;
            }
        } else if (!strcmp(k, "ts_change_prob")) {
            if (genre_get_num(c, v, f, 0, 1, &g->ts_change_prob) != 0)
                return -1;
        } else if (!strcmp(k, "description")) {
            if (!json_is_string(v))
                return genre_fail(c, f, "must be a string");
        } else {
            return genre_fail(c, f, "unknown field");
        }
    }
    return 0;
}

/* genres_dir/arrangements.json, else the shipped one (a custom genres
 * directory, e.g. a Python tool's, need not carry its own). */
int
genre_load_arrangements(ctx *c, const char *genres_dir, mg_genre *g)
{
    char path[4096];
    json_t *j;
    int rc;

    snprintf(path, sizeof path, "%s/arrangements.json", genres_dir);
    if (!genre_file_exists(path)) {
        char alt[4096];
        snprintf(alt, sizeof alt, "%s/genres/arrangements.json",
                 mg_data_dir());
        if (!genre_file_exists(alt)) {
            snprintf(c->file, sizeof c->file, "%s", path);
            return genre_fail(c, NULL, "missing (the default song forms)");
        }
        snprintf(path, sizeof path, "%s", alt);
    }
    if (genre_load_json(c, path, &j) != 0)
        return -1;
    rc = genre_parse_form(c, j, "", g);
    json_decref(j);
    if (rc == 0 && g->narrangements == 0)
        rc = genre_fail(c, "forms", "at least one form is required");
    return rc;
}
