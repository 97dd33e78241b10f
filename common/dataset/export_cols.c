/*
 * export_cols — the columns of a tabular export: the column set of the
 * rows scanned (mg_xcols: names in first-seen order, a hash table, and a
 * row's fields mapped to columns) and --columns (mg_xcolsel: the
 * patterns a user named, the row's fields they keep in their order, and
 * the message for a name no column has, naming the columns like it).
 */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errmsg.h"
#include "export_priv.h"

/* ---- --columns: the patterns ---- */

int
mg_xcolsel_parse(mg_xcolsel *cs, const char *list, char *err, size_t errlen)
{
    cs->n = 0;
    for (const char *p = list;;) {
        size_t l = strcspn(p, ",");
        const char *w = p;
        size_t wl = l;
        while (wl && (*w == ' ' || *w == '\t')) w++, wl--;
        while (wl && (w[wl - 1] == ' ' || w[wl - 1] == '\t')) wl--;
        if (!wl)
            return mg_errf(err, errlen, "--columns: an empty name in '%s'",
                           list);
        if (cs->n == MG_XCOLSEL_MAX || wl >= sizeof cs->pat[0])
            return mg_errf(err, errlen, "--columns: at most %d names of "
                           "at most %zu characters", MG_XCOLSEL_MAX,
                           sizeof cs->pat[0] - 1);
        memcpy(cs->pat[cs->n], w, wl);
        cs->pat[cs->n][wl] = '\0';
        cs->glob[cs->n] = strpbrk(cs->pat[cs->n], "*?[") != NULL;
        cs->n++;
        if (!p[l]) break;
        p += l + 1;
    }
    return 0;
}

bool
mg_xcolsel_match(const mg_xcolsel *cs, int k, const char *name)
{
    return cs->glob[k] ? fnmatch(cs->pat[k], name, 0) == 0
                       : strcmp(cs->pat[k], name) == 0;
}

/* Keep the row's fields the patterns match, in the patterns' order. */
void
mg_xcolsel_apply(mg_xrow *r, const mg_xcolsel *cs)
{
    mg_xfield out[MG_XROW_MAX_FIELDS]; /* ~100 KB of a thread's stack */
    uint8_t taken[MG_XROW_MAX_FIELDS];
    size_t no = 0;
    memset(taken, 0, r->nf);
    for (int k = 0; k < cs->n; k++)
        for (size_t i = 0; i < r->nf; i++)
            if (!taken[i] && mg_xcolsel_match(cs, k, r->f[i].name)) {
                taken[i] = 1;
                out[no++] = r->f[i];
            }
    memcpy(r->f, out, no * sizeof *out);
    r->nf = no;
}

/* How much a column name is "like" pattern pat (for a pattern no column
 * matches), from the pattern's letters without * ? [ ], case aside: 1 the
 * name starts with them, 2 it starts with half of them or more (3 at
 * least), 3 its last dotted part starts with them, 4 they are in the
 * name, 5 its last part is in them; 0 not like it. */
static int
name_like(const char *name, const char *pat)
{
    char core[128];
    size_t n = 0;
    for (const char *p = pat; *p && n + 1 < sizeof core; p++)
        if (!strchr("*?[]", *p)) core[n++] = *p;
    core[n] = '\0';
    if (n < 2) return 0;
    const char *last = strrchr(name, '.');
    last = last ? last + 1 : name;
    if (!strncasecmp(name, core, n)) return 1;
    size_t pre = 0; /* a misspelt name: most of its start in common */
    while (pre < n && name[pre] &&
           (name[pre] | 32) == (core[pre] | 32))
        pre++;
    if (pre >= 3 && 2 * pre >= n) return 2;
    if (!strncasecmp(last, core, n)) return 3;
    if (strcasestr(name, core)) return 4;
    if (strlen(last) >= 3 && strcasestr(core, last)) return 5;
    return 0;
}

