/*
 * config — one setter for every option, four layers of precedence.
 *
 * The option table below is the single list of generation options: the
 * command line, MUSICGEN_* variables and config files all go through
 * mg_config_set, so validation and messages are the same from every
 * source. Each layer prefixes the setter's message with where the value
 * came from, giving one line a user can act on.
 */
#include "config.h"
#include "rfile.h"

#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "audio_cal.h"
#include "jsonout.h"
#include "errmsg.h"

#ifndef MG_SRC_DIR
#define MG_SRC_DIR "."
#endif
#ifndef MG_PREFIX
#define MG_PREFIX "/usr/local"
#endif

typedef struct {
    const char *name;
    char shortopt;
    bool flag;
    const char *help;
    const char *key;   /* its key in the run JSON, or NULL: not the run's */
} option;

static const option options[] = {
    {"seed", 's', false, "global seed (integer, required; a resumed or grown run: its own)", "seed"},
    {"count", 'n', false, "number of samples (default 1)", "count"},
    {"start", 0, false, "first sample index (default 0)", "start"},
    {"out", 'o', false, "output root directory (default ./dataset)"},
    {"output-mode", 'm', false, "full | mix-only | stems-only | midi-only",
     "output_mode"},
    {"genre", 'g', false, "genre preset; repeat or comma-separate to merge",
     "genres"},
    {"genres-dir", 0, false, "directory of genre presets"},
    {"sf-dir", 0, false, "soundfont registry and pools directory"},
    {"shard-width", 0, false, "0 = flat, 1..5 = <root>/<prefix>/<index>/",
     "shard_width"},
    {"split", 0, false, "train,valid,test ratios (default 0.8,0.1,0.1)",
     "split"},
    {"min-musicality-score", 0, false, "quality gate in [0,1] (0 = off)",
     "min_musicality_score"},
    {"max-attempts", 0, false, "re-rolls under the gate (default 1)",
     "max_attempts"},
    {"measures-per-part", 0, false, "override, e.g. intro=2,verse=8",
     "measures_per_part"},
    {"sample-rate", 0, false, "audio sample rate (default 44100)",
     "sample_rate"},
    {"sample-format", 0, false, "pcm16 | pcm24 | float", "sample_format"},
    {"cache-dir", 0, false, "calibration/hash cache ('' = none; default "
                            "$XDG_CACHE_HOME/musicgen)"},
    {"fonts", 0, false, "soundfonts: default | all | NAME,... (musicgen fonts)", "fonts"},
    {"accept-license", 0, true, "allow copyleft/attribution soundfonts",
     "accept_license"},
    {"workers", 'w', false, "worker processes (default: one per core)"},
    {"verbose", 'v', true, "more log lines"},
    {"quiet", 'q', true, "errors only"},
    {"config", 0, false, "config file of `option = value` lines"},
};
#define NOPTIONS (sizeof options / sizeof *options)

static const option *
find_option(const char *name)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (!strcmp(options[i].name, name)) return &options[i];
    return NULL;
}

const char *
mg_config_key_option(const char *key)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].key && !strcmp(options[i].key, key))
            return options[i].name;
    return NULL;
}

static const option *
find_short(char c)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (options[i].shortopt == c) return &options[i];
    return NULL;
}

