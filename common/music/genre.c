/*
 * genre — loads genre presets from genres/<name>/ and merges several into
 * one spec. The formats and the merge rule are documented for users in
 * docs/genres.md; this file and those beside it are their one
 * implementation, one concern each (the map is in genre_priv.h): here,
 * loading a genre directory and listing presets.
 *
 * Two dialects are read: our own (spec.json with nested objects,
 * drums_<sig>.txt step grids, chords.json / melody.json) and the Python
 * tool's (flat spec.json field names, patterns_<sig>.txt lists,
 * chord_transitions.json / melody_transitions.json), so a migrating user's
 * custom genres load unchanged. Both may appear in one directory.
 *
 * Invariants of a spec this file returns:
 *  - tempo_min <= tempo_max within [20, 400]; swing within [0.5, 0.8];
 *  - every weight >= 0, and the ts, key, chord and inversion tables and
 *    each layer's program weights have a positive sum;
 *  - with a chord filter, types outside it have weight 0;
 *  - every time signature with weight > 0 has at least one non-fill drum
 *    pattern; pattern voices are sorted by note, rests are velocity 0;
 *  - Markov rows and init vectors are normalised to sum 1;
 *  - at least one arrangement; measures_min <= measures_max per part.
 * Errors name the file and the field ("genres/jazz/spec.json: tempo.min:
 * must be a number in 20..400"). Nothing here draws random numbers.
 */
#include "genre_priv.h"

#include "errmsg.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const fx_names[MG_NFX] = {
    "reverb", "chorus", "delay", "compressor", "eq", "filter",
    "distortion", "phaser",
};

const char *
mg_fx_name(mg_fx_kind k)
{
    return (k >= 0 && k < MG_NFX) ? fx_names[k] : "?";
}

int
mg_fx_from_name(const char *name)
{
    for (int i = 0; i < MG_NFX; i++)
        if (!strcmp(name, fx_names[i]))
            return i;
    return -1;
}

/* ---- loading a genre directory -------------------------------------- */

static bool
valid_genre_name(const char *name)
{
    if (!*name || *name == '.' || strlen(name) >= 64)
        return false;
    for (const char *q = name; *q; q++)
        if (*q == '/' || *q == '\\' || *q == '+' || *q == ',')
            return false;
    return true;
}

void
mg_genre_destroy(mg_genre **g)
{
    if (!g || !*g)
        return;
    for (int ts = 0; ts < MG_NTS; ts++)
        free((*g)->patterns[ts]);
    free(*g);
    *g = NULL;
}

static mg_genre *
load_dir(const char *genres_dir, const char *name, bool is_default,
         char *err, size_t errlen)
{
    ctx c = {err, errlen, "", false};
    char dir[2048], path[4096];
    mg_genre *g;
    json_t *j = NULL;

    if (!valid_genre_name(name)) {
        mg_errf(err, errlen, "'%s' is not a valid genre name", name);
        return NULL;
    }
    snprintf(dir, sizeof dir, "%s/%s", genres_dir, name);
    snprintf(path, sizeof path, "%s/spec.json", dir);
    if (!is_default && !genre_file_exists(path)) {
        mg_errf(err, errlen, "unknown genre '%s' (no %s)", name, path);
        return NULL;
    }
    /* Without default/ the neutral spec would ask that directory for
     * drum patterns of all seven metres, and the error would name a
     * pattern file of a genre the user never wrote. */
    struct stat st;
    if (is_default && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        int e = stat(genres_dir, &st) != 0 ? errno
                : !S_ISDIR(st.st_mode)     ? ENOTDIR
                                           : 0;
        if (e)
            mg_errf(err, errlen, "genres directory %s: %s", genres_dir,
                    strerror(e));
        else
            mg_errf(err, errlen, "no genre named, and %s has no default "
                    "genre (no %s/): name one (-g; list-genres "
                    "--genres-dir shows them) or add default/",
                    genres_dir, dir);
        return NULL;
    }
    if (!(g = calloc(1, sizeof *g))) {
        mg_errf(err, errlen, "out of memory loading genre %s", name);
        return NULL;
    }
    genre_set_neutral(g);
    snprintf(g->name, sizeof g->name, "%s", name);
    if (is_default)
        for (int ts = 0; ts < MG_NTS; ts++)
            g->ts_weight[ts] = 1;
    if (genre_load_arrangements(&c, genres_dir, g) != 0)
        goto bad;
    if (genre_file_exists(path)) {
        if (genre_load_json(&c, path, &j) != 0)
            goto bad;
        if (genre_parse_spec(&c, j, name, g) != 0)
            goto bad;
        json_decref(j);
        j = NULL;
    }
    char fallback[2100];
    snprintf(fallback, sizeof fallback, "%s/default", genres_dir);
    if (genre_load_patterns(&c, dir, is_default ? NULL : fallback, g) != 0 ||
        genre_load_markov(&c, dir, true, &g->chords) != 0 ||
        genre_load_markov(&c, dir, false, &g->melody) != 0)
        goto bad;
    return g;
bad:
    json_decref(j);
    mg_genre_destroy(&g);
    return NULL;
}

mg_genre *
mg_genre_load(const char *genres_dir, const char *name, char *err,
              size_t errlen)
{
    return load_dir(genres_dir, name, false, err, errlen);
}

mg_genre *
mg_genre_default(const char *genres_dir, char *err, size_t errlen)
{
    return load_dir(genres_dir, "default", true, err, errlen);
}

/* ---- listing and hashing ------------------------------------------- */

void
mg_genre_names_free(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int
mg_genre_list(const char *genres_dir, char ***names, char *err,
              size_t errlen)
{
    DIR *d = opendir(genres_dir);
    struct dirent *e;
    char **v = NULL;
    int n = 0, cap = 0;

    *names = NULL;
    if (!d) {
        mg_errf(err, errlen, "%s: cannot open genres directory: %s",
               genres_dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char path[1400];
        if (!valid_genre_name(e->d_name) || !strcmp(e->d_name, "default"))
            continue;
        snprintf(path, sizeof path, "%s/%s/spec.json", genres_dir,
                 e->d_name);
        if (!genre_file_exists(path))
            continue;
        if (n == cap) {
            char **nv;
            cap = cap ? cap * 2 : 16;
            if (!(nv = realloc(v, (size_t)cap * sizeof *v)))
                goto oom;
            v = nv;
        }
        if (!(v[n] = strdup(e->d_name)))
            goto oom;
        n++;
    }
    closedir(d);
    if (n)
        qsort(v, (size_t)n, sizeof *v, genre_cmp_str);
    *names = v;
    return n;
oom:
    closedir(d);
    mg_genre_names_free(v, n);
    mg_errf(err, errlen, "out of memory listing %s", genres_dir);
    return -1;
}
