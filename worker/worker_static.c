/*
 * worker_static — static mode (mg_worker_static, worker.h): a fixed slice
 * of the run from an array index, with no coordinator; the slice's rows
 * go to <out>/.musicgen/slices/slice-<I>-of-<M>.jsonl, written to a
 * temporary name and renamed into place only when the slice is complete,
 * and `musicgen merge` builds the manifest from the slices. With --jobs
 * J the J jobs each make a part of the slice (its rows into
 * "<slice>.part-<p>-of-<J>") and the worker joins them into the slice
 * file: the slice files are named by I and M alone, whatever --jobs each
 * task of an array had (named by jobs, a task with another --jobs made
 * a second slicing, and merge found slices missing). Static
 * workers share the tree's run lock (runlock.h) while they work: `clean`,
 * `merge`, `score`, `filter` and a run wait until the last has finished.
 * Every task of a run is the run's: its options and its fingerprint
 * (engine version, genre and soundfont data, synthesizer) are those the
 * tree's ledger or its first task (.musicgen/slices/run.json) recorded,
 * or it is refused before it makes anything (same_run).
 */
#include "worker.h"
#include "worker_priv.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dlog.h"
#include "dsread.h"
#include "errmsg.h"
#include "jsonout.h"
#include "ledger.h"
#include "musicgen.h"
#include "musicgen_internal.h"
#include "rfile.h"
#include "runlock.h"
#include "runmark.h"
#include "sampledir.h"
#include "wfile.h"

/* Remove "<slice>.tmp.<host>.<pid>" files of this slice whose writer is
 * gone: this host and a pid that no longer exists, or untouched for
 * MG_TMP_STALE_S (sampledir.h). */
static void
sweep_slice_tmps(const char *dir, const char *slice, const char *host)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char pre[400];
    snprintf(pre, sizeof pre, "%s.tmp.", slice);
    size_t pl = strlen(pre), hl = strlen(host);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strncmp(n, pre, pl))
            continue;
        char p[2400];
        snprintf(p, sizeof p, "%s/%s", dir, n);
        const char *dot = strrchr(n, '.');
        char *end;
        long pid = strtol(dot + 1, &end, 10);
        bool gone;
        if (*end == '\0' && pid > 0 && (size_t)(dot - n) == pl + hl &&
            !strncmp(n + pl, host, hl)) {
            gone = mg_pid_gone(pid);
        } else {
            struct stat st;
            gone = !stat(p, &st) &&
                   (long long)time(NULL) - (long long)st.st_mtime >
                       MG_TMP_STALE_S;
        }
        if (gone)
            unlink(p);
    }
    closedir(d);
}

/* The run's config less its range (every slice of an array, and a
 * grown one, shares it). malloc'd, or NULL. */
static char *
identity_json(const mg_config *c)
{
    mg_config x = *c;
    x.count = 0;
    x.start = 0;
    return mg_config_run_json(&x);
}

/* What .musicgen/slices/run.json records of the run: identity_json and,
 * under "fingerprint", what decides a sample's bytes besides it - the
 * engine version, the hashes of the genre and soundfont data and the
 * synthesizer's version, as a coordinator's ledger records them (tasks
 * of one array on two musicgen builds, or two --genres-dir, wrote one
 * dataset of mixed bytes). malloc'd, or NULL. */
static char *
record_json(const mg_config *c, const mg_fingerprint *fp)
{
    char *id = identity_json(c), *text = NULL;
    json_t *j = id ? json_loads(id, 0, NULL) : NULL;
    free(id);
    if (!j)
        return NULL;
    json_t *f = json_object();
    json_object_set_new(f, "engine_version", json_string(fp->engine_version));
    json_object_set_new(f, "genres_hash", json_string(fp->genres_hash));
    json_object_set_new(f, "soundfonts_hash", json_string(fp->soundfonts_hash));
    json_object_set_new(f, "synth_version", json_string(fp->synth_version));
    json_object_set_new(j, "fingerprint", f);
    text = mg_json_dump(j, 0);
    json_decref(j);
    if (text) text[strcspn(text, "\n")] = 0;
    return text;
}

/* A run.json's text split: its config (identity_json's form, malloc'd
 * into *cfg) and its fingerprint (*has: whether it records one; the
 * run.json of an older musicgen records none). 0, or -1 when text is no
 * JSON object. */
