/*
 * test_midiread — the MIDI note reader on files built byte by byte here:
 * tempo changes (in another track) move later notes, running status,
 * note-on with velocity 0 as note-off, overlapping notes of one pitch
 * closed first-in first-out, a note left open ending at its track's end,
 * SMPTE division, and truncated or foreign files refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "midiread.h"

typedef struct {
    uint8_t b[1024];
    size_t n;
} bytes;

static void
put(bytes *x, const void *p, size_t n)
{
    memcpy(x->b + x->n, p, n);
    x->n += n;
}

static void
u32(bytes *x, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    put(x, b, 4);
}

static void
header(bytes *x, int ntrk, unsigned div)
{
    put(x, "MThd", 4);
    u32(x, 6);
    uint8_t h[6] = {0, 1, 0, (uint8_t)ntrk, (uint8_t)(div >> 8), (uint8_t)div};
    put(x, h, 6);
}

static void
track(bytes *x, const uint8_t *ev, size_t n)
{
    put(x, "MTrk", 4);
    u32(x, (uint32_t)n);
    put(x, ev, n);
}

static void
tempo_map_and_pairs(void **state)
{
    (void)state;
    bytes x = {0};
    header(&x, 2, 480);
    /* Conductor: 120 BPM at 0, 60 BPM (1,000,000 us) at tick 960. */
    const uint8_t t0[] = {0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
                          0x87, 0x40, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40,
                          0x00, 0xFF, 0x2F, 0x00};
    track(&x, t0, sizeof t0);
    /* Notes on channel 3: C4 at 0 for 480 ticks (running status, note-on
     * velocity 0 as off); two overlapping E4 at 480 and 720, closed at
     * 960 and 1440 (first in, first out); G4 at 1440 never closed. */
    const uint8_t t1[] = {
        0x00, 0x92, 60, 100,      /* C4 on */
        0x83, 0x60, 60, 0,        /* +480: running status, vel 0 = off */
        0x00, 64, 90,             /* E4 on at 480 (running status) */
        0x81, 0x70, 64, 80,       /* +240 = 720: E4 on again */
        0x81, 0x70, 0x82, 64, 0,  /* +240 = 960: off (the first E4) */
        0x83, 0x60, 0x82, 64, 0,  /* +480 = 1440: off (the second) */
        0x00, 0x92, 67, 70,       /* G4 on at 1440 */
        0x83, 0x60, 0xFF, 0x2F, 0x00, /* +480 = 1920: end of track */
    };
    track(&x, t1, sizeof t1);
    mg_mnote *n;
    size_t k;
    char err[200];
    assert_int_equal(mg_midiread_parse(x.b, x.n, &n, &k, err, sizeof err), 0);
    assert_int_equal(k, 4);
    /* Ticks to seconds: 0.5 s per 480 until 960 (= 1.0 s), then 1 s. */
    assert_int_equal(n[0].pitch, 60);
    assert_true(n[0].start == 0.0 && n[0].end == 0.5);
    assert_int_equal(n[0].velocity, 100);
    assert_int_equal(n[0].channel, 2);
    assert_int_equal(n[1].pitch, 64);
    assert_true(n[1].start == 0.5 && n[1].end == 1.0);
    assert_int_equal(n[1].velocity, 90);
    assert_int_equal(n[2].pitch, 64);
    assert_true(n[2].start == 0.75 && n[2].end == 2.0);
    assert_int_equal(n[3].pitch, 67);
    assert_true(n[3].start == 2.0 && n[3].end == 3.0);
    assert_int_equal(n[3].track, 1);
    free(n);
}

static void
smpte_division(void **state)
{
    (void)state;
    bytes x = {0};
    header(&x, 1, 0xE728); /* -25 fps, 40 ticks per frame: 1 ms a tick */
    const uint8_t t[] = {0x00, 0x90, 48, 64, 0x87, 0x68, 0x80, 48, 0,
                         0x00, 0xFF, 0x2F, 0x00};
    track(&x, t, sizeof t);
    mg_mnote *n;
    size_t k;
    char err[200];
    assert_int_equal(mg_midiread_parse(x.b, x.n, &n, &k, err, sizeof err), 0);
    assert_int_equal(k, 1);
    assert_true(n[0].end > 0.9999 && n[0].end < 1.0001);
    free(n);
}

static void
bad_files_refused(void **state)
{
    (void)state;
    mg_mnote *n;
    size_t k;
    char err[200];
    assert_int_equal(mg_midiread_parse((const uint8_t *)"RIFF....WAVE", 12,
                                       &n, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a MIDI file"));
    bytes x = {0};
    header(&x, 1, 480);
    const uint8_t t[] = {0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0};
    track(&x, t, sizeof t);
    /* Cut inside the track: the chunk says more than the file holds. */
    assert_int_equal(mg_midiread_parse(x.b, x.n - 3, &n, &k, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "truncated"));
    /* A data byte with no status before it. */
    bytes y = {0};
    header(&y, 1, 480);
    const uint8_t u[] = {0x00, 60, 100};
    track(&y, u, sizeof u);
    assert_int_equal(mg_midiread_parse(y.b, y.n, &n, &k, err, sizeof err), -1);
    assert_non_null(strstr(err, "without status"));
    assert_int_equal(mg_midiread_file("/nonexistent/x.mid", &n, &k, err,
                                      sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.mid"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tempo_map_and_pairs),
        cmocka_unit_test(smpte_division),
        cmocka_unit_test(bad_files_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
