/*
 * rfile — open a file the user named, refusing what is not a regular file.
 *
 * Config files, genre data, registries and soundfonts come from paths a
 * user types. A device (/dev/zero), a FIFO or a directory there makes a
 * naive reader spin or block for ever; these helpers open without blocking
 * (O_NONBLOCK, so a FIFO with no writer cannot hang the open), check that
 * the file is regular and below a size bound, and only then hand it over.
 */
#ifndef MG_RFILE_H
#define MG_RFILE_H

#include <stddef.h>
#include <stdio.h>

/* Open path for reading; 0 on success with *fp set, else -1 and one line
 * in err naming the path and the problem (missing, not a regular file,
 * larger than max_bytes when max_bytes > 0). */
int mg_rfile_open(const char *path, long long max_bytes, FILE **fp,
                  char *err, size_t errlen);

/* Check only: path names a readable regular file (0) or not (-1, err). */
int mg_rfile_check(const char *path, char *err, size_t errlen);

/* Read a whole regular file of at most max_bytes into a NUL-terminated
 * malloc'd buffer (*len without the NUL); the caller frees it. */
int mg_rfile_read(const char *path, long long max_bytes, char **buf,
                  size_t *len, char *err, size_t errlen);

/* Bytes of a UTF-8 byte order mark at the start of text: 3, else 0. A
 * Windows editor writes one; in a text file a user wrote it is no part of
 * the first line. mg_rfile_skip_bom reads past one in a file just opened. */
size_t mg_rfile_bom(const char *text, size_t len);
void mg_rfile_skip_bom(FILE *f);

/* Parse a regular file of JSON (jansson flags), a leading byte order mark
 * ignored (RFC 8259 allows it); NULL and one line in err
 * ("PATH:LINE: reason", or the rfile refusal) on failure. Data files are
 * bounded by MG_RFILE_JSON_MAX bytes. */
#define MG_RFILE_JSON_MAX (64LL << 20)
struct json_t;
struct json_t *mg_rfile_json(const char *path, size_t flags, char *err,
                             size_t errlen);

#endif
