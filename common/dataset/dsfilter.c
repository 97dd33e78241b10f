/*
 * dsfilter — moving rejects out of a dataset (see dsfilter.h).
 *
 * Moving while walking: dsread gives indices in increasing order and
 * never gives an index twice, so renaming a directory it has already
 * given cannot disturb the walk. The manifests are then rebuilt from the
 * disk in one merge of two index-ordered streams (ROOT's rows, the reject
 * directory's old rows): constant memory.
 */
#include "dsfilter.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "dsfetch.h"
#include "dsfile.h"
#include "dsread.h"
#include "dsscore.h"
#include "errmsg.h"
#include "gbuf.h"
#include "licenses.h"
#include "outpath.h"
#include "runlock.h"
#include "sampledir.h"
#include "wfile.h"

static bool
has_sample(const char *dir, const char *rel)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s/sample.json", dir, rel);
    return access(p, F_OK) == 0;
}

/* Move ROOT/rel to D/rel with one rename; 0, or -1 with a message. */
static int
move_one(const char *root, const char *rej, const char *rel, char *err,
         size_t errlen)
{
    char src[4400], dst[4400], parent[4400];
    snprintf(src, sizeof src, "%s/%s", root, rel);
    snprintf(dst, sizeof dst, "%s/%s", rej, rel);
    snprintf(parent, sizeof parent, "%s", dst);
    *strrchr(parent, '/') = 0;
    if (mg_dir_make(parent))
        return mg_errf(err, errlen, "cannot create %s: %s", parent,
                       strerror(errno));
    if (rename(src, dst)) {
        int en = errno;
        if (en == EEXIST || en == ENOTEMPTY) {
            if (has_sample(rej, rel))
                return mg_errf(err, errlen, "%s is also in %s: left in "
                               "place (compare them and remove one)",
                               rel, rej);
            /* A directory there without sample.json is not a sample. */
            if (mg_dir_remove(dst) == 0 && rename(src, dst) == 0) goto ok;
            en = errno;
        }
        return mg_errf(err, errlen, "cannot move %s to %s: %s", src, dst,
                       strerror(en));
    }
ok:
    mg_wfile_sync_dir(parent);
    snprintf(parent, sizeof parent, "%s", src);
    mg_wfile_sync_dir(dirname(parent));
    return 0;
}

int
mg_dsfilter_reject_dirs(const char *root, char **dirs, int max)
{
    char path[4200], line[4200];
    snprintf(path, sizeof path, "%s/.musicgen/reject-dirs", root);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int n = 0;
    while (n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (line[0] == '/' && (dirs[n] = strdup(line))) n++;
    }
    fclose(f);
    return n;
}

/* Add rej (absolute) to ROOT/.musicgen/reject-dirs unless it is there:
 * temp file, fsync, rename, so a kill leaves the old list or the new. */
static int
record_reject_dir(const char *root, const char *rej, char *err,
                  size_t errlen)
{
    char abs[4096], dir[4200], path[4300];
    if (mg_dir_make(rej) || !realpath(rej, abs))
        return mg_errf(err, errlen, "cannot create %s: %s", rej,
                       strerror(errno));
    char *have[MG_DSFILTER_MAX_REJECT_DIRS];
    int n = mg_dsfilter_reject_dirs(root, have, MG_DSFILTER_MAX_REJECT_DIRS);
    bool known = false;
    for (int i = 0; i < n; i++)
        known |= !strcmp(have[i], abs);
    int rc = 0;
    if (!known && n == MG_DSFILTER_MAX_REJECT_DIRS) {
        rc = mg_errf(err, errlen, "%s: more than %d reject directories "
                     "used for this dataset; use one of those already in "
                     "%s/.musicgen/reject-dirs", rej,
                     MG_DSFILTER_MAX_REJECT_DIRS, root);
    } else if (!known) {
        snprintf(dir, sizeof dir, "%s/.musicgen", root);
        snprintf(path, sizeof path, "%s/reject-dirs", dir);
        mg_gbuf t = {0};
        for (int i = 0; i < n; i++) {
            mg_gbuf_puts(&t, have[i]);
            mg_gbuf_putc(&t, '\n');
        }
        mg_gbuf_puts(&t, abs);
        mg_gbuf_putc(&t, '\n');
        if (t.oom || mg_dir_make(dir))
            rc = mg_errf(err, errlen, "cannot write %s: %s", path,
                         t.oom ? "out of memory" : strerror(errno));
        else if (mg_wfile_put(path, t.p, t.len, true, err, errlen) < 0)
            rc = -1;
        mg_gbuf_free(&t);
    }
    for (int i = 0; i < n; i++)
        free(have[i]);
    return rc;
}

