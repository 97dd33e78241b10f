/*
 * engine — turns (global_seed, index, run config) into one finished sample
 * directory and a manifest row. This is the only entry point the daemons
 * use; it knows nothing of ZeroMQ or SQLite.
 *
 * Per process: mg_engine_new loads the genre data once and the soundfonts
 * once. Per sample, mg_engine_run: seed -> params -> generators -> layer-1
 * check (re-roll under the gate) -> MIDI -> audio -> sample.json, all in a
 * hidden temporary directory beside the final one, renamed into place at
 * the end (sample.json written last inside it). A sample whose sample.json
 * already exists is skipped and its row rebuilt from that file.
 */
#ifndef MG_ENGINE_H
#define MG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audio.h"
#include "config.h"
#include "midi.h"
#include "seed.h"

#define MG_ENGINE_VERSION "0.3.0"
/* The longest song the engine can make, in seconds: 12 parts (song.h
 * MG_MAX_PARTS) of 64 bars (the genre and --measures-per-part limit) of
 * at most 6 quarter notes (12/8) at the slowest tempo, 20 bpm, is
 * 18432 s; the coordinator refuses a row reporting more than this. */
#define MG_ENGINE_MAX_DURATION_S 20000.0

typedef enum { MG_ROW_OK, MG_ROW_FAILED } mg_row_status;

/* One manifest row: what a worker reports and the ledger stores. */
typedef struct {
    uint64_t index;
    uint64_t seed;          /* sample seed (attempt 1) */
    mg_row_status status;
    mg_split split;
    char path[64];          /* relative to the run root */
    double score;           /* musicality_score */
    double duration;        /* seconds */
    int attempt;
    bool skipped;           /* already complete on disk */
    char error[256];        /* why, when failed */
} mg_row;

typedef struct {
    char engine_version[32];
    char genres_hash[65];
    char soundfonts_hash[65]; /* "" in midi-only runs */
    char synth_version[32];
} mg_fingerprint;

typedef struct mg_engine mg_engine;

/* Whether a parsed sample.json was made by a run of config c and
 * fingerprint fp for the sample seed `seed`, as far as sample.json
 * records it: genres (in order), output_mode,
 * split, genres_hash, musicgen_version, the bars of every part kind that
 * --measures-per-part sets and, in modes with audio, audio_format and
 * sample_rate. 0, or -1 with what differs in why ("its
 * genre_key is 'jazz', this run's 'rock'"). The seed itself is the
 * caller's to compare (it may exceed 2^63). */
struct json_t;
int mg_sample_of_run(const struct json_t *j, const mg_config *c,
                     const mg_fingerprint *fp, uint64_t seed, char *why,
                     size_t n);

mg_engine *mg_engine_new(const mg_config *c, char *err, size_t errlen);
void mg_engine_destroy(mg_engine **e);
/* Produce sample `index`. Returns 0 with row filled (status may be
 * FAILED, with row->error: the sample could not be made, e.g. the gate
 * rejected every attempt); -1 on a fault that will hit every sample
 * (output not writable, disk full) with err set. */
int mg_engine_run(mg_engine *e, uint64_t index, mg_row *row, char *err,
                  size_t errlen);
/* The same under another root and global seed than the config's (one
 * engine serves any seed: the seed decides no loaded state). */
int mg_engine_run_at(mg_engine *e, const char *root, int64_t global_seed,
                     uint64_t index, mg_row *row, char *err, size_t errlen);

/* One sample made in memory: the bytes its directory would hold. */
typedef struct {
    mg_row row;                         /* path: where it would go */
    mg_buf midi[MG_NLAYERS];            /* midi/<layer>.mid */
    unsigned char *wav[MG_NLAYERS + 1]; /* stems/<layer>.wav, mix.wav;
                                         * NULL where the mode has none */
    size_t wav_len[MG_NLAYERS + 1];
    size_t wav_cap[MG_NLAYERS + 1];     /* their capacities */
    char *json;                         /* sample.json */
    size_t json_len;
} mg_sample_mem;

/* Make sample (global_seed, index) in memory; nothing touches the disk.
 * Returns 0 with m->row filled: OK with every buffer, or FAILED (row
 * error, no buffers); -1 on a fault (out of memory) with err. The caller
 * frees m with mg_sample_mem_free, whatever the result. An engine made
 * with an empty out_dir serves only this call. */
int mg_engine_make(mg_engine *e, int64_t global_seed, uint64_t index,
                   mg_sample_mem *m, char *err, size_t errlen);
void mg_sample_mem_free(mg_sample_mem *m);
/* mg_engine_make with the audio as float32 samples in the memory sink's
 * alloc gives (audio.h, mg_audio_sink) instead of WAV bytes: m holds no
 * WAV. sample.json is the same text, except that without sink->hash its
 * "checksums" list no WAV (the MIDIs' only). */
int mg_engine_make_f32(mg_engine *e, int64_t global_seed, uint64_t index,
                       const mg_audio_sink *sink, mg_sample_mem *m,
                       char *err, size_t errlen);
/* Free m like mg_sample_mem_free, handing its WAV buffers back to e: the
 * next sample e makes in memory is written into them, not into fresh
 * memory (a loop that makes, reads and drops samples takes no page fault
 * for them after the first). Same thread rules as mg_engine_make. */
void mg_engine_recycle(mg_engine *e, mg_sample_mem *m);
const mg_fingerprint *mg_engine_fingerprint(const mg_engine *e);

/* Fingerprint of this machine's data for config c, without an engine. */
int mg_fingerprint_compute(const mg_config *c, mg_fingerprint *fp, char *err,
                           size_t errlen);
/* -1, with err saying that what ("the ledger L holds a run", "DIR holds
 * a sample") was made by musicgen made_by, not this one: finished by
 * that version, or made again with other ("another --out"). No option
 * of this build resumes it; one wording for the ledger, the tree and
 * its samples. */
int mg_version_refusal(char *err, size_t errlen, const char *what,
                       const char *made_by, const char *other);
/* 0 when equal; else -1 and `why` names each field that differs. */
int mg_fingerprint_compare(const mg_fingerprint *a, const mg_fingerprint *b,
                           char *why, size_t n);

/* One manifest.jsonl line (no newline) for row, with wrote_at as given
 * (RFC 3339 UTC). Keys sorted. Returns length or -1. */
int mg_row_jsonl(const mg_row *row, const char *wrote_at, char *buf,
                 size_t n);

#endif
