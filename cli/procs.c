/*
 * procs — signal flag and worker child processes (see procs.h).
 */
#include "procs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "forksafe.h"

volatile sig_atomic_t mg_stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    if (mg_stop_flag < 100)
        mg_stop_flag++;
}

/* In a child of mg_procs_spawn, every stop signal but the parent's
 * "abandon" asks only to finish: the parent died (the kernel may deliver
 * the death signal once per thread of ours), the parent passed on its
 * first stop, or a terminal's Ctrl-C (or a SIGTERM to the process group)
 * reached us beside our parent, which passes the same stop on: counted,
 * the two made 2 (leave now) whichever came first, and the samples in
 * hand were abandoned. A second stop reaches us as the parent's
 * MG_ABANDON_SIGNAL. */
static void
on_parent_death(int sig)
{
    (void)sig;
    if (mg_stop_flag < 1)
        mg_stop_flag = 1;
}

static void
on_abandon(int sig)
{
    (void)sig;
    if (mg_stop_flag < 2)
        mg_stop_flag = 2;
}

void
mg_procs_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int
mg_procs_spawn(mg_procs *p, int n, mg_child_fn fn, void *ud)
{
    memset(p, 0, sizeof *p);
    p->pids = calloc((size_t)n, sizeof *p->pids);
    p->status = calloc((size_t)n, sizeof *p->status);
    if (!p->pids || !p->status)
        return -1;
    pid_t parent = getpid();
    /* no thread a library left ending may hold a lock the children
     * would inherit held (forksafe.h) */
    p->threads_at_fork = mg_await_one_thread(2000);
    fflush(NULL);
    /* held back until a child has its own handlers: a stop passed on at
     * once (MG_PARENT_DEATH_SIGNAL's default action ends a process) or a
     * Ctrl-C caught by the handlers inherited from us counted as ours */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGHUP);
    sigaddset(&stops, MG_PARENT_DEATH_SIGNAL);
    sigaddset(&stops, MG_ABANDON_SIGNAL);
    sigprocmask(SIG_BLOCK, &stops, &old);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            return -1;
        }
        if (pid == 0) {
            mg_stop_flag = 0;
            mg_procs_signals();
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_parent_death;
            sigemptyset(&sa.sa_mask);
            sigaction(MG_PARENT_DEATH_SIGNAL, &sa, NULL);
            sigaction(SIGTERM, &sa, NULL);
            sigaction(SIGINT, &sa, NULL);
            sigaction(SIGHUP, &sa, NULL);
            sa.sa_handler = on_abandon;
            sigaction(MG_ABANDON_SIGNAL, &sa, NULL);
            sigprocmask(SIG_SETMASK, &old, NULL);
            prctl(PR_SET_PDEATHSIG, MG_PARENT_DEATH_SIGNAL);
            if (getppid() != parent)    /* parent died before prctl */
                _exit(1);
            int rc = fn(i, ud);
            fflush(NULL);
            _exit(rc & 0xff);
        }
        p->pids[i] = pid;
        p->status[i] = -1;
        p->n++;
        p->alive++;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

int
mg_procs_reap(mg_procs *p)
{
    int st;
    pid_t pid;
    while (p->alive > 0 && (pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (int i = 0; i < p->n; i++)
            if (p->pids[i] == pid) {
                p->status[i] = WIFEXITED(st) ? WEXITSTATUS(st)
                                             : 128 + WTERMSIG(st);
                p->pids[i] = 0;
                p->alive--;
            }
    }
    return p->alive;
}

static void
on_child(int sig)
{
    (void)sig;
}

int
mg_procs_sleep(mg_procs *p, int seen)
{
    struct sigaction sa, old_sa;
    sigset_t block, old;

    /* SIGCHLD is ignored by default and would not wake sigsuspend: a
     * handler that does nothing, for the time of the wait */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, &old_sa);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    /* checked with the signals blocked: one arriving now stays pending
     * and ends sigsuspend at once */
    if (mg_procs_reap(p) > 0 && mg_stop_flag == seen)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGCHLD, &old_sa, NULL);
    return mg_procs_reap(p);
}

void
mg_procs_kill(mg_procs *p, int sig)
{
    for (int i = 0; i < p->n; i++)
        if (p->pids[i] > 0)
            kill(p->pids[i], sig);
}

void
mg_procs_forward(mg_procs *p, int *forwarded)
{
    int now = mg_stop_flag;
    if (now > *forwarded) {
        if (*forwarded < 1)
            mg_procs_kill(p, MG_PARENT_DEATH_SIGNAL);
        if (now >= 2)
            mg_procs_kill(p, MG_ABANDON_SIGNAL);
        *forwarded = now;
    }
}

void
mg_procs_finish(mg_procs *p, int timeout_ms)
{
    struct timespec ts = {0, 20 * 1000000};
    int forwarded = 1;
    mg_procs_kill(p, MG_PARENT_DEATH_SIGNAL);
    for (int t = 0; t < timeout_ms && mg_procs_reap(p) > 0; t += 20) {
        mg_procs_forward(p, &forwarded);
        nanosleep(&ts, NULL);
    }
    mg_procs_wait(p, 0);
}

void
mg_procs_wait(mg_procs *p, int timeout_ms)
{
    struct timespec ts = {0, 20 * 1000000};
    for (int t = 0; t < timeout_ms && mg_procs_reap(p) > 0; t += 20)
        nanosleep(&ts, NULL);
    if (p->alive > 0) {
        mg_procs_kill(p, SIGKILL);
        while (p->alive > 0) {
            nanosleep(&ts, NULL);
            mg_procs_reap(p);
        }
    }
}

int
mg_procs_result(const mg_procs *p)
{
    for (int i = 0; i < p->n; i++)
        if (p->status[i] != 0)
            return p->status[i] < 0 ? 1 : p->status[i];
    return 0;
}

void
mg_procs_free(mg_procs *p)
{
    free(p->pids);
    free(p->status);
    memset(p, 0, sizeof *p);
}
