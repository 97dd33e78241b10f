/*
 * midi — Standard MIDI File writer, one file per layer.
 *
 * Layout (format 1, division MG_PPQ, two tracks):
 *  - track 0, the conductor: track name, tempo, time signature, key
 *    signature and a marker naming the first part, all at tick 0; then at
 *    every later part start a time signature (only when it differs from the
 *    one in force) and a marker, and every change of the tempo map at its
 *    tick (after the part's events where they share a tick); end of track
 *    at the song's total_ticks;
 *  - track 1, the layer: track name (the layer name), a program change at
 *    tick 0 (not for drums, whose kit is chosen by the synthesizer's bank),
 *    the notes, end of track at total_ticks, so that every layer file of a
 *    song has exactly the same length.
 *
 * Invariants: the bytes are a pure function of the song (no clock, no
 * addresses, a total order on events so qsort's instability cannot show);
 * at equal ticks note-offs come before note-ons (a repeated pitch is
 * released before it is struck again), then events sort by pitch. Running
 * status is never used: a few bytes more, but every reader copes.
 */
#include "midi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Channels by layer: drums must be on channel 10 (index 9) for GM. */
static const int layer_channel[MG_NLAYERS] = { 9, 0, 1, 2 };

void
mg_buf_free(mg_buf *b)
{
    if (!b) return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int
buf_reserve(mg_buf *b, size_t extra)
{
    size_t need = b->len + extra, cap;
    unsigned char *p;

    if (need < b->len) return -1; /* overflow */
    if (need <= b->cap) return 0;
    cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

static int
put(mg_buf *b, const void *src, size_t n)
{
    if (buf_reserve(b, n) < 0) return -1;
    memcpy(b->data + b->len, src, n);
    b->len += n;
    return 0;
}

static int
put_u8(mg_buf *b, unsigned v)
{
    if (b->len < b->cap) { /* hot path: one byte, room already there */
        b->data[b->len++] = (unsigned char)v;
        return 0;
    }
    unsigned char c = (unsigned char)v;
    return put(b, &c, 1);
}

static int
put_be(mg_buf *b, uint32_t v, int nbytes)
{
    unsigned char c[4];
    int i;

    for (i = 0; i < nbytes; i++)
        c[i] = (unsigned char)(v >> (8 * (nbytes - 1 - i)));
    return put(b, c, (size_t)nbytes);
}

/* MIDI variable-length quantity: 7 bits a byte, high bit = more follows. */
static int
put_vlq(mg_buf *b, uint32_t v)
{
    unsigned char c[5];
    int n = 0, i;

    c[n++] = v & 0x7f;
    while (v >>= 7)
        c[n++] = (unsigned char)(0x80 | (v & 0x7f));
    for (i = n - 1; i >= 0; i--)
        if (put_u8(b, c[i]) < 0) return -1;
    return 0;
}

/* A track is written as a chunk whose length is patched when it ends. */
typedef struct {
    mg_buf *b;
    size_t len_at;  /* offset of the 4-byte length field */
    uint32_t now;   /* tick of the last event written */
    int err;
} track_w;

static void
trk_begin(track_w *t, mg_buf *b)
{
    t->b = b;
    t->now = 0;
    t->err = put(b, "MTrk", 4) < 0 || put_be(b, 0, 4) < 0;
    t->len_at = b->len - 4;
}

/* Delta time up to `tick`; events must come in tick order. */
static void
trk_time(track_w *t, uint32_t tick)
{
    if (t->err) return;
    if (tick < t->now) { /* parts out of order: a broken song */
        errno = EINVAL;
        t->err = 1;
        return;
    }
    t->err = put_vlq(t->b, tick - t->now) < 0;
    t->now = tick;
}

static void
trk_meta(track_w *t, uint32_t tick, int type, const void *data, size_t n)
{
    trk_time(t, tick);
    if (t->err) return;
    t->err = put_u8(t->b, 0xff) < 0 || put_u8(t->b, (unsigned)type) < 0 ||
             put_vlq(t->b, (uint32_t)n) < 0 || (n && put(t->b, data, n) < 0);
}

static void
trk_text(track_w *t, uint32_t tick, int type, const char *s)
{
    trk_meta(t, tick, type, s, strlen(s));
}

static void
trk_msg(track_w *t, uint32_t tick, unsigned st, unsigned d1, int d2)
{
    trk_time(t, tick);
    if (t->err) return;
    t->err = put_u8(t->b, st) < 0 || put_u8(t->b, d1 & 0x7f) < 0 ||
             (d2 >= 0 && put_u8(t->b, (unsigned)d2 & 0x7f) < 0);
}

static int
trk_end(track_w *t, uint32_t tick)
{
    uint32_t len;
    int i;

    trk_meta(t, tick, 0x2f, NULL, 0);
    if (t->err) return -1;
    len = (uint32_t)(t->b->len - t->len_at - 4);
    for (i = 0; i < 4; i++)
        t->b->data[t->len_at + (size_t)i] =
            (unsigned char)(len >> (24 - 8 * i));
    return 0;
}

/* Key signature: sharps (+) or flats (-) of the major key with tonic pc;
 * a minor key uses its relative major (tonic + 3 semitones). The spelling
 * picks the simpler signature; F# major is written with 6 sharps. */
static int
key_sf(int tonic_pc, mg_mode mode)
{
    static const int major_sf[12] = { 0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2,
                                      5 };
    int pc = ((tonic_pc % 12) + 12) % 12;

    if (mode == MG_MODE_MINOR) pc = (pc + 3) % 12;
    return major_sf[pc];
}

/* MIDI clocks (24 per quarter) per metronome click: one click per beat as
 * song.h counts beats (dotted quarter in 6/8 and 12/8, eighth in 7/8). */
static int
ts_clocks(mg_ts ts)
{
    switch (ts) {
    case MG_TS_6_8:
    case MG_TS_12_8: return 36;
    case MG_TS_7_8: return 12;
    default: return 24;
    }
}

static void
trk_timesig(track_w *t, uint32_t tick, mg_ts ts)
{
    unsigned char d[4];
    int den = mg_ts_den(ts), p = 0;

    while ((1 << p) < den && p < 7)
        p++;
    d[0] = (unsigned char)mg_ts_num(ts);
    d[1] = (unsigned char)p;
    d[2] = (unsigned char)ts_clocks(ts);
    d[3] = 8;
    trk_meta(t, tick, 0x58, d, 4);
}

static void
trk_tempo(track_w *t, uint32_t tick, uint32_t us)
{
    unsigned char d[3];

    d[0] = (unsigned char)(us >> 16);
    d[1] = (unsigned char)(us >> 8);
    d[2] = (unsigned char)us;
    trk_meta(t, tick, 0x51, d, 3);
}

static void
write_conductor(track_w *t, const mg_song *s, uint32_t end)
{
    unsigned char d[3];
    mg_ts cur = s->nparts > 0 ? s->parts[0].ts : s->ts;
    int i, k = 1; /* tempi[0] is the tempo at tick 0 */

    trk_text(t, 0, 0x03, "musicgen");
    trk_tempo(t, 0, s->us_per_quarter);
    trk_timesig(t, 0, cur);
    d[0] = (unsigned char)(signed char)key_sf(s->tonic_pc, s->mode);
    d[1] = s->mode == MG_MODE_MINOR;
    trk_meta(t, 0, 0x59, d, 2);
    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];

        /* tempo changes up to this part's start first, at a part start
         * after its time signature and marker */
        for (; k < s->ntempi && s->tempi[k].tick < p->start_tick; k++)
            trk_tempo(t, s->tempi[k].tick, s->tempi[k].us);
        if (i > 0 && p->ts != cur) {
            trk_timesig(t, p->start_tick, p->ts);
            cur = p->ts;
        }
        trk_text(t, p->start_tick, 0x06, mg_part_name(p->kind));
    }
    for (; k < s->ntempi && s->tempi[k].tick < end; k++)
        trk_tempo(t, s->tempi[k].tick, s->tempi[k].us);
    trk_end(t, end);
}

