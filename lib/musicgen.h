/*
 * musicgen.h — the public C API of libmusicgen, the engine of musicgen:
 * (global seed, sample index, configuration) -> one sample of a music
 * dataset (four MIDI files, four stems and a mix as WAV, sample.json),
 * byte-identical to what the `musicgen` executable writes for the same
 * seed, index and configuration.
 *
 *     #include <musicgen.h>
 *     cc prog.c $(pkg-config --cflags --libs musicgen)
 *
 * Objects. Four opaque handles, each made by a _new (or a generate call)
 * and freed by its _destroy(&p), which sets p to NULL (NULL is a no-op):
 *   musicgen_config  options by name, as on the command line and in a
 *                    config file (every option of `musicgen generate
 *                    --help`: "seed", "output-mode", "genre", ...);
 *   musicgen_engine  the loaded genre data and soundfonts (made once,
 *                    seconds; then any number of samples, milliseconds of
 *                    engine time plus the synthesis);
 *   musicgen_sample  one sample: its manifest row and, when made in
 *                    memory, the bytes of its files;
 *   musicgen_plan    the genre data alone, to tell a sample's length
 *                    before it is made (a scheduler's estimate).
 * A getter's pointer is borrowed: it stays valid until the object it came
 * from is destroyed (or, for an error string, until the next call on that
 * object). Memory the library hands over (musicgen_config_json) is freed
 * with musicgen_free.
 *
 * Errors. Functions return 0 (or a pointer) on success and -1 (or NULL)
 * on failure, with a one-line message: in the caller's err buffer where a
 * function takes one (errlen bytes, always NUL-terminated), else from
 * musicgen_config_error / musicgen_engine_error. A sample that cannot be
 * made (the quality gate rejected every attempt) is not an error: the call
 * succeeds and the sample's status is MUSICGEN_FAILED, with its reason.
 * A NULL handle, or a NULL where a call puts its result, is an error too
 * (-1 or NULL), never a crash; a getter given a NULL sample returns 0,
 * MUSICGEN_FAILED, "" or NULL, musicgen_plan_seconds of a NULL plan 0.
 *
 * Threads. No global state: objects are independent. An engine (and the
 * samples it made) must be used by one thread at a time; use one engine per
 * thread to generate in parallel - the bytes are the same as from separate
 * processes. Configs may be shared read-only between threads.
 *
 * Process-wide state. The library changes none: it installs no signal
 * handler, sets no logger, writes no cache unless the "cache-dir" option
 * names one (the executable's default is $XDG_CACHE_HOME/musicgen). A
 * program may opt in to what the executable does with
 * musicgen_process_setup().
 *
 * Determinism. Same (global_seed, index, configuration) -> byte-identical
 * MIDI and sample.json; WAV bytes identical with the same libfluidsynth
 * and soundfont files (see musicgen_engine_fingerprint).
 */
#ifndef MUSICGEN_H
#define MUSICGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(MUSICGEN_BUILDING)
#define MUSICGEN_API __attribute__((visibility("default")))
#else
#define MUSICGEN_API
#endif

/* The version of the engine (and of sample.json's musicgen_version); the
 * build refuses a header whose version differs from the engine's. */
#define MUSICGEN_VERSION_MAJOR 0
#define MUSICGEN_VERSION_MINOR 3
#define MUSICGEN_VERSION_PATCH 0
#define MUSICGEN_VERSION "0.3.0"

typedef struct musicgen_config musicgen_config;
typedef struct musicgen_engine musicgen_engine;
typedef struct musicgen_sample musicgen_sample;

/* The tracks of a sample: one stem per layer, then the mix. The layer
 * values also index the MIDI files. */
typedef enum {
    MUSICGEN_BEAT = 0,
    MUSICGEN_MELODY = 1,
    MUSICGEN_HARMONY = 2,
    MUSICGEN_BASSLINE = 3,
    MUSICGEN_MIX = 4
} musicgen_track;
#define MUSICGEN_NLAYERS 4

typedef enum { MUSICGEN_OK = 0, MUSICGEN_FAILED = 1 } musicgen_status;

