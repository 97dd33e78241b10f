/*
 * gen_bass — the bassline: chord roots on strong beats, fifths, octaves
 * and approach notes in the genre's idiom: walking quarters with chromatic
 * approaches (jazz), boogie (blues), root eighths (rock), the tumbao's
 * anticipations (latin), a one-drop line that leaves beat three to the drums
 * (reggae), octave pumping (electronic), a sparse syncopated line (hip-hop),
 * held roots and fifths (classical). Metres other than 4/4 fall back to a
 * beat-wise line. The first note under a chord is the bass of its
 * inversion, so the bass agrees with the chord label. Range 28..55.
 */
#include "gen_priv.h"

#include <stdlib.h>
#include <string.h>

#define LO 28
#define HI 55

typedef enum { R_ROOT, R_FIFTH, R_OCT, R_THIRD, R_SIXTH, R_B7, R_APPROACH,
               R_NEXT, R_WALK } role;

typedef struct {
    uint32_t off, dur;
    role ro;
} bev;

#define E 240
#define Q 480
static const bev pat_rock[] = {
    {0, E, R_ROOT}, {E, E, R_ROOT}, {2 * E, E, R_ROOT}, {3 * E, E, R_ROOT},
    {4 * E, E, R_ROOT}, {5 * E, E, R_ROOT}, {6 * E, E, R_FIFTH},
    {7 * E, E, R_APPROACH}};
static const bev pat_pop[] = {
    {0, 3 * E, R_ROOT}, {3 * E, E, R_ROOT}, {4 * E, Q, R_ROOT},
    {6 * E, E, R_FIFTH}, {7 * E, E, R_OCT}};
static const bev pat_tumbao[] = {{3 * E, 3 * E, R_FIFTH},
                                 {6 * E, 3 * E, R_NEXT}};
static const bev pat_reggae[] = {
    {0, 5 * E / 2, R_ROOT}, {3 * E, E, R_ROOT}, {5 * E, E, R_FIFTH},
    {6 * E, E, R_OCT}, {7 * E, E, R_APPROACH}};
static const bev pat_edm[] = {
    {0, E, R_ROOT}, {E, E, R_OCT}, {2 * E, E, R_ROOT}, {3 * E, E, R_OCT},
    {4 * E, E, R_ROOT}, {5 * E, E, R_OCT}, {6 * E, E, R_ROOT},
    {7 * E, E, R_OCT}};
static const bev pat_hiphop[] = {
    {0, 3 * E, R_ROOT}, {3 * E, 3 * E / 2, R_ROOT}, {5 * E, E, R_FIFTH},
    {7 * E, E, R_APPROACH}};
static const bev pat_classical[] = {{0, 4 * E, R_ROOT},
                                    {4 * E, 4 * E, R_FIFTH}};
static const role boogie[8] = {R_ROOT, R_THIRD, R_FIFTH, R_SIXTH,
                               R_B7,   R_SIXTH, R_FIFTH, R_THIRD};

static int
clamp_range(int p)
{
    while (p > HI)
        p -= 12;
    while (p < LO)
        p += 12;
    return p;
}

/* The chord after the one sounding at tick, across a part boundary. */
static const mg_chord *
next_chord(const mg_song *s, int pi, const mg_chord *c)
{
    const mg_part *p = &s->parts[pi];

    if (c->end_tick < p->end_tick)
        return mg_gen_chord_at(p, c->end_tick);
    if (pi + 1 < s->nparts && s->parts[pi + 1].nchords > 0)
        return &s->parts[pi + 1].chords[0];
    return c;
}

static int
walk_note(const mg_song *s, const mg_chord *c, int prev, int target,
          mg_rng *r)
{
    double w[11];
    int k, p;

    for (k = 0; k < 11; k++) {
        int d;

        p = prev - 5 + k;
        w[k] = 0;
        if (p == prev || p < LO || p > HI)
            continue;
        if (mg_gen_chord_has(c, p % 12))
            w[k] = 2;
        else if (mg_pc_in_scale(p % 12, s->tonic_pc, s->mode))
            w[k] = 1;
        d = abs(target - p) - abs(target - prev);
        if (d < 0)
            w[k] *= 2; /* heading for the next root */
    }
    k = mg_rng_weighted(r, w, 11);
    return k < 0 ? prev : prev - 5 + k;
}

static int
resolve(const mg_song *s, int pi, uint32_t tick, role ro, int lb, int *last,
        bool first_of_chord, mg_rng *r)
{
    const mg_part *p = &s->parts[pi];
    const mg_chord *c = mg_gen_chord_at(p, tick);
    const mg_chord *nc = next_chord(s, pi, c);
    const mg_chord_info *ci = mg_chord_info_of(c->type);
    int root = mg_gen_place(c->root_pc, lb), nroot, pitch;

    if (first_of_chord && ro != R_NEXT)
        return mg_gen_place(
            (c->root_pc + ci->interval[c->inversion]) % 12, lb);
    nroot = mg_gen_place(nc->root_pc, lb);
    switch (ro) {
    case R_FIFTH: pitch = root + 7; break;
    case R_OCT: pitch = root + 12; break;
    case R_THIRD: pitch = root + (ci->ntones > 2 ? ci->interval[1] : 7);
        break;
    case R_SIXTH: pitch = root + 9; break;
    case R_B7: pitch = root + 10; break;
    case R_NEXT: pitch = nroot; break;
    case R_APPROACH:
        if (nc == c)
            pitch = root + 7;
        else
            pitch = (*last >= 0 && *last > nroot) ? nroot + 1 : nroot - 1;
        break;
    case R_WALK:
        pitch = walk_note(s, c, *last >= 0 ? *last : root, nroot, r);
        break;
    default: pitch = root; break;
    }
    return clamp_range(pitch);
}

