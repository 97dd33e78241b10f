/*
 * proto — message table and the mechanical codec over it.
 *
 * The table below is the protocol: each message type lists its fields in
 * wire order, each field its kind, its place in mg_msg and its limits.
 * Encoder and decoder walk the same table, so they cannot disagree.
 * Invariants: the decoder never reads past the frame, never writes past a
 * field, rejects any frame not consumed exactly, and checks every value
 * against its range before the caller sees it.
 */
#include "proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    F_U8,       /* u8 with [min, max] */
    F_U32,      /* u32 with [min, max] */
    F_U64,      /* u64, any value */
    F_I64,      /* i64, any value */
    F_F64,      /* IEEE double bits; must be finite */
    F_STR,      /* u16 length + bytes into char[size] */
    F_JSON,     /* u32 length + bytes into malloc'd char * */
    F_ACKS      /* u16 count + u64 values into acks/nacks */
} field_kind;

typedef struct {
    const char *name;
    field_kind kind;
    size_t offset;
    size_t size;        /* F_STR: the array size (max length size - 1) */
    uint64_t min, max;  /* F_U8, F_U32 */
    bool nonempty;      /* F_STR, F_JSON: may not be "" */
    bool word;          /* F_STR: printable ASCII, no space (a name that
                         * goes into logs and status pages as it is) */
} field_def;

typedef struct {
    int type;
    const char *name;
    const field_def *fields;
    int nfields;
} msg_def;

#define OFF(f) offsetof(mg_msg, f)
#define STR(nm, f, ne) {nm, F_STR, OFF(f), sizeof(((mg_msg *)0)->f), 0, 0, ne}
#define WORD(nm, f) {nm, F_STR, OFF(f), sizeof(((mg_msg *)0)->f), 0, 0, true, true}
#define U8(nm, f, lo, hi) {nm, F_U8, OFF(f), 1, lo, hi, false}
#define U32(nm, f, lo, hi) {nm, F_U32, OFF(f), 4, lo, hi, false}
#define U64(nm, f) {nm, F_U64, OFF(f), 8, 0, 0, false}
#define I64(nm, f) {nm, F_I64, OFF(f), 8, 0, 0, false}
#define F64(nm, f) {nm, F_F64, OFF(f), 8, 0, 0, false}
#define FP_FIELDS                                                            \
    STR("engine_version", fp.engine_version, true),                          \
    STR("genres_hash", fp.genres_hash, false),                               \
    STR("soundfonts_hash", fp.soundfonts_hash, false),                       \
    STR("synth_version", fp.synth_version, false)

static const field_def hello_f[] = {
    WORD("identity", identity),
    U32("capacity", capacity, 1, 1024),
};
static const field_def run_f[] = {
    I64("global_seed", global_seed),
    U64("start", start),
    U64("count", count),
    U32("heartbeat_ms", heartbeat_ms, 50, 600000),
    {"run_json", F_JSON, OFF(run_json), MG_PROTO_MAX_JSON, 0, 0, true},
    FP_FIELDS,
    U8("durable", durable, 0, 1),
};
static const field_def join_f[] = {
    FP_FIELDS,
    /* leases the worker still holds work of: (id, first, n) triples */
    {"leases", F_ACKS, OFF(acks), 0, 0, MG_PROTO_MAX_ACKS, false},
};
static const field_def reason_f[] = {STR("reason", reason, false)};
static const field_def ready_f[] = {U32("capacity", capacity, 1, 1024)};
static const field_def grant_f[] = {
    U64("lease", lease),
    U64("first", first),
    U32("n", n, 1, MG_PROTO_MAX_CHUNK),
    U32("ttl_ms", ttl_ms, 50, 86400000),
};
static const field_def nowork_f[] = {U32("retry_ms", retry_ms, 1, 600000)};
static const field_def row_f[] = {
    U64("lease", lease),
    U64("index", index),
    U64("seed", seed),
    U8("status", status, MG_ROW_OK, MG_ROW_FAILED),
    U8("split", split, MG_SPLIT_TRAIN, MG_SPLIT_TEST),
    U8("skipped", skipped, 0, 1),
    U32("attempt", attempt, 0, 1000000),
    F64("score", score),
    F64("duration", duration),
    STR("error", error, false),
};
static const field_def ack_f[] = {
    {"acks", F_ACKS, OFF(acks), 0, 0, MG_PROTO_MAX_ACKS, false},
};