/* Sample encodings of a WAV's data (the "sample-format" option). */
typedef enum {
    MUSICGEN_PCM16 = 1,     /* int16_t, little-endian */
    MUSICGEN_PCM24 = 2,     /* 3 bytes a sample, little-endian, signed */
    MUSICGEN_FLOAT32 = 3    /* float, little-endian, in [-1, 1] */
} musicgen_pcm_format;

/* The samples of one WAV, in place inside the WAV's bytes (borrowed from
 * the sample): frames x channels interleaved values. */
typedef struct {
    const void *data;
    size_t frames;
    int channels;               /* 2 */
    int sample_rate;
    musicgen_pcm_format format;
    int bytes_per_sample;       /* 2, 3 or 4 */
} musicgen_pcm;

/* ---- library ---------------------------------------------------------- */

/* MUSICGEN_VERSION of the library loaded at run time. */
MUSICGEN_API const char *musicgen_version(void);
/* The libfluidsynth version it renders with ("2.3.1"). */
MUSICGEN_API const char *musicgen_synth_version(void);
/* Frees memory the library handed over (NULL is a no-op). */
MUSICGEN_API void musicgen_free(void *p);
/* "beat", "melody", "harmony", "bassline", "mix"; NULL if out of range. */
MUSICGEN_API const char *musicgen_track_name(musicgen_track t);
/* Opt in to the executable's process-wide settings: SIGXFSZ ignored (a
 * file-size limit becomes a write error, not a killed process; only if
 * it has its default action) and FluidSynth's logger silenced. Never
 * called by the library itself. */
MUSICGEN_API void musicgen_process_setup(void);

/* ---- configuration ---------------------------------------------------- */

/* The defaults of `musicgen generate`, except: no output root ("out" is
 * unset: set it to generate into directories) and no cache directory.
 * NULL only when out of memory. */
MUSICGEN_API musicgen_config *musicgen_config_new(void);
MUSICGEN_API musicgen_config *musicgen_config_copy(const musicgen_config *c);
MUSICGEN_API void musicgen_config_destroy(musicgen_config **c);
/* Set one option by its long name, from text, as on the command line:
 * ("seed", "42"), ("genre", "jazz,funk"), ("output-mode", "mix-only"),
 * ("measures-per-part", "intro=2,verse=4"), ("workers", "4"), ... A flag
 * ("verbose", "quiet", "accept-license") takes "" or NULL (on), or "true"
 * or "false" (also yes/no, 1/0). Unknown names and bad values are
 * errors (musicgen_config_error names the option and the problem). */
MUSICGEN_API int musicgen_config_set(musicgen_config *c, const char *name,
                                     const char *value);
/* A file of `option = value` lines (as --config). */
MUSICGEN_API int musicgen_config_load_file(musicgen_config *c,
                                           const char *path);
/* Every MUSICGEN_<NAME> variable of the environment (as the executable
 * reads them: MUSICGEN_SEED, MUSICGEN_OUTPUT_MODE, ...). Only when asked. */
MUSICGEN_API int musicgen_config_load_env(musicgen_config *c);
/* The run configuration (what decides the bytes, plus seed, count and
 * start) as canonical JSON text; free with musicgen_free. */
MUSICGEN_API char *musicgen_config_json(const musicgen_config *c);
/* The message of the last failed call on c ("" if none). */
MUSICGEN_API const char *musicgen_config_error(const musicgen_config *c);
/* Without making the sample: its sample seed, and its split ("train",
 * "valid", "test") under c's "split" ratios - both pure functions of
 * (global_seed, index), cheap enough to filter a stream of indices. */
MUSICGEN_API uint64_t musicgen_seed_of(int64_t global_seed, uint64_t index);
MUSICGEN_API const char *musicgen_split_of(const musicgen_config *c,
                                           int64_t global_seed,
                                           uint64_t index);

/* ---- planning --------------------------------------------------------- */

/* A sample's render time grows with its length (seconds to half a
 * minute of audio); a scheduler that hands out the longest samples first
 * keeps its workers busy to the end (as `musicgen generate` does). */
