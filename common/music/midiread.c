/*
 * midiread — Standard MIDI File note reader (contract in midiread.h).
 *
 * Two passes over the tracks: the first collects tempo events (tick,
 * microseconds per quarter) from every track, the second pairs notes in
 * ticks; ticks become seconds through the sorted tempo map at the end.
 */
#include "midiread.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "rfile.h"

typedef struct {
    uint64_t tick;
    uint32_t uspq;
} tempo_ev;

typedef struct {
    uint64_t on, off;
    uint8_t pitch, vel, ch;
    uint16_t track;
    bool open;
} tnote;

typedef struct {
    tempo_ev *tempo;
    size_t ntempo, tcap;
    tnote *notes;
    size_t nnotes, ncap;
} acc;

static bool
varint(const uint8_t *p, size_t len, size_t *i, uint32_t *v)
{
    uint32_t x = 0;
    for (int k = 0; k < 4; k++) {
        if (*i >= len) return false;
        uint8_t b = p[(*i)++];
        x = (x << 7) | (b & 0x7F);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

static int
add_tempo(acc *a, uint64_t tick, uint32_t uspq)
{
    if (a->ntempo == a->tcap) {
        size_t cap = a->tcap ? a->tcap * 2 : 16;
        tempo_ev *t = realloc(a->tempo, cap * sizeof *t);
        if (!t) return -1;
        a->tempo = t;
        a->tcap = cap;
    }
    a->tempo[a->ntempo++] = (tempo_ev){tick, uspq};
    return 0;
}

static int
add_note(acc *a, tnote n)
{
    if (a->nnotes == a->ncap) {
        size_t cap = a->ncap ? a->ncap * 2 : 256;
        tnote *t = realloc(a->notes, cap * sizeof *t);
        if (!t) return -1;
        a->notes = t;
        a->ncap = cap;
    }
    a->notes[a->nnotes++] = n;
    return 0;
}

/* One track's events; tempo events only (pass 0) or notes (pass 1). */
static int
track(acc *a, const uint8_t *p, size_t len, uint16_t tr, int pass,
      char *err, size_t errlen)
{
    size_t i = 0, first = a->nnotes;
    uint64_t tick = 0;
    uint8_t status = 0;
    while (i < len) {
        uint32_t delta;
        if (!varint(p, len, &i, &delta))
            return mg_errf(err, errlen, "track %u: bad delta time", tr);
        tick += delta;
        if (i >= len) return mg_errf(err, errlen, "track %u: truncated", tr);
        uint8_t b = p[i];
        if (b & 0x80) {
            i++;
            if (b < 0xF0) status = b;
        } else if (!status) {
            return mg_errf(err, errlen, "track %u: data byte without status",
                           tr);
        } else {
            b = status; /* running status */
        }
        if (b == 0xFF) {
            if (i >= len) return mg_errf(err, errlen, "track %u: truncated", tr);
            uint8_t type = p[i++];
            uint32_t n;
            if (!varint(p, len, &i, &n) || n > len - i)
                return mg_errf(err, errlen, "track %u: bad meta event", tr);
            if (type == 0x51 && n == 3 && pass == 0 &&
                add_tempo(a, tick, (uint32_t)p[i] << 16 |
                                       (uint32_t)p[i + 1] << 8 | p[i + 2]))
                return mg_errf(err, errlen, "out of memory");
            i += n;
            if (type == 0x2F) break; /* end of track */
            continue;
        }
        if (b == 0xF0 || b == 0xF7) {
            uint32_t n;
            if (!varint(p, len, &i, &n) || n > len - i)
                return mg_errf(err, errlen, "track %u: bad sysex", tr);
            i += n;
            continue;
        }
        int ndata = (b & 0xF0) == 0xC0 || (b & 0xF0) == 0xD0 ? 1 : 2;
        if (len - i < (size_t)ndata)
            return mg_errf(err, errlen, "track %u: truncated event", tr);
        uint8_t d1 = p[i], d2 = ndata == 2 ? p[i + 1] : 0;
        i += (size_t)ndata;
        if (pass == 0) continue;
        uint8_t kind = b & 0xF0, ch = b & 0x0F;
        if (kind == 0x90 && d2 > 0) {
            tnote n = {tick, tick, d1 & 0x7F, d2 & 0x7F, ch, tr, true};
            if (add_note(a, n)) return mg_errf(err, errlen, "out of memory");
        } else if (kind == 0x80 || kind == 0x90) {
            /* Close the oldest open note of this pitch and channel. */
            for (size_t k = first; k < a->nnotes; k++) {
                tnote *n = &a->notes[k];
                if (n->open && n->pitch == (d1 & 0x7F) && n->ch == ch) {
                    n->off = tick;
                    n->open = false;
                    break;
                }
            }
        }
    }
    for (size_t k = first; k < a->nnotes; k++)
        if (a->notes[k].open) {
            a->notes[k].off = tick;
            a->notes[k].open = false;
        }
    return 0;
}

static int
tempo_cmp(const void *x, const void *y)
{
    const tempo_ev *a = x, *b = y;
    return a->tick < b->tick ? -1 : a->tick > b->tick;
}

static int
note_cmp(const void *x, const void *y)
{
    const mg_mnote *a = x, *b = y;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->pitch != b->pitch) return a->pitch < b->pitch ? -1 : 1;
    return a->track < b->track ? -1 : a->track > b->track;
}

/* Seconds of a tick through the tempo map (ticks per quarter tpq). */
static double
seconds(const acc *a, uint64_t tick, unsigned tpq)
{
    double s = 0;
    uint64_t at = 0;
    uint32_t uspq = 500000;
    for (size_t k = 0; k < a->ntempo && a->tempo[k].tick < tick; k++) {
        s += (double)(a->tempo[k].tick - at) * uspq / (tpq * 1e6);
        at = a->tempo[k].tick;
        uspq = a->tempo[k].uspq;
    }
    return s + (double)(tick - at) * uspq / (tpq * 1e6);
}

int
mg_midiread_parse(const uint8_t *p, size_t len, mg_mnote **out, size_t *nout,
                  char *err, size_t errlen)
{
    *out = NULL;
    *nout = 0;
    if (len < 14 || memcmp(p, "MThd", 4))
        return mg_errf(err, errlen, "not a MIDI file (no MThd header)");
    uint32_t hl = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
                  (uint32_t)p[6] << 8 | p[7];
    if (hl < 6 || hl > len - 8)
        return mg_errf(err, errlen, "bad MIDI header length");
    unsigned ntrk = (unsigned)p[10] << 8 | p[11];
    unsigned div = (unsigned)p[12] << 8 | p[13];
    double smpte = 0; /* seconds per tick, for SMPTE division */
    if (div & 0x8000) {
        int fps = -(int8_t)(div >> 8);
        unsigned tpf = div & 0xFF;
        if (fps <= 0 || !tpf) return mg_errf(err, errlen, "bad division");
        smpte = 1.0 / (fps * (double)tpf);
    } else if (!div) {
        return mg_errf(err, errlen, "bad division 0");
    }
    acc a = {0};
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        size_t i = 8 + hl;
        for (unsigned t = 0; t < ntrk && !rc; t++) {
            if (len - i < 8) {
                rc = mg_errf(err, errlen, "track %u: missing", t);
                break;
            }
            uint32_t tl = (uint32_t)p[i + 4] << 24 |
                          (uint32_t)p[i + 5] << 16 |
                          (uint32_t)p[i + 6] << 8 | p[i + 7];
            if (tl > len - i - 8) {
                rc = mg_errf(err, errlen, "track %u: truncated", t);
                break;
            }
            if (!memcmp(p + i, "MTrk", 4))
                rc = track(&a, p + i + 8, tl, (uint16_t)t, pass, err, errlen);
            i += 8 + (size_t)tl;
        }
    }
    if (!rc && a.ntempo > 1)
        qsort(a.tempo, a.ntempo, sizeof *a.tempo, tempo_cmp);
    mg_mnote *notes = NULL;
    if (!rc && a.nnotes && !(notes = malloc(a.nnotes * sizeof *notes)))
        rc = mg_errf(err, errlen, "out of memory");
    for (size_t k = 0; !rc && k < a.nnotes; k++) {
        const tnote *n = &a.notes[k];
        notes[k] = (mg_mnote){
            .start = smpte ? n->on * smpte : seconds(&a, n->on, div),
            .end = smpte ? n->off * smpte : seconds(&a, n->off, div),
            .pitch = n->pitch,
            .velocity = n->vel,
            .channel = n->ch,
            .track = n->track};
    }
    free(a.tempo);
    free(a.notes);
    if (rc) {
        free(notes);
        return -1;
    }
    if (a.nnotes) qsort(notes, a.nnotes, sizeof *notes, note_cmp);
    *out = notes;
    *nout = a.nnotes;
    return 0;
}

int
mg_midiread_file(const char *path, mg_mnote **notes, size_t *n, char *err,
                 size_t errlen)
{
    FILE *f; /* a regular file only: a FIFO there would block for ever */
    if (mg_rfile_open(path, 64LL << 20, &f, err, errlen)) return -1;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > (64u << 20)) {
                free(buf);
                fclose(f);
                return mg_errf(err, errlen, "%s: larger than 64 MiB", path);
            }
            uint8_t *q = realloc(buf, cap);
            if (!q) {
                free(buf);
                fclose(f);
                return mg_errf(err, errlen, "out of memory");
            }
            buf = q;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return mg_errf(err, errlen, "%s: read error", path);
    }
    char e[200];
    int rc = mg_midiread_parse(buf, len, notes, n, e, sizeof e);
    free(buf);
    if (rc) return mg_errf(err, errlen, "%s: %s", path, e);
    return 0;
}