int
mg_xcolsel_unmatched(const mg_xcolsel *cs, int k, const mg_xcols *names,
                     char *err, size_t errlen)
{
    /* the six most like it: by kind of likeness, then shortest */
    char like[700] = "";
    size_t ll = 0;
    int nl = 0;
    for (int kind = 1; kind <= 5 && nl < 6; kind++)
        for (size_t len = 1; len < 128 && nl < 6; len++)
            for (size_t i = 0; i < names->n && nl < 6; i++) {
                const char *nm = names->names[i];
                if (strlen(nm) != len || name_like(nm, cs->pat[k]) != kind ||
                    ll + 1 >= sizeof like)
                    continue;
                ll += (size_t)snprintf(like + ll, sizeof like - ll, "%s%s",
                                       nl ? ", " : "", nm);
                nl++;
            }
    return mg_errf(err, errlen, "--columns: no column is named '%s'%s%s%s",
                   cs->pat[k], nl ? " (like it: " : "", like, nl ? ")" : "");
}

/* ---- columns ---- */

static uint64_t
name_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

long
mg_xcols_find(const mg_xcols *c, const char *name)
{
    if (!c->cap) return -1;
    size_t m = c->cap - 1;
    for (size_t i = name_hash(name) & m;; i = (i + 1) & m) {
        uint32_t v = c->slot[i];
        if (!v) return -1;
        if (!strcmp(c->names[v - 1], name)) return (long)v - 1;
    }
}

long
mg_xcols_add(mg_xcols *c, const char *name)
{
    if (c->cap && 2 * (c->n + 1) < c->cap) {
        long k = mg_xcols_find(c, name);
        if (k >= 0) return k;
    } else {
        long k = c->cap ? mg_xcols_find(c, name) : -1;
        if (k >= 0) return k;
        /* Grow and rehash. */
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *slot = calloc(cap, sizeof *slot);
        if (!slot) return -1;
        for (size_t i = 0; i < c->n; i++) {
            size_t h = name_hash(c->names[i]) & (cap - 1);
            while (slot[h]) h = (h + 1) & (cap - 1);
            slot[h] = (uint32_t)i + 1;
        }
        free(c->slot);
        c->slot = slot;
        c->cap = cap;
    }
    char **names = realloc(c->names, (c->n + 1) * sizeof *names);
    if (!names) return -1;
    c->names = names;
    if (!(c->names[c->n] = strdup(name))) return -1;
    size_t m = c->cap - 1, h = name_hash(name) & m;
    while (c->slot[h]) h = (h + 1) & m;
    c->slot[h] = (uint32_t)++c->n;
    return (long)c->n - 1;
}

long
mg_xcols_map(mg_xcols *c, const mg_xrow *r, long *slot)
{
    if (!c->last && !(c->last = calloc(MG_XROW_MAX_FIELDS, sizeof *c->last)))
        return -1;
    for (size_t k = 0; k < c->n; k++) slot[k] = -1;
    long dropped = 0, k = -1;
    for (size_t i = 0; i < r->nf; i++) {
        /* The column of this position in the last row, or the one after
         * the previous field's (where a row has fields another lacks),
         * when the name is the same (one compare); else the hash table's. */
        const char *name = r->f[i].name;
        uint32_t g = c->last[i];
        if (g && !strcmp(c->names[g - 1], name))
            k = (long)g - 1;
        else if (k >= 0 && (size_t)k + 1 < c->n &&
                 !strcmp(c->names[k + 1], name))
            k++;
        else
            k = mg_xcols_find(c, name);
        c->last[i] = (uint32_t)(k + 1);
        if (k < 0) dropped++;
        else slot[k] = (long)i;
    }
    return dropped;
}

void
mg_xcols_free(mg_xcols *c)
{
    for (size_t i = 0; c->names && i < c->n; i++) free(c->names[i]);
    free(c->names);
    free(c->slot);
    free(c->last);
    memset(c, 0, sizeof *c);
}
