/*
 * test_config — precedence (defaults < file < env < command line), the
 * one-line errors, and the run-config JSON round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "song.h"

static int
parse(mg_config *c, char *err, int argc, char **argv)
{
    char *rest[32];
    int nrest;
    return mg_config_from_args(c, argc, argv, NULL, rest, &nrest, err, 512);
}

/* A new config file holding text: its name into path
 * ("/tmp/mgcfgXXXXXX", made unique). */
static void
conf_new(char *path, const char *text)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A key given twice in a config file: the last silently won (count = 3
 * then count = 5 made 5 samples); refused naming the file, the line, the
 * key and its first line. genre, a list, repeats to merge. */
static void
config_file_key_twice_is_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/mgcfgXXXXXX", err[512], want[600];
    conf_new(path, "seed = 1\ncount = 3\n# again\ngenre = jazz\n"
             "genre = latin\n  count=5\n");
    mg_config c;
    char *argv[] = {"generate", "--config", path};
    assert_int_equal(parse(&c, err, 3, argv), -1);
    snprintf(want, sizeof want, "%s:6: count is given twice (first at line "
             "2)", path);
    assert_string_equal(err, want);
    /* a flag named alone and then with a value */
    FILE *f = fopen(path, "w");
    fputs("verbose\nquiet = no\nverbose = false\n", f);
    fclose(f);
    assert_int_equal(parse(&c, err, 3, argv), -1);
    snprintf(want, sizeof want, "%s:3: verbose is given twice (first at "
             "line 1)", path);
    assert_string_equal(err, want);
    unlink(path);
}

/* -w1 as well as -w 1 (getopt's attached value); a flag takes nothing
 * attached */
static void
short_options_take_attached_values(void **state)
{
    (void)state;
    char err[512];
    mg_config c;
    char *argv[] = {"generate", "-w1", "-n", "4", "-s-7", "-ods", "-gjazz",
                    "-q"};
    assert_int_equal(parse(&c, err, 8, argv), 0);
    assert_int_equal(c.workers, 1);
    assert_int_equal(c.count, 4);
    assert_true(c.seed_set && c.global_seed == -7);
    assert_string_equal(c.out_dir, "ds");
    assert_int_equal(c.ngenres, 1);
    assert_string_equal(c.genres[0], "jazz");
    assert_int_equal(c.verbose, -1);
    char *bad[] = {"generate", "-n0"};
    assert_int_equal(parse(&c, err, 2, bad), -1);
    assert_string_equal(err, "--count: must be a positive integer, got '0'");
    char *flag[] = {"generate", "-qx"};
    assert_int_equal(parse(&c, err, 2, flag), -1);
    assert_string_equal(err, "unknown option '-qx'");
}

static void
defaults_are_the_python_tools(void **state)
{
    (void)state;
    mg_config c;
    mg_config_defaults(&c);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.output_mode, MG_OUT_FULL);
    assert_int_equal(c.shard_width, 0);
    assert_int_equal(c.max_attempts, 1);
    assert_true(c.split[0] == 0.8 && c.split[1] == 0.1 && c.split[2] == 0.1);
    assert_int_equal(c.sample_rate, 44100);
}

static void
precedence_file_env_cli(void **state)
{
    (void)state;
    char path[] = "/tmp/mgcfgXXXXXX";
    conf_new(path, "# a comment\ncount = 7\nshard-width = 2\ngenre = jazz\n"
               "genre = latin\noutput-mode = midi-only\n");
    setenv("MUSICGEN_SHARD_WIDTH", "3", 1);
    setenv("MUSICGEN_GENRE", "pop,rock", 1);
    char *argv[] = {"generate", "--config", path, "--seed", "42", "-n", "9"};
    mg_config c;
    char err[512];
    assert_int_equal(parse(&c, err, 7, argv), 0);
    assert_int_equal(c.count, 9);          /* CLI beats file */
    assert_int_equal(c.shard_width, 3);    /* env beats file */
    assert_int_equal(c.output_mode, MG_OUT_MIDI_ONLY); /* file beats default */
    assert_int_equal(c.ngenres, 2);        /* env list replaces file list */
    assert_string_equal(c.genres[0], "pop");
    assert_string_equal(c.genres[1], "rock");
    assert_true(c.seed_set);
    char *argv2[] = {"generate", "--genre=blues", "-g", "jazz"};
    assert_int_equal(parse(&c, err, 4, argv2), 0);
    assert_int_equal(c.ngenres, 2); /* CLI list replaces env list */
    assert_string_equal(c.genres[0], "blues");
    unsetenv("MUSICGEN_SHARD_WIDTH");
    unsetenv("MUSICGEN_GENRE");
    remove(path);
}

