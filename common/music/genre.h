/*
 * genre — genre presets loaded from data (genres/<name>/), and the rule
 * that merges several presets into one spec. The format is documented in
 * docs/genres.md; a malformed file is reported with its path and field.
 *
 * A loaded spec is read-only for the rest of the engine. All weight tables
 * are indexed by the engine's enums (mg_ts, key index, mg_chord_type ...);
 * a weight of 0 means "never".
 */
#ifndef MG_GENRE_H
#define MG_GENRE_H

#include <stdbool.h>
#include <stddef.h>

#include "song.h"
#include "theory.h"

#define MG_NKEYS 24          /* key index = tonic_pc * 2 + mode */
#define MG_MAX_STEPS 48      /* drum steps per bar */
#define MG_MAX_DRUM_VOICES 12
#define MG_MAX_TAGS 8
#define MG_MAX_PROGRAMS 16
#define MG_MAX_MSTATES 16    /* Markov states */
#define MG_MAX_GENRES 8      /* genres merged into one spec */
#define MG_MAX_ARRANGEMENTS 32

typedef enum {
    MG_FX_REVERB, MG_FX_CHORUS, MG_FX_DELAY, MG_FX_COMPRESSOR, MG_FX_EQ,
    MG_FX_FILTER, MG_FX_DISTORTION, MG_FX_PHASER, MG_NFX
} mg_fx_kind;
#define MG_GENRE_STYLES                                                      \
    "pop rock jazz blues latin reggae electronic hip-hop classical"

const char *mg_fx_name(mg_fx_kind k);   /* "reverb" ... */
int mg_fx_from_name(const char *name);  /* -1 if unknown */

typedef struct {
    char name[32];
    unsigned parts;      /* bit (1u << mg_part_kind) per part it may play */
    bool fill;           /* a fill: played in the last bar of a part */
    int steps;           /* steps per bar; a divisor-friendly grid */
    int nvoices;
    struct {
        unsigned char note;                 /* GM drum note */
        unsigned char vel[MG_MAX_STEPS];    /* 0 = rest */
    } voice[MG_MAX_DRUM_VOICES];
} mg_drum_pattern;

/* A first- or second-order Markov chain over named states (roman numerals
 * for chords, scale degrees "1".."7" for melody). */
typedef struct {
    int order;                              /* 1 or 2; 0 = absent */
    int nstates;
    char state[MG_MAX_MSTATES][12];
    double init[MG_MAX_MSTATES];
    double t1[MG_MAX_MSTATES][MG_MAX_MSTATES];
    /* second order: t2[a][b][c] = P(c | a, b); has_t2[a][b] when given */
    double t2[MG_MAX_MSTATES][MG_MAX_MSTATES][MG_MAX_MSTATES];
    bool has_t2[MG_MAX_MSTATES][MG_MAX_MSTATES];
} mg_markov;

/* How a genre is played (spec.json "performance" and "loudness";
 * docs/genres.md): ranges are [lo, hi] drawn once per sample from the
 * params stream. Only doubles, so a merge averages it as an array. */
typedef struct {
    double offset_ms[MG_NLAYERS][2]; /* layer timing: + laid back, - pushed */
    double jitter_ms[MG_NLAYERS];    /* sd of the per-note timing noise */
    double legato[MG_NLAYERS][2];    /* note-length factor (not beat) */
    double accent[2];                /* velocity added on felt beats */
    double ghost[2];                 /* factor on drum ghost notes */
    double phrase[2];                /* phrase and part dynamics depth */
    double vel_jitter;               /* sd of the per-note velocity noise */
    double rit_prob, rit_depth[2];   /* final ritardando: chance, slowdown */
    double part_tempo_prob, part_tempo_range; /* per-part tempo */
    double rubato;                   /* per-bar tempo wander (fraction) */
    double loudness[MG_NLAYERS];     /* stem targets, LUFS (BS.1770) */
} mg_perf_spec;

