/*
 * fetch — download one asset with libcurl and install it atomically.
 *
 * The bytes go to DIR/.FILENAME.part (appended to: a partial file left by
 * a failure is resumed with an HTTP Range request), with connect and
 * stall timeouts and retries with exponential back-off; when complete the
 * file's SHA-256 must equal the registry's before it is fsync'ed and
 * renamed to DIR/FILENAME, with the licence sidecar DIR/FILENAME.json
 * written (temp + rename) just before. A checksum mismatch deletes the
 * partial file. Whatever fails, DIR/FILENAME is either absent or the old
 * complete file: nothing half-installed ever has the final name.
 */
#ifndef MG_FETCH_H
#define MG_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "assets.h"

typedef struct {
    int retries;            /* attempts after the first (default 3) */
    long backoff_ms;        /* first back-off, doubled each retry (1000) */
    long connect_timeout_s; /* (15) */
    long stall_s;           /* abort when under 1 byte/s this long (30) */
    bool progress;          /* a progress bar on stderr */
    bool force;             /* download even if installed with the sum */
} mg_fetch_opts;

void mg_fetch_opts_defaults(mg_fetch_opts *o);

/* Install asset a into dir (made if missing). *fetched: false when it was
 * already installed with the right SHA-256. Returns 0 or -1 with one line
 * in err naming the asset and the cause. */
int mg_fetch_asset(const mg_asset *a, const char *dir,
                   const mg_fetch_opts *o, bool *fetched, char *err,
                   size_t errlen);

/* SHA-256 hex of a file. */
int mg_fetch_sha256(const char *path, char out[65], char *err,
                    size_t errlen);

#endif
