/*
 * gen_drums — the beat from the genre's drum patterns.
 *
 * Per part: one main groove drawn from the patterns of the part's metre
 * that may play in that part (any non-fill pattern of the metre when none
 * is marked for it), sometimes a second groove for variety on the fourth
 * bar of each four, and a fill in the last bar when the genre has one. A
 * chorus opens with a crash. Steps are spread evenly over the bar; swing is
 * applied later by mg_gen_song. A metre with no pattern at all while the
 * beat plays in it is an error (-1): the spec is incomplete.
 */
#include "gen_priv.h"

#define CRASH 49

static int
pick(const mg_genre *g, mg_ts ts, mg_part_kind k, int want_fill,
     bool by_part, int avoid, mg_rng *r)
{
    double w[256];
    int i, n = g->npatterns[ts] < 256 ? g->npatterns[ts] : 256, any = 0;

    for (i = 0; i < n; i++) {
        const mg_drum_pattern *d = &g->patterns[ts][i];

        w[i] = (d->fill == (want_fill != 0)) &&
                       (!by_part || (d->parts & (1u << k))) && i != avoid
                   ? 1
                   : 0;
        any += w[i] > 0;
    }
    return any ? mg_rng_weighted(r, w, n) : -1;
}

static int
play_bar(mg_track *t, const mg_drum_pattern *d, uint32_t bt, uint32_t bar,
         mg_rng *r)
{
    int s, v;

    if (d->steps <= 0)
        return 0;
    for (s = 0; s < d->steps && s < MG_MAX_STEPS; s++) {
        uint32_t tick = bt + (uint32_t)((uint64_t)bar * (uint64_t)s /
                                        (uint64_t)d->steps);
        uint32_t len = bar / (uint32_t)d->steps;

        for (v = 0; v < d->nvoices && v < MG_MAX_DRUM_VOICES; v++) {
            int vel = d->voice[v].vel[s];

            if (!vel)
                continue;
            vel += mg_rng_range(r, -6, 6);
            if (mg_track_add(t, tick, len > 120 ? 120 : len,
                             d->voice[v].note, vel) != 0)
                return -1;
        }
    }
    return 0;
}

int
mg_gen_drums(mg_song *s, const mg_genre *g, mg_rng *r)
{
    mg_track *t = &s->track[MG_LAYER_BEAT];
    int i, b;

    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];
        uint32_t bar = mg_ts_bar_ticks(p->ts);
        int main, alt = -1, fill;

        if (!p->active[MG_LAYER_BEAT])
            continue;
        if (g->npatterns[p->ts] <= 0 || !g->patterns[p->ts])
            return -1;
        main = pick(g, p->ts, p->kind, 0, true, -1, r);
        if (main < 0)
            main = pick(g, p->ts, p->kind, 0, false, -1, r);
        if (main < 0)
            main = pick(g, p->ts, p->kind, 1, false, -1, r);
        if (main < 0)
            return -1;
        if (p->measures >= 4 && mg_rng_chance(r, 0.35))
            alt = pick(g, p->ts, p->kind, 0, true, main, r);
        fill = pick(g, p->ts, p->kind, 1, true, -1, r);
        if (fill < 0)
            fill = pick(g, p->ts, p->kind, 1, false, -1, r);
        for (b = 0; b < p->measures; b++) {
            int k = main;

            if (b == p->measures - 1 && fill >= 0 && p->measures > 1)
                k = fill;
            else if (alt >= 0 && b % 4 == 3)
                k = alt;
            if (play_bar(t, &g->patterns[p->ts][k],
                         p->start_tick + (uint32_t)b * bar, bar, r) != 0)
                return -1;
        }
        if (p->kind == MG_PART_CHORUS &&
            mg_track_add(t, p->start_tick, 240, CRASH, 112) != 0)
            return -1;
    }
    return 0;
}
