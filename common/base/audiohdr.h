/*
 * audiohdr — the length that the header of a WAV, RF64, Wave64, AIFF/AIFC
 * or AU file claims, for `score-audio` (libsndfile shortens a file's
 * length to the bytes present without a word: a file cut short would be
 * scored as a short song).
 *
 * Invariants: reads only the n bytes given, never past them.
 */
#ifndef MG_AUDIOHDR_H
#define MG_AUDIOHDR_H

#include <stddef.h>
#include <stdint.h>

/* The samples a header claims: bytes data_size from byte data_off, a
 * frame block_align bytes (never 0). kind names the format ("WAV",
 * "RF64", "Wave64", "AIFF", "AU"). */
typedef struct {
    const char *kind;
    unsigned block_align;
    uint64_t data_off, data_size;
} mg_audiohdr;

/* Parse a file's first n bytes: NULL when they hold one of those headers
 * with a length claimed, else a short reason (another format, a streamed
 * file's "unknown" size, a compressed AIFC or AU encoding whose frame
 * size is not fixed, ...). */
const char *mg_audiohdr_claim(const unsigned char *b, size_t n,
                              mg_audiohdr *h);

#endif
