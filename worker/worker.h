/*
 * worker — the stateless worker: one connection, one engine.
 *
 * mg_worker_run connects a DEALER to the coordinator, says HELLO, takes
 * the run config from RUN, checks its own fingerprint for that config,
 * JOINs, then leases chunks and reports one ROW per sample until SHUTDOWN.
 * It keeps nothing on local disk: rows not yet acknowledged live in memory
 * and are re-sent after a reconnect. Paths are computed from index and
 * shard width, never taken from the wire.
 *
 * `--jobs J` is J such workers in J processes (cli/cmd_dist.c forks
 * them); an mg_engine is not thread-safe, so each process has its own -
 * but made once, before the fork (mg_worker_fetch_run gives the run it
 * must be made for), so the soundfonts are loaded once and shared
 * copy-on-write.
 *
 * mg_worker_static runs a fixed slice of the run with no coordinator and
 * writes the slice's manifest rows for `musicgen merge`.
 */
#ifndef MG_WORKER_H
#define MG_WORKER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "engine.h"

typedef struct {
    mg_config cfg;               /* local: out_dir, genres_dir, sf_dir */
    const char *connect;         /* coordinator endpoint */
    char identity[64];           /* stable across reconnects */
    int idle_timeout_ms;         /* give up without a coordinator (0 = never) */
    /* ZMQ_RECONNECT_IVL: the first retry of a connect the endpoint
     * refused, doubling up to 100 ms (0: ZeroMQ's 100 ms, plus up to as
     * much again of jitter). Embedded generate's workers are forked
     * before their coordinator binds, so a first connect is often
     * refused. */
    int reconnect_ivl_ms;
    /* 1: finish the current sample, report it, leave; 2: leave now (the
     * sample directory is atomic, so nothing half-written remains). */
    const volatile sig_atomic_t *stop;
    bool quiet;
    /* CURVE key directory (proto/curve.h): the coordinator's public
     * certificate and our keypair. NULL: plain. */
    const char *curve_dir;
    /* Optional engine made from cfg before a fork (embedded mode: the
     * children share its loaded soundfonts copy-on-write instead of each
     * loading them), used if the coordinator's run is cfg's run. Borrowed:
     * the worker never frees it. A forked child leaves it to its exit:
     * freeing half a gigabyte of font structures shared with the parent
     * copies every page it writes (seconds of teardown per process, on
     * every core at once at the end of a run). */
    struct mg_engine *engine;
} mg_worker_opts;

enum {
    MG_WORKER_DONE = 0,          /* run complete */
    MG_WORKER_STOPPED = 1,       /* signal */
    MG_WORKER_REFUSED = 2,       /* fingerprint or protocol version */
    MG_WORKER_GAVE_UP = 3,       /* no coordinator for idle_timeout_ms */
    MG_WORKER_COMPLETE = 4,      /* mg_worker_fetch_run: nothing left */
};

void mg_worker_opts_defaults(mg_worker_opts *o);
/* One of the MG_WORKER_* codes, or -1 with err (engine fault). */
int mg_worker_run(const mg_worker_opts *o, char *err, size_t errlen);

/* Ask the coordinator at o->connect for its run without joining (HELLO,
 * RUN, BYE; HELLO again every 2 s until o->idle_timeout_ms): *run is
 * o->cfg (local paths) with the run's options. 0, or MG_WORKER_STOPPED,
 * _REFUSED, _GAVE_UP or _COMPLETE, or -1, with err. */
int mg_worker_fetch_run(const mg_worker_opts *o, mg_config *run, char *err,
                        size_t errlen);

/* Is cfg's run, made with fingerprint fp, the one the first static
 * slice of cfg->out_dir recorded (.musicgen/slices/run.json: the run
 * config less its range, and the fingerprint)? 0 (the same, or none
 * recorded; a record of an older musicgen, without a fingerprint, is
 * compared by its config alone), or -1 with err naming what differs (a
 * coordinator over an unmerged static tree of another run: its workers
 * refused at their first sample). */
int mg_worker_static_run_check(const mg_config *cfg, const mg_fingerprint *fp,
                               char *err, size_t errlen);
/* Slice I of M of the run in cfg (contiguous ranges); parts 1. Writes
 * <out>/.musicgen/slices/slice-<I>-of-<M>.jsonl atomically. pre: an
 * engine made from cfg before a fork (borrowed, as mg_worker_opts.engine),
 * or NULL to make one. durable: each sample (its files, its directory and
 * those above it up to the root) reaches the disk before its row is
 * written, so a slice file that survives a power cut names only samples
 * that did. 0 or -1. */
int mg_worker_static(const mg_config *cfg, int array_index, int array_size,
                     int part, int parts, bool durable,
                     struct mg_engine *pre,
                     const volatile sig_atomic_t *stop, char *err,
                     size_t errlen);
/* parts > 1 (jobs sharing a slice): part p of J of the slice, its rows
 * into slice-<I>-of-<M>.jsonl.part-<p>-of-<J>; once every part is made,
 * mg_worker_static_join puts them, in order, into the slice file
 * (atomically) and removes the slice's part files. A part gone (another
 * run of the slice joined first and removed it) is no failure when the
 * slice file holds a row of every sample of the slice. 0 or -1. */
int mg_worker_static_join(const mg_config *cfg, int array_index,
                          int array_size, int parts, char *err,
                          size_t errlen);

#endif
