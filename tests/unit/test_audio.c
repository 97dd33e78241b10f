/*
 * test_audio — the audio engine with the real libfluidsynth and the real
 * FluidR3_GM: a hand-made four-second song is rendered and the files are
 * read back with libsndfile. Pins: exact WAV length, stems summing to the
 * mix, identical bytes for the same song (even after another song on the
 * same synths), the same with FluidSynth's reverb and chorus on every
 * layer (also on a fresh mg_audio), midi-only writing nothing, clear
 * errors for a missing font and a bad data file, onsets on the annotated
 * times, silence of a layer in a part where it is inactive, a plausible
 * and stable pre-roll, and the audio score ordering music > white noise >
 * silence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fluidsynth.h>
#include <openssl/evp.h>
#include <sndfile.h>

#include "ascore.h"
#include "audio.h"
#include "audio_cal.h"
#include "audio_fx.h"
#include "config.h"

#define RATE 44100
#define FONT "/usr/share/sounds/sf2/FluidR3_GM.sf2"

static mg_config cfg;
static mg_audio *shared; /* full mode, loaded once for the file */

/* 120 BPM 4/4: part 0 (verse, 1 bar) without harmony, part 1 (chorus,
 * 1 bar) with everything. Beat: kick on every beat. variant shifts the
 * melody so two songs differ. */
static void
make_song(mg_song *s, int variant)
{
    uint32_t bar = 4 * MG_PPQ;

    mg_song_init(s);
    s->tempo_bpm = 120;
    s->us_per_quarter = 500000;
    s->ts = MG_TS_4_4;
    s->swing = 0.5;
    s->nparts = 2;
    for (int p = 0; p < 2; p++) {
        mg_part *pt = &s->parts[p];
        pt->kind = p ? MG_PART_CHORUS : MG_PART_VERSE;
        pt->ts = MG_TS_4_4;
        pt->measures = 1;
        pt->start_tick = p * bar;
        pt->end_tick = (p + 1) * bar;
        for (int l = 0; l < MG_NLAYERS; l++)
            pt->active[l] = !(p == 0 && l == MG_LAYER_HARMONY);
    }
    s->total_ticks = 2 * bar;
    s->program[MG_LAYER_BEAT] = 0;
    s->program[MG_LAYER_MELODY] = 0;
    s->program[MG_LAYER_HARMONY] = 48;
    s->program[MG_LAYER_BASSLINE] = 33;
    for (uint32_t b = 0; b < 8; b++) {
        mg_track_add(&s->track[MG_LAYER_BEAT], b * MG_PPQ, MG_PPQ / 4, 36,
                     110);
        mg_track_add(&s->track[MG_LAYER_MELODY], b * MG_PPQ, MG_PPQ / 2,
                     60 + (int)(b % 4) * 2 + variant, 90);
        mg_track_add(&s->track[MG_LAYER_BASSLINE], b * MG_PPQ, MG_PPQ,
                     36 + (b >= 4 ? 5 : 0), 100);
    }
    for (int v = 0; v < 3; v++)
        mg_track_add(&s->track[MG_LAYER_HARMONY], bar, bar, 60 + v * 4, 80);
    mg_song_finish(s);
}

static char *
tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char *d = malloc(1024);
    snprintf(d, 1024, "%s/test_audio.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d));
    return d;
}

static void
rmtree(const char *d)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void
seeds(mg_rng r[3], uint64_t s)
{
    for (int i = 0; i < 3; i++)
        mg_rng_seed(&r[i], s * 3 + (uint64_t)i);
}

static int
render(mg_audio *a, const mg_song *s, uint64_t seed, const char *dir,
       json_t **annot, double *score)
{
    mg_rng r[3];
    char err[256] = "";
    int rc;

    seeds(r, seed);
    *annot = json_object();
    rc = mg_audio_render(a, s, &r[0], &r[1], &r[2], dir, *annot, score, err,
                         sizeof err);
    if (rc < 0)
        print_error("render: %s\n", err);
    return rc;
}

