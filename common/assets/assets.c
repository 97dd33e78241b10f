/*
 * assets — parser of the assets.toml subset (see assets.h). Line by line:
 * a line is blank, a comment, a [[sf2]] / [[midi]] header, or one
 * `key = value`; values never span lines. Unknown keys are errors (a typo
 * must not silently drop a licence), as are duplicate keys and names.
 */
#include "assets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "rfile.h"
#include "song.h"
#include "utf8.h"

typedef struct {
    const char *what;
    int line;
    char *err;
    size_t errlen;
} ctx;

#define FAIL(c, ...)                                                         \
    do {                                                                     \
        char m_[512];                                                        \
        snprintf(m_, sizeof m_, __VA_ARGS__);                                \
        return mg_errf((c)->err, (c)->errlen, "%s:%d: %s", (c)->what,        \
                       (c)->line, m_);                                       \
    } while (0)

static void
cpy(char *d, size_t n, const char *s)
{
    size_t k = strlen(s);
    if (k >= n)
        k = n - 1;
    memcpy(d, s, k);
    d[k] = 0;
}

static const char *
skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* A basic string at *pp (after the opening quote is checked). */
static int
parse_string(ctx *c, const char **pp, const char *e, char *out, size_t n)
{
    const char *p = *pp + 1;
    size_t k = 0;

    while (p < e && *p != '"') {
        char ch = *p++;
        if ((unsigned char)ch < 0x20 && ch != '\t')
            FAIL(c, "control character in a string");
        if (ch == '\\') {
            if (p >= e)
                FAIL(c, "unterminated string");
            ch = *p++;
            switch (ch) {
            case '"': case '\\': break;
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            default:
                FAIL(c, "unknown escape \\%c in a string", ch);
            }
        }
        if (k + 1 >= n)
            FAIL(c, "string longer than %zu bytes", n - 1);
        out[k++] = ch;
    }
    if (p >= e)
        FAIL(c, "unterminated string");
    out[k] = 0;
    *pp = p + 1;
    return 0;
}

typedef enum { V_STR, V_NUM, V_BOOL, V_ARR } vtype;

typedef struct {
    vtype t;
    char s[1024];
    double num;
    bool b;
    int narr;
    char arr[8][32];
} value;

static int
parse_value(ctx *c, const char *p, const char *e, value *v)
{
    p = skip_ws(p, e);
    if (p >= e)
        FAIL(c, "missing value");
    if (*p == '"') {
        v->t = V_STR;
        if (parse_string(c, &p, e, v->s, sizeof v->s) < 0)
            return -1;
    } else if (*p == '[') {
        v->t = V_ARR;
        v->narr = 0;
        p++;
        for (;;) {
            p = skip_ws(p, e);
            if (p < e && *p == ']') {
                p++;
                break;
            }
            if (p >= e || *p != '"')
                FAIL(c, "an array holds strings, one line: [\"a\", \"b\"]");
            if (v->narr >= 8)
                FAIL(c, "more than 8 array elements");
            if (parse_string(c, &p, e, v->arr[v->narr], sizeof v->arr[0]) < 0)
                return -1;
            v->narr++;
            p = skip_ws(p, e);
            if (p < e && *p == ',') {
                p++;
                continue;
            }
            if (p < e && *p == ']') {
                p++;
                break;
            }
            FAIL(c, "expected ',' or ']' in an array");
        }
    } else if (e - p >= 4 && !strncmp(p, "true", 4)) {
        v->t = V_BOOL;
        v->b = true;
        p += 4;
    } else if (e - p >= 5 && !strncmp(p, "false", 5)) {
        v->t = V_BOOL;
        v->b = false;
        p += 5;
    } else {
        char num[64], *end;
        size_t k = 0;
        while (p < e && k + 1 < sizeof num &&
               (isdigit((unsigned char)*p) || strchr("+-._eE", *p))) {
            if (*p != '_')
                num[k++] = *p;
            p++;
        }
        num[k] = 0;
        v->t = V_NUM;
        v->num = strtod(num, &end);
        if (!k || *end)
            FAIL(c, "a value is a \"string\", a number, true, false or "
                    "[\"array\"]");
    }
    p = skip_ws(p, e);
    if (p < e && *p != '#')
        FAIL(c, "unexpected text after the value");
    return 0;
}

