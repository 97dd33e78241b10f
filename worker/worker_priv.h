/*
 * worker_priv — what the files of the worker share (not installed, not
 * included outside worker/): the lease queue and result list between the
 * network loop (worker.c) and the engine thread (worker_engine.c), and
 * durable mode's sync (worker_sync.c, also used by worker_static.c).
 */
#ifndef WORKER_PRIV_H
#define WORKER_PRIV_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "proto.h"

typedef struct {
    uint64_t lease, index;
} pending;

typedef struct {
    int kind;            /* 0 row, 1 fault (err), 2 engine could not start */
    uint64_t lease;
    mg_row row;
    char err[512];
} result;

/* What the two threads share. Everything after mu is guarded by it. On
 * the abandon path (a second SIGTERM mid-sample) the engine thread is
 * left running and the process exits under it, so this lives on the heap
 * and is freed only after a join. */
typedef struct {
    mg_config cfg;
    mg_engine *pre;              /* made before the fork (borrowed), or NULL */
    /* the worker's stop flag (or NULL): once set, nothing queued is
     * started, however soon the network loop empties the queue */
    const volatile sig_atomic_t *stop;
    int efd;                     /* eventfd: "results are waiting" */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pending *queue;              /* leased indices not yet started */
    size_t qhead, qlen, qcap;
    bool busy, quit;
    uint64_t busy_lease, busy_index;
    bool durable;                /* fsync each sample before its ROW */
    result *res;                 /* finished, not yet taken */
    size_t nres, cap_res;
    int64_t last_wake;           /* when the eventfd was last written */
    bool deferred;               /* results wait without a wake-up */
} engine_shared;

/* The shared block, its eventfd made; NULL (errno) on failure. */
engine_shared *worker_engine_new(void);
/* Frees e (never its borrowed pre engine); e's thread must be gone. */
void worker_engine_free(engine_shared *e);
/* The engine thread's body (arg: the engine_shared): makes the samples
 * queued, one at a time, posting a result for each, until quit. */
void *worker_engine_main(void *arg);
/* Queues one leased index for the engine thread. Under mu. */
void worker_engine_push(engine_shared *e, uint64_t lease, uint64_t index);

/* Durable mode: the sample's files, its directory and the directories
 * above it up to root reach the disk. 0, or -1 with err. */
int worker_sync_sample(const char *root, const char *rel, char *err,
                       size_t errlen);

#endif
