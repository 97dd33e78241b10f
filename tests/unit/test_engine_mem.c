/*
 * test_engine_mem — a sample made in memory (mg_engine_make) is the
 * bytes of the same sample's directory (mg_engine_run): sample.json, the
 * four MIDIs and every WAV the output mode writes, in pcm16 and pcm24,
 * in mix-only (float, no stems) and midi-only (no audio); one engine
 * serves two global seeds; an engine with no output root makes memory samples
 * and refuses directory ones with a clear error; and samples made into
 * buffers handed back by mg_engine_recycle (longer, then shorter, then
 * longer songs) are the bytes a fresh engine makes, in the same buffers
 * where they fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "engine.h"
#include "util/tutil.h"

static void
same_file(const char *dir, const char *rel, const void *mem, size_t len)
{
    char p[1400];
    size_t n = 0;
    char *disk;

    snprintf(p, sizeof p, "%s/%s", dir, rel);
    disk = tu_slurp(p, &n);
    if (!mem) {
        assert_null(disk);      /* the mode makes no such file */
        return;
    }
    assert_non_null(disk);
    assert_int_equal(n, len);
    assert_memory_equal(disk, mem, len);
    free(disk);
}

static void
config(mg_config *c, const char *out, const char *mode, const char *fmt)
{
    char err[256];

    mg_config_defaults(c);
    snprintf(c->out_dir, sizeof c->out_dir, "%s", out);
    c->global_seed = 11;
    c->seed_set = true;
    assert_int_equal(mg_config_set(c, "measures-per-part",
                                   "intro=1,verse=1,chorus=1,bridge=1,outro=1",
                                   err, sizeof err), 0);
    assert_int_equal(mg_config_set(c, "output-mode", mode, err, sizeof err),
                     0);
    assert_int_equal(mg_config_set(c, "sample-format", fmt, err, sizeof err),
                     0);
}

