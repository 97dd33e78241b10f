/*
 * worker — one connection to the coordinator and one engine thread.
 *
 * The network loop (this thread) owns the DEALER socket; the engine runs
 * in a second thread fed over an inproc PAIR, so heartbeats keep flowing
 * while a long sample renders and the coordinator never mistakes a busy
 * worker for a dead one. The engine thread holds at most one sample at a
 * time, which is what lets SIGTERM finish exactly the current sample.
 *
 * State machine (proto/PROTOCOL.md): connecting (HELLO sent) --RUN-->
 * working (JOIN, re-send unacknowledged rows, READY) --SHUTDOWN--> done.
 * REFUSE ends the worker; WHO sends HELLO again; a coordinator silent for
 * heartbeat * liveness means a new socket after a backoff that doubles
 * from 500 ms to 30 s (Paranoid Pirate).
 */
#include "worker.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "dlog.h"
#include "engine.h"
#include "proto.h"

#define WHO "worker"
#define LIVENESS 5
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define PIPE_EP_FMT "inproc://engine-%p"

/* ---- the engine thread ---- */

typedef struct {
    int quit;
    uint64_t index;
} job;

typedef struct {
    int kind;            /* 0 row, 1 fault (err), 2 engine could not start */
    mg_row row;
    char err[512];
} result;

typedef struct {
    void *ctx;
    char ep[64];
    mg_config cfg;
    void *ready;         /* PAIR end of the thread, bound before start */
} engine_thread;

static void *
engine_main(void *arg)
{
    engine_thread *t = arg;
    void *pipe = t->ready;
    result *r = calloc(1, sizeof *r);
    char err[512];
    mg_engine *e = r ? mg_engine_new(&t->cfg, err, sizeof err) : NULL;
    free(t);
    /* Fault-injection hook for the test suite: a slower engine makes
     * "kill it mid-run" a window wide enough to hit. Never set in use. */
    const char *d = getenv("MUSICGEN_FAULT_SAMPLE_DELAY_MS");
    long delay_ms = d ? atol(d) : 0;
    if (!e) {
        if (r) {
            r->kind = 2;
            snprintf(r->err, sizeof r->err, "%s", err);
            zmq_send(pipe, r, sizeof *r, 0);
        }
        free(r);
        zmq_close(pipe);
        return NULL;
    }
    for (;;) {
        job j;
        if (zmq_recv(pipe, &j, sizeof j, 0) != (int)sizeof j || j.quit)
            break;
        memset(r, 0, sizeof *r);
        if (delay_ms > 0 && delay_ms < 60000)
            usleep((useconds_t)delay_ms * 1000);
        if (mg_engine_run(e, j.index, &r->row, r->err, sizeof r->err)) {
            r->kind = 1;
            r->row.index = j.index;
        }
        zmq_send(pipe, r, sizeof *r, 0);
    }
    mg_engine_destroy(&e);
    free(r);
    zmq_close(pipe);
    return NULL;
}

/* ---- the network side ---- */

typedef struct {
    uint64_t lease, index;
} pending;

typedef struct {
    const mg_worker_opts *o;
    void *ctx, *sock, *pipe;
    void *mon;                   /* handshake events of sock */
    unsigned nsock;              /* sockets opened: unique monitor names */
    mg_curve_keys *curve;        /* NULL: plain */
    pthread_t thread;
    bool thread_on, busy, working, ready_sent;
    mg_config run_cfg;
    char *run_json;
    int64_t run_seed;
    uint32_t hb_ms;
    int64_t last_heard, last_sent, nowork_until, lost_since;
    int backoff_ms;
    pending *queue;              /* leased indices not yet run */
    size_t qhead, qlen, qcap;
    uint64_t busy_lease;
    mg_msg *unacked;             /* ROW messages not yet acknowledged */
    size_t nunacked, cap_unacked;
    uint64_t rows;
} worker;

void
mg_worker_opts_defaults(mg_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    mg_config_defaults(&o->cfg);
    char host[48] = "worker";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    snprintf(o->identity, sizeof o->identity, "%s-%ld", host,
             (long)getpid());
    o->idle_timeout_ms = 300000;
}

