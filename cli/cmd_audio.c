/*
 * cmd_audio — `musicgen calibrate` (the synthesizer's pre-roll per
 * soundfont, measured and cached) and `musicgen score-audio` (the layer-2
 * musicality score of any WAV file, with its components on --explain).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "ascore.h"
#include "audio_cal.h"
#include "commands.h"
#include "config.h"
#include "jsonout.h"
#include "wavhdr.h"

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

/* The rates the analysis takes: it needs the band up to 2.8 kHz (so
 * 8 kHz, generate's lowest, at the least), and a rate past 768 kHz (the
 * highest in use) is a broken header; 1 Hz was scored 0 and 10 MHz
 * scored, both without a word. */
#define SCORE_RATE_MIN 8000
#define SCORE_RATE_MAX 768000

/* What libsndfile would not say plainly: a file that cannot be opened
 * ("System error : No such file or directory."), a directory or an empty
 * file ("Format not recognised."), and a WAV, RF64, Wave64, AIFF/AIFC or
 * AU file whose header claims more samples than the file holds, which it
 * reads without a word (a 30 s song cut at 2 s was scored as a 2 s
 * song). A streamed file's "unknown length" size is no claim. 0, or -1
 * with err set. */
static int
file_check(const char *path, char *err, size_t errlen)
{
    unsigned char b[65536];
    struct stat st;
    mg_audiohdr h;
    ssize_t got = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0 || fstat(fd, &st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISREG(st.st_mode))
        got = read(fd, b, sizeof b);    /* never a pipe's bytes */
    close(fd);
    if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && !st.st_size)) {
        snprintf(err, errlen, "%s: %s, not an audio file", path,
                 S_ISDIR(st.st_mode) ? "a directory" : "an empty file");
        return -1;
    }
    if (got <= 0 || mg_audiohdr_claim(b, (size_t)got, &h) ||
        h.data_size > UINT64_MAX - h.data_off ||
        h.data_off + h.data_size <= (uint64_t)st.st_size)
        return 0;
    snprintf(err, errlen, "%s: truncated %s: its header says %" PRIu64
             " frames, the file holds %" PRIu64, path, h.kind,
             h.data_size / h.block_align,
             ((uint64_t)st.st_size > h.data_off
                  ? (uint64_t)st.st_size - h.data_off : 0) / h.block_align);
    return -1;
}

/* Read any libsndfile-readable file as mono float, a piece at a time
 * (a length libsndfile does not know - SF_COUNT_MAX, as for an Ogg file
 * cut short - was taken as the length: "out of memory"). */
#define READ_PIECE 65536

static float *
read_mono(const char *path, size_t *n, int *rate, char *err, size_t errlen)
{
    SF_INFO info;
    SNDFILE *f;
    float *buf = NULL, *mono = NULL;
    size_t got = 0, cap = 0;
    sf_count_t r;
    bool known;
    char why[200] = "";

    memset(&info, 0, sizeof info);
    if (file_check(path, err, errlen) < 0)
        return NULL;
    f = sf_open(path, SFM_READ, &info);
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
        return NULL;
    }
    known = info.frames != SF_COUNT_MAX;
    if (info.frames <= 0 || info.channels <= 0) {
        sf_close(f);
        snprintf(err, errlen, "%s: no audio frames", path);
        return NULL;
    }
    if (info.samplerate < SCORE_RATE_MIN || info.samplerate > SCORE_RATE_MAX) {
        sf_close(f);
        snprintf(err, errlen, "%s: sample rate %d Hz, outside the %d..%d Hz "
                 "the audio score takes", path, info.samplerate,
                 SCORE_RATE_MIN, SCORE_RATE_MAX);
        return NULL;
    }
    buf = malloc(sizeof(float) * READ_PIECE * (size_t)info.channels);
    if (!buf)
        goto oom;
    for (;;) {
        r = sf_readf_float(f, buf, READ_PIECE);
        if (!why[0] && sf_error(f))     /* the next read may clear it */
            snprintf(why, sizeof why, ": %s", sf_strerror(f));
        if (r <= 0)
            break;
        if (got + (size_t)r > cap) {
            size_t nc = cap ? 2 * cap : READ_PIECE;
            float *m;
            while (nc < got + (size_t)r)
                nc *= 2;
            /* no more than the frames a known length gives (a 1 h file
             * keeps its 635 MB, not 1 GB); the length is believed only
             * as far as frames arrive */
            if (known && nc > (size_t)info.frames &&
                (size_t)info.frames >= got + (size_t)r)
                nc = (size_t)info.frames;
            if (!(m = realloc(mono, sizeof(float) * nc)))
                goto oom;
            mono = m;
            cap = nc;
        }
        for (sf_count_t i = 0; i < r; i++) {
            double s = 0;
            for (int ch = 0; ch < info.channels; ch++) {
                float v = buf[i * info.channels + ch];
                /* a float file's NaN or infinity reached the analysis
                 * as is: a file of NaNs scored 0.1, above silence */
                if (!isfinite(v)) {
                    snprintf(err, errlen, "%s: frame %zu, channel %d: "
                             "sample is %s, not a finite number", path,
                             got + (size_t)i, ch + 1,
                             isnan(v) ? "NaN" : "infinite");
                    goto fail;
                }
                s += v;
            }
            mono[got + (size_t)i] = (float)(s / info.channels);
        }
        got += (size_t)r;
    }
    if (known && (sf_count_t)got < info.frames) {
        /* a format other than WAV cut short, or a read error: what was
         * read is not the file */
        snprintf(err, errlen, "%s: read stopped at frame %zu of %lld%s",
                 path, got, (long long)info.frames,
                 why[0] ? why : ": the file ends there");
        goto fail;
    }
    if (!got) {
        snprintf(err, errlen, "%s: no audio frames", path);
        goto fail;
    }
    sf_close(f);
    free(buf);
    *n = got;
    *rate = info.samplerate;
    return mono;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    sf_close(f);
    free(buf);
    free(mono);
    return NULL;
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
        x = read_mono(argv[i], &n, &rate, err, sizeof err);
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
