/*
 * rss — bench_audio's peak-RSS leg (ba.h): the longest of the run's first
 * songs, found in midi-only mode, then made alone by `musicgen generate`
 * in full mode, one worker; its peak RSS is that of the largest process
 * of its tree (wait4's rusage).
 *
 * Invariant: generate is started by the spawner, a process forked before
 * the benchmark loads anything. Linux keeps a process's peak RSS across
 * exec as the high-water mark of the memory the exec replaces; a child
 * posix_spawn'd by the benchmark itself shares the benchmark's memory
 * until its exec, so wait4 reported the benchmark's own peak (the two
 * figures were equal to the tenth of a MB). The spawner's peak is a few
 * MB, far below any engine's.
 */
#include "ba.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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
 * mode, one worker: the largest process of its tree (wait4's rusage).
 * Only from the spawner (see the invariant above). */
static long
generate_peak_kb(const char *bin, const mg_config *base, long idx)
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

int
ba_spawner_start(ba_spawner *sp, const char *bin, const mg_config *base)
{
    int down[2], up[2];
    pid_t pid;

    sp->to = sp->from = -1;
    sp->pid = -1;
    if (pipe(down) < 0)
        return -1;
    if (pipe(up) < 0) {
        close(down[0]);
        close(down[1]);
        return -1;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(down[0]);
        close(down[1]);
        close(up[0]);
        close(up[1]);
        return -1;
    }
    if (pid == 0) {
        long idx, kb;
        close(down[1]);
        close(up[0]);
        while (ba_xfer(down[0], &idx, sizeof idx, 0) == 0 && idx >= 0) {
            kb = generate_peak_kb(bin, base, idx);
            if (ba_xfer(up[1], &kb, sizeof kb, 1) < 0)
                break;
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    sp->to = down[1];
    sp->from = up[0];
    sp->pid = pid;
    return 0;
}

long
ba_spawner_peak_kb(ba_spawner *sp, long idx)
{
    long kb;

    if (sp->pid < 0 || idx < 0 || ba_xfer(sp->to, &idx, sizeof idx, 1) < 0 ||
        ba_xfer(sp->from, &kb, sizeof kb, 0) < 0)
        return -1;
    return kb;
}

void
ba_spawner_stop(ba_spawner *sp)
{
    long quit = -1;

    if (sp->pid < 0)
        return;
    (void)ba_xfer(sp->to, &quit, sizeof quit, 1);
    close(sp->to);
    close(sp->from);
    waitpid((pid_t)sp->pid, NULL, 0);
    sp->pid = -1;
}
