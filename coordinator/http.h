/*
 * http — the coordinator's status page and Prometheus /metrics, served by
 * libmicrohttpd on its own thread from mg_stats renderings only (the
 * loop's state, the ledger and the ZeroMQ socket are never touched from
 * that thread).
 *
 *   /              the status page (inline JS polls /status.json; no
 *                  external script: works offline)
 *   /status.json   progress, workers, failures, recent rows
 *   /metrics       Prometheus text format 0.0.4
 */
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "stats.h"

typedef struct mg_http mg_http;

/* "HOST:PORT", ":PORT" or "PORT" (HOST an IPv4 address or localhost;
 * default 127.0.0.1; port 0 picks a free one) into sa. 0 or -1 (err). */
int mg_http_parse_addr(const char *addr, struct sockaddr_in *sa, char *err,
                       size_t errlen);

/* libmicrohttpd's own messages: while a daemon starts, the first one is
 * kept for the caller's single line; once it runs, they go to stderr
 * prefixed with who. Owned by the caller, it outlives the daemon. */
typedef struct {
    const char *who;
    char first[256];
    volatile int running;
} mg_http_log;

/* Start a daemon (flags, connection timeout in seconds, handler and its
 * cls) on sa, which addr was parsed into; NULL with "cannot serve HTTP on ADDR: REASON" in err. The port
 * bound goes to *port. */
struct MHD_Daemon *mg_http_listen(const char *addr,
                                  const struct sockaddr_in *sa,
                                  unsigned flags, unsigned timeout,
                                  MHD_AccessHandlerCallback handler,
                                  void *cls, mg_http_log *log,
                                  unsigned *port, char *err, size_t errlen);

/* Serve stats (borrowed: outlives the server) at addr. */
mg_http *mg_http_start(const char *addr, mg_stats *stats, char *err,
                       size_t errlen);
/* The URL actually bound ("http://127.0.0.1:8080/"). */
const char *mg_http_url(const mg_http *h);
void mg_http_stop(mg_http **h);

#endif
