/*
 * sfont — what a soundfont file holds, read without a synthesizer: its
 * preset table (bank, program, the preset's own name) from the pdta/phdr
 * chunk, so a midi-only run records the same presets as a rendering one;
 * and the one-time expansion of a compressed SoundFont 3 file (Ogg Vorbis
 * samples, as Debian's MuseScore fonts ship) into a plain SF2 in the
 * cache, so a process loads it in the time of a file read instead of
 * decoding every sample at each start.
 *
 * Invariants: readers never trust sizes in the file (every chunk is
 * bounded by its parent and the file); the expanded file appears in the
 * cache only complete (temporary file + rename) and is keyed by the
 * source's path, size and mtime and the codec's version.
 */
#ifndef MG_SFONT_H
#define MG_SFONT_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    int bank, program;
    char name[21];
} mg_sf_preset;

/* The presets of an open SF2/SF3 stream, sorted by (bank, program).
 * *presets is malloc'ed (caller frees), *version the ifil major (2 or 3).
 * Returns 0, or -1 with a one-line err naming `what`. */
int mg_sfont_read_presets(FILE *fp, const char *what, mg_sf_preset **presets,
                          int *n, int *version, char *err, size_t errlen);
/* The same, from a path. */
int mg_sfont_presets(const char *path, mg_sf_preset **presets, int *n,
                     int *version, char *err, size_t errlen);

/* A plain SF2 with the samples of SF3 file `path` decoded, in the cache
 * directory ($MUSICGEN_SF2_CACHE, else $XDG_CACHE_HOME/musicgen/sf2 or
 * ~/.cache/musicgen/sf2), made on first use. Its path goes to out. Returns 0 or -1 with err. */
int mg_sfont_expand(const char *path, char *out, size_t outlen, char *err,
                    size_t errlen);

/* The cache directory above (made if missing) into buf: 0, or -1 with
 * errno. */
int mg_sfont_cache_dir(char *buf, size_t n);

#endif
