/*
 * fuzz_jdoc — the sample.json tokenizer (common/dataset/jdoc.h), which
 * every dataset command runs over files copied from anywhere. Any input:
 * no crash, no read past the text (ASan), and the promises the readers
 * build on held against each other and against jansson:
 *   - the full parse, the two leaf-array modes and a parse that skips the
 *     root's "notes" give the same verdict and the same one-line message,
 *     at every vector level (bytes, SSE2, AVX2 where the CPU has them);
 *   - an accepted text is accepted by jansson too (but for a lone
 *     surrogate escape, which ours decodes as U+FFFD, and \u0000 in a key,
 *     which jansson's parser alone refuses), and a refused one is
 *     refused by jansson (unless only our depth limit, 256, refused it, or
 *     the text holds a raw NUL byte, which jansson lets pass after a
 *     number);
 *   - an accepted text's compact form is the same from every mode, and a
 *     leaf list of numbers reads back (mg_jdoc_leaf_doubles, _i64) the
 *     values the full parse gives each element.
 * Inputs are cut at 64 KiB (sample.json files are ~40 KiB).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jdoc.h"

#define NMODES 4

typedef struct {
    mg_jdoc d;
    int rc;
    char err[256];
} parsed;

static void
parse(parsed *p, const char *s, size_t n, int mode)
{
    p->d.skip = mode == 3 ? "notes" : NULL;
    unsigned flags = mode == 1   ? MG_JDOC_LEAF_ARRAYS
                     : mode == 2 ? MG_JDOC_SCALAR_ARRAYS
                                 : 0;
    p->err[0] = 0;
    p->rc = mg_jdoc_parse_opt(&p->d, s, n, flags, p->err, sizeof p->err);
    if (p->rc && (!p->err[0] || strchr(p->err, '\n'))) abort();
}

/* Deepest nesting of brackets outside strings (text accepted by jansson). */
static int
depth_of(const char *s, size_t n)
{
    int d = 0, max = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (in) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                in = false;
        } else if (s[i] == '"') {
            in = true;
        } else if (s[i] == '[' || s[i] == '{') {
            if (++d > max) max = d;
        } else if (s[i] == ']' || s[i] == '}') {
            d--;
        }
    }
    return max;
}

static void
leaves_agree(const mg_jdoc *sc)
{
    for (uint32_t i = 0; i < sc->n; i++) {
        const mg_jtok *t = &sc->t[i];
        if (t->type != MG_JT_ARR || !t->leaf) continue;
        mg_jdoc sub = {0};
        if (mg_jdoc_expand(sc, i, &sub) || sub.t[0].n != t->n) abort();
        double *dv = malloc((t->n + 1) * sizeof *dv);
        int64_t *iv = malloc((t->n + 1) * sizeof *iv);
        if (!dv || !iv) abort();
        if (!mg_jdoc_leaf_doubles(sc, i, dv))
            for (uint32_t k = 1; k < sub.n; k++) {
                double v;
                if (mg_jdoc_double(&sub, k, &v) ||
                    memcmp(&v, &dv[k - 1], sizeof v))
                    abort();
            }
        if (!mg_jdoc_leaf_i64(sc, i, iv))
            for (uint32_t k = 1; k < sub.n; k++) {
                int64_t v;
                if (mg_jdoc_i64(&sub, k, &v) || v != iv[k - 1]) abort();
            }
        free(dv);
        free(iv);
        mg_jdoc_free(&sub);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) size = 65536;
    /* an exact-size copy: a read past the text is a read past the block */
    char *s = malloc(size ? size : 1);
    if (!s) return 0;
    if (size) memcpy(s, data, size);
    /* vector levels 0 (bytes), 1 (SSE2), 2 (AVX2): each clamped to what
     * the CPU has */
    static parsed p[3][NMODES];
    int top = mg_jdoc_simd(-1);
    for (int v = 0; v < 3; v++) {
        mg_jdoc_simd(v);
        for (int m = 0; m < NMODES; m++)
            parse(&p[v][m], s, size, m);
    }
    mg_jdoc_simd(top);
    for (int v = 0; v < 3; v++)
        for (int m = 0; m < NMODES; m++)
            if (p[v][m].rc != p[0][0].rc || strcmp(p[v][m].err, p[0][0].err))
                abort();
    json_error_t je;
    json_t *j = json_loadb(
        s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
        &je);
    if (p[0][0].rc == 0) {
        /* jansson also refuses invalid UTF-8, which the tokenizer leaves
         * to the reader that decodes the string (mg_jdoc_to_json) */
        json_t *mine = mg_jdoc_to_json(&p[0][0].d, 0);
        /* ... lone surrogate escapes, which ours reads as U+FFFD, and a
         * \u0000 in a key, which jansson's parser (not its objects)
         * refuses */
        if (!j != !mine &&
            !(mine && (strstr(je.text, "invalid Unicode") ||
                       strstr(je.text, "NUL byte in object key"))))
            abort();
        json_decref(mine);
        size_t cap = p[0][0].d.t[0].len + 2;
        char *c0 = malloc(cap), *c1 = malloc(cap);
        if (!c0 || !c1) abort();
        size_t n0 = mg_jdoc_compact(&p[0][0].d, 0, c0);
        for (int m = 1; m < NMODES; m++) {
            size_t n1 = mg_jdoc_compact(&p[2][m].d, 0, c1);
            if (n1 != n0 || memcmp(c0, c1, n0)) abort();
        }
        free(c0);
        free(c1);
        leaves_agree(&p[2][2].d);
    } else if (j && depth_of(s, size) <= 256 && !memchr(s, 0, size)) {
        /* (jansson takes a raw NUL byte after a number, "[0.2\0]": the
         * grammar has none anywhere, so that refusal is ours to keep) */
        abort();
    }
    json_decref(j);
    free(s);
    return 0;
}
