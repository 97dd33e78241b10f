/*
 * proto_corpus — writes the seed corpus of fuzz_proto for the current
 * protocol version into DIR (tests/fuzz/corpus/proto): every message type
 * valid ("valid-*", encoded by proto.c itself), cut short by one byte
 * ("trunc-*"), with one byte too many ("trailing-*"), with one byte in the
 * middle flipped ("garbled-*"), and hand-made bad frames ("bad-*") that
 * each break exactly one rule of PROTOCOL.md on an otherwise valid frame.
 * Deterministic: the same protocol gives the same files.
 *
 *   build/tools/proto_corpus tests/fuzz/corpus/proto
 *
 * It checks what it writes: each valid frame decodes, every trunc-,
 * trailing- and bad- frame is rejected; exit 1 (naming the file)
 * otherwise, so a protocol change that invalidates the corpus is seen.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static const char *dir;
static int failed;

static void
put(const char *name, const uint8_t *b, size_t n, bool must_decode)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(b, 1, n, f) != n) || fclose(f)) {
        fprintf(stderr, "proto_corpus: cannot write %s\n", path);
        exit(1);
    }
    mg_msg *m = malloc(sizeof *m);
    char err[256];
    if (!m)
        exit(1);
    int rc = mg_msg_decode(m, b, n, err, sizeof err);
    if (rc == 0)
        mg_msg_clear(m);
    free(m);
    if ((rc == 0) != must_decode) {
        fprintf(stderr, "proto_corpus: %s %s\n", name,
                must_decode ? "does not decode" : "decodes");
        failed = 1;
    }
}

static void
fp_fill(mg_fingerprint *fp)
{
    snprintf(fp->engine_version, sizeof fp->engine_version, "0.2.0");
    snprintf(fp->genres_hash, sizeof fp->genres_hash, "%064x", 0x3f5a0c9);
    snprintf(fp->soundfonts_hash, sizeof fp->soundfonts_hash, "%064x",
             0x1b2c3d4);
    snprintf(fp->synth_version, sizeof fp->synth_version, "2.3.1");
}

/* A representative message of each kind (name: the file suffix). */
static void
sample(mg_msg *m, const char *name)
{
    if (!strcmp(name, "hello")) {
        mg_msg_init(m, MG_MSG_HELLO);
        snprintf(m->identity, sizeof m->identity, "node-17.4211.0");
        m->capacity = 2;
    } else if (!strcmp(name, "run")) {
        mg_msg_init(m, MG_MSG_RUN);
        m->global_seed = 42;
        m->start = 0;
        m->count = 1000;
        m->heartbeat_ms = 1000;
        m->run_json = strdup("{\"output_mode\":\"full\",\"sample_rate\":44100}");
        fp_fill(&m->fp);
        m->durable = 1;
    } else if (!strcmp(name, "join")) {
        mg_msg_init(m, MG_MSG_JOIN);
        fp_fill(&m->fp);
        m->nacks = 3;    /* one lease still held: (id, first, n) */
        m->acks[0] = 7;
        m->acks[1] = 64;
        m->acks[2] = 4;
    } else if (!strcmp(name, "refuse")) {
        mg_msg_init(m, MG_MSG_REFUSE);
        snprintf(m->reason, sizeof m->reason, "fingerprint differs: "
                 "genres_hash");
    } else if (!strcmp(name, "ready")) {
        mg_msg_init(m, MG_MSG_READY);
        m->capacity = 2;
    } else if (!strcmp(name, "grant")) {
        mg_msg_init(m, MG_MSG_GRANT);
        m->lease = 7;
        m->first = 64;
        m->n = 4;
        m->ttl_ms = 20000;
    } else if (!strcmp(name, "nowork")) {
        mg_msg_init(m, MG_MSG_NOWORK);
        m->retry_ms = 500;
    } else if (!strcmp(name, "row") || !strcmp(name, "row-failed")) {
        mg_msg_init(m, MG_MSG_ROW);
        m->lease = 7;
        m->index = 65;
        m->seed = 0x9e3779b97f4a7c15ull;
        m->attempt = 1;
        if (!strcmp(name, "row")) {
            m->status = MG_ROW_OK;
            m->split = MG_SPLIT_TRAIN;
            m->score = 0.8125;
            m->duration = 42.5;
        } else {
            m->status = MG_ROW_FAILED;
            snprintf(m->error, sizeof m->error, "render failed: no font");
        }
    } else if (!strcmp(name, "ack") || !strcmp(name, "ack-empty")) {
        mg_msg_init(m, MG_MSG_ACK);
        if (!strcmp(name, "ack")) {
            m->nacks = 3;
            m->acks[0] = 64;
            m->acks[1] = 65;
            m->acks[2] = 66;
        }
    } else if (!strcmp(name, "heartbeat")) {
        mg_msg_init(m, MG_MSG_HEARTBEAT);
    } else if (!strcmp(name, "shutdown")) {
        mg_msg_init(m, MG_MSG_SHUTDOWN);
        snprintf(m->reason, sizeof m->reason, "run complete");
    } else if (!strcmp(name, "bye")) {
        mg_msg_init(m, MG_MSG_BYE);
        snprintf(m->reason, sizeof m->reason, "stopped by a signal");
    } else {
        mg_msg_init(m, MG_MSG_WHO);
    }
}