/* One note event; `idx` (position in the track) only breaks exact ties so
 * that the order is total and qsort's instability cannot change bytes. */
typedef struct {
    uint32_t tick;
    uint8_t on;
    uint8_t pitch;
    uint8_t vel;
    uint32_t idx;
} note_ev;

static int
ev_cmp(const void *a, const void *b)
{
    const note_ev *x = a, *y = b;

    if (x->tick != y->tick) return x->tick < y->tick ? -1 : 1;
    if (x->on != y->on) return x->on < y->on ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch < y->pitch ? -1 : 1;
    if (x->vel != y->vel) return x->vel < y->vel ? -1 : 1;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return 0;
}

/* Song length in ticks: total_ticks, or the last note-off if a song was
 * assembled by hand without it. */
static uint32_t
song_end(const mg_song *s)
{
    uint32_t end = s->total_ticks;
    int l;
    size_t i;

    if (end) return end;
    for (l = 0; l < MG_NLAYERS; l++)
        for (i = 0; i < s->track[l].n; i++) {
            const mg_note *n = &s->track[l].v[i];
            uint32_t off = n->tick + (n->dur ? n->dur : 1);

            if (off > end) end = off;
        }
    return end;
}

static int
write_layer(track_w *t, const mg_song *s, mg_layer l, uint32_t end)
{
    const mg_track *tr = &s->track[l];
    int ch = layer_channel[l];
    note_ev *ev;
    size_t i, n = 0;

    trk_text(t, 0, 0x03, mg_layer_name(l));
    if (l != MG_LAYER_BEAT) {
        int prog = s->program[l];

        trk_msg(t, 0, 0xc0u | (unsigned)ch,
                (unsigned)(prog < 0 ? 0 : prog > 127 ? 127 : prog), -1);
    }
    if (t->err) return -1;
    if (tr->n > (SIZE_MAX / sizeof(*ev)) / 2) return -1;
    ev = malloc((tr->n ? tr->n : 1) * 2 * sizeof(*ev));
    if (!ev) return -1;
    for (i = 0; i < tr->n; i++) {
        const mg_note *no = &tr->v[i];
        uint32_t off;

        /* A note at or past the end cannot sound: an invariant broken
         * upstream, refused rather than silently dropped. */
        if (no->tick >= end || no->pitch > 127) {
            free(ev);
            errno = EINVAL;
            return -1;
        }
        off = no->tick + (no->dur ? no->dur : 1);
        if (off > end || off < no->tick) off = end;
        ev[n++] = (note_ev){ no->tick, 1, no->pitch,
                             no->vel ? no->vel : 1, (uint32_t)i };
        ev[n++] = (note_ev){ off, 0, no->pitch, 0, (uint32_t)i };
    }
    qsort(ev, n, sizeof(*ev), ev_cmp);
    for (i = 0; i < n && !t->err; i++)
        trk_msg(t, ev[i].tick, (ev[i].on ? 0x90u : 0x80u) | (unsigned)ch,
                ev[i].pitch, ev[i].on ? ev[i].vel : 0);
    free(ev);
    return trk_end(t, end);
}

