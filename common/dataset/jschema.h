/*
 * jschema — a JSON Schema (draft-07) validator for the subset of keywords
 * our schema/ files use, so `musicgen verify` checks sample.json against
 * the very file the documentation and the Python-side tests use.
 *
 * Keywords implemented: type (string or list), enum, const, properties,
 * required, additionalProperties (bool or schema), propertyNames, items
 * (one schema), minItems, maxItems, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum (numbers), minLength, maxLength, pattern (POSIX
 * extended regex: the patterns we use mean the same there), allOf, anyOf,
 * oneOf, not, and local $ref ("#/definitions/NAME"). Annotations
 * ($schema, $id, title, description, definitions, default, examples) are
 * ignored. Invariant: a schema using any other keyword, or a keyword whose
 * value has the wrong form ("required": "a", "minimum": "5", "type":
 * "bogus"), is refused when it is loaded, naming the keyword, so no rule
 * is ever skipped or misread silently.
 *
 * Numbers: an integral real counts as "integer" (sample seeds exceed
 * 2^63, so documents are parsed with JSON_DECODE_INT_AS_REAL).
 * Thread safety: a loaded schema is read-only; any number of threads may
 * validate with it at once (the compiled patterns are made at load).
 */
#ifndef MG_JSCHEMA_H
#define MG_JSCHEMA_H

#include <stddef.h>

#include <jansson.h>

#include "jdoc.h"

typedef struct mg_jschema mg_jschema;

/* Load and compile the schema file; NULL and a message on error. */
mg_jschema *mg_jschema_load(const char *path, char *err, size_t errlen);
void mg_jschema_destroy(mg_jschema **sp);

/* Validate doc. Calls report(msg, arg) for each violation, at most
 * max_reports times ("/beat_times/3: -1 is less than the minimum 0").
 * Returns the number of violations found (all counted, even those not
 * reported). */
int mg_jschema_validate(const mg_jschema *s, const json_t *doc,
                        void (*report)(const char *msg, void *arg),
                        void *arg, int max_reports);

/* The same over token tok of a document tokenized by mg_jdoc_parse (full
 * tokens: no leaf arrays, nothing skipped), what `verify` validates with:
 * a sample.json costs its tokens, not a jansson tree. The jansson form
 * above writes the tree out and comes here, so both give the same
 * verdicts and messages. */
int mg_jschema_validate_doc(const mg_jschema *s, const mg_jdoc *d, uint32_t tok,
                            void (*report)(const char *msg, void *arg),
                            void *arg, int max_reports);

#endif
