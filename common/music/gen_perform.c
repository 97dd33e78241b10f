/*
 * gen_perform — how the written song is played: the performance drawn per
 * sample (mg_gen_perf), the tempo map (ritardando, per-part tempo, rubato)
 * and the humanisation of every note (micro-timing, velocity shaping, note
 * lengths). The genre's "performance" data (docs/genres.md) bounds every
 * value; nothing about a genre is in this file.
 *
 * Draw order (part of the determinism contract):
 *  - mg_gen_perf and then the tempo map draw from the "params" stream,
 *    after the GM programs (mg_gen_params calls them last);
 *  - mg_gen_humanise draws from the "generators" stream after the harmony,
 *    layer by layer (beat, melody, harmony, bassline), each layer's notes
 *    in their sorted order, two Gaussian draws (timing, velocity) a note.
 *
 * Invariants: the tempo map starts at tick 0 with us_per_quarter (so
 * tempo_bpm is the opening tempo), its ticks strictly increase, and every
 * tempo in it lies inside the genre's hard tempo bounds. Humanisation moves
 * notes, never the grid: parts, bars, beats and chords keep their ticks;
 * a note's onset stays inside its part (so active_layers stays exact).
 */
#include "gen_priv.h"

#include <math.h>
#include <string.h>

static double
draw_in(mg_rng *r, const double v[2])
{
    return v[1] > v[0] ? mg_rng_range_f(r, v[0], v[1]) : v[0];
}

/* Approximately standard normal: the sum of four uniforms, centred and
 * scaled to unit variance, so |x| < 3.47 always. */
static double
gauss(mg_rng *r)
{
    double u = 0;

    for (int i = 0; i < 4; i++)
        u += mg_rng_uniform(r);
    return (u - 2.0) * 1.7320508075688772; /* sqrt(12 / 4) */
}

void
mg_gen_perf(mg_song *s, const mg_genre *g, mg_rng *r)
{
    const mg_perf_spec *ps = &g->perf;
    mg_perf *pf = &s->perf;
    int l, k;

    memset(pf, 0, sizeof *pf);
    for (l = 0; l < MG_NLAYERS; l++) {
        pf->offset_ms[l] = draw_in(r, ps->offset_ms[l]);
        pf->jitter_ms[l] = ps->jitter_ms[l];
        pf->legato[l] = l == MG_LAYER_BEAT ? 1.0 : draw_in(r, ps->legato[l]);
    }
    pf->accent = draw_in(r, ps->accent);
    pf->ghost = draw_in(r, ps->ghost);
    pf->phrase = draw_in(r, ps->phrase);
    pf->vel_jitter = ps->vel_jitter;
    pf->ritardando = mg_rng_chance(r, ps->rit_prob);
    pf->rit_depth = pf->ritardando ? draw_in(r, ps->rit_depth) : 0;
    pf->part_tempo = mg_rng_chance(r, ps->part_tempo_prob);
    for (k = 0; k < MG_NPARTKINDS; k++) {
        double f = mg_rng_range_f(r, -1, 1) * ps->part_tempo_range;
        pf->part_factor[k] = pf->part_tempo ? 1 + f : 1;
    }
    /* the song opens at tempo_bpm */
    if (s->nparts > 0)
        pf->part_factor[s->parts[0].kind] = 1;
    pf->rubato = ps->rubato;
}

static uint32_t
us_of(const mg_genre *g, double bpm)
{
    uint32_t us;

    if (bpm < g->tempo_min)
        bpm = g->tempo_min;
    if (bpm > g->tempo_max)
        bpm = g->tempo_max;
    us = (uint32_t)floor(60e6 / bpm + 0.5);
    while (60e6 / us > g->tempo_max && us < 60000000u)
        us++;
    while (60e6 / us < g->tempo_min && us > 1)
        us--;
    return us;
}

static void
push_tempo(mg_song *s, uint32_t tick, uint32_t us)
{
    if (s->ntempi > 0 && s->tempi[s->ntempi - 1].us == us)
        return;
    if (s->ntempi > 0 && s->tempi[s->ntempi - 1].tick == tick) {
        s->tempi[s->ntempi - 1].us = us;
        if (s->ntempi > 1 && s->tempi[s->ntempi - 2].us == us)
            s->ntempi--;
        return;
    }
    if (s->ntempi < MG_MAX_TEMPI)
        s->tempi[s->ntempi++] = (mg_tempo){tick, us};
}

/* Ritardando over the last two bars of the song (the whole last part when
 * shorter), per beat, linear in BPM down to (1 - depth); per-part tempo at
 * each part start; rubato as a smooth per-bar wander (an AR(1) walk of
 * uniform draws) easing into each part's last bar. */
