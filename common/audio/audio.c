/*
 * audio — the mg_audio object (audio.h): its lifecycle, and one sample
 * from the draws to the annotations (mg_audio_render). The parts it runs
 * live beside it, one concern each (the map is in audio_priv.h): fonts,
 * mix and draws, the render pass, the stem store, the write pass, the
 * WAV sink.
 *
 * Invariants:
 *  - every font of the pools is loaded once per mg_audio, into its own
 *    "master" fluid_synth (kept for presets and calibration); each sample
 *    renders on a fresh synth that borrows the loaded font
 *    (fluid_synth_add_sfont, ~1 ms, no reload), so no synth state
 *    survives from one sample to the next: a sample's bytes never depend
 *    on what the process rendered before;
 *  - one synthesis pass per distinct font, in layer order of first use
 *    (audio_render.c);
 *  - every WAV has exactly round(duration * rate) frames; stems are the
 *    post-FX, post-level layers and the mix is their sample-wise sum, both
 *    scaled by one common headroom gain; after quantisation the sum of the
 *    stems is checked against the mix on every frame (tolerance
 *    MG_STEM_TOL_LSB) and a sample that fails is an error (audio_write.c);
 *  - draws: soundfonts, then fx, then mix, each from its own stream, in
 *    layer order, whether or not anything is rendered (midi-only records
 *    the same choices);
 *  - the WAVs' SHA-256 (sample.json "checksums") are computed from the
 *    bytes as they are written (audio_wav.c), re-read from disk only if
 *    libsndfile did not write the stream predicted;
 *  - process-wide settings (SIGXFSZ, FluidSynth's logger) are the
 *    program's choice, made only by mg_audio_process_setup.
 */
#include "audio_priv.h"
#include "jsonout.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- lifecycle ------------------------------------------------------ */

