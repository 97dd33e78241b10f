/*
 * gen — song parameters and the four layer generators.
 *
 * Pure functions: a spec, the song so far and a random stream in, the song
 * filled in out. They draw from their stream in a fixed order, so the same
 * inputs always give the same song (the determinism contract):
 *   mg_gen_params   draws from the "params" stream: key, mode, tempo, time
 *                   signature(s), swing, arrangement, measures, per-part
 *                   active layers, GM programs;
 *   then, from the "generators" stream and in this order:
 *   mg_gen_chords   per-part progressions (Markov over roman numerals,
 *                   chord types from genre weights, inversions, voicing);
 *   mg_gen_melody   scale-degree Markov melody with rhythm and resolution;
 *   mg_gen_bassline roots and fifths under the chords, genre rhythm;
 *   mg_gen_drums    genre patterns per part, fills at part ends;
 *   mg_gen_harmony  the voiced chords as the harmony track;
 *   mg_gen_humanise micro-timing, velocity shaping, note lengths;
 * with the swing pass and mg_song_finish before and after the last
 * (mg_gen_song does it all).
 */
#ifndef MG_GEN_H
#define MG_GEN_H

#include "genre.h"
#include "rng.h"
#include "song.h"

typedef struct {
    const int *measures_override; /* [MG_NPARTKINDS], 0 = none; may be NULL */
} mg_gen_opts;

int mg_gen_params(mg_song *s, const mg_genre *g, const mg_gen_opts *o,
                  mg_rng *params);
int mg_gen_chords(mg_song *s, const mg_genre *g, mg_rng *r);
int mg_gen_melody(mg_song *s, const mg_genre *g, mg_rng *r);
int mg_gen_bassline(mg_song *s, const mg_genre *g, mg_rng *r);
int mg_gen_drums(mg_song *s, const mg_genre *g, mg_rng *r);
int mg_gen_harmony(mg_song *s, const mg_genre *g, mg_rng *r);
/* gen_perform.c: the sample's performance (params stream, after the
 * programs), its tempo map (params stream, last) and the humanisation of
 * every note (generators stream, after the harmony). */
void mg_gen_perf(mg_song *s, const mg_genre *g, mg_rng *params);
void mg_gen_tempo_map(mg_song *s, const mg_genre *g, mg_rng *params);
void mg_gen_humanise(mg_song *s, mg_rng *generators);
/* Everything above in order; s must hold identity fields (seeds, index,
 * attempt) already. Returns 0 or -1 (allocation failure). */
int mg_gen_song(mg_song *s, const mg_genre *g, const mg_gen_opts *o,
                mg_rng *params, mg_rng *generators);

#endif