typedef struct musicgen_plan musicgen_plan;
/* Load the genre data of c (copied: c may be changed or destroyed
 * afterwards; no soundfont is loaded). NULL with err on failure (a genre
 * that cannot be read). Free with musicgen_plan_destroy. A plan must be
 * used by one thread at a time (it holds one scratch song). */
MUSICGEN_API musicgen_plan *musicgen_plan_new(const musicgen_config *c,
                                              char *err, size_t errlen);
MUSICGEN_API void musicgen_plan_destroy(musicgen_plan **p);
/* The seconds of audio sample (global_seed, index) has when its first
 * attempt passes the quality gate (then its duration_seconds, which
 * sample.json rounds to the microsecond; a re-rolled sample's length
 * differs), from the symbolic stage's parameter
 * draw alone (key, tempo, form, measures: microseconds, no notes, no
 * audio). A pure function of (global_seed, index, c); always > 0. */
MUSICGEN_API double musicgen_plan_seconds(musicgen_plan *p,
                                          int64_t global_seed,
                                          uint64_t index);

/* ---- engine ----------------------------------------------------------- */

/* Load the genre data and the soundfonts of c (copied: c may be changed
 * or destroyed afterwards). Creates the output root when "out" is set.
 * NULL with err on failure (a genre or soundfont that cannot be read, an
 * output root that cannot be written). */
MUSICGEN_API musicgen_engine *musicgen_engine_new(const musicgen_config *c,
                                                  char *err, size_t errlen);
MUSICGEN_API void musicgen_engine_destroy(musicgen_engine **e);
/* The message of the last failed call on e ("" if none). */
MUSICGEN_API const char *musicgen_engine_error(const musicgen_engine *e);
/* The run fingerprint as JSON text (engine version, genre data hash,
 * soundfonts hash, synthesizer version): samples from engines with equal
 * fingerprints and configurations are byte-identical. Borrowed. */
MUSICGEN_API const char *musicgen_engine_fingerprint(const musicgen_engine *e);

/* Make sample (global_seed, index) in memory: nothing is written to disk.
 * Returns 0 and *out (owned by the caller: musicgen_sample_destroy), whose
 * status is MUSICGEN_OK with the bytes of every file its directory would
 * hold, or MUSICGEN_FAILED with a reason and no files; -1 on a fault (out
 * of memory, or an index past 999999999999, the executable's largest:
 * every generate call refuses one), with musicgen_engine_error. */
MUSICGEN_API int musicgen_generate(musicgen_engine *e, int64_t global_seed,
                                   uint64_t index, musicgen_sample **out);
/* Make it into the dataset root `root` (NULL: the config's "out"):
 * <root>/<index padded to 6 digits> (sharded per "shard-width"), written
 * atomically, sample.json last; a sample whose sample.json already exists
 * is not made again (musicgen_sample_skipped). *out (may be NULL when not
 * wanted) holds the row, no file bytes. -1 on an output fault (disk full,
 * not writable) with musicgen_engine_error, and for a root laid out in
 * another "shard-width" (flat samples beside shard directories are a tree
 * the dataset commands refuse; its entries are read once per root). */
MUSICGEN_API int musicgen_generate_to_dir(musicgen_engine *e,
                                          int64_t global_seed, uint64_t index,
                                          const char *root,
                                          musicgen_sample **out);
/* Destroy *s (sets it NULL) like musicgen_sample_destroy, handing its
 * audio buffers back to e: e's next musicgen_generate writes its WAVs
 * into them instead of into fresh memory, which costs a page fault per
 * page (a loop that makes a sample, reads it and drops it runs faster).
 * Any sample will do (one made by another engine, or on disk: nothing to
 * hand back); e keeps at most one buffer per WAV (the larger) until it is
 * destroyed. e's thread rules apply: call it where e is used. */
MUSICGEN_API void musicgen_engine_recycle(musicgen_engine *e,
                                          musicgen_sample **s);

