/*
 * test_jdoc_leaf — the tokenizer's leaf-array modes (MG_JDOC_LEAF_ARRAYS,
 * what export's JSONL and CSV writers parse with, and
 * MG_JDOC_SCALAR_ARRAYS, Parquet's) against the full parse: the same
 * documents accepted, the same message for each refused one, the same
 * element counts, the same compact text of every value (which also
 * equals a plain reference minifier), the same jansson tree (leaf arrays
 * expanded), and the numbers of a leaf list of numbers read from its text
 * (mg_jdoc_leaf_doubles, _i64) equal to those of the full parse. Hand-written edge cases
 * (escapes, nesting, literals, every whitespace byte, runs across the
 * eight-byte steps, values that end at the end of the text) and a few
 * thousand seeded mutations of a sample.json-like document (indented,
 * and with the one-line arrays the vector code takes in blocks; at every
 * vector level, mg_jdoc_simd). Both parses
 * skip a separator they have seen (sep_hit in jdoc.c), so the verdicts are
 * also held against an independent parser, jansson.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "jdoc.h"

/* Reference: drop whitespace outside strings (the text must be valid). */
static size_t
ref_minify(const char *s, size_t n, char *out)
{
    size_t o = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in) {
            out[o++] = c;
            if (c == '\\') out[o++] = s[++i];
            else if (c == '"') in = false;
        } else if (c == '"') {
            in = true;
            out[o++] = c;
        } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            out[o++] = c;
        }
    }
    return o;
}

/* jansson's verdict, or -1 where it is no judge: \u escapes (it also
 * checks surrogates, which the tokenizer leaves to mg_jdoc_to_json) and
 * reals out of a double's range (it refuses them; JSON does not). */
static int
jansson_ok(const char *s, size_t len)
{
    if (memmem(s, len, "\\u", 2)) return -1;
    json_error_t e;
    json_t *j = json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL |
                                       JSON_ALLOW_NUL, &e);
    json_decref(j);
    if (!j && strstr(e.text, "overflow")) return -1;
    return j != NULL;
}

/* Every leaf array of sc (an MG_JDOC_SCALAR_ARRAYS doc) holds scalars
 * only, its kinds are those of its elements, and its numbers read from
 * its text are those of the same elements tokenized. */
static void
check_scalar_leaves(const mg_jdoc *sc)
{
    for (uint32_t i = 0; i < sc->n; i++) {
        const mg_jtok *t = &sc->t[i];
        if (t->type != MG_JT_ARR || !t->leaf) continue;
        mg_jdoc sub = {0};
        assert_int_equal(mg_jdoc_expand(sc, i, &sub), 0);
        assert_int_equal(sub.t[0].n, t->n);
        unsigned kinds = 0;
        for (uint32_t k = 1; k < sub.n; k++) {
            const mg_jtok *e = &sub.t[k];
            assert_true(e->type != MG_JT_ARR && e->type != MG_JT_OBJ);
            kinds |= e->type == MG_JT_NUM ? (e->isint ? MG_JK_INT : MG_JK_REAL)
                     : e->type == MG_JT_STR ? MG_JK_STR
                     : e->type == MG_JT_NULL ? MG_JK_NULL
                                             : MG_JK_BOOL;
        }
        assert_int_equal(kinds, t->kinds);
        double *dv = malloc((t->n + 1) * sizeof *dv);
        int64_t *iv = malloc((t->n + 1) * sizeof *iv);
        assert_true(dv && iv);
        int rd = mg_jdoc_leaf_doubles(sc, i, dv);
        assert_int_equal(rd == 0, !(kinds & ~(MG_JK_INT | MG_JK_REAL)));
        bool all_i64 = !(kinds & ~MG_JK_INT);
        for (uint32_t k = 1; rd == 0 && k < sub.n; k++) {
            double v;
            assert_int_equal(mg_jdoc_double(&sub, k, &v), 0);
            assert_memory_equal(&v, &dv[k - 1], sizeof v); /* -0.0 too */
        }
        for (uint32_t k = 1; all_i64 && k < sub.n; k++) {
            int64_t v;
            if (mg_jdoc_i64(&sub, k, &v)) all_i64 = false;
        }
        int ri = mg_jdoc_leaf_i64(sc, i, iv);
        assert_int_equal(ri == 0, all_i64);
        for (uint32_t k = 1; ri == 0 && k < sub.n; k++) {
            int64_t v;
            assert_int_equal(mg_jdoc_i64(&sub, k, &v), 0);
            assert_true(v == iv[k - 1]);
        }
        free(dv);
        free(iv);
        mg_jdoc_free(&sub);
    }
}

