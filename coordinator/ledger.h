/*
 * ledger — the durable state of one run, in SQLite (WAL) on the
 * coordinator's local disk, never on shared storage.
 *
 * Tables: run (one row: seed, start, count, chunk, run config JSON,
 * fingerprint), chunks (index ranges with a state; the coordinator keeps
 * its leases in memory since protocol 2 and uses chunks only to mark
 * ranges DONE for status: the holder and expiry columns of schema 1-2
 * stay, unused),
 * samples (one row per index: the manifest row), meta
 * (progress snapshot for `musicgen status`), curve_keys (with CURVE, the
 * key each worker identity is bound to: a restart keeps the bindings),
 * leases (every lease granted: id, range, holder; a restarted
 * coordinator adopts only those a worker was given). The schema is versioned by
 * PRAGMA user_version and moved forward by explicit migrations; a ledger
 * from a newer musicgen is refused.
 *
 * Writes are batched: the caller opens a batch (mg_ledger_begin), puts
 * any number of rows, and commits once; rows are
 * acknowledged to workers only after that commit. Every statement is
 * prepared once at open.
 */
#ifndef MG_LEDGER_H
#define MG_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define MG_LEDGER_SCHEMA 4

typedef enum {
    MG_CHUNK_PENDING = 0, MG_CHUNK_LEASED = 1, MG_CHUNK_DONE = 2
} mg_chunk_state;

typedef struct {
    int64_t global_seed;
    uint64_t start;
    uint64_t count;
    uint32_t chunk;
    char *run_json;         /* owned by whoever filled it */
    mg_fingerprint fp;
} mg_ledger_run;

typedef struct {
    uint64_t total, ok, failed;
    uint64_t chunks_pending, chunks_leased, chunks_done;
    uint64_t workers;       /* distinct holders of live leases */
} mg_ledger_counts;

typedef struct mg_ledger mg_ledger;

/* Open or create; migrate an older schema forward. */
mg_ledger *mg_ledger_open(const char *path, char *err, size_t errlen);
/* Open an existing ledger read-only (status); no migration. */
mg_ledger *mg_ledger_open_ro(const char *path, char *err, size_t errlen);
void mg_ledger_close(mg_ledger **l);
int mg_ledger_schema_version(mg_ledger *l);

/* 1 and *r filled (r->run_json malloc'd) if a run exists, 0 if none,
 * -1 on error. */
int mg_ledger_get_run(mg_ledger *l, mg_ledger_run *r, char *err,
                      size_t errlen);
typedef int (*mg_ledger_index_cb)(uint64_t index, void *ud);
/* Create the run and its chunks (one transaction). */
int mg_ledger_create_run(mg_ledger *l, const mg_ledger_run *r, char *err,
                         size_t errlen);
/* Grow the stored run at its end to count samples (more than it has),
 * its config text now run_json: the run row, the last chunk's share and
 * the new chunks, in one transaction. 0, or -1 with err. */
int mg_ledger_grow_run(mg_ledger *l, uint64_t count, const char *run_json,
                       char *err, size_t errlen);
/* Shrink the stored run at its end to count samples (fewer than it
 * has), its config text now run_json, when none of the samples dropped
 * is finished: the rows past the new end (failed ones) and the chunks
 * past it go, the chunk across it is cut there (done when it holds its
 * rows). 0; 1 when an "ok" row lies at or past the new end (nothing
 * changes; mg_ledger_ok_past names them); -1 with err. */
int mg_ledger_shrink_run(mg_ledger *l, uint64_t count, const char *run_json,
                         char *err, size_t errlen);
/* The "ok" rows at index from or past it: how many, the first and the
 * last (0 and both 0 when none); 0, or -1 with err. */
int mg_ledger_ok_past(mg_ledger *l, uint64_t from, uint64_t *n,
                      uint64_t *first, uint64_t *last, char *err,
                      size_t errlen);
/* The indices at from or past it with an "ok" row, ascending; cb returns
 * non-zero to stop. 0 or -1. */
int mg_ledger_ok_indices(mg_ledger *l, uint64_t from, mg_ledger_index_cb cb,
                         void *ud, char *err, size_t errlen);
/* Rewrite <root>/manifest.jsonl (atomically) without its rows of index
 * in [from, to): those of a run that shrank. 0 (also when there is no
 * manifest), or -1 with err. */
int mg_ledger_manifest_drop(const char *root, uint64_t from, uint64_t to,
                            char *err, size_t errlen);
