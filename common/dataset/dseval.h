/*
 * dseval — how good is the audio (layer-2) musicality score as a gate?
 * `musicgen eval`, after the Python tool's evaluation (its
 * docs/musicality-scoring.md and published eval_results/).
 *
 * Reliability:
 *   det   each good sample's mix scored `calls` times: sigma must be 0;
 *   rinv  render invariance: each good sample rendered `renders` times
 *         from (seed, index), each render scored: sigma must be 0;
 *   seed  seed distribution: per genre, `n` samples (indices 0..n-1)
 *         scored; mean, median, sigma, IQR, p10, p90; passes when every
 *         genre's sigma <= MG_EVAL_SEED_SIGMA_MAX (our criterion: the
 *         Python tool publishes the figures without one).
 * Validity (construct validity): `n` good samples (rendered, genres
 * cycled, or the mixes of an existing dataset) against ten pathology
 * sets of `n` each: five synthetic signals (synth/silence, noise, clip,
 * dc, monotone) and five corruptions of each good mix (real/silence_gaps,
 * noise_overlay, tempo_warp, pitch_scramble, time_reverse); definitions
 * in docs/dataset-tools.md. Per set: mean, std, AUROC (good above bad;
 * ties count half) with a percentile bootstrap CI (`bootstrap_n`
 * resamples, seeded PRNG: the same run gives the same interval),
 * Cohen's d, rejection rate (scores below `threshold`), and whether the
 * CI holds 0.5 (chance level). overall_auroc = mean of the ten AUROCs (as the
 * Python tool's published figures are), its CI from the same bootstrap.
 * Criterion: overall_auroc >= 0.80.
 *
 * Everything is a pure function of the options: signals come from
 * mg_rng streams seeded by (seed, set, item).
 */
#ifndef MG_DSEVAL_H
#define MG_DSEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#define MG_EVAL_AUROC_MIN 0.80
#define MG_EVAL_SEED_SIGMA_MAX 0.10
#define MG_EVAL_MAX_GENRES 16

typedef struct {
    int64_t seed;            /* global seed of the rendered samples */
    int n;                   /* samples (validity, det, rinv) or seeds */
    int calls, renders;      /* det, rinv repetitions */
    int bootstrap_n;
    double threshold;        /* rejection rate: score below this */
    int ngenres;
    char genres[MG_EVAL_MAX_GENRES][64]; /* cycled; none: every genre */
    const char *dataset;     /* good set from this tree's mixes */
    const char *genres_dir, *sf_dir;
    int measures_override[8]; /* passed to the engine (shorter songs) */
    int jobs;                /* processes rendering and scoring */
    bool verbose;            /* one line per sample on stderr */
} mg_eval_opts;

void mg_eval_defaults(mg_eval_opts *o);

/* type: "det", "rinv" or "seed". Returns the result object (with
 * "passed") or NULL and err. */
json_t *mg_eval_reliability(const mg_eval_opts *o, const char *type,
                            char *err, size_t errlen);

/* mode: "good", "bad" or "both". "passed" is the AUROC criterion in mode
 * both (absent otherwise). NULL and err on failure. */
json_t *mg_eval_validity(const mg_eval_opts *o, const char *mode, char *err,
                         size_t errlen);

/* AUROC of good above bad (Mann-Whitney, ties half). */
double mg_eval_auroc(const double *good, int n, const double *bad, int m);

#endif
