/*
 * test_lib — the public API (lib/musicgen.h) under the test build's
 * sanitizers: options by name with one-line errors naming them, an engine
 * error for a bad genre, a sample in memory equal to the same sample
 * generated into a directory (every file, and the PCM view of each WAV),
 * the batch (threads, manifest one row per index, idempotent re-run that
 * keeps rows and counts skips, a stop from the callback), four threads
 * with one engine each giving the bytes of one engine in turn, and the
 * float32 tracks of musicgen_generate_f32 and _f32_fd (the WAVs' samples
 * / 32768, sample.json the same text, or without the WAVs' checksums; a
 * file that cannot be written fails the call), and the plan: a
 * sample's planned seconds are its duration_seconds (to the microsecond)
 * when its first attempt passed, the same whatever was planned before,
 * and differ between samples; a genre that cannot be read is refused by
 * name; an index past the executable's largest is refused, and so is a
 * root laid out in another shard width than the engine's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "musicgen.h"
#include "util/tutil.h"

#define SHORT "intro=1,verse=1,chorus=1,bridge=1,outro=1"

static musicgen_config *
short_config(const char *mode)
{
    musicgen_config *c = musicgen_config_new();
    assert_non_null(c);
    assert_int_equal(musicgen_config_set(c, "measures-per-part", SHORT), 0);
    assert_int_equal(musicgen_config_set(c, "output-mode", mode), 0);
    assert_int_equal(musicgen_config_set(c, "sample-rate", "22050"), 0);
    return c;
}

static void
options_and_errors(void **state)
{
    musicgen_config *c = musicgen_config_new(), *d;
    char err[256] = "", *json;

    (void)state;
    assert_string_equal(musicgen_version(), MUSICGEN_VERSION);
    assert_string_equal(musicgen_track_name(MUSICGEN_MIX), "mix");
    assert_null(musicgen_track_name((musicgen_track)9));
    assert_int_equal(musicgen_config_set(c, "shard-width", "9"), -1);
    assert_non_null(strstr(musicgen_config_error(c), "shard-width"));
    assert_int_equal(musicgen_config_set(c, "no-such-option", "1"), -1);
    assert_non_null(strstr(musicgen_config_error(c), "no-such-option"));
    assert_int_equal(musicgen_config_set(c, "shard-width", "3"), 0);
    assert_string_equal(musicgen_config_error(c), "");
    assert_int_equal(musicgen_config_set(c, "genre", "no-such-genre"), 0);
    json = musicgen_config_json(c);
    assert_non_null(strstr(json, "\"shard_width\":3"));
    musicgen_free(json);
    d = musicgen_config_copy(c);
    musicgen_config_destroy(&c);
    assert_null(c);
    /* the genre is checked when the engine loads it */
    assert_null(musicgen_engine_new(d, err, sizeof err));
    assert_non_null(strstr(err, "no-such-genre"));
    musicgen_config_destroy(&d);
    musicgen_config_destroy(&d);    /* NULL: a no-op */
}

/* NULL handles and result pointers fail (or give a getter's zero value);
 * they crashed the caller. */
