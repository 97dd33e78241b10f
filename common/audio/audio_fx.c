/*
 * audio_fx — effect ranges (data), the draw, and hand-written DSP.
 *
 * Reverb and chorus are FluidSynth's own units, run by the synth inside
 * the rendering pass (audio_render.c sets their per-layer parameters; a fresh
 * synth per sample makes them deterministic). The rest is hand-written:
 * Debian has no small, stable C library with an EQ, compressor, phaser
 * and tempo-synced delay that we could call on a float buffer (LADSPA/LV2
 * plug-ins need a host and differ between installs, which would break
 * byte-identical output). Each unit here is a textbook design (RBJ
 * biquads, a feed-forward compressor, a four-stage allpass phaser, a
 * feedback delay) in a few lines, fully deterministic: no noise, LFOs
 * start at phase 0.
 *
 * Invariant: mg_fx_process never reads anything but the chain, the tempo
 * and the buffer, so the same inputs give the same bytes.
 */
#include "audio_fx.h"
#include "rfile.h"

#include "jsonout.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const p_reverb[] = {"damping", "room_size", "wet",
                                       "width"};
static const char *const p_chorus[] = {"depth_ms", "mix", "rate_hz"};
static const char *const p_delay[] = {"feedback", "mix", "time_beats"};
static const char *const p_comp[] = {"attack_ms", "makeup_db", "ratio",
                                     "release_ms", "threshold_db"};
static const char *const p_eq[] = {"high_db", "low_db", "mid_db", "mid_hz"};
static const char *const p_filter[] = {"cutoff_hz", "q"};
static const char *const p_dist[] = {"drive_db", "mix"};
static const char *const p_phaser[] = {"centre_hz", "depth", "feedback",
                                       "mix", "rate_hz"};

int
mg_fx_params(mg_fx_kind k, const char *const **names)
{
    switch (k) {
    case MG_FX_REVERB: *names = p_reverb; return 4;
    case MG_FX_CHORUS: *names = p_chorus; return 3;
    case MG_FX_DELAY: *names = p_delay; return 3;
    case MG_FX_COMPRESSOR: *names = p_comp; return 5;
    case MG_FX_EQ: *names = p_eq; return 4;
    case MG_FX_FILTER: *names = p_filter; return 2;
    case MG_FX_DISTORTION: *names = p_dist; return 2;
    case MG_FX_PHASER: *names = p_phaser; return 5;
    default: *names = NULL; return 0;
    }
}

/* The bounds an fx.json range of a gain must lie within: nothing else
 * bounds them (mg_fx_effective holds the other parameters to what the
 * DSP takes at the run's rate), and a compressor's makeup of 200 dB or
 * an EQ shelf of 300 dB rendered without a word (the loudness
 * normalisation took the level back; the score dropped). Wider than any
 * use: the default fx.json's ranges lie well inside. */
static const struct {
    mg_fx_kind k;
    const char *name;
    double lo, hi;
} gain_bounds[] = {
    {MG_FX_EQ, "low_db", -24, 24},
    {MG_FX_EQ, "mid_db", -24, 24},
    {MG_FX_EQ, "high_db", -24, 24},
    {MG_FX_COMPRESSOR, "makeup_db", -24, 24},
    {MG_FX_COMPRESSOR, "threshold_db", -60, 0},
    {MG_FX_DISTORTION, "drive_db", 0, 40},
};

/* 0 when [lo, hi] lies within the bounds of parameter name of k (or k has
 * none for it), else -1 with *blo, *bhi the bounds */
static int
gain_in_bounds(mg_fx_kind k, const char *name, double lo, double hi,
               double *blo, double *bhi)
{
    for (size_t j = 0; j < sizeof gain_bounds / sizeof gain_bounds[0]; j++) {
        if (gain_bounds[j].k != k || strcmp(gain_bounds[j].name, name))
            continue;
        *blo = gain_bounds[j].lo;
        *bhi = gain_bounds[j].hi;
        return lo < *blo || hi > *bhi ? -1 : 0;
    }
    return 0;
}

