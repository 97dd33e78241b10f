/*
 * test_gen — song parameters and the four generators.
 *
 * Specs are built in code (so the test pins the generators, not the genre
 * data) and, where the shipped data is present, loaded from genres/.
 * Properties are checked over a few hundred seeds: bounds and filters are
 * hard guarantees, musical tendencies (notes in scale) are checked as
 * proportions with generous margins.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen.h"

#define NSEEDS 300

static void
add_pattern(mg_genre *g, mg_ts ts, bool fill)
{
    int steps = mg_ts_bar_ticks(ts) / 240 * 2; /* sixteenths */
    mg_drum_pattern *d;
    int i;

    g->patterns[ts] = realloc(g->patterns[ts], sizeof *d *
                                                   (size_t)(g->npatterns[ts]
                                                            + 1));
    assert_non_null(g->patterns[ts]);
    d = &g->patterns[ts][g->npatterns[ts]++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s%s", mg_ts_name(ts),
             fill ? "-fill" : "");
    d->parts = (1u << MG_NPARTKINDS) - 1;
    d->fill = fill;
    d->steps = steps;
    d->nvoices = 3;
    d->voice[0].note = 36;
    d->voice[1].note = 38;
    d->voice[2].note = 42;
    d->voice[0].vel[0] = 110;
    d->voice[1].vel[steps / 2] = 100;
    for (i = 0; i < steps; i += 2)
        d->voice[2].vel[i] = 80;
    if (fill)
        for (i = steps / 2; i < steps; i++)
            d->voice[1].vel[i] = 90;
}

