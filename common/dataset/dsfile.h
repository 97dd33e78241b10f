/*
 * dsfile — replacing files of a dataset tree so that a kill -9 (or a
 * power cut) at any moment leaves either the old file or the new one,
 * whole: write a temporary file beside it, fsync it, rename it over the
 * old one, fsync the directory. Used by `score` (sample.json, manifest)
 * and `filter` (both manifests).
 *
 * mg_dsout streams a new version of a file line by line (a manifest of a
 * million rows needs no memory); nothing is visible until _commit.
 * Temporary names: ".<name>.tmp" beside the target for _replace (its
 * callers, score and filter, hold the run lock: a later run overwrites
 * what a killed one left); ".<name>.tmp-<host>-<pid>" for mg_dsout, whose
 * outputs (the index's database) two commands may write at once: each
 * writes its own, the last rename wins, and a killed one's leftover is
 * swept by the next on this host (mg_dsfile_sweep), so none accumulate.
 */
#ifndef MG_DSFILE_H
#define MG_DSFILE_H

#include <stddef.h>

#include <jansson.h>

/* What a writer killed on this host left beside out: "<out>.tmp-<host>-
 * <pid>" (an output being written) and "<out>.old-<host>-<pid>" (a
 * replaced directory on its way out) whose pid is gone; for a large
 * export, gigabytes. Another host's are left alone (its writer may be
 * running). */
void mg_dsfile_sweep(const char *out, const char *host);

/* Replace path by text[0..len) atomically. 0, or -1 with a message. */
int mg_dsfile_replace(const char *path, const char *text, size_t len,
                      char *err, size_t errlen);

typedef struct mg_dsout mg_dsout;

/* Start a new version of path. NULL and a message on error. Path "-" is
 * standard output instead (index-midi/-audio --out -): written as it
 * comes, flushed at commit, nothing renamed. */
mg_dsout *mg_dsout_open(const char *path, char *err, size_t errlen);
/* Append one manifest row (compact, sorted keys, u64 seeds kept) and a
 * newline. 0 or -1 (the error is reported by _commit). */
int mg_dsout_row(mg_dsout *o, const json_t *row);
/* Append len bytes of text as they are. 0 or -1 (the error is reported
 * by _commit). */
int mg_dsout_write(mg_dsout *o, const char *text, size_t len);
/* Flush, fsync, rename into place, fsync the directory; frees o. */
int mg_dsout_commit(mg_dsout **op, char *err, size_t errlen);
/* Drop the new version (the old file stays); frees o. */
void mg_dsout_abort(mg_dsout **op);

#endif