static int
param_index(mg_fx_kind k, const char *name)
{
    const char *const *names;
    int n = mg_fx_params(k, &names);
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

/* ---- data ---------------------------------------------------------- */

int
mg_fx_spec_load(mg_fx_spec *spec, const char *path, char *err,
                size_t errlen)
{
    json_t *root = mg_rfile_json(path, JSON_REJECT_DUPLICATES, err, errlen);
    int rc = -1;

    memset(spec, 0, sizeof *spec);
    if (!root) {
        return -1;
    }
    /* a key that names nothing was taken without a word: an effect
     * "flanger" or a layer "Melody" never ran, and an effect's
     * "enabled": false left it on at its probability */
    {
        const char *key;
        json_t *v;
        json_object_foreach(root, key, v) {
            if (mg_layer_from_name(key) < 0) {
                snprintf(err, errlen, "%s: %s: not a layer (beat melody "
                         "harmony bassline)", path, key);
                goto out;
            }
        }
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char *ln = mg_layer_name(l);
        json_t *lj = json_object_get(root, ln);
        const char *fxn;
        json_t *fxo;
        if (!json_is_object(lj)) {
            snprintf(err, errlen, "%s: missing object \"%s\"", path, ln);
            goto out;
        }
        json_object_foreach(lj, fxn, fxo) {
            if (mg_fx_from_name(fxn) < 0) {
                snprintf(err, errlen, "%s: %s.%s: not an effect (reverb "
                         "chorus delay compressor eq filter distortion "
                         "phaser)", path, ln, fxn);
                goto out;
            }
            json_t *f;
            const char *fk;
            json_object_foreach(fxo, fk, f) {
                if (strcmp(fk, "probability") && strcmp(fk, "params")) {
                    snprintf(err, errlen, "%s: %s.%s.%s: unknown field "
                             "(probability, params)", path, ln, fxn, fk);
                    goto out;
                }
            }
        }
        for (int k = 0; k < MG_NFX; k++) {
            const char *kn = mg_fx_name(k);
            json_t *kj = json_object_get(lj, kn);
            json_t *pj, *rj, *v;
            double blo, bhi;
            const char *const *names;
            const char *key;
            int np = mg_fx_params(k, &names);

            if (!json_is_object(kj)) {
                snprintf(err, errlen, "%s: %s.%s: missing", path, ln, kn);
                goto out;
            }
            pj = json_object_get(kj, "probability");
            if (!json_is_number(pj) || json_number_value(pj) < 0 ||
                json_number_value(pj) > 1) {
                snprintf(err, errlen, "%s: %s.%s.probability: need a "
                         "number in [0, 1]", path, ln, kn);
                goto out;
            }
            spec->prob[l][k] = json_number_value(pj);
            rj = json_object_get(kj, "params");
            if (!json_is_object(rj)) {
                snprintf(err, errlen, "%s: %s.%s.params: missing", path, ln,
                         kn);
                goto out;
            }
            json_object_foreach(rj, key, v) {
                if (param_index(k, key) < 0) {
                    snprintf(err, errlen, "%s: %s.%s.params.%s: unknown "
                             "parameter", path, ln, kn, key);
                    goto out;
                }
            }
            for (int i = 0; i < np; i++) {
                json_t *r = json_object_get(rj, names[i]);
                if (!json_is_array(r) || json_array_size(r) != 2 ||
                    !json_is_number(json_array_get(r, 0)) ||
                    !json_is_number(json_array_get(r, 1)) ||
                    json_number_value(json_array_get(r, 0)) >
                        json_number_value(json_array_get(r, 1))) {
                    snprintf(err, errlen, "%s: %s.%s.params.%s: need "
                             "[lo, hi] with lo <= hi", path, ln, kn,
                             names[i]);
                    goto out;
                }
                spec->lo[l][k][i] = json_number_value(json_array_get(r, 0));
                spec->hi[l][k][i] = json_number_value(json_array_get(r, 1));
                if (gain_in_bounds(k, names[i], spec->lo[l][k][i],
                                   spec->hi[l][k][i], &blo, &bhi)) {
                    snprintf(err, errlen, "%s: %s.%s.params.%s: need "
                             "[lo, hi] within [%g, %g] dB, got [%g, %g]",
                             path, ln, kn, names[i], blo, bhi,
                             spec->lo[l][k][i], spec->hi[l][k][i]);
                    goto out;
                }
            }
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

void
mg_fx_draw(const mg_fx_spec *spec, mg_layer layer, const double *profile,
           mg_rng *rng, mg_fx_chain *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < MG_NFX; k++) {
        const char *const *names;
        int np = mg_fx_params(k, &names);
        double p = spec->prob[layer][k] * (profile ? profile[k] : 1.0);

        if (p > 1)
            p = 1;
        out->on[k] = mg_rng_chance(rng, p);
        if (!out->on[k])
            continue;
        /* Rounded to 4 decimals at the draw, so that sample.json records
         * exactly the value the DSP used. */
        for (int i = 0; i < np; i++)
            out->p[k][i] = round(mg_rng_range_f(rng, spec->lo[layer][k][i],
                                                spec->hi[layer][k][i]) *
                                 1e4) / 1e4;
    }
}

/* Processing order: tone, dynamics, modulation, time. */
static const mg_fx_kind chain_order[MG_NFX] = {
    MG_FX_EQ, MG_FX_FILTER, MG_FX_DISTORTION, MG_FX_COMPRESSOR,
    MG_FX_PHASER, MG_FX_CHORUS, MG_FX_DELAY, MG_FX_REVERB
};

json_t *
mg_fx_chain_json(const mg_fx_chain *c)
{
    json_t *arr = json_array();

    for (int i = 0; i < MG_NFX; i++) {
        mg_fx_kind k = chain_order[i];
        const char *const *names;
        int np = mg_fx_params(k, &names);
        json_t *o, *params;

        if (!c->on[k])
            continue;
        o = json_object();
        params = json_object();
        for (int j = 0; j < np; j++)
            json_object_set_new(params, names[j], mg_json_real(c->p[k][j], 4));
        json_object_set_new(o, "type", json_string(mg_fx_name(k)));
        json_object_set_new(o, "params", params);
        json_array_append_new(arr, o);
    }
    return arr;
}

/* ---- DSP ----------------------------------------------------------- */

/* Every unit keeps its state in mg_fx_state and processes any block size
 * with the same result as one call over the whole stem (LFOs run from a
 * global frame counter), so the engine can stream a stem in blocks and
 * never hold it twice. Inner loops copy state into locals: the build has
 * -fno-strict-aliasing, so state read through a pointer would be reloaded
 * after every store into the float buffer. */

typedef struct {
    double b0, b1, b2, a1, a2;
    double z1[2], z2[2];
} biquad;

/* RBJ Audio EQ Cookbook; type 0 low shelf, 1 peaking, 2 high shelf,
 * 3 low-pass. */
static void
biquad_set(biquad *f, int type, double fc, double q, double gain_db,
           int rate)
{
    double A = pow(10.0, gain_db / 40.0);
    double w = 2.0 * M_PI * fc / rate;
    double cw = cos(w), sw = sin(w);
    double alpha = sw / (2.0 * q);
    double b0, b1, b2, a0, a1, a2, sA = 2.0 * sqrt(A) * alpha;

    switch (type) {
    case 0:
        b0 = A * ((A + 1) - (A - 1) * cw + sA);
        b1 = 2 * A * ((A - 1) - (A + 1) * cw);
        b2 = A * ((A + 1) - (A - 1) * cw - sA);
        a0 = (A + 1) + (A - 1) * cw + sA;
        a1 = -2 * ((A - 1) + (A + 1) * cw);
        a2 = (A + 1) + (A - 1) * cw - sA;
        break;
    case 1:
        b0 = 1 + alpha * A;
        b1 = -2 * cw;
        b2 = 1 - alpha * A;
        a0 = 1 + alpha / A;
        a1 = -2 * cw;
        a2 = 1 - alpha / A;
        break;
    case 2:
        b0 = A * ((A + 1) + (A - 1) * cw + sA);
        b1 = -2 * A * ((A - 1) + (A + 1) * cw);
        b2 = A * ((A + 1) + (A - 1) * cw - sA);
        a0 = (A + 1) - (A - 1) * cw + sA;
        a1 = 2 * ((A - 1) - (A + 1) * cw);
        a2 = (A + 1) - (A - 1) * cw - sA;
        break;
    default:
        b0 = (1 - cw) / 2;
        b1 = 1 - cw;
        b2 = (1 - cw) / 2;
        a0 = 1 + alpha;
        a1 = -2 * cw;
        a2 = 1 - alpha;
        break;
    }
    memset(f, 0, sizeof *f);
    f->b0 = b0 / a0;
    f->b1 = b1 / a0;
    f->b2 = b2 / a0;
    f->a1 = a1 / a0;
    f->a2 = a2 / a0;
}

/* Both channels in one loop: each channel's recursion is a loop-carried
 * dependency, so two independent chains per iteration keep the CPU busy
 * (the same arithmetic per channel as one channel at a time). */
static void
biquad_run(biquad *f, float *buf, size_t frames)
{
    const double b0 = f->b0, b1 = f->b1, b2 = f->b2, a1 = f->a1,
                 a2 = f->a2;
    double z1l = f->z1[0], z2l = f->z2[0], z1r = f->z1[1], z2r = f->z2[1];

    for (size_t i = 0; i < frames; i++) {
        double xl = buf[2 * i], xr = buf[2 * i + 1];
        double yl = b0 * xl + z1l, yr = b0 * xr + z1r;
        z1l = b1 * xl - a1 * yl + z2l;
        z1r = b1 * xr - a1 * yr + z2r;
        z2l = b2 * xl - a2 * yl;
        z2r = b2 * xr - a2 * yr;
        buf[2 * i] = (float)yl;
        buf[2 * i + 1] = (float)yr;
    }
    f->z1[0] = z1l;
    f->z2[0] = z2l;
    f->z1[1] = z1r;
    f->z2[1] = z2r;
}

/* The three EQ sections in one pass: each sample goes through all three
 * while in registers (rounded to float between sections, as three
 * separate passes over the buffer would). */
static void
biquad_run3(biquad *f, float *buf, size_t frames)
{
    double b0[3], b1[3], b2[3], a1[3], a2[3], z1[3][2], z2[3][2];

    for (int k = 0; k < 3; k++) {
        b0[k] = f[k].b0;
        b1[k] = f[k].b1;
        b2[k] = f[k].b2;
        a1[k] = f[k].a1;
        a2[k] = f[k].a2;
        for (int c = 0; c < 2; c++) {
            z1[k][c] = f[k].z1[c];
            z2[k][c] = f[k].z2[c];
        }
    }
    for (size_t i = 0; i < frames; i++) {
        float xl = buf[2 * i], xr = buf[2 * i + 1];
        for (int k = 0; k < 3; k++) {
            double yl = b0[k] * xl + z1[k][0], yr = b0[k] * xr + z1[k][1];
            z1[k][0] = b1[k] * xl - a1[k] * yl + z2[k][0];
            z1[k][1] = b1[k] * xr - a1[k] * yr + z2[k][1];
            z2[k][0] = b2[k] * xl - a2[k] * yl;
            z2[k][1] = b2[k] * xr - a2[k] * yr;
            xl = (float)yl;
            xr = (float)yr;
        }
        buf[2 * i] = xl;
        buf[2 * i + 1] = xr;
    }
    for (int k = 0; k < 3; k++)
        for (int c = 0; c < 2; c++) {
            f[k].z1[c] = z1[k][c];
            f[k].z2[c] = z2[k][c];
        }
}

static double
clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* The compressor and the distortion work in short runs of frames
 * (FX_RUN) through three passes: the per-frame arithmetic that does not
 * depend on the previous frame (levels, gains, tanh) as plain branch-free
 * loops over arrays, which the compiler turns into vector code, and only
 * the envelope - a true recursion - frame by frame. */
#define FX_RUN 256

struct mg_fx_state {
    mg_fx_chain c;
    int rate;
    size_t t;                   /* frames processed so far */
    biquad eq[3], lp;
    /* distortion */
    double dist_k, dist_norm, dist_mix;
    /* compressor */
    double c_att, c_rel, c_ratio, c_thr, c_makeup, c_env;
    /* phaser */
    double ph_centre, ph_depth, ph_fb, ph_mix, ph_rate, ph_a;
    double ph_st[2][4], ph_last[2];
    /* delay */
    float *dl_line;
    size_t dl_len, dl_w;
    double dl_fb, dl_mix;
};

void
mg_fx_effective(mg_fx_chain *c, int rate)
{
    /* the one table of the ranges the DSP takes (eq, filter, phaser
     * frequencies below Nyquist; stable feedback; mixes in [0, 1]) */
    static const struct {
        mg_fx_kind k;
        int i;
        double lo, hi, rate_hi;     /* hi, or rate_hi x rate when > 0 */
    } r[] = {
        {MG_FX_EQ, 3, 20, 0, 0.45},          /* mid_hz */
        {MG_FX_FILTER, 0, 20, 0, 0.45},      /* cutoff_hz */
        {MG_FX_FILTER, 1, 0.3, 10, 0},       /* q */
        {MG_FX_DISTORTION, 1, 0, 1, 0},      /* mix */
        {MG_FX_COMPRESSOR, 0, 0.1, 1000, 0}, /* attack_ms */
        {MG_FX_COMPRESSOR, 3, 1, 5000, 0},   /* release_ms */
        {MG_FX_COMPRESSOR, 2, 1, 100, 0},    /* ratio */
        {MG_FX_PHASER, 0, 50, 0, 0.2},       /* centre_hz */
        {MG_FX_PHASER, 1, 0, 1, 0},          /* depth */
        {MG_FX_PHASER, 2, 0, 0.9, 0},        /* feedback */
        {MG_FX_PHASER, 3, 0, 1, 0},          /* mix */
        {MG_FX_PHASER, 4, 0.01, 20, 0},      /* rate_hz */
        {MG_FX_DELAY, 0, 0, 0.9, 0},         /* feedback */
        {MG_FX_DELAY, 1, 0, 1, 0},           /* mix */
        /* time_beats: the line holds the whole delay, so 1e6 beats asked
         * for 176 GB ("audio: out of memory", every sample failed);
         * 16 beats at 20 BPM and 192 kHz is 74 MB. Below 0.25 the line
         * runs at 0.25 (mg_fx_delay_seconds) */
        {MG_FX_DELAY, 2, 0.25, 16, 0},       /* time_beats */
        /* FluidSynth's own units take their settings' ranges
         * (synth.reverb.*, synth.chorus.*: test_fx compares) and ignore a
         * value outside them, keeping their default (a wet of 1.5 ran at
         * 0.9, a chorus rate of 0.05 Hz at 0.3, as drawn in sample.json).
         * Its ranges are floats: the speed's 0.1 is 0.10000000149, so a
         * rate of 0.1 was refused too; 0.1001 is the least it takes */
        {MG_FX_REVERB, 0, 0, 1, 0},          /* damping */
        {MG_FX_REVERB, 1, 0, 1, 0},          /* room_size */
        {MG_FX_REVERB, 2, 0, 1, 0},          /* wet */
        {MG_FX_REVERB, 3, 0, 100, 0},        /* width */
        {MG_FX_CHORUS, 0, 0, 256, 0},        /* depth_ms */
        {MG_FX_CHORUS, 1, 0, 10, 0},         /* mix */
        {MG_FX_CHORUS, 2, 0.1001, 5, 0},     /* rate_hz */
    };

    for (size_t j = 0; j < sizeof r / sizeof r[0]; j++) {
        double *v = &c->p[r[j].k][r[j].i];
        double w = clampd(*v, r[j].lo,
                          r[j].rate_hi > 0 ? rate * r[j].rate_hi : r[j].hi);
        /* to 4 decimals, as drawn, so that sample.json holds it exactly */
        if (c->on[r[j].k] && w != *v)
            *v = round(w * 1e4) / 1e4;
    }
}

mg_fx_state *
mg_fx_state_new(const mg_fx_chain *c, int rate, double tempo_bpm)
{
    mg_fx_state *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    s->c = *c;
    s->rate = rate;
    mg_fx_effective(&s->c, rate);
    c = &s->c;
    if (c->on[MG_FX_EQ]) {
        const double *p = c->p[MG_FX_EQ];
        biquad_set(&s->eq[0], 0, 200.0, 0.707, p[1], rate);
        biquad_set(&s->eq[1], 1, p[3], 0.9, p[2], rate);
        biquad_set(&s->eq[2], 2, clampd(5000.0, 20, rate * 0.45), 0.707,
                   p[0], rate);
    }
    if (c->on[MG_FX_FILTER]) {
        const double *p = c->p[MG_FX_FILTER];
        biquad_set(&s->lp, 3, p[0], p[1], 0, rate);
    }
    if (c->on[MG_FX_DISTORTION]) {
        const double *p = c->p[MG_FX_DISTORTION];
        s->dist_k = pow(10.0, p[0] / 20.0);
        s->dist_norm = 1.0 / tanh(s->dist_k);
        s->dist_mix = p[1];
    }
    if (c->on[MG_FX_COMPRESSOR]) {
        const double *p = c->p[MG_FX_COMPRESSOR];
        s->c_att = exp(-1.0 / (p[0] * 1e-3 * rate));
        s->c_rel = exp(-1.0 / (p[3] * 1e-3 * rate));
        s->c_ratio = p[2];
        s->c_thr = p[4];
        s->c_makeup = p[1];
        s->c_env = -120.0;
    }
    if (c->on[MG_FX_PHASER]) {
        const double *p = c->p[MG_FX_PHASER];
        s->ph_centre = p[0];
        s->ph_depth = p[1];
        s->ph_fb = p[2];
        s->ph_mix = p[3];
        s->ph_rate = p[4];
    }
    if (c->on[MG_FX_DELAY]) {
        const double *p = c->p[MG_FX_DELAY];
        s->dl_len = (size_t)lround(mg_fx_delay_seconds(c, tempo_bpm) * rate);
        if (s->dl_len < 1)
            s->dl_len = 1;
        s->dl_fb = p[0];
        s->dl_mix = p[1];
        s->dl_line = calloc(2 * s->dl_len, sizeof(float));
        if (!s->dl_line)
            goto oom;
    }
    return s;
oom:
    mg_fx_state_destroy(&s);
    return NULL;
}

void
mg_fx_state_destroy(mg_fx_state **sp)
{
    mg_fx_state *s = sp ? *sp : NULL;

    if (!s)
        return;
    free(s->dl_line);
    free(s);
    *sp = NULL;
}

/* log2(x) for a positive normal float, in float: the exponent from the
 * bits, the mantissa reduced to [sqrt(1/2), sqrt(2)) and
 * ln m = 2 atanh(s), s = (m - 1) / (m + 1), by its series to s^7 (|s| <
 * 0.172: relative error < 1e-7, about float's own). Plain IEEE arithmetic
 * and selections: the same bytes on every machine, vector code in loops. */
static inline float
fx_log2f(float x)
{
    union { float f; uint32_t u; } v = {x};
    float e = (float)((int32_t)(v.u >> 23) - 127), m, t, t2;

    v.u = (v.u & 0x7fffffu) | 0x3f800000u;      /* m in [1, 2) */
    m = v.f;
    e = m > 1.41421356f ? e + 1.0f : e;
    m = m > 1.41421356f ? m * 0.5f : m;
    t = (m - 1.0f) / (m + 1.0f);
    t2 = t * t;
    return e + t * (2.88539008f + t2 * (0.961796694f +
                    t2 * (0.577078016f + t2 * 0.412198583f)));
}

/* 2^y in float, y clamped to [-125, 125]: 2^k (k = y rounded to the
 * nearest integer, see RND_F in audio_priv.h) in the exponent bits, 2^f for
 * f = y - k in [-1/2, 1/2] by its Taylor polynomial to f^6 (relative
 * error < 2e-7). */
static inline float
fx_exp2f(float y)
{
    union { float f; uint32_t u; } v;
    float k, f;

    y = y > 125.0f ? 125.0f : y;
    y = y < -125.0f ? -125.0f : y;
    k = (y + 12582912.0f) - 12582912.0f;
    f = y - k;
    v.f = 1.0f + f * (0.693147182f + f * (0.240226507f + f * (0.0555041087f +
          f * (0.00961812911f + f * (0.00133335581f + f * 0.000154035304f)))));
    v.u += (uint32_t)(int32_t)k << 23;
    return v.f;
}

static void
fx_distortion(const mg_fx_state *s, float *buf, size_t frames)
{
    const float k2 = (float)(2.0 * s->dist_k * M_LOG2E);
    const float norm = (float)s->dist_norm, mix = (float)s->dist_mix;
    const float dry = 1.0f - mix;

    /* tanh(u) = (e - 1) / (e + 1), e = 2^(2u log2 e); |2u log2 e| is
     * capped at 40, where tanh is 1 in float */
    for (size_t i = 0; i < 2 * frames; i++) {
        float x = buf[i], y = k2 * x, e, t;
        y = y > 40.0f ? 40.0f : y;
        y = y < -40.0f ? -40.0f : y;
        e = fx_exp2f(y);
        t = (e - 1.0f) / (e + 1.0f);
        buf[i] = dry * x + mix * t * norm;
    }
}

/* Feed-forward, stereo-linked, peak detector smoothed in dB (attack when
 * the level rises, release when it falls), the gain above the threshold
 * reduced by the ratio, plus the makeup; levels in log2 units (dB / 6.02)
 * throughout. */
static void
fx_compressor(mg_fx_state *s, float *buf, size_t frames)
{
    const double att = s->c_att, rel = s->c_rel, thr = s->c_thr;
    const double att1 = 1 - att, rel1 = 1 - rel;
    const double slope = 1 - 1 / s->c_ratio, makeup = s->c_makeup;
    const double to_db = 20.0 / log2(10.0);
    const float from_db = (float)(log2(10.0) / 20.0);
    double env = s->c_env;
    float lv[FX_RUN], gn[FX_RUN];

    for (size_t o = 0; o < frames; o += FX_RUN) {
        size_t n = frames - o < FX_RUN ? frames - o : FX_RUN;
        float *x = buf + 2 * o;

        /* the level of each frame, in log2 units (-120 dB when silent) */
        for (size_t i = 0; i < n; i++) {
            float l = fabsf(x[2 * i]), r = fabsf(x[2 * i + 1]);
            float pk = l > r ? l : r;
            float lg = fx_log2f(pk > 1e-6f ? pk : 1e-6f);
            lv[i] = pk > 1e-6f ? lg : (float)(-120.0 / to_db);
        }
        /* the envelope (dB): the recursion, and the gain exponent */
        for (size_t i = 0; i < n; i++) {
            /* attack or release: the coefficients are selected, not
             * branched on (a branch on the signal mispredicts often) */
            double db = to_db * lv[i], over;
            bool up = db > env;
            double c = up ? att : rel, c1 = up ? att1 : rel1;
            env = c * env + c1 * db;
            over = env - thr;
            over = over > 0 ? over : 0;
            gn[i] = (float)(-over * slope + makeup) * from_db;
        }
        for (size_t i = 0; i < n; i++) {
            float g = fx_exp2f(gn[i]);
            x[2 * i] *= g;
            x[2 * i + 1] *= g;
        }
    }
    s->c_env = env;
}

/* Four first-order allpass stages swept by a sine LFO (phase 0 at the
 * start), with feedback; coefficients updated every 16 frames. */
static void
fx_phaser(mg_fx_state *s, float *buf, size_t frames)
{
    const int rate = s->rate;
    const double fb = s->ph_fb, mix = s->ph_mix;
    double a = s->ph_a, st[2][4], last[2];

    memcpy(st, s->ph_st, sizeof st);
    memcpy(last, s->ph_last, sizeof last);
    for (size_t i = 0; i < frames; i++) {
        size_t t = s->t + i;
        if (t % 16 == 0) {
            double f = s->ph_centre *
                pow(2.0, 1.5 * s->ph_depth *
                             sin(2 * M_PI * s->ph_rate * (double)t / rate));
            double tn = tan(M_PI * clampd(f, 20, rate * 0.45) / rate);
            a = (tn - 1) / (tn + 1);
        }
        for (int ch = 0; ch < 2; ch++) {
            double x = buf[2 * i + ch];
            double y = x + fb * last[ch];
            for (int k = 0; k < 4; k++) {
                /* y[n] = a x[n] + x[n-1] - a y[n-1], one state word */
                double out = a * y + st[ch][k];
                st[ch][k] = y - a * out;
                y = out;
            }
            last[ch] = y;
            buf[2 * i + ch] = (float)((1 - mix) * x + mix * y);
        }
    }
    memcpy(s->ph_st, st, sizeof st);
    memcpy(s->ph_last, last, sizeof last);
    s->ph_a = a;
}

double
mg_fx_delay_seconds(const mg_fx_chain *c, double tempo_bpm)
{
    double beats = round(c->p[MG_FX_DELAY][2] * 4.0) / 4.0;

    if (beats < 0.25)
        beats = 0.25;
    return beats * 60.0 / tempo_bpm;
}

static void
fx_delay(mg_fx_state *s, float *buf, size_t frames)
{
    float *ln = s->dl_line;
    const size_t d = s->dl_len;
    const double fb = s->dl_fb, mix = s->dl_mix;
    size_t w = s->dl_w;

    for (size_t i = 0; i < frames; i++) {
        for (int ch = 0; ch < 2; ch++) {
            double x = buf[2 * i + ch], echo = ln[2 * w + ch];
            ln[2 * w + ch] = (float)(x + fb * echo);
            buf[2 * i + ch] = (float)(x + mix * echo);
        }
        if (++w == d)
            w = 0;
    }
    s->dl_w = w;
}

void
mg_fx_state_run(mg_fx_state *s, float *buf, size_t frames)
{
    const mg_fx_chain *c = &s->c;

    if (c->on[MG_FX_EQ])
        biquad_run3(s->eq, buf, frames);
    if (c->on[MG_FX_FILTER])
        biquad_run(&s->lp, buf, frames);
    if (c->on[MG_FX_DISTORTION])
        fx_distortion(s, buf, frames);
    if (c->on[MG_FX_COMPRESSOR])
        fx_compressor(s, buf, frames);
    if (c->on[MG_FX_PHASER])
        fx_phaser(s, buf, frames);
    if (c->on[MG_FX_DELAY])
        fx_delay(s, buf, frames);
    s->t += frames;
}

int
mg_fx_process(const mg_fx_chain *c, float *buf, size_t frames, int rate,
              double tempo_bpm)
{
    mg_fx_state *s = mg_fx_state_new(c, rate, tempo_bpm);

    if (!s)
        return -1;
    mg_fx_state_run(s, buf, frames);
    mg_fx_state_destroy(&s);
    return 0;
}
