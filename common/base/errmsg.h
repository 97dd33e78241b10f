/*
 * errmsg — the project's error convention in one place: a function that
 * fails writes one line into the caller's buffer (err, errlen) and returns
 * -1. Messages often quote user files or wire input, so control characters
 * are replaced and the message always stays on one line.
 */
#ifndef MG_ERRMSG_H
#define MG_ERRMSG_H

#include <stddef.h>

/* Format into err (if given), flatten it to one line, return -1. */
int mg_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
