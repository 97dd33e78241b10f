/*
 * test_midi — the Standard MIDI File writer, read back by a small
 * independent parser below: header, conductor meta events (tempo, time
 * signatures at part changes, key signature, markers), channels, program
 * changes, event order at equal ticks, equal lengths across layers,
 * byte-identical output, and file writing errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "midi.h"

/* ---- a minimal SMF reader, written from the spec, not from midi.c ---- */

typedef struct {
    uint32_t tick;
    int status;     /* 0xff for meta, else the status byte */
    int meta;       /* meta type when status == 0xff */
    int d1, d2;
    unsigned char data[64];
    size_t len;     /* meta payload length */
} ev;

typedef struct {
    int format, ntracks, division;
    int nev[2];
    ev e[2][512];
} smf;

static uint32_t
be(const unsigned char *p, int n)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static uint32_t
vlq(const unsigned char *p, size_t *pos, size_t end)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4 && *pos < end; i++) {
        unsigned char c = p[(*pos)++];

        v = v << 7 | (c & 0x7f);
        if (!(c & 0x80)) return v;
    }
    fail_msg("bad variable-length quantity");
    return 0;
}

/* Parses into m; fails the test on any structural error. No running
 * status is accepted: the writer promises not to use it. */
static void
parse(const unsigned char *p, size_t n, smf *m)
{
    size_t pos;
    int t;

    memset(m, 0, sizeof(*m));
    assert_true(n >= 14);
    assert_memory_equal(p, "MThd", 4);
    assert_int_equal(be(p + 4, 4), 6);
    m->format = (int)be(p + 8, 2);
    m->ntracks = (int)be(p + 10, 2);
    m->division = (int)be(p + 12, 2);
    assert_int_equal(m->ntracks, 2);
    pos = 14;
    for (t = 0; t < 2; t++) {
        size_t end;
        uint32_t tick = 0;
        bool eot = false;

        assert_true(pos + 8 <= n);
        assert_memory_equal(p + pos, "MTrk", 4);
        end = pos + 8 + be(p + pos + 4, 4);
        assert_true(end <= n);
        pos += 8;
        while (pos < end) {
            ev *e;

            assert_false(eot); /* nothing after end of track */
            assert_true(m->nev[t] < 512);
            e = &m->e[t][m->nev[t]++];
            tick += vlq(p, &pos, end);
            e->tick = tick;
            assert_true(pos < end);
            e->status = p[pos++];
            assert_true(e->status & 0x80);
            if (e->status == 0xff) {
                e->meta = p[pos++];
                e->len = vlq(p, &pos, end);
                assert_true(pos + e->len <= end && e->len < 64);
                memcpy(e->data, p + pos, e->len);
                pos += e->len;
                if (e->meta == 0x2f) eot = true;
            } else {
                int hi = e->status & 0xf0;

                e->d1 = p[pos++];
                e->d2 = hi == 0xc0 || hi == 0xd0 ? -1 : p[pos++];
                assert_true(e->d1 < 128 && e->d2 < 128);
            }
        }
        assert_true(eot);
        assert_int_equal(pos, end);
    }
    assert_int_equal(pos, n);
}

static const ev *
find_meta(const smf *m, int t, int type, int nth)
{
    int i;

    for (i = 0; i < m->nev[t]; i++)
        if (m->e[t][i].status == 0xff && m->e[t][i].meta == type &&
            nth-- == 0)
            return &m->e[t][i];
    return NULL;
}

static int
count_meta(const smf *m, int t, int type)
{
    int i, c = 0;

    for (i = 0; i < m->nev[t]; i++)
        c += m->e[t][i].status == 0xff && m->e[t][i].meta == type;
    return c;
}

/* ---- songs built by hand ---- */

#define BAR44 (4 * MG_PPQ)
#define BAR34 (3 * MG_PPQ)

/* verse: 2 bars of 4/4, chorus: 2 bars of 3/4, outro: 1 bar of 3/4.
 * D major, 100 bpm. */
