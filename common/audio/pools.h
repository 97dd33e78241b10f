/*
 * pools — the soundfont registry (sf/registry.json plus fonts dropped into
 * sf/<layer>/), the run's choice of fonts (`--fonts`), the licence gate
 * (`--accept-license`) and the per-sample draw of a font and preset for
 * each layer.
 *
 * A registry entry carries the font's licence, licence class (permissive,
 * attribution, copyleft, unknown), copyright and attribution text, its
 * Debian package, whether it is in the default selection, its layers,
 * tags and weight. A font whose class is not "permissive" is opt-in: a
 * selection that includes one is refused unless the licence is accepted.
 *
 * Invariants: a pool holds only fonts that exist and parse, and the beat
 * pool only fonts with a drum kit; the draw depends only on the pools,
 * the song's programs, the genre's tags and the sample's "soundfonts"
 * stream (never on what is installed beyond the pools, nor on whether the
 * run renders), so a midi-only run records the same fonts and presets as
 * a full one.
 */
#ifndef MG_POOLS_H
#define MG_POOLS_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "sfont.h"
#include "song.h"

#define MG_POOLS_MAX 64
#define MG_FONT_MAX_TAGS 64
#define MG_FONT_MAX_KITS 128    /* every program of bank 128 */
#define MG_FONT_MAX_WEIGHT 1e6     /* a registry font's weight */

typedef struct {
    char name[64];
    char path[1024];        /* as the registry or the directory gives it */
    char file[1024];        /* resolved path */
    char license[64];       /* SPDX-like id, "unknown" when none given */
    char license_class[16]; /* permissive | attribution | copyleft | unknown */
    char license_url[256];
    char debian_package[64];
    char *copyright;        /* may be NULL */
    char *attribution;      /* the text a dataset must carry; may be NULL */
    char *note;
    double size_mb;         /* installed size, as the registry states */
    bool is_default;        /* in the "default" selection */
    bool opt_in;            /* licence class is not permissive */
    bool selected;          /* in this run's pools */
    unsigned layers;        /* bit per mg_layer */
    int ntags;
    char tags[MG_FONT_MAX_TAGS][32];
    double weight;
    /* read from the file for selected fonts */
    int version;            /* SoundFont major version: 2, or 3 (SF3) */
    int npresets;
    mg_sf_preset *presets;
    int nkits;              /* drum kits: bank 128, or the registry's */
    int kit[MG_FONT_MAX_KITS][2];
} mg_font_info;

typedef struct mg_pools mg_pools;

/* The registry of sf_dir and the fonts dropped into sf_dir/<layer>/
 * (with an optional NAME.sf2.json beside each giving its licence), the
 * selection `select` (comma-separated font names, "default", "all"; NULL
 * or "" = "default") checked (files exist and parse, pools non-empty,
 * beat fonts have a kit) and gated: an opt-in font in it without
 * accept_license is refused with one line naming it and its licence. */
mg_pools *mg_pools_load(const char *sf_dir, const char *select,
                        bool accept_license, char *err, size_t errlen);
/* The registry alone (nothing selected or checked): for listing and
 * licence lookups. */
mg_pools *mg_pools_registry(const char *sf_dir, char *err, size_t errlen);
/* For such a listing: -1 (err) when a name in select is no keyword nor a
 * font of p; whether select puts f (a font of sf_dir) in the pools. */
int mg_pools_check_selection(const mg_pools *p, const char *select,
                             char *err, size_t errlen);
bool mg_pools_selects(const char *sf_dir, const char *select,
                      const mg_font_info *f);
void mg_pools_destroy(mg_pools **p);

int mg_pools_count(const mg_pools *p);
const mg_font_info *mg_pools_font(const mg_pools *p, int i);
int mg_pools_find(const mg_pools *p, const char *name);  /* -1: none */
/* The indices (into mg_pools_font) of layer l's pool. */
int mg_pools_layer(const mg_pools *p, int l, const int **idx);

/* The opt-in fonts of the pools, one line for the start of a run
 * ("licence: the pools include TimGM6mb (GPL-2.0, copyleft), ..."), or
 * an empty string when there are none. Returns how many. */
int mg_pools_notice(const mg_pools *p, char *buf, size_t n);

typedef struct {
    int font;               /* index into mg_pools_font */
    int bank, program;      /* the preset that plays */
    const char *preset;     /* its own name (borrowed) */
    const char *gm_class;   /* Slakh-style instrument class */
} mg_font_draw;

/* Draw layer l's font from its pool with weight x (1 + genre tags the font
 * carries), among the fonts that have the asked program (drums: any kit),
 * and resolve the preset that plays. */
void mg_pools_draw(const mg_pools *p, int l, int program,
                   const char (*tags)[32], int ntags, mg_rng *rng,
                   mg_font_draw *d);

/* The General MIDI instrument class of a preset, in Slakh2100's names
 * ("Piano", "Chromatic Percussion", ..., "Drums" for bank 128). */
const char *mg_gm_class(int bank, int program, bool drums);

#endif
