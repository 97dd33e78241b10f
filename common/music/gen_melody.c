/*
 * gen_melody — the melody: a scale-degree Markov walk shaped into phrases.
 *
 * Rhythm: a part's phrases are 4 bars (fewer in shorter parts); each part
 * draws two motif bars and one cadence bar once, and every phrase uses them
 * (bars alternate motif A and B, the last bar is the cadence, a long note
 * closing the phrase). Pitch: the genre's melody chain over degrees "1".."7"
 * (or a built-in one favouring steps) proposes the next degree; candidates
 * are weighed by nearness, chord tones are favoured on strong beats, a leap
 * is followed by a step back, and the range is held to about two octaves
 * above the tonic (never more than 36 semitones). Every phrase ends on a
 * chord tone and the song's last note is the tonic. A second phrase
 * answers the first (same opening bars, a new ending), a returning part
 * repeats its first occurrence's melody, and only jazz and blues add
 * chromatic approach notes.
 */
#include "gen_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SLOTS 24     /* notes in one bar */
#define MAX_PHRASE 128   /* notes in one phrase */

typedef struct {
    uint32_t off, dur;
    bool rest;
} slot;

typedef struct {
    uint32_t tick, dur;
    int pitch, vel;
    bool strong, end;
} mnote;

typedef struct {
    const mg_song *s;
    const mg_genre *g;
    mg_feel feel;
    int lo, hi;          /* pitch range */
    int cur, prev;       /* last two pitches, -1 before the first */
    int sa, sb;          /* last two Markov states (table), -1 none */
    mg_rng *r;
} mstate;

static double
density(mg_feel f)
{
    switch (f) {
    case MG_FEEL_JAZZ: return 0.6;
    case MG_FEEL_ELECTRONIC: case MG_FEEL_LATIN: return 0.55;
    case MG_FEEL_HIPHOP: case MG_FEEL_BLUES: return 0.5;
    case MG_FEEL_CLASSICAL: case MG_FEEL_REGGAE: return 0.4;
    default: return 0.45;
    }
}

/* Groups of a bar in ticks: quarters for x/4, dotted quarters for 6/8 and
 * 12/8, 2+2+3 eighths for 7/8. */
static int
bar_groups(mg_ts ts, uint32_t *grp)
{
    int i, n;

    switch (ts) {
    case MG_TS_6_8: case MG_TS_12_8:
        n = mg_ts_beats(ts);
        for (i = 0; i < n; i++)
            grp[i] = 720;
        return n;
    case MG_TS_7_8:
        grp[0] = grp[1] = 480;
        grp[2] = 720;
        return 3;
    default:
        n = mg_ts_num(ts);
        for (i = 0; i < n; i++)
            grp[i] = 480;
        return n;
    }
}

static int
add_slot(slot *out, int n, uint32_t off, uint32_t dur, bool rest)
{
    if (n < MAX_SLOTS) {
        out[n].off = off;
        out[n].dur = dur;
        out[n].rest = rest;
        n++;
    }
    return n;
}

