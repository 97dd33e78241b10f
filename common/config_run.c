/*
 * config_run — a run's config as canonical JSON (the ledger's, the
 * coordinator's RUN message, a static tree's run.json), read back, and
 * the differences between two, named as the options that set them.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "errmsg.h"
#include "jsonout.h"

char *
mg_config_run_json(const mg_config *c)
{
    json_t *j = json_object();
    json_t *g = json_array();
    for (int i = 0; i < c->ngenres; i++)
        json_array_append_new(g, json_string(c->genres[i]));
    json_object_set_new(j, "genres", g);
    json_object_set_new(j, "seed", json_integer(c->global_seed));
    json_object_set_new(j, "count", json_integer(c->count));
    json_object_set_new(j, "start", json_integer(c->start));
    json_object_set_new(j, "output_mode",
                        json_string(mg_output_mode_name(c->output_mode)));
    json_object_set_new(j, "shard_width", json_integer(c->shard_width));
    json_t *s = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(s, json_real(c->split[i]));
    json_object_set_new(j, "split", s);
    json_object_set_new(j, "min_musicality_score", json_real(c->min_score));
    json_object_set_new(j, "max_attempts", json_integer(c->max_attempts));
    json_t *m = json_object();
    for (int p = 0; p < MG_NPARTKINDS; p++)
        if (c->measures_override[p])
            json_object_set_new(m, mg_part_name((mg_part_kind)p),
                                json_integer(c->measures_override[p]));
    json_object_set_new(j, "measures_per_part", m);
    json_object_set_new(j, "sample_rate", json_integer(c->sample_rate));
    json_object_set_new(j, "sample_format",
                        json_string(mg_sample_format_name(c->sample_format)));
    json_object_set_new(j, "fonts", json_string(c->fonts));
    json_object_set_new(j, "accept_license",
                        json_boolean(c->accept_license));
    char *text = mg_json_dump(j, 0);
    json_decref(j);
    if (text) text[strcspn(text, "\n")] = 0;
    return text;
}

int
mg_config_apply_run_json(mg_config *c, const char *text, char *err,
                         size_t errlen)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return mg_errf(err, errlen, "run config: not a JSON object (%s)",
                    je.text);
    }
    const char *key;
    json_t *v;
    char buf[512], msg[512];
    int rc = 0;
    json_object_foreach(j, key, v) {
        if (!strcmp(key, "genres")) {
            if (!json_is_array(v)) goto bad;
            c->ngenres = 0;
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_string(e) ||
                    mg_config_set(c, "genre", json_string_value(e), msg,
                                  sizeof msg)) goto bad;
            }
            continue;
        }
        if (!strcmp(key, "split")) {
            if (!json_is_array(v) || json_array_size(v) != 3) goto bad;
            snprintf(buf, sizeof buf, "%.17g,%.17g,%.17g",
                     json_number_value(json_array_get(v, 0)),
                     json_number_value(json_array_get(v, 1)),
                     json_number_value(json_array_get(v, 2)));
            if (mg_config_set(c, "split", buf, msg, sizeof msg)) goto bad;
            continue;
        }
        if (!strcmp(key, "measures_per_part")) {
            if (!json_is_object(v)) goto bad;
            memset(c->measures_override, 0, sizeof c->measures_override);
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv) {
                int p = mg_part_from_name(pk);
                if (p < 0 || !json_is_integer(pv) ||
                    json_integer_value(pv) < 1 ||
                    json_integer_value(pv) > 64) goto bad;
                c->measures_override[p] = (int)json_integer_value(pv);
            }
            continue;
        }
        if (!strcmp(key, "accept_license")) {
            if (!json_is_boolean(v)) goto bad;
            c->accept_license = json_is_true(v);
            continue;
        }
        const char *opt = mg_config_key_option(key);
        if (!opt) {
            rc = mg_errf(err, errlen, "run config: unknown key '%s'", key);
            break;
        }
        if (json_is_string(v))
            snprintf(buf, sizeof buf, "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        else if (json_is_real(v))
            snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        else
            goto bad;
        if (mg_config_set(c, opt, buf, msg, sizeof msg)) {
            rc = mg_errf(err, errlen, "run config: %s", msg);
            break;
        }
        continue;
    bad:
        rc = mg_errf(err, errlen, "run config: bad value for '%s'", key);
        break;
    }
    json_decref(j);
    return rc;
}

static bool
key_skipped(const char *const *skip, const char *k)
{
    for (; skip && *skip; skip++)
        if (!strcmp(*skip, k))
            return true;
    return false;
}

int
mg_config_json_diff(const char *a, const char *b, const char *fmt,
                    const char *const *skip, char *out, size_t n)
{
    json_t *ja = json_loads(a, 0, NULL), *jb = json_loads(b, 0, NULL);
    int nd = 0;
    out[0] = '\0';
    if (!json_is_object(ja) || !json_is_object(jb)) {
        json_decref(ja);
        json_decref(jb);
        return -1;
    }
    /* a's keys, then b's that a lacks */
    for (int pass = 0; pass < 2; pass++) {
        json_t *from = pass ? jb : ja, *other = pass ? ja : jb;
        const char *k;
        json_t *v;
        json_object_foreach(from, k, v) {
            json_t *w = json_object_get(other, k);
            if ((pass && w) || (w && json_equal(v, w)) ||
                key_skipped(skip, k))
                continue;
            /* reals as given (0.7, not 0.69999999999999996), unless
             * only the last digits tell the two apart */
            size_t f = JSON_COMPACT | JSON_ENCODE_ANY;
            char *x = json_dumps(v, f | JSON_REAL_PRECISION(15));
            char *y = w ? json_dumps(w, f | JSON_REAL_PRECISION(15)) : NULL;
            if (x && y && !strcmp(x, y)) {
                free(x);
                free(y);
                x = json_dumps(v, f);
                y = json_dumps(w, f);
            }
            const char *va = pass ? "none" : x ? x : "?";
            const char *vb = pass ? (x ? x : "?") : y ? y : "none";
            /* named as the user gives it (--output-mode, not the
             * run JSON's output_mode) */
            const char *o = mg_config_key_option(k);
            char name[64];
            snprintf(name, sizeof name, "%s%s", o ? "--" : "", o ? o : k);
            size_t l = strlen(out);
            if (l < n) {
                if (nd)
                    snprintf(out + l, n - l, "; ");
                l = strlen(out);
                snprintf(out + l, n - l, fmt, name, va, vb);
            }
            nd++;
            free(x);
            free(y);
        }
    }
    json_decref(ja);
    json_decref(jb);
    return nd;
}
