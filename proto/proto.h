/*
 * proto — the coordinator<->worker wire protocol: message table, codec,
 * version. proto/PROTOCOL.md is the spec; this header is its C face.
 *
 * One ZeroMQ frame per message (ROUTER adds the peer's routing id in
 * front). Every frame starts with the fixed 4-byte header
 *     'M' 'G' <version u8> <type u8>
 * followed by the message's fields in table order, numbers big-endian,
 * strings as a length (u16, or u32 for the run config) and bytes without
 * NUL, u64 lists as a u16 count and the values. A frame must be consumed
 * exactly: short, long, unknown type, over-long string, embedded NUL or an
 * out-of-range value is rejected with a reason, never trusted.
 *
 * The header and REFUSE are frozen forever, so a peer of any version can
 * be told in words why it was turned away.
 *
 * The message struct is zproto-style: one struct holds the fields of
 * every message; the table says which ones a type carries. The codec is
 * mechanical over the table. No field is a path: workers compute paths
 * from index and shard width.
 */
#ifndef MG_PROTO_H
#define MG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define MG_PROTO_VERSION 2
#define MG_PROTO_MAX_FRAME (1u << 20)   /* 1 MiB: run config + slack */
#define MG_PROTO_MAX_JSON (256u * 1024)
#define MG_PROTO_MAX_ACKS 1024
#define MG_PROTO_MAX_CHUNK 100000u
/* A worker's longest wait between reconnections to a silent coordinator
 * (0.5 s doubling): a worker that outlives a restart of its coordinator
 * is back within this of the restart, plus the beats it waits first. */
#define MG_PROTO_BACKOFF_MAX_MS 30000

typedef enum {
    MG_MSG_HELLO = 1,     /* W->C identity, capacity */
    MG_MSG_RUN = 2,       /* C->W run identity, config, fingerprint */
    MG_MSG_JOIN = 3,      /* W->C own fingerprint, leases still held */
    MG_MSG_REFUSE = 4,    /* either way: reason; frozen layout */
    MG_MSG_READY = 5,     /* W->C asks for a lease */
    MG_MSG_GRANT = 6,     /* C->W lease of [first, first+n) */
    MG_MSG_NOWORK = 7,    /* C->W nothing to lease now; retry later */
    MG_MSG_ROW = 8,       /* W->C one finished sample */
    MG_MSG_ACK = 9,       /* C->W these rows are committed */
    MG_MSG_HEARTBEAT = 10,/* either way, when nothing else was sent */
    MG_MSG_SHUTDOWN = 11, /* C->W the run is complete: exit */
    MG_MSG_BYE = 12,      /* W->C leaving; release my leases */
    MG_MSG_WHO = 13,      /* C->W I do not know you: say HELLO again */
    MG_MSG_MAX = 13
} mg_msg_type;

/* Every field of every message (see the table in proto.c). */
typedef struct {
    uint8_t version;
    uint8_t type;
    /* HELLO */
    char identity[64];
    uint32_t capacity;
    /* RUN */
    int64_t global_seed;
    uint64_t start;
    uint64_t count;
    uint32_t heartbeat_ms;
    char *run_json;           /* owned; freed by mg_msg_clear */
    uint8_t durable;          /* 1: fsync a sample before its ROW */
    /* RUN, JOIN */
    mg_fingerprint fp;
    /* GRANT */
    uint64_t lease;
    uint64_t first;
    uint32_t n;
    uint32_t ttl_ms;
    /* NOWORK */
    uint32_t retry_ms;
    /* ROW (lease too) */
    uint64_t index;
    uint64_t seed;
    uint8_t status;           /* mg_row_status */
    uint8_t split;            /* mg_split */
    uint8_t skipped;
    uint32_t attempt;
    double score;
    double duration;
    char error[256];
    /* ACK: row indices; JOIN: the leases the worker still holds work
     * of, as triples (lease id, first index, n) - MG_PROTO_MAX_ACKS / 3
     * leases at most */
    uint32_t nacks;
    uint64_t acks[MG_PROTO_MAX_ACKS];
    /* REFUSE, SHUTDOWN, BYE */
    char reason[512];
} mg_msg;

/* Zero a message and set its type and our version. */
void mg_msg_init(mg_msg *m, mg_msg_type type);
/* Free what the message owns (run_json) and zero it. */
void mg_msg_clear(mg_msg *m);
const char *mg_msg_name(int type);   /* "HELLO" ..., "?" if unknown */

/* Encode into a malloc'd buffer (*out, *len). 0 or -1 with err (a field
 * over its limit: the sender's bug, reported rather than truncated). */
int mg_msg_encode(const mg_msg *m, uint8_t **out, size_t *len, char *err,
                  size_t errlen);
/* Decode one frame into m (initialised here). 0, or -1 with err saying
 * what is wrong; m then holds nothing to free. A frame of another
 * protocol version is rejected with err naming both versions, except a
 * REFUSE, which decodes whatever its version. */
int mg_msg_decode(mg_msg *m, const uint8_t *buf, size_t len, char *err,
                  size_t errlen);
/* The version byte of a frame, or -1 if it has no valid header. */
int mg_msg_peek_version(const uint8_t *buf, size_t len);

/* Row <-> ROW message (the lease travels beside). */
void mg_msg_from_row(mg_msg *m, const mg_row *row, uint64_t lease);
void mg_msg_to_row(const mg_msg *m, mg_row *row, int shard_width);

#endif