static int
send_msg(worker *w, const mg_msg *m)
{
    uint8_t *buf;
    size_t len;
    char err[256];
    if (!w->sock)
        return -1;
    if (mg_msg_encode(m, &buf, &len, err, sizeof err)) {
        mg_dlog(WHO, "cannot encode %s: %s", mg_msg_name(m->type), err);
        return -1;
    }
    int rc = zmq_send(w->sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
    w->last_sent = mg_mono_ms();
    return rc < 0 ? -1 : 0;
}

static void
send_type(worker *w, mg_msg_type type, const char *reason)
{
    mg_msg m;
    mg_msg_init(&m, type);
    if (reason)
        snprintf(m.reason, sizeof m.reason, "%s", reason);
    send_msg(w, &m);
}

static void
sock_open(worker *w)
{
    w->sock = zmq_socket(w->ctx, ZMQ_DEALER);
    int zero = 0;
    int64_t maxmsg = MG_PROTO_MAX_FRAME;
    zmq_setsockopt(w->sock, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(w->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    char err[256];
    if (w->curve && mg_curve_apply_client(w->sock, w->curve, err, sizeof err))
        mg_dlog(WHO, "%s", err);
    /* a refused handshake is silent on the data socket: the monitor is
     * how we learn that the coordinator turned our key away */
    char ep[80];
    snprintf(ep, sizeof ep, "inproc://mg-worker-mon-%p-%u", (void *)w,
             w->nsock++);
    if (zmq_socket_monitor(w->sock, ep, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) == 0) {
        w->mon = zmq_socket(w->ctx, ZMQ_PAIR);
        if (w->mon && zmq_connect(w->mon, ep)) {
            zmq_close(w->mon);
            w->mon = NULL;
        }
    }
    zmq_connect(w->sock, w->o->connect);
    w->working = false;
    w->ready_sent = false;
    w->last_heard = mg_mono_ms();
    mg_msg m;
    mg_msg_init(&m, MG_MSG_HELLO);
    snprintf(m.identity, sizeof m.identity, "%s", w->o->identity);
    m.capacity = 1;
    send_msg(w, &m);
}

static void
sock_close(worker *w)
{
    if (w->mon)
        zmq_close(w->mon);
    w->mon = NULL;
    if (w->sock)
        zmq_close(w->sock);
    w->sock = NULL;
}

/* A handshake event. Returns -2 to go on, or MG_WORKER_REFUSED when the
 * coordinator will never let us in as we are. */
static int
on_monitor(worker *w, char *err, size_t errlen)
{
    zmq_msg_t ev, addr;
    int rc = -2;
    zmq_msg_init(&ev);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&ev, w->mon, ZMQ_DONTWAIT) < 0)
        goto out;
    if (zmq_msg_more(&ev))
        zmq_msg_recv(&addr, w->mon, ZMQ_DONTWAIT);
    if (zmq_msg_size(&ev) < 6)
        goto out;
    uint16_t event;
    uint32_t value;
    memcpy(&event, zmq_msg_data(&ev), 2);
    memcpy(&value, (uint8_t *)zmq_msg_data(&ev) + 2, 4);
    const char *dir = w->o->curve_dir;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(err, errlen, "the coordinator at %s rejected this worker's "
                 "CURVE key (ZAP status %u): copy %s/%s into the "
                 "coordinator's %s/ directory", w->o->connect, value,
                 dir ? dir : "DIR", MG_CURVE_WORKER_CERT, MG_CURVE_AUTH_DIR);
        rc = MG_WORKER_REFUSED;
    } else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        snprintf(err, errlen, dir ? "the coordinator at %s does not use "
                 "CURVE; drop --curve-dir or start it with --curve-dir" :
                 "the coordinator at %s requires CURVE: start this worker "
                 "with --curve-dir DIR (see `musicgen keygen`)",
                 w->o->connect);
        rc = MG_WORKER_REFUSED;
    } else {
        /* e.g. another coordinator's public key: libzmq retries, and we
         * give up after --idle-timeout */
        if (!w->o->quiet)
            mg_dlog(WHO, "handshake with %s failed (protocol error %#x)%s",
                    w->o->connect, value, dir ? "; is the coordinator.cert "
                    "in the key directory this coordinator's?" : "");
        goto out;
    }
    mg_dlog(WHO, "refused: %s", err);
