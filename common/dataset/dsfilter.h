/*
 * dsfilter — `musicgen filter`: move the samples whose musicality_score
 * (from their sample.json) is below a threshold into a reject directory,
 * at the same relative path, and split manifest.jsonl accordingly.
 *
 * Steps, each idempotent, so a run killed at any moment is finished by
 * running it again:
 *  1. each reject is moved with one rename(2) of its whole directory
 *     (the reject directory must be on ROOT's file system; refused
 *     otherwise, before anything moves): at every moment a sample is
 *     either in place or in the reject directory, whole, never both;
 *  2. the manifests are rebuilt from what is on disk: every "ok" row of
 *     ROOT's manifest whose sample now lives in the reject directory goes
 *     to <reject>/manifest.jsonl (merged in index order with the rows
 *     already there, one per index), every other row stays; the reject
 *     manifest is replaced first, then ROOT's (dsfile: temp + rename), so
 *     no row is ever in neither.
 * A reject directory is itself a dataset (same layout, its own manifest):
 * `musicgen verify` and `export` read it.
 *
 * Before its first move, filter records the reject directory's absolute
 * path in ROOT/.musicgen/reject-dirs (one per line, each once): a later
 * `musicgen generate` of the same run finds there that a sample gone from
 * ROOT was filtered out, not lost, and does not make it again.
 */
#ifndef MG_DSFILTER_H
#define MG_DSFILTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dsread.h"

typedef struct {
    uint64_t samples;   /* complete samples in ROOT at the start */
    uint64_t below;     /* of them, below the threshold */
    uint64_t moved;     /* moved by this run */
    uint64_t problems;  /* samples left alone because of a fault */
    uint64_t kept_rows, reject_rows; /* rows of the two new manifests */
    uint64_t dropped_rows; /* lines of them that were no row: left out */
    bool split;         /* the manifests were rebuilt (false: nothing
                           was ever rejected, manifest.jsonl untouched) */
} mg_dsfilter_totals;

/* reject_dir NULL: <root>/rejected. jobs: threads reading sample.json
 * ahead (dsfetch.h; 0 one per core, 1 none). dry_run: report, change
 * nothing (and takes no lock; otherwise ROOT's run lock, runlock.h, is
 * held throughout: refused, -1 naming the holder, while a run or another
 * score/filter/clean/merge writes the tree).
 * log: one line per sample moved (or that would be) and per problem.
 * Returns 0 when the run completed (t->problems may be non-zero), -1
 * with err when it could not. Test hook: MUSICGEN_TEST_KILL_AFTER=K
 * kills the process right after its K-th move (mg_ds_test_step). */
int mg_dsfilter_run(const char *root, double min_score, const char *reject_dir,
                    int jobs, const mg_dsprogress *progress, bool dry_run,
                    FILE *log, mg_dsfilter_totals *t, char *err, size_t errlen);

/* The reject directories recorded for root, at most max, into dirs
 * (each malloc'd; the caller frees them). Returns how many (0 when none
 * were recorded). */
#define MG_DSFILTER_MAX_REJECT_DIRS 16
int mg_dsfilter_reject_dirs(const char *root, char **dirs, int max);

#endif