static int
rhythm_bar(mg_ts ts, mg_feel feel, bool cadence, slot *out, mg_rng *r)
{
    uint32_t grp[12], off = 0;
    int ng = bar_groups(ts, grp), g, n = 0;
    double d = density(feel);
    bool sync = feel == MG_FEEL_LATIN || feel == MG_FEEL_REGGAE ||
                feel == MG_FEEL_HIPHOP;

    for (g = 0; g < ng; off += grp[g], g++) {
        if (cadence && g >= (ng + 1) / 2) {
            /* the phrase closes on one long note, a breath at the end
             * when the bar is long enough */
            uint32_t rest_len = ng >= 3 ? grp[ng - 1] : 0;
            uint32_t len = mg_ts_bar_ticks(ts) - off - rest_len;

            n = add_slot(out, n, off, len, false);
            if (rest_len)
                n = add_slot(out, n, off + len, rest_len, true);
            break;
        }
        if (grp[g] == 480) {
            double w[6] = {1 - d, d, 0.12, sync ? 0.18 : 0.07,
                           g == 0 ? 0 : 0.07,
                           (g % 2 == 0 && g + 1 < ng && grp[g + 1] == 480)
                               ? 0.22 : 0};
            switch (mg_rng_weighted(r, w, 6)) {
            case 1:
                n = add_slot(out, n, off, 240, false);
                n = add_slot(out, n, off + 240, 240, false);
                break;
            case 2:
                n = add_slot(out, n, off, 360, false);
                n = add_slot(out, n, off + 360, 120, false);
                break;
            case 3:
                n = add_slot(out, n, off, 240, true);
                n = add_slot(out, n, off + 240, 240, false);
                break;
            case 4:
                n = add_slot(out, n, off, 480, true);
                break;
            case 5: /* a half note over two groups */
                n = add_slot(out, n, off, 960, false);
                off += grp[g];
                g++;
                break;
            default:
                n = add_slot(out, n, off, 480, false);
                break;
            }
        } else {
            double w[4] = {0.35, 0.35, d * 0.6, g == 0 ? 0 : 0.08};
            switch (mg_rng_weighted(r, w, 4)) {
            case 1:
                n = add_slot(out, n, off, 480, false);
                n = add_slot(out, n, off + 480, 240, false);
                break;
            case 2:
                n = add_slot(out, n, off, 240, false);
                n = add_slot(out, n, off + 240, 240, false);
                n = add_slot(out, n, off + 480, 240, false);
                break;
            case 3:
                n = add_slot(out, n, off, 240, true);
                n = add_slot(out, n, off + 240, 480, false);
                break;
            default:
                n = add_slot(out, n, off, 720, false);
                break;
            }
        }
    }
    return n;
}

/* ---- pitch ---------------------------------------------------------- */

static int
state_of(const mg_markov *m, int rel, mg_mode mode)
{
    const int *sc = mg_scale(mode);
    char name[16];
    int k, i;

    for (k = 0; k < 7; k++) {
        if (sc[k] == rel)
            snprintf(name, sizeof name, "%d", k + 1);
        else if ((sc[k] + 1) % 12 == rel)
            snprintf(name, sizeof name, "#%d", k + 1);
        else if ((sc[k] + 11) % 12 == rel)
            snprintf(name, sizeof name, "b%d", k + 1);
        else
            continue;
        for (i = 0; i < m->nstates; i++)
            if (strcmp(m->state[i], name) == 0)
                return i;
    }
    return -1;
}

/* Scale-step distance between two pitches (diatonic count). */
static int
scale_steps(int a, int b, int tonic, mg_mode mode)
{
    int lo = a < b ? a : b, hi = a < b ? b : a, p, n = 0;

    for (p = lo + 1; p <= hi; p++)
        n += mg_pc_in_scale(p % 12, tonic, mode);
    return n;
}

