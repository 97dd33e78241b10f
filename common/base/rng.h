/*
 * rng — the project's one pseudo-random generator.
 *
 * xoshiro256** (Blackman & Vigna, 2018), seeded by expanding a 64-bit seed
 * with splitmix64. Chosen because it is small, fast, fully specified and
 * gives the same sequence on every platform; rand() is never used anywhere.
 * All derived values (uniform doubles, ranges, weighted choices) are defined
 * here once so that every generator draws numbers the same way.
 */
#ifndef MG_RNG_H
#define MG_RNG_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} mg_rng;

/* Expand `seed` with splitmix64 into the four state words. */
void mg_rng_seed(mg_rng *r, uint64_t seed);
uint64_t mg_rng_next(mg_rng *r);
/* Uniform double in [0, 1) from the top 53 bits. */
double mg_rng_uniform(mg_rng *r);
/* Uniform double in [lo, hi). */
double mg_rng_range_f(mg_rng *r, double lo, double hi);
/* Uniform integer in [lo, hi], inclusive, without modulo bias. */
int mg_rng_range(mg_rng *r, int lo, int hi);
/* True with probability p (p <= 0 never, p >= 1 always; always draws). */
bool mg_rng_chance(mg_rng *r, double p);
/* Index drawn with probability w[i] / sum(w); negative weights count as 0.
 * Returns -1 when n == 0 or every weight is 0 (and then draws nothing). */
int mg_rng_weighted(mg_rng *r, const double *w, int n);
/* splitmix64 step, exposed for seed derivation and tests. */
uint64_t mg_splitmix64(uint64_t *state);

#endif
