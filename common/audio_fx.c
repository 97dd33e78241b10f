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
    for (size_t i = 0; i < frames; i++) {
        for (int ch = 0; ch < 2; ch++) {
            double x = buf[2 * i + ch];
            double y = f->b0 * x + f->z1[ch];
            f->z1[ch] = f->b1 * x - f->a1 * y + f->z2[ch];
            f->z2[ch] = f->b2 * x - f->a2 * y;
            buf[2 * i + ch] = (float)y;
        }
    }
}

static double
clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static void
fx_eq(const double *p, float *buf, size_t frames, int rate)
{
    biquad f;
    double nyq = rate * 0.45;

    biquad_set(&f, 0, 200.0, 0.707, p[1], rate);
    biquad_run(&f, buf, frames);
    biquad_set(&f, 1, clampd(p[3], 20, nyq), 0.9, p[2], rate);
    biquad_run(&f, buf, frames);
    biquad_set(&f, 2, clampd(5000.0, 20, nyq), 0.707, p[0], rate);
    biquad_run(&f, buf, frames);
}

static void
fx_filter(const double *p, float *buf, size_t frames, int rate)
{
    biquad f;

    biquad_set(&f, 3, clampd(p[0], 20, rate * 0.45), clampd(p[1], 0.3, 10),
               0, rate);
    biquad_run(&f, buf, frames);
}

static void
fx_distortion(const double *p, float *buf, size_t frames)
{
    double k = pow(10.0, p[0] / 20.0), norm = 1.0 / tanh(k);
    double mix = clampd(p[1], 0, 1);

    for (size_t i = 0; i < 2 * frames; i++) {
        double x = buf[i];
        buf[i] = (float)((1 - mix) * x + mix * tanh(k * x) * norm);
    }
}

/* Feed-forward, stereo-linked, peak detector smoothed in dB. */
static void
fx_compressor(const double *p, float *buf, size_t frames, int rate)
{
    double att = exp(-1.0 / (clampd(p[0], 0.1, 1000) * 1e-3 * rate));
    double rel = exp(-1.0 / (clampd(p[3], 1, 5000) * 1e-3 * rate));
    double ratio = clampd(p[2], 1, 100), thr = p[4], makeup = p[1];
    double env = -120.0;

    for (size_t i = 0; i < frames; i++) {
        double l = fabs(buf[2 * i]), r = fabs(buf[2 * i + 1]);
        double pk = l > r ? l : r;
        double db = pk > 1e-6 ? 20.0 * log10(pk) : -120.0;
        double over, g;

        env = db > env ? att * env + (1 - att) * db
                       : rel * env + (1 - rel) * db;
        over = env - thr;
        g = (over > 0 ? -over * (1 - 1 / ratio) : 0) + makeup;
        g = pow(10.0, g / 20.0);
        buf[2 * i] = (float)(buf[2 * i] * g);
        buf[2 * i + 1] = (float)(buf[2 * i + 1] * g);
    }
}

/* Four first-order allpass stages swept by a sine LFO (phase 0 at the
 * start), with feedback; coefficients updated every 16 frames. */
static void
fx_phaser(const double *p, float *buf, size_t frames, int rate)
{
    double centre = clampd(p[0], 50, rate * 0.2), depth = clampd(p[1], 0, 1);
    double fb = clampd(p[2], 0, 0.9), mix = clampd(p[3], 0, 1);
    double lfo_rate = clampd(p[4], 0.01, 20);
    double st[2][4] = {{0}}, last[2] = {0}, a = 0;

    for (size_t i = 0; i < frames; i++) {
        if (i % 16 == 0) {
            double t = (double)i / rate;
            double f = centre * pow(2.0, 1.5 * depth *
                                               sin(2 * M_PI * lfo_rate * t));
            double tn = tan(M_PI * clampd(f, 20, rate * 0.45) / rate);
            a = (tn - 1) / (tn + 1);
        }
        for (int ch = 0; ch < 2; ch++) {
            double x = buf[2 * i + ch];
            double y = x + fb * last[ch];
            for (int s = 0; s < 4; s++) {
                /* y[n] = a x[n] + x[n-1] - a y[n-1], one state word */
                double out = a * y + st[ch][s];
                st[ch][s] = y - a * out;
                y = out;
            }
            last[ch] = y;
            buf[2 * i + ch] = (float)((1 - mix) * x + mix * y);
        }
    }
}

