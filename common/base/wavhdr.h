/*
 * wavhdr — what a RIFF/WAVE header says (channels, rate, block size and
 * where the data chunk lies), parsed from a file's first bytes. Used by
 * `verify` (dsverify.c) and `index-audio` (dsindex.c); the length other
 * formats' headers claim is audiohdr's.
 *
 * Invariants: reads only the n bytes given, never past them; a header
 * is ok only when a "fmt " chunk with non-zero channels, rate and block
 * size comes before the "data" chunk.
 */
#ifndef MG_WAVHDR_H
#define MG_WAVHDR_H

#include <stddef.h>
#include <stdint.h>

/* Fields are 0 when absent. */
typedef struct {
    int ok;
    unsigned channels, rate, block_align;
    uint64_t data_off, data_size;
} mg_wavhdr;

/* Parse the RIFF chunks up to "data" from a file's first n bytes: NULL,
 * or a short reason ("not a RIFF/WAVE file", ...). */
const char *mg_wavhdr_parse(const unsigned char *b, size_t n, mg_wavhdr *h);

#endif
