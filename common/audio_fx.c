/*
 * audio_fx — effect ranges (data), the draw, and hand-written DSP.
 *
 * Why hand-written: FluidSynth's own reverb and chorus keep their delay
 * lines and LFO phases across fluid_synth_system_reset (measured: the same
 * song rendered twice on one synth differs), which breaks byte-identical
 * samples; and Debian has no small, stable C library with an EQ,
 * compressor, phaser and tempo-synced delay that we could call on a float
 * buffer (LADSPA/LV2 plug-ins need a host and differ between installs,
 * which would break byte-identical output). Each unit here is a textbook
 * design (RBJ biquads, a feed-forward compressor, a four-stage allpass
 * phaser, a feedback delay) in a few lines, processed in double precision
 * and fully deterministic: no noise, LFOs start at phase 0.
 *
 * Invariant: mg_fx_process never reads anything but the chain, the tempo
 * and the buffer, so the same inputs give the same bytes.
 */
#include "audio_fx.h"

#include "jsonout.h"

#include <math.h>
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

static void
biquad_run(biquad *f, float *buf, size_t frames)
{
    const double b0 = f->b0, b1 = f->b1, b2 = f->b2, a1 = f->a1,
                 a2 = f->a2;

    for (int ch = 0; ch < 2; ch++) {
        double z1 = f->z1[ch], z2 = f->z2[ch];
        for (size_t i = 0; i < frames; i++) {
            double x = buf[2 * i + ch];
            double y = b0 * x + z1;
            z1 = b1 * x - a1 * y + z2;
            z2 = b2 * x - a2 * y;
            buf[2 * i + ch] = (float)y;
        }
        f->z1[ch] = z1;
        f->z2[ch] = z2;
    }
}

static double
clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Freeverb (Jezar at Dreampoint, public domain): eight damped feedback
 * combs and four allpasses per channel, the right channel's lines 23
 * samples longer; tunings scaled from 44.1 kHz. Float state, as in the
 * original. */
#define RV_COMBS 8
#define RV_APS 4
static const int rv_comb[RV_COMBS] = {1116, 1188, 1277, 1356, 1422, 1491,
                                      1557, 1617};
static const int rv_ap[RV_APS] = {556, 441, 341, 225};

#define FX_BLOCK 1024   /* internal block of the units that need scratch */