out:
    zmq_msg_close(&addr);
    zmq_msg_close(&ev);
    return rc;
}

static int
thread_start(worker *w, char *err, size_t errlen)
{
    engine_thread *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->ctx = w->ctx;
    snprintf(t->ep, sizeof t->ep, PIPE_EP_FMT, (void *)w);
    t->cfg = w->run_cfg;
    t->ready = zmq_socket(w->ctx, ZMQ_PAIR);
    w->pipe = zmq_socket(w->ctx, ZMQ_PAIR);
    if (!t->ready || !w->pipe || zmq_bind(t->ready, t->ep) ||
        zmq_connect(w->pipe, t->ep)) {
        snprintf(err, errlen, "engine pipe: %s", zmq_strerror(errno));
        free(t);
        return -1;
    }
    /* the thread owns t from here and frees it */
    if (pthread_create(&w->thread, NULL, engine_main, t)) {
        snprintf(err, errlen, "cannot start the engine thread");
        zmq_close(t->ready);
        free(t);
        return -1;
    }
    w->thread_on = true;
    pthread_detach(w->thread);
    return 0;
}

static void
queue_push(worker *w, uint64_t lease, uint64_t index)
{
    if (w->qlen == w->qcap) {
        size_t cap = w->qcap ? w->qcap * 2 : 256;
        pending *q = malloc(cap * sizeof *q);
        if (!q)
            return;     /* the lease expires and is redone */
        for (size_t i = 0; i < w->qlen; i++)
            q[i] = w->queue[(w->qhead + i) % w->qcap];
        free(w->queue);
        w->queue = q;
        w->qcap = cap;
        w->qhead = 0;
    }
    w->queue[(w->qhead + w->qlen) % w->qcap] = (pending){lease, index};
    w->qlen++;
}

static pending
queue_pop(worker *w)
{
    pending p = w->queue[w->qhead];
    w->qhead = (w->qhead + 1) % w->qcap;
    w->qlen--;
    return p;
}

static void
unacked_add(worker *w, const mg_msg *m)
{
    if (w->nunacked == w->cap_unacked) {
        size_t cap = w->cap_unacked ? w->cap_unacked * 2 : 64;
        mg_msg *u = realloc(w->unacked, cap * sizeof *u);
        if (!u)
            return;     /* not re-sent: its chunk is redone on expiry */
        w->unacked = u;
        w->cap_unacked = cap;
    }
    w->unacked[w->nunacked++] = *m;
}

static void
unacked_ack(worker *w, const mg_msg *ack)
{
    for (uint32_t k = 0; k < ack->nacks; k++)
        for (size_t i = 0; i < w->nunacked; i++)
            if (w->unacked[i].index == ack->acks[k]) {
                w->unacked[i] = w->unacked[--w->nunacked];
                break;
            }
}

static void
add_lease(mg_msg *j, uint64_t lease)
{
    for (uint32_t i = 0; i < j->nacks; i++)
        if (j->acks[i] == lease)
            return;
    if (j->nacks < MG_PROTO_MAX_ACKS)
        j->acks[j->nacks++] = lease;
}

/* Leases we still have work of: queued, running, or rows unacknowledged. */
static void
held_leases(const worker *w, mg_msg *j)
{
    for (size_t i = 0; i < w->qlen; i++)
        add_lease(j, w->queue[(w->qhead + i) % w->qcap].lease);
    if (w->busy)
        add_lease(j, w->busy_lease);
    for (size_t i = 0; i < w->nunacked; i++)
        add_lease(j, w->unacked[i].lease);
}

/* RUN: adopt the run config, check our fingerprint, JOIN. Returns 0,
 * MG_WORKER_REFUSED or -1. */
