/*
 * test_gbuf_hex — the shared helpers of common/base: mg_hex (SHA-256
 * digests of the NIST "abc" and empty vectors as text, equal to a
 * printf rendering on seeded random bytes) and mg_gbuf (growth across
 * its doublings keeps every byte, JSON string escapes as jsonout and
 * export write them, a byte of no UTF-8 sequence as U+FFFD).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "gbuf.h"
#include "hex.h"
#include "utf8.h"

static void
hex_digests(void **state)
{
    (void)state;
    unsigned char d[32];
    char hex[65];
    SHA256((const unsigned char *)"abc", 3, d);
    mg_hex_sha256(d, hex);
    assert_string_equal(
        hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    SHA256((const unsigned char *)"", 0, d);
    mg_hex_sha256(d, hex);
    assert_string_equal(
        hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* Any bytes: the same text as "%02x" per byte. */
    uint64_t x = 12345;
    for (int it = 0; it < 200; it++) {
        unsigned char b[40];
        size_t n = (size_t)(it % 41);
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(x >> 56);
        }
        char got[81], want[81] = "";
        mg_hex(b, n, got);
        for (size_t i = 0; i < n; i++) sprintf(want + 2 * i, "%02x", b[i]);
        assert_string_equal(got, want);
    }
}

static void
gbuf_grows_and_escapes(void **state)
{
    (void)state;
    mg_gbuf b = {0};
    /* 100k bytes one at a time and in odd chunks: all kept, in order. */
    for (size_t i = 0; i < 100000; i++) mg_gbuf_putc(&b, (char)('a' + i % 26));
    for (size_t i = 0; i < 1000; i++) mg_gbuf_put(&b, "0123456789", i % 11);
    assert_int_equal(b.oom, 0);
    assert_true(b.cap > b.len);
    size_t k = 0;
    for (; k < 100000; k++) assert_int_equal(b.p[k], 'a' + k % 26);
    for (size_t i = 0; i < 1000; i++)
        for (size_t j = 0; j < i % 11; j++, k++) assert_int_equal(b.p[k], '0' + (int)j);
    assert_int_equal(k, b.len);
    mg_gbuf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);

    const char in[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj/k\xc3\xa9";
    mg_gbuf_jstrn(&b, in, sizeof in - 1);
    mg_gbuf_putc(&b, 0);
    assert_string_equal(
        b.p, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj/k\xc3\xa9\"");
    b.len = 0;
    mg_gbuf_jstr(&b, "");
    mg_gbuf_puts(&b, "|");
    mg_gbuf_jstrn(&b, "x\0y", 3); /* an embedded NUL is escaped too */
    mg_gbuf_putc(&b, 0);
    assert_string_equal(b.p, "\"\"|\"x\\u0000y\"");
    mg_gbuf_free(&b);
}

/* Bytes of no valid UTF-8 sequence (a path's: file names are bytes) are
 * U+FFFD in a JSON string, in the word step's stretch too; valid UTF-8
 * stays as it is (export wrote the bytes: no JSON reader took the rows).
 * mg_utf8_fix never cuts a character and counts as snprintf does. */
static void
utf8_stray_bytes(void **state)
{
    (void)state;
    mg_gbuf b = {0};
    static const char *const cases[][2] = {
        {"a\xff", "\"a\xEF\xBF\xBD\""},
        {"/data/abcdefgh\xffijklmnop/x", "\"/data/abcdefgh\xEF\xBF\xBDijklmnop/x\""},
        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5", "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xB5\""},
        {"\xC3(\xED\xA0\x80\xF4\x90\x80\x80\xC0\xAF", "\"\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
         "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\""},
        {"cut \xE2\x82", "\"cut \xEF\xBF\xBD\xEF\xBF\xBD\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        b.len = 0;
        mg_gbuf_jstr(&b, cases[i][0]);
        mg_gbuf_putc(&b, 0);
        assert_string_equal(b.p, cases[i][1]);
        assert_int_equal(mg_utf8_valid(cases[i][0]), i == 2);
    }
    mg_gbuf_free(&b);
    char out[8];
    assert_int_equal(mg_utf8_fix("ab\xff\xC3\xA9", out, sizeof out), 7);
    assert_string_equal(out, "ab\xEF\xBF\xBD\xC3\xA9");
    assert_int_equal(mg_utf8_fix("ab\xff\xC3\xA9", out, 6), 7);
    assert_string_equal(out, "ab\xEF\xBF\xBD"); /* not half of the e */
    assert_int_equal(mg_utf8_fix("\xff", NULL, 0), 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_digests),
        cmocka_unit_test(gbuf_grows_and_escapes),
        cmocka_unit_test(utf8_stray_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
