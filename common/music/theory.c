/*
 * theory — pitch classes, keys, scales and the chord vocabulary (see
 * theory.h). Everything here is a constant fact of tonal music; there is no
 * state. The chord table is indexed by mg_chord_type and must stay in the
 * enum's order.
 *
 * Harte labels follow Harte et al. (ISMIR 2005): "root:shorthand/bass",
 * where the bass is written as a degree of the chord ("/3", "/b7"), and a
 * chord with no shorthand is written as a component list ("(1,5)").
 */
#include "theory.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const mg_chord_info chord_table[MG_NCHORDTYPES] = {
    [MG_CH_MAJ] = {"maj", "maj", "", MG_FAM_MAJOR, 3, {0, 4, 7},
                   {"1", "3", "5"}},
    [MG_CH_MIN] = {"min", "min", "m", MG_FAM_MINOR, 3, {0, 3, 7},
                   {"1", "b3", "5"}},
    [MG_CH_DIM] = {"dim", "dim", "dim", MG_FAM_DIM, 3, {0, 3, 6},
                   {"1", "b3", "b5"}},
    [MG_CH_AUG] = {"aug", "aug", "aug", MG_FAM_AUG, 3, {0, 4, 8},
                   {"1", "3", "#5"}},
    [MG_CH_SUS2] = {"sus2", "sus2", "sus2", MG_FAM_SUS, 3, {0, 2, 7},
                    {"1", "2", "5"}},
    [MG_CH_SUS4] = {"sus4", "sus4", "sus4", MG_FAM_SUS, 3, {0, 5, 7},
                    {"1", "4", "5"}},
    [MG_CH_POWER] = {"power", "(1,5)", "5", MG_FAM_SUS, 2, {0, 7},
                     {"1", "5"}},
    [MG_CH_MAJ6] = {"6", "maj6", "6", MG_FAM_MAJOR, 4, {0, 4, 7, 9},
                    {"1", "3", "5", "6"}},
    [MG_CH_MIN6] = {"m6", "min6", "m6", MG_FAM_MINOR, 4, {0, 3, 7, 9},
                    {"1", "b3", "5", "6"}},
    [MG_CH_MAJ7] = {"maj7", "maj7", "maj7", MG_FAM_MAJOR, 4, {0, 4, 7, 11},
                    {"1", "3", "5", "7"}},
    [MG_CH_MIN7] = {"m7", "min7", "m7", MG_FAM_MINOR, 4, {0, 3, 7, 10},
                    {"1", "b3", "5", "b7"}},
    [MG_CH_DOM7] = {"dom7", "7", "7", MG_FAM_MAJOR, 4, {0, 4, 7, 10},
                    {"1", "3", "5", "b7"}},
    [MG_CH_HDIM7] = {"m7b5", "hdim7", "m7b5", MG_FAM_DIM, 4, {0, 3, 6, 10},
                     {"1", "b3", "b5", "b7"}},
    [MG_CH_DIM7] = {"dim7", "dim7", "dim7", MG_FAM_DIM, 4, {0, 3, 6, 9},
                    {"1", "b3", "b5", "bb7"}},
    [MG_CH_MINMAJ7] = {"mmaj7", "minmaj7", "m(maj7)", MG_FAM_MINOR, 4,
                       {0, 3, 7, 11}, {"1", "b3", "5", "7"}},
    [MG_CH_7SUS4] = {"7sus4", "sus4(b7)", "7sus4", MG_FAM_SUS, 4,
                     {0, 5, 7, 10}, {"1", "4", "5", "b7"}},
    [MG_CH_ADD9] = {"add9", "maj(9)", "add9", MG_FAM_MAJOR, 4,
                    {0, 4, 7, 14}, {"1", "3", "5", "9"}},
    [MG_CH_MADD9] = {"madd9", "min(9)", "madd9", MG_FAM_MINOR, 4,
                     {0, 3, 7, 14}, {"1", "b3", "5", "9"}},
    [MG_CH_MAJ9] = {"maj9", "maj9", "maj9", MG_FAM_MAJOR, 5,
                    {0, 4, 7, 11, 14}, {"1", "3", "5", "7", "9"}},
    [MG_CH_MIN9] = {"m9", "min9", "m9", MG_FAM_MINOR, 5, {0, 3, 7, 10, 14},
                    {"1", "b3", "5", "b7", "9"}},
    [MG_CH_DOM9] = {"dom9", "9", "9", MG_FAM_MAJOR, 5, {0, 4, 7, 10, 14},
                    {"1", "3", "5", "b7", "9"}},
};