static int
record_parse(const char *text, char **cfg, mg_fingerprint *fp, bool *has)
{
    memset(fp, 0, sizeof *fp);
    *cfg = NULL;
    *has = false;
    json_t *j = json_loads(text, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    json_t *f = json_object_get(j, "fingerprint");
    if (json_is_object(f)) {
        *has = true;
        struct { const char *key; char *to; size_t n; } k[] = {
            {"engine_version", fp->engine_version, sizeof fp->engine_version},
            {"genres_hash", fp->genres_hash, sizeof fp->genres_hash},
            {"soundfonts_hash", fp->soundfonts_hash,
             sizeof fp->soundfonts_hash},
            {"synth_version", fp->synth_version, sizeof fp->synth_version},
        };
        for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
            const char *v = json_string_value(json_object_get(f, k[i].key));
            snprintf(k[i].to, k[i].n, "%s", v ? v : "");
        }
    }
    json_object_del(j, "fingerprint");
    *cfg = mg_json_dump(j, 0);
    json_decref(j);
    if (!*cfg)
        return -1;
    (*cfg)[strcspn(*cfg, "\n")] = 0;
    return 0;
}

/* 0 when mine (an identity_json) is theirs (NULL: none known), else -1
 * with err naming what differs; whose: where theirs came from. */
static int
run_differs(const mg_config *cfg, const char *mine, const char *theirs,
            const char *whose, char *err, size_t errlen)
{
    if (!theirs || !strcmp(mine, theirs))
        return 0;
    /* what differs, key by key ("seed 1, the run's 9") */
    char diff[600];
    mg_config_json_diff(mine, theirs, "%s %s, the run's %s", NULL, diff,
                        sizeof diff);
    return mg_errf(err, errlen, "--out %s holds another run (%s): %s (give "
                   "the same --seed and options as every slice of the "
                   "run, or another --out)", cfg->out_dir, whose,
                   diff[0] ? diff : "its parameters differ");
}

/* 0 when the run's fingerprint (have, recorded by whose; a field ""
 * was not recorded) is ours (mine; me names it: "this worker's"), else
 * -1 with err: another musicgen in mg_version_refusal's words (no option
 * of this build makes the run's bytes), other data naming each field
 * that differs and the options that give it. */
static int
fp_differs(const mg_config *cfg, const mg_fingerprint *have,
           const mg_fingerprint *mine, const char *me, const char *whose,
           char *err, size_t errlen)
{
    if (have->engine_version[0] &&
        strcmp(have->engine_version, mine->engine_version)) {
        char what[1400];
        snprintf(what, sizeof what, "--out %s holds a run (%s)",
                 cfg->out_dir, whose);
        return mg_version_refusal(err, errlen, what, have->engine_version,
                                  "another --out");
    }
    const struct { const char *name, *a, *b, *hint; } f[] = {
        {"genres_hash", have->genres_hash, mine->genres_hash,
         "the genre presets of --genres-dir"},
        {"soundfonts_hash", have->soundfonts_hash, mine->soundfonts_hash,
         "the soundfonts of --sf-dir and --fonts"},
        {"FluidSynth", have->synth_version, mine->synth_version,
         "the synthesizer library"},
    };
    char diff[600] = "";
    size_t k = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].a[0] && strcmp(f[i].a, f[i].b) && k < sizeof diff)
            k += (size_t)snprintf(diff + k, sizeof diff - k, "%s%s %.12s, "
                                  "%s %.12s (%s differ)",
                                  k ? "; " : "", f[i].name, f[i].a, me,
                                  f[i].b, f[i].hint);
    if (!k)
        return 0;
    return mg_errf(err, errlen, "--out %s holds a run (%s) made with other "
                   "data: %s; give every task of the run the same data "
                   "(--genres-dir, --sf-dir, --fonts) and musicgen build, "
                   "or another --out", cfg->out_dir, whose, diff);
}

#define STATIC_WHOSE "the run the tree's first static slice recorded"
#define LEDGER_WHOSE "the tree's run (its ledger, from generate)"

/* Is the run that run.json at rp records (text) cfg's, made with fp?
 * strict: a record without a fingerprint (an older musicgen's) is
 * refused; else (a coordinator, which checks every sample it takes) its
 * config alone is compared. 0, or -1 with err. */
