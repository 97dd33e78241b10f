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
 * 3. the Python tool's pipeline, on each sample right after 1 and 2. Its
 *    README and documents describe a part loop: per-part soundfonts and
 *    FX in sample.json, stems rendered per part by fluidsynth
 *    subprocesses, then per part the FX and mix (mix_part), then the
 *    parts concatenated. Emulated: the sample's MIDIs cut at the part
 *    boundaries of its song_arrangement (not timed: the tool writes its
 *    own), per part and active layer a `fluidsynth -ni -F part.wav -r RATE
 *    FONT part.mid` process (the font reloaded each time), the active
 *    stems of each part summed, the parts concatenated, mix.wav and four
 *    stems written. The tool's pedalboard FX and librosa analysis are
 *    left out, so this is still a lower bound on its cost. Also printed,
 *    a lower bound below that: one fluidsynth process per whole-song stem
 *    (four per sample) and the mix write.
 *
 * Prints seconds per sample, the ratio engine / bare synthesis (goal
 * <= 1.25) and the speed-up over the Python pipeline (goal >= 10), and
 * the engine's peak RSS (VmHWM, read before anything else is loaded) next
 * to the font's size (goal <= size + 100 MB); with MUSICGEN_BIN set
 * (scripts/bench_audio.sh does), also the peak RSS of `musicgen generate`
 * making the longest of the run's first BENCH_AUDIO_LONG_SCAN (400) songs
 * alone. Figures only, never a pass/fail. Wall clock, one thread.
 *
 * This file is main and the engine leg; the other legs are in
 * bench/audio/ (ba.h names them).
 */
#include <errno.h>
#include <fluidsynth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio.h"
#include "audio/ba.h"
#include "config.h"
#include "engine.h"
#include "pools.h"
#include "sfont.h"

#define MAXN 64

