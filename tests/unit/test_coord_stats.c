/*
 * test_coord_stats — what the coordinator's /metrics and status.json say:
 * counters start from the ledger's rows and only grow, histogram buckets
 * are cumulative with +Inf equal to _count and _sum the sum, failures and
 * recent rows come newest first (and a worker name from the wire stays a
 * JSON string, one that is not UTF-8 too), a publish replaces the worker
 * snapshot. Also the PNG
 * writer behind the spectrograms: signature, chunk CRCs, and the stored
 * deflate stream giving back the very pixels (decoded here by hand).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "png.h"
#include "stats.h"

static double
metric(const char *text, const char *name)
{
    char key[200];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(text, key);
    assert_non_null(p);
    return strtod(p + strlen(key), NULL);
}

static void
counters_and_histograms(void **state)
{
    (void)state;
    /* the ledger had 10 rows, 2 of them failed, of a 100-sample run */
    mg_stats *s = mg_stats_new("t", 10, 2, 100);
    assert_non_null(s);
    mg_stats_row(s, "w1", 10, true, false, 0.9, 30, "", 0.3);
    mg_stats_row(s, "w1", 11, true, false, 0.8, 30, "", 3.0);
    mg_stats_row(s, "w\"<b>", 12, false, false, 0, 0, "gate: too low", 0.01);
    mg_stats_row(s, "w2", 13, true, true, 0.7, 20, "", 5.0);  /* skipped */
    mg_stats_commit(s, 0.002);
    mg_stats_commit(s, 7.0);
    mg_stats_requeued(s, 3);
    mg_stats_requeued(s, -1);   /* an error count is not a count */
    mg_stats_lease_granted(s);
    char *m = mg_stats_metrics(s);
    assert_non_null(m);
    assert_true(metric(m, "musicgen_samples_done_total") == 8 + 3);
    assert_true(metric(m, "musicgen_samples_failed_total") == 2 + 1);
    assert_true(metric(m, "musicgen_samples_skipped_total") == 1);
    assert_true(metric(m, "musicgen_leases_requeued_total") == 3);
    assert_true(metric(m, "musicgen_leases_granted_total") == 1);
    /* render: 0.3, 3.0, 0.01 observed; the skipped row is not */
    assert_true(metric(m, "musicgen_sample_render_seconds_count") == 3);
    assert_true(metric(m, "musicgen_sample_render_seconds_bucket{le=\"+Inf\"}") == 3);
    assert_true(metric(m, "musicgen_sample_render_seconds_bucket{le=\"0.05\"}") == 1);
    assert_true(metric(m, "musicgen_sample_render_seconds_bucket{le=\"0.5\"}") == 2);
    assert_true(metric(m, "musicgen_sample_render_seconds_bucket{le=\"5\"}") == 3);
    double sum = metric(m, "musicgen_sample_render_seconds_sum");
    assert_true(sum > 3.3099 && sum < 3.3101);
    /* 7 s is past the last bucket: only +Inf holds it */
    assert_true(metric(m, "musicgen_ledger_commit_seconds_bucket{le=\"1\"}") == 1);
    assert_true(metric(m, "musicgen_ledger_commit_seconds_bucket{le=\"+Inf\"}") == 2);
    free(m);

    char *js = mg_stats_json(s);
    json_t *o = json_loads(js, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "done")), 14);
    assert_int_equal(json_integer_value(json_object_get(o, "failed")), 3);
    json_t *f = json_array_get(json_object_get(o, "failures"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "worker")),
                        "w\"<b>");
    assert_string_equal(json_string_value(json_object_get(f, "error")),
                        "gate: too low");
    json_t *r = json_object_get(o, "recent_rows");
    assert_int_equal(json_array_size(r), 4);
    assert_int_equal(json_integer_value(json_object_get(
        json_array_get(r, 0), "index")), 13);
    json_decref(o);
    free(js);

    mg_stats_worker w[2] = {
        {"a", true, 0, 7, 64, 64, 5}, {"b", false, 0, -1, 0, 0, 0},
    };
    mg_stats_progress p = {100, 14, 3, 2.5, 34.4, 5, 1, false};
    mg_stats_publish(s, &p, w, 2);
    /* the gauges are the loop's live values, not the snapshot's */
    m = mg_stats_metrics(s);
    assert_true(metric(m, "musicgen_leases_active") == 0);
    free(m);
    mg_stats_gauges(s, 1, 1);
    m = mg_stats_metrics(s);
    assert_true(metric(m, "musicgen_workers_connected") == 1);
    assert_true(metric(m, "musicgen_leases_active") == 1);
    free(m);
    js = mg_stats_json(s);
    o = json_loads(js, 0, NULL);
    json_t *ws = json_object_get(o, "workers");
    assert_int_equal(json_array_size(ws), 2);
    json_t *lease = json_object_get(json_array_get(ws, 0), "lease");
    assert_int_equal(json_integer_value(json_object_get(lease, "last")), 127);
    assert_null(json_object_get(json_array_get(ws, 1), "lease"));
    json_decref(o);
    free(js);
    mg_stats_publish(s, &p, NULL, 0);
    mg_stats_gauges(s, 1, 0);
    m = mg_stats_metrics(s);
    assert_true(metric(m, "musicgen_workers_connected") == 0);
    free(m);
    mg_stats_destroy(&s);
    assert_null(s);
}