static int
record_differs(const mg_config *cfg, const mg_fingerprint *fp, bool strict,
               const char *me, const char *rp, const char *text, char *err,
               size_t errlen)
{
    char *theirs, *mine = identity_json(cfg);
    mg_fingerprint have;
    bool has;
    if (!mine)
        return mg_errf(err, errlen, "out of memory");
    if (record_parse(text, &theirs, &have, &has)) {
        free(mine);
        return mg_errf(err, errlen, "%s: not a run record (remove it, and "
                       "run every slice again)", rp);
    }
    int rc;
    if (strict && !has)
        /* Begun by a musicgen that recorded no fingerprint: its version
         * and data are unknown, and slices made by this one beside its
         * made a tree of two engines. Run again, every slice checks the
         * samples it finds (their musicgen_version and genres_hash). */
        rc = mg_errf(err, errlen, "--out %s holds a static run whose %s "
                     "records no musicgen version (an older musicgen began "
                     "it): finish it with that musicgen, or make it again "
                     "with another --out; or, if musicgen %s made all of it, "
                     "remove that file and run every slice again (each "
                     "checks the samples it finds)", cfg->out_dir, rp,
                     MG_ENGINE_VERSION);
    else if (have.engine_version[0] &&
             strcmp(have.engine_version, fp->engine_version))
        /* first: no option of this build makes the run's bytes */
        rc = fp_differs(cfg, &have, fp, me, STATIC_WHOSE, err, errlen);
    else
        rc = run_differs(cfg, mine, theirs, STATIC_WHOSE, err, errlen)
                 ? -1
                 : fp_differs(cfg, &have, fp, me, STATIC_WHOSE, err,
                              errlen);
    free(mine);
    free(theirs);
    return rc;
}

/* Is this worker's run (cfg, made with fp) the tree's? The run a
 * coordinator's ledger holds (`generate` made the tree), else the one
 * the first static slice recorded in .musicgen/slices/run.json (made
 * here, atomically, when there is none). A worker with another seed or
 * other options skipped the samples there but wrote slice rows of its
 * own seed, and `merge` put them over a good manifest; one of another
 * musicgen or other genre or soundfont data made samples of other
 * bytes beside the run's: refused, naming the difference. */
static int
same_run(const mg_config *cfg, const mg_fingerprint *fp, const char *dir,
         uint64_t range[2], char *err, size_t errlen)
{
    char *theirs = NULL, lp[1300], rp[1300];
    snprintf(lp, sizeof lp, "%s/.musicgen/ledger.sqlite", cfg->out_dir);
    snprintf(rp, sizeof rp, "%s/run.json", dir);
    if (access(lp, F_OK)) {
        char *t = NULL, e2[300];
        size_t len;
        if (mg_rfile_read(rp, 1 << 20, &t, &len, e2, sizeof e2) < 0) {
            /* the first slice: record ours (the first writer wins) */
            char *rec = record_json(cfg, fp);
            if (!rec)
                return mg_errf(err, errlen, "out of memory");
            int w = mg_wfile_put(rp, rec, strlen(rec), false, err, errlen);
            free(rec);
            if (w < 0)
                return -1;
            if (mg_rfile_read(rp, 1 << 20, &t, &len, e2, sizeof e2) < 0)
                return mg_errf(err, errlen, "%s", e2);
        }
        int rc = record_differs(cfg, fp, true, "this worker's", rp, t, err,
                                errlen);
        free(t);
        return rc;
    }
    char *mine = identity_json(cfg), e2[300];
    if (!mine) return mg_errf(err, errlen, "out of memory");
    mg_ledger *l = mg_ledger_open_ro(lp, e2, sizeof e2);
    mg_ledger_run r;
    int rc = 0;
    if (l && mg_ledger_get_run(l, &r, e2, sizeof e2) == 1) {
        /* a run begun by another musicgen: this one's samples went
         * into it (exit 0), a tree of two engines */
        if (mg_ledger_version_check(&r, lp, "another --out", err, errlen)) {
            rc = -1;
        } else {
            mg_config probe = *cfg;
            if (!mg_config_apply_run_json(&probe, r.run_json, e2, sizeof e2))
                theirs = identity_json(&probe);
            range[0] = r.start;
            range[1] = r.start + r.count;
            if (run_differs(cfg, mine, theirs, LEDGER_WHOSE, err, errlen) ||
                fp_differs(cfg, &r.fp, fp, "this worker's", LEDGER_WHOSE, err,
                           errlen))
                rc = -1;
        }
        free(r.run_json);
    }
    mg_ledger_close(&l);
    free(mine);
    free(theirs);
    return rc;
}

