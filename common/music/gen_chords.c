/*
 * gen_chords — per-part chord progressions.
 *
 * A part's progression is a phrase of (usually) four bars drawn from the
 * genre's roman-numeral Markov chain (first or second order), or, when the
 * genre has none, from a built-in functional walk (tonic -> predominant ->
 * dominant -> tonic). The phrase loops to fill the part and the part ends
 * on a cadence: V-I for choruses, outros and the song's last part, a half
 * cadence on V (or a plain tonic) elsewhere. Blues parts of 12 or 8 bars
 * take the standard blues forms instead. A repeated part (same kind, metre
 * and length) repeats the progression of its first occurrence.
 *
 * Chord types come from the genre's chord_weight restricted, in order of
 * preference, to types of the degree's triad family whose tones stay in
 * the key, then to the family alone, then to any type with the same third,
 * then to anything allowed: the hard filter is never crossed. Voicing picks,
 * among close and open placements in a mid register, the one nearest the
 * previous chord (smallest total movement), the inversion's bass lowest.
 */
#include "gen_priv.h"

#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

/* A chord before its type is drawn: where it sits and how it functions. */
typedef struct {
    int degree;     /* 0..6 */
    int shift;      /* semitones added to the diatonic root */
    mg_family fam;
    bool chromatic; /* borrowed/secondary: skip the in-key tone test */
    bool dominant;  /* may carry a dominant seventh */
    bool want7;     /* the state asked for a seventh ("V7") */
    bool stable;    /* a cadence's goal: no suspension */
    bool after_sus; /* the previous chord was suspended */
} rn_chord;

static const char *const numerals[7] = {"I", "II", "III", "IV",
                                        "V", "VI", "VII"};

/* Built-in first-order walks over degrees, rows = from, columns = to. */
static const double walk_major[7][7] = {
    {0.04, 0.15, 0.06, 0.30, 0.22, 0.20, 0.03},
    {0.05, 0.00, 0.02, 0.08, 0.70, 0.05, 0.10},
    {0.05, 0.10, 0.00, 0.35, 0.10, 0.40, 0.00},
    {0.30, 0.15, 0.03, 0.00, 0.40, 0.07, 0.05},
    {0.65, 0.02, 0.05, 0.10, 0.00, 0.18, 0.00},
    {0.05, 0.30, 0.10, 0.35, 0.20, 0.00, 0.00},
    {0.80, 0.00, 0.15, 0.00, 0.00, 0.05, 0.00},
};
static const double walk_minor[7][7] = {
    {0.04, 0.08, 0.14, 0.25, 0.15, 0.20, 0.14},
    {0.10, 0.00, 0.00, 0.00, 0.80, 0.00, 0.10},
    {0.10, 0.00, 0.00, 0.30, 0.00, 0.40, 0.20},
    {0.30, 0.05, 0.00, 0.00, 0.40, 0.10, 0.15},
    {0.75, 0.00, 0.00, 0.05, 0.00, 0.20, 0.00},
    {0.10, 0.15, 0.00, 0.25, 0.20, 0.00, 0.30},
    {0.35, 0.00, 0.45, 0.00, 0.10, 0.10, 0.00},
};

/* Blues forms, degrees per bar. */
static const int blues12[12] = {0, 3, 0, 0, 3, 3, 0, 0, 4, 3, 0, 4};
static const int blues8[8] = {0, 4, 3, 3, 0, 4, 0, 4};

static void
diatonic(rn_chord *c, mg_mode mode, int degree)
{
    memset(c, 0, sizeof *c);
    c->degree = degree;
    c->fam = mg_degree_family(mode, degree);
    /* The minor key's dominant is major (harmonic minor): V-i cadences. */
    if (mode == MG_MODE_MINOR && degree == 4)
        c->fam = MG_FAM_MAJOR;
    c->dominant = degree == 4;
}

/* Parse a roman-numeral state ("V", "bVII", "ii", "V7", "viio") as heard
 * in the song's mode. Tables are often written for major keys; in a minor
 * key the numeral's case is only honoured where it means something (V, the
 * leading-tone vii), otherwise the diatonic chord of the degree is used. */