static int
add(mg_track *t, const mg_part *p, uint32_t tick, uint32_t dur, int pitch,
    mg_rng *r)
{
    uint32_t pos = (tick - p->start_tick) % mg_ts_bar_ticks(p->ts);
    int vel = pos == 0 ? 102 : pos % mg_ts_beat_ticks(p->ts) == 0 ? 92 : 84;

    return mg_track_add(t, tick, dur > 120 ? dur - dur / 10 : dur, pitch,
                        vel + mg_rng_range(r, -4, 4));
}

static bool
chord_starts(const mg_part *p, uint32_t tick)
{
    int i;

    for (i = 0; i < p->nchords; i++)
        if (p->chords[i].start_tick == tick)
            return true;
    return false;
}

static int
gen_bar(const mg_song *s, int pi, uint32_t bt, mg_feel feel, int lb,
        int *last, mg_track *t, mg_rng *r)
{
    const mg_part *p = &s->parts[pi];
    const bev *pat = NULL;
    size_t n = 0, i;
    bool first_bar = bt == p->start_tick;

    if (p->ts == MG_TS_4_4) {
        switch (feel) {
        case MG_FEEL_ROCK: pat = pat_rock; n = 8; break;
        case MG_FEEL_LATIN: pat = pat_tumbao; n = 2; break;
        case MG_FEEL_REGGAE: pat = pat_reggae; n = 5; break;
        case MG_FEEL_ELECTRONIC: pat = pat_edm; n = 8; break;
        case MG_FEEL_HIPHOP: pat = pat_hiphop; n = 4; break;
        case MG_FEEL_CLASSICAL: pat = pat_classical; n = 2; break;
        case MG_FEEL_POP: pat = pat_pop; n = 5; break;
        default: break;
        }
    }
    if (pat) {
        /* the tumbao sounds beat one only where nothing was anticipated */
        if (feel == MG_FEEL_LATIN && first_bar) {
            *last = resolve(s, pi, bt, R_ROOT, lb, last, true, r);
            if (add(t, p, bt, 3 * E, *last, r))
                return -1;
        }
        for (i = 0; i < n; i++) {
            uint32_t tick = bt + pat[i].off;
            bool fc = chord_starts(p, tick);

            /* a note where a chord starts plays that chord's bass */
            *last = resolve(s, pi, tick, pat[i].ro, lb, last, fc, r);
            if (add(t, p, tick, pat[i].dur, *last, r))
                return -1;
        }
        return 0;
    }
    /* beat-wise: walking (jazz), boogie (blues) or a generic line */
    {
        uint32_t beat = mg_ts_beat_ticks(p->ts);
        int nb = mg_ts_beats(p->ts), b, k = 0;

        if (beat < 480 && nb > 4) { /* 7/8: walk on the 2+2+3 groups */
            static const uint32_t g78[3] = {0, 480, 960};
            for (b = 0; b < 3; b++) {
                uint32_t tick = bt + g78[b];
                *last = resolve(s, pi, tick,
                                b == 0 ? R_ROOT : b == 1 ? R_FIFTH
                                                         : R_APPROACH,
                                lb, last, chord_starts(p, tick), r);
                if (add(t, p, tick, b == 2 ? 720 : 480, *last, r))
                    return -1;
            }
            return 0;
        }
        for (b = 0; b < nb; b++) {
            uint32_t tick = bt + (uint32_t)b * beat;
            const mg_chord *c = mg_gen_chord_at(p, tick);
            bool fc = chord_starts(p, tick);
            bool before_change = tick + beat >= c->end_tick;
            role ro;

            if (fc)
                k = 0;
            if (feel == MG_FEEL_JAZZ)
                ro = before_change ? R_APPROACH : R_WALK;
            else if (feel == MG_FEEL_BLUES)
                ro = boogie[k % 8];
            else
                ro = before_change && b > 0 ? R_APPROACH
                     : b % 2 ? R_FIFTH : R_ROOT;
            k++;
            *last = resolve(s, pi, tick, ro, lb, last, fc, r);
            if (add(t, p, tick, beat, *last, r))
                return -1;
        }
    }
    return 0;
}

int
mg_gen_bassline(mg_song *s, const mg_genre *g, mg_rng *r)
{
    mg_feel feel = mg_gen_feel(g);
    mg_track *t = &s->track[MG_LAYER_BASSLINE];
    int lb = (feel == MG_FEEL_ELECTRONIC || feel == MG_FEEL_HIPHOP ||
              feel == MG_FEEL_REGGAE) ? 33 : 36;
    int i, b, last = -1;

    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];
        uint32_t bar = mg_ts_bar_ticks(p->ts);

        if (!p->active[MG_LAYER_BASSLINE] || p->nchords == 0)
            continue;
        for (b = 0; b < p->measures; b++)
            if (gen_bar(s, i, p->start_tick + (uint32_t)b * bar, feel, lb,
                        &last, t, r) != 0)
                return -1;
    }
    return 0;
}
