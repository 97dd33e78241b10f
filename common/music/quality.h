/*
 * quality — layer 1 of the musicality score: symbolic checks on the song
 * before anything is rendered (well under 5 ms). Definitions follow
 * docs/musicality.md: hard checks (empty active layer, one pitch over 80%
 * of the melody, melody range over 36 semitones) force the score to 0;
 * otherwise the score is the mean of five soft melody metrics in [0, 1].
 */
#ifndef MG_QUALITY_H
#define MG_QUALITY_H

#include <stdbool.h>

#include "song.h"

enum { MG_Q_KEY_CORR, MG_Q_SCALE, MG_Q_STEP, MG_Q_ENTROPY, MG_Q_LZ,
       MG_NQSOFT };

typedef struct {
    bool passed;
    double score;                 /* 0 when !passed */
    double soft[MG_NQSOFT];
    int nfail;
    char fail[4][64];             /* "empty layer: bassline" ... */
} mg_quality;

const char *mg_quality_soft_name(int k); /* "key_correlation" ... */
void mg_quality_check(const mg_song *s, mg_quality *q);

#endif
