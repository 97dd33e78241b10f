/*
 * fuzz_schema — `musicgen verify`'s JSON Schema validator (jschema.h) over
 * any document, against the installed sample.json schema, on the text's
 * tokens as verify runs it: no crash, no read past the text, every
 * violation reported as one line, at most the number asked for, and the
 * count returned at least the number reported; jansson's tree of the same
 * text (where jansson reads it) gets the same count through the jansson
 * form, and a document with no violation is accepted again after a round
 * trip through jansson's writer (the verdict depends on values, not on
 * layout).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jdoc.h"
#include "jschema.h"

static int reported;

static void
report(const char *msg, void *arg)
{
    (void)arg;
    if (!msg[0] || strchr(msg, '\n')) abort();
    reported++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mg_jschema *schema;
    if (!schema) {
        char err[512];
        schema = mg_jschema_load(MG_SRC_DIR "/schema/sample.schema.json", err,
                                 sizeof err);
        if (!schema) {
            fprintf(stderr, "fuzz_schema: %s\n", err);
            abort();
        }
    }
    /* verify's path: the text's tokens */
    mg_jdoc d = {0};
    char perr[200];
    if (mg_jdoc_parse(&d, (const char *)data, size, perr, sizeof perr)) {
        mg_jdoc_free(&d);
        return 0;
    }
    reported = 0;
    int n = mg_jschema_validate_doc(schema, &d, 0, report, NULL, 5);
    if (n < 0 || reported > 5 || n < reported || (n > 0 && reported == 0))
        abort();
    uint32_t ntok = d.n;
    mg_jdoc_free(&d);
    /* the jansson form: the same count for the same values (unless a key
     * repeats: jansson keeps one member, the tokens check each) */
    json_t *doc = json_loadb((const char *)data, size,
                             JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
    if (!doc) return 0;
    char *dump = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
    mg_jdoc d2 = {0};
    bool dup = !dump ||
               mg_jdoc_parse(&d2, dump, strlen(dump), perr, sizeof perr) ||
               d2.n != ntok;
    mg_jdoc_free(&d2);
    free(dump);
    if (!dup && mg_jschema_validate(schema, doc, NULL, NULL, 0) != n) abort();
    if (n == 0) {
        char *text = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
        json_t *again =
            text ? json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                              NULL)
                 : NULL;
        if (!again || mg_jschema_validate(schema, again, NULL, NULL, 0))
            abort();
        json_decref(again);
        free(text);
    }
    json_decref(doc);
    return 0;
}
