/*
 * dsstats — the distribution of a dataset, for `musicgen stats`: counts
 * by split, genre, key, mode, meter, instrument (layer and GM program)
 * and soundfont (layer and font); histograms of tempo, duration and
 * musicality score; failed samples (the manifest's "failed" rows, by
 * reason, and the first 100 of them by index) and half-written
 * directories.
 *
 * Streaming in one pass, constant memory: each sample.json is tokenized
 * (jdoc) and dropped; counters hold at most MG_DSSTATS_MAXKEYS distinct
 * values per dimension (further values are counted as "(other)");
 * histograms have fixed bins (tempo 40..240 BPM by 10, duration 0..300 s
 * by 15, score 0..1 by 0.05; values outside go to the edge bins and are
 * also reported as min and max).
 */
#ifndef MG_DSSTATS_H
#define MG_DSSTATS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dsread.h"

#define MG_DSSTATS_MAXKEYS 256

typedef struct mg_dsstats mg_dsstats;

mg_dsstats *mg_dsstats_new(void);
void mg_dsstats_destroy(mg_dsstats **sp);

/* Walk the tree at root (and its manifest, for failed rows), sample.json
 * read ahead by jobs threads (dsfetch.h: 0 one per core, 1 none; the
 * counts are the same). 0, or -1 with err when the tree cannot be read. */
int mg_dsstats_run(mg_dsstats *s, const char *root, int jobs,
                   const mg_dsprogress *progress, char *err, size_t errlen);

uint64_t mg_dsstats_samples(const mg_dsstats *s);

/* Report as text, or as one JSON object (new reference). */
void mg_dsstats_print(const mg_dsstats *s, FILE *f);
json_t *mg_dsstats_json(const mg_dsstats *s);

/* Write one SVG chart per dimension and histogram into dir (made if
 * needed), plus index.html showing them all. 0, or -1 with err. */
/* May --plot write into dir: absent, empty, or a directory an earlier
 * plot wrote (its index.html is ours: the charts are replaced)? A
 * directory of something else is refused (its index.html would be
 * replaced), naming what it holds. 0, or -1 and one line in err. */
int mg_dsstats_plot_dir_check(const char *dir, char *err, size_t errlen);
int mg_dsstats_plot(const mg_dsstats *s, const char *dir, char *err,
                    size_t errlen);

#endif
