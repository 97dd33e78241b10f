/*
 * coordinator — serves one run to workers over a ROUTER socket. This
 * file: options, sending, peers, the write batch, the heartbeat and the
 * event loop; the other parts beside it, one concern each, are listed in
 * coord_priv.h. The invariants below are those of the whole daemon.
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
 * - Leases live in memory; the ledger holds only rows. What is to do is
 *   re-derived at every start from the rows (and, on resume, from the
 *   disk: a sample.json with the run's seed is a row), so a restored old
 *   ledger cannot strand work. A worker that stays up through our
 *   restart declares its leases in JOIN and we adopt them.
 * - Leases are held by the worker's identity, not its socket, so a worker
 *   that reconnects keeps its leases (with CURVE, an identity is bound to
 *   the key of its first HELLO: no other key may use it while it is live,
 *   coord_handlers.c);
 *   a silent worker's leases are
 *   released after heartbeat_ms * liveness and redone by someone else.
 *   A live worker's lease is renewed only by rows on it: the oldest
 *   unfinished lease of a worker (it works in order) that makes no
 *   progress for the grace time is re-queued.
 * - A row is stored only after validation (PROTOCOL.md, "Row checks"):
 *   from the identity that holds or held the lease it names, an index of
 *   that lease, the seed and split the run derives, values in range.
 *   Redoing a sample gives the same bytes and the ledger keeps the first
 *   row per index, so work is at-least-once, effect exactly-once.
 * - Lease sizes follow the measured time per sample (guided: at most
 *   lease_s seconds of work, at most 1/(2 x jobs) of what is left); the
 *   tail of the run goes out one sample per lease, longest estimated
 *   song first, each to a job with nothing in hand (coord_lease.c).
 * - Nothing from the wire becomes a path: the row's path is recomputed
 *   from its index and the run's shard width.
 */
#include "coord_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <zmq.h>

#include "curve.h"
#include "dlog.h"
#include "dsfilter.h"
#include "endpoint.h"
#include "engine.h"
#include "http.h"
#include "ledger.h"
#include "licenses.h"
#include "proto.h"
#include "runmark.h"
#include "sampledir.h"
#include "stats.h"

void
mg_coord_opts_defaults(mg_coord_opts *o)
{
    memset(o, 0, sizeof *o);
    mg_config_defaults(&o->cfg);
    o->chunk = 0;
    o->lease_s = 2.0;
    o->speculate = true;
    o->speculate_running = true;
    o->durable = true;
    o->heartbeat_ms = 1000;
    o->liveness = 5;
    o->linger_ms = 2000;
    o->progress_ms = 5000;
    o->run_fd = -1;
}

const mg_coord_stats *
mg_coord_stats_get(const mg_coord *c)
{
    return &c->st;
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

void
coord_send_peer(mg_coord *c, peer *p, const mg_msg *m)
{
    send_to(c, p->rid, p->rid_len, m);
    p->last_sent = mg_mono_ms();
}

void
coord_send_simple(mg_coord *c, const uint8_t *rid, size_t rid_len,
                  mg_msg_type type, const char *reason)
{
    mg_msg m;
    mg_msg_init(&m, type);
    if (reason)
        snprintf(m.reason, sizeof m.reason, "%s", reason);
    send_to(c, rid, rid_len, &m);
}

/* ---- peers ---- */

peer *
coord_find_peer(mg_coord *c, const uint8_t *rid, size_t len)
{
    for (size_t i = 0; i < c->npeers; i++)
        if (c->peers[i].rid_len == len && !memcmp(c->peers[i].rid, rid, len))
            return &c->peers[i];
    return NULL;
}

void
coord_drop_peer(mg_coord *c, peer *p)
{
    free(p->acks);
    size_t i = (size_t)(p - c->peers);
    c->peers[i] = c->peers[--c->npeers];
}

int
coord_joined_count(const mg_coord *c)
{
    int n = 0;
    for (size_t i = 0; i < c->npeers; i++)
        n += c->peers[i].state == P_JOINED;
    return n;
}

/* ---- the write batch ---- */

int
coord_tx_open(mg_coord *c, char *err, size_t errlen)
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

void
coord_touch_chunk(mg_coord *c, int64_t id)
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
int
coord_tx_commit(mg_coord *c, char *err, size_t errlen)
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
            coord_send_peer(c, p, &m);
        }
        p->nacks = 0;
    }
    return 0;
}

