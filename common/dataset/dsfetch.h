/*
 * dsfetch — a dataset's samples in index order, each with its sample.json
 * read and tokenized, by threads working ahead of the caller.
 *
 * The dataset commands (export, stats, score, filter, index-midi/audio)
 * spend most of a sample reading and tokenizing sample.json (and, for
 * score, analysing its mix), while what they write must come in index
 * order, one sample at a time. With jobs >= 2, that many threads take the
 * next sample off the reader (mg_dsread, under a lock: the walk and the
 * file's read), tokenize it and run the caller's prep() on it (filters,
 * an export row, a jansson tree, an audio analysis) into one of a ring of
 * slots, while the caller works on an earlier one; with jobs <= 1 the
 * same is done in the caller's thread, with no thread, lock or copy.
 *
 * Invariants:
 *  - Items come in mg_dsread's order, each exactly once, whatever the
 *    number of jobs and the threads' timing: the output of a caller that
 *    is deterministic given the items is the same for every jobs.
 *  - Constant memory: at most MG_DSFETCH_AHEAD items per job are read
 *    ahead of the caller.
 *  - An item is the caller's from mg_dsfetch_next until the next call (or
 *    mg_dsfetch_destroy); its strings, text, tokens and user state stay
 *    valid until then.
 *  - prep() runs in a worker thread (or the caller's, jobs <= 1) on an
 *    item no other thread touches; it must touch nothing shared but what
 *    is read-only during the fetch.
 */
#ifndef MG_DSFETCH_H
#define MG_DSFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "dsread.h"
#include "jdoc.h"

#define MG_DSFETCH_AHEAD 8
#define MG_DSFETCH_MAX_JOBS 64

typedef struct {
    /* As mg_dsread gave it (raw the item's own copy), but for error: also
     * set, "sample.json: line L: what", when the text does not parse or
     * is not an object. */
    mg_dsample s;
    mg_jdoc doc;   /* sample.json's tokens when ok */
    bool ok;       /* complete, read, tokenized, and an object */
    int prep_rc;   /* what prep() returned (0 when it did not run) */
    void *user;    /* mg_dsfetch_opts.user_size bytes, the caller's */
} mg_dsitem;

typedef struct {
    unsigned dsflags; /* MG_DSREAD_PARTIALS or 0 (the text is always read) */
    unsigned jflags;  /* mg_jdoc_parse_opt flags */
    const char *skip; /* mg_jdoc.skip for every item, or NULL */
    int jobs;         /* threads reading ahead: <= 1 none (the caller) */
    size_t user_size; /* bytes of per-item state for prep (zeroed once) */
    /* Run on every ok item, after its tokens are made; its return value is
     * kept in prep_rc. NULL: none. */
    int (*prep)(mg_dsitem *it, void *ctx);
    void *ctx;
    /* Called on every item's user state when the fetch is destroyed (what
     * prep left there and the caller has not taken); NULL: none. */
    void (*user_free)(void *user);
    /* progress.tick after each item mg_dsfetch_next gives, in the
     * caller's thread (dsread.h). */
    mg_dsprogress progress;
} mg_dsfetch_opts;

typedef struct mg_dsfetch mg_dsfetch;

/* Open the dataset at root (mg_dsread_open) and start the threads; NULL
 * and one line in err when the root cannot be read or memory runs out. */
mg_dsfetch *mg_dsfetch_open(const char *root, const mg_dsfetch_opts *o,
                            char *err, size_t errlen);

/* The next item: 1 and *out set, 0 at the end, -1 and one line in err
 * when the walk cannot go on (mg_dsread_next's error, in order: the items
 * before it are given first). */
int mg_dsfetch_next(mg_dsfetch *f, mg_dsitem **out, char *err, size_t errlen);

/* The tree's layout: 0 flat, 1..5 the shard width (mg_dsread). */
int mg_dsfetch_shard_width(const mg_dsfetch *f);

/* A command's --jobs: jobs itself when > 0, else (0) one per online core,
 * at most MG_DSFETCH_AUTO_JOBS. */
#define MG_DSFETCH_AUTO_JOBS 8
int mg_dsfetch_jobs(int jobs);

/* Stop the threads (work ahead is dropped) and free everything. */
void mg_dsfetch_destroy(mg_dsfetch **fp);

#endif