int
mg_midi_encode(const mg_song *s, mg_layer l, mg_buf *b)
{
    size_t start;
    uint32_t end;
    track_w t;
    int saved;

    if (!s || !b || (int)l < 0 || l >= MG_NLAYERS) {
        errno = EINVAL;
        return -1;
    }
    saved = errno;
    errno = 0;
    start = b->len;
    end = song_end(s);
    if (put(b, "MThd", 4) < 0 || put_be(b, 6, 4) < 0 || put_be(b, 1, 2) < 0 ||
        put_be(b, 2, 2) < 0 || put_be(b, MG_PPQ, 2) < 0)
        goto fail;
    trk_begin(&t, b);
    write_conductor(&t, s, end);
    if (t.err) goto fail;
    trk_begin(&t, b);
    if (write_layer(&t, s, l, end) < 0) goto fail;
    errno = saved;
    return 0;
fail:
    b->len = start; /* leave the buffer as it was */
    if (!errno) errno = ENOMEM;
    return -1;
}

int
mg_midi_write(const mg_song *s, mg_layer l, const char *path)
{
    mg_buf b = { 0 };
    FILE *f;
    int e;

    if (!path) {
        errno = EINVAL;
        return -1;
    }
    if (mg_midi_encode(s, l, &b) < 0) {
        e = errno;
        mg_buf_free(&b);
        errno = e;
        return -1;
    }
    f = fopen(path, "wb");
    if (!f) {
        e = errno;
        mg_buf_free(&b);
        errno = e;
        return -1;
    }
    if (fwrite(b.data, 1, b.len, f) != b.len) {
        e = errno ? errno : EIO;
        fclose(f);
        mg_buf_free(&b);
        errno = e;
        return -1;
    }
    mg_buf_free(&b);
    if (fclose(f) != 0) return -1; /* errno from fclose */
    return 0;
}
