/*
 * test_pools — the soundfont registry, selection, licence gate and draws
 * (common/audio/pools.c) and the file readers behind them
 * (common/audio/sfont.c), on the real Debian fonts and libfluidsynth.
 * Pins: every registry entry carries a licence, class and attribution;
 * the default selection is four permissive fonts; an opt-in font is
 * refused with one line naming it unless the licence is accepted, and then
 * announced; unknown names, kit-less beat fonts and dropped-in fonts
 * without a licence are caught; draws only pick fonts that have the
 * program and record the preset's own name and GM class; preset tables
 * read from the file equal FluidSynth's; an SF3 expanded into the cache
 * renders bit-identically to FluidSynth decoding the SF3 itself; and the
 * preset reader survives truncated and corrupt files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fluidsynth.h>

#include "audio_priv.h"
#include "pools.h"
#include "rng.h"
#include "sfont.h"

#define SF_DIR MG_SRC_DIR "/sf"
#define TIM "/usr/share/sounds/sf2/TimGM6mb.sf2"
#define GS "/usr/share/sounds/sf2/FluidR3_GS.sf2"
#define GM "/usr/share/sounds/sf2/FluidR3_GM.sf2"
#define AVL "/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2"
#define MONO "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"

static void
quiet(int level, const char *msg, void *data)
{
    (void)level;
    (void)msg;
    (void)data;
}

static char *
tmpdir(void)
{
    static char d[64];
    snprintf(d, sizeof d, "%s/poolsXXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(d);
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
registry_entries_carry_licences(void **state)
{
    char err[512] = "";
    mg_pools *p = mg_pools_registry(SF_DIR, err, sizeof err);
    int ndef = 0;

    (void)state;
    assert_non_null(p);
    assert_true(mg_pools_count(p) >= 11);
    for (int i = 0; i < mg_pools_count(p); i++) {
        const mg_font_info *f = mg_pools_font(p, i);
        assert_string_not_equal(f->license, "unknown");
        assert_non_null(f->attribution);
        assert_non_null(f->copyright);
        assert_true(f->debian_package[0] != 0);
        assert_true(f->license_url[0] != 0);
        /* the default selection is dataset-safe only */
        if (f->is_default) {
            assert_string_equal(f->license_class, "permissive");
            ndef++;
        }
        assert_int_equal(f->opt_in,
                         strcmp(f->license_class, "permissive") != 0);
    }
    assert_int_equal(ndef, 4);
    assert_true(mg_pools_find(p, "TimGM6mb") >= 0);
    assert_true(mg_pools_font(p, mg_pools_find(p, "TimGM6mb"))->opt_in);
    assert_true(mg_pools_font(p, mg_pools_find(p, "OPL3_FM_128M"))->opt_in);
    mg_pools_destroy(&p);
    assert_null(p);
}

static void
default_pools_are_four_permissive_fonts(void **state)
{
    char err[512] = "", note[512];
    mg_pools *p = mg_pools_load(SF_DIR, "default", false, err, sizeof err);
    const int *idx;

    (void)state;
    assert_non_null(p);
    for (int l = 0; l < MG_NLAYERS; l++) {
        int n = mg_pools_layer(p, l, &idx);
        assert_int_equal(n, 4);
        for (int i = 0; i < n; i++) {
            const mg_font_info *f = mg_pools_font(p, idx[i]);
            assert_true(f->selected);
            assert_false(f->opt_in);
            assert_true(f->npresets > 100);
            if (l == MG_LAYER_BEAT)
                assert_true(f->nkits > 0);
        }
    }
    assert_int_equal(mg_pools_notice(p, note, sizeof note), 0);
    assert_string_equal(note, "");
    mg_pools_destroy(&p);
}

