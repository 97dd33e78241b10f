/*
 * audio_fx — the per-layer effects of the audio engine: their parameter
 * ranges and probabilities (data: <sf_dir>/fx.json), the draw from the fx
 * stream, and the small DSP functions that apply them to a stem.
 *
 * Each effect kind has a fixed list of named parameters (the DSP's
 * interface, so it lives in code); the data file gives, per layer and per
 * kind, the probability and a [lo, hi] range for every parameter. Reverb
 * and chorus are FluidSynth's own units, run by the synth during rendering
 * (audio_render.c); the streaming DSP here applies the others (eq, filter,
 * distortion, compressor, phaser, delay) to the dry stem.
 */
#ifndef MG_AUDIO_FX_H
#define MG_AUDIO_FX_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "genre.h"
#include "rng.h"
#include "song.h"

#define MG_FX_MAXP 6

typedef struct {
    double prob[MG_NLAYERS][MG_NFX];
    double lo[MG_NLAYERS][MG_NFX][MG_FX_MAXP];
    double hi[MG_NLAYERS][MG_NFX][MG_FX_MAXP];
} mg_fx_spec;

/* One layer's drawn effects: which are on and their parameter values, in
 * the order of mg_fx_param_name. */
typedef struct {
    bool on[MG_NFX];
    double p[MG_NFX][MG_FX_MAXP];
} mg_fx_chain;

/* Parameter names of an effect kind; returns their count. */
int mg_fx_params(mg_fx_kind k, const char *const **names);

/* Load <path> (fx.json). Every layer, kind and parameter must be present;
 * an error names the file and the field. */
int mg_fx_spec_load(mg_fx_spec *spec, const char *path, char *err,
                    size_t errlen);

/* Draw a layer's chain: for each kind in enum order one chance draw with
 * probability prob * profile[kind] (clamped to [0, 1]), then, when on, one
 * uniform draw per parameter in name order. profile may be NULL (all 1). */
void mg_fx_draw(const mg_fx_spec *spec, mg_layer layer,
                const double *profile, mg_rng *rng, mg_fx_chain *out);

/* Clamp an enabled effect's parameters into the ranges the DSP takes at
 * `rate` (frequencies below 0.45 x rate, the phaser's centre below 0.2 x
 * rate, feedback <= 0.9, mixes in [0, 1], FluidSynth's reverb and
 * chorus ranges, ...): done after the draw, so
 * that the chain sample.json records is the one the DSP runs. */
void mg_fx_effective(mg_fx_chain *c, int rate);

/* The chain as JSON: [{"type": "eq", "params": {...}}, ...], enabled
 * effects only, in processing order: eq, filter, distortion, compressor,
 * phaser, chorus, delay, reverb. */
json_t *mg_fx_chain_json(const mg_fx_chain *c);

/* Apply the chain's own-DSP effects in processing order in place to
 * interleaved stereo `buf` of `frames` frames (reverb and chorus are the
 * synth's). Returns 0, or -1 on allocation failure. */
int mg_fx_process(const mg_fx_chain *c, float *buf, size_t frames, int rate,
                  double tempo_bpm);

/* Streaming: the chain's state (delay lines, filter memories, LFO
 * clock), fresh per stem. mg_fx_state_run processes the next `frames`
 * frames in place; any split into blocks gives the same bytes as one call.
 * mg_fx_state_new returns NULL on allocation failure. */
typedef struct mg_fx_state mg_fx_state;
mg_fx_state *mg_fx_state_new(const mg_fx_chain *c, int rate,
                             double tempo_bpm);
void mg_fx_state_run(mg_fx_state *s, float *buf, size_t frames);
void mg_fx_state_destroy(mg_fx_state **s);

/* The delay time in seconds that mg_fx_process uses for a chain's delay
 * (time_beats rounded to a sixteenth of a beat, at tempo_bpm). */
double mg_fx_delay_seconds(const mg_fx_chain *c, double tempo_bpm);

#endif
