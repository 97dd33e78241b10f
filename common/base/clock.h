/*
 * clock — the wall and monotonic clocks in milliseconds, and the RFC 3339
 * time stamps of log lines and manifest rows (wrote_at), so that every
 * writer of a row (the coordinator, a static worker, the library's batch
 * and the Python bindings) stamps it alike.
 */
#ifndef MG_CLOCK_H
#define MG_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds: monotonic (timers) and since the epoch (ledger). */
int64_t mg_mono_ms(void);
int64_t mg_wall_ms(void);
/* RFC 3339 UTC with milliseconds, "2024-05-01T12:00:00.123Z". */
void mg_rfc3339(char *buf, size_t n, int64_t wall_ms);

#endif
