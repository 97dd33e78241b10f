/*
 * jsonout — canonical JSON writer (rules in jsonout.h).
 *
 * Why not json_dumps(JSON_SORT_KEYS): jansson stores integers as signed
 * 64-bit, so a sample seed above 2^63 cannot be held as a number, and its
 * real formatting ("%.17g") prints 0.1 as 0.10000000000000001. Both would
 * break byte-stable, Python-compatible sample.json files.
 */
#include "jsonout.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbuf.h"
#include "hex.h"
#include "utf8.h"

/* A u64 travels through the jansson tree as a string with this prefix. */
#define U64_TAG "\x01u64:"

json_t *
mg_json_text(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = mg_utf8_fix(s, NULL, 0) + 1;
    char *t = malloc(n);
    if (!t)
        return NULL;
    mg_utf8_fix(s, t, n);
    j = json_string(t);
    free(t);
    return j;
}

int
mg_json_set_path(json_t *o, const char *key, const char *path)
{
    json_t *j = json_string(path);
    if (j)
        return json_object_set_new(o, key, j);
    size_t n = strlen(path), kl = strlen(key);
    char *hex = malloc(2 * n + 1), *hkey = malloc(kl + 5);
    int rc = -1;
    if (hex && hkey) {
        mg_hex((const unsigned char *)path, n, hex);
        memcpy(hkey, key, kl);
        memcpy(hkey + kl, "_hex", 5);
        rc = json_object_set_new(o, key, mg_json_text(path)) ||
                     json_object_set_new(o, hkey, json_string(hex))
                 ? -1
                 : 0;
    }
    free(hex);
    free(hkey);
    return rc;
}

json_t *
mg_json_u64(uint64_t v)
{
    char buf[40];
    snprintf(buf, sizeof buf, U64_TAG "%" PRIu64, v);
    return json_string(buf);
}

json_t *
mg_json_real(double v, int decimals)
{
    if (!isfinite(v)) return json_null();
    double scale = pow(10.0, decimals);
    /* past 2^53 a double has no decimals to round, and v * scale could
     * overflow to inf (a value jansson refuses: the key went missing) */
    if (fabs(v) >= 9007199254740992.0) return json_real(v);
    double r = round(v * scale) / scale;
    if (r == 0) r = 0; /* no "-0.0" */
    return json_real(r);
}

/* Fast path for the common case, a value with at most 6 decimals of
 * modest size (times, scores): its shortest repr is those decimals with
 * trailing zeros dropped, since doubles below 1e9 are spaced far closer
 * than 1e-6. Returns false when the value is not such a number. */
static bool
real_fixed6(double v, char out[40], size_t *len)
{
    double a = fabs(v);
    if (!(a == 0 || (a >= 1e-4 && a < 1e9))) return false;
    double scaled = v * 1e6;
    long long k = llround(scaled);
    if ((double)k / 1e6 != v) return false;
    unsigned long long u = (unsigned long long)(k < 0 ? -k : k);
    char buf[40], *q = buf + sizeof buf;
    int frac = (int)(u % 1000000), decimals = 6;
    while (decimals > 1 && frac % 10 == 0) {
        frac /= 10;
        decimals--;
    }
    /* Written right to left: fraction digits, '.', integer digits. */
    *--q = 0;
    for (int d = 0; d < decimals; d++, frac /= 10)
        *--q = (char)('0' + frac % 10);
    *--q = '.';
    u /= 1000000;
    do
        *--q = (char)('0' + u % 10);
    while (u /= 10);
    if (k < 0) *--q = '-';
    *len = (size_t)(buf + sizeof buf - 1 - q);
    memcpy(out, q, *len + 1);
    return true;
}

/* Shortest digits that read back to the same double, laid out as
 * Python's repr does: fixed notation for exponents -4..15, else
 * scientific. Any decimal of <= 15 significant digits that reads back to
 * v is what "%.15e" prints for v (padded with zeros), so one conversion
 * usually suffices; 16 and 17 digits are the fallbacks. */
