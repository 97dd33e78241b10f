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
 *
 * mg_http_listen (also `musicgen serve`'s) puts http_gate.h in front of
 * the daemon: slow or garbage request heads never reach it.
 */
#ifndef MG_HTTP_H
#define MG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "stats.h"

typedef struct mg_http mg_http;

/* "HOST:PORT", ":PORT" or "PORT" (HOST an IPv4 address or localhost;
 * default 127.0.0.1; port 0 picks a free one) into sa. 0 or -1 (err). */
int mg_http_parse_addr(const char *addr, struct sockaddr_in *sa, char *err,
                       size_t errlen);

/* libmicrohttpd's own messages: while a daemon starts, the first one is
 * kept for the caller's single line; once it runs, at most
 * MG_HTTP_LOG_BURST a minute go to stderr, one line each prefixed with
 * who, and the others are counted, their number said in one line when
 * the next minute's first message comes or the daemon stops (it wrote a
 * line per bad request: a client could fill the log). Owned by the
 * caller, it outlives the daemon; give who, mg_http_listen sets the
 * rest. */
#define MG_HTTP_LOG_BURST 10

typedef struct {
    const char *who;
    char first[256];
    volatile int running;
    pthread_mutex_t mu;         /* the daemon's threads log at once */
    int64_t minute;             /* ms, monotonic: when this minute began */
    unsigned said, left_out;    /* messages in it */
} mg_http_log;

/* A daemon, the gate in front of it (http_gate.h) and its log. */
typedef struct {
    struct MHD_Daemon *d;
    struct mg_http_gate *gate;
    mg_http_log *log;
} mg_http_server;

/* Start a daemon (flags, connection timeout in seconds, handler and its
 * cls) behind a gate listening on sa, which addr was parsed into; 0, or
 * -1 with "cannot serve HTTP on ADDR: REASON" in err. The port bound
 * goes to *port. */
int mg_http_listen(const char *addr, const struct sockaddr_in *sa,
                   unsigned flags, unsigned timeout,
                   MHD_AccessHandlerCallback handler, void *cls,
                   mg_http_log *log, mg_http_server *srv, unsigned *port,
                   char *err, size_t errlen);
/* Stop the gate, then the daemon (its handlers have returned). */
void mg_http_close(mg_http_server *srv);

/* Does the request whose *con_cls this is (on the handler's first call)
 * hold an encoded control byte in its target (%00..%1F or %7F, path or
 * query)? Its handler answers 400 then: libmicrohttpd decodes the path
 * in place and hands it on as a C string, so "%00" cut it short
 * ("/serve.js%00x" was served as "/serve.js"). mg_http_listen marks
 * it from the target as it came. */
bool mg_http_bad_target(const void *con_cls);

/* Queue r (and drop the caller's reference) with "Connection: close":
 * the next request of a client comes through the gate again, so a
 * kept-alive connection cannot send its next head a byte at a time. */
enum MHD_Result mg_http_queue(struct MHD_Connection *c, unsigned status,
                              struct MHD_Response *r);

/* Serve stats (borrowed: outlives the server) at addr. */
mg_http *mg_http_start(const char *addr, mg_stats *stats, char *err,
                       size_t errlen);
/* The URL actually bound ("http://127.0.0.1:8080/"). */
const char *mg_http_url(const mg_http *h);
void mg_http_stop(mg_http **h);

#endif
