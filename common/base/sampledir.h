/*
 * sampledir — the sample directories on disk: creating the tree, removing
 * one, and finding what a crash left behind. The engine publishes a
 * sample by renaming a hidden ".tmp-<id>-<pid>" directory into place with
 * sample.json already inside; so on disk a directory named by an index
 * without sample.json, or any ".tmp-*" directory, is never a sample.
 */
#ifndef MG_SAMPLEDIR_H
#define MG_SAMPLEDIR_H

#include <stdbool.h>

/* mkdir -p; 0 or -1 with errno. */
int mg_dir_make(const char *path);
/* rm -rf (does not follow symlinks); 0, or -1 if anything stayed. */
int mg_dir_remove(const char *path);

/* Walk root (and one level of shard directories) and call found() for
 * every partial directory: ".tmp-*" or an index directory without
 * sample.json. Finished samples and hidden state (".musicgen") are never
 * reported. Returns the number found, or -1 if root cannot be read. */
long mg_sampledir_partials(const char *root,
                           void (*found)(const char *path, void *arg),
                           void *arg);

#endif
