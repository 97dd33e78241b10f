/*
 * theory — pitch classes, keys, scales and the chord vocabulary.
 *
 * These are facts of tonal music, not tunable data, so they live in code:
 * interval sets of each chord type, its Harte (MIR) shorthand, its
 * conventional symbol suffix and the triad family it belongs to. Anything a
 * user might want to tune (how often a type is used) is genre data.
 *
 * Pitch spelling is sharps throughout (C C# D D# E F F# G G# A A# B), the
 * Python tool's convention, in key names, symbols and Harte labels alike.
 */
#ifndef MG_THEORY_H
#define MG_THEORY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { MG_MODE_MAJOR, MG_MODE_MINOR, MG_NMODES } mg_mode;

/* Triad family a chord type extends; used to fit a type to a degree. */
typedef enum { MG_FAM_MAJOR, MG_FAM_MINOR, MG_FAM_DIM, MG_FAM_AUG,
               MG_FAM_SUS } mg_family;

typedef enum {
    MG_CH_MAJ, MG_CH_MIN, MG_CH_DIM, MG_CH_AUG, MG_CH_SUS2, MG_CH_SUS4,
    MG_CH_POWER, MG_CH_MAJ6, MG_CH_MIN6, MG_CH_MAJ7, MG_CH_MIN7, MG_CH_DOM7,
    MG_CH_HDIM7, MG_CH_DIM7, MG_CH_MINMAJ7, MG_CH_7SUS4, MG_CH_ADD9,
    MG_CH_MADD9, MG_CH_MAJ9, MG_CH_MIN9, MG_CH_DOM9,
    MG_NCHORDTYPES
} mg_chord_type;

typedef struct {
    const char *name;   /* genre-file name: "maj", "m7", "dom7", "m7b5" ... */
    const char *harte;  /* Harte shorthand or component list: "maj7", "(1,5)" */
    const char *suffix; /* symbol suffix: "" "m" "maj7" "7" "m7b5" ... */
    mg_family family;
    int ntones;
    int interval[6];    /* semitones above the root, ascending */
    const char *degree[6]; /* Harte degree of each tone: "1" "b3" "5" ... */
} mg_chord_info;

const mg_chord_info *mg_chord_info_of(mg_chord_type t);
/* Genre-file name -> type; also accepts common aliases ("min7" for "m7",
 * "7" for "dom7", "hdim7" for "m7b5"). Returns -1 when unknown. */
int mg_chord_type_from_name(const char *name);

const char *mg_pc_name(int pc);              /* 0..11 -> "C".."B" */
int mg_pc_from_name(const char *name);       /* "C#", "Db" ... -> pc or -1 */
const char *mg_mode_name(mg_mode m);         /* "major" / "minor" */
/* Key names as genre files write them: "C", "F#", "Am", "C#m". Returns 0
 * and fills pc/mode, or -1. */
int mg_key_parse(const char *name, int *pc, mg_mode *mode);
/* Semitone offsets of the 7 scale degrees (natural minor for minor). */
const int *mg_scale(mg_mode m);
/* Diatonic triad family of degree 0..6 in the mode. */
mg_family mg_degree_family(mg_mode m, int degree);
bool mg_pc_in_scale(int pc, int tonic_pc, mg_mode m);

/* Chord labels, written into caller buffers (>= 24 bytes). */
/* Harte: "C:maj7", "A:min7/b3", "G:7/5", "E:(1,5)". inversion 0 = root. */
void mg_chord_harte(char *buf, size_t n, int root_pc, mg_chord_type t,
                    int inversion);
/* Symbol: "Cmaj7", "Am7/C", "G7". */
void mg_chord_symbol(char *buf, size_t n, int root_pc, mg_chord_type t,
                     int inversion);

/* Krumhansl-Kessler probe-tone profiles, index 0 = tonic. */
extern const double mg_kk_major[12];
extern const double mg_kk_minor[12];

#endif
