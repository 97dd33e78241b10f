/*
 * merge — the static slices of `musicgen worker --static`: their scan
 * (which are complete, the rows and indices they hold), what `musicgen
 * status --out` says of a tree made by them (mg_status_static), and
 * `musicgen merge`, which builds manifest.jsonl (and LICENSES.md) from
 * them under the tree's run lock, keeping out samples `filter` moved
 * away since, and refusing slices whose samples another musicgen or
 * other genre data made (made_by).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "config.h"
#include "dsread.h"
#include "dsfilter.h"
#include "licenses.h"
#include "rfile.h"
#include "runlock.h"
#include "runmark.h"
#include "slices.h"

/* The slice files of static workers in ROOT/.musicgen/slices: those of
 * one array size M (that of the newest slice file, should a tree hold
 * two slicings: a run grown with another --array-size leaves the old
 * slices behind, and the largest M was the old one as often as not),
 * which are complete, the rows and indices they hold. */
typedef struct {
    int m, done;   /* array size, slices complete */
    bool *have;    /* [m]: slice i complete */
    uint64_t rows, ok, lo, hi;
    struct timespec newest; /* the last slice file written */
} slices_info;

/* Is a later than b? To the nanosecond: a merge made in the same second
 * as the last slice was written may have missed it. */
static bool
ts_later(struct timespec a, struct timespec b)
{
    return a.tv_sec > b.tv_sec ||
           (a.tv_sec == b.tv_sec && a.tv_nsec > b.tv_nsec);
}

/* 0 filled in (free si->have), 1 no slice files, -1 out of memory. */
static int
slices_scan(const char *root, slices_info *si)
{
    memset(si, 0, sizeof *si);
    si->lo = UINT64_MAX;
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", root);
    DIR *d = opendir(dir);
    if (!d) return 1;
    enum { MAXS = 100000 };
    int m = 0, nfiles = 0;
    struct timespec newest = {0, 0};
    struct dirent *de;
    while ((de = readdir(d))) {
        int i, mm, used = 0;
        if (sscanf(de->d_name, "slice-%d-of-%d.jsonl%n", &i, &mm, &used) == 2 &&
            !de->d_name[used] && mm > 0 && mm <= MAXS && i >= 0 && i < mm) {
            char path[2600];
            struct stat fs;
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            if (stat(path, &fs))
                continue;
            struct timespec t = fs.st_mtim;
            if (ts_later(t, newest) ||
                (!ts_later(newest, t) && mm > m)) {
                newest = t;
                m = mm;
            }
            nfiles++;
        }
    }
    if (!nfiles) {
        closedir(d);
        return 1;
    }
    si->m = m;
    if (!(si->have = calloc((size_t)m, sizeof *si->have))) {
        closedir(d);
        return -1;
    }
    rewinddir(d);
    while ((de = readdir(d))) {
        int i, mm, used = 0;
        if (sscanf(de->d_name, "slice-%d-of-%d.jsonl%n", &i, &mm, &used) != 2 ||
            de->d_name[used] || mm != m || i < 0 || i >= m)
            continue;
        if (!si->have[i]) si->done++;
        si->have[i] = true;
        char path[2600];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat fs;
        if (!stat(path, &fs) && ts_later(fs.st_mtim, si->newest))
            si->newest = fs.st_mtim;
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
            uint64_t v;
            if (!mg_dsrow_index(line, &v)) continue;
            si->rows++;
            if (strstr(line, "\"status\":\"ok\"")) si->ok++;
            if (v < si->lo) si->lo = v;
            if (v > si->hi) si->hi = v;
        }
        free(line);
        if (f) fclose(f);
    }
    closedir(d);
    if (!si->rows) si->lo = 0;
    return 0;
}

/* " 1, 3, 7 and 2 more": the missing slices, for a message. */
static void
slices_missing(const slices_info *si, char *out, size_t n)
{
    size_t l = 0;
    int said = 0;
    out[0] = '\0';
    for (int i = 0; i < si->m && said < 20 && l + 16 < n; i++)
        if (!si->have[i])
            l += (size_t)snprintf(out + l, n - l, "%s %d", said++ ? "," : "", i);
    if (si->m - si->done > said && l < n)
        snprintf(out + l, n - l, " and %d more", si->m - si->done - said);
}

