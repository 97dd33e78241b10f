/*
 * song — the symbolic model of one sample: its parameters, its parts and
 * chords, and one note track per layer. Everything downstream (MIDI, audio,
 * annotations, quality check) reads this; only the parameter draw and the
 * generators write it.
 *
 * Invariants:
 *  - time is in ticks at MG_PPQ per quarter note; seconds follow the tempo
 *    map as a MIDI player computes them: each segment between tempo
 *    changes lasts ticks * us / (MG_PPQ * 1e6), so annotations and MIDI
 *    agree to the tick (one tempo when the map is empty);
 *  - parts are contiguous: parts[i].end_tick == parts[i + 1].start_tick,
 *    parts[0].start_tick == 0, total_ticks == last end_tick;
 *  - each track's notes are sorted by (tick, pitch) after mg_song_finish;
 *  - note ticks are already swung (see mg_swing_tick) and humanised
 *    (micro-timing); beats are the metrical grid and are moved by neither.
 */
#ifndef MG_SONG_H
#define MG_SONG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "theory.h"

#define MG_PPQ 480
#define MG_MAX_PARTS 12
#define MG_MAX_CHORDS 64 /* per part */
#define MG_MAX_VOICES 6

typedef enum {
    MG_LAYER_BEAT, MG_LAYER_MELODY, MG_LAYER_HARMONY, MG_LAYER_BASSLINE,
    MG_NLAYERS
} mg_layer;

typedef enum {
    MG_PART_INTRO, MG_PART_VERSE, MG_PART_CHORUS, MG_PART_BRIDGE,
    MG_PART_OUTRO, MG_NPARTKINDS
} mg_part_kind;

/* The seven supported time signatures, in this order everywhere. */
typedef enum {
    MG_TS_2_4, MG_TS_3_4, MG_TS_4_4, MG_TS_5_4, MG_TS_6_8, MG_TS_7_8,
    MG_TS_12_8, MG_NTS
} mg_ts;

typedef struct {
    uint32_t tick; /* onset, swung */
    uint32_t dur;  /* ticks, > 0 */
    uint8_t pitch;
    uint8_t vel;   /* 1..127 */
} mg_note;

typedef struct {
    mg_note *v;
    size_t n, cap;
} mg_track;

typedef struct {
    int root_pc;
    mg_chord_type type;
    int inversion;       /* 0 root, 1 first, 2 second, 3 third */
    int degree;          /* 0..6 scale degree of the root, -1 if chromatic */
    char roman[16];      /* "ii7", "V", "bVII" - the Python tool's form */
    uint32_t start_tick, end_tick;
    int nvoices;
    uint8_t voicing[MG_MAX_VOICES]; /* MIDI pitches, ascending */
} mg_chord;

typedef struct {
    mg_part_kind kind;
    mg_ts ts;
    int measures;
    uint32_t start_tick, end_tick;
    bool active[MG_NLAYERS];
    int nchords;
    mg_chord chords[MG_MAX_CHORDS];
} mg_part;

#define MG_MAX_TEMPI 1024

/* One tempo change: from `tick` on, a quarter lasts `us` microseconds. */
typedef struct {
    uint32_t tick;
    uint32_t us;
} mg_tempo;

/* The performance drawn for one sample (recorded in sample.json). */
typedef struct {
    double offset_ms[MG_NLAYERS];  /* + laid back, - pushed */
    double jitter_ms[MG_NLAYERS];
    double legato[MG_NLAYERS];     /* note-length factor; 1 for beat */
    double accent, ghost, phrase, vel_jitter;
    bool ritardando;               /* the song slows over its last bars */
    double rit_depth;              /* final tempo = (1 - depth) x tempo */
    bool part_tempo;               /* parts (by kind) take their own tempo */
    double part_factor[MG_NPARTKINDS];
    double rubato;
} mg_perf;