/* Heartbeats out, silent workers declared dead, leases without progress
 * re-queued. A heartbeat proves a worker alive, never its leases. */
static int
beat(mg_coord *c, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    int64_t now = mg_mono_ms();
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    for (size_t i = 0; i < c->npeers; i++) {
        peer *p = &c->peers[i];
        if (now - p->last_seen > ttl) {
            int n = coord_release_holder(c, p->identity);
            mg_dlog(WHO, "worker %s lost (silent for %" PRId64 " ms): %d "
                    "lease(s) re-queued", p->identity, now - p->last_seen, n);
            mg_stats_requeued(c->stats, n);
            coord_drop_peer(c, p);
            i--;
            continue;
        }
        if (now - p->last_sent >= (int64_t)c->o.heartbeat_ms) {
            mg_msg m;
            mg_msg_init(&m, MG_MSG_HEARTBEAT);
            coord_send_peer(c, p, &m);
        }
    }
    coord_check_leases(c, now);
    coord_serve_held(c);
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
    c->st.bad_handshakes++;
    if (c->st.bad_handshakes <= 20 || c->st.bad_handshakes % 1000 == 0)
        mg_dlog(WHO, "refused a connection (%" PRIu64 " so far): %s",
                c->st.bad_handshakes, why);
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
    if (c->mon && (it[1].revents & ZMQ_POLLIN)) {
        on_monitor(c);
        coord_gauges(c);
    }
    return (it[0].revents & ZMQ_POLLIN) ? 1 : 0;
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
            coord_log_bad(c, "not a single-frame message");
        } else {
            /* CURVE: the key zauth authenticated this connection with */
            const char *key = c->auth ? zmq_msg_gets(&body, "User-Id") : NULL;
            rc = coord_handle(c, zmq_msg_data(&rid), zmq_msg_size(&rid),
                              zmq_msg_data(&body), zmq_msg_size(&body),
                              c->auth ? (key ? key : "") : NULL, complete,
                              err, errlen);
            coord_gauges(c);
        }
        zmq_msg_close(&body);
        zmq_msg_close(&rid);
        if (rc)
            return -1;
        if (c->in_tx && c->tx_rows >= BATCH_MAX &&
            coord_tx_commit(c, err, errlen))
            return -1;
    }
    return 0;
}

/* One line of the counters, at the end of a session. */
static void
log_stats(const mg_coord *c)
{
    const mg_coord_stats *s = &c->st;
    mg_dlog(WHO, "leases: %" PRIu64 " granted, %" PRIu64 " duplicated, %"
            PRIu64 " adopted, %" PRIu64 " re-queued; rows: %" PRIu64
            " stored, %" PRIu64 " duplicate, %" PRIu64 " rejected, %" PRIu64
            " from disk; %.3f s per sample", s->leases_granted,
            s->leases_duplicated, s->leases_adopted, s->leases_requeued,
            s->rows_accepted, s->rows_duplicate, s->rows_rejected,
            s->rows_from_disk, s->sample_s);
}