typedef struct {
    mg_dsmanifest *m;
    json_t *row;
    uint64_t index;
    bool have;
    FILE *log;
    const char *name; /* "" or "reject directory: " before a message */
    uint64_t *dropped;
} rows;

static void
rows_next(rows *r)
{
    char err[600];
    json_t *row;
    long line;
    json_decref(r->row);
    r->row = NULL;
    r->have = false;
    while (r->m) {
        int rc = mg_dsmanifest_next(r->m, &row, &line, err, sizeof err);
        if (rc == 0) return;
        if (rc < 0) {
            fprintf(r->log, "%s%s (dropped from the new manifest)\n",
                    r->name, err);
            (*r->dropped)++;
            continue;
        }
        json_t *ix = json_object_get(row, "sample_index");
        if (!json_is_number(ix) || json_number_value(ix) < 0) {
            fprintf(r->log, "%smanifest.jsonl:%ld: no sample_index (dropped "
                    "from the new manifest)\n", r->name, line);
            (*r->dropped)++;
            continue;
        }
        r->row = json_incref(row);
        r->index = (uint64_t)json_number_value(ix);
        r->have = true;
        return;
    }
}

/* Rebuild both manifests from the disk (step 2). */
static int
split_manifests(const char *root, const char *rej, int width, FILE *log,
                mg_dsfilter_totals *t, char *err, size_t errlen)
{
    char path[4200], e2[600];
    rows rr = {.log = log, .name = "", .dropped = &t->dropped_rows};
    rows rj = {.log = log, .name = "reject directory: ",
               .dropped = &t->dropped_rows};
    mg_dsout *out_root = NULL, *out_rej = NULL;
    int rc = -1;

    rr.m = mg_dsmanifest_open(root, e2, sizeof e2);
    if (!rr.m) {
        if (errno == ENOENT) {
            fprintf(log, "%s: no manifest.jsonl: samples moved, no manifest "
                    "to split\n", root);
            return 0;
        }
        return mg_errf(err, errlen, "%s", e2);
    }
    rj.m = mg_dsmanifest_open(rej, e2, sizeof e2);
    if (!rj.m && errno != ENOENT) {
        mg_errf(err, errlen, "%s", e2);
        goto out;
    }
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    if (!(out_root = mg_dsout_open(path, err, errlen))) goto out;
    snprintf(path, sizeof path, "%s/manifest.jsonl", rej);
    if (!(out_rej = mg_dsout_open(path, err, errlen))) goto out;

    rows_next(&rr);
    rows_next(&rj);
    while (rr.have) {
        const char *st = json_string_value(json_object_get(rr.row, "status"));
        char rel[64];
        mg_sample_relpath(rel, sizeof rel, rr.index, width);
        bool moved = st && !strcmp(st, "ok") && !has_sample(root, rel) &&
                     has_sample(rej, rel);
        if (!moved) {
            if (mg_dsout_row(out_root, rr.row) == 0) t->kept_rows++;
            rows_next(&rr);
            continue;
        }
        while (rj.have && rj.index < rr.index) {
            if (mg_dsout_row(out_rej, rj.row) == 0) t->reject_rows++;
            rows_next(&rj);
        }
        while (rj.have && rj.index == rr.index)
            rows_next(&rj); /* the same sample: one row */
        if (mg_dsout_row(out_rej, rr.row) == 0) t->reject_rows++;
        rows_next(&rr);
    }
    while (rj.have) {
        if (mg_dsout_row(out_rej, rj.row) == 0) t->reject_rows++;
        rows_next(&rj);
    }
    /* The reject manifest first: a kill between the two commits leaves a
     * row in both, which the next run resolves; never in neither. */
    if (mg_dsout_commit(&out_rej, err, errlen)) goto out;
    mg_ds_test_step();
    if (mg_dsout_commit(&out_root, err, errlen)) goto out;
    rc = 0;
out:
    mg_dsout_abort(&out_rej);
    mg_dsout_abort(&out_root);
    json_decref(rr.row);
    json_decref(rj.row);
    mg_dsmanifest_destroy(&rr.m);
    mg_dsmanifest_destroy(&rj.m);
    return rc;
}

