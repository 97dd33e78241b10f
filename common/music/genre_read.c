/*
 * genre_read — what every parser of a genre file shares: the reading
 * context (ctx: errors that name the file and the field), the JSON
 * loader, the typed field readers (numbers in a range, integers, strings,
 * weight tables keyed by name) and the name resolvers those tables use.
 *
 * Invariants: a reader either stores a value that passed its check or
 * returns -1 with one message in c->err naming file and field ("PATH:
 * FIELD: must be a number in LO..HI"); it never stores a partial value.
 */
#include "genre_priv.h"
#include "errmsg.h"
#include "rfile.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const inversion_names[4] = {
    "root", "first", "second", "third",
};

/* ---- error reporting ---------------------------------------------- */

int
genre_fail(ctx *c, const char *field, const char *fmt, ...)
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

bool
genre_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- name resolvers for weight tables ------------------------------ */

int
genre_resolve_ts(const char *s)
{
    return mg_ts_from_name(s);
}

int
genre_resolve_key(const char *s)
{
    int pc;
    mg_mode m;
    if (mg_key_parse(s, &pc, &m) != 0)
        return -1;
    return pc * 2 + (int)m;
}

int
genre_resolve_chord(const char *s)
{
    return mg_chord_type_from_name(s);
}

int
genre_resolve_inversion(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, inversion_names[i]))
            return i;
    return -1;
}

int
genre_resolve_layer(const char *s)
{
    return mg_layer_from_name(s);
}

int
genre_resolve_part(const char *s)
{
    return mg_part_from_name(s);
}

/* ---- JSON field readers -------------------------------------------- */

int
genre_get_num(ctx *c, const json_t *v, const char *field, double lo, double hi,
              double *out)
{
    if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
        json_number_value(v) < lo || json_number_value(v) > hi)
        return genre_fail(c, field, "must be a number in %g..%g", lo, hi);
    *out = json_number_value(v);
    return 0;
}

int
genre_get_int(ctx *c, const json_t *v, const char *field, int lo, int hi,
              int *out)
{
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || d != floor(d) || d < lo || d > hi)
        return genre_fail(c, field, "must be an integer in %d..%d", lo, hi);
    *out = (int)d;
    return 0;
}

int
genre_get_str(ctx *c, const json_t *v, const char *field, char *out, size_t n)
{
    if (!json_is_string(v))
        return genre_fail(c, field, "must be a string");
    if (strlen(json_string_value(v)) >= n)
        return genre_fail(c, field, "longer than %zu characters", n - 1);
    snprintf(out, n, "%s", json_string_value(v));
    return 0;
}

/* {"name": weight, ...} into out[n] (zeroed first: a table given replaces
 * the default). `kind` names what a key must be, for messages. */
int
genre_get_weights(ctx *c, const json_t *obj, const char *field, resolver res,
                  const char *kind, double hi, double *out, int n)
{
    const char *k;
    json_t *v;
    char f[160];

    if (!json_is_object(obj))
        return genre_fail(c, field, "must be an object of %s -> number", kind);
    for (int i = 0; i < n; i++)
        out[i] = 0;
    json_object_foreach((json_t *)obj, k, v) {
        int idx = res(k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (idx < 0 || idx >= n)
            return genre_fail(c, f, "not a known %s", kind);
        if (genre_get_num(c, v, f, 0, hi, &out[idx]) != 0)
            return -1;
    }
    return 0;
}

bool
genre_sum_positive(const double *w, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += w[i];
    return s > 0;
}

int
genre_load_json(ctx *c, const char *path, json_t **out)
{
    char msg[512];
    const char *why;
    snprintf(c->file, sizeof c->file, "%s", path);
    *out = mg_rfile_json(path, JSON_REJECT_DUPLICATES, msg, sizeof msg);
    if (!*out) {
        /* "PATH:LINE: reason": genre_fail() names the file itself. */
        why = strncmp(msg, path, strlen(path)) ? msg : msg + strlen(path);
        if (*why == ':') {
            why++;
            return genre_fail(c, NULL, "line %s", why);
        }
        return genre_fail(c, NULL, "%s", why);
    }
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return genre_fail(c, NULL, "must hold a JSON object");
    }
    return 0;
}

int
genre_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}
