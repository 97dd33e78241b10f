/*
 * jdoc — a fast JSON tokenizer for reading many sample.json files.
 *
 * Why not jansson alone: jansson parses ~2,000 sample.json files a second
 * here and refuses integers past 2^63 (sample seeds go to 2^64 - 1). This
 * tokenizer validates the text (RFC 8259 grammar, depth <= 256) and writes
 * a flat token array over the caller's buffer, nothing else: strings stay
 * escaped in place, numbers stay text. A token knows where its subtree
 * ends (`next`), so skipping a value is O(1). mg_jdoc_to_json() builds a
 * jansson tree from it, with integers past INT64_MAX as mg_json_u64 values
 * (common/base/jsonout.h), which mg_json_dump writes back unchanged.
 *
 * Invariants: tokens point into the text given to mg_jdoc_parse, which
 * must outlive them; the document's root is token 0; an object's tokens
 * are key, value, key, value, ... in file order.
 */
#ifndef MG_JDOC_H
#define MG_JDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef enum {
    MG_JT_NULL,
    MG_JT_FALSE,
    MG_JT_TRUE,
    MG_JT_NUM,
    MG_JT_STR,
    MG_JT_ARR,
    MG_JT_OBJ,
} mg_jtype;

typedef struct {
    uint32_t start; /* STR: first byte after the quote; others: first byte */
    uint32_t len;   /* STR: bytes before the closing quote; NUM: text */
    uint32_t next;  /* token index just past this value's subtree */
    uint32_t n;     /* ARR: elements; OBJ: members */
    uint8_t type;   /* mg_jtype */
    uint8_t esc;    /* STR: holds backslash escapes */
    uint8_t isint;  /* NUM: no fraction, no exponent */
    uint32_t cstart, clen; /* leaf ARR: its compact text in mg_jdoc.c */
} mg_jtok;

typedef struct {
    const char *s; /* the text (borrowed) */
    mg_jtok *t;
    uint32_t n, cap;
    bool shallow;  /* parsed with MG_JDOC_LEAF_ARRAYS */
    char *c;       /* shallow: the leaf arrays' compact texts */
    size_t clen, ccap;
} mg_jdoc;

/* Tokenize text[0..len); 0, or -1 and "line L: what" in err. The doc's
 * token array is reused across calls; free it with mg_jdoc_free. */
int mg_jdoc_parse(mg_jdoc *d, const char *text, size_t len, char *err,
                  size_t errlen);

/* Parse flags. MG_JDOC_LEAF_ARRAYS: every array is one token (type, n =
 * its element count, start and len = its text, next = its index + 1) and
 * nothing inside it is tokenized; the text is validated exactly as by
 * mg_jdoc_parse (same grammar, same depth limit), so the two accept the
 * same documents. For readers that need an array only as text (JSONL,
 * CSV export): a sample.json's large arrays cost a byte scan, not a token
 * per number. Elements of such a doc's arrays cannot be visited (parse
 * the array's text again for that); mg_jdoc_to_json returns NULL on
 * one. */
#define MG_JDOC_LEAF_ARRAYS 1u
int mg_jdoc_parse_opt(mg_jdoc *d, const char *text, size_t len,
                      unsigned flags, char *err, size_t errlen);

/* The compact JSON text of token i (no layout whitespace, strings and
 * numbers as written) into out, which has room for t[i].len bytes
 * (t[i].len + 2 for a string: its quotes); its length. Works on either
 * kind of doc (the text was validated by the parse). */
size_t mg_jdoc_compact(const mg_jdoc *d, uint32_t i, char *out);
void mg_jdoc_free(mg_jdoc *d);

/* Member `key` of the object at token obj; its token index or -1. */
long mg_jdoc_get(const mg_jdoc *d, uint32_t obj, const char *key);
/* Does the string token i equal key (escapes decoded)? */
bool mg_jdoc_streq(const mg_jdoc *d, uint32_t i, const char *key);
/* Decode string token i into buf (UTF-8, NUL-terminated); its length, or
 * (size_t)-1 when buf is too small. */
size_t mg_jdoc_str(const mg_jdoc *d, uint32_t i, char *buf, size_t n);
/* Number token i as double / int64 / u64; 0, or -1 when it is not a
 * number of that kind (out of range, or a fraction for the integers). */
int mg_jdoc_double(const mg_jdoc *d, uint32_t i, double *v);
int mg_jdoc_i64(const mg_jdoc *d, uint32_t i, int64_t *v);
int mg_jdoc_u64(const mg_jdoc *d, uint32_t i, uint64_t *v);

/* The jansson tree of token i (a new reference), or NULL on a string
 * that is not valid UTF-8 or on allocation failure. */
json_t *mg_jdoc_to_json(const mg_jdoc *d, uint32_t i);

/* A jansson integer, or a u64 made by mg_json_u64 (read back by
 * mg_jdoc_to_json), as u64; 0, or -1 when v is neither. */
int mg_jdoc_json_u64(const json_t *v, uint64_t *out);

#endif
