/*
 * config — the run configuration and its four layers of precedence:
 * defaults < config file (--config / MUSICGEN_CONFIG) < MUSICGEN_* env
 * variables < command line. One setter (mg_config_set) takes every value
 * from every layer by its option name, so a key means the same thing
 * everywhere: "shard-width" is --shard-width, MUSICGEN_SHARD_WIDTH and
 * `shard-width = 3` in a file.
 *
 * The part that decides the bytes of a sample (the "run config": genres,
 * output mode, layout, split, gate, overrides, audio format) serialises to
 * canonical JSON for the ledger and the wire; process-local settings
 * (workers, verbosity, paths of local files) do not.
 */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

/* Documented limits (README, "Options and configuration"). A run holds at
 * most MG_CONFIG_MAX_COUNT samples (ten times the largest runs we know of;
 * a larger corpus is several runs with --start), indices stay below
 * MG_CONFIG_MAX_INDEX, and a config file is at most MG_CONFIG_MAX_BYTES. */
#define MG_CONFIG_MAX_COUNT INT64_C(10000000)
#define MG_CONFIG_MAX_INDEX INT64_C(999999999999)
#define MG_CONFIG_MAX_BYTES (1LL << 20)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "genre.h"
#include "song.h"

typedef enum {
    MG_OUT_FULL, MG_OUT_MIX_ONLY, MG_OUT_STEMS_ONLY, MG_OUT_MIDI_ONLY
} mg_output_mode;

typedef enum { MG_SF_PCM16, MG_SF_PCM24, MG_SF_FLOAT } mg_sample_format;

typedef struct {
    /* identity of the run */
    int64_t global_seed;
    bool seed_set;
    int64_t count;
    int64_t start;                 /* first index (default 0) */
    char out_dir[1024];
    /* run config: decides the bytes */
    mg_output_mode output_mode;
    int ngenres;
    char genres[MG_MAX_GENRES][64];
    int shard_width;               /* 0..5 */
    double split[3];               /* train, valid, test */
    double min_score;              /* 0 = gate off */
    int max_attempts;              /* >= 1 */
    int measures_override[MG_NPARTKINDS]; /* 0 = not overridden */
    int sample_rate;
    mg_sample_format sample_format;
    char fonts[512];               /* soundfont selection (sf/registry) */
    bool accept_license;           /* opt-in (copyleft/attribution) fonts */
    /* local settings */
    char genres_dir[1024];
    char sf_dir[1024];
    char cache_dir[1024];          /* "" = no cache (the library default;
                                    * mg_config_from_args sets the user's) */
    int workers;                   /* 0 = one per core */
    int verbose;                   /* -1 quiet, 0 normal, 1 verbose */
} mg_config;

/* Defaults; genres_dir and sf_dir point at the installed data (or the
 * source tree when run from it, see mg_data_dir). */
void mg_config_defaults(mg_config *c);
/* Set one option by name from text. Returns 0, or -1 with a one-line
 * message naming the option and the problem. Unknown names are errors. */
int mg_config_set(mg_config *c, const char *key, const char *value,
                  char *err, size_t errlen);
/* True for option names mg_config_set takes that need no value. */
bool mg_config_is_flag(const char *key);
int mg_config_load_file(mg_config *c, const char *path, char *err,
                        size_t errlen);
int mg_config_load_env(mg_config *c, char *err, size_t errlen);
/* Cross-field checks (ratios sum to 1, seed given, ...). */
int mg_config_validate(const mg_config *c, bool need_seed, char *err,
                       size_t errlen);

/* Parse a command line: defaults, file, env, then options from argv
 * (argv[0] is the command name and is skipped). `extra` names the
 * command's own options, NULL-terminated: "ledger=" takes a value,
 * "static" is a flag. Those, "--help"/"-h" and positional arguments are
 * copied to rest (caller-owned, >= argc entries) in order, a valued option
 * as two entries "--name" "value". An option nobody knows is an error.
 * Returns 0 or -1 with err ("--count: must be a positive integer, got
 * '0'", "MUSICGEN_SHARD_WIDTH: ...", "run.conf:3: ..."). */
int mg_config_from_args(mg_config *c, int argc, char **argv,
                        const char *const *extra, char **rest, int *nrest,
                        char *err, size_t errlen);
/* The help text for the generation options, for usage messages. */
const char *mg_config_options_help(void);

/* Canonical JSON of the run identity (seed, count, start) and run config
 * (sorted keys, compact); caller frees. And back: fields absent from the
 * json keep their current values; unknown keys are errors. */
char *mg_config_run_json(const mg_config *c);
int mg_config_apply_run_json(mg_config *c, const char *json, char *err,
                             size_t errlen);
/* The command-line option (without its "--") that sets the run JSON's
 * key (output_mode: output-mode; genres: genre), or NULL: not a key of
 * the run. */
const char *mg_config_key_option(const char *key);
/* The keys whose values differ between run JSONs a and b (the union of
 * their keys, less those in skip, a NULL-terminated list or NULL), each
 * written with fmt (three %s: the key named as its option, "--max-attempts"
 * (the key itself where no option sets it), its compact JSON in a, in b;
 * "none" where absent), joined by "; ", into out. The count of keys that
 * differ (0 and "" when none; -1 when a or b is not JSON). */
int mg_config_json_diff(const char *a, const char *b, const char *fmt,
                        const char *const *skip, char *out, size_t n);

const char *mg_output_mode_name(mg_output_mode m);
const char *mg_sample_format_name(mg_sample_format f);
bool mg_output_has_audio(mg_output_mode m);

/* Where the data (genres/, sf/, schema/) lives: $MUSICGEN_DATA_DIR, else
 * the source tree the binary was built from, else PREFIX/share/musicgen. */
const char *mg_data_dir(void);

/* Path of sample `index` relative to the root: "000042" or "000/000042"
 * (index padded to at least 6 digits; shard = its first w characters). */
void mg_sample_relpath(char *buf, size_t n, uint64_t index, int shard_width);

#endif