/* Aliases accepted in genre files besides the canonical names. Matched
 * case-sensitively first ("M7" is not "m7"), then case-insensitively. */
static const struct {
    const char *alias;
    mg_chord_type type;
} chord_aliases[] = {
    {"", MG_CH_MAJ},          {"M", MG_CH_MAJ},
    {"major", MG_CH_MAJ},     {"m", MG_CH_MIN},
    {"minor", MG_CH_MIN},     {"diminished", MG_CH_DIM},
    {"o", MG_CH_DIM},         {"augmented", MG_CH_AUG},
    {"+", MG_CH_AUG},         {"5", MG_CH_POWER},
    {"(1,5)", MG_CH_POWER},   {"maj6", MG_CH_MAJ6},
    {"min6", MG_CH_MIN6},     {"M7", MG_CH_MAJ7},
    {"min7", MG_CH_MIN7},     {"7", MG_CH_DOM7},
    {"hdim7", MG_CH_HDIM7},   {"hdim", MG_CH_HDIM7},
    {"o7", MG_CH_DIM7},       {"minmaj7", MG_CH_MINMAJ7},
    {"m(maj7)", MG_CH_MINMAJ7}, {"mM7", MG_CH_MINMAJ7},
    {"sus4(b7)", MG_CH_7SUS4}, {"maj(9)", MG_CH_ADD9},
    {"min(9)", MG_CH_MADD9},  {"minadd9", MG_CH_MADD9},
    {"min9", MG_CH_MIN9},     {"9", MG_CH_DOM9},
    {"M9", MG_CH_MAJ9},       {"dominant7", MG_CH_DOM7},
    {"dominant9", MG_CH_DOM9},
};

static const char *const pc_names[12] = {"C",  "C#", "D",  "D#",
                                         "E",  "F",  "F#", "G",
                                         "G#", "A",  "A#", "B"};

static const int scale_major[7] = {0, 2, 4, 5, 7, 9, 11};
static const int scale_minor[7] = {0, 2, 3, 5, 7, 8, 10};

static const mg_family fam_major[7] = {MG_FAM_MAJOR, MG_FAM_MINOR,
                                       MG_FAM_MINOR, MG_FAM_MAJOR,
                                       MG_FAM_MAJOR, MG_FAM_MINOR,
                                       MG_FAM_DIM};
static const mg_family fam_minor[7] = {MG_FAM_MINOR, MG_FAM_DIM,
                                       MG_FAM_MAJOR, MG_FAM_MINOR,
                                       MG_FAM_MINOR, MG_FAM_MAJOR,
                                       MG_FAM_MAJOR};

/* Krumhansl & Kessler (1982) probe-tone ratings. */
const double mg_kk_major[12] = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                2.52, 5.19, 2.37, 3.66, 2.29, 2.88};
const double mg_kk_minor[12] = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                2.54, 4.75, 3.98, 2.69, 3.34, 3.17};

const mg_chord_info *
mg_chord_info_of(mg_chord_type t)
{
    if ((int)t < 0 || t >= MG_NCHORDTYPES)
        return NULL;
    return &chord_table[t];
}

int
mg_chord_type_from_name(const char *name)
{
    size_t i;

    if (!name)
        return -1;
    for (i = 0; i < MG_NCHORDTYPES; i++)
        if (strcmp(name, chord_table[i].name) == 0)
            return (int)i;
    for (i = 0; i < sizeof chord_aliases / sizeof chord_aliases[0]; i++)
        if (strcmp(name, chord_aliases[i].alias) == 0)
            return (int)chord_aliases[i].type;
    /* Case-insensitive pass only for names longer than one character, so
     * that "M"/"m" keep their distinct meanings. */
    if (strlen(name) < 2)
        return -1;
    for (i = 0; i < MG_NCHORDTYPES; i++)
        if (strcasecmp(name, chord_table[i].name) == 0)
            return (int)i;
    for (i = 0; i < sizeof chord_aliases / sizeof chord_aliases[0]; i++)
        if (strlen(chord_aliases[i].alias) > 2 &&
            strcasecmp(name, chord_aliases[i].alias) == 0)
            return (int)chord_aliases[i].type;
    return -1;
}

const char *
mg_pc_name(int pc)
{
    return pc_names[((pc % 12) + 12) % 12];
}