static int
on_run(worker *w, const mg_msg *m, char *err, size_t errlen)
{
    if (w->thread_on && (strcmp(w->run_json, m->run_json) ||
                         w->run_seed != m->global_seed)) {
        snprintf(err, errlen, "the coordinator now serves a different run; "
                 "restart this worker for it");
        return -1;
    }
    mg_config c = w->o->cfg;
    char why[400];
    if (mg_config_apply_run_json(&c, m->run_json, why, sizeof why)) {
        snprintf(err, errlen, "the run config from the coordinator is not "
                 "usable here: %s", why);
        return -1;
    }
    c.global_seed = m->global_seed;
    c.seed_set = true;
    c.start = (int64_t)m->start;
    c.count = (int64_t)m->count;
    mg_fingerprint fp;
    if (mg_fingerprint_compute(&c, &fp, why, sizeof why)) {
        snprintf(err, errlen, "fingerprint: %s", why);
        return -1;
    }
    mg_msg *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    mg_msg_init(j, MG_MSG_JOIN);
    j->fp = fp;
    held_leases(w, j);
    send_msg(w, j);
    free(j);
    if (mg_fingerprint_compare(&m->fp, &fp, why, sizeof why)) {
        /* the coordinator refuses us too; say it here, where the
         * operator of this machine looks */
        mg_dlog(WHO, "refused: fingerprint differs from the run's: %s", why);
        /* not returning yet: the JOIN must reach the coordinator (a
         * closing socket drops it) so both logs say the same; its
         * REFUSE ends us */
        return 0;
    }
    w->hb_ms = m->heartbeat_ms;
    if (!w->thread_on) {
        w->run_cfg = c;
        free(w->run_json);
        w->run_json = strdup(m->run_json);
        w->run_seed = m->global_seed;
        if (!w->run_json || thread_start(w, err, errlen))
            return -1;
    }
    w->working = true;
    w->ready_sent = false;
    w->backoff_ms = BACKOFF_MIN_MS;
    w->lost_since = 0;
    for (size_t i = 0; i < w->nunacked; i++)
        send_msg(w, &w->unacked[i]);
    if (!w->o->quiet)
        mg_dlog(WHO, "%s joined %s (seed %" PRId64 ", %" PRIu64 " samples%s)",
                w->o->identity, w->o->connect, m->global_seed, m->count,
                w->nunacked ? ", re-sending unacknowledged rows" : "");
    return 0;
}

/* One message from the coordinator. Returns -2 to continue, else the
 * worker's result. */
static int
on_message(worker *w, const uint8_t *buf, size_t len, char *err,
           size_t errlen)
{
    mg_msg m;
    char why[300];
    if (mg_msg_decode(&m, buf, len, why, sizeof why)) {
        mg_dlog(WHO, "dropped a malformed message: %s", why);
        return -2;
    }
    w->last_heard = mg_mono_ms();
    int rc = -2;
    switch (m.type) {
    case MG_MSG_RUN:
        rc = on_run(w, &m, err, errlen);
        if (rc == 0)
            rc = -2;
        break;
    case MG_MSG_REFUSE:
        mg_dlog(WHO, "refused by the coordinator: %s", m.reason);
        snprintf(err, errlen, "refused: %s", m.reason);
        rc = MG_WORKER_REFUSED;
        break;
    case MG_MSG_GRANT:
        for (uint32_t i = 0; i < m.n; i++)
            queue_push(w, m.lease, m.first + i);
        w->ready_sent = false;
        break;
    case MG_MSG_NOWORK:
        w->ready_sent = false;
        w->nowork_until = mg_mono_ms() + m.retry_ms;
        break;
    case MG_MSG_ACK:
        unacked_ack(w, &m);
        break;
    case MG_MSG_HEARTBEAT:
        break;
    case MG_MSG_SHUTDOWN:
        if (!w->o->quiet)
            mg_dlog(WHO, "%s: coordinator says %s; %" PRIu64 " rows made",
                    w->o->identity, m.reason, w->rows);
        rc = MG_WORKER_DONE;
        break;
    case MG_MSG_WHO:
        sock_close(w);
        sock_open(w);
        break;
    default:
        mg_dlog(WHO, "dropped %s: not a coordinator's message",
                mg_msg_name(m.type));
        break;
    }
    mg_msg_clear(&m);
    return rc;
}

static int
on_result(worker *w, const result *r, char *err, size_t errlen)
{
    w->busy = false;
    if (r->kind == 2) {
        snprintf(err, errlen, "engine: %s", r->err);
        return -1;
    }
    if (r->kind == 1) {
        snprintf(err, errlen, "sample %" PRIu64 ": %s", r->row.index, r->err);
        send_type(w, MG_MSG_BYE, err);
        return -1;
    }
    mg_msg m;
    mg_msg_from_row(&m, &r->row, w->busy_lease);
    unacked_add(w, &m);
    w->rows++;
    if (w->working)
        send_msg(w, &m);
    return -2;
}

