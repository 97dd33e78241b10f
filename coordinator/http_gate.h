/*
 * http_gate — the door in front of a libmicrohttpd daemon: it owns the
 * listening socket and hands a connection to the daemon only once the
 * head of its request has arrived whole (MHD_add_connection).
 *
 * Without it a client that sent its head a byte at a time held one of
 * the daemon's 64 connections for as long as it liked (each byte reset
 * the idle timeout): 64 of them and nobody else got an answer. And bytes
 * that cannot begin an HTTP request (a TLS hello on the plain port, a
 * NUL) waited for the timeout with no answer at all.
 *
 * Rules, for each connection accepted:
 * - its request line is checked as it comes: a method of token
 *   characters, one space, a target of visible characters: the first
 *   byte that breaks them is answered 400 at once, and the connection
 *   closed;
 * - its head (request line and headers, up to the blank line) must be
 *   whole within MG_HTTP_GATE_HEAD_MS of the connection, else 408 and
 *   closed (closed only, when it sent nothing: a browser's unused
 *   preconnection); a head of MG_HTTP_GATE_HEAD_MAX bytes or more is
 *   passed on as it is (the daemon answers it too large);
 * - at most MG_HTTP_GATE_PENDING wait at once: past that the oldest one
 *   is answered 503 and closed (a client that sends its head at once is
 *   never that one);
 * - a connection whose head is whole but that the daemon will not take
 *   (its limits on connections, in all or from one address, are
 *   reached) is answered 503 with a line that says so and Retry-After
 *   (the daemon closed it without a word). A connection the daemon
 *   takes and drops later, when one added at the same instant took the
 *   last place, still gets no answer: the daemon counts a connection
 *   only once its own thread starts it.
 * The bytes are only peeked, never consumed: the daemon reads the head
 * itself. The responses of the daemon should close their connection
 * (Connection: close) so that every request comes through the gate.
 * Linux: poll honours SO_RCVLOWAT, and POLLRDHUP.
 */
#ifndef MG_HTTP_GATE_H
#define MG_HTTP_GATE_H

#include <microhttpd.h>

#define MG_HTTP_GATE_HEAD_MS 10000
#define MG_HTTP_GATE_HEAD_MAX (32 * 1024)
#define MG_HTTP_GATE_PENDING 256

typedef struct mg_http_gate mg_http_gate;

/* Start the gate's thread on the listening socket lfd (taken: closed by
 * _destroy), handing connections to d (started with
 * MHD_USE_NO_LISTEN_SOCKET). NULL (lfd closed) when it cannot start. */
mg_http_gate *mg_http_gate_new(int lfd, struct MHD_Daemon *d);

/* Stop the thread, close the socket and the waiting connections; call it
 * before MHD_stop_daemon. NULL is fine; *g becomes NULL. */
void mg_http_gate_destroy(mg_http_gate **g);

#endif