/* sk (parsed with skip = "notes") against the full parse: the same root
 * members at the same places; the root's "notes", when an array or
 * object, one skipped token with its element count, compact text and
 * jansson tree; every other member as in the full parse. */
static void
check_skipped(const mg_jdoc *full, const mg_jdoc *sk)
{
    if (full->t[0].type != MG_JT_OBJ) return;
    uint32_t kf = 1, ks = 1;
    char *a = malloc(full->t[0].len + 3), *b = malloc(full->t[0].len + 3);
    assert_true(a && b);
    for (uint32_t m = 0; m < full->t[0].n; m++) {
        const mg_jtok *vf = &full->t[kf + 1], *vs = &sk->t[ks + 1];
        bool notes = mg_jdoc_streq(full, kf, "notes");
        assert_true(mg_jdoc_streq(sk, ks, "notes") == notes);
        assert_int_equal(vf->type, vs->type);
        assert_int_equal(vf->n, vs->n);
        assert_int_equal(vf->start, vs->start);
        assert_int_equal(vf->len, vs->len);
        bool big = vf->type == MG_JT_ARR || vf->type == MG_JT_OBJ;
        assert_int_equal(vs->skipped, notes && big && !full->t[kf].esc);
        if (vs->skipped) assert_int_equal(vs->next, ks + 2);
        size_t na = mg_jdoc_compact(full, kf + 1, a);
        size_t nb = mg_jdoc_compact(sk, ks + 1, b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        json_t *jf = mg_jdoc_to_json(full, kf + 1),
               *js = mg_jdoc_to_json(sk, ks + 1);
        assert_true((jf && js && json_equal(jf, js)) || (!jf && !js));
        json_decref(jf);
        json_decref(js);
        kf = full->t[kf + 1].next;
        ks = sk->t[ks + 1].next;
    }
    free(a);
    free(b);
}

/* Parse text four ways; 1 when accepted (and all checks passed), 0 when
 * all refused it with the same message. */
static int
both_ways(const char *text, size_t len)
{
    /* A copy with no byte after it in the allocation's slack that could
     * mask a read past the end under ASan. */
    char *s = malloc(len ? len : 1);
    assert_non_null(s);
    memcpy(s, text, len);
    mg_jdoc full = {0}, leaf = {0}, sc = {0}, sk = {0};
    char e1[200] = "", e2[200] = "", e3[200] = "", e4[200] = "";
    int r1 = mg_jdoc_parse(&full, s, len, e1, sizeof e1);
    int r2 = mg_jdoc_parse_opt(&leaf, s, len, MG_JDOC_LEAF_ARRAYS, e2,
                               sizeof e2);
    int r3 = mg_jdoc_parse_opt(&sc, s, len, MG_JDOC_SCALAR_ARRAYS, e3,
                               sizeof e3);
    sk.skip = "notes";
    int r4 = mg_jdoc_parse_opt(&sk, s, len, MG_JDOC_SCALAR_ARRAYS, e4,
                               sizeof e4);
    if (r1 != r4 || strcmp(e1, e4))
        fail_msg("full %d \"%s\" vs skip %d \"%s\" for: %.*s", r1, e1, r4,
                 e4, (int)(len < 200 ? len : 200), s);
    if (r1 == 0) check_skipped(&full, &sk);
    /* The same with nothing else shallow (flags 0). */
    mg_jdoc_free(&sk);
    sk.skip = "notes";
    r4 = mg_jdoc_parse_opt(&sk, s, len, 0, e4, sizeof e4);
    if (r1 != r4 || strcmp(e1, e4))
        fail_msg("full %d \"%s\" vs full+skip %d \"%s\" for: %.*s", r1, e1,
                 r4, e4, (int)(len < 200 ? len : 200), s);
    if (r1 == 0) check_skipped(&full, &sk);
    if (r1 != r2 || strcmp(e1, e2))
        fail_msg("full %d \"%s\" vs leaf %d \"%s\" for: %.*s", r1, e1, r2, e2,
                 (int)(len < 200 ? len : 200), s);
    if (r1 != r3 || strcmp(e1, e3))
        fail_msg("full %d \"%s\" vs scalar %d \"%s\" for: %.*s", r1, e1, r3,
                 e3, (int)(len < 200 ? len : 200), s);
    int ok = r1 == 0;
    if (ok) {
        check_scalar_leaves(&sc);
        /* The same tree, whatever was a leaf. */
        json_t *jf = mg_jdoc_to_json(&full, 0), *jl = mg_jdoc_to_json(&leaf, 0),
               *js = mg_jdoc_to_json(&sc, 0);
        if (jf) { /* NULL: a string that is not UTF-8, for all three */
            assert_true(json_equal(jf, jl));
            assert_true(json_equal(jf, js));
        } else {
            assert_null(jl);
            assert_null(js);
        }
        json_decref(jf);
        json_decref(jl);
        json_decref(js);
        char *x = malloc(len + 3), *y = malloc(len + 3);
        assert_true(x && y);
        size_t nx = mg_jdoc_compact(&full, 0, x), ny = mg_jdoc_compact(&sc, 0, y);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, nx);
        free(x);
        free(y);
        assert_true(leaf.shallow);
        assert_false(full.shallow);
        char *a = malloc(len + 3), *b = malloc(len + 3), *c = malloc(len + 3);
        assert_true(a && b && c);
        /* The root, and every top-level member or element. */
        size_t na = mg_jdoc_compact(&full, 0, a);
        size_t nb = mg_jdoc_compact(&leaf, 0, b);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        if (full.t[0].type == MG_JT_ARR || full.t[0].type == MG_JT_OBJ) {
            size_t nc = ref_minify(s, len, c);
            assert_int_equal(na, nc);
            assert_memory_equal(a, c, na);
        }
        assert_int_equal(full.t[0].n, leaf.t[0].n);
        if (full.t[0].type == MG_JT_OBJ) {
            uint32_t kf = 1, kl = 1;
            for (uint32_t m = 0; m < full.t[0].n; m++) {
                const mg_jtok *vf = &full.t[kf + 1], *vl = &leaf.t[kl + 1];
                assert_int_equal(vf->type, vl->type);
                assert_int_equal(vf->n, vl->n);
                assert_int_equal(vf->start, vl->start);
                assert_int_equal(vf->len, vl->len);
                na = mg_jdoc_compact(&full, kf + 1, a);
                nb = mg_jdoc_compact(&leaf, kl + 1, b);
                assert_int_equal(na, nb);
                assert_memory_equal(a, b, na);
                if (vl->type == MG_JT_ARR) {
                    assert_int_equal(vl->next, kl + 2);
                    assert_true(vl->leaf);
                }
                kf = full.t[kf + 1].next;
                kl = leaf.t[kl + 1].next;
            }
        }
        free(a);
        free(b);
        free(c);
    }
    mg_jdoc_free(&full);
    mg_jdoc_free(&leaf);
    mg_jdoc_free(&sc);
    mg_jdoc_free(&sk);
    free(s);
    return ok;
}

