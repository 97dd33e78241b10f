/*
 * test_proto — the wire codec: every message type round-trips through
 * encode/decode; malformed frames (short, long, bad magic, unknown type,
 * other version, over-long strings, NUL bytes, out-of-range values,
 * non-finite reals) are rejected with a reason; a REFUSE of any version
 * still decodes so a peer can be told why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static uint8_t *
enc(const mg_msg *m, size_t *len)
{
    uint8_t *buf;
    char err[256];
    assert_int_equal(mg_msg_encode(m, &buf, len, err, sizeof err), 0);
    return buf;
}

static void
test_round_trip_every_type(void **state)
{
    (void)state;
    for (int t = 1; t <= MG_MSG_MAX; t++) {
        mg_msg m, d;
        mg_msg_init(&m, (mg_msg_type)t);
        snprintf(m.identity, sizeof m.identity, "host-42.3");
        m.capacity = 3;
        m.global_seed = -7;
        m.start = 999990;
        m.count = 1000000;
        m.heartbeat_ms = 1000;
        m.run_json = strdup("{\"genres\":[\"jazz\"]}");
        snprintf(m.fp.engine_version, sizeof m.fp.engine_version, "0.1.0");
        memset(m.fp.genres_hash, 'a', 64);
        m.lease = 77;
        m.first = 640;
        m.n = 64;
        m.ttl_ms = 5000;
        m.retry_ms = 250;
        m.index = 641;
        m.seed = UINT64_MAX;
        m.status = MG_ROW_FAILED;
        m.split = MG_SPLIT_TEST;
        m.skipped = 1;
        m.attempt = 2;
        m.score = 0.8125;
        m.duration = 93.5;
        snprintf(m.error, sizeof m.error, "gate rejected every attempt");
        m.nacks = 3;
        m.acks[0] = 1;
        m.acks[1] = UINT64_MAX;
        m.acks[2] = 0;
        snprintf(m.reason, sizeof m.reason, "run complete");
        size_t len;
        uint8_t *buf = enc(&m, &len);
        char err[256];
        assert_int_equal(mg_msg_decode(&d, buf, len, err, sizeof err), 0);
        assert_int_equal(d.type, t);
        assert_int_equal(d.version, MG_PROTO_VERSION);
        switch (t) {
        case MG_MSG_HELLO:
            assert_string_equal(d.identity, "host-42.3");
            assert_int_equal(d.capacity, 3);
            break;
        case MG_MSG_RUN:
            assert_int_equal(d.global_seed, -7);
            assert_int_equal(d.start, 999990);
            assert_string_equal(d.run_json, m.run_json);
            assert_string_equal(d.fp.genres_hash, m.fp.genres_hash);
            break;
        case MG_MSG_JOIN:
            assert_string_equal(d.fp.engine_version, "0.1.0");
            assert_int_equal(d.nacks, 3);
            break;
        case MG_MSG_GRANT:
            assert_int_equal(d.lease, 77);
            assert_int_equal(d.first, 640);
            assert_int_equal(d.n, 64);
            break;
        case MG_MSG_ROW:
            assert_true(d.seed == UINT64_MAX);
            assert_int_equal(d.status, MG_ROW_FAILED);
            assert_int_equal(d.split, MG_SPLIT_TEST);
            assert_true(d.score == 0.8125 && d.duration == 93.5);
            assert_string_equal(d.error, m.error);
            break;
        case MG_MSG_ACK:
            assert_int_equal(d.nacks, 3);
            assert_true(d.acks[1] == UINT64_MAX);
            break;
        case MG_MSG_REFUSE:
        case MG_MSG_SHUTDOWN:
        case MG_MSG_BYE:
            assert_string_equal(d.reason, "run complete");
            break;
        }
        /* every strict prefix is rejected, never read past */
        for (size_t k = 0; k < len; k++) {
            mg_msg x;
            uint8_t *cut = malloc(k ? k : 1);
            memcpy(cut, buf, k);
            assert_int_equal(mg_msg_decode(&x, cut, k, err, sizeof err), -1);
            free(cut);
        }
        free(buf);
        mg_msg_clear(&d);
        mg_msg_clear(&m);
    }
}

static void
expect_reject(const uint8_t *buf, size_t len, const char *why)
{
    mg_msg m;
    char err[256] = "";
    assert_int_equal(mg_msg_decode(&m, buf, len, err, sizeof err), -1);
    assert_non_null(strstr(err, why));
}