static bool
is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* An entry is complete when the next header (or the end) comes. */
static int
finish(ctx *c, mg_assets *out)
{
    mg_asset *a;

    if (!out->n)
        return 0;
    a = &out->a[out->n - 1];
    c->line = a->line;
    if (!a->name[0])
        FAIL(c, "[[%s]] without a name", a->kind == MG_ASSET_SF2 ? "sf2"
                                                                 : "midi");
    if (!a->url[0])
        FAIL(c, "%s: no url", a->name);
    if (!a->unverified && !is_hex64(a->sha256))
        FAIL(c, "%s: sha256 must be 64 hex digits (sha256sum FILE), or \"\" "
             "for a source whose checksum is not known (never fetched)",
             a->name);
    if (!a->filename[0])
        FAIL(c, "%s: no filename", a->name);
    if (!a->layers)
        FAIL(c, "%s: no layers", a->name);
    if (!a->license[0])
        snprintf(a->license, sizeof a->license, "unknown");
    if (!a->license_class[0]) {
        static const char *const perm[] = {"MIT", "public-domain", "CC0-1.0",
                                           "CC0", "BSD-3-Clause",
                                           "Apache-2.0", "custom-permissive"};
        bool p = false;
        for (size_t i = 0; i < sizeof perm / sizeof *perm; i++)
            p |= !strcmp(a->license, perm[i]);
        snprintf(a->license_class, sizeof a->license_class, "%s",
                 p ? "permissive"
                   : !strncmp(a->license, "CC-BY-SA", 8) ||
                             !strncmp(a->license, "GPL", 3) ||
                             !strncmp(a->license, "LGPL", 4)
                         ? "copyleft"
                   : !strncmp(a->license, "CC-BY", 5) ? "attribution"
                                                      : "unknown");
    }
    for (int i = 0; i < out->n - 1; i++)
        if (!strcmp(out->a[i].name, a->name))
            FAIL(c, "%s: the name is already used at line %d", a->name,
                 out->a[i].line);
    return 0;
}