static void
edge_cases(void **state)
{
    (void)state;
    static const char *good[] = {
        "[]", "[ ]", "[\n]", "{}", "[1]", "[-0]", "[0.5e+10,-1E-3,2e5]",
        "[true,false,null]", "[\"\",\"a b\",\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
        "[\"\\u00e9\\uD83D\\uDE00\", \"caf\xc3\xa9\"]",
        "{\"a\" : [ [ ] , [ [ 1 , 2 ] ] , { } , {\"k\":[3]} ] }",
        "{\"x\":\t[\r\n1,\t2\r\n]\r\n}",
        "[\"0123456789abcdef0123456789\", 12345678901234567890123]",
        "[1234567,12345678,123456789,0.12345678,0.123456789]",
        "{\"n\": {\"offset\": [\n        0.918478,\n        1.273098\n      ],"
        "\n      \"pitch\": [\n        60,\n        62\n      ]\n    }}",
        "[{\"a\":[{\"b\":[[[]]]}],\"c\":\"]\"},\"[\",\"{\"]",
        "{\"s\":\"a\",\"v\":[1,[2,[3,[4]]]],\"e\":[],\"t\":true}",
        "  [1,2]  ", "7", "\"top\"", "[\"tab\\there\"]",
        "[\"        \", \"\\\\\", \"x\\\"y\"]",
        /* a repeated separator (matched whole), then another one */
        "[1,\n  2,\n  3,\n   4,\n  5,\n  6,\n  7,\n  8,\n  9,\n  10]",
        "[1 ,\n 2 ,\n 3 ,\n 4 ,\n 5 ,\n 6 ,\n 7 ,\n 8 ,\n 9]",
        "{\"a\": 1,\n  \"b\": 2,\n  \"c\": [1,\n    2,\n    3],\n  \"d\": 4,\n  \"e\": 5}",
        "[1,\n              2,\n              3,\n              4,\n              5,\n              6]",
        "[1,\n               2,\n               3,\n               4,\n               5,\n               6]",
        /* the one-line layout of scalar arrays (docs/determinism.md) */
        "{\"a\": [0.0, 0.487805, -0.0, 12.5], \"b\": {\"p\": 60, \"q\": \"x\"}}",
        "[[1, 2], [], [\"a\", null, true], [{\"k\": [1.5, 2]}]]",
        /* numbers the fast paths must hand to strtod or refuse for int64 */
        "[0.1234567890123456789, 1e308, 1.5E-7, 123456789012345678, 3]",
        "[9223372036854775807, -9223372036854775808]",
        "[9223372036854775808, 1]", "[0.000000000000001234, -0]",
        "[1, 2.0, \"3\"]", "[null, 1]",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_int_equal(both_ways(good[i], strlen(good[i])), 1);
        assert_int_not_equal(jansson_ok(good[i], strlen(good[i])), 0);
    }
    static const char *bad[] = {
        "[", "[1", "[1,", "[1,]", "[,1]", "[01]", "[1.]", "[1.e5]", "[1e]",
        "[-]", "[--1]", "[+1]", "[.5]", "[tru]", "[nul]", "[falsey]",
        "[\"abc]", "[\"a\\x\"]", "[\"\\u12g4\"]", "[\"a\nb\"]", "[1 2]",
        "[1}", "[{]", "[{\"a\"}]", "[{\"a\":}]", "[{\"a\" 1}]", "[{1:2}]",
        "[{\"a\":1,}]", "[{\"a\":1]", "{\"k\":[1,2}", "{\"k\":[1,2]]", "[]]",
        "[1]x", "[\"\\", "[\"\\u12", "[1,\n\n2,\n\nx]", "[0x10]", "[Infinity]",
        "[NaN]", "[\"a\"\"b\"]",
        /* what follows a matched separator is still checked */
        "[1,\n  2,\n  3,\n  4,\n  5,\n  ]", "[1,\n  2,\n  3,\n  ,\n  5,\n  6,\n  7]",
        "[1 ,\n 2 ,\n 3 ,\n x ,\n 5 ,\n 6 ,\n 7 ,\n 8 ,\n 9]",
        "{\"a\": 1,\n  \"b\": 2,\n  \"c\": 3,\n  4,\n  \"e\": 5,\n  \"f\": 6}",
        "[1,\n              2,\n              3,\n              4,\n              ]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(both_ways(bad[i], strlen(bad[i])), 0);
        assert_int_not_equal(jansson_ok(bad[i], strlen(bad[i])), 1);
    }
    /* What is not a value at all is named as such, not as a number, the
     * same by the full and the leaf parse. */
    static const struct { const char *text, *why; } named[] = {
        {"garbage{", "line 1: unexpected character"},
        {"[1, x]", "line 1: unexpected character"},
        {"{\"a\": [1,\n 2,\n ?]}", "line 3: unexpected character"},
        {"[1, -x]", "line 1: bad number"},
        {"-", "line 1: bad number"},
    };
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        for (unsigned flags = 0; flags <= MG_JDOC_SCALAR_ARRAYS; flags++) {
            mg_jdoc d = {0};
            char err[200] = "";
            assert_int_equal(mg_jdoc_parse_opt(&d, named[i].text,
                                               strlen(named[i].text), flags,
                                               err, sizeof err),
                             -1);
            assert_string_equal(err, named[i].why);
            mg_jdoc_free(&d);
        }
    }
    /* The depth limit is the full parser's: 256 in all. */
    char deep[700];
    for (int d = 254; d <= 258; d++) {
        size_t n = 0;
        deep[n++] = '{';
        deep[n++] = '"';
        deep[n++] = 'k';
        deep[n++] = '"';
        deep[n++] = ':';
        for (int k = 1; k < d; k++) deep[n++] = '[';
        for (int k = 1; k < d; k++) deep[n++] = ']';
        deep[n++] = '}';
        int ok = both_ways(deep, n);
        assert_int_equal(ok, d <= 256);
    }
    /* Every length from 0 to 40 of runs that cross the 8-byte steps,
     * ending exactly at the end of the text. */
    char t[200];
    for (int k = 0; k <= 40; k++) {
        size_t n = 0;
        t[n++] = '[';
        for (int j = 0; j < k; j++) t[n++] = ' ';
        t[n++] = '"';
        for (int j = 0; j < k; j++) t[n++] = (char)('a' + j % 26);
        t[n++] = '"';
        t[n++] = ',';
        t[n++] = '1';
        for (int j = 0; j < k; j++) t[n++] = (char)('0' + j % 10);
        t[n++] = ']';
        assert_int_equal(both_ways(t, n), 1);
        assert_int_equal(both_ways(t, n - 1), 0); /* cut before ']' */
    }
}

