/*
 * gen_priv — helpers shared by the generator files (gen*.c) and nothing
 * else. Not a contract: other modules use gen.h.
 *
 * The "feel" is the rhythmic idiom a generator plays in (walking bass,
 * skank, tumbao ...). It is the spec's "style" (data; a merge keeps the
 * first genre's), so a merged "jazz+latin" plays jazz rhythms over the
 * merged weights. A spec without a style (e.g. the Python tool's format)
 * is matched by its name; failing that, strong swing means jazz, else pop.
 */
#ifndef MG_GEN_PRIV_H
#define MG_GEN_PRIV_H

#include "gen.h"

typedef enum {
    MG_FEEL_POP, MG_FEEL_ROCK, MG_FEEL_JAZZ, MG_FEEL_BLUES, MG_FEEL_LATIN,
    MG_FEEL_REGGAE, MG_FEEL_ELECTRONIC, MG_FEEL_HIPHOP, MG_FEEL_CLASSICAL
} mg_feel;

mg_feel mg_gen_feel(const mg_genre *g);
/* The chord sounding at an absolute tick in part p (never NULL when the
 * part has chords; the last chord covers any tail). */
const mg_chord *mg_gen_chord_at(const mg_part *p, uint32_t tick);
/* Index of the part holding tick (the last part for ticks past the end). */
int mg_gen_part_at(const mg_song *s, uint32_t tick);
/* An earlier part of the same kind, metre and length whose material part
 * i repeats (so a returning chorus is the same chorus), or -1. */
int mg_gen_model_part(const mg_song *s, int i);
/* Pitch of pitch class pc in [lo, lo + 11]. */
int mg_gen_place(int pc, int lo);
/* True when pc is one of the chord's tones. */
int mg_gen_chord_has(const mg_chord *c, int pc);

#endif
