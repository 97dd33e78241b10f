/*
 * proto_peer — a misbehaving peer for the coordinator's system tests.
 *
 *   proto_peer ENDPOINT version   HELLO in protocol version 99; expects a
 *                                 REFUSE naming the version; prints it
 *   proto_peer ENDPOINT garbage   malformed frames of every kind, then a
 *                                 good HELLO: expects RUN (still alive)
 *   proto_peer ENDPOINT rehello   one socket (one routing id) joins as
 *                                 "first" and takes a lease, then says
 *                                 HELLO and JOIN as "second" and sends a
 *                                 row for first's lease: the routing id
 *                                 is second's now, so the row must not be
 *                                 acknowledged (had the coordinator kept
 *                                 first's peer for it, it was)
 *   proto_peer ENDPOINT claim     JOIN as "claimer" listing a lease it
 *                                 was never granted (id 1, the run's
 *                                 first index), as a worker back from a
 *                                 restart of the coordinator lists its
 *                                 leases, then a true row for that index:
 *                                 it must not be acknowledged (the
 *                                 coordinator adopted any lease listed)
 *   proto_peer ENDPOINT oldjoin   JOIN with the run's fingerprint but
 *                                 engine version 0.0.1: expects a REFUSE
 *                                 naming the run's version; prints it
 *
 * Exit 0 when the coordinator behaved, 1 otherwise (one line says why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "peer/peer.h"
#include "seed.h"

static void
send_raw(void *s, const void *buf, size_t n)
{
    zmq_send(s, buf, n, 0);
}

/* HELLO as identity and JOIN with the run's fingerprint; the run's
 * config into cfg, its seed into *gseed. 0, or 1 after a line. */
static int
hello_join(void *s, const char *identity, mg_config *cfg, int64_t *gseed)
{
    mg_msg m;
    char why[256];
    tpeer_hello(s, identity);
    if (tpeer_recv(s, &m, 10000) || m.type != MG_MSG_RUN) {
        printf("no RUN after HELLO as %s\n", identity);
        return 1;
    }
    mg_config_defaults(cfg);
    if (mg_config_apply_run_json(cfg, m.run_json, why, sizeof why)) {
        printf("run config: %s\n", why);
        return 1;
    }
    *gseed = m.global_seed;
    mg_msg join;
    mg_msg_init(&join, MG_MSG_JOIN);
    join.fp = m.fp;
    mg_msg_clear(&m);
    return tpeer_send(s, &join) ? 1 : 0;
}

/* A ROW saying sample `index` of lease `lease` is made (ok), as a worker
 * of the run (global seed gseed, config cfg) would send it. */
static void
send_ok_row(void *s, uint64_t lease, uint64_t index, int64_t gseed,
            const mg_config *cfg)
{
    mg_msg row;
    uint64_t seed = mg_sample_seed(gseed, index);
    mg_msg_init(&row, MG_MSG_ROW);
    row.lease = lease;
    row.index = index;
    row.seed = seed;
    row.split = (uint8_t)mg_split_of(seed, cfg->split);
    row.status = MG_ROW_OK;
    row.attempt = 1;
    row.score = 0.5;
    row.duration = 30.0;
    tpeer_send(s, &row);
}

/* JOIN as a worker of musicgen 0.0.1: refused, naming the versions */
static int
oldjoin(void *s)
{
    mg_msg m, join;
    tpeer_hello(s, "old");
    if (tpeer_recv(s, &m, 10000) || m.type != MG_MSG_RUN) {
        printf("no RUN after HELLO\n");
        return 1;
    }
    mg_msg_init(&join, MG_MSG_JOIN);
    join.fp = m.fp;
    mg_msg_clear(&m);
    snprintf(join.fp.engine_version, sizeof join.fp.engine_version,
             "0.0.1");
    tpeer_send(s, &join);
    if (tpeer_recv(s, &m, 10000) || m.type != MG_MSG_REFUSE) {
        printf("a JOIN of musicgen 0.0.1 was not refused\n");
        return 1;
    }
    printf("refused: %s\n", m.reason);
    mg_msg_clear(&m);
    return 0;
}

static int
rehello(void *s)
{
    mg_msg m;
    mg_config cfg;
    int64_t gseed;
    if (hello_join(s, "first", &cfg, &gseed))
        return 1;
    mg_msg_init(&m, MG_MSG_READY);
    m.capacity = 1;
    tpeer_send(s, &m);
    if (tpeer_recv(s, &m, 10000) || m.type != MG_MSG_GRANT) {
        printf("no GRANT for first\n");
        return 1;
    }
    uint64_t lease = m.lease, first = m.first;
    mg_msg_clear(&m);
    if (hello_join(s, "second", &cfg, &gseed))
        return 1;
    send_ok_row(s, lease, first, gseed, &cfg);
    while (tpeer_recv(s, &m, 1500) == 0) {
        if (m.type == MG_MSG_ACK) {
            printf("a row for first's lease %llu was acknowledged from "
                   "the routing id second took over\n",
                   (unsigned long long)lease);
            return 1;
        }
        mg_msg_clear(&m);
    }
    printf("second's row for first's lease %llu was not acknowledged\n",
           (unsigned long long)lease);
    return 0;
}

