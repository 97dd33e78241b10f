/*
 * plan — what a sample will cost, known before it is made: the seconds
 * of audio its first attempt draws. A scheduler (the coordinator's tail
 * of a run) uses it to hand out the longest samples first.
 *
 * Only the genre data is loaded (no soundfont, no output directory), and
 * a cost runs only the parameter draw of the symbolic stage (key, tempo,
 * form, measures, tempo map: microseconds, no notes), from the same
 * streams the engine draws from, so for a sample made on its first
 * attempt the cost is exactly its duration_seconds. Render time grows
 * with it (proto/PROTOCOL.md, "The tail").
 */
#ifndef MG_PLAN_H
#define MG_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct mg_plan mg_plan;

/* The planner of config c (its genres); NULL with err set. */
mg_plan *mg_plan_new(const mg_config *c, char *err, size_t errlen);
void mg_plan_destroy(mg_plan **p);
/* The cost of sample (global_seed, index): its first attempt's song
 * duration in seconds (> 0). Not thread-safe (one scratch song). */
double mg_plan_cost(mg_plan *p, int64_t global_seed, uint64_t index);

#endif
