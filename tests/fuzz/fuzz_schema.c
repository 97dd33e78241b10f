/*
 * fuzz_schema — `musicgen verify`'s JSON Schema validator (jschema.h) over
 * any document, against the installed sample.json schema: no crash, no
 * read past a string (each value is jansson's own copy), every violation
 * reported as one line, at most the number asked for, and the count
 * returned at least the number reported; a document with no violation is
 * one the same schema accepts again after a round trip through jansson's
 * writer (the verdict depends on values, not on layout).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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
    json_t *doc = json_loadb((const char *)data, size,
                             JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
    if (!doc) return 0;
    reported = 0;
    int n = mg_jschema_validate(schema, doc, report, NULL, 5);
    if (n < 0 || reported > 5 || n < reported || (n > 0 && reported == 0))
        abort();
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