/* A sample.json-like document: indented, the big number arrays, lists of
 * objects, strings with escapes. */
static size_t
sample_doc(char *out, size_t cap)
{
    size_t n = 0;
#define P(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
    P("{\n  \"beat_times\": [\n");
    for (int i = 0; i < 40; i++) P("    %s%d.%06d", i ? ",\n" : "", i, i * 7919 % 1000000);
    P("\n  ],\n  \"chords\": [\n");
    for (int i = 0; i < 6; i++)
        P("%s    {\n      \"harte\": \"C:maj/%d\",\n      \"start_seconds\": %d.5,"
          "\n      \"voicing\": [\n        60,\n        64\n      ]\n    }",
          i ? ",\n" : "", i, i);
    P("\n  ],\n  \"label\": \"a \\\"quoted\\\" name\\n\",\n");
    P("  \"notes\": {\n    \"bass\": {\n      \"pitch\": [\n");
    for (int i = 0; i < 30; i++) P("%s        %d", i ? ",\n" : "", 30 + i);
    P("\n      ],\n      \"velocity\": [\n");
    for (int i = 0; i < 30; i++) P("%s        %de-%d", i ? ",\n" : "", i, i % 3);
    P("\n      ]\n    }\n  },\n  \"seed\": 18446744073709551615,\n");
    P("  \"flags\": [\n    true,\n    false,\n    null\n  ]\n}\n");
#undef P
    return n;
}