#define DEF(t, nm, f) {t, nm, f, (int)(sizeof f / sizeof *f)}
static const msg_def messages[] = {
    {0, "?", NULL, 0},
    DEF(MG_MSG_HELLO, "HELLO", hello_f),
    DEF(MG_MSG_RUN, "RUN", run_f),
    DEF(MG_MSG_JOIN, "JOIN", join_f),
    DEF(MG_MSG_REFUSE, "REFUSE", reason_f),
    DEF(MG_MSG_READY, "READY", ready_f),
    DEF(MG_MSG_GRANT, "GRANT", grant_f),
    DEF(MG_MSG_NOWORK, "NOWORK", nowork_f),
    DEF(MG_MSG_ROW, "ROW", row_f),
    DEF(MG_MSG_ACK, "ACK", ack_f),
    {MG_MSG_HEARTBEAT, "HEARTBEAT", NULL, 0},
    DEF(MG_MSG_SHUTDOWN, "SHUTDOWN", reason_f),
    DEF(MG_MSG_BYE, "BYE", reason_f),
    {MG_MSG_WHO, "WHO", NULL, 0},
};

const char *
mg_msg_name(int type)
{
    if (type < 1 || type > MG_MSG_MAX)
        return "?";
    return messages[type].name;
}

void
mg_msg_init(mg_msg *m, mg_msg_type type)
{
    memset(m, 0, sizeof *m);
    m->version = MG_PROTO_VERSION;
    m->type = (uint8_t)type;
}

void
mg_msg_clear(mg_msg *m)
{
    free(m->run_json);
    memset(m, 0, sizeof *m);
}

/* ---- encoding ---- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
    bool oom;
} wbuf;

static void
put(wbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void
put_be(wbuf *b, uint64_t v, int bytes)
{
    uint8_t tmp[8];
    for (int i = 0; i < bytes; i++)
        tmp[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    put(b, tmp, (size_t)bytes);
}

int
mg_msg_encode(const mg_msg *m, uint8_t **out, size_t *len, char *err,
              size_t errlen)
{
    if (m->type < 1 || m->type > MG_MSG_MAX) {
        snprintf(err, errlen, "encode: unknown message type %d", m->type);
        return -1;
    }
    const msg_def *d = &messages[m->type];
    wbuf b = {0};
    uint8_t hdr[4] = {'M', 'G', m->version, m->type};
    put(&b, hdr, 4);
    const char *base = (const char *)m;
    for (int i = 0; i < d->nfields; i++) {
        const field_def *f = &d->fields[i];
        const char *at = base + f->offset;
        switch (f->kind) {
        case F_U8:
            put_be(&b, *(const uint8_t *)at, 1);
            break;
        case F_U32:
            put_be(&b, *(const uint32_t *)at, 4);
            break;
        case F_U64:
            put_be(&b, *(const uint64_t *)at, 8);
            break;
        case F_I64:
            put_be(&b, (uint64_t)*(const int64_t *)at, 8);
            break;
        case F_F64: {
            uint64_t bits;
            memcpy(&bits, at, 8);
            put_be(&b, bits, 8);
            break;
        }
        case F_STR: {
            size_t n = strnlen(at, f->size);
            if (n >= f->size) {
                snprintf(err, errlen, "encode %s: field %s not terminated",
                         d->name, f->name);
                free(b.p);
                return -1;
            }
            put_be(&b, n, 2);
            put(&b, at, n);
            break;
        }
        case F_JSON: {
            const char *s = *(char *const *)at;
            size_t n = s ? strlen(s) : 0;
            if (n > f->size) {
                snprintf(err, errlen, "encode %s: %s is %zu bytes (max %zu)",
                         d->name, f->name, n, f->size);
                free(b.p);
                return -1;
            }
            put_be(&b, n, 4);
            if (n)
                put(&b, s, n);
            break;
        }
        case F_ACKS:
            if (m->nacks > MG_PROTO_MAX_ACKS) {
                snprintf(err, errlen, "encode ACK: %u acks (max %u)",
                         m->nacks, MG_PROTO_MAX_ACKS);
                free(b.p);
                return -1;
            }
            put_be(&b, m->nacks, 2);
            for (uint32_t k = 0; k < m->nacks; k++)
                put_be(&b, m->acks[k], 8);
            break;
        }
    }
    if (b.oom) {
        free(b.p);
        snprintf(err, errlen, "encode %s: out of memory", d->name);
        return -1;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

/* ---- decoding ---- */

