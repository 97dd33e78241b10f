/*
 * gen_params — draws the song's parameters from the "params" stream: key
 * and mode, tempo, swing, time signature(s), arrangement, measures per
 * part, active layers per part and a GM program per layer.
 *
 * Draw order is fixed (and part of the determinism contract): key, tempo,
 * swing, ts, arrangement, measures per part kind (intro..outro), the
 * bridge's ts change, per part the four layer coins, the two repair draws,
 * the four programs, then the performance and the tempo map
 * (gen_perform.c).
 *
 * Guarantees: tempo_bpm = 60e6 / us_per_quarter lies inside the genre's
 * [tempo_min, tempo_max]; every ts used has weight > 0; every layer plays
 * in at least one part and every part has at least one pitched layer.
 */
#include "gen_priv.h"

#include <math.h>
#include <string.h>

/* Fallback GM programs when a spec names none: drum kit, piano, strings,
 * fingered bass. */
static const int default_program[MG_NLAYERS] = {0, 0, 48, 33};

static void
draw_tempo(mg_song *s, const mg_genre *g, mg_rng *r)
{
    int lo = (int)ceil(g->tempo_min), hi = (int)floor(g->tempo_max);
    int bpm;
    uint32_t us;

    if (hi < lo) /* a range narrower than one BPM */
        hi = lo = (int)floor(g->tempo_min + 0.5);
    bpm = mg_rng_range(r, lo, hi);
    if (bpm < 1)
        bpm = 1;
    us = (uint32_t)floor(60e6 / bpm + 0.5);
    /* Rounding to whole microseconds may push the exact tempo a hair past
     * a bound; the bounds are a hard clamp, so step back inside. */
    while (60e6 / us > g->tempo_max && us < 60000000u)
        us++;
    while (60e6 / us < g->tempo_min && us > 1)
        us--;
    s->us_per_quarter = us;
    s->tempo_bpm = 60e6 / us;
}

static mg_ts
draw_ts(const mg_genre *g, mg_rng *r)
{
    int t = mg_rng_weighted(r, g->ts_weight, MG_NTS);

    return t < 0 ? MG_TS_4_4 : (mg_ts)t;
}

static void
draw_form(mg_song *s, const mg_genre *g, mg_rng *r)
{
    static const mg_part_kind fallback[] = {
        MG_PART_INTRO, MG_PART_VERSE, MG_PART_CHORUS, MG_PART_VERSE,
        MG_PART_CHORUS, MG_PART_OUTRO};
    double w[MG_MAX_ARRANGEMENTS];
    int a, i, n;

    for (i = 0; i < g->narrangements && i < MG_MAX_ARRANGEMENTS; i++)
        w[i] = g->arrangement[i].nparts > 0 ? g->arrangement[i].weight : 0;
    a = mg_rng_weighted(r, w, g->narrangements);
    if (a < 0) {
        n = (int)(sizeof fallback / sizeof fallback[0]);
        for (i = 0; i < n; i++)
            s->parts[i].kind = fallback[i];
    } else {
        n = g->arrangement[a].nparts;
        if (n > MG_MAX_PARTS)
            n = MG_MAX_PARTS;
        for (i = 0; i < n; i++)
            s->parts[i].kind = g->arrangement[a].part[i];
    }
    s->nparts = n;
}

static void
draw_measures(mg_song *s, const mg_genre *g, const mg_gen_opts *o,
              mg_rng *r)
{
    int m[MG_NPARTKINDS], k, i;

    /* One length per part kind, so that a returning chorus is as long as
     * the first and can repeat its material. */
    for (k = 0; k < MG_NPARTKINDS; k++) {
        int lo = g->measures_min[k], hi = g->measures_max[k];

        if (lo < 1)
            lo = 1;
        if (hi < lo)
            hi = lo;
        /* Phrases come in pairs of bars: draw among the even counts of
         * the range, and only fall back to any count when it has none. */
        int elo = lo + (lo & 1), ehi = hi - (hi & 1);
        if (elo <= ehi)
            m[k] = elo + 2 * mg_rng_range(r, 0, (ehi - elo) / 2);
        else
            m[k] = mg_rng_range(r, lo, hi);
        if (o && o->measures_override && o->measures_override[k] > 0)
            m[k] = o->measures_override[k];
        if (m[k] > MG_MAX_CHORDS)
            m[k] = MG_MAX_CHORDS;
    }
    for (i = 0; i < s->nparts; i++)
        s->parts[i].measures = m[s->parts[i].kind];
}

