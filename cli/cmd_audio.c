/*
 * cmd_audio — `musicgen calibrate` (the synthesizer's pre-roll per
 * soundfont, measured and cached) and `musicgen score-audio` (the layer-2
 * musicality score of any WAV file, with its components on --explain).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aread.h"
#include "ascore.h"
#include "audio_cal.h"
#include "commands.h"
#include "config.h"
#include "jsonout.h"

int
mg_cmd_calibrate(int argc, char **argv)
{
    mg_config c;
    char err[1024], **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;

    if (!rest)
        return 1;
    if (mg_config_from_args(&c, argc, argv, NULL, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen calibrate: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen calibrate [--sf-dir DIR] "
                   "[--sample-rate N]\n"
                   "Measures the synthesizer's pre-roll (note-on to audible "
                   "onset) for every soundfont\nof the pools and caches it "
                   "per machine and FluidSynth version.\n");
            free(rest);
            return 0;
        }
        fprintf(stderr, "musicgen calibrate: unexpected argument '%s'\n",
                rest[i]);
        free(rest);
        return 2;
    }
    free(rest);
    if (mg_audio_calibrate(&c, stdout, err, sizeof err) < 0) {
        fprintf(stderr, "musicgen calibrate: %s\n", err);
        return 1;
    }
    return 0;
}

/* "LO:HI", two finite numbers with 0 < LO < HI and nothing after them:
 * sscanf took "nan:nan" (ignored), "60:inf" (every file scored 0) and
 * "60:120xyz". */
static int
tempo_range(const char *s, double *lo, double *hi)
{
    char *e;
    *lo = strtod(s, &e);
    if (e == s || *e != ':')
        return -1;
    const char *p = e + 1;
    *hi = strtod(p, &e);
    return e == p || *e || !isfinite(*lo) || !isfinite(*hi) || *lo <= 0 ||
           *hi <= *lo ? -1 : 0;
}

static const char score_usage[] =
    "usage: musicgen score-audio [--explain] [--json] [--tempo-range LO:HI] "
    "[--] FILE...\n"
    "Prints the layer-2 (audio) musicality score in [0, 1] of each file\n"
    "(WAV, FLAC, Ogg, AIFF ...: any file libsndfile reads, mixed to mono);\n"
    "--explain adds every component, --json prints one JSON object per "
    "line;\n"
    "--tempo-range LO:HI: the tempo range (BPM) that scores as reasonable\n"
    "(default 60 to 180). A file that cannot be scored is one line on stderr\n"
    "and exit 1; the others are still scored. Details: docs/audio.md.\n";

int
mg_cmd_score_audio(int argc, char **argv)
{
    bool explain = false, as_json = false;
    double tmin = 0, tmax = 0;
    int nfiles = 0, status = 0, files_from = argc; /* after "--": files */

    for (int i = 1; i < argc; i++) {
        if (i >= files_from) {
            nfiles++;
        } else if (!strcmp(argv[i], "--")) {
            files_from = i + 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(score_usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--explain")) {
            explain = true;
        } else if (!strcmp(argv[i], "--json")) {
            as_json = true;
        } else if (!strcmp(argv[i], "--tempo-range")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (tempo_range(v, &tmin, &tmax)) {
                fprintf(stderr, "musicgen score-audio: --tempo-range: need "
                        "LO:HI in BPM, got '%s'\n", v);
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "musicgen score-audio: unknown option '%s' "
                    "(try --help)\n", argv[i]);
            return 2;
        } else {
            nfiles++;
        }
    }
    if (!nfiles) {
        fputs(score_usage, stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        char err[1100];
        size_t n;
        int rate;
        float *x;
        mg_ascore s;

        if (i < files_from && !strcmp(argv[i], "--tempo-range")) {
            i++;
            continue;
        }
        if (i < files_from && argv[i][0] == '-' && argv[i][1])
            continue;
        x = mg_aread_mono(argv[i], &n, &rate, err, sizeof err);
        if (!x) {
            fprintf(stderr, "musicgen score-audio: %s\n", err);
            status = 1;
            continue;
        }
        if (mg_ascore_analyze(x, n, rate, tmin, tmax, &s) < 0) {
            fprintf(stderr, "musicgen score-audio: %s: out of memory\n",
                    argv[i]);
            free(x);
            status = 1;
            continue;
        }
        free(x);
        if (as_json) {
            json_t *j = mg_ascore_json(&s);
            char *txt;
            /* a name that is not UTF-8 (jansson's string was NULL, and
             * the line had no "file"): readable in "file", exact in
             * "file_hex" */
            mg_json_set_path(j, "file", argv[i]);
            txt = mg_json_dump(j, 0);
            if (txt)
                fputs(txt, stdout);
            free(txt);
            json_decref(j);
            continue;
        }
        printf("%.4f  %s\n", s.score, argv[i]);
        if (explain) {
            printf("  integrity penalty %.4f (clipping %.5f, silence %.4f, "
                   "dc %.5f, crest %.1f dB)\n", s.integrity_penalty,
                   s.clipping_ratio, s.silence_ratio, s.dc_offset,
                   s.crest_db);
            printf("  raw %.4f = 0.30 tempo + 0.30 harmony + 0.25 rhythm + "
                   "0.15 noise\n", s.raw);
            printf("  tempo   %.4f  (%.1f BPM; stability %.3f, "
                   "reasonableness %.3f, clarity %.3f)\n", s.tempo,
                   s.tempo_bpm, s.beat_stability, s.tempo_reasonableness,
                   s.onset_clarity);
            printf("  harmony %.4f  (key correlation %.3f, key clarity "
                   "%.3f, stability %.3f)\n", s.harmony, s.key_correlation,
                   s.key_clarity, s.harmonic_stability);
            printf("  rhythm  %.4f  (regularity %.3f, strength %.3f, "
                   "pattern %.3f, density %.3f; %d beats)\n", s.rhythm,
                   s.beat_regularity, s.beat_strength, s.pattern, s.density,
                   s.nbeats);
            printf("  noise   %.4f  (zcr %.3f, flatness %.3f, contrast "
                   "%.3f)\n", s.noise, s.zcr_score, s.flatness_score,
                   s.contrast_score);
        }
    }
    return status;
}
