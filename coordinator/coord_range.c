/*
 * coord_range — a resumed run asked for another range of indices than
 * its ledger holds, seed and options the same: it grows at its end, it
 * shrinks there over samples not made yet (refused over finished ones,
 * in the ledger or on disk), it is resumed from its own start; a start
 * before it, a gap after it or a run past the largest is refused, naming
 * the range to give.
 *
 * Invariant: a finished sample never leaves the run (nothing on disk is
 * removed; the manifest loses only rows of samples not made yet or
 * failed).
 */
#include "coord_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsread.h"

/* 0 when the run of have can give want's range (resumed whole, or grown
 * at its end), else -1 with err saying why not and what can be had. */
static int
range_error(const mg_coord *c, const mg_ledger_run *have,
            const mg_ledger_run *want, char *err, size_t errlen)
{
    uint64_t s = have->start, e = have->start + have->count;
    uint64_t a = want->start, b = want->start + want->count;
    if (a < s) {
        /* named: what goes elsewhere, and what this run can still give
         * ("samples from 0 need another output directory" left a user
         * who wanted more of the run to guess its start) */
        char more[160] = "";
        if (b > e)
            snprintf(more, sizeof more, "; ask for --start %" PRIu64
                     " --count %" PRIu64 " to grow this one to samples %"
                     PRIu64 "..%" PRIu64, s, b - s, s, b - 1);
        snprintf(err, errlen, "the ledger %s holds the run of samples %"
                 PRIu64 "..%" PRIu64 ", which grows at its end only: samples "
                 "%" PRIu64 "..%" PRIu64 " need another run (another --out)%s",
                 c->o.ledger_path, s, e - 1, a, (b < s ? b : s) - 1, more);
        return -1;
    }
    if (a > e) {
        snprintf(err, errlen, "the ledger %s holds the run of samples %"
                 PRIu64 "..%" PRIu64 ": starting at %" PRIu64 " would leave "
                 "samples %" PRIu64 "..%" PRIu64 " out (ask for --start %"
                 PRIu64 " --count %" PRIu64 " or --start %" PRIu64
                 " --count %" PRIu64 ")", c->o.ledger_path, s, e - 1, a, e,
                 a - 1, e, b - e, s, b - s);
        return -1;
    }
    /* grown past what one run may hold, its ledger was grown anyway and
     * every worker then refused the run (its own command too) */
    if (b > e && b - s > (uint64_t)MG_CONFIG_MAX_COUNT) {
        snprintf(err, errlen, "the ledger %s holds the run of samples %"
                 PRIu64 "..%" PRIu64 ": growing it to %" PRIu64 "..%"
                 PRIu64 " would make %" PRIu64 " samples, more than the %"
                 PRId64 " one run may hold; grow it at most to --start %"
                 PRIu64 " --count %" PRId64 ", and make later samples in "
                 "another --out", c->o.ledger_path, s, e - 1, s, b - 1,
                 b - s, MG_CONFIG_MAX_COUNT, s, MG_CONFIG_MAX_COUNT);
        return -1;
    }
    return 0;
}

/* The finished samples at index from or past it: the ledger's "ok" rows
 * and the complete sample directories on disk (a sample in hand at a
 * stop is finished after the coordinator's last commit: on disk, in no
 * row yet), each counted once; rows and directories come in index
 * order. */
typedef struct {
    uint64_t *disk;
    size_t nd, j;
    uint64_t n, first, last;
} past_ctx;

static void
past_note(past_ctx *p, uint64_t i)
{
    if (!p->n || i < p->first)
        p->first = i;
    if (!p->n || i > p->last)
        p->last = i;
    p->n++;
}

static int
past_row(uint64_t idx, void *ud)
{
    past_ctx *p = ud;
    while (p->j < p->nd && p->disk[p->j] < idx)
        past_note(p, p->disk[p->j++]);
    if (p->j < p->nd && p->disk[p->j] == idx)
        p->j++;
    past_note(p, idx);
    return 0;
}

