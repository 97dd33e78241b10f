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
#include "rfile.h"

/* The rates the analysis takes: it needs the band up to 2.8 kHz (so
 * 8 kHz, generate's lowest, at the least), and a rate past 768 kHz (the
 * highest in use) is a broken header; 1 Hz was scored 0 and 10 MHz
 * scored, both without a word. */
#define SCORE_RATE_MIN 8000
#define SCORE_RATE_MAX 768000

/* What libsndfile would not say plainly: a file that cannot be opened
 * ("System error : No such file or directory."), a directory or an empty
 * file ("Format not recognised."), a FIFO or a device (a FIFO with no
 * writer held the command for ever). The file is opened once, without
 * blocking, and libsndfile reads that descriptor: what was checked is
 * what is read. The descriptor, or -1 with err set. */
static int
file_open(const char *path, struct stat *st, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0 || fstat(fd, st)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (S_ISREG(st->st_mode) && st->st_size > 0)
        return fd;
    close(fd);
    if (S_ISDIR(st->st_mode) || S_ISREG(st->st_mode))
        snprintf(err, errlen, "%s: %s, not an audio file", path,
                 S_ISDIR(st->st_mode) ? "a directory" : "an empty file");
    else if (!mg_rfile_check(path, err, errlen)) /* its words for the kind */
        snprintf(err, errlen, "%s: not a regular file", path);
    return -1;
}

/* The bytes of one frame of a PCM, float or 8-bit-law subtype (0 for a
 * compressed one, whose frames have no fixed size). */
static unsigned
frame_bytes(const SF_INFO *info)
{
    unsigned b;
    switch (info->format & SF_FORMAT_SUBMASK) {
    case SF_FORMAT_PCM_S8: case SF_FORMAT_PCM_U8: case SF_FORMAT_ULAW:
    case SF_FORMAT_ALAW: b = 1; break;
    case SF_FORMAT_PCM_16: b = 2; break;
    case SF_FORMAT_PCM_24: b = 3; break;
    case SF_FORMAT_PCM_32: case SF_FORMAT_FLOAT: b = 4; break;
    case SF_FORMAT_DOUBLE: b = 8; break;
    default: return 0;
    }
    return b * (unsigned)info->channels;
}

/* The kind (audiohdr.h) of libsndfile's container type: a claim is
 * believed only of the format libsndfile found (MAT4, MPC2000 and SDS
 * have weak magic numbers). */
static const char *
sf_kind(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV: case SF_FORMAT_WAVEX: return "WAV";
    case SF_FORMAT_RF64: return "RF64";
    case SF_FORMAT_W64: return "Wave64";
    case SF_FORMAT_AIFF: return "AIFF";
    case SF_FORMAT_AU: return "AU";
    case SF_FORMAT_NIST: return "NIST";
    case SF_FORMAT_IRCAM: return "IRCAM";
    case SF_FORMAT_MAT4: return "MAT4";
    case SF_FORMAT_MAT5: return "MAT5";
    case SF_FORMAT_SVX: return "SVX";
    case SF_FORMAT_VOC: return "VOC";
    case SF_FORMAT_AVR: return "AVR";
    case SF_FORMAT_WVE: return "WVE";
    case SF_FORMAT_MPC2K: return "MPC2000";
    case SF_FORMAT_SDS: return "SDS";
    case SF_FORMAT_PAF: return "PAF";
    case SF_FORMAT_PVF: return "PVF";
    default: return "";
    }
}

/* A file whose header claims more audio than the file holds, which
 * libsndfile reads without a word for every format whose header has a
 * length (it shortens the length to the bytes present: a 30 s song cut
 * at 2 s was scored as a 2 s song), or, in a format whose header has
 * none (IRCAM), audio that ends inside a frame. A streamed file's
 * "unknown length" is no claim. */
static bool
claim_cut(const mg_audiohdr *h, uint64_t size, const SF_INFO *info)
{
    uint64_t block = h->block_align ? h->block_align : frame_bytes(info);

    if (h->open_end)
        return block && size > h->data_off && (size - h->data_off) % block;
    return h->data_size > UINT64_MAX - h->data_off ||
           h->data_off + h->data_size > size;
}

/* claim_cut's one line; held: the frames libsndfile read (UINT64_MAX:
 * none, it could not open the file). */
