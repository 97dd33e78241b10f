/*
 * test_dsread — the dataset reader: layout detection (flat, any shard
 * width, mixed refused), index order whatever readdir gives (also across
 * several window passes and for 7-digit indices in shards), complete vs
 * half-written directories, sample.json parsing (u64 seeds, broken files),
 * the manifest stream, and the JSON tokenizer under it.
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

#include "dsread.h"
#include "jdoc.h"
#include "jsonout.h"
#include "sampledir.h"
#include "util/tutil.h"

static char base[512];

static void
mk(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", base, rel);
    assert_int_equal(mg_dir_make(p), 0);
}

static void
put(const char *rel, const char *text)
{
    assert_int_equal(tu_put(base, rel, text), 0);
}

/* A complete sample: directory + sample.json naming its index. */
static void
sample(const char *rel, unsigned long long idx)
{
    mk(rel);
    char p[1024], t[128];
    snprintf(p, sizeof p, "%s/sample.json", rel);
    snprintf(t, sizeof t, "{\"sample_index\": %llu, \"split\": \"train\"}\n",
             idx);
    put(p, t);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(base, sizeof base, "%s/dsread-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(base));
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    mg_dir_remove(base);
    return 0;
}

/* Walk the tree; write "rel:c|p|t" lines into out. */
static int
walk(const char *root, unsigned flags, size_t window, char *out, size_t n)
{
    char err[256];
    mg_dsread *r = mg_dsread_open(root, flags, err, sizeof err);
    if (!r) {
        snprintf(out, n, "ERR %s", err);
        return -1;
    }
    if (window) assert_int_equal(mg_dsread_set_window(r, window), 0);
    out[0] = 0;
    mg_dsample s;
    int rc, count = 0;
    while ((rc = mg_dsread_next(r, &s, err, sizeof err)) == 1) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, "%s:%c ", s.rel,
                 s.complete ? 'c' : s.tmp ? 't' : 'p');
        if (s.complete && (flags & MG_DSREAD_PARSE)) {
            assert_non_null(s.json);
            uint64_t v;
            assert_int_equal(mg_jdoc_json_u64(
                                 json_object_get(s.json, "sample_index"), &v),
                             0);
            assert_true(v == s.index);
        }
        count++;
    }
    assert_int_equal(rc, 0);
    mg_dsread_destroy(&r);
    assert_null(r);
    return count;
}

static void
flat_in_index_order(void **state)
{
    (void)state;
    /* Created out of order so readdir order differs from index order. */
    int order[] = {7, 2, 9, 0, 5, 1, 8, 3, 6, 4};
    for (int k = 0; k < 10; k++) {
        char rel[32];
        snprintf(rel, sizeof rel, "flat/%06d", order[k]);
        if (order[k] == 3) mk(rel); /* no sample.json: half-written */
        else sample(rel, (unsigned long long)order[k]);
    }
    sample("flat/1000000", 1000000);
    mk("flat/.tmp-000005-4242");
    mk("flat/.tmp-oddname");
    mk("flat/.musicgen");
    mk("flat/0000042"); /* not canonical */
    put("flat/000011", "a file, not a sample");
    put("flat/manifest.jsonl", "\n");

    char root[600], out[4096];
    snprintf(root, sizeof root, "%s/flat", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), 10);
    assert_string_equal(out, "000000:c 000001:c 000002:c 000004:c 000005:c "
                             "000006:c 000007:c 000008:c 000009:c "
                             "1000000:c ");
    /* Parsed, and through a window of 3 (several readdir passes). */
    assert_int_equal(walk(root, MG_DSREAD_PARSE, 3, out, sizeof out), 10);
    assert_int_equal(walk(root, MG_DSREAD_PARTIALS, 2, out, sizeof out), 13);
    assert_string_equal(out, "000000:c 000001:c 000002:c 000003:p 000004:c "
                             "000005:c .tmp-000005-4242:t 000006:c 000007:c "
                             "000008:c 000009:c 1000000:c .tmp-oddname:t ");
    char err[256];
    mg_dsread *r = mg_dsread_open(root, 0, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mg_dsread_shard_width(r), 0);
    mg_dsread_destroy(&r);
}