/* ---- float32 audio in memory ------------------------------------------ */

/* For a consumer that wants audio samples, not WAV files (a training
 * loop): musicgen_generate_f32 writes a sample's audio as float32 into
 * memory the caller gives, in one pass, instead of WAV bytes.
 *
 * alloc(user, frames, channels) is called once the song's length is
 * known, before any audio is written, and returns room for
 * MUSICGEN_NLAYERS + 1 tracks of channels x frames floats: the stems in
 * musicgen_track order, then the mix (track t at t x channels x frames),
 * each planar (channel 0's frames, then channel 1's). Or NULL: the call
 * then fails (-1, "no memory"). It is called at most once per attempt
 * that reaches the audio; when the quality gate rejects that attempt
 * afterwards, a later attempt calls it again and the earlier memory is
 * not used (the caller frees it). Not called for a sample without audio
 * (midi-only, a sample the gate rejects before rendering).
 *
 * Values: exactly the WAV's samples as floats: x / 32768 (pcm16),
 * x / 8388608 (pcm24), the float itself (float32). Tracks the output mode
 * makes no WAV for (stems in mix-only, the mix in stems-only) are not
 * written: memory from mmap or calloc reads zeros there.
 *
 * The sample (*out) is that of musicgen_generate without WAV bytes
 * (musicgen_sample_wav and _pcm find none): its MIDI bytes and
 * sample.json are the same, byte for byte, with the WAVs' SHA-256 in
 * "checksums" (each WAV's bytes still stream through the encoder into the
 * hash, stored nowhere) - unless flags has MUSICGEN_NO_WAV_CHECKSUMS: no
 * WAV is encoded at all (faster), and sample.json's "checksums" lists the
 * MIDI files only; everything else in it is unchanged. */
typedef float *(*musicgen_f32_alloc)(void *user, size_t frames,
                                     int channels);
#define MUSICGEN_NO_WAV_CHECKSUMS 1u
MUSICGEN_API int musicgen_generate_f32(musicgen_engine *e,
                                       int64_t global_seed, uint64_t index,
                                       musicgen_f32_alloc alloc, void *user,
                                       unsigned flags,
                                       musicgen_sample **out);
/* The same into the file fd (a memfd, to hand the tracks to another
 * process) instead of memory: when the song's length is known it is
 * truncated to the tracks' size, (MUSICGEN_NLAYERS + 1) x channels x
 * frames x 4 bytes, in the layout above (tracks the mode makes no WAV for
 * read zeros), and written with pwrite - this process maps none of it (on
 * a virtual machine, writing through a fresh mapping costs several times
 * the kernel's copy). frames and channels are sample.json's
 * "audio_frames" and "audio_channels". A write error fails the call (-1,
 * the error in musicgen_engine_error), never a re-rolled sample. */
MUSICGEN_API int musicgen_generate_f32_fd(musicgen_engine *e,
                                          int64_t global_seed,
                                          uint64_t index, int fd,
                                          unsigned flags,
                                          musicgen_sample **out);

/* ---- a sample --------------------------------------------------------- */

MUSICGEN_API void musicgen_sample_destroy(musicgen_sample **s);
MUSICGEN_API musicgen_status musicgen_sample_status(const musicgen_sample *s);
/* Why it failed ("" when OK). */
MUSICGEN_API const char *musicgen_sample_error(const musicgen_sample *s);
MUSICGEN_API uint64_t musicgen_sample_index(const musicgen_sample *s);
MUSICGEN_API int64_t musicgen_sample_global_seed(const musicgen_sample *s);
/* The sample seed (SHA-256 of the global seed and index, docs). */
MUSICGEN_API uint64_t musicgen_sample_seed(const musicgen_sample *s);
/* "train", "valid" or "test". */
MUSICGEN_API const char *musicgen_sample_split(const musicgen_sample *s);
MUSICGEN_API double musicgen_sample_musicality(const musicgen_sample *s);
MUSICGEN_API double musicgen_sample_duration(const musicgen_sample *s);
/* The attempt that passed the quality gate (1 = the first). */
MUSICGEN_API int musicgen_sample_attempt(const musicgen_sample *s);
/* 1 when generate_to_dir found it already complete on disk. */
MUSICGEN_API int musicgen_sample_skipped(const musicgen_sample *s);
/* Its path relative to a dataset root ("000042", "000/000042"). */
MUSICGEN_API const char *musicgen_sample_path(const musicgen_sample *s);
/* Its directory (generate_to_dir), or NULL (made in memory). */
MUSICGEN_API const char *musicgen_sample_dir(const musicgen_sample *s);
/* One manifest.jsonl line for it (no newline, keys sorted) with wrote_at
 * as given, or (NULL) now as `musicgen generate` stamps its rows: UTC
 * with milliseconds, "2026-12-02T09:31:07.123Z"; borrowed until the next
 * call on s. NULL if out of memory. */
