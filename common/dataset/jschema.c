/*
 * jschema — the JSON Schema subset validator (rules in jschema.h).
 *
 * The schema tree is jansson's, kept read-only after load; each "pattern"
 * is compiled once at load into a small table looked up by the schema
 * object that holds it. Paths in messages are JSON Pointers.
 */
#include "jschema.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "rfile.h"

typedef struct {
    const json_t *owner; /* the schema object with the "pattern" */
    regex_t re;
} pattern;

/* A schema object compiled: its keywords looked up once at load, so a
 * value costs no hash lookup of a keyword (a sample.json has thousands
 * of values). */
enum {
    T_OBJ = 1,
    T_ARR = 2,
    T_STR = 4,
    T_NUM = 8,
    T_INT = 16,
    T_BOOL = 32,
    T_NULL = 64
};
typedef struct snode snode;
struct snode {
    int boolean; /* 1: the schema true, -1: false, 0: an object */
    const snode *ref, *addl, *names, *items, *not_;
    const json_t *type, *enm, *cnst, *props, *req, *pattern;
    unsigned tmask; /* T_* of "type"; 0 without one */
    bool has_min, has_max, has_xmin, has_xmax, has_minlen, has_maxlen,
        has_minitems, has_maxitems;
    double min, max, xmin, xmax, minlen, maxlen, minitems, maxitems;
    const regex_t *re;
    const snode **all, **any, **one;
    size_t nall, nany, none;
};

