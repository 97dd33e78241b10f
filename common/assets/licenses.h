/*
 * licenses — the dataset root's LICENSES.md: every soundfont that
 * rendered (or, midi-only, was recorded for) at least one stem of a
 * finished sample, with its licence, the attribution it requires, its
 * source and how many stems use it.
 *
 * What was used is read from the samples themselves (manifest.jsonl rows
 * with status ok -> their sample.json "soundfonts"), so the file is right
 * whoever made the samples: one process, many local workers, or a cluster
 * whose workers never talk to each other. Attribution text comes from the
 * registry (sf/registry.json, or the NAME.sf2.json beside a dropped-in
 * font); a font the registry no longer knows is listed with what its
 * sample.json says. The file is replaced atomically (temp + rename).
 */
#ifndef MG_LICENSES_H
#define MG_LICENSES_H

#include <stddef.h>

/* Write root/LICENSES.md from root/manifest.jsonl. *nfonts (may be NULL)
 * receives the number of distinct fonts listed. Returns 0 or -1 with err. */
int mg_licenses_write(const char *root, const char *sf_dir, int *nfonts,
                      char *err, size_t errlen);

#endif
