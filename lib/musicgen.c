/*
 * musicgen — libmusicgen's public API (musicgen.h) over the engine
 * (common/engine.h) and the configuration (common/config.h). It adds no
 * behaviour of its own to a sample: a musicgen_sample is the engine's
 * mg_row plus, in memory, its mg_sample_mem. The batch and LICENSES.md
 * are in musicgen_batch.c, the handles' structures in musicgen_handles.h.
 *
 * Invariants: no global mutable state (every object holds its own error
 * text); no process-wide change (signals, loggers, caches) unless the
 * caller asks (musicgen_process_setup, "cache-dir"); every function named
 * in musicgen.h is exported and nothing else (lib/musicgen.map and
 * -fvisibility=hidden).
 */
#define MUSICGEN_BUILDING 1
#include "bytes.h"
#include "musicgen.h"
#include "musicgen_handles.h"
#include "musicgen_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "audio.h"
#include "clock.h"
#include "config.h"
#include "engine.h"
#include "jsonout.h"
#include "plan.h"
#include "sampledir.h"

void
mgapi_seterr(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;

    if (!dst || !n)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* ---- library ---------------------------------------------------------- */

const char *
musicgen_version(void)
{
    return MG_ENGINE_VERSION;
}

const char *
musicgen_synth_version(void)
{
    return mg_audio_synth_version();
}

void
musicgen_free(void *p)
{
    free(p);
}

const char *
musicgen_track_name(musicgen_track t)
{
    if ((int)t >= 0 && (int)t < MG_NLAYERS)
        return mg_layer_name((mg_layer)t);
    return t == MUSICGEN_MIX ? "mix" : NULL;
}

void
musicgen_process_setup(void)
{
    mg_audio_process_setup();
}

/* ---- configuration ---------------------------------------------------- */

musicgen_config *
musicgen_config_new(void)
{
    musicgen_config *c = calloc(1, sizeof *c);

    if (!c)
        return NULL;
    mg_config_defaults(&c->cfg);
    c->cfg.out_dir[0] = 0;      /* memory only until "out" is set */
    c->cfg.cache_dir[0] = 0;
    return c;
}

musicgen_config *
musicgen_config_copy(const musicgen_config *c)
{
    musicgen_config *d = c ? malloc(sizeof *d) : NULL;

    if (d)
        memcpy(d, c, sizeof *d);
    return d;
}

void
musicgen_config_destroy(musicgen_config **c)
{
    if (!c || !*c)
        return;
    free(*c);
    *c = NULL;
}

int
musicgen_config_set(musicgen_config *c, const char *name, const char *value)
{
    if (!c)
        return -1;
    c->err[0] = 0;
    if (!name) {
        mgapi_seterr(c->err, sizeof c->err, "option name is NULL");
        return -1;
    }
    if (!strcmp(name, "config"))
        return musicgen_config_load_file(c, value ? value : "");
    return mg_config_set(&c->cfg, name, value ? value : "", c->err,
                         sizeof c->err);
}

int
musicgen_config_load_file(musicgen_config *c, const char *path)
{
    if (!c)
        return -1;
    c->err[0] = 0;
    if (!path) {
        mgapi_seterr(c->err, sizeof c->err, "config file: the path is NULL");
        return -1;
    }
    return mg_config_load_file(&c->cfg, path, c->err, sizeof c->err);
}

int
musicgen_config_load_env(musicgen_config *c)
{
    if (!c)
        return -1;
    c->err[0] = 0;
    return mg_config_load_env(&c->cfg, c->err, sizeof c->err);
}

char *
musicgen_config_json(const musicgen_config *c)
{
    return c ? mg_config_run_json(&c->cfg) : NULL;
}

const char *
musicgen_config_error(const musicgen_config *c)
{
    return c ? c->err : "";
}

uint64_t
musicgen_seed_of(int64_t global_seed, uint64_t index)
{
    return mg_sample_seed(global_seed, index);
}

const char *
musicgen_split_of(const musicgen_config *c, int64_t global_seed,
                  uint64_t index)
{
    if (!c)
        return NULL;
    return mg_split_name(mg_split_of(mg_sample_seed(global_seed, index),
                                     c->cfg.split));
}

/* ---- planning --------------------------------------------------------- */

musicgen_plan *
musicgen_plan_new(const musicgen_config *c, char *err, size_t errlen)
{
    musicgen_plan *p;
    char msg[512] = "";

    if (!c) {
        mgapi_seterr(err, errlen, "config is NULL");
        return NULL;
    }
    if (!(p = calloc(1, sizeof *p))) {
        mgapi_seterr(err, errlen, "out of memory");
        return NULL;
    }
    if (mg_config_validate(&c->cfg, false, msg, sizeof msg) < 0 ||
        !(p->plan = mg_plan_new(&c->cfg, msg, sizeof msg))) {
        mgapi_seterr(err, errlen, "%s", msg);
        free(p);
        return NULL;
    }
    return p;
}

void
musicgen_plan_destroy(musicgen_plan **p)
{
    if (!p || !*p)
        return;
    mg_plan_destroy(&(*p)->plan);
    free(*p);
    *p = NULL;
}

double
musicgen_plan_seconds(musicgen_plan *p, int64_t global_seed, uint64_t index)
{
    return p ? mg_plan_cost(p->plan, global_seed, index) : 0;
}

/* ---- engine ----------------------------------------------------------- */

static void
fingerprint_json(musicgen_engine *e)
{
    const mg_fingerprint *fp = mg_engine_fingerprint(e->eng);
    json_t *j = json_object();
    char *t;

    json_object_set_new(j, "engine_version", json_string(fp->engine_version));
    json_object_set_new(j, "genres_hash", json_string(fp->genres_hash));
    json_object_set_new(j, "soundfonts_hash",
                        json_string(fp->soundfonts_hash));
    json_object_set_new(j, "synth_version", json_string(fp->synth_version));
    t = mg_json_dump(j, 0);
    json_decref(j);
    if (t) {
        t[strcspn(t, "\n")] = 0;
        snprintf(e->fingerprint, sizeof e->fingerprint, "%s", t);
        free(t);
    }
}

musicgen_engine *
musicgen_engine_new(const musicgen_config *c, char *err, size_t errlen)
{
    musicgen_engine *e;
    char msg[512] = "";

    if (!c) {
        mgapi_seterr(err, errlen, "config is NULL");
        return NULL;
    }
    if (!(e = calloc(1, sizeof *e))) {
        mgapi_seterr(err, errlen, "out of memory");
        return NULL;
    }
    e->cfg = c->cfg;
    if (mg_config_validate(&e->cfg, false, msg, sizeof msg) < 0 ||
        !(e->eng = mg_engine_new(&e->cfg, msg, sizeof msg))) {
        mgapi_seterr(err, errlen, "%s", msg);
        free(e);
        return NULL;
    }
    fingerprint_json(e);
    return e;
}

musicgen_engine *
mgapi_engine_wrap(mg_engine *eng, const mg_config *c)
{
    musicgen_engine *e = calloc(1, sizeof *e);

    if (!e)
        return NULL;
    e->eng = eng;
    e->cfg = *c;
    fingerprint_json(e);
    return e;
}

mg_engine *
mgapi_engine_unwrap(musicgen_engine **e)
{
    mg_engine *eng;

    if (!e || !*e)
        return NULL;
    eng = (*e)->eng;
    free((*e)->laid_out);
    free(*e);
    *e = NULL;
    return eng;
}

const mg_row *
mgapi_sample_row(const musicgen_sample *s)
{
    return &s->row;
}

void
musicgen_engine_destroy(musicgen_engine **e)
{
    if (!e || !*e)
        return;
    mg_engine_destroy(&(*e)->eng);
    free((*e)->laid_out);
    free(*e);
    *e = NULL;
}

const char *
musicgen_engine_error(const musicgen_engine *e)
{
    return e ? e->err : "";
}

const char *
musicgen_engine_fingerprint(const musicgen_engine *e)
{
    return e ? e->fingerprint : "";
}

/* What every generate call checks first: an engine (none: -1, there is
 * nowhere to put a message), somewhere to put the sample (optional for
 * _to_dir), and an index the executable could be asked for (--start
 * refuses more): its directory name would be no sample's to the dataset
 * commands, and a binding's -1 wrapped to 2^64 - 1 must not become one.
 * 0, or -1 with e's message. */
static int
generate_begin(musicgen_engine *e, uint64_t index, musicgen_sample **out,
               bool out_needed)
{
    if (out)
        *out = NULL;
    if (!e)
        return -1;
    e->err[0] = 0;
    if (out_needed && !out) {
        mgapi_seterr(e->err, sizeof e->err, "out is NULL");
        return -1;
    }
    if (index <= (uint64_t)MG_CONFIG_MAX_INDEX)
        return 0;
    mgapi_seterr(e->err, sizeof e->err,
           "index %" PRIu64 " is past the largest index %" PRId64, index,
           (int64_t)MG_CONFIG_MAX_INDEX);
    return -1;
}

int
musicgen_generate(musicgen_engine *e, int64_t global_seed, uint64_t index,
                  musicgen_sample **out)
{
    musicgen_sample *s;

    if (generate_begin(e, index, out, true))
        return -1;
    if (!(s = calloc(1, sizeof *s))) {
        mgapi_seterr(e->err, sizeof e->err, "out of memory");
        return -1;
    }
    if (mg_engine_make(e->eng, global_seed, index, &s->mem, e->err,
                       sizeof e->err) < 0) {
        mg_sample_mem_free(&s->mem);
        free(s);
        return -1;
    }
    s->row = s->mem.row;
    s->global_seed = global_seed;
    s->inmem = true;
    *out = s;
    return 0;
}

/* A sample made in memory with its audio into sink (musicgen_generate_f32
 * and _f32_fd, after generate_begin). */
static int
generate_f32(musicgen_engine *e, int64_t global_seed, uint64_t index,
             mg_audio_sink *sink, unsigned flags, musicgen_sample **out)
{
    musicgen_sample *s;

    sink->hash = !(flags & MUSICGEN_NO_WAV_CHECKSUMS);
    if (flags & ~MUSICGEN_NO_WAV_CHECKSUMS) {
        mgapi_seterr(e->err, sizeof e->err, "flags: unknown bits 0x%x",
               flags & ~MUSICGEN_NO_WAV_CHECKSUMS);
        return -1;
    }
    if (!(s = calloc(1, sizeof *s))) {
        mgapi_seterr(e->err, sizeof e->err, "out of memory");
        return -1;
    }
    if (mg_engine_make_f32(e->eng, global_seed, index, sink, &s->mem,
                           e->err, sizeof e->err) < 0) {
        mg_sample_mem_free(&s->mem);
        free(s);
        return -1;
    }
    s->row = s->mem.row;
    s->global_seed = global_seed;
    s->inmem = true;
    *out = s;
    return 0;
}

/* The library's sink over the caller's alloc (the signatures differ only
 * in name: mg_audio_f32_fn is musicgen_f32_alloc). */
int
musicgen_generate_f32(musicgen_engine *e, int64_t global_seed,
                      uint64_t index, musicgen_f32_alloc alloc, void *user,
                      unsigned flags, musicgen_sample **out)
{
    mg_audio_sink sink = {.alloc = alloc, .user = user, .fd = -1};

    if (generate_begin(e, index, out, true))
        return -1;
    if (!alloc) {
        mgapi_seterr(e->err, sizeof e->err, "alloc is NULL");
        return -1;
    }
    return generate_f32(e, global_seed, index, &sink, flags, out);
}

int
musicgen_generate_f32_fd(musicgen_engine *e, int64_t global_seed,
                         uint64_t index, int fd, unsigned flags,
                         musicgen_sample **out)
{
    mg_audio_sink sink = {.fd = fd};

    if (generate_begin(e, index, out, true))
        return -1;
    if (fd < 0) {
        mgapi_seterr(e->err, sizeof e->err, "fd: not a file descriptor (%d)", fd);
        return -1;
    }
    return generate_f32(e, global_seed, index, &sink, flags, out);
}

/* A root laid out otherwise than e's shard width: a sample written there
 * would make a tree the readers refuse (flat sample directories beside
 * shard directories; verify: "mixed layout"), or a second copy of an
 * index in the other layout. The root's entries are read once per root
 * an engine writes to (a new root: when it holds something). */
static int
layout_refused(musicgen_engine *e, const char *root)
{
    char msg[512];
    int w;

    if (e->laid_out && !strcmp(e->laid_out, root))
        return 0;
    if (access(root, F_OK))
        return 0;       /* made by this sample */
    if (mg_sampledir_fits(root, e->cfg.shard_width, "", "shard-width",
                          "another directory", &w, msg, sizeof msg)) {
        mgapi_seterr(e->err, sizeof e->err, "%s", msg);
        return 1;
    }
    if (w >= 0) {
        free(e->laid_out);
        e->laid_out = strdup(root);     /* NULL: look again next time */
    }
    return 0;
}

int
musicgen_generate_to_dir(musicgen_engine *e, int64_t global_seed,
                         uint64_t index, const char *root,
                         musicgen_sample **out)
{
    musicgen_sample *s;
    size_t n;

    if (generate_begin(e, index, out, false))
        return -1;
    if (!(s = calloc(1, sizeof *s))) {
        mgapi_seterr(e->err, sizeof e->err, "out of memory");
        return -1;
    }
    if (!root || !*root)
        root = e->cfg.out_dir;
    if (*root && layout_refused(e, root)) {
        free(s);
        return -1;
    }
    if (mg_engine_run_at(e->eng, root, global_seed, index, &s->row, e->err,
                         sizeof e->err) < 0) {
        free(s);
        return -1;
    }
    s->global_seed = global_seed;
    n = strlen(root) + strlen(s->row.path) + 2;
    if (!(s->dir = malloc(n))) {
        free(s);
        mgapi_seterr(e->err, sizeof e->err, "out of memory");
        return -1;
    }
    snprintf(s->dir, n, "%s/%s", root, s->row.path);
    if (out)
        *out = s;
    else
        musicgen_sample_destroy(&s);
    return 0;
}

void
musicgen_engine_recycle(musicgen_engine *e, musicgen_sample **sp)
{
    musicgen_sample *s;

    if (!sp || !(s = *sp))
        return;
    mg_engine_recycle(e ? e->eng : NULL, &s->mem);
    musicgen_sample_destroy(sp);
}

/* ---- a sample --------------------------------------------------------- */

void
musicgen_sample_destroy(musicgen_sample **sp)
{
    musicgen_sample *s;

    if (!sp || !(s = *sp))
        return;
    mg_sample_mem_free(&s->mem);
    free(s->dir);
    free(s->manifest);
    free(s);
    *sp = NULL;
}

musicgen_status
musicgen_sample_status(const musicgen_sample *s)
{
    if (!s) return MUSICGEN_FAILED;
    return s->row.status == MG_ROW_OK ? MUSICGEN_OK : MUSICGEN_FAILED;
}

const char *
musicgen_sample_error(const musicgen_sample *s)
{
    if (!s) return "";
    return s->row.status == MG_ROW_OK ? "" : s->row.error;
}

uint64_t
musicgen_sample_index(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.index;
}

int64_t
musicgen_sample_global_seed(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->global_seed;
}

uint64_t
musicgen_sample_seed(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.seed;
}

const char *
musicgen_sample_split(const musicgen_sample *s)
{
    if (!s) return NULL;
    return mg_split_name(s->row.split);
}

double
musicgen_sample_musicality(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.score;
}

double
musicgen_sample_duration(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.duration;
}

int
musicgen_sample_attempt(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.attempt;
}

int
musicgen_sample_skipped(const musicgen_sample *s)
{
    if (!s) return 0;
    return s->row.skipped ? 1 : 0;
}

const char *
musicgen_sample_path(const musicgen_sample *s)
{
    if (!s) return NULL;
    return s->row.path;
}

const char *
musicgen_sample_dir(const musicgen_sample *s)
{
    if (!s) return NULL;
    return s->dir;
}

const char *
musicgen_sample_manifest_row(musicgen_sample *s, const char *wrote_at)
{
    char buf[2048], now[40];
    int n;

    if (!wrote_at) {
        mg_rfc3339(now, sizeof now, mg_wall_ms());
        wrote_at = now;
    }
    if (!s || (n = mg_row_jsonl(&s->row, wrote_at, buf, sizeof buf)) < 0)
        return NULL;
    free(s->manifest);
    s->manifest = strdup(buf);
    return s->manifest;
}

const char *
musicgen_sample_json(const musicgen_sample *s, size_t *len)
{
    if (len)
        *len = s && s->mem.json ? s->mem.json_len : 0;
    return s ? s->mem.json : NULL;
}

const unsigned char *
musicgen_sample_midi(const musicgen_sample *s, musicgen_track layer,
                     size_t *len)
{
    if (len)
        *len = 0;
    if (!s || (int)layer < 0 || (int)layer >= MG_NLAYERS ||
        !s->mem.midi[layer].data)
        return NULL;
    if (len)
        *len = s->mem.midi[layer].len;
    return s->mem.midi[layer].data;
}

const unsigned char *
musicgen_sample_wav(const musicgen_sample *s, musicgen_track t, size_t *len)
{
    if (len)
        *len = 0;
    if (!s || (int)t < 0 || (int)t > MG_NLAYERS || !s->mem.wav[t])
        return NULL;
    if (len)
        *len = s->mem.wav_len[t];
    return s->mem.wav[t];
}

int
musicgen_sample_pcm(const musicgen_sample *s, musicgen_track t,
                    musicgen_pcm *pcm)
{
    size_t len, p = 12;
    const unsigned char *w = musicgen_sample_wav(s, t, &len);
    unsigned fmt_tag = 0, bits = 0, ch = 0;
    uint32_t rate = 0;

    if (!pcm)
        return -1;
    memset(pcm, 0, sizeof *pcm);
    if (!w || len < 12 || memcmp(w, "RIFF", 4) || memcmp(w + 8, "WAVE", 4))
        return -1;
    while (p + 8 <= len) {
        uint32_t n = mg_le32(w + p + 4);
        const unsigned char *b = w + p + 8;
        if (!memcmp(w + p, "fmt ", 4) && n >= 16 && p + 8 + 16 <= len) {
            fmt_tag = mg_le16(b);
            ch = mg_le16(b + 2);
            rate = mg_le32(b + 4);
            bits = mg_le16(b + 14);
            if (fmt_tag == 0xFFFE && n >= 26)   /* extensible: subformat */
                fmt_tag = mg_le16(b + 24);
        } else if (!memcmp(w + p, "data", 4)) {
            size_t avail = len - (p + 8);
            if (n < avail)
                avail = n;
            if (!ch || !bits)
                return -1;
            pcm->data = b;
            pcm->channels = (int)ch;
            pcm->sample_rate = (int)rate;
            pcm->bytes_per_sample = (int)(bits / 8);
            pcm->format = fmt_tag == 3 ? MUSICGEN_FLOAT32
                          : bits == 24 ? MUSICGEN_PCM24 : MUSICGEN_PCM16;
            pcm->frames = avail / ((size_t)ch * (bits / 8));
            return 0;
        }
        p += 8 + (size_t)n + (n & 1);
    }
    return -1;
}
