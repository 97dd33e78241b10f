/*
 * endpoint — check a ZeroMQ endpoint when it is parsed, not when a socket
 * first fails (a worker told `--connect not-an-endpoint` used to wait its
 * idle timeout and then blame the coordinator; a coordinator with a bad
 * --bind created its ledger first).
 *
 * Accepted: tcp://HOST:PORT (HOST a name, an IPv4 address or [IPv6];
 * binding also takes * for HOST and * for PORT), ipc://PATH, inproc://NAME.
 */
#ifndef MG_ENDPOINT_H
#define MG_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

/* 0 if ep is usable for a bind (for_bind) or a connect, else -1 and one
 * line in err saying what is wrong and what a good one looks like. */
int mg_endpoint_check(const char *ep, bool for_bind, char *err, size_t errlen);

#endif
