/*
 * plot — `musicgen plot SAMPLE_DIR`: pictures of one sample, byte-stable
 * (the same sample gives the same bytes, so docs/tutorial.md's pictures
 * are regenerated and compared, never hand-made):
 *   --piano-roll OUT.svg   the four layers' notes (from the MIDI files,
 *                          read by common/music/midiread.c) with arrangement
 *                          parts, chord labels, beats and downbeats on one
 *                          time axis (what `serve` draws in the browser)
 *   --spectrogram OUT.png  the mix spectrogram (common/audio/spectro.c)
 *                          with beat, downbeat and part marks
 * Numbers in the SVG are printed with fixed precision; nothing depends on
 * the clock, the locale or the machine beyond the sample's own bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dsargs.h"
#include "jdoc.h"
#include "png.h"
#include "midiread.h"
#include "outpath.h"
#include "spectro.h"
#include "svg.h"

#define ML 80.0     /* left margin (lane names) */
#define W 1000.0    /* time axis width */

static const char *const layers[4] = {"beat", "melody", "harmony",
                                      "bassline"};
static const char *const colours[4] = {"#d9822b", "#2b6cd9", "#2ba36b",
                                       "#a32b9c"};
static const char *const part_colours[5] = {"#5a6f8c", "#7c8f5a", "#8c5a6f",
                                            "#5a8c86", "#8c7a5a"};

/* The picture's file: written beside where out leads and renamed over it
 * (a reader never sees half of one), or straight into a device or FIFO
 * (/dev/stdout; "-" is standard output), which must not be renamed over.
 * out_close: 0, or -1 with errno. */
typedef struct {
    FILE *f;
    bool in_place;
    char tgt[1300], tmp[1400];
} outf;