static bool
dir_has(const char *dir, const char *sub)
{
    char p[1200];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir/../share/musicgen for the directory of file path p, when it holds
 * genres/. */
static bool
share_beside(const char *p, char *dir, size_t n)
{
    char d[900], cand[1024];
    const char *slash = strrchr(p, '/');

    if (!slash || (size_t)(slash - p) >= sizeof d) return false;
    memcpy(d, p, (size_t)(slash - p));
    d[slash - p] = 0;
    snprintf(cand, sizeof cand, "%s/../share/musicgen", d);
    if (!dir_has(cand, "genres") || strlen(cand) >= n) return false;
    memcpy(dir, cand, strlen(cand) + 1);
    return true;
}

static char data_dir[1000];

/* Once per process (pthread_once: engines may be made in several threads
 * at once); the process never changes it afterwards. */
static void
data_dir_init(void)
{
    const char *env = getenv("MUSICGEN_DATA_DIR");
    char exe[900];
    Dl_info info;
    ssize_t n;

    if (env && *env) {
        snprintf(data_dir, sizeof data_dir, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        if (share_beside(exe, data_dir, sizeof data_dir)) return;
    }
    /* libmusicgen.so loaded by another program: PREFIX/lib/../share */
    if (dladdr((void *)mg_data_dir, &info) && info.dli_fname &&
        share_beside(info.dli_fname, data_dir, sizeof data_dir))
        return;
    if (dir_has(MG_SRC_DIR, "genres"))
        snprintf(data_dir, sizeof data_dir, "%s", MG_SRC_DIR);
    else
        snprintf(data_dir, sizeof data_dir, "%s/share/musicgen", MG_PREFIX);
}

const char *
mg_data_dir(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, data_dir_init);
    return data_dir;
}

void
mg_config_defaults(mg_config *c)
{
    memset(c, 0, sizeof *c);
    c->count = 1;
    snprintf(c->out_dir, sizeof c->out_dir, "./dataset");
    c->output_mode = MG_OUT_FULL;
    c->split[0] = 0.8;
    c->split[1] = 0.1;
    c->split[2] = 0.1;
    c->max_attempts = 1;
    c->sample_rate = 44100;
    c->sample_format = MG_SF_PCM16;
    snprintf(c->fonts, sizeof c->fonts, "default");
    snprintf(c->genres_dir, sizeof c->genres_dir, "%s/genres", mg_data_dir());
    snprintf(c->sf_dir, sizeof c->sf_dir, "%s/sf", mg_data_dir());
}

/* 0; -1 when s is no integer; -2 when it is one outside [lo, hi], with
 * *out the value (past the 64-bit range: INT64_MIN or INT64_MAX), so that
 * a caller can say which bound it passed. */
static int
parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    if (!s || !*s) return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || (errno && errno != ERANGE)) return -1;
    *out = v;
    return errno || v < lo || v > hi ? -2 : 0;
}

