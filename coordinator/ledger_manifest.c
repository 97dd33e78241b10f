/*
 * ledger_manifest — manifest.jsonl from the ledger's rows (the
 * coordinator alone writes it), and the rows a run that shrank drops.
 *
 * Invariant: the manifest is replaced by a rename of a synced temporary
 * file: a crash leaves the old one or the whole new one, never a torn
 * file; rows of other writers outside the run's range are kept.
 */
#include "ledger.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    FILE *f;
    int bad;
    const uint64_t *skip; /* sorted; rows come in index order */
    size_t nskip;
} manifest_ctx;

static int
manifest_line(const mg_row *row, const char *wrote_at, void *ud)
{
    manifest_ctx *m = ud;
    while (m->nskip && *m->skip < row->index) {
        m->skip++;
        m->nskip--;
    }
    if (m->nskip && *m->skip == row->index)
        return 0;
    char line[2048];
    int n = mg_row_jsonl(row, wrote_at, line, sizeof line);
    if (n < 0 || fprintf(m->f, "%s\n", line) < 0) {
        m->bad = 1;
        return 1;
    }
    return 0;
}

/* The sample_index of a manifest row as the writers write it
 * (mg_row_jsonl: `"sample_index":N`), or -1. */
static long long
row_index(const char *line)
{
    const char *k = strstr(line, "\"sample_index\":");
    if (!k) return -1;
    k += 15;
    while (*k == ' ') k++;
    if (*k < '0' || *k > '9') return -1;
    char *e;
    errno = 0;
    unsigned long long v = strtoull(k, &e, 10);
    return errno || v > (unsigned long long)LLONG_MAX ? -1 : (long long)v;
}

/* Copy to out the rows of the old manifest (old, may be NULL) whose index
 * lies below the run's range (below) or past it (!below): rows another
 * writer of the tree added outside the run (the library's and Python's
 * generate() of one sample), which the ledger does not hold and a
 * manifest from the ledger alone dropped (their samples then orphans,
 * LICENSES.md without their fonts). 0, or -1 (write error). */
static int
carry_rows(FILE *old, FILE *out, const mg_ledger_run *run, bool below)
{
    if (!old) return 0;
    rewind(old);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, old)) > 0) {
        long long i = row_index(line);
        if (i < 0) continue;
        bool lo = (uint64_t)i < run->start,
             hi = (uint64_t)i - run->start >= run->count && !lo;
        if (!(below ? lo : hi)) continue;
        if (fwrite(line, 1, (size_t)n, out) != (size_t)n ||
            (line[n - 1] != '\n' && fputc('\n', out) == EOF)) {
            rc = -1;
            break;
        }
    }
    free(line);
    return rc;
}

int
mg_ledger_write_manifest(mg_ledger *l, const char *root,
                         const uint64_t *skip, size_t nskip, char *err,
                         size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    snprintf(tmp, sizeof tmp, "%s/.manifest.jsonl.tmp", root);
    mg_ledger_run run;
    int has = mg_ledger_get_run(l, &run, err, errlen);
    if (has < 0) return -1;
    FILE *old = has ? fopen(path, "re") : NULL;
    manifest_ctx m = {fopen(tmp, "w"), 0, skip, nskip};
    if (!m.f) {
        snprintf(err, errlen, "manifest %s: %s", tmp, strerror(errno));
        if (old) fclose(old);
        if (has) mg_ledger_run_free(&run);
        return -1;
    }
    int wrc = has && carry_rows(old, m.f, &run, true) ? 1
              : mg_ledger_foreach_row(l, manifest_line, &m, err, errlen) ? 2
              : has && carry_rows(old, m.f, &run, false) ? 1
                                                          : 0;
    if (wrc) {
        if (wrc == 1)
            snprintf(err, errlen, "manifest %s: write failed", tmp);
        fclose(m.f);
        unlink(tmp);
        if (old) fclose(old);
        if (has) mg_ledger_run_free(&run);
        return -1;
    }
    if (old) fclose(old);
    if (has) mg_ledger_run_free(&run);
    /* Flushed and synced before the rename, so a crash leaves either the
     * old manifest or the whole new one, never a torn file. */
    int bad = m.bad || fflush(m.f) || fsync(fileno(m.f));
    if (fclose(m.f))
        bad = 1;
    if (bad) {
        snprintf(err, errlen, "manifest %s: write failed", tmp);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "manifest %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int
mg_ledger_manifest_drop(const char *root, uint64_t from, uint64_t to,
                        char *err, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    snprintf(tmp, sizeof tmp, "%s/.manifest.jsonl.tmp", root);
    FILE *in = fopen(path, "re");
    if (!in) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "manifest %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool any = false;
    /* read first: a manifest with no such row is left as it is */
    while (!any && (n = getline(&line, &cap, in)) > 0) {
        long long i = row_index(line);
        any = i >= 0 && (uint64_t)i >= from && (uint64_t)i < to;
    }
    if (!any) {
        free(line);
        fclose(in);
        return 0;
    }
    rewind(in);
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(err, errlen, "manifest %s: %s", tmp, strerror(errno));
        free(line);
        fclose(in);
        return -1;
    }
    int bad = 0;
    while (!bad && (n = getline(&line, &cap, in)) > 0) {
        long long i = row_index(line);
        if (i >= 0 && (uint64_t)i >= from && (uint64_t)i < to)
            continue;
        bad = fwrite(line, 1, (size_t)n, out) != (size_t)n;
    }
    free(line);
    bad |= ferror(in);
    fclose(in);
    /* synced before the rename: the old manifest or the new, never torn */
    bad |= fflush(out) || fsync(fileno(out));
    bad |= fclose(out) != 0;
    if (bad || rename(tmp, path)) {
        snprintf(err, errlen, "manifest %s: %s", bad ? tmp : path,
                 bad ? "write failed" : strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
