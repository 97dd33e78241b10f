/*
 * dsverify_priv — what the files of `musicgen verify` share (dsverify.c:
 * the tree, the manifest and sample.json; dsverify_file.c: the files a
 * sample names).
 */
#ifndef MG_DSVERIFY_PRIV_H
#define MG_DSVERIFY_PRIV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dsverify.h"

#define BUF_SIZE (1u << 20)

/* errno for a path that is no regular file (a FIFO, a directory, a
 * device): ESPIPE, which nothing here can meet otherwise (no seeks); the
 * messages say "not a regular file" (mg_dsv_why_err). */
#define EFTYPE_NOTREG ESPIPE

/* strerror(en), or "not a regular file" for EFTYPE_NOTREG. */
const char *mg_dsv_why_err(int en);

/* One problem line into r (control bytes shown as '?'); counted even
 * when memory runs out for its text. */
void mg_dsv_problem(mg_dsverify_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* File rel of sample directory dir: inside the sample, there, its
 * SHA-256 want_hex (not compared when quick), and for a WAV its header,
 * length, rate and duration against sample.json j. Problems into r. */
void mg_dsv_check_file(const char *dir, const char *rel, const char *want_hex,
                       const json_t *j, unsigned char *buf, size_t bufsize,
                       bool quick, mg_dsverify_result *r);

#endif
