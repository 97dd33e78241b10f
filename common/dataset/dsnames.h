/*
 * dsnames — names the dataset readers (stats, index, verify) share: the
 * General MIDI program and drum-kit names of sf/gm-names.json (data, not
 * code), and the rule for a relative path a sample.json may name (never
 * absolute, no ".." component: a tool never leaves the dataset), and
 * where a command's output may not go in a dataset.
 */
#ifndef MG_DSNAMES_H
#define MG_DSNAMES_H

#include <stdbool.h>
#include <stddef.h>

#define MG_GM_NAME_MAX 48

/* Fill prog[p] and kit[p] (p < 128) from sf/gm-names.json under the data
 * directory; names missing there, or a missing file, stay as they were
 * (callers zero them: "" is unknown). */
void mg_gm_names_load(char prog[128][MG_GM_NAME_MAX],
                      char kit[128][MG_GM_NAME_MAX]);

/* A relative path a sample may name: not empty, not absolute, no "..". */
bool mg_ds_rel_safe(const char *p);

/* May a command write its output out (a directory when dir) beside the
 * dataset root (absroot: its real path)? Never the dataset, a directory
 * holding it (replacing it would delete the dataset), a directory inside
 * it, or a file in a sample, a shard or .musicgen/, or in place of its
 * manifest.jsonl or LICENSES.md; a new file at its top is fine. opt
 * names the option in the message. 0, or -1 and one line in err. */
int mg_ds_out_check(const char *opt, const char *out, const char *root,
                    const char *absroot, bool dir, char *err, size_t errlen);

#endif
