/*
 * genre_priv.h — what the files of the genre loader share, and nobody
 * else: the reading context and the functions one part calls in another
 * (prefix genre_). Not a public header: only common/music/genre*.c
 * include it (the public API is genre.h).
 *
 * The parts, one concern each:
 *   genre.c         loading a genre directory (form, spec, patterns,
 *                   tables, in that order), listing presets
 *   genre_read.c    the reading context, JSON loader, field readers and
 *                   name resolvers every parser uses
 *   genre_form.c    song forms: arrangements.json or a spec's "form"
 *   genre_spec.c    spec.json (both dialects) over the neutral defaults
 *   genre_drums.c   drum patterns (step grids, the Python tool's lists)
 *   genre_markov.c  the chord and melody Markov tables
 *   genre_merge.c   several specs merged into one
 *   genre_hash.c    the fingerprint of a genres directory
 */
#ifndef MG_GENRE_PRIV_H
#define MG_GENRE_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "genre.h"

/* ---- genre_read.c --------------------------------------------------- */

typedef struct {
    char *err;
    size_t errlen;
    char file[4200]; /* the file being read, as the user will see it */
    bool python;     /* the spec uses the Python tool's field names */
} ctx;

/* "FILE: FIELD: message" (or "FILE: message") into c->err; returns -1. */
int genre_fail(ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool genre_file_exists(const char *path);

/* Name -> table index, -1 if unknown. */
typedef int (*resolver)(const char *name);
int genre_resolve_ts(const char *s);
int genre_resolve_key(const char *s);
int genre_resolve_chord(const char *s);
int genre_resolve_inversion(const char *s);
int genre_resolve_layer(const char *s);
int genre_resolve_part(const char *s);

int genre_get_num(ctx *c, const json_t *v, const char *field, double lo,
                  double hi, double *out);
int genre_get_int(ctx *c, const json_t *v, const char *field, int lo,
                  int hi, int *out);
int genre_get_str(ctx *c, const json_t *v, const char *field, char *out,
                  size_t n);
int genre_get_weights(ctx *c, const json_t *obj, const char *field,
                      resolver res, const char *kind, double hi,
                      double *out, int n);
bool genre_sum_positive(const double *w, int n);
/* path into *out (a JSON object); sets c->file to path. */
int genre_load_json(ctx *c, const char *path, json_t **out);
/* qsort comparator of char * (bytewise). */
int genre_cmp_str(const void *a, const void *b);

/* ---- genre_form.c --------------------------------------------------- */

int genre_parse_form(ctx *c, const json_t *o, const char *prefix,
                     mg_genre *g);
int genre_load_arrangements(ctx *c, const char *genres_dir, mg_genre *g);

/* ---- genre_spec.c --------------------------------------------------- */

void genre_set_neutral(mg_genre *g);
int genre_parse_spec(ctx *c, const json_t *j, const char *dirname,
                     mg_genre *g);

/* ---- genre_drums.c -------------------------------------------------- */

bool genre_pattern_equal(const mg_drum_pattern *a, const mg_drum_pattern *b);
int genre_load_patterns(ctx *c, const char *dir, const char *fallback,
                        mg_genre *g);

/* ---- genre_markov.c ------------------------------------------------- */

int genre_load_markov(ctx *c, const char *dir, bool chords, mg_markov *m);

#endif
