/*
 * seed — sample seeds, named streams and splits (formulas in seed.h).
 * The text encodings are the Python tool's, so seeds carry over unchanged
 * for users who migrate: "<global_seed>:<sample_index>" and
 * "split:<sample_seed>", both plain ASCII decimal, no padding, no newline.
 */
#include "seed.h"

#include <inttypes.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stream salts: the stream's name in ASCII, packed big-endian. */
static const uint64_t stream_salt[MG_NSTREAMS] = {
    0x706172616d730000ULL, /* "params" */
    0x67656e6572617400ULL, /* "generat" */
    0x736f756e64660000ULL, /* "soundf" */
    0x6678000000000000ULL, /* "fx" */
    0x6d69780000000000ULL, /* "mix" */
};

static const char *stream_names[MG_NSTREAMS] = {
    "params", "generators", "soundfonts", "fx", "mix",
};

static uint64_t
sha_prefix(const char *text, int nbytes)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), d);
    uint64_t v = 0;
    for (int i = 0; i < nbytes; i++)
        v = (v << 8) | d[i];
    return v;
}

uint64_t
mg_sample_seed(int64_t global_seed, uint64_t sample_index)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%" PRId64 ":%" PRIu64, global_seed,
             sample_index);
    return sha_prefix(buf, 8);
}

uint64_t
mg_attempt_seed(uint64_t sample_seed, int attempt)
{
    return sample_seed + (uint64_t)(attempt - 1);
}

static int
cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
mg_genre_key(char *out, size_t size, const char *const *names, int n)
{
    const char *sorted[64];
    size_t k = 0;

    if (n <= 0)
        return snprintf(out, size, "default") >= (int)size ? -1 : 0;
    if (n > 64)
        return -1;
    memcpy(sorted, names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_name);
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + k, size - k, "%s%s", i ? "+" : "", sorted[i]);
        if (w < 0 || (size_t)w >= size - k)
            return -1;
        k += (size_t)w;
    }
    return 0;
}

uint64_t
mg_genre_salt(const char *genre_key)
{
    char buf[1100];
    snprintf(buf, sizeof buf, "genre:%s", genre_key);
    return sha_prefix(buf, 8);
}

void
mg_streams_init(mg_rng out[MG_NSTREAMS], uint64_t attempt_seed,
                uint64_t genre_salt)
{
    for (int k = 0; k < MG_NSTREAMS; k++)
        mg_rng_seed(&out[k], attempt_seed ^ stream_salt[k] ^ genre_salt);
}

const char *
mg_stream_name(mg_stream s)
{
    return (unsigned)s < MG_NSTREAMS ? stream_names[s] : "?";
}

mg_split
mg_split_of(uint64_t sample_seed, const double ratios[3])
{
    char buf[40];
    snprintf(buf, sizeof buf, "split:%" PRIu64, sample_seed);
    /* Integer hundredths keep the comparison exact: v in [0, 9999]. */
    uint64_t v = sha_prefix(buf, 4) % 10000;
    double pct = (double)v / 100.0;
    if (pct < ratios[0] * 100.0) return MG_SPLIT_TRAIN;
    if (pct < (ratios[0] + ratios[1]) * 100.0) return MG_SPLIT_VALID;
    return MG_SPLIT_TEST;
}

const char *
mg_split_name(mg_split s)
{
    switch (s) {
    case MG_SPLIT_TRAIN: return "train";
    case MG_SPLIT_VALID: return "valid";
    case MG_SPLIT_TEST: return "test";
    }
    return "?";
}