/* A flag in a file took only a bare name or "= true": "accept-license =
 * false" was refused as "expected no value", and a variable set to 0 or
 * false was skipped, so it could not turn off what the file turned on. */
static void
flags_take_true_or_false_in_files_and_env(void **state)
{
    (void)state;
    char path[] = "/tmp/mgcfgXXXXXX";
    conf_new(path, "accept-license = yes\nverbose\nquiet = false\n");
    char *argv[] = {"generate", "--config", path};
    mg_config c;
    char err[512];
    assert_int_equal(parse(&c, err, 3, argv), 0);
    assert_true(c.accept_license);
    assert_int_equal(c.verbose, 1);
    setenv("MUSICGEN_ACCEPT_LICENSE", "0", 1);
    setenv("MUSICGEN_VERBOSE", "false", 1);
    assert_int_equal(parse(&c, err, 3, argv), 0);
    assert_false(c.accept_license);      /* env beats file */
    assert_int_equal(c.verbose, 0);
    char *argv2[] = {"generate", "--config", path, "--accept-license", "-q"};
    assert_int_equal(parse(&c, err, 5, argv2), 0);
    assert_true(c.accept_license);       /* CLI beats env */
    assert_int_equal(c.verbose, -1);
    setenv("MUSICGEN_ACCEPT_LICENSE", "maybe", 1);
    assert_int_equal(parse(&c, err, 3, argv), -1);
    assert_non_null(strstr(err, "MUSICGEN_ACCEPT_LICENSE: accept-license: "
                                "must be true or false, got 'maybe'"));
    unsetenv("MUSICGEN_ACCEPT_LICENSE");
    unsetenv("MUSICGEN_VERBOSE");
    FILE *f = fopen(path, "w");
    fprintf(f, "quiet = loud\n");
    fclose(f);
    assert_int_equal(parse(&c, err, 3, argv), -1);
    assert_non_null(strstr(err, ":1: quiet: must be true or false, got "
                                "'loud'"));
    remove(path);
}

/* A Windows editor's file: a byte order mark and CRLF lines. The first
 * line was "unknown option 'seed'", the mark inside the name. */
static void
config_file_with_bom_and_crlf_reads(void **state)
{
    (void)state;
    char path[] = "/tmp/mgcfgXXXXXX";
    conf_new(path, "\xef\xbb\xbfseed = 5\r\ncount = 3\r\n");
    char *argv[] = {"generate", "--config", path};
    mg_config c;
    char err[512];
    assert_int_equal(parse(&c, err, 3, argv), 0);
    assert_int_equal(c.global_seed, 5);
    assert_int_equal(c.count, 3);
    remove(path);
}

/* A quoted value is what is between the quotes: out = "./my ds" made a
 * directory named '"' holding 'my ds"', and seed = "5" was refused. A
 * '#' inside the quotes is no comment; an unclosed quote or text after
 * the closing one is refused, naming the line and the option. */
static void
config_file_values_in_quotes(void **state)
{
    (void)state;
    char path[] = "/tmp/mgcfgXXXXXX";
    conf_new(path, "seed = \"5\"   # the seed\r\nout = './my #1 ds'\n"
               "genre=\" jazz, latin \"\ncount = 3 # three\n");
    char *argv[] = {"generate", "--config", path};
    mg_config c;
    char err[512];
    assert_int_equal(parse(&c, err, 3, argv), 0);
    assert_int_equal(c.global_seed, 5);
    assert_string_equal(c.out_dir, "./my #1 ds");
    assert_int_equal(c.ngenres, 2);
    assert_int_equal(c.count, 3);
    const char *bad[][2] = {
        {"out = \"./ds\n", ":1: out: no closing quote"},
        {"count = 3\nout = \"a\" b\n", ":2: out: text after the closing quote"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i][0], f);
        fclose(f);
        assert_int_equal(parse(&c, err, 3, argv), -1);
        assert_non_null(strstr(err, bad[i][1]));
    }
    remove(path);
}

