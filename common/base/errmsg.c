/*
 * errmsg — one-line error messages (see errmsg.h).
 */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int
mg_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?';
    return -1;
}
