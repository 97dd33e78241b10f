/*
 * runmark — the marks a coordinator leaves in the run root.
 *
 * ROOT/.musicgen/complete, left when its run is complete (manifest
 * written), names the run:
 *     {"global_seed":S,"start":A,"count":N}
 * A worker that missed the coordinator's SHUTDOWN (it was reconnecting
 * when the run ended, or stopped) finds it there instead of retrying a
 * closed port until its idle timeout. A coordinator that starts with
 * work to do (a resumed run whose done samples were deleted since)
 * removes it first. The deploy scripts test it too;
 * an empty mark (what deploy/slurm/coordinator.sbatch wrote before the
 * coordinator did) counts as complete for whatever run a worker has.
 *
 * ROOT/.musicgen/serving, written by a coordinator when it starts serving
 * a run from ROOT, names the run it serves:
 *     {"global_seed":S,"start":A}
 * A connected worker checks it in the --out it was given before it joins:
 * a worker whose --out is not the coordinator's (a typo, another mount)
 * wrote its samples where no manifest would ever list them, and the
 * coordinator, trusting the rows, wrote a manifest of samples its root
 * did not hold.
 *
 * ROOT/.musicgen/slices/range.json, written by static workers, holds the
 * range of the tree's static run (the largest any slice was made for):
 *     {"start":A,"count":N}
 * Slice files are named by array index and size alone: a slice or a
 * merge of a range that does not hold it would leave samples out of the
 * manifest (worker_static.c, cmd_merge.c refuse it).
 *
 * Marks are written by temp file + rename: a reader sees no mark or a
 * whole one.
 */
#ifndef MG_RUNMARK_H
#define MG_RUNMARK_H

#include <stddef.h>
#include <stdint.h>

/* 0, or -1 with err. */
int mg_runmark_write(const char *root, int64_t global_seed, uint64_t start,
                     uint64_t count, char *err, size_t errlen);
/* The serving mark of a coordinator of the run (global_seed, start) in
 * ROOT: 0, or -1 with err. */
int mg_runmark_serve(const char *root, int64_t global_seed, uint64_t start,
                     char *err, size_t errlen);
/* 1 if ROOT/.musicgen/serving names the run (global_seed, start), else 0. */
int mg_runmark_serves(const char *root, int64_t global_seed, uint64_t start);
/* Remove ROOT's serving mark (the run moved to another root): 1 when it
 * was there and is gone, else 0. */
int mg_runmark_unserve(const char *root);
/* The static run's range: write it (0, or -1 with err); read it: 1 and
 * *start, *count set, 0 when there is none, -1 when it is malformed. */
int mg_runmark_range_write(const char *root, uint64_t start, uint64_t count,
                           char *err, size_t errlen);
int mg_runmark_range(const char *root, uint64_t *start, uint64_t *count);
/* Remove the mark (a run with work to do is not complete); 0 when there
 * is none afterwards, or -1 with err. */
int mg_runmark_clear(const char *root, char *err, size_t errlen);
/* 1 if ROOT/.musicgen/complete marks this run (or is empty), else 0. */
int mg_runmark_complete(const char *root, int64_t global_seed,
                        uint64_t start, uint64_t count);

#endif
