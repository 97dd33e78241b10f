/*
 * genre_drums — drum patterns: our step grids (drums_<sig>.txt, [name]
 * sections of key = value lines) and the Python tool's pattern lists
 * (patterns_<sig>.txt), the GM voice names both use, and the fallback to
 * genres/default for a Python-format genre that leaves a meter out.
 *
 * Invariants: every time signature with weight > 0 has at least one
 * non-fill pattern; pattern voices are sorted by note; rests are
 * velocity 0; every pattern has at least one hit.
 */
#include "genre_priv.h"
#include "errmsg.h"
#include "rfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Velocities of the step-grid symbols: accent, normal, ghost. */
#define VEL_ACCENT 112
#define VEL_NORMAL 90
#define VEL_GHOST 50

/* ---- drum patterns ------------------------------------------------- */

typedef struct {
    char *name;
    int note;
} drum_voice_name;

static const drum_voice_name drum_voices[] = {
    {"kick", 36},      {"kick2", 35},      {"rim", 37},
    {"snare", 38},     {"clap", 39},       {"snare2", 40},
    {"tom_floor", 41}, {"hihat", 42},      {"tom_low", 45},
    {"pedalhat", 44},  {"openhat", 46},    {"tom_mid", 47},
    {"tom_himid", 48}, {"crash", 49},      {"tom_hi", 50},
    {"ride", 51},      {"china", 52},      {"ridebell", 53},
    {"tambourine", 54}, {"splash", 55},    {"cowbell", 56},
    {"crash2", 57},    {"vibraslap", 58},  {"ride2", 59},
    {"bongo_hi", 60},  {"bongo_lo", 61},   {"conga_hi", 62},
    {"conga_open", 63}, {"conga_lo", 64},   {"timbale_hi", 65},
    {"timbale_lo", 66}, {"agogo_hi", 67},  {"agogo_lo", 68},
    {"cabasa", 69},    {"shaker", 70},     {"maracas", 70},
    {"whistle", 71},   {"guiro", 73},      {"claves", 75},
    {"clave", 75},     {"woodblock", 76},  {"woodblock_lo", 77},
    {"cuica_mute", 78}, {"cuica", 79},     {"triangle_mute", 80},
    {"triangle", 81},
};

const char *
mg_drum_voice(size_t i, int *note)
{
    if (i >= sizeof drum_voices / sizeof *drum_voices)
        return NULL;
    if (note)
        *note = drum_voices[i].note;
    return drum_voices[i].name;
}

/* A voice name or a plain GM note number; -1 if neither. */
static int
drum_note(const char *s)
{
    char *end;
    long v;
    for (size_t i = 0; i < sizeof drum_voices / sizeof *drum_voices; i++)
        if (!strcmp(s, drum_voices[i].name))
            return drum_voices[i].note;
    v = strtol(s, &end, 10);
    if (end != s && !*end && v >= 1 && v <= 127)
        return (int)v;
    return -1;
}

typedef struct {
    int n, cap;
    mg_drum_pattern *v;
} pattern_list;

