/*
 * dlog — one log line per daemon event, on stderr, with a UTC time stamp
 * and the daemon's name: "2024-05-01T12:00:00Z coordinator: worker h-1
 * joined". Also the clocks the daemons share (monotonic for timers, wall
 * for lease expiry and wrote_at, which must survive a restart).
 */
#ifndef MG_DLOG_H
#define MG_DLOG_H

#include <stddef.h>
#include <stdint.h>

void mg_dlog(const char *who, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Milliseconds: monotonic (timers) and since the epoch (ledger). */
int64_t mg_mono_ms(void);
int64_t mg_wall_ms(void);
/* RFC 3339 UTC with milliseconds, "2024-05-01T12:00:00.123Z". */
void mg_rfc3339(char *buf, size_t n, int64_t wall_ms);

#endif
