/*
 * coordinator — serves one run to workers over a ROUTER socket.
 *
 * Peer state machine (proto/PROTOCOL.md): unknown --HELLO--> greeted
 * (RUN sent) --JOIN, fingerprint equal--> joined; a different fingerprint
 * gets REFUSE naming the fields and the peer is forgotten. Anything but
 * HELLO from a peer we do not know (e.g. after our restart) gets WHO.
 *
 * Invariants:
 * - The ledger is the truth. One write transaction is open while a batch
 *   collects; rows are acknowledged only after its COMMIT, so a row a
 *   worker has seen acknowledged survives any crash of ours.
 * - Leases are held by the worker's identity, not its socket, so a worker
 *   that reconnects keeps its leases; a silent worker's leases are
 *   released after heartbeat_ms * liveness and redone by someone else.
 * - Rows are accepted from any joined worker for any index of the run:
 *   redoing a sample gives the same bytes, and the ledger keeps the
 *   first row per index, so work is at-least-once, effect exactly-once.
 * - Nothing from the wire becomes a path: the row's path is recomputed
 *   from its index and the run's shard width.
 */
#include "coordinator.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "dlog.h"
#include "engine.h"
#include "http.h"
#include "ledger.h"
#include "proto.h"
#include "sampledir.h"
#include "stats.h"

#define WHO "coordinator"
#define BATCH_MAX 8192          /* rows per commit, at most */
#define BATCH_MS 20             /* a row waits at most this for commit */
#define RID_MAX 256

typedef enum { P_GREETED, P_JOINED } peer_state;

typedef struct {
    uint8_t rid[RID_MAX];
    size_t rid_len;
    char identity[64];
    peer_state state;
    int64_t last_seen, last_sent;
    uint64_t *acks;             /* rows stored, waiting for the commit */
    size_t nacks, cap_acks;
    uint64_t rows;
    /* for the status page: leases granted whose rows are not all in,
     * and when its last row (or first grant) came, for render seconds */
    struct { int64_t id; uint64_t first; uint32_t n, got; } leases[4];
    int nleases;
    int64_t mark;
} peer;

struct mg_coord {
    mg_coord_opts o;
    mg_ledger *ledger;
    int lock_fd;
    void *ctx, *sock;
    void *auth, *mon;           /* CURVE: zauth actor, handshake monitor */
    bool czmq_ctx;              /* ctx is czmq's: not ours to terminate */
    uint64_t bad_handshakes;
    char endpoint[512];
    char *run_json;
    mg_fingerprint fp;
    peer *peers;
    size_t npeers, cap_peers;
    bool in_tx;
    int64_t tx_started;
    size_t tx_rows;
    int64_t *touched;           /* chunks that got rows in this batch */
    size_t ntouched, cap_touched;
    uint64_t done, failed;      /* rows in the ledger (ok + failed) */
    uint64_t skipped, resumed, missing;
    uint64_t bad_frames;
    int64_t started, last_progress, last_beat;
    uint64_t window_done[12];   /* done at each of the last progress ticks */
    int64_t window_t[12];
    int nwindow;
    /* status page and /metrics (coordinator/http.c), NULL without */
    mg_stats *stats;            /* NULL without --http */
    mg_http *http;
    int64_t last_publish;
    double pub_rate, pub_eta;   /* the last progress tick's */
};

void
mg_coord_opts_defaults(mg_coord_opts *o)
{
    memset(o, 0, sizeof *o);
    mg_config_defaults(&o->cfg);
    o->chunk = 64;
    o->heartbeat_ms = 1000;
    o->liveness = 5;
    o->linger_ms = 2000;
    o->progress_ms = 5000;
}

const char *
mg_coord_endpoint(const mg_coord *c)
{
    return c->endpoint;
}

/* ---- sending ---- */

