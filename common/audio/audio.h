/*
 * audio — everything after the MIDI: soundfont pools, in-process
 * libfluidsynth rendering of the four stems, per-layer FX, the mix, WAV
 * files through libsndfile, and the audio half of the musicality score.
 *
 * An mg_audio is made once per process: it loads every soundfont of the
 * pools once and keeps one synthesizer per font, reused for every sample.
 * In midi-only mode it is made with render = false: it still draws and
 * records soundfonts and FX (sample.json is complete in every mode) but
 * loads nothing and writes no audio.
 */
#ifndef MG_AUDIO_H
#define MG_AUDIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "genre.h"
#include "rng.h"
#include "song.h"

typedef struct mg_audio mg_audio;

/* Validates the pools (an empty pool or unreadable font is an error naming
 * it) before any work starts. */
mg_audio *mg_audio_new(const mg_config *c, const mg_genre *g, bool render,
                       char *err, size_t errlen);
void mg_audio_destroy(mg_audio **a);

/* Draw soundfonts/FX/mix parameters from their streams, render if this
 * mg_audio renders, write the WAVs the output mode asks for into dir (a
 * temporary sample directory: mix.wav, stems/<layer>.wav) or, when dir is
 * NULL, into memory (mg_audio_take_wav: the same bytes), and add the
 * audio facts to annot (soundfonts, fx, levels, sample_rate, offset,
 * score components). *score receives the audio score in [0, 1], or -1 when
 * nothing was rendered. Returns 0; -1 when this sample cannot be made
 * (a song too long or empty, stems that do not sum to the mix, a preset
 * missing: another attempt may succeed); or -2 on an I/O or memory
 * failure, errno saying which (the caller tells output faults from
 * failed samples by it: errno means nothing after -1). err says why
 * (never starting "audio: ": the caller names the stage it failed in). */
int mg_audio_render(mg_audio *a, const mg_song *s, mg_rng *sf_rng,
                    mg_rng *fx_rng, mg_rng *mix_rng, const char *dir,
                    json_t *annot, double *score, char *err, size_t errlen);

/* After a render into memory (dir NULL): the bytes of WAV `which` (a
 * layer's stem, or MG_NLAYERS for the mix), exactly the file the render
 * would have written; the caller owns them (free). NULL with *len 0 when
 * the last render made no such WAV (output mode, midi-only, failure).
 * *cap (cap may be NULL) receives the buffer's capacity (>= *len). */
unsigned char *mg_audio_take_wav(mg_audio *a, int which, size_t *len,
                                 size_t *cap);
/* Hand back a buffer that mg_audio_take_wav gave (cap: its capacity, as
 * it said): the next render into memory writes WAV `which` into it
 * instead of fresh memory (fresh memory costs a page fault per page).
 * Freed instead when a holds a larger one already. */
void mg_audio_give_wav(mg_audio *a, int which, unsigned char *mem,
                       size_t cap);

/* A render into memory may put its audio as float32 samples where the
 * caller says instead of WAV bytes (for a consumer that wants samples,
 * not files): MG_NLAYERS + 1 tracks (stems in layer order, then the mix)
 * of channels x frames floats each, channel after channel (planar).
 * With fd >= 0, into that file: truncated to the tracks' size once the
 * song's length is known (at each attempt that renders), then written
 * with pwrite a block at a time (no page of it is mapped here: on a
 * virtual machine a fresh mapped page costs far more than the kernel's
 * copy); a write error is an I/O fault (EIO), never a re-rolled sample.
 * Else alloc(user, frames, channels) is called at that point and returns
 * the memory (NULL fails the render, ENOMEM). Each value is the WAV's
 * sample as a float: x / 32768 (pcm16), x / 8388608 (pcm24), the float
 * itself (float); tracks the output mode makes no WAV for are not
 * written (a truncated file reads zeros there). With hash, every WAV's
 * bytes are still streamed through libsndfile into SHA-256 (kept for
 * sample.json) but nowhere stored; without, no WAV is encoded at all. */
typedef float *(*mg_audio_f32_fn)(void *user, size_t frames, int channels);
typedef struct {
    mg_audio_f32_fn alloc;
    void *user;
    int fd;
    bool hash;
} mg_audio_sink;
/* The sink of the next renders into memory (NULL: WAV bytes, the
 * default); sink must outlive them. */
void mg_audio_set_sink(mg_audio *a, const mg_audio_sink *sink);

/* The process-wide settings a program that writes samples wants, which
 * the library never makes on its own (they belong to the program): a
 * file-size limit (RLIMIT_FSIZE) surfaces as a write error (EFBIG, an
 * output fault the engine reports and cleans up after) instead of SIGXFSZ
 * killing the process with a half-written sample (SIGXFSZ ignored, only
 * where it has its default action), and FluidSynth's process-global
 * logger is silenced (the engine reports its own errors). The musicgen
 * executable calls it first thing. */
void mg_audio_process_setup(void);

/* "2.3.1" - the libfluidsynth version linked at run time. */
const char *mg_audio_synth_version(void);
/* SHA-256 hex over the font selection and the sorted (path, file
 * SHA-256) list of the data files and of every soundfont in the run's
 * pools (c->sf_dir, c->fonts, c->accept_license); computed once and
 * cached by the caller; the fonts' hashes are cached in c->cache_dir
 * ("" = none: every call reads the fonts). */
int mg_audio_pools_hash(const mg_config *c, char out[65], char *err,
                        size_t errlen);

#endif