/* A score as the log shows it: four places, as the engine writes it, or
 * the shortest text that reads back as the value where four places do
 * not (a hand-edited 0.97999 moved below 0.98 was shown as "0.9800"). */
static const char *
score_text(double s, char buf[32])
{
    snprintf(buf, 32, "%.4f", s);
    for (int p = 5; p <= 17 && strtod(buf, NULL) != s; p++)
        snprintf(buf, 32, "%.*g", p, s);
    return buf;
}

/* The filter itself, ROOT (sr: its stat) held (mg_dsfilter_run). */
static int
filter_run(const char *root, const struct stat *sr, double min_score,
           const char *reject_dir, int jobs, const mg_dsprogress *progress,
           bool dry_run, FILE *log, mg_dsfilter_totals *t, char *err,
           size_t errlen)
{
    char rej[4096], e2[600], sct[32];
    struct stat sd;
    if (reject_dir)
        snprintf(rej, sizeof rej, "%s", reject_dir);
    else
        snprintf(rej, sizeof rej, "%s/rejected", root);

    /* The reject directory must be on ROOT's file system (rename). */
    char probe[4096];
    snprintf(probe, sizeof probe, "%s", rej);
    while (stat(probe, &sd)) {
        char *s = strrchr(probe, '/');
        if (!s) {
            snprintf(probe, sizeof probe, ".");
            if (stat(probe, &sd))
                return mg_errf(err, errlen, "cannot stat %s", rej);
            break;
        }
        if (s == probe) s[1] = 0;
        else *s = 0;
    }
    if (sd.st_dev != sr->st_dev)
        return mg_errf(err, errlen, "reject directory %s is on another file "
                       "system than %s: samples could not move atomically "
                       "(choose one on the same file system)", rej, root);
    if (sd.st_ino == sr->st_ino && !strcmp(probe, rej))
        return mg_errf(err, errlen, "the reject directory is ROOT itself");
    /* Not where the dataset's readers look for samples: inside ROOT only
     * as a directory of its own at the top (ROOT/rejected), never with a
     * name of digits (a sample's or a shard's: `clean` would have taken
     * it for a half-written one and removed the rejects), inside a sample
     * or a shard, or holding ROOT. */
    char rroot[PATH_MAX], rprobe[PATH_MAX], rrej[PATH_MAX + 4096];
    if (realpath(root, rroot) && realpath(probe, rprobe)) {
        snprintf(rrej, sizeof rrej, "%s%s", rprobe, rej + strlen(probe));
        if (mg_path_holds(rrej, rroot))
            return mg_errf(err, errlen, "reject directory %s holds ROOT %s",
                           rej, root);
        if (mg_path_holds(rroot, rrej)) {
            const char *rest = rrej + strlen(rroot);
            while (*rest == '/') rest++;
            size_t nd = strspn(rest, "0123456789");
            const char *why =
                strchr(rest, '/')   ? "a path in a sample or a shard"
                : rest[0] == '.'    ? "a hidden name (the dataset's own "
                                      "files live there)"
                : !rest[nd]         ? "a name of digits (a sample's or a "
                                      "shard's name)"
                : !strcmp(rest, "manifest.jsonl") ||
                        !strcmp(rest, "LICENSES.md")
                    ? "a file of the dataset"
                    : NULL;
            if (why)
                return mg_errf(err, errlen, "reject directory %s is inside "
                               "%s at %s: only a directory of its own at the "
                               "top may be there; choose %s/rejected or a "
                               "directory outside it", rej, root, why, root);
        }
    }
    /* nor a directory of something else: its manifest.jsonl and
     * LICENSES.md are rewritten (sampledir.h) */
    char what[300];
    if (mg_sampledir_foreign(rej, what, sizeof what))
        return mg_errf(err, errlen, "reject directory %s is not empty and "
                       "holds no musicgen dataset (it has %s): filter writes "
                       "manifest.jsonl and LICENSES.md there; choose a new "
                       "directory or an earlier reject directory", rej, what);

    /* sample.json read and tokenized ahead by threads (dsfetch.h): only
     * musicality_score is wanted, so arrays stay text and the notes are
     * validated, not tokenized. */
    mg_dsfetch_opts fo = {.jflags = MG_JDOC_LEAF_ARRAYS,
                          .skip = "notes",
                          .jobs = mg_dsfetch_jobs(jobs)};
    if (progress) fo.progress = *progress;
    mg_dsfetch *f = mg_dsfetch_open(root, &fo, err, errlen);
    if (!f) return -1;
    int width = mg_dsfetch_shard_width(f);
    mg_dsitem *it;
    int got;
    bool recorded = false;
    while ((got = mg_dsfetch_next(f, &it, err, errlen)) > 0) {
        const mg_dsample *ds = &it->s;
        if (!ds->complete) continue;
        t->samples++;
        long sc = it->ok ? mg_jdoc_get(&it->doc, 0, "musicality_score") : -1;
        double s;
        if (sc < 0 || it->doc.t[sc].type != MG_JT_NUM ||
            mg_jdoc_double(&it->doc, (uint32_t)sc, &s)) {
            fprintf(log, "%s: %s: left in place\n", ds->rel,
                    it->ok ? "sample.json has no musicality_score"
                           : (ds->error ? ds->error : "sample.json unreadable"));
            t->problems++;
            continue;
        }
        if (!(s < min_score)) continue;
        t->below++;
        if (dry_run) {
            fprintf(log, "would move %s (score %s)\n", ds->rel,
                    score_text(s, sct));
            continue;
        }
        if (!recorded) {
            if (record_reject_dir(root, rej, err, errlen)) {
                mg_dsfetch_destroy(&f);
                return -1;
            }
            recorded = true;
        }
        if (move_one(root, rej, ds->rel, e2, sizeof e2)) {
            fprintf(log, "%s: %s\n", ds->rel, e2);
            t->problems++;
            continue;
        }
        t->moved++;
        fprintf(log, "moved %s (score %s)\n", ds->rel, score_text(s, sct));
        mg_ds_test_step();
    }
    mg_dsfetch_destroy(&f);
    if (got < 0) return -1;
    if (dry_run) return 0;
    /* Nothing below and no reject directory yet: nothing to split. */
    struct stat st;
    if (stat(rej, &st)) return 0;
    t->split = true;
    if (split_manifests(root, rej, width, log, t, err, errlen)) return -1;
    /* The licences follow the samples: each tree's LICENSES.md is written
     * again from its new manifest (killed before that, the re-run does
     * it), so neither lists fonts it no longer holds nor misses any. */
    const char *trees[2] = {rej, root};
    for (int k = 0; k < 2; k++) {
        char mp[4300];
        snprintf(mp, sizeof mp, "%s/manifest.jsonl", trees[k]);
        if (access(mp, F_OK) == 0 &&
            mg_licenses_write(trees[k], NULL, NULL, err, errlen))
            return -1;
    }
    return 0;
}

int
mg_dsfilter_run(const char *root, double min_score, const char *reject_dir,
                int jobs, const mg_dsprogress *progress, bool dry_run,
                FILE *log, mg_dsfilter_totals *t, char *err, size_t errlen)
{
    struct stat sr;
    memset(t, 0, sizeof *t);
    if (mg_dsread_root_check(root, &sr, err, errlen))
        return -1;
    /* one writer of the tree at a time (a dry run writes nothing) */
    int lk = dry_run ? -1 : mg_runlock_take(root, "musicgen filter", err,
                                            errlen);
    if (!dry_run && lk < 0) return -1;
    int rc = filter_run(root, &sr, min_score, reject_dir, jobs, progress,
                        dry_run, log, t, err, errlen);
    mg_runlock_release(lk);
    return rc;
}