static void
opt_in_font_refused_without_accept(void **state)
{
    char err[1024] = "", note[1024];
    mg_pools *p;

    (void)state;
    p = mg_pools_load(SF_DIR, "default,TimGM6mb", false, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "TimGM6mb"));
    assert_non_null(strstr(err, "GPL-2.0"));
    assert_non_null(strstr(err, "--accept-license"));
    assert_null(strchr(err, '\n'));
    /* two: both named, in one line */
    p = mg_pools_load(SF_DIR, "FluidR3_GM,TimGM6mb,AVL_Black_Pearl_4",
                      false, err, sizeof err);
    assert_null(p);
    assert_non_null(strstr(err, "TimGM6mb"));
    assert_non_null(strstr(err, "AVL_Black_Pearl_4"));
    assert_null(strchr(err, '\n'));

    p = mg_pools_load(SF_DIR, "default,TimGM6mb,AVL_Black_Pearl_4", true,
                      err, sizeof err);
    assert_non_null(p);
    assert_int_equal(mg_pools_notice(p, note, sizeof note), 2);
    assert_non_null(strstr(note, "TimGM6mb (GPL-2.0-only, copyleft)"));
    assert_non_null(strstr(note, "AVL_Black_Pearl_4"));
    {
        const int *idx;
        /* the AVL kit joins only the beat pool */
        assert_int_equal(mg_pools_layer(p, MG_LAYER_BEAT, &idx), 6);
        assert_int_equal(mg_pools_layer(p, MG_LAYER_MELODY, &idx), 5);
    }
    mg_pools_destroy(&p);
}

static void
bad_selections_and_registries_are_named(void **state)
{
    char err[1024] = "", p[1200], *d = tmpdir();
    mg_pools *pl;

    (void)state;
    pl = mg_pools_load(SF_DIR, "default,NoSuchFont", false, err, sizeof err);
    assert_null(pl);
    assert_non_null(strstr(err, "NoSuchFont"));

    /* a font without a kit in the beat pool (the AVL kit is a bank-0
     * preset: without the registry's drum_kits it has none) */
    snprintf(p, sizeof p, "%s/registry.json", d);
    write_file(p, "{\"fonts\": [{\"name\": \"gs\", \"path\": \"" AVL "\", "
                  "\"license\": \"MIT\", \"license_class\": \"permissive\", "
                  "\"layers\": [\"beat\", \"melody\", \"harmony\", "
                  "\"bassline\"]}]}");
    pl = mg_pools_load(d, NULL, false, err, sizeof err);
    assert_null(pl);
    assert_non_null(strstr(err, "gs"));
    assert_non_null(strstr(err, "drum kit"));

    /* a key given twice (the last silently won: another licence) */
    write_file(p, "{\"fonts\": [{\"name\": \"tim\", \"path\": \"" TIM "\",\n"
                  "\"license\": \"MIT\", \"license_class\": \"permissive\",\n"
                  "\"license_class\": \"copyleft\", \"layers\": [\"beat\"]}]}");
    pl = mg_pools_load(d, NULL, true, err, sizeof err);
    assert_null(pl);
    assert_non_null(strstr(err, "registry.json:3: duplicate object key"));

    /* a bad licence class names the field */
    write_file(p, "{\"fonts\": [{\"path\": \"" TIM "\", \"license\": "
                  "\"GPL\", \"license_class\": \"free\", \"layers\": "
                  "[\"beat\"]}]}");
    pl = mg_pools_load(d, NULL, true, err, sizeof err);
    assert_null(pl);
    assert_non_null(strstr(err, "license_class"));

    /* a dropped-in font without a licence file is opt-in (unknown) */
    write_file(p, "{\"fonts\": [{\"name\": \"tim\", \"path\": \"" TIM "\", "
                  "\"license\": \"MIT\", \"license_class\": \"permissive\", "
                  "\"layers\": [\"beat\", \"melody\", \"harmony\", "
                  "\"bassline\"]}]}");
    snprintf(p, sizeof p, "%s/melody", d);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "cp " TIM " %s/melody/mine.sf2", d);
    assert_int_equal(system(p), 0);
    pl = mg_pools_load(d, NULL, false, err, sizeof err);
    assert_null(pl);
    assert_non_null(strstr(err, "mine (unknown, unknown)"));
    /* ... and takes its licence from NAME.sf2.json */
    snprintf(p, sizeof p, "%s/melody/mine.sf2.json", d);
    write_file(p, "{\"name\": \"Mine\", \"license\": \"CC0-1.0\", "
                  "\"license_class\": \"permissive\", \"attribution\": "
                  "\"none needed\"}");
    pl = mg_pools_load(d, NULL, false, err, sizeof err);
    if (!pl)
        print_error("%s\n", err);
    assert_non_null(pl);
    assert_true(mg_pools_find(pl, "Mine") >= 0);
    assert_string_equal(
        mg_pools_font(pl, mg_pools_find(pl, "Mine"))->license, "CC0-1.0");
    mg_pools_destroy(&pl);
}

