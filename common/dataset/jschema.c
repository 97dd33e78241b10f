/*
 * jschema — the JSON Schema subset validator (rules in jschema.h).
 *
 * The schema tree is jansson's, kept read-only after load; each "pattern"
 * is compiled once at load into a small table looked up by the schema
 * object that holds it. Paths in messages are JSON Pointers.
 */
#include "jschema.h"

#include <math.h>
#include <stdarg.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

typedef struct {
    const json_t *owner; /* the schema object with the "pattern" */
    regex_t re;
} pattern;

struct mg_jschema {
    json_t *root;
    pattern *pat;
    int npat, cappat;
};

static const char *const known[] = {
    "type", "enum", "const", "properties", "required",
    "additionalProperties", "propertyNames", "items", "minItems",
    "maxItems", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "minLength", "maxLength", "pattern", "allOf",
    "anyOf", "oneOf", "not", "$ref",
    /* annotations */
    "$schema", "$id", "title", "description", "definitions", "default",
    "examples", "$comment",
};

static bool
is_known(const char *k)
{
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(k, known[i])) return true;
    return false;
}

/* Check keywords and compile patterns, recursively. */
static int
prepare(mg_jschema *s, const json_t *sch, const char *where, char *err,
        size_t errlen)
{
    const char *k;
    json_t *v;
    char sub[512];

    if (json_is_boolean(sch)) return 0;
    if (!json_is_object(sch))
        return mg_errf(err, errlen, "schema %s: not an object", where);
    json_object_foreach((json_t *)sch, k, v) {
        if (!is_known(k))
            return mg_errf(err, errlen,
                           "schema %s: keyword '%s' is not implemented by "
                           "this validator", where, k);
        if (!strcmp(k, "pattern")) {
            if (!json_is_string(v))
                return mg_errf(err, errlen, "schema %s: pattern is not a "
                               "string", where);
            if (s->npat == s->cappat) {
                int cap = s->cappat ? 2 * s->cappat : 16;
                pattern *p = realloc(s->pat, (size_t)cap * sizeof *p);
                if (!p) return mg_errf(err, errlen, "out of memory");
                s->pat = p;
                s->cappat = cap;
            }
            if (regcomp(&s->pat[s->npat].re, json_string_value(v),
                        REG_EXTENDED | REG_NOSUB))
                return mg_errf(err, errlen, "schema %s: pattern '%s' does "
                               "not compile", where, json_string_value(v));
            s->pat[s->npat++].owner = sch;
        } else if (!strcmp(k, "properties") || !strcmp(k, "definitions")) {
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv) {
                snprintf(sub, sizeof sub, "%s/%s/%s", where, k, pk);
                if (prepare(s, pv, sub, err, errlen)) return -1;
            }
        } else if (!strcmp(k, "items") || !strcmp(k, "not") ||
                   !strcmp(k, "propertyNames") ||
                   !strcmp(k, "additionalProperties")) {
            if (!strcmp(k, "items") && json_is_array(v))
                return mg_errf(err, errlen, "schema %s: tuple 'items' is "
                               "not implemented", where);
            snprintf(sub, sizeof sub, "%s/%s", where, k);
            if (prepare(s, v, sub, err, errlen)) return -1;
        } else if (!strcmp(k, "allOf") || !strcmp(k, "anyOf") ||
                   !strcmp(k, "oneOf")) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                snprintf(sub, sizeof sub, "%s/%s/%zu", where, k, i);
                if (prepare(s, e, sub, err, errlen)) return -1;
            }
        } else if (!strcmp(k, "$ref")) {
            const char *r = json_string_value(v);
            if (!r || strncmp(r, "#/definitions/", 14) ||
                !json_object_get(json_object_get(s->root, "definitions"),
                                 r + 14))
                return mg_errf(err, errlen, "schema %s: $ref '%s' is not a "
                               "local definition", where, r ? r : "?");
        }
    }
    return 0;
}

mg_jschema *
mg_jschema_load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    mg_jschema *s = calloc(1, sizeof *s);
    if (!s) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    s->root = json_load_file(path, JSON_DECODE_INT_AS_REAL, &je);
    if (!s->root) {
        mg_errf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        free(s);
        return NULL;
    }
    if (prepare(s, s->root, "#", err, errlen)) {
        mg_jschema_destroy(&s);
        return NULL;
    }
    return s;
}

void
mg_jschema_destroy(mg_jschema **sp)
{
    mg_jschema *s = sp ? *sp : NULL;
    if (!s) return;
    for (int i = 0; i < s->npat; i++)
        regfree(&s->pat[i].re);
    free(s->pat);
    json_decref(s->root);
    free(s);
    *sp = NULL;
}