/* The same in the layout sample.json has now: each array of scalars on
 * one line, ", " between its elements (what num_block in jdoc.c takes 64
 * bytes at a time). */
static size_t
one_line_doc(char *out, size_t cap)
{
    size_t n = 0;
#define P(...) n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__)
    P("{\n  \"beat_times\": [");
    for (int i = 0; i < 40; i++) P("%s%d.%06d", i ? ", " : "", i, i * 7919 % 1000000);
    P("],\n  \"chords\": [\n");
    for (int i = 0; i < 3; i++)
        P("%s    {\n      \"start_seconds\": %d.5,\n      \"voicing\": "
          "[60, 64, -7]\n    }", i ? ",\n" : "", i);
    P("\n  ],\n  \"notes\": {\n    \"bass\": {\"instrument\": 3, \"onset\": [");
    for (int i = 0; i < 30; i++) P("%s%d.%03d", i ? ", " : "", i, i * 37 % 1000);
    P("], \"pitch\": [");
    for (int i = 0; i < 30; i++) P("%s%d", i ? ", " : "", 30 + i);
    P("]},\n    \"beat\": {\"velocity\": [");
    for (int i = 0; i < 30; i++) P("%s%d", i ? "," : "", i - 15);
    P("]}\n  },\n  \"seed\": 18446744073709551615\n}\n");
#undef P
    return n;
}

