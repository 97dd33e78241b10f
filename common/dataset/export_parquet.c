/*
 * export_parquet — the Parquet export: infer a typed schema from the
 * first exported sample, then shred every row into it (parquet.h writes
 * the file).
 *
 * Inference (generic, so new sample.json fields flow through): integers
 * are INT64 (UINT64 for a field named *seed or a value past INT64_MAX,
 * unless a value is negative: then INT64, and DOUBLE for a column holding
 * both a negative value and one past INT64_MAX, which no integer type
 * holds),
 * other numbers DOUBLE, strings STRING, booleans BOOLEAN; a list is a
 * LIST of its elements' merged type (ints and reals merge to DOUBLE), so
 * beat_times is list<double>; a list of objects with the same keys is a
 * list<struct> (chords, song_arrangement, with their nested lists); a mix
 * the types cannot express (objects with differing keys, lists mixing
 * strings and numbers) becomes a JSON-text leaf. A value seen as null or
 * an empty list in the first sample gives a "weak" STRING that takes any
 * later value (non-strings as JSON text).
 *
 * A later value of another type than its column is written as null and
 * counted (mg_export_stats.bad_values); a field the first sample lacked is
 * counted in dropped_fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "engine.h"
#include "errmsg.h"
#include "export_priv.h"
#include "parquet.h"

typedef struct {
    mg_xwriter w;
    mg_pq *pq;
    mg_pq_node **fields;
    size_t nfields;
    mg_xcols cols;
    long *slot;
    char *dec;
    size_t dec_cap;
    mg_gbuf js;
    double *num;   /* a list's numbers (num_cap of them) */
    size_t num_cap;
    mg_jdoc sub;   /* a leaf list tokenized (mg_jdoc_expand) */
} pqw;

/* ---- schema nodes ---- */

static mg_pq_node *
node_new(const char *name, mg_pq_kind kind, mg_pq_type type)
{
    mg_pq_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->name = strdup(name);
    n->kind = kind;
    n->type = type;
    if (!n->name) {
        free(n);
        return NULL;
    }
    return n;
}

