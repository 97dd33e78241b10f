/*
 * ba — what the parts of bench_audio share (prefix ba_). The parts, one
 * leg of the benchmark each:
 *   bench/bench_audio.c  main: the engine leg, the comparisons, the report
 *   common.c             clocks, RSS, the pipe to the child, and a sample
 *                        described from its sample.json
 *   bare.c               the bare synthesizer, in a child process
 *   python.c             the Python tool's pipeline, emulated (fluidsynth
 *                        processes per stem, and per part and layer)
 *   rss.c                peak RSS of `musicgen generate` on the longest song
 * Invariant: figures only, never a pass/fail; every leg runs on the same
 * samples, right after the engine made each one (the machine's load
 * drifts over seconds).
 */
#ifndef MG_BENCH_BA_H
#define MG_BENCH_BA_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "song.h"

/* One part of the song as sample.json's song_arrangement gives it. */
typedef struct {
    double start, end;          /* seconds */
    bool active[MG_NLAYERS];
    int ts_num, ts_den;
} part_info;

typedef struct {
    char dir[1200];
    long frames;
    double seconds;
    char font[1024];
    char lfont[MG_NLAYERS][1200];   /* per layer: the file FluidSynth loads */
    long us_per_quarter;
    int nparts;
    part_info part[MG_MAX_PARTS];
} sample_info;

/* common.c */
double ba_now(void);            /* monotonic seconds */
double ba_cpu_now(void);        /* CPU seconds (user + system) */
long ba_vm_kb(const char *field);   /* /proc/self/status, kB; -1 */
/* Read or write exactly n bytes of a pipe; 0, or -1. */
int ba_xfer(int fd, void *p, size_t n, int wr);
/* The sample at root/rel as the legs need it; 0, or -1 after a line. */
int ba_read_info(const char *root, const char *rel, const char *sf_dir,
                 sample_info *si);

/* bare.c */
/* The bare synthesizer runs in a child process, forked before the engine
 * loads anything (its font and buffers are not in the engine's RSS), and
 * renders each sample's MIDIs right after the engine made the sample:
 * both see the same load on a shared machine, where it drifts over
 * seconds (one phase after the other once gave ratios from 1.3x to 1.7x
 * for the same code). */
typedef struct {
    int go;             /* 1 render si, 0 quit */
    sample_info si;
} bare_req;

typedef struct {
    int ok;
    double wall, cpu;
} bare_rep;

/* The child's loop: a bare_req in on rfd, a bare_rep out on wfd, until
 * go is 0; never returns. */
void ba_bare_child(int rfd, int wfd, int rate);

/* python.c: seconds per sample, -1 on failure */
double ba_python_sample(const sample_info *si, const char *scratch, int rate);
double ba_python_parts_sample(const sample_info *si, const char *scratch,
                              int rate, int *nproc);

/* rss.c */
long ba_longest_song(const mg_config *base, int scan, double *secs);
long ba_generate_peak_kb(const char *bin, const mg_config *base, long idx);

#endif
