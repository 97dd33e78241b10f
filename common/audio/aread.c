/*
 * aread — an audio file a user gives, read as mono float for the audio
 * score (see aread.h).
 */
#include "aread.h"

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

#include "audiohdr.h"

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

float *
mg_aread_mono(const char *path, size_t *n, int *rate, char *err, size_t errlen)
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