int
mg_worker_static_run_check(const mg_config *cfg, const mg_fingerprint *fp,
                           char *err, size_t errlen)
{
    char rp[1300], *theirs = NULL, e2[300];
    size_t len;
    snprintf(rp, sizeof rp, "%s/.musicgen/slices/run.json", cfg->out_dir);
    if (mg_rfile_read(rp, 1 << 20, &theirs, &len, e2, sizeof e2) < 0)
        return 0;       /* no static slice recorded a run */
    int rc = record_differs(cfg, fp, false, "this coordinator's", rp,
                            theirs, err, errlen);
    free(theirs);
    return rc;
}

/* Is this worker's range [start, start + count) the tree's static run,
 * or one that holds it? Slice files are named by array index and size
 * alone, so slices of a smaller --count or of another --start replaced
 * the run's with fewer rows, and merge wrote a manifest that left
 * finished samples out (exit 0). The run's range - the largest any
 * slice was made for, and the ledger's (have, [lo, hi)) where generate
 * made the tree - is kept in .musicgen/slices/range.json (runmark.h),
 * and a tree with neither (a coordinator's) must hold a manifest of this
 * run within the range (mg_dsmanifest_run_check); a
 * range that holds it grows it there, any other is refused, naming
 * the range to give. */
static int
same_range(const mg_config *cfg, const uint64_t have[2], char *err,
           size_t errlen)
{
    uint64_t a = (uint64_t)cfg->start, b = a + (uint64_t)cfg->count;
    uint64_t lo = have[0], hi = have[1], s0, n0;
    int r = mg_runmark_range(cfg->out_dir, &s0, &n0);
    if (r < 0)
        return mg_errf(err, errlen, "%s/.musicgen/slices/range.json: not a "
                       "run range (remove it, and run the slices again)",
                       cfg->out_dir);
    if (r > 0) {
        if (hi == lo || s0 < lo)
            lo = s0;
        if (s0 + n0 > hi)
            hi = s0 + n0;
    } else if (hi == lo &&
               mg_dsmanifest_run_check(cfg->out_dir, cfg->global_seed, a,
                                       b - a, NULL, 0, NULL, err, errlen)) {
        /* neither slices nor a ledger: a coordinator's tree, whose
         * manifest merge would replace */
        return -1;
    }
    if (hi > lo && (a > lo || b < hi)) {
        uint64_t s = a < lo ? a : lo, e = b > hi ? b : hi;
        return mg_errf(err, errlen, "--out %s holds the static run of "
                       "samples %" PRIu64 "..%" PRIu64 ": slices of --start %"
                       PRIu64 " --count %" PRIu64 " would replace its slice "
                       "files (named by array index and size alone) and merge "
                       "would leave samples out of the manifest; give --start "
                       "%" PRIu64 " --count %" PRIu64 " (a larger --count "
                       "grows the run)", cfg->out_dir, lo, hi - 1, a, b - a,
                       s, e - s);
    }
    if (hi > lo && a == lo && b == hi && r > 0)
        return 0;
    /* new, or grown: recorded (tasks of one array write the same) */
    return mg_runmark_range_write(cfg->out_dir, a, b - a, err, errlen);
}

/* Slice I of M of the run: samples [*lo, *hi). */
static void
slice_bounds(const mg_config *cfg, int array_index, int array_size,
             uint64_t *lo, uint64_t *hi)
{
    uint64_t count = (uint64_t)cfg->count, start = (uint64_t)cfg->start;
    *lo = start + count * (uint64_t)array_index / (uint64_t)array_size;
    *hi = start + count * (uint64_t)(array_index + 1) / (uint64_t)array_size;
}

/* Does slice file path hold a row of every sample in [lo, hi), and none
 * outside? A whole slice file is there only once renamed into place. */
static bool
slice_whole(const char *path, uint64_t lo, uint64_t hi)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    uint64_t n = hi - lo, have = 0;
    unsigned char *seen = calloc(n / 8 + 1, 1);
    char *line = NULL;
    size_t cap = 0;
    bool ok = seen != NULL;
    while (ok && getline(&line, &cap, f) > 0) {
        uint64_t i;
        if (!mg_dsrow_index(line, &i) || i < lo || i >= hi) {
            ok = false;
            break;
        }
        uint64_t b = i - lo;
        if (!(seen[b / 8] & (1u << (b % 8)))) {
            seen[b / 8] |= (unsigned char)(1u << (b % 8));
            have++;
        }
    }
    free(line);
    free(seen);
    fclose(f);
    return ok && have == n;
}

/* "<dir>/slice-<I>-of-<M>.jsonl", the slice file merge reads, into p. */
static void
slice_path(char *p, size_t n, const char *dir, int array_index,
           int array_size)
{
    snprintf(p, n, "%s/slice-%d-of-%d.jsonl", dir, array_index, array_size);
}