static void
null_arguments(void **state)
{
    musicgen_config *c = musicgen_config_new();
    musicgen_sample *s = NULL;
    musicgen_batch_result r;
    musicgen_pcm pcm;
    char err[128] = "";

    (void)state;
    assert_int_equal(musicgen_config_set(NULL, "seed", "1"), -1);
    assert_int_equal(musicgen_config_load_file(c, NULL), -1);
    assert_string_equal(musicgen_config_error(c),
                        "config file: the path is NULL");
    assert_int_equal(musicgen_config_load_env(NULL), -1);
    assert_null(musicgen_config_json(NULL));
    assert_null(musicgen_config_copy(NULL));
    assert_null(musicgen_split_of(NULL, 1, 2));
    assert_true(musicgen_plan_seconds(NULL, 1, 2) == 0);
    assert_string_equal(musicgen_engine_fingerprint(NULL), "");
    assert_int_equal(musicgen_generate(NULL, 1, 2, &s), -1);
    assert_null(s);
    assert_int_equal(musicgen_generate_to_dir(NULL, 1, 2, "x", NULL), -1);
    assert_int_equal(musicgen_generate_f32_fd(NULL, 1, 2, 0, 0, &s), -1);
    assert_int_equal(musicgen_generate_batch(NULL, &r, NULL, NULL, err,
                                             sizeof err), -1);
    assert_string_equal(err, "c is NULL");
    assert_int_equal(musicgen_generate_batch(c, NULL, NULL, NULL, err,
                                             sizeof err), -1);
    assert_int_equal(musicgen_sample_status(NULL), MUSICGEN_FAILED);
    assert_string_equal(musicgen_sample_error(NULL), "");
    assert_int_equal(musicgen_sample_index(NULL), 0);
    assert_null(musicgen_sample_split(NULL));
    assert_null(musicgen_sample_path(NULL));
    assert_null(musicgen_sample_manifest_row(NULL, "T"));
    assert_null(musicgen_sample_json(NULL, NULL));
    assert_null(musicgen_sample_wav(NULL, MUSICGEN_MIX, NULL));
    assert_int_equal(musicgen_sample_pcm(NULL, MUSICGEN_MIX, &pcm), -1);
    musicgen_config_destroy(&c);
}

static void
memory_equals_directory(void **state)
{
    musicgen_config *c = short_config("full");
    char root[1024], err[256] = "", p[1400];
    musicgen_engine *e;
    musicgen_sample *m, *d;
    musicgen_pcm pcm;
    size_t n, len;
    char *disk;

    (void)state;
    assert_non_null(tu_tmpdir(root, sizeof root, "test_lib"));
    e = musicgen_engine_new(c, err, sizeof err);
    assert_non_null(e);
    assert_non_null(strstr(musicgen_engine_fingerprint(e), "soundfonts_hash"));
    assert_int_equal(musicgen_generate(e, 77, 4, &m), 0);
    assert_int_equal(musicgen_sample_status(m), MUSICGEN_OK);
    assert_null(musicgen_sample_dir(m));
    assert_int_equal(musicgen_generate_to_dir(e, 77, 4, root, &d), 0);
    assert_int_equal(musicgen_sample_status(d), MUSICGEN_OK);
    assert_int_equal(musicgen_sample_skipped(d), 0);
    assert_int_equal(musicgen_sample_seed(m), musicgen_sample_seed(d));
    assert_string_equal(musicgen_sample_split(m), musicgen_sample_split(d));
    assert_string_equal(musicgen_sample_split(m), musicgen_split_of(c, 77, 4));
    assert_int_equal(musicgen_sample_seed(m), musicgen_seed_of(77, 4));
    assert_true(musicgen_sample_musicality(m) == musicgen_sample_musicality(d));
    assert_null(musicgen_sample_json(d, &n));
    assert_int_equal(n, 0);
    snprintf(p, sizeof p, "%s/sample.json", musicgen_sample_dir(d));
    disk = tu_slurp(p, &n);
    assert_non_null(disk);
    assert_string_equal(disk, musicgen_sample_json(m, &len));
    assert_int_equal(len, n);
    free(disk);
    for (int t = 0; t <= MUSICGEN_MIX; t++) {
        const unsigned char *b = musicgen_sample_wav(m, (musicgen_track)t, &len);
        snprintf(p, sizeof p, "%s/%s%s.wav", musicgen_sample_dir(d),
                 t < MUSICGEN_NLAYERS ? "stems/" : "",
                 musicgen_track_name((musicgen_track)t));
        disk = tu_slurp(p, &n);
        assert_non_null(disk);
        assert_non_null(b);
        assert_int_equal(len, n);
        assert_memory_equal(disk, b, n);
        free(disk);
        assert_int_equal(musicgen_sample_pcm(m, (musicgen_track)t, &pcm), 0);
        assert_int_equal(pcm.channels, 2);
        assert_int_equal(pcm.sample_rate, 22050);
        assert_int_equal(pcm.format, MUSICGEN_PCM16);
        assert_int_equal((const unsigned char *)pcm.data - b + pcm.frames * 4,
                         len);
        if (t < MUSICGEN_NLAYERS) {
            b = musicgen_sample_midi(m, (musicgen_track)t, &len);
            snprintf(p, sizeof p, "%s/midi/%s.mid", musicgen_sample_dir(d),
                     musicgen_track_name((musicgen_track)t));
            disk = tu_slurp(p, &n);
            assert_int_equal(len, n);
            assert_memory_equal(disk, b, n);
            free(disk);
        }
    }
    assert_non_null(strstr(musicgen_sample_manifest_row(d, "T"),
                           "\"sample_index\":4"));
    musicgen_sample_destroy(&d);
    /* an index the executable refuses (a binding's -1 is 2^64 - 1): an
     * error naming it, no directory (it made "18446744073709551615/") */
    assert_int_equal(musicgen_generate_to_dir(e, 77, UINT64_MAX, root, &d),
                     -1);
    assert_null(d);
    assert_non_null(strstr(musicgen_engine_error(e),
                           "index 18446744073709551615 is past the largest"));
    assert_int_equal(musicgen_generate(e, 77, 1000000000000u, &d), -1);
    assert_null(d);
    assert_int_equal(musicgen_generate(e, 77, 4, NULL), -1);
    assert_string_equal(musicgen_engine_error(e), "out is NULL");
    snprintf(p, sizeof p, "%s/18446744073709551615", root);
    assert_int_equal(access(p, F_OK), -1);
    /* a root of shard directories (width 3) is not written flat: verify
     * refused the tree as of mixed layout, and index 4 stood in it twice */
    snprintf(p, sizeof p, "mkdir -p '%s/sharded/000/000004'", root);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/sharded", root);
    assert_int_equal(musicgen_generate_to_dir(e, 77, 4, p, &d), -1);
    assert_non_null(strstr(musicgen_engine_error(e),
                           "holds shard directories of width 3 (000/), not "
                           "shard-width 0"));
    snprintf(p, sizeof p, "%s/sharded/000004", root);
    assert_int_equal(access(p, F_OK), -1);
    /* again: already complete on disk */
    assert_int_equal(musicgen_generate_to_dir(e, 77, 4, root, &d), 0);
    assert_int_equal(musicgen_sample_skipped(d), 1);
    musicgen_sample_destroy(&d);
    musicgen_sample_destroy(&m);
    assert_null(m);
    musicgen_engine_destroy(&e);
    assert_null(e);
    musicgen_config_destroy(&c);
    snprintf(p, sizeof p, "rm -rf '%s'", root);
    assert_int_equal(system(p), 0);
}