void
mg_json_real_text(double v, char *out, size_t n)
{
    if (!isfinite(v)) {
        snprintf(out, n, "null");
        return;
    }
    char f[40];
    size_t fl;
    if (real_fixed6(v, f, &fl)) {
        snprintf(out, n, "%s", f);
        return;
    }
    char e[48], digits[24];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(e, NULL) == v) break;
    }
    const char *m = e + (e[0] == '-');
    const char *ep = strchr(m, 'e');
    int exp10 = atoi(ep + 1), nd = 0;
    digits[nd++] = m[0];
    for (const char *p = m + 2; p < ep && nd < (int)sizeof digits - 1; p++)
        digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = nd - 1 - exp10;
        snprintf(out, n, "%.*f", decimals > 0 ? decimals : 0, v);
        if (!strchr(out, '.') && strlen(out) + 3 <= n) strcat(out, ".0");
    } else {
        snprintf(out, n, "%s%c%s%s%se%c%02d", e[0] == '-' ? "-" : "",
                 digits[0], nd > 1 ? "." : "", digits + 1, "",
                 exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

static void
put_real(mg_gbuf *b, double v)
{
    char buf[400];
    size_t len;
    if (isfinite(v) && real_fixed6(v, buf, &len)) {
        mg_gbuf_put(b, buf, len);
        return;
    }
    mg_json_real_text(v, buf, sizeof buf);
    mg_gbuf_puts(b, buf);
}

static void
newline(mg_gbuf *b, int indent, int depth)
{
    if (!indent) return;
    size_t k = (size_t)indent * (size_t)depth;
    if (b->len + k + 2 > b->cap && mg_gbuf_grow(b, k + 1)) return;
    b->p[b->len++] = '\n';
    memset(b->p + b->len, ' ', k);
    b->len += k;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is j, an array or object, flat: no member that is a non-empty array or
 * object? (An empty one is written "[]" or "{}", as short as a scalar.) */
static bool
flat(const json_t *j)
{
    const json_t *v;
    if (json_is_array(j)) {
        size_t i;
        json_array_foreach(j, i, v)
            if ((json_is_array(v) && json_array_size(v)) ||
                (json_is_object(v) && json_object_size(v)))
                return false;
        return true;
    }
    const char *key;
    json_object_foreach((json_t *)j, key, v)
        if ((json_is_array(v) && json_array_size(v)) ||
            (json_is_object(v) && json_object_size(v)))
            return false;
    return true;
}

static void
dump(mg_gbuf *b, const json_t *j, int indent, int depth)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        if (!n) {
            mg_gbuf_puts(b, "{}");
            return;
        }
        const char **keys = malloc(n * sizeof *keys);
        if (!keys) {
            b->oom = 1;
            return;
        }
        size_t k = 0;
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)j, key, v) keys[k++] = key;
        qsort(keys, n, sizeof *keys, cmp_str);
        /* A flat object goes on one line: indent 0 for its members. */
        int in = indent && flat(j) ? 0 : indent;
        mg_gbuf_put(b, "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) mg_gbuf_puts(b, in == indent || !indent ? "," : ", ");
            newline(b, in, depth + 1);
            mg_gbuf_jstrn(b, keys[i], strlen(keys[i]));
            mg_gbuf_puts(b, indent ? ": " : ":");
            dump(b, json_object_get(j, keys[i]), in, depth + 1);
        }
        newline(b, in, depth);
        mg_gbuf_put(b, "}", 1);
        free(keys);
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        if (!n) {
            mg_gbuf_puts(b, "[]");
            return;
        }
        int in = indent && flat(j) ? 0 : indent;
        mg_gbuf_put(b, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) mg_gbuf_puts(b, in == indent || !indent ? "," : ", ");
            newline(b, in, depth + 1);
            dump(b, json_array_get(j, i), in, depth + 1);
        }
        newline(b, in, depth);
        mg_gbuf_put(b, "]", 1);
        return;
    }
    case JSON_STRING: {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        size_t tl = sizeof U64_TAG - 1;
        if (n > tl && !memcmp(s, U64_TAG, tl))
            mg_gbuf_put(b, s + tl, n - tl);
        else
            mg_gbuf_jstrn(b, s, n);
        return;
    }
    case JSON_INTEGER: {
        char buf[32];
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(j));
        mg_gbuf_puts(b, buf);
        return;
    }
    case JSON_REAL: put_real(b, json_real_value(j)); return;
    case JSON_TRUE: mg_gbuf_puts(b, "true"); return;
    case JSON_FALSE: mg_gbuf_puts(b, "false"); return;
    case JSON_NULL: mg_gbuf_puts(b, "null"); return;
    }
}

char *
mg_json_dump(const json_t *j, int indent)
{
    mg_gbuf b = {0};
    dump(&b, j, indent, 0);
    mg_gbuf_put(&b, "\n\0", 2);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int
mg_json_write_file(const json_t *j, const char *path)
{
    char *text = mg_json_dump(j, 2);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(text);
        return -1;
    }
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    if (fflush(f) != 0) rc = -1;
    if (fclose(f) != 0) rc = -1;
    free(text);
    return rc;
}
