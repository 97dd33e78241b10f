/*
 * song — names, time-signature arithmetic, the swing map, tick->seconds and
 * note tracks (see song.h for the invariants).
 *
 * Time signatures: a bar is num * (4 / den) quarters. Beats are the
 * denominator note for x/4, dotted quarters for the compound metres 6/8 and
 * 12/8, and eighths for 7/8. The swing cell is one beat-division pair: a
 * quarter (two eighths) for x/4, an eighth (two sixteenths) for x/8.
 *
 * mg_song_finish leaves each track sorted by (tick, pitch, dur, vel) — a
 * total order, so qsort's instability cannot make output differ — and
 * trims overlapping notes of the same pitch so that every note-on has its
 * own note-off in a MIDI file.
 */
#include "song.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const layer_names[MG_NLAYERS] = {"beat", "melody",
                                                    "harmony", "bassline"};
static const char *const part_names[MG_NPARTKINDS] = {
    "intro", "verse", "chorus", "bridge", "outro"};
static const struct {
    const char *name, *compact;
    int num, den;
} ts_table[MG_NTS] = {
    {"2/4", "24", 2, 4},  {"3/4", "34", 3, 4}, {"4/4", "44", 4, 4},
    {"5/4", "54", 5, 4},  {"6/8", "68", 6, 8}, {"7/8", "78", 7, 8},
    {"12/8", "128", 12, 8},
};

const char *
mg_layer_name(mg_layer l)
{
    if ((int)l < 0 || l >= MG_NLAYERS)
        return "?";
    return layer_names[l];
}

int
mg_layer_from_name(const char *name)
{
    int i;

    if (!name)
        return -1;
    for (i = 0; i < MG_NLAYERS; i++)
        if (strcmp(name, layer_names[i]) == 0)
            return i;
    return -1;
}

const char *
mg_part_name(mg_part_kind k)
{
    if ((int)k < 0 || k >= MG_NPARTKINDS)
        return "?";
    return part_names[k];
}

int
mg_part_from_name(const char *name)
{
    int i;

    if (!name)
        return -1;
    for (i = 0; i < MG_NPARTKINDS; i++)
        if (strcmp(name, part_names[i]) == 0)
            return i;
    return -1;
}

const char *
mg_ts_name(mg_ts ts)
{
    if ((int)ts < 0 || ts >= MG_NTS)
        return "?";
    return ts_table[ts].name;
}

int
mg_ts_from_name(const char *name)
{
    int i;

    if (!name)
        return -1;
    for (i = 0; i < MG_NTS; i++)
        if (strcmp(name, ts_table[i].name) == 0 ||
            strcmp(name, ts_table[i].compact) == 0)
            return i;
    return -1;
}

int
mg_ts_num(mg_ts ts)
{
    return ts_table[ts].num;
}

int
mg_ts_den(mg_ts ts)
{
    return ts_table[ts].den;
}

uint32_t
mg_ts_bar_ticks(mg_ts ts)
{
    return (uint32_t)ts_table[ts].num * (4u * MG_PPQ / ts_table[ts].den);
}

int
mg_ts_beats(mg_ts ts)
{
    if (ts == MG_TS_6_8 || ts == MG_TS_12_8)
        return ts_table[ts].num / 3;
    return ts_table[ts].num;
}

uint32_t
mg_ts_beat_ticks(mg_ts ts)
{
    return mg_ts_bar_ticks(ts) / (uint32_t)mg_ts_beats(ts);
}

uint32_t
mg_ts_swing_cell(mg_ts ts)
{
    return ts_table[ts].den == 8 ? MG_PPQ / 2 : MG_PPQ;
}

bool
mg_ts_compound(mg_ts ts)
{
    return ts == MG_TS_6_8 || ts == MG_TS_12_8;
}

const char *
mg_ts_beat_unit(mg_ts ts)
{
    if (mg_ts_compound(ts))
        return "dotted quarter";
    return ts_table[ts].den == 8 ? "eighth" : "quarter";
}

const char *
mg_ts_den_unit(mg_ts ts)
{
    return ts_table[ts].den == 8 ? "eighth" : "quarter";
}

const char *
mg_ts_felt_unit(mg_ts ts)
{
    if (ts == MG_TS_7_8)
        return "grouped eighths (2+2+3)";
    return mg_ts_beat_unit(ts);
}

uint32_t
mg_ts_den_ticks(mg_ts ts)
{
    return 4u * MG_PPQ / (uint32_t)ts_table[ts].den;
}

int
mg_ts_felt_beats(mg_ts ts, uint32_t off[12])
{
    int n, i;

    if (ts == MG_TS_7_8) {
        off[0] = 0;
        off[1] = 2 * MG_PPQ / 2;
        off[2] = 4 * MG_PPQ / 2;
        return 3;
    }
    n = mg_ts_beats(ts);
    for (i = 0; i < n && i < 12; i++)
        off[i] = (uint32_t)i * mg_ts_beat_ticks(ts);
    return n;
}