static int
next_pitch(mstate *m, const mg_chord *ch, bool strong, bool end,
           bool final)
{
    static const double step_w[8] = {0.10, 0.38, 0.17, 0.06,
                                      0.08, 0.03, 0.02, 0.04};
    const mg_markov *mk = &m->g->melody;
    bool table = mk->order > 0 && mk->nstates > 0;
    int tonic = m->s->tonic_pc;
    double w[25];
    int p0 = m->cur - 12, k, p, pick;

    for (k = 0; k < 25; k++) {
        int rel, st, dist;
        double x;

        p = p0 + k;
        w[k] = 0;
        if (p < m->lo || p > m->hi)
            continue;
        rel = ((p - tonic) % 12 + 12) % 12;
        dist = abs(p - m->cur);
        if (final) {
            w[k] = rel == 0 ? 1.0 / (1 + dist) : 0;
            continue;
        }
        if (end) { /* close on a chord tone, the nearest preferred */
            w[k] = mg_gen_chord_has(ch, p % 12) && dist <= 7
                       ? (mg_gen_chord_has(ch, p % 12) && (p % 12) ==
                          ch->root_pc ? 2.0 : 1.0) / (1 + dist)
                       : 0;
            continue;
        }
        if (table) {
            const double *row;

            st = state_of(mk, rel, m->s->mode);
            if (st < 0)
                continue;
            if (m->sb < 0)
                row = mk->init;
            else if (mk->order == 2 && m->sa >= 0 && mk->has_t2[m->sa][m->sb])
                row = mk->t2[m->sa][m->sb];
            else
                row = mk->t1[m->sb];
            x = row[st] / (1 + 0.25 * dist);
        } else {
            int steps;

            if (!mg_pc_in_scale(p % 12, tonic, m->s->mode))
                continue;
            steps = scale_steps(p, m->cur, tonic, m->s->mode);
            x = steps < 8 ? step_w[steps] : 0;
        }
        if (mg_gen_chord_has(ch, p % 12))
            x *= strong ? 4.0 : 1.3;
        else if (strong)
            x *= 0.5;
        /* a leap is answered by a step the other way */
        if (m->prev >= 0 && abs(m->cur - m->prev) > 4 && dist <= 2 &&
            (p - m->cur) * (m->cur - m->prev) < 0)
            x *= 3;
        if (p == m->cur && m->prev == m->cur)
            x *= 0.1;
        if (p - m->lo < 3 || m->hi - p < 3)
            x *= 0.5;
        w[k] = x;
    }
    pick = mg_rng_weighted(m->r, w, 25);
    p = pick < 0 ? m->cur : p0 + pick;
    if (table) {
        m->sa = m->sb;
        m->sb = state_of(mk, ((p - tonic) % 12 + 12) % 12, m->s->mode);
    }
    m->prev = m->cur;
    m->cur = p;
    return p;
}

static int
velocity(const mg_part *p, uint32_t tick, mg_rng *r)
{
    uint32_t bar = mg_ts_bar_ticks(p->ts), beat = mg_ts_beat_ticks(p->ts);
    uint32_t pos = (tick - p->start_tick) % bar;
    int beats = mg_ts_beats(p->ts), v;

    if (pos == 0)
        v = 100;
    else if (pos % beat == 0)
        v = (beats % 2 == 0 && pos == bar / 2) ? 92 : 86;
    else
        v = 76;
    return v + mg_rng_range(r, -5, 5);
}

static bool
is_strong(const mg_part *p, uint32_t tick)
{
    uint32_t bar = mg_ts_bar_ticks(p->ts), pos = (tick - p->start_tick) % bar;
    int beats = mg_ts_beats(p->ts);

    return pos == 0 || (beats % 2 == 0 && beats > 2 && pos == bar / 2) ||
           (p->ts == MG_TS_7_8 && pos == 960);
}

static int
emit(mg_track *t, const mnote *v, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        uint32_t d = v[i].dur > 240 ? v[i].dur - v[i].dur / 10 : v[i].dur - 20;

        if (mg_track_add(t, v[i].tick, d, v[i].pitch, v[i].vel) != 0)
            return -1;
    }
    return 0;
}

/* Chromatic approach notes, the jazz and blues way: a short weak note
 * slides a semitone into the next one. */
static void
approach_notes(mnote *v, int n, mstate *m)
{
    int i;

    for (i = 1; i + 1 < n; i++) {
        int nx = v[i + 1].pitch, cand;

        if (v[i].strong || v[i].end || v[i].dur > 240)
            continue;
        if (!mg_rng_chance(m->r, 0.15))
            continue;
        cand = v[i - 1].pitch < nx ? nx - 1 : nx + 1;
        if (cand >= m->lo && cand <= m->hi &&
            !mg_pc_in_scale(cand % 12, m->s->tonic_pc, m->s->mode))
            v[i].pitch = cand;
    }
}