/* A spec in the shape the loader returns. */
static mg_genre *
make_genre(const char *name)
{
    mg_genre *g = calloc(1, sizeof *g);
    int i, l, k;

    assert_non_null(g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->tempo_min = 87.5;
    g->tempo_max = 141.3;
    g->swing_min = 0.5;
    g->swing_max = 0.7;
    g->ts_weight[MG_TS_4_4] = 4;
    g->ts_weight[MG_TS_3_4] = 1;
    g->ts_weight[MG_TS_6_8] = 1;
    g->ts_weight[MG_TS_7_8] = 0.5;
    g->ts_weight[MG_TS_12_8] = 0.5;
    for (i = 0; i < MG_NKEYS; i++)
        g->key_weight[i] = 1 + (i % 3);
    for (i = 0; i < MG_NCHORDTYPES; i++) {
        g->chord_weight[i] = 1;
        g->chord_allowed[i] = true;
    }
    g->inversion_weight[0] = 0.6;
    g->inversion_weight[1] = 0.2;
    g->inversion_weight[2] = 0.1;
    g->inversion_weight[3] = 0.1;
    for (l = 0; l < MG_NLAYERS; l++) {
        g->layer_prob[l] = 0.8;
        g->nprograms[l] = 2;
        g->program[l][0] = l * 10;
        g->program[l][1] = l * 10 + 1;
        g->program_weight[l][0] = g->program_weight[l][1] = 1;
    }
    g->narrangements = 2;
    {
        static const mg_part_kind a0[] = {MG_PART_INTRO, MG_PART_VERSE,
                                          MG_PART_CHORUS, MG_PART_VERSE,
                                          MG_PART_CHORUS, MG_PART_BRIDGE,
                                          MG_PART_CHORUS, MG_PART_OUTRO};
        static const mg_part_kind a1[] = {MG_PART_VERSE, MG_PART_CHORUS,
                                          MG_PART_BRIDGE, MG_PART_CHORUS};

        g->arrangement[0].nparts = 8;
        memcpy(g->arrangement[0].part, a0, sizeof a0);
        g->arrangement[0].weight = 2;
        g->arrangement[1].nparts = 4;
        memcpy(g->arrangement[1].part, a1, sizeof a1);
        g->arrangement[1].weight = 1;
    }
    for (k = 0; k < MG_NPARTKINDS; k++) {
        g->measures_min[k] = 4;
        g->measures_max[k] = 8;
        for (l = 0; l < MG_NLAYERS; l++)
            g->part_layer_prob[k][l] = 1;
    }
    g->ts_change_prob = 0.3;
    for (i = 0; i < MG_NTS; i++)
        if (g->ts_weight[i] > 0) {
            add_pattern(g, (mg_ts)i, false);
            add_pattern(g, (mg_ts)i, true);
        }
    return g;
}

static void
free_genre(mg_genre *g)
{
    int i;

    for (i = 0; i < MG_NTS; i++)
        free(g->patterns[i]);
    free(g);
}

static int
gen(mg_song *s, const mg_genre *g, uint64_t seed, const int *override)
{
    mg_rng p, r;
    mg_gen_opts o = {override};

    mg_rng_seed(&p, seed * 2 + 1);
    mg_rng_seed(&r, seed * 2 + 2);
    return mg_gen_song(s, g, &o, &p, &r);
}

static void
test_params_bounds(void **state)
{
    mg_genre *g = make_genre("pop");
    mg_song s;
    int seed, i;

    (void)state;
    g->ts_weight[MG_TS_5_4] = 0; /* never */
    g->key_weight[5] = 0;        /* C# minor never */
    mg_song_init(&s);
    for (seed = 0; seed < NSEEDS; seed++) {
        mg_rng p;

        mg_rng_seed(&p, (uint64_t)seed);
        assert_int_equal(mg_gen_params(&s, g, NULL, &p), 0);
        assert_true(s.tempo_bpm >= g->tempo_min);
        assert_true(s.tempo_bpm <= g->tempo_max);
        assert_true(s.tempo_bpm == 60e6 / s.us_per_quarter);
        assert_true(s.swing >= g->swing_min && s.swing <= g->swing_max);
        assert_true(g->ts_weight[s.ts] > 0);
        assert_false(s.tonic_pc * 2 + (int)s.mode == 5);
        assert_true(s.nparts == 8 || s.nparts == 4);
        assert_int_equal(s.parts[0].start_tick, 0);
        for (i = 0; i < s.nparts; i++) {
            const mg_part *pt = &s.parts[i];

            assert_true(g->ts_weight[pt->ts] > 0);
            assert_true(pt->measures >= 4 && pt->measures <= 8);
            assert_int_equal(pt->end_tick - pt->start_tick,
                             pt->measures * mg_ts_bar_ticks(pt->ts));
            if (i)
                assert_int_equal(pt->start_tick, s.parts[i - 1].end_tick);
            if (pt->kind != MG_PART_BRIDGE)
                assert_int_equal(pt->ts, s.ts);
            assert_true(pt->active[MG_LAYER_MELODY] ||
                        pt->active[MG_LAYER_HARMONY] ||
                        pt->active[MG_LAYER_BASSLINE]);
        }
        assert_int_equal(s.total_ticks, s.parts[s.nparts - 1].end_tick);
        for (i = 0; i < MG_NLAYERS; i++)
            assert_true(s.program[i] == i * 10 || s.program[i] == i * 10 + 1);
    }
    mg_song_free(&s);
    free_genre(g);
}

static void
test_measures_override(void **state)
{
    mg_genre *g = make_genre("rock");
    int ov[MG_NPARTKINDS] = {0, 0, 12, 0, 0};
    mg_song s;
    mg_rng p;
    int i;

    (void)state;
    mg_song_init(&s);
    mg_rng_seed(&p, 7);
    mg_gen_opts o = {ov};
    assert_int_equal(mg_gen_params(&s, g, &o, &p), 0);
    for (i = 0; i < s.nparts; i++)
        if (s.parts[i].kind == MG_PART_CHORUS)
            assert_int_equal(s.parts[i].measures, 12);
        else
            assert_true(s.parts[i].measures <= 8);
    mg_song_free(&s);
    free_genre(g);
}

static void
check_song(const mg_song *s, const mg_genre *g, int *in_scale, int *total)
{
    int i, l, k;
    size_t n;

    for (i = 0; i < s->nparts; i++) {
        const mg_part *p = &s->parts[i];

        assert_true(p->nchords >= p->measures);
        for (k = 0; k < p->nchords; k++) {
            const mg_chord *c = &p->chords[k];

            assert_true(g->chord_weight[c->type] > 0);
            if (g->chord_filter)
                assert_true(g->chord_allowed[c->type]);
            assert_true(c->inversion >= 0 &&
                        c->inversion < mg_chord_info_of(c->type)->ntones);
            assert_true(c->nvoices >= 2);
            assert_true(c->start_tick < c->end_tick);
            assert_true(c->start_tick >= p->start_tick);
            assert_true(c->end_tick <= p->end_tick);
            assert_true(c->roman[0] != '\0');
            /* the bass of the inversion is the lowest voice */
            assert_int_equal(
                c->voicing[0] % 12,
                (c->root_pc + mg_chord_info_of(c->type)
                                  ->interval[c->inversion]) % 12);
        }
        assert_int_equal(p->chords[p->nchords - 1].end_tick, p->end_tick);
        for (l = 0; l < MG_NLAYERS; l++) {
            int cnt = 0;

            for (n = 0; n < s->track[l].n; n++) {
                const mg_note *x = &s->track[l].v[n];

                if (x->tick >= p->start_tick && x->tick < p->end_tick)
                    cnt++;
            }
            /* inactive layers are silent; active ones play */
            if (!p->active[l])
                assert_int_equal(cnt, 0);
            else
                assert_true(cnt > 0);
        }
    }
    for (l = 0; l < MG_NLAYERS; l++) {
        const mg_track *t = &s->track[l];

        assert_true(t->n > 0);
        for (n = 0; n < t->n; n++) {
            assert_true(t->v[n].tick + t->v[n].dur <= s->total_ticks);
            if (n)
                assert_true(t->v[n].tick >= t->v[n - 1].tick);
            if (l == MG_LAYER_BASSLINE)
                assert_true(t->v[n].pitch >= 28 && t->v[n].pitch <= 55);
        }
    }
    {
        const mg_track *m = &s->track[MG_LAYER_MELODY];
        int lo = 127, hi = 0;

        for (n = 0; n < m->n; n++) {
            if (m->v[n].pitch < lo)
                lo = m->v[n].pitch;
            if (m->v[n].pitch > hi)
                hi = m->v[n].pitch;
            *in_scale += mg_pc_in_scale(m->v[n].pitch % 12, s->tonic_pc,
                                        s->mode);
            (*total)++;
        }
        assert_true(hi - lo <= 36);
    }
}

static void
run_many(mg_genre *g, int nseeds, double min_in_scale)
{
    mg_song s;
    int seed, in_scale = 0, total = 0;

    mg_song_init(&s);
    for (seed = 0; seed < nseeds; seed++) {
        assert_int_equal(gen(&s, g, (uint64_t)seed, NULL), 0);
        check_song(&s, g, &in_scale, &total);
    }
    assert_true(total > 0);
    assert_true((double)in_scale / total >= min_in_scale);
    mg_song_free(&s);
}

static void
test_songs_hold_invariants(void **state)
{
    static const char *const names[] = {"pop", "jazz", "rock", "reggae",
                                        "latin", "electronic", "hip-hop",
                                        "classical", "blues"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        mg_genre *g = make_genre(names[i]);

        run_many(g, NSEEDS / 10, i == 1 || i == 8 ? 0.85 : 0.97);
        free_genre(g);
    }
}

static void
test_hard_filter_respected(void **state)
{
    mg_genre *g = make_genre("jazz");
    static const int ok[] = {MG_CH_MAJ7, MG_CH_MIN7, MG_CH_DOM7, MG_CH_HDIM7,
                             MG_CH_MAJ9, MG_CH_MIN9, MG_CH_DIM7, MG_CH_ADD9};
    size_t i;
    int t;

    (void)state;
    g->chord_filter = true;
    for (t = 0; t < MG_NCHORDTYPES; t++) {
        g->chord_allowed[t] = false;
        g->chord_weight[t] = 0;
    }
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        g->chord_allowed[ok[i]] = true;
        g->chord_weight[ok[i]] = 1;
    }
    run_many(g, NSEEDS, 0.85);
    /* a filter with no seventh chords and no minor family at all */
    for (t = 0; t < MG_NCHORDTYPES; t++)
        g->chord_allowed[t] = false, g->chord_weight[t] = 0;
    g->chord_allowed[MG_CH_POWER] = true;
    g->chord_weight[MG_CH_POWER] = 1;
    snprintf(g->name, sizeof g->name, "rock");
    run_many(g, NSEEDS / 10, 0.9);
    free_genre(g);
}