static mg_drum_pattern *
plist_add(pattern_list *pl)
{
    if (pl->n == pl->cap) {
        int cap = pl->cap ? pl->cap * 2 : 16;
        mg_drum_pattern *nv = realloc(pl->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return NULL;
        pl->v = nv;
        pl->cap = cap;
    }
    memset(&pl->v[pl->n], 0, sizeof *pl->v);
    return &pl->v[pl->n++];
}

static int
cmp_voice(const void *a, const void *b)
{
    const unsigned char *x = a, *y = b; /* first byte is the note */
    return (int)*x - (int)*y;
}

static void
sort_voices(mg_drum_pattern *p)
{
    qsort(p->voice, (size_t)p->nvoices, sizeof p->voice[0], cmp_voice);
}

bool
genre_pattern_equal(const mg_drum_pattern *a, const mg_drum_pattern *b)
{
    if (a->parts != b->parts || a->fill != b->fill || a->steps != b->steps ||
        a->nvoices != b->nvoices)
        return false;
    for (int i = 0; i < a->nvoices; i++)
        if (a->voice[i].note != b->voice[i].note ||
            memcmp(a->voice[i].vel, b->voice[i].vel, (size_t)a->steps))
            return false;
    return true;
}

static char *
trim(char *s)
{
    char *e;
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
                     e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static int
check_pattern(ctx *c, const char *field, mg_drum_pattern *p)
{
    bool any = false;
    if (!p->parts)
        return genre_fail(c, field, "parts: missing");
    if (p->nvoices == 0)
        return genre_fail(c, field, "no voices");
    for (int i = 0; i < p->nvoices; i++)
        for (int s = 0; s < p->steps; s++)
            any |= p->voice[i].vel[s] > 0;
    if (!any)
        return genre_fail(c, field, "no hits");
    sort_voices(p);
    return 0;
}

/* Our format: [pattern name] sections of key = value lines. */
static int
parse_drums(ctx *c, FILE *f, pattern_list *pl)
{
    char line[512], field[200];
    int lineno = 0, steps_given = 0;
    /* the line of a pattern's parts, fill and steps: a second one (the
     * last silently won) is refused naming both */
    int at_parts = 0, at_fill = 0, at_steps = 0;
    mg_drum_pattern *p = NULL;

    field[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        char *s, *eq, *key, *val, *hash;
        lineno++;
        if ((hash = strchr(line, '#')))
            *hash = '\0';
        s = trim(line);
        if (!*s)
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            char *nm;
            if (p && check_pattern(c, field, p) != 0)
                return -1;
            snprintf(field, sizeof field, "line %d", lineno);
            if (!close || strncmp(s, "[pattern", 8) || trim(close + 1)[0])
                return genre_fail(c, field, "expected [pattern NAME]");
            *close = '\0';
            nm = trim(s + 8);
            if (!*nm || strlen(nm) >= sizeof p->name)
                return genre_fail(c, field, "pattern name must be 1..%zu "
                                      "characters", sizeof p->name - 1);
            if (!(p = plist_add(pl)))
                return genre_fail(c, field, "out of memory");
            snprintf(p->name, sizeof p->name, "%s", nm);
            snprintf(field, sizeof field, "line %d: pattern %s", lineno,
                     p->name);
            steps_given = at_parts = at_fill = at_steps = 0;
            continue;
        }
        snprintf(field, sizeof field, "line %d", lineno);
        if (!p)
            return genre_fail(c, field, "expected [pattern NAME] first");
        snprintf(field, sizeof field, "line %d: pattern %s", lineno,
                 p->name);
        if (!(eq = strchr(s, '=')))
            return genre_fail(c, field, "expected key = value");
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        int *at = !strcmp(key, "parts") ? &at_parts
                  : !strcmp(key, "fill") ? &at_fill
                  : !strcmp(key, "steps") ? &at_steps : NULL;
        if (at && *at)
            return genre_fail(c, field, "%s is given twice (first at line "
                              "%d)", key, *at);
        if (at)
            *at = lineno;
        if (!strcmp(key, "parts")) {
            char *tok, *save;
            p->parts = 0;
            for (tok = strtok_r(val, " \t,", &save); tok;
                 tok = strtok_r(NULL, " \t,", &save)) {
                int pk = genre_resolve_part(tok);
                if (!strcmp(tok, "all"))
                    p->parts = (1u << MG_NPARTKINDS) - 1;
                else if (pk < 0)
                    return genre_fail(c, field, "parts: '%s' is not a part "
                                          "(intro verse chorus bridge "
                                          "outro all)", tok);
                else
                    p->parts |= 1u << pk;
            }
        } else if (!strcmp(key, "fill")) {
            if (!strcmp(val, "yes"))
                p->fill = true;
            else if (!strcmp(val, "no"))
                p->fill = false;
            else
                return genre_fail(c, field, "fill: must be yes or no");
        } else if (!strcmp(key, "steps")) {
            char *end;
            long n = strtol(val, &end, 10);
            if (end == val || *end || n < 1 || n > MG_MAX_STEPS ||
                (p->nvoices && n != p->steps))
                return genre_fail(c, field, "steps: must be 1..%d and "
                                  "match the grids", MG_MAX_STEPS);
            p->steps = (int)n;
            steps_given = 1;
        } else {
            int note = drum_note(key), n = 0, v;
            if (note < 0)
                return genre_fail(c, field, "'%s' is not a drum voice name or "
                                      "GM note number", key);
            for (v = 0; v < p->nvoices; v++)
                if (p->voice[v].note == note)
                    return genre_fail(c, field, "%s: note %d given twice", key,
                                      note);
            if (p->nvoices == MG_MAX_DRUM_VOICES)
                return genre_fail(c, field, "more than %d voices",
                                  MG_MAX_DRUM_VOICES);
            v = p->nvoices;
            for (char *q = val; *q; q++) {
                int vel;
                if (*q == ' ' || *q == '\t' || *q == '|')
                    continue;
                switch (*q) {
                case 'X': vel = VEL_ACCENT; break;
                case 'x': vel = VEL_NORMAL; break;
                case 'o': vel = VEL_GHOST; break;
                case '.': case '-': vel = 0; break;
                default:
                    return genre_fail(c, field, "%s: '%c' is not a step "
                                          "(X x o .)", key, *q);
                }
                if (n >= MG_MAX_STEPS)
                    return genre_fail(c, field, "%s: more than %d steps", key,
                                      MG_MAX_STEPS);
                p->voice[v].vel[n++] = (unsigned char)vel;
            }
            if (!steps_given && p->nvoices == 0)
                p->steps = n;
            if (n != p->steps)
                return genre_fail(c, field, "%s: %d steps, expected %d",
                                  key, n, p->steps);
            p->voice[v].note = (unsigned char)note;
            p->nvoices++;
        }
    }
    if (p && check_pattern(c, field, p) != 0)
        return -1;
    return 0;
}

/* The Python tool's format: "verse: 36, 0, 38, 42", one hit per step. */
static int
parse_patterns_py(ctx *c, FILE *f, pattern_list *pl)
{
    char line[1024], field[64];
    int lineno = 0;

    while (fgets(line, sizeof line, f)) {
        char *s = trim(line), *colon, *tok, *save, *us;
        mg_drum_pattern *p;
        int pk, step = 0;
        lineno++;
        if (!*s || *s == '#')
            continue;
        snprintf(field, sizeof field, "line %d", lineno);
        if (!(colon = strchr(s, ':')))
            return genre_fail(c, field, "expected 'part: note, note, ...'");
        *colon = '\0';
        s = trim(s);
        if (!(p = plist_add(pl)))
            return genre_fail(c, field, "out of memory");
        if ((us = strstr(s, "_roll")) && !us[5]) {
            *us = '\0';
            p->fill = true;
        }
        if ((pk = genre_resolve_part(s)) < 0)
            return genre_fail(c, field, "'%s' is not a part (intro verse "
                              "chorus bridge outro, or <part>_roll)", s);
        p->parts = 1u << pk;
        snprintf(p->name, sizeof p->name, "%s%s-%d", s,
                 p->fill ? "_roll" : "", lineno);
        for (tok = strtok_r(colon + 1, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            char *t = trim(tok), *end;
            long note = strtol(t, &end, 10);
            int v;
            if (end == t || *end || note < 0 || note > 127)
                return genre_fail(c, field, "'%s' is not a note 0..127", t);
            if (step >= MG_MAX_STEPS)
                return genre_fail(c, field, "more than %d steps",
                                  MG_MAX_STEPS);
            if (note > 0) {
                for (v = 0; v < p->nvoices; v++)
                    if (p->voice[v].note == note)
                        break;
                if (v == p->nvoices) {
                    if (v == MG_MAX_DRUM_VOICES)
                        return genre_fail(c, field, "more than %d voices",
                                          MG_MAX_DRUM_VOICES);
                    p->voice[v].note = (unsigned char)note;
                    p->nvoices++;
                }
                p->voice[v].vel[step] = VEL_NORMAL;
            }
            step++;
        }
        p->steps = step;
        if (check_pattern(c, field, p) != 0)
            return -1;
    }
    return 0;
}

/* A Python-format genre may leave a meter to the tool's default patterns
 * (its loader falls back to genres/default); ours must ship its own, so
 * only a spec written with the Python field names gets the fallback. */
int
genre_load_patterns(ctx *c, const char *dir, const char *fallback, mg_genre *g)
{
    for (int ts = 0; ts < MG_NTS; ts++) {
        pattern_list pl = {0, 0, NULL};
        char sig[8], path[4096];
        const char *tsn = mg_ts_name((mg_ts)ts);
        int k = 0;
        for (const char *q = tsn; *q && k < 7; q++)
            if (*q != '/')
                sig[k++] = *q;
        sig[k] = '\0';
        bool want = g->ts_weight[ts] > 0;
        for (int fmt = 0; fmt < 4; fmt++) {
            FILE *f;
            int rc;
            bool any_main = false;
            for (int i = 0; i < pl.n; i++)
                any_main |= !pl.v[i].fill;
            if (fmt >= 2 && (!fallback || !c->python || !want || any_main))
                break;
            snprintf(path, sizeof path, "%s/%s_%s.txt",
                     fmt >= 2 ? fallback : dir,
                     fmt & 1 ? "patterns" : "drums", sig);
            if (access(path, F_OK) != 0)
                continue;
            {
                char msg[512];
                if (mg_rfile_open(path, MG_RFILE_JSON_MAX, &f, msg,
                                  sizeof msg) < 0) {
                    free(pl.v);
                    return mg_errf(c->err, c->errlen, "%s", msg);
                }
            }
            snprintf(c->file, sizeof c->file, "%s", path);
            mg_rfile_skip_bom(f);
            rc = fmt & 1 ? parse_patterns_py(c, f, &pl)
                         : parse_drums(c, f, &pl);
            fclose(f);
            if (rc != 0) {
                free(pl.v);
                return -1;
            }
        }
        if (g->ts_weight[ts] > 0) {
            bool any = false;
            for (int i = 0; i < pl.n; i++)
                any |= !pl.v[i].fill;
            if (!any) {
                free(pl.v);
                snprintf(c->file, sizeof c->file, "%s/drums_%s.txt", dir,
                         sig);
                return genre_fail(c, NULL, "missing: time signature %s has "
                                     "weight > 0 but no drum patterns "
                                     "(drums_%s.txt or patterns_%s.txt)",
                            tsn, sig, sig);
            }
        }
        g->patterns[ts] = pl.v;
        g->npatterns[ts] = pl.n;
    }
    return 0;
}