static int
send_to(mg_coord *c, const uint8_t *rid, size_t rid_len, const mg_msg *m)
{
    uint8_t *buf;
    size_t len;
    char err[256];
    if (mg_msg_encode(m, &buf, &len, err, sizeof err)) {
        mg_dlog(WHO, "cannot encode %s: %s", mg_msg_name(m->type), err);
        return -1;
    }
    int rc = zmq_send(c->sock, rid, rid_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(c->sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
    return rc < 0 ? -1 : 0;
}

static void
send_peer(mg_coord *c, peer *p, const mg_msg *m)
{
    send_to(c, p->rid, p->rid_len, m);
    p->last_sent = mg_mono_ms();
}

static void
send_simple(mg_coord *c, const uint8_t *rid, size_t rid_len,
            mg_msg_type type, const char *reason)
{
    mg_msg m;
    mg_msg_init(&m, type);
    if (reason)
        snprintf(m.reason, sizeof m.reason, "%s", reason);
    send_to(c, rid, rid_len, &m);
}

/* ---- peers ---- */

static peer *
find_peer(mg_coord *c, const uint8_t *rid, size_t len)
{
    for (size_t i = 0; i < c->npeers; i++)
        if (c->peers[i].rid_len == len && !memcmp(c->peers[i].rid, rid, len))
            return &c->peers[i];
    return NULL;
}

static void
drop_peer(mg_coord *c, peer *p)
{
    free(p->acks);
    size_t i = (size_t)(p - c->peers);
    c->peers[i] = c->peers[--c->npeers];
}

static int
joined_count(const mg_coord *c)
{
    int n = 0;
    for (size_t i = 0; i < c->npeers; i++)
        n += c->peers[i].state == P_JOINED;
    return n;
}

/* ---- the write batch ---- */

static int
tx_open(mg_coord *c, char *err, size_t errlen)
{
    if (c->in_tx)
        return 0;
    if (mg_ledger_begin(c->ledger, err, errlen))
        return -1;
    c->in_tx = true;
    c->tx_started = mg_mono_ms();
    c->tx_rows = 0;
    return 0;
}

static void
touch_chunk(mg_coord *c, int64_t id)
{
    if (c->ntouched && c->touched[c->ntouched - 1] == id)
        return;
    if (c->ntouched == c->cap_touched) {
        size_t cap = c->cap_touched ? c->cap_touched * 2 : 64;
        int64_t *t = realloc(c->touched, cap * sizeof *t);
        if (!t)
            return;     /* the chunk is finished by a later row or resume */
        c->touched = t;
        c->cap_touched = cap;
    }
    c->touched[c->ntouched++] = id;
}

/* Commit, then acknowledge: the order that makes an ACK a promise. */
static int
tx_commit(mg_coord *c, char *err, size_t errlen)
{
    if (!c->in_tx)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < c->ntouched && !rc; i++)
        if (mg_ledger_finish_chunk(c->ledger, c->touched[i], err, errlen) < 0)
            rc = -1;
    c->ntouched = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!rc) rc = mg_ledger_commit(c->ledger, err, errlen);
    if (rc) {
        /* Nothing of the batch is kept or acknowledged: its rows come
         * again from their workers. Said once, by the caller. */
        mg_ledger_abort(c->ledger);
        c->in_tx = false;
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    mg_stats_commit(c->stats, (double)(t1.tv_sec - t0.tv_sec) +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    c->in_tx = false;
    for (size_t i = 0; i < c->npeers; i++) {
        peer *p = &c->peers[i];
        size_t k = 0;
        while (k < p->nacks) {
            mg_msg m;
            mg_msg_init(&m, MG_MSG_ACK);
            while (k < p->nacks && m.nacks < MG_PROTO_MAX_ACKS)
                m.acks[m.nacks++] = p->acks[k++];
            send_peer(c, p, &m);
        }
        p->nacks = 0;
    }
    return 0;
}

/* ---- what the status page shows (only when c->stats) ---- */

static void
note_grant(mg_coord *c, peer *p, int64_t id, uint64_t first, uint32_t n)
{
    if (!c->stats)
        return;
    mg_stats_lease_granted(c->stats);
    if (p->nleases == 4) {
        memmove(p->leases, p->leases + 1, 3 * sizeof *p->leases);
        p->nleases--;
    }
    p->leases[p->nleases].id = id;
    p->leases[p->nleases].first = first;
    p->leases[p->nleases].n = n;
    p->leases[p->nleases++].got = 0;
    if (!p->mark)
        p->mark = mg_mono_ms();
}

/* A row newly stored: its render time is the interval since the worker's
 * previous row (or the grant that woke it), a worker running one sample
 * at a time. */
static void
note_row(mg_coord *c, peer *p, const mg_row *row)
{
    if (!c->stats)
        return;
    int64_t now = mg_mono_ms();
    double render = p->mark ? (double)(now - p->mark) / 1000.0 : -1.0;
    p->mark = now;
    for (int i = 0; i < p->nleases; i++) {
        if (row->index < p->leases[i].first ||
            row->index - p->leases[i].first >= p->leases[i].n)
            continue;
        if (++p->leases[i].got >= p->leases[i].n) {
            memmove(p->leases + i, p->leases + i + 1,
                    (size_t)(p->nleases - i - 1) * sizeof *p->leases);
            p->nleases--;
        }
        break;
    }
    mg_stats_row(c->stats, p->identity, row->index, row->status == MG_ROW_OK,
                 row->skipped, row->score, row->duration, row->error,
                 render);
}

static void
publish(mg_coord *c, double rate, double eta_s, bool complete)
{
    if (!c->stats)
        return;
    mg_stats_worker *w = calloc(c->npeers ? c->npeers : 1, sizeof *w);
    if (!w)
        return;
    int64_t mono = mg_mono_ms(), wall = mg_wall_ms();
    if (rate >= 0) {            /* a progress tick; a beat keeps these */
        c->pub_rate = rate;
        c->pub_eta = eta_s;
    }
    mg_stats_progress sp = {(uint64_t)c->o.cfg.count, c->done, c->failed,
                            c->pub_rate, c->pub_eta, (double)(mono - c->started) / 1000.0,
                            0, complete};
    for (size_t i = 0; i < c->npeers; i++) {
        const peer *p = &c->peers[i];
        snprintf(w[i].identity, sizeof w[i].identity, "%s", p->identity);
        w[i].joined = p->state == P_JOINED;
        w[i].last_seen_ms = wall - (mono - p->last_seen);
        w[i].lease = p->nleases ? p->leases[0].id : -1;
        w[i].lease_first = p->nleases ? p->leases[0].first : 0;
        w[i].lease_n = p->nleases ? p->leases[0].n : 0;
        w[i].rows = p->rows;
        sp.leases_active += (uint64_t)p->nleases;
    }
    mg_stats_publish(c->stats, &sp, w, c->npeers);
    free(w);
    c->last_publish = mono;
}

/* ---- message handlers ---- */

static void
on_hello(mg_coord *c, const uint8_t *rid, size_t rid_len, const mg_msg *in,
         bool complete)
{
    if (complete) {
        send_simple(c, rid, rid_len, MG_MSG_SHUTDOWN, "run complete");
        return;
    }
    /* A reconnecting worker comes back on a new socket: forget the old
     * one; its leases are held by identity and stay its own. */
    for (size_t i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].identity, in->identity) ||
            (c->peers[i].rid_len == rid_len &&
             !memcmp(c->peers[i].rid, rid, rid_len))) {
            drop_peer(c, &c->peers[i]);
            i--;
        }
    if (c->npeers == c->cap_peers) {
        size_t cap = c->cap_peers ? c->cap_peers * 2 : 16;
        peer *np = realloc(c->peers, cap * sizeof *np);
        if (!np)
            return;
        c->peers = np;
        c->cap_peers = cap;
    }
    peer *p = &c->peers[c->npeers++];
    memset(p, 0, sizeof *p);
    memcpy(p->rid, rid, rid_len);
    p->rid_len = rid_len;
    snprintf(p->identity, sizeof p->identity, "%s", in->identity);
    p->state = P_GREETED;
    p->last_seen = mg_mono_ms();
    mg_msg m;
    mg_msg_init(&m, MG_MSG_RUN);
    m.global_seed = c->o.cfg.global_seed;
    m.start = (uint64_t)c->o.cfg.start;
    m.count = (uint64_t)c->o.cfg.count;
    m.heartbeat_ms = c->o.heartbeat_ms;
    m.run_json = c->run_json;
    m.fp = c->fp;
    send_peer(c, p, &m);
}

