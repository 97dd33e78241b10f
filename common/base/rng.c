/*
 * rng — xoshiro256** seeded with splitmix64. See rng.h for the why.
 * Reference: https://prng.di.unimi.it/ (public-domain algorithms).
 */
#include "rng.h"

uint64_t
mg_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void
mg_rng_seed(mg_rng *r, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = mg_splitmix64(&st);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
mg_rng_next(mg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double
mg_rng_uniform(mg_rng *r)
{
    return (double)(mg_rng_next(r) >> 11) * 0x1.0p-53;
}

double
mg_rng_range_f(mg_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * mg_rng_uniform(r);
}

int
mg_rng_range(mg_rng *r, int lo, int hi)
{
    if (hi <= lo) return lo;
    uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    /* Rejection sampling: discard the top partial block to stay unbiased. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
    uint64_t x;
    do
        x = mg_rng_next(r);
    while (x >= limit);
    return (int)((int64_t)lo + (int64_t)(x % span));
}

bool
mg_rng_chance(mg_rng *r, double p)
{
    return mg_rng_uniform(r) < p;
}

int
mg_rng_weighted(mg_rng *r, const double *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        if (w[i] > 0) total += w[i];
    if (n <= 0 || total <= 0) return -1;
    double x = mg_rng_uniform(r) * total;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0) continue;
        last = i;
        if (x < w[i]) return i;
        x -= w[i];
    }
    return last; /* rounding left x just above the sum */
}
