/*
 * genre_priv.h — what the files of `musicgen genre new` share, and nobody
 * else (prefix gw_). The parts, one concern each:
 *   cmd_genre.c        the command: its options, --list and --midi, and
 *                      writing the genre (staged, loaded by the real
 *                      loader, then renamed into place)
 *   genre_questions.c  the questions and their defaults (--from's spec),
 *                      asking them, and what a valid answer is
 *   genre_matrix.c     the chord-transition matrix (chords.json), from
 *                      --chord-matrix or asked state by state
 * Invariant: an answer is parsed and range-checked when it is given, and
 * a question's value is the JSON that goes into spec.json as it is
 * (weight tables normalised).
 */
#ifndef MG_GENRE_PRIV_H
#define MG_GENRE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define GW_ANSWER 2048

/* An answer parser: a JSON value, or NULL with why. */
typedef json_t *(*gw_parse_fn)(const char *in, char *why, size_t n);

typedef struct {
    const char *key;        /* flag name and answer key */
    const char *prompt;
    gw_parse_fn parse;
    char def[GW_ANSWER];
    char given[GW_ANSWER];     /* from a flag, or "" */
    bool has_flag;
    json_t *value;
} gw_question;

enum {
    Q_NAME, Q_DESC, Q_STYLE, Q_TEMPO, Q_SWING, Q_TS, Q_KEYS, Q_CHORDS,
    Q_FILTER, Q_INV,
    Q_LAYER0,               /* probability, programs, tags per layer */
    Q_FX = Q_LAYER0 + 12, Q_DRUMS, Q_MATRIX, NQ
};

/* genre_questions.c */
/* Every question with its built-in default; p_drums looks for styles in
 * starters_dir (kept, not copied: it must outlive the questions). */
void gw_questions_init(gw_question *qs, const char *starters_dir);
void gw_set_def(gw_question *q, const char *s);
/* Defaults from --from's spec.json, where it has the field. */
void gw_defaults_from(gw_question *qs, json_t *spec);
/* Ask until a valid answer (from a flag, the default, or the terminal);
 * -1 after one line when a flag's answer is wrong or input ended. */
int gw_ask(gw_question *q, bool interactive);
void gw_show_weights(const json_t *o);
/* One line typed at the prompt into line (GW_ANSWER bytes), without its
 * end of line: 0; -1 when input ended; 1 when it was longer (the rest of
 * it read and dropped: it became the next answer; "try again" said). */
int gw_read_line(char *line);
/* Split "a:1, b:2" / "a=1 b=2" / "a b" into at most max items; -1 when
 * there are more. */
int gw_items(const char *in, char out[][64], int max);
/* "name:w ..." with a name check (valid, when given); weights normalised
 * to sum 1. */
json_t *gw_weights(const char *in, int (*valid)(const char *),
                   const char *what, char *why, size_t n);

/* genre_matrix.c */
/* "I>IV:1,V:1;IV>V:1;V>I:1" (the flag form) into chords.json's object. */
json_t *gw_matrix_from_flag(const char *in, char *why, size_t n);
/* The matrix asked on the terminal; NULL after one line when input
 * ended. */
json_t *gw_matrix_ask(void);

#endif