static int
count_rows(const char *root, int *lines, int idx[16])
{
    char p[1200], *t, *s;
    size_t n;

    snprintf(p, sizeof p, "%s/manifest.jsonl", root);
    t = tu_slurp(p, &n);
    if (!t)
        return -1;
    *lines = 0;
    for (s = t; (s = strstr(s, "\"sample_index\":")); s++)
        idx[(*lines)++ & 15] = atoi(s + strlen("\"sample_index\":"));
    free(t);
    return 0;
}

static int
stop_after_one(const musicgen_sample *s, void *user)
{
    (void)s;
    return ++*(int *)user >= 1;
}

static void
batch_manifest_and_rerun(void **state)
{
    musicgen_config *c = short_config("midi-only");
    musicgen_batch_result r;
    char root[1024], err[256] = "", cmd[1200];
    int lines, idx[16], calls = 0;

    (void)state;
    assert_non_null(tu_tmpdir(root, sizeof root, "test_lib_batch"));
    /* no seed: refused with a reason */
    assert_int_equal(musicgen_config_set(c, "out", root), 0);
    assert_int_equal(musicgen_generate_batch(c, &r, NULL, NULL, err,
                                             sizeof err), -1);
    assert_non_null(strstr(err, "seed"));
    assert_int_equal(musicgen_config_set(c, "seed", "5"), 0);
    assert_int_equal(musicgen_config_set(c, "count", "4"), 0);
    assert_int_equal(musicgen_config_set(c, "start", "2"), 0);
    assert_int_equal(musicgen_config_set(c, "workers", "3"), 0);
    /* an engine that cannot start (unknown genre): refused, naming it,
     * and no empty manifest.jsonl or LICENSES.md left behind (they made
     * the new root look like a dataset of nothing) */
    musicgen_config *bad = musicgen_config_copy(c);
    assert_int_equal(musicgen_config_set(bad, "genre", "no-such-genre"), 0);
    assert_int_equal(musicgen_generate_batch(bad, &r, NULL, NULL, err,
                                             sizeof err), -1);
    musicgen_config_destroy(&bad);
    assert_non_null(strstr(err, "no-such-genre"));
    snprintf(cmd, sizeof cmd, "%s/manifest.jsonl", root);
    assert_int_equal(access(cmd, F_OK), -1);
    snprintf(cmd, sizeof cmd, "%s/LICENSES.md", root);
    assert_int_equal(access(cmd, F_OK), -1);
    assert_int_equal(musicgen_generate_batch(c, &r, NULL, NULL, err,
                                             sizeof err), 0);
    assert_int_equal(r.succeeded, 4);
    assert_int_equal(r.failed + r.skipped, 0);
    assert_int_equal(count_rows(root, &lines, idx), 0);
    assert_int_equal(lines, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(idx[i], 2 + i);   /* sorted by index */
    /* overlapping re-run: 2..5 skipped, 6..7 new, one row per index */
    assert_int_equal(musicgen_config_set(c, "count", "6"), 0);
    assert_int_equal(musicgen_generate_batch(c, &r, NULL, NULL, err,
                                             sizeof err), 0);
    assert_int_equal(r.skipped, 4);
    assert_int_equal(r.succeeded, 2);
    assert_int_equal(count_rows(root, &lines, idx), 0);
    assert_int_equal(lines, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(idx[i], 2 + i);
    /* a callback that stops the batch */
    assert_int_equal(musicgen_config_set(c, "start", "20"), 0);
    assert_int_equal(musicgen_config_set(c, "workers", "1"), 0);
    assert_int_equal(musicgen_generate_batch(c, &r, stop_after_one, &calls,
                                             err, sizeof err), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(r.succeeded, 1);
    assert_int_equal(count_rows(root, &lines, idx), 0);
    assert_int_equal(lines, 7);
    /* LICENSES.md: the batch wrote it; musicgen_write_licenses writes the
     * same bytes again from the manifest */
    char lp[1100];
    size_t n0 = 0, n1 = 0;
    int nfonts = -1;
    snprintf(lp, sizeof lp, "%s/LICENSES.md", root);
    char *before = tu_slurp(lp, &n0);
    assert_non_null(before);
    assert_non_null(strstr(before, "across 7 finished samples"));
    assert_int_equal(unlink(lp), 0);
    assert_int_equal(
        musicgen_write_licenses(root, NULL, &nfonts, err, sizeof err), 0);
    assert_true(nfonts >= 1);
    char *after = tu_slurp(lp, &n1);
    assert_non_null(after);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    err[0] = 0;
    assert_int_equal(musicgen_write_licenses(NULL, NULL, NULL, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "root"));
    assert_int_equal(
        musicgen_write_licenses("/nonexistent/ds", NULL, NULL, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "manifest.jsonl"));
    musicgen_config_destroy(&c);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

typedef struct {
    const musicgen_config *c;
    uint64_t index;
    unsigned char *mix;
    size_t len;
    char *json;
} tjob;

static void *
thread_run(void *arg)
{
    tjob *j = arg;
    char err[256];
    musicgen_engine *e = musicgen_engine_new(j->c, err, sizeof err);
    musicgen_sample *s;
    const void *p;

    if (!e || musicgen_generate(e, 9, j->index, &s) < 0)
        return NULL;
    p = musicgen_sample_wav(s, MUSICGEN_MIX, &j->len);
    j->mix = malloc(j->len);
    memcpy(j->mix, p, j->len);
    j->json = strdup(musicgen_sample_json(s, NULL));
    musicgen_sample_destroy(&s);
    musicgen_engine_destroy(&e);
    return NULL;
}

static void
four_threads_same_bytes(void **state)
{
    musicgen_config *c = short_config("mix-only");
    char err[256];
    pthread_t th[4];
    tjob j[4];
    musicgen_engine *e;

    (void)state;
    for (int i = 0; i < 4; i++) {
        j[i] = (tjob){c, (uint64_t)i, NULL, 0, NULL};
        assert_int_equal(pthread_create(&th[i], NULL, thread_run, &j[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    e = musicgen_engine_new(c, err, sizeof err);
    assert_non_null(e);
    for (int i = 0; i < 4; i++) {
        musicgen_sample *s;
        size_t n;
        const unsigned char *b;
        assert_non_null(j[i].mix);
        assert_int_equal(musicgen_generate(e, 9, (uint64_t)i, &s), 0);
        b = musicgen_sample_wav(s, MUSICGEN_MIX, &n);
        assert_int_equal(n, j[i].len);
        assert_memory_equal(b, j[i].mix, n);
        assert_string_equal(musicgen_sample_json(s, NULL), j[i].json);
        musicgen_sample_destroy(&s);
        free(j[i].mix);
        free(j[i].json);
    }
    musicgen_engine_destroy(&e);
    musicgen_config_destroy(&c);
}

typedef struct {
    float *mem;
    size_t frames;
    int channels, calls;
} f32_mem;

static float *
f32_alloc(void *user, size_t frames, int channels)
{
    f32_mem *m = user;

    free(m->mem);
    m->calls++;
    m->frames = frames;
    m->channels = channels;
    m->mem = calloc((MUSICGEN_NLAYERS + 1) * (size_t)channels * frames,
                    sizeof(float));
    return m->mem;
}

static float *
f32_refuse(void *user, size_t frames, int channels)
{
    (void)user;
    (void)frames;
    (void)channels;
    return NULL;
}

static void
f32_tracks(void **state)
{
    musicgen_config *c = short_config("full");
    char err[256] = "";
    musicgen_engine *e = musicgen_engine_new(c, err, sizeof err);
    musicgen_sample *w, *f, *g;
    f32_mem m = {0}, m2 = {0};
    musicgen_pcm pcm;
    const char *jf, *jg, *jw;
    size_t n;

    (void)state;
    assert_non_null(e);
    assert_int_equal(musicgen_generate(e, 77, 6, &w), 0);
    assert_int_equal(musicgen_generate_f32(e, 77, 6, f32_alloc, &m, 0, &f), 0);
    assert_int_equal(musicgen_sample_status(f), MUSICGEN_OK);
    assert_int_equal(m.calls, 1);
    assert_int_equal(m.channels, 2);
    /* sample.json and MIDI: the same bytes; no WAV bytes */
    jw = musicgen_sample_json(w, NULL);
    jf = musicgen_sample_json(f, &n);
    assert_string_equal(jw, jf);
    assert_null(musicgen_sample_wav(f, MUSICGEN_MIX, &n));
    assert_int_equal(n, 0);
    assert_int_equal(musicgen_sample_pcm(f, MUSICGEN_MIX, &pcm), -1);
    for (int t = 0; t <= MUSICGEN_MIX; t++) {
        const int16_t *x;
        size_t bad = 0;
        assert_int_equal(musicgen_sample_pcm(w, (musicgen_track)t, &pcm), 0);
        assert_int_equal(pcm.frames, m.frames);
        x = pcm.data;
        for (size_t i = 0; i < m.frames; i++)
            for (int ch = 0; ch < 2; ch++)
                bad += m.mem[((size_t)t * 2 + (size_t)ch) * m.frames + i] !=
                       (float)x[2 * i + (size_t)ch] / 32768.0f;
        assert_int_equal(bad, 0);
    }
    /* without the WAVs' checksums: sample.json less those four lines */
    assert_int_equal(musicgen_generate_f32(e, 77, 6, f32_alloc, &m2,
                                           MUSICGEN_NO_WAV_CHECKSUMS, &g), 0);
    jg = musicgen_sample_json(g, NULL);
    assert_null(strstr(jg, ".wav\": \""));
    assert_non_null(strstr(jf, "\"mix.wav\": \""));
    assert_non_null(strstr(jg, "\"midi/beat.mid\": \""));
    assert_true(strlen(jf) > strlen(jg));
    assert_memory_equal(m.mem, m2.mem,
                        (MUSICGEN_NLAYERS + 1) * 2 * m.frames * sizeof(float));
    /* into a file: the same bytes, in the same layout, sized to them */
    {
        char path[1024];
        size_t bytes = (MUSICGEN_NLAYERS + 1) * 2 * m.frames * sizeof(float);
        float *back = malloc(bytes);
        musicgen_sample *h;
        int fd;
        assert_non_null(tu_tmpdir(path, sizeof path, "test_lib_f32"));
        strncat(path, "/tracks", sizeof path - strlen(path) - 1);
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(musicgen_generate_f32_fd(e, 77, 6, fd,
                             MUSICGEN_NO_WAV_CHECKSUMS, &h), 0);
        assert_string_equal(musicgen_sample_json(h, NULL), jg);
        assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)bytes);
        assert_int_equal(pread(fd, back, bytes, 0), (ssize_t)bytes);
        assert_memory_equal(back, m.mem, bytes);
        musicgen_sample_destroy(&h);
        close(fd);
        /* a file it cannot write: the call fails (no re-rolled sample) */
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(musicgen_generate_f32_fd(e, 77, 6, fd, 0, &h), -1);
        assert_null(h);
        assert_non_null(strstr(musicgen_engine_error(e), "float tracks"));
        close(fd);
        assert_int_equal(musicgen_generate_f32_fd(e, 77, 6, -1, 0, &h), -1);
        free(back);
    }
    /* a refused allocation fails the call, naming it; bad flags too */
    musicgen_sample_destroy(&w);
    assert_int_equal(musicgen_generate_f32(e, 77, 6, f32_refuse, NULL, 0,
                                           &w), -1);
    assert_null(w);
    assert_non_null(strstr(musicgen_engine_error(e), "no memory"));
    assert_int_equal(musicgen_generate_f32(e, 77, 6, f32_alloc, &m2, 8, &w),
                     -1);
    assert_null(w);
    musicgen_sample_destroy(&f);
    musicgen_sample_destroy(&g);
    free(m.mem);
    free(m2.mem);
    musicgen_engine_destroy(&e);
    musicgen_config_destroy(&c);
}

static void
plan_seconds(void **state)
{
    musicgen_config *c = short_config("midi-only");
    char err[256] = "";
    musicgen_engine *e;
    musicgen_plan *p, *q;
    musicgen_sample *s;
    double fwd[12];
    int first = 0, differ = 0;

    (void)state;
    e = musicgen_engine_new(c, err, sizeof err);
    p = musicgen_plan_new(c, err, sizeof err);
    assert_non_null(e);
    assert_non_null(p);
    for (int i = 0; i < 12; i++) {
        fwd[i] = musicgen_plan_seconds(p, 77, (uint64_t)i);
        assert_true(fwd[i] > 0);
        differ |= i > 0 && fwd[i] != fwd[0];
        assert_int_equal(musicgen_generate(e, 77, (uint64_t)i, &s), 0);
        if (musicgen_sample_status(s) == MUSICGEN_OK &&
            musicgen_sample_attempt(s) == 1) {
            /* sample.json's duration is rounded to the microsecond */
            assert_true(fabs(fwd[i] - musicgen_sample_duration(s)) < 1e-6);
            first++;
        }
        musicgen_sample_destroy(&s);
    }
    assert_true(first > 6);
    assert_true(differ);
    /* a pure function: another plan, backwards, from a changed config */
    q = musicgen_plan_new(c, err, sizeof err);
    assert_int_equal(musicgen_config_set(c, "genre", "no-such-genre"), 0);
    for (int i = 11; i >= 0; i--)
        assert_true(musicgen_plan_seconds(q, 77, (uint64_t)i) == fwd[i]);
    assert_null(musicgen_plan_new(c, err, sizeof err));
    assert_non_null(strstr(err, "no-such-genre"));
    musicgen_plan_destroy(&p);
    musicgen_plan_destroy(&q);
    assert_null(p);
    musicgen_plan_destroy(&p);      /* NULL: a no-op */
    musicgen_engine_destroy(&e);
    musicgen_config_destroy(&c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_and_errors),
        cmocka_unit_test(null_arguments),
        cmocka_unit_test(memory_equals_directory),
        cmocka_unit_test(batch_manifest_and_rerun),
        cmocka_unit_test(four_threads_same_bytes),
        cmocka_unit_test(f32_tracks),
        cmocka_unit_test(plan_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
