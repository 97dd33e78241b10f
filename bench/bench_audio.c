/*
 * bench_audio — the full (audio) pipeline on one core, three ways, on the
 * same samples.
 *
 *   bench_audio [N] [GENRE...]          (default N = 6)
 *
 * 1. engine: mg_engine_run in full mode (MIDI, four stems, FX, mix, WAVs,
 *    audio score, sample.json) into a scratch directory; start-up
 *    (mg_engine_new: fingerprint, font loading) is timed apart.
 * 2. bare synthesizer: the same four MIDI files of each sample through
 *    libfluidsynth in a child process (forked first, so its memory is
 *    its own) right after the engine made the sample, so the two share
 *    the machine's load of the moment, with a fluid_player (sample timing),
 *    the font loaded once beforehand, rendering exactly the sample's frame
 *    count per stem into a scratch buffer: no mix, score or writes. The
 *    synth runs with libfluidsynth's defaults, as `fluidsynth -F` would
 *    (only the rate and the player's sample timing are set): reverb and
 *    chorus on, polyphony 256, 4th-order interpolation.
 * 3. the Python tool's pipeline: per stem a `fluidsynth -ni -F stem.wav
 *    -r RATE FONT stem.mid` subprocess (reloading the font each time),
 *    then the same mix write (read the four stems, sum, write mix.wav).
 *
 * Prints seconds per sample, the ratio engine / bare synthesis (goal
 * <= 1.25) and the speed-up over the Python pipeline (goal >= 10), and
 * the engine's peak RSS (VmHWM, read before anything else is loaded) next
 * to the font's size (goal <= size + 100 MB). Figures only, never a
 * pass/fail. Wall clock, one thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fluidsynth.h>
#include <sndfile.h>

#include "config.h"
#include "engine.h"
#include "song.h"

extern char **environ;

#define MAXN 64

typedef struct {
    char dir[1200];
    long frames;
    double seconds;
    char font[1024];
} sample_info;

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) of this process: on a shared machine
 * wall clock includes waiting for a core; this does not (it also counts
 * the kernel's share of file writes). */
static double
cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static long
vm_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = atol(line + n + 1);
    fclose(f);
    return v;
}

static void
silence_log(int level, const char *msg, void *data)
{
    (void)level;
    (void)msg;
    (void)data;
}

static int
read_info(const char *root, const char *rel, const char *sf_dir,
          sample_info *si)
{
    char p[1400];
    json_error_t je;
    json_t *j;
    const char *fp;

    snprintf(si->dir, sizeof si->dir, "%.1000s/%.100s", root, rel);
    snprintf(p, sizeof p, "%.1200s/sample.json", si->dir);
    j = json_load_file(p, JSON_DECODE_INT_AS_REAL, &je);
    if (!j) {
        fprintf(stderr, "bench_audio: %s: %s\n", p, je.text);
        return -1;
    }
    /* reals: the seeds are unsigned 64-bit, beyond json_int_t */
    si->frames = (long)json_number_value(json_object_get(j, "audio_frames"));
    si->seconds = json_number_value(json_object_get(j, "duration_seconds"));
    fp = json_string_value(json_object_get(
        json_object_get(json_object_get(j, "soundfonts"), "beat"), "path"));
    if (!fp)
        fp = "";
    if (fp[0] == '/')
        snprintf(si->font, sizeof si->font, "%.1000s", fp);
    else
        snprintf(si->font, sizeof si->font, "%.500s/%.500s", sf_dir, fp);
    json_decref(j);
    return si->frames > 0 ? 0 : -1;
}

