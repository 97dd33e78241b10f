/*
 * audio_fonts — the soundfonts of an mg_audio: every font of the pools
 * loaded once into its own "master" fluid_synth (SF3 files through their
 * expansion), in parallel threads, with its measured or cached pre-roll;
 * `musicgen calibrate` (mg_audio_calibrate); the pools' fingerprint
 * (mg_audio_pools_hash).
 *
 * Invariants:
 *  - a master synth only holds its font (presets, calibration): samples
 *    render on fresh synths that borrow it (audio_render.c), so nothing a
 *    master does reaches a sample's bytes;
 *  - a font that fails to load is an error naming it, before any work;
 *  - the fingerprint covers the selection, the data files that decide the
 *    audio bytes (registry.json, fx.json, mix.json) and every selected
 *    font, sorted by path: the same inputs give the same hash;
 *  - a master synth reads its file through our sfloader callbacks (plain
 *    stdio, as FluidSynth's own), which only ask for transparent huge
 *    pages under the sample data before it is read in: the bytes loaded
 *    are FluidSynth's, the page faults of start-up fall ~4x (hundreds of
 *    MB of fonts in 2 MB pages, not 4 KB ones).
 */
#include "audio_priv.h"
#include "audio_cal.h"
#include "hex.h"
#include "rfile.h"
#include "sfont.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Settings shared by both synth kinds (see audio_priv.h). */
fluid_settings_t *
audio_make_settings(double rate, bool fx)
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

/* ---- reading a font file ------------------------------------------- */

/* FluidSynth reads a font's sample data (the whole smpl chunk: 150 MB for
 * FluidR3_GM, 500 MB for the default pools) in one read into a buffer it
 * has just malloc'd, so every 4 KB page of it is a fresh page fault (a
 * costly one on a virtual machine). Asking for huge pages there first
 * cuts the faults 512x; the buffer's contents are what fread puts there
 * either way. Smaller reads (the preset tables) go on as they are. */
#define HUGE_READ ((fluid_long_long_t)4 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void *
fio_open(const char *path)
{
    return fopen(path, "rb");
}

static int
fio_read(void *buf, fluid_long_long_t count, void *h)
{
#ifdef MADV_HUGEPAGE
    if (count >= HUGE_READ) {
        uintptr_t lo = ((uintptr_t)buf + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)buf + (uintptr_t)count) & ~(HUGE_PAGE - 1);
        if (hi > lo)    /* a hint: a kernel without THP says no, harmlessly */
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
    }
#endif
    return fread(buf, (size_t)count, 1, h) == 1 ? FLUID_OK : FLUID_FAILED;
}

static int
fio_seek(void *h, fluid_long_long_t off, int whence)
{
    return fseeko(h, (off_t)off, whence) == 0 ? FLUID_OK : FLUID_FAILED;
}

static fluid_long_long_t
fio_tell(void *h)
{
    return (fluid_long_long_t)ftello(h);
}

static int
fio_close(void *h)
{
    return fclose(h) == 0 ? FLUID_OK : FLUID_FAILED;
}

int
audio_add_font_loader(fluid_synth_t *syn)
{
    fluid_sfloader_t *l = new_fluid_defsfloader(fluid_synth_get_settings(syn));
    if (!l)
        return -1;
    if (fluid_sfloader_set_callbacks(l, fio_open, fio_read, fio_seek,
                                     fio_tell, fio_close) != FLUID_OK) {
        delete_fluid_sfloader(l);
        return -1;
    }
    fluid_synth_add_sfloader(syn, l);   /* the synth owns it now */
    return 0;
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

int
audio_load_fonts(mg_audio *a, char *err, size_t errlen)
{
    pthread_t th[MAX_FONTS];
    bool started[MAX_FONTS] = {false};
    int rc = 0;

    for (int i = 0; i < a->nfonts; i++) {
        font *f = &a->fonts[i];
        f->err[0] = 0;
        if (!f->synth)
            continue;
        if (audio_add_font_loader(f->synth) < 0) {
            snprintf(err, errlen, "audio: cannot make a SoundFont loader");
            rc = -1;
            break;
        }
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
    mg_hex_sha256(md, out);
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
    mg_hex_sha256(md, out);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    mg_pools_destroy(&pools);
    free(h);
    return rc;
}
