/* jdoc_numblk.h — internal to the tokenizer (jdoc.c, jdoc_numblk.c): the
 * block scanner for a run of numbers in an array. */
#ifndef MG_JDOC_NUMBLK_H
#define MG_JDOC_NUMBLK_H

#include <stddef.h>
#include <stdint.h>

/* s[i] starts a number and i + 80 <= n. Checks the run of numbers there
 * 64 bytes at a time (jdoc_numblk.c says which bytes may stand where);
 * with op, writes its compact text at *op and advances it; with cnt, adds
 * its numbers to *cnt and their MG_JK_* kinds to *kd. The index past the
 * last comma taken, or 0 (nothing written or counted: the caller's byte
 * loop takes the same bytes). Always 0 where no SIMD level is on. */
size_t mg_jdoc_num_block(const unsigned char *s, size_t i, size_t n,
                         char **op, unsigned *kd, uint32_t *cnt);

#endif