/* status --out ROOT of a tree made by static workers (no ledger, slices
 * in ROOT/.musicgen/slices): which slices are complete, the indices their
 * rows cover, whether merge has run, who writes it now. 0, or 1 when ROOT
 * has no slices either (the caller then says there is no ledger). */
int
mg_status_static(const char *root)
{
    slices_info si;
    int sr = slices_scan(root, &si);
    if (sr < 0) fprintf(stderr, "musicgen status: out of memory\n");
    if (sr) return 1;
    int m = si.m, done = si.done;
    uint64_t rows = si.rows, ok = si.ok, lo = si.lo, hi = si.hi;
    struct timespec newest = si.newest;
    printf("run: static slices (worker --static), no ledger: %d of %d "
           "slices complete\n", done, m);
    if (done < m) {
        char miss[400];
        slices_missing(&si, miss, sizeof miss);
        printf("missing slices:%s (each task writes its slice's rows when "
               "it has finished it)\n", miss);
    }
    free(si.have);
    if (rows)
        printf("rows: %" PRIu64 " (%" PRIu64 " ok, %" PRIu64 " failed), "
               "indices %" PRIu64 "..%" PRIu64 "\n", rows, ok, rows - ok,
               (uint64_t)lo, (uint64_t)hi);
    char who[200], mpath[1300];
    struct stat st;
    snprintf(mpath, sizeof mpath, "%s/manifest.jsonl", root);
    bool merged = !stat(mpath, &st);
    if (mg_runlock_held(root, who, sizeof who))
        printf("state: incomplete, being written by %s\n", who);
    else if (done < m)
        printf("state: incomplete, nothing writing it now (submit the "
               "missing slices again, with the same --array-size)\n");
    else if (!merged || ts_later(newest, st.st_mtim)) {
        printf("state: slices complete, %s: musicgen merge --out %s "
               "--count %" PRIu64, merged ? "merged before the last of them "
               "was written" : "not merged", root, rows);
        if (lo) printf(" --start %" PRIu64, lo);
        printf(" builds the manifest\n");
    } else {
        printf("state: complete (merged into manifest.jsonl)\n");
    }
    return 0;
}

/* The "path" of row line (our own canonical rows: "path":"SHARD/NAME",
 * no escapes) into out: true, or false when it has none. */
static bool
row_path(const char *line, char *out, size_t n)
{
    const char *p = strstr(line, "\"path\":\"");
    if (!p)
        return false;
    p += 8;
    const char *e = strchr(p, '"');
    if (!e || memchr(p, '\\', (size_t)(e - p)) || (size_t)(e - p) >= n)
        return false;
    snprintf(out, n, "%.*s", (int)(e - p), p);
    return true;
}

/* The rows of slice file path in [start, start + count) into lines (the
 * first row of an index wins); the path of its first "ok" row there
 * into first ("" when none). */
