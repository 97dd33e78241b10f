/*
 * audio_fx — effect ranges (data), the draw, and hand-written DSP.
 *
 * Reverb and chorus are FluidSynth's own units, run by the synth inside
 * the rendering pass (audio.c sets their per-layer parameters; a fresh
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

#include "jsonout.h"

#include <math.h>
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
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    int rc = -1;

    memset(spec, 0, sizeof *spec);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char *ln = mg_layer_name(l);
        json_t *lj = json_object_get(root, ln);
        if (!json_is_object(lj)) {
            snprintf(err, errlen, "%s: missing object \"%s\"", path, ln);
            goto out;
        }
        for (int k = 0; k < MG_NFX; k++) {
            const char *kn = mg_fx_name(k);
            json_t *kj = json_object_get(lj, kn);
            json_t *pj, *rj, *v;
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

/* The compressor's level (log2 of the peak) and gain (exp2) per sample
 * from tables made once per stem (in the state: no global data): libm's
 * log2 and exp2 were two thirds of the unit's cost. log2: exponent from
 * the float's bits, mantissa by linear interpolation over 256 cells (error
 * < 3e-6 in log2, 2e-5 dB); exp2: 2^k exactly, 2^(j/64) from the table,
 * the rest (< 1/64) by a cubic (relative error < 1e-9). Plain arithmetic
 * on IEEE 754 values: the same bytes on every machine. */
#define LOG2_BITS 8
#define LOG2_CELLS (1 << LOG2_BITS)
#define EXP2_CELLS 64

struct mg_fx_state {
    mg_fx_chain c;
    int rate;
    size_t t;                   /* frames processed so far */
    biquad eq[3], lp;
    /* distortion */
    double dist_k, dist_norm, dist_mix;
    /* compressor */
    double c_att, c_rel, c_ratio, c_thr, c_makeup, c_env;
    double c_log2[LOG2_CELLS + 1];  /* log2(1 + i / LOG2_CELLS) */
    double c_exp2[EXP2_CELLS];      /* 2^(j / EXP2_CELLS) */
    /* phaser */
    double ph_centre, ph_depth, ph_fb, ph_mix, ph_rate, ph_a;
    double ph_st[2][4], ph_last[2];
    /* delay */
    float *dl_line;
    size_t dl_len, dl_w;
    double dl_fb, dl_mix;
};