double
mg_fx_delay_seconds(const mg_fx_chain *c, double tempo_bpm)
{
    double beats = round(c->p[MG_FX_DELAY][2] * 4.0) / 4.0;

    if (beats < 0.25)
        beats = 0.25;
    return beats * 60.0 / tempo_bpm;
}

static int
fx_delay(const mg_fx_chain *c, float *buf, size_t frames, int rate,
         double tempo_bpm)
{
    const double *p = c->p[MG_FX_DELAY];
    size_t d = (size_t)lround(mg_fx_delay_seconds(c, tempo_bpm) * rate);
    double fb = clampd(p[0], 0, 0.9), mix = clampd(p[1], 0, 1);
    float *line;
    size_t w = 0;

    if (d < 1)
        d = 1;
    line = calloc(2 * d, sizeof *line);
    if (!line)
        return -1;
    for (size_t i = 0; i < frames; i++) {
        for (int ch = 0; ch < 2; ch++) {
            double x = buf[2 * i + ch], echo = line[2 * w + ch];
            line[2 * w + ch] = (float)(x + fb * echo);
            buf[2 * i + ch] = (float)(x + mix * echo);
        }
        if (++w == d)
            w = 0;
    }
    free(line);
    return 0;
}

/* Three voices of a 15 ms delay swept by sines 120 degrees apart,
 * linearly interpolated. */
static int
fx_chorus(const double *p, float *buf, size_t frames, int rate)
{
    double depth = clampd(p[0], 0, 12) * 1e-3 * rate;
    double mix = clampd(p[1], 0, 1), lfo = clampd(p[2], 0.01, 10);
    double base = 0.015 * rate;
    size_t len = (size_t)(base + depth) + 4, w = 0;
    float *line = calloc(2 * len, sizeof *line);

    if (!line)
        return -1;
    double dl[2][3] = {{0}};

    for (size_t i = 0; i < frames; i++) {
        /* the LFO moves slowly: its delays are updated every 16 frames */
        if (i % 16 == 0) {
            double t = (double)i / rate;
            for (int ch = 0; ch < 2; ch++)
                for (int v = 0; v < 3; v++)
                    dl[ch][v] = base + depth * 0.5 *
                        (1 + sin(2 * M_PI * (lfo * t + v / 3.0 + ch * 0.25)));
        }
        for (int ch = 0; ch < 2; ch++)
            line[2 * w + ch] = buf[2 * i + ch];
        for (int ch = 0; ch < 2; ch++) {
            double acc = 0;
            for (int v = 0; v < 3; v++) {
                double pos = (double)w - dl[ch][v];
                long i0;
                double fr, a, b;
                while (pos < 0)
                    pos += (double)len;
                i0 = (long)pos;
                fr = pos - i0;
                a = line[2 * (size_t)i0 + ch];
                b = line[2 * (((size_t)i0 + 1) % len) + ch];
                acc += a + fr * (b - a);
            }
            buf[2 * i + ch] = (float)((1 - mix) * buf[2 * i + ch] +
                                      mix * acc / 3);
        }
        if (++w == len)
            w = 0;
    }
    free(line);
    return 0;
}

/* Freeverb (Jezar at Dreampoint, public domain): eight damped feedback
 * combs and four allpasses per channel, the right channel's lines 23
 * samples longer; tunings scaled from 44.1 kHz. */
#define RV_COMBS 8
#define RV_APS 4
static const int rv_comb[RV_COMBS] = {1116, 1188, 1277, 1356, 1422, 1491,
                                      1557, 1617};
static const int rv_ap[RV_APS] = {556, 441, 341, 225};

