/*
 * forksafe — fork() from a process that is down to one thread.
 *
 * fork() copies only the calling thread; a lock another thread holds at
 * that moment (the allocator's, a library's) stays held in the child for
 * ever. Our code joins every thread it starts before it forks, but a
 * library can leave threads that are still ending: FluidSynth loads a
 * font's samples with OpenMP, and the OpenMP pool threads of a font
 * loader end on their own after the loader thread was joined. One caught
 * inside the allocator hung a worker child of an ASan build (GCC 12's
 * libasan has no fork handler) in its first malloc.
 */
#ifndef MG_FORKSAFE_H
#define MG_FORKSAFE_H

/* The threads of this process (Linux: /proc/self/status), or -1. */
int mg_threads(void);

/* Wait, polling every millisecond for at most max_ms, until this process
 * has one thread; the count then (1, or more after the wait ran out). */
int mg_await_one_thread(int max_ms);

#endif