typedef struct {
    float *buf;
    size_t len, pos;
    float st;       /* comb: damping filter state */
} line;

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
    /* chorus */
    float *ch_line;
    size_t ch_len, ch_w;
    double ch_base, ch_depth, ch_mix, ch_lfo, ch_dl[2][3];
    /* delay */
    float *dl_line;
    size_t dl_len, dl_w;
    double dl_fb, dl_mix;
    /* reverb */
    line rv_comb[2][RV_COMBS], rv_ap[2][RV_APS];
    float *rv_mem;
    float rv_damp, rv_fb, rv_wet1, rv_wet2;
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
    }
    if (c->on[MG_FX_PHASER]) {
        const double *p = c->p[MG_FX_PHASER];
        s->ph_centre = clampd(p[0], 50, rate * 0.2);
        s->ph_depth = clampd(p[1], 0, 1);
        s->ph_fb = clampd(p[2], 0, 0.9);
        s->ph_mix = clampd(p[3], 0, 1);
        s->ph_rate = clampd(p[4], 0.01, 20);
    }
    if (c->on[MG_FX_CHORUS]) {
        const double *p = c->p[MG_FX_CHORUS];
        s->ch_depth = clampd(p[0], 0, 12) * 1e-3 * rate;
        s->ch_mix = clampd(p[1], 0, 1);
        s->ch_lfo = clampd(p[2], 0.01, 10);
        s->ch_base = 0.015 * rate;
        s->ch_len = (size_t)(s->ch_base + s->ch_depth) + 4;
        s->ch_line = calloc(2 * s->ch_len, sizeof(float));
        if (!s->ch_line)
            goto oom;
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
    if (c->on[MG_FX_REVERB]) {
        const double *p = c->p[MG_FX_REVERB];
        double wet = clampd(p[2], 0, 1) * 3.0, width = clampd(p[3], 0, 1);
        double sc = rate / 44100.0;
        size_t total = 0, off = 0;

        s->rv_damp = (float)(clampd(p[0], 0, 1) * 0.4);
        s->rv_fb = (float)(0.7 + clampd(p[1], 0, 1) * 0.28);
        s->rv_wet1 = (float)(wet * (width / 2 + 0.5));
        s->rv_wet2 = (float)(wet * ((1 - width) / 2));
        for (int ch = 0; ch < 2; ch++) {
            for (int k = 0; k < RV_COMBS; k++)
                total += s->rv_comb[ch][k].len =
                    (size_t)lround((rv_comb[k] + 23 * ch) * sc) + 1;
            for (int k = 0; k < RV_APS; k++)
                total += s->rv_ap[ch][k].len =
                    (size_t)lround((rv_ap[k] + 23 * ch) * sc) + 1;
        }
        s->rv_mem = calloc(total, sizeof(float));
        if (!s->rv_mem)
            goto oom;
        for (int ch = 0; ch < 2; ch++) {
            for (int k = 0; k < RV_COMBS; k++) {
                s->rv_comb[ch][k].buf = s->rv_mem + off;
                off += s->rv_comb[ch][k].len;
            }
            for (int k = 0; k < RV_APS; k++) {
                s->rv_ap[ch][k].buf = s->rv_mem + off;
                off += s->rv_ap[ch][k].len;
            }
        }
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
    free(s->ch_line);
    free(s->dl_line);
    free(s->rv_mem);
    free(s);
    *sp = NULL;
}

static void
fx_distortion(const mg_fx_state *s, float *buf, size_t frames)
{
    const double k = s->dist_k, norm = s->dist_norm, mix = s->dist_mix;

    for (size_t i = 0; i < 2 * frames; i++) {
        double x = buf[i];
        buf[i] = (float)((1 - mix) * x + mix * tanh(k * x) * norm);
    }
}

/* Feed-forward, stereo-linked, peak detector smoothed in dB. Levels in
 * dB through log2/exp2 (cheaper than log10/pow; same function). */
static void
fx_compressor(mg_fx_state *s, float *buf, size_t frames)
{
    const double att = s->c_att, rel = s->c_rel, thr = s->c_thr;
    const double slope = 1 - 1 / s->c_ratio, makeup = s->c_makeup;
    const double to_db = 20.0 / log2(10.0), from_db = log2(10.0) / 20.0;
    double env = s->c_env;

    for (size_t i = 0; i < frames; i++) {
        double l = fabs(buf[2 * i]), r = fabs(buf[2 * i + 1]);
        double pk = l > r ? l : r;
        double db = pk > 1e-6 ? to_db * log2(pk) : -120.0;
        double over, g;

        env = db > env ? att * env + (1 - att) * db
                       : rel * env + (1 - rel) * db;
        over = env - thr;
        g = (over > 0 ? -over * slope : 0) + makeup;
        g = exp2(g * from_db);
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
    double a = s->ph_a;

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
            double y = x + fb * s->ph_last[ch];
            for (int k = 0; k < 4; k++) {
                /* y[n] = a x[n] + x[n-1] - a y[n-1], one state word */
                double out = a * y + s->ph_st[ch][k];
                s->ph_st[ch][k] = y - a * out;
                y = out;
            }
            s->ph_last[ch] = y;
            buf[2 * i + ch] = (float)((1 - mix) * x + mix * y);
        }
    }
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

/* Three voices of a 15 ms delay swept by sines 120 degrees apart,
 * linearly interpolated; the delays are updated every 16 frames. */
static void
fx_chorus(mg_fx_state *s, float *buf, size_t frames)
{
    float *ln = s->ch_line;
    const size_t len = s->ch_len;
    const double mix = s->ch_mix;
    size_t w = s->ch_w;

    for (size_t i = 0; i < frames; i++) {
        size_t t = s->t + i;
        if (t % 16 == 0) {
            double ts = (double)t / s->rate;
            for (int ch = 0; ch < 2; ch++)
                for (int v = 0; v < 3; v++)
                    s->ch_dl[ch][v] = s->ch_base + s->ch_depth * 0.5 *
                        (1 + sin(2 * M_PI *
                                 (s->ch_lfo * ts + v / 3.0 + ch * 0.25)));
        }
        ln[2 * w] = buf[2 * i];
        ln[2 * w + 1] = buf[2 * i + 1];
        for (int ch = 0; ch < 2; ch++) {
            double acc = 0;
            for (int v = 0; v < 3; v++) {
                double pos = (double)w - s->ch_dl[ch][v];
                size_t i0, i1;
                double fr, a, b;
                if (pos < 0)
                    pos += (double)len;
                i0 = (size_t)pos;
                fr = pos - (double)i0;
                i1 = i0 + 1 == len ? 0 : i0 + 1;
                a = ln[2 * i0 + ch];
                b = ln[2 * i1 + ch];
                acc += a + fr * (b - a);
            }
            buf[2 * i + ch] = (float)((1 - mix) * buf[2 * i + ch] +
                                      mix * acc / 3);
        }
        if (++w == len)
            w = 0;
    }
    s->ch_w = w;
}

/* Comb k of both channels over a block, interleaved: the damping filter
 * is a loop-carried dependency, so two independent chains per loop keep
 * the CPU busy. acc[ch][i] += y, the line fed in[i] + damped y. */
static void
rv_comb_run(line *c0, line *c1, const float *in, float *acc0, float *acc1,
            size_t n, float damp, float fb)
{
    float *b0 = c0->buf, *b1 = c1->buf, st0 = c0->st, st1 = c1->st;
    const size_t len0 = c0->len, len1 = c1->len;
    const float und = 1 - damp;
    size_t p0 = c0->pos, p1 = c1->pos;

    for (size_t i = 0; i < n; i++) {
        float y0 = b0[p0], y1 = b1[p1];
        /* +/- 1e-18 flushes a decaying tail to 0 long before float
         * denormals (which are slow) can appear */
        st0 = y0 * und + st0 * damp + 1e-18f - 1e-18f;
        st1 = y1 * und + st1 * damp + 1e-18f - 1e-18f;
        b0[p0] = in[i] + st0 * fb;
        b1[p1] = in[i] + st1 * fb;
        if (++p0 == len0)
            p0 = 0;
        if (++p1 == len1)
            p1 = 0;
        acc0[i] += y0;
        acc1[i] += y1;
    }
    c0->st = st0;
    c1->st = st1;
    c0->pos = p0;
    c1->pos = p1;
}

static void
rv_ap_run(line *c, float *acc, size_t n)
{
    float *b = c->buf;
    const size_t len = c->len;
    size_t pos = c->pos;

    for (size_t i = 0; i < n; i++) {
        float bo = b[pos];
        b[pos] = acc[i] + bo * 0.5f + 1e-18f - 1e-18f;
        acc[i] = bo - acc[i];
        if (++pos == len)
            pos = 0;
    }
    c->pos = pos;
}

static void
fx_reverb(mg_fx_state *s, float *buf, size_t frames)
{
    float in[FX_BLOCK], out[2][FX_BLOCK];

    for (size_t o = 0; o < frames; o += FX_BLOCK) {
        size_t n = frames - o < FX_BLOCK ? frames - o : FX_BLOCK;
        float *x = buf + 2 * o;
        for (size_t i = 0; i < n; i++)
            in[i] = (x[2 * i] + x[2 * i + 1]) * 0.015f;
        memset(out, 0, sizeof out);
        for (int k = 0; k < RV_COMBS; k++)
            rv_comb_run(&s->rv_comb[0][k], &s->rv_comb[1][k], in, out[0],
                        out[1], n, s->rv_damp, s->rv_fb);
        for (int ch = 0; ch < 2; ch++)
            for (int k = 0; k < RV_APS; k++)
                rv_ap_run(&s->rv_ap[ch][k], out[ch], n);
        for (size_t i = 0; i < n; i++) {
            float l = out[0][i], r = out[1][i];
            x[2 * i] += l * s->rv_wet1 + r * s->rv_wet2;
            x[2 * i + 1] += r * s->rv_wet1 + l * s->rv_wet2;
        }
    }
}

void
mg_fx_state_run(mg_fx_state *s, float *buf, size_t frames)
{
    const mg_fx_chain *c = &s->c;

    if (c->on[MG_FX_EQ])
        for (int k = 0; k < 3; k++)
            biquad_run(&s->eq[k], buf, frames);
    if (c->on[MG_FX_FILTER])
        biquad_run(&s->lp, buf, frames);
    if (c->on[MG_FX_DISTORTION])
        fx_distortion(s, buf, frames);
    if (c->on[MG_FX_COMPRESSOR])
        fx_compressor(s, buf, frames);
    if (c->on[MG_FX_PHASER])
        fx_phaser(s, buf, frames);
    if (c->on[MG_FX_CHORUS])
        fx_chorus(s, buf, frames);
    if (c->on[MG_FX_DELAY])
        fx_delay(s, buf, frames);
    if (c->on[MG_FX_REVERB])
        fx_reverb(s, buf, frames);
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