static short *
read_wav(const char *path, sf_count_t *frames, SF_INFO *info)
{
    SNDFILE *f;
    short *buf;

    memset(info, 0, sizeof *info);
    f = sf_open(path, SFM_READ, info);
    assert_non_null(f);
    buf = malloc(sizeof(short) * (size_t)info->frames *
                 (size_t)info->channels);
    *frames = sf_readf_short(f, buf, info->frames);
    sf_close(f);
    return buf;
}

static unsigned char *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;
    long len;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    b = malloc((size_t)len);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* The SHA-256 hex of a file's bytes, read back. */
static void
file_sha256(const char *path, char hex[65])
{
    size_t n;
    unsigned char *b = slurp(path, &n), md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    assert_int_equal(EVP_Digest(b, n, md, &len, EVP_sha256(), NULL), 1);
    assert_int_equal(len, 32);
    for (unsigned int i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    free(b);
}

/* Each of the n files is byte for byte the same under d1 and d2. */
static void
assert_same_files(const char *d1, const char *d2, const char *const *files,
                  size_t n)
{
    char p[1200];

    for (size_t i = 0; i < n; i++) {
        size_t n1, n2;
        unsigned char *x, *y;
        snprintf(p, sizeof p, "%s/%s", d1, files[i]);
        x = slurp(p, &n1);
        snprintf(p, sizeof p, "%s/%s", d2, files[i]);
        y = slurp(p, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(x, y, n1);
        free(x);
        free(y);
    }
}

static int
setup(void **state)
{
    char err[256];
    (void)state;
    mg_config_defaults(&cfg);
    snprintf(cfg.sf_dir, sizeof cfg.sf_dir, "%s/sf", MG_SRC_DIR);
    /* the renderer's properties, pinned on one font (the pools and their
     * draws: test_pools) */
    snprintf(cfg.fonts, sizeof cfg.fonts, "FluidR3_GM");
    cfg.output_mode = MG_OUT_FULL;
    shared = mg_audio_new(&cfg, NULL, true, err, sizeof err);
    if (!shared)
        print_error("mg_audio_new: %s\n", err);
    return shared ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    mg_audio_destroy(&shared);
    return shared == NULL ? 0 : -1;
}

static void
full_mode_lengths_and_stem_sum(void **state)
{
    static const char *const layers[] = {"beat", "melody", "harmony",
                                         "bassline"};
    mg_song s;
    json_t *annot;
    double score;
    char *d = tmpdir(), p[1200];
    sf_count_t n, nm;
    SF_INFO info;
    short *mix, *st[4];
    long expect = lround(4.0 * RATE);
    int maxerr = 0;
    double rms = 0;

    (void)state;
    make_song(&s, 0);
    assert_int_equal(render(shared, &s, 7, d, &annot, &score), 0);
    assert_true(score >= 0 && score <= 1);
    snprintf(p, sizeof p, "%s/mix.wav", d);
    mix = read_wav(p, &nm, &info);
    assert_int_equal(nm, expect);
    assert_int_equal(info.samplerate, RATE);
    assert_int_equal(info.channels, 2);
    assert_int_equal(info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    for (int l = 0; l < 4; l++) {
        snprintf(p, sizeof p, "%s/stems/%s.wav", d, layers[l]);
        st[l] = read_wav(p, &n, &info);
        assert_int_equal(n, expect);
    }
    for (long i = 0; i < 2 * expect; i++) {
        int sum = st[0][i] + st[1][i] + st[2][i] + st[3][i];
        int e = abs(sum - mix[i]);
        if (e > maxerr)
            maxerr = e;
        rms += (double)mix[i] * mix[i];
    }
    assert_true(maxerr <= 2);
    assert_true(sqrt(rms / (2.0 * expect)) > 300); /* not near-silent */
    assert_non_null(json_object_get(annot, "soundfonts"));
    assert_non_null(json_object_get(json_object_get(annot, "fx"),
                                    "melody"));
    assert_non_null(json_object_get(annot, "levels"));
    assert_non_null(json_object_get(annot, "audio_score"));
    assert_int_equal(json_integer_value(json_object_get(annot,
                                                        "sample_rate")),
                     RATE);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(annot,
                                                            "soundfonts"),
                                            "beat"), "path")), FONT);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
                         json_object_get(annot, "soundfonts"), "beat"),
                         "bank")), 128);
    /* the WAVs' checksums, hashed while written, are the files' SHA-256 */
    {
        json_t *cs = json_object_get(annot, "checksums");
        char rel[64], hex[65];
        assert_int_equal(json_object_size(cs), 5);
        for (int l = 0; l <= 4; l++) {
            if (l < 4)
                snprintf(rel, sizeof rel, "stems/%s.wav", layers[l]);
            else
                snprintf(rel, sizeof rel, "mix.wav");
            snprintf(p, sizeof p, "%s/%s", d, rel);
            file_sha256(p, hex);
            assert_non_null(json_object_get(cs, rel));
            assert_string_equal(json_string_value(json_object_get(cs, rel)),
                                hex);
        }
    }
    for (int l = 0; l < 4; l++)
        free(st[l]);
    free(mix);
    json_decref(annot);
    mg_song_free(&s);
    rmtree(d);
    free(d);
}