static int
parse_roman(const char *s, mg_mode mode, rn_chord *c)
{
    int acc = 0, deg = -1, best = 0, i;
    bool upper;
    const char *suf;

    while (*s == 'b' || *s == '#') {
        acc += *s == 'b' ? -1 : 1;
        s++;
    }
    upper = isupper((unsigned char)*s) != 0;
    for (i = 0; i < 7; i++) {
        int n = (int)strlen(numerals[i]);

        if (n > best && strncasecmp(s, numerals[i], (size_t)n) == 0) {
            best = n;
            deg = i;
        }
    }
    if (deg < 0)
        return -1;
    suf = s + best;
    diatonic(c, mode, deg);
    /* An accidental is relative to the major scale on the tonic (bVII is
     * a whole step below the tonic in any mode): express it as a shift
     * from the mode's own degree, which is where roots are computed. */
    c->shift = acc ? acc + mg_scale(MG_MODE_MAJOR)[deg] - mg_scale(mode)[deg]
                   : 0;
    if (acc != 0) {
        c->fam = upper ? MG_FAM_MAJOR : MG_FAM_MINOR;
        c->chromatic = true;
    } else if (mode == MG_MODE_MINOR) {
        if (deg == 4)
            c->fam = upper ? MG_FAM_MAJOR : MG_FAM_MINOR;
        if (deg == 6 && !upper) { /* leading-tone diminished */
            c->shift = 1;
            c->fam = MG_FAM_DIM;
            c->dominant = false;
        }
    } else if (upper && c->fam != MG_FAM_MAJOR) {
        c->fam = MG_FAM_MAJOR; /* secondary dominant: II, III, VI */
        c->chromatic = c->dominant = true;
    } else if (!upper && c->fam == MG_FAM_MAJOR) {
        c->fam = MG_FAM_MINOR; /* borrowed from the minor: iv, v */
        c->chromatic = true;
        c->dominant = false;
    }
    if (*suf == 'o' || strncmp(suf, "dim", 3) == 0 ||
        strncmp(suf, "\xc3\xb8", 2) == 0)
        c->fam = MG_FAM_DIM;
    else if (*suf == '+' || strncmp(suf, "aug", 3) == 0)
        c->fam = MG_FAM_AUG;
    if (strchr(suf, '7') || strchr(suf, '9'))
        c->want7 = true;
    return 0;
}

static bool
type_allowed(const mg_genre *g, int t)
{
    return g->chord_weight[t] > 0 && (!g->chord_filter || g->chord_allowed[t]);
}

static bool
fits_family(int t, const rn_chord *c, mg_feel feel)
{
    const mg_chord_info *ci = mg_chord_info_of((mg_chord_type)t);

    if (t == MG_CH_DOM7 || t == MG_CH_DOM9 || t == MG_CH_7SUS4)
        return c->fam == MG_FAM_MAJOR &&
               (c->dominant || feel == MG_FEEL_BLUES ||
                (c->chromatic && t != MG_CH_7SUS4));
    if (c->dominant && (t == MG_CH_MAJ7 || t == MG_CH_MAJ9))
        return false;
    if (ci->family == MG_FAM_SUS)
        return c->fam == MG_FAM_MAJOR || c->fam == MG_FAM_MINOR;
    return ci->family == c->fam;
}

static bool
same_third(int t, const rn_chord *c)
{
    const mg_chord_info *ci = mg_chord_info_of((mg_chord_type)t);
    bool major3 = ci->interval[1] == 4;
    bool minor3 = ci->interval[1] == 3;

    if (ci->family == MG_FAM_SUS)
        return true;
    if (c->fam == MG_FAM_MAJOR || c->fam == MG_FAM_AUG)
        return major3;
    return minor3;
}

/* Pitch-class set the chord's tones may use, relative to the tonic. */
static unsigned
key_mask(mg_mode mode, mg_feel feel, bool leading)
{
    const int *sc = mg_scale(mode);
    unsigned m = 0;
    int i;

    for (i = 0; i < 7; i++)
        m |= 1u << sc[i];
    if (mode == MG_MODE_MINOR && leading)
        m |= 1u << 11; /* harmonic minor's leading tone, dominants only */
    if (feel == MG_FEEL_BLUES || feel == MG_FEEL_JAZZ)
        m |= (1u << 3) | (1u << 10); /* blue third and seventh */
    return m;
}