static int
fx_reverb(const double *p, float *buf, size_t frames, int rate)
{
    double damp = clampd(p[0], 0, 1) * 0.4;
    double fb = 0.7 + clampd(p[1], 0, 1) * 0.28;
    double wet = clampd(p[2], 0, 1) * 3.0, width = clampd(p[3], 0, 1);
    double wet1 = wet * (width / 2 + 0.5), wet2 = wet * ((1 - width) / 2);
    double sc = rate / 44100.0;
    size_t clen[2][RV_COMBS], alen[2][RV_APS], cpos[2][RV_COMBS] = {{0}};
    size_t apos[2][RV_APS] = {{0}}, total = 0, off = 0;
    double cst[2][RV_COMBS] = {{0}};
    float *mem, *cb[2][RV_COMBS], *ab[2][RV_APS];

    for (int ch = 0; ch < 2; ch++) {
        for (int k = 0; k < RV_COMBS; k++)
            total += clen[ch][k] = (size_t)lround((rv_comb[k] + 23 * ch) *
                                                  sc) + 1;
        for (int k = 0; k < RV_APS; k++)
            total += alen[ch][k] = (size_t)lround((rv_ap[k] + 23 * ch) *
                                                  sc) + 1;
    }
    mem = calloc(total, sizeof *mem);
    if (!mem)
        return -1;
    for (int ch = 0; ch < 2; ch++) {
        for (int k = 0; k < RV_COMBS; k++) {
            cb[ch][k] = mem + off;
            off += clen[ch][k];
        }
        for (int k = 0; k < RV_APS; k++) {
            ab[ch][k] = mem + off;
            off += alen[ch][k];
        }
    }
    for (size_t i = 0; i < frames; i++) {
        double in = (buf[2 * i] + buf[2 * i + 1]) * 0.015, out[2];
        for (int ch = 0; ch < 2; ch++) {
            double acc = 0;
            for (int k = 0; k < RV_COMBS; k++) {
                float *b = cb[ch][k];
                double y = b[cpos[ch][k]];
                cst[ch][k] = y * (1 - damp) + cst[ch][k] * damp;
                b[cpos[ch][k]] = (float)(in + cst[ch][k] * fb);
                if (++cpos[ch][k] == clen[ch][k])
                    cpos[ch][k] = 0;
                acc += y;
            }
            for (int k = 0; k < RV_APS; k++) {
                float *b = ab[ch][k];
                double bo = b[apos[ch][k]];
                b[apos[ch][k]] = (float)(acc + bo * 0.5);
                acc = bo - acc;
                if (++apos[ch][k] == alen[ch][k])
                    apos[ch][k] = 0;
            }
            out[ch] = acc;
        }
        buf[2 * i] = (float)(buf[2 * i] + out[0] * wet1 + out[1] * wet2);
        buf[2 * i + 1] = (float)(buf[2 * i + 1] + out[1] * wet1 +
                                 out[0] * wet2);
    }
    free(mem);
    return 0;
}

int
mg_fx_process(const mg_fx_chain *c, float *buf, size_t frames, int rate,
              double tempo_bpm)
{
    if (c->on[MG_FX_EQ])
        fx_eq(c->p[MG_FX_EQ], buf, frames, rate);
    if (c->on[MG_FX_FILTER])
        fx_filter(c->p[MG_FX_FILTER], buf, frames, rate);
    if (c->on[MG_FX_DISTORTION])
        fx_distortion(c->p[MG_FX_DISTORTION], buf, frames);
    if (c->on[MG_FX_COMPRESSOR])
        fx_compressor(c->p[MG_FX_COMPRESSOR], buf, frames, rate);
    if (c->on[MG_FX_PHASER])
        fx_phaser(c->p[MG_FX_PHASER], buf, frames, rate);
    if (c->on[MG_FX_CHORUS] &&
        fx_chorus(c->p[MG_FX_CHORUS], buf, frames, rate) < 0)
        return -1;
    if (c->on[MG_FX_DELAY] &&
        fx_delay(c, buf, frames, rate, tempo_bpm) < 0)
        return -1;
    if (c->on[MG_FX_REVERB] &&
        fx_reverb(c->p[MG_FX_REVERB], buf, frames, rate) < 0)
        return -1;
    return 0;
}