static void
sharded_any_width_and_long_indices(void **state)
{
    (void)state;
    sample("s3/999/999999", 999999);
    sample("s3/100/1000000", 1000000);
    sample("s3/100/100999", 100999);
    sample("s3/100/100000", 100000);
    sample("s3/001/001000", 1000);
    sample("s3/000/000002", 2);
    sample("s3/000/000000", 0);
    mk("s3/000/000001");
    mk("s3/000/.tmp-000001-99");
    sample("s3/123/12345678", 12345678);
    char root[600], out[4096];
    snprintf(root, sizeof root, "%s/s3", base);
    assert_int_equal(walk(root, MG_DSREAD_PARSE, 0, out, sizeof out), 8);
    assert_string_equal(out, "000/000000:c 000/000002:c 001/001000:c "
                             "100/100000:c 100/100999:c 999/999999:c "
                             "100/1000000:c 123/12345678:c ");
    assert_int_equal(walk(root, MG_DSREAD_PARTIALS, 1, out, sizeof out), 10);
    assert_string_equal(out, "000/000000:c 000/000001:p "
                             "000/.tmp-000001-99:t 000/000002:c "
                             "001/001000:c 100/100000:c 100/100999:c "
                             "999/999999:c 100/1000000:c 123/12345678:c ");
    char err[256];
    mg_dsread *r = mg_dsread_open(root, 0, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mg_dsread_shard_width(r), 3);
    mg_dsread_destroy(&r);

    sample("s1/0/000000", 0);
    sample("s1/1/100000", 100000);
    sample("s1/0/012345", 12345);
    snprintf(root, sizeof root, "%s/s1", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), 3);
    assert_string_equal(out, "0/000000:c 0/012345:c 1/100000:c ");
}

static void
bad_layouts_refused(void **state)
{
    (void)state;
    char root[600], out[4096];
    sample("mixed/000000", 0);
    sample("mixed/000/000001", 1);
    snprintf(root, sizeof root, "%s/mixed", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), -1);
    assert_non_null(strstr(out, "mixed layout"));

    sample("widths/00/000000", 0);
    sample("widths/001/001000", 1000);
    snprintf(root, sizeof root, "%s/widths", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), -1);
    assert_non_null(strstr(out, "different widths"));

    snprintf(root, sizeof root, "%s/absent", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), -1);
    assert_non_null(strstr(out, "No such file"));

    put("afile", "x");
    snprintf(root, sizeof root, "%s/afile", base);
    assert_int_equal(walk(root, 0, 0, out, sizeof out), -1);
    assert_non_null(strstr(out, "not a directory"));

    mk("empty");
    snprintf(root, sizeof root, "%s/empty", base);
    assert_int_equal(walk(root, MG_DSREAD_PARTIALS, 0, out, sizeof out), 0);
}