static void
draws_pick_fonts_with_the_program(void **state)
{
    char err[1024] = "", p[1200], *d = tmpdir();
    mg_pools *pl;
    mg_rng rng;
    int seen[2] = {0, 0};

    (void)state;
    /* GS has only programs 120-127 (variation banks): never drawn for a
     * piano, drawn (with its variation bank) for program 125 */
    snprintf(p, sizeof p, "%s/registry.json", d);
    write_file(p, "{\"fonts\": [{\"name\": \"GS\", \"path\": \"" GS "\", "
                  "\"license\": \"MIT\", \"license_class\": \"permissive\", "
                  "\"layers\": [\"melody\"]}, {\"name\": \"GM\", \"path\": "
                  "\"" GM "\", \"license\": \"MIT\", \"license_class\": "
                  "\"permissive\", \"layers\": [\"beat\", \"melody\", "
                  "\"harmony\", \"bassline\"]}]}");
    pl = mg_pools_load(d, NULL, false, err, sizeof err);
    assert_non_null(pl);
    mg_rng_seed(&rng, 7);
    for (int i = 0; i < 200; i++) {
        mg_font_draw fd;
        mg_pools_draw(pl, MG_LAYER_MELODY, 0, NULL, 0, &rng, &fd);
        assert_string_equal(mg_pools_font(pl, fd.font)->name, "GM");
        assert_int_equal(fd.bank, 0);
        assert_int_equal(fd.program, 0);
        assert_string_equal(fd.gm_class, "Piano");
        mg_pools_draw(pl, MG_LAYER_MELODY, 125, NULL, 0, &rng, &fd);
        seen[!strcmp(mg_pools_font(pl, fd.font)->name, "GS")]++;
        if (!strcmp(mg_pools_font(pl, fd.font)->name, "GS"))
            assert_int_equal(fd.bank, 1);   /* lowest variation bank */
        assert_string_equal(fd.gm_class, "Sound Effects");
        mg_pools_draw(pl, MG_LAYER_BEAT, 25, NULL, 0, &rng, &fd);
        assert_int_equal(fd.bank, 128);
        assert_int_equal(fd.program, 25);
        assert_string_equal(fd.preset, "TR-808");
        assert_string_equal(fd.gm_class, "Drums");
        /* a kit the font lacks: kit 0 */
        mg_pools_draw(pl, MG_LAYER_BEAT, 99, NULL, 0, &rng, &fd);
        assert_int_equal(fd.program, 0);
        assert_string_equal(fd.preset, "Standard");
    }
    assert_true(seen[0] > 50 && seen[1] > 50);
    assert_string_equal(mg_gm_class(0, 33, false), "Bass");
    assert_string_equal(mg_gm_class(0, 48, false), "Strings (continued)");
    assert_string_equal(mg_gm_class(0, 80, false), "Synth Lead");
    mg_pools_destroy(&pl);
}