static int
finished_past(mg_coord *c, uint64_t from, past_ctx *p, char *err,
              size_t errlen)
{
    char e2[300];
    size_t cap = 0;
    memset(p, 0, sizeof *p);
    mg_dsread *r = mg_dsread_open(c->o.cfg.out_dir, 0, e2, sizeof e2);
    mg_dsample ds;
    while (r && mg_dsread_next(r, &ds, e2, sizeof e2) == 1) {
        if (!ds.complete || ds.misplaced || ds.index == MG_DSREAD_NOINDEX ||
            ds.index < from)
            continue;
        if (p->nd == cap) {
            cap = cap ? 2 * cap : 256;
            uint64_t *d = realloc(p->disk, cap * sizeof *d);
            if (!d) {
                free(p->disk);
                mg_dsread_destroy(&r);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            p->disk = d;
        }
        p->disk[p->nd++] = ds.index;
    }
    mg_dsread_destroy(&r);
    int rc = mg_ledger_ok_indices(c->ledger, from, past_row, p, err, errlen);
    while (p->j < p->nd)
        past_note(p, p->disk[p->j++]);
    free(p->disk);
    p->disk = NULL;
    return rc;
}

/* The run shrinks at its end to [s, b) (fewer samples asked for: a
 * --count typed too large, then Ctrl-C): when none of the samples from b
 * on is finished, those not made yet (and failed ones) leave the ledger
 * and the manifest; else it is refused, naming them (the run is not cut
 * under finished samples, nor resumed whole, which left a user no way
 * back). 0, or -1 with err. */
static int
shrink(mg_coord *c, const mg_ledger_run *have, uint64_t a, uint64_t b,
       char *err, size_t errlen)
{
    uint64_t s = have->start, e = have->start + have->count;
    past_ctx p;
    if (finished_past(c, b, &p, err, errlen))
        return -1;
    if (p.n) {
        const char *other = c->o.other_run ? c->o.other_run
                                           : "another ledger";
        snprintf(err, errlen, "the ledger %s holds the run of samples %"
                 PRIu64 "..%" PRIu64 ", and %" PRIu64 " sample%s at or past "
                 "index %" PRIu64 " %s finished (the first: index %" PRIu64
                 "): it shrinks only by samples not made yet; give --count %"
                 PRIu64 " or more, or %s", c->o.ledger_path, s, e - 1, p.n,
                 p.n == 1 ? "" : "s", b, p.n == 1 ? "is" : "are", p.first,
                 p.last + 1 - a, other);
        return -1;
    }
    c->o.cfg.count = (int64_t)(b - s);
    char *nj = mg_config_run_json(&c->o.cfg);
    if (!nj) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* the manifest first: cut short here, its rows come back from the
     * ledger at the next write */
    int rc = mg_ledger_manifest_drop(c->o.cfg.out_dir, b, e, err, errlen);
    if (!rc)
        rc = mg_ledger_shrink_run(c->ledger, b - s, nj, err, errlen);
    if (rc) {
        if (rc > 0)
            snprintf(err, errlen, "the ledger %s: a sample past index %"
                     PRIu64 " was finished meanwhile", c->o.ledger_path, b);
        free(nj);
        return -1;
    }
    free(c->run_json);
    c->run_json = nj;
    c->shrank_from = have->count;
    if (!c->o.quiet)
        mg_dlog(WHO, "shrinking the run: samples %" PRIu64 "..%" PRIu64
                " -> %" PRIu64 "..%" PRIu64 " (samples %" PRIu64 "..%"
                PRIu64 ", none finished, dropped)", s, e - 1, s, b - 1, b,
                e - 1);
    return 0;
}

/* want (this session's parameters) differs from the ledger's run (have)
 * in its index range alone (seed, fingerprint and every other option the
 * same). As with the Python tool, where asking for more samples makes
 * the missing ones: the run grows at its end to cover want; it shrinks
 * to end where want does when none of the samples it drops is finished
 * (shrink); asked for samples from a later start, it is resumed from its
 * own. 1 when so (c->o.cfg's range and c->run_json now the run's), 0
 * when something else differs too (the caller refuses, naming it), -1
 * with err when the range cannot be had (it starts before the run's,
 * leaves a gap after it, or drops finished samples) or the ledger cannot
 * be written. */
int
coord_range_only(mg_coord *c, const mg_ledger_run *have, const mg_ledger_run *want,
           char *err, size_t errlen)
{
    char why[512];
    if (have->global_seed != want->global_seed ||
        mg_fingerprint_compare(&have->fp, &want->fp, why, sizeof why))
        return 0;
    mg_config probe = c->o.cfg;
    probe.start = (int64_t)have->start;
    probe.count = (int64_t)have->count;
    char *pj = mg_config_run_json(&probe);
    if (!pj) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    bool same = !strcmp(pj, have->run_json ? have->run_json : "");
    free(pj);
    if (!same)
        return 0;
    if (range_error(c, have, want, err, errlen))
        return -1;
    uint64_t s = have->start, e = have->start + have->count;
    uint64_t a = want->start, b = want->start + want->count;
    c->o.cfg.start = (int64_t)s;
    if (b < e)
        return shrink(c, have, a, b, err, errlen) ? -1 : 1;
    c->o.cfg.count = (int64_t)((b > e ? b : e) - s);
    char *nj = b > e ? mg_config_run_json(&c->o.cfg)
                     : strdup(have->run_json ? have->run_json : "");
    if (!nj) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (b > e && mg_ledger_grow_run(c->ledger, b - s, nj, err, errlen)) {
        free(nj);
        return -1;
    }
    free(c->run_json);
    c->run_json = nj;
    if (b > e) {
        c->grew_from = have->count;
        if (!c->o.quiet)
            mg_dlog(WHO, "growing the run: samples %" PRIu64 "..%" PRIu64
                    " -> %" PRIu64 "..%" PRIu64, s, e - 1, s, b - 1);
    } else if (!c->o.quiet) {
        mg_dlog(WHO, "the run in the ledger (samples %" PRIu64 "..%" PRIu64
                ") holds the samples asked for (%" PRIu64 "..%" PRIu64
                "): resuming it whole", s, e - 1, a, b - 1);
    }
    return 1;
}

/* The refusal of a ledger's run that differs from want in more than its
 * range (why: mg_ledger_check_run's list). A range the run could give
 * (fewer samples, or growth) is no difference of its own: named along
 * with one that is, "--count: ledger has 20, asked for 2" sent users to
 * change what was fine. A run of another musicgen is no parameter the
 * user can give: it is finished by the version that began it. */
void
coord_range_refuse(const mg_coord *c, const mg_ledger_run *have,
       const mg_ledger_run *want, char *why, size_t n, char *err,
       size_t errlen)
{
    const char *other = c->o.other_run ? c->o.other_run : "another ledger";
    if (mg_ledger_version_check(have, c->o.ledger_path, other, err, errlen))
        return;
    char scratch[512];
    mg_ledger_run same = *want;
    same.start = have->start;
    same.count = have->count;
    if (!range_error(c, have, want, scratch, sizeof scratch))
        mg_ledger_check_run(have, &same, why, n);
    snprintf(err, errlen, "the ledger %s holds a different run (%s); use %s "
             "or the same parameters", c->o.ledger_path, why, other);
}
