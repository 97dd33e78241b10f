/*
 * procs — signals and worker processes for the commands that run daemons
 * (coordinator, worker, generate).
 *
 * The stop flag is the one piece of process-global state: a signal
 * handler can only talk through it. SIGTERM/SIGINT increment it (1:
 * finish the current sample and leave; 2: leave now). In a child of
 * mg_procs_spawn they only set it to 1: a terminal's Ctrl-C reaches the
 * child and its parent both, and the parent passes each stop on
 * (mg_procs_forward: the first as "finish", a later one as "abandon"),
 * so the child hears the first stop twice, in either order.
 *
 * mg_procs_spawn forks n worker processes *before* the caller creates any
 * ZeroMQ context (contexts do not survive fork). Each child asks the
 * kernel for MG_PARENT_DEATH_SIGNAL when its parent dies, which sets the
 * stop flag to 1 however often it arrives (once per thread): a kill -9 of
 * `generate` never leaves orphans rendering into the dataset, and the
 * sample in hand is finished and published, not abandoned half-written.
 */
#ifndef MG_PROCS_H
#define MG_PROCS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

extern volatile sig_atomic_t mg_stop_flag;

/* Sent by the kernel to a child of mg_procs_spawn when its parent dies,
 * and by a parent asking its children to finish (stop flag to 1, never
 * more: a terminal's Ctrl-C already reached them). */
#define MG_PARENT_DEATH_SIGNAL SIGUSR2
/* Sent by a parent passing on a second stop: its children leave now
 * (stop flag to 2), abandoning the samples in hand. */
#define MG_ABANDON_SIGNAL SIGUSR1

/* SIGTERM, SIGINT (and SIGHUP) -> mg_stop_flag++; SIGPIPE ignored. */
void mg_procs_signals(void);

/* Child body: returns its exit status. */
typedef int (*mg_child_fn)(int slot, void *ud);

typedef struct {
    pid_t *pids;
    int *status;      /* exit status per slot, -1 while running */
    int n, alive;
    int threads_at_fork; /* this process's threads when it forked (1) */
} mg_procs;

/* Fork n children running fn(slot, ud); 0 or -1. It first waits (at most
 * 2 s) until the process has one thread (forksafe.h). */
int mg_procs_spawn(mg_procs *p, int n, mg_child_fn fn, void *ud);
/* Reap without blocking; returns the number still alive. */
int mg_procs_reap(mg_procs *p);
/* Sleeps until a child exits or mg_stop_flag moves past seen (no polling:
 * SIGCHLD and our stop signals wake it; a signal that came before the
 * call is not lost), reaps, and returns how many children are alive. */
int mg_procs_sleep(mg_procs *p, int seen);
/* Send sig to every live child. */
void mg_procs_kill(mg_procs *p, int sig);
/* Wait up to timeout_ms for all to exit, then SIGKILL the rest. */
void mg_procs_wait(mg_procs *p, int timeout_ms);
/* Pass on the stops mg_stop_flag counted past *forwarded (the first as
 * MG_PARENT_DEATH_SIGNAL, a later one as MG_ABANDON_SIGNAL); updates it. */
void mg_procs_forward(mg_procs *p, int *forwarded);
/* Ask every child to finish the sample in hand (MG_PARENT_DEATH_SIGNAL)
 * and wait up to timeout_ms, passing a further stop on as
 * MG_ABANDON_SIGNAL; then SIGKILL the rest. */
void mg_procs_finish(mg_procs *p, int timeout_ms);
/* 0 if every child exited 0, else the first non-zero status. */
int mg_procs_result(const mg_procs *p);
void mg_procs_free(mg_procs *p);

#endif