typedef struct {
    const uint8_t *p;
    size_t len, pos;
} rbuf;

static bool
get_be(rbuf *r, int bytes, uint64_t *v)
{
    if (r->len - r->pos < (size_t)bytes)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++)
        x = (x << 8) | r->p[r->pos + (size_t)i];
    r->pos += (size_t)bytes;
    *v = x;
    return true;
}

int
mg_msg_peek_version(const uint8_t *buf, size_t len)
{
    if (!buf || len < 4 || buf[0] != 'M' || buf[1] != 'G')
        return -1;
    return buf[2];
}

static int
decode_field(mg_msg *m, const msg_def *d, const field_def *f, rbuf *r,
             char *err, size_t errlen)
{
    char *at = (char *)m + f->offset;
    uint64_t v;
    int width = f->kind == F_U8 ? 1 : f->kind == F_U32 ? 4 : 8;
    switch (f->kind) {
    case F_U8:
    case F_U32:
        if (!get_be(r, width, &v))
            goto short_frame;
        if (v < f->min || v > f->max) {
            snprintf(err, errlen, "%s: %s = %" PRIu64 " outside [%" PRIu64
                     ", %" PRIu64 "]", d->name, f->name, v, f->min, f->max);
            return -1;
        }
        if (f->kind == F_U8)
            *(uint8_t *)at = (uint8_t)v;
        else
            *(uint32_t *)at = (uint32_t)v;
        return 0;
    case F_U64:
        if (!get_be(r, 8, &v))
            goto short_frame;
        *(uint64_t *)at = v;
        return 0;
    case F_I64:
        if (!get_be(r, 8, &v))
            goto short_frame;
        *(int64_t *)at = (int64_t)v;
        return 0;
    case F_F64: {
        if (!get_be(r, 8, &v))
            goto short_frame;
        double x;
        memcpy(&x, &v, 8);
        /* NaN and infinities fail this; they never describe a sample. */
        if (!(x >= -1e300 && x <= 1e300)) {
            snprintf(err, errlen, "%s: %s is not a finite number", d->name,
                     f->name);
            return -1;
        }
        *(double *)at = x;
        return 0;
    }
    case F_STR:
    case F_JSON: {
        if (!get_be(r, f->kind == F_STR ? 2 : 4, &v))
            goto short_frame;
        size_t max = f->kind == F_STR ? f->size - 1 : f->size;
        if (v > max) {
            snprintf(err, errlen, "%s: %s is %" PRIu64 " bytes (max %zu)",
                     d->name, f->name, v, max);
            return -1;
        }
        if (r->len - r->pos < v)
            goto short_frame;
        const uint8_t *s = r->p + r->pos;
        if (memchr(s, 0, v)) {
            snprintf(err, errlen, "%s: %s holds a NUL byte", d->name,
                     f->name);
            return -1;
        }
        if (f->nonempty && v == 0) {
            snprintf(err, errlen, "%s: %s is empty", d->name, f->name);
            return -1;
        }
        for (uint64_t i = 0; f->word && i < v; i++)
            if (s[i] <= ' ' || s[i] >= 0x7f) {
                /* a newline forged a line of the coordinator's log,
                 * escape codes reached its terminal */
                snprintf(err, errlen, "%s: %s holds byte 0x%02x (a name "
                         "is printable ASCII without spaces)", d->name,
                         f->name, s[i]);
                return -1;
            }
        char *dst;
        if (f->kind == F_STR) {
            dst = at;
        } else {
            dst = malloc(v + 1);
            if (!dst) {
                snprintf(err, errlen, "%s: out of memory", d->name);
                return -1;
            }
            *(char **)at = dst;
        }
        memcpy(dst, s, v);
        dst[v] = '\0';
        r->pos += v;
        return 0;
    }
    case F_ACKS:
        if (!get_be(r, 2, &v))
            goto short_frame;
        if (v > f->max) {
            snprintf(err, errlen, "%s: %" PRIu64 " acks (max %" PRIu64 ")",
                     d->name, v, f->max);
            return -1;
        }
        m->nacks = (uint32_t)v;
        for (uint32_t k = 0; k < m->nacks; k++)
            if (!get_be(r, 8, &m->acks[k]))
                goto short_frame;
        return 0;
    }
short_frame:
    snprintf(err, errlen, "%s: frame ends inside %s", d->name, f->name);
    return -1;
}