/* The preset table read from the file equals FluidSynth's own. */
static void
preset_table_matches_fluidsynth(void **state)
{
    const char *files[] = {TIM, GS, MONO};
    char err[512];

    (void)state;
    fluid_set_log_function(FLUID_WARN, quiet, NULL);
    fluid_set_log_function(FLUID_INFO, quiet, NULL);
    for (size_t k = 0; k < 3; k++) {
        fluid_settings_t *st = new_fluid_settings();
        fluid_synth_t *syn;
        fluid_sfont_t *sf;
        fluid_preset_t *pr;
        mg_sf_preset *v;
        int n, ver, id, count = 0;

        /* dynamic loading: the table without decoding every sample */
        fluid_settings_setint(st, "synth.dynamic-sample-loading", 1);
        syn = new_fluid_synth(st);
        assert_int_equal(mg_sfont_presets(files[k], &v, &n, &ver, err,
                                          sizeof err), 0);
        assert_int_equal(ver, k == 2 ? 3 : 2);
        id = fluid_synth_sfload(syn, files[k], 0);
        assert_true(id >= 0);
        sf = fluid_synth_get_sfont_by_id(syn, id);
        fluid_sfont_iteration_start(sf);
        while ((pr = fluid_sfont_iteration_next(sf))) {
            int b = fluid_preset_get_banknum(pr), p = fluid_preset_get_num(pr);
            bool found = false;
            for (int i = 0; i < n && !found; i++)
                found = v[i].bank == b && v[i].program == p &&
                        !strncmp(v[i].name, fluid_preset_get_name(pr), 20);
            assert_true(found);
            count++;
        }
        assert_int_equal(count, n);
        free(v);
        delete_fluid_synth(syn);
        delete_fluid_settings(st);
    }
}

static float *
render_with(const char *file, bool dynamic, bool ours, int frames)
{
    fluid_settings_t *st = new_fluid_settings();
    fluid_synth_t *syn;
    float *out = calloc(2 * (size_t)frames, sizeof *out);
    const int progs[] = {0, 24, 33, 48, 56, 73, 81, 89};
    int id, pos = 0;

    fluid_settings_setint(st, "synth.reverb.active", 0);
    fluid_settings_setint(st, "synth.chorus.active", 0);
    fluid_settings_setint(st, "synth.dynamic-sample-loading", dynamic);
    syn = new_fluid_synth(st);
    if (ours)
        assert_int_equal(audio_add_font_loader(syn), 0);
    id = fluid_synth_sfload(syn, file, 1);
    assert_true(id >= 0);
    for (int c = 0; c < 8; c++)
        fluid_synth_program_select(syn, c, id, 0, progs[c]);
    fluid_synth_set_channel_type(syn, 9, CHANNEL_TYPE_DRUM);
    fluid_synth_program_select(syn, 9, id, 128, 0);
    /* long notes, so the loops play */
    for (int step = 0; step < 4; step++) {
        int len = frames / 4;
        for (int c = 0; c < 8; c++)
            fluid_synth_noteon(syn, c, 48 + 5 * step + c, 100);
        fluid_synth_noteon(syn, 9, 36 + step, 100);
        fluid_synth_write_float(syn, len, out, 2 * pos, 2, out, 2 * pos + 1,
                                2);
        pos += len;
        for (int c = 0; c < 8; c++)
            fluid_synth_noteoff(syn, c, 48 + 5 * step + c);
    }
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
    return out;
}

static float *
render(const char *file, bool dynamic, int frames)
{
    return render_with(file, dynamic, false, frames);
}

/* The master synths' loader (stdio callbacks, sample data on huge pages)
 * loads what FluidSynth's own loader loads: the same sounds, bit for bit,
 * for fonts whose sample data is one large read (TimGM6mb, Csound's
 * GMbank: 4-6 MB); a file that is not there fails as with FluidSynth's. */