uint32_t
mg_swing_tick(uint32_t tick, uint32_t part_start, uint32_t cell,
              double swing)
{
    uint32_t rel, base, off, half;
    double pos;

    if (tick < part_start || cell < 2 || swing == 0.5)
        return tick;
    if (swing < 0.01)
        swing = 0.01;
    if (swing > 0.99)
        swing = 0.99;
    rel = tick - part_start;
    base = rel - rel % cell;
    off = rel % cell;
    half = cell / 2;
    if (off < half)
        pos = (double)off * swing * cell / half;
    else
        pos = swing * cell +
              (double)(off - half) * (1.0 - swing) * cell / (cell - half);
    return part_start + base + (uint32_t)floor(pos + 0.5);
}

double
mg_part_swing(const mg_song *s, const mg_part *p)
{
    return mg_ts_den(p->ts) == 8 ? 0.5 : s->swing;
}

double
mg_song_swing(const mg_song *s)
{
    return mg_ts_den(s->ts) == 8 ? 0.5 : s->swing;
}

uint32_t
mg_song_us_at(const mg_song *s, uint32_t tick)
{
    uint32_t us = s->us_per_quarter;

    for (int i = 0; i < s->ntempi && s->tempi[i].tick <= tick; i++)
        us = s->tempi[i].us;
    return us;
}

/* Exact in integers: the sum of ticks x us over the segments, divided
 * once. */
double
mg_song_seconds(const mg_song *s, uint32_t tick)
{
    uint64_t acc = 0;
    uint32_t at = 0, us = s->us_per_quarter;

    for (int i = 0; i < s->ntempi && s->tempi[i].tick < tick; i++) {
        acc += (uint64_t)(s->tempi[i].tick - at) * us;
        at = s->tempi[i].tick;
        us = s->tempi[i].us;
    }
    acc += (uint64_t)(tick - at) * us;
    return (double)acc / (MG_PPQ * 1e6);
}

double
mg_song_duration(const mg_song *s)
{
    return mg_song_seconds(s, s->total_ticks);
}

void
mg_song_init(mg_song *s)
{
    memset(s, 0, sizeof *s);
}

void
mg_song_free(mg_song *s)
{
    int l;

    for (l = 0; l < MG_NLAYERS; l++) {
        free(s->track[l].v);
        s->track[l].v = NULL;
        s->track[l].n = s->track[l].cap = 0;
    }
}

void
mg_song_reset_tracks(mg_song *s)
{
    int l;

    for (l = 0; l < MG_NLAYERS; l++)
        s->track[l].n = 0;
}

int
mg_track_add(mg_track *t, uint32_t tick, uint32_t dur, int pitch, int vel)
{
    mg_note *n;

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        mg_note *v = realloc(t->v, cap * sizeof *v);

        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    n = &t->v[t->n++];
    memset(n, 0, sizeof *n); /* padding too: tracks compare by bytes */
    n->tick = tick;
    n->dur = dur ? dur : 1;
    n->pitch = (uint8_t)(pitch < 0 ? 0 : pitch > 127 ? 127 : pitch);
    n->vel = (uint8_t)(vel < 1 ? 1 : vel > 127 ? 127 : vel);
    return 0;
}

static int
note_cmp(const void *a, const void *b)
{
    const mg_note *x = a, *y = b;

    if (x->tick != y->tick)
        return x->tick < y->tick ? -1 : 1;
    if (x->pitch != y->pitch)
        return x->pitch < y->pitch ? -1 : 1;
    if (x->dur != y->dur)
        return x->dur > y->dur ? -1 : 1; /* longer first: it survives */
    if (x->vel != y->vel)
        return x->vel > y->vel ? -1 : 1;
    return 0;
}

static void
finish_track(mg_track *t, uint32_t total)
{
    long last[128];
    size_t i, w;

    if (t->n == 0)
        return;
    qsort(t->v, t->n, sizeof *t->v, note_cmp);
    for (i = 0; i < 128; i++)
        last[i] = -1;
    for (i = 0; i < t->n; i++) {
        mg_note *n = &t->v[i];
        long j = last[n->pitch];

        if (total && n->tick >= total) {
            n->dur = 0;
            continue;
        }
        if (total && n->tick + n->dur > total)
            n->dur = total - n->tick;
        if (j >= 0 && t->v[j].dur && t->v[j].tick + t->v[j].dur > n->tick) {
            if (t->v[j].tick == n->tick) {
                n->dur = 0; /* same onset, same pitch: keep the first */
                continue;
            }
            t->v[j].dur = n->tick - t->v[j].tick;
        }
        last[n->pitch] = (long)i;
    }
    for (i = w = 0; i < t->n; i++)
        if (t->v[i].dur)
            t->v[w++] = t->v[i];
    t->n = w;
}

void
mg_song_finish(mg_song *s)
{
    int l;

    for (l = 0; l < MG_NLAYERS; l++)
        finish_track(&s->track[l], s->total_ticks);
}