static void
draw_bridge_ts(mg_song *s, const mg_genre *g, mg_rng *r)
{
    double w[MG_NTS];
    int t, i;

    for (i = 0; i < s->nparts; i++)
        s->parts[i].ts = s->ts;
    if (!mg_rng_chance(r, g->ts_change_prob))
        return;
    memcpy(w, g->ts_weight, sizeof w);
    w[s->ts] = 0;
    t = mg_rng_weighted(r, w, MG_NTS);
    if (t < 0)
        return; /* the genre has only one metre */
    for (i = 0; i < s->nparts; i++)
        if (s->parts[i].kind == MG_PART_BRIDGE)
            s->parts[i].ts = (mg_ts)t;
}

static void
draw_layers(mg_song *s, const mg_genre *g, mg_rng *r)
{
    int i, l, any;
    double w[MG_MAX_PARTS];

    for (i = 0; i < s->nparts; i++) {
        mg_part *p = &s->parts[i];

        for (l = 0; l < MG_NLAYERS; l++)
            p->active[l] = mg_rng_chance(
                r, g->layer_prob[l] * g->part_layer_prob[p->kind][l]);
    }
    /* Every layer plays somewhere: the quality check rejects an empty
     * layer. Put a missing one where its part-kind chance is highest, ties
     * broken by a draw. */
    for (l = 0; l < MG_NLAYERS; l++) {
        for (any = 0, i = 0; i < s->nparts; i++)
            any |= s->parts[i].active[l];
        if (any)
            continue;
        for (i = 0; i < s->nparts; i++)
            w[i] = 0.05 + g->part_layer_prob[s->parts[i].kind][l];
        i = mg_rng_weighted(r, w, s->nparts);
        if (i >= 0)
            s->parts[i].active[l] = true;
    }
    /* Every part has something pitched, so it sounds in the key. */
    for (i = 0; i < s->nparts; i++) {
        mg_part *p = &s->parts[i];
        double lw[MG_NLAYERS] = {0};

        if (p->active[MG_LAYER_MELODY] || p->active[MG_LAYER_HARMONY] ||
            p->active[MG_LAYER_BASSLINE])
            continue;
        for (l = MG_LAYER_MELODY; l < MG_NLAYERS; l++)
            lw[l] = 0.05 + g->layer_prob[l] * g->part_layer_prob[p->kind][l];
        l = mg_rng_weighted(r, lw, MG_NLAYERS);
        p->active[l < 0 ? MG_LAYER_HARMONY : l] = true;
    }
}

static void
draw_programs(mg_song *s, const mg_genre *g, mg_rng *r)
{
    int l, k;

    for (l = 0; l < MG_NLAYERS; l++) {
        int n = g->nprograms[l] < MG_MAX_PROGRAMS ? g->nprograms[l]
                                                  : MG_MAX_PROGRAMS;

        k = mg_rng_weighted(r, g->program_weight[l], n);
        s->program[l] = k < 0 ? default_program[l] : g->program[l][k];
        if (s->program[l] < 0 || s->program[l] > 127)
            s->program[l] = default_program[l];
    }
}

int
mg_gen_params(mg_song *s, const mg_genre *g, const mg_gen_opts *o,
              mg_rng *params)
{
    int k, i;
    uint32_t tick;

    k = mg_rng_weighted(params, g->key_weight, MG_NKEYS);
    if (k < 0)
        k = 0;
    s->tonic_pc = k / 2;
    s->mode = (mg_mode)(k % 2);
    draw_tempo(s, g, params);
    s->swing = g->swing_max > g->swing_min
                   ? mg_rng_range_f(params, g->swing_min, g->swing_max)
                   : g->swing_min;
    if (s->swing < 0.5)
        s->swing = 0.5;
    s->ts = draw_ts(g, params);
    memset(s->parts, 0, sizeof s->parts);
    draw_form(s, g, params);
    draw_measures(s, g, o, params);
    draw_bridge_ts(s, g, params);
    draw_layers(s, g, params);
    draw_programs(s, g, params);
    for (tick = 0, i = 0; i < s->nparts; i++) {
        mg_part *p = &s->parts[i];

        p->start_tick = tick;
        tick += (uint32_t)p->measures * mg_ts_bar_ticks(p->ts);
        p->end_tick = tick;
        p->nchords = 0;
    }
    s->total_ticks = tick;
    mg_gen_perf(s, g, params);
    mg_gen_tempo_map(s, g, params);
    return 0;
}