static void
font_loader_renders_like_fluidsynths(void **state)
{
    const char *files[] = {TIM, "/usr/share/sounds/sf2/sf_GMbank.sf2"};
    const int frames = 44100 * 4;

    (void)state;
    fluid_set_log_function(FLUID_ERR, quiet, NULL);
    for (size_t k = 0; k < 2; k++) {
        float *a = render_with(files[k], false, false, frames);
        float *b = render_with(files[k], false, true, frames);
        double peak = 0;
        for (int i = 0; i < 2 * frames; i++) {
            assert_true(a[i] == b[i]);
            if (a[i] > peak)
                peak = a[i];
        }
        assert_true(peak > 0.01);
        free(a);
        free(b);
    }
    fluid_settings_t *st = new_fluid_settings();
    fluid_synth_t *syn = new_fluid_synth(st);
    assert_int_equal(audio_add_font_loader(syn), 0);
    assert_int_equal(fluid_synth_sfload(syn, "/nonexistent/x.sf2", 0),
                     FLUID_FAILED);
    delete_fluid_synth(syn);
    delete_fluid_settings(st);
}

static void
sf3_expansion_renders_like_fluidsynth(void **state)
{
    char err[512] = "", out[1200], again[1200];
    const int frames = 44100 * 12;
    float *a, *b;
    double peak = 0;
    struct stat st;

    (void)state;
    assert_int_equal(mg_sfont_expand(MONO, out, sizeof out, err,
                                     sizeof err), 0);
    assert_int_equal(stat(out, &st), 0);
    assert_true(st.st_size > 100000000);    /* decoded: ~119 MB */
    /* cached: the same path, not made again */
    assert_int_equal(mg_sfont_expand(MONO, again, sizeof again, err,
                                     sizeof err), 0);
    assert_string_equal(out, again);
    /* FluidSynth decoding the SF3 itself, all samples at load */
    a = render(MONO, false, frames);
    b = render(out, false, frames);
    for (int i = 0; i < 2 * frames; i++) {
        assert_true(a[i] == b[i]);
        if (a[i] > peak)
            peak = a[i];
    }
    assert_true(peak > 0.01);
    free(a);
    free(b);
}

static void
preset_reader_survives_bad_files(void **state)
{
    char err[512], p[1200], *d = tmpdir();
    mg_sf_preset *v;
    int n, ver;
    unsigned char buf[4096];
    FILE *f;

    (void)state;
    snprintf(p, sizeof p, "%s/cut.sf2", d);
    snprintf((char *)buf, sizeof buf, "head -c 100000 " GM " > %s", p);
    assert_int_equal(system((char *)buf), 0);
    assert_int_equal(mg_sfont_presets(p, &v, &n, &ver, err, sizeof err), -1);
    assert_non_null(strstr(err, "cut.sf2"));
    write_file(p, "RIFF\x10\0\0\0sfbkjunkjunk");
    assert_int_equal(mg_sfont_presets(p, &v, &n, &ver, err, sizeof err), -1);
    assert_non_null(strstr(err, "cut.sf2"));
    /* random bytes behind a valid header, from memory */
    for (int seed = 1; seed < 50; seed++) {
        srand((unsigned)seed);
        memcpy(buf, "RIFF\xf0\x0f\0\0sfbk", 12);
        for (size_t i = 12; i < sizeof buf; i++)
            buf[i] = (unsigned char)(rand() % 7 == 0 ? 'L' : rand());
        f = fmemopen(buf, sizeof buf, "rb");
        if (mg_sfont_read_presets(f, "mem", &v, &n, &ver, err,
                                  sizeof err) == 0)
            free(v);
        fclose(f);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_entries_carry_licences),
        cmocka_unit_test(default_pools_are_four_permissive_fonts),
        cmocka_unit_test(opt_in_font_refused_without_accept),
        cmocka_unit_test(bad_selections_and_registries_are_named),
        cmocka_unit_test(draws_pick_fonts_with_the_program),
        cmocka_unit_test(preset_table_matches_fluidsynth),
        cmocka_unit_test(sf3_expansion_renders_like_fluidsynth),
        cmocka_unit_test(font_loader_renders_like_fluidsynths),
        cmocka_unit_test(preset_reader_survives_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