static void
same_song_same_bytes(void **state)
{
    mg_song a, b;
    json_t *j1, *j2, *j3;
    double sc;
    char *d1 = tmpdir(), *d2 = tmpdir(), *d3 = tmpdir();
    const char *files[] = {"mix.wav", "stems/beat.wav", "stems/harmony.wav"};

    (void)state;
    make_song(&a, 0);
    make_song(&b, 3);
    assert_int_equal(render(shared, &a, 11, d1, &j1, &sc), 0);
    assert_int_equal(render(shared, &b, 12, d2, &j2, &sc), 0);
    assert_int_equal(render(shared, &a, 11, d3, &j3, &sc), 0);
    assert_same_files(d1, d3, files, 3);
    assert_true(json_equal(j1, j3));
    json_decref(j1);
    json_decref(j2);
    json_decref(j3);
    mg_song_free(&a);
    mg_song_free(&b);
    rmtree(d1);
    rmtree(d2);
    rmtree(d3);
    free(d1);
    free(d2);
    free(d3);
}

/* A song longer than the in-memory stem store goes on in a scratch file
 * in $TMPDIR: with MUSICGEN_AUDIO_STORE_MB=1 only the first 1.5 s (pcm16)
 * or 0.7 s (float) of the 4 s song stay in memory. Every file and the
 * annotations are the same bytes as with the whole song in memory, in
 * pcm16, pcm24 and float; a TMPDIR where no scratch file can be made is
 * a one-line error naming it. */
