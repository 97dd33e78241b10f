/*
 * musicgen_handles — the structures behind libmusicgen's opaque handles
 * and the error helper, shared by the library's files (musicgen.c: the
 * objects, one sample; musicgen_batch.c: the batch and LICENSES.md). Not
 * installed; nothing here is exported (no musicgen_* names).
 */
#ifndef MUSICGEN_HANDLES_H
#define MUSICGEN_HANDLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "musicgen.h"
#include "plan.h"

struct musicgen_config {
    mg_config cfg;
    char err[512];
};

struct musicgen_engine {
    mg_engine *eng;
    mg_config cfg;
    char fingerprint[512];
    char err[512];
    char *laid_out;     /* the root whose layout was found to be cfg's */
};

struct musicgen_plan {
    mg_plan *plan;
};

struct musicgen_sample {
    mg_row row;
    int64_t global_seed;
    bool inmem;
    mg_sample_mem mem;
    char *dir;          /* generate_to_dir */
    char *manifest;     /* last musicgen_sample_manifest_row */
};

/* printf into dst (n bytes, always terminated); NULL or 0: nothing. */
void mgapi_seterr(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
