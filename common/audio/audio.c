/*
 * audio — soundfont pools, in-process FluidSynth rendering of the four
 * stems, the mix, the WAV files and the audio annotations.
 *
 * Invariants:
 *  - every font of the pools is loaded once per mg_audio, into its own
 *    "master" fluid_synth (kept for presets and calibration); each sample
 *    renders on a fresh synth that borrows the loaded font
 *    (fluid_synth_add_sfont, ~1 ms, no reload), so no synth state (voice
 *    amplitude ramps, reverb/chorus delay lines and LFO phases, voice
 *    order) survives from one sample to the next: a sample's bytes never
 *    depend on what the process rendered before;
 *  - one synthesis pass per font renders all the layers on that font at
 *    once, layer l on MIDI channel l, which is audio group l and effects
 *    group l (synth.audio-groups = synth.effects-groups = 4), so
 *    fluid_synth_process returns each layer's dry signal and its own
 *    reverb and chorus returns separately;
 *  - notes are scheduled by us at sample positions (seconds = tick *
 *    us_per_quarter / (MG_PPQ * 1e6), rounded to the nearest 64-frame
 *    synth block: at most 0.73 ms early or late at 44.1 kHz) and the
 *    font's measured pre-roll is skipped, so onsets sit on the annotated
 *    times;
 *  - every WAV has exactly round(duration * rate) frames; stems are the
 *    post-FX, post-level layers and the mix is their sample-wise sum, both
 *    scaled by one common headroom gain; after quantisation the sum of the
 *    stems is checked against the mix on every frame (tolerance
 *    MG_STEM_TOL_LSB) and a sample that fails is an error;
 *  - draws: soundfonts, then fx, then mix, each from its own stream, in
 *    layer order, whether or not anything is rendered (midi-only records
 *    the same choices);
 *  - where a layer's gain envelope is 0 its stem is 0 and its insert chain
 *    does not run; the chain restarts fresh where the layer comes back
 *    (decided by song frames only, so block splits never change bytes);
 *  - the WAVs' SHA-256 (sample.json "checksums") are computed from the
 *    bytes as they are written (wfile), re-read from disk only if
 *    libsndfile did not write the stream predicted.
 */
#include "audio.h"
#include "rfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fluidsynth.h>
#include <openssl/evp.h>
#include <sndfile.h>

#include "ascore.h"
#include "audio_cal.h"
#include "audio_fx.h"
#include "pools.h"
#include "sfont.h"
#include "jsonout.h"
#include "loudness.h"

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
#define STORE_MB 44         /* in-memory stem store (MUSICGEN_AUDIO_STORE_MB) */

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
 * computed the same way, so a WAV made in memory is the file's bytes. */
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
    size_t wlen[MG_NLAYERS + 1];    /* bytes of each WAV made in memory
                                     * by the last render (0: none) */
};

/* ---- data: mix.json ------------------------------------------------- */

static int
get_range(json_t *o, const char *key, double *lo, double *hi,
          const char *path, const char *where, char *err, size_t errlen)
{
    json_t *r = json_object_get(o, key);

    if (!json_is_array(r) || json_array_size(r) != 2 ||
        !json_is_number(json_array_get(r, 0)) ||
        !json_is_number(json_array_get(r, 1)) ||
        json_number_value(json_array_get(r, 0)) >
            json_number_value(json_array_get(r, 1))) {
        snprintf(err, errlen, "%s: %s.%s: need [lo, hi] with lo <= hi",
                 path, where, key);
        return -1;
    }
    *lo = json_number_value(json_array_get(r, 0));
    *hi = json_number_value(json_array_get(r, 1));
    return 0;
}

static int
get_num(json_t *o, const char *key, double *v, const char *path, char *err,
        size_t errlen)
{
    json_t *x = json_object_get(o, key);

    if (!json_is_number(x)) {
        snprintf(err, errlen, "%s: %s: need a number", path, key);
        return -1;
    }
    *v = json_number_value(x);
    return 0;
}