static void
long_song_spills_same_bytes(void **state)
{
    const mg_sample_format fmts[] = {MG_SF_PCM16, MG_SF_PCM24, MG_SF_FLOAT};
    const char *files[] = {"mix.wav", "stems/beat.wav", "stems/melody.wav",
                           "stems/harmony.wav", "stems/bassline.wav"};
    const char *t = getenv("TMPDIR");
    char *keep = t ? strdup(t) : NULL, err[512] = "";
    mg_song s;
    double sc;

    (void)state;
    make_song(&s, 1);
    for (size_t f = 0; f < 3; f++) {
        mg_config c = cfg;
        mg_audio *mem, *spill;
        json_t *j1, *j2;
        char *d1 = tmpdir(), *d2 = tmpdir();

        c.sample_format = fmts[f];
        unsetenv("MUSICGEN_AUDIO_STORE_MB");
        mem = mg_audio_new(&c, NULL, true, err, sizeof err);
        setenv("MUSICGEN_AUDIO_STORE_MB", "1", 1);
        spill = mg_audio_new(&c, NULL, true, err, sizeof err);
        unsetenv("MUSICGEN_AUDIO_STORE_MB");
        assert_non_null(mem);
        assert_non_null(spill);
        assert_int_equal(render(mem, &s, 21, d1, &j1, &sc), 0);
        assert_int_equal(render(spill, &s, 21, d2, &j2, &sc), 0);
        assert_same_files(d1, d2, files, 5);
        assert_true(json_equal(j1, j2));
        json_decref(j1);
        json_decref(j2);
        mg_audio_destroy(&mem);
        mg_audio_destroy(&spill);
        rmtree(d1);
        rmtree(d2);
        free(d1);
        free(d2);
    }
    {
        mg_audio *a;
        mg_rng r[3];
        json_t *annot = json_object();
        char *d = tmpdir();

        setenv("MUSICGEN_AUDIO_STORE_MB", "1", 1);
        a = mg_audio_new(&cfg, NULL, true, err, sizeof err);
        unsetenv("MUSICGEN_AUDIO_STORE_MB");
        assert_non_null(a);
        setenv("TMPDIR", "/nonexistent-musicgen-tmp", 1);
        seeds(r, 21);
        assert_int_equal(mg_audio_render(a, &s, &r[0], &r[1], &r[2], d,
                                         annot, &sc, err, sizeof err), -2);
        if (keep)
            setenv("TMPDIR", keep, 1);
        else
            unsetenv("TMPDIR");
        assert_non_null(strstr(err, "/nonexistent-musicgen-tmp"));
        assert_non_null(strstr(err, "TMPDIR"));
        assert_null(strchr(err, '\n'));
        json_decref(annot);
        mg_audio_destroy(&a);
        rmtree(d);
        free(d);
    }
    free(keep);
    mg_song_free(&s);
}

/* FluidSynth's own reverb and chorus on every layer: the same song gives
 * the same bytes on a synth that rendered another song in between, and on
 * a freshly made mg_audio (as in a new process). */
static void
synth_fx_deterministic(void **state)
{
    mg_config c = cfg;
    mg_audio *fresh;
    mg_song a, b;
    json_t *fx, *lj, *j1, *j2, *j3, *j4;
    double sc;
    char err[256], p[1200], cmd[2400], *sfd = tmpdir(), *d[4];
    const char *files[] = {"mix.wav", "stems/beat.wav", "stems/melody.wav",
                           "stems/harmony.wav", "stems/bassline.wav"};
    const char *ln;
    json_error_t je;

    (void)state;
    snprintf(cmd, sizeof cmd, "cp '%s/registry.json' '%s/mix.json' '%s/'",
             cfg.sf_dir, cfg.sf_dir, sfd);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/fx.json", cfg.sf_dir);
    fx = json_load_file(p, 0, &je);
    assert_non_null(fx);
    json_object_foreach(fx, ln, lj) {
        const char *kn;
        json_t *kj;
        json_object_foreach(lj, kn, kj)
            json_object_set_new(kj, "probability",
                                json_real(!strcmp(kn, "reverb") ||
                                          !strcmp(kn, "chorus")));
    }
    snprintf(p, sizeof p, "%s/fx.json", sfd);
    assert_int_equal(json_dump_file(fx, p, 0), 0);
    json_decref(fx);
    snprintf(c.sf_dir, sizeof c.sf_dir, "%s", sfd);
    make_song(&a, 0);
    make_song(&b, 5);
    {
        mg_audio *au = mg_audio_new(&c, NULL, true, err, sizeof err);
        assert_non_null(au);
        for (int i = 0; i < 3; i++)
            d[i] = tmpdir();
        assert_int_equal(render(au, &a, 11, d[0], &j1, &sc), 0);
        assert_int_equal(render(au, &b, 12, d[1], &j2, &sc), 0);
        assert_int_equal(render(au, &a, 11, d[2], &j3, &sc), 0);
        mg_audio_destroy(&au);
    }
    fresh = mg_audio_new(&c, NULL, true, err, sizeof err);
    assert_non_null(fresh);
    d[3] = tmpdir();
    assert_int_equal(render(fresh, &a, 11, d[3], &j4, &sc), 0);
    mg_audio_destroy(&fresh);
    /* every layer carries both effects */
    json_object_foreach(json_object_get(j1, "fx"), ln, lj)
        assert_int_equal(json_array_size(lj), 2);
    for (size_t i = 0; i < 5; i++) {
        size_t n1, n2;
        unsigned char *x, *y;
        snprintf(p, sizeof p, "%s/%s", d[0], files[i]);
        x = slurp(p, &n1);
        for (int k = 2; k < 4; k++) {
            snprintf(p, sizeof p, "%s/%s", d[k], files[i]);
            y = slurp(p, &n2);
            assert_int_equal(n1, n2);
            assert_memory_equal(x, y, n1);
            free(y);
        }
        free(x);
    }
    assert_true(json_equal(j1, j3));
    assert_true(json_equal(j1, j4));
    json_decref(j1);
    json_decref(j2);
    json_decref(j3);
    json_decref(j4);
    mg_song_free(&a);
    mg_song_free(&b);
    for (int i = 0; i < 4; i++) {
        rmtree(d[i]);
        free(d[i]);
    }
    rmtree(sfd);
    free(sfd);
}