static int
claim(void *s)
{
    mg_msg m, *join = calloc(1, sizeof *join);
    mg_config cfg;
    char why[256];
    if (!join)
        return 1;
    tpeer_hello(s, "claimer");
    if (tpeer_recv(s, &m, 10000) || m.type != MG_MSG_RUN) {
        printf("no RUN after HELLO\n");
        return 1;
    }
    mg_config_defaults(&cfg);
    if (mg_config_apply_run_json(&cfg, m.run_json, why, sizeof why)) {
        printf("run config: %s\n", why);
        return 1;
    }
    int64_t gseed = m.global_seed;
    uint64_t first = m.start;
    mg_msg_init(join, MG_MSG_JOIN);
    join->fp = m.fp;
    mg_msg_clear(&m);
    join->acks[0] = 1;          /* (id, first, n): never granted */
    join->acks[1] = first;
    join->acks[2] = 1;
    join->nacks = 3;
    tpeer_send(s, join);
    free(join);
    send_ok_row(s, 1, first, gseed, &cfg);
    while (tpeer_recv(s, &m, 1500) == 0) {
        if (m.type == MG_MSG_ACK) {
            printf("a row for index %llu on lease 1, never granted, was "
                   "acknowledged\n", (unsigned long long)first);
            return 1;
        }
        mg_msg_clear(&m);
    }
    printf("the row on a lease never granted was not acknowledged\n");
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: proto_peer ENDPOINT "
                "version|garbage|rehello|claim|oldjoin\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = tpeer_socket(ctx, argv[1], -1);
    mg_msg m;
    uint8_t *buf;
    size_t len;
    char err[256];
    int rc = 1;
    mg_msg_init(&m, MG_MSG_HELLO);
    snprintf(m.identity, sizeof m.identity, "proto-peer");
    m.capacity = 1;
    if (mg_msg_encode(&m, &buf, &len, err, sizeof err))
        return 1;
    if (!strcmp(argv[2], "rehello")) {
        rc = rehello(s);
    } else if (!strcmp(argv[2], "claim")) {
        rc = claim(s);
    } else if (!strcmp(argv[2], "oldjoin")) {
        rc = oldjoin(s);
    } else if (!strcmp(argv[2], "version")) {
        buf[2] = 99;
        send_raw(s, buf, len);
        if (tpeer_recv(s, &m, 10000)) {
            printf("no answer to a version-99 HELLO\n");
        } else if (m.type != MG_MSG_REFUSE) {
            printf("answered %s to a version-99 HELLO\n",
                   mg_msg_name(m.type));
        } else if (!strstr(m.reason, "protocol version 99")) {
            printf("REFUSE does not name the version: %s\n", m.reason);
        } else {
            printf("refused: %s\n", m.reason);
            rc = 0;
        }
    } else {
        static const uint8_t bad_magic[] = {'X', 'G', 1, 1, 0};
        static const uint8_t unknown[] = {'M', 'G', MG_PROTO_VERSION, 200};
        static const uint8_t short_hdr[] = {'M', 'G'};
        static const uint8_t long_str[] = {'M', 'G', MG_PROTO_VERSION,
                                           MG_MSG_HELLO, 0xff, 0xff, 'a'};
        send_raw(s, "", 0);
        send_raw(s, short_hdr, sizeof short_hdr);
        send_raw(s, bad_magic, sizeof bad_magic);
        send_raw(s, unknown, sizeof unknown);
        send_raw(s, long_str, sizeof long_str);
        send_raw(s, buf, len - 1);              /* truncated HELLO */
        uint8_t *longer = malloc(len + 3);
        memcpy(longer, buf, len);
        memcpy(longer + len, "xyz", 3);
        send_raw(s, longer, len + 3);           /* trailing bytes */
        free(longer);
        zmq_send(s, buf, len, ZMQ_SNDMORE);     /* two frames */
        zmq_send(s, buf, len, 0);
        mg_msg row;                              /* ROW before HELLO */
        mg_msg_init(&row, MG_MSG_ROW);
        uint8_t *rb;
        size_t rl;
        if (!mg_msg_encode(&row, &rb, &rl, err, sizeof err)) {
            send_raw(s, rb, rl);
            free(rb);
        }
        send_raw(s, buf, len);                   /* finally, a good HELLO */
        int seen_run = 0;
        while (!seen_run && tpeer_recv(s, &m, 10000) == 0) {
            seen_run = m.type == MG_MSG_RUN;
            mg_msg_clear(&m);
        }
        if (seen_run) {
            printf("coordinator survived the garbage and answered RUN\n");
            rc = 0;
        } else {
            printf("no RUN after the garbage\n");
        }
    }
    free(buf);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