typedef struct {
    const mg_jschema *s;
    void (*report)(const char *, void *);
    void *arg;
    int max, count;
    bool quiet; /* inside anyOf/oneOf/not: count only */
} vctx;

static void
fail(vctx *c, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(vctx *c, const char *ptr, const char *fmt, ...)
{
    c->count++;
    if (c->quiet || !c->report || c->count > c->max) return;
    char msg[512], line[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s: %s", *ptr ? ptr : "/", msg);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    c->report(line, c->arg);
}

static bool
is_integral(const json_t *v)
{
    if (json_is_integer(v)) return true;
    if (!json_is_real(v)) return false;
    double d = json_real_value(v);
    return isfinite(d) && floor(d) == d;
}

static bool
type_is(const json_t *v, const char *t)
{
    if (!strcmp(t, "object")) return json_is_object(v);
    if (!strcmp(t, "array")) return json_is_array(v);
    if (!strcmp(t, "string")) return json_is_string(v);
    if (!strcmp(t, "number")) return json_is_number(v);
    if (!strcmp(t, "integer")) return is_integral(v);
    if (!strcmp(t, "boolean")) return json_is_boolean(v);
    if (!strcmp(t, "null")) return json_is_null(v);
    return false;
}

static const char *
type_of(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return is_integral(v) ? "integer" : "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

/* Equality as JSON Schema means it: 1 == 1.0. */
static bool
same(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    return json_equal((json_t *)a, (json_t *)b);
}

static void check(vctx *c, const json_t *sch, const json_t *v,
                  const char *ptr);

/* Violations of v against sch without reporting them. */
static int
count_quiet(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    vctx q = *c;
    q.quiet = true;
    q.count = 0;
    check(&q, sch, v, ptr);
    return q.count;
}

static void
short_text(const json_t *v, char *buf, size_t n)
{
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!t) {
        snprintf(buf, n, "?");
        return;
    }
    if (strlen(t) > 40)
        snprintf(buf, n, "%.37s...", t);
    else
        snprintf(buf, n, "%s", t);
    free(t);
}

static void
check_number(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    double x = json_number_value(v);
    json_t *m;
    if ((m = json_object_get(sch, "minimum")) && x < json_number_value(m))
        fail(c, ptr, "%g is less than the minimum %g", x,
             json_number_value(m));
    if ((m = json_object_get(sch, "maximum")) && x > json_number_value(m))
        fail(c, ptr, "%g is more than the maximum %g", x,
             json_number_value(m));
    if ((m = json_object_get(sch, "exclusiveMinimum")) &&
        x <= json_number_value(m))
        fail(c, ptr, "%g is not more than %g", x, json_number_value(m));
    if ((m = json_object_get(sch, "exclusiveMaximum")) &&
        x >= json_number_value(m))
        fail(c, ptr, "%g is not less than %g", x, json_number_value(m));
}

static void
check_string(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    const char *s = json_string_value(v);
    size_t len = 0;
    json_t *m;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) len++; /* code points */
    if ((m = json_object_get(sch, "minLength")) &&
        (json_int_t)len < (json_int_t)json_number_value(m))
        fail(c, ptr, "string shorter than %g", json_number_value(m));
    if ((m = json_object_get(sch, "maxLength")) &&
        (json_int_t)len > (json_int_t)json_number_value(m))
        fail(c, ptr, "string longer than %g", json_number_value(m));
    if (json_object_get(sch, "pattern")) {
        for (int i = 0; i < c->s->npat; i++) {
            if (c->s->pat[i].owner != sch) continue;
            if (regexec(&c->s->pat[i].re, s, 0, NULL, 0)) {
                char t[64];
                short_text(v, t, sizeof t);
                fail(c, ptr, "%s does not match %s", t,
                     json_string_value(json_object_get(sch, "pattern")));
            }
            break;
        }
    }
}

static void
escape_key(const char *k, char *out, size_t n)
{
    size_t j = 0;
    for (; *k && j + 3 < n; k++) {
        if (*k == '~') {
            out[j++] = '~';
            out[j++] = '0';
        } else if (*k == '/') {
            out[j++] = '~';
            out[j++] = '1';
        } else {
            out[j++] = *k;
        }
    }
    out[j] = 0;
}

static void
check_object(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    json_t *props = json_object_get(sch, "properties");
    json_t *addl = json_object_get(sch, "additionalProperties");
    json_t *names = json_object_get(sch, "propertyNames");
    json_t *req = json_object_get(sch, "required");
    const char *k;
    json_t *e;
    size_t i;
    char sub[1024], ek[256];

    json_array_foreach(req, i, e) {
        if (json_is_string(e) && !json_object_get(v, json_string_value(e)))
            fail(c, ptr, "required property '%s' is missing",
                 json_string_value(e));
    }
    json_object_foreach((json_t *)v, k, e) {
        json_t *ps = props ? json_object_get(props, k) : NULL;
        escape_key(k, ek, sizeof ek);
        snprintf(sub, sizeof sub, "%s/%s", ptr, ek);
        if (names) {
            json_t *ks = json_string(k);
            if (ks && count_quiet(c, names, ks, sub))
                fail(c, sub, "property name '%s' is not allowed", k);
            json_decref(ks);
        }
        if (ps)
            check(c, ps, e, sub);
        else if (json_is_false(addl))
            fail(c, ptr, "property '%s' is not allowed", k);
        else if (json_is_object(addl))
            check(c, addl, e, sub);
    }
}

static void
check_array(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    size_t n = json_array_size(v), i;
    json_t *m, *e, *items = json_object_get(sch, "items");
    char sub[1024];
    if ((m = json_object_get(sch, "minItems")) &&
        (double)n < json_number_value(m))
        fail(c, ptr, "%zu items, fewer than %g", n, json_number_value(m));
    if ((m = json_object_get(sch, "maxItems")) &&
        (double)n > json_number_value(m))
        fail(c, ptr, "%zu items, more than %g", n, json_number_value(m));
    if (!items) return;
    json_array_foreach(v, i, e) {
        snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
        check(c, items, e, sub);
    }
}

static void
check(vctx *c, const json_t *sch, const json_t *v, const char *ptr)
{
    json_t *m, *e;
    size_t i;

    if (json_is_true(sch)) return;
    if (json_is_false(sch)) {
        fail(c, ptr, "no value is allowed here");
        return;
    }
    if ((m = json_object_get(sch, "$ref"))) {
        const json_t *d = json_object_get(
            json_object_get(c->s->root, "definitions"),
            json_string_value(m) + 14);
        check(c, d, v, ptr);
    }
    if ((m = json_object_get(sch, "type"))) {
        bool ok = false;
        if (json_is_string(m)) {
            ok = type_is(v, json_string_value(m));
        } else {
            json_array_foreach(m, i, e) ok = ok || type_is(v, json_string_value(e));
        }
        if (!ok) {
            char want[128] = "";
            if (json_is_string(m)) {
                snprintf(want, sizeof want, "%s", json_string_value(m));
            } else {
                json_array_foreach(m, i, e) {
                    size_t l = strlen(want);
                    snprintf(want + l, sizeof want - l, "%s%s", i ? " or " : "",
                             json_string_value(e));
                }
            }
            fail(c, ptr, "%s where %s is required", type_of(v), want);
            return; /* the rest would only repeat it */
        }
    }
    if ((m = json_object_get(sch, "enum"))) {
        bool ok = false;
        json_array_foreach(m, i, e) ok = ok || same(e, v);
        if (!ok) {
            char t[64];
            short_text(v, t, sizeof t);
            fail(c, ptr, "%s is not one of the allowed values", t);
        }
    }
    if ((m = json_object_get(sch, "const")) && !same(m, v)) {
        char t[64];
        short_text(v, t, sizeof t);
        fail(c, ptr, "%s is not the required constant", t);
    }
    if (json_is_number(v)) check_number(c, sch, v, ptr);
    if (json_is_string(v)) check_string(c, sch, v, ptr);
    if (json_is_object(v)) check_object(c, sch, v, ptr);
    if (json_is_array(v)) check_array(c, sch, v, ptr);
    if ((m = json_object_get(sch, "allOf"))) {
        json_array_foreach(m, i, e) check(c, e, v, ptr);
    }
    if ((m = json_object_get(sch, "anyOf"))) {
        bool ok = false;
        json_array_foreach(m, i, e) ok = ok || !count_quiet(c, e, v, ptr);
        if (!ok) fail(c, ptr, "matches none of anyOf");
    }
    if ((m = json_object_get(sch, "oneOf"))) {
        int n = 0;
        json_array_foreach(m, i, e) n += !count_quiet(c, e, v, ptr);
        if (n != 1) fail(c, ptr, "matches %d of oneOf, not exactly 1", n);
    }
    if ((m = json_object_get(sch, "not")) && !count_quiet(c, m, v, ptr))
        fail(c, ptr, "matches a schema under 'not'");
}

int
mg_jschema_validate(const mg_jschema *s, const json_t *doc,
                    void (*report)(const char *msg, void *arg), void *arg,
                    int max_reports)
{
    vctx c = {s, report, arg, max_reports, 0, false};
    check(&c, s->root, doc, "");
    return c.count;
}