static void
on_join(mg_coord *c, peer *p, const mg_msg *in)
{
    char why[400];
    if (mg_fingerprint_compare(&c->fp, &in->fp, why, sizeof why)) {
        mg_msg m;
        mg_msg_init(&m, MG_MSG_REFUSE);
        snprintf(m.reason, sizeof m.reason, "fingerprint differs: %s", why);
        mg_dlog(WHO, "refused worker %s: %s", p->identity, m.reason);
        send_peer(c, p, &m);
        drop_peer(c, p);
        return;
    }
    p->state = P_JOINED;
    /* Leases held under this identity that the worker no longer has
     * (a restarted process reusing a name, work abandoned) go back to
     * the queue now instead of being renewed forever. */
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    char err[256];
    int released = -1;
    if (tx_open(c, err, sizeof err) ||
        (released = mg_ledger_reclaim(c->ledger, p->identity, in->acks,
                                      in->nacks, mg_wall_ms() + ttl, err,
                                      sizeof err)) < 0)
        mg_dlog(WHO, "%s", err);
    mg_stats_requeued(c->stats, released);
    if (!c->o.quiet)
        mg_dlog(WHO, "worker %s joined (%d workers)", p->identity,
                joined_count(c));
}

static int
on_ready(mg_coord *c, peer *p, char *err, size_t errlen)
{
    int64_t id;
    uint64_t first;
    uint32_t n;
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    if (tx_open(c, err, errlen))
        return -1;
    int rc = mg_ledger_lease(c->ledger, p->identity, mg_wall_ms(), ttl, &id,
                             &first, &n, err, errlen);
    if (rc < 0)
        return -1;
    mg_msg m;
    if (rc == 0) {
        mg_msg_init(&m, MG_MSG_NOWORK);
        m.retry_ms = c->o.heartbeat_ms;
        p->mark = 0;
    } else {
        note_grant(c, p, id, first, n);
        mg_msg_init(&m, MG_MSG_GRANT);
        m.lease = (uint64_t)id;
        m.first = first;
        m.n = n;
        m.ttl_ms = (uint32_t)ttl;
    }
    send_peer(c, p, &m);
    return 0;
}

static int
on_row(mg_coord *c, peer *p, const mg_msg *in, char *err, size_t errlen)
{
    uint64_t start = (uint64_t)c->o.cfg.start;
    if (in->index < start || in->index - start >= (uint64_t)c->o.cfg.count) {
        mg_dlog(WHO, "dropped ROW from %s: index %" PRIu64 " outside the run",
                p->identity, in->index);
        return 0;
    }
    mg_row row;
    mg_msg_to_row(in, &row, c->o.cfg.shard_width);
    char wrote_at[40];
    mg_rfc3339(wrote_at, sizeof wrote_at, mg_wall_ms());
    if (tx_open(c, err, errlen))
        return -1;
    int rc = mg_ledger_put_row(c->ledger, &row, p->identity, wrote_at, err,
                               errlen);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        note_row(c, p, &row);
        c->done++;
        if (row.skipped)
            c->skipped++;
        if (row.status == MG_ROW_FAILED) {
            c->failed++;
            mg_dlog(WHO, "sample %" PRIu64 " failed on %s: %s", row.index,
                    p->identity, row.error);
        }
        touch_chunk(c, mg_ledger_chunk_of(c->ledger, row.index));
    }
    c->tx_rows++;
    p->rows++;
    if (p->nacks == p->cap_acks) {
        size_t cap = p->cap_acks ? p->cap_acks * 2 : 64;
        uint64_t *a = realloc(p->acks, cap * sizeof *a);
        if (!a)
            return 0;   /* unacknowledged: the worker re-sends it */
        p->acks = a;
        p->cap_acks = cap;
    }
    p->acks[p->nacks++] = row.index;
    return 0;
}