static FILE *
out_open(outf *o, const char *out, const char *mode)
{
    o->in_place = mg_outpath_target(out, o->tgt, sizeof o->tgt) ==
                  MG_OUT_IN_PLACE;
    if (!strcmp(out, "-")) {
        o->f = stdout;
        snprintf(o->tmp, sizeof o->tmp, "standard output");
        return o->f;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s%s", o->tgt, o->in_place ? "" : ".tmp");
    return o->f = fopen(o->tmp, mode);
}

static int
out_close(outf *o)
{
    int bad = ferror(o->f);
    int rc = o->f == stdout ? fflush(stdout) : fclose(o->f);
    if (bad && !rc) {
        rc = -1;
        errno = EIO;
    }
    if (rc && o->f == stdout)
        clearerr(stdout); /* reported by plot, naming "-": not by main too */
    o->f = NULL;
    if (rc) {
        int en = errno;
        if (!o->in_place) unlink(o->tmp);
        errno = en;
        return -1;
    }
    return o->in_place ? 0 : rename(o->tmp, o->tgt);
}

static int
piano_roll(const char *dir, json_t *sj, const char *out, char *err,
           size_t errlen)
{
    double dur = json_number_value(json_object_get(sj, "duration_seconds"));
    if (dur <= 0)
        dur = 1;
    mg_mnote *nv[4] = {NULL, NULL, NULL, NULL};
    size_t nn[4] = {0, 0, 0, 0};
    bool have[4];
    int present = 0;
    const json_t *listed = json_object_get(sj, "midi");
    for (int l = 0; l < 4; l++) {
        char p[1300], why[400];
        snprintf(p, sizeof p, "%s/midi/%s.mid", dir, layers[l]);
        int rc = mg_midiread_file(p, &nv[l], &nn[l], why, sizeof why);
        if (rc && json_object_get(listed, layers[l])) {
            /* a file the sample lists that cannot be read: a picture
             * without its lane would look whole */
            for (int k = 0; k < 4; k++)
                free(nv[k]);
            snprintf(err, errlen, "%s", why); /* it names the file */
            return -1;
        }
        have[l] = rc == 0 && nn[l] > 0;
        present += have[l];
    }
    if (!present) {
        for (int l = 0; l < 4; l++)
            free(nv[l]);
        snprintf(err, errlen, "%s: no MIDI notes (a mix-only sample?)", dir);
        return -1;
    }
    const double PART_H = 22, CHORD_H = 20, LANE_H = 80, top = 42;
    double H = top + LANE_H * present + 16;
    outf of;
    FILE *f = out_open(&of, out, "w");
    if (!f) {
        for (int l = 0; l < 4; l++)
            free(nv[l]);
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
#define X(t) (ML + (t) / dur * W)
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\">\n", ML + W + 10, H, ML + W + 10, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fcfcfc\"/>\n");
    json_t *arr = json_object_get(sj, "song_arrangement"), *p;
    size_t i;
    json_array_foreach(arr, i, p) {
        double a = json_number_value(json_object_get(p, "start_seconds"));
        double b = json_number_value(json_object_get(p, "end_seconds"));
        fprintf(f, "<rect x=\"%.2f\" y=\"1\" width=\"%.2f\" height=\"%.0f\" "
                "fill=\"%s\"/>\n", X(a), X(b) - X(a), PART_H - 3,
                part_colours[i % 5]);
        fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"11\" "
                "fill=\"#fff\">", X(a) + 3, PART_H - 7);
        mg_svg_text(f, json_string_value(json_object_get(p, "part")) ?
                 json_string_value(json_object_get(p, "part")) : "");
        fputs("</text>\n", f);
    }
    json_t *chords = json_object_get(sj, "chords"), *c;
    json_array_foreach(chords, i, c) {
        double a = json_number_value(json_object_get(c, "start_seconds"));
        const char *sym = json_string_value(json_object_get(c, "symbol"));
        fprintf(f, "<line x1=\"%.2f\" x2=\"%.2f\" y1=\"%.0f\" y2=\"%.0f\" "
                "stroke=\"#999\"/>\n<text x=\"%.2f\" y=\"%.0f\" "
                "font-size=\"11\" fill=\"#333\">", X(a), X(a), PART_H, top,
                X(a) + 2, PART_H + CHORD_H - 6);
        mg_svg_text(f, sym ? sym : "");
        fputs("</text>\n", f);
    }
    double bottom = top + LANE_H * present;
    static const char *const grid[2][2] = {{"beat_times", "#e3e3e3"},
                                           {"downbeat_times", "#9a9a9a"}};
    for (int g = 0; g < 2; g++) {
        json_t *t = json_object_get(sj, grid[g][0]), *v;
        json_array_foreach(t, i, v) {
            double x = X(json_number_value(v));
            fprintf(f, "<line x1=\"%.2f\" x2=\"%.2f\" y1=\"%.0f\" "
                    "y2=\"%.0f\" stroke=\"%s\"/>\n", x, x, top, bottom,
                    grid[g][1]);
        }
    }
    int k = 0;
    for (int l = 0; l < 4; l++) {
        if (!have[l])
            continue;
        double y0 = top + k++ * LANE_H;
        fprintf(f, "<line x1=\"0\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" "
                "stroke=\"#ccc\"/>\n<text x=\"4\" y=\"%.0f\" "
                "font-size=\"12\" fill=\"#444\">%s</text>\n", ML + W, y0, y0,
                y0 + LANE_H / 2 + 4, layers[l]);
        int lo = 127, hi = 0;
        for (size_t n = 0; n < nn[l]; n++) {
            if (nv[l][n].pitch < lo)
                lo = nv[l][n].pitch;
            if (nv[l][n].pitch > hi)
                hi = nv[l][n].pitch;
        }
        int span = hi - lo + 1 < 12 ? 12 : hi - lo + 1;
        double nh = (LANE_H - 6) / span < 1.5 ? 1.5 : (LANE_H - 6) / span;
        for (size_t n = 0; n < nn[l]; n++) {
            const mg_mnote *m = &nv[l][n];
            double y = y0 + 3 + (hi - m->pitch) *
                       ((LANE_H - 6 - nh) / (span > 1 ? span - 1 : 1));
            double w = X(m->end) - X(m->start);
            fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                    "height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n",
                    X(m->start), y, w < 1 ? 1.0 : w, nh, colours[l],
                    0.35 + 0.65 * m->velocity / 127.0);
        }
    }
    for (int l = 0; l < 4; l++)
        free(nv[l]);
    /* a label every 5 s, at most 61 of them: a sample.json whose
     * duration_seconds said 5e6 gave a 68 MB picture, and 3e9 overflowed
     * the int that counted the seconds */
    double step = dur <= 300 ? 5 : 5 * ceil(dur / 300);
    for (double t = 0; t <= dur; t += step)
        fprintf(f, "<text x=\"%.2f\" y=\"%.0f\" font-size=\"12\" "
                "fill=\"#444\">%.0f:%02d</text>\n", X(t), H - 3,
                floor(t / 60), (int)fmod(t, 60));
    fputs("</svg>\n", f);