static bool
tones_in_key(int t, int rel_root, unsigned mask)
{
    const mg_chord_info *ci = mg_chord_info_of((mg_chord_type)t);
    int k;

    for (k = 0; k < ci->ntones; k++)
        if (!(mask & (1u << ((rel_root + ci->interval[k]) % 12))))
            return false;
    return true;
}

/* A diminished degree in a genre without diminished chords takes the
 * chord it stands for: vii -> V, the minor key's ii -> iv. */
static void
substitute(const mg_genre *g, rn_chord *c, mg_mode mode, mg_feel feel)
{
    int t;

    if (c->fam != MG_FAM_DIM)
        return;
    for (t = 0; t < MG_NCHORDTYPES; t++)
        if (type_allowed(g, t) && fits_family(t, c, feel))
            return;
    diatonic(c, mode, c->degree == 1 ? 3 : 4);
}

static int
pick_type(const mg_genre *g, const rn_chord *c, int rel_root, mg_mode mode,
          mg_feel feel, mg_rng *r)
{
    double w[MG_NCHORDTYPES];
    unsigned mask = key_mask(mode, feel,
                             c->dominant || (c->degree == 6 && c->shift));
    int pass, t, n, with7;

    /* Passes, most to least idiomatic: the family in the key, the family,
     * the same third in the key, the same third, anything allowed. */
    for (pass = 0; pass < 5; pass++) {
        for (n = 0, with7 = 0, t = 0; t < MG_NCHORDTYPES; t++) {
            bool ok = type_allowed(g, t);
            bool inkey = c->chromatic || tones_in_key(t, rel_root, mask);

            if (ok && pass == 0)
                ok = fits_family(t, c, feel) && inkey;
            else if (ok && pass == 1)
                ok = fits_family(t, c, feel);
            else if (ok && pass == 2)
                ok = same_third(t, c) && inkey;
            else if (ok && pass == 3)
                ok = same_third(t, c);
            if (ok && pass < 4 && c->stable &&
                mg_chord_info_of((mg_chord_type)t)->family == MG_FAM_SUS)
                ok = false;
            w[t] = ok ? g->chord_weight[t] : 0;
            if (ok) {
                n++;
                with7 += mg_chord_info_of((mg_chord_type)t)->ntones >= 4;
            }
        }
        if (n > 0)
            break;
    }
    if (pass == 5)
        return MG_CH_MAJ; /* unreachable for a valid spec */
    /* A state that asks for a seventh gets one when the genre allows it;
     * jazz and blues dominants lean on the dominant seventh. */
    for (t = 0; t < MG_NCHORDTYPES; t++) {
        if (c->want7 && with7 > 0 && mg_chord_info_of((mg_chord_type)t)
                                             ->ntones < 4)
            w[t] = 0;
        /* suspensions are colour: rarely two in a row */
        if (c->after_sus &&
            mg_chord_info_of((mg_chord_type)t)->family == MG_FAM_SUS)
            w[t] *= 0.3;
        if (c->dominant && (t == MG_CH_DOM7 || t == MG_CH_DOM9) &&
            (feel == MG_FEEL_JAZZ || feel == MG_FEEL_BLUES))
            w[t] *= 3;
    }
    t = mg_rng_weighted(r, w, MG_NCHORDTYPES);
    return t < 0 ? MG_CH_MAJ : t;
}

static int
pick_inversion(const mg_genre *g, mg_chord_type t, mg_rng *r)
{
    const mg_chord_info *ci = mg_chord_info_of(t);
    int n;

    if (ci->ntones < 3)
        n = 1; /* an inverted power chord is a fourth */
    else if (ci->ntones >= 4 && ci->interval[3] < 12)
        n = 4; /* a sixth or seventh may go in the bass */
    else
        n = 3;
    n = mg_rng_weighted(r, g->inversion_weight, n);
    return n < 0 ? 0 : n;
}