static void
node_free(mg_pq_node *n)
{
    if (!n) return;
    for (size_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    free(n->kids);
    free(n->name);
    free(n);
}

static int
node_add(mg_pq_node *n, mg_pq_node *kid)
{
    if (!kid) return -1;
    mg_pq_node **k = realloc(n->kids, (n->nkids + 1) * sizeof *k);
    if (!k) {
        node_free(kid);
        return -1;
    }
    n->kids = k;
    n->kids[n->nkids++] = kid;
    return 0;
}

/* A JSON-text leaf in place of n (keeps n's name). */
static mg_pq_node *
to_json(mg_pq_node *n)
{
    for (size_t i = 0; i < n->nkids; i++) node_free(n->kids[i]);
    free(n->kids);
    n->kids = NULL;
    n->nkids = 0;
    n->kind = MG_PQ_LEAF;
    n->type = MG_PQ_JSON;
    n->weak = false;
    return n;
}

static bool
seed_name(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && !strcmp(name + n - 4, "seed");
}

static bool
xint(mg_pq_type t)
{
    return t == MG_PQ_INT64 || t == MG_PQ_UINT64;
}

/* The type of integer leaves a and b (types x and y) merged, their flags
 * joined into a: UINT64 cannot hold a negative value (a global_seed of -5
 * came out null in a column of the *seed rule's UINT64), nor INT64 one
 * past INT64_MAX, so a column with both is DOUBLE; otherwise UINT64 where
 * either is (a value past INT64_MAX, or the *seed name), else INT64. */
static mg_pq_type
int_type(mg_pq_node *a, const mg_pq_node *b, mg_pq_type x, mg_pq_type y)
{
    a->neg = a->neg || b->neg;
    a->big = a->big || b->big;
    if (a->neg && a->big) return MG_PQ_DOUBLE;
    if (a->neg) return MG_PQ_INT64;
    return x == MG_PQ_UINT64 || y == MG_PQ_UINT64 ? MG_PQ_UINT64
                                                   : MG_PQ_INT64;
}

/* The merged type of a and b (both consumed). */
static mg_pq_node *
merge(mg_pq_node *a, mg_pq_node *b)
{
    if (!a) return b;
    if (!b) return a;
    if (b->weak) {
        node_free(b);
        return a;
    }
    if (a->weak) {
        node_free(a);
        return b;
    }
    if (a->kind != b->kind) {
        node_free(b);
        return to_json(a);
    }
    if (a->kind == MG_PQ_LEAF) {
        mg_pq_type x = a->type, y = b->type;
        if (x == y && !(xint(x) && (a->neg != b->neg || a->big != b->big))) {
            node_free(b);
            return a;
        }
        bool xi = xint(x), yi = xint(y);
        if ((xi || x == MG_PQ_DOUBLE) && (yi || y == MG_PQ_DOUBLE)) {
            a->type = xi && yi ? int_type(a, b, x, y) : MG_PQ_DOUBLE;
            node_free(b);
            return a;
        }
        node_free(b);
        return to_json(a);
    }
    if (a->kind == MG_PQ_LIST) {
        a->kids[0] = merge(a->kids[0], b->kids[0]);
        b->nkids = 0;
        node_free(b);
        return a->kids[0] ? a : NULL;
    }
    /* Structs: the same keys in the same order, or JSON text. */
    bool same = a->nkids == b->nkids;
    for (size_t i = 0; same && i < a->nkids; i++)
        same = !strcmp(a->kids[i]->name, b->kids[i]->name);
    if (!same) {
        node_free(b);
        return to_json(a);
    }
    for (size_t i = 0; i < a->nkids; i++) {
        a->kids[i] = merge(a->kids[i], b->kids[i]);
        b->kids[i] = NULL;
    }
    b->nkids = 0;
    node_free(b);
    for (size_t i = 0; i < a->nkids; i++)
        if (!a->kids[i]) return NULL;
    return a;
}

static mg_pq_node *
weak_string(const char *name)
{
    mg_pq_node *n = node_new(name, MG_PQ_LEAF, MG_PQ_STRING);
    if (n) n->weak = true;
    return n;
}

/* The leaf type infer() gives a non-null scalar token named "element"
 * (not a *seed name), or -1 for null, a list or an object. */
static int
scalar_type(const mg_jdoc *d, uint32_t tok)
{
    const mg_jtok *t = &d->t[tok];
    switch ((mg_jtype)t->type) {
    case MG_JT_TRUE:
    case MG_JT_FALSE: return MG_PQ_BOOL;
    case MG_JT_STR: return MG_PQ_STRING;
    case MG_JT_NUM: {
        if (!t->isint) return MG_PQ_DOUBLE;
        int64_t i;
        return mg_jdoc_i64(d, tok, &i) ? MG_PQ_UINT64 : MG_PQ_INT64;
    }
    default: return -1;
    }
}

/* The merged element type of a non-empty list of non-null scalars, as
 * merge() folds leaves (equal types stay, integers and reals become
 * UINT64 or DOUBLE, anything else JSON); -1 when an element is not such
 * a scalar. */
static int
scalar_list_type(const mg_jdoc *d, uint32_t tok)
{
    const mg_jtok *t = &d->t[tok];
    if (!t->n) return -1;
    int acc = -1;
    uint32_t k = tok + 1;
    for (uint32_t m = 0; m < t->n; m++) {
        int y = scalar_type(d, k);
        if (y < 0) return -1;
        if (acc < 0 || acc == y) {
            acc = y;
        } else {
            bool xi = acc == MG_PQ_INT64 || acc == MG_PQ_UINT64;
            bool yi = y == MG_PQ_INT64 || y == MG_PQ_UINT64;
            if ((xi || acc == MG_PQ_DOUBLE) && (yi || y == MG_PQ_DOUBLE))
                acc = xi && yi ? MG_PQ_UINT64 : MG_PQ_DOUBLE;
            else
                acc = MG_PQ_JSON;
        }
        k = d->t[k].next;
    }
    return acc;
}

/* The element type scalar_list_type() gives a non-empty leaf list (one
 * token, MG_JDOC_SCALAR_ARRAYS), from the kinds the parse noted (and,
 * for integers, whether all fit int64), without tokenizing it; -1 when
 * the kinds do not say (nulls, mixed kinds: the caller tokenizes it). */
static int
leaf_list_type(const mg_jdoc *d, uint32_t tok, int64_t *scratch)
{
    const mg_jtok *t = &d->t[tok];
    switch (t->kinds) {
    case MG_JK_STR: return MG_PQ_STRING;
    case MG_JK_BOOL: return MG_PQ_BOOL;
    case MG_JK_REAL:
    case MG_JK_REAL | MG_JK_INT: return MG_PQ_DOUBLE;
    case MG_JK_INT: {
        int64_t *v = scratch ? scratch : malloc((size_t)t->n * sizeof *v);
        if (!v) return -1;
        int fits = mg_jdoc_leaf_i64(d, tok, v) == 0;
        if (!scratch) free(v);
        return fits ? MG_PQ_INT64 : MG_PQ_UINT64;
    }
    default: return -1;
    }
}

static mg_pq_node *
infer(const mg_jdoc *d, uint32_t tok, const char *name)
{
    const mg_jtok *t = &d->t[tok];
    switch ((mg_jtype)t->type) {
    case MG_JT_NULL: return weak_string(name);
    case MG_JT_TRUE:
    case MG_JT_FALSE: return node_new(name, MG_PQ_LEAF, MG_PQ_BOOL);
    case MG_JT_STR: return node_new(name, MG_PQ_LEAF, MG_PQ_STRING);
    case MG_JT_NUM: {
        if (!t->isint) return node_new(name, MG_PQ_LEAF, MG_PQ_DOUBLE);
        int64_t i;
        bool big = mg_jdoc_i64(d, tok, &i) != 0, neg = !big && i < 0;
        mg_pq_node *n = node_new(
            name, MG_PQ_LEAF,
            big || (seed_name(name) && !neg) ? MG_PQ_UINT64 : MG_PQ_INT64);
        if (n) {
            n->neg = neg;
            n->big = big;
        }
        return n;
    }
    case MG_JT_ARR: {
        if (t->leaf && t->n) {
            /* Rows are parsed with MG_JDOC_SCALAR_ARRAYS: a list of
             * scalars is one token; the kinds of its elements say its
             * type, or its elements, tokenized, do. */
            int st = leaf_list_type(d, tok, NULL);
            if (st >= 0) {
                mg_pq_node *n = node_new(name, MG_PQ_LIST, MG_PQ_JSON);
                if (n && node_add(n, node_new("element", MG_PQ_LEAF,
                                              (mg_pq_type)st))) {
                    node_free(n);
                    n = NULL;
                }
                return n;
            }
            mg_jdoc sub = {0};
            mg_pq_node *n = mg_jdoc_expand(d, tok, &sub) ? NULL
                                                         : infer(&sub, 0, name);
            mg_jdoc_free(&sub);
            return n;
        }
        mg_pq_node *n = node_new(name, MG_PQ_LIST, MG_PQ_JSON), *el = NULL;
        if (!n) return NULL;
        if (t->n == 0) {
            /* A list of something: strings until a value says more. */
            n->weak = true;
            if (node_add(n, weak_string("element"))) {
                node_free(n);
                return NULL;
            }
            return n;
        }
        uint32_t k = tok + 1;
        /* A list of scalars (beat_times, note onsets: most values of a
         * sample.json): their merged type without a node per element,
         * the same left fold as merge() of leaves. */
        int st = scalar_list_type(d, tok);
        if (st >= 0) {
            el = node_new("element", MG_PQ_LEAF, (mg_pq_type)st);
            if (!el || node_add(n, el)) {
                node_free(n);
                return NULL;
            }
            if (st == MG_PQ_JSON) return to_json(n);
            return n;
        }
        for (uint32_t m = 0; m < t->n; m++) {
            mg_pq_node *e = infer(d, k, "element");
            if (!e) {
                node_free(el);
                node_free(n);
                return NULL;
            }
            el = merge(el, e);
            k = d->t[k].next;
        }
        if (!el || node_add(n, el)) {
            node_free(n);
            return NULL;
        }
        /* A list of JSON text says less than the list as JSON text. */
        if (el->kind == MG_PQ_LEAF && el->type == MG_PQ_JSON) return to_json(n);
        return n;
    }
    case MG_JT_OBJ: {
        if (t->n == 0) return weak_string(name);
        mg_pq_node *n = node_new(name, MG_PQ_STRUCT, MG_PQ_JSON);
        if (!n) return NULL;
        uint32_t k = tok + 1;
        char key[256];
        for (uint32_t m = 0; m < t->n; m++) {
            if (mg_jdoc_str(d, k, key, sizeof key) == (size_t)-1 ||
                node_add(n, infer(d, k + 1, key))) {
                node_free(n);
                return NULL;
            }
            k = d->t[k + 1].next;
        }
        return n;
    }
    }
    return NULL;
}

/* Whether leaf type x, merged with a value's type y, stays x (merge()). */
static bool
leaf_covers(mg_pq_type x, int y)
{
    return (int)x == y || x == MG_PQ_JSON ||
           (x == MG_PQ_UINT64 && y == MG_PQ_INT64) ||
           (x == MG_PQ_DOUBLE && (y == MG_PQ_INT64 || y == MG_PQ_UINT64));
}

static bool reserve_num(pqw *q, size_t n);

/* Whether merge(n, infer(d, tok, n->name)) would leave schema node n as
 * it is (the scan's usual case once the first rows have set the types):
 * then the row's value needs no type tree of its own. Conservative: false
 * sends the value the general way (infer, merge), which is always right.
 * Types merge as a join (weak below everything, INT64 < UINT64 < DOUBLE,
 * JSON on top), so a list whose every element n's element type covers is
 * covered, unless that element type is JSON (infer turns a list of JSON
 * into JSON: not covered by a LIST). */
static bool
covers(pqw *q, const mg_pq_node *n, const mg_jdoc *d, uint32_t tok)
{
    const mg_jtok *t = &d->t[tok];
    switch ((mg_jtype)t->type) {
    case MG_JT_NULL: return true; /* weak: merge keeps n */
    case MG_JT_TRUE:
    case MG_JT_FALSE:
    case MG_JT_STR:
    case MG_JT_NUM: {
        if (n->weak || n->kind != MG_PQ_LEAF) return false;
        if (n->type == MG_PQ_JSON) return true;
        int y = scalar_type(d, tok);
        if (y == MG_PQ_INT64) {
            int64_t v = 0;
            mg_jdoc_i64(d, tok, &v);
            /* a negative value or one past INT64_MAX where the column
             * has held none: merge() says what the column becomes */
            if (v < 0 && !n->neg && n->type != MG_PQ_DOUBLE) return false;
            if (v >= 0 && seed_name(n->name)) y = MG_PQ_UINT64;
        } else if (y == MG_PQ_UINT64 && !n->big && xint(n->type)) {
            return false;
        }
        return leaf_covers(n->type, y);
    }
    case MG_JT_ARR: {
        if (!t->n) return true; /* weak */
        if (n->weak) return false;
        if (n->kind == MG_PQ_LEAF) return n->type == MG_PQ_JSON;
        if (n->kind != MG_PQ_LIST) return false;
        const mg_pq_node *el = n->kids[0];
        if (el->weak || (el->kind == MG_PQ_LEAF && el->type == MG_PQ_JSON))
            return false;
        if (t->leaf) {
            if (el->kind != MG_PQ_LEAF ||
                ((t->kinds == MG_JK_INT) && !reserve_num(q, t->n)))
                return false;
            int y = leaf_list_type(d, tok, (int64_t *)(void *)q->num);
            return y >= 0 && leaf_covers(el->type, y);
        }
        uint32_t k = tok + 1;
        for (uint32_t m = 0; m < t->n; m++) {
            if (!covers(q, el, d, k)) return false;
            k = d->t[k].next;
        }
        return true;
    }
    case MG_JT_OBJ: {
        if (!t->n) return true; /* weak */
        if (n->weak) return false;
        if (n->kind == MG_PQ_LEAF) return n->type == MG_PQ_JSON;
        if (n->kind != MG_PQ_STRUCT || n->nkids != t->n) return false;
        uint32_t k = tok + 1;
        for (size_t i = 0; i < n->nkids; i++) {
            if (!mg_jdoc_streq(d, k, n->kids[i]->name) ||
                !covers(q, n->kids[i], d, k + 1))
                return false;
            k = d->t[k + 1].next;
        }
        return true;
    }
    }
    return false;
}

/* ---- shredding ---- */

static void
nulls(pqw *q, const mg_pq_node *n, int rep, int def)
{
    if (n->kind == MG_PQ_LEAF) {
        mg_pq_level(q->pq, n->col, rep, def);
        return;
    }
    for (size_t i = 0; i < n->nkids; i++) nulls(q, n->kids[i], rep, def);
}

static const char *
decoded(pqw *q, const mg_jdoc *d, uint32_t tok, size_t *len)
{
    const mg_jtok *t = &d->t[tok];
    if (!t->esc) {
        *len = t->len;
        return d->s + t->start;
    }
    if (t->len + 1u > q->dec_cap) {
        size_t cap = (t->len + 1u) * 2;
        char *p = realloc(q->dec, cap);
        if (!p) return NULL;
        q->dec = p;
        q->dec_cap = cap;
    }
    *len = mg_jdoc_str(d, tok, q->dec, q->dec_cap);
    return q->dec;
}

/* One leaf value; false when the token does not fit the leaf's type. */
static bool
leaf(pqw *q, const mg_pq_node *n, const mg_jdoc *d, uint32_t tok, int rep)
{
    const mg_jtok *t = &d->t[tok];
    switch (n->type) {
    case MG_PQ_INT64: {
        int64_t v;
        if (mg_jdoc_i64(d, tok, &v)) return false;
        mg_pq_int(q->pq, n->col, rep, v);
        return true;
    }
    case MG_PQ_UINT64: {
        uint64_t v;
        if (mg_jdoc_u64(d, tok, &v)) return false;
        mg_pq_int(q->pq, n->col, rep, (int64_t)v);
        return true;
    }
    case MG_PQ_DOUBLE: {
        double v;
        if (mg_jdoc_double(d, tok, &v)) return false;
        mg_pq_double(q->pq, n->col, rep, v);
        return true;
    }
    case MG_PQ_BOOL:
        if (t->type != MG_JT_TRUE && t->type != MG_JT_FALSE) return false;
        mg_pq_bool(q->pq, n->col, rep, t->type == MG_JT_TRUE);
        return true;
    case MG_PQ_STRING:
        if (t->type == MG_JT_STR) {
            size_t len;
            const char *s = decoded(q, d, tok, &len);
            if (!s) return false;
            mg_pq_str(q->pq, n->col, rep, s, len);
            return true;
        }
        if (!n->weak) return false;
        /* a weak string holds other values as JSON text */
        __attribute__((fallthrough));
    case MG_PQ_JSON:
        q->js.len = 0;
        mg_xbuf_json(&q->js, d, tok);
        if (q->js.oom) return false;
        mg_pq_str(q->pq, n->col, rep, q->js.p, q->js.len);
        return true;
    }
    return false;
}

/* Room for n numbers in q->num (doubles or int64s). */
static bool
reserve_num(pqw *q, size_t n)
{
    if (n <= q->num_cap) return true;
    size_t cap = q->num_cap ? q->num_cap : 1024;
    while (cap < n) cap *= 2;
    double *v = realloc(q->num, cap * sizeof *v);
    if (!v) return false;
    q->num = v;
    q->num_cap = cap;
    return true;
}

static void
shred(pqw *q, const mg_pq_node *n, const mg_jdoc *d, long tok, int pdef,
      int rep)
{
    if (tok < 0 || d->t[tok].type == MG_JT_NULL) {
        nulls(q, n, rep, pdef);
        return;
    }
    const mg_jtok *t = &d->t[tok];
    switch (n->kind) {
    case MG_PQ_LEAF:
        if (!leaf(q, n, d, (uint32_t)tok, rep)) {
            q->w.st->bad_values++;
            nulls(q, n, rep, pdef);
        }
        return;
    case MG_PQ_STRUCT:
        if (t->type != MG_JT_OBJ) {
            q->w.st->bad_values++;
            nulls(q, n, rep, pdef);
            return;
        }
        {
            /* Keys are usually in the schema's order: try the next
             * member first, search only when it differs. */
            uint32_t k = (uint32_t)tok + 1, m = 0;
            for (size_t i = 0; i < n->nkids; i++) {
                long v = -1;
                const mg_pq_node *kid = n->kids[i];
                const mg_jtok *kt = m < t->n ? &d->t[k] : NULL;
                if (kt && (kt->esc ? mg_jdoc_streq(d, k, kid->name)
                                   : kt->len == kid->namelen &&
                                         mg_bytes_eq(d->s + kt->start, kid->name,
                                                    kid->namelen))) {
                    v = (long)k + 1;
                    k = d->t[k + 1].next;
                    m++;
                } else {
                    v = mg_jdoc_get(d, (uint32_t)tok, n->kids[i]->name);
                }
                shred(q, n->kids[i], d, v, n->def, rep);
            }
        }
        return;
    case MG_PQ_LIST: {
        if (t->type != MG_JT_ARR) {
            q->w.st->bad_values++;
            nulls(q, n, rep, pdef);
            return;
        }
        if (t->n == 0) {
            nulls(q, n->kids[0], rep, n->def);
            return;
        }
        const mg_pq_node *el = n->kids[0];
        if (t->leaf) {
            /* A list of scalars as one token (MG_JDOC_SCALAR_ARRAYS): a
             * list of numbers (beat times, every note of a layer: most
             * values of a sample) goes from its text to the column in one
             * step; anything else (strings, a value of another type) is
             * tokenized and shredded the general way. */
            bool dbl = el->kind == MG_PQ_LEAF && el->type == MG_PQ_DOUBLE;
            bool i64 = el->kind == MG_PQ_LEAF && el->type == MG_PQ_INT64;
            if ((dbl || i64) && reserve_num(q, t->n)) {
                if (dbl && !mg_jdoc_leaf_doubles(d, (uint32_t)tok, q->num)) {
                    mg_pq_doubles(q->pq, el->col, rep, n->rep, q->num, t->n);
                    return;
                }
                int64_t *iv = (int64_t *)(void *)q->num;
                if (i64 && !mg_jdoc_leaf_i64(d, (uint32_t)tok, iv)) {
                    mg_pq_ints(q->pq, el->col, rep, n->rep, iv, t->n);
                    return;
                }
            }
            if (el->kind == MG_PQ_LEAF && el->type == MG_PQ_STRING &&
                t->kinds == MG_JK_STR &&
                !memchr(d->c + t->cstart, '\\', t->clen)) {
                /* Strings without escapes (layer names, chord labels):
                 * their compact text is ["a","b"], split at its quotes,
                 * each element's bytes its value. */
                const char *s = d->c + t->cstart + 1,
                           *e = d->c + t->cstart + t->clen;
                for (uint32_t m = 0; m < t->n; m++) {
                    const char *a = s + 1, *b = memchr(a, '"', (size_t)(e - a));
                    if (!b) break; /* cannot happen: the parse validated it */
                    mg_pq_str(q->pq, el->col, m ? n->rep : rep, a,
                              (size_t)(b - a));
                    s = b + 2; /* past the quote and the comma */
                }
                return;
            }
            if (mg_jdoc_expand(d, (uint32_t)tok, &q->sub)) {
                q->w.st->bad_values++;
                nulls(q, n, rep, pdef);
                return;
            }
            shred(q, n, &q->sub, 0, pdef, rep); /* no leaf token in sub */
            return;
        }
        uint32_t k = (uint32_t)tok + 1;
        if (el->kind == MG_PQ_LEAF &&
            (el->type == MG_PQ_DOUBLE || el->type == MG_PQ_INT64)) {
            /* A list of numbers (beat times, every note of a layer: most
             * values of a sample): straight to the column; anything else
             * in it (a null, a value of another type) the general way. */
            bool dbl = el->type == MG_PQ_DOUBLE;
            for (uint32_t m = 0; m < t->n; m++) {
                int r = m ? n->rep : rep;
                double v;
                int64_t iv;
                if (d->t[k].type == MG_JT_NUM &&
                    (dbl ? !mg_jdoc_double(d, k, &v) : !mg_jdoc_i64(d, k, &iv))) {
                    if (dbl) mg_pq_double(q->pq, el->col, r, v);
                    else mg_pq_int(q->pq, el->col, r, iv);
                } else {
                    shred(q, el, d, k, n->def + 1, r);
                }
                k = d->t[k].next;
            }
            return;
        }
        for (uint32_t m = 0; m < t->n; m++) {
            shred(q, el, d, k, n->def + 1, m ? n->rep : rep);
            k = d->t[k].next;
        }
        return;
    }
    }
}

/* ---- the writer ---- */

/* Merge the types of one scanned row into the schema. */
static int
pq_scan(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    pqw *q = (pqw *)w;
    for (size_t i = 0; i < r->nf; i++) {
        const mg_xfield *f = &r->f[i];
        long c = mg_xcols_add(&q->cols, f->name);
        if (c < 0) return mg_errf(err, errlen, "out of memory");
        if ((size_t)c == q->nfields) {
            mg_pq_node **fl = realloc(q->fields,
                                      (q->nfields + 1) * sizeof *fl);
            if (!fl) return mg_errf(err, errlen, "out of memory");
            q->fields = fl;
            q->fields[q->nfields++] = NULL;
        }
        const mg_pq_node *had = q->fields[c];
        if (had && (f->kind == MG_XF_TOK ? covers(q, had, r->doc, f->tok)
                    : f->kind == MG_XF_STR
                        ? !had->weak && had->kind == MG_PQ_LEAF &&
                              leaf_covers(had->type, MG_PQ_STRING)
                        : true))
            continue; /* the types this row's value would merge in */
        mg_pq_node *n = f->kind == MG_XF_TOK ? infer(r->doc, f->tok, f->name)
                        : f->kind == MG_XF_STR
                            ? node_new(f->name, MG_PQ_LEAF, MG_PQ_STRING)
                            : weak_string(f->name);
        if (!n || !(q->fields[c] = merge(q->fields[c], n)))
            return mg_errf(err, errlen, "out of memory");
    }
    return 0;
}

static int
start(pqw *q, const mg_xrow *r, char *err, size_t errlen)
{
    if (!q->nfields && pq_scan(&q->w, r, err, errlen)) return -1;
    if (!(q->slot = malloc((q->cols.n + 1) * sizeof *q->slot)))
        return mg_errf(err, errlen, "out of memory");
    char who[64];
    snprintf(who, sizeof who, "musicgen %s", MG_ENGINE_VERSION);
    int codec = q->w.o->codec == MG_CODEC_ZSTD     ? 6
                : q->w.o->codec == MG_CODEC_SNAPPY ? 1
                                                   : 0;
    q->pq = mg_pq_open(q->w.path, q->fields, q->nfields, codec,
                       q->w.o->row_group, who, err, errlen);
    /* With threads, pages are compressed and written behind the rows (the
     * same bytes; without a thread, inline). */
    if (q->pq && mg_export_jobs(q->w.o) > 1) mg_pq_thread(q->pq);
    return q->pq ? 0 : -1;
}

static int
pq_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    pqw *q = (pqw *)w;
    if (!q->pq && start(q, r, err, errlen)) return -1;
    long dropped = mg_xcols_map(&q->cols, r, q->slot);
    if (dropped < 0) return mg_errf(err, errlen, "out of memory");
    w->st->dropped_fields += (uint64_t)dropped;
    for (size_t c = 0; c < q->nfields; c++) {
        const mg_pq_node *n = q->fields[c];
        const mg_xfield *f = q->slot[c] >= 0 ? &r->f[q->slot[c]] : NULL;
        if (!f || f->kind == MG_XF_NULL) {
            nulls(q, n, 0, 0);
        } else if (f->kind == MG_XF_TOK) {
            shred(q, n, r->doc, (long)f->tok, 0, 0);
        } else if (n->kind == MG_PQ_LEAF &&
                   (n->type == MG_PQ_STRING || n->type == MG_PQ_JSON)) {
            mg_pq_str(q->pq, n->col, 0, f->str, strlen(f->str));
        } else {
            w->st->bad_values++;
            nulls(q, n, 0, 0);
        }
    }
    w->st->rows++;
    return mg_pq_end_row(q->pq, err, errlen);
}

