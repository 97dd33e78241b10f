/*
 * genre_markov — the chord and melody Markov tables: chords.json /
 * melody.json (ours) or chord_transitions.json / melody_transitions.json
 * (the Python tool's), first and second order, with init vectors.
 *
 * Invariants: states are indexed in bytewise-sorted order (never the
 * order of keys in the file); rows and init vectors are normalised to
 * sum 1; chord states are [b|#] roman numerals, melody states [b|#]1..7.
 */
#include "genre_priv.h"
#include "errmsg.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return genre_fail(c, "transitions", "more than %d states",
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
    qsort(names, (size_t)n, sizeof *names, genre_cmp_str);
    m->nstates = 0;
    for (int i = 0; i < n; i++) {
        char f[160];
        snprintf(f, sizeof f, "transitions: state '%s'", names[i]);
        if (strlen(names[i]) >= sizeof m->state[0] ||
            !valid_state(names[i], chords))
            return genre_fail(c, f, "not a %s",
                              chords ? "roman numeral (I ii bVII ...)"
                               : "scale degree (1..7, b3 ...)");
        if (m->nstates == MG_MAX_MSTATES)
            return genre_fail(c, "transitions", "more than %d states",
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
        return genre_fail(c, field, "must be an object of state -> "
                          "probability");
    for (int i = 0; i < MG_MAX_MSTATES; i++)
        row[i] = 0;
    json_object_foreach((json_t *)o, k, v) {
        int i = state_index(m, k);
        snprintf(f, sizeof f, "%s.%s", field, k);
        if (i < 0)
            return genre_fail(c, f, "unknown state");
        if (genre_get_num(c, v, f, 0, 1e6, &row[i]) != 0)
            return -1;
        s += row[i];
    }
    if (s <= 0)
        return genre_fail(c, field, "at least one probability must be > 0");
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
            if (genre_get_int(c, v, k, 1, 2, &order) != 0)
                return -1;
        } else if (strcmp(k, "init_probs") && strcmp(k, "transitions") &&
                   strcmp(k, "description")) {
            return genre_fail(c, k, "unknown field");
        }
    }
    if (!order)
        return genre_fail(c, "order", "missing (1 or 2)");
    if (!json_is_object(json_object_get(j, "init_probs")))
        return genre_fail(c, "init_probs", "must be an object of state -> "
                                     "probability");
    tr = json_object_get(j, "transitions");
    if (!json_is_object(tr))
        return genre_fail(c, "transitions", "must be an object of state -> "
                                      "{state: probability}");
    json_object_foreach(tr, k, v) {
        char f[160];
        snprintf(f, sizeof f, "transitions.%s", k);
        if (!json_is_object(v))
            return genre_fail(c, f, "must be an object of state -> "
                              "probability");
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
                return genre_fail(c, f, "a pair key needs \"order\": 2");
            if (a < 0 || b < 0)
                return genre_fail(c, f, "a pair key must be two known states "
                                  "\"a,b\"");
            if (get_row(c, v, f, m, m->t2[a][b]) != 0)
                return -1;
            m->has_t2[a][b] = true;
        }
    }
    /* a state with no first-order row would strand the chain */
    for (int a = 0; a < m->nstates; a++) {
        if (!genre_sum_positive(m->t1[a], m->nstates))
            return genre_fail(c, "transitions", "state '%s' has no row of its "
                                          "own", m->state[a]);
    }
    m->order = order;
    return 0;
}

int
genre_load_markov(ctx *c, const char *dir, bool chords, mg_markov *m)
{
    const char *names[2] = {chords ? "chords.json" : "melody.json",
                            chords ? "chord_transitions.json"
                                   : "melody_transitions.json"};
    for (int i = 0; i < 2; i++) {
        char path[4096];
        json_t *j;
        int rc;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!genre_file_exists(path))
            continue;
        if (genre_load_json(c, path, &j) != 0)
            return -1;
        rc = parse_markov(c, j, chords, m);
        json_decref(j);
        return rc;
    }
    m->order = 0;
    return 0;
}