static void
sample_json_parsed_raw_and_broken(void **state)
{
    (void)state;
    mk("p/000000");
    put("p/000000/sample.json",
        "{\"seed\": 18446744073709551615, \"neg\": -9223372036854775808,"
        " \"x\": 0.5, \"s\": \"\\u00e9\\ud83c\\udfb5\\n\", \"a\": [1, [], {}],"
        " \"t\": true, \"f\": false, \"z\": null}");
    mk("p/000001");
    put("p/000001/sample.json", "{\"seed\": 1,");
    mk("p/000002");
    put("p/000002/sample.json", "[1, 2]");
    char root[600], err[256];
    snprintf(root, sizeof root, "%s/p", base);
    mg_dsread *r = mg_dsread_open(root, MG_DSREAD_PARSE, err, sizeof err);
    assert_non_null(r);
    mg_dsample s;
    assert_int_equal(mg_dsread_next(r, &s, err, sizeof err), 1);
    assert_true(s.complete);
    assert_null(s.error);
    assert_non_null(s.json);
    assert_non_null(s.raw);
    assert_int_equal(s.raw_len, strlen(s.raw));
    uint64_t u;
    assert_int_equal(
        mg_jdoc_json_u64(json_object_get(s.json, "seed"), &u), 0);
    assert_true(u == UINT64_MAX);
    assert_true(json_integer_value(json_object_get(s.json, "neg")) ==
                INT64_MIN);
    assert_string_equal(json_string_value(json_object_get(s.json, "s")),
                        "\xc3\xa9\xf0\x9f\x8e\xb5\n");
    char *text = mg_json_dump(json_object_get(s.json, "seed"), 0);
    assert_string_equal(text, "18446744073709551615\n");
    free(text);
    assert_int_equal(json_array_size(json_object_get(s.json, "a")), 3);
    assert_true(json_is_true(json_object_get(s.json, "t")));
    assert_true(json_is_null(json_object_get(s.json, "z")));

    assert_int_equal(mg_dsread_next(r, &s, err, sizeof err), 1);
    assert_true(s.complete);
    assert_null(s.json);
    assert_non_null(s.error);
    assert_non_null(strstr(s.error, "sample.json: line 1"));
    assert_int_equal(mg_dsread_next(r, &s, err, sizeof err), 1);
    assert_null(s.json);
    assert_non_null(strstr(s.error, "not an object"));
    assert_int_equal(mg_dsread_next(r, &s, err, sizeof err), 0);
    mg_dsread_destroy(&r);

    /* Raw only: bytes without a parse; the parse on demand. */
    r = mg_dsread_open(root, MG_DSREAD_RAW, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mg_dsread_next(r, &s, err, sizeof err), 1);
    assert_null(s.json);
    assert_non_null(strstr(s.raw, "18446744073709551615"));
    assert_non_null(mg_dsread_json(r));
    mg_dsread_destroy(&r);
}