typedef struct {
    int64_t global_seed;
    uint64_t index;
    uint64_t sample_seed;
    uint64_t attempt_seed;
    int attempt;            /* 1-based */
    int tonic_pc;
    mg_mode mode;
    double tempo_bpm;       /* = 60e6 / us_per_quarter */
    uint32_t us_per_quarter;
    double swing;           /* 0.5 straight .. 0.75 hard; see mg_swing_tick */
    mg_ts ts;               /* the song's main time signature */
    int nparts;
    mg_part parts[MG_MAX_PARTS];
    int program[MG_NLAYERS]; /* GM program 0..127; beat: drum kit program */
    uint32_t total_ticks;
    mg_track track[MG_NLAYERS];
    /* The tempo map: tempi[0].tick == 0 and tempi[0].us == us_per_quarter;
     * ticks strictly increase. ntempi == 0 means one tempo throughout. */
    int ntempi;
    mg_tempo tempi[MG_MAX_TEMPI];
    mg_perf perf;
} mg_song;

const char *mg_layer_name(mg_layer l);          /* "beat" ... */
int mg_layer_from_name(const char *name);        /* -1 if unknown */
const char *mg_part_name(mg_part_kind k);        /* "intro" ... */
int mg_part_from_name(const char *name);         /* -1 if unknown */

/* Time signatures. Beats: x/4 and x/2 count the denominator note; 6/8 and
 * 12/8 count dotted quarters (compound); 7/8 counts eighths. */
const char *mg_ts_name(mg_ts ts);                /* "4/4" */
int mg_ts_from_name(const char *name);           /* "4/4" or "44" -> ts */
int mg_ts_num(mg_ts ts);
int mg_ts_den(mg_ts ts);
uint32_t mg_ts_bar_ticks(mg_ts ts);
int mg_ts_beats(mg_ts ts);                       /* beats per bar */
uint32_t mg_ts_beat_ticks(mg_ts ts);             /* ticks per beat */
/* Swing cell: a quarter for x/4, an eighth for x/8. */
uint32_t mg_ts_swing_cell(mg_ts ts);
/* Compound metres (6/8, 12/8): the beat is a dotted quarter. */
bool mg_ts_compound(mg_ts ts);
/* Beat conventions (docs/sample-json.md, "Beats"):
 *  unit of the counted beat (beat_times): "quarter", "dotted quarter",
 *  "eighth"; of the denominator beat: "quarter" or "eighth"; of the felt
 *  beat: "quarter", "dotted quarter", or "grouped eighths (2+2+3)" in 7/8. */
const char *mg_ts_beat_unit(mg_ts ts);
const char *mg_ts_den_unit(mg_ts ts);
const char *mg_ts_felt_unit(mg_ts ts);
/* Ticks of one denominator note (480 for x/4, 240 for x/8). */
uint32_t mg_ts_den_ticks(mg_ts ts);
/* The felt beats of one bar: writes their offsets from the bar start into
 * off (at most 12) and returns their count. 7/8 groups 2+2+3 eighths. */
int mg_ts_felt_beats(mg_ts ts, uint32_t off[12]);

/* Map a straight tick to its swung position: within each swing cell the
 * first half is stretched to `swing` of the cell, the second half squeezed
 * into the rest. Cell boundaries (hence beats) never move. */
uint32_t mg_swing_tick(uint32_t tick, uint32_t part_start, uint32_t cell,
                       double swing);

/* The swing acting in a part: the song's swing in x/4, 0.5 (straight) in
 * the x/8 metres: in 6/8 and 12/8 the eighths are already the beat's
 * ternary division, and 7/8 is counted and grouped in eighths, so neither
 * has a swung pair to play (their drum patterns and melodies move in
 * eighths). */
double mg_part_swing(const mg_song *s, const mg_part *p);
/* The swing recorded for the song: that of its main time signature. */
double mg_song_swing(const mg_song *s);
/* Microseconds per quarter in force at tick. */
uint32_t mg_song_us_at(const mg_song *s, uint32_t tick);
double mg_song_seconds(const mg_song *s, uint32_t tick);
double mg_song_duration(const mg_song *s);

void mg_song_init(mg_song *s);                   /* zeroed, empty tracks */
void mg_song_free(mg_song *s);                   /* frees track storage */
void mg_song_reset_tracks(mg_song *s);           /* keeps capacity */
/* Append a note; returns -1 only on allocation failure. */
int mg_track_add(mg_track *t, uint32_t tick, uint32_t dur, int pitch,
                 int vel);
/* Sort every track by (tick, pitch) and clamp durations to the song end. */
void mg_song_finish(mg_song *s);

#endif
