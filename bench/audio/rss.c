/*
 * rss — bench_audio's peak-RSS leg (ba.h): the longest of the run's first
 * songs, found in midi-only mode, then made alone by `musicgen generate`
 * in full mode, one worker; its peak RSS is that of the largest process
 * of its tree (wait4's rusage).
 */
#include "ba.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "engine.h"

extern char **environ;

/* The longest song among indices [0, scan) of the run (midi-only, in a
 * scratch directory): its index, and its length in *secs. */
long
ba_longest_song(const mg_config *base, int scan, double *secs)
{
    mg_config c = *base;
    char err[512], cmd[1400];
    long best = -1;
    mg_engine *e;

    c.output_mode = MG_OUT_MIDI_ONLY;
    snprintf(c.out_dir, sizeof c.out_dir, "%.1000s-scan", base->out_dir);
    *secs = 0;
    if (!(e = mg_engine_new(&c, err, sizeof err))) {
        fprintf(stderr, "bench_audio: %s\n", err);
        return -1;
    }
    for (int i = 0; i < scan; i++) {
        mg_row row;
        if (mg_engine_run(e, (uint64_t)i, &row, err, sizeof err) == 0 &&
            row.status == MG_ROW_OK && row.duration > *secs) {
            *secs = row.duration;
            best = i;
        }
    }
    mg_engine_destroy(&e);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.out_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_audio: cleanup failed\n");
    return best;
}

/* Peak RSS (kB) of `musicgen generate` making sample idx alone, full
 * mode, one worker: the largest process of its tree (wait4's rusage). */
long
ba_generate_peak_kb(const char *bin, const mg_config *base, long idx)
{
    char seed[32], start[32], out[1200], fmt[16];
    char *argv[] = {(char *)bin, "generate", "--seed", seed, "--start", start,
                    "--count", "1", "--workers", "1", "--sample-format", fmt,
                    "--out", out, "-q", NULL};
    posix_spawn_file_actions_t fa;
    struct rusage ru;
    pid_t pid;
    int status;

    snprintf(seed, sizeof seed, "%lld", (long long)base->global_seed);
    snprintf(start, sizeof start, "%ld", idx);
    snprintf(out, sizeof out, "%.1000s-long", base->out_dir);
    snprintf(fmt, sizeof fmt, "%s",
             base->sample_format == MG_SF_PCM24   ? "pcm24"
             : base->sample_format == MG_SF_FLOAT ? "float"
                                                  : "pcm16");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, bin, &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    {
        char cmd[1300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_audio: cleanup failed\n");
    }
    return ru.ru_maxrss;
}