static void
test_markov_tables(void **state)
{
    mg_genre *g = make_genre("pop");
    mg_markov *m = &g->chords;
    static const char *const st[] = {"I", "IV", "V", "bVII", "vi"};
    int a, b;

    (void)state;
    m->order = 2;
    m->nstates = 5;
    for (a = 0; a < 5; a++) {
        snprintf(m->state[a], sizeof m->state[a], "%s", st[a]);
        m->init[a] = a == 0;
        for (b = 0; b < 5; b++)
            m->t1[a][b] = a == b ? 0 : 0.25;
    }
    m->has_t2[0][3] = true; /* I bVII -> IV */
    m->t2[0][3][1] = 1;
    /* melody table over degrees with a chromatic b3 */
    g->melody.order = 1;
    g->melody.nstates = 8;
    for (a = 0; a < 8; a++) {
        snprintf(g->melody.state[a], sizeof g->melody.state[a], "%s",
                 a < 7 ? (char[2]){(char)('1' + a), 0} : "b3");
        g->melody.init[a] = 1.0 / 8;
        for (b = 0; b < 8; b++)
            g->melody.t1[a][b] = abs(a - b) == 1 ? 0.3 : 0.05;
    }
    run_many(g, NSEEDS / 5, 0.8);

    /* bVII is a whole step below the tonic in major and minor alike
     * (accidentals are read against the major scale on the tonic). */
    mg_song s;
    int seed, i, k, seen[2] = {0, 0};
    mg_song_init(&s);
    for (seed = 0; seed < 80; seed++) {
        assert_int_equal(gen(&s, g, (uint64_t)seed, NULL), 0);
        for (i = 0; i < s.nparts; i++)
            for (k = 0; k < s.parts[i].nchords; k++) {
                const mg_chord *c = &s.parts[i].chords[k];
                if (strncmp(c->roman, "bVII", 4) &&
                    strncmp(c->roman, "VII", 3))
                    continue;
                assert_int_equal(c->root_pc, (s.tonic_pc + 10) % 12);
                seen[s.mode]++;
            }
    }
    assert_true(seen[MG_MODE_MAJOR] > 0 && seen[MG_MODE_MINOR] > 0);
    mg_song_free(&s);
    free_genre(g);
}

