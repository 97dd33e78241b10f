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

#endif