static uint8_t *
encode(const char *name, size_t *n)
{
    mg_msg *m = malloc(sizeof *m);
    uint8_t *b = NULL;
    char err[256];
    if (!m)
        exit(1);
    sample(m, name);
    if (mg_msg_encode(m, &b, n, err, sizeof err)) {
        fprintf(stderr, "proto_corpus: %s: %s\n", name, err);
        exit(1);
    }
    mg_msg_clear(m);
    free(m);
    return b;
}

int
main(int argc, char **argv)
{
    static const char *const names[] = {
        "hello", "run", "join", "refuse", "ready", "grant", "nowork", "row",
        "row-failed", "ack", "ack-empty", "heartbeat", "shutdown", "bye",
        "who",
    };
    if (argc != 2) {
        fprintf(stderr, "usage: proto_corpus DIR\n");
        return 2;
    }
    dir = argv[1];
    char fn[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t n;
        uint8_t *b = encode(names[i], &n);
        uint8_t *t = malloc(n + 1);
        if (!t)
            return 1;
        snprintf(fn, sizeof fn, "valid-%s", names[i]);
        put(fn, b, n, true);
        if (n > 4) {
            snprintf(fn, sizeof fn, "trunc-%s", names[i]);
            put(fn, b, n - 1, false);
            memcpy(t, b, n);
            t[4 + (n - 4) / 2] ^= 0xa5;
            snprintf(fn, sizeof fn, "garbled-%s", names[i]);
            FILE *f;
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, fn);
            /* garbled frames may or may not decode: no expectation */
            if (!(f = fopen(path, "wb")) || fwrite(t, 1, n, f) != n ||
                fclose(f))
                return 1;
        }
        memcpy(t, b, n);
        t[n] = 0;
        snprintf(fn, sizeof fn, "trailing-%s", names[i]);
        put(fn, t, n + 1, false);
        free(t);
        free(b);
    }

    /* one rule broken each, on an otherwise valid frame */
    size_t n;
    uint8_t *h = encode("hello", &n), *b;
    put("bad-empty", h, 0, false);
    put("bad-header-only", h, 3, false);
    h[0] = 'X';
    put("bad-magic", h, n, false);
    h[0] = 'M';
    h[2] = MG_PROTO_VERSION + 97;
    put("bad-version", h, n, false);
    h[2] = MG_PROTO_VERSION;
    h[3] = MG_MSG_MAX + 1;
    put("bad-type", h, n, false);
    h[3] = 0;
    put("bad-type-zero", h, n, false);
    h[3] = MG_MSG_HELLO;
    /* HELLO: 'MG' v t, identity (u16 length, bytes), capacity (u32) */
    uint8_t *c = malloc(n);
    if (!c)
        return 1;
    memcpy(c, h, n);
    memset(c + n - 4, 0, 4);
    put("bad-capacity-zero", c, n, false);
    memcpy(c, h, n);
    c[6 + 1] = 0;                       /* a NUL inside the identity */
    put("bad-nul-in-str", c, n, false);
    memcpy(c, h, n);
    c[4] = 0xff;                        /* identity longer than the frame */
    c[5] = 0xff;
    put("bad-strlen-huge", c, n, false);
    uint8_t e[] = {'M', 'G', MG_PROTO_VERSION, MG_MSG_HELLO, 0, 0, 0, 0, 0, 2};
    put("bad-empty-identity", e, sizeof e, false);
    free(c);
    free(h);
    /* ROW with a NaN score: the score is the 8 bytes before the duration
     * (8) and the empty error (u16 length 0) at the end */
    b = encode("row", &n);
    memcpy(b + n - 2 - 8 - 8, (const uint8_t[]){0x7f, 0xf8, 0, 0, 0, 0, 0, 0},
           8);
    put("bad-row-nan", b, n, false);
    free(b);
    /* ACK whose count says more than MG_PROTO_MAX_ACKS */
    b = encode("ack-empty", &n);
    b[4] = 0xff;
    b[5] = 0xff;
    put("bad-ack-count", b, n, false);
    free(b);
    return failed;
}