static void
bad_values_give_one_line_errors(void **state)
{
    (void)state;
    mg_config c;
    char err[512];
    struct {
        char *argv[4];
        const char *want;
    } cases[] = {
        {{"g", "--count", "0"}, "--count: must be a positive integer"},
        {{"g", "--shard-width", "6"}, "--shard-width: must be an integer 0..5"},
        {{"g", "--split", "0.5,0.2,0.2"}, "--split: ratios must sum to 1"},
        {{"g", "--output-mode", "wav"}, "--output-mode: must be full"},
        {{"g", "--bogus", "1"}, "unknown option '--bogus'"},
        {{"g", "--seed", "x1"}, "--seed: must be an integer"},
        {{"g", "--min-musicality-score", "2"},
         "--min-musicality-score: must be a number in [0,1]"},
        {{"g", "--measures-per-part", "coda=3"},
         "--measures-per-part: unknown part 'coda'"},
        {{"g", "--count"}, "--count needs a value"},
        /* past 2^63: they said "must be a positive integer" */
        {{"g", "--count", "99999999999999999999"},
         "--count: 99999999999999999999 is more than the 10000000 samples"},
        {{"g", "--start", "99999999999999999999"},
         "--start: 99999999999999999999 is past the largest index"},
        {{"g", "--count", "-99999999999999999999"},
         "--count: must be a positive integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int argc = 0;
        while (argc < 4 && cases[i].argv[argc])
            argc++;
        err[0] = 0;
        assert_int_equal(parse(&c, err, argc, cases[i].argv), -1);
        assert_non_null(strstr(err, cases[i].want));
        assert_null(strchr(err, '\n'));
    }
    /* a list longer than its buffer was cut: the last genre of
     * "jazz,jazz,..." became 'jaz' */
    char longlist[1300] = "jazz";
    while (strlen(longlist) < 1200)
        strcat(longlist, ",jazz");
    char *argv_long[] = {"g", "--genre", longlist};
    assert_int_equal(parse(&c, err, 3, argv_long), -1);
    assert_non_null(strstr(err, "--genre: too long (1204 characters, at "
                                "most 1023)"));
    setenv("MUSICGEN_COUNT", "-4", 1);
    char *argv[] = {"g"};
    assert_int_equal(parse(&c, err, 1, argv), -1);
    assert_non_null(strstr(err, "MUSICGEN_COUNT"));
    unsetenv("MUSICGEN_COUNT");
    mg_config_defaults(&c);
    assert_int_equal(mg_config_validate(&c, true, err, sizeof err), -1);
    assert_non_null(strstr(err, "--seed is required"));
}

/* A user writes lists with blanks after the commas: --measures-per-part
 * 'verse=4, chorus=2' was refused ("unknown part ' chorus'"), --fonts
 * 'A, B' and a split "0.8 ,0.1,0.1" too. Every list option takes them,
 * and the run records the list without them (the same run as "A,B"). */
static void
lists_take_blanks_around_items(void **state)
{
    (void)state;
    mg_config c;
    char err[512];
    char *argv[] = {"g", "--measures-per-part", " verse = 4, chorus=2 ",
                    "--fonts", "FluidR3_GM, Csound_GMbank ", "--split",
                    "0.8 , 0.1, 0.1 ", "--genre", " jazz , latin"};
    assert_int_equal(parse(&c, err, 9, argv), 0);
    int verse = mg_part_from_name("verse"), chorus = mg_part_from_name("chorus");
    assert_int_equal(c.measures_override[verse], 4);
    assert_int_equal(c.measures_override[chorus], 2);
    assert_string_equal(c.fonts, "FluidR3_GM,Csound_GMbank");
    assert_true(c.split[0] == 0.8 && c.split[1] == 0.1 && c.split[2] == 0.1);
    assert_int_equal(c.ngenres, 2);
    assert_string_equal(c.genres[1], "latin");
    char *bad[] = {"g", "--fonts", " , "};
    assert_int_equal(parse(&c, err, 3, bad), -1);
    assert_non_null(strstr(err, "--fonts: need default, all or font names"));
    char *bad2[] = {"g", "--measures-per-part", "verse=4 4"};
    assert_int_equal(parse(&c, err, 3, bad2), -1);
    assert_non_null(strstr(err, "--measures-per-part: verse: bars must be"));
}

static void
extra_options_pass_through(void **state)
{
    (void)state;
    const char *const extra[] = {"ledger=", "static", NULL};
    char *argv[] = {"c", "--ledger", "/x.db", "--static", "pos", "--seed=1"};
    char *rest[8];
    int nrest;
    mg_config c;
    char err[512];
    assert_int_equal(mg_config_from_args(&c, 6, argv, extra, rest, &nrest,
                                         err, sizeof err), 0);
    assert_int_equal(nrest, 4);
    assert_string_equal(rest[0], "--ledger");
    assert_string_equal(rest[1], "/x.db");
    assert_string_equal(rest[2], "--static");
    assert_string_equal(rest[3], "pos");
}

static void
json_diff_names_each_key(void **state)
{
    (void)state;
    char d[256];
    static const char *const skip[] = {"seed", NULL};
    assert_int_equal(mg_config_json_diff("{\"a\":1,\"b\":[],\"seed\":1}",
                                         "{\"a\":1,\"b\":[\"x\"],\"seed\":2,"
                                         "\"c\":true}", "%s: %s -> %s",
                                         skip, d, sizeof d), 2);
    assert_string_equal(d, "b: [] -> [\"x\"]; c: none -> true");
    assert_int_equal(mg_config_json_diff("{\"a\":1}", "{\"a\":1}", "%s%s%s",
                                         NULL, d, sizeof d), 0);
    assert_string_equal(d, "");
    assert_int_equal(mg_config_json_diff("{", "{}", "%s%s%s", NULL, d,
                                         sizeof d), -1);
    /* reals as a user gives them; 17 digits only where 15 tell none
     * apart */
    assert_int_equal(mg_config_json_diff("{\"s\":[0.8,0.1]}",
                                         "{\"s\":[0.7,0.2]}", "%s: %s -> %s",
                                         NULL, d, sizeof d), 1);
    assert_string_equal(d, "s: [0.8,0.1] -> [0.7,0.2]");
    assert_int_equal(mg_config_json_diff("{\"s\":0.1}",
                                         "{\"s\":0.10000000000000002}",
                                         "%s: %s -> %s", NULL, d, sizeof d), 1);
    assert_string_equal(d, "s: 0.10000000000000001 -> 0.10000000000000002");
    /* a key of the run named as the option the user types, from the
     * options table (genres is --genre, output_mode --output-mode) */
    assert_int_equal(mg_config_json_diff("{\"output_mode\":\"full\","
                                         "\"genres\":[],\"max_attempts\":1}",
                                         "{\"output_mode\":\"midi-only\","
                                         "\"genres\":[\"jazz\"],"
                                         "\"max_attempts\":1}", "%s: %s -> %s",
                                         NULL, d, sizeof d), 2);
    assert_string_equal(d, "--output-mode: \"full\" -> \"midi-only\"; "
                        "--genre: [] -> [\"jazz\"]");
    assert_string_equal(mg_config_key_option("shard_width"), "shard-width");
    assert_string_equal(mg_config_key_option("accept_license"),
                        "accept-license");
    assert_null(mg_config_key_option("out"));
    assert_null(mg_config_key_option("shard-width"));
}

static void
run_json_round_trips(void **state)
{
    (void)state;
    mg_config a, b;
    char err[512];
    char *argv[] = {"g", "--seed", "-5", "--count", "100", "-g", "jazz,latin",
                    "--shard-width", "3", "--split", "0.7,0.2,0.1",
                    "--measures-per-part", "verse=8,intro=2",
                    "--output-mode", "stems-only"};
    assert_int_equal(parse(&a, err, 15, argv), 0);
    char *text = mg_config_run_json(&a);
    assert_non_null(text);
    assert_null(strchr(text, '\n'));
    mg_config_defaults(&b);
    assert_int_equal(mg_config_apply_run_json(&b, text, err, sizeof err), 0);
    char *text2 = mg_config_run_json(&b);
    assert_string_equal(text, text2);
    assert_int_equal(b.global_seed, -5);
    assert_int_equal(b.ngenres, 2);
    assert_int_equal(b.measures_override[MG_PART_VERSE], 8);
    assert_int_equal(b.output_mode, MG_OUT_STEMS_ONLY);
    free(text);
    free(text2);
    assert_int_equal(mg_config_apply_run_json(&b, "{\"colour\":1}", err,
                                              sizeof err), -1);
    assert_non_null(strstr(err, "colour"));
}

static void
sample_paths_flat_and_sharded(void **state)
{
    (void)state;
    char p[64];
    mg_sample_relpath(p, sizeof p, 42, 0);
    assert_string_equal(p, "000042");
    mg_sample_relpath(p, sizeof p, 42, 3);
    assert_string_equal(p, "000/000042");
    mg_sample_relpath(p, sizeof p, 123456, 5);
    assert_string_equal(p, "12345/123456");
    mg_sample_relpath(p, sizeof p, 1234567, 3);
    assert_string_equal(p, "123/1234567");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_python_tools),
        cmocka_unit_test(precedence_file_env_cli),
        cmocka_unit_test(config_file_key_twice_is_refused),
        cmocka_unit_test(short_options_take_attached_values),
        cmocka_unit_test(flags_take_true_or_false_in_files_and_env),
        cmocka_unit_test(config_file_with_bom_and_crlf_reads),
        cmocka_unit_test(config_file_values_in_quotes),
        cmocka_unit_test(bad_values_give_one_line_errors),
        cmocka_unit_test(lists_take_blanks_around_items),
        cmocka_unit_test(extra_options_pass_through),
        cmocka_unit_test(run_json_round_trips),
        cmocka_unit_test(json_diff_names_each_key),
        cmocka_unit_test(sample_paths_flat_and_sharded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