static void
make_roman(mg_chord *ch, const rn_chord *c)
{
    const mg_chord_info *ci = mg_chord_info_of(ch->type);
    const char *suf = "";
    bool upper;
    char num[8];
    size_t i;

    upper = ci->family == MG_FAM_MAJOR || ci->family == MG_FAM_AUG ||
            (ci->family == MG_FAM_SUS && c->fam != MG_FAM_MINOR);
    snprintf(num, sizeof num, "%s", numerals[c->degree]);
    for (i = 0; !upper && num[i]; i++)
        num[i] = (char)tolower((unsigned char)num[i]);
    switch (ch->type) {
    case MG_CH_DIM: suf = "o"; break;
    case MG_CH_AUG: suf = "+"; break;
    case MG_CH_SUS2: suf = "sus2"; break;
    case MG_CH_SUS4: suf = "sus4"; break;
    case MG_CH_POWER: suf = "5"; break;
    case MG_CH_MAJ6: case MG_CH_MIN6: suf = "6"; break;
    case MG_CH_MAJ7: case MG_CH_MINMAJ7: suf = "maj7"; break;
    case MG_CH_MIN7: case MG_CH_DOM7: suf = "7"; break;
    case MG_CH_HDIM7: suf = "7b5"; break;
    case MG_CH_DIM7: suf = "o7"; break;
    case MG_CH_7SUS4: suf = "7sus4"; break;
    case MG_CH_ADD9: case MG_CH_MADD9: suf = "add9"; break;
    case MG_CH_MAJ9: suf = "maj9"; break;
    case MG_CH_MIN9: case MG_CH_DOM9: suf = "9"; break;
    default: break;
    }
    /* The raised leading tone of a minor key is still "vii". */
    snprintf(ch->roman, sizeof ch->roman, "%s%s%s",
             c->chromatic && c->shift < 0 ? "b"
             : c->chromatic && c->shift > 0 ? "#" : "",
             num, suf);
}

/* Symmetric nearest-neighbour distance between two voicings. */
static int
movement(const int *a, int na, const uint8_t *b, int nb)
{
    int i, j, cost = 0;

    for (i = 0; i < na; i++) {
        int best = 127;

        for (j = 0; j < nb; j++)
            if (abs(a[i] - b[j]) < best)
                best = abs(a[i] - b[j]);
        cost += best;
    }
    for (j = 0; j < nb; j++) {
        int best = 127;

        for (i = 0; i < na; i++)
            if (abs(a[i] - b[j]) < best)
                best = abs(a[i] - b[j]);
        cost += best;
    }
    return cost;
}

static int
cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void
voice_chord(mg_chord *ch, const mg_chord *prev)
{
    const mg_chord_info *ci = mg_chord_info_of(ch->type);
    int pcs[MG_MAX_VOICES], nup = 0, k, combo, b, best = -1;
    int bass_pc = (ch->root_pc + ci->interval[ch->inversion]) % 12;

    for (k = 0; k < ci->ntones && nup < MG_MAX_VOICES - 1; k++)
        if (k != ch->inversion)
            pcs[nup++] = (ch->root_pc + ci->interval[k]) % 12;
    for (b = 0; b < 2; b++) {
        int bass = mg_gen_place(bass_pc, 48) + 12 * b;

        if (bass > 62)
            continue;
        for (combo = 0; combo < (1 << nup); combo++) {
            int v[MG_MAX_VOICES], n = 0, cost, sum = 0, dup = 0, i;

            v[n++] = bass;
            for (k = 0; k < nup; k++)
                v[n++] = mg_gen_place(pcs[k], bass + 1) +
                         ((combo >> k) & 1) * 12;
            qsort(v, (size_t)n, sizeof v[0], cmp_int);
            for (i = 1; i < n; i++)
                dup |= v[i] == v[i - 1];
            if (dup || v[n - 1] > 76 || v[n - 1] - v[0] > 19)
                continue;
            for (i = 0; i < n; i++)
                sum += v[i];
            /* Stay near the middle of the register so that a long walk of
             * nearest voicings does not drift away. */
            cost = 2 * abs(sum / n - 62);
            if (prev && prev->nvoices > 0)
                cost += 3 * movement(v, n, prev->voicing, prev->nvoices);
            else
                cost += v[n - 1] - v[0];
            if (n > 1 && v[1] - v[0] < 3 && v[0] < 53)
                cost += 8; /* low seconds are mud */
            /* close-ish positions: a wide triad sounds hollow */
            cost += v[n - 1] - v[0] > 12 ? 2 * (v[n - 1] - v[0] - 12) : 0;
            for (i = 2; i < n; i++)
                if (v[i] - v[i - 1] > 7)
                    cost += 3; /* gaps between upper voices */
            if (best < 0 || cost < best) {
                best = cost;
                ch->nvoices = n;
                for (i = 0; i < n; i++)
                    ch->voicing[i] = (uint8_t)v[i];
            }
        }
    }
}