/* The temporary name of file path (in dir) for this process, into tmp:
 * host and pid, so a requeued task on another node never shares it;
 * what a killed writer of path on this host left is removed first. */
static void
slice_tmp(char *tmp, size_t n, const char *dir, const char *path)
{
    char host[80];
    mg_tmp_host(host, sizeof host);
    snprintf(tmp, n, "%s.tmp.%s.%ld", path, host, (long)getpid());
    sweep_slice_tmps(dir, strrchr(path, '/') + 1, host);
}

/* Samples [lo, hi) and their rows into file path (in dir), the tree's
 * run lock shared, with engine eng (borrowed). */
static int
static_slice(const mg_config *cfg, uint64_t lo, uint64_t hi, const char *dir,
             const char *path, bool durable, struct mg_engine *eng,
             const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    char tmp[1700];
    slice_tmp(tmp, sizeof tmp, dir, path);
    /* samples through the public API, as in engine_main */
    musicgen_engine *e = mgapi_engine_wrap(eng, cfg);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        mgapi_engine_unwrap(&e);
        return -1;
    }
    int rc = 0;
    /* the test suite's fault-injection hook, as in engine_main */
    const char *d = getenv("MUSICGEN_FAULT_SAMPLE_DELAY_MS");
    long delay_ms = d ? atol(d) : 0;
    for (uint64_t i = lo; i < hi; i++) {
        if (stop && *stop) {
            snprintf(err, errlen, "stopped at sample %" PRIu64 "; run the "
                     "same command again to finish the slice", i);
            rc = -1;
            break;
        }
        mg_row row;
        char line[2048], ts[40];
        if (delay_ms > 0) {
            struct timespec dt = {delay_ms / 1000, delay_ms % 1000 * 1000000};
            nanosleep(&dt, NULL);
        }
        musicgen_sample *smp = NULL;
        if (musicgen_generate_to_dir(e, cfg->global_seed, i, cfg->out_dir,
                                     &smp)) {
            snprintf(err, errlen, "%s", musicgen_engine_error(e));
            rc = -1;
            break;
        }
        row = *mgapi_sample_row(smp);
        musicgen_sample_destroy(&smp);
        if (durable && row.status == MG_ROW_OK &&
            worker_sync_sample(cfg->out_dir, row.path, err, errlen)) {
            rc = -1;
            break;
        }
        mg_rfc3339(ts, sizeof ts, mg_wall_ms());
        if (mg_row_jsonl(&row, ts, line, sizeof line) < 0 ||
            fprintf(f, "%s\n", line) < 0) {
            snprintf(err, errlen, "%s: write failed", tmp);
            rc = -1;
            break;
        }
    }
    mgapi_engine_unwrap(&e);
    if (fflush(f) || fsync(fileno(f)))
        rc = -1;
    if (fclose(f))
        rc = -1;
    if (rc == 0 && rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

/* The tree's run lock, shared, in the words of slice I of M: its
 * descriptor, or -1 with err. */
static int
slice_lock(const mg_config *cfg, int array_index, int array_size, char *err,
           size_t errlen)
{
    char what[120];
    snprintf(what, sizeof what, "musicgen worker --static, slice %d of %d",
             array_index, array_size);
    return mg_runlock_share(cfg->out_dir, what, err, errlen);
}

/* Is name a part file of slice file base ("<base>.part-<p>-of-<J>")? */
static bool
is_part(const char *name, const char *base)
{
    size_t bl = strlen(base);
    int p, j, used = 0;
    return !strncmp(name, base, bl) &&
           sscanf(name + bl, ".part-%d-of-%d%n", &p, &j, &used) == 2 &&
           !name[bl + (size_t)used];
}

/* Remove the part files of slice file path (in dir): they are in it now,
 * and those of a run of this slice with another --jobs are stale. */
static void
remove_parts(const char *dir, const char *path)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    const char *base = strrchr(path, '/') + 1;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_part(de->d_name, base)) {
            char p[2400];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
    closedir(d);
}

