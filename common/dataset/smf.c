/*
 * smf — a small, strict Standard MIDI File reader (see smf.h).
 *
 * Two passes: the first collects every track's tempo changes (a format-1
 * file keeps them in track 0) into one tick-ordered map; the second reads
 * note on/off pairs (running status, note-on velocity 0 = off) and turns
 * ticks into seconds through that map. Every length is checked against
 * the buffer: a truncated or hostile file is an error, never a read past
 * its end. A note never ended is dropped.
 */
#include "smf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t tick;
    uint32_t us_per_q;
} tempo;

typedef struct {
    tempo *t;
    size_t n, cap;
} tempo_map;

typedef struct {
    const uint8_t *p, *end;
} rd;

static int
vlq(rd *r, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (r->p >= r->end)
            return -1;
        uint8_t b = *r->p++;
        *v = (*v << 7) | (b & 0x7f);
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

static uint32_t
be(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static double
to_sec(const tempo_map *m, uint64_t tick, unsigned ppq)
{
    double s = 0;
    uint64_t at = 0;
    uint32_t us = 500000;
    for (size_t i = 0; i < m->n && m->t[i].tick <= tick; i++) {
        s += (double)(m->t[i].tick - at) * us / ppq / 1e6;
        at = m->t[i].tick;
        us = m->t[i].us_per_q;
    }
    return s + (double)(tick - at) * us / ppq / 1e6;
}

static int
cmp_tempo(const void *a, const void *b)
{
    const tempo *x = a, *y = b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

static int
cmp_note(const void *a, const void *b)
{
    const mg_smf_note *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int)x->pitch - (int)y->pitch;
}

/* One track. pass 0: tempos into map; pass 1: notes into out. */
static int
track(const uint8_t *p, size_t len, int pass, tempo_map *map, unsigned ppq,
      mg_smf *out, size_t *cap, char *err, size_t errlen)
{
    rd r = {p, p + len};
    uint64_t tick = 0;
    uint8_t status = 0;
    /* sounding notes: start tick and velocity per channel and pitch */
    static const uint64_t OFF = UINT64_MAX;
    uint64_t *on = NULL;
    uint8_t vel[16][128];
    if (pass == 1) {
        on = malloc(16 * 128 * sizeof *on);
        if (!on) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (int i = 0; i < 16 * 128; i++)
            on[i] = OFF;
    }
    int rc = -1;
    while (r.p < r.end) {
        uint32_t dt;
        if (vlq(&r, &dt)) {
            snprintf(err, errlen, "bad delta time");
            goto out;
        }
        tick += dt;
        if (r.p >= r.end) {
            snprintf(err, errlen, "event cut off");
            goto out;
        }
        uint8_t b = *r.p;
        if (b & 0x80) {
            status = b;
            r.p++;
        } else if (!status || status >= 0xf0) {
            snprintf(err, errlen, "data byte without a status");
            goto out;
        }
        if (status == 0xff) {
            if (r.p >= r.end) {
                snprintf(err, errlen, "meta event cut off");
                goto out;
            }
            uint8_t type = *r.p++;
            uint32_t n;
            if (vlq(&r, &n) || n > (size_t)(r.end - r.p)) {
                snprintf(err, errlen, "meta event length past the track");
                goto out;
            }
            if (type == 0x51 && n == 3 && pass == 0) {
                if (map->n == map->cap) {
                    size_t c = map->cap ? map->cap * 2 : 8;
                    tempo *t = realloc(map->t, c * sizeof *t);
                    if (!t) {
                        snprintf(err, errlen, "out of memory");
                        goto out;
                    }
                    map->t = t;
                    map->cap = c;
                }
                map->t[map->n].tick = tick;
                map->t[map->n++].us_per_q = be(r.p, 3) ? be(r.p, 3) : 1;
            }
            r.p += n;
            status = 0;
            if (type == 0x2f)
                break;
            continue;
        }
        if (status == 0xf0 || status == 0xf7) {
            uint32_t n;
            if (vlq(&r, &n) || n > (size_t)(r.end - r.p)) {
                snprintf(err, errlen, "sysex length past the track");
                goto out;
            }
            r.p += n;
            status = 0;
            continue;
        }
        if (status > 0xf7) {
            snprintf(err, errlen, "unexpected status 0x%02x", status);
            goto out;
        }
        int kind = status & 0xf0, ch = status & 0x0f;
        int nd = (kind == 0xc0 || kind == 0xd0) ? 1 : 2;
        if ((size_t)(r.end - r.p) < (size_t)nd) {
            snprintf(err, errlen, "channel event cut off");
            goto out;
        }
        uint8_t d0 = r.p[0] & 0x7f, d1 = nd > 1 ? (r.p[1] & 0x7f) : 0;
        r.p += nd;
        if (pass != 1 || (kind != 0x80 && kind != 0x90))
            continue;
        uint64_t *slot = &on[ch * 128 + d0];
        bool note_on = kind == 0x90 && d1 > 0;
        if (*slot != OFF) {         /* end the sounding one */
            if (out->n == *cap) {
                size_t c = *cap ? *cap * 2 : 256;
                mg_smf_note *nn = realloc(out->notes, c * sizeof *nn);
                if (!nn) {
                    snprintf(err, errlen, "out of memory");
                    goto out;
                }
                out->notes = nn;
                *cap = c;
            }
            mg_smf_note *x = &out->notes[out->n++];
            x->start = to_sec(map, *slot, ppq);
            x->end = to_sec(map, tick, ppq);
            x->pitch = d0;
            x->velocity = vel[ch][d0];
            x->channel = (uint8_t)ch;
            *slot = OFF;
        }
        if (note_on) {
            *slot = tick;
            vel[ch][d0] = d1;
        }
    }
    double end = to_sec(map, tick, ppq);
    if (end > out->end)
        out->end = end;
    rc = 0;
out:
    free(on);
    return rc;
}

int
mg_smf_parse(const uint8_t *buf, size_t len, mg_smf *out, char *err,
             size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (len < 14 || memcmp(buf, "MThd", 4) || be(buf + 4, 4) < 6) {
        snprintf(err, errlen, "not a Standard MIDI File (no MThd)");
        return -1;
    }
    size_t hlen = be(buf + 4, 4);
    if (hlen > len - 8) {
        snprintf(err, errlen, "header past the end");
        return -1;
    }
    unsigned ntracks = be(buf + 10, 2), division = be(buf + 12, 2);
    if (division == 0 || (division & 0x8000)) {
        snprintf(err, errlen, "SMPTE or zero time division unsupported");
        return -1;
    }
    tempo_map map = {NULL, 0, 0};
    size_t cap = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && map.n)
            qsort(map.t, map.n, sizeof *map.t, cmp_tempo);
        size_t at = 8 + hlen;
        for (unsigned t = 0; t < ntracks; t++) {
            if (len - at < 8 || memcmp(buf + at, "MTrk", 4)) {
                snprintf(err, errlen, "track %u missing", t + 1);
                goto fail;
            }
            size_t tl = be(buf + at + 4, 4);
            if (tl > len - at - 8) {
                snprintf(err, errlen, "track %u runs past the end", t + 1);
                goto fail;
            }
            char why[128];
            if (track(buf + at + 8, tl, pass, &map, division, out, &cap,
                      why, sizeof why)) {
                snprintf(err, errlen, "track %u: %s", t + 1, why);
                goto fail;
            }
            at += 8 + tl;
        }
    }
    free(map.t);
    if (out->n)
        qsort(out->notes, out->n, sizeof *out->notes, cmp_note);
    return 0;
fail:
    free(map.t);
    mg_smf_free(out);
    return -1;
}

int
mg_smf_read(const char *path, mg_smf *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            if (cap > ((size_t)64 << 20)) {
                snprintf(err, errlen, "%s: larger than 64 MiB", path);
                goto fail;
            }
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                snprintf(err, errlen, "out of memory");
                goto fail;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    char why[200];
    int rc = mg_smf_parse(buf, len, out, why, sizeof why);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, why);
    free(buf);
    return rc;
fail:
    fclose(f);
    free(buf);
    return -1;
}

void
mg_smf_free(mg_smf *s)
{
    free(s->notes);
    memset(s, 0, sizeof *s);
}