/* ---- progressions --------------------------------------------------- */

/* Next state index from the genre chain, -1 for the built-in walk. */
static int
markov_next(const mg_markov *m, int a, int b, mg_rng *r)
{
    int c = -1;

    if (b < 0)
        return mg_rng_weighted(r, m->init, m->nstates);
    if (m->order == 2 && a >= 0 && m->has_t2[a][b])
        c = mg_rng_weighted(r, m->t2[a][b], m->nstates);
    if (c < 0)
        c = mg_rng_weighted(r, m->t1[b], m->nstates);
    if (c < 0)
        c = mg_rng_weighted(r, m->init, m->nstates);
    return c;
}

static int
walk_next(mg_mode mode, int a, int b, mg_rng *r)
{
    double w[7];

    if (b < 0)
        return 0;
    memcpy(w, mode == MG_MODE_MINOR ? walk_minor[b] : walk_major[b],
           sizeof w);
    /* second order: a ii-V (or iv-V) wants its tonic */
    if ((a == 1 || a == 3) && b == 4)
        w[0] *= 3;
    if (a >= 0)
        w[a] *= 0.5; /* avoid ping-pong */
    return mg_rng_weighted(r, w, 7);
}

static int
draw_phrase(const mg_song *s, const mg_genre *g, rn_chord *out, int n,
            mg_rng *r)
{
    const mg_markov *m = &g->chords;
    bool table = m->order > 0 && m->nstates > 0;
    int a = -1, b = -1, i, tries;

    for (i = 0; i < n; i++) {
        int c;

        if (table) {
            for (c = -1, tries = 0; tries < 4 && c < 0; tries++) {
                c = markov_next(m, a, b, r);
                if (c >= 0 && parse_roman(m->state[c], s->mode, &out[i]) != 0)
                    c = -1;
            }
            if (c < 0)
                diatonic(&out[i], s->mode, 0);
        } else {
            c = walk_next(s->mode, a, b, r);
            diatonic(&out[i], s->mode, c < 0 ? 0 : c);
        }
        a = b;
        b = c;
    }
    return 0;
}

static bool
ends_on_tonic(const mg_song *s, int i, mg_rng *r)
{
    mg_part_kind k = s->parts[i].kind;

    if (i == s->nparts - 1 || k == MG_PART_CHORUS || k == MG_PART_OUTRO)
        return true;
    if (k == MG_PART_VERSE)
        return mg_rng_chance(r, 0.5);
    return false;
}

static int
chords_per_bar(const mg_part *p, mg_feel feel, mg_rng *r)
{
    double p2;

    if (p->ts != MG_TS_4_4 && p->ts != MG_TS_12_8)
        return 1;
    if (p->measures * 2 > MG_MAX_CHORDS)
        return 1;
    switch (feel) {
    case MG_FEEL_JAZZ: p2 = 0.6; break;
    case MG_FEEL_CLASSICAL: p2 = 0.35; break;
    case MG_FEEL_POP: case MG_FEEL_ROCK: case MG_FEEL_LATIN: p2 = 0.2; break;
    default: p2 = 0.1; break;
    }
    return mg_rng_chance(r, p2) ? 2 : 1;
}

