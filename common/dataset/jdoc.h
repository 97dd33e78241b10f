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
    uint8_t leaf;   /* ARR: one token, elements not tokenized */
    uint8_t kinds;  /* leaf ARR: MG_JK_* bits of its elements' kinds */
    uint8_t skipped; /* ARR, OBJ: mg_jdoc.skip's member, one token */
    uint8_t sorted; /* OBJ: names unescaped, in strictly rising byte
                     * order (so no name twice: mg_jdoc_dup_key) */
    uint32_t cstart, clen; /* leaf ARR: its compact text in mg_jdoc.c */
} mg_jtok;

/* Kinds of the elements of a leaf array (mg_jtok.kinds). */
enum {
    MG_JK_INT = 1,   /* a number without fraction or exponent */
    MG_JK_REAL = 2,  /* any other number */
    MG_JK_STR = 4,
    MG_JK_BOOL = 8,
    MG_JK_NULL = 16,
    MG_JK_CONT = 32, /* an array or object (MG_JDOC_LEAF_ARRAYS only) */
};

typedef struct {
    const char *s; /* the text (borrowed) */
    mg_jtok *t;
    uint32_t n, cap;
    bool shallow;  /* parsed with MG_JDOC_LEAF_ARRAYS or _SCALAR_ARRAYS */
    char *c;       /* shallow: the leaf arrays' compact texts */
    size_t clen, ccap;
    /* Set by the caller before a parse, or NULL: the value of the root
     * object's member of this name, when an array or object, is validated
     * exactly as any other (same grammar, depth limit and messages) but
     * not tokenized: one token, `skipped` set, its text at start/len, n
     * its elements or members, nothing inside reachable but through
     * mg_jdoc_compact and mg_jdoc_to_json (which parse its text). For a
     * reader that leaves a large member out (export without --notes). */
    const char *skip;
    /* Set by the parse: objects tokenized without `sorted` (0: no name
     * appears twice in one object, mg_jdoc_dup_key looks no further). */
    uint32_t unsorted;
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
 * per number. Elements of such an array are reached through its compact
 * text (mg_jdoc_leaf_doubles, mg_jdoc_expand; mg_jdoc_to_json expands
 * it). */
#define MG_JDOC_LEAF_ARRAYS 1u
/* MG_JDOC_SCALAR_ARRAYS: the same for an array whose elements are all
 * scalars (a list of numbers: most of a sample.json), while an array
 * holding an array or object is tokenized as by mg_jdoc_parse (its
 * scalar arrays again one token each). For readers that need the
 * structure of lists of objects and the numbers of lists of numbers
 * (Parquet export: mg_jdoc_leaf_doubles, mg_jdoc_expand). */
#define MG_JDOC_SCALAR_ARRAYS 2u
int mg_jdoc_parse_opt(mg_jdoc *d, const char *text, size_t len,
                      unsigned flags, char *err, size_t errlen);

/* Which vector code validates runs of numbers: 0 none (byte loop only),
 * 1 SSE2, 2 AVX2 (chosen at start-up from the CPU). level >= 0 asks for
 * one (at most what the CPU has; for tests, before any parse and with
 * no other thread parsing); the level before. Verdicts, messages and
 * tokens are the same at every level. */
int mg_jdoc_simd(int level);

/* The compact JSON text of token i (no layout whitespace, strings and
 * numbers as written) into out, which has room for t[i].len bytes
 * (t[i].len + 2 for a string: its quotes); its length. Works on either
 * kind of doc (the text was validated by the parse). */
size_t mg_jdoc_compact(const mg_jdoc *d, uint32_t i, char *out);
void mg_jdoc_free(mg_jdoc *d);

/* The elements of leaf array token i of d as numbers, into out (room for
 * t[i].n): 0, or -1 when an element is not a number (doubles) or not an
 * integer within int64 (ints). Values are those of mg_jdoc_double and
 * mg_jdoc_i64 on the same text. */
int mg_jdoc_leaf_doubles(const mg_jdoc *d, uint32_t i, double *out);
int mg_jdoc_leaf_i64(const mg_jdoc *d, uint32_t i, int64_t *out);
/* Tokenize leaf array token i of d fully into sub (its root, token 0, is
 * the array); sub borrows d's text and lives until d is parsed again or
 * freed. 0 or -1. */
int mg_jdoc_expand(const mg_jdoc *d, uint32_t i, mg_jdoc *sub);

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

/* What a strict reader (jansson) refuses and the tokenizer leaves to
 * its readers: verify names each (bytes that are not UTF-8: mg_utf8_bad,
 * common/base/utf8.h). mg_jdoc_lone_surrogate: the offset of the first \u escape that is half
 * a surrogate pair (mg_jdoc_str reads it as U+FFFD), or -1.
 * mg_jdoc_dup_key: the key token of the second appearance of a name in
 * one object (names compared decoded; the lookups here take the first
 * value, jansson and Python the last), -1 when none, -2 when memory ran
 * out; each object's names are sorted, so n log n. */
long mg_jdoc_lone_surrogate(const mg_jdoc *d);
long mg_jdoc_dup_key(const mg_jdoc *d);

/* The jansson tree of token i (a new reference), or NULL on a string
 * that is not valid UTF-8 or on allocation failure. */
json_t *mg_jdoc_to_json(const mg_jdoc *d, uint32_t i);

/* A JSON file (sample.json) as a jansson tree, integers past int64 kept
 * (mg_json_u64, exact through mg_json_dump; jansson's own loader refuses
 * a seed above 2^63: "too big integer"). NULL and one line in err. */
json_t *mg_jdoc_json_file(const char *path, char *err, size_t errlen);

/* A jansson integer, or a u64 made by mg_json_u64 (read back by
 * mg_jdoc_to_json), as u64; 0, or -1 when v is neither. */
int mg_jdoc_json_u64(const json_t *v, uint64_t *out);

#endif
