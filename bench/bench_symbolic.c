/*
 * bench_symbolic — midi-only throughput on one core.
 *
 *   bench_symbolic [N] [GENRE...]
 *
 * Prints two figures: the symbolic pipeline in memory (parameters, four
 * generators, layer-1 check, four MIDI encodings) and the whole engine
 * writing complete midi-only samples (sample.json, checksums, atomic
 * directory) into a scratch directory, each as samples per second and
 * next to the Python tool's published 68 ms per sample for its MIDI
 * pipeline. Timing is wall clock on one thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "gen.h"
#include "genre.h"
#include "midi.h"
#include "quality.h"
#include "seed.h"

#define PYTHON_MS_PER_SAMPLE 68.0

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
report(const char *what, int n, double secs)
{
    double ms = secs * 1e3 / n;
    printf("%-34s %8d samples %8.3f s %9.1f samples/s %7.3f ms/sample "
           "(%.0fx the Python tool's %.0f ms)\n",
           what, n, secs, n / secs, ms, PYTHON_MS_PER_SAMPLE / ms,
           PYTHON_MS_PER_SAMPLE);
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    char err[512];
    mg_config c;
    mg_config_defaults(&c);
    c.output_mode = MG_OUT_MIDI_ONLY;
    c.seed_set = true;
    c.global_seed = 42;
    for (int i = 2; i < argc && c.ngenres < MG_MAX_GENRES; i++)
        snprintf(c.genres[c.ngenres++], sizeof c.genres[0], "%s", argv[i]);
    char *names[MG_MAX_GENRES];
    for (int i = 0; i < c.ngenres; i++)
        names[i] = c.genres[i];
    mg_genre *g = mg_genre_resolve(c.genres_dir, names, c.ngenres, err,
                                   sizeof err);
    if (!g) {
        fprintf(stderr, "bench_symbolic: %s\n", err);
        return 1;
    }
    char gkey[MG_MAX_GENRES * 65 + 8];
    if (mg_genre_key(gkey, sizeof gkey, (const char *const *)names,
                     c.ngenres)) {
        fprintf(stderr, "bench_symbolic: genre names too long\n");
        return 1;
    }
    uint64_t gsalt = mg_genre_salt(gkey);

    mg_song s;
    mg_song_init(&s);
    mg_buf buf = {0};
    mg_gen_opts opts = {0};
    size_t bytes = 0;
    double tq = 0, qmax = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        mg_song_reset_tracks(&s);
        s.global_seed = 42;
        s.index = (uint64_t)i;
        s.sample_seed = mg_sample_seed(42, (uint64_t)i);
        s.attempt = 1;
        s.attempt_seed = s.sample_seed;
        mg_rng r[MG_NSTREAMS];
        mg_streams_init(r, s.attempt_seed, gsalt);
        if (mg_gen_song(&s, g, &opts, &r[MG_STREAM_PARAMS],
                        &r[MG_STREAM_GENERATORS])) {
            fprintf(stderr, "bench_symbolic: generator failed at %d\n", i);
            return 1;
        }
        mg_quality q;
        double q0 = now();
        mg_quality_check(&s, &q);
        double dq = now() - q0;
        tq += dq;
        if (dq > qmax) qmax = dq;
        for (int l = 0; l < MG_NLAYERS; l++) {
            buf.len = 0;
            mg_midi_encode(&s, (mg_layer)l, &buf);
            bytes += buf.len;
        }
    }
    report("symbolic pipeline, in memory", n, now() - t0);
    printf("%-34s %8d samples mean %.4f ms, max %.4f ms (budget 5 ms)\n",
           "layer-1 quality check alone", n, tq * 1e3 / n, qmax * 1e3);
    mg_buf_free(&buf);
    mg_song_free(&s);
    mg_genre_destroy(&g);

    snprintf(c.out_dir, sizeof c.out_dir, "%s/musicgen-bench-%ld",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid());
    mg_engine *e = mg_engine_new(&c, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_symbolic: %s\n", err);
        return 1;
    }
    t0 = now();
    for (int i = 0; i < n; i++) {
        mg_row row;
        if (mg_engine_run(e, (uint64_t)i, &row, err, sizeof err)) {
            fprintf(stderr, "bench_symbolic: %s\n", err);
            return 1;
        }
    }
    report("engine, complete midi-only samples", n, now() - t0);
    mg_engine_destroy(&e);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.out_dir);
    if (system(cmd) != 0) fprintf(stderr, "bench_symbolic: cleanup failed\n");
    return 0;
}