static void
midi_only_writes_nothing_but_records(void **state)
{
    mg_config c = cfg;
    mg_audio *a;
    mg_song s;
    json_t *annot, *full;
    double score = 0;
    char err[256], *d = tmpdir(), *d2 = tmpdir(), cmd[1200];

    (void)state;
    c.output_mode = MG_OUT_MIDI_ONLY;
    a = mg_audio_new(&c, NULL, false, err, sizeof err);
    assert_non_null(a);
    make_song(&s, 0);
    assert_int_equal(render(a, &s, 7, d, &annot, &score), 0);
    assert_true(score == -1);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", d);
    assert_int_equal(system(cmd), 0);
    assert_non_null(json_object_get(annot, "soundfonts"));
    assert_null(json_object_get(annot, "audio_score"));
    /* the same draws as a rendering run */
    assert_int_equal(render(shared, &s, 7, d2, &full, &score), 0);
    assert_true(json_equal(json_object_get(annot, "fx"),
                           json_object_get(full, "fx")));
    assert_true(json_equal(json_object_get(annot, "levels"),
                           json_object_get(full, "levels")));
    json_decref(annot);
    json_decref(full);
    mg_song_free(&s);
    mg_audio_destroy(&a);
    assert_null(a);
    rmtree(d);
    rmtree(d2);
    free(d);
    free(d2);
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
missing_font_and_bad_data_are_named(void **state)
{
    mg_config c = cfg;
    char err[256] = "", *d = tmpdir(), p[1200], cmd[2400];
    mg_audio *a;

    (void)state;
    snprintf(c.fonts, sizeof c.fonts, "default");   /* its own registries */
    snprintf(cmd, sizeof cmd, "cp '%s/fx.json' '%s/mix.json' '%s/'",
             cfg.sf_dir, cfg.sf_dir, d);
    assert_int_equal(system(cmd), 0);
    snprintf(p, sizeof p, "%s/registry.json", d);
    write_file(p, "{\"fonts\": [{\"name\": \"gone\", \"path\": "
                  "\"/nonexistent/gone.sf2\", \"layers\": [\"beat\", "
                  "\"melody\", \"harmony\", \"bassline\"]}]}");
    snprintf(c.sf_dir, sizeof c.sf_dir, "%s", d);
    a = mg_audio_new(&c, NULL, true, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, "/nonexistent/gone.sf2"));

    /* a corrupt font: right name, wrong bytes */
    snprintf(p, sizeof p, "%s/registry.json", d);
    write_file(p, "{\"fonts\": [{\"path\": \"bad.sf2\", \"layers\": "
                  "[\"beat\", \"melody\", \"harmony\", \"bassline\"]}]}");
    snprintf(p, sizeof p, "%s/bad.sf2", d);
    write_file(p, "RIFF....junkjunkjunk");
    a = mg_audio_new(&c, NULL, true, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, "bad.sf2"));

    /* an empty pool */
    snprintf(p, sizeof p, "%s/registry.json", d);
    write_file(p, "{\"fonts\": [{\"path\": \"" FONT "\", \"layers\": "
                  "[\"beat\", \"melody\", \"harmony\"]}]}");
    a = mg_audio_new(&c, NULL, false, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, "bassline"));

    /* a bad range in fx.json names the field */
    snprintf(p, sizeof p, "%s/fx.json", d);
    write_file(p, "{\"beat\": {\"reverb\": {\"probability\": 0.5, "
                  "\"params\": {\"room_size\": [1, 0]}}}}");
    a = mg_audio_new(&c, NULL, false, err, sizeof err);
    assert_null(a);
    assert_non_null(strstr(err, "fx.json"));
    assert_non_null(strstr(err, "beat.reverb"));
    rmtree(d);
    free(d);
}