static void
silence_log(int level, const char *msg, void *data)
{
    (void)level;
    (void)msg;
    (void)data;
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
        /* the in-memory store's budget: a frame is four stereo stems of
         * int16 (pcm16: 16 bytes) or float (pcm24, float: 32 bytes) */
        const char *e = getenv("MUSICGEN_AUDIO_STORE_MB");
        long mb = STORE_MB;
        size_t fbytes = 2 * MG_NLAYERS * (a->fmt == MG_SF_PCM16 ? 2 : 4);
        /* a whole number of MB, 1..65536 ("abc", "2x" and "0.5" were read
         * as 1 MB and 99999999 as 64 GB, all without a word) */
        if (e && *e) {
            char *end;
            errno = 0;
            mb = strtol(e, &end, 10);
            if (errno || end == e || *end || mb < 1 || mb > 65536) {
                snprintf(err, errlen, "MUSICGEN_AUDIO_STORE_MB: need a "
                         "whole number of MB from 1 to 65536, got '%s'", e);
                goto fail;
            }
        }
        a->mem_blocks = (size_t)mb * 1048576 / fbytes / SBLOCK;
        if (a->mem_blocks < 1)
            a->mem_blocks = 1;
        /* every process maps it (generate's workers are forked with
         * it), and the kernel refuses a fork whose private mappings
         * outgrow the machine's memory: the fork failed with "cannot
         * start 1 workers: Cannot allocate memory" */
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        double have = (double)pages * (double)psz / 1048576,
               need = audio_store_reserved(a) / 1048576;
        if (render && pages > 0 && psz > 0 && need > have) {
            snprintf(err, errlen, "MUSICGEN_AUDIO_STORE_MB=%ld: the stem "
                     "store every process maps (%.0f MB) is more than this "
                     "machine's %.0f MB of memory", mb, need, floor(have));
            goto fail;
        }
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
    if (audio_mix_load(&a->mix, path, err, errlen) < 0)
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
    a->settings = audio_make_settings(a->rate, false);
    a->rsettings = audio_make_settings(a->rate, true);
    if (!a->settings || !a->rsettings) {
        snprintf(err, errlen, "audio: cannot create FluidSynth settings");
        goto fail;
    }
    /* a master never renders a sample: its voices (3 MB of a synth's 3.5
     * at the default 256) would be dead weight in every process;
     * load_one raises them where it measures a pre-roll */
    fluid_settings_setint(a->settings, "synth.polyphony", MASTER_POLY);
    /* groups: as many as a pass has layers, set per pass (audio_render) */
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
    if (audio_load_fonts(a, err, errlen) < 0)
        goto fail;
    /* The in-memory stem store (its whole budget) is reserved here and
     * never grows past it (a longer song goes on in the scratch file).
     * It is not touched here: generate forks its workers after this, and
     * a fork gets fresh pages for it anyway (MADV_WIPEONFORK), so a
     * parent's touch was serial start-up spent for nothing; each process
     * zero-faults the pages its first sample uses, in parallel. */
    if (audio_ensure_buffers(a, a->mem_blocks * SBLOCK, err, errlen) < 0)
        goto fail;
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
        audio_store_free(a->q[l], a->qbytes[l]);
        free(a->bscale[l]);
        audio_store_free(a->fs[l], a->fbytes[l]);
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
mg_audio_take_wav(mg_audio *a, int which, size_t *len, size_t *cap)
{
    unsigned char *m;

    *len = 0;
    if (cap)
        *cap = 0;
    if (which < 0 || which > MG_NLAYERS || !a->wlen[which])
        return NULL;
    m = a->wf[which].mem;
    *len = a->wlen[which];
    if (cap)
        *cap = a->wf[which].mcap;
    a->wf[which].mem = NULL;
    a->wf[which].mcap = 0;
    a->wlen[which] = 0;
    return m;
}

void
mg_audio_set_sink(mg_audio *a, const mg_audio_sink *sink)
{
    a->sink = sink;
}

void
mg_audio_give_wav(mg_audio *a, int which, unsigned char *mem, size_t cap)
{
    wfile *w;

    if (!mem)
        return;
    if (which < 0 || which > MG_NLAYERS || !cap) {
        free(mem);
        return;
    }
    w = &a->wf[which];
    if (w->mem && w->mcap >= cap) {
        free(mem);
        return;
    }
    free(w->mem);
    w->mem = mem;
    w->mcap = cap;
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

/* ---- the sample ----------------------------------------------------- */

static const char *
format_name(mg_sample_format f)
{
    return f == MG_SF_PCM24 ? "pcm24" : f == MG_SF_FLOAT ? "float" : "pcm16";
}

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
    audio_draw_all(a, s, sf_rng, fx_rng, mix_rng, &d);
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
        snprintf(err, errlen, "the song is empty");
        return -1;
    }
    /* A RIFF chunk's size is 32 bits. libsndfile writes a longer WAV with
     * its sizes wrapped and reports success: a reader sees the first
     * fraction of the song. Refused before anything is rendered. */
    uint64_t wav_bytes = (uint64_t)N * 2 *
                         (a->fmt == MG_SF_PCM16 ? 2 : a->fmt == MG_SF_PCM24 ? 3 : 4);
    if (wav_bytes > UINT32_MAX - 4096) {
        snprintf(err, errlen, "a %.0f s song at %d Hz %s makes WAV files of "
                 "%.2f GB, past the 4 GiB a WAV file can hold: shorten the "
                 "song (--measures-per-part) or lower --sample-rate or "
                 "--sample-format", (double)N / a->rate, a->rate,
                 format_name(a->fmt), (double)wav_bytes / 1e9);
        return -1;
    }
    if (audio_ensure_buffers(a, N, err, errlen) < 0)
        return -2;
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
        int rc = seen ? 0 : audio_render_pass(a, s, &d, d.font[l], N, err,
                                              errlen);
        if (rc < 0)
            return rc;
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
        /* the gain that reads tgt on the gained stem, gated at its
         * level: 10^((tgt - lu)/20) gated at the rendered level, and a
         * quiet stem's blocks below -70 LUFS as rendered pass the gate
         * once boosted (a harmony rendered at -55.7 LUFS landed 0.06 LU
         * below its target) */
        if (isfinite(lu))
            a->ngain[l] = pow(10.0, mg_loud_gain_to(&a->loud[l], tgt[l]) /
                                        20.0);
    }
    /* one headroom gain for stems and mix, from the loudest of them */
    peak = audio_stored_peak(a, N);
    if (peak < 0) {
        int en = errno;
        snprintf(err, errlen, "read the scratch file in %s: %s",
                 a->spill_dir, strerror(en));
        errno = en;
        return -2;
    }
    if (peak > 0) {
        h = pow(10.0, a->mix.headroom_db / 20.0) / peak;
        if (h > pow(10.0, a->mix.max_gain_db / 20.0))
            h = pow(10.0, a->mix.max_gain_db / 20.0);
    }
    {
        int rc = audio_write_outputs(a, dir, N, h, &max_err, hex, err,
                                     errlen);
        int en = errno;
        /* the scratch file's blocks are spent: give the space back (a
         * failure only leaves it for the next sample to overwrite) */
        if (a->spilled && ftruncate(a->spill_fd, 0) == 0)
            a->spilled = false;
        errno = en;
        if (rc < 0)
            return rc;
    }
    if (mg_ascore_acc_finish(a->acc, a->tempo_min, a->tempo_max, &sc) < 0) {
        snprintf(err, errlen, "out of memory in the audio score");
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
            /* the file's loudness, gated at the file's scale: blocks
             * below -70 LUFS as rendered can pass the gate once gained
             * (it read measured + gains: a quiet harmony, -55.7 LUFS as
             * rendered, was recorded 0.06 LU above libebur128's figure
             * for its file) */
            double file = mg_loud_integrated_at(&a->loud[l],
                                                gdb + 20 * log10(h));
            json_object_set_new(o, "target_lufs", mg_json_real(tgt[l], 2));
            json_object_set_new(o, "measured_lufs",
                                on ? mg_json_real(meas[l], 3) : json_null());
            json_object_set_new(o, "normalise_gain_db", mg_json_real(gdb, 3));
            json_object_set_new(o, "integrated_lufs",
                                isfinite(file) ? mg_json_real(file, 3)
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