static void
make_song(mg_song *s)
{
    static const int scale[] = { 62, 64, 66, 67, 69, 71, 73, 74 };
    uint32_t t;
    int i, l;

    mg_song_init(s);
    s->tonic_pc = 2;
    s->mode = MG_MODE_MAJOR;
    s->us_per_quarter = 600000;
    s->tempo_bpm = 100;
    s->ts = MG_TS_4_4;
    s->nparts = 3;
    s->parts[0] = (mg_part){ .kind = MG_PART_VERSE, .ts = MG_TS_4_4,
                             .measures = 2, .start_tick = 0,
                             .end_tick = 2 * BAR44 };
    s->parts[1] = (mg_part){ .kind = MG_PART_CHORUS, .ts = MG_TS_3_4,
                             .measures = 2, .start_tick = 2 * BAR44,
                             .end_tick = 2 * BAR44 + 2 * BAR34 };
    s->parts[2] = (mg_part){ .kind = MG_PART_OUTRO, .ts = MG_TS_3_4,
                             .measures = 1,
                             .start_tick = 2 * BAR44 + 2 * BAR34,
                             .end_tick = 2 * BAR44 + 3 * BAR34 };
    for (i = 0; i < 3; i++)
        for (l = 0; l < MG_NLAYERS; l++)
            s->parts[i].active[l] = true;
    s->total_ticks = s->parts[2].end_tick;
    s->program[MG_LAYER_BEAT] = 0;
    s->program[MG_LAYER_MELODY] = 73;
    s->program[MG_LAYER_HARMONY] = 0;
    s->program[MG_LAYER_BASSLINE] = 33;
    for (t = 0, i = 0; t < s->total_ticks; t += MG_PPQ, i++) {
        assert_int_equal(mg_track_add(&s->track[MG_LAYER_MELODY], t,
                                      MG_PPQ, scale[i % 8], 90), 0);
        assert_int_equal(mg_track_add(&s->track[MG_LAYER_BEAT], t, 60,
                                      i % 2 ? 38 : 36, 100), 0);
        assert_int_equal(mg_track_add(&s->track[MG_LAYER_BASSLINE], t,
                                      MG_PPQ, 38, 80), 0);
    }
    /* A chord per bar (of the verse's length): three notes at one tick. */
    for (t = 0; t < s->total_ticks; t += BAR44)
        for (i = 0; i < 3; i++)
            assert_int_equal(mg_track_add(&s->track[MG_LAYER_HARMONY], t,
                                          BAR44, 62 + 4 * i - (i == 2),
                                          70), 0);
    mg_song_finish(s);
}

static void
encode_parse(const mg_song *s, mg_layer l, smf *m)
{
    mg_buf b = { 0 };

    assert_int_equal(mg_midi_encode(s, l, &b), 0);
    parse(b.data, b.len, m);
    mg_buf_free(&b);
    assert_null(b.data);
}

static smf M; /* large: keep it off the stack */

static void
test_header_and_conductor(void **state)
{
    mg_song s;
    const ev *e;

    (void)state;
    make_song(&s);
    encode_parse(&s, MG_LAYER_MELODY, &M);
    assert_int_equal(M.format, 1);
    assert_int_equal(M.division, MG_PPQ);

    e = find_meta(&M, 0, 0x51, 0);
    assert_non_null(e);
    assert_int_equal(e->tick, 0);
    assert_int_equal(e->len, 3);
    assert_int_equal(be(e->data, 3), 600000);
    assert_int_equal(count_meta(&M, 0, 0x51), 1);

    /* 4/4 at 0; 3/4 at the chorus; none at the outro (same 3/4). */
    assert_int_equal(count_meta(&M, 0, 0x58), 2);
    e = find_meta(&M, 0, 0x58, 0);
    assert_int_equal(e->tick, 0);
    assert_int_equal(e->len, 4);
    assert_int_equal(e->data[0], 4);
    assert_int_equal(e->data[1], 2);
    assert_int_equal(e->data[2], 24);
    assert_int_equal(e->data[3], 8);
    e = find_meta(&M, 0, 0x58, 1);
    assert_int_equal(e->tick, 2 * BAR44);
    assert_int_equal(e->data[0], 3);
    assert_int_equal(e->data[1], 2);

    /* D major: two sharps. */
    e = find_meta(&M, 0, 0x59, 0);
    assert_non_null(e);
    assert_int_equal(e->tick, 0);
    assert_int_equal((signed char)e->data[0], 2);
    assert_int_equal(e->data[1], 0);

    assert_int_equal(count_meta(&M, 0, 0x06), 3);
    e = find_meta(&M, 0, 0x06, 0);
    assert_int_equal(e->tick, 0);
    assert_memory_equal(e->data, "verse", 5);
    assert_int_equal(e->len, 5);
    e = find_meta(&M, 0, 0x06, 1);
    assert_int_equal(e->tick, 2 * BAR44);
    assert_memory_equal(e->data, "chorus", 6);
    e = find_meta(&M, 0, 0x06, 2);
    assert_int_equal(e->tick, 2 * BAR44 + 2 * BAR34);
    assert_memory_equal(e->data, "outro", 5);

    /* The conductor is only meta events and ends with the song. */
    assert_int_equal(M.e[0][M.nev[0] - 1].meta, 0x2f);
    assert_int_equal(M.e[0][M.nev[0] - 1].tick, s.total_ticks);
    for (int i = 0; i < M.nev[0]; i++)
        assert_int_equal(M.e[0][i].status, 0xff);
    mg_song_free(&s);
}