/* Parse a note letter with accidentals at *p; advances *p. */
static int
parse_pc(const char **p)
{
    static const int letter_pc[7] = {9, 11, 0, 2, 4, 5, 7}; /* A..G */
    const char *s = *p;
    int c, pc;

    c = toupper((unsigned char)*s);
    if (c < 'A' || c > 'G')
        return -1;
    pc = letter_pc[c - 'A'];
    s++;
    for (;;) {
        if (*s == '#') {
            pc++;
        } else if (*s == 'b') {
            pc--;
        } else if (strncmp(s, "\xe2\x99\xaf", 3) == 0) { /* U+266F sharp */
            pc++;
            s += 2;
        } else if (strncmp(s, "\xe2\x99\xad", 3) == 0) { /* U+266D flat */
            pc--;
            s += 2;
        } else {
            break;
        }
        s++;
    }
    *p = s;
    return ((pc % 12) + 12) % 12;
}

int
mg_pc_from_name(const char *name)
{
    const char *p = name;
    int pc;

    if (!name)
        return -1;
    pc = parse_pc(&p);
    if (pc < 0 || *p != '\0')
        return -1;
    return pc;
}

const char *
mg_mode_name(mg_mode m)
{
    return m == MG_MODE_MINOR ? "minor" : "major";
}

int
mg_key_parse(const char *name, int *pc, mg_mode *mode)
{
    const char *p = name;
    int k;

    if (!name)
        return -1;
    k = parse_pc(&p);
    if (k < 0)
        return -1;
    while (*p == ' ' || *p == '_' || *p == ':' || *p == '-')
        p++;
    if (*p == '\0' || strcmp(p, "M") == 0 || strcasecmp(p, "maj") == 0 ||
        strcasecmp(p, "major") == 0) {
        *mode = MG_MODE_MAJOR;
    } else if (strcmp(p, "m") == 0 || strcasecmp(p, "min") == 0 ||
               strcasecmp(p, "minor") == 0) {
        *mode = MG_MODE_MINOR;
    } else {
        return -1;
    }
    *pc = k;
    return 0;
}

const int *
mg_scale(mg_mode m)
{
    return m == MG_MODE_MINOR ? scale_minor : scale_major;
}

mg_family
mg_degree_family(mg_mode m, int degree)
{
    degree = ((degree % 7) + 7) % 7;
    return m == MG_MODE_MINOR ? fam_minor[degree] : fam_major[degree];
}

bool
mg_pc_in_scale(int pc, int tonic_pc, mg_mode m)
{
    /* Bit k set when k semitones above the tonic is in the scale. */
    static const unsigned mask[MG_NMODES] = {
        0xAB5, /* major: 0 2 4 5 7 9 11 */
        0x5AD, /* natural minor: 0 2 3 5 7 8 10 */
    };
    int rel = (((pc - tonic_pc) % 12) + 12) % 12;
    return (unsigned)m < MG_NMODES && (mask[m] >> rel) & 1u;
}

/* Inversions beyond the chord's tones fall back to root position, so a
 * label is always well-formed whatever the caller passes. */
static int
clamp_inversion(const mg_chord_info *ci, int inversion)
{
    if (inversion < 0 || inversion >= ci->ntones)
        return 0;
    return inversion;
}

void
mg_chord_harte(char *buf, size_t n, int root_pc, mg_chord_type t,
               int inversion)
{
    const mg_chord_info *ci = mg_chord_info_of(t);
    int inv;

    if (!ci) {
        snprintf(buf, n, "N");
        return;
    }
    inv = clamp_inversion(ci, inversion);
    if (inv == 0)
        snprintf(buf, n, "%s:%s", mg_pc_name(root_pc), ci->harte);
    else
        snprintf(buf, n, "%s:%s/%s", mg_pc_name(root_pc), ci->harte,
                 ci->degree[inv]);
}

void
mg_chord_symbol(char *buf, size_t n, int root_pc, mg_chord_type t,
                int inversion)
{
    const mg_chord_info *ci = mg_chord_info_of(t);
    int inv;

    if (!ci) {
        snprintf(buf, n, "N.C.");
        return;
    }
    inv = clamp_inversion(ci, inversion);
    if (inv == 0)
        snprintf(buf, n, "%s%s", mg_pc_name(root_pc), ci->suffix);
    else
        snprintf(buf, n, "%s%s/%s", mg_pc_name(root_pc), ci->suffix,
                 mg_pc_name(root_pc + ci->interval[inv]));
}
