/*
 * dlog — daemon log lines (see dlog.h). Stateless: each line
 * is one fprintf so lines from several processes do not interleave.
 */
#include "dlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

void
mg_dlog(const char *who, const char *fmt, ...)
{
    char line[1024], ts[40];
    mg_rfc3339(ts, sizeof ts, mg_wall_ms());
    int k = snprintf(line, sizeof line, "%s %s: ", ts, who);
    va_list ap;
    va_start(ap, fmt);
    if (k > 0 && (size_t)k < sizeof line)
        vsnprintf(line + k, sizeof line - (size_t)k, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
