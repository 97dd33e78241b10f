/*
 * peer — the fake-worker plumbing shared by the C test tools (peer.h).
 * Linked into every tests/tools binary; holds no state but tpeer_recv's
 * frame buffer.
 */
#include "peer.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <zmq.h>

void *
tpeer_socket(void *ctx, const char *endpoint, int hwm)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    if (hwm >= 0) {
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    }
    zmq_connect(s, endpoint);
    return s;
}

int
tpeer_send(void *s, const mg_msg *m)
{
    uint8_t *buf;
    size_t len;
    char err[256];
    if (mg_msg_encode(m, &buf, &len, err, sizeof err)) {
        fprintf(stderr, "encode %s: %s\n", mg_msg_name(m->type), err);
        return -1;
    }
    int rc = zmq_send(s, buf, len, 0) < 0 ? -1 : 0;
    free(buf);
    return rc;
}

int
tpeer_recv(void *s, mg_msg *m, int timeout_ms)
{
    static uint8_t buf[MG_PROTO_MAX_FRAME];
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    for (;;) {
        int n = zmq_recv(s, buf, sizeof buf, 0);
        if (n < 0)
            return -1;
        char err[256];
        if ((size_t)n > sizeof buf ||      /* cut off: not a message */
            mg_msg_decode(m, buf, (size_t)n, err, sizeof err))
            continue;
        if (m->type == MG_MSG_HEARTBEAT) {
            mg_msg_clear(m);
            continue;
        }
        return 0;
    }
}

int
tpeer_hello(void *s, const char *identity)
{
    mg_msg m;
    mg_msg_init(&m, MG_MSG_HELLO);
    snprintf(m.identity, sizeof m.identity, "%s", identity);
    m.capacity = 1;
    return tpeer_send(s, &m);
}