struct mg_jschema {
    json_t *root;
    pattern *pat;
    int npat, cappat;
    /* json_t* of every schema object -> its node (open addressing) */
    const json_t **mkey;
    snode **mval;
    size_t mcap, mn;
    const snode *top;
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

static const char *const type_names[] = {"object", "array",   "string",
                                         "number", "integer", "boolean",
                                         "null"};

static bool
is_type_name(const json_t *v)
{
    for (size_t i = 0; json_is_string(v) && i < 7; i++)
        if (!strcmp(json_string_value(v), type_names[i])) return true;
    return false;
}

/* NULL when keyword k's value v has the form the keyword needs; else what
 * it needs. A value of another form would be skipped or misread ("minimum":
 * "5" read as 0, "required": "a" as no list), a rule lost without a word. */
static const char *
kw_form(const char *k, const json_t *v)
{
    size_t i;
    const json_t *e;
    if (!strcmp(k, "type")) {
        if (is_type_name(v)) return NULL;
        if (!json_is_array(v) || !json_array_size(v))
            return "a type name or a list of them";
        json_array_foreach(v, i, e) if (!is_type_name(e))
            return "a type name or a list of them";
        return NULL;
    }
    if (!strcmp(k, "required")) {
        if (!json_is_array(v)) return "a list of property names";
        json_array_foreach(v, i, e) if (!json_is_string(e))
            return "a list of property names";
        return NULL;
    }
    if (!strcmp(k, "enum"))
        return json_is_array(v) ? NULL : "a list of values";
    if (!strcmp(k, "properties") || !strcmp(k, "definitions"))
        return json_is_object(v) ? NULL : "an object of schemas";
    if (!strcmp(k, "allOf") || !strcmp(k, "anyOf") || !strcmp(k, "oneOf"))
        return json_is_array(v) && json_array_size(v)
                   ? NULL
                   : "a non-empty list of schemas";
    if (!strcmp(k, "minimum") || !strcmp(k, "maximum") ||
        !strcmp(k, "exclusiveMinimum") || !strcmp(k, "exclusiveMaximum"))
        return json_is_number(v) ? NULL : "a number";
    if (!strcmp(k, "minLength") || !strcmp(k, "maxLength") ||
        !strcmp(k, "minItems") || !strcmp(k, "maxItems"))
        return json_is_number(v) && json_number_value(v) >= 0 &&
                       json_number_value(v) == floor(json_number_value(v))
                   ? NULL
                   : "a whole number, 0 or more";
    return NULL;
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
        const char *form = kw_form(k, v);
        if (form)
            return mg_errf(err, errlen, "schema %s: '%s' must be %s", where,
                           k, form);
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

/* ---- the compiled schema ---- */

static size_t
ptr_hash(const void *p)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9E3779B97F4A7C15ull;
    return (size_t)(x ^ (x >> 29));
}

static snode *
node_find(const mg_jschema *s, const json_t *j)
{
    if (!s->mcap) return NULL;
    for (size_t i = ptr_hash(j) & (s->mcap - 1);; i = (i + 1) & (s->mcap - 1)) {
        if (!s->mkey[i]) return NULL;
        if (s->mkey[i] == j) return s->mval[i];
    }
}

static bool
node_put(mg_jschema *s, const json_t *j, snode *n)
{
    if (2 * (s->mn + 1) > s->mcap) {
        size_t cap = s->mcap ? 2 * s->mcap : 256;
        const json_t **k = calloc(cap, sizeof *k);
        snode **v = calloc(cap, sizeof *v);
        if (!k || !v) {
            free(k);
            free(v);
            return false;
        }
        for (size_t i = 0; i < s->mcap; i++) {
            if (!s->mkey[i]) continue;
            size_t h = ptr_hash(s->mkey[i]) & (cap - 1);
            while (k[h])
                h = (h + 1) & (cap - 1);
            k[h] = s->mkey[i];
            v[h] = s->mval[i];
        }
        free(s->mkey);
        free(s->mval);
        s->mkey = k;
        s->mval = v;
        s->mcap = cap;
    }
    size_t h = ptr_hash(j) & (s->mcap - 1);
    while (s->mkey[h])
        h = (h + 1) & (s->mcap - 1);
    s->mkey[h] = j;
    s->mval[h] = n;
    s->mn++;
    return true;
}

static const snode *compile(mg_jschema *s, const json_t *sch);

static bool
compile_list(mg_jschema *s, const json_t *arr, const snode ***out, size_t *n)
{
    *n = json_array_size(arr);
    if (!*n) return true;
    if (!(*out = calloc(*n, sizeof **out))) return false;
    for (size_t i = 0; i < *n; i++)
        if (!((*out)[i] = compile(s, json_array_get(arr, i)))) return false;
    return true;
}

static void
num_kw(const json_t *sch, const char *k, bool *has, double *v)
{
    const json_t *m = json_object_get(sch, k);
    *has = m != NULL;
    *v = m ? json_number_value(m) : 0;
}

/* The node of schema sch (made once: $ref targets are shared); NULL when
 * memory runs out. prepare() has checked every keyword. */
static const snode *
compile(mg_jschema *s, const json_t *sch)
{
    snode *n = node_find(s, sch);
    if (n) return n;
    if (!(n = calloc(1, sizeof *n)) || !node_put(s, sch, n)) {
        free(n);
        return NULL;
    }
    if (json_is_boolean(sch)) {
        n->boolean = json_is_true(sch) ? 1 : -1;
        return n;
    }
    const json_t *m;
    if ((m = json_object_get(sch, "$ref")) &&
        !(n->ref = compile(
              s, json_object_get(json_object_get(s->root, "definitions"),
                                 json_string_value(m) + 14))))
        return NULL;
    if ((n->type = json_object_get(sch, "type"))) {
        const char *const *names = type_names;
        size_t i;
        const json_t *e;
        for (int b = 0; b < 7; b++) {
            if (json_is_string(n->type) &&
                !strcmp(json_string_value(n->type), names[b]))
                n->tmask |= 1u << b;
            json_array_foreach(n->type, i,
                               e) if (json_is_string(e) &&
                                      !strcmp(json_string_value(e), names[b]))
                n->tmask |= 1u << b;
        }
    }
    n->enm = json_object_get(sch, "enum");
    n->cnst = json_object_get(sch, "const");
    n->props = json_object_get(sch, "properties");
    n->req = json_object_get(sch, "required");
    n->pattern = json_object_get(sch, "pattern");
    for (int i = 0; n->pattern && i < s->npat; i++)
        if (s->pat[i].owner == sch) n->re = &s->pat[i].re;
    num_kw(sch, "minimum", &n->has_min, &n->min);
    num_kw(sch, "maximum", &n->has_max, &n->max);
    num_kw(sch, "exclusiveMinimum", &n->has_xmin, &n->xmin);
    num_kw(sch, "exclusiveMaximum", &n->has_xmax, &n->xmax);
    num_kw(sch, "minLength", &n->has_minlen, &n->minlen);
    num_kw(sch, "maxLength", &n->has_maxlen, &n->maxlen);
    num_kw(sch, "minItems", &n->has_minitems, &n->minitems);
    num_kw(sch, "maxItems", &n->has_maxitems, &n->maxitems);
    const json_t *k;
    const char *pk;
    json_object_foreach((json_t *)n->props, pk,
                        k) if (!compile(s, k)) return NULL;
    if ((m = json_object_get(sch, "additionalProperties")) &&
        !(n->addl = compile(s, m)))
        return NULL;
    if ((m = json_object_get(sch, "propertyNames")) &&
        !(n->names = compile(s, m)))
        return NULL;
    if ((m = json_object_get(sch, "items")) && !(n->items = compile(s, m)))
        return NULL;
    if ((m = json_object_get(sch, "not")) && !(n->not_ = compile(s, m)))
        return NULL;
    if (!compile_list(s, json_object_get(sch, "allOf"), &n->all, &n->nall) ||
        !compile_list(s, json_object_get(sch, "anyOf"), &n->any, &n->nany) ||
        !compile_list(s, json_object_get(sch, "oneOf"), &n->one, &n->none))
        return NULL;
    return n;
}

mg_jschema *
mg_jschema_load(const char *path, char *err, size_t errlen)
{
    mg_jschema *s = calloc(1, sizeof *s);
    if (!s) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    /* mg_rfile_json: a missing or unreadable file named as such, not as
     * jansson's "PATH:-1: unable to open" */
    s->root = mg_rfile_json(path, JSON_DECODE_INT_AS_REAL, err, errlen);
    if (!s->root) {
        free(s);
        return NULL;
    }
    if (prepare(s, s->root, "#", err, errlen) ||
        !(s->top = compile(s, s->root))) {
        if (!err[0]) mg_errf(err, errlen, "out of memory");
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
    for (size_t i = 0; i < s->mcap; i++)
        if (s->mval[i]) {
            free(s->mval[i]->all);
            free(s->mval[i]->any);
            free(s->mval[i]->one);
            free(s->mval[i]);
        }
    free(s->mkey);
    free(s->mval);
    for (int i = 0; i < s->npat; i++)
        regfree(&s->pat[i].re);
    free(s->pat);
    json_decref(s->root);
    free(s);
    *sp = NULL;
}

/* Where a value is (its JSON Pointer), kept as a chain of steps on the
 * stack and written out only for a message: most values pass. */
typedef struct step {
    const struct step *up;
    const char *key; /* a member's name (decoded), or NULL */
    size_t klen;
    uint32_t idx; /* an element's index, when key is NULL */
} step;

typedef struct {
    const mg_jschema *s;
    const mg_jdoc *d;
    void (*report)(const char *, void *);
    void *arg;
    int max, count;
    bool quiet; /* inside anyOf/oneOf/not: count only */
} vctx;

/* The pointer of at into out ("" for the root). */
static void
render(const step *at, char *out, size_t n)
{
    const step *chain[256];
    int k = 0;
    for (; at && k < 256; at = at->up)
        chain[k++] = at;
    size_t j = 0;
    out[0] = 0;
    while (k-- > 0 && j + 2 < n) {
        const step *st = chain[k];
        out[j++] = '/';
        if (!st->key) {
            j += (size_t)snprintf(out + j, n - j, "%u", st->idx);
            if (j >= n) j = n - 1;
            continue;
        }
        for (size_t i = 0; i < st->klen && j + 3 < n; i++) {
            char ch = st->key[i];
            if (ch == '~' || ch == '/') {
                out[j++] = '~';
                out[j++] = ch == '~' ? '0' : '1';
            } else {
                out[j++] = ch;
            }
        }
        out[j] = 0;
    }
    out[j < n ? j : n - 1] = 0;
}

static void fail(vctx *c, const step *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(vctx *c, const step *at, const char *fmt, ...)
{
    c->count++;
    if (c->quiet || !c->report || c->count > c->max) return;
    char msg[512], ptr[512], line[1100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    render(at, ptr, sizeof ptr);
    snprintf(line, sizeof line, "%s: %s", *ptr ? ptr : "/", msg);
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    c->report(line, c->arg);
}

/* A number token's value (0 when out of double's range: the tokenizer
 * validated the text). */
static double
num(const vctx *c, uint32_t t)
{
    double x = 0;
    mg_jdoc_double(c->d, t, &x);
    return x;
}

static bool
is_integral(const vctx *c, uint32_t t)
{
    double x = num(c, t);
    return isfinite(x) && floor(x) == x;
}

static const char *
type_of(const vctx *c, uint32_t t)
{
    switch ((mg_jtype)c->d->t[t].type) {
    case MG_JT_OBJ:
        return "object";
    case MG_JT_ARR:
        return "array";
    case MG_JT_STR:
        return "string";
    case MG_JT_NUM:
        return is_integral(c, t) ? "integer" : "number";
    case MG_JT_TRUE:
    case MG_JT_FALSE:
        return "boolean";
    default: return "null";
    }
}

/* String token t decoded: into buf when it fits (n bytes), else a malloc'd
 * copy (*heap set, the caller frees it); NULL when memory runs out. */
static char *
decoded(const vctx *c, uint32_t t, char *buf, size_t n, char **heap)
{
    const mg_jtok *k = &c->d->t[t];
    *heap = NULL;
    if (k->len + 1u > n) {
        n = k->len + 1u;
        if (!(buf = *heap = malloc(n))) return NULL;
    }
    mg_jdoc_str(c->d, t, buf, n);
    return buf;
}

/* Equality as JSON Schema means it (1 == 1.0) of a schema value and the
 * document's token t. */
static bool
same(const vctx *c, const json_t *a, uint32_t t)
{
    const mg_jtok *k = &c->d->t[t];
    switch (json_typeof(a)) {
    case JSON_INTEGER:
    case JSON_REAL:
        return k->type == MG_JT_NUM && json_number_value(a) == num(c, t);
    case JSON_TRUE:
        return k->type == MG_JT_TRUE;
    case JSON_FALSE:
        return k->type == MG_JT_FALSE;
    case JSON_NULL:
        return k->type == MG_JT_NULL;
    case JSON_STRING: {
        if (k->type != MG_JT_STR) return false;
        if (!k->esc)
            return k->len == json_string_length(a) &&
                   !memcmp(c->d->s + k->start, json_string_value(a), k->len);
        char buf[256], *heap;
        const char *v = decoded(c, t, buf, sizeof buf, &heap);
        bool eq = v && strlen(v) == json_string_length(a) &&
                  !memcmp(v, json_string_value(a), json_string_length(a));
        free(heap);
        return eq;
    }
    default: { /* a container: compared as jansson trees */
        json_t *b = mg_jdoc_to_json(c->d, t);
        bool eq = b && json_equal((json_t *)a, b);
        json_decref(b);
        return eq;
    }
    }
}

/* The value's compact JSON text, cut at 40 characters, for a message. */
static void
short_text(const vctx *c, uint32_t t, char *out, size_t n)
{
    const mg_jtok *k = &c->d->t[t];
    size_t cap = k->len + 3u;
    char *txt = malloc(cap);
    if (!txt) {
        snprintf(out, n, "?");
        return;
    }
    size_t l = mg_jdoc_compact(c->d, t, txt);
    if (l > 40)
        snprintf(out, n, "%.37s...", txt);
    else
        snprintf(out, n, "%.*s", (int)l, txt);
    free(txt);
}

static void check(vctx *c, const snode *n, uint32_t t, const step *at);

/* Violations of t against n without reporting them. */
static int
count_quiet(vctx *c, const snode *n, uint32_t t, const step *at)
{
    vctx q = *c;
    q.quiet = true;
    q.count = 0;
    check(&q, n, t, at);
    return q.count;
}

static void
check_number(vctx *c, const snode *n, uint32_t t, const step *at)
{
    if (!(n->has_min || n->has_max || n->has_xmin || n->has_xmax)) return;
    double x = num(c, t);
    if (n->has_min && x < n->min)
        fail(c, at, "%g is less than the minimum %g", x, n->min);
    if (n->has_max && x > n->max)
        fail(c, at, "%g is more than the maximum %g", x, n->max);
    if (n->has_xmin && x <= n->xmin)
        fail(c, at, "%g is not more than %g", x, n->xmin);
    if (n->has_xmax && x >= n->xmax)
        fail(c, at, "%g is not less than %g", x, n->xmax);
}

static void
check_string(vctx *c, const snode *n, uint32_t t, const step *at)
{
    if (!n->has_minlen && !n->has_maxlen && !n->re) return;
    char buf[512], *heap;
    const char *s = decoded(c, t, buf, sizeof buf, &heap);
    if (!s) {
        fail(c, at, "out of memory");
        return;
    }
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) len++; /* code points */
    if (n->has_minlen && (json_int_t)len < (json_int_t)n->minlen)
        fail(c, at, "string shorter than %g", n->minlen);
    if (n->has_maxlen && (json_int_t)len > (json_int_t)n->maxlen)
        fail(c, at, "string longer than %g", n->maxlen);
    if (n->re && regexec(n->re, s, 0, NULL, 0)) {
        char tx[64];
        short_text(c, t, tx, sizeof tx);
        fail(c, at, "%s does not match %s", tx, json_string_value(n->pattern));
    }
    free(heap);
}

/* Does object token o have a member named key? */
static bool
has_member(const vctx *c, uint32_t o, const char *key)
{
    return mg_jdoc_get(c->d, o, key) >= 0;
}

static void
check_object(vctx *c, const snode *n, uint32_t t, const step *at)
{
    const json_t *e;
    size_t i;

    json_array_foreach(n->req, i, e)
    {
        if (json_is_string(e) && !has_member(c, t, json_string_value(e)))
            fail(c, at, "required property '%s' is missing",
                 json_string_value(e));
    }
    const mg_jdoc *d = c->d;
    uint32_t k = t + 1;
    for (uint32_t m = 0; m < d->t[t].n; m++, k = d->t[k + 1].next) {
        const mg_jtok *kt = &d->t[k];
        char buf[256], *heap = NULL;
        const char *key =
            kt->esc ? decoded(c, k, buf, sizeof buf, &heap) : d->s + kt->start;
        if (!key) {
            fail(c, at, "out of memory");
            return;
        }
        size_t klen = kt->esc ? strlen(key) : kt->len;
        step sub = {at, key, klen, 0};
        const json_t *pj =
            n->props ? json_object_getn(n->props, key, klen) : NULL;
        const snode *ps = pj ? node_find(c->s, pj) : NULL;
        if (n->names && count_quiet(c, n->names, k, &sub))
            fail(c, &sub, "property name '%.*s' is not allowed", (int)klen,
                 key);
        if (ps)
            check(c, ps, k + 1, &sub);
        else if (n->addl && n->addl->boolean < 0)
            fail(c, at, "property '%.*s' is not allowed", (int)klen, key);
        else if (n->addl && n->addl->boolean == 0)
            check(c, n->addl, k + 1, &sub);
        free(heap);
    }
}

static void
check_array(vctx *c, const snode *n, uint32_t t, const step *at)
{
    uint32_t cnt = c->d->t[t].n;
    if (n->has_minitems && (double)cnt < n->minitems)
        fail(c, at, "%u items, fewer than %g", cnt, n->minitems);
    if (n->has_maxitems && (double)cnt > n->maxitems)
        fail(c, at, "%u items, more than %g", cnt, n->maxitems);
    if (!n->items) return;
    uint32_t k = t + 1;
    for (uint32_t i = 0; i < cnt; i++, k = c->d->t[k].next) {
        step sub = {at, NULL, 0, i};
        check(c, n->items, k, &sub);
    }
}

/* Is token t of a type in mask (T_*)? */
static bool
type_ok(const vctx *c, uint32_t t, unsigned mask)
{
    switch ((mg_jtype)c->d->t[t].type) {
    case MG_JT_OBJ:
        return mask & T_OBJ;
    case MG_JT_ARR:
        return mask & T_ARR;
    case MG_JT_STR:
        return mask & T_STR;
    case MG_JT_NUM:
        return (mask & T_NUM) || ((mask & T_INT) && is_integral(c, t));
    case MG_JT_TRUE:
    case MG_JT_FALSE:
        return mask & T_BOOL;
    default:
        return mask & T_NULL;
    }
}

static void
check(vctx *c, const snode *n, uint32_t t, const step *at)
{
    const json_t *e;
    size_t i;

    if (n->boolean > 0) return;
    if (n->boolean < 0) {
        fail(c, at, "no value is allowed here");
        return;
    }
    if (n->ref) check(c, n->ref, t, at);
    if (n->type && !type_ok(c, t, n->tmask)) {
        char want[128] = "";
        if (json_is_string(n->type)) {
            snprintf(want, sizeof want, "%s", json_string_value(n->type));
        } else {
            json_array_foreach(n->type, i, e)
            {
                size_t l = strlen(want);
                snprintf(want + l, sizeof want - l, "%s%s", i ? " or " : "",
                         json_string_value(e));
            }
        }
        fail(c, at, "%s where %s is required", type_of(c, t), want);
        return; /* the rest would only repeat it */
    }
    if (n->enm) {
        bool ok = false;
        json_array_foreach(n->enm, i, e) ok = ok || same(c, e, t);
        if (!ok) {
            char tx[64];
            short_text(c, t, tx, sizeof tx);
            fail(c, at, "%s is not one of the allowed values", tx);
        }
    }
    if (n->cnst && !same(c, n->cnst, t)) {
        char tx[64];
        short_text(c, t, tx, sizeof tx);
        fail(c, at, "%s is not the required constant", tx);
    }
    switch ((mg_jtype)c->d->t[t].type) {
    case MG_JT_NUM:
        check_number(c, n, t, at);
        break;
    case MG_JT_STR:
        check_string(c, n, t, at);
        break;
    case MG_JT_OBJ:
        check_object(c, n, t, at);
        break;
    case MG_JT_ARR:
        check_array(c, n, t, at);
        break;
    default:
        break;
    }
    for (i = 0; i < n->nall; i++)
        check(c, n->all[i], t, at);
    if (n->nany) {
        bool ok = false;
        for (i = 0; i < n->nany && !ok; i++)
            ok = !count_quiet(c, n->any[i], t, at);
        if (!ok) fail(c, at, "matches none of anyOf");
    }
    if (n->none) {
        int k = 0;
        for (i = 0; i < n->none; i++)
            k += !count_quiet(c, n->one[i], t, at);
        if (k != 1) fail(c, at, "matches %d of oneOf, not exactly 1", k);
    }
    if (n->not_ && !count_quiet(c, n->not_, t, at))
        fail(c, at, "matches a schema under 'not'");
}

int
mg_jschema_validate_doc(const mg_jschema *s, const mg_jdoc *d, uint32_t tok,
                        void (*report)(const char *msg, void *arg), void *arg,
                        int max_reports)
{
    vctx c = {s, d, report, arg, max_reports, 0, false};
    check(&c, s->top, tok, NULL);
    return c.count;
}

int
mg_jschema_validate(const mg_jschema *s, const json_t *doc,
                    void (*report)(const char *msg, void *arg), void *arg,
                    int max_reports)
{
    /* one validator: the tree as text, tokenized */
    char *text = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
    mg_jdoc d = {0};
    char err[200];
    int n;
    if (!text || mg_jdoc_parse(&d, text, strlen(text), err, sizeof err)) {
        n = 1; /* out of memory, or a tree jansson cannot write */
        if (report && max_reports > 0) report("/: cannot be validated", arg);
    } else {
        n = mg_jschema_validate_doc(s, &d, 0, report, arg, max_reports);
    }
    mg_jdoc_free(&d);
    free(text);
    return n;
}