static void
claim_say(const char *path, const mg_audiohdr *h, uint64_t size,
          const SF_INFO *info, uint64_t held, char *err, size_t errlen)
{
    uint64_t block = h->block_align ? h->block_align : frame_bytes(info);
    uint64_t tail = size > h->data_off ? size - h->data_off : 0;
    uint64_t promised = h->frames ? h->frames
                        : block   ? h->data_size / block : 0;

    if (h->open_end)
        snprintf(err, errlen, "%s: truncated %s: it ends inside a frame, "
                 "after %" PRIu64 " whole frames and %" PRIu64 " of the "
                 "next one's %" PRIu64 " bytes", path, h->kind, tail / block,
                 tail % block, block);
    else if (promised && held < promised)
        snprintf(err, errlen, "%s: truncated %s: its header says %" PRIu64
                 " frames, the file holds %" PRIu64, path, h->kind,
                 promised, held);
    else    /* no frame count (a compressed encoding), or libsndfile made
             * up the frames missing (SDS) */
        snprintf(err, errlen, "%s: truncated %s: its header says %" PRIu64
                 " bytes of audio, the file holds %" PRIu64, path, h->kind,
                 h->data_size, tail);
}

/* Read any libsndfile-readable file as mono float, a piece at a time
 * (a length libsndfile does not know - SF_COUNT_MAX, as for an Ogg file
 * cut short - was taken as the length: "out of memory"). */
#define READ_PIECE 65536

float *
mg_aread_mono(const char *path, size_t *n, int *rate, char *err, size_t errlen)
{
    unsigned char head[65536];
    struct stat st;
    SF_INFO info;
    SNDFILE *f;
    mg_audiohdr h;
    float *buf = NULL, *mono = NULL;
    size_t got = 0, cap = 0;
    sf_count_t r;
    bool known, cut;
    char why[200] = "";
    ssize_t hn;
    int fd;

    memset(&info, 0, sizeof info);
    if ((fd = file_open(path, &st, err, errlen)) < 0)
        return NULL;
    hn = pread(fd, head, sizeof head, 0);
    cut = hn > 0 && !mg_audiohdr_claim(head, (size_t)hn, &h);
    f = sf_open_fd(fd, SFM_READ, &info, 0);
    if (!f) {
        /* an AIFF whose COMM chunk, after the audio, was cut off:
         * "Channel count is zero." (not said of the formats whose magic
         * numbers are weak, where libsndfile saw none) */
        if (cut && strcmp(h.kind, "MAT4") && strcmp(h.kind, "MPC2000") &&
            strcmp(h.kind, "SDS") &&
            claim_cut(&h, (uint64_t)st.st_size, &info))
            claim_say(path, &h, (uint64_t)st.st_size, &info, UINT64_MAX,
                      err, errlen);
        else
            snprintf(err, errlen, "%s: %s", path, sf_strerror(NULL));
        close(fd);
        return NULL;
    }
    known = info.frames != SF_COUNT_MAX;
    /* a cut file is read through only to count the frames it holds */
    cut = cut && !strcmp(h.kind, sf_kind(info.format)) &&
          claim_cut(&h, (uint64_t)st.st_size, &info);
    if (info.frames <= 0 || info.channels <= 0) {
        if (cut)    /* cut before its first frame */
            claim_say(path, &h, (uint64_t)st.st_size, &info, 0, err,
                      errlen);
        else
            snprintf(err, errlen, "%s: no audio frames", path);
        goto fail;
    }
    if (info.samplerate < SCORE_RATE_MIN || info.samplerate > SCORE_RATE_MAX) {
        snprintf(err, errlen, "%s: sample rate %d Hz, outside the %d..%d Hz "
                 "the audio score takes", path, info.samplerate,
                 SCORE_RATE_MIN, SCORE_RATE_MAX);
        goto fail;
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
        if (cut) {
            got += (size_t)r;
            continue;
        }
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
    if (cut) {
        claim_say(path, &h, (uint64_t)st.st_size, &info, got, err, errlen);
        goto fail;
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
    close(fd);
    free(buf);
    *n = got;
    *rate = info.samplerate;
    return mono;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
fail:
    sf_close(f);
    close(fd);
    free(buf);
    free(mono);
    return NULL;
}