/* Runs of numbers with one bad (or odd but good) element at every offset
 * of a 64-byte block: the verdict and message of the byte loop. */
static void
number_blocks(void **state)
{
    (void)state;
    static const char *odd[] = {
        "01", "1.2.3", "-", "1..2", "1 ", "", "-0", "0.0", "1.", ".5", "1-2",
        "1e5", " 1", "00", "-01", "0", "1.5E-3", "12345678901234567890",
        "\"x\"", "[1, 2]", "\n3", "1\t", "-.5", "9.", "--1", "1.0.", "true",
        "0.12", "-0.0", "1,", "2 ", "0.000001",
    };
    char t[1200];
    for (size_t b = 0; b < sizeof odd / sizeof *odd; b++)
        for (int k = 0; k < 30; k++) {
            size_t n = 0;
            n += (size_t)snprintf(t + n, sizeof t - n, "{\"a\": [");
            for (int j = 0; j < k; j++)
                n += (size_t)snprintf(t + n, sizeof t - n, "%d.%d, ", j,
                                      j * 7 % 10);
            n += (size_t)snprintf(t + n, sizeof t - n, "%s", odd[b]);
            for (int j = 0; j < 14; j++)
                n += (size_t)snprintf(t + n, sizeof t - n, ", %d", j * 13);
            n += (size_t)snprintf(t + n, sizeof t - n, "], \"notes\": [");
            for (int j = 0; j < k; j++)
                n += (size_t)snprintf(t + n, sizeof t - n, "%d, ", -j);
            n += (size_t)snprintf(t + n, sizeof t - n, "%s", odd[b]);
            for (int j = 0; j < 14; j++)
                n += (size_t)snprintf(t + n, sizeof t - n, ", 0.%d", j);
            n += (size_t)snprintf(t + n, sizeof t - n, "]}");
            int ok = both_ways(t, n), ref = jansson_ok(t, n);
            if (ref >= 0 && ref != ok)
                fail_msg("jansson says %d, jdoc %d: %s", ref, ok, t);
        }
}

static void
mutate_and_compare(const char *doc, size_t n, int rounds)
{
    static char m[20000];
    assert_int_equal(both_ways(doc, n), 1);
    static const char alphabet[] = " \n\t\r[]{},:\"\\0123456789-+.eEtrufalsn/u";
    uint64_t x = 0x9E3779B97F4A7C15ULL; /* fixed seed: splitmix64 */
    int accepted = 0, refused = 0;
    for (int it = 0; it < rounds; it++) {
        memcpy(m, doc, n);
        size_t len = n;
        int edits = 1 + it % 3;
        for (int e = 0; e < edits; e++) {
            x += 0x9E3779B97F4A7C15ULL;
            uint64_t z = x;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
            z ^= z >> 31;
            size_t at = (size_t)(z % len);
            char c = alphabet[(z >> 32) % (sizeof alphabet - 1)];
            switch ((z >> 48) % 3) {
            case 0: m[at] = c; break; /* replace */
            case 1: /* delete */
                memmove(m + at, m + at + 1, len - at - 1);
                len--;
                break;
            default: /* insert */
                memmove(m + at + 1, m + at, len - at);
                m[at] = c;
                len++;
                break;
            }
        }
        int ok = both_ways(m, len), ref = jansson_ok(m, len);
        if (ref >= 0 && ref != ok) {
            fprintf(stderr, "jansson says %d, jdoc %d: %.*s\n", ref, ok,
                    (int)len, m);
            fail();
        }
        if (ok) accepted++;
        else refused++;
    }
    /* Both kinds occur (whitespace edits keep a document valid). */
    assert_true(accepted > 100);
    assert_true(refused > 100);
}

static void
mutations_agree(void **state)
{
    (void)state;
    static char doc[20000];
    size_t n = sample_doc(doc, sizeof doc);
    assert_true(n < sizeof doc - 10);
    mutate_and_compare(doc, n, 3000);
    n = one_line_doc(doc, sizeof doc);
    assert_true(n < sizeof doc - 10);
    mutate_and_compare(doc, n, 3000);
}