static void
manifest_streamed(void **state)
{
    (void)state;
    mk("m");
    put("m/manifest.jsonl",
        "{\"sample_index\":0,\"seed\":18446744073709551615}\n"
        "\n"
        "{\"sample_index\":1,\n"
        "{\"sample_index\":2}\r\n");
    char root[600], err[256];
    snprintf(root, sizeof root, "%s/m", base);
    mg_dsmanifest *m = mg_dsmanifest_open(root, err, sizeof err);
    assert_non_null(m);
    json_t *row;
    long line;
    uint64_t u;
    assert_int_equal(mg_dsmanifest_next(m, &row, &line, err, sizeof err), 1);
    assert_int_equal(line, 1);
    assert_int_equal(mg_jdoc_json_u64(json_object_get(row, "seed"), &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(mg_dsmanifest_next(m, &row, &line, err, sizeof err), -1);
    assert_non_null(strstr(err, "manifest.jsonl:3:"));
    assert_int_equal(mg_dsmanifest_next(m, &row, &line, err, sizeof err), 1);
    assert_int_equal(line, 4);
    assert_int_equal(json_integer_value(json_object_get(row, "sample_index")),
                     2);
    assert_int_equal(mg_dsmanifest_next(m, &row, &line, err, sizeof err), 0);
    mg_dsmanifest_destroy(&m);
    assert_null(m);

    snprintf(root, sizeof root, "%s/nomanifest", base);
    assert_null(mg_dsmanifest_open(root, err, sizeof err));
}

static void
tokenizer_grammar(void **state)
{
    (void)state;
    mg_jdoc d = {0};
    char err[200];
    const char *good = "{\"a\": [1, 2.5e3, -0, \"x\\\"y\"], \"b\": {\"c\": "
                       "null}, \"k\\u0041\": 7}";
    assert_int_equal(mg_jdoc_parse(&d, good, strlen(good), err, sizeof err),
                     0);
    assert_int_equal(d.t[0].type, MG_JT_OBJ);
    assert_int_equal(d.t[0].n, 3);
    long a = mg_jdoc_get(&d, 0, "a");
    assert_true(a > 0);
    assert_int_equal(d.t[a].n, 4);
    double v;
    assert_int_equal(mg_jdoc_double(&d, (uint32_t)a + 2, &v), 0);
    assert_true(v == 2500.0);
    int64_t i;
    assert_int_equal(mg_jdoc_i64(&d, (uint32_t)a + 2, &i), -1);
    long k = mg_jdoc_get(&d, 0, "kA");
    assert_true(k > 0);
    assert_int_equal(mg_jdoc_i64(&d, (uint32_t)k, &i), 0);
    assert_int_equal(i, 7);
    long b = mg_jdoc_get(&d, 0, "b");
    assert_int_equal(d.t[b].next, (uint32_t)b + 3);
    char s[16];
    assert_int_equal(mg_jdoc_str(&d, (uint32_t)a + 4, s, sizeof s), 3);
    assert_string_equal(s, "x\"y");
    assert_int_equal(mg_jdoc_get(&d, 0, "missing"), -1);

    const char *bad[] = {"{\"a\": 1,}", "[1 2]", "\"ctl\x01\"", "01",
                         "{\"a\" 1}", "[1.]", "tru", "\"\\x\"", "{} x",
                         "", "[\"\\u12G4\"]"};
    for (size_t n = 0; n < sizeof bad / sizeof *bad; n++)
        assert_int_equal(
            mg_jdoc_parse(&d, bad[n], strlen(bad[n]), err, sizeof err), -1);
    char deep[600];
    memset(deep, '[', 300);
    memset(deep + 300, ']', 300);
    assert_int_equal(mg_jdoc_parse(&d, deep, 600, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested too deeply"));
    const char *two = "{\n\"a\": 1,\n\"b\": ]}";
    assert_int_equal(mg_jdoc_parse(&d, two, strlen(two), err, sizeof err), -1);
    assert_non_null(strstr(err, "line 3"));
    mg_jdoc_free(&d);
}

/* The tokenizer's fast decimal path gives strtod's double, bit for bit,
 * on numbers like those sample.json holds (and on some that are not). */
static void
doubles_as_strtod(void **state)
{
    (void)state;
    mg_jdoc d = {0};
    char err[200], text[64];
    uint64_t x = 88172645463325252ULL; /* xorshift64: fixed, reproducible */
    for (int n = 0; n < 200000; n++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int digits = 1 + (int)(x % 19), point = (int)((x >> 8) % 12);
        unsigned long long m = (x >> 16) % 10000000000000000000ULL;
        char ds[32];
        snprintf(ds, sizeof ds, "%llu", m);
        ds[digits < (int)strlen(ds) ? digits : (int)strlen(ds)] = 0;
        size_t l = strlen(ds);
        if ((size_t)point >= l) point = (int)l - 1;
        snprintf(text, sizeof text, "%s%.*s.%s", (x & 1) ? "-" : "",
                 (int)(l - (size_t)point), ds, ds + l - (size_t)point);
        if (!point) snprintf(text, sizeof text, "%s%s", (x & 1) ? "-" : "", ds);
        assert_int_equal(mg_jdoc_parse(&d, text, strlen(text), err, sizeof err),
                         0);
        double v;
        assert_int_equal(mg_jdoc_double(&d, 0, &v), 0);
        double w = strtod(text, NULL);
        if (memcmp(&v, &w, sizeof v)) fail_msg("%s: %.17g, strtod %.17g", text, v, w);
    }
    const char *edge[] = {"0.1", "-0.0", "0.000001", "123456789012345.6",
                          "1.7976931348623157e308", "5e-324", "0.30000000000000004",
                          "87.692296", "1e22", "1e23"};
    for (size_t n = 0; n < sizeof edge / sizeof *edge; n++) {
        assert_int_equal(mg_jdoc_parse(&d, edge[n], strlen(edge[n]), err,
                                       sizeof err), 0);
        double v, w = strtod(edge[n], NULL);
        assert_int_equal(mg_jdoc_double(&d, 0, &v), 0);
        if (memcmp(&v, &w, sizeof v)) fail_msg("%s: %.17g, strtod %.17g", edge[n], v, w);
    }
    mg_jdoc_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flat_in_index_order),
        cmocka_unit_test(sharded_any_width_and_long_indices),
        cmocka_unit_test(bad_layouts_refused),
        cmocka_unit_test(sample_json_parsed_raw_and_broken),
        cmocka_unit_test(manifest_streamed),
        cmocka_unit_test(tokenizer_grammar),
        cmocka_unit_test(doubles_as_strtod),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