static void
log_bad(mg_coord *c, const char *why)
{
    /* One line per bad frame, but a flood cannot drown the log. */
    c->bad_frames++;
    mg_stats_bad_message(c->stats);
    if (c->bad_frames <= 20 || c->bad_frames % 1000 == 0)
        mg_dlog(WHO, "dropped a malformed message (%" PRIu64 " so far): %s",
                c->bad_frames, why);
}

static int
handle(mg_coord *c, const uint8_t *rid, size_t rid_len, const uint8_t *buf,
       size_t len, bool complete, char *err, size_t errlen)
{
    mg_msg m;
    char why[300];
    if (mg_msg_decode(&m, buf, len, why, sizeof why)) {
        int v = mg_msg_peek_version(buf, len);
        if (v >= 0 && v != MG_PROTO_VERSION) {
            char reason[200];
            snprintf(reason, sizeof reason, "protocol version %d not "
                     "supported: this coordinator speaks version %d", v,
                     MG_PROTO_VERSION);
            mg_dlog(WHO, "refused a peer: %s", reason);
            send_simple(c, rid, rid_len, MG_MSG_REFUSE, reason);
            return 0;
        }
        log_bad(c, why);
        return 0;
    }
    int rc = 0;
    peer *p = find_peer(c, rid, rid_len);
    if (m.type == MG_MSG_HELLO) {
        on_hello(c, rid, rid_len, &m, complete);
        goto out;
    }
    if (!p) {
        if (m.type != MG_MSG_BYE && m.type != MG_MSG_REFUSE)
            send_simple(c, rid, rid_len,
                        complete ? MG_MSG_SHUTDOWN : MG_MSG_WHO,
                        complete ? "run complete" : NULL);
        goto out;
    }
    p->last_seen = mg_mono_ms();
    if (p->state == P_GREETED && m.type != MG_MSG_JOIN &&
        m.type != MG_MSG_HEARTBEAT && m.type != MG_MSG_BYE) {
        log_bad(c, "message before JOIN");
        goto out;
    }
    switch (m.type) {
    case MG_MSG_JOIN:
        if (p->state == P_GREETED)
            on_join(c, p, &m);
        break;
    case MG_MSG_READY:
        if (complete)
            send_simple(c, rid, rid_len, MG_MSG_SHUTDOWN, "run complete");
        else
            rc = on_ready(c, p, err, errlen);
        break;
    case MG_MSG_ROW:
        rc = on_row(c, p, &m, err, errlen);
        break;
    case MG_MSG_HEARTBEAT:
        break;
    case MG_MSG_BYE:
        if (!c->o.quiet)
            mg_dlog(WHO, "worker %s left: %s", p->identity, m.reason);
        int released = -1;
        if (tx_open(c, err, errlen) ||
            (released = mg_ledger_release(c->ledger, p->identity, err,
                                          errlen)) < 0)
            rc = -1;
        mg_stats_requeued(c->stats, released);
        /* its rows still wait for the commit; ack them then is moot */
        drop_peer(c, p);
        break;
    default:
        log_bad(c, "a message only a coordinator sends");
        break;
    }
out:
    mg_msg_clear(&m);
    return rc;
}

/* Heartbeats out, silent workers declared dead, live leases renewed. */
static int
beat(mg_coord *c, char *err, size_t errlen)
{
    int64_t now = mg_mono_ms();
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    for (size_t i = 0; i < c->npeers; i++) {
        peer *p = &c->peers[i];
        if (now - p->last_seen > ttl) {
            if (tx_open(c, err, errlen))
                return -1;
            int n = mg_ledger_release(c->ledger, p->identity, err, errlen);
            if (n < 0)
                return -1;
            mg_dlog(WHO, "worker %s lost (silent for %" PRId64 " ms): %d "
                    "lease(s) re-queued", p->identity, now - p->last_seen, n);
            mg_stats_requeued(c->stats, n);
            drop_peer(c, p);
            i--;
            continue;
        }
        if (p->state == P_JOINED) {
            if (tx_open(c, err, errlen) ||
                mg_ledger_renew(c->ledger, p->identity, mg_wall_ms() + ttl,
                                err, errlen))
                return -1;
        }
        if (now - p->last_sent >= (int64_t)c->o.heartbeat_ms) {
            mg_msg m;
            mg_msg_init(&m, MG_MSG_HEARTBEAT);
            send_peer(c, p, &m);
        }
    }
    return 0;
}