/* mg_jdoc_dup_key: a name twice in one object, wherever it is (sorted
 * names take a linear pass, others a sort; escaped names compared
 * decoded), the later of the two returned; none in a clean document. */
static void
duplicate_keys(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *dup; /* dup: the text at the token found; NULL none */
    } cases[] = {
        {"{\"a\":1,\"b\":2,\"c\":{\"x\":1,\"y\":2}}", NULL},
        {"{\"a\":1,\"ab\":2,\"b\":3}", NULL},
        {"{\"b\":1,\"a\":2,\"c\":3}", NULL},     /* unsorted, none */
        {"{\"a\":1,\"a\":2}", "a"},                  /* sorted run */
        {"{\"b\":1,\"a\":2,\"b\":3}", "b"},        /* apart */
        {"{\"a\":1,\"c\":{\"k\":1,\"k\":2}}", "k"}, /* nested */
        {"{\"a\":[{\"k\":1},{\"k\":2,\"j\":0,\"k\":3}]}", "k"},
        {"{\"a\":1,\"\\u0061\":2}", "\\u0061"},    /* escaped */
        {"{\"key\":\"E\",\"key\":\"Zb\",\"mode\":1}", "key"},
        /* names compared as unsigned bytes, a prefix first (the parse
         * notes the sorted objects, the rest are sorted) */
        {"{\"z\":1,\"\xc3\xa9\":2}", NULL},
        {"{\"\xc3\xa9\":1,\"z\":2}", NULL},
        {"{\"ab\":1,\"a\":2}", NULL},
        {"{\"a\":1,\"ab\":2,\"ab\":3}", "ab"},
        {"{\"\xc3\xa9\":1,\"\xc3\xa9\":2}", "\xc3\xa9"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mg_jdoc d = {0};
        assert_int_equal(mg_jdoc_parse(&d, cases[k].doc, strlen(cases[k].doc),
                                       NULL, 0), 0);
        long t = mg_jdoc_dup_key(&d);
        if (!cases[k].dup) {
            assert_int_equal(t, -1);
        } else {
            assert_true(t > 0);
            assert_int_equal(d.t[t].len, strlen(cases[k].dup));
            assert_memory_equal(d.s + d.t[t].start, cases[k].dup,
                                d.t[t].len);
            /* the later of the two: the name was seen before it */
            char q[16];
            snprintf(q, sizeof q, "\"%s\"", cases[k].dup);
            const char *first = strstr(cases[k].doc, q);
            if (!strchr(cases[k].dup, '\\'))
                assert_true(first && (size_t)(first - cases[k].doc) + 1 <
                                         d.t[t].start);
        }
        mg_jdoc_free(&d);
    }
    /* A skipped member (mg_jdoc.skip) is one token without its names'
     * tokens: not read as an object's names, in a document whose other
     * objects need the sort (its n names past it would be the tokens
     * after it, or none). */
    static const char *skipped[] = {
        "{\"b\":1,\"a\":2,\"notes\":{\"x\":[1],\"y\":{\"k\":1}}}",
        "{\"b\":1,\"notes\":{\"x\":1,\"y\":2},\"c\":3,\"a\":4}",
    };
    for (size_t k = 0; k < sizeof skipped / sizeof *skipped; k++) {
        mg_jdoc d = {0};
        d.skip = "notes";
        assert_int_equal(mg_jdoc_parse(&d, skipped[k], strlen(skipped[k]),
                                       NULL, 0), 0);
        assert_int_equal(mg_jdoc_dup_key(&d), -1);
        mg_jdoc_free(&d);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duplicate_keys),
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(number_blocks),
        cmocka_unit_test(mutations_agree),
    };
    /* Every vector level the CPU has (AVX2, SSE2), and none: the same
     * verdicts, messages and tokens from each. */
    int rc = 0, top = mg_jdoc_simd(-1);
    for (int level = top; level >= 0; level--) {
        mg_jdoc_simd(level);
        assert_int_equal(mg_jdoc_simd(-1), level);
        rc |= cmocka_run_group_tests(tests, NULL, NULL);
    }
    return rc;
}
