/*
 * gen — mg_gen_song (the whole symbolic pipeline in its fixed draw order),
 * mg_gen_harmony (the comped harmony track) and the helpers the generator
 * files share (gen_priv.h).
 *
 * Swing is applied once, here, after every generator has written straight
 * ticks: each note's onset and its end are mapped through mg_swing_tick
 * relative to the start of the part holding the onset, with that part's
 * swing cell and swing (mg_part_swing: the x/8 metres stay straight). Part lengths are whole bars, and bars are whole swing cells,
 * so part boundaries (and beats) never move.
 */
#include "gen_priv.h"

#include <string.h>

static const struct {
    const char *name;
    mg_feel feel;
} feels[] = {
    {"rock", MG_FEEL_ROCK},     {"metal", MG_FEEL_ROCK},
    {"punk", MG_FEEL_ROCK},     {"jazz", MG_FEEL_JAZZ},
    {"swing", MG_FEEL_JAZZ},    {"blues", MG_FEEL_BLUES},
    {"latin", MG_FEEL_LATIN},   {"salsa", MG_FEEL_LATIN},
    {"bossa", MG_FEEL_LATIN},   {"reggae", MG_FEEL_REGGAE},
    {"dub", MG_FEEL_REGGAE},    {"electronic", MG_FEEL_ELECTRONIC},
    {"house", MG_FEEL_ELECTRONIC}, {"techno", MG_FEEL_ELECTRONIC},
    {"edm", MG_FEEL_ELECTRONIC}, {"hip-hop", MG_FEEL_HIPHOP},
    {"hiphop", MG_FEEL_HIPHOP}, {"trap", MG_FEEL_HIPHOP},
    {"classical", MG_FEEL_CLASSICAL}, {"baroque", MG_FEEL_CLASSICAL},
    {"pop", MG_FEEL_POP},
};

mg_feel
mg_gen_feel(const mg_genre *g)
{
    char first[64];
    size_t i, n;

    /* The spec says which idiom it plays: exact names only. */
    if (g->style[0]) {
        for (i = 0; i < sizeof feels / sizeof feels[0]; i++)
            if (!strcmp(g->style, feels[i].name))
                return feels[i].feel;
    }
    n = strcspn(g->name, "+");
    if (n >= sizeof first)
        n = sizeof first - 1;
    memcpy(first, g->name, n);
    first[n] = '\0';
    for (i = 0; i < sizeof feels / sizeof feels[0]; i++)
        if (strstr(first, feels[i].name))
            return feels[i].feel;
    /* An unnamed idiom: a strongly swung spec comps like jazz. */
    if (g->swing_min >= 0.6)
        return MG_FEEL_JAZZ;
    return MG_FEEL_POP;
}

const mg_chord *
mg_gen_chord_at(const mg_part *p, uint32_t tick)
{
    int i;

    if (p->nchords == 0)
        return NULL;
    for (i = 0; i < p->nchords; i++)
        if (tick < p->chords[i].end_tick)
            return &p->chords[i];
    return &p->chords[p->nchords - 1];
}

int
mg_gen_part_at(const mg_song *s, uint32_t tick)
{
    int i;

    for (i = 0; i < s->nparts; i++)
        if (tick < s->parts[i].end_tick)
            return i;
    return s->nparts > 0 ? s->nparts - 1 : 0;
}

int
mg_gen_model_part(const mg_song *s, int i)
{
    const mg_part *p = &s->parts[i];
    int j;

    for (j = 0; j < i; j++) {
        const mg_part *q = &s->parts[j];

        if (q->kind == p->kind && q->ts == p->ts &&
            q->measures == p->measures)
            return j;
    }
    return -1;
}

int
mg_gen_place(int pc, int lo)
{
    int off = ((pc - lo) % 12 + 12) % 12;

    return lo + off;
}

int
mg_gen_chord_has(const mg_chord *c, int pc)
{
    const mg_chord_info *ci = mg_chord_info_of(c->type);
    int k;

    for (k = 0; k < ci->ntones; k++)
        if ((c->root_pc + ci->interval[k]) % 12 == ((pc % 12) + 12) % 12)
            return 1;
    return 0;
}

/* ---- harmony -------------------------------------------------------- */
/*
 * The harmony track: the chords' voicings, comped in the
 * genre's idiom: sustained pads (pop and the default), strummed beats
 * (rock, blues), the offbeat skank (reggae), offbeat stabs (electronic),
 * short stabs (hip-hop), Charleston comping (jazz), the tresillo (latin)
 * and broken-chord arpeggios (classical). Only where the harmony layer is
 * active; the voicings themselves were chosen by gen_chords with voice
 * leading, so each hit is the same chord shape the labels describe.
 */
static int
hit(mg_track *t, const mg_chord *c, uint32_t tick, uint32_t dur, int vel)
{
    int k;

    for (k = 0; k < c->nvoices; k++)
        if (mg_track_add(t, tick, dur, c->voicing[k], vel - (k ? 4 : 0)))
            return -1;
    return 0;
}