/* Kicks only: each audible onset of the beat stem (first frame above a
 * tenth of the stem's peak after a quiet stretch) is within 5 ms of a
 * note time. */
static void
onsets_on_annotated_times(void **state)
{
    mg_song s;
    json_t *annot;
    double sc;
    char *d = tmpdir(), p[1200];
    sf_count_t n;
    SF_INFO info;
    short *x;
    int peak = 0, found = 0;

    (void)state;
    make_song(&s, 0);
    for (int l = 1; l < MG_NLAYERS; l++)
        s.track[l].n = 0;
    assert_int_equal(render(shared, &s, 5, d, &annot, &sc), 0);
    snprintf(p, sizeof p, "%s/stems/beat.wav", d);
    x = read_wav(p, &n, &info);
    for (sf_count_t i = 0; i < 2 * n; i++)
        if (abs(x[i]) > peak)
            peak = abs(x[i]);
    assert_true(peak > 1000);
    for (int b = 0; b < 8; b++) {
        long t = lround(b * 0.5 * RATE), first = -1;
        for (long i = t - RATE / 20; i < t + RATE / 20; i++) {
            if (i < 0)
                continue;
            if (abs(x[2 * i]) >= peak / 10 || abs(x[2 * i + 1]) >= peak / 10) {
                first = i;
                break;
            }
        }
        assert_true(first >= 0);
        assert_true(labs(first - t) <= lround(0.005 * RATE));
        found++;
    }
    assert_int_equal(found, 8);
    free(x);
    json_decref(annot);
    mg_song_free(&s);
    rmtree(d);
    free(d);
}

static void
inactive_layer_silent_in_its_part(void **state)
{
    mg_song s;
    json_t *annot;
    double sc;
    char *d = tmpdir(), p[1200];
    sf_count_t n;
    SF_INFO info;
    short *x;
    int maxa = 0, maxb = 0;

    (void)state;
    make_song(&s, 0);
    /* harmony also plays in the verse's notes: the mask must cut it */
    mg_track_add(&s.track[MG_LAYER_HARMONY], 0, 4 * MG_PPQ, 67, 100);
    mg_song_finish(&s);
    assert_int_equal(render(shared, &s, 9, d, &annot, &sc), 0);
    snprintf(p, sizeof p, "%s/stems/harmony.wav", d);
    x = read_wav(p, &n, &info);
    for (long i = RATE / 50; i < 2 * RATE - RATE / 50; i++)
        if (abs(x[2 * i]) > maxa)
            maxa = abs(x[2 * i]);
    for (long i = 2 * RATE; i < 4 * RATE - RATE / 50; i++)
        if (abs(x[2 * i]) > maxb)
            maxb = abs(x[2 * i]);
    assert_int_equal(maxa, 0);
    assert_true(maxb > 500);
    free(x);
    json_decref(annot);
    mg_song_free(&s);
    rmtree(d);
    free(d);
}

