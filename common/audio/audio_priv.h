/*
 * audio_priv.h — what the files of the audio renderer share, and nobody
 * else: the mg_audio object itself, its sizes, its parts' types and the
 * functions one part calls in another. Not a public header: only
 * common/audio/audio*.c include it (the public API is audio.h).
 *
 * The parts, one concern each:
 *   audio.c         the object's lifecycle and one sample from draws to
 *                   annotations (mg_audio_render)
 *   audio_fonts.c   soundfonts: loaded once into master synths, pre-roll
 *                   measured or cached, `calibrate`, the pools' fingerprint
 *   audio_mix.c     mix.json, the per-sample draws, the gain envelope
 *   audio_render.c  one synthesis pass per font: events, the synth, the
 *                   per-layer chain into the stem store
 *   audio_store.c   the stem store: in memory, then a scratch file
 *   audio_write.c   the write pass: headroom, quantisation, sum check,
 *                   score, the files
 *   audio_wav.c     the WAV sink that hashes the bytes as they go out
 *
 * Invariant shared by all: every loop that produces samples gives the
 * result of the plain sequential loop (no -ffast-math, no reassociation):
 * a sample's bytes never depend on how the work is split.
 */
#ifndef MG_AUDIO_PRIV_H
#define MG_AUDIO_PRIV_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <fluidsynth.h>
#include <openssl/evp.h>
#include <sndfile.h>

#include "ascore.h"
#include "audio.h"
#include "audio_fx.h"
#include "loudness.h"
#include "pools.h"

/* A vector loop over samples also built for AVX2, chosen once at load
 * time where the CPU has it (x86-64 Linux, GCC or clang): the same IEEE
 * operations on 8 float lanes instead of 4, so the same bytes (no FMA:
 * -std=c11 keeps contraction off). The test build (MG_NO_CPU_CLONES, see
 * the Makefile) has only the baseline code, and determinism_builds checks
 * that its bytes equal the release build's on an AVX2 machine. */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__) && \
    !defined(MG_NO_CPU_CLONES)
#define AUDIO_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define AUDIO_AVX2_CLONES
#endif

#define MAX_FONTS MG_POOLS_MAX
#define MAX_FONT_TAGS 16
#define BLOCK 64            /* FluidSynth's internal block, in frames */
#define CHUNK_BLOCKS 16     /* frames per fluid_synth_process call: 1024,
                             * so the synth's buffers stay in L2 with the
                             * stem blocks they are copied into */