static int
parse_real(const char *s, double lo, double hi, double *out)
{
    if (!s || !*s) return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int
set_path(char *dst, size_t n, const char *key, const char *v, char *err,
         size_t errlen)
{
    if (!*v) return mg_errf(err, errlen, "%s: must not be empty", key);
    if (strlen(v) >= n) return mg_errf(err, errlen, "%s: path too long", key);
    snprintf(dst, n, "%s", v);
    return 0;
}

/* A list value into buf for strtok: one too long is refused, not cut
 * (the last genre of a long list became 'jaz', unknown) */
static int
copy_list(char *buf, size_t n, const char *key, const char *v, char *err,
          size_t errlen)
{
    size_t l = strlen(v);
    if (l >= n)
        return mg_errf(err, errlen, "%s: too long (%zu characters, at most "
                       "%zu)", key, l, n - 1);
    memcpy(buf, v, l + 1);
    return 0;
}

/* The next item of a comma-separated list (strtok_r over buf, then NULL),
 * blanks around it trimmed: a user writes "verse=4, chorus=2" as often as
 * "verse=4,chorus=2". NULL at the end; an item of blanks alone is "". */
static char *
list_next(char *buf, char **save)
{
    char *tok = strtok_r(buf, ",", save);
    if (!tok) return NULL;
    while (isspace((unsigned char)*tok))
        tok++;
    size_t l = strlen(tok);
    while (l && isspace((unsigned char)tok[l - 1]))
        tok[--l] = 0;
    return tok;
}

static int
add_genres(mg_config *c, const char *v, char *err, size_t errlen)
{
    char buf[1024];
    if (copy_list(buf, sizeof buf, "genre", v, err, errlen)) return -1;
    char *save = NULL;
    for (char *tok = list_next(buf, &save); tok;
         tok = list_next(NULL, &save)) {
        size_t l = strlen(tok);
        if (!l) continue;
        for (const char *p = tok; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
                return mg_errf(err, errlen,
                            "genre: invalid name '%s' (letters, digits, - "
                            "and _ only)",
                            tok);
        bool dup = false;
        for (int i = 0; i < c->ngenres; i++)
            if (!strcmp(c->genres[i], tok)) dup = true;
        if (dup) continue;
        if (c->ngenres >= MG_MAX_GENRES)
            return mg_errf(err, errlen, "genre: at most %d genres",
                        MG_MAX_GENRES);
        if (l >= sizeof c->genres[0])
            return mg_errf(err, errlen, "genre: name too long '%s'", tok);
        snprintf(c->genres[c->ngenres++], sizeof c->genres[0], "%s", tok);
    }
    return 0;
}

static int
set_split(mg_config *c, const char *v, char *err, size_t errlen)
{
    double r[3];
    char buf[256];
    if (copy_list(buf, sizeof buf, "split", v, err, errlen)) return -1;
    char *save = NULL, *tok = list_next(buf, &save);
    int k = 0;
    for (; tok && k < 3; k++, tok = list_next(NULL, &save))
        if (parse_real(tok, 0, 1, &r[k]))
            return mg_errf(err, errlen,
                        "split: '%s' is not a ratio in [0,1]", tok);
    if (k != 3 || tok)
        return mg_errf(err, errlen,
                    "split: need three ratios train,valid,test, got '%s'", v);
    if (fabs(r[0] + r[1] + r[2] - 1.0) > 1e-6)
        return mg_errf(err, errlen, "split: ratios must sum to 1, got %g", 
                    r[0] + r[1] + r[2]);
    memcpy(c->split, r, sizeof r);
    return 0;
}

static int
set_measures(mg_config *c, const char *v, char *err, size_t errlen)
{
    int m[MG_NPARTKINDS] = {0};
    char buf[256];
    if (copy_list(buf, sizeof buf, "measures-per-part", v, err, errlen))
        return -1;
    char *save = NULL;
    for (char *tok = list_next(buf, &save); tok;
         tok = list_next(NULL, &save)) {
        if (!*tok) continue;
        char *eq = strchr(tok, '=');
        if (!eq)
            return mg_errf(err, errlen,
                        "measures-per-part: expected part=bars, got '%s'",
                        tok);
        /* blanks around '=' too ("verse = 4") */
        char *ke = eq;
        while (ke > tok && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = *eq = 0;
        char *bv = eq + 1;
        while (isspace((unsigned char)*bv))
            bv++;
        int part = mg_part_from_name(tok);
        int64_t bars;
        if (part < 0)
            return mg_errf(err, errlen, "measures-per-part: unknown part '%s'",
                        tok);
        if (parse_i64(bv, 1, 64, &bars))
            return mg_errf(err, errlen,
                        "measures-per-part: %s: bars must be 1..64", tok);
        if (m[part])
            return mg_errf(err, errlen,
                           "measures-per-part: %s is given twice", tok);
        m[part] = (int)bars;
    }
    memcpy(c->measures_override, m, sizeof m);
    return 0;
}

/* The selection as the run records it: names joined by commas without
 * the blanks a user may put after them ("A, B" is the run of "A,B") */
static int
set_fonts(mg_config *c, const char *v, char *err, size_t errlen)
{
    char buf[sizeof c->fonts], out[sizeof c->fonts] = "";
    size_t n = 0;
    if (strlen(v) >= sizeof buf) buf[0] = 0;
    else memcpy(buf, v, strlen(v) + 1);
    char *save = NULL;
    for (char *tok = list_next(buf, &save); tok;
         tok = list_next(NULL, &save)) {
        if (!*tok ||
            strspn(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789_.+-") != strlen(tok)) {
            n = 0;
            break;
        }
        n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? "," : "",
                              tok);
    }
    if (!n || strlen(v) >= sizeof buf)
        return mg_errf(err, errlen,
                       "fonts: need default, all or font names separated "
                       "by commas, got '%s'", v);
    memcpy(c->fonts, out, n + 1);
    return 0;
}

int
mg_config_set(mg_config *c, const char *key, const char *v, char *err,
              size_t errlen)
{
    int64_t i;
    double d;
    if (!find_option(key)) return mg_errf(err, errlen, "unknown option '%s'", key);
    if (!v) v = "";
    if (!strcmp(key, "seed")) {
        if (parse_i64(v, INT64_MIN, INT64_MAX, &i))
            return mg_errf(err, errlen,
                           "seed: must be an integer in %" PRId64 "..%" PRId64
                           " (64-bit signed), got '%s'", INT64_MIN, INT64_MAX,
                           v);
        c->global_seed = i;
        c->seed_set = true;
    } else if (!strcmp(key, "count")) {
        /* a number past 2^63 is too many, not "no positive integer" */
        int r = parse_i64(v, 1, MG_CONFIG_MAX_COUNT, &i);
        if (r == -1 || (r == -2 && i < 1))
            return mg_errf(err, errlen,
                        "count: must be a positive integer, got '%s'", v);
        if (r)
            return mg_errf(err, errlen,
                           "count: %s is more than the %" PRId64
                           " samples one run may hold (split it with --start)",
                           v, (int64_t)MG_CONFIG_MAX_COUNT);
        c->count = i;
    } else if (!strcmp(key, "start")) {
        int r = parse_i64(v, 0, MG_CONFIG_MAX_INDEX, &i);
        if (r == -1 || (r == -2 && i < 0))
            return mg_errf(err, errlen,
                        "start: must be a non-negative integer, got '%s'", v);
        if (r)
            return mg_errf(err, errlen,
                           "start: %s is past the largest index %" PRId64,
                           v, (int64_t)MG_CONFIG_MAX_INDEX);
        c->start = i;
    } else if (!strcmp(key, "out")) {
        return set_path(c->out_dir, sizeof c->out_dir, key, v, err, errlen);
    } else if (!strcmp(key, "output-mode")) {
        static const char *m[] = {"full", "mix-only", "stems-only",
                                  "midi-only"};
        for (int k = 0; k < 4; k++)
            if (!strcmp(v, m[k])) {
                c->output_mode = (mg_output_mode)k;
                return 0;
            }
        return mg_errf(err, errlen,
                    "output-mode: must be full, mix-only, stems-only or "
                    "midi-only, got '%s'",
                    v);
    } else if (!strcmp(key, "genre")) {
        return add_genres(c, v, err, errlen);
    } else if (!strcmp(key, "genres-dir")) {
        return set_path(c->genres_dir, sizeof c->genres_dir, key, v, err,
                        errlen);
    } else if (!strcmp(key, "sf-dir")) {
        return set_path(c->sf_dir, sizeof c->sf_dir, key, v, err, errlen);
    } else if (!strcmp(key, "cache-dir")) {
        /* "" turns the cache off */
        struct stat st;
        if (strlen(v) >= sizeof c->cache_dir)
            return mg_errf(err, errlen, "cache-dir: path too long");
        /* a file in its place: every write of the cache failed, unsaid */
        if (*v && (stat(v, &st) == 0 ? !S_ISDIR(st.st_mode)
                                     : errno == ENOTDIR))
            return mg_errf(err, errlen, "cache-dir: %s is not a directory",
                           v);
        snprintf(c->cache_dir, sizeof c->cache_dir, "%s", v);
    } else if (!strcmp(key, "shard-width")) {
        if (parse_i64(v, 0, 5, &i))
            return mg_errf(err, errlen,
                        "shard-width: must be an integer 0..5, got '%s'", v);
        c->shard_width = (int)i;
    } else if (!strcmp(key, "split")) {
        return set_split(c, v, err, errlen);
    } else if (!strcmp(key, "min-musicality-score")) {
        if (parse_real(v, 0, 1, &d))
            return mg_errf(err, errlen,
                        "min-musicality-score: must be a number in [0,1], "
                        "got '%s'",
                        v);
        c->min_score = d;
    } else if (!strcmp(key, "max-attempts")) {
        if (parse_i64(v, 1, 100, &i))
            return mg_errf(err, errlen,
                        "max-attempts: must be an integer 1..100, got '%s'", v);
        c->max_attempts = (int)i;
    } else if (!strcmp(key, "measures-per-part")) {
        return set_measures(c, v, err, errlen);
    } else if (!strcmp(key, "sample-rate")) {
        if (parse_i64(v, 8000, 192000, &i))
            return mg_errf(err, errlen,
                        "sample-rate: must be 8000..192000 Hz, got '%s'", v);
        c->sample_rate = (int)i;
    } else if (!strcmp(key, "sample-format")) {
        if (!strcmp(v, "pcm16")) c->sample_format = MG_SF_PCM16;
        else if (!strcmp(v, "pcm24")) c->sample_format = MG_SF_PCM24;
        else if (!strcmp(v, "float")) c->sample_format = MG_SF_FLOAT;
        else
            return mg_errf(err, errlen,
                        "sample-format: must be pcm16, pcm24 or float, got "
                        "'%s'",
                        v);
    } else if (!strcmp(key, "fonts")) {
        return set_fonts(c, v, err, errlen);
    } else if (find_option(key)->flag) {
        /* A flag alone ("" from the command line) turns it on; a file or a
         * variable may also say true or false, so that a higher layer can
         * turn off what a lower one turned on. */
        bool on;
        if (!*v || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
            on = true;
        else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no"))
            on = false;
        else
            return mg_errf(err, errlen, "%s: must be true or false, got '%s'",
                           key, v);
        if (!strcmp(key, "accept-license"))
            c->accept_license = on;
        else if (!strcmp(key, "verbose") && (on || c->verbose == 1))
            c->verbose = on ? 1 : 0;
        else if (!strcmp(key, "quiet") && (on || c->verbose == -1))
            c->verbose = on ? -1 : 0;
    } else if (!strcmp(key, "workers")) {
        if (parse_i64(v, 0, 4096, &i))
            return mg_errf(err, errlen,
                        "workers: must be an integer 0..4096, got '%s'", v);
        c->workers = (int)i;
    } else if (!strcmp(key, "config")) {
        /* handled by the layer logic, not a stored value */
    }
    return 0;
}

bool
mg_config_is_flag(const char *key)
{
    const option *o = find_option(key);
    return o && o->flag;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Within one layer a list option replaces what lower layers gave, and
 * then accumulates: the first `genre` seen in a layer clears the list. */
typedef struct {
    bool genre_seen;
} layer_state;

static int
layer_set(mg_config *c, layer_state *ls, const char *key, const char *v,
          char *err, size_t errlen)
{
    if (!strcmp(key, "genre") && !ls->genre_seen) {
        c->ngenres = 0;
        ls->genre_seen = true;
    }
    return mg_config_set(c, key, v, err, errlen);
}

/* A config file is read whole (it is small: MG_CONFIG_MAX_BYTES), so a line
 * of any length is one line; a NUL byte is refused rather than cutting the
 * line where C strings would. */
/* A config file's value, from just after its '=': blanks around it
 * trimmed, a '#' comment cut; or, in matching quotes ("./my ds",
 * 'a#b'), what is between them as written (out = "./ds" made a
 * directory named '"' holding 'ds"'). 0 and *val; -1 and *val the
 * problem's words. */
static int
config_value(char *v, char **val)
{
    while (isspace((unsigned char)*v))
        v++;
    if (*v != '"' && *v != '\'') {
        char *hash = strchr(v, '#');
        if (hash) *hash = 0;
        *val = trim(v);
        return 0;
    }
    char *close = strchr(v + 1, *v);
    if (!close) {
        *val = "no closing quote";
        return -1;
    }
    char *rest = close + 1;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest && *rest != '#') {
        *val = "text after the closing quote";
        return -1;
    }
    *close = 0;
    *val = v + 1;
    return 0;
}

int
mg_config_load_file(mg_config *c, const char *path, char *err, size_t errlen)
{
    char *text, msg[512];
    size_t len;
    if (mg_rfile_read(path, MG_CONFIG_MAX_BYTES, &text, &len, msg, sizeof msg))
        return mg_errf(err, errlen, "config file %s", msg);
    int lineno = 0, rc = 0;
    /* the line where each option was first given: a second one is a
     * slip (two `count` lines, the last silently winning), refused
     * naming both; but `genre`, a list that repeats to merge */
    int first[NOPTIONS] = {0};
    layer_state ls = {0};
    char *p = text, *end = text + len;
    p += mg_rfile_bom(text, len); /* no part of the first option's name */
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        char *line = p;
        p = nl ? nl + 1 : end;
        lineno++;
        if (memchr(line, 0, (size_t)(eol - line))) {
            rc = mg_errf(err, errlen, "%s:%d: a NUL byte in the line (not a "
                         "text file?)", path, lineno);
            break;
        }
        *eol = 0;
        /* '#' starts a comment, but inside a quoted value */
        char *eq = strchr(line, '=');
        char *hash = strchr(line, '#');
        if (hash && (!eq || hash < eq)) {
            *hash = 0;
            eq = NULL;
        }
        char *key = line, *val = NULL;
        if (eq) {
            *eq = 0;
            if (config_value(eq + 1, &val)) {
                rc = mg_errf(err, errlen, "%s:%d: %s: %s", path, lineno,
                             trim(line), val);
                break;
            }
        }
        char *s = trim(key);
        if (!*s && !eq) continue;
        key = s;
        if (!strcmp(key, "config") || (!eq && !mg_config_is_flag(key))) {
            if (!find_option(key) || !strcmp(key, "config"))
                rc = mg_errf(err, errlen, "%s:%d: unknown option '%.64s%s'",
                             path, lineno, key, strlen(key) > 64 ? "..." : "");
            else
                rc = mg_errf(err, errlen, "%s:%d: %s: expected `key = value`",
                             path, lineno, key);
            break;
        }
        const option *o = find_option(key);
        int *at = o && strcmp(key, "genre") ? &first[o - options] : NULL;
        if (at && *at) {
            rc = mg_errf(err, errlen, "%s:%d: %s is given twice (first at "
                         "line %d)", path, lineno, key, *at);
            break;
        }
        if (at)
            *at = lineno;
        if (layer_set(c, &ls, key, val, msg, sizeof msg)) {
            rc = mg_errf(err, errlen, "%s:%d: %s", path, lineno, msg);
            break;
        }
    }
    free(text);
    return rc;
}

int
mg_config_load_env(mg_config *c, char *err, size_t errlen)
{
    char msg[512];
    layer_state ls = {0};
    for (size_t i = 0; i < NOPTIONS; i++) {
        const option *o = &options[i];
        if (!strcmp(o->name, "config")) continue;
        char var[64] = "MUSICGEN_";
        size_t k = strlen(var);
        for (const char *p = o->name; *p && k < sizeof var - 1; p++)
            var[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        var[k] = 0;
        const char *v = getenv(var);
        /* The Python tool's name for the output root still works. */
        if (!v && !strcmp(o->name, "out")) {
            v = getenv("MUSICGEN_DATASET_ROOT");
            if (v) snprintf(var, sizeof var, "MUSICGEN_DATASET_ROOT");
        }
        /* an empty flag variable is one not given */
        if (!v || (o->flag && !*v)) continue;
        if (layer_set(c, &ls, o->name, v, msg, sizeof msg))
            return mg_errf(err, errlen, "%s: %s", var, msg);
    }
    return 0;
}

int
mg_config_validate(const mg_config *c, bool need_seed, char *err,
                   size_t errlen)
{
    if (need_seed && !c->seed_set)
        return mg_errf(err, errlen, "--seed is required (the global seed)");
    if (fabs(c->split[0] + c->split[1] + c->split[2] - 1.0) > 1e-6)
        return mg_errf(err, errlen, "split: ratios must sum to 1");
    if (c->start + c->count - 1 > MG_CONFIG_MAX_INDEX)
        return mg_errf(err, errlen,
                       "start + count: the last index %" PRId64
                       " is past the largest index %" PRId64,
                       c->start + c->count - 1, (int64_t)MG_CONFIG_MAX_INDEX);
    return 0;
}

static const char *
extra_match(const char *const *extra, const char *name, bool *valued)
{
    for (; extra && *extra; extra++) {
        size_t l = strlen(*extra);
        bool v = l && (*extra)[l - 1] == '=';
        size_t nl = v ? l - 1 : l;
        if (strlen(name) == nl && !strncmp(*extra, name, nl)) {
            *valued = v;
            return *extra;
        }
    }
    return NULL;
}

int
mg_config_from_args(mg_config *c, int argc, char **argv,
                    const char *const *extra, char **rest, int *nrest,
                    char *err, size_t errlen)
{
    typedef struct {
        const char *key, *val;
    } pair;
    pair *pairs = calloc((size_t)argc + 1, sizeof *pairs);
    if (!pairs) return mg_errf(err, errlen, "out of memory");
    int np = 0, nr = 0, rc = -1;
    const char *config_file = getenv("MUSICGEN_CONFIG");
    char msg[512];

    mg_config_defaults(c);
    /* The executable caches the synthesizer's measurements per user; the
     * library (mg_config_defaults alone) writes no cache unless told. */
    mg_cal_default_cache_dir(c->cache_dir, sizeof c->cache_dir);
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        char name[128];
        const char *val = NULL;
        const option *o = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            rest[nr++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            while (++i < argc)
                rest[nr++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t l = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            if (l >= sizeof name) l = sizeof name - 1;
            memcpy(name, a + 2, l);
            name[l] = 0;
            if (eq) val = eq + 1;
            o = find_option(name);
        } else if (a[0] == '-' && a[1] && find_short(a[1]) &&
                   (!a[2] || !find_short(a[1])->flag)) {
            /* -w 1 or -w1, as getopt takes them (a flag takes nothing
             * attached: -vx is no -v) */
            o = find_short(a[1]);
            snprintf(name, sizeof name, "%s", o->name);
            if (a[2]) val = a + 2;
        } else if (a[0] == '-' && a[1] && !isdigit((unsigned char)a[1])) {
            mg_errf(err, errlen, "unknown option '%s'", a);
            goto out;
        } else {
            rest[nr++] = a;
            continue;
        }
        if (!o) {
            bool valued = false;
            if (!extra_match(extra, name, &valued)) {
                mg_errf(err, errlen, "unknown option '--%s'", name);
                goto out;
            }
            rest[nr++] = a;
            if (valued && !val) {
                if (i + 1 >= argc) {
                    mg_errf(err, errlen, "--%s needs a value", name);
                    goto out;
                }
                rest[nr++] = argv[++i];
            }
            continue;
        }
        if (o->flag) {
            if (val) {
                mg_errf(err, errlen, "--%s takes no value", name);
                goto out;
            }
        } else if (!val) {
            if (i + 1 >= argc) {
                mg_errf(err, errlen, "--%s needs a value", name);
                goto out;
            }
            val = argv[++i];
        }
        if (!strcmp(name, "config")) {
            config_file = val;
            continue;
        }
        pairs[np].key = o->name;
        pairs[np++].val = val;
    }
    if (config_file && *config_file &&
        mg_config_load_file(c, config_file, err, errlen))
        goto out;
    if (mg_config_load_env(c, err, errlen)) goto out;
    layer_state ls = {0};
    for (int k = 0; k < np; k++)
        if (layer_set(c, &ls, pairs[k].key, pairs[k].val, msg, sizeof msg)) {
            mg_errf(err, errlen, "--%s: %s", pairs[k].key,
                 strncmp(msg, pairs[k].key, strlen(pairs[k].key))
                     ? msg
                     : msg + strlen(pairs[k].key) + 2);
            goto out;
        }
    rc = 0;
out:
    free(pairs);
    *nrest = nr;
    return rc;
}

const char *
mg_config_options_help(void)
{
    static char text[4096];
    if (text[0]) return text;
    size_t k = 0;
    for (size_t i = 0; i < NOPTIONS && k < sizeof text; i++) {
        char opt[64];
        if (options[i].shortopt)
            snprintf(opt, sizeof opt, "-%c, --%s", options[i].shortopt,
                     options[i].name);
        else
            snprintf(opt, sizeof opt, "    --%s", options[i].name);
        k += (size_t)snprintf(text + k, sizeof text - k, "  %-28s %s\n", opt,
                              options[i].help);
    }
    k += (size_t)snprintf(text + k, sizeof text - k,
                          "Every option can also come from MUSICGEN_<NAME> "
                          "(e.g. MUSICGEN_SHARD_WIDTH)\nor a --config file; "
                          "the command line wins, then the environment, "
                          "then the file.\n");
    return text;
}

static const char *sf_names[] = {"pcm16", "pcm24", "float"};

const char *
mg_sample_format_name(mg_sample_format f)
{
    return (unsigned)f < 3 ? sf_names[f] : "?";
}

const char *
mg_output_mode_name(mg_output_mode m)
{
    static const char *n[] = {"full", "mix-only", "stems-only", "midi-only"};
    return (unsigned)m < 4 ? n[m] : "?";
}

bool
mg_output_has_audio(mg_output_mode m)
{
    return m != MG_OUT_MIDI_ONLY;
}

void
mg_sample_relpath(char *buf, size_t n, uint64_t index, int shard_width)
{
    char id[32];
    snprintf(id, sizeof id, "%06" PRIu64, index);
    if (shard_width <= 0)
        snprintf(buf, n, "%s", id);
    else
        snprintf(buf, n, "%.*s/%s", shard_width, id, id);
}