/* Text that is not UTF-8 (an --out path in the title, a worker's
 * identity, its error): each was NULL to jansson and went missing from
 * status.json (the page's title blank, a worker or its row gone). */
static void
not_utf8_text_stays(void **state)
{
    (void)state;
    mg_stats *s = mg_stats_new("run -> o\377", 0, 0, 10);
    assert_non_null(s);
    mg_stats_row(s, "w\377", 1, false, false, 0, 0, "o\377/x: no", 0.1);
    mg_stats_worker w[1] = {{"w\377", true, 0, 7, 0, 8, 1}};
    mg_stats_progress p = {10, 1, 1, 1.0, 9, 1, 1, false};
    mg_stats_publish(s, &p, w, 1);
    char *js = mg_stats_json(s);
    json_t *o = json_loads(js, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "title")),
                        "run -> o\xEF\xBF\xBD");
    json_t *x = json_array_get(json_object_get(o, "workers"), 0);
    assert_string_equal(json_string_value(json_object_get(x, "identity")),
                        "w\xEF\xBF\xBD");
    json_t *f = json_array_get(json_object_get(o, "failures"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "worker")),
                        "w\xEF\xBF\xBD");
    assert_string_equal(json_string_value(json_object_get(f, "error")),
                        "o\xEF\xBF\xBD/x: no");
    json_decref(o);
    free(js);
    mg_stats_destroy(&s);
}

static uint32_t
crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

static uint32_t
be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static void
png_round_trip(void **state)
{
    (void)state;
    /* wide enough that the image data spans two stored blocks */
    enum { W = 300, H = 300 };
    uint8_t *pix = malloc(W * H), pal[3 * 4] = {0, 0, 0, 255, 0, 0,
                                                0, 255, 0, 0, 0, 255};
    for (int i = 0; i < W * H; i++)
        pix[i] = (uint8_t)((i * 7 + i / W) % 4);
    uint8_t *png, *png2;
    size_t len, len2;
    assert_int_equal(mg_png_encode(pix, W, H, pal, 4, &png, &len), 0);
    assert_int_equal(mg_png_encode(pix, W, H, pal, 4, &png2, &len2), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(png, png2, len);    /* byte-stable */
    free(png2);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    uint8_t *raw = malloc((size_t)H * (W + 1)), *z = NULL;
    size_t at = 8, zlen = 0, nraw = 0;
    int chunks = 0;
    while (at < len) {
        uint32_t n = be(png + at);
        assert_true(at + 12 + n <= len);
        assert_int_equal(crc(png + at + 4, n + 4), be(png + at + 8 + n));
        if (!memcmp(png + at + 4, "IHDR", 4)) {
            assert_int_equal(be(png + at + 8), W);
            assert_int_equal(be(png + at + 12), H);
            assert_int_equal(png[at + 16], 8);
            assert_int_equal(png[at + 17], 3);
        }
        if (!memcmp(png + at + 4, "IDAT", 4)) {
            z = png + at + 8;
            zlen = n;
        }
        chunks++;
        at += 12 + n;
    }
    assert_int_equal(chunks, 4);
    assert_non_null(z);
    /* zlib header, stored blocks, Adler-32 */
    assert_int_equal((z[0] * 256 + z[1]) % 31, 0);
    size_t p = 2;
    int last = 0, blocks = 0;
    while (!last) {
        last = z[p] & 1;
        assert_int_equal(z[p] >> 1 & 3, 0);
        size_t n = z[p + 1] | z[p + 2] << 8;
        assert_int_equal(n ^ 0xffff, (size_t)(z[p + 3] | z[p + 4] << 8));
        memcpy(raw + nraw, z + p + 5, n);
        nraw += n;
        p += 5 + n;
        blocks++;
    }
    assert_true(blocks >= 2);
    assert_int_equal(p + 4, zlen);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < nraw; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    assert_int_equal(be(z + p), b << 16 | a);
    assert_int_equal(nraw, (size_t)H * (W + 1));
    for (int y = 0; y < H; y++) {
        assert_int_equal(raw[(size_t)y * (W + 1)], 0);
        assert_memory_equal(raw + (size_t)y * (W + 1) + 1, pix + y * W, W);
    }
    assert_int_equal(mg_png_encode(pix, 0, H, pal, 4, &png2, &len2), -1);
    /* the length is known before the picture is drawn (a HEAD of serve's
     * spectrogram gives it): here, and where the rows fill one stored
     * block (65535 bytes: 257 rows of 254 + 1) */
    assert_int_equal(mg_png_size(W, H, 4), len);
    assert_int_equal(mg_png_encode(pix, 254, 257, pal, 4, &png2, &len2), 0);
    assert_int_equal(mg_png_size(254, 257, 4), len2);
    free(png2);
    assert_int_equal(mg_png_size(0, H, 4), 0);
    free(png);
    free(raw);
    free(pix);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_and_histograms),
        cmocka_unit_test(not_utf8_text_stays),
        cmocka_unit_test(png_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