static int
pq_finish(mg_xwriter *w, char *err, size_t errlen)
{
    pqw *q = (pqw *)w;
    if (!q->pq) {
        /* No row: the scanned schema, or (an empty dataset) one string
         * column `path`; readers refuse a file without columns. */
        if (!q->nfields) {
            mg_xrow *r = calloc(1, sizeof *r);
            if (!r) return mg_errf(err, errlen, "out of memory");
            r->f[0] = (mg_xfield){.name = "path", .kind = MG_XF_NULL};
            r->nf = 1;
            int rc = pq_scan(w, r, err, errlen);
            free(r);
            if (rc) return -1;
        }
        if (!(q->slot = malloc((q->cols.n + 1) * sizeof *q->slot)))
            return mg_errf(err, errlen, "out of memory");
        char who[64];
        snprintf(who, sizeof who, "musicgen %s", MG_ENGINE_VERSION);
        q->pq = mg_pq_open(w->path, q->fields, q->nfields, 0, 1, who, err,
                           errlen);
        if (!q->pq) return -1;
    }
    return mg_pq_close(&q->pq, err, errlen);
}

static void
pq_destroy(mg_xwriter *w)
{
    pqw *q = (pqw *)w;
    mg_pq_abort(&q->pq);
    for (size_t i = 0; i < q->nfields; i++) node_free(q->fields[i]);
    free(q->fields);
    free(q->slot);
    mg_xcols_free(&q->cols);
    free(q->dec);
    mg_gbuf_free(&q->js);
    free(q->num);
    mg_jdoc_free(&q->sub);
    free(q);
}

mg_xwriter *
mg_export_parquet_new(const mg_export_opts *o, mg_export_stats *st,
                      const char *path, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    pqw *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->w = (mg_xwriter){pq_scan, pq_row, pq_finish, pq_destroy, o, st, path,
                        MG_JDOC_SCALAR_ARRAYS};
    return &q->w;
}
