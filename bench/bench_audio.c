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
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
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
#include "pools.h"
#include "sfont.h"
#include "song.h"

extern char **environ;

#define MAXN 64

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
    si->us_per_quarter =
        (long)json_number_value(json_object_get(j, "us_per_quarter"));
    {
        json_t *arr = json_object_get(j, "song_arrangement"), *pj;
        size_t k;
        si->nparts = 0;
        json_array_foreach(arr, k, pj) {
            part_info *pi = &si->part[si->nparts];
            json_t *al = json_object_get(pj, "active_layers"), *lj;
            const char *ts =
                json_string_value(json_object_get(pj, "time_signature"));
            size_t m;
            if (si->nparts == MG_MAX_PARTS)
                break;
            memset(pi, 0, sizeof *pi);
            pi->start = json_number_value(json_object_get(pj, "start_seconds"));
            pi->end = json_number_value(json_object_get(pj, "end_seconds"));
            json_array_foreach(al, m, lj) {
                int l = mg_layer_from_name(json_string_value(lj));
                if (l >= 0)
                    pi->active[l] = true;
            }
            if (!ts || sscanf(ts, "%d/%d", &pi->ts_num, &pi->ts_den) != 2) {
                pi->ts_num = 4;
                pi->ts_den = 4;
            }
            si->nparts++;
        }
    }
    /* each stem's font, as the engine loads it (an SF3 by its expansion) */
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char *lp = json_string_value(json_object_get(
            json_object_get(json_object_get(j, "soundfonts"),
                            mg_layer_name((mg_layer)l)), "path"));
        char full[1100], e[512];
        mg_sf_preset *pr;
        int np, ver = 2;
        if (!lp)
            lp = "";
        if (lp[0] == '/')
            snprintf(full, sizeof full, "%.1000s", lp);
        else
            snprintf(full, sizeof full, "%.500s/%.500s", sf_dir, lp);
        snprintf(si->lfont[l], sizeof si->lfont[l], "%s", full);
        if (mg_sfont_presets(full, &pr, &np, &ver, e, sizeof e) == 0) {
            free(pr);
            if (ver >= 3 && mg_sfont_expand(full, si->lfont[l],
                                            sizeof si->lfont[l], e,
                                            sizeof e) < 0)
                snprintf(si->lfont[l], sizeof si->lfont[l], "%s", full);
        }
    }
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
bare_sample(fluid_settings_t *st, fluid_synth_t *const *lsyn,
            const sample_info *si, float *buf, int chunk)
{
    double t0 = now();

    for (int l = 0; l < MG_NLAYERS; l++) {
        char p[1400];
        fluid_player_t *pl;
        fluid_synth_t *syn = lsyn[l];
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
    static fluid_synth_t *fsyn[16];
    static char fname[16][1200];
    int nf = 0;
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
        fluid_synth_t *lsyn[MG_NLAYERS] = {NULL};
        int ok = 1;
        /* each stem's font loaded once (a synth per font), before the
         * sample that first needs it is timed */
        for (int l = 0; l < MG_NLAYERS && ok; l++) {
            int k;
            for (k = 0; k < nf; k++)
                if (!strcmp(fname[k], q.si.lfont[l]))
                    break;
            if (k == nf && nf < 16) {
                fsyn[nf] = new_fluid_synth(st);
                if (!fsyn[nf] ||
                    fluid_synth_sfload(fsyn[nf], q.si.lfont[l], 1) ==
                        FLUID_FAILED) {
                    ok = 0;
                    break;
                }
                snprintf(fname[nf], sizeof fname[nf], "%s", q.si.lfont[l]);
                nf++;
            }
            lsyn[l] = k < nf ? fsyn[k] : NULL;
            ok = lsyn[l] != NULL;
        }
        if (ok) {
            double c0 = cpu_now();
            r.wall = bare_sample(st, lsyn, &q.si, buf, CHUNK);
            r.cpu = cpu_now() - c0;
            r.ok = 1;
        }
        if (xfer(wfd, &r, sizeof r, 1) < 0)
            break;
    }
    for (int k = 0; k < nf; k++)
        if (fsyn[k])
            delete_fluid_synth(fsyn[k]);
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

/* ---- the Python tool's part loop ------------------------------------ */

/* One channel event of a layer's MIDI file, at its absolute tick. */
typedef struct {
    uint32_t tick;
    unsigned char st, d1, d2;
    int len;                    /* data bytes: 1 or 2 */
} mev;

static uint32_t
be(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static int
vlq(const unsigned char *p, size_t n, size_t *i, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4 && *i < n; k++) {
        unsigned char c = p[(*i)++];
        *v = *v << 7 | (c & 0x7f);
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

/* The channel events of every track of a Standard MIDI File, in file
 * order per track (ours have one layer track after the conductor). */
static mev *
read_events(const char *path, size_t *nev)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b = NULL;
    long n;
    size_t pos = 14, cnt = 0, cap = 256;
    mev *ev = malloc(cap * sizeof *ev);

    *nev = 0;
    if (!f || !ev)
        goto fail;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = malloc(n > 0 ? (size_t)n : 1);
    if (n < 14 || !b || fread(b, 1, (size_t)n, f) != (size_t)n ||
        memcmp(b, "MThd", 4))
        goto fail;
    while (pos + 8 <= (size_t)n) {
        size_t end = pos + 8 + be(b + pos + 4, 4), i = pos + 8;
        uint32_t tick = 0, d;
        unsigned char run = 0;
        if (end > (size_t)n)
            goto fail;
        if (memcmp(b + pos, "MTrk", 4)) {
            pos = end;
            continue;
        }
        while (i < end) {
            unsigned char st;
            if (vlq(b, end, &i, &d) < 0 || i >= end)
                goto fail;
            tick += d;
            st = b[i] & 0x80 ? b[i++] : run;
            if (st == 0xff || st == 0xf0 || st == 0xf7) {
                uint32_t len;
                if (st == 0xff)
                    i++;
                if (vlq(b, end, &i, &len) < 0)
                    goto fail;
                i += len;
                continue;
            }
            if (!(st & 0x80))
                goto fail;
            run = st;
            if (cnt == cap) {
                mev *ne = realloc(ev, 2 * cap * sizeof *ev);
                if (!ne)
                    goto fail;
                ev = ne;
                cap *= 2;
            }
            ev[cnt].tick = tick;
            ev[cnt].st = st;
            ev[cnt].len = (st & 0xe0) == 0xc0 ? 1 : 2;
            if (i + (size_t)ev[cnt].len > end)
                goto fail;
            ev[cnt].d1 = b[i];
            ev[cnt].d2 = ev[cnt].len == 2 ? b[i + 1] : 0;
            i += (size_t)ev[cnt].len;
            cnt++;
        }
        pos = end;
    }
    fclose(f);
    free(b);
    *nev = cnt;
    return ev;
fail:
    if (f)
        fclose(f);
    free(b);
    free(ev);
    return NULL;
}

static void
put_vlq(FILE *f, uint32_t v)
{
    unsigned char c[5];
    int k = 0;
    c[k++] = v & 0x7f;
    while (v >>= 7)
        c[k++] = (unsigned char)(0x80 | (v & 0x7f));
    while (k--)
        fputc(c[k], f);
}

/* The part [t0, t1) of a layer as its own format-0 file: tempo and the
 * part's metre at 0, program changes in force, the notes that start in
 * the part (shifted to 0; a note still sounding at the part's end is
 * released there), end of track at t1 - t0. */
static int
write_part_midi(const char *path, const mev *ev, size_t nev, uint32_t t0,
                uint32_t t1, long upq, const part_info *pi)
{
    unsigned char *body = NULL;
    size_t blen = 0;
    FILE *m = open_memstream((char **)&body, &blen), *f;
    uint32_t now = 0;
    unsigned char on[16][128];
    int dd = 0;

    if (!m)
        return -1;
    memset(on, 0, sizeof on);
    while ((1 << dd) < pi->ts_den)
        dd++;
    put_vlq(m, 0);
    fputc(0xff, m); fputc(0x51, m); fputc(3, m);
    fputc((int)(upq >> 16) & 0xff, m);
    fputc((int)(upq >> 8) & 0xff, m);
    fputc((int)upq & 0xff, m);
    put_vlq(m, 0);
    fputc(0xff, m); fputc(0x58, m); fputc(4, m);
    fputc(pi->ts_num, m); fputc(dd, m); fputc(24, m); fputc(8, m);
    for (size_t i = 0; i < nev; i++) {
        const mev *e = &ev[i];
        unsigned kind = e->st & 0xf0, ch = e->st & 0x0f;
        bool noteon = kind == 0x90 && e->d2 > 0;
        bool noteoff = kind == 0x80 || (kind == 0x90 && e->d2 == 0);
        uint32_t t;
        if (e->tick >= t1 && !(noteoff && on[ch][e->d1]))
            continue;
        if (e->tick < t0 && kind != 0xc0 && kind != 0xb0)
            continue;
        if (noteon && e->tick < t0)
            continue;
        if (noteoff && !on[ch][e->d1])
            continue;
        t = e->tick < t0 ? 0 : (e->tick > t1 ? t1 : e->tick) - t0;
        if (noteon)
            on[ch][e->d1]++;
        if (noteoff)
            on[ch][e->d1]--;
        put_vlq(m, t - now);
        now = t;
        fputc(e->st, m);
        fputc(e->d1, m);
        if (e->len == 2)
            fputc(e->d2, m);
    }
    put_vlq(m, t1 - t0 - now);
    fputc(0xff, m); fputc(0x2f, m); fputc(0, m);
    fclose(m);
    f = fopen(path, "wb");
    if (!f) {
        free(body);
        return -1;
    }
    fwrite("MThd\0\0\0\6\0\0\0\1", 1, 12, f);
    fputc(MG_PPQ >> 8, f);
    fputc(MG_PPQ & 0xff, f);
    fwrite("MTrk", 1, 4, f);
    for (int k = 3; k >= 0; k--)
        fputc((int)(blen >> (8 * k)) & 0xff, f);
    fwrite(body, 1, blen, f);
    free(body);
    return fclose(f) == 0 ? 0 : -1;
}

/* The per-part MIDI files of one sample (outside the timing: the Python
 * tool writes its own from its generators' objects). Returns the number
 * of files, -1 on failure; name[p][l] is "" where the layer is inactive. */
static int
make_part_midis(const sample_info *si, const char *scratch,
                char name[][MG_NLAYERS][1400])
{
    int made = 0;

    for (int l = 0; l < MG_NLAYERS; l++) {
        char p[1400];
        size_t nev;
        mev *ev;

        snprintf(p, sizeof p, "%.1200s/midi/%.16s.mid", si->dir,
                 mg_layer_name((mg_layer)l));
        if (!(ev = read_events(p, &nev))) {
            fprintf(stderr, "bench_audio: cannot read %s\n", p);
            return -1;
        }
        for (int k = 0; k < si->nparts; k++) {
            const part_info *pi = &si->part[k];
            double tps = MG_PPQ * 1e6 / (double)si->us_per_quarter;
            uint32_t t0 = (uint32_t)lround(pi->start * tps);
            uint32_t t1 = (uint32_t)lround(pi->end * tps);
            name[k][l][0] = 0;
            if (!pi->active[l] || t1 <= t0)
                continue;
            snprintf(name[k][l], sizeof name[k][l], "%.1300s/p%d_%.16s.mid",
                     scratch, k, mg_layer_name((mg_layer)l));
            if (write_part_midi(name[k][l], ev, nev, t0, t1,
                                si->us_per_quarter, pi) < 0) {
                free(ev);
                return -1;
            }
            made++;
        }
        free(ev);
    }
    return made;
}

/* The Python tool's part loop: per part, per active layer a
 * `fluidsynth -ni -F` process on that part's MIDI (the font reloaded
 * each time); then per part the active stems summed, the parts
 * concatenated into mix.wav and the four stems (silence where a layer
 * rests). Returns seconds (*nproc: fluidsynth processes), -1 on failure. */
static double
python_parts_sample(const sample_info *si, const char *scratch, int rate,
                    int *nproc)
{
    static char mid[MG_MAX_PARTS][MG_NLAYERS][1400];
    char wav[MG_NLAYERS][1400], rs[16], p[1400];
    SNDFILE *out[MG_NLAYERS + 1] = {NULL};
    SF_INFO info;
    enum { CH = 8192 };
    short *mix = calloc(2 * CH, sizeof *mix);
    short *st[MG_NLAYERS];
    double t0 = 0;
    int rc = -1;

    *nproc = make_part_midis(si, scratch, mid);
    for (int l = 0; l < MG_NLAYERS; l++)
        st[l] = calloc(2 * CH, sizeof **st);
    if (*nproc < 0 || !mix || !st[0] || !st[1] || !st[2] || !st[3])
        goto out;
    snprintf(rs, sizeof rs, "%d", rate);
    t0 = now();
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (l < MG_NLAYERS)
            snprintf(p, sizeof p, "%.1300s/stem_%.16s.wav", scratch,
                     mg_layer_name((mg_layer)l));
        else
            snprintf(p, sizeof p, "%.1300s/mix.wav", scratch);
        SF_INFO o = info;
        if (!(out[l] = sf_open(p, SFM_WRITE, &o)))
            goto out;
    }
    for (int k = 0; k < si->nparts; k++) {
        SNDFILE *in[MG_NLAYERS] = {NULL};
        long want = lround(si->part[k].end * rate) -
                    lround(si->part[k].start * rate);
        for (int l = 0; l < MG_NLAYERS; l++) {
            if (!mid[k][l][0])
                continue;
            snprintf(wav[l], sizeof wav[l], "%.1300s/p%d_%.16s.wav",
                     scratch, k, mg_layer_name((mg_layer)l));
            char *argv[] = {"fluidsynth", "-ni", "-F", wav[l], "-r", rs,
                            (char *)si->font, mid[k][l], NULL};
            if (run_quiet(argv) < 0) {
                fprintf(stderr, "bench_audio: fluidsynth failed on %s\n",
                        mid[k][l]);
                goto out;
            }
            SF_INFO ii;
            memset(&ii, 0, sizeof ii);
            in[l] = sf_open(wav[l], SFM_READ, &ii);
        }
        /* mix_part, then the part appended to the mix and the stems */
        for (long done = 0; done < want;) {
            int n = want - done < CH ? (int)(want - done) : CH;
            memset(mix, 0, sizeof(short) * 2 * (size_t)n);
            for (int l = 0; l < MG_NLAYERS; l++) {
                sf_count_t g = in[l] ? sf_readf_short(in[l], st[l], n) : 0;
                if (g < 0)
                    g = 0;
                memset(st[l] + 2 * g, 0, sizeof(short) * 2 * (size_t)(n - g));
                for (int i = 0; i < 2 * n; i++) {
                    int v = mix[i] + st[l][i];
                    mix[i] = (short)(v > 32767 ? 32767
                                     : v < -32768 ? -32768 : v);
                }
                sf_writef_short(out[l], st[l], n);
            }
            sf_writef_short(out[MG_NLAYERS], mix, n);
            done += n;
        }
        for (int l = 0; l < MG_NLAYERS; l++)
            if (in[l])
                sf_close(in[l]);
    }
    rc = 0;
out:
    for (int l = 0; l <= MG_NLAYERS; l++)
        if (out[l])
            sf_close(out[l]);
    for (int l = 0; l < MG_NLAYERS; l++)
        free(st[l]);
    free(mix);
    return rc < 0 ? -1 : now() - t0;
}

/* The longest song among indices [0, scan) of the run (midi-only, in a
 * scratch directory): its index, and its length in *secs. */
static long
longest_song(const mg_config *base, int scan, double *secs)
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
                long r0 = vm_kb("VmRSS");
                snprintf(c1.fonts, sizeof c1.fonts, "FluidR3_GM");
                double t1 = now();
                mg_engine *e1 = mg_engine_new(&c1, err, sizeof err);
                if (e1) {
                    v[0] = now() - t1;
                    v[1] = (vm_kb("VmRSS") - r0) / 1024.0;
                }
                (void)!write(pf[1], v, sizeof v);
                _exit(0);
            }
            double v[2];
            close(pf[1]);
            if (xfer(pf[0], v, sizeof v, 0) == 0) {
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
    snprintf(scratch, sizeof scratch, "%s/py", c.out_dir);
    if (getenv("BENCH_AUDIO_NO_PYTHON"))
        py_ok = 0;
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
        /* 3. the Python tool's pipeline on the same sample, right after
         * (the machine's load drifts over seconds) */
        if (py_ok) {
            int np = 0;
            double t = mkdir(scratch, 0755) < 0 && errno != EEXIST
                           ? -1
                           : python_sample(&si[i], scratch, c.sample_rate);
            double tp = t < 0 ? -1
                              : python_parts_sample(&si[i], scratch,
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
        xfer(to_bare, &q, sizeof q, 1);
        close(to_bare);
        close(from_bare);
        waitpid(bare_pid, NULL, 0);
    }
    hwm = vm_kb("VmHWM");
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
        long idx = longest_song(&c, scan, &secs);
        long kb = idx < 0 ? -1
                          : generate_peak_kb(getenv("MUSICGEN_BIN"), &c, idx);
        if (kb > 0)
            printf("peak RSS, longest of the first %d songs (#%ld, %.0f s) "
                   "%6.1f MB (fonts + %.1f MB; goal <= fonts + 100 MB)\n",
                   scan, idx, secs, kb / 1024.0, kb / 1024.0 - fonts_mb);
        else
            printf("peak RSS of the longest song: not measured (musicgen "
                   "generate failed)\n");
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", c.out_dir);
    if (getenv("BENCH_AUDIO_KEEP"))
        fprintf(stderr, "bench_audio: kept %s\n", c.out_dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "bench_audio: cleanup failed\n");
    return 0;
}
