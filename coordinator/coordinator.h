/*
 * coordinator — the daemon that owns a run: ledger + ROUTER socket.
 *
 * mg_coord_new opens (or creates) the run in the ledger, refusing one
 * whose parameters differ, and binds; on resume it checks ROOT against the
 * rows (a done sample gone from disk is made again, one that `musicgen
 * filter` moved to a recorded reject directory stays out). mg_coord_run serves workers until
 * the run is complete (returns 0: manifest written, workers told to stop)
 * or *stop is set (returns 1: state kept, resume later). The same code
 * serves `musicgen coordinator` and the embedded `musicgen generate`.
 */
#ifndef MG_COORDINATOR_H
#define MG_COORDINATOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"

typedef struct {
    uint64_t total, done, failed;
    uint64_t skipped;    /* rows this session found already on disk */
    uint64_t resumed;    /* rows the ledger had when this session began */
    uint64_t missing;    /* of those, found gone from disk: made again */
    uint64_t filtered;   /* of those, moved out by `musicgen filter`:
                            kept out, not made again */
    double rate;         /* rows/s over the last window */
    double eta_s;        /* -1 when unknown */
    int workers;
    double elapsed_s;
    /* The run's first index (total: its count). They are the ledger's:
     * asked again with more samples, a run grows at its end; with fewer,
     * it shrinks when none of the samples past the new end is finished
     * (else it is refused); asked for samples from a later start, it is
     * resumed from its own (coord_range.c). */
    uint64_t run_start;
    uint64_t grew_from;  /* the count before it grew; 0: it did not */
    uint64_t shrank_from; /* the count before it shrank; 0: it did not */
} mg_coord_progress;

/* Every counter of the coordinator, kept in one place so that they can be
 * exported (status page, metrics) without touching the logic. */
typedef struct {
    uint64_t rows_accepted;     /* stored: the first row of its index */
    uint64_t rows_duplicate;    /* valid, but the index had a row */
    uint64_t rows_rejected;     /* refused by validation (never stored) */
    uint64_t rows_from_disk;    /* re-derived from sample.json at start */
    uint64_t peers_dropped;     /* for sending invalid rows */
    uint64_t leases_granted;    /* from the queue */
    uint64_t leases_duplicated; /* a straggler's lease, copied at the end */
    uint64_t leases_adopted;    /* declared by a worker after our restart */
    uint64_t leases_requeued;   /* given back with work left: worker lost,
                                   left, dropped, or no progress */
    uint64_t bad_frames;        /* malformed messages */
    uint64_t bad_handshakes;    /* refused CURVE handshakes */
    double sample_s;            /* measured seconds per sample per job */
    uint32_t last_lease_n;      /* size of the last lease granted */
} mg_coord_stats;

typedef void (*mg_coord_progress_cb)(const mg_coord_progress *p, void *ud);

typedef struct {
    mg_config cfg;                 /* seed, count, start, out, run config */
    const char *ledger_path;
    const char *bind;              /* e.g. tcp://0.0.0.0:5555, ipc://@x */
    const char *endpoint_file;     /* write the bound endpoint here */
    uint32_t chunk;                /* 0: leases sized from measured
                                      sample time (guided); else a fixed
                                      number of indices per lease */
    double lease_s;                /* seconds of work per lease (2) */
    bool speculate;                /* copy a straggler's lease once the
                                      queue is empty (default on) */
    bool speculate_running;        /* with speculate: also the sample a
                                      straggler is on, not only the
                                      samples waiting behind it (default
                                      on; off where every job runs on
                                      this host's equal cores: a copy
                                      started later cannot finish first,
                                      and the run's end waits for it) */
    bool durable;                  /* an ACKed row survives power loss:
                                      ledger synchronous=FULL, workers
                                      fsync samples (default on) */
    uint32_t heartbeat_ms;         /* default 1000 */
    int liveness;                  /* heartbeats missed = dead (5) */
    int linger_ms;                 /* after completion (default 2000) */
    /* The linger ends early once this says no worker is left to tell
     * (embedded generate: its worker processes have all exited); NULL:
     * the whole linger_ms. Set, a stop (*stop) also waits for it, up to
     * a few seconds, taking the rows of the samples the workers finish
     * (their ACK is what lets them leave); it is called then with the
     * stop set, and passes the stop on to the workers it counts. */
    bool (*linger_done)(void *ud);
    void *linger_ud;
    int progress_ms;               /* log/callback period (5000) */
    const volatile sig_atomic_t *stop;
    mg_coord_progress_cb progress; /* NULL: log lines */
    void *progress_ud;
    bool quiet;                    /* only errors and refusals */
    bool log_leases;               /* one line per lease granted (-v) */
    /* The holder's words in the run root's lock (common/base/runlock.h),
     * taken for the run's length; NULL: "musicgen coordinator". */
    const char *who;
    /* Where a different run goes, in the refusal of one (embedded
     * generate's ledger is its root's: "another --out"); NULL: "another
     * ledger". */
    const char *other_run;
    /* That lock already taken by the caller (embedded generate takes it
     * before its soundfonts load, so that a reader of the root sees a
     * run from its first moment, not an empty directory): the
     * coordinator owns it from mg_coord_new on, whatever it returns, and
     * releases it at its end. -1 (the default): taken at start. */
    int run_fd;
    /* The jobs known to be coming (embedded generate: the workers it
     * forked): leases are sized for at least this many, so that the
     * first job to join does not get a share meant for it alone. 0:
     * only those joined count. */
    int expect_jobs;
    /* CURVE key directory (proto/curve.h): only workers whose public
     * certificate is in <curve_dir>/authorized may connect. NULL: plain
     * (embedded mode, or a trusted private network). */
    const char *curve_dir;
    /* Serve the status page and /metrics at this address ("HOST:PORT",
     * coordinator/http.h) while the run lasts. NULL: none. */
    const char *http;
    /* The run's fingerprint, already computed for this config (embedded
     * generate: its engine's); NULL: computed at start. */
    const mg_fingerprint *fp;
} mg_coord_opts;

typedef struct mg_coord mg_coord;

void mg_coord_opts_defaults(mg_coord_opts *o);
mg_coord *mg_coord_new(const mg_coord_opts *o, char *err, size_t errlen);
void mg_coord_destroy(mg_coord **c);
/* 0 complete, 1 stopped, -1 error (err). */
int mg_coord_run(mg_coord *c, char *err, size_t errlen);
/* The counters (valid while c lives). */
const mg_coord_stats *mg_coord_stats_get(const mg_coord *c);
/* The endpoint actually bound (a '*' port resolved). */
const char *mg_coord_endpoint(const mg_coord *c);

#endif