static int
finish(mg_coord *c, char *err, size_t errlen)
{
    if (coord_tx_commit(c, err, errlen))
        return -1;
    if (mg_ledger_write_manifest(c->ledger, c->o.cfg.out_dir, c->filtered,
                                 c->nfiltered, err, errlen))
        return -1;
    /* the fonts the finished samples used, from their sample.json */
    if (mg_licenses_write(c->o.cfg.out_dir, c->o.cfg.sf_dir, NULL, err,
                          errlen))
        return -1;
    /* for workers that miss SHUTDOWN (reconnecting, stopped) */
    if (mg_runmark_write(c->o.cfg.out_dir, c->o.cfg.global_seed,
                         (uint64_t)c->o.cfg.start, (uint64_t)c->o.cfg.count,
                         err, errlen))
        return -1;
    for (size_t i = 0; i < c->npeers; i++)
        coord_send_simple(c, c->peers[i].rid, c->peers[i].rid_len,
                          MG_MSG_SHUTDOWN, "run complete");
    if (!c->o.quiet) {
        mg_dlog(WHO, "run complete: %" PRIu64 " samples (%" PRIu64
                " failed); manifest written", c->done, c->failed);
        log_stats(c);
    }
    /* Linger: late or reconnecting workers are told to stop, not left
     * retrying against a closed port. */
    int64_t until = mg_mono_ms() + c->o.linger_ms;
    while (mg_mono_ms() < until && !(c->o.stop && *c->o.stop)) {
        long wait = (long)(until - mg_mono_ms());
        /* nobody left to tell: the run ends now, not linger_ms later */
        if (c->o.linger_done && c->o.linger_done(c->o.linger_ud))
            break;
        if (c->o.linger_done && wait > 10)
            wait = 10;
        if (poll_sock(c, wait > 0 ? wait : 0) > 0 &&
            drain(c, true, err, errlen))
            return -1;
        if (c->in_tx && coord_tx_commit(c, err, errlen))
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
            /* every index has its row: what is still leased is moot */
            while (c->nlive)
                coord_lease_end(c, &c->leases[c->live[0]], L_DONE);
            if (coord_progress(c, true, err, errlen))
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
            coord_gauges(c);
            c->last_beat = now;
            if (now - c->last_publish >= 250)
                coord_publish(c, -1, -1, false);
        }
        if (now - c->last_progress >= c->o.progress_ms &&
            coord_progress(c, false, err, errlen))
            return -1;
        if (c->in_tx && (now - c->tx_started >= BATCH_MS ||
                         c->done >= total) &&
            coord_tx_commit(c, err, errlen))
            return -1;
    }
    /* Embedded generate's workers (linger_done) finish the sample in
     * hand on the same stop, send its row and wait up to 5 s for the ACK
     * before they leave (PROTOCOL.md): a coordinator that no longer
     * listened held every Ctrl-C those 5 s, its rows unstored. Their
     * rows are taken until they have gone, a second stop, or
     * STOP_DRAIN_MS. */
    int64_t until = mg_mono_ms() + STOP_DRAIN_MS;
    while (c->o.linger_done && !c->o.linger_done(c->o.linger_ud) &&
           *c->o.stop < 2 && mg_mono_ms() < until) {
        if (poll_sock(c, 10) > 0 && drain(c, false, err, errlen))
            return -1;
        if (c->in_tx && coord_tx_commit(c, err, errlen))
            return -1;
    }
    /* SIGTERM: commit what is in hand, keep the ledger, leave a manifest
     * of what is done so far; workers reconnect to the next start. */
    if (coord_progress(c, true, err, errlen) ||
        coord_tx_commit(c, err, errlen) ||
        mg_ledger_write_manifest(c->ledger, c->o.cfg.out_dir, c->filtered,
                                 c->nfiltered, err, errlen) ||
        mg_licenses_write(c->o.cfg.out_dir, c->o.cfg.sf_dir, NULL, err,
                          errlen))
        return -1;
    if (!c->o.quiet) {
        mg_dlog(WHO, "stopped: %" PRIu64 "/%" PRIu64 " done; the ledger "
                "keeps the run, start again to resume", c->done, total);
        log_stats(c);
    }
    return 1;
}