mg_fx_state *
mg_fx_state_new(const mg_fx_chain *c, int rate, double tempo_bpm)
{
    mg_fx_state *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    s->c = *c;
    s->rate = rate;
    if (c->on[MG_FX_EQ]) {
        const double *p = c->p[MG_FX_EQ];
        biquad_set(&s->eq[0], 0, 200.0, 0.707, p[1], rate);
        biquad_set(&s->eq[1], 1, clampd(p[3], 20, rate * 0.45), 0.9, p[2],
                   rate);
        biquad_set(&s->eq[2], 2, clampd(5000.0, 20, rate * 0.45), 0.707,
                   p[0], rate);
    }
    if (c->on[MG_FX_FILTER]) {
        const double *p = c->p[MG_FX_FILTER];
        biquad_set(&s->lp, 3, clampd(p[0], 20, rate * 0.45),
                   clampd(p[1], 0.3, 10), 0, rate);
    }
    if (c->on[MG_FX_DISTORTION]) {
        const double *p = c->p[MG_FX_DISTORTION];
        s->dist_k = pow(10.0, p[0] / 20.0);
        s->dist_norm = 1.0 / tanh(s->dist_k);
        s->dist_mix = clampd(p[1], 0, 1);
    }
    if (c->on[MG_FX_COMPRESSOR]) {
        const double *p = c->p[MG_FX_COMPRESSOR];
        s->c_att = exp(-1.0 / (clampd(p[0], 0.1, 1000) * 1e-3 * rate));
        s->c_rel = exp(-1.0 / (clampd(p[3], 1, 5000) * 1e-3 * rate));
        s->c_ratio = clampd(p[2], 1, 100);
        s->c_thr = p[4];
        s->c_makeup = p[1];
        s->c_env = -120.0;
        for (int i = 0; i <= LOG2_CELLS; i++)
            s->c_log2[i] = log2(1.0 + (double)i / LOG2_CELLS);
        for (int j = 0; j < EXP2_CELLS; j++)
            s->c_exp2[j] = exp2((double)j / EXP2_CELLS);
    }
    if (c->on[MG_FX_PHASER]) {
        const double *p = c->p[MG_FX_PHASER];
        s->ph_centre = clampd(p[0], 50, rate * 0.2);
        s->ph_depth = clampd(p[1], 0, 1);
        s->ph_fb = clampd(p[2], 0, 0.9);
        s->ph_mix = clampd(p[3], 0, 1);
        s->ph_rate = clampd(p[4], 0.01, 20);
    }
    if (c->on[MG_FX_DELAY]) {
        const double *p = c->p[MG_FX_DELAY];
        s->dl_len = (size_t)lround(mg_fx_delay_seconds(c, tempo_bpm) * rate);
        if (s->dl_len < 1)
            s->dl_len = 1;
        s->dl_fb = clampd(p[0], 0, 0.9);
        s->dl_mix = clampd(p[1], 0, 1);
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

static void
fx_distortion(const mg_fx_state *s, float *buf, size_t frames)
{
    const double k = s->dist_k, norm = s->dist_norm, mix = s->dist_mix;

    /* tanh(u) = (e - 1) / (e + 1), e = exp(2u): libm's exp is about a
     * third of the cost of its tanh (absolute error ~1e-16 near 0, where
     * the samples are floats anyway); |u| >= 20 is +-1 in double */
    for (size_t i = 0; i < 2 * frames; i++) {
        double x = buf[i], u = k * x;
        double e = exp(2 * (u > 20 ? 20 : u < -20 ? -20 : u));
        double t = (e - 1) / (e + 1);
        buf[i] = (float)((1 - mix) * x + mix * t * norm);
    }
}

/* Feed-forward, stereo-linked, peak detector smoothed in dB. Levels in
 * dB through log2/exp2 (cheaper than log10/pow; same function). */
/* log2(x), x a positive normal float (see LOG2_BITS). */
static inline double
tab_log2(const double *tab, float x)
{
    uint32_t b, m, i;
    double f;

    memcpy(&b, &x, sizeof b);
    m = b & 0x7fffff;
    i = m >> (23 - LOG2_BITS);
    f = (double)(m & ((1u << (23 - LOG2_BITS)) - 1)) *
        (1.0 / (1u << (23 - LOG2_BITS)));
    return (double)((int)(b >> 23) - 127) + tab[i] +
           (tab[i + 1] - tab[i]) * f;
}

/* 2^y, y > -1000 (see EXP2_CELLS): one conversion gives the cell and
 * the power of two (t = 64 y + 64 x 1024 is positive, so truncation is
 * floor). */
static inline double
tab_exp2(const double *tab, double y)
{
    double t = (y > -1000 ? y : -1000) * EXP2_CELLS + EXP2_CELLS * 1024.0;
    long n = (long)t;
    double r = (t - (double)n) * (M_LN2 / EXP2_CELLS);
    double p = tab[n & (EXP2_CELLS - 1)] *
               (1 + r * (1 + r * (0.5 + r * (1.0 / 6))));
    uint64_t b;

    memcpy(&b, &p, sizeof b);
    b += (uint64_t)(n / EXP2_CELLS - 1024) << 52;    /* x 2^k */
    memcpy(&p, &b, sizeof p);
    return p;
}

static void
fx_compressor(mg_fx_state *s, float *buf, size_t frames)
{
    const double att = s->c_att, rel = s->c_rel, thr = s->c_thr;
    const double slope = 1 - 1 / s->c_ratio, makeup = s->c_makeup;
    const double to_db = 20.0 / log2(10.0), from_db = log2(10.0) / 20.0;
    /* below the threshold the gain is the makeup alone: one exp2 here
     * instead of one per sample (the same value) */
    const double *lt = s->c_log2, *et = s->c_exp2;
    double env = s->c_env;

    /* no branch on the signal: attack/release and over/under the
     * threshold are selections (at random on audio, a branch there
     * mispredicted often); under the threshold over = 0 gives the makeup
     * gain alone */
    for (size_t i = 0; i < frames; i++) {
        float l = fabsf(buf[2 * i]), r = fabsf(buf[2 * i + 1]);
        float pk = l > r ? l : r;
        double db = pk > 1e-6f ? to_db * tab_log2(lt, pk) : -120.0;
        double c = db > env ? att : rel, over, g;

        env = c * env + (1 - c) * db;
        over = env - thr;
        over = over > 0 ? over : 0;
        g = tab_exp2(et, (-over * slope + makeup) * from_db);
        buf[2 * i] = (float)(buf[2 * i] * g);
        buf[2 * i + 1] = (float)(buf[2 * i + 1] * g);
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