static void
test_malformed_rejected(void **state)
{
    (void)state;
    static const uint8_t magic[] = {'X', 'G', MG_PROTO_VERSION, 1};
    expect_reject(magic, sizeof magic, "not a musicgen frame");
    static const uint8_t unknown[] = {'M', 'G', MG_PROTO_VERSION, 99};
    expect_reject(unknown, sizeof unknown, "unknown message type 99");
    static const uint8_t zero[] = {'M', 'G', MG_PROTO_VERSION, 0};
    expect_reject(zero, sizeof zero, "unknown message type 0");
    static const uint8_t version[] = {'M', 'G', 7, MG_MSG_HEARTBEAT};
    expect_reject(version, sizeof version, "protocol version 7");
    static const uint8_t trailing[] = {'M', 'G', MG_PROTO_VERSION,
                                       MG_MSG_HEARTBEAT, 0};
    expect_reject(trailing, sizeof trailing, "after the last field");
    /* HELLO whose identity claims 65535 bytes */
    static const uint8_t longstr[] = {'M', 'G', MG_PROTO_VERSION,
                                      MG_MSG_HELLO, 0xff, 0xff, 'a'};
    expect_reject(longstr, sizeof longstr, "identity is 65535 bytes");
    /* HELLO with a NUL inside identity */
    static const uint8_t nul[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO,
                                  0, 3, 'a', 0, 'b', 0, 0, 0, 1};
    expect_reject(nul, sizeof nul, "NUL");
    /* empty identity */
    static const uint8_t empty[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO,
                                    0, 0, 0, 0, 0, 1};
    expect_reject(empty, sizeof empty, "identity is empty");
    /* an identity with a newline (a forged log line), an escape, a
     * space or a byte past ASCII: refused, naming the byte */
    static const uint8_t newline[] = {'M', 'G', MG_PROTO_VERSION,
                                      MG_MSG_HELLO, 0, 3, 'a', '\n', 'b',
                                      0, 0, 0, 1};
    expect_reject(newline, sizeof newline, "identity holds byte 0x0a");
    static const uint8_t esc[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO,
                                  0, 2, 0x1b, 'b', 0, 0, 0, 1};
    expect_reject(esc, sizeof esc, "identity holds byte 0x1b");
    static const uint8_t space[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO,
                                    0, 3, 'a', ' ', 'b', 0, 0, 0, 1};
    expect_reject(space, sizeof space, "identity holds byte 0x20");
    static const uint8_t high[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO,
                                   0, 2, 'a', 0xc3, 0, 0, 0, 1};
    expect_reject(high, sizeof high, "identity holds byte 0xc3");

    /* out-of-range values through the encoder: status 5, capacity 0 */
    mg_msg m;
    size_t len;
    mg_msg_init(&m, MG_MSG_ROW);
    m.status = 5;
    uint8_t *buf = enc(&m, &len);
    expect_reject(buf, len, "status = 5 outside");
    free(buf);
    mg_msg_init(&m, MG_MSG_ROW);
    m.score = NAN;
    buf = enc(&m, &len);
    expect_reject(buf, len, "score is not a finite number");
    free(buf);
    mg_msg_init(&m, MG_MSG_HELLO);
    snprintf(m.identity, sizeof m.identity, "w");
    m.capacity = 0;
    buf = enc(&m, &len);
    expect_reject(buf, len, "capacity = 0 outside");
    free(buf);
    mg_msg_init(&m, MG_MSG_GRANT);
    m.n = 0;
    m.ttl_ms = 1000;
    buf = enc(&m, &len);
    expect_reject(buf, len, "n = 0 outside");
    free(buf);
    /* ACK count over the limit */
    uint8_t acks[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_ACK, 0xff, 0xff};
    expect_reject(acks, sizeof acks, "acks");
}

static void
test_refuse_any_version_decodes(void **state)
{
    (void)state;
    mg_msg m, d;
    size_t len;
    char err[256];
    mg_msg_init(&m, MG_MSG_REFUSE);
    snprintf(m.reason, sizeof m.reason, "go away");
    uint8_t *buf = enc(&m, &len);
    buf[2] = 200;
    assert_int_equal(mg_msg_peek_version(buf, len), 200);
    assert_int_equal(mg_msg_decode(&d, buf, len, err, sizeof err), 0);
    assert_int_equal(d.version, 200);
    assert_string_equal(d.reason, "go away");
    free(buf);
    assert_int_equal(mg_msg_peek_version((const uint8_t *)"MX", 2), -1);
}

static void
test_row_conversion_computes_path(void **state)
{
    (void)state;
    mg_row r, back;
    memset(&r, 0, sizeof r);
    r.index = 42;
    r.seed = 123;
    r.status = MG_ROW_OK;
    r.split = MG_SPLIT_VALID;
    r.attempt = 1;
    r.score = 0.5;
    snprintf(r.path, sizeof r.path, "../../etc"); /* never travels */
    mg_msg m;
    mg_msg_from_row(&m, &r, 9);
    assert_int_equal(m.lease, 9);
    mg_msg_to_row(&m, &back, 3);
    assert_string_equal(back.path, "000/000042");
    assert_int_equal(back.split, MG_SPLIT_VALID);
    assert_int_equal(back.seed, 123);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_type),
        cmocka_unit_test(test_malformed_rejected),
        cmocka_unit_test(test_refuse_any_version_decodes),
        cmocka_unit_test(test_row_conversion_computes_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