/* 0 if `want` matches the stored run; else -1 and why names every field
 * that differs ("count 200 != 100; genres_hash ..."). */
int mg_ledger_check_run(const mg_ledger_run *have, const mg_ledger_run *want,
                        char *why, size_t n);
/* 0 when the ledger at path holds a run of this musicgen (or of one that
 * recorded no version); else -1 with err saying that the version that
 * began the run finishes it, or that it is made again with other (e.g.
 * "another --out"): no option of this build can resume it. */
int mg_ledger_version_check(const mg_ledger_run *have, const char *path,
                            const char *other, char *err, size_t errlen);
void mg_ledger_run_free(mg_ledger_run *r);

/* Durable: synchronous=FULL, a committed batch survives a power cut;
 * else NORMAL (survives a crash of the process, not of the machine). */
int mg_ledger_set_durable(mg_ledger *l, bool durable, char *err,
                          size_t errlen);
/* The indices in [first, first + n) that have a row, ascending; cb
 * returns non-zero to stop. 0 or -1. */
int mg_ledger_indices(mg_ledger *l, uint64_t first, uint64_t n,
                      mg_ledger_index_cb cb, void *ud, char *err,
                      size_t errlen);

int mg_ledger_begin(mg_ledger *l, char *err, size_t errlen);
int mg_ledger_commit(mg_ledger *l, char *err, size_t errlen);
/* Leave no transaction open after a failed one (nothing is kept). */
void mg_ledger_abort(mg_ledger *l);

/* Store a row unless the index has one: 1 stored, 0 already there, -1. */
int mg_ledger_put_row(mg_ledger *l, const mg_row *row, const char *worker,
                      const char *wrote_at, char *err, size_t errlen);
/* Forget the row of `index` (its sample is gone from disk) and put its
 * chunk back in the queue. 0 or -1. */
int mg_ledger_forget(mg_ledger *l, uint64_t index, char *err, size_t errlen);
/* Mark chunk `id` done if every index in it has a row: 1 done, 0 not. */
int mg_ledger_finish_chunk(mg_ledger *l, int64_t id, char *err,
                           size_t errlen);
/* Chunk of an index (for the completion check after a batch). */
int64_t mg_ledger_chunk_of(mg_ledger *l, uint64_t index);

int mg_ledger_counts_get(mg_ledger *l, int64_t now_ms, mg_ledger_counts *c,
                         char *err, size_t errlen);
int mg_ledger_set_meta(mg_ledger *l, const char *key, const char *value,
                       char *err, size_t errlen);
/* Malloc'd value or NULL. */
char *mg_ledger_get_meta(mg_ledger *l, const char *key);

/* Rows in index order; cb returns non-zero to stop. */
typedef int (*mg_ledger_row_cb)(const mg_row *row, const char *wrote_at,
                                void *ud);
int mg_ledger_foreach_row(mg_ledger *l, mg_ledger_row_cb cb, void *ud,
                          char *err, size_t errlen);
/* CURVE: bind `identity` to `key` (z85), replacing its earlier key. 0
 * or -1. In the open batch if there is one, else committed at once. */
int mg_ledger_put_key(mg_ledger *l, const char *identity, const char *key,
                      char *err, size_t errlen);
/* Record lease id [first, first + n) granted to holder (in the open
 * batch). 0 or -1. */
int mg_ledger_put_lease(mg_ledger *l, uint64_t id, uint64_t first,
                        uint32_t n, const char *holder, char *err,
                        size_t errlen);
/* Lease id as recorded: 1 (*first, *n, holder filled), 0 none, -1. */
int mg_ledger_get_lease(mg_ledger *l, uint64_t id, uint64_t *first,
                        uint32_t *n, char *holder, size_t holder_len,
                        char *err, size_t errlen);
/* Every identity's key, by identity; cb returns non-zero to stop. */
typedef int (*mg_ledger_key_cb)(const char *identity, const char *key,
                                void *ud);
int mg_ledger_foreach_key(mg_ledger *l, mg_ledger_key_cb cb, void *ud,
                          char *err, size_t errlen);
/* manifest.jsonl at root from the ledger, via temp file + rename,
 * leaving out the rows of the nskip indices in skip (sorted; NULL, 0:
 * none). */
int mg_ledger_write_manifest(mg_ledger *l, const char *root,
                             const uint64_t *skip, size_t nskip, char *err,
                             size_t errlen);

#endif