static void
test_layer_tracks(void **state)
{
    static const int chan[MG_NLAYERS] = { 9, 0, 1, 2 };
    mg_song s;
    int l, i;

    (void)state;
    make_song(&s);
    for (l = 0; l < MG_NLAYERS; l++) {
        int ons = 0, offs = 0, progs = 0;
        const ev *e;

        encode_parse(&s, (mg_layer)l, &M);
        e = find_meta(&M, 1, 0x03, 0);
        assert_non_null(e);
        assert_int_equal(e->len, strlen(mg_layer_name((mg_layer)l)));
        assert_memory_equal(e->data, mg_layer_name((mg_layer)l), e->len);
        for (i = 0; i < M.nev[1]; i++) {
            e = &M.e[1][i];
            if (e->status == 0xff) continue;
            assert_int_equal(e->status & 0x0f, chan[l]);
            switch (e->status & 0xf0) {
            case 0x90:
                assert_true(e->d2 > 0);
                ons++;
                break;
            case 0x80: offs++; break;
            case 0xc0:
                assert_int_equal(e->tick, 0);
                assert_int_equal(e->d1, s.program[l]);
                progs++;
                break;
            default: fail_msg("unexpected status %#x", e->status);
            }
        }
        assert_int_equal(ons, (int)s.track[l].n);
        assert_int_equal(offs, ons);
        assert_int_equal(progs, l == MG_LAYER_BEAT ? 0 : 1);
        /* Same length for every layer: end of track at total_ticks. */
        assert_int_equal(M.e[1][M.nev[1] - 1].meta, 0x2f);
        assert_int_equal(M.e[1][M.nev[1] - 1].tick, s.total_ticks);
    }
    mg_song_free(&s);
}

/* At one tick, every note-off precedes every note-on; within each group
 * pitches ascend. The melody repeats pitches, so offs and ons share ticks. */
static void
test_event_order(void **state)
{
    mg_song s;
    int l, i;

    (void)state;
    make_song(&s);
    /* Same pitch struck again right as it ends. */
    mg_track_add(&s.track[MG_LAYER_MELODY], 0, MG_PPQ / 2, 80, 90);
    mg_track_add(&s.track[MG_LAYER_MELODY], MG_PPQ / 2, MG_PPQ / 2, 80, 90);
    mg_song_finish(&s);
    for (l = 0; l < MG_NLAYERS; l++) {
        int shared = 0;

        encode_parse(&s, (mg_layer)l, &M);
        for (i = 1; i < M.nev[1]; i++) {
            const ev *a = &M.e[1][i - 1], *b = &M.e[1][i];
            int ka, kb;

            if (a->status == 0xff || b->status == 0xff) continue;
            if ((a->status & 0xf0) == 0xc0 || a->tick != b->tick) continue;
            ka = (a->status & 0xf0) == 0x90;
            kb = (b->status & 0xf0) == 0x90;
            shared += ka != kb;
            assert_true(ka <= kb);
            if (ka == kb) assert_true(a->d1 <= b->d1);
        }
        if (l == MG_LAYER_MELODY || l == MG_LAYER_HARMONY)
            assert_true(shared > 0); /* the property was exercised */
    }
    mg_song_free(&s);
}

static void
test_deterministic(void **state)
{
    mg_song s, s2;
    mg_buf a = { 0 }, b = { 0 }, c = { 0 };
    int l;

    (void)state;
    make_song(&s);
    make_song(&s2);
    for (l = 0; l < MG_NLAYERS; l++) {
        assert_int_equal(mg_midi_encode(&s, (mg_layer)l, &a), 0);
        assert_int_equal(mg_midi_encode(&s, (mg_layer)l, &b), 0);
        assert_int_equal(mg_midi_encode(&s2, (mg_layer)l, &c), 0);
        assert_int_equal(a.len, b.len);
        assert_int_equal(a.len, c.len);
        assert_memory_equal(a.data, b.data, a.len);
        assert_memory_equal(a.data, c.data, a.len);
        a.len = b.len = c.len = 0;
    }
    /* Encoding appends to what the buffer holds. */
    assert_int_equal(mg_midi_encode(&s, MG_LAYER_BEAT, &a), 0);
    b.len = a.len;
    assert_int_equal(mg_midi_encode(&s, MG_LAYER_BEAT, &a), 0);
    assert_int_equal(a.len, 2 * b.len);
    assert_memory_equal(a.data, a.data + b.len, b.len);
    mg_buf_free(&a);
    mg_buf_free(&b);
    mg_buf_free(&c);
    mg_song_free(&s);
    mg_song_free(&s2);
}

