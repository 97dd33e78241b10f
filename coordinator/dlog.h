/*
 * dlog — one log line per daemon event, on stderr, with a UTC time stamp
 * and the daemon's name: "2024-05-01T12:00:00Z coordinator: worker h-1
 * joined". The clocks the daemons share (monotonic for timers, wall for
 * lease expiry and wrote_at, which must survive a restart) are in
 * common/base/clock.h, included here.
 */
#ifndef MG_DLOG_H
#define MG_DLOG_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"

void mg_dlog(const char *who, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
