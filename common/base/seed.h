/*
 * seed — the determinism contract: sample seeds, attempt seeds, named
 * random streams and the train/valid/test split. docs/determinism.md gives
 * the formulas; tests/unit/test_seed.c pins them with vectors.
 *
 *   sample_seed  = big-endian u64 of SHA-256("<global_seed>:<sample_index>")[0..8)
 *   attempt_seed = sample_seed + (attempt - 1)          (mod 2^64)
 *   genre_salt   = big-endian u64 of SHA-256("genre:<genre key>")[0..8),
 *                  genre key = the run's genre names sorted bytewise and
 *                  joined by "+" ("default" when none is given)
 *   stream k     = xoshiro256** seeded with
 *                  attempt_seed ^ MG_STREAM_SALT[k] ^ genre_salt
 *   split        = big-endian u32 of SHA-256("split:<sample_seed>")[0..4)
 *                  mod 10000 / 100, against cumulative ratios x 100
 */
#ifndef MG_SEED_H
#define MG_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

typedef enum {
    MG_STREAM_PARAMS,
    MG_STREAM_GENERATORS,
    MG_STREAM_SOUNDFONTS,
    MG_STREAM_FX,
    MG_STREAM_MIX,
    MG_NSTREAMS
} mg_stream;

typedef enum { MG_SPLIT_TRAIN, MG_SPLIT_VALID, MG_SPLIT_TEST } mg_split;

uint64_t mg_sample_seed(int64_t global_seed, uint64_t sample_index);
uint64_t mg_attempt_seed(uint64_t sample_seed, int attempt);
/* The canonical genre key of a run: names sorted bytewise, joined by "+",
 * "default" when n == 0. Returns -1 when it does not fit in `size`. */
int mg_genre_key(char *out, size_t size, const char *const *names, int n);
uint64_t mg_genre_salt(const char *genre_key);
void mg_streams_init(mg_rng out[MG_NSTREAMS], uint64_t attempt_seed,
                     uint64_t genre_salt);
const char *mg_stream_name(mg_stream s);
/* ratios: train, valid, test; they sum to 1 (validated by config). */
mg_split mg_split_of(uint64_t sample_seed, const double ratios[3]);
const char *mg_split_name(mg_split s);

#endif
