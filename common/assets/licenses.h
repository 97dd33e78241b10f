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

#include <jansson.h>

#include "song.h"

/* sf_dir, here and below: the soundfont registry the attribution texts
 * come from; NULL: the installed data's (mg_data_dir()/sf). */

/* Write root/LICENSES.md from root/manifest.jsonl. *nfonts (may be NULL)
 * receives the number of distinct fonts listed. Returns 0 or -1 with err. */
int mg_licenses_write(const char *root, const char *sf_dir, int *nfonts,
                      char *err, size_t errlen);

/* The same file for any set of samples (`export` writes one for the rows
 * it wrote): fonts noted sample by sample, then saved. */
typedef struct mg_licenses mg_licenses;

/* One layer's font as sample.json's `soundfonts.<layer>` records it;
 * name NULL: the layer has none. Strings are copied. */
typedef struct {
    const char *name, *license, *license_class, *path;
} mg_license_font;

mg_licenses *mg_licenses_new(void); /* NULL: out of memory */
void mg_licenses_free(mg_licenses **l);
/* One sample's fonts, by layer (MG_NLAYERS entries). */
void mg_licenses_add(mg_licenses *l, const mg_license_font f[MG_NLAYERS]);
/* The same from sample.json's "soundfonts" object (NULL or not an object:
 * a sample without fonts, counted with none). */
void mg_licenses_add_json(mg_licenses *l, const json_t *soundfonts);
/* Write the file at path (atomically: a hidden temporary beside it,
 * renamed). whose and unit name what it covers in its first paragraph
 * ("dataset", "finished sample"); attribution texts come from sf_dir's
 * registry. 0, or -1 with err. */
int mg_licenses_save(mg_licenses *l, const char *sf_dir, const char *path,
                     const char *whose, const char *unit, int *nfonts,
                     char *err, size_t errlen);

/* Compare the LICENSES.md at path with the fonts noted in l: its sample
 * count, and per font its licence, class, stems by layer and samples
 * (the table; attribution texts depend on the registry of the machine
 * that wrote it and are not compared). Each difference is one line given
 * to say(). The number of differences, or -1 with errno when the file
 * cannot be read. */
int mg_licenses_check(mg_licenses *l, const char *path,
                      void (*say)(void *arg, const char *line), void *arg);

#endif