static void
gen_part(mg_song *s, const mg_genre *g, int pi, mg_feel feel,
         const mg_chord **prev, mg_rng *r)
{
    mg_part *p = &s->parts[pi];
    rn_chord seq[MG_MAX_CHORDS], phrase[8];
    uint32_t bar = mg_ts_bar_ticks(p->ts);
    int cpb = chords_per_bar(p, feel, r);
    int n = p->measures * cpb, plen, i;
    bool tonic_end = ends_on_tonic(s, pi, r);
    bool blues = feel == MG_FEEL_BLUES &&
                 (p->measures % 12 == 0 || p->measures % 8 == 0);

    if (n > MG_MAX_CHORDS)
        n = MG_MAX_CHORDS;
    if (blues) {
        cpb = 1;
        n = p->measures;
        for (i = 0; i < n; i++)
            diatonic(&seq[i], s->mode,
                     p->measures % 12 == 0 ? blues12[i % 12]
                                           : blues8[i % 8]);
    } else {
        plen = (p->measures >= 4 ? 4 : p->measures) * cpb;
        draw_phrase(s, g, phrase, plen, r);
        for (i = 0; i < n; i++)
            seq[i] = phrase[i % plen];
        /* Cadence: V-I or a half cadence on V. */
        if (tonic_end) {
            diatonic(&seq[n - 1], s->mode, 0);
            if (n >= 2 && seq[n - 2].degree != 4 && seq[n - 2].degree != 6)
                diatonic(&seq[n - 2], s->mode, 4);
        } else {
            diatonic(&seq[n - 1], s->mode, 4);
            if (n >= 2 && seq[n - 2].degree == 4)
                diatonic(&seq[n - 2], s->mode, 3);
        }
    }
    p->nchords = n;
    for (i = 0; i < n; i++) {
        mg_chord *ch = &p->chords[i];
        int rel = (mg_scale(s->mode)[seq[i].degree] + seq[i].shift + 12) % 12;

        memset(ch, 0, sizeof *ch);
        seq[i].stable = i == n - 1;
        seq[i].after_sus = i > 0 && mg_chord_info_of(p->chords[i - 1].type)
                                            ->family == MG_FAM_SUS;
        substitute(g, &seq[i], s->mode, feel);
        rel = (mg_scale(s->mode)[seq[i].degree] + seq[i].shift + 12) % 12;
        ch->root_pc = (s->tonic_pc + rel) % 12;
        ch->type = (mg_chord_type)pick_type(g, &seq[i], rel, s->mode, feel, r);
        ch->inversion = pick_inversion(g, ch->type, r);
        if (i == n - 1 || (i == 0 && pi == 0))
            ch->inversion = 0; /* open and close in root position */
        ch->degree = seq[i].chromatic && seq[i].shift != 0 ? -1
                                                           : seq[i].degree;
        make_roman(ch, &seq[i]);
        ch->start_tick = p->start_tick + (uint32_t)(i / cpb) * bar +
                         (uint32_t)(i % cpb) * (bar / (uint32_t)cpb);
        ch->end_tick = ch->start_tick + bar / (uint32_t)cpb;
        voice_chord(ch, *prev);
        *prev = ch;
    }
}

int
mg_gen_chords(mg_song *s, const mg_genre *g, mg_rng *r)
{
    mg_feel feel = mg_gen_feel(g);
    const mg_chord *prev = NULL;
    int i, k, j;

    for (i = 0; i < s->nparts; i++) {
        mg_part *p = &s->parts[i];

        j = i < s->nparts - 1 ? mg_gen_model_part(s, i) : -1;
        if (j < 0) {
            gen_part(s, g, i, feel, &prev, r);
            continue;
        }
        /* a returning part plays its first occurrence's changes */
        p->nchords = s->parts[j].nchords;
        for (k = 0; k < p->nchords; k++) {
            p->chords[k] = s->parts[j].chords[k];
            p->chords[k].start_tick += p->start_tick - s->parts[j].start_tick;
            p->chords[k].end_tick += p->start_tick - s->parts[j].start_tick;
        }
        if (p->nchords > 0)
            prev = &p->chords[p->nchords - 1];
    }
    return 0;
}