#define CHUNK (BLOCK * CHUNK_BLOCKS)
#define SBLOCK 4096        /* frames per stem block: FX, storage, writes */
#define MG_STEM_TOL_LSB 2   /* |sum(stems) - mix| on PCM, in LSB */
#define MG_STEM_TOL_FLOAT 1e-6
#define MASTER_POLY 16   /* voices of a master synth (it holds a font) */
#define CAL_POLY 256    /* voices while a pre-roll is measured, as in
                         * `musicgen calibrate` (FluidSynth's default) */
#define STORE_MB 22     /* in-memory stem store (MUSICGEN_AUDIO_STORE_MB):
                         * 33 s of song in pcm16, 16 s in pcm24/float */

typedef struct {
    const mg_font_info *info;   /* borrowed from a->pools */
    char file[1200];    /* what FluidSynth loads (an SF3: its expansion) */
    fluid_synth_t *synth;   /* master: holds the loaded font */
    int sfid;
    fluid_sfont_t *sfont;   /* the loaded font, lent to render synths */
    int preroll;        /* frames */
    char err[512];      /* a failed load (threads) */
    const char *cache_dir;  /* calibration cache (the config's, during load) */
} font;

typedef struct {
    double level_lo[MG_NLAYERS], level_hi[MG_NLAYERS];
    double pan_lo[MG_NLAYERS], pan_hi[MG_NLAYERS];
    double part_gain[MG_NPARTKINDS][MG_NLAYERS];
    double headroom_db, max_gain_db, ramp_ms, fade_ms;
} mix_spec;

/* A WAV written through libsndfile's virtual I/O, hashed on the way out.
 * libsndfile writes the header (placeholder sizes) at [0, D), the data in
 * order from D, and at close the header again with the real sizes. The
 * data length is known before the first byte (frames x channels x bytes),
 * so when the first data byte arrives the final header is predicted (the
 * first header with its RIFF, fact and data sizes patched) and hashed,
 * and every data byte is hashed as it is written, while in cache. At
 * close the header really written must equal the prediction and the data
 * must have come in order exactly once; otherwise (a libsndfile that
 * writes differently) the file is hashed again from disk, so the digest
 * is always the SHA-256 of the file's bytes. Writes go through a buffer
 * of WBUF bytes (one write(2) per WBUF, not per libsndfile call).
 * In memory (wf_open_mem: the engine's in-memory samples) the same bytes
 * go to a malloc'd buffer instead of a file, unbuffered; the digest is
 * computed the same way, so a WAV made in memory is the file's bytes.
 * Discarded (the float32 sink, mg_audio_sink with hash): hashed the same
 * way and stored nowhere but the header bytes. */
#define WBUF (1 << 18)
#define WHDR 4096           /* largest header predicted */
typedef struct {
    int fd;
    int err;                /* errno of the first failed write */
    sf_count_t pos, len;    /* libsndfile's position, file length */
    sf_count_t frames;      /* the file's final frame count */
    sf_count_t dlen;        /* the data chunk's final length */
    sf_count_t D;           /* data offset (header length), 0 = unknown */
    sf_count_t hend;        /* end of the last write at offset 0 */
    sf_count_t dnext;       /* where the next data byte is due */
    bool ok;                /* the stream matches the prediction so far */
    unsigned char hdr[WHDR];    /* bytes [0, WHDR) as last written */
    unsigned char pred[WHDR];   /* predicted final header */
    bool inmem;             /* the bytes go to mem, not to fd */
    bool discard;           /* in memory, hashed only: mem unused */
    unsigned char *mem;     /* malloc'd, mcap bytes; len of them written */
    size_t mcap;
    EVP_MD_CTX *md;
    sf_count_t bpos;        /* file offset of buf[0] */
    size_t bn;
    unsigned char buf[WBUF];
} wfile;

struct mg_audio {
    bool render;
    mg_output_mode mode;
    mg_sample_format fmt;
    int rate;
    double fx_profile[MG_NFX];
    double tempo_min, tempo_max;
    double loud_target[MG_NLAYERS]; /* the genre's stem targets, LUFS */
    int ntags[MG_NLAYERS];
    char tags[MG_NLAYERS][MG_MAX_TAGS][32];
    mg_pools *pools;
    int nfonts;
    font fonts[MAX_FONTS];
    mg_fx_spec fx;
    mix_spec mix;
    fluid_settings_t *settings;     /* master synths */
    fluid_settings_t *rsettings;    /* render synths: 4 groups */
    /* The post-FX, post-level stems, stored until the common headroom
     * gain is known. pcm16: int16 block floating point (q * bscale[b],
     * one scale per SBLOCK frames, from the block's peak: 16 bits relative
     * to each block, 4 bytes a frame); pcm24/float: float (8 bytes a
     * frame), so the wider formats keep their precision. */
    int16_t *q[MG_NLAYERS];
    float *bscale[MG_NLAYERS];
    float *fs[MG_NLAYERS];
    size_t cap;         /* frames */
    size_t qbytes[MG_NLAYERS], fbytes[MG_NLAYERS];  /* stores' sizes */
    size_t nbscale;     /* blocks bscale[] holds */
    /* The store keeps its first mem_blocks blocks in memory (a budget of
     * STORE_MB for the four stems, whatever the song's length); the rest
     * of a longer song goes to a scratch file in $TMPDIR (unlinked, this
     * process's own), block b >= mem_blocks of layer l at
     * ((b - mem_blocks) x 4 + l) x one block's bytes, through qb/fb. */
    size_t mem_blocks;
    int spill_fd;       /* -1: not open */
    pid_t spill_pid;    /* the process that opened it (a fork reopens) */
    bool spilled;       /* this sample wrote to it */
    int spill_errno;    /* first failed scratch write of this sample */
    char spill_dir[512];
    int16_t qb[MG_NLAYERS][2 * SBLOCK];
    float fb[MG_NLAYERS][2 * SBLOCK];
    mg_ascore_acc *acc;
    /* each stem's integrated loudness, measured as its blocks are stored
     * (before any gain), and the gain that brings it to its target */
    mg_loud loud[MG_NLAYERS];
    double ngain[MG_NLAYERS];
    float dry[MG_NLAYERS][2][CHUNK];    /* synth output, planar */
    float wet[MG_NLAYERS][2][CHUNK];    /* reverb + chorus returns L R */
    float blk[MG_NLAYERS][2 * SBLOCK];  /* stem block, interleaved */
    float dec[MG_NLAYERS + 1][2 * SBLOCK];
    float mono[SBLOCK];
    int16_t out16[MG_NLAYERS + 1][2 * SBLOCK];
    int32_t out32[MG_NLAYERS + 1][2 * SBLOCK];
    wfile wf[MG_NLAYERS + 1];   /* stems, mix */
    const mg_audio_sink *sink;  /* in memory: float32 instead of WAVs */
    float sinkbuf[SBLOCK];      /* one channel's block, for sink->fd */
    size_t wlen[MG_NLAYERS + 1];    /* bytes of each WAV made in memory
                                     * by the last render (0: none) */
};

/* Rounding to the nearest integer (ties to even) without a branch: adding
 * and subtracting 1.5 x 2^23 (float) or 2^52 (double) leaves the value
 * rounded by the FPU's default mode (|y| < 2^22 here); the conversion is
 * then exact. A branch on the sign (round half away from zero) is taken
 * at random on audio - about one misprediction every other sample - and
 * lrint is a libm call per sample (errno keeps GCC from inlining it). The
 * build never uses -ffast-math, which would fold the pair away. */
#define RND_F 12582912.0f
#define RND_D 6755399441055744.0

/* One sample's draws, per layer (audio_mix.c). */
typedef struct {
    int font[MG_NLAYERS];
    int bank[MG_NLAYERS], program[MG_NLAYERS];
    const char *preset[MG_NLAYERS], *gm_class[MG_NLAYERS];
    mg_fx_chain fx[MG_NLAYERS];
    double level_db[MG_NLAYERS], pan[MG_NLAYERS];
} draws;

/* The per-layer gain envelope: part level (0 where the layer is
 * inactive), linear ramps of ramp_ms at part changes - before the boundary
 * when the gain rises (no attack is cut), after it when it falls (a note
 * ending on the boundary releases) - and a fade-out over the last fade_ms;
 * pan as a balance law. */
typedef struct {
    double g[MG_MAX_PARTS];
    long b[MG_MAX_PARTS + 1];
    int nparts;
    long R, F, N;
    double gl, gr;
    /* the stretches [zs, ze) where the envelope is exactly 0 (before the
     * first part; parts where the layer is inactive, less their ramps) */
    int nz;
    long zs[MG_MAX_PARTS + 1], ze[MG_MAX_PARTS + 1];
} gain_env;

/* The song frame of a tick (rounded to the nearest frame). */
static inline long
audio_frame_of(const mg_song *s, uint32_t tick, int rate)
{
    return lround(mg_song_seconds(s, tick) * rate);
}

/* ---- audio_fonts.c -------------------------------------------------- */

/* Settings shared by both synth kinds: one core, no locking, the
 * default polyphony; fx says whether FluidSynth's reverb and chorus run. */
fluid_settings_t *audio_make_settings(double rate, bool fx);
/* Every selected font of a->fonts (its master synth made) loaded, in
 * parallel threads, with its pre-roll. 0, or -1 with err. */
int audio_load_fonts(mg_audio *a, char *err, size_t errlen);
/* Adds to syn (before any sfload) FluidSynth's SoundFont loader reading
 * files through our stdio callbacks, which put large reads (the sample
 * data) on transparent huge pages; the synth owns it. 0, or -1. */
int audio_add_font_loader(fluid_synth_t *syn);

/* ---- audio_mix.c ---------------------------------------------------- */

int audio_mix_load(mix_spec *m, const char *path, char *err, size_t errlen);
/* Font, fx, level and pan of every layer, each from its own stream. */
void audio_draw_all(const mg_audio *a, const mg_song *s, mg_rng *sf_rng,
                    mg_rng *fx_rng, mg_rng *mix_rng, draws *d);
void audio_gain_init(const mg_audio *a, const mg_song *s, int l,
                     const draws *d, size_t N, gain_env *ge);
long audio_gain_run(const gain_env *ge, long j, long end, bool *zero);
void audio_gain_apply(const gain_env *ge, float *buf, long off, long n);

/* ---- audio_render.c ------------------------------------------------- */

/* 0, or -1 / -2 as mg_audio_render (-2: errno says which failure). */
int audio_render_pass(mg_audio *a, const mg_song *s, const draws *d, int fi,
                      size_t N, char *err, size_t errlen);

/* ---- audio_store.c -------------------------------------------------- */

float audio_store_block(mg_audio *a, int l, const float *restrict x,
                        size_t off, size_t n);
int audio_store_get(mg_audio *a, size_t off, size_t n,
                    const int16_t *q[MG_NLAYERS],
                    const float *x[MG_NLAYERS]);
double audio_stored_peak(mg_audio *a, size_t N);
void audio_store_free(void *p, size_t bytes);
/* The bytes the in-memory store of a->mem_blocks blocks maps (its four
 * stems' mappings, each rounded up to 2 MB). */
double audio_store_reserved(const mg_audio *a);
/* 0, or -1 with err and errno (ENOMEM, or EIO: no scratch file). */
int audio_ensure_buffers(mg_audio *a, size_t N, char *err, size_t errlen);

/* ---- audio_wav.c ---------------------------------------------------- */

SNDFILE *audio_wav_open(mg_audio *a, wfile *w, const char *path,
                        size_t frames, char *err, size_t errlen);
int audio_wav_close(wfile *w, char hex[65]);

/* ---- audio_write.c -------------------------------------------------- */

/* 0, or -1 / -2 as mg_audio_render (-2: errno says which failure). */
int audio_write_outputs(mg_audio *a, const char *dir, size_t N, double h,
                        double *max_err, char hex[MG_NLAYERS + 1][65],
                        char *err, size_t errlen);

#endif
