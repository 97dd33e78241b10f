/*
 * jsonout — canonical JSON text for files under the determinism contract.
 *
 * Jansson builds the tree; this module writes it, because the contract
 * needs what json_dumps cannot give: unsigned 64-bit integers (sample
 * seeds go up to 2^64 - 1), and one fixed rule for reals. Rules: object
 * keys sorted bytewise; indented text puts an array or object whose items
 * are all scalars (or empty containers) on one line, items separated by
 * ", " (and ": " after a key), and everything else two-space indented, one
 * item a line (half the bytes of indenting every number of a sample's
 * note lists, for every reader); reals in the shortest form that reads
 * back to the same double, always with a '.' or exponent (1.0, not 1);
 * non-finite reals written as null. A u64 is stored in the tree as a
 * tagged string made by mg_json_u64 and written as a bare number.
 */
#ifndef MG_JSONOUT_H
#define MG_JSONOUT_H

#include <jansson.h>
#include <stdint.h>

json_t *mg_json_u64(uint64_t v);
/* A string of text that may not be UTF-8 (a file name, a child's
 * message): jansson refuses such a string (NULL), so each byte that is
 * not part of a valid UTF-8 sequence then becomes U+FFFD. NULL only when
 * out of memory. */
json_t *mg_json_text(const char *s);
/* o[key] = a path, which may not be UTF-8 (a file name is bytes): when it
 * is not, o[key] is its text as mg_json_text makes it (readable, not
 * the path) and o[key + "_hex"] its bytes in hexadecimal (the path
 * itself). 0, or -1 when out of memory. */
int mg_json_set_path(json_t *o, const char *key, const char *path);
/* Real rounded to `decimals` places (stable, readable annotations). */
json_t *mg_json_real(double v, int decimals);
/* Malloc'd text, ending in a newline; indent 2 (the layout above) or
 * compact when 0. */
char *mg_json_dump(const json_t *j, int indent);
/* v as mg_json_dump writes a real (shortest, '.' or exponent, "null" if
 * not finite) into out (n >= 32 holds any). */
void mg_json_real_text(double v, char *out, size_t n);
/* Write the indented text to path (the caller makes it atomic). */
int mg_json_write_file(const json_t *j, const char *path);

#endif