static void
preroll_plausible_and_stable(void **state)
{
    fluid_settings_t *st = new_fluid_settings();
    fluid_synth_t *syn;
    int id, f1 = -1, f2 = -2;
    char err[256];

    (void)state;
    fluid_settings_setnum(st, "synth.sample-rate", RATE);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    syn = new_fluid_synth(st);
    id = fluid_synth_sfload(syn, FONT, 0);
    assert_true(id >= 0);
    assert_int_equal(mg_cal_measure(syn, id, RATE, &f1, err, sizeof err), 0);
    assert_int_equal(mg_cal_measure(syn, id, RATE, &f2, err, sizeof err), 0);
    assert_int_equal(f1, f2);
    assert_true(f1 >= 0 && f1 < RATE / 20); /* under 50 ms */
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
}

static void
score_orders_music_noise_silence(void **state)
{
    mg_song s;
    json_t *annot;
    double music;
    char *d = tmpdir(), p[1200];
    size_t n = 4 * RATE;
    float *x = calloc(n, sizeof *x);
    mg_ascore noise, silence;
    mg_rng r;

    (void)state;
    make_song(&s, 0);
    assert_int_equal(render(shared, &s, 21, d, &annot, &music), 0);
    mg_rng_seed(&r, 1);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)mg_rng_range_f(&r, -0.5, 0.5);
    assert_int_equal(mg_ascore_analyze(x, n, RATE, 0, 0, &noise), 0);
    memset(x, 0, n * sizeof *x);
    assert_int_equal(mg_ascore_analyze(x, n, RATE, 0, 0, &silence), 0);
    assert_true(silence.score == 0);
    assert_true(music > noise.score + 0.1);
    assert_true(noise.score > silence.score);
    (void)p;
    free(x);
    json_decref(annot);
    mg_song_free(&s);
    rmtree(d);
    free(d);
}

static void
fx_draw_respects_profile_and_ranges(void **state)
{
    mg_fx_spec spec;
    char err[256], p[1200];
    double zero[MG_NFX] = {0}, one[MG_NFX];
    mg_rng r;

    (void)state;
    snprintf(p, sizeof p, "%s/fx.json", cfg.sf_dir);
    assert_int_equal(mg_fx_spec_load(&spec, p, err, sizeof err), 0);
    for (int k = 0; k < MG_NFX; k++)
        one[k] = 100; /* every effect certain */
    mg_rng_seed(&r, 3);
    for (int i = 0; i < 50; i++) {
        mg_fx_chain c;
        mg_fx_draw(&spec, MG_LAYER_MELODY, zero, &r, &c);
        for (int k = 0; k < MG_NFX; k++)
            assert_false(c.on[k]);
        mg_fx_draw(&spec, MG_LAYER_MELODY, one, &r, &c);
        for (int k = 0; k < MG_NFX; k++) {
            const char *const *names;
            int np = mg_fx_params(k, &names);
            assert_true(c.on[k]);
            for (int j = 0; j < np; j++) {
                assert_true(c.p[k][j] >=
                            spec.lo[MG_LAYER_MELODY][k][j] - 1e-4);
                assert_true(c.p[k][j] <=
                            spec.hi[MG_LAYER_MELODY][k][j] + 1e-4);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_mode_lengths_and_stem_sum),
        cmocka_unit_test(same_song_same_bytes),
        cmocka_unit_test(synth_fx_deterministic),
        cmocka_unit_test(long_song_spills_same_bytes),
        cmocka_unit_test(midi_only_writes_nothing_but_records),
        cmocka_unit_test(missing_font_and_bad_data_are_named),
        cmocka_unit_test(onsets_on_annotated_times),
        cmocka_unit_test(inactive_layer_silent_in_its_part),
        cmocka_unit_test(preroll_plausible_and_stable),
        cmocka_unit_test(score_orders_music_noise_silence),
        cmocka_unit_test(fx_draw_respects_profile_and_ranges),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