static int
load_mix(mix_spec *m, const char *path, char *err, size_t errlen)
{
    json_t *root = mg_rfile_json(path, 0, err, errlen), *ls, *ps;
    int rc = -1;

    if (!root) {
        return -1;
    }
    ls = json_object_get(root, "layers");
    ps = json_object_get(root, "parts");
    for (int l = 0; l < MG_NLAYERS; l++) {
        char where[64];
        json_t *o = json_object_get(ls, mg_layer_name(l));
        snprintf(where, sizeof where, "layers.%s", mg_layer_name(l));
        if (get_range(o, "level_db", &m->level_lo[l], &m->level_hi[l], path,
                      where, err, errlen) < 0 ||
            get_range(o, "pan", &m->pan_lo[l], &m->pan_hi[l], path, where,
                      err, errlen) < 0)
            goto out;
        if (m->pan_lo[l] < -1 || m->pan_hi[l] > 1) {
            snprintf(err, errlen, "%s: %s.pan: outside [-1, 1]", path,
                     where);
            goto out;
        }
    }
    for (int p = 0; p < MG_NPARTKINDS; p++) {
        json_t *o = json_object_get(ps, mg_part_name(p));
        for (int l = 0; l < MG_NLAYERS; l++) {
            json_t *x = json_object_get(o, mg_layer_name(l));
            if (!json_is_number(x) || json_number_value(x) < 0) {
                snprintf(err, errlen, "%s: parts.%s.%s: need a number >= 0",
                         path, mg_part_name(p), mg_layer_name(l));
                goto out;
            }
            m->part_gain[p][l] = json_number_value(x);
        }
    }
    if (get_num(root, "headroom_dbfs", &m->headroom_db, path, err,
                errlen) < 0 ||
        get_num(root, "max_gain_db", &m->max_gain_db, path, err, errlen) < 0
        || get_num(root, "ramp_ms", &m->ramp_ms, path, err, errlen) < 0 ||
        get_num(root, "fade_out_ms", &m->fade_ms, path, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- lifecycle ------------------------------------------------------ */

static int ensure_buffers(mg_audio *a, size_t N, char *err, size_t errlen);
static void store_free(void *p, size_t bytes);

static void
silence_log(int level, const char *msg, void *data)
{
    (void)level;
    (void)msg;
    (void)data;
}

/* Settings shared by both synth kinds: one core, no locking, the
 * default polyphony; fx says whether FluidSynth's reverb and chorus run. */
static fluid_settings_t *
make_settings(double rate, bool fx)
{
    fluid_settings_t *st = new_fluid_settings();
    if (!st) return NULL;
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setint(st, "synth.threadsafe-api", 0);
    fluid_settings_setint(st, "synth.lock-memory", 0);
    fluid_settings_setint(st, "synth.polyphony", 256);
    fluid_settings_setint(st, "synth.reverb.active", fx);
    fluid_settings_setint(st, "synth.chorus.active", fx);
    return st;
}

/* Load one font into its master synth and find its pre-roll (cached, or
 * measured). Runs in a thread of its own; reports into f->err. */
static void *
load_one(void *arg)
{
    font *f = arg;
    char key[1600];
    double r = 44100;
    int rate;

    fluid_settings_getnum(fluid_synth_get_settings(f->synth),
                          "synth.sample-rate", &r);
    rate = (int)r;
    snprintf(f->file, sizeof f->file, "%s", f->info->file);
    if (f->info->version >= 3 &&
        mg_sfont_expand(f->info->file, f->file, sizeof f->file, f->err,
                        sizeof f->err) < 0)
        return NULL;
    f->sfid = fluid_synth_sfload(f->synth, f->file, 0);
    if (f->sfid == FLUID_FAILED) {
        snprintf(f->err, sizeof f->err, "soundfont %.400s: FluidSynth "
                 "cannot load it", f->info->file);
        return NULL;
    }
    f->sfont = fluid_synth_get_sfont_by_id(f->synth, f->sfid);
    if (mg_cal_key(f->file, rate, key, sizeof key) < 0 ||
        mg_cal_cache_get(f->cache_dir, key, &f->preroll) < 0) {
        if (mg_cal_measure(f->synth, f->sfid, rate, &f->preroll, f->err,
                           sizeof f->err) < 0)
            return NULL;
    }
    return NULL;
}

static int
load_fonts(mg_audio *a, char *err, size_t errlen)
{
    pthread_t th[MAX_FONTS];
    bool started[MAX_FONTS] = {false};
    int rc = 0;

    for (int i = 0; i < a->nfonts; i++) {
        font *f = &a->fonts[i];
        f->err[0] = 0;
        if (!f->synth)
            continue;
        started[i] = pthread_create(&th[i], NULL, load_one, f) == 0;
        if (!started[i])
            load_one(f);
    }
    for (int i = 0; i < a->nfonts; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    for (int i = 0; i < a->nfonts && rc == 0; i++)
        if (a->fonts[i].err[0]) {
            snprintf(err, errlen, "%s", a->fonts[i].err);
            rc = -1;
        }
    return rc;
}

mg_audio *
mg_audio_new(const mg_config *c, const mg_genre *g, bool render, char *err,
             size_t errlen)
{
    mg_audio *a = calloc(1, sizeof *a);
    char path[1200];

    if (!a) {
        snprintf(err, errlen, "audio: out of memory");
        return NULL;
    }
    a->render = render;
    a->mode = c->output_mode;
    a->fmt = c->sample_format;
    a->rate = c->sample_rate > 0 ? c->sample_rate : 44100;
    a->spill_fd = -1;
    {
        /* the in-memory store's budget: four stereo stems of int16
         * (pcm16) or float (pcm24, float) */
        const char *e = getenv("MUSICGEN_AUDIO_STORE_MB");
        long mb = e && *e ? atol(e) : STORE_MB;
        size_t fbytes = 4 * MG_NLAYERS * (a->fmt == MG_SF_PCM16 ? 2 : 4);
        mb = mb < 1 ? 1 : mb > 65536 ? 65536 : mb;
        a->mem_blocks = (size_t)mb * 1048576 / fbytes / SBLOCK;
        if (a->mem_blocks < 1)
            a->mem_blocks = 1;
    }
    for (int k = 0; k < MG_NFX; k++)
        a->fx_profile[k] = g ? g->fx_profile[k] : 1.0;
    for (int l = 0; l < MG_NLAYERS; l++)
        a->loud_target[l] = -21;
    if (g) {
        a->tempo_min = g->tempo_min;
        a->tempo_max = g->tempo_max;
        for (int l = 0; l < MG_NLAYERS; l++)
            a->loud_target[l] = g->perf.loudness[l];
        for (int l = 0; l < MG_NLAYERS; l++) {
            a->ntags[l] = g->ntags[l];
            memcpy(a->tags[l], g->tags[l], sizeof a->tags[l]);
        }
    }
    snprintf(path, sizeof path, "%s/fx.json", c->sf_dir);
    if (mg_fx_spec_load(&a->fx, path, err, errlen) < 0)
        goto fail;
    snprintf(path, sizeof path, "%s/mix.json", c->sf_dir);
    if (load_mix(&a->mix, path, err, errlen) < 0)
        goto fail;
    a->pools = mg_pools_load(c->sf_dir, c->fonts, c->accept_license, err,
                             errlen);
    if (!a->pools)
        goto fail;
    a->nfonts = mg_pools_count(a->pools);
    for (int i = 0; i < a->nfonts; i++) {
        a->fonts[i].info = mg_pools_font(a->pools, i);
        a->fonts[i].sfid = -1;
        a->fonts[i].cache_dir = c->cache_dir;
    }
    if (!render)
        return a;

    /* Process-wide settings (SIGXFSZ, FluidSynth's logger) are the
     * program's choice, never made here: see mg_audio_process_setup. */
    a->settings = make_settings(a->rate, false);
    a->rsettings = make_settings(a->rate, true);
    if (!a->settings || !a->rsettings) {
        snprintf(err, errlen, "audio: cannot create FluidSynth settings");
        goto fail;
    }
    fluid_settings_setint(a->rsettings, "synth.audio-groups", MG_NLAYERS);
    fluid_settings_setint(a->rsettings, "synth.audio-channels", MG_NLAYERS);
    fluid_settings_setint(a->rsettings, "synth.effects-groups", MG_NLAYERS);
    /* Every font of the pools: a master synth each (made here, in one
     * thread), the files loaded in parallel (threads: start-up is the
     * slowest font, not the sum), SF3 files through their expansion. */
    for (int i = 0; i < a->nfonts; i++) {
        font *f = &a->fonts[i];
        if (!f->info->selected)
            continue;
        f->synth = new_fluid_synth(a->settings);
        if (!f->synth) {
            snprintf(err, errlen, "audio: cannot create a FluidSynth synth");
            goto fail;
        }
    }
    if (load_fonts(a, err, errlen) < 0)
        goto fail;
    /* The in-memory stem store (its whole budget) is made and touched
     * here, at start-up, so its first-touch page faults are not charged
     * to the first sample; it never grows past that budget (a longer song
     * goes on in the scratch file). */
    if (ensure_buffers(a, a->mem_blocks * SBLOCK, err, errlen) < 0)
        goto fail;
    for (int l = 0; l < MG_NLAYERS; l++) {
        if (a->q[l])
            memset(a->q[l], 0, sizeof(int16_t) * 2 * a->cap);
        if (a->fs[l])
            memset(a->fs[l], 0, sizeof(float) * 2 * a->cap);
    }
    return a;
fail:
    mg_audio_destroy(&a);
    return NULL;
}

void
mg_audio_destroy(mg_audio **ap)
{
    mg_audio *a = ap ? *ap : NULL;

    if (!a)
        return;
    for (int i = 0; i < a->nfonts; i++)
        if (a->fonts[i].synth)
            delete_fluid_synth(a->fonts[i].synth);
    mg_pools_destroy(&a->pools);
    if (a->settings)
        delete_fluid_settings(a->settings);
    if (a->rsettings)
        delete_fluid_settings(a->rsettings);
    for (int l = 0; l < MG_NLAYERS; l++) {
        mg_loud_free(&a->loud[l]);
        store_free(a->q[l], a->qbytes[l]);
        free(a->bscale[l]);
        store_free(a->fs[l], a->fbytes[l]);
    }
    if (a->spill_fd >= 0)
        close(a->spill_fd);
    for (int l = 0; l <= MG_NLAYERS; l++)
        free(a->wf[l].mem);
    mg_ascore_acc_destroy(&a->acc);
    free(a);
    *ap = NULL;
}

unsigned char *
mg_audio_take_wav(mg_audio *a, int which, size_t *len)
{
    unsigned char *m;

    *len = 0;
    if (which < 0 || which > MG_NLAYERS || !a->wlen[which])
        return NULL;
    m = a->wf[which].mem;
    *len = a->wlen[which];
    a->wf[which].mem = NULL;
    a->wf[which].mcap = 0;
    a->wlen[which] = 0;
    return m;
}

void
mg_audio_process_setup(void)
{
    struct sigaction sa;

    /* only ever from the default (terminate) to ignore, never over a
     * handler someone installed */
    if (sigaction(SIGXFSZ, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        sigaction(SIGXFSZ, &sa, NULL);
    }
    fluid_set_log_function(FLUID_WARN, silence_log, NULL);
    fluid_set_log_function(FLUID_INFO, silence_log, NULL);
    fluid_set_log_function(FLUID_DBG, silence_log, NULL);
    fluid_set_log_function(FLUID_ERR, silence_log, NULL);
}

const char *
mg_audio_synth_version(void)
{
    return fluid_version_str();
}

/* ---- per-sample draws ---------------------------------------------- */

typedef struct {
    int font[MG_NLAYERS];
    int bank[MG_NLAYERS], program[MG_NLAYERS];
    const char *preset[MG_NLAYERS], *gm_class[MG_NLAYERS];
    mg_fx_chain fx[MG_NLAYERS];
    double level_db[MG_NLAYERS], pan[MG_NLAYERS];
} draws;

static void
draw_all(const mg_audio *a, const mg_song *s, mg_rng *sf_rng,
         mg_rng *fx_rng, mg_rng *mix_rng, draws *d)
{
    /* a font per layer among those with the song's program, weight x (1 +
     * the genre's tags for the layer that the font carries): tags steer
     * without excluding (pools.c) */
    for (int l = 0; l < MG_NLAYERS; l++) {
        mg_font_draw fd;
        mg_pools_draw(a->pools, l, s->program[l], a->tags[l], a->ntags[l],
                      sf_rng, &fd);
        d->font[l] = fd.font;
        d->bank[l] = fd.bank;
        d->program[l] = fd.program;
        d->preset[l] = fd.preset;
        d->gm_class[l] = fd.gm_class;
    }
    for (int l = 0; l < MG_NLAYERS; l++)
        mg_fx_draw(&a->fx, l, a->fx_profile, fx_rng, &d->fx[l]);
    for (int l = 0; l < MG_NLAYERS; l++) {
        d->level_db[l] = round(mg_rng_range_f(mix_rng, a->mix.level_lo[l],
                                              a->mix.level_hi[l]) * 100) /
                         100;
        d->pan[l] = round(mg_rng_range_f(mix_rng, a->mix.pan_lo[l],
                                         a->mix.pan_hi[l]) * 1000) / 1000;
    }
}

/* ---- rendering ------------------------------------------------------ */

typedef struct {
    long block;     /* synth block the event is issued before */
    int on;         /* 1 note-on, 0 note-off */
    int chan;       /* = layer */
    int pitch, vel;
} event;

static int
cmp_event(const void *x, const void *y)
{
    const event *a = x, *b = y;
    if (a->block != b->block)
        return a->block < b->block ? -1 : 1;
    if (a->on != b->on)
        return a->on - b->on;      /* offs first: a repeated note retriggers */
    if (a->chan != b->chan)
        return a->chan - b->chan;
    if (a->pitch != b->pitch)
        return a->pitch - b->pitch;
    return a->vel - b->vel;
}

static long
frame_of(const mg_song *s, uint32_t tick, int rate)
{
    return lround(mg_song_seconds(s, tick) * rate);
}

/* FluidSynth's reverb and chorus for layer l (its effects group): our
 * parameters map one to one (width and the return level as drawn; chorus
 * with three voices, sine LFO); a layer without the effect has its unit
 * off. The send (CC 91 / 93) is full when the effect is on. */
static void
set_synth_fx(fluid_synth_t *syn, int l, bool mine, const mg_fx_chain *c)
{
    bool rv = mine && c->on[MG_FX_REVERB], ch = mine && c->on[MG_FX_CHORUS];
    const double *r = c->p[MG_FX_REVERB], *k = c->p[MG_FX_CHORUS];

    fluid_synth_reverb_on(syn, l, rv);
    fluid_synth_chorus_on(syn, l, ch);
    if (rv) {
        /* parameter order: damping, room_size, wet, width */
        fluid_synth_set_reverb_group_roomsize(syn, l, r[1]);
        fluid_synth_set_reverb_group_damp(syn, l, r[0]);
        fluid_synth_set_reverb_group_width(syn, l, r[3]);
        fluid_synth_set_reverb_group_level(syn, l, r[2]);
    }
    if (ch) {
        /* parameter order: depth_ms, mix, rate_hz */
        fluid_synth_set_chorus_group_nr(syn, l, 3);
        fluid_synth_set_chorus_group_level(syn, l, k[1]);
        fluid_synth_set_chorus_group_speed(syn, l, k[2]);
        fluid_synth_set_chorus_group_depth(syn, l, k[0]);
        fluid_synth_set_chorus_group_type(syn, l, FLUID_CHORUS_MOD_SINE);
    }
    if (mine) {
        fluid_synth_cc(syn, l, 91, rv ? 127 : 0);
        fluid_synth_cc(syn, l, 93, ch ? 127 : 0);
    }
}

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

static void
gain_init(const mg_audio *a, const mg_song *s, int l, const draws *d,
          size_t N, gain_env *ge)
{
    double lvl = pow(10.0, d->level_db[l] / 20.0), p = d->pan[l];

    ge->gl = lvl * (p > 0 ? 1 - p : 1);
    ge->gr = lvl * (p < 0 ? 1 + p : 1);
    ge->R = lround(a->mix.ramp_ms * 1e-3 * a->rate);
    ge->F = lround(a->mix.fade_ms * 1e-3 * a->rate);
    ge->N = (long)N;
    ge->nparts = s->nparts;
    for (int i = 0; i < s->nparts; i++) {
        const mg_part *pt = &s->parts[i];
        ge->g[i] = pt->active[l] ? a->mix.part_gain[pt->kind][l] : 0;
        ge->b[i] = frame_of(s, pt->start_tick, a->rate);
    }
    ge->b[s->nparts] = (long)N;
    ge->nz = 0;
    if (s->nparts == 0) {
        ge->zs[0] = 0;
        ge->ze[ge->nz++] = (long)N;
        return;
    }
    if (ge->b[0] > 0) {
        ge->zs[0] = 0;
        ge->ze[ge->nz++] = ge->b[0];
    }
    for (int i = 0; i < s->nparts; i++) {
        bool down = i > 0 && ge->g[i] < ge->g[i - 1];
        bool up = i + 1 < s->nparts && ge->g[i + 1] > ge->g[i];
        long lo = ge->b[i] + (down ? ge->R : 0);
        long hi = ge->b[i + 1] - (up ? ge->R : 0);
        if (ge->g[i] == 0 && lo < hi) {
            ge->zs[ge->nz] = lo;
            ge->ze[ge->nz++] = hi;
        }
    }
}

/* From frame j (< end): the end of the run of frames that are all in a
 * zero stretch (*zero) or all outside one, at most end. */
static long
gain_run(const gain_env *ge, long j, long end, bool *zero)
{
    for (int z = 0; z < ge->nz; z++) {
        if (j >= ge->zs[z] && j < ge->ze[z]) {
            *zero = true;
            return ge->ze[z] < end ? ge->ze[z] : end;
        }
        if (ge->zs[z] > j && ge->zs[z] < end)
            end = ge->zs[z];
    }
    *zero = false;
    return end;
}

/* Apply the envelope to frames [off, off + n) held in buf. */
static void
gain_apply(const gain_env *ge, float *buf, long off, long n)
{
    const long R = ge->R, F = ge->F, N = ge->N;
    const double *g = ge->g;
    const long *b = ge->b;

    if (ge->nparts == 0) {
        memset(buf, 0, sizeof(float) * 2 * (size_t)n);
        return;
    }
    for (int i = 0; i < ge->nparts; i++) {
        long lo = b[i] < off ? off : b[i];
        long hi = b[i + 1] < off + n ? b[i + 1] : off + n;
        bool down = i > 0 && g[i] < g[i - 1];
        bool up = i + 1 < ge->nparts && g[i + 1] > g[i];
        if (i == 0 && lo > off)     /* before the first part: silent */
            memset(buf, 0, sizeof(float) * 2 * (size_t)(lo - off));
        /* the constant stretch of the part: one product per sample */
        long clo = lo, chi = hi;
        if (down && clo < b[i] + R)
            clo = b[i] + R < hi ? b[i] + R : hi;
        if (up && chi > b[i + 1] - R)
            chi = b[i + 1] - R > clo ? b[i + 1] - R : clo;
        if (F > 0 && chi > N - F)
            chi = N - F > clo ? N - F : clo;
        for (long j = lo; j < hi; j++) {
            double e = g[i];
            float *x = buf + 2 * (j - off);
            if (j == clo && clo < chi) {
                float cl = (float)(e * ge->gl), cr = (float)(e * ge->gr);
                for (; j < chi; j++, x += 2) {
                    x[0] *= cl;
                    x[1] *= cr;
                }
                j--;
                continue;
            }
            if (down && j < b[i] + R)
                e = g[i - 1] + (g[i] - g[i - 1]) * (double)(j - b[i]) / R;
            if (up && j >= b[i + 1] - R)
                e = g[i] + (g[i + 1] - g[i]) *
                    (double)(j - (b[i + 1] - R)) / R;
            if (F > 0 && j >= N - F)
                e *= (double)(N - j) / F;
            x[0] = (float)(x[0] * e * ge->gl);
            x[1] = (float)(x[1] * e * ge->gr);
        }
    }
}

/* Loops below work in lanes of VL independent elements (a fixed-count
 * inner loop the compiler turns into vector code at -O2) and a scalar
 * tail; the results are those of the plain sequential loops. */
#define VL 8

/* max(pk, the largest |x[i]| of len floats). */
static float
abs_peak(const float *restrict x, size_t len, float pk)
{
    float m[VL] = {0};
    size_t i = 0;

    for (; i + VL <= len; i += VL)
        for (int k = 0; k < VL; k++) {
            float v = fabsf(x[i + k]);
            m[k] = v > m[k] ? v : m[k];
        }
    for (; i < len; i++) {
        float v = fabsf(x[i]);
        pk = v > pk ? v : pk;
    }
    for (int k = 0; k < VL; k++)
        pk = m[k] > pk ? m[k] : pk;
    return pk;
}

/* Rounding to the nearest integer (ties to even) without a branch: adding
 * and subtracting 1.5 x 2^23 (float) or 2^52 (double) leaves the value
 * rounded by the FPU's default mode (|y| < 2^22 here); the conversion is
 * then exact. A branch on the sign (round half away from zero) is taken
 * at random on audio - about one misprediction every other sample - and
 * lrint is a libm call per sample (errno keeps GCC from inlining it). The
 * build never uses -ffast-math, which would fold the pair away. */
#define RND_F 12582912.0f
#define RND_D 6755399441055744.0

/* round(clamp(x * inv, +-32767)) */
static inline int16_t
q16(float x, float inv)
{
    float y = x * inv;
    y = y > 32767.0f ? 32767.0f : y;
    y = y < -32767.0f ? -32767.0f : y;
    return (int16_t)(int32_t)((y + RND_F) - RND_F);
}

/* Store one processed block of layer l (frames [off, off + n)); returns
 * the block's peak |sample|. */
/* Where block b of layer l lies in the scratch file (b >= mem_blocks). */
static off_t
spill_at(const mg_audio *a, size_t b, int l)
{
    size_t slot = 2 * SBLOCK * (a->fmt == MG_SF_PCM16 ? sizeof(int16_t)
                                                      : sizeof(float));
    return (off_t)(((b - a->mem_blocks) * MG_NLAYERS + (size_t)l) * slot);
}

/* All of n bytes at offset at, written (wr) or read; -1 with errno. */
static int
spill_io(mg_audio *a, bool wr, void *buf, size_t n, off_t at)
{
    char *p = buf;

    while (n > 0) {
        ssize_t r = wr ? pwrite(a->spill_fd, p, n, at)
                       : pread(a->spill_fd, p, n, at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        p += r;
        n -= (size_t)r;
        at += r;
    }
    return 0;
}

/* Store one processed block of layer l (frames [off, off + n)); returns
 * the block's peak |sample|. A block past the in-memory part goes to the
 * scratch file; a failed write is kept in spill_errno. */
static float
store_block(mg_audio *a, int l, const float *restrict x, size_t off,
            size_t n)
{
    float pk = abs_peak(x, 2 * n, 0);
    size_t b = off / SBLOCK;
    bool mem = b < a->mem_blocks;

    if (!mem)
        a->spilled = true;
    if (a->fmt != MG_SF_PCM16) {
        if (mem)
            memcpy(a->fs[l] + 2 * off, x, sizeof(float) * 2 * n);
        else if (!a->spill_errno &&
                 spill_io(a, true, (void *)x, sizeof(float) * 2 * n,
                          spill_at(a, b, l)) < 0)
            a->spill_errno = errno;
        return pk;
    }
    {
        int16_t *restrict q = mem ? a->q[l] + 2 * off : a->qb[l];
        float inv = pk > 0 ? 32767.0f / pk : 0;
        size_t i = 0;
        a->bscale[l][b] = pk / 32767.0f;
        for (; i + VL <= 2 * n; i += VL)
            for (int k = 0; k < VL; k++)
                q[i + k] = q16(x[i + k], inv);
        for (; i < 2 * n; i++)
            q[i] = q16(x[i], inv);
        if (!mem && !a->spill_errno &&
            spill_io(a, true, q, sizeof(int16_t) * 2 * n,
                     spill_at(a, b, l)) < 0)
            a->spill_errno = errno;
    }
    return pk;
}

/* Every layer's stored block at frame off (n frames): pointers into the
 * in-memory store, or the block read back from the scratch file into
 * qb/fb. q[] for pcm16, x[] otherwise. 0, or -1 with errno. */
static int
store_get(mg_audio *a, size_t off, size_t n, const int16_t *q[MG_NLAYERS],
          const float *x[MG_NLAYERS])
{
    size_t b = off / SBLOCK;

    for (int l = 0; l < MG_NLAYERS; l++) {
        if (b < a->mem_blocks) {
            q[l] = a->q[l] ? a->q[l] + 2 * off : NULL;
            x[l] = a->fs[l] ? a->fs[l] + 2 * off : NULL;
            continue;
        }
        if (a->fmt == MG_SF_PCM16) {
            if (spill_io(a, false, a->qb[l], sizeof(int16_t) * 2 * n,
                         spill_at(a, b, l)) < 0)
                return -1;
            q[l] = a->qb[l];
            x[l] = NULL;
        } else {
            if (spill_io(a, false, a->fb[l], sizeof(float) * 2 * n,
                         spill_at(a, b, l)) < 0)
                return -1;
            x[l] = a->fb[l];
            q[l] = NULL;
        }
    }
    return 0;
}

/* Decode frames [off, off + n) of every stem, scaled by h, into
 * a->dec[l] (floats, the values the files get). 0, or -1 with errno (the
 * scratch file). */
static int
decode_block(mg_audio *a, size_t off, size_t n, double h)
{
    const int16_t *qs[MG_NLAYERS];
    const float *xs[MG_NLAYERS];

    if (store_get(a, off, n, qs, xs) < 0)
        return -1;
    for (int l = 0; l < MG_NLAYERS; l++) {
        float *o = a->dec[l];
        if (a->fmt == MG_SF_PCM16) {
            const int16_t *q = qs[l];
            float g = (float)(a->bscale[l][off / SBLOCK] * h * a->ngain[l]);
            for (size_t i = 0; i < 2 * n; i++)
                o[i] = (float)q[i] * g;
        } else {
            const float *x = xs[l];
            float g = (float)(h * a->ngain[l]);
            for (size_t i = 0; i < 2 * n; i++)
                o[i] = x[i] * g;
        }
    }
    return 0;
}

/* max(pk, the peak |sample| of a->dec's n frames of every stem and of
 * their sum). */
static float
peak_of(const mg_audio *a, size_t n, float pk)
{
    for (size_t i = 0; i < 2 * n; i++) {
        float m = 0;
        for (int l = 0; l < MG_NLAYERS; l++) {
            float v = a->dec[l][i];
            m += v;
            if (fabsf(v) > pk)
                pk = fabsf(v);
        }
        if (fabsf(m) > pk)
            pk = fabsf(m);
    }
    return pk;
}

/* The peak |sample| of any stem or of their sum, as stored (a pass over
 * the stored song: only when several fonts render the layers in separate
 * passes). */
static double
stored_peak(mg_audio *a, size_t N)
{
    float pk = 0;

    for (size_t off = 0; off < N; off += SBLOCK) {
        size_t n = N - off < SBLOCK ? N - off : SBLOCK;
        if (decode_block(a, off, n, 1.0) < 0)
            return -1;
        pk = peak_of(a, n, pk);
    }
    return pk;
}

/* Layer l's chain over m frames (song frames from pos) while in cache:
 * the synth's dry pair from chunk offset k interleaved into x, the insert
 * effects (split-invariant), the send returns, the gain envelope. */
/* A DC blocker (one pole at about 3.5 Hz, inaudible): some patches (pads
 * above all) carry a DC offset that the loudness gain would otherwise
 * raise to a few percent of full scale in the stem and the mix. Its state
 * runs on in song order across pieces and starts from rest where the
 * layer's chain restarts, so it is as split-invariant as the chain. */
typedef struct {
    double x1[2], y1[2];
} dcblock;

static void
dcblock_run(dcblock *b, float *x, size_t m)
{
    const double R = 0.9995;
    for (int c = 0; c < 2; c++) {
        double x1 = b->x1[c], y1 = b->y1[c];
        for (size_t i = 0; i < m; i++) {
            double in = x[2 * i + c];
            double y = in - x1 + R * y1;
            x1 = in;
            y1 = y;
            x[2 * i + c] = (float)y;
        }
        b->x1[c] = x1;
        b->y1[c] = y1;
    }
}

static void
chain_piece(mg_audio *a, int l, mg_fx_state *fx, dcblock *dc,
            const gain_env *ge, bool wet, long k, float *x, long pos,
            size_t m)
{
    const float *dl = a->dry[l][0] + k, *dr = a->dry[l][1] + k;

    for (size_t i = 0; i < m; i++) {
        x[2 * i] = dl[i];
        x[2 * i + 1] = dr[i];
    }
    mg_fx_state_run(fx, x, m);
    if (wet) {
        const float *wl = a->wet[l][0] + k, *wr = a->wet[l][1] + k;
        for (size_t i = 0; i < m; i++) {
            x[2 * i] += wl[i];
            x[2 * i + 1] += wr[i];
        }
    }
    dcblock_run(dc, x, m);
    gain_apply(ge, x, pos, (long)m);
}

/* Render every layer whose font is fonts[fi] in one pass on a fresh synth
 * that borrows the loaded font: the synth in chunks up to the next event
 * (fluid_synth_process: per layer a dry pair and its reverb and chorus
 * returns), the pre-roll skipped, then per SBLOCK frames and layer the
 * own-DSP chain on the dry signal, plus the returns, the gain envelope and
 * the store. No stem ever exists at full length in float. */
static int
render_pass(mg_audio *a, const mg_song *s, const draws *d, int fi,
            size_t N, char *err, size_t errlen)
{
    font *f = &a->fonts[fi];
    fluid_synth_t *syn = NULL;
    bool mine[MG_NLAYERS], wet[MG_NLAYERS];
    bool restart[MG_NLAYERS] = {false};
    dcblock dc[MG_NLAYERS];
    long P = f->preroll, nblocks = ((long)N + P + BLOCK - 1) / BLOCK;
    long cb = 0;
    size_t ne = 0, ei = 0, fill = 0, off = 0, nev = 0;
    event *ev = NULL;
    mg_fx_state *fx[MG_NLAYERS] = {NULL};
    gain_env ge[MG_NLAYERS];
    float *outp[2 * MG_NLAYERS], *fxp[4 * MG_NLAYERS];
    float *dry0[2] = {a->dry[0][0], a->dry[0][1]};
    int sid, rc = -1;

    for (int l = 0; l < MG_NLAYERS; l++) {
        const mg_fx_chain *c = &d->fx[l];
        mine[l] = d->font[l] == fi;
        if (mine[l])
            nev += 2 * s->track[l].n;
        wet[l] = mine[l] && (c->on[MG_FX_REVERB] || c->on[MG_FX_CHORUS]);
        outp[2 * l] = mine[l] ? a->dry[l][0] : NULL;
        outp[2 * l + 1] = mine[l] ? a->dry[l][1] : NULL;
        /* reverb L R, chorus L R of group l; both returns are summed by
         * the synth into one pair (aliased buffers); a unit that is off
         * gets NULL, so its raw send is never mixed anywhere */
        for (int q = 0; q < 2; q++) {
            bool on = mine[l] && c->on[q ? MG_FX_CHORUS : MG_FX_REVERB];
            fxp[4 * l + 2 * q] = on ? a->wet[l][0] : NULL;
            fxp[4 * l + 2 * q + 1] = on ? a->wet[l][1] : NULL;
        }
    }
    ev = malloc(sizeof *ev * (nev ? nev : 1));
    syn = new_fluid_synth(a->rsettings);
    if (!ev || !syn) {
        snprintf(err, errlen, "audio: out of memory");
        goto out;
    }
    sid = fluid_synth_add_sfont(syn, f->sfont);
    if (sid == FLUID_FAILED) {
        snprintf(err, errlen, "soundfont %s: cannot attach it to a synth",
                 f->info->file);
        delete_fluid_synth(syn);
        syn = NULL;
        goto out;
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        set_synth_fx(syn, l, mine[l], &d->fx[l]);
        if (!mine[l])
            continue;
        if (l == MG_LAYER_BEAT)
            fluid_synth_set_channel_type(syn, l, CHANNEL_TYPE_DRUM);
        if (fluid_synth_program_select(syn, l, sid, d->bank[l],
                                       d->program[l]) != FLUID_OK) {
            snprintf(err, errlen, "soundfont %s: no preset %d:%d",
                     f->info->file,
                     d->bank[l], d->program[l]);
            goto out;
        }
        gain_init(a, s, l, d, N, &ge[l]);
        memset(&dc[l], 0, sizeof dc[l]);
        fx[l] = mg_fx_state_new(&d->fx[l], a->rate, s->tempo_bpm);
        if (!fx[l]) {
            snprintf(err, errlen, "audio: out of memory");
            goto out;
        }
        for (size_t i = 0; i < s->track[l].n; i++) {
            const mg_note *n = &s->track[l].v[i];
            long on = frame_of(s, n->tick, a->rate);
            long offf = frame_of(s, n->tick + n->dur, a->rate);
            ev[ne++] = (event){(on + BLOCK / 2) / BLOCK, 1, l, n->pitch,
                               n->vel};
            ev[ne++] = (event){(offf + BLOCK / 2) / BLOCK, 0, l, n->pitch,
                               0};
        }
    }
    qsort(ev, ne, sizeof *ev, cmp_event);

    while (cb < nblocks) {
        long nb, k, nf;
        for (; ei < ne && ev[ei].block <= cb; ei++) {
            if (ev[ei].on)
                fluid_synth_noteon(syn, ev[ei].chan, ev[ei].pitch,
                                   ev[ei].vel);
            else
                fluid_synth_noteoff(syn, ev[ei].chan, ev[ei].pitch);
        }
        nb = ei < ne ? ev[ei].block : nblocks;
        if (nb > nblocks)
            nb = nblocks;
        if (nb > cb + CHUNK_BLOCKS)
            nb = cb + CHUNK_BLOCKS;
        nf = (nb - cb) * BLOCK;
        /* the synth mixes into (adds to) the buffers it is given; only
         * those it fills are given (and cleared), the rest are NULL */
        for (int l = 0; l < MG_NLAYERS; l++) {
            if (!mine[l])
                continue;
            memset(a->dry[l][0], 0, sizeof(float) * (size_t)nf);
            memset(a->dry[l][1], 0, sizeof(float) * (size_t)nf);
            if (wet[l]) {
                memset(a->wet[l][0], 0, sizeof(float) * (size_t)nf);
                memset(a->wet[l][1], 0, sizeof(float) * (size_t)nf);
            }
        }
        fluid_synth_process(syn, (int)nf, 4 * MG_NLAYERS, fxp,
                            2 * MG_NLAYERS, outp);
        /* frames k of this chunk are song frames cb * BLOCK + k - P */
        k = cb * BLOCK >= P ? 0 : P - cb * BLOCK;
        while (k < nf && off + fill < N) {
            size_t room = SBLOCK - fill, take = (size_t)(nf - k);
            if (take > room)
                take = room;
            if (take > N - off - fill)
                take = N - off - fill;
            /* each segment goes through its layer's whole chain while it
             * is in cache (chain_piece), except where the layer's gain is
             * 0: those frames are 0 and skip the chain, which restarts
             * from a fresh state (as at the song's start) where the layer
             * comes back - its tails were cut there anyway */
            for (int l = 0; l < MG_NLAYERS; l++) {
                long p = (long)(off + fill), end = p + (long)take;
                if (!mine[l])
                    continue;
                while (p < end) {
                    bool zero;
                    long q = gain_run(&ge[l], p, end, &zero);
                    long o = p - (long)(off + fill);    /* in the segment */
                    float *x = a->blk[l] + 2 * (fill + (size_t)o);
                    size_t m = (size_t)(q - p);
                    if (zero) {
                        /* silent here whatever the chain does: no chain;
                         * it restarts fresh where the layer comes back */
                        memset(x, 0, sizeof(float) * 2 * m);
                        restart[l] = true;
                    } else {
                        if (restart[l]) {
                            mg_fx_state_destroy(&fx[l]);
                            fx[l] = mg_fx_state_new(&d->fx[l], a->rate,
                                                    s->tempo_bpm);
                            if (!fx[l]) {
                                snprintf(err, errlen,
                                         "audio: out of memory");
                                goto out;
                            }
                            memset(&dc[l], 0, sizeof dc[l]);
                            restart[l] = false;
                        }
                        chain_piece(a, l, fx[l], &dc[l], &ge[l], wet[l],
                                    k + o, x,
                                    p, m);
                    }
                    p = q;
                }
            }
            fill += take;
            k += (long)take;
            if (fill == SBLOCK || off + fill == N) {
                /* the loudness is measured on the block in cache, before
                 * it is quantised */
                for (int l = 0; l < MG_NLAYERS; l++)
                    if (mine[l]) {
                        store_block(a, l, a->blk[l], off, fill);
                        if (mg_loud_add(&a->loud[l], a->blk[l], fill)) {
                            snprintf(err, errlen, "audio: out of memory");
                            goto out;
                        }
                    }
                if (a->spill_errno) {
                    snprintf(err, errlen, "audio: write the scratch file "
                             "in %s: %s", a->spill_dir,
                             strerror(a->spill_errno));
                    errno = a->spill_errno;
                    goto out;
                }
                off += fill;
                fill = 0;
            }
        }
        cb = nb;
    }
    rc = 0;
out:
    if (syn) {
        /* voices released before the font is handed back */
        fluid_synth_system_reset(syn);
        memset(a->dry[0][0], 0, sizeof(float) * BLOCK);
        memset(a->dry[0][1], 0, sizeof(float) * BLOCK);
        fluid_synth_process(syn, BLOCK, 0, NULL, 2, dry0);
        fluid_synth_remove_sfont(syn, f->sfont);
        delete_fluid_synth(syn);
    }
    for (int l = 0; l < MG_NLAYERS; l++)
        mg_fx_state_destroy(&fx[l]);
    free(ev);
    return rc;
}

/* ---- output --------------------------------------------------------- */

static const char *
format_name(mg_sample_format f)
{
    return f == MG_SF_PCM24 ? "pcm24" : f == MG_SF_FLOAT ? "float" : "pcm16";
}

/* ---- hashed WAV writer (see wfile) ---------------------------------- */

/* Write n bytes at offset `at` of the memory file (growing it; a hole
 * left by a seek past the end reads as zeros, as in a file). */
static int
wf_mem_put(wfile *w, const unsigned char *b, size_t n, sf_count_t at)
{
    size_t end = (size_t)at + n;

    if (end > w->mcap) {
        size_t cap = w->mcap ? w->mcap : 65536;
        unsigned char *m;
        while (cap < end)
            cap *= 2;
        if (!(m = realloc(w->mem, cap))) {
            if (!w->err)
                w->err = ENOMEM;
            return -1;
        }
        w->mem = m;
        w->mcap = cap;
    }
    if ((sf_count_t)at > w->len)
        memset(w->mem + w->len, 0, (size_t)(at - w->len));
    memcpy(w->mem + at, b, n);
    return 0;
}

static int
wf_pwrite(wfile *w, const unsigned char *b, size_t n, sf_count_t at)
{
    size_t done = 0;

    if (w->inmem)
        return wf_mem_put(w, b, n, at);
    while (done < n) {
        ssize_t r = pwrite(w->fd, b + done, n - done,
                           (off_t)(at + (sf_count_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (!w->err)
                w->err = r < 0 ? errno : EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static int
wf_flush(wfile *w)
{
    if (w->bn > 0 && wf_pwrite(w, w->buf, w->bn, w->bpos) < 0)
        return -1;
    w->bpos += (sf_count_t)w->bn;
    w->bn = 0;
    return 0;
}

static uint32_t
rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void
wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* The final header from the first one: RIFF size, every fact chunk's
 * frame count and the data chunk's size patched; false if [0, D) is not
 * RIFF/WAVE chunks ending in the data chunk's header. */
static bool
wf_predict(wfile *w)
{
    size_t D = (size_t)w->D, p = 12;

    memcpy(w->pred, w->hdr, D);
    if (D < 20 || memcmp(w->pred, "RIFF", 4) || memcmp(w->pred + 8, "WAVE", 4))
        return false;
    wr32(w->pred + 4, (uint32_t)(D + (size_t)w->dlen - 8));
    while (p + 8 <= D) {
        uint32_t n = rd32(w->pred + p + 4);
        if (!memcmp(w->pred + p, "data", 4)) {
            wr32(w->pred + p + 4, (uint32_t)w->dlen);
            return p + 8 == D;
        }
        if (!memcmp(w->pred + p, "fact", 4) && n >= 4 && p + 12 <= D)
            wr32(w->pred + p + 8, (uint32_t)w->frames);
        p += 8 + n + (n & 1);
    }
    return false;
}

static sf_count_t
wf_write(const void *ptr, sf_count_t count, void *user)
{
    wfile *w = user;
    const unsigned char *b = ptr;

    if (count <= 0)
        return 0;
    if (w->pos < WHDR) {
        sf_count_t n = WHDR - w->pos < count ? WHDR - w->pos : count;
        memcpy(w->hdr + w->pos, b, (size_t)n);
    }
    if (w->pos == 0)
        w->hend = count;    /* a header (libsndfile writes it whole) */
    if (w->ok && w->D == 0 && w->pos > 0 && w->pos == w->hend) {
        /* the first byte past the header: predict the final header */
        w->D = w->dnext = w->pos;
        w->ok = w->D <= WHDR && wf_predict(w);
        if (w->ok)
            EVP_DigestUpdate(w->md, w->pred, (size_t)w->D);
    }
    if (w->ok && w->D > 0) {
        if (w->pos == w->dnext) {
            EVP_DigestUpdate(w->md, b, (size_t)count);  /* data, in order */
            w->dnext += count;
        } else if (w->pos + count > w->D) {
            w->ok = false;  /* data rewritten, or a header grown */
        }
    }
    if (w->inmem) {
        if (wf_mem_put(w, b, (size_t)count, w->pos) < 0)
            return 0;
        w->pos += count;
        if (w->pos > w->len)
            w->len = w->pos;
        return count;
    }
    if (w->bn > 0 && (w->bpos + (sf_count_t)w->bn != w->pos ||
                      w->bn + (size_t)count > WBUF) && wf_flush(w) < 0)
        return 0;
    if ((size_t)count >= WBUF) {
        if (wf_pwrite(w, b, (size_t)count, w->pos) < 0)
            return 0;
    } else {
        if (w->bn == 0)
            w->bpos = w->pos;
        memcpy(w->buf + w->bn, b, (size_t)count);
        w->bn += (size_t)count;
    }
    w->pos += count;
    if (w->pos > w->len)
        w->len = w->pos;
    return count;
}

static sf_count_t
wf_read(void *ptr, sf_count_t count, void *user)
{
    wfile *w = user;
    ssize_t r;

    if (w->inmem) {
        r = w->pos >= w->len ? 0
            : (ssize_t)(w->len - w->pos < count ? w->len - w->pos : count);
        if (r > 0)
            memcpy(ptr, w->mem + w->pos, (size_t)r);
        w->pos += r;
        return r;
    }
    if (wf_flush(w) < 0)
        return 0;
    r = pread(w->fd, ptr, (size_t)count, (off_t)w->pos);
    if (r <= 0)
        return 0;
    w->pos += r;
    return r;
}

static sf_count_t
wf_seek(sf_count_t off, int whence, void *user)
{
    wfile *w = user;
    sf_count_t p = whence == SEEK_CUR ? w->pos + off
                   : whence == SEEK_END ? w->len + off : off;

    if (p < 0)
        return -1;
    w->pos = p;
    return p;
}

static sf_count_t
wf_tell(void *user)
{
    return ((wfile *)user)->pos;
}

static sf_count_t
wf_filelen(void *user)
{
    return ((wfile *)user)->len;
}

/* Create path for a WAV of `frames` frames of `fbytes` bytes each. */
static int
wf_open(wfile *w, const char *path, sf_count_t frames, int fbytes)
{
    w->inmem = false;
    w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return -1;
    w->err = 0;
    w->pos = w->len = w->D = w->bpos = w->hend = w->dnext = 0;
    w->bn = 0;
    w->frames = frames;
    w->dlen = frames * fbytes;
    w->md = EVP_MD_CTX_new();
    w->ok = w->md && EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) == 1;
    return 0;
}

/* The same for a WAV made in memory: w->mem (kept from the last sample
 * unless taken by mg_audio_take_wav) is sized for the whole file. */
static int
wf_open_mem(wfile *w, sf_count_t frames, int fbytes)
{
    size_t want = (size_t)(frames * fbytes) + WHDR;

    if (w->mcap < want) {
        unsigned char *m = realloc(w->mem, want);
        if (!m) {
            errno = ENOMEM;
            return -1;
        }
        w->mem = m;
        w->mcap = want;
    }
    w->inmem = true;
    w->fd = -1;
    w->err = 0;
    w->pos = w->len = w->D = w->bpos = w->hend = w->dnext = 0;
    w->bn = 0;
    w->frames = frames;
    w->dlen = frames * fbytes;
    w->md = EVP_MD_CTX_new();
    w->ok = w->md && EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) == 1;
    return 0;
}

/* Flush and close (after sf_close); hex receives the file's SHA-256.
 * Returns 0, or -1 with errno (the first write error, or close's). */
static int
wf_close(wfile *w, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = 0, en = 0;

    if (w->fd < 0 && !w->inmem)
        return 0;
    if (wf_flush(w) < 0 || w->err) {
        rc = -1;
        en = w->err ? w->err : EIO;
    }
    if (rc == 0 && !(w->ok && w->D > 0 && w->len == w->D + w->dlen &&
                     w->dnext == w->len &&
                     !memcmp(w->hdr, w->pred, (size_t)w->D))) {
        /* not the stream predicted: hash the file's bytes from disk */
        sf_count_t at = 0;
        ssize_t r;
        if (!w->md || EVP_DigestInit_ex(w->md, EVP_sha256(), NULL) != 1) {
            rc = -1;
            en = ENOMEM;
        }
        if (rc == 0 && w->inmem) {
            EVP_DigestUpdate(w->md, w->mem, (size_t)w->len);
            at = w->len;
        }
        while (rc == 0 && !w->inmem &&
               (r = pread(w->fd, w->buf, WBUF, (off_t)at)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                rc = -1;
                en = errno;
                break;
            }
            EVP_DigestUpdate(w->md, w->buf, (size_t)r);
            at += r;
        }
    }
    if (rc == 0) {
        EVP_DigestFinal_ex(w->md, md, &mdlen);
        for (unsigned int i = 0; i < mdlen && i < 32; i++)
            sprintf(hex + 2 * i, "%02x", md[i]);
    }
    if (!w->inmem && close(w->fd) < 0 && rc == 0) {
        rc = -1;
        en = errno;
    }
    w->fd = -1;
    w->inmem = false;
    EVP_MD_CTX_free(w->md);
    w->md = NULL;
    if (rc < 0)
        errno = en;
    return rc;
}

/* Open a WAV of `frames` frames at path through w (see wfile). */
static SNDFILE *
open_wav(mg_audio *a, wfile *w, const char *path, size_t frames,
         char *err, size_t errlen)
{
    static SF_VIRTUAL_IO vio = {wf_filelen, wf_seek, wf_read, wf_write,
                                wf_tell};
    int bytes = a->fmt == MG_SF_PCM24 ? 3 : a->fmt == MG_SF_FLOAT ? 4 : 2;
    SF_INFO info;
    SNDFILE *sf;

    if ((path ? wf_open(w, path, (sf_count_t)frames, 2 * bytes)
              : wf_open_mem(w, (sf_count_t)frames, 2 * bytes)) < 0) {
        snprintf(err, errlen, "write %s: %s", path ? path : "(memory)",
                 strerror(errno));
        return NULL;
    }
    memset(&info, 0, sizeof info);
    info.samplerate = a->rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV |
        (a->fmt == MG_SF_PCM24 ? SF_FORMAT_PCM_24
         : a->fmt == MG_SF_FLOAT ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
    sf = sf_open_virtual(&vio, SFM_WRITE, &info, w);
    if (!sf) {
        int en = w->err ? w->err : EIO;
        char hex[65];
        snprintf(err, errlen, "write %s: %s", path ? path : "(memory)",
                 w->err ? strerror(w->err) : sf_strerror(NULL));
        wf_close(w, hex);
        errno = en;
        return NULL;
    }
    /* no PEAK chunk: it would be the only varying bytes in a float WAV */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    return sf;
}

static int32_t
quantd(double v, double full)
{
    v = v > 1 ? 1 : v;
    v = v < -1 ? -1 : v;
    return (int32_t)((v * full + RND_D) - RND_D);   /* see q16 */
}

static int32_t
quant(float x, double full)
{
    return quantd(x, full);
}

/* clamp(y, +-32767), rounded to the nearest integer (ties to even; see
 * q16). Branch-free: the comparisons become selections. */
static inline int32_t
r16(float y)
{
    y = y < 32767.0f ? y : 32767.0f;
    y = y > -32767.0f ? y : -32767.0f;
    return (int32_t)((y + RND_F) - RND_F);
}

/* One 16-bit block (len samples) of the write pass, all in float: each
 * stem decoded (q x g) and quantised (r16) into o[l]; the mix is the
 * float sum of the decoded stems (m, kept for the score) quantised the
 * same way into om. Returns the largest |sum of the quantised stems -
 * quantised mix| in LSB. A plain loop with no branch, which the compiler
 * turns into vector code (see the Makefile's -fno-trapping-math). */
_Static_assert(MG_NLAYERS == 4, "write_block16 adds four stems");
static int32_t
write_block16(const int16_t *restrict q0, const int16_t *restrict q1,
              const int16_t *restrict q2, const int16_t *restrict q3,
              const float g[MG_NLAYERS], int16_t *restrict o0,
              int16_t *restrict o1, int16_t *restrict o2,
              int16_t *restrict o3, int16_t *restrict om,
              float *restrict m, size_t len)
{
    const float d0 = g[0], d1 = g[1], d2 = g[2], d3 = g[3];
    const float f0 = d0 * 32767.0f, f1 = d1 * 32767.0f, f2 = d2 * 32767.0f,
                f3 = d3 * 32767.0f;
    int32_t worst = 0;

    for (size_t i = 0; i < len; i++) {
        float x0 = q0[i], x1 = q1[i], x2 = q2[i], x3 = q3[i];
        float s = x0 * d0 + x1 * d1 + x2 * d2 + x3 * d3;
        int32_t v0 = r16(x0 * f0), v1 = r16(x1 * f1), v2 = r16(x2 * f2),
                v3 = r16(x3 * f3), vm = r16(s * 32767.0f);
        int32_t e = v0 + v1 + v2 + v3 - vm;

        e = e < 0 ? -e : e;
        worst = e > worst ? e : worst;
        o0[i] = (int16_t)v0;
        o1[i] = (int16_t)v1;
        o2[i] = (int16_t)v2;
        o3[i] = (int16_t)v3;
        om[i] = (int16_t)vm;
        m[i] = s;
    }
    return worst;
}

/* Scale by h, quantise, check the stem sum, feed the score and write, a
 * block at a time: each stored block is read once (decode, mix sum, mono
 * for the score, quantisation, sum check all in one loop) and the files
 * are hashed as they are written (hex[l]: stems, hex[MG_NLAYERS]: mix).
 * max_err receives the largest |sum(stems) - mix| seen (LSB, or absolute
 * for float). On a write fault errno is left as the failing call set it
 * (the engine tells output faults - ENOSPC, EFBIG - from sample faults). */
static int
write_outputs(mg_audio *a, const char *dir, size_t N, double h,
              double *max_err, char hex[MG_NLAYERS + 1][65], char *err,
              size_t errlen)
{
    bool want_mix = a->mode == MG_OUT_FULL || a->mode == MG_OUT_MIX_ONLY;
    bool want_stems = a->mode == MG_OUT_FULL || a->mode == MG_OUT_STEMS_ONLY;
    SNDFILE *sf[MG_NLAYERS + 1] = {NULL};
    const double full = 8388607.0;     /* 24-bit; 16-bit: write_block16 */
    float *m = a->dec[MG_NLAYERS];
    char path[1200];
    const char *where = dir ? dir : "(memory)";
    int rc = -1, en = 0;

    *max_err = 0;
    for (int l = 0; l <= MG_NLAYERS; l++) {
        a->wf[l].fd = -1;
        a->wf[l].inmem = false;
        a->wlen[l] = 0;
        hex[l][0] = 0;
    }
    mg_ascore_acc_reset(a->acc);
    if (want_stems && dir) {
        snprintf(path, sizeof path, "%s/stems", dir);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            en = errno;
            snprintf(err, errlen, "mkdir %s: %s", path, strerror(errno));
            errno = en;
            return -1;
        }
    }
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (l < MG_NLAYERS ? !want_stems : !want_mix)
            continue;
        if (l < MG_NLAYERS)
            snprintf(path, sizeof path, "%s/stems/%s.wav", dir,
                     mg_layer_name(l));
        else
            snprintf(path, sizeof path, "%s/mix.wav", dir);
        if (!(sf[l] = open_wav(a, &a->wf[l], dir ? path : NULL, N, err,
                               errlen))) {
            en = errno;
            goto out;
        }
    }
    for (size_t off = 0; off < N; off += SBLOCK) {
        size_t n = N - off < SBLOCK ? N - off : SBLOCK;
        float g[MG_NLAYERS];
        const int16_t *q[MG_NLAYERS];
        const float *x[MG_NLAYERS];
        double worst = 0;
        if (store_get(a, off, n, q, x) < 0) {
            en = errno;
            snprintf(err, errlen, "audio: read the scratch file in %s: %s",
                     a->spill_dir, strerror(en));
            goto out;
        }
        for (int l = 0; l < MG_NLAYERS; l++)
            g[l] = a->fmt == MG_SF_PCM16
                       ? (float)(a->bscale[l][off / SBLOCK] * h * a->ngain[l])
                       : (float)(h * a->ngain[l]);
        if (a->fmt == MG_SF_FLOAT) {
            /* float: the mix is the sum of the values written, exactly
             * as summed here; the check re-adds in double */
            for (size_t i = 0; i < 2 * n; i++) {
                float s = 0;
                double ds = 0, e;
                for (int l = 0; l < MG_NLAYERS; l++) {
                    float d = x[l][i] * g[l];
                    a->dec[l][i] = d;
                    s += d;
                    ds += d;
                }
                m[i] = s;
                e = fabs(ds - s);
                if (e > worst)
                    worst = e;
            }
        } else if (a->fmt == MG_SF_PCM16) {
            int16_t(*o)[2 * SBLOCK] = a->out16;
            worst = write_block16(q[0], q[1], q[2], q[3], g, o[0], o[1],
                                  o[2], o[3], o[MG_NLAYERS], m, 2 * n);
        } else {
            /* 24-bit: from the float store, quantised in double; the
             * mix is summed in double too (a float sum is off by up to
             * 0.75 LSB at 24 bits, which could push |stems - mix| past
             * the 2 LSB bound: 4 x 0.5 + 0.5 rounds down to 2) */
            for (size_t i = 0; i < 2 * n; i++) {
                double s = 0;
                int32_t qs = 0, qm;
                int e;
                for (int l = 0; l < MG_NLAYERS; l++) {
                    float d = x[l][i] * g[l];
                    int32_t v = quant(d, full);
                    s += d;
                    qs += v;
                    a->out32[l][i] = (int32_t)((uint32_t)v << 8);
                }
                m[i] = (float)s;
                qm = quantd(s, full);
                a->out32[MG_NLAYERS][i] = (int32_t)((uint32_t)qm << 8);
                e = abs(qs - qm);
                if (e > worst)
                    worst = e;
            }
        }
        if (worst > *max_err)
            *max_err = worst;
        if (worst > (a->fmt == MG_SF_FLOAT ? MG_STEM_TOL_FLOAT
                                           : MG_STEM_TOL_LSB)) {
            snprintf(err, errlen, "stems do not sum to the mix in frames "
                     "%zu..%zu (error %g%s)", off, off + n, worst,
                     a->fmt == MG_SF_FLOAT ? "" : " LSB");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            a->mono[i] = 0.5f * m[2 * i] + 0.5f * m[2 * i + 1];
        if (mg_ascore_acc_feed(a->acc, a->mono, n) < 0) {
            snprintf(err, errlen, "audio: out of memory in the audio score");
            goto out;
        }
        for (int l = 0; l <= MG_NLAYERS; l++) {
            sf_count_t w;
            if (!sf[l])
                continue;
            errno = 0;
            if (a->fmt == MG_SF_FLOAT)
                w = sf_writef_float(sf[l], a->dec[l], (sf_count_t)n);
            else if (a->fmt == MG_SF_PCM24)
                w = sf_writef_int(sf[l], a->out32[l], (sf_count_t)n);
            else
                w = sf_writef_short(sf[l], a->out16[l], (sf_count_t)n);
            if (w != (sf_count_t)n) {
                en = a->wf[l].err ? a->wf[l].err : errno ? errno : EIO;
                snprintf(err, errlen, "write %s/%s: %s", where,
                         l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav",
                         a->wf[l].err || errno ? strerror(en)
                                               : sf_strerror(sf[l]));
                goto out;
            }
        }
    }
    rc = 0;
out:
    for (int l = 0; l <= MG_NLAYERS; l++) {
        if (sf[l] && sf_close(sf[l]) != 0 && rc == 0) {
            en = a->wf[l].err ? a->wf[l].err : EIO;
            snprintf(err, errlen, "write %s/%s: close failed", where,
                     l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav");
            rc = -1;
        }
        bool inmem = a->wf[l].inmem;
        sf_count_t len = a->wf[l].len;
        if (!(a->wf[l].fd >= 0 || inmem))
            continue;
        if (wf_close(&a->wf[l], hex[l]) < 0 && rc == 0) {
            en = errno;
            snprintf(err, errlen, "write %s/%s: %s", where,
                     l < MG_NLAYERS ? mg_layer_name(l) : "mix.wav",
                     strerror(en));
            rc = -1;
        }
        if (inmem)
            a->wlen[l] = (size_t)len;
    }
    if (rc < 0) {
        for (int l = 0; l <= MG_NLAYERS; l++)
            a->wlen[l] = 0;
        errno = en;
    }
    return rc;
}

/* A whole-song stem store (written once per sample, read once): its own
 * anonymous mapping, offered to transparent huge pages (one page fault
 * and one TLB entry per 2 MB of the stream, not per 4 KB) and wiped on
 * fork: the store is made and touched at start-up (mg_audio_new), and a
 * process forked after that (generate's workers inherit the engine) gets
 * fresh zero pages instead of copying the parent's on its first write -
 * the contents never matter, every sample rewrites them. Where THP or
 * the wipe is not available the advice is ignored. */
static size_t
store_bytes(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    return (bytes + huge - 1) / huge * huge;
}

static void *
store_alloc(size_t bytes)
{
    void *p;

    bytes = store_bytes(bytes);
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
#ifdef MADV_WIPEONFORK
    madvise(p, bytes, MADV_WIPEONFORK);
#endif
    return p;
}

static void
store_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, store_bytes(bytes));
}

/* The scratch file for this process (a fork gets its own): O_TMPFILE in
 * $TMPDIR (else /tmp), or a named file unlinked at once. */
static int
spill_open(mg_audio *a, char *err, size_t errlen)
{
    const char *t = getenv("TMPDIR");
    char path[600];

    if (a->spill_fd >= 0 && a->spill_pid == getpid())
        return 0;
    if (a->spill_fd >= 0)
        close(a->spill_fd);     /* the parent's: not ours to write */
    snprintf(a->spill_dir, sizeof a->spill_dir, "%s", t && *t ? t : "/tmp");
#ifdef O_TMPFILE
    a->spill_fd = open(a->spill_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#else
    a->spill_fd = -1;
#endif
    if (a->spill_fd < 0) {
        snprintf(path, sizeof path, "%s/musicgen-store-XXXXXX",
                 a->spill_dir);
        a->spill_fd = mkostemp(path, O_CLOEXEC);
        if (a->spill_fd >= 0)
            unlink(path);
    }
    if (a->spill_fd < 0) {
        snprintf(err, errlen, "audio: cannot make a scratch file in %s "
                 "(TMPDIR) for a long song: %s", a->spill_dir,
                 strerror(errno));
        /* a fault of this machine's set-up that every long song would
         * meet: an I/O fault for the engine, which stops the run */
        errno = EIO;
        return -1;
    }
    a->spill_pid = getpid();
    return 0;
}

/* Room for a song of N frames: the in-memory store up to mem_blocks
 * blocks, the block scales, and the scratch file when N needs it. */
static int
ensure_buffers(mg_audio *a, size_t N, char *err, size_t errlen)
{
    size_t nb = (N + SBLOCK - 1) / SBLOCK;

    if (!a->acc && !(a->acc = mg_ascore_acc_new(a->rate)))
        goto oom;
    if (a->fmt == MG_SF_PCM16 && nb > a->nbscale) {
        for (int l = 0; l < MG_NLAYERS; l++) {
            float *sc = realloc(a->bscale[l], sizeof(float) * nb);
            if (!sc)
                goto oom;
            a->bscale[l] = sc;
        }
        a->nbscale = nb;
    }
    if (nb > a->mem_blocks) {
        if (spill_open(a, err, errlen) < 0)
            return -1;
        N = a->mem_blocks * SBLOCK;     /* the rest goes to the file */
    }
    if (N <= a->cap)
        return 0;
    for (int l = 0; l < MG_NLAYERS; l++) {
        if (a->fmt == MG_SF_PCM16) {
            store_free(a->q[l], a->qbytes[l]);
            a->qbytes[l] = sizeof(int16_t) * 2 * N;
            if (!(a->q[l] = store_alloc(a->qbytes[l]))) {
                a->qbytes[l] = 0;
                goto oom;
            }
        } else {
            store_free(a->fs[l], a->fbytes[l]);
            a->fbytes[l] = sizeof(float) * 2 * N;
            if (!(a->fs[l] = store_alloc(a->fbytes[l]))) {
                a->fbytes[l] = 0;
                goto oom;
            }
        }
    }
    a->cap = N;
    return 0;
oom:
    snprintf(err, errlen, "audio: out of memory for %zu frames", N);
    return -1;
}

/* ---- the sample ----------------------------------------------------- */

int
mg_audio_render(mg_audio *a, const mg_song *s, mg_rng *sf_rng,
                mg_rng *fx_rng, mg_rng *mix_rng, const char *dir,
                json_t *annot, double *score, char *err, size_t errlen)
{
    draws d;
    json_t *jsf = json_object(), *jfx = json_object(), *jlv = json_object();
    size_t N = (size_t)llround(mg_song_duration(s) * a->rate);
    double peak = 0, h = 1, max_err = 0, off_max = 0;
    double meas[MG_NLAYERS], tgt[MG_NLAYERS];
    char hex[MG_NLAYERS + 1][65];
    mg_ascore sc;

    *score = -1;
    for (int l = 0; l <= MG_NLAYERS; l++)
        a->wlen[l] = 0;
    draw_all(a, s, sf_rng, fx_rng, mix_rng, &d);
    for (int l = 0; l < MG_NLAYERS; l++) {
        const font *f = &a->fonts[d.font[l]];
        json_t *o = json_object(), *lv = json_object();
        json_object_set_new(o, "name", json_string(f->info->name));
        json_object_set_new(o, "path", json_string(f->info->path));
        json_object_set_new(o, "license", json_string(f->info->license));
        json_object_set_new(o, "license_class",
                            json_string(f->info->license_class));
        json_object_set_new(o, "bank", json_integer(d.bank[l]));
        json_object_set_new(o, "program", json_integer(d.program[l]));
        json_object_set_new(o, "preset", json_string(d.preset[l]));
        json_object_set_new(o, "instrument_class",
                            json_string(d.gm_class[l]));
        if (a->render) {
            double off = (double)f->preroll / a->rate;
            json_object_set_new(o, "render_offset_seconds",
                                mg_json_real(off, 6));
            if (off > off_max)
                off_max = off;
        }
        json_object_set_new(jsf, mg_layer_name(l), o);
        json_object_set_new(jfx, mg_layer_name(l), mg_fx_chain_json(&d.fx[l]));
        json_object_set_new(lv, "gain_db", mg_json_real(d.level_db[l], 2));
        json_object_set_new(lv, "pan", mg_json_real(d.pan[l], 3));
        json_object_set_new(jlv, mg_layer_name(l), lv);
    }
    json_object_set_new(annot, "soundfonts", jsf);
    json_object_set_new(annot, "fx", jfx);
    json_object_set_new(annot, "levels", jlv);
    if (!a->render)
        return 0;

    if (N == 0) {
        snprintf(err, errlen, "audio: the song is empty");
        return -1;
    }
    if (ensure_buffers(a, N, err, errlen) < 0)
        return -1;
    if (a->spilled && ftruncate(a->spill_fd, 0) == 0)
        a->spilled = false;     /* left over by a failed sample */
    a->spill_errno = 0;
    for (int l = 0; l < MG_NLAYERS; l++) {
        mg_loud_reset(&a->loud[l], a->rate);
        a->ngain[l] = 1;
    }
    /* one pass per distinct font, in layer order of first use */
    for (int l = 0; l < MG_NLAYERS; l++) {
        bool seen = false;
        for (int m = 0; m < l; m++)
            seen |= d.font[m] == d.font[l];
        if (!seen && render_pass(a, s, &d, d.font[l], N, err, errlen) < 0)
            return -1;
    }
    /* loudness normalisation (Slakh-style): each stem's gain brings its
     * integrated loudness to its target (the genre's, moved by the drawn
     * level's offset from the centre of its range), before the sum; a
     * silent stem keeps gain 1. The gains are known before the one write
     * pass; the peak of the gained stems and of their sum then needs a
     * pass over the store (read once more; same fixed memory bound). */
    for (int l = 0; l < MG_NLAYERS; l++) {
        double lu = mg_loud_integrated(&a->loud[l]);
        meas[l] = lu;
        tgt[l] = a->loud_target[l] + d.level_db[l] -
                 0.5 * (a->mix.level_lo[l] + a->mix.level_hi[l]);
        if (isfinite(lu))
            a->ngain[l] = pow(10.0, (tgt[l] - lu) / 20.0);
    }
    /* one headroom gain for stems and mix, from the loudest of them */
    peak = stored_peak(a, N);
    if (peak < 0) {
        int en = errno;
        snprintf(err, errlen, "audio: read the scratch file in %s: %s",
                 a->spill_dir, strerror(en));
        errno = en;
        return -1;
    }
    if (peak > 0) {
        h = pow(10.0, a->mix.headroom_db / 20.0) / peak;
        if (h > pow(10.0, a->mix.max_gain_db / 20.0))
            h = pow(10.0, a->mix.max_gain_db / 20.0);
    }
    {
        int rc = write_outputs(a, dir, N, h, &max_err, hex, err, errlen);
        int en = errno;
        /* the scratch file's blocks are spent: give the space back (a
         * failure only leaves it for the next sample to overwrite) */
        if (a->spilled && ftruncate(a->spill_fd, 0) == 0)
            a->spilled = false;
        errno = en;
        if (rc < 0)
            return -1;
    }
    if (mg_ascore_acc_finish(a->acc, a->tempo_min, a->tempo_max, &sc) < 0) {
        snprintf(err, errlen, "audio: out of memory in the audio score");
        return -1;
    }
    *score = sc.score;
    {
        json_t *mx = json_object();
        json_object_set_new(mx, "master_gain_db",
                            mg_json_real(20 * log10(h), 3));
        json_object_set_new(mx, "headroom_dbfs",
                            mg_json_real(a->mix.headroom_db, 2));
        json_object_set_new(mx, "stems_sum_tolerance",
                            a->fmt == MG_SF_FLOAT
                                ? mg_json_real(MG_STEM_TOL_FLOAT, 9)
                                : json_integer(MG_STEM_TOL_LSB));
        json_object_set_new(mx, "stems_sum_max_error",
                            a->fmt == MG_SF_FLOAT
                                ? mg_json_real(max_err, 9)
                                : json_integer((json_int_t)max_err));
        json_t *ld = json_object();
        for (int l = 0; l < MG_NLAYERS; l++) {
            json_t *o = json_object();
            bool on = isfinite(meas[l]);
            double gdb = 20 * log10(a->ngain[l]);
            json_object_set_new(o, "target_lufs", mg_json_real(tgt[l], 2));
            json_object_set_new(o, "measured_lufs",
                                on ? mg_json_real(meas[l], 3) : json_null());
            json_object_set_new(o, "normalise_gain_db", mg_json_real(gdb, 3));
            /* the stem file's integrated loudness: measured x gains */
            json_object_set_new(
                o, "integrated_lufs",
                on ? mg_json_real(meas[l] + gdb + 20 * log10(h), 3)
                   : json_null());
            json_object_set_new(ld, mg_layer_name(l), o);
        }
        json_object_set_new(mx, "stem_loudness", ld);
        json_object_set_new(mx, "loudness_standard",
                            json_string("ITU-R BS.1770-4 integrated "
                                        "(EBU R128 gating)"));
        json_object_set_new(annot, "mixing", mx);
    }
    json_object_set_new(annot, "sample_rate", json_integer(a->rate));
    json_object_set_new(annot, "audio_format",
                        json_string(format_name(a->fmt)));
    json_object_set_new(annot, "audio_channels", json_integer(2));
    json_object_set_new(annot, "audio_frames", json_integer((json_int_t)N));
    json_object_set_new(annot, "render_offset_seconds",
                        mg_json_real(off_max, 6));
    json_object_set_new(annot, "audio_score", mg_ascore_json(&sc));
    /* SHA-256 of the WAVs as written, for sample.json "checksums" (the
     * engine adds the other files' and orders them) */
    {
        json_t *cs = json_object();
        for (int l = 0; l <= MG_NLAYERS; l++) {
            char rel[64];
            if (!hex[l][0])
                continue;
            if (l < MG_NLAYERS)
                snprintf(rel, sizeof rel, "stems/%s.wav", mg_layer_name(l));
            else
                snprintf(rel, sizeof rel, "mix.wav");
            json_object_set_new(cs, rel, json_string(hex[l]));
        }
        json_object_set_new(annot, "checksums", cs);
    }
    return 0;
}

/* ---- calibrate ------------------------------------------------------ */

int
mg_audio_calibrate(const mg_config *c, FILE *report, char *err,
                   size_t errlen)
{
    mg_pools *pools = NULL;
    fluid_settings_t *st = NULL;
    char cache[1024];
    int nf = 0, rc = -1, rate = c->sample_rate > 0 ? c->sample_rate : 44100;

    pools = mg_pools_load(c->sf_dir, c->fonts, c->accept_license, err,
                          errlen);
    if (!pools)
        goto out;
    nf = mg_pools_count(pools);
    st = new_fluid_settings();
    if (!st) {
        snprintf(err, errlen, "calibrate: cannot create FluidSynth settings");
        goto out;
    }
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setint(st, "synth.lock-memory", 0);
    if (mg_cal_cache_path(c->cache_dir, cache, sizeof cache) < 0) {
        snprintf(err, errlen, "calibrate: no cache directory (--cache-dir)");
        goto out;
    }
    for (int i = 0; i < nf; i++) {
        const mg_font_info *fi = mg_pools_font(pools, i);
        fluid_synth_t *syn;
        char key[1600], file[1200];
        int id, frames;

        if (!fi->selected)
            continue;
        snprintf(file, sizeof file, "%s", fi->file);
        if (fi->version >= 3 &&
            mg_sfont_expand(fi->file, file, sizeof file, err, errlen) < 0)
            goto out;
        syn = new_fluid_synth(st);
        if (!syn) {
            snprintf(err, errlen, "calibrate: cannot create a synth");
            goto out;
        }
        id = fluid_synth_sfload(syn, file, 0);
        if (id == FLUID_FAILED) {
            delete_fluid_synth(syn);
            snprintf(err, errlen, "soundfont %s: FluidSynth cannot load it",
                     fi->file);
            goto out;
        }
        if (mg_cal_measure(syn, id, rate, &frames, err, errlen) < 0) {
            delete_fluid_synth(syn);
            goto out;
        }
        delete_fluid_synth(syn);
        if (mg_cal_key(file, rate, key, sizeof key) < 0 ||
            mg_cal_cache_put(c->cache_dir, key, frames, err, errlen) < 0)
            goto out;
        if (report)
            fprintf(report, "%-24s %6d frames  %8.3f ms  at %d Hz  %s\n",
                    fi->name, frames, 1e3 * frames / rate, rate, fi->file);
    }
    if (report)
        fprintf(report, "fluidsynth %s; cached in %s\n", fluid_version_str(),
                cache);
    rc = 0;
out:
    if (st)
        delete_fluid_settings(st);
    mg_pools_destroy(&pools);
    return rc;
}

/* ---- fingerprint ---------------------------------------------------- */

static int
sha256_file(const char *path, char out[65], char *err, size_t errlen)
{
    FILE *fp;
    EVP_MD_CTX *ctx;
    unsigned char md[32], *buf;
    unsigned int mdlen = 0;
    size_t n;

    if (mg_rfile_open(path, 0, &fp, err, errlen) < 0) return -1;
    buf = malloc(1 << 20);
    ctx = EVP_MD_CTX_new();
    if (!buf || !ctx) {
        fclose(fp);
        free(buf);
        EVP_MD_CTX_free(ctx);
        snprintf(err, errlen, "sha256: out of memory");
        return -1;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while ((n = fread(buf, 1, 1 << 20, fp)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    free(buf);
    if (ferror(fp)) {
        fclose(fp);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    fclose(fp);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
    return 0;
}

typedef struct {
    char path[1024];
    char sha[65];
} hashed;

static int
cmp_hashed(const void *x, const void *y)
{
    return strcmp(((const hashed *)x)->path, ((const hashed *)y)->path);
}

int
mg_audio_pools_hash(const mg_config *c, char out[65], char *err,
                    size_t errlen)
{
    const char *sf_dir = c->sf_dir;
    static const char *const data[] = {"registry.json", "fx.json",
                                       "mix.json"};
    mg_pools *pools = NULL;
    hashed *h = calloc(MAX_FONTS + 4, sizeof *h);
    int nf = 0, nh = 0, rc = -1;
    EVP_MD_CTX *ctx = NULL;
    unsigned char md[32];
    unsigned int mdlen;

    if (!h) {
        snprintf(err, errlen, "sha256: out of memory");
        goto out;
    }
    pools = mg_pools_load(sf_dir, c->fonts, c->accept_license, err, errlen);
    if (!pools)
        goto out;
    nf = mg_pools_count(pools);
    /* the selection itself (the pools are the fonts it names) */
    snprintf(h[nh].path, sizeof h[nh].path, " fonts=%.200s", c->fonts);
    memset(h[nh].sha, '0', 64);
    h[nh].sha[64] = 0;
    nh++;
    /* the data files that decide the audio bytes count too */
    for (int i = 0; i < 3; i++) {
        char p[1200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", sf_dir, data[i]);
        if (stat(p, &st) < 0)
            continue;
        snprintf(h[nh].path, sizeof h[nh].path, "%s", data[i]);
        if (sha256_file(p, h[nh].sha, err, errlen) < 0)
            goto out;
        nh++;
    }
    /* fonts are large: their hashes are cached by file identity */
    for (int i = 0; i < nf; i++) {
        const mg_font_info *f = mg_pools_font(pools, i);
        if (!f->selected)
            continue;
        snprintf(h[nh].path, sizeof h[nh].path, "%s", f->path);
        if (mg_cal_hash_get(c->cache_dir, f->file, h[nh].sha) < 0) {
            if (sha256_file(f->file, h[nh].sha, err, errlen) < 0)
                goto out;
            mg_cal_hash_put(c->cache_dir, f->file, h[nh].sha);
        }
        nh++;
    }
    qsort(h, (size_t)nh, sizeof *h, cmp_hashed);
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        goto out;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int i = 0; i < nh; i++) {
        EVP_DigestUpdate(ctx, h[i].path, strlen(h[i].path) + 1);
        EVP_DigestUpdate(ctx, h[i].sha, 64);
        EVP_DigestUpdate(ctx, "\n", 1);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    mg_pools_destroy(&pools);
    free(h);
    return rc;
}
