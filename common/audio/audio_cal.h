/*
 * audio_cal — the synthesizer's pre-roll per soundfont: how many frames
 * after a note-on event its sound reaches the onset threshold. It is a
 * property of libfluidsynth and the font (attack of the samples, block
 * size), measured offline by rendering probe notes, so it is deterministic;
 * the result is cached per machine, synthesizer version, sample rate and
 * font file in the configured cache directory (config "cache-dir"; the
 * executable's default is $XDG_CACHE_HOME/musicgen or ~/.cache/musicgen,
 * the library's is none: a library writes no file its caller did not
 * name). Every cache function takes that directory; "" means no cache
 * (get misses, put does nothing or says so).
 */
#ifndef MG_AUDIO_CAL_H
#define MG_AUDIO_CAL_H

#include <fluidsynth.h>
#include <stdio.h>
#include <stddef.h>

#include "config.h"

/* Onset threshold relative to the probe note's peak. */
#define MG_CAL_THRESHOLD 0.1

/* Measure with a synth that has the font loaded as sfid; the synth is
 * reset before and after. Returns 0 and the pre-roll in frames, or -1. */
int mg_cal_measure(fluid_synth_t *synth, int sfid, int rate, int *frames,
                   char *err, size_t errlen);

/* The cache key of (font path, rate): hostname, synth version, rate, path,
 * file size and mtime. Returns -1 when the font cannot be stat'ed. */
int mg_cal_key(const char *font_path, int rate, char *key, size_t n);
/* The executable's default cache directory: $XDG_CACHE_HOME/musicgen,
 * else $HOME/.cache/musicgen. */
void mg_cal_default_cache_dir(char *buf, size_t n);
/* Path of the cache file in cache_dir (directories are not created);
 * -1 when cache_dir is "" (no cache). */
int mg_cal_cache_path(const char *cache_dir, char *buf, size_t n);
/* 0 and *frames when the key is cached, else -1. */
int mg_cal_cache_get(const char *cache_dir, const char *key, int *frames);
/* Store (atomically: temp file + rename). Returns 0 or -1 with err. */
int mg_cal_cache_put(const char *cache_dir, const char *key, int frames,
                     char *err, size_t errlen);

/* The SHA-256 of a file's bytes, cached in the same file (table
 * "sha256") by path, device, inode, size and mtime, so the fingerprint
 * does not read the 141 MB font in every process. get: 0 and hex when
 * cached; put: best effort (a read-only cache directory is not an
 * error). */
int mg_cal_hash_get(const char *cache_dir, const char *file, char hex[65]);
void mg_cal_hash_put(const char *cache_dir, const char *file,
                     const char *hex);

/* `musicgen calibrate`: load every font of c->sf_dir's pools, measure its
 * pre-roll at c->sample_rate (ignoring the cache), store it in the cache
 * and print one line per font to report. Defined in audio_fonts.c,
 * which loads the fonts. Returns 0 or -1 with err. */
int mg_audio_calibrate(const mg_config *c, FILE *report, char *err,
                       size_t errlen);

#endif
