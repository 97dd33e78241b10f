/*
 * loudness — integrated loudness of a stereo stream, ITU-R BS.1770-4 /
 * EBU R128: K-weighting (the standard's high shelf and high pass, derived
 * for any sample rate from their analogue prototypes, as libebur128 does),
 * 400 ms blocks with 75 % overlap, the absolute gate at -70 LUFS and the
 * relative gate 10 LU below the absolutely gated mean. Only complete
 * blocks count.
 *
 * Streaming: frames are added in pieces of any size (the result does not
 * depend on the split); memory is one double per 100 ms of stream. The
 * filters run both channels in one loop, in double precision. Pure IEEE
 * arithmetic: the same frames give the same bits on every machine.
 * tests/tools/lufs.c (libebur128) is the independent judge.
 */
#ifndef MG_LOUDNESS_H
#define MG_LOUDNESS_H

#include <stddef.h>

typedef struct {
    double b[2][3], a[2][3];   /* the two K-weighting biquads */
    double z[2][2][2];         /* [stage][channel][state] */
    size_t hop;                /* frames per 100 ms */
    size_t fill;               /* frames in the current 100 ms */
    double acc;                /* their weighted energy so far */
    double *sub;               /* energy per complete 100 ms */
    size_t nsub, cap;
} mg_loud;

/* Zero state for a stream at `rate` Hz (keeps sub's storage). */
void mg_loud_reset(mg_loud *m, int rate);
/* Interleaved stereo frames. -1 on allocation failure, else 0. */
int mg_loud_add(mg_loud *m, const float *x, size_t frames);
/* The same for two meters at once (two stems' blocks: about twice as
 * fast as one after the other, the same results). */
int mg_loud_add2(mg_loud *m1, const float *x1, mg_loud *m2, const float *x2,
                 size_t frames);
/* Integrated loudness in LUFS; -HUGE_VAL when no block passes the
 * absolute gate (silence). */
double mg_loud_integrated(const mg_loud *m);
/* The integrated loudness of the metered signal scaled by gain_db (its
 * absolute gate at -70 LUFS of the scaled signal: a gain moves blocks
 * across it, so this is not mg_loud_integrated + gain_db). */
double mg_loud_integrated_at(const mg_loud *m, double gain_db);
/* The gain in dB that brings the metered signal's integrated loudness to
 * `target` LUFS, gated at the gained level (mg_loud_integrated_at(m,
 * gain) == target; not target - mg_loud_integrated(m) when a gain moves
 * blocks across the absolute gate); NaN for silence. */
double mg_loud_gain_to(const mg_loud *m, double target);
void mg_loud_free(mg_loud *m);

#endif