#undef X
    if (out_close(&of)) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

static double *
times_of(json_t *sj, const char *key, size_t *n, bool parts)
{
    json_t *a = json_object_get(sj, key);
    *n = json_array_size(a);
    double *t = calloc(*n + 1, sizeof *t);
    for (size_t i = 0; t && i < *n; i++) {
        json_t *v = json_array_get(a, i);
        t[i] = json_number_value(parts ? json_object_get(v, "start_seconds")
                                       : v);
    }
    if (!t)
        *n = 0;
    return t;
}

static int
spectrogram(const char *dir, json_t *sj, const char *out, int width,
            char *err, size_t errlen)
{
    size_t nb, nd, np;
    double *b = times_of(sj, "beat_times", &nb, false);
    double *d = times_of(sj, "downbeat_times", &nd, false);
    double *p = times_of(sj, "song_arrangement", &np, true);
    mg_spectro_marks m[3] = {{b, nb, MG_SPECTRO_BEAT},
                             {d, nd, MG_SPECTRO_DOWNBEAT},
                             {p, np, MG_SPECTRO_PART}};
    char wav[1300];
    snprintf(wav, sizeof wav, "%s/mix.wav", dir);
    if (access(wav, F_OK)) {
        free(b);
        free(d);
        free(p);
        snprintf(err, errlen, "%s: no mix.wav (a midi-only sample? "
                 "--piano-roll draws it)", dir);
        return -1;
    }
    uint8_t *png;
    size_t len;
    int rc = mg_spectro_png(wav, width, 256, m, 3, &png, &len, err, errlen);
    free(b);
    free(d);
    free(p);
    if (rc)
        return -1;
    outf of;
    FILE *f = out_open(&of, out, "wb");
    if (f && fwrite(png, 1, len, f) != len) {
        int en = errno;
        if (f != stdout) fclose(f);
        else clearerr(stdout); /* reported here, not by main too */
        if (!of.in_place) unlink(of.tmp);
        errno = en;
        f = NULL;
    }
    rc = !f || out_close(&of);
    free(png);
    if (rc) {
        snprintf(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

int
mg_cmd_plot(int argc, char **argv)
{
    const char *dir = NULL, *roll = NULL, *spec = NULL;
    int width = 1000;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!dashdash && !strcmp(a, "--")) {
            dashdash = true; /* the end of options: SAMPLE_DIR may be "-x" */
        } else if (dashdash && !dir) {
            dir = a;
        } else if (dashdash) {
            fprintf(stderr, "musicgen plot: unexpected argument '%s' (try "
                    "--help)\n", a);
            return 2;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: musicgen plot SAMPLE_DIR [--piano-roll OUT.svg] "
                   "[--spectrogram OUT.png] [--width PX]\n"
                   "Byte-stable pictures of one sample: the piano roll of "
                   "its four layers with parts,\nchords, beats and "
                   "downbeats; the mix spectrogram with the same marks.\n"
                   "Each OUT is a file outside SAMPLE_DIR, or - (standard "
                   "output), not the other's.\n");
            return 0;
        } else if (!strcmp(a, "--piano-roll") && v) {
            roll = v, i++;
        } else if (!strcmp(a, "--spectrogram") && v) {
            spec = v, i++;
        } else if (!strcmp(a, "--width") && v) {
            char *end;
            long w = strtol(v, &end, 10);
            if (*end || w < 64 || w > 4096) {
                fprintf(stderr, "musicgen plot: --width must be an integer "
                        "in 64..4096\n");
                return 2;
            }
            width = (int)w, i++;
        } else if (a[0] != '-' && !dir) {
            dir = a;
        } else {
            static const char *const valued[] = {"--piano-roll",
                                                 "--spectrogram", "--width",
                                                 NULL};
            if (mg_dsargs_no_value("plot", a, !v, valued))
                return 2;
            fprintf(stderr, "musicgen plot: unexpected argument '%s' (try "
                    "--help)\n", a);
            return 2;
        }
    }
    if (!dir || (!roll && !spec)) {
        fprintf(stderr, "musicgen plot: give a sample directory and "
                "--piano-roll and/or --spectrogram\n");
        return 2;
    }
    /* an empty name (a shell variable left unset) was read as the root's
     * /sample.json, or written as ": No such file or directory" */
    const char *empty = roll && !*roll ? "--piano-roll" :
                        spec && !*spec ? "--spectrogram" : NULL;
    if (!*dir || empty) {
        fprintf(stderr, "musicgen plot: %s is an empty name%s\n",
                empty ? empty : "the sample directory",
                empty ? " (give a file, or - for standard output)" : "");
        return 2;
    }
    /* one file for both pictures: '-' for both wrote the SVG and the PNG
     * into one stream, one name for both kept the PNG alone */
    char r1[PATH_MAX], r2[PATH_MAX];
    if (roll && spec &&
        (!strcmp(roll, spec) ||
         (strcmp(roll, "-") && strcmp(spec, "-") &&
          !mg_outpath_resolve(roll, r1, sizeof r1) &&
          !mg_outpath_resolve(spec, r2, sizeof r2) && !strcmp(r1, r2)))) {
        fprintf(stderr, "musicgen plot: --piano-roll and --spectrogram both "
                "name %s: give each picture its own file (one may be -)\n",
                roll);
        return 2;
    }
    /* never into the sample: '--spectrogram ds/000000/mix.wav' (taken for
     * the input) replaced the sample's mix with the PNG */
    char rdir[PATH_MAX], rout[PATH_MAX];
    const char *outs[2] = {roll, spec};
    for (int k = 0; k < 2 && realpath(dir, rdir); k++)
        if (outs[k] && strcmp(outs[k], "-") &&
            !mg_outpath_resolve(outs[k], rout, sizeof rout) &&
            mg_path_holds(rdir, rout)) {
            fprintf(stderr, "musicgen plot: %s is inside the sample %s: "
                    "write the picture elsewhere\n", outs[k], dir);
            return 2;
        }
    char p[1300], err[3000];
    snprintf(p, sizeof p, "%s/sample.json", dir);
    /* not json_load_file: a seed above 2^63 is "too big" for jansson */
    json_t *sj = mg_jdoc_json_file(p, err, sizeof err);
    if (!sj) {
        fprintf(stderr, "musicgen plot: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (roll && piano_roll(dir, sj, roll, err, sizeof err)) {
        fprintf(stderr, "musicgen plot: %s\n", err);
        rc = 1;
    }
    if (!rc && spec && spectrogram(dir, sj, spec, width, err, sizeof err)) {
        fprintf(stderr, "musicgen plot: %s\n", err);
        rc = 1;
    }
    json_decref(sj);
    return rc;
}