static void
test_deterministic(void **state)
{
    mg_genre *g = make_genre("jazz");
    mg_song a, b;
    int seed, l;

    (void)state;
    mg_song_init(&a);
    mg_song_init(&b);
    for (seed = 0; seed < 20; seed++) {
        assert_int_equal(gen(&a, g, (uint64_t)seed, NULL), 0);
        assert_int_equal(gen(&b, g, (uint64_t)seed, NULL), 0);
        assert_memory_equal(a.parts, b.parts, sizeof a.parts);
        assert_true(a.tempo_bpm == b.tempo_bpm);
        for (l = 0; l < MG_NLAYERS; l++) {
            assert_int_equal(a.track[l].n, b.track[l].n);
            assert_memory_equal(a.track[l].v, b.track[l].v,
                                a.track[l].n * sizeof(mg_note));
        }
    }
    /* different seeds differ */
    assert_int_equal(gen(&b, g, 12345, NULL), 0);
    assert_true(a.track[MG_LAYER_MELODY].n != b.track[MG_LAYER_MELODY].n ||
                memcmp(a.track[MG_LAYER_MELODY].v, b.track[MG_LAYER_MELODY].v,
                       a.track[MG_LAYER_MELODY].n * sizeof(mg_note)) != 0);
    mg_song_free(&a);
    mg_song_free(&b);
    free_genre(g);
}

static void
test_repeated_chorus_repeats(void **state)
{
    mg_genre *g = make_genre("pop");
    mg_song s;
    int seed, i, j, checked = 0;

    (void)state;
    g->swing_max = 0.5;
    g->ts_change_prob = 0;
    mg_song_init(&s);
    for (seed = 0; seed < 20; seed++) {
        assert_int_equal(gen(&s, g, (uint64_t)seed, NULL), 0);
        for (i = 0; i < s.nparts; i++)
            for (j = i + 1; j < s.nparts - 1; j++) {
                const mg_part *a = &s.parts[i], *b = &s.parts[j];
                int k;

                if (a->kind != MG_PART_CHORUS || b->kind != MG_PART_CHORUS)
                    continue;
                assert_int_equal(a->nchords, b->nchords);
                for (k = 0; k < a->nchords; k++) {
                    assert_int_equal(a->chords[k].root_pc,
                                     b->chords[k].root_pc);
                    assert_int_equal(a->chords[k].type, b->chords[k].type);
                }
                checked++;
            }
        /* the song ends on the tonic chord */
        {
            const mg_part *l = &s.parts[s.nparts - 1];
            assert_int_equal(l->chords[l->nchords - 1].root_pc, s.tonic_pc);
        }
    }
    assert_true(checked > 0);
    mg_song_free(&s);
    free_genre(g);
}

static void
test_missing_patterns_fail_cleanly(void **state)
{
    mg_genre *g = make_genre("pop");
    mg_song s;
    int i, rc = 0, seed;

    (void)state;
    for (i = 0; i < MG_NTS; i++) {
        free(g->patterns[i]);
        g->patterns[i] = NULL;
        g->npatterns[i] = 0;
    }
    mg_song_init(&s);
    for (seed = 0; seed < 5; seed++)
        rc |= gen(&s, g, (uint64_t)seed, NULL);
    assert_int_equal(rc, -1);
    mg_song_free(&s);
    free_genre(g);
}

static void
test_real_genres(void **state)
{
    static const char *const names[] = {"jazz", "pop", "blues", "rock",
                                        "reggae", "latin", "electronic",
                                        "hip-hop", "classical"};
    char err[256];
    size_t i;
    int found = 0;

    (void)state;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        mg_genre *g = mg_genre_load(MG_SRC_DIR "/genres", names[i], err,
                                    sizeof err);

        if (!g)
            continue; /* data not shipped in this tree yet */
        found++;
        run_many(g, 30, 0.8);
        mg_genre_destroy(&g);
    }
    if (!found)
        skip();
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_bounds),
        cmocka_unit_test(test_measures_override),
        cmocka_unit_test(test_songs_hold_invariants),
        cmocka_unit_test(test_hard_filter_respected),
        cmocka_unit_test(test_markov_tables),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_repeated_chorus_repeats),
        cmocka_unit_test(test_missing_patterns_fail_cleanly),
        cmocka_unit_test(test_real_genres),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
