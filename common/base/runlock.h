/*
 * runlock — ROOT/.musicgen/run.lock, held (flock, exclusive) by whatever
 * rewrites a dataset tree as a whole, for as long as it does:
 *   - a coordinator, for its run (embedded `generate`'s included): it
 *     writes sample directories and, at the end, manifest.jsonl from its
 *     ledger;
 *   - `score`, `filter`, `clean` and `merge`: they rewrite sample.json
 *     files and the manifest, move samples, remove directories without
 *     sample.json.
 * Static workers (`worker --static`, a slice each, no coordinator) share
 * it (flock, shared) while they write samples: any number of them at once,
 * none of the above meanwhile (clean would remove a sample being made,
 * merge would write a manifest missing slices still running).
 * Any two of these on one tree at once would lose work: the coordinator's
 * last manifest would undo a filter's (rows for samples moved away) or a
 * score's (the old scores), clean would remove a sample being written.
 * So the second one is refused, with a message naming the holder (its
 * lock file holds "what, pid P on HOST", written once it has the lock).
 * On NFS, Linux emulates flock with the server's byte-range locks, so
 * holders on two machines exclude each other too.
 *
 * The lock goes with its file descriptor: released by mg_runlock_release
 * or by the process's end, a kill -9 included (nothing stale to remove).
 * On a file system without flock (Lustre mounted noflock, NFS without a
 * lock manager) the descriptor is handed out unlocked: the work goes on
 * unguarded, as before the lock existed, rather than being refused.
 *
 * Workers connected to a coordinator hold none of this (the coordinator
 * has the run lock, and they stay up through its restart), so while the
 * coordinator is down the run lock is free though they still write
 * samples. Each holds ROOT/.musicgen/writers.lock instead (flock, shared)
 * for as long as it lives, and `clean` keeps the ".tmp-*" directories
 * (samples being made) while any holds it: it removed a live worker's,
 * whose sample then became a failed row. Where flock works across
 * machines (NFS) a worker on any host counts; on a file system without
 * flock only this host's writers can be asked (their pid in the name).
 */
#ifndef MG_RUNLOCK_H
#define MG_RUNLOCK_H

#include <stddef.h>

/* Take ROOT/.musicgen/run.lock (the directory made when missing) for
 * `what` (a few words: "musicgen filter"). The descriptor to keep, or -1
 * with one line in err: "ROOT is in use by musicgen generate (pid 42 on
 * node7)", or why the file cannot be opened. */
int mg_runlock_take(const char *root, const char *what, char *err,
                    size_t errlen);
/* The same, shared, for a static worker: refused only while one of the
 * exclusive holders has it. */
int mg_runlock_share(const char *root, const char *what, char *err,
                     size_t errlen);
void mg_runlock_release(int fd);

/* Whether another process holds ROOT's lock now (without taking it; a
 * tree without one is not held): 1, with the holder's words in who
 * ("another musicgen process" when it wrote none), or 0. */
int mg_runlock_held(const char *root, char *who, size_t wholen);

/* A connected worker's share of ROOT/.musicgen/writers.lock (waiting
 * while `clean` holds it): the descriptor to keep until the process ends
 * (close() releases it), or -1 where it cannot be had (no such
 * directory, no flock: the work goes on unguarded). */
int mg_runlock_writer(const char *root);
/* Do connected workers hold ROOT's writers lock now? 0 with *fd holding
 * it exclusive (none can start writing until mg_runlock_release(*fd);
 * -1 where there is no lock to take), or 1 (*fd -1) while any does. */
int mg_runlock_writers(const char *root, int *fd);

#endif
