/*
 * genre_matrix — the chord-transition matrix a new genre may have
 * (chords.json: order 1, init_probs, transitions), from --chord-matrix or
 * asked state by state (genre_priv.h).
 *
 * Invariants: states are roman numerals I..VII in one case with an
 * optional b or #; every state a row names has a row of its own, so the
 * chain never reaches a state it cannot leave; row weights normalised.
 */
#include "genre_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A chord state: a roman numeral I..VII in one case, optional b/#. */
static int
valid_roman(const char *s)
{
    static const char *const r[] = {"i", "ii", "iii", "iv", "v", "vi", "vii"};
    if (*s == 'b' || *s == '#')
        s++;
    char low[8];
    size_t n = strlen(s);
    if (!n || n > 3)
        return -1;
    bool up = isupper((unsigned char)s[0]);
    for (size_t i = 0; i < n; i++) {
        if ((bool)isupper((unsigned char)s[i]) != up)
            return -1;
        low[i] = (char)tolower((unsigned char)s[i]);
    }
    low[n] = '\0';
    for (int i = 0; i < 7; i++)
        if (!strcmp(low, r[i]))
            return i;
    return -1;
}

/* Every state named in a row must have a row of its own. */
static int
matrix_closed(json_t *tr, char *why, size_t n)
{
    const char *k, *k2;
    json_t *row, *w;
    json_object_foreach(tr, k, row)
        json_object_foreach(row, k2, w)
            if (!json_object_get(tr, k2)) {
                snprintf(why, n, "'%s' follows '%s' but has no row of its "
                         "own", k2, k);
                return -1;
            }
    return 0;
}

json_t *
gw_matrix_from_flag(const char *in, char *why, size_t n)
{
    char buf[GW_ANSWER];
    if (strlen(in) >= sizeof buf) {     /* its last rows were dropped */
        snprintf(why, n, "longer than %zu characters", sizeof buf - 1);
        return NULL;
    }
    json_t *tr = json_object(), *init = json_object();
    snprintf(buf, sizeof buf, "%s", in);
    char *save = NULL;
    for (char *row = strtok_r(buf, ";", &save); row;
         row = strtok_r(NULL, ";", &save)) {
        char *gt = strchr(row, '>');
        if (!gt) {
            snprintf(why, n, "row '%s': want STATE>NEXT:W,NEXT:W", row);
            goto fail;
        }
        *gt = '\0';
        char from[64];
        if (gw_items(row, (char(*)[64])from, 1) != 1) {
            snprintf(why, n, "a row without a state");
            goto fail;
        }
        json_t *w = gw_weights(gt + 1, valid_roman, "roman numeral "
                               "(I..VII, ii, bVII ...)", why, n);
        if (!w)
            goto fail;
        if (valid_roman(from) < 0) {
            snprintf(why, n, "'%s' is not a roman numeral", from);
            json_decref(w);
            goto fail;
        }
        if (json_object_get(tr, from)) {    /* the second replaced it */
            snprintf(why, n, "'%s' has two rows", from);
            json_decref(w);
            goto fail;
        }
        json_object_set_new(tr, from, w);
        json_object_set_new(init, from, json_real(1));
    }
    if (!json_object_size(tr)) {
        snprintf(why, n, "no rows");
        goto fail;
    }
    if (matrix_closed(tr, why, n))
        goto fail;
    json_t *o = json_pack("{s:i,s:o,s:o}", "order", 1, "init_probs", init,
                          "transitions", tr);
    return o;
fail:
    json_decref(tr);
    json_decref(init);
    return NULL;
}

json_t *
gw_matrix_ask(void)
{
    char why[600], line[GW_ANSWER];
    json_t *tr = json_object(), *init = json_object();
    char st[16][64];
    int k;
    for (;;) {
        printf("chord states, roman numerals [I IV V vi]: ");
        fflush(stdout);
        int r = gw_read_line(line);
        if (r < 0)
            goto eof;
        if (r > 0)
            continue;
        k = gw_items(*line ? line : "I IV V vi", st, 16);
        int bad = -1, twice = -1;
        for (int i = 0; i < k && bad < 0; i++)
            if (valid_roman(st[i]) < 0)
                bad = i;
        /* a state named twice was asked its row twice, the second
         * replacing the first, and init_probs no longer summed to 1 */
        for (int i = 0; i < k && twice < 0; i++)
            for (int j = 0; j < i; j++)
                if (!strcmp(st[i], st[j]))
                    twice = i;
        if (k >= 2 && bad < 0 && twice < 0)
            break;
        if (bad >= 0)
            printf("  ! '%s' is not a roman numeral (I..VII, ii, bVII); "
                   "try again\n", st[bad]);
        else if (twice >= 0)
            printf("  ! '%s' is given twice; try again\n", st[twice]);
        else
            printf("  ! give 2..16 states; try again\n");
    }
    for (int i = 0; i < k; i++) {
        char def[GW_ANSWER] = "";
        size_t len = 0;
        for (int j = 0; j < k; j++)
            len += (size_t)snprintf(def + len, sizeof def - len, "%s%s:1",
                                    len ? " " : "", st[j]);
        for (;;) {
            printf("  after %s, weights of the next chord [%s]: ", st[i], def);
            fflush(stdout);
            int r = gw_read_line(line);
            if (r < 0)
                goto eof;
            if (r > 0)
                continue;
            json_t *w = gw_weights(*line ? line : def, valid_roman,
                                   "roman numeral", why, sizeof why);
            const char *nk;
            json_t *nv;
            json_object_foreach(w, nk, nv) {
                bool known = false;
                for (int j = 0; j < k; j++)
                    known |= !strcmp(nk, st[j]);
                if (!known) {
                    snprintf(why, sizeof why, "'%s' is not one of the "
                             "states given", nk);
                    json_decref(w);
                    w = NULL;
                    break;
                }
            }
            if (w) {
                json_object_set_new(tr, st[i], w);
                json_object_set_new(init, st[i], json_real(1.0 / k));
                break;
            }
            printf("  ! %s; try again\n", why);
        }
    }
    return json_pack("{s:i,s:o,s:o}", "order", 1, "init_probs", init,
                     "transitions", tr);
eof:
    fprintf(stderr, "\nmusicgen genre new: input ended in the matrix\n");
    json_decref(tr);
    json_decref(init);
    return NULL;
}
