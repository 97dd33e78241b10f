/*
 * dsverify — is a dataset tree whole? The checks behind `musicgen verify`.
 *
 * Per sample (mg_dsverify_sample, thread-safe, any number at once):
 * sample.json reads and parses, validates against schema/sample.schema.json
 * (jschema), names its own index and the seed the run derives for it;
 * every file it names (midi, stems, mix) and every file under "checksums"
 * exists and has the recorded SHA-256 (OpenSSL EVP, 1 MiB reads, one
 * pass); every WAV's header is sound, its data chunk fits in the file and
 * its length is audio_frames and duration_seconds at sample_rate.
 *
 * Per tree (mg_dsverify_run): the samples in index order (dsread, half-
 * written directories included) checked by `jobs` threads, the results
 * taken back in index order and joined with manifest.jsonl, which must be
 * in index order with one row per index: a directory without a row, a row
 * "ok" without a directory, a duplicated row, a row whose path, seed,
 * split, score or duration disagree with sample.json, and every ".tmp-*"
 * or index directory without sample.json are problems; so is a
 * LICENSES.md whose table disagrees with the samples' soundfonts (none at
 * all is not: a tree made sample by sample through the library has
 * none). Memory: the
 * window of samples in flight plus one bit per manifest index.
 *
 * One run, one engine, one data set: the run-level fields of sample.json
 * (mg_dsverify_run_fields: the musicgen and fluidsynth versions, the
 * genre data's hash, the global seed, the output mode, ppq, the genres
 * asked for, the audio format) must be the run's in every sample. The
 * run's: the reference given by mg_dsverify_set_run (the ledger's or the
 * static slices' fingerprint and options; `musicgen verify` reads them),
 * else the first sample's. A field with other values (a Slurm array on
 * two builds, a tree merged by hand from two runs) is one problem line
 * "run: <field> differs between samples: ..." with each value, its count
 * and the first index of each that is not the run's. Per field, at most
 * MG_DSV_RUNVALS distinct values are told apart (the rest counted as
 * "more values"): constant memory over any number of samples.
 *
 * Every problem is one line "<where>: <file>: <what>" where <where> is
 * the sample's path relative to the root (or "manifest.jsonl:<line>").
 */
#ifndef MG_DSVERIFY_H
#define MG_DSVERIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dsread.h"

typedef struct mg_dsverify mg_dsverify;

/* The run-level fields (the same in every sample of one run). */
#define MG_DSV_NRUN 10
extern const char *const mg_dsverify_run_fields[MG_DSV_NRUN];
/* A field's value as kept: its compact JSON text, a longer one cut and
 * tagged with a hash of the whole ("" when the sample has none). */
#define MG_DSV_RUNLEN 80
/* Distinct values told apart per field. */
#define MG_DSV_RUNVALS 8

/* schema_path: the JSON Schema of sample.json. NULL and a message when it
 * cannot be loaded. */
mg_dsverify *mg_dsverify_new(const char *schema_path, char *err,
                             size_t errlen);
void mg_dsverify_destroy(mg_dsverify **vp);
/* Quick: every file's existence and size, every WAV's header and length
 * (read from its first bytes), but no SHA-256 - a copy's completeness in
 * seconds, not its bytes (the totals' bytes are then the files' sizes). */
void mg_dsverify_set_quick(mg_dsverify *v, bool quick);
/* The run's value of a run-level field: its JSON text (compact), and
 * where it was read (e.g. ".musicgen/ledger.sqlite", the same for every
 * field). 0, or -1 when field is none of mg_dsverify_run_fields. */
int mg_dsverify_set_run(mg_dsverify *v, const char *field, const char *json,
                        const char *source);

/* What one sample's check found. */
typedef struct {
    char *text;      /* problem lines "<file>: <what>\n", malloc'd */
    size_t len, cap;
    int nproblems;
    bool parsed;     /* sample.json parsed as an object */
    uint64_t index;  /* sample_index in sample.json */
    uint64_t seed;   /* seed in sample.json (exact, from its text) */
    char split[8];
    double score, duration;
    int files;       /* files hashed */
    uint64_t bytes;  /* bytes hashed */
    void *fonts;     /* its "soundfonts" (a json_t reference), or NULL */
    char run[MG_DSV_NRUN][MG_DSV_RUNLEN]; /* run-level fields ("": none) */
} mg_dsverify_result;

/* Check the sample directory dir (holding sample.json), expected to be
 * sample `index`. Fills r (call mg_dsverify_result_free after). Returns
 * r->nproblems, or -1 when memory ran out. buf: a scratch buffer of
 * bufsize bytes (at least 64 KiB) owned by the calling thread. */
int mg_dsverify_sample(const mg_dsverify *v, const char *dir,
                       uint64_t index, unsigned char *buf, size_t bufsize,
                       mg_dsverify_result *r);
void mg_dsverify_result_free(mg_dsverify_result *r);

/* SHA-256 of a file as 64 hex digits; 0, or -1 with errno. */
int mg_dsverify_sha256(const char *path, char hex[65]);

typedef struct {
    uint64_t samples;   /* complete sample directories checked */
    uint64_t partials;  /* half-written directories */
    uint64_t rows;      /* manifest rows read */
    uint64_t files, bytes;
    uint64_t problems;
    double seconds;     /* wall time of the run */
    double cpu_seconds; /* user + system time of all its threads */
} mg_dsverify_totals;

/* Verify the tree at root with `jobs` threads, writing each problem line
 * to out as it is found (in index order). Returns 0 when the walk was
 * done (t->problems says whether the tree is whole), -1 with err when it
 * could not be (root unreadable, mixed layout, out of memory). */
int mg_dsverify_run(const mg_dsverify *v, const char *root, int jobs,
                    const mg_dsprogress *progress, FILE *out,
                    mg_dsverify_totals *t, char *err, size_t errlen);

#endif