static void
check_mode(const char *mode, const char *fmt)
{
    char root[1024], err[256] = "", cmd[1200];
    mg_config c;
    mg_engine *e;
    mg_sample_mem m;
    mg_row row;

    assert_non_null(tu_tmpdir(root, sizeof root, "test_engine_mem"));
    config(&c, root, mode, fmt);
    e = mg_engine_new(&c, err, sizeof err);
    assert_non_null(e);
    /* two global seeds through one engine where it matters most */
    int64_t last = strcmp(fmt, "pcm16") || strcmp(mode, "full") ? 11 : 12;
    for (int64_t gs = 11; gs <= last; gs++) {
        char dir[1300];
        assert_int_equal(mg_engine_run_at(e, root, gs, 3, &row, err,
                                          sizeof err), 0);
        assert_int_equal(row.status, MG_ROW_OK);
        assert_int_equal(mg_engine_make(e, gs, 3, &m, err, sizeof err), 0);
        assert_int_equal(m.row.status, MG_ROW_OK);
        assert_int_equal(m.row.seed, row.seed);
        assert_string_equal(m.row.path, row.path);
        snprintf(dir, sizeof dir, "%s/%s", root, row.path);
        same_file(dir, "sample.json", m.json, m.json_len);
        for (int l = 0; l < MG_NLAYERS; l++) {
            char rel[64];
            snprintf(rel, sizeof rel, "midi/%s.mid",
                     mg_layer_name((mg_layer)l));
            same_file(dir, rel, m.midi[l].data, m.midi[l].len);
            snprintf(rel, sizeof rel, "stems/%s.wav",
                     mg_layer_name((mg_layer)l));
            same_file(dir, rel, m.wav[l], m.wav_len[l]);
        }
        same_file(dir, "mix.wav", m.wav[MG_NLAYERS], m.wav_len[MG_NLAYERS]);
        if (strcmp(mode, "midi-only"))
            assert_non_null(m.wav[MG_NLAYERS] ? m.wav[MG_NLAYERS]
                                              : m.wav[0]);
        mg_sample_mem_free(&m);
        /* the next directory run goes elsewhere: one root per seed */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'/0*", root);
        assert_int_equal(system(cmd), 0);
    }
    mg_engine_destroy(&e);
    assert_null(e);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void
full_pcm16_same_bytes(void **state)
{
    (void)state;
    check_mode("full", "pcm16");
}

static void
full_pcm24_same_bytes(void **state)
{
    (void)state;
    check_mode("full", "pcm24");
}

static void
mix_only_same_bytes(void **state)
{
    (void)state;
    check_mode("mix-only", "float");
}

static void
midi_only_same_bytes(void **state)
{
    (void)state;
    check_mode("midi-only", "pcm16");
}

static void
no_root_memory_only(void **state)
{
    char err[256] = "";
    mg_config c;
    mg_engine *e;
    mg_sample_mem m;
    mg_row row;

    (void)state;
    config(&c, "", "midi-only", "pcm16");
    e = mg_engine_new(&c, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(mg_engine_make(e, 5, 0, &m, err, sizeof err), 0);
    assert_int_equal(m.row.status, MG_ROW_OK);
    assert_non_null(strstr(m.json, "\"sample_index\": 0"));
    mg_sample_mem_free(&m);
    assert_int_equal(mg_engine_run(e, 0, &row, err, sizeof err), -1);
    assert_non_null(strstr(err, "no output directory"));
    mg_engine_destroy(&e);
}

static void
recycled_buffers_same_bytes(void **state)
{
    char err[256] = "";
    mg_config c;
    mg_engine *a, *b;
    mg_sample_mem m, ref;
    const unsigned char *held = NULL;
    size_t held_cap = 0;
    int reused = 0;
    /* seed 11, one measure a part: mix.wav of index 0 is 1.97 MB, 1 is
     * 1.75, 2 is 1.39, 3 is 2.95: shorter twice, longer, shorter */
    const uint64_t order[] = {0, 1, 2, 3, 1};

    (void)state;
    config(&c, "", "full", "pcm16");
    a = mg_engine_new(&c, err, sizeof err);
    b = mg_engine_new(&c, err, sizeof err);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        assert_int_equal(mg_engine_make(a, 11, order[k], &m, err,
                                        sizeof err), 0);
        assert_int_equal(mg_engine_make(b, 11, order[k], &ref, err,
                                        sizeof err), 0);
        assert_int_equal(m.row.status, MG_ROW_OK);
        assert_int_equal(m.json_len, ref.json_len);
        assert_memory_equal(m.json, ref.json, m.json_len);
        for (int l = 0; l <= MG_NLAYERS; l++) {
            assert_non_null(m.wav[l]);
            assert_true(m.wav_cap[l] >= m.wav_len[l]);
            assert_int_equal(m.wav_len[l], ref.wav_len[l]);
            assert_memory_equal(m.wav[l], ref.wav[l], m.wav_len[l]);
        }
        if (held) {
            if (m.wav_len[MG_NLAYERS] <= held_cap) {
                assert_ptr_equal(m.wav[MG_NLAYERS], held);
                reused++;
            } else
                assert_true(m.wav_cap[MG_NLAYERS] >= m.wav_len[MG_NLAYERS]);
        }
        held = m.wav[MG_NLAYERS];
        held_cap = m.wav_cap[MG_NLAYERS];
        mg_engine_recycle(a, &m);
        for (int l = 0; l <= MG_NLAYERS; l++)
            assert_null(m.wav[l]);
        mg_sample_mem_free(&ref);   /* b gets fresh memory every time */
    }
    assert_int_equal(reused, 3);
    mg_engine_destroy(&a);
    mg_engine_destroy(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_pcm16_same_bytes),
        cmocka_unit_test(full_pcm24_same_bytes),
        cmocka_unit_test(mix_only_same_bytes),
        cmocka_unit_test(midi_only_same_bytes),
        cmocka_unit_test(no_root_memory_only),
        cmocka_unit_test(recycled_buffers_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
