/*
 * dsindex — `musicgen index-midi` and `index-audio`: a database of a
 * dataset's files, one record per MIDI file (midi) or per WAV stem and
 * mix (audio), each with its sample's ground truth from sample.json
 * (tempo, key, mode, metre, genre, split, score, duration) and its own
 * (layer, GM program and class, font and licence, WAV format). Written as
 * JSON Lines and/or CSV; the schema is docs/index.md.
 *
 * Invariants:
 *  - One streaming pass over the tree (dsread: flat or sharded, index
 *    order), then one over the manifest: memory does not grow with the
 *    dataset.
 *  - Records in index order; in a sample, layers in the order
 *    sample.json lists them (sorted by name), the mix last.
 *  - Only files that are there go in: half-written samples, samples
 *    whose sample.json is unreadable, failed samples (manifest rows) and
 *    listed files that are missing (or, for WAVs, whose header is bad or
 *    whose data is cut short) are left out and counted.
 *  - Every column is in every record, in one fixed order (docs/index.md),
 *    null where it does not apply; a column's JSON type never changes
 *    (reals always carry a '.' or an exponent).
 *  - Outputs appear whole or not at all (written beside, fsync'd,
 *    renamed into place): an error leaves no file and an old one intact.
 */
#ifndef MG_DSINDEX_H
#define MG_DSINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "dsread.h"

typedef enum { MG_DSINDEX_MIDI, MG_DSINDEX_AUDIO } mg_dsindex_kind;

typedef struct {
    uint64_t records;      /* lines written */
    uint64_t samples;      /* complete samples read */
    uint64_t half_written; /* .tmp-* and index directories lacking sample.json */
    uint64_t unreadable;   /* sample.json present but not a JSON object */
    uint64_t failed;       /* manifest rows with status "failed" */
    uint64_t missing;      /* listed files absent, or WAVs unusable */
} mg_dsindex_totals;

/* Index the dataset at root into json_path (JSON Lines) and/or csv_path
 * (either may be NULL, not both), sample.json read ahead by jobs threads
 * (dsfetch.h: 0 one per core, 1 none; the output is the same). Paths are
 * relative to root, or with base (may be NULL) to that directory
 * ("../" where root is not under it). 0, or -1 with one line in err. */
int mg_dsindex_run(const char *root, mg_dsindex_kind kind, int jobs,
                   const mg_dsprogress *progress, const char *json_path,
                   const char *csv_path, const char *base,
                   mg_dsindex_totals *t, char *err, size_t errlen);

/* The column names of a kind, in output order; NULL-terminated. */
const char *const *mg_dsindex_columns(mg_dsindex_kind kind);

#endif
