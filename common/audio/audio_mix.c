/*
 * audio_mix — what each layer gets per sample and how loud it sits:
 * mix.json (level and pan ranges, part gains, headroom, ramps), the
 * per-sample draws (font, fx chain, level, pan) and the per-layer gain
 * envelope the render pass applies.
 *
 * Invariants:
 *  - draws: soundfonts, then fx, then mix, each from its own stream, in
 *    layer order, whether or not anything is rendered (midi-only records
 *    the same choices);
 *  - the envelope is a function of the song frame only (never of how the
 *    song is cut into blocks), and exactly 0 where the layer is inactive
 *    outside its ramps (audio_gain_run finds those stretches, where the
 *    render pass skips the chain).
 */
#include "audio_priv.h"
#include "rfile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- data: mix.json ------------------------------------------------- */

/* What a level and a part's gain may be (docs/audio.md): wide of any
 * use, narrow enough that no stem overflows a float or drowns the rest
 * below the loudness gate */
#define LEVEL_DB_MIN -60.0
#define LEVEL_DB_MAX 20.0
#define PART_GAIN_MAX 10.0

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

/* A number in [lo, hi]: a headroom above 0 dBFS clipped the mix (every
 * sample failed as "stems do not sum to the mix"), a gain cap below 0 dB
 * made it silent, a negative ramp cut the end of the part before a
 * layer's silence, a ramp of 1e9 ms sounded through it: all taken
 * without a word. */
static int
get_num(json_t *o, const char *key, double lo, double hi, const char *why,
        double *v, const char *path, char *err, size_t errlen)
{
    json_t *x = json_object_get(o, key);

    if (!json_is_number(x) || json_number_value(x) < lo ||
        json_number_value(x) > hi) {
        snprintf(err, errlen, "%s: %s: need a number from %g to %g (%s)",
                 path, key, lo, hi, why);
        return -1;
    }
    *v = json_number_value(x);
    return 0;
}

/* Every key names something: a "mute": true in a layer or a top-level
 * "master_gain_db" was taken without a word and did nothing. */
static int
mix_keys(json_t *root, json_t *ls, json_t *ps, const char *path, char *err,
         size_t errlen)
{
    static const char *const top[] = {"layers", "parts", "headroom_dbfs",
                                      "max_gain_db", "ramp_ms",
                                      "fade_out_ms"};
    const char *k, *k2;
    json_t *v, *v2;
    size_t i;

    json_object_foreach(root, k, v) {
        for (i = 0; i < sizeof top / sizeof top[0] && strcmp(k, top[i]); i++)
            ;
        if (i == sizeof top / sizeof top[0]) {
            snprintf(err, errlen, "%s: %s: unknown field", path, k);
            return -1;
        }
    }
    json_object_foreach(ls, k, v) {
        if (mg_layer_from_name(k) < 0) {
            snprintf(err, errlen, "%s: layers.%s: not a layer (beat melody "
                     "harmony bassline)", path, k);
            return -1;
        }
        json_object_foreach(v, k2, v2) {
            if (strcmp(k2, "level_db") && strcmp(k2, "pan")) {
                snprintf(err, errlen, "%s: layers.%s.%s: unknown field "
                         "(level_db, pan)", path, k, k2);
                return -1;
            }
        }
    }
    json_object_foreach(ps, k, v) {
        if (mg_part_from_name(k) < 0) {
            snprintf(err, errlen, "%s: parts.%s: not a part (intro verse "
                     "chorus bridge outro)", path, k);
            return -1;
        }
        json_object_foreach(v, k2, v2) {
            if (mg_layer_from_name(k2) < 0) {
                snprintf(err, errlen, "%s: parts.%s.%s: not a layer (beat "
                         "melody harmony bassline)", path, k, k2);
                return -1;
            }
        }
    }
    return 0;
}