void
mg_gen_tempo_map(mg_song *s, const mg_genre *g, mg_rng *r)
{
    const mg_perf *pf = &s->perf;
    double base = s->tempo_bpm, walk = 0;
    uint32_t rit_from = s->total_ticks;
    int i, m, b;

    s->ntempi = 0;
    s->tempi[s->ntempi++] = (mg_tempo){0, s->us_per_quarter};
    if (s->nparts == 0)
        return;
    if (pf->ritardando) {
        const mg_part *p = &s->parts[s->nparts - 1];
        int bars = p->measures < 2 ? p->measures : 2;
        rit_from = p->end_tick - (uint32_t)bars * mg_ts_bar_ticks(p->ts);
    }
    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];
        uint32_t bar = mg_ts_bar_ticks(p->ts), bt = mg_ts_beat_ticks(p->ts);
        int nb = mg_ts_beats(p->ts);

        for (m = 0; m < p->measures; m++) {
            uint32_t t0 = p->start_tick + (uint32_t)m * bar;
            double f = pf->part_factor[p->kind];

            if (pf->rubato > 0) {
                walk = 0.6 * walk + 0.4 * mg_rng_range_f(r, -1, 1);
                if (i == 0 && m == 0)
                    walk = 0; /* the song opens at tempo_bpm */
                f *= 1 + pf->rubato * walk;
                if (m == p->measures - 1 && p->measures > 1)
                    f *= 1 - pf->rubato; /* a breath at the phrase end */
            }
            for (b = 0; b < nb; b++) {
                uint32_t t = t0 + (uint32_t)b * bt;
                double fr = 1;

                if (t >= rit_from && s->total_ticks > rit_from)
                    fr = 1 - pf->rit_depth * (double)(t - rit_from + bt) /
                                 (double)(s->total_ticks - rit_from);
                else if (b > 0)
                    continue; /* outside the ritardando: one per bar */
                push_tempo(s, t, us_of(g, base * f * fr));
            }
        }
    }
    if (s->tempi[0].us != s->us_per_quarter) /* cannot happen; keep it so */
        s->tempi[0].us = s->us_per_quarter;
    if (s->ntempi == 1)
        s->ntempi = 0; /* one tempo: the map is empty */
}

/* Velocity and timing of every note as played. */
void
mg_gen_humanise(mg_song *s, mg_rng *r)
{
    const mg_perf *pf = &s->perf;
    int l;
    size_t i;

    for (l = 0; l < MG_NLAYERS; l++) {
        mg_track *t = &s->track[l];

        for (i = 0; i < t->n; i++) {
            mg_note *n = &t->v[i];
            int pi = mg_gen_part_at(s, n->tick);
            const mg_part *p = &s->parts[pi];
            uint32_t bar = mg_ts_bar_ticks(p->ts), foff[12];
            uint32_t rel = n->tick - p->start_tick, pos = rel % bar;
            uint32_t den = mg_ts_den_ticks(p->ts);
            int nf = mg_ts_felt_beats(p->ts, foff), k, onbeat = 0;
            double v = n->vel, x, ms, gt, gv;
            long dt, tick, dur;

            for (k = 0; k < nf; k++)
                onbeat |= pos == foff[k];
            if (pos == 0)
                v += pf->accent;
            else if (onbeat)
                v += pf->accent / 2;
            else if (pos % den)
                v -= pf->accent / 3; /* between the denominator notes */
            if (l == MG_LAYER_BEAT && n->vel <= 60)
                v *= pf->ghost;
            /* phrase arcs of four bars; the chorus up, intro/outro down */
            x = (double)(rel % (4 * bar)) / (4.0 * bar);
            v += pf->phrase * (sin(3.141592653589793 * x) - 0.5);
            if (p->kind == MG_PART_CHORUS)
                v += pf->phrase / 2;
            else if (p->kind == MG_PART_INTRO || p->kind == MG_PART_OUTRO)
                v -= pf->phrase / 2;
            gt = gauss(r);
            gv = gauss(r);
            v += gv * pf->vel_jitter;
            n->vel = (uint8_t)(v < 1 ? 1 : v > 127 ? 127 : lround(v));
            if (gt > 2.5)
                gt = 2.5;
            if (gt < -2.5)
                gt = -2.5;
            ms = pf->offset_ms[l] + gt * pf->jitter_ms[l];
            dt = lround(ms * MG_PPQ * 1000.0 /
                        (double)mg_song_us_at(s, n->tick));
            dur = lround(n->dur * pf->legato[l]);
            /* a note stays in its part, so active_layers stays exact */
            tick = (long)n->tick + dt;
            if (tick < (long)p->start_tick)
                tick = (long)p->start_tick;
            if (tick >= (long)p->end_tick)
                tick = (long)p->end_tick - 1;
            n->tick = (uint32_t)tick;
            n->dur = (uint32_t)(dur < 1 ? 1 : dur);
        }
    }
}
