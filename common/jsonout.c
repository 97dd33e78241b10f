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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A u64 travels through the jansson tree as a string with this prefix. */
#define U64_TAG "\x01u64:"

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
    double r = round(v * scale) / scale;
    if (r == 0) r = 0; /* no "-0.0" */
    return json_real(r);
}

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} sbuf;

static void
put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void
puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void
put_string(sbuf *b, const char *s, size_t n)
{
    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        switch (c) {
        case '"': puts_(b, "\\\""); break;
        case '\\': puts_(b, "\\\\"); break;
        case '\n': puts_(b, "\\n"); break;
        case '\r': puts_(b, "\\r"); break;
        case '\t': puts_(b, "\\t"); break;
        case '\b': puts_(b, "\\b"); break;
        case '\f': puts_(b, "\\f"); break;
        default:
            if (c < 0x20) {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                puts_(b, esc);
            } else {
                put(b, (const char *)&s[i], 1);
            }
        }
    }
    put(b, "\"", 1);
}

/* Shortest digits that read back to the same double, laid out as
 * Python's repr does: fixed notation for exponents -4..15, else
 * scientific. */
static void
put_real(sbuf *b, double v)
{
    if (!isfinite(v)) {
        puts_(b, "null");
        return;
    }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
        if (strtod(buf, NULL) == v) break;
    }
    int exp10 = atoi(strchr(buf, 'e') + 1);
    if (exp10 >= -4 && exp10 < 16) {
        int decimals = prec - 1 - exp10;
        snprintf(buf, sizeof buf, "%.*f", decimals > 0 ? decimals : 0, v);
        if (!strchr(buf, '.')) strcat(buf, ".0");
    }
    puts_(b, buf);
}

static void
newline(sbuf *b, int indent, int depth)
{
    if (!indent) return;
    put(b, "\n", 1);
    for (int i = 0; i < indent * depth; i++)
        put(b, " ", 1);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
dump(sbuf *b, const json_t *j, int indent, int depth)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        if (!n) {
            puts_(b, "{}");
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
        put(b, "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) put(b, ",", 1);
            newline(b, indent, depth + 1);
            put_string(b, keys[i], strlen(keys[i]));
            puts_(b, indent ? ": " : ":");
            dump(b, json_object_get(j, keys[i]), indent, depth + 1);
        }
        newline(b, indent, depth);
        put(b, "}", 1);
        free(keys);
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        if (!n) {
            puts_(b, "[]");
            return;
        }
        put(b, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i) put(b, ",", 1);
            newline(b, indent, depth + 1);
            dump(b, json_array_get(j, i), indent, depth + 1);
        }
        newline(b, indent, depth);
        put(b, "]", 1);
        return;
    }
    case JSON_STRING: {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        size_t tl = sizeof U64_TAG - 1;
        if (n > tl && !memcmp(s, U64_TAG, tl))
            put(b, s + tl, n - tl);
        else
            put_string(b, s, n);
        return;
    }
    case JSON_INTEGER: {
        char buf[32];
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(j));
        puts_(b, buf);
        return;
    }
    case JSON_REAL: put_real(b, json_real_value(j)); return;
    case JSON_TRUE: puts_(b, "true"); return;
    case JSON_FALSE: puts_(b, "false"); return;
    case JSON_NULL: puts_(b, "null"); return;
    }
}

char *
mg_json_dump(const json_t *j, int indent)
{
    sbuf b = {0};
    dump(&b, j, indent, 0);
    put(&b, "\n", 1);
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
