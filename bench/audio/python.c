/*
 * python — the Python tool's audio pipeline, emulated for bench_audio
 * (ba.h): a fluidsynth process per whole-song stem and the mix (a lower
 * bound), and its part loop: per part and active layer a fluidsynth
 * process on that part's MIDI, the parts mixed and concatenated.
 *
 * Invariant: the per-part MIDI files are made outside the timing (the
 * tool writes its own); its pedalboard FX and librosa analysis are left
 * out, so both figures are lower bounds on its cost.
 */
#include "ba.h"

#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

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
double
ba_python_sample(const sample_info *si, const char *scratch, int rate)
{
    char rs[16], mid[MG_NLAYERS][1400], wav[MG_NLAYERS][1400], mixp[1400];
    SNDFILE *in[MG_NLAYERS] = {NULL}, *out = NULL;
    SF_INFO info;
    short *a = NULL, *b = NULL;
    double t0 = ba_now();
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
    return ba_now() - t0;
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
double
ba_python_parts_sample(const sample_info *si, const char *scratch,
                       int rate, int *nproc)
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
    t0 = ba_now();
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
    return rc < 0 ? -1 : ba_now() - t0;
}