static void
test_time_and_key_signatures(void **state)
{
    static const struct {
        mg_ts ts;
        int num, pow2, clocks;
    } tv[] = {
        { MG_TS_2_4, 2, 2, 24 }, { MG_TS_5_4, 5, 2, 24 },
        { MG_TS_6_8, 6, 3, 36 }, { MG_TS_7_8, 7, 3, 12 },
        { MG_TS_12_8, 12, 3, 36 },
    };
    static const struct {
        int pc;
        mg_mode mode;
        int sf;
    } kv[] = {
        { 0, MG_MODE_MAJOR, 0 },  { 9, MG_MODE_MINOR, 0 },
        { 5, MG_MODE_MAJOR, -1 }, { 10, MG_MODE_MAJOR, -2 },
        { 4, MG_MODE_MAJOR, 4 },  { 0, MG_MODE_MINOR, -3 },
        { 6, MG_MODE_MINOR, 3 },  { 1, MG_MODE_MAJOR, -5 },
    };
    mg_song s;
    size_t i;

    (void)state;
    make_song(&s);
    for (i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
        const ev *e;

        s.parts[0].ts = tv[i].ts;
        encode_parse(&s, MG_LAYER_BASSLINE, &M);
        e = find_meta(&M, 0, 0x58, 0);
        assert_int_equal(e->data[0], tv[i].num);
        assert_int_equal(e->data[1], tv[i].pow2);
        assert_int_equal(e->data[2], tv[i].clocks);
        assert_int_equal(e->data[3], 8);
    }
    for (i = 0; i < sizeof(kv) / sizeof(kv[0]); i++) {
        const ev *e;

        s.tonic_pc = kv[i].pc;
        s.mode = kv[i].mode;
        encode_parse(&s, MG_LAYER_BASSLINE, &M);
        e = find_meta(&M, 0, 0x59, 0);
        assert_int_equal((signed char)e->data[0], kv[i].sf);
        assert_int_equal(e->data[1], kv[i].mode == MG_MODE_MINOR);
    }
    mg_song_free(&s);
}

static void
test_write_file(void **state)
{
    char path[256];
    const char *tmp = getenv("TMPDIR");
    unsigned char got[8192];
    mg_buf b = { 0 };
    mg_song s;
    FILE *f;
    size_t n;

    (void)state;
    make_song(&s);
    snprintf(path, sizeof(path), "%s/test_midi_%s.mid", tmp ? tmp : "/tmp",
             "melody");
    assert_int_equal(mg_midi_write(&s, MG_LAYER_MELODY, path), 0);
    assert_int_equal(mg_midi_encode(&s, MG_LAYER_MELODY, &b), 0);
    f = fopen(path, "rb");
    assert_non_null(f);
    n = fread(got, 1, sizeof(got), f);
    fclose(f);
    remove(path);
    assert_int_equal(n, b.len);
    assert_memory_equal(got, b.data, n);

    errno = 0;
    assert_int_equal(mg_midi_write(&s, MG_LAYER_MELODY,
                                   "/nonexistent-dir/x/melody.mid"), -1);
    assert_int_equal(errno, ENOENT);
    mg_buf_free(&b);
    mg_song_free(&s);
}

/* A note that starts at the end of the song is a broken invariant: the
 * writer refuses it and leaves the buffer as it was. */
static void
test_rejects_note_past_end(void **state)
{
    mg_song s;
    mg_buf b = { 0 };

    (void)state;
    make_song(&s);
    mg_track_add(&s.track[MG_LAYER_BASSLINE], s.total_ticks, 10, 40, 90);
    errno = 0;
    assert_int_equal(mg_midi_encode(&s, MG_LAYER_BASSLINE, &b), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(b.len, 0);
    assert_int_equal(mg_midi_encode(&s, MG_LAYER_MELODY, &b), 0);
    mg_buf_free(&b);
    mg_song_free(&s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_conductor),
        cmocka_unit_test(test_layer_tracks),
        cmocka_unit_test(test_event_order),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_time_and_key_signatures),
        cmocka_unit_test(test_write_file),
        cmocka_unit_test(test_rejects_note_past_end),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