static void
worker_free(worker *w, bool join_engine)
{
    if (w->pipe && join_engine && w->thread_on) {
        job j = {1, 0};
        zmq_send(w->pipe, &j, sizeof j, 0);
        /* wait for the thread to close its end: its last act */
        result r;
        int t = 30000;
        zmq_setsockopt(w->pipe, ZMQ_RCVTIMEO, &t, sizeof t);
        while (w->busy && zmq_recv(w->pipe, &r, sizeof r, 0) > 0)
            w->busy = false;
    }
    sock_close(w);
    if (w->pipe)
        zmq_close(w->pipe);
    free(w->queue);
    free(w->unacked);
    free(w->run_json);
    /* A busy engine thread still holds the context: leaving it is the
     * abandon path, and the process exits right after. */
    if (!w->busy)
        zmq_ctx_term(w->ctx);
}

int
mg_worker_run(const mg_worker_opts *o, char *err, size_t errlen)
{
    worker w;
    memset(&w, 0, sizeof w);
    w.o = o;
    w.hb_ms = 1000;
    w.backoff_ms = BACKOFF_MIN_MS;
    mg_curve_keys keys;
    if (o->curve_dir) {
        if (mg_curve_load_client(o->curve_dir, &keys, err, errlen))
            return -1;
        w.curve = &keys;
    }
    w.ctx = zmq_ctx_new();
    if (!w.ctx) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        return -1;
    }
    sock_open(&w);
    int rc = -2;
    bool leaving = false;
    int64_t leave_deadline = 0;
    while (rc == -2) {
        int stop = o->stop ? *o->stop : 0;
        if (stop >= 2) {
            rc = MG_WORKER_STOPPED;
            send_type(&w, MG_MSG_BYE, "stopped by a signal");
            break;
        }
        if (stop == 1 && !leaving) {
            leaving = true;
            leave_deadline = mg_mono_ms() + 5000;
        }
        if (leaving && !w.busy &&
            (w.nunacked == 0 || mg_mono_ms() > leave_deadline)) {
            rc = MG_WORKER_STOPPED;
            send_type(&w, MG_MSG_BYE, "stopped by a signal");
            break;
        }
        /* hand the engine its next sample */
        if (w.thread_on && !w.busy && !leaving && w.qlen) {
            pending p = queue_pop(&w);
            job j = {0, p.index};
            w.busy_lease = p.lease;
            w.busy = zmq_send(w.pipe, &j, sizeof j, 0) == sizeof j;
        }
        int64_t now = mg_mono_ms();
        /* ask for more while the engine still has work in hand */
        if (w.working && !w.ready_sent && !leaving && w.qlen < 2 &&
            now >= w.nowork_until) {
            mg_msg m;
            mg_msg_init(&m, MG_MSG_READY);
            m.capacity = 1;
            send_msg(&w, &m);
            w.ready_sent = true;
        }
        zmq_pollitem_t items[3];
        int n = 0;
        if (w.sock)
            items[n++] = (zmq_pollitem_t){w.sock, 0, ZMQ_POLLIN, 0};
        if (w.pipe)
            items[n++] = (zmq_pollitem_t){w.pipe, 0, ZMQ_POLLIN, 0};
        if (w.mon)
            items[n++] = (zmq_pollitem_t){w.mon, 0, ZMQ_POLLIN, 0};
        long wait = w.hb_ms / 2;
        if (n == 0)
            usleep((useconds_t)wait * 1000);
        else if (zmq_poll(items, n, wait) < 0 && errno != EINTR) {
            snprintf(err, errlen, "zmq_poll: %s", zmq_strerror(errno));
            rc = -1;
            break;
        }
        for (int i = 0; i < n && rc == -2; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (items[i].socket == w.mon) {
                rc = on_monitor(&w, err, errlen);
            } else if (items[i].socket == w.pipe) {
                result r;
                if (zmq_recv(w.pipe, &r, sizeof r, 0) == sizeof r)
                    rc = on_result(&w, &r, err, errlen);
            } else {
                zmq_msg_t msg;
                zmq_msg_init(&msg);
                while (rc == -2 && w.sock &&
                       zmq_msg_recv(&msg, w.sock, ZMQ_DONTWAIT) >= 0)
                    rc = on_message(&w, zmq_msg_data(&msg),
                                    zmq_msg_size(&msg), err, errlen);
                zmq_msg_close(&msg);
            }
        }
        if (rc != -2)
            break;
        now = mg_mono_ms();
        if (w.sock && now - w.last_sent >= (int64_t)w.hb_ms)
            send_type(&w, MG_MSG_HEARTBEAT, NULL);
        /* Paranoid Pirate: a silent coordinator means a new socket */
        if (w.sock && now - w.last_heard > (int64_t)w.hb_ms * LIVENESS) {
            if (!w.lost_since)
                w.lost_since = now;
            if (!o->quiet)
                mg_dlog(WHO, "%s: coordinator silent; reconnecting in %d ms",
                        o->identity, w.backoff_ms);
            sock_close(&w);
            w.working = false;
            w.last_heard = now;
        }
        if (!w.sock && now - w.last_heard >= w.backoff_ms) {
            if (o->idle_timeout_ms > 0 && w.lost_since &&
                now - w.lost_since > o->idle_timeout_ms) {
                snprintf(err, errlen, "no coordinator at %s for %d s; giving "
                         "up%s", o->connect, o->idle_timeout_ms / 1000,
                         o->curve_dir ? " (with CURVE: is the coordinator."
                         "cert in the key directory this coordinator's?)"
                         : "");
                rc = MG_WORKER_GAVE_UP;
                break;
            }
            sock_open(&w);
            w.backoff_ms = w.backoff_ms * 2 > BACKOFF_MAX_MS
                               ? BACKOFF_MAX_MS : w.backoff_ms * 2;
        }
    }
    worker_free(&w, rc != MG_WORKER_STOPPED || !w.busy);
    memset(&keys, 0, sizeof keys);
    return rc;
}

