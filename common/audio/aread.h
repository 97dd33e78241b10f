/*
 * aread — an audio file a user gives (any format libsndfile reads), read
 * whole as mono float (channels averaged) for the audio score, refusing
 * what would be scored wrong without a word: a file that is not one, a
 * rate the analysis cannot take, a NaN or infinite sample, a file whose
 * header promises more than it holds.
 */
#ifndef MG_AREAD_H
#define MG_AREAD_H

#include <stddef.h>

/* The samples of path, malloc'd, *n of them at *rate Hz; NULL and one
 * line in err ("PATH: what") on any problem. */
float *mg_aread_mono(const char *path, size_t *n, int *rate, char *err,
                     size_t errlen);

#endif