int
audio_mix_load(mix_spec *m, const char *path, char *err, size_t errlen)
{
    json_t *root = mg_rfile_json(path, JSON_REJECT_DUPLICATES, err,
                                 errlen), *ls, *ps;
    int rc = -1;

    if (!root) {
        return -1;
    }
    ls = json_object_get(root, "layers");
    ps = json_object_get(root, "parts");
    if (mix_keys(root, ls, ps, path, err, errlen) < 0)
        goto out;
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
        /* [-1000, 1000] drew a melody 214 dB up: the other stems fell
         * below the loudness gate, a mix of the melody alone; [-1e300,
         * 1e300] overflowed the float stems and failed every sample as
         * "stems do not sum to the mix" */
        if (m->level_lo[l] < LEVEL_DB_MIN || m->level_hi[l] > LEVEL_DB_MAX) {
            snprintf(err, errlen, "%s: %s.level_db: need [lo, hi] within "
                     "[%g, %g] dB, got [%g, %g]", path, where,
                     LEVEL_DB_MIN, LEVEL_DB_MAX, m->level_lo[l],
                     m->level_hi[l]);
            goto out;
        }
    }
    for (int p = 0; p < MG_NPARTKINDS; p++) {
        json_t *o = json_object_get(ps, mg_part_name(p));
        for (int l = 0; l < MG_NLAYERS; l++) {
            json_t *x = json_object_get(o, mg_layer_name(l));
            /* a gain of 1e40 overflowed the float stems: every sample
             * failed as "stems do not sum to the mix" */
            if (!json_is_number(x) || json_number_value(x) < 0 ||
                json_number_value(x) > PART_GAIN_MAX) {
                snprintf(err, errlen, "%s: parts.%s.%s: need a number from "
                         "0 to %g (a gain: %g is +20 dB)", path,
                         mg_part_name(p), mg_layer_name(l), PART_GAIN_MAX,
                         PART_GAIN_MAX);
                goto out;
            }
            m->part_gain[p][l] = json_number_value(x);
        }
    }
    if (get_num(root, "headroom_dbfs", -60, 0, "dBFS: above 0 the mix "
                "clips", &m->headroom_db, path, err, errlen) < 0 ||
        get_num(root, "max_gain_db", 0, 60, "dB: a cap on the gain up",
                &m->max_gain_db, path, err, errlen) < 0 ||
        get_num(root, "ramp_ms", 0, 1000, "ms", &m->ramp_ms, path, err,
                errlen) < 0 ||
        get_num(root, "fade_out_ms", 0, 1000, "ms", &m->fade_ms, path, err,
                errlen) < 0)
        goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

/* ---- gain envelope (gain_env, audio_priv.h) ------------------------- */

void
audio_gain_init(const mg_audio *a, const mg_song *s, int l,
                const draws *d, size_t N, gain_env *ge)
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
        ge->b[i] = audio_frame_of(s, pt->start_tick, a->rate);
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
long
audio_gain_run(const gain_env *ge, long j, long end, bool *zero)
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
void
audio_gain_apply(const gain_env *ge, float *buf, long off, long n)
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

/* ---- per-sample draws ---------------------------------------------- */

void
audio_draw_all(const mg_audio *a, const mg_song *s, mg_rng *sf_rng,
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
    /* the parameters as the DSP runs them at this rate: sample.json
     * recorded the draw (a filter's 12 kHz at 22.05 kHz, run at 9.9 kHz) */
    for (int l = 0; l < MG_NLAYERS; l++) {
        mg_fx_draw(&a->fx, l, a->fx_profile, fx_rng, &d->fx[l]);
        mg_fx_effective(&d->fx[l], a->rate);
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        d->level_db[l] = round(mg_rng_range_f(mix_rng, a->mix.level_lo[l],
                                              a->mix.level_hi[l]) * 100) /
                         100;
        d->pan[l] = round(mg_rng_range_f(mix_rng, a->mix.pan_lo[l],
                                         a->mix.pan_hi[l]) * 1000) / 1000;
    }
}