int
mg_msg_decode(mg_msg *m, const uint8_t *buf, size_t len, char *err,
              size_t errlen)
{
    memset(m, 0, sizeof *m);
    if (!buf || len < 4 || buf[0] != 'M' || buf[1] != 'G') {
        snprintf(err, errlen, "not a musicgen frame (%zu bytes)", len);
        return -1;
    }
    if (len > MG_PROTO_MAX_FRAME) {
        snprintf(err, errlen, "frame of %zu bytes (max %u)", len,
                 MG_PROTO_MAX_FRAME);
        return -1;
    }
    int version = buf[2], type = buf[3];
    if (version != MG_PROTO_VERSION && type != MG_MSG_REFUSE) {
        snprintf(err, errlen, "protocol version %d, expected %d", version,
                 MG_PROTO_VERSION);
        return -1;
    }
    if (type < 1 || type > MG_MSG_MAX) {
        snprintf(err, errlen, "unknown message type %d", type);
        return -1;
    }
    const msg_def *d = &messages[type];
    m->version = (uint8_t)version;
    m->type = (uint8_t)type;
    rbuf r = {buf, len, 4};
    for (int i = 0; i < d->nfields; i++) {
        if (decode_field(m, d, &d->fields[i], &r, err, errlen) < 0) {
            mg_msg_clear(m);
            return -1;
        }
    }
    if (r.pos != r.len) {
        snprintf(err, errlen, "%s: %zu bytes after the last field", d->name,
                 r.len - r.pos);
        mg_msg_clear(m);
        return -1;
    }
    return 0;
}

void
mg_msg_from_row(mg_msg *m, const mg_row *row, uint64_t lease)
{
    mg_msg_init(m, MG_MSG_ROW);
    m->lease = lease;
    m->index = row->index;
    m->seed = row->seed;
    m->status = (uint8_t)row->status;
    m->split = (uint8_t)row->split;
    m->skipped = row->skipped ? 1 : 0;
    m->attempt = row->attempt < 0 ? 0 : (uint32_t)row->attempt;
    m->score = row->score;
    m->duration = row->duration;
    snprintf(m->error, sizeof m->error, "%s", row->error);
}

void
mg_msg_to_row(const mg_msg *m, mg_row *row, int shard_width)
{
    memset(row, 0, sizeof *row);
    row->index = m->index;
    row->seed = m->seed;
    row->status = (mg_row_status)m->status;
    row->split = (mg_split)m->split;
    row->skipped = m->skipped != 0;
    row->attempt = (int)m->attempt;
    row->score = m->score;
    row->duration = m->duration;
    snprintf(row->error, sizeof row->error, "%s", m->error);
    /* Never a path from the wire: recomputed from the index. */
    mg_sample_relpath(row->path, sizeof row->path, m->index, shard_width);
}
