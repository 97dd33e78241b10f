/*
 * ascore — layer 2 of the musicality score: analysis of a rendered mix.
 *
 * final = raw * (1 - integrity_penalty), raw = 0.30 tempo + 0.30 harmony
 * + 0.25 rhythm + 0.15 noise; each dimension is the (weighted) mean of its
 * sub-scores in [0, 1]. Definitions and thresholds: docs/audio.md. Works on
 * any mono signal at any rate (it decimates to about 5.5 kHz itself), so the
 * engine and `musicgen score-audio` compute the same thing.
 */
#ifndef MG_ASCORE_H
#define MG_ASCORE_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    double score, raw, integrity_penalty;
    /* integrity */
    double clipping_ratio, silence_ratio, dc_offset, crest_db;
    /* dimensions */
    double tempo, harmony, rhythm, noise;
    /* tempo */
    double tempo_bpm, beat_stability, tempo_reasonableness, onset_clarity;
    /* harmony */
    double key_correlation, key_clarity, harmonic_stability;
    int key_pc, key_minor;
    /* rhythm */
    double beat_regularity, beat_strength, pattern, density;
    /* noise */
    double zcr_score, flatness_score, contrast_score;
    int nbeats;
} mg_ascore;

/* Analyse n mono samples at rate. tempo_min/max: the genre's tempo range
 * (0, 0 for the default 40..240 BPM). Returns 0, or -1 on allocation
 * failure. A signal too short to analyse scores 0. */
int mg_ascore_analyze(const float *mono, size_t n, int rate,
                      double tempo_min, double tempo_max, mg_ascore *out);

/* The same analysis fed block by block (the engine streams its mix):
 * integrity at the full rate, the rest on the decimated signal it keeps.
 * new returns NULL and feed/finish -1 on allocation failure; reset
 * starts a new signal keeping the buffer. */
typedef struct mg_ascore_acc mg_ascore_acc;
mg_ascore_acc *mg_ascore_acc_new(int rate);
void mg_ascore_acc_reset(mg_ascore_acc *a);
int mg_ascore_acc_feed(mg_ascore_acc *a, const float *mono, size_t n);
int mg_ascore_acc_finish(mg_ascore_acc *a, double tempo_min,
                         double tempo_max, mg_ascore *out);
void mg_ascore_acc_destroy(mg_ascore_acc **a);

/* Every field as a JSON object (reals rounded to 4 decimals). */
json_t *mg_ascore_json(const mg_ascore *s);

#endif