static int
set_key(ctx *c, mg_asset *a, const char *key, const value *v,
        unsigned *seen)
{
    static const char *const keys[] = {
        "name", "description", "url", "sha256", "filename", "size_hint_mb",
        "license", "license_url", "layers", "default", "license_class",
        "attribution"};
    int k = -1;

    for (int i = 0; i < (int)(sizeof keys / sizeof *keys); i++)
        if (!strcmp(key, keys[i]))
            k = i;
    if (k < 0)
        FAIL(c, "unknown key '%s'", key);
    if (*seen & (1u << k))
        FAIL(c, "'%s' given twice", key);
    *seen |= 1u << k;
    if (k == 5) {
        if (v->t != V_NUM || v->num < 0)
            FAIL(c, "size_hint_mb: need a non-negative number");
        a->size_hint_mb = v->num;
        return 0;
    }
    if (k == 9) {
        if (v->t != V_BOOL)
            FAIL(c, "default: need true or false");
        a->is_default = v->b;
        return 0;
    }
    if (k == 8) {
        if (v->t != V_ARR || !v->narr)
            FAIL(c, "layers: need [\"beat\", \"melody\", ...]");
        for (int i = 0; i < v->narr; i++) {
            int l = strcmp(v->arr[i], "all") ? mg_layer_from_name(v->arr[i])
                                             : -2;
            if (l == -2)
                a->layers = (1u << MG_NLAYERS) - 1;
            else if (l < 0)
                FAIL(c, "layers: unknown layer '%s'", v->arr[i]);
            else
                a->layers |= 1u << l;
        }
        return 0;
    }
    if (v->t != V_STR)
        FAIL(c, "%s: need a \"string\"", key);
    switch (k) {
    case 0:
        if (!v->s[0] || strspn(v->s, "abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                     "_.+-") != strlen(v->s) ||
            strlen(v->s) >= sizeof a->name)
            FAIL(c, "name: letters, digits and _.+- only");
        cpy(a->name, sizeof a->name, v->s);
        break;
    case 1: cpy(a->description, sizeof a->description, v->s);
        break;
    case 2:
        if (strncmp(v->s, "http://", 7) && strncmp(v->s, "https://", 8))
            FAIL(c, "url: need http:// or https://");
        cpy(a->url, sizeof a->url, v->s);
        break;
    case 3:
        if (!v->s[0]) {
            a->unverified = true;
            break;
        }
        if (!is_hex64(v->s))
            FAIL(c, "sha256: need 64 hex digits (or \"\": unverified)");
        for (int i = 0; i < 64; i++)
            a->sha256[i] = (char)tolower((unsigned char)v->s[i]);
        a->sha256[64] = 0;
        break;
    case 4:
        if (!v->s[0] || strchr(v->s, '/') || v->s[0] == '.' ||
            strlen(v->s) >= sizeof a->filename)
            FAIL(c, "filename: a plain file name (no '/', not hidden)");
        cpy(a->filename, sizeof a->filename, v->s);
        break;
    case 6: cpy(a->license, sizeof a->license, v->s); break;
    case 7: cpy(a->license_url, sizeof a->license_url, v->s);
        break;
    case 10:
        if (strcmp(v->s, "permissive") && strcmp(v->s, "attribution") &&
            strcmp(v->s, "copyleft") && strcmp(v->s, "unknown"))
            FAIL(c, "license_class: permissive, attribution, copyleft or "
                    "unknown");
        cpy(a->license_class, sizeof a->license_class, v->s);
        break;
    case 11: cpy(a->attribution, sizeof a->attribution, v->s);
        break;
    }
    return 0;
}

int
mg_assets_parse(const char *text, size_t len, const char *what,
                mg_assets *out, char *err, size_t errlen)
{
    ctx c = {what, 0, err, errlen};
    const char *p = text, *end = text + len;
    unsigned seen = 0;

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *q;
        c.line++;
        if (e > p && e[-1] == '\r')
            e--;
        if (e > p && memchr(p, 0, (size_t)(e - p)))
            FAIL(&c, "NUL byte");
        /* TOML is UTF-8: a Latin-1 "M\xfcller" in an attribution went
         * through jansson as nothing, and the licence sidecar lost it */
        long bad = mg_utf8_bad(p, (size_t)(e - p));
        if (bad >= 0)
            FAIL(&c, "byte 0x%02X at column %ld is not UTF-8 (save the file "
                 "as UTF-8)", (unsigned char)p[bad], bad + 1);
        q = skip_ws(p, e);
        if (q == e || *q == '#') {
            /* blank or comment */
        } else if (*q == '[') {
            const char *r = q;
            mg_asset_kind kind;
            while (r < e && *r != '#')
                r++;
            while (r > q && (r[-1] == ' ' || r[-1] == '\t'))
                r--;
            if (r - q == 7 && !strncmp(q, "[[sf2]]", 7))
                kind = MG_ASSET_SF2;
            else if (r - q == 8 && !strncmp(q, "[[midi]]", 8))
                kind = MG_ASSET_MIDI;
            else
                FAIL(&c, "expected [[sf2]] or [[midi]]");
            {
                int ln = c.line;
                if (finish(&c, out) < 0)
                    return -1;
                c.line = ln;
            }
            if (out->n >= MG_ASSETS_MAX)
                FAIL(&c, "more than %d entries", MG_ASSETS_MAX);
            memset(&out->a[out->n], 0, sizeof out->a[0]);
            out->a[out->n].kind = kind;
            out->a[out->n].line = c.line;
            out->n++;
            seen = 0;
        } else {
            char key[64];
            size_t k = 0;
            value v;
            while (q < e && (isalnum((unsigned char)*q) || *q == '_') &&
                   k + 1 < sizeof key)
                key[k++] = *q++;
            key[k] = 0;
            q = skip_ws(q, e);
            if (!k || q >= e || *q != '=')
                FAIL(&c, "expected `key = value`");
            if (!out->n)
                FAIL(&c, "'%s' before any [[sf2]] or [[midi]] header", key);
            if (parse_value(&c, q + 1, e, &v) < 0 ||
                set_key(&c, &out->a[out->n - 1], key, &v, &seen) < 0)
                return -1;
        }
        p = nl ? nl + 1 : end;
    }
    return finish(&c, out);
}

int
mg_assets_load(const char *path, mg_assets *out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    if (mg_rfile_read(path, 16 << 20, &buf, &len, err, errlen) < 0)
        return -1;
    rc = mg_assets_parse(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}
