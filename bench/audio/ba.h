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
    bool audible[MG_NLAYERS];   /* the engine's stem has a loudness */
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
    int check;          /* also each stem's peak (BENCH_AUDIO_VERBOSE) */
    sample_info si;
} bare_req;

typedef struct {
    int ok;
    double wall, cpu;
    float peak[MG_NLAYERS];     /* with check: each stem's peak |sample| */
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
/* `musicgen generate` runs from a process forked at the start of main,
 * before anything is loaded: a child made by the engine's process would
 * report that process's peak, not its own (exec keeps the high-water
 * mark of the memory it replaces: posix_spawn's child shares it). */
typedef struct {
    int to, from;       /* pipes to and from the spawner */
    long pid;
} ba_spawner;
/* Fork the spawner (bin: musicgen; base: the run); 0, or -1. */
int ba_spawner_start(ba_spawner *sp, const char *bin, const mg_config *base);
/* Peak RSS (kB) of `musicgen generate` making sample idx alone, full
 * mode, one worker: the largest process of its tree; -1. */
long ba_spawner_peak_kb(ba_spawner *sp, long idx);
void ba_spawner_stop(ba_spawner *sp);

#endif