MUSICGEN_API const char *musicgen_sample_manifest_row(musicgen_sample *s,
                                                      const char *wrote_at);

/* In memory only (NULL with *len 0 otherwise, or when the output mode
 * makes no such file): the bytes of sample.json (text, NUL-terminated),
 * of midi/<layer>.mid, and of stems/<layer>.wav or mix.wav (t =
 * MUSICGEN_MIX). len may be NULL. Borrowed from s. */
MUSICGEN_API const char *musicgen_sample_json(const musicgen_sample *s,
                                              size_t *len);
MUSICGEN_API const unsigned char *
musicgen_sample_midi(const musicgen_sample *s, musicgen_track layer,
                     size_t *len);
MUSICGEN_API const unsigned char *
musicgen_sample_wav(const musicgen_sample *s, musicgen_track t, size_t *len);
/* The samples of a WAV in memory, in place (see musicgen_pcm). Returns 0,
 * or -1 when the sample has no such WAV. */
MUSICGEN_API int musicgen_sample_pcm(const musicgen_sample *s,
                                     musicgen_track t, musicgen_pcm *pcm);

/* ---- a batch ---------------------------------------------------------- */

typedef struct {
    uint64_t succeeded;     /* made now */
    uint64_t failed;        /* rejected by the quality gate */
    uint64_t skipped;       /* already complete on disk */
} musicgen_batch_result;

/* Called once per sample of a batch, in completion order, never
 * concurrently (the library serialises the calls); s is borrowed for the
 * call. Return non-zero to stop the batch early. */
typedef int (*musicgen_batch_fn)(const musicgen_sample *s, void *user);

/* Generate the samples start .. start + count - 1 of the config ("seed"
 * required, "count", "start", "out" required) into its output root, with
 * "workers" threads (0: one per core), each with its own engine, and
 * write <out>/manifest.jsonl: one row per index (rows of other indices
 * already there are kept; a re-run replaces its indices' rows), sorted by
 * index, replaced atomically, then <out>/LICENSES.md (the soundfonts of
 * every finished sample the manifest lists, as `musicgen generate` writes
 * it). Idempotent: a finished sample is skipped.
 * Returns 0 with *r filled (fn may be NULL), or -1 with err on a fault
 * (an engine that cannot be made, an output fault), after the finished
 * samples' rows are written to the manifest. */
MUSICGEN_API int musicgen_generate_batch(const musicgen_config *c,
                                         musicgen_batch_result *r,
                                         musicgen_batch_fn fn, void *user,
                                         char *err, size_t errlen);

/* (Re)write <root>/LICENSES.md from the finished samples its
 * manifest.jsonl lists (status ok: each sample.json's `soundfonts`), as
 * musicgen_generate_batch and `musicgen licenses ROOT` write it, replaced
 * atomically. For a tree written sample by sample
 * (musicgen_generate_to_dir does not touch it: it would read the whole
 * manifest once per sample). sf_dir: the soundfont registry the
 * attribution texts come from, NULL for the installed one. *nfonts (may
 * be NULL) receives the number of fonts listed. 0, or -1 with err. */
MUSICGEN_API int musicgen_write_licenses(const char *root, const char *sf_dir,
                                         int *nfonts, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
