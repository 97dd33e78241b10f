/*
 * wfile — a small file (a run's mark, a slice's run record, a list)
 * written whole, or not at all, on storage many hosts share.
 *
 * The bytes go to a hidden temporary beside the file, named for this
 * host and process (.NAME.tmp-<host>-<pid>: writers on many hosts of one
 * shared file system, each perhaps pid 1 in its container, never share
 * one),
 * are synced, and only then take the file's name: renamed over it, or
 * linked to it where the first writer must win (link() fails on an
 * existing name, also over NFS). The directory is synced after, so a
 * reader, after a crash too, sees no file or a whole one, never an empty
 * file where a rename or link outlived the data.
 */
#ifndef MG_WFILE_H
#define MG_WFILE_H

#include <stdbool.h>
#include <stddef.h>

/* Write len bytes of data as path. replace: over what is there; else
 * only when path is not there yet. 0 when written, 1 when path was
 * there (replace false: it is left as it was), -1 with one line in err
 * ("cannot write PATH: reason"). */
int mg_wfile_put(const char *path, const void *data, size_t len,
                 bool replace, char *err, size_t errlen);

/* fsync directory dir (the names made in it durable); 0 or -1. */
int mg_wfile_sync_dir(const char *dir);

#endif
