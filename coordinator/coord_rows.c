/*
 * coord_rows — the checks a row passes before it is stored (PROTOCOL.md,
 * "Row checks"), and the identities banned for sending bad ones.
 *
 * Invariants: a row is stored only if it comes from the identity that
 * holds or held the lease it names, for an index of that lease, with the
 * seed and split the run derives and values in range; nothing from the
 * wire becomes a path (the row's path is recomputed from its index).
 */
#include "coord_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- row checks ---- */

static bool
printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Is this row one the run could have produced, from this peer? 0, or -1
 * with why. PROTOCOL.md "Row checks" lists these. */
int
coord_check_row(mg_coord *c, const peer *p, const mg_msg *in, lease **lp,
                char *why, size_t n)
{
    const mg_config *cfg = &c->o.cfg;
    uint64_t start = (uint64_t)cfg->start;
    *lp = NULL;
    if (in->index < start || in->index - start >= (uint64_t)cfg->count) {
        snprintf(why, n, "index %" PRIu64 " is outside the run", in->index);
        return -1;
    }
    lease *l = coord_lease_find(c, in->lease);
    if (!l) {
        snprintf(why, n, "index %" PRIu64 ": lease %" PRIu64 " was never "
                 "granted", in->index, in->lease);
        return -1;
    }
    if (strcmp(l->holder, p->identity)) {
        snprintf(why, n, "index %" PRIu64 ": lease %" PRIu64 " is not "
                 "this worker's", in->index, in->lease);
        return -1;
    }
    if (!coord_lease_has(l, in->index)) {
        snprintf(why, n, "index %" PRIu64 " is not in lease %" PRIu64,
                 in->index, in->lease);
        return -1;
    }
    uint64_t seed = mg_sample_seed(cfg->global_seed, in->index);
    if (in->seed != seed) {
        snprintf(why, n, "index %" PRIu64 ": seed %" PRIu64 " is not the "
                 "run's (%" PRIu64 ")", in->index, in->seed, seed);
        return -1;
    }
    if (in->split != (uint8_t)mg_split_of(seed, cfg->split)) {
        snprintf(why, n, "index %" PRIu64 ": split %u is not the run's",
                 in->index, in->split);
        return -1;
    }
    if (in->attempt < 1 || in->attempt > (uint32_t)cfg->max_attempts) {
        snprintf(why, n, "index %" PRIu64 ": attempt %" PRIu32 " not in "
                 "[1, %d]", in->index, in->attempt, cfg->max_attempts);
        return -1;
    }
    if (!(in->score >= 0.0 && in->score <= 1.0)) {
        snprintf(why, n, "index %" PRIu64 ": musicality score %g not in "
                 "[0, 1]", in->index, in->score);
        return -1;
    }
    bool dur_ok = in->status == MG_ROW_OK ? in->duration > 0.0
                                          : in->duration >= 0.0;
    if (!dur_ok || !(in->duration <= MG_ENGINE_MAX_DURATION_S)) {
        snprintf(why, n, "index %" PRIu64 ": duration %g s not in (0, %g]",
                 in->index, in->duration, MG_ENGINE_MAX_DURATION_S);
        return -1;
    }
    if (in->status == MG_ROW_OK && cfg->min_score > 0 &&
        in->score < cfg->min_score - 1e-4) {
        snprintf(why, n, "index %" PRIu64 ": score %g is below the run's "
                 "gate %g", in->index, in->score, cfg->min_score);
        return -1;
    }
    if (in->status == MG_ROW_OK ? in->error[0] != '\0'
                                : in->error[0] == '\0') {
        snprintf(why, n, "index %" PRIu64 ": %s", in->index,
                 in->status == MG_ROW_OK ? "an ok row carries an error"
                                         : "a failed row without its error");
        return -1;
    }
    if (!printable(in->error)) {
        snprintf(why, n, "index %" PRIu64 ": control characters in the "
                 "error text", in->index);
        return -1;
    }
    *lp = l;
    return 0;
}

bool
coord_is_banned(const mg_coord *c, const char *identity)
{
    for (size_t i = 0; i < c->nbanned; i++)
        if (!strcmp(c->banned[i], identity))
            return true;
    return false;
}