static int
comp_chord(mg_track *t, const mg_part *p, const mg_chord *c, mg_feel feel,
           bool pad, mg_rng *r)
{
    uint32_t beat = mg_ts_beat_ticks(p->ts);
    uint32_t st = c->start_tick, len = c->end_tick - c->start_tick, o;
    bool compound = p->ts == MG_TS_6_8 || p->ts == MG_TS_12_8;
    uint32_t offb = compound ? beat * 2 / 3 : beat / 2;
    int v = 66 + mg_rng_range(r, -3, 3);

    switch (feel) {
    case MG_FEEL_REGGAE:
        for (o = offb; o < len; o += beat)
            if (hit(t, c, st + o, 120, v + 6))
                return -1;
        return 0;
    case MG_FEEL_ELECTRONIC:
        if (pad)
            break;
        for (o = offb; o < len; o += beat)
            if (hit(t, c, st + o, 150, v + 4))
                return -1;
        return 0;
    case MG_FEEL_HIPHOP:
        if (hit(t, c, st, len < 480 ? len : 400, v + 4))
            return -1;
        if (len > 720 && hit(t, c, st + 720, 200, v))
            return -1;
        return 0;
    case MG_FEEL_ROCK:
    case MG_FEEL_BLUES:
        if (pad)
            break;
        for (o = 0; o < len; o += beat)
            if (hit(t, c, st + o, beat * 3 / 4, o ? v : v + 8))
                return -1;
        return 0;
    case MG_FEEL_JAZZ:
        if (hit(t, c, st, len > 480 ? 360 : len, v + 4))
            return -1;
        if (len > 720 && mg_rng_chance(r, 0.7) &&
            hit(t, c, st + 720, 200, v))
            return -1;
        return 0;
    case MG_FEEL_LATIN:
        for (o = 0; o < len; o += 720)
            if (hit(t, c, st + o, 200, o ? v : v + 6))
                return -1;
        return 0;
    case MG_FEEL_CLASSICAL:
        if (pad || c->nvoices < 3)
            break;
        {
            /* Alberti-style: low, high, middle, high ... in eighths */
            static const int order[4] = {0, 2, 1, 2};
            int i = 0, top = c->nvoices - 1;

            for (o = 0; o < len; o += 240, i++) {
                int k = order[i % 4];

                k = k == 2 ? top : k == 1 ? top / 2 + (top > 2) : 0;
                if (mg_track_add(t, st + o, 230, c->voicing[k],
                                 (o % beat) ? v - 4 : v + 2))
                    return -1;
            }
        }
        return 0;
    default:
        break;
    }
    return hit(t, c, st, len, v - 4); /* sustained */
}

int
mg_gen_harmony(mg_song *s, const mg_genre *g, mg_rng *r)
{
    mg_feel feel = mg_gen_feel(g);
    mg_track *t = &s->track[MG_LAYER_HARMONY];
    int i, k;

    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];
        /* some parts hold pads instead of the idiom's rhythm: intros and
         * outros more often */
        double padp = p->kind == MG_PART_INTRO || p->kind == MG_PART_OUTRO
                          ? 0.5 : 0.2;
        bool pad;

        if (!p->active[MG_LAYER_HARMONY])
            continue;
        pad = mg_rng_chance(r, padp);
        for (k = 0; k < p->nchords; k++)
            if (comp_chord(t, p, &p->chords[k], feel, pad, r) != 0)
                return -1;
    }
    return 0;
}

static void
apply_swing(mg_song *s)
{
    int l;
    size_t i;

    if (s->swing == 0.5)
        return;
    for (l = 0; l < MG_NLAYERS; l++) {
        mg_track *t = &s->track[l];

        for (i = 0; i < t->n; i++) {
            mg_note *n = &t->v[i];
            const mg_part *p = &s->parts[mg_gen_part_at(s, n->tick)];
            uint32_t cell = mg_ts_swing_cell(p->ts);
            double sw = mg_part_swing(s, p);
            uint32_t on = mg_swing_tick(n->tick, p->start_tick, cell, sw);
            uint32_t off = mg_swing_tick(n->tick + n->dur, p->start_tick,
                                         cell, sw);

            n->tick = on;
            n->dur = off > on ? off - on : 1;
        }
    }
}

int
mg_gen_song(mg_song *s, const mg_genre *g, const mg_gen_opts *o,
            mg_rng *params, mg_rng *generators)
{
    mg_song_reset_tracks(s);
    if (mg_gen_params(s, g, o, params) != 0 ||
        mg_gen_chords(s, g, generators) != 0 ||
        mg_gen_melody(s, g, generators) != 0 ||
        mg_gen_bassline(s, g, generators) != 0 ||
        mg_gen_drums(s, g, generators) != 0 ||
        mg_gen_harmony(s, g, generators) != 0)
        return -1;
    apply_swing(s);
    mg_song_finish(s);
    mg_gen_humanise(s, generators);
    mg_song_finish(s);
    return 0;
}
