/*
 * export — one pass over a dataset tree (dsread) that writes it in a
 * format other tools read: JSONL, CSV, Parquet, the Hugging Face
 * audiofolder layout, JAMS, WebDataset tar shards. docs/export.md.
 *
 * Invariants:
 *  - One row (file, tar group) per complete sample that passes the
 *    filters, in index order; half-written directories, unreadable or
 *    invalid sample.json files and the manifest's failed rows are left
 *    out and counted in mg_export_stats.
 *  - Constant memory in the number of samples: rows are streamed, the
 *    Parquet writer flushes a row group every `row_group` rows.
 *  - The output appears whole or not at all: a file is written beside
 *    its final name and renamed into place; a directory (hf, jams,
 *    webdataset) is built as "<out>.tmp-<host>-<pid>" and renamed at
 *    the end (a killed export's leftovers on this host are removed by
 *    the next one).
 *  - Columns come from the data: every scalar of sample.json (nested
 *    objects flattened to dotted names, "musicality.symbolic.score"),
 *    every list, and the file paths (path, mix_path, stem_<layer>_path,
 *    midi_<layer>_path); sample.json's `notes` (every note of every
 *    layer, most of a row) only with `notes` set, though it is validated
 *    either way. Tabular formats take their columns from the first
 *    exported samples; a later sample's extra fields are counted.
 */
#ifndef MG_EXPORT_H
#define MG_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsread.h"

typedef enum {
    MG_EXPORT_JSONL,
    MG_EXPORT_CSV,
    MG_EXPORT_PARQUET,
    MG_EXPORT_HF,
    MG_EXPORT_JAMS,
    MG_EXPORT_WEBDATASET,
} mg_export_fmt;

typedef enum {
    MG_CODEC_NONE,
    MG_CODEC_SNAPPY,
    MG_CODEC_ZSTD,
} mg_export_codec;

typedef struct {
    const char *root; /* dataset root */
    /* file (jsonl, csv, parquet) or directory; "-": standard output
     * (jsonl, csv, parquet). A name with "{split}" in it (not hf, which
     * has a directory per split already): one output per split kept, in
     * one pass, the tabular ones each with every column of the export
     * ("ds-{split}.parquet": ds-train.parquet, ...; "wds-{split}":
     * wds-train/ with its shards, card and LICENSES.md, ...) */
    const char *out;
    mg_export_fmt fmt;
    bool relative;     /* paths relative to the dataset root */
    bool no_midi;      /* no MIDI paths / files */
    bool notes;        /* tabular formats: the notes.<layer>.* columns */
    /* jsonl, csv, parquet, hf: only the columns these comma-separated
     * patterns name (a column's name, or a pattern with * and ?), in the
     * patterns' order (a pattern's columns in the sample's order); NULL:
     * every column. A pattern no column matches is an error naming the
     * columns like it. "notes.*" patterns imply notes. */
    const char *columns;
    const char *split; /* comma list of splits kept; NULL keeps all */
    const char *genre; /* comma list: kept if `genre` or a `genres` item */
    bool has_min_score;
    double min_score;     /* musicality_score >= this */
    unsigned shard_size;  /* webdataset: samples per tar (0: 1000) */
    unsigned row_group;   /* parquet: rows per row group (0: 8192) */
    mg_export_codec codec; /* parquet (default zstd) */
    bool overwrite;        /* replace an existing output */
    /* Threads reading and tokenizing sample.json and building rows ahead
     * of the writer (dsfetch.h); 0: one per core, at most
     * MG_DSFETCH_AUTO_JOBS (8); 1: none (the writer's thread reads). The
     * output is the same for every value. */
    unsigned jobs;
    /* hf, webdataset: the soundfont registry LICENSES.md takes attribution
     * texts from (NULL: the installed data's, mg_data_dir()/sf). */
    const char *sf_dir;
    /* A display of how far the pass is (dsread.h); zero: none. */
    mg_dsprogress progress;
} mg_export_opts;

typedef struct {
    uint64_t rows;        /* written */
    uint64_t partial;     /* half-written directories */
    uint64_t invalid;     /* sample.json unreadable or not valid JSON */
    char first_invalid[400]; /* the first such sample and why, for the report */
    uint64_t failed;      /* manifest rows with status "failed" */
    uint64_t filtered;    /* complete, but not kept by a filter */
    uint64_t no_audio;    /* hf: complete, but without a mix */
    uint64_t dropped_fields; /* values not in the first sample's columns */
    uint64_t bad_values;  /* values whose type differs from the column's */
    uint64_t files;       /* hf, jams, webdataset: files written */
    int fonts;            /* hf, webdataset: fonts in its LICENSES.md */
    uint64_t unreadable;  /* a file the sample names is missing/unreadable */
    char first_unreadable[300]; /* the first such problem, for the report */
    /* jsonl, csv, parquet (which read no file): rows whose sample.json
     * names a file outside its directory, that path column left null */
    uint64_t unsafe_paths;
    char first_unsafe[300];
    /* --genre: the listed genres no sample had (comma list; empty: none),
     * and the genres the samples had, for the report. When no sample had
     * any listed genre, mg_export_run fails instead, naming them. */
    char genres_absent[256];
    char genres_seen[512];
    /* "{split}" in out: the files written, one per split kept, and their
     * rows (nsplit 0 otherwise) */
    int nsplit;
    char split_name[3][8];
    uint64_t split_rows[3];
} mg_export_stats;

/* "jsonl" ... "webdataset" / "zstd", "snappy", "none"; 0 or -1. */
int mg_export_fmt_parse(const char *s, mg_export_fmt *f);
int mg_export_codec_parse(const char *s, mg_export_codec *c);
const char *mg_export_fmt_name(mg_export_fmt f);

/* Check the options a caller filled in, before any file is touched: ROOT
 * and the output named, each --split word one of train, valid, test (a
 * typo would otherwise keep nothing and say only "filtered"), --split and
 * --genre not empty, min_score in [0, 1], a known format and codec. 0, or -1 and one line in err naming the
 * option (mg_export_run calls it first, so every caller gets it). */
int mg_export_opts_check(const mg_export_opts *o, char *err, size_t errlen);

/* Run the export; 0, or -1 and one line in err (nothing left at out). */
int mg_export_run(const mg_export_opts *o, mg_export_stats *st, char *err,
                  size_t errlen);

#endif