static int
merge_file(const char *path, uint64_t start, uint64_t count, char **lines,
           uint64_t *have, char *first, size_t firstn)
{
    first[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        uint64_t i;
        if (!mg_dsrow_index(line, &i) || i < start || i - start >= count)
            continue;
        if (!first[0] && strstr(line, "\"status\":\"ok\""))
            row_path(line, first, firstn);
        if (!lines[i - start]) {
            lines[i - start] = strdup(line);
            (*have)++;
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* What made a run's samples, as sample.json records it (musicgen_version,
 * genres_hash, fluidsynth_version) and a static run's run.json under
 * "fingerprint" (engine_version, genres_hash, synth_version; its
 * soundfonts_hash has no counterpart in sample.json, which names its
 * fonts). Two slices that differ here were made by two musicgen builds
 * or two genre data sets: one dataset of mixed bytes. */
typedef struct {
    char version[32], genres[65], synth[32];
    char whose[3000];   /* where it was read, for a message */
} made_by;

/* Fill m from JSON object o's keys k[3] ("" where one is missing). */
static void
made_by_set(made_by *m, const json_t *o, const char *const k[3])
{
    char *to[3] = {m->version, m->genres, m->synth};
    size_t n[3] = {sizeof m->version, sizeof m->genres, sizeof m->synth};
    for (int i = 0; i < 3; i++) {
        const char *v = json_string_value(json_object_get(o, k[i]));
        snprintf(to[i], n[i], "%s", v ? v : "");
    }
}

/* m from JSON file path: its fingerprint object (run.json) when fp, the
 * sample's own keys else. 0, or -1 when it cannot be read or records
 * none of them. */
static int
made_by_read(const char *path, bool fp, made_by *m)
{
    static const char *const run[3] = {"engine_version", "genres_hash",
                                       "synth_version"};
    static const char *const smp[3] = {"musicgen_version", "genres_hash",
                                       "fluidsynth_version"};
    char e[300];
    /* a sample's seed may pass 2^63, which jansson's integers refuse */
    json_t *j = mg_rfile_json(path, JSON_DECODE_INT_AS_REAL, e, sizeof e);
    json_t *o = j;
    if (fp)
        o = json_object_get(j, "fingerprint");
    if (!json_is_object(o)) {
        json_decref(j);
        return -1;
    }
    made_by_set(m, o, fp ? run : smp);
    json_decref(j);
    return m->version[0] || m->genres[0] || m->synth[0] ? 0 : -1;
}

/* 0 when m is ref (a field "" in ref: not recorded), else -1 with what
 * differs in why ("genres_hash be1b385ba82e, the run's 70afc94678b0"). */
static int
made_by_differs(const made_by *m, const made_by *ref, char *why, size_t n)
{
    const struct { const char *name, *a, *b; } f[] = {
        {"musicgen_version", m->version, ref->version},
        {"genres_hash", m->genres, ref->genres},
        {"fluidsynth_version", m->synth, ref->synth},
    };
    size_t k = 0;
    why[0] = '\0';
    for (size_t i = 0; i < 3; i++)
        if (f[i].b[0] && strcmp(f[i].a, f[i].b) && k < n)
            k += (size_t)snprintf(why + k, n - k, "%s%s %.12s, the run's "
                                  "%.12s", k ? "; " : "", f[i].name,
                                  f[i].a[0] ? f[i].a : "none", f[i].b);
    return k ? -1 : 0;
}

/* Where the sample of row line is: in the tree (or the row is not
 * "ok": nothing to find), moved from root into one of the reject
 * directories rej by `musicgen filter` (kept out of the manifest, as the
 * coordinator keeps it: coord_setup.c's verify_row), or gone (deleted
 * since its slice was written: a manifest row for it would list a
 * sample the tree does not hold). */
enum { ROW_HERE, ROW_MOVED, ROW_GONE };

static int
row_sample(const char *root, char *const *rej, int nrej, const char *line)
{
    if (!strstr(line, "\"status\":\"ok\""))
        return ROW_HERE;
    char rel[1200], path[5200];
    if (!row_path(line, rel, sizeof rel))
        return ROW_HERE;
    struct stat st;
    snprintf(path, sizeof path, "%s/%s/sample.json", root, rel);
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
        return ROW_HERE;
    for (int i = 0; i < nrej; i++) {
        snprintf(path, sizeof path, "%s/%s/sample.json", rej[i], rel);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            return ROW_MOVED;
    }
    return ROW_GONE;
}

int
mg_cmd_merge(int argc, char **argv)
{
    mg_config cfg;
    char **rest;
    int nrest, rc = 2;
    char perr[512];
    if (!(rest = calloc((size_t)argc + 1, sizeof *rest)))
        return 2;
    if (mg_config_from_args(&cfg, argc, argv, NULL, rest, &nrest, perr,
                            sizeof perr)) {
        fprintf(stderr, "musicgen merge: %s\n", perr);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen merge --out ROOT [--count N [--start I]]\n"
                   "  builds ROOT/manifest.jsonl from the slices of "
                   "`musicgen worker --static`\n"
                   "  (without --count: the run the complete slices "
                   "cover)\n");
            free(rest);
            return 0;
        }
        fprintf(stderr, "musicgen merge: unexpected argument '%s'\n",
                rest[i]);
        free(rest);
        return 2;
    }
    free(rest);
    /* Without --count, the run is the slices': all of one array size
     * complete, their rows covering start..end without a gap. */
    bool count_given = false, start_given = false;
    for (int i = 1; i < argc; i++) {
        count_given |= !strcmp(argv[i], "--count") ||
                       !strncmp(argv[i], "--count=", 8) ||
                       !strncmp(argv[i], "-n", 2);
        start_given |= !strcmp(argv[i], "--start") ||
                       !strncmp(argv[i], "--start=", 8);
    }
    if (!count_given) {
        slices_info si;
        int sr = slices_scan(cfg.out_dir, &si);
        if (sr < 0) {
            fprintf(stderr, "musicgen merge: out of memory\n");
            return 1;
        }
        if (sr > 0) {
            /* not "1 of 1 samples missing": no --count was given */
            fprintf(stderr, "musicgen merge: %s/.musicgen/slices holds no "
                    "finished slice (slice-I-of-M.jsonl): run the static "
                    "workers (musicgen worker --static) first\n",
                    cfg.out_dir);
            return 1;
        }
        if (sr == 0) {
            char miss[400];
            slices_missing(&si, miss, sizeof miss);
            uint64_t from = start_given ? (uint64_t)cfg.start : si.lo;
            free(si.have);
            if (si.done < si.m) {
                fprintf(stderr, "musicgen merge: slice%s%s of %d missing: run "
                        "%s again (the same --array-size), then merge\n",
                        si.m - si.done > 1 ? "s" : "", miss, si.m,
                        si.m - si.done > 1 ? "them" : "it");
                return 1;
            }
            if (!si.rows || from > si.lo || si.hi - from + 1 != si.rows) {
                fprintf(stderr, "musicgen merge: the slices' %" PRIu64 " rows "
                        "do not cover %" PRIu64 "..%" PRIu64 " once each: "
                        "give the run's --count (and --start)\n", si.rows,
                        from, si.hi);
                return 1;
            }
            cfg.start = (int64_t)from;
            cfg.count = (int64_t)si.rows;
            if (cfg.verbose >= 0)
                fprintf(stderr, "merge: the run of the slices: --start %"
                        PRIu64 " --count %" PRIu64 "\n", from, si.rows);
        }
    }
    uint64_t start = (uint64_t)cfg.start, count = (uint64_t)cfg.count;
    /* a manifest of part of the static run would leave the rest of its
     * finished samples out (runmark.h) */
    uint64_t rs, rn;
    if (mg_runmark_range(cfg.out_dir, &rs, &rn) > 0 &&
        (start > rs || start + count < rs + rn)) {
        fprintf(stderr, "musicgen merge: %s holds the static run of samples "
                "%" PRIu64 "..%" PRIu64 " (.musicgen/slices/range.json): "
                "--start %" PRIu64 " --count %" PRIu64 " would leave samples "
                "out of the manifest; give --start %" PRIu64 " --count %"
                PRIu64 " (or no --count)\n", cfg.out_dir, rs, rs + rn - 1,
                start, count, rs, rn);
        return 1;
    }
    char dir[1200], path[1500], tmp[1300];
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", cfg.out_dir);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "musicgen merge: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    /* not beside static workers still writing slices, nor under a score,
     * filter or clean of the tree (runlock.h) */
    char lerr[1300];
    int lk = mg_runlock_take(cfg.out_dir, "musicgen merge", lerr, sizeof lerr);
    if (lk < 0) {
        closedir(d);
        fprintf(stderr, "musicgen merge: %s\n", lerr);
        return 1;
    }
    /* finished samples past the slices' run (a coordinator or generate
     * grew it since): a manifest of the slices would leave them out, and
     * replaced the run's whole one with it */
    uint64_t lo, hi;
    if (mg_dsread_span(cfg.out_dir, &lo, &hi) &&
        (lo < start || hi - start >= count)) {
        closedir(d);
        mg_runlock_release(lk);
        fprintf(stderr, "musicgen merge: %s holds finished samples %" PRIu64
                "..%" PRIu64 ", past the slices' run of samples %" PRIu64
                "..%" PRIu64 " (a coordinator or generate made the rest): a "
                "manifest of the slices would leave them out; resume that "
                "run to write its manifest\n", cfg.out_dir, lo, hi, start,
                start + count - 1);
        return 1;
    }
    char **lines = calloc(count, sizeof *lines);
    if (!lines) {
        closedir(d);
        mg_runlock_release(lk);
        fprintf(stderr, "musicgen merge: out of memory\n");
        return 1;
    }
    uint64_t have = 0;
    struct dirent *de;
    /* one run's slices: the musicgen and data that made each slice's
     * first sample are the run's (run.json's fingerprint; where an older
     * musicgen recorded none, the first slice's), else the tree mixes
     * two engines' bytes (the workers refuse such a slice since, and a
     * tree made before can still hold one) */
    made_by ref, mb;
    char fsm[1200], sp[2500], why[600] = "", odd[300] = "";
    char oddp[2500] = "";
    snprintf(path, sizeof path, "%s/run.json", dir);
    bool have_ref = !made_by_read(path, true, &ref);
    if (have_ref)
        snprintf(ref.whose, sizeof ref.whose, "%s", path);
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "slice-", 6) || l < 7 ||
            strcmp(de->d_name + l - 6, ".jsonl"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        merge_file(path, start, count, lines, &have, fsm, sizeof fsm);
        if (why[0] || !fsm[0])
            continue;
        snprintf(sp, sizeof sp, "%s/%s/sample.json", cfg.out_dir, fsm);
        if (made_by_read(sp, false, &mb))
            continue;       /* moved out by filter, or gone: said below */
        if (!have_ref) {
            ref = mb;
            snprintf(ref.whose, sizeof ref.whose, "%s's first sample, %s",
                     de->d_name, sp);
            have_ref = true;
        } else if (made_by_differs(&mb, &ref, why, sizeof why)) {
            snprintf(odd, sizeof odd, "%s", de->d_name);
            snprintf(oddp, sizeof oddp, "%s", sp);
        }
    }
    closedir(d);
    rc = 1;
    if (why[0]) {
        fprintf(stderr, "musicgen merge: %s was made by another musicgen or "
                "with other data than the run (%s): its first sample, %s, "
                "has %s; make the run again in another --out with one "
                "musicgen and one --genres-dir, --sf-dir and --fonts, or "
                "remove that slice file and the samples its rows list and run "
                "that slice again\n", odd, ref.whose, oddp, why);
        goto done;
    }
    if (have < count) {
        uint64_t first = 0;
        while (first < count && lines[first])
            first++;
        fprintf(stderr, "musicgen merge: %" PRIu64 " of %" PRIu64 " samples "
                "missing (first: %" PRIu64 "); run the missing slices again\n",
                count - have, count, start + first);
        goto done;
    }
    /* samples a filter moved out since the slices were written */
    char *rej[MG_DSFILTER_MAX_REJECT_DIRS];
    int nrej = mg_dsfilter_reject_dirs(cfg.out_dir, rej,
                                       MG_DSFILTER_MAX_REJECT_DIRS);
    uint64_t kept_out = 0, gone = 0, first_gone = 0;
    for (uint64_t i = 0; i < count; i++) {
        int where = row_sample(cfg.out_dir, rej, nrej, lines[i]);
        if (where == ROW_MOVED) {
            free(lines[i]);
            lines[i] = NULL;
            kept_out++;
        } else if (where == ROW_GONE && !gone++) {
            first_gone = start + i;
        }
    }
    for (int i = 0; i < nrej; i++)
        free(rej[i]);
    if (gone) {
        fprintf(stderr, "musicgen merge: %" PRIu64 " sample(s) of the slices' "
                "ok rows are gone from the tree (first: %" PRIu64 "); run "
                "again the slice%s that made them (a slice makes what it "
                "lacks), then merge\n", gone, first_gone, gone > 1 ? "s" : "");
        goto done;
    }
    snprintf(path, sizeof path, "%s/manifest.jsonl", cfg.out_dir);
    snprintf(tmp, sizeof tmp, "%s/.manifest.jsonl.tmp", cfg.out_dir);
    FILE *f = fopen(tmp, "w");
    int bad = !f;
    for (uint64_t i = 0; f && i < count; i++)
        if (lines[i] && fprintf(f, "%s\n", lines[i]) < 0)
            bad = 1;
    if (f && (fflush(f) || fsync(fileno(f))))
        bad = 1;
    if (f && fclose(f))
        bad = 1;
    if (bad || rename(tmp, path)) {
        fprintf(stderr, "musicgen merge: cannot write %s: %s\n", path,
                strerror(errno));
        unlink(tmp);
        goto done;
    }
    if (mg_licenses_write(cfg.out_dir, cfg.sf_dir, NULL, path,
                          sizeof path)) {
        fprintf(stderr, "musicgen merge: %s\n", path);
        goto done;
    }
    if (cfg.verbose >= 0) {
        fprintf(stderr, "merged %" PRIu64 " rows -> %s/manifest.jsonl",
                count - kept_out, cfg.out_dir);
        if (kept_out)
            fprintf(stderr, " (%" PRIu64 " sample(s) moved out by `musicgen "
                    "filter` kept out)", kept_out);
        fputc('\n', stderr);
    }
    rc = 0;
done:
    mg_runlock_release(lk);
    for (uint64_t i = 0; i < count; i++)
        free(lines[i]);
    free(lines);
    return rc;
}
