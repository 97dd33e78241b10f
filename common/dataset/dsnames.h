/*
 * dsnames — names the dataset readers (stats, index, verify) share: the
 * General MIDI program and drum-kit names of sf/gm-names.json (data, not
 * code), and the rule for a relative path a sample.json may name (never
 * absolute, no ".." component: a tool never leaves the dataset).
 */
#ifndef MG_DSNAMES_H
#define MG_DSNAMES_H

#include <stdbool.h>

#define MG_GM_NAME_MAX 48

/* Fill prog[p] and kit[p] (p < 128) from sf/gm-names.json under the data
 * directory; names missing there, or a missing file, stay as they were
 * (callers zero them: "" is unknown). */
void mg_gm_names_load(char prog[128][MG_GM_NAME_MAX],
                      char kit[128][MG_GM_NAME_MAX]);

/* A relative path a sample may name: not empty, not absolute, no "..". */
bool mg_ds_rel_safe(const char *p);

#endif