int
main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 6;
    char err[512], cmd[1400], scratch[1300];
    mg_config c;
    sample_info si[MAXN];
    double t0, t_new, t_fp, t_eng = 0, t_bare = 0, t_py = 0, t_pp = 0;
    double song = 0;
    int n_proc = 0;
    double c_eng = 0, c_bare = 0, c0;
    int to_bare = -1, from_bare = -1;
    pid_t bare_pid;
    long hwm, rss_before;
    struct stat fst;
    int py_ok = 1;
    bool verbose = getenv("BENCH_AUDIO_VERBOSE") != NULL;
    ba_spawner sp = {-1, -1, -1};

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

    /* the process settings musicgen and libmusicgen make: FluidSynth's
     * log off (each render synth, handing its borrowed font back before
     * it is deleted, has no preset left on any channel and would say so
     * 16 times: harmless, nothing is playing then) */
    mg_audio_process_setup();
    /* the spawner of the peak-RSS leg, before anything is loaded */
    if (getenv("MUSICGEN_BIN") &&
        ba_spawner_start(&sp, getenv("MUSICGEN_BIN"), &c) < 0)
        perror("bench_audio: the peak-RSS leg's process");

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
            ba_bare_child(down[0], up[1], c.sample_rate);
        }
        close(down[0]);
        close(up[1]);
        to_bare = down[1];
        from_bare = up[0];
    }

    /* 0. one font (FluidR3_GM) for comparison, in a child of its own: its
     * start-up time and the RSS it adds */
    double t_one = -1, rss_one = -1;
    {
        int pf[2];
        pid_t k;
        if (pipe(pf) == 0 && (fflush(NULL), k = fork()) >= 0) {
            if (k == 0) {
                mg_config c1 = c;
                double v[2] = {-1, -1};
                long r0 = ba_vm_kb("VmRSS");
                snprintf(c1.fonts, sizeof c1.fonts, "FluidR3_GM");
                double t1 = ba_now();
                mg_engine *e1 = mg_engine_new(&c1, err, sizeof err);
                if (e1) {
                    v[0] = ba_now() - t1;
                    v[1] = (ba_vm_kb("VmRSS") - r0) / 1024.0;
                }
                (void)!write(pf[1], v, sizeof v);
                _exit(0);
            }
            double v[2];
            close(pf[1]);
            if (ba_xfer(pf[0], v, sizeof v, 0) == 0) {
                t_one = v[0];
                rss_one = v[1];
            }
            close(pf[0]);
            waitpid(k, NULL, 0);
        }
    }
    /* the pools' fonts as they are loaded (an SF3 by its expansion) */
    double fonts_mb = 0;
    int nfonts = 0;
    {
        mg_pools *pl = mg_pools_load(c.sf_dir, c.fonts, c.accept_license,
                                     err, sizeof err);
        for (int i = 0; pl && i < mg_pools_count(pl); i++) {
            const mg_font_info *f = mg_pools_font(pl, i);
            char file[1200];
            struct stat fs;
            if (!f->selected)
                continue;
            snprintf(file, sizeof file, "%s", f->file);
            if (f->version >= 3)
                mg_sfont_expand(f->file, file, sizeof file, err, sizeof err);
            if (stat(file, &fs) == 0)
                fonts_mb += fs.st_size / 1048576.0;
            nfonts++;
        }
        mg_pools_destroy(&pl);
    }

    /* 1. the engine (the fingerprint is timed alone first: it is part of
     * every process's start-up, the font hash cached after the first) */
    rss_before = ba_vm_kb("VmRSS");
    {
        mg_fingerprint fp;
        t0 = ba_now();
        if (mg_fingerprint_compute(&c, &fp, err, sizeof err) < 0) {
            fprintf(stderr, "bench_audio: %s\n", err);
            return 1;
        }
        t_fp = ba_now() - t0;
    }
    t0 = ba_now();
    mg_engine *e = mg_engine_new(&c, err, sizeof err);
    if (!e) {
        fprintf(stderr, "bench_audio: %s\n", err);
        return 1;
    }
    t_new = ba_now() - t0;
    long rss_new = ba_vm_kb("VmRSS");
    snprintf(scratch, sizeof scratch, "%s/py", c.out_dir);
    if (getenv("BENCH_AUDIO_NO_PYTHON"))
        py_ok = 0;
    for (int i = 0; i < n; i++) {
        mg_row row;
        double t1 = ba_now();
        c0 = ba_cpu_now();
        if (mg_engine_run(e, (uint64_t)i, &row, err, sizeof err) ||
            row.status != MG_ROW_OK) {
            fprintf(stderr, "bench_audio: sample %d: %s\n", i,
                    row.status != MG_ROW_OK ? row.error : err);
            return 1;
        }
        t1 = ba_now() - t1;
        t_eng += t1;
        c_eng += ba_cpu_now() - c0;
        if (ba_read_info(c.out_dir, row.path, c.sf_dir, &si[i]) < 0)
            return 1;
        song += si[i].seconds;
        {
            bare_req q;
            bare_rep r;
            memset(&q, 0, sizeof q);
            q.go = 1;
            q.check = verbose;
            q.si = si[i];
            if (ba_xfer(to_bare, &q, sizeof q, 1) < 0 ||
                ba_xfer(from_bare, &r, sizeof r, 0) < 0 || !r.ok) {
                fprintf(stderr, "bench_audio: bare synthesis failed on "
                        "sample %d (font %s)\n", i, si[i].font);
                return 1;
            }
            t_bare += r.wall;
            c_bare += r.cpu;
            if (verbose) {
                fprintf(stderr, "sample %d (%s, %.1f s): engine %.3f s, "
                        "bare %.3f s, ratio %.2f; bare stem peaks", i,
                        row.path, si[i].seconds, t1, r.wall, t1 / r.wall);
                for (int l = 0; l < MG_NLAYERS; l++)
                    fprintf(stderr, " %s %.3f%s", mg_layer_name((mg_layer)l),
                            r.peak[l], r.peak[l] == 0 && si[i].audible[l]
                                           ? " (SILENT, the engine's is not)"
                                           : "");
                fprintf(stderr, "; engine RSS %.1f MB (peak %.1f)\n",
                        ba_vm_kb("VmRSS") / 1024.0,
                        ba_vm_kb("VmHWM") / 1024.0);
            }
        }
        /* 3. the Python tool's pipeline on the same sample, right after
         * (the machine's load drifts over seconds) */
        if (py_ok) {
            int np = 0;
            double t = mkdir(scratch, 0755) < 0 && errno != EEXIST
                           ? -1
                           : ba_python_sample(&si[i], scratch, c.sample_rate);
            double tp = t < 0 ? -1
                              : ba_python_parts_sample(&si[i], scratch,
                                                       c.sample_rate, &np);
            if (t < 0 || tp < 0) {
                py_ok = 0;
            } else {
                t_py += t;
                t_pp += tp;
                n_proc += np;
            }
        }
    }
    {
        bare_req q;
        memset(&q, 0, sizeof q);
        ba_xfer(to_bare, &q, sizeof q, 1);
        close(to_bare);
        close(from_bare);
        waitpid(bare_pid, NULL, 0);
    }
    hwm = ba_vm_kb("VmHWM");
    mg_engine_destroy(&e);
    if (stat(si[0].font, &fst) < 0)
        fst.st_size = 0;

    printf("%d samples of %s, full mode, %.1f s of song (%.1f s each), "
           "%d Hz, one thread\n", n, c.ngenres ? c.genres[0] : "all genres",
           song, song / n, c.sample_rate);
    printf("engine start-up (fingerprint + font load)   %8.3f s "
           "(fingerprint alone %.3f s; goal <= 3 s)\n", t_new, t_fp);
    printf("  default pools: %d fonts, %.1f MB loaded (SF3 expanded), RSS "
           "+%.1f MB after start-up\n", nfonts, fonts_mb,
           (rss_new - rss_before) / 1024.0);
    printf("  one font (FluidR3_GM): start-up %.3f s, RSS +%.1f MB\n",
           t_one, rss_one);
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
        printf("Python-tool pipeline, its part loop           %8.3f s/sample"
               "\n", t_pp / n);
        printf("  (per part and active layer a `fluidsynth -ni -F` process "
               "reloading the font: %.1f per sample; parts mixed, "
               "concatenated, mix + 4 stems written; no FX or analysis)\n",
               (double)n_proc / n);
        printf("speed-up over the Python-tool pipeline        %8.1fx "
               "(goal >= 10x)\n", t_pp / t_eng);
        printf("  lower bound, one fluidsynth process per whole-song stem "
               "(4 per sample) + mix write: %.3f s/sample, %.1fx\n",
               t_py / n, t_py / t_eng);
    } else {
        printf("Python-tool pipeline: not run (fluidsynth binary missing "
               "or BENCH_AUDIO_NO_PYTHON set)\n");
    }
    printf("peak RSS of one engine process                %8.1f MB "
           "(fonts %.1f MB; goal <= fonts + 100 MB; %.1f MB before start)\n",
           hwm / 1024.0, fonts_mb, rss_before / 1024.0);
    printf("  RSS after start-up                          %8.1f MB\n",
           rss_new / 1024.0);
    printf("  peak RSS - fonts (what each extra job adds)  %8.1f MB\n",
           hwm / 1024.0 - fonts_mb);
    /* the store keeps a fixed budget in memory whatever the song's
     * length: the longest of the run's first songs, in its own process */
    if (getenv("MUSICGEN_BIN")) {
        double secs;
        int scan = getenv("BENCH_AUDIO_LONG_SCAN")
                       ? atoi(getenv("BENCH_AUDIO_LONG_SCAN")) : 400;
        long idx = ba_longest_song(&c, scan, &secs);
        long kb = idx < 0 ? -1 : ba_spawner_peak_kb(&sp, idx);
        if (kb > 0)
            printf("peak RSS, longest of the first %d songs (#%ld, %.0f s) "
                   "%6.1f MB (fonts + %.1f MB; goal <= fonts + 100 MB)\n",
                   scan, idx, secs, kb / 1024.0, kb / 1024.0 - fonts_mb);
        else
            printf("peak RSS of the longest song: not measured (musicgen "
                   "generate failed)\n");
    }
    ba_spawner_stop(&sp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.out_dir);
    if (getenv("BENCH_AUDIO_KEEP"))
        fprintf(stderr, "bench_audio: kept %s\n", c.out_dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "bench_audio: cleanup failed\n");
    return 0;
}
