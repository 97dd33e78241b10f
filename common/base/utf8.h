/*
 * utf8 — the one rule for "is this UTF-8" (the rule jansson and JSON
 * readers apply: no stray continuation byte, no overlong form, no
 * surrogate, nothing past U+10FFFF, no sequence cut short) and the one
 * way text that is not becomes text that is: each byte of no valid
 * sequence becomes U+FFFD. File names are bytes; JSON, Parquet strings
 * and CSV read by DuckDB are UTF-8, so every writer of such output that
 * can meet a path passes it through here.
 */
#ifndef MG_UTF8_H
#define MG_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1..4) of the valid sequence at p, of the avail bytes there;
 * 0 when the bytes there are none. */
size_t mg_utf8_seq(const unsigned char *p, size_t avail);

/* The offset of the first byte of s[0..n) in no valid sequence, or -1
 * when all of it is UTF-8. */
long mg_utf8_bad(const char *s, size_t n);

/* Whether the NUL-terminated s is UTF-8. */
bool mg_utf8_valid(const char *s);

/* s with each stray byte as U+FFFD (EF BF BD) into out (cap bytes, NUL
 * always written when cap > 0); the length the whole text needs, as
 * snprintf counts it (at most 3 * strlen(s)). */
size_t mg_utf8_fix(const char *s, char *out, size_t cap);

#endif
