/*
 * test_genre — the genre loader, its error messages, the merge rule, the
 * Python tool's formats, listing and the directory hash. Shipped data is
 * read from the source tree (MG_SRC_DIR/genres); malformed genres are
 * written into a temporary directory under $TMPDIR.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "genre.h"

#define GENRES MG_SRC_DIR "/genres"

static char tmproot[1024];

/* ---- helpers ------------------------------------------------------- */

static void
write_file(const char *dir, const char *rel, const char *text)
{
    char path[2048], sub[2048];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    /* make the parent directories */
    for (char *p = path + strlen(dir) + 1; *p; p++)
        if (*p == '/') {
            snprintf(sub, sizeof sub, "%.*s", (int)(p - path), path);
            mkdir(sub, 0755);
        }
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *arrangements =
    "{\"forms\": [{\"parts\": [\"verse\", \"chorus\"], \"weight\": 1}],\n"
    " \"measures\": {\"verse\": [4, 8]}, \"ts_change_prob\": 0.2}\n";

static const char *drums44 =
    "[pattern a]\nparts = all\nfill = no\nsteps = 16\n"
    "kick  = X... .... x... ....\n"
    "snare = .... X... .... X...\n"
    "[pattern f]\nparts = all\nfill = yes\n"
    "snare = xxxx xxxx xxxx XXXX\n";

/* A fresh genres dir holding arrangements.json; returns its path. */
static const char *
new_dir(const char *name)
{
    static char dir[1100];
    snprintf(dir, sizeof dir, "%s/%s", tmproot, name);
    mkdir(dir, 0755);
    write_file(dir, "arrangements.json", arrangements);
    return dir;
}

/* Write genre g with spec text (and a 4/4 drum file), expect the load to
 * fail with a message containing every one of the given fragments. */
static void
expect_error(const char *tag, const char *spec, const char *drums,
             const char *frag1, const char *frag2)
{
    const char *dir = new_dir(tag);
    char err[512] = "";
    mg_genre *g;
    write_file(dir, "g/spec.json", spec);
    if (drums)
        write_file(dir, "g/drums_44.txt", drums);
    g = mg_genre_load(dir, "g", err, sizeof err);
    if (g)
        fail_msg("%s: loaded, expected an error with '%s'", tag, frag1);
    if (!strstr(err, frag1) || (frag2 && !strstr(err, frag2)))
        fail_msg("%s: message '%s' lacks '%s' / '%s'", tag, err, frag1,
                 frag2 ? frag2 : "");
}

static int
setup(void **state)
{
    const char *t = getenv("TMPDIR");
    (void)state;
    snprintf(tmproot, sizeof tmproot, "%s/test_genre.XXXXXX",
             t && *t ? t : "/tmp");
    return mkdtemp(tmproot) ? 0 : -1;
}

static int
teardown(void **state)
{
    char cmd[1200];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- shipped data -------------------------------------------------- */

static const struct {
    const char *name;
    double tmin, tmax, smin, smax;
} shipped[] = {
    {"blues", 60, 140, 0.55, 0.70},      {"classical", 50, 160, 0.5, 0.52},
    {"electronic", 110, 160, 0.5, 0.55}, {"hip-hop", 70, 110, 0.5, 0.65},
    {"jazz", 80, 200, 0.60, 0.75},       {"latin", 90, 140, 0.5, 0.60},
    {"pop", 90, 140, 0.5, 0.55},         {"reggae", 60, 90, 0.5, 0.58},
    {"rock", 70, 180, 0.5, 0.57},
};
#define NSHIPPED (int)(sizeof shipped / sizeof shipped[0])

static bool
is_drum_kit(int p)
{
    static const int kits[] = {0, 8, 16, 24, 25, 32, 40, 48};
    for (size_t i = 0; i < sizeof kits / sizeof *kits; i++)
        if (kits[i] == p)
            return true;
    return false;
}

/* Every time signature the genre can draw has a non-fill pattern for
 * every part and at least one fill. */
static void
check_patterns_cover(const mg_genre *g)
{
    for (int ts = 0; ts < MG_NTS; ts++) {
        unsigned parts = 0;
        bool fill = false;
        if (g->ts_weight[ts] <= 0)
            continue;
        for (int i = 0; i < g->npatterns[ts]; i++) {
            const mg_drum_pattern *p = &g->patterns[ts][i];
            assert_true(p->steps > 0 && p->steps <= MG_MAX_STEPS);
            assert_true(p->nvoices > 0);
            if (p->fill)
                fill = true;
            else
                parts |= p->parts;
        }
        if (parts != (1u << MG_NPARTKINDS) - 1 || !fill)
            fail_msg("%s %s: parts 0x%x fill %d", g->name,
                     mg_ts_name((mg_ts)ts), parts, fill);
    }
}

static void
test_every_shipped_genre_loads(void **state)
{
    char err[512], **names;
    int n = mg_genre_list(GENRES, &names, err, sizeof err);
    (void)state;
    assert_int_equal(n, NSHIPPED);
    for (int i = 0; i < NSHIPPED; i++) {
        mg_genre *g;
        assert_string_equal(names[i], shipped[i].name);
        g = mg_genre_load(GENRES, names[i], err, sizeof err);
        if (!g)
            fail_msg("%s", err);
        assert_string_equal(g->name, shipped[i].name);
        assert_true(g->tempo_min == shipped[i].tmin);
        assert_true(g->tempo_max == shipped[i].tmax);
        assert_true(g->swing_min == shipped[i].smin);
        assert_true(g->swing_max == shipped[i].smax);
        assert_true(g->description[0] != '\0');
        /* each shipped genre names its own idiom */
        assert_string_equal(g->style, shipped[i].name);
        assert_true(g->narrangements >= 15);
        assert_true(g->ts_change_prob > 0 && g->ts_change_prob < 1);
        check_patterns_cover(g);
        for (int l = 0; l < MG_NLAYERS; l++) {
            assert_true(g->nprograms[l] >= 1);
            assert_true(g->ntags[l] >= 1);
        }
        for (int p = 0; p < g->nprograms[MG_LAYER_BEAT]; p++)
            assert_true(is_drum_kit(g->program[MG_LAYER_BEAT][p]));
        mg_genre_destroy(&g);
        assert_null(g);
    }
    mg_genre_names_free(names, n);
}

static void
test_genre_character(void **state)
{
    static const char *with_markov[] = {"jazz", "blues", "pop", "rock"};
    char err[512];
    mg_genre *g;
    (void)state;
    for (int i = 0; i < 4; i++) {
        g = mg_genre_load(GENRES, with_markov[i], err, sizeof err);
        assert_non_null(g);
        assert_true(g->chords.order >= 1 && g->melody.order >= 1);
        mg_genre_destroy(&g);
    }
    /* jazz blocks plain triads; classical blocks sus and add9 */
    g = mg_genre_load(GENRES, "jazz", err, sizeof err);
    assert_non_null(g);
    assert_true(g->chord_filter);
    assert_false(g->chord_allowed[MG_CH_MAJ]);
    assert_false(g->chord_allowed[MG_CH_MIN]);
    assert_true(g->chord_allowed[MG_CH_MAJ7]);
    assert_true(g->chord_weight[MG_CH_MAJ] == 0);
    assert_true(g->chords.order == 2);
    mg_genre_destroy(&g);
    g = mg_genre_load(GENRES, "classical", err, sizeof err);
    assert_non_null(g);
    assert_true(g->chord_filter);
    assert_false(g->chord_allowed[MG_CH_SUS2]);
    assert_false(g->chord_allowed[MG_CH_ADD9]);
    assert_true(g->chord_allowed[MG_CH_DOM7]);
    assert_int_equal(g->program[MG_LAYER_BEAT][0], 48);
    mg_genre_destroy(&g);
    /* electronic: a four-on-the-floor kick exists in 4/4 */
    g = mg_genre_load(GENRES, "electronic", err, sizeof err);
    assert_non_null(g);
    {
        bool four = false;
        for (int i = 0; i < g->npatterns[MG_TS_4_4]; i++) {
            const mg_drum_pattern *p = &g->patterns[MG_TS_4_4][i];
            for (int v = 0; v < p->nvoices; v++)
                if (p->voice[v].note == 36 && p->steps == 16 &&
                    p->voice[v].vel[0] && p->voice[v].vel[4] &&
                    p->voice[v].vel[8] && p->voice[v].vel[12])
                    four = true;
        }
        assert_true(four);
    }
    mg_genre_destroy(&g);
}

static void
test_default_spec(void **state)
{
    char err[512];
    mg_genre *g = mg_genre_default(GENRES, err, sizeof err);
    mg_genre *r = mg_genre_resolve(GENRES, NULL, 0, err, sizeof err);
    (void)state;
    assert_non_null(g);
    assert_non_null(r);
    assert_string_equal(g->name, "default");
    assert_string_equal(r->name, "default");
    for (int ts = 0; ts < MG_NTS; ts++)
        assert_true(g->ts_weight[ts] > 0 && g->npatterns[ts] > 0);
    for (int k = 0; k < MG_NKEYS; k++)
        assert_true(g->key_weight[k] > 0);
    assert_false(g->chord_filter);
    check_patterns_cover(g);
    mg_genre_destroy(&g);
    mg_genre_destroy(&r);
}

/* ---- our format in detail ------------------------------------------ */

static void
test_step_grid_parse(void **state)
{
    const char *dir = new_dir("grid");
    char err[512];
    mg_genre *g;
    (void)state;
    write_file(dir, "g/spec.json",
               "{\"name\": \"g\", \"time_signatures\": {\"4/4\": 1},\n"
               " \"form\": {\"measures\": {\"chorus\": [8, 8]}}}\n");
    write_file(dir, "g/drums_44.txt",
               "# comment\n[pattern boom]\nparts = verse chorus  # both\n"
               "fill = no\nsteps = 16\n"
               "snare = .... X... .... X...\n"
               "kick  = X... ..x. o... ....\n"
               "75    = x... .... .... ....\n");
    g = mg_genre_load(dir, "g", err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    assert_int_equal(g->npatterns[MG_TS_4_4], 1);
    {
        const mg_drum_pattern *p = &g->patterns[MG_TS_4_4][0];
        assert_string_equal(p->name, "boom");
        assert_int_equal(p->parts, (1u << MG_PART_VERSE) |
                                       (1u << MG_PART_CHORUS));
        assert_false(p->fill);
        assert_int_equal(p->steps, 16);
        assert_int_equal(p->nvoices, 3);
        /* voices sorted by note: kick 36, snare 38, clave 75 */
        assert_int_equal(p->voice[0].note, 36);
        assert_int_equal(p->voice[1].note, 38);
        assert_int_equal(p->voice[2].note, 75);
        assert_int_equal(p->voice[0].vel[0], 112);
        assert_int_equal(p->voice[0].vel[6], 90);
        assert_int_equal(p->voice[0].vel[8], 50);
        assert_int_equal(p->voice[0].vel[1], 0);
        assert_int_equal(p->voice[1].vel[4], 112);
    }
    /* form: arrangements.json, overridden per field by the spec */
    assert_int_equal(g->narrangements, 1);
    assert_int_equal(g->measures_min[MG_PART_VERSE], 4);
    assert_int_equal(g->measures_max[MG_PART_CHORUS], 8);
    assert_int_equal(g->measures_min[MG_PART_CHORUS], 8);
    assert_true(g->ts_change_prob == 0.2);
    /* neutral values for fields left out */
    assert_true(g->tempo_min == 60 && g->tempo_max == 240);
    assert_true(g->layer_prob[MG_LAYER_MELODY] == 1);
    assert_int_equal(g->chords.order, 0);
    mg_genre_destroy(&g);
}

/* ---- malformed input: file and field named ------------------------- */

static void
test_malformed_specs(void **state)
{
    (void)state;
    expect_error("e1", "{\"tempo\": {\"min\": 5, \"max\": 100}}", drums44,
                 "g/spec.json: tempo.min: must be a number in 20..400",
                 NULL);
    expect_error("e2", "{\"tempoo\": 3}", drums44,
                 "g/spec.json: tempoo: unknown field", NULL);
    expect_error("e2s", "{\"style\": \"polka\"}", drums44,
                 "g/spec.json: style: 'polka' is not one of", NULL);
    expect_error("e3", "{\"time_signatures\": {\"4/4\": -1}}", drums44,
                 "g/spec.json: time_signatures.4/4:", NULL);
    expect_error("e4", "{\"keys\": {\"H\": 1}}", drums44,
                 "g/spec.json: keys.H: not a known key", NULL);
    expect_error("e5", "{\"swing\": {\"min\": 0.5, \"max\": 0.9}}", drums44,
                 "g/spec.json: swing.max: must be a number in 0.5..0.8",
                 NULL);
    expect_error("e6", "{\"tempo\": {\"min\": 150, \"max\": 100}}", drums44,
                 "g/spec.json: tempo: min 150 > max 100", NULL);
    expect_error("e7", "{\"tempo\": {\"min\": 90,", drums44,
                 "g/spec.json: line", NULL);
    expect_error("e8", "{\"chord_filter\": [\"maj\", \"bogus\"]}", drums44,
                 "g/spec.json: chord_filter[1]: not a known chord type",
                 NULL);
    expect_error("e9", "{\"time_signatures\": {\"4/4\": 1, \"3/4\": 0.5}}",
                 drums44, "g/drums_34.txt: missing", "3/4");
    expect_error("e10", "{}",
                 "[pattern a]\nparts = all\nsteps = 16\n"
                 "kick = X... ....\n",
                 "g/drums_44.txt: line 4: pattern a: kick: 8 steps, "
                 "expected 16", NULL);
    expect_error("e11", "{}",
                 "[pattern a]\nparts = all\ncongo = x...\n",
                 "g/drums_44.txt: line 3: pattern a:", "congo");
    expect_error("e12", "{}",
                 "[pattern a]\nparts = sometimes\nkick = x...\n",
                 "g/drums_44.txt: line 2: pattern a: parts:", "sometimes");
    /* a pattern's parts, fill or steps given twice: the last won */
    expect_error("e12b", "{}",
                 "[pattern a]\nparts = all\nsteps = 4\nkick = x...\n"
                 "# again\nsteps = 8\n",
                 "g/drums_44.txt: line 6: pattern a: steps is given twice "
                 "(first at line 3)", NULL);
    expect_error("e12c", "{}",
                 "[pattern a]\nparts = all\nfill = no\nkick = x...\n"
                 "[pattern b]\nfill = no\nparts = verse\nparts = all\n"
                 "kick = x...\n",
                 "g/drums_44.txt: line 8: pattern b: parts is given twice "
                 "(first at line 7)", NULL);
    /* a genre file's JSON with a key twice */
    expect_error("e12d", "{\"tempo\": {\"min\": 90, \"max\": 100},\n"
                 "\"tempo\": {\"min\": 60, \"max\": 70}}", drums44,
                 "g/spec.json: line 2: duplicate object key", NULL);
    expect_error("e13",
                 "{\"layers\": {\"melody\": {\"programs\": "
                 "[{\"program\": 200}]}}}",
                 drums44, "layers.melody.programs[0].program:", "0..127");
    expect_error("e14", "{\"layers\": {\"drums\": {}}}", drums44,
                 "g/spec.json: layers.drums: not a layer", NULL);
    expect_error("e15", "{\"name\": \"other\"}", drums44,
                 "g/spec.json: name:", "does not match");
    expect_error("e16", "{\"fx\": {\"reverb\": 1, \"flanger\": 1}}",
                 drums44, "g/spec.json: fx.flanger: not an effect", NULL);
    expect_error("e17",
                 "{\"form\": {\"measures\": {\"verse\": [8, 4]}}}",
                 drums44, "g/spec.json: form.measures.verse: min 8 > max 4",
                 NULL);
    /* every form at weight 0 once loaded, and each song took a form of
     * none of them (intro verse chorus verse chorus outro) */
    /* one setting under both names: the later key won without a word */
    expect_error("e19",
                 "{\"keys\": {\"D\": 1}, \"scale_weights\": {\"C\": 1}}",
                 drums44, "g/spec.json: scale_weights: the Python tool's "
                 "name for 'keys', which is given too", NULL);
    expect_error("e20",
                 "{\"tempo_max\": 70, \"tempo\": {\"min\": 100, "
                 "\"max\": 110}}",
                 drums44, "g/spec.json: tempo_max: the Python tool's name "
                 "for 'tempo'", NULL);
    expect_error("e18",
                 "{\"form\": {\"forms\": [{\"parts\": [\"verse\"], "
                 "\"weight\": 0}, {\"parts\": [\"chorus\"], "
                 "\"weight\": 0}]}}",
                 drums44, "g/spec.json: form.forms: at least one weight "
                 "must be > 0", NULL);
}

/* Files saved by a Windows editor start with a UTF-8 byte order mark:
 * spec.json failed with "'[' or '{' expected near '<invisible>'", a drum
 * file with "line 1: expected [pattern NAME] first" above a comment. */
static void
test_files_with_a_byte_order_mark_load(void **state)
{
    const char *dir = new_dir("bom");
    char err[512] = "", drums[1024];
    mg_genre *g;
    (void)state;
    snprintf(drums, sizeof drums, "\xef\xbb\xbf# a comment\n%s", drums44);
    write_file(dir, "g/spec.json",
               "\xef\xbb\xbf{\"tempo\": {\"min\": 90, \"max\": 100}}\n");
    write_file(dir, "g/drums_44.txt", drums);
    g = mg_genre_load(dir, "g", err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    assert_true(g->tempo_min == 90 && g->tempo_max == 100);
    assert_int_equal(g->npatterns[MG_TS_4_4], 2);
    mg_genre_destroy(&g);
}

static void
test_malformed_markov_and_missing(void **state)
{
    const char *dir = new_dir("mk");
    char err[512] = "";
    (void)state;
    write_file(dir, "g/spec.json", "{}");
    write_file(dir, "g/drums_44.txt", drums44);
    write_file(dir, "g/chords.json",
               "{\"order\": 1, \"init_probs\": {\"I\": 1},\n"
               " \"transitions\": {\"I\": {\"Q\": 1}}}\n");
    assert_null(mg_genre_load(dir, "g", err, sizeof err));
    assert_non_null(strstr(err, "g/chords.json: transitions: state 'Q'"));
    write_file(dir, "g/chords.json",
               "{\"order\": 1, \"init_probs\": {\"I\": 1},\n"
               " \"transitions\": {\"I\": {\"V\": 1}, \"I,V\": {\"I\": 1},"
               " \"V\": {\"I\": 1}}}\n");
    assert_null(mg_genre_load(dir, "g", err, sizeof err));
    assert_non_null(strstr(err, "transitions.I,V: a pair key needs"));
    assert_null(mg_genre_load(dir, "nope", err, sizeof err));
    assert_non_null(strstr(err, "unknown genre 'nope'"));
    assert_null(mg_genre_load(dir, "../g", err, sizeof err));
    {
        char *names[] = {"g", "nope"};
        write_file(dir, "g/chords.json",
                   "{\"order\": 1, \"init_probs\": {\"I\": 1},\n"
                   " \"transitions\": {\"I\": {\"V\": 1}, \"V\": "
                   "{\"I\": 1}}}\n");
        assert_null(mg_genre_resolve(dir, names, 2, err, sizeof err));
        assert_non_null(strstr(err, "unknown genre 'nope'"));
    }
}

/* ---- merge --------------------------------------------------------- */

static void
test_merge_rules(void **state)
{
    char err[512];
    mg_genre *jazz = mg_genre_load(GENRES, "jazz", err, sizeof err);
    mg_genre *latin = mg_genre_load(GENRES, "latin", err, sizeof err);
    mg_genre *blues = mg_genre_load(GENRES, "blues", err, sizeof err);
    mg_genre *reggae = mg_genre_load(GENRES, "reggae", err, sizeof err);
    mg_genre *elec = mg_genre_load(GENRES, "electronic", err, sizeof err);
    mg_genre *m;
    (void)state;
    assert_non_null(jazz && latin && blues && reggae && elec);

    /* jazz + latin: ranges intersect, no filter (latin has none) */
    m = mg_genre_merge((mg_genre *[]){jazz, latin}, 2, err, sizeof err);
    assert_non_null(m);
    assert_string_equal(m->name, "jazz+latin");
    assert_true(m->tempo_min == 90 && m->tempo_max == 140);
    assert_true(m->swing_min == 0.60 && m->swing_max == 0.60);
    assert_false(m->chord_filter);
    {
        /* soft weights: mean of the normalised tables */
        double sj = 0, sl = 0;
        for (int t = 0; t < MG_NTS; t++) {
            sj += jazz->ts_weight[t];
            sl += latin->ts_weight[t];
        }
        assert_float_equal(m->ts_weight[MG_TS_4_4],
                           (jazz->ts_weight[MG_TS_4_4] / sj +
                            latin->ts_weight[MG_TS_4_4] / sl) / 2, 1e-12);
        assert_float_equal(m->ts_weight[MG_TS_12_8],
                           jazz->ts_weight[MG_TS_12_8] / sj / 2, 1e-12);
    }
    /* patterns: union; tags: union in first-genre order */
    for (int ts = 0; ts < MG_NTS; ts++)
        assert_int_equal(m->npatterns[ts],
                         jazz->npatterns[ts] + latin->npatterns[ts]);
    assert_string_equal(m->tags[MG_LAYER_BEAT][0],
                        jazz->tags[MG_LAYER_BEAT][0]);
    assert_true(m->ntags[MG_LAYER_BEAT] > jazz->ntags[MG_LAYER_BEAT]);
    /* Markov: the first genre that has one (latin has none) */
    assert_int_equal(m->chords.order, jazz->chords.order);
    assert_string_equal(m->chords.state[0], jazz->chords.state[0]);
    /* arrangements: the first genre's */
    assert_int_equal(m->narrangements, jazz->narrangements);
    mg_genre_destroy(&m);

    /* latin first: Markov still comes from jazz */
    m = mg_genre_merge((mg_genre *[]){latin, jazz}, 2, err, sizeof err);
    assert_non_null(m);
    assert_int_equal(m->chords.order, jazz->chords.order);
    mg_genre_destroy(&m);

    /* jazz + blues: both filter, so the union of their filters */
    m = mg_genre_merge((mg_genre *[]){jazz, blues}, 2, err, sizeof err);
    assert_non_null(m);
    assert_true(m->chord_filter);
    assert_true(m->chord_allowed[MG_CH_MAJ]);   /* from blues */
    assert_true(m->chord_allowed[MG_CH_MAJ9]);  /* from jazz */
    assert_false(m->chord_allowed[MG_CH_POWER]); /* from neither */
    mg_genre_destroy(&m);

    /* the same genre twice: patterns deduplicated by content */
    m = mg_genre_merge((mg_genre *[]){jazz, jazz}, 2, err, sizeof err);
    assert_non_null(m);
    for (int ts = 0; ts < MG_NTS; ts++)
        assert_int_equal(m->npatterns[ts], jazz->npatterns[ts]);
    assert_int_equal(m->nprograms[MG_LAYER_MELODY],
                     jazz->nprograms[MG_LAYER_MELODY]);
    mg_genre_destroy(&m);

    /* disjoint tempo ranges: an error naming both genres */
    assert_null(mg_genre_merge((mg_genre *[]){reggae, elec}, 2, err,
                               sizeof err));
    assert_non_null(strstr(err, "reggae"));
    assert_non_null(strstr(err, "electronic"));
    assert_non_null(strstr(err, "tempo"));
    /* three genres: the conflict is named even when it is not the first */
    assert_null(mg_genre_merge((mg_genre *[]){elec, blues, reggae}, 3, err,
                               sizeof err));
    assert_non_null(strstr(err, "reggae"));

    /* resolve: names -> one merged spec */
    {
        char *names[] = {"jazz", "latin"};
        m = mg_genre_resolve(GENRES, names, 2, err, sizeof err);
        assert_non_null(m);
        assert_string_equal(m->name, "jazz+latin");
        mg_genre_destroy(&m);
    }
    mg_genre_destroy(&jazz);
    mg_genre_destroy(&latin);
    mg_genre_destroy(&blues);
    mg_genre_destroy(&reggae);
    mg_genre_destroy(&elec);
}

/* ---- the Python tool's formats ------------------------------------- */

static void
test_python_format_loads(void **state)
{
    const char *dir = new_dir("py");
    char err[512];
    mg_genre *g;
    (void)state;
    write_file(dir, "mine/spec.json",
               "{\"name\": \"mine\", \"description\": \"py genre\",\n"
               " \"tempo_min\": 85, \"tempo_max\": 120,\n"
               " \"swing_min\": 0.55, \"swing_max\": 0.7,\n"
               " \"time_sig_weights\": {\"4/4\": 0.75, \"3/4\": 0.25},\n"
               " \"scale_weights\": {\"Am\": 0.5, \"C#\": 0.5},\n"
               " \"chord_type_weights\": {\"min\": 0.5, \"7\": 0.3, "
               "\"9\": 0.2},\n"
               " \"chord_type_hard_filter\": [\"min\", \"dom7\", \"9\"],\n"
               " \"inversion_weights\": {\"root\": 0.7, \"first\": 0.3},\n"
               " \"layer_probs\": {\"melody\": 0.5},\n"
               " \"fx_profile\": {\"reverb\": 0.4, \"ladder_filter\": 1.5,"
               " \"gain\": 0.8},\n"
               " \"soundfont_tags\": {\"bassline\": [\"upright\", "
               "\"bass\"]},\n"
               " \"drum_pool_names\": [\"x\"]}\n");
    write_file(dir, "mine/patterns_44.txt",
               "# python patterns\n"
               "verse: 36, 0, 38, 42\n"
               "chorus: 36, 42, 38, 42\n"
               "intro: 36, 0, 0, 0\nbridge: 0, 42, 0, 42\n"
               "outro: 36, 36, 38, 0\n"
               "verse_roll: 38, 38, 38, 49\n");
    write_file(dir, "mine/patterns_34.txt",
               "verse: 36, 42, 42\nchorus: 36, 38, 38\n");
    write_file(dir, "mine/chord_transitions.json",
               "{\"order\": 2, \"init_probs\": {\"i\": 0.6, \"iv\": 0.4},\n"
               " \"transitions\": {\"i\": {\"iv\": 0.5, \"V\": 0.5},\n"
               "   \"iv\": {\"V\": 1.0}, \"V\": {\"i\": 1.0},\n"
               "   \"i,iv\": {\"V\": 1.0}}}\n");
    write_file(dir, "mine/melody_transitions.json",
               "{\"order\": 1, \"init_probs\": {\"1\": 1},\n"
               " \"transitions\": {\"1\": {\"2\": 1}, \"2\": {\"1\": 3, "
               "\"3\": 1}, \"3\": {\"1\": 1}}}\n");
    g = mg_genre_load(dir, "mine", err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    assert_string_equal(g->description, "py genre");
    assert_true(g->tempo_min == 85 && g->tempo_max == 120);
    assert_true(g->swing_min == 0.55 && g->swing_max == 0.7);
    assert_true(g->ts_weight[MG_TS_4_4] == 0.75);
    assert_true(g->ts_weight[MG_TS_6_8] == 0);
    assert_true(g->key_weight[9 * 2 + MG_MODE_MINOR] == 0.5);
    assert_true(g->key_weight[1 * 2 + MG_MODE_MAJOR] == 0.5);
    assert_true(g->key_weight[0] == 0);
    assert_true(g->chord_weight[MG_CH_DOM9] == 0.2);
    assert_true(g->chord_filter && g->chord_allowed[MG_CH_DOM9]);
    assert_true(g->inversion_weight[1] == 0.3);
    assert_true(g->layer_prob[MG_LAYER_MELODY] == 0.5);
    assert_true(g->layer_prob[MG_LAYER_BEAT] == 1);
    assert_true(g->fx_profile[MG_FX_REVERB] == 0.4);
    assert_true(g->fx_profile[MG_FX_FILTER] == 1.5);
    assert_int_equal(g->ntags[MG_LAYER_BASSLINE], 2);
    assert_string_equal(g->tags[MG_LAYER_BASSLINE][0], "upright");
    /* patterns: one hit per step, steps spread over the bar; _roll = fill */
    assert_int_equal(g->npatterns[MG_TS_4_4], 6);
    {
        const mg_drum_pattern *p = &g->patterns[MG_TS_4_4][0];
        assert_int_equal(p->steps, 4);
        assert_int_equal(p->parts, 1u << MG_PART_VERSE);
        assert_false(p->fill);
        assert_int_equal(p->nvoices, 3);
        assert_int_equal(p->voice[0].note, 36);
        assert_true(p->voice[0].vel[0] > 0 && p->voice[0].vel[1] == 0);
        assert_int_equal(p->voice[1].note, 38);
        assert_true(p->voice[1].vel[2] > 0);
        p = &g->patterns[MG_TS_4_4][5];
        assert_true(p->fill);
        assert_int_equal(p->parts, 1u << MG_PART_VERSE);
    }
    assert_int_equal(g->patterns[MG_TS_3_4][0].steps, 3);
    /* Markov tables in their format; states sorted, rows normalised */
    assert_int_equal(g->chords.order, 2);
    assert_int_equal(g->chords.nstates, 3);
    assert_string_equal(g->chords.state[0], "V");
    assert_string_equal(g->chords.state[1], "i");
    assert_string_equal(g->chords.state[2], "iv");
    assert_true(g->chords.has_t2[1][2]);
    assert_float_equal(g->chords.t2[1][2][0], 1.0, 1e-12);
    assert_false(g->chords.has_t2[0][1]);
    assert_float_equal(g->chords.init[1], 0.6, 1e-12);
    assert_int_equal(g->melody.order, 1);
    assert_float_equal(g->melody.t1[1][0], 0.75, 1e-12);
    mg_genre_destroy(&g);

    /* A Python-format spec may leave a meter to default/'s patterns, as
     * the Python tool does; our own format may not. */
    write_file(dir, "default/drums_68.txt",
               "[pattern d68]\nparts = all\nsteps = 6\n"
               "kick = X.. x..\nhihat = x.x x.x\n");
    write_file(dir, "old/spec.json",
               "{\"name\": \"old\", \"time_sig_weights\": "
               "{\"4/4\": 0.8, \"6/8\": 0.2}}\n");
    write_file(dir, "old/patterns_44.txt", "verse: 36, 42, 38, 42\n");
    g = mg_genre_load(dir, "old", err, sizeof err);
    if (!g)
        fail_msg("%s", err);
    assert_int_equal(g->npatterns[MG_TS_6_8], 1);
    assert_string_equal(g->patterns[MG_TS_6_8][0].name, "d68");
    mg_genre_destroy(&g);
    write_file(dir, "ours/spec.json",
               "{\"name\": \"ours\", \"time_signatures\": "
               "{\"4/4\": 0.8, \"6/8\": 0.2}}\n");
    write_file(dir, "ours/patterns_44.txt", "verse: 36, 42, 38, 42\n");
    assert_null(mg_genre_load(dir, "ours", err, sizeof err));
    assert_non_null(strstr(err, "6/8 has weight > 0 but no drum patterns"));
}

/* ---- list and hash ------------------------------------------------- */

static void
sha_hex(const unsigned char *data, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned len;
    EVP_Digest(data, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void
test_list_and_hash(void **state)
{
    const char *dir = new_dir("lh");
    char err[512], **names, h1[65], h2[65], want[65];
    int n;
    (void)state;
    write_file(dir, "b/spec.json", "{}");
    write_file(dir, "a/spec.json", "{}");
    write_file(dir, "default/spec.json", "{}");
    write_file(dir, "c/readme.txt", "no spec here");
    write_file(dir, ".hidden/spec.json", "{}");
    n = mg_genre_list(dir, &names, err, sizeof err);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "a");
    assert_string_equal(names[1], "b");
    mg_genre_names_free(names, n);
    assert_int_equal(mg_genre_list("/nonexistent/genres", &names, err,
                                   sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/genres"));

    /* the hash: "<relative path>\0<bytes>" over files in sorted order */
    {
        const char *hd = new_dir("hash");
        /* new_dir wrote arrangements.json; add two more files */
        static const char arr_rel[] = "arrangements.json";
        unsigned char buf[4096];
        size_t len = 0;
        write_file(hd, "x/spec.json", "{}\n");
        write_file(hd, "x-y.txt", "zz");
        /* sorted: "arrangements.json" < "x-y.txt" < "x/spec.json" */
        memcpy(buf + len, arr_rel, sizeof arr_rel);
        len += sizeof arr_rel;
        memcpy(buf + len, arrangements, strlen(arrangements));
        len += strlen(arrangements);
        memcpy(buf + len, "x-y.txt", 8);
        len += 8;
        memcpy(buf + len, "zz", 2);
        len += 2;
        memcpy(buf + len, "x/spec.json", 12);
        len += 12;
        memcpy(buf + len, "{}\n", 3);
        len += 3;
        sha_hex(buf, len, want);
        assert_int_equal(mg_genre_dir_hash(hd, h1, err, sizeof err), 0);
        assert_string_equal(h1, want);
        assert_int_equal(mg_genre_dir_hash(hd, h2, err, sizeof err), 0);
        assert_string_equal(h1, h2);
        /* one byte changed: a different hash */
        write_file(hd, "x-y.txt", "zy");
        assert_int_equal(mg_genre_dir_hash(hd, h2, err, sizeof err), 0);
        assert_string_not_equal(h1, h2);
    }
    /* the shipped tree hashes */
    assert_int_equal(mg_genre_dir_hash(GENRES, h1, err, sizeof err), 0);
    assert_int_equal((int)strlen(h1), 64);
}

static void
test_fx_names(void **state)
{
    (void)state;
    for (int f = 0; f < MG_NFX; f++)
        assert_int_equal(mg_fx_from_name(mg_fx_name((mg_fx_kind)f)), f);
    assert_string_equal(mg_fx_name(MG_FX_COMPRESSOR), "compressor");
    assert_int_equal(mg_fx_from_name("flanger"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_genre_loads),
        cmocka_unit_test(test_genre_character),
        cmocka_unit_test(test_default_spec),
        cmocka_unit_test(test_step_grid_parse),
        cmocka_unit_test(test_malformed_specs),
        cmocka_unit_test(test_files_with_a_byte_order_mark_load),
        cmocka_unit_test(test_malformed_markov_and_missing),
        cmocka_unit_test(test_merge_rules),
        cmocka_unit_test(test_python_format_loads),
        cmocka_unit_test(test_list_and_hash),
        cmocka_unit_test(test_fx_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