/* ---- static mode ---- */

int
mg_worker_static(const mg_config *cfg, int array_index, int array_size,
                 const volatile sig_atomic_t *stop, char *err,
                 size_t errlen)
{
    if (array_size < 1 || array_index < 0 || array_index >= array_size) {
        snprintf(err, errlen, "--array-index must be in [0, --array-size)");
        return -1;
    }
    uint64_t count = (uint64_t)cfg->count, start = (uint64_t)cfg->start;
    uint64_t lo = start + count * (uint64_t)array_index / (uint64_t)array_size;
    uint64_t hi = start + count * (uint64_t)(array_index + 1) /
                              (uint64_t)array_size;
    char dir[1200], path[1300], tmp[1400];
    snprintf(dir, sizeof dir, "%s/.musicgen", cfg->out_dir);
    mkdir(cfg->out_dir, 0755);
    mkdir(dir, 0755);
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", cfg->out_dir);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/slice-%d-of-%d.jsonl", dir, array_index,
             array_size);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    mg_engine *e = mg_engine_new(cfg, err, errlen);
    if (!e)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        mg_engine_destroy(&e);
        return -1;
    }
    int rc = 0;
    for (uint64_t i = lo; i < hi; i++) {
        if (stop && *stop) {
            snprintf(err, errlen, "stopped at sample %" PRIu64 "; run the "
                     "same command again to finish the slice", i);
            rc = -1;
            break;
        }
        mg_row row;
        char line[2048], ts[40];
        if (mg_engine_run(e, i, &row, err, errlen)) {
            rc = -1;
            break;
        }
        mg_rfc3339(ts, sizeof ts, mg_wall_ms());
        if (mg_row_jsonl(&row, ts, line, sizeof line) < 0 ||
            fprintf(f, "%s\n", line) < 0) {
            snprintf(err, errlen, "%s: write failed", tmp);
            rc = -1;
            break;
        }
    }
    mg_engine_destroy(&e);
    if (fflush(f) || fsync(fileno(f)))
        rc = -1;
    if (fclose(f))
        rc = -1;
    if (rc == 0 && rename(tmp, path)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    if (rc)
        unlink(tmp);
    return rc;
}