static int
gen_part(mstate *m, const mg_part *p, bool last_part, mg_track *t)
{
    slot motif[2][MAX_SLOTS], cad[MAX_SLOTS];
    int nm[2], nc, bars = p->measures, plen, ph, nph;
    uint32_t bar = mg_ts_bar_ticks(p->ts);
    mnote prevph[MAX_PHRASE];
    int nprev = 0;

    nm[0] = rhythm_bar(p->ts, m->feel, false, motif[0], m->r);
    nm[1] = rhythm_bar(p->ts, m->feel, false, motif[1], m->r);
    nc = rhythm_bar(p->ts, m->feel, true, cad, m->r);
    plen = bars >= 4 ? 4 : bars;
    nph = (bars + plen - 1) / plen;
    for (ph = 0; ph < nph; ph++) {
        mnote v[MAX_PHRASE];
        int n = 0, b, k, first = ph * plen;
        int pb = bars - first < plen ? bars - first : plen;
        bool answer = ph % 2 == 1 && pb == plen;

        for (b = 0; b < pb; b++) {
            bool cadence = b == pb - 1;
            const slot *sl = cadence ? cad : motif[b % 2];
            int ns = cadence ? nc : nm[b % 2];
            uint32_t bt = p->start_tick + (uint32_t)(first + b) * bar;

            for (k = 0; k < ns && n < MAX_PHRASE; k++) {
                mnote *x = &v[n];
                const mg_chord *ch;
                bool final;

                if (sl[k].rest)
                    continue;
                x->tick = bt + sl[k].off;
                x->dur = sl[k].dur;
                x->strong = is_strong(p, x->tick);
                x->end = cadence && (k == ns - 1 || (k == ns - 2 &&
                                                      sl[ns - 1].rest));
                final = x->end && last_part && ph == nph - 1;
                ch = mg_gen_chord_at(p, x->tick);
                x->vel = velocity(p, x->tick, m->r);
                if (answer && !cadence && n < nprev) {
                    /* the answering phrase opens like the question */
                    x->pitch = prevph[n].pitch;
                    m->prev = m->cur;
                    m->cur = x->pitch;
                } else {
                    x->pitch = next_pitch(m, ch, x->strong, x->end, final);
                }
                n++;
            }
        }
        if (m->feel == MG_FEEL_JAZZ || m->feel == MG_FEEL_BLUES)
            approach_notes(v, n, m);
        memcpy(prevph, v, sizeof v[0] * (size_t)n);
        nprev = n;
        if (emit(t, v, n) != 0)
            return -1;
    }
    return 0;
}

int
mg_gen_melody(mg_song *s, const mg_genre *g, mg_rng *r)
{
    mg_track *t = &s->track[MG_LAYER_MELODY];
    mstate m;
    int i, tb, last = -1;

    memset(&m, 0, sizeof m);
    m.s = s;
    m.g = g;
    m.feel = mg_gen_feel(g);
    m.r = r;
    tb = 60 + s->tonic_pc;
    if (tb > 66)
        tb -= 12;
    m.lo = tb - 5 < 55 ? 55 : tb - 5;
    m.hi = tb + 19;
    for (i = 0; i < s->nparts; i++)
        if (s->parts[i].active[MG_LAYER_MELODY])
            last = i;
    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];
        int j = i < s->nparts - 1 ? mg_gen_model_part(s, i) : -1;
        size_t k, n0 = t->n;

        if (!p->active[MG_LAYER_MELODY])
            continue;
        m.cur = mg_gen_place(p->nchords ? p->chords[0].root_pc : s->tonic_pc,
                             tb + 2);
        m.prev = -1;
        m.sa = m.sb = -1;
        if (j >= 0 && s->parts[j].active[MG_LAYER_MELODY]) {
            /* a returning part sings its first occurrence's tune */
            uint32_t shift = p->start_tick - s->parts[j].start_tick;

            for (k = 0; k < n0; k++) {
                mg_note q = t->v[k];

                if (q.tick < s->parts[j].start_tick ||
                    q.tick >= s->parts[j].end_tick)
                    continue;
                if (mg_track_add(t, q.tick + shift, q.dur, q.pitch, q.vel))
                    return -1;
            }
            continue;
        }
        if (gen_part(&m, p, i == last, t) != 0)
            return -1;
    }
    return 0;
}
