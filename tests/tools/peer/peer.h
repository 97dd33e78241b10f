/*
 * peer — what the C test tools that talk to a coordinator as a fake
 * worker share (proto_peer, row_forger, dist_flood): a DEALER socket,
 * sending one encoded message, receiving the next one that is not a
 * HEARTBEAT, and saying HELLO.
 *
 * Invariant: single-threaded tools only (tpeer_recv decodes from one
 * static frame buffer, MG_PROTO_MAX_FRAME bytes).
 */
#ifndef MG_TEST_PEER_H
#define MG_TEST_PEER_H

#include "proto.h"

/* A DEALER socket in ctx, linger 0, connected to endpoint. hwm >= 0 sets
 * both high-water marks first (0: unlimited); -1 keeps ZeroMQ's. */
void *tpeer_socket(void *ctx, const char *endpoint, int hwm);
/* Encode and send m; 0, or -1 after one line on stderr. */
int tpeer_send(void *s, const mg_msg *m);
/* The next message other than HEARTBEAT (undecodable frames skipped);
 * 0, or -1 when none came within timeout_ms. */
int tpeer_recv(void *s, mg_msg *m, int timeout_ms);
/* HELLO as identity, capacity 1. */
int tpeer_hello(void *s, const char *identity);

#endif