int
mg_worker_static(const mg_config *cfg, int array_index, int array_size,
                 int part, int parts, bool durable, struct mg_engine *pre,
                 const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
    if (array_size < 1 || array_index < 0 || array_index >= array_size ||
        parts < 1 || part < 0 || part >= parts) {
        snprintf(err, errlen, "--array-index must be in [0, --array-size)");
        return -1;
    }
    uint64_t lo, hi;
    slice_bounds(cfg, array_index, array_size, &lo, &hi);
    /* part p of J: its share of the slice (the J parts make it whole) */
    uint64_t n = hi - lo;
    hi = lo + n * (uint64_t)(part + 1) / (uint64_t)parts;
    lo = lo + n * (uint64_t)part / (uint64_t)parts;
    char dir[1200], seen[300], path[1400];
    /* not a directory of something else: merge will write manifest.jsonl
     * and LICENSES.md there (sampledir.h) */
    if (mg_sampledir_foreign(cfg->out_dir, seen, sizeof seen)) {
        snprintf(err, errlen, "--out %s is not empty and holds no musicgen "
                 "dataset (it has %s): merge writes manifest.jsonl and "
                 "LICENSES.md there; give a new or empty directory, or a "
                 "dataset to resume or grow", cfg->out_dir, seen);
        return -1;
    }
    /* The first tasks of an array start together on a root that may not
     * exist yet: mkdir -p, where "exists" (another task won) is success. */
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", cfg->out_dir);
    if (mg_dir_make(dir)) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    int lk = slice_lock(cfg, array_index, array_size, err, errlen);
    if (lk < 0)
        return -1;
    /* the engine first: its fingerprint is part of the run's identity
     * (pre is borrowed, never freed here; one made here is ours) */
    mg_engine *eng = pre ? pre : mg_engine_new(cfg, err, errlen);
    if (!eng) {
        mg_runlock_release(lk);
        return -1;
    }
    uint64_t range[2] = {0, 0};
    int rc = -1;
    if (same_run(cfg, mg_engine_fingerprint(eng), dir, range, err, errlen) ||
        same_range(cfg, range, err, errlen))
        goto out;
    slice_path(path, sizeof path, dir, array_index, array_size);
    if (parts > 1) {
        size_t l = strlen(path);
        snprintf(path + l, sizeof path - l, ".part-%d-of-%d", part, parts);
    }
    rc = static_slice(cfg, lo, hi, dir, path, durable, eng, stop, err,
                      errlen);
    if (!rc && parts == 1)
        remove_parts(dir, path);
out:
    if (!pre)
        mg_engine_destroy(&eng);
    mg_runlock_release(lk);
    return rc;
}

int
mg_worker_static_join(const mg_config *cfg, int array_index, int array_size,
                      int parts, char *err, size_t errlen)
{
    char dir[1200], path[1400], part[1500], tmp[1700];
    uint64_t lo, hi;
    bool whole = false;
    slice_bounds(cfg, array_index, array_size, &lo, &hi);
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", cfg->out_dir);
    slice_path(path, sizeof path, dir, array_index, array_size);
    int lk = slice_lock(cfg, array_index, array_size, err, errlen);
    if (lk < 0)
        return -1;
    slice_tmp(tmp, sizeof tmp, dir, path);
    FILE *out = fopen(tmp, "w");
    int rc = out ? 0 : mg_errf(err, errlen, "%s: %s", tmp, strerror(errno));
    char buf[65536];
    for (int p = 0; p < parts && !rc; p++) {
        snprintf(part, sizeof part, "%s.part-%d-of-%d", path, p, parts);
        FILE *in = fopen(part, "r");
        if (!in && errno == ENOENT && slice_whole(path, lo, hi)) {
            /* another run of this slice (a requeued task beside the
             * first) joined its parts first and removed ours with
             * theirs: the slice file it renamed into place is whole */
            whole = true;
            break;
        }
        if (!in) {
            rc = mg_errf(err, errlen, "%s: %s", part, strerror(errno));
            break;
        }
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, k, out) != k) {
                rc = mg_errf(err, errlen, "%s: write failed", tmp);
                break;
            }
        if (ferror(in))
            rc = mg_errf(err, errlen, "%s: read failed", part);
        fclose(in);
    }
    if (out && (fflush(out) || fsync(fileno(out))) && !rc)
        rc = mg_errf(err, errlen, "%s: %s", tmp, strerror(errno));
    if (out && fclose(out) && !rc)
        rc = mg_errf(err, errlen, "%s: %s", tmp, strerror(errno));
    if (!rc && !whole && rename(tmp, path))
        rc = mg_errf(err, errlen, "%s: %s", path, strerror(errno));
    if (rc || whole)
        unlink(tmp);
    if (!rc)
        remove_parts(dir, path);
    mg_runlock_release(lk);
    return rc;
}