/* Bare synthesis of one sample's four MIDIs: returns seconds spent. */
static double
bare_sample(fluid_settings_t *st, fluid_synth_t *syn, const sample_info *si,
            float *buf, int chunk)
{
    double t0 = now();

    for (int l = 0; l < MG_NLAYERS; l++) {
        char p[1400];
        fluid_player_t *pl;
        long done = 0;

        snprintf(p, sizeof p, "%.1200s/midi/%.16s.mid", si->dir,
                 mg_layer_name((mg_layer)l));
        fluid_synth_system_reset(syn);
        pl = new_fluid_player(syn);
        if (!pl || fluid_player_add(pl, p) != FLUID_OK) {
            fprintf(stderr, "bench_audio: player cannot load %s\n", p);
            if (pl)
                delete_fluid_player(pl);
            continue;
        }
        fluid_player_play(pl);
        while (done < si->frames) {
            int n = si->frames - done < chunk ? (int)(si->frames - done)
                                              : chunk;
            fluid_synth_write_float(syn, n, buf, 0, 2, buf, 1, 2);
            done += n;
        }
        fluid_player_stop(pl);
        delete_fluid_player(pl);
    }
    (void)st;
    return now() - t0;
}

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

static int
xfer(int fd, void *p, size_t n, int wr)
{
    char *b = p;

    while (n > 0) {
        ssize_t r = wr ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void
bare_child(int rfd, int wfd, int rate)
{
    enum { CHUNK = 4096 };
    static float buf[2 * CHUNK];
    fluid_settings_t *st;
    fluid_synth_t *syn = NULL;
    bare_req q;

    fluid_set_log_function(FLUID_WARN, silence_log, NULL);
    fluid_set_log_function(FLUID_INFO, silence_log, NULL);
    fluid_set_log_function(FLUID_DBG, silence_log, NULL);
    st = new_fluid_settings();
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setstr(st, "player.timing-source", "sample");
    while (xfer(rfd, &q, sizeof q, 0) == 0 && q.go) {
        bare_rep r = {0, 0, 0};
        if (!syn) {
            /* font loaded once, before the first timed sample */
            syn = new_fluid_synth(st);
            if (syn && fluid_synth_sfload(syn, q.si.font, 1) == FLUID_FAILED) {
                delete_fluid_synth(syn);
                syn = NULL;
            }
        }
        if (syn) {
            double c0 = cpu_now();
            r.wall = bare_sample(st, syn, &q.si, buf, CHUNK);
            r.cpu = cpu_now() - c0;
            r.ok = 1;
        }
        if (xfer(wfd, &r, sizeof r, 1) < 0)
            break;
    }
    if (syn)
        delete_fluid_synth(syn);
    delete_fluid_settings(st);
    _exit(0);
}

static int
run_quiet(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The Python tool's way: a fluidsynth process per stem, then the mix. */
static double
python_sample(const sample_info *si, const char *scratch, int rate)
{
    char rs[16], mid[MG_NLAYERS][1400], wav[MG_NLAYERS][1400], mixp[1400];
    SNDFILE *in[MG_NLAYERS] = {NULL}, *out = NULL;
    SF_INFO info;
    short *a = NULL, *b = NULL;
    double t0 = now();
    enum { CH = 8192 };

    snprintf(rs, sizeof rs, "%d", rate);
    for (int l = 0; l < MG_NLAYERS; l++) {
        snprintf(mid[l], sizeof mid[l], "%.1200s/midi/%.16s.mid", si->dir,
                 mg_layer_name((mg_layer)l));
        snprintf(wav[l], sizeof wav[l], "%.1300s/%.16s.wav", scratch,
                 mg_layer_name((mg_layer)l));
        char *argv[] = {"fluidsynth", "-ni", "-F", wav[l], "-r", rs,
                        (char *)si->font, mid[l], NULL};
        if (run_quiet(argv) < 0) {
            fprintf(stderr, "bench_audio: fluidsynth failed on %s\n",
                    mid[l]);
            return -1;
        }
    }
    /* the same write: the four stems summed into one 16-bit mix.wav */
    a = calloc(2 * CH, sizeof *a);
    b = calloc(2 * CH, sizeof *b);
    for (int l = 0; l < MG_NLAYERS; l++) {
        memset(&info, 0, sizeof info);
        in[l] = sf_open(wav[l], SFM_READ, &info);
    }
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    snprintf(mixp, sizeof mixp, "%s/mix.wav", scratch);
    out = sf_open(mixp, SFM_WRITE, &info);
    for (;;) {
        sf_count_t got = 0;
        memset(a, 0, sizeof(short) * 2 * CH);
        for (int l = 0; l < MG_NLAYERS; l++) {
            sf_count_t g = in[l] ? sf_readf_short(in[l], b, CH) : 0;
            for (sf_count_t i = 0; i < 2 * g; i++) {
                int v = a[i] + b[i];
                a[i] = (short)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
            }
            if (g > got)
                got = g;
        }
        if (got <= 0)
            break;
        if (out)
            sf_writef_short(out, a, got);
    }
    for (int l = 0; l < MG_NLAYERS; l++)
        if (in[l])
            sf_close(in[l]);
    if (out)
        sf_close(out);
    free(a);
    free(b);
    return now() - t0;
}

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 6;
    char err[512], cmd[1400], scratch[1300];
    mg_config c;
    sample_info si[MAXN];
    double t0, t_new, t_fp, t_eng = 0, t_bare = 0, t_py = 0, song = 0;
    double c_eng = 0, c_bare = 0, c0;
    int to_bare = -1, from_bare = -1;
    pid_t bare_pid;
    long hwm, rss_before;
    struct stat fst;
    int py_ok = 1;

    if (n < 1 || n > MAXN)
        n = 6;
    mg_config_defaults(&c);
    c.output_mode = MG_OUT_FULL;
    c.seed_set = true;
    c.global_seed = 42;
    for (int i = 2; i < argc && c.ngenres < MG_MAX_GENRES; i++)
        snprintf(c.genres[c.ngenres++], sizeof c.genres[0], "%s", argv[i]);
    snprintf(c.out_dir, sizeof c.out_dir, "%s/musicgen-bench-audio-%ld",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid());

    /* 2. (the child) bare synthesis, sample by sample after the engine */
    {
        int down[2], up[2];
        if (pipe(down) < 0 || pipe(up) < 0) {
            perror("bench_audio: pipe");
            return 1;
        }
        fflush(NULL);
        bare_pid = fork();
        if (bare_pid < 0) {
            perror("bench_audio: fork");
            return 1;
        }
        if (bare_pid == 0) {
            close(down[1]);
            close(up[0]);
            bare_child(down[0], up[1], c.sample_rate);
        }
        close(down[0]);
        close(up[1]);
        to_bare = down[1];
        from_bare = up[0];
    }

    /* 1. the engine (the fingerprint is timed alone first: it is part of
     * every process's start-up, the font hash cached after the first) */
    rss_before = vm_kb("VmRSS");
    {
        mg_fingerprint fp;
        t0 = now();
        if (mg_fingerprint_compute(&c, &fp, err, sizeof err) < 0) {
            fprintf(stderr, "bench_audio: %s\n", err);
            return 1;
        }
        t_fp = now() - t0;
    }
    t0 = now();
    mg_engine *e = mg_engine_new(&c, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_audio: %s\n", err);
        return 1;
    }
    t_new = now() - t0;
    long rss_new = vm_kb("VmRSS");
    for (int i = 0; i < n; i++) {
        mg_row row;
        double t1 = now();
        c0 = cpu_now();
        if (mg_engine_run(e, (uint64_t)i, &row, err, sizeof err) ||
            row.status != MG_ROW_OK) {
            fprintf(stderr, "bench_audio: sample %d: %s\n", i,
                    row.status != MG_ROW_OK ? row.error : err);
            return 1;
        }
        t1 = now() - t1;
        t_eng += t1;
        c_eng += cpu_now() - c0;
        if (read_info(c.out_dir, row.path, c.sf_dir, &si[i]) < 0)
            return 1;
        song += si[i].seconds;
        {
            bare_req q;
            bare_rep r;
            memset(&q, 0, sizeof q);
            q.go = 1;
            q.si = si[i];
            if (xfer(to_bare, &q, sizeof q, 1) < 0 ||
                xfer(from_bare, &r, sizeof r, 0) < 0 || !r.ok) {
                fprintf(stderr, "bench_audio: bare synthesis failed on "
                        "sample %d (font %s)\n", i, si[i].font);
                return 1;
            }
            t_bare += r.wall;
            c_bare += r.cpu;
            if (getenv("BENCH_AUDIO_VERBOSE"))
                fprintf(stderr, "sample %d (%s, %.1f s): engine %.3f s, "
                        "bare %.3f s, ratio %.2f\n", i, row.path,
                        si[i].seconds, t1, r.wall, t1 / r.wall);
        }
    }
    {
        bare_req q;
        memset(&q, 0, sizeof q);
        xfer(to_bare, &q, sizeof q, 1);
        close(to_bare);
        close(from_bare);
        waitpid(bare_pid, NULL, 0);
    }
    hwm = vm_kb("VmHWM");
    mg_engine_destroy(&e);
    if (stat(si[0].font, &fst) < 0)
        fst.st_size = 0;

    /* 3. the Python tool's pipeline */
    snprintf(scratch, sizeof scratch, "%s/py", c.out_dir);
    mkdir(scratch, 0755);
    if (getenv("BENCH_AUDIO_NO_PYTHON")) {
        py_ok = 0;
    } else {
        for (int i = 0; i < n && py_ok; i++) {
            double t = python_sample(&si[i], scratch, c.sample_rate);
            if (t < 0)
                py_ok = 0;
            t_py += t;
        }
    }

    printf("%d samples of %s, full mode, %.1f s of song (%.1f s each), "
           "%d Hz, one thread\n", n, c.ngenres ? c.genres[0] : "all genres",
           song, song / n, c.sample_rate);
    printf("engine start-up (fingerprint + font load)   %8.3f s "
           "(fingerprint alone %.3f s)\n", t_new, t_fp);
    printf("engine, whole sample                         %8.3f s/sample "
           "(%.1fx real time)\n", t_eng / n, song / t_eng);
    printf("bare synthesis of the same 4 MIDIs            %8.3f s/sample "
           "(%.1fx real time)\n", t_bare / n, song / t_bare);
    {
        fluid_settings_t *d = new_fluid_settings();
        int rv = 0, ch = 0, poly = 0;
        fluid_settings_getint(d, "synth.reverb.active", &rv);
        fluid_settings_getint(d, "synth.chorus.active", &ch);
        fluid_settings_getint(d, "synth.polyphony", &poly);
        printf("  (libfluidsynth %s defaults: reverb %s, chorus %s, "
               "polyphony %d, 4th-order interpolation; one stem at a "
               "time, as `fluidsynth -F` renders it)\n",
               fluid_version_str(), rv ? "on" : "off", ch ? "on" : "off",
               poly);
        delete_fluid_settings(d);
    }
    printf("engine / bare synthesis                       %8.2fx "
           "(goal <= 1.25x)\n", t_eng / t_bare);
    printf("  CPU time (user + sys): engine %.3f s, bare %.3f s per "
           "sample, ratio %.2fx\n", c_eng / n, c_bare / n, c_eng / c_bare);
    if (py_ok) {
        printf("Python-tool pipeline (fluidsynth per stem)    %8.3f s/sample\n",
               t_py / n);
        printf("speed-up over the Python-tool pipeline        %8.1fx "
               "(goal >= 10x)\n", t_py / t_eng);
    } else {
        printf("Python-tool pipeline: not run (fluidsynth binary missing "
               "or BENCH_AUDIO_NO_PYTHON set)\n");
    }
    printf("peak RSS of one engine process                %8.1f MB "
           "(font %.1f MB; goal <= font + 100 MB; %.1f MB before start)\n",
           hwm / 1024.0, fst.st_size / 1048576.0, rss_before / 1024.0);
    printf("  RSS after start-up                          %8.1f MB\n",
           rss_new / 1024.0);
    printf("  peak RSS - font size                        %8.1f MB\n",
           hwm / 1024.0 - fst.st_size / 1048576.0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.out_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_audio: cleanup failed\n");
    return 0;
}