static void
fmt_eta(char *buf, size_t n, double s)
{
    if (s < 0) {
        snprintf(buf, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static int
progress(mg_coord *c, bool final, char *err, size_t errlen)
{
    int64_t now = mg_mono_ms();
    /* rate over a sliding window of the last ticks */
    if (c->nwindow == 12) {
        memmove(c->window_done, c->window_done + 1, 11 * sizeof(uint64_t));
        memmove(c->window_t, c->window_t + 1, 11 * sizeof(int64_t));
        c->nwindow--;
    }
    c->window_done[c->nwindow] = c->done;
    c->window_t[c->nwindow++] = now;
    double dt = (double)(now - c->window_t[0]) / 1000.0;
    double rate = dt > 0 ? (double)(c->done - c->window_done[0]) / dt : 0;
    uint64_t total = (uint64_t)c->o.cfg.count;
    mg_coord_progress p = {
        total, c->done, c->failed, c->skipped, c->resumed, c->missing, rate,
        rate > 0 ? (double)(total - c->done) / rate : -1.0,
        joined_count(c), (double)(now - c->started) / 1000.0,
    };
    publish(c, p.rate, p.eta_s, final && c->done >= total);
    if (c->o.progress) {
        c->o.progress(&p, c->o.progress_ud);
    } else if (!c->o.quiet || final) {
        char eta[32];
        fmt_eta(eta, sizeof eta, p.eta_s);
        mg_dlog(WHO, "progress: %" PRIu64 "/%" PRIu64 " done, %" PRIu64
                " failed, %.1f rows/s, ETA %s, %d workers", p.done, p.total,
                p.failed, p.rate, eta, p.workers);
    }
    char json[300], ts[40];
    mg_rfc3339(ts, sizeof ts, mg_wall_ms());
    snprintf(json, sizeof json, "{\"done\":%" PRIu64 ",\"failed\":%" PRIu64
             ",\"rate\":%.2f,\"eta_s\":%.0f,\"workers\":%d,"
             "\"updated_at\":\"%s\"}", p.done, p.failed, p.rate, p.eta_s,
             p.workers, ts);
    if (tx_open(c, err, errlen) ||
        mg_ledger_set_meta(c->ledger, "progress", json, err, errlen))
        return -1;
    c->last_progress = now;
    return 0;
}

/* ---- CURVE handshake failures (the socket monitor) ---- */

/* Say why a connection was turned away: the operator of a worker that
 * cannot join looks here. Rate-limited like malformed frames. */
static void
on_monitor(mg_coord *c)
{
    uint16_t event;
    uint32_t value;
    if (mg_monitor_event(c->mon, &event, &value))
        return;
    const char *why;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        why = "its CURVE key is not authorised (add its public certificate "
              "to the key directory's authorized/)";
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
             value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        why = "it does not speak CURVE (start the worker with --curve-dir)";
    else if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        why = "the CURVE handshake failed (does the worker have this "
              "coordinator's public certificate?)";
    else
        why = "the handshake failed";
    c->bad_handshakes++;
    if (c->bad_handshakes <= 20 || c->bad_handshakes % 1000 == 0)
        mg_dlog(WHO, "refused a connection (%" PRIu64 " so far): %s",
                c->bad_handshakes, why);
}

/* Wait up to wait_ms for the ROUTER (handshake events are handled on the
 * way). >0 the socket is readable, 0 not, -1 error. */
static int
poll_sock(mg_coord *c, long wait_ms)
{
    zmq_pollitem_t it[2] = {
        {c->sock, 0, ZMQ_POLLIN, 0}, {c->mon, 0, ZMQ_POLLIN, 0},
    };
    int rc = zmq_poll(it, c->mon ? 2 : 1, wait_ms);
    if (rc <= 0)
        return rc;
    if (c->mon && (it[1].revents & ZMQ_POLLIN))
        on_monitor(c);
    return (it[0].revents & ZMQ_POLLIN) ? 1 : 0;
}

static int
curve_setup(mg_coord *c, char *err, size_t errlen)
{
    mg_curve_keys k;
    if (mg_curve_load_server(c->o.curve_dir, &k, err, errlen))
        return -1;
    /* zauth serves ZAP in czmq's context; the socket must live there
     * too, and the handler must be up before the first handshake */
    c->ctx = mg_curve_context();
    c->czmq_ctx = true;
    if (!c->ctx) {
        snprintf(err, errlen, "cannot start czmq");
        return -1;
    }
    c->auth = mg_curve_auth_start(c->o.curve_dir, err, errlen);
    if (!c->auth)
        return -1;
    c->sock = zmq_socket(c->ctx, ZMQ_ROUTER);
    if (!c->sock || mg_curve_apply_server(c->sock, &k, err, errlen))
        goto fail;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://mg-coord-mon-%p", (void *)c);
    if (zmq_socket_monitor(c->sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                           ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) == 0) {
        c->mon = zmq_socket(c->ctx, ZMQ_PAIR);
        if (c->mon && zmq_connect(c->mon, ep)) {
            zmq_close(c->mon);
            c->mon = NULL;
        }
    }
    memset(&k, 0, sizeof k);
    return 0;
fail:
    if (!err[0])
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
    memset(&k, 0, sizeof k);
    return -1;
}

/* ---- set-up ---- */

/* The resume-time disk check: every ledger row marked done must have its
 * sample.json on disk (a sample directory gets its final name only when
 * complete, but a user may have deleted files in it since; the engine
 * replaces a directory without sample.json). Rows come in index order,
 * which walks the shard directories one at a time: one open per shard
 * and one fstatat relative to it per row (no path walk from the root). */
typedef struct {
    const char *root;
    char dir[1100];          /* relative directory held open */
    bool have_dir;
    int dfd;                 /* -1: that directory is gone */
    uint64_t *gone;
    size_t n, cap;
    uint64_t rows, dirs;
} verify_ctx;

static void
verify_open(verify_ctx *v, const char *dir)
{
    char path[2400];
    if (v->dfd >= 0)
        close(v->dfd);
    snprintf(v->dir, sizeof v->dir, "%s", dir);
    v->have_dir = true;
    v->dirs++;
    snprintf(path, sizeof path, "%s%s%s", v->root, *dir ? "/" : "", dir);
    v->dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int
verify_row(const mg_row *row, const char *wrote_at, void *ud)
{
    verify_ctx *v = ud;
    (void)wrote_at;
    if (row->status != MG_ROW_OK)
        return 0;
    v->rows++;
    /* path "SHARD/NAME" (sharded) or "NAME" (flat layout) */
    char dir[sizeof row->path], rel[sizeof row->path + 16];
    const char *slash = strrchr(row->path, '/');
    size_t dlen = slash ? (size_t)(slash - row->path) : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)dlen, row->path);
    if (!v->have_dir || strcmp(dir, v->dir))
        verify_open(v, dir);
    snprintf(rel, sizeof rel, "%s/sample.json",
             slash ? slash + 1 : row->path);
    struct stat st;
    if (v->dfd >= 0 && fstatat(v->dfd, rel, &st, 0) == 0 &&
        S_ISREG(st.st_mode))
        return 0;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        uint64_t *g = realloc(v->gone, cap * sizeof *g);
        if (!g)
            return 1;
        v->gone = g;
        v->cap = cap;
    }
    v->gone[v->n++] = row->index;
    return 0;
}

static int
verify_disk(mg_coord *c, char *err, size_t errlen)
{
    verify_ctx v;
    memset(&v, 0, sizeof v);
    v.root = c->o.cfg.out_dir;
    v.dfd = -1;
    int64_t t0 = mg_mono_ms();
    int rc = mg_ledger_foreach_row(c->ledger, verify_row, &v, err, errlen);
    if (v.dfd >= 0)
        close(v.dfd);
    if (rc == 0 && v.n) {
        c->missing = v.n;
        rc = mg_ledger_begin(c->ledger, err, errlen);
        for (size_t i = 0; rc == 0 && i < v.n; i++)
            rc = mg_ledger_forget(c->ledger, v.gone[i], err, errlen);
        if (rc == 0)
            rc = mg_ledger_commit(c->ledger, err, errlen);
        if (rc == 0 && !c->o.quiet)
            mg_dlog(WHO, "%zu sample(s) in the ledger are gone from disk; "
                    "they will be made again", v.n);
    }
    if (rc == 0 && !c->o.quiet)
        mg_dlog(WHO, "disk check: %" PRIu64 " rows in %" PRIu64
                " directories in %" PRId64 " ms", v.rows, v.dirs,
                mg_mono_ms() - t0);
    free(v.gone);
    return rc;
}

static int
open_run(mg_coord *c, char *err, size_t errlen)
{
    mg_ledger_run want = {0}, have = {0};
    if (mg_fingerprint_compute(&c->o.cfg, &c->fp, err, errlen))
        return -1;
    c->run_json = mg_config_run_json(&c->o.cfg);
    if (!c->run_json) {
        snprintf(err, errlen, "cannot serialise the run config");
        return -1;
    }
    want.global_seed = c->o.cfg.global_seed;
    want.start = (uint64_t)c->o.cfg.start;
    want.count = (uint64_t)c->o.cfg.count;
    want.chunk = c->o.chunk;
    want.run_json = c->run_json;
    want.fp = c->fp;
    int rc = mg_ledger_get_run(c->ledger, &have, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (mg_ledger_create_run(c->ledger, &want, err, errlen))
            return -1;
        if (mg_ledger_get_run(c->ledger, &have, err, errlen) != 1)
            return -1;
        if (!c->o.quiet)
            mg_dlog(WHO, "new run: seed %" PRId64 ", %" PRIu64 " samples "
                    "from %" PRIu64 ", chunks of %u", want.global_seed,
                    want.count, want.start, want.chunk);
    } else {
        char why[2048];
        if (mg_ledger_check_run(&have, &want, why, sizeof why)) {
            snprintf(err, errlen, "the ledger %s holds a different run (%s); "
                     "use another ledger or the same parameters",
                     c->o.ledger_path, why);
            mg_ledger_run_free(&have);
            return -1;
        }
    }
    mg_ledger_run_free(&have);
    if (c->o.verify_disk && verify_disk(c, err, errlen))
        return -1;
    mg_ledger_counts counts;
    if (mg_ledger_counts_get(c->ledger, mg_wall_ms(), &counts, err, errlen))
        return -1;
    c->done = counts.ok + counts.failed;
    c->failed = counts.failed;
    c->resumed = c->done;
    if (rc == 1 && !c->o.quiet)
        mg_dlog(WHO, "resuming run: %" PRIu64 "/%" PRIu64 " done",
                c->done, counts.total);
    return 0;
}

static int
lock_ledger(mg_coord *c, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s.lock", c->o.ledger_path);
    c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (c->lock_fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(c->lock_fd, LOCK_EX | LOCK_NB)) {
        snprintf(err, errlen, "the ledger %s is in use by another "
                 "coordinator", c->o.ledger_path);
        return -1;
    }
    return 0;
}

static int
write_endpoint_file(const char *path, const char *endpoint, char *err,
                    size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", endpoint) < 0 || fclose(f)) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if (rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

mg_coord *
mg_coord_new(const mg_coord_opts *o, char *err, size_t errlen)
{
    mg_coord *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->o = *o;
    c->lock_fd = -1;
    if (!c->o.chunk)
        c->o.chunk = 64;
    if (c->o.heartbeat_ms < 50)
        c->o.heartbeat_ms = 50;
    if (c->o.liveness < 2)
        c->o.liveness = 2;
    if (c->o.progress_ms < 50)
        c->o.progress_ms = 50;
    if (mg_dir_make(c->o.cfg.out_dir)) {
        snprintf(err, errlen, "%s: %s", c->o.cfg.out_dir, strerror(errno));
        goto fail;
    }
    if (lock_ledger(c, err, errlen))
        goto fail;
    c->ledger = mg_ledger_open(c->o.ledger_path, err, errlen);
    if (!c->ledger || open_run(c, err, errlen))
        goto fail;
    err[0] = '\0';
    if (c->o.curve_dir) {
        if (curve_setup(c, err, errlen))
            goto fail;
    } else {
        c->ctx = zmq_ctx_new();
        c->sock = c->ctx ? zmq_socket(c->ctx, ZMQ_ROUTER) : NULL;
    }
    if (!c->sock) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        goto fail;
    }
    int zero = 0, hwm = 100000, maxmsg = (int)MG_PROTO_MAX_FRAME;
    int64_t maxmsg64 = maxmsg;
    zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(c->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(c->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    /* oversize frames are cut off by libzmq before they reach us */
    zmq_setsockopt(c->sock, ZMQ_MAXMSGSIZE, &maxmsg64, sizeof maxmsg64);
    if (zmq_bind(c->sock, c->o.bind)) {
        snprintf(err, errlen, "cannot bind %s: %s", c->o.bind,
                 zmq_strerror(errno));
        goto fail;
    }
    size_t elen = sizeof c->endpoint;
    zmq_getsockopt(c->sock, ZMQ_LAST_ENDPOINT, c->endpoint, &elen);
    if (c->o.endpoint_file &&
        write_endpoint_file(c->o.endpoint_file, c->endpoint, err, errlen))
        goto fail;
    if (c->o.http) {
        char title[1200];
        snprintf(title, sizeof title, "musicgen run: seed %" PRId64 ", %"
                 PRId64 " samples -> %s", c->o.cfg.global_seed,
                 c->o.cfg.count, c->o.cfg.out_dir);
        c->stats = mg_stats_new(title, c->done, c->failed,
                                (uint64_t)c->o.cfg.count);
        if (!c->stats) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        c->http = mg_http_start(c->o.http, c->stats, err, errlen);
        if (!c->http)
            goto fail;
        /* always said, even quiet: it is how the user finds the page */
        mg_dlog(WHO, "status page on %s (metrics: %smetrics)",
                mg_http_url(c->http), mg_http_url(c->http));
    }
    if (!c->o.quiet)
        mg_dlog(WHO, "listening on %s%s (ledger %s)", c->endpoint,
                c->o.curve_dir ? " with CURVE" : "", c->o.ledger_path);
    return c;
fail:
    mg_coord_destroy(&c);
    return NULL;
}

void
mg_coord_destroy(mg_coord **cp)
{
    mg_coord *c = *cp;
    if (!c)
        return;
    if (c->in_tx && c->ledger) {
        char err[256];
        if (tx_commit(c, err, sizeof err))
            mg_dlog(WHO, "%s", err);
    }
    for (size_t i = 0; i < c->npeers; i++)
        free(c->peers[i].acks);
    free(c->peers);
    free(c->touched);
    if (c->mon)
        zmq_close(c->mon);
    if (c->sock)
        zmq_close(c->sock);
    mg_curve_auth_stop(&c->auth);
    /* czmq terminates its own context at exit */
    if (c->ctx && !c->czmq_ctx)
        zmq_ctx_term(c->ctx);
    mg_ledger_close(&c->ledger);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c->run_json);
    /* the server goes before the stats it reads */
    mg_http_stop(&c->http);
    mg_stats_destroy(&c->stats);
    free(c);
    *cp = NULL;
}

/* ---- the loop ---- */

static int
drain(mg_coord *c, bool complete, char *err, size_t errlen)
{
    /* Bounded so heartbeats and commits still happen under a flood. */
    for (int k = 0; k < 4096; k++) {
        zmq_msg_t rid, body;
        zmq_msg_init(&rid);
        if (zmq_msg_recv(&rid, c->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&rid);
            return 0;
        }
        zmq_msg_init(&body);
        int more = zmq_msg_more(&rid);
        int got = more ? zmq_msg_recv(&body, c->sock, ZMQ_DONTWAIT) : -1;
        int rc = 0;
        if (got < 0 || zmq_msg_more(&body) || zmq_msg_size(&rid) > RID_MAX) {
            /* a multi-part message is not ours: swallow the rest */
            while (got >= 0 && zmq_msg_more(&body))
                got = zmq_msg_recv(&body, c->sock, ZMQ_DONTWAIT);
            log_bad(c, "not a single-frame message");
        } else {
            rc = handle(c, zmq_msg_data(&rid), zmq_msg_size(&rid),
                        zmq_msg_data(&body), zmq_msg_size(&body), complete,
                        err, errlen);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&rid);
        if (rc)
            return -1;
        if (c->in_tx && c->tx_rows >= BATCH_MAX &&
            tx_commit(c, err, errlen))
            return -1;
    }
    return 0;
}

static int
finish(mg_coord *c, char *err, size_t errlen)
{
    if (tx_commit(c, err, errlen))
        return -1;
    if (mg_ledger_write_manifest(c->ledger, c->o.cfg.out_dir, err, errlen))
        return -1;
    for (size_t i = 0; i < c->npeers; i++)
        send_simple(c, c->peers[i].rid, c->peers[i].rid_len,
                    MG_MSG_SHUTDOWN, "run complete");
    if (!c->o.quiet)
        mg_dlog(WHO, "run complete: %" PRIu64 " samples (%" PRIu64
                " failed); manifest written", c->done, c->failed);
    /* Linger: late or reconnecting workers are told to stop, not left
     * retrying against a closed port. */
    int64_t until = mg_mono_ms() + c->o.linger_ms;
    while (mg_mono_ms() < until && !(c->o.stop && *c->o.stop)) {
        long wait = (long)(until - mg_mono_ms());
        if (poll_sock(c, wait > 0 ? wait : 0) > 0 &&
            drain(c, true, err, errlen))
            return -1;
        if (c->in_tx && tx_commit(c, err, errlen))
            return -1;
    }
    return 0;
}

int
mg_coord_run(mg_coord *c, char *err, size_t errlen)
{
    uint64_t total = (uint64_t)c->o.cfg.count;
    c->started = c->last_beat = c->last_progress = mg_mono_ms();
    c->window_done[0] = c->done;
    c->window_t[0] = c->started;
    c->nwindow = 1;
    while (!(c->o.stop && *c->o.stop)) {
        if (c->done >= total) {
            if (progress(c, true, err, errlen))
                return -1;
            return finish(c, err, errlen);
        }
        int64_t now = mg_mono_ms();
        int64_t wait = c->last_beat + c->o.heartbeat_ms - now;
        int64_t pw = c->last_progress + c->o.progress_ms - now;
        if (pw < wait)
            wait = pw;
        if (c->in_tx) {
            int64_t cw = c->tx_started + BATCH_MS - now;
            if (cw < wait)
                wait = cw;
        }
        if (wait < 0)
            wait = 0;
        int rc = poll_sock(c, (long)wait);
        if (rc < 0 && errno != EINTR) {
            snprintf(err, errlen, "zmq_poll: %s", zmq_strerror(errno));
            return -1;
        }
        size_t rows_before = c->tx_rows;
        if (rc > 0 && drain(c, false, err, errlen))
            return -1;
        /* Rows are committed every BATCH_MS anyway: after a burst of
         * them, let the next ones gather for a moment instead of waking
         * per row (a wake-up costs more than a cheap sample's row; the
         * answers to READY and HELLO were already sent in drain). Under
         * a flood each drain simply takes more rows. */
        if (c->in_tx && c->tx_rows > rows_before) {
            struct timespec nap = {0, 1000000};
            nanosleep(&nap, NULL);
        }
        now = mg_mono_ms();
        if (now - c->last_beat >= (int64_t)c->o.heartbeat_ms) {
            if (beat(c, err, errlen))
                return -1;
            c->last_beat = now;
            if (now - c->last_publish >= 250)
                publish(c, -1, -1, false);
        }
        if (now - c->last_progress >= c->o.progress_ms &&
            progress(c, false, err, errlen))
            return -1;
        if (c->in_tx && (now - c->tx_started >= BATCH_MS ||
                         c->done >= total) &&
            tx_commit(c, err, errlen))
            return -1;
    }
    /* SIGTERM: commit what is in hand, keep the ledger, leave a manifest
     * of what is done so far; workers reconnect to the next start. */
    if (progress(c, true, err, errlen) || tx_commit(c, err, errlen) ||
        mg_ledger_write_manifest(c->ledger, c->o.cfg.out_dir, err, errlen))
        return -1;
    if (!c->o.quiet)
        mg_dlog(WHO, "stopped: %" PRIu64 "/%" PRIu64 " done; the ledger "
                "keeps the run, start again to resume", c->done, total);
    return 1;
}