typedef struct {
    char name[64];          /* "jazz" or "jazz+latin" after a merge */
    char description[256];
    /* The rhythmic idiom the generators play: one of MG_GENRE_STYLES
     * (walking bass and comping for "jazz", skank for "reggae" ...).
     * "" when the spec names none: the generators then guess from the
     * name and the swing range. A merge keeps the first genre's style. */
    char style[32];
    double tempo_min, tempo_max;    /* hard clamp, BPM (quarter notes) */
    double swing_min, swing_max;    /* hard clamp */
    double ts_weight[MG_NTS];
    double key_weight[MG_NKEYS];
    double chord_weight[MG_NCHORDTYPES];
    bool chord_filter;              /* hard filter present */
    bool chord_allowed[MG_NCHORDTYPES];
    double inversion_weight[4];
    double layer_prob[MG_NLAYERS];
    double fx_profile[MG_NFX];      /* multiplier on each effect's chance */
    int ntags[MG_NLAYERS];
    char tags[MG_NLAYERS][MG_MAX_TAGS][32];
    int nprograms[MG_NLAYERS];      /* GM programs a layer may draw */
    int program[MG_NLAYERS][MG_MAX_PROGRAMS];
    double program_weight[MG_NLAYERS][MG_MAX_PROGRAMS];
    int npatterns[MG_NTS];
    mg_drum_pattern *patterns[MG_NTS]; /* owned */
    /* song form: arrangements (sequences of parts) with weights, measure
     * ranges per part (in bars of the drawn time signature), per-part
     * multipliers on layer_prob, and the chance that the bridge takes a
     * different time signature (drawn from ts_weight). Defaults come from
     * genres/arrangements.json; a genre's spec may override them. */
    int narrangements;
    struct {
        int nparts;
        mg_part_kind part[MG_MAX_PARTS];
        double weight;
    } arrangement[MG_MAX_ARRANGEMENTS];
    int measures_min[MG_NPARTKINDS], measures_max[MG_NPARTKINDS];
    double part_layer_prob[MG_NPARTKINDS][MG_NLAYERS];
    double ts_change_prob;
    mg_markov chords;               /* order 0 when the genre has none */
    mg_markov melody;
    mg_perf_spec perf;
} mg_genre;

/* Load genres_dir/<name>/. On error returns NULL and writes one line
 * naming the file and the field into err. */
mg_genre *mg_genre_load(const char *genres_dir, const char *name, char *err,
                        size_t errlen);
/* The built-in neutral spec used when no genre is asked for: every time
 * signature, every key, every chord type, patterns from genres_dir/default. */
mg_genre *mg_genre_default(const char *genres_dir, char *err, size_t errlen);
/* Merge n specs into a new one (rule in docs/genres.md): hard ranges
 * intersect (error if empty), weights average after normalising, filters
 * are permissive-wins, tags and programs union, patterns union. */
mg_genre *mg_genre_merge(mg_genre *const *specs, int n, char *err,
                         size_t errlen);
/* Resolve a list of names (0 names -> default) into one spec. */
mg_genre *mg_genre_resolve(const char *genres_dir, char *const *names,
                           int n, char *err, size_t errlen);
void mg_genre_destroy(mg_genre **g);

/* Names of the genres found in genres_dir, sorted; caller frees with
 * mg_genre_names_free. Returns count or -1. */
int mg_genre_list(const char *genres_dir, char ***names, char *err,
                  size_t errlen);
void mg_genre_names_free(char **names, int n);
/* The drum voice names patterns may use (General MIDI drum notes), in
 * table order: i = 0, 1, ... until NULL. */
const char *mg_drum_voice(size_t i, int *note);

/* SHA-256 (hex) over every file under genres_dir, in sorted path order,
 * each as "<relative path>\0<bytes>". Part of the run fingerprint. */
int mg_genre_dir_hash(const char *genres_dir, char out[65], char *err,
                      size_t errlen);

#endif
