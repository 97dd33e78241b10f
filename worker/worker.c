/*
 * worker — one connection to the coordinator and one engine thread.
 *
 * The network loop (this thread) owns the DEALER socket; the engine runs
 * in a second thread, so heartbeats keep flowing while a long sample
 * renders and the coordinator never mistakes a busy worker for a dead one.
 * The two share a queue of leased indices and a list of results under one
 * mutex (worker_engine.c: the engine thread and that queue); SIGTERM
 * empties the queue, which is what lets the engine finish exactly the
 * current sample. Static mode (no coordinator) is worker_static.c,
 * durable mode's fsyncs worker_sync.c.
 *
 * State machine (proto/PROTOCOL.md): connecting (HELLO sent) --RUN-->
 * working (JOIN, re-send unacknowledged rows, READY) --SHUTDOWN--> done.
 * REFUSE ends the worker; WHO sends HELLO again; a coordinator silent for
 * heartbeat * liveness means a new socket after a backoff that doubles
 * from 500 ms to 30 s (Paranoid Pirate).
 */
#include "worker.h"
#include "worker_priv.h"

#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "dlog.h"
#include "engine.h"
#include "musicgen.h"
#include "musicgen_internal.h"
#include "proto.h"
#include "runlock.h"
#include "runmark.h"
#include "sampledir.h"

#define WHO "worker"
#define LIVENESS 5
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS MG_PROTO_BACKOFF_MAX_MS

/* ---- the network side ---- */

typedef struct {
    const mg_worker_opts *o;
    void *ctx, *sock;
    engine_shared *eng;          /* shared with the engine thread */
    void *mon;                   /* handshake events of sock */
    unsigned nsock;              /* sockets opened: unique monitor names */
    mg_curve_keys *curve;        /* NULL: plain */
    pthread_t thread;
    bool thread_on, working, ready_sent;
    mg_config run_cfg;
    char *run_json;
    int64_t run_seed;
    uint32_t hb_ms;
    int64_t last_heard, last_sent, nowork_until, lost_since;
    int backoff_ms;
    mg_msg *unacked;             /* ROW messages not yet acknowledged */
    size_t nunacked, cap_unacked;
    uint64_t rows;
    int writer_fd;               /* our share of the root's writers lock
                                    (runlock.h: clean keeps our .tmp-*) */
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
    if (w->o->reconnect_ivl_ms > 0) {
        int ivl = w->o->reconnect_ivl_ms, max = 100;
        zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
        if (max > ivl)
            zmq_setsockopt(w->sock, ZMQ_RECONNECT_IVL_MAX, &max, sizeof max);
    }
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
    uint16_t event;
    uint32_t value;
    if (mg_monitor_event(w->mon, &event, &value))
        return -2;
    const char *dir = w->o->curve_dir;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(err, errlen, "the coordinator at %s rejected this worker's "
                 "CURVE key (ZAP status %u): copy %s/%s into the "
                 "coordinator's %s/ directory", w->o->connect, value,
                 dir ? dir : "DIR", MG_CURVE_WORKER_CERT, MG_CURVE_AUTH_DIR);
    } else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        snprintf(err, errlen, dir ? "the coordinator at %s does not use "
                 "CURVE; drop --curve-dir or start it with --curve-dir" :
                 "the coordinator at %s requires CURVE: start this worker "
                 "with --curve-dir DIR (see `musicgen keygen`)",
                 w->o->connect);
    } else {
        /* e.g. another coordinator's public key: libzmq retries, and we
         * give up after --idle-timeout */
        if (!w->o->quiet)
            mg_dlog(WHO, "handshake with %s failed (protocol error %#x)%s",
                    w->o->connect, value, dir ? "; is the coordinator.cert "
                    "in the key directory this coordinator's?" : "");
        return -2;
    }
    /* err is the caller's one line (musicgen worker / generate) */
    return MG_WORKER_REFUSED;
}

static int
thread_start(worker *w, char *err, size_t errlen)
{
    w->eng->cfg = w->run_cfg;
    if (pthread_create(&w->thread, NULL, worker_engine_main, w->eng)) {
        snprintf(err, errlen, "cannot start the engine thread");
        return -1;
    }
    w->thread_on = true;
    return 0;
}

static size_t
queue_len(worker *w)
{
    pthread_mutex_lock(&w->eng->mu);
    size_t n = w->eng->qlen;
    pthread_mutex_unlock(&w->eng->mu);
    return n;
}

/* The engine is done with everything handed to it and every result has
 * been taken. */
static bool
engine_idle(worker *w)
{
    pthread_mutex_lock(&w->eng->mu);
    bool idle = !w->eng->busy && w->eng->nres == 0;
    pthread_mutex_unlock(&w->eng->mu);
    return idle;
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

/* The JOIN lease list as (id, lo, hi) while it is being built: lo..hi
 * spans every index of the lease we still have work of. */
typedef struct {
    uint64_t id, lo, hi;
} held;

static void
add_lease(held *h, size_t *n, uint64_t lease, uint64_t index)
{
    for (size_t i = 0; i < *n; i++)
        if (h[i].id == lease) {
            if (index < h[i].lo)
                h[i].lo = index;
            if (index > h[i].hi)
                h[i].hi = index;
            return;
        }
    if (*n < MG_PROTO_MAX_ACKS / 3)
        h[(*n)++] = (held){lease, index, index};
}

/* Leases we still have work of - queued, running, or rows unacknowledged
 * - each with the span of indices we will still report on it, so that a
 * restarted coordinator can adopt exactly that work. */
static void
held_leases(worker *w, mg_msg *j)
{
    engine_shared *e = w->eng;
    held h[MG_PROTO_MAX_ACKS / 3];
    size_t n = 0;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->qlen; i++) {
        const pending *p = &e->queue[(e->qhead + i) % e->qcap];
        add_lease(h, &n, p->lease, p->index);
    }
    if (e->busy)
        add_lease(h, &n, e->busy_lease, e->busy_index);
    for (size_t i = 0; i < e->nres; i++)
        add_lease(h, &n, e->res[i].lease, e->res[i].row.index);
    pthread_mutex_unlock(&e->mu);
    for (size_t i = 0; i < w->nunacked; i++)
        add_lease(h, &n, w->unacked[i].lease, w->unacked[i].index);
    j->nacks = 0;
    for (size_t i = 0; i < n; i++) {
        j->acks[j->nacks++] = h[i].id;
        j->acks[j->nacks++] = h[i].lo;
        j->acks[j->nacks++] = h[i].hi - h[i].lo + 1;
    }
}

/* The run config of RUN message m on this machine: base's local paths
 * with the run's options. 0, or -1 with err. */
static int
run_config(const mg_config *base, const mg_msg *m, mg_config *c, char *err,
           size_t errlen)
{
    char why[400];
    *c = *base;
    if (mg_config_apply_run_json(c, m->run_json, why, sizeof why)) {
        snprintf(err, errlen, "the run config from the coordinator is not "
                 "usable here: %s", why);
        return -1;
    }
    c->global_seed = m->global_seed;
    c->seed_set = true;
    c->start = (int64_t)m->start;
    c->count = (int64_t)m->count;
    return 0;
}

/* Is our --out (run->out_dir) the root the coordinator serves run m
 * from (its mark there, runmark.h)? 0; else BYE, saying why, and
 * MG_WORKER_REFUSED with err: samples made elsewhere would be in no
 * manifest, and the coordinator's manifest would list samples its root
 * does not hold. */
static int
check_root(worker *w, const mg_config *run, const mg_msg *m, char *err,
           size_t errlen)
{
    if (mg_runmark_serves(run->out_dir, m->global_seed, m->start))
        return 0;
    snprintf(err, errlen, "--out %s is not the output root of the run at %s "
             "(seed %" PRId64 ": %s/.musicgen/serving, which its coordinator "
             "writes, does not name it); give --out the directory where this "
             "machine sees the coordinator's --out", run->out_dir,
             w->o->connect, m->global_seed, run->out_dir);
    send_type(w, MG_MSG_BYE, "its --out is not the run's output root");
    /* the BYE goes out before the socket is closed */
    int linger = 1000;
    zmq_setsockopt(w->sock, ZMQ_LINGER, &linger, sizeof linger);
    return MG_WORKER_REFUSED;
}

/* Our fingerprint for run: 0, or -1 with err. */
static int
run_fingerprint(const mg_config *run, mg_fingerprint *fp, char *err,
                size_t errlen)
{
    char why[400];
    if (mg_fingerprint_compute(run, fp, why, sizeof why)) {
        snprintf(err, errlen, "fingerprint: %s", why);
        return -1;
    }
    return 0;
}

/* JOIN with fingerprint fp, listing the leases we hold work of (none
 * before the engine thread exists). 0, or -1 with err. */
static int
send_join(worker *w, const mg_fingerprint *fp, char *err, size_t errlen)
{
    mg_msg *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    mg_msg_init(j, MG_MSG_JOIN);
    j->fp = *fp;
    if (w->eng)
        held_leases(w, j);
    send_msg(w, j);
    free(j);
    return 0;
}

/* Is the engine made before the fork (for the run our parent asked the
 * coordinator for) one for run m? The same run config, but for the
 * count: a coordinator restarted with a larger --count between the
 * parent's question and our HELLO serves the same run grown at its end,
 * and the count decides no byte of a sample (the engine never reads it;
 * a running job works on into the grown run with its engine). Compared
 * whole, such a job gave up the shared engine and made its own: its
 * fonts loaded again, its memory private. */
static bool
pre_serves(const worker *w, const mg_msg *m)
{
    static const char *const count[] = {"count", NULL};
    char d[64];
    if (!w->eng->pre)
        return false;
    char *mine = mg_config_run_json(&w->o->cfg);
    bool same = mine && mg_config_json_diff(mine, m->run_json, "%s", count,
                                            d, sizeof d) == 0;
    free(mine);
    return same;
}

/* RUN: adopt the run config, check our fingerprint, JOIN. Returns 0,
 * MG_WORKER_REFUSED or -1. */
static int
on_run(worker *w, const mg_msg *m, char *err, size_t errlen)
{
    if (w->thread_on && (strcmp(w->run_json, m->run_json) ||
                         w->run_seed != m->global_seed)) {
        /* restarted with a larger --count, it grew the run at its end:
         * the same samples, more of them - work on (before, every
         * worker that stayed up exited 1 here) */
        static const char *const count[] = {"count", NULL};
        char d[64];
        char *grown = NULL;
        if (w->run_seed == m->global_seed &&
            (uint64_t)w->run_cfg.start == m->start &&
            (uint64_t)w->run_cfg.count < m->count &&
            mg_config_json_diff(w->run_json, m->run_json, "%s", count, d,
                                sizeof d) == 0)
            grown = strdup(m->run_json);
        if (!grown) {
            /* named (a worker that outlived its coordinator's restart
             * with other options was told neither which nor how) */
            char diff[600];
            mg_config_json_diff(w->run_json, m->run_json, "%s was %s, now %s",
                                NULL, diff, sizeof diff);
            snprintf(err, errlen, "the coordinator now serves a different "
                     "run (%s); restart this worker for it",
                     diff[0] ? diff : "its parameters differ");
            return -1;
        }
        free(w->run_json);
        w->run_json = grown;
        w->run_cfg.count = (int64_t)m->count;
        if (!w->o->quiet)
            mg_dlog(WHO, "%s: the run grew to %" PRIu64 " samples",
                    w->o->identity, m->count);
    }
    mg_config c;
    char why[400];
    if (run_config(&w->o->cfg, m, &c, err, errlen))
        return -1;
    int rr = check_root(w, &c, m, err, errlen);
    if (rr)
        return rr;
    mg_fingerprint fp;
    /* the engine made before the fork for this very run has it already
     * (of the data it loaded): no second pass over the genre files at
     * every job's start */
    bool pre = !w->thread_on && pre_serves(w, m);
    if (pre)
        fp = *mg_engine_fingerprint(w->eng->pre);
    else if (run_fingerprint(&c, &fp, err, errlen))
        return -1;
    if (send_join(w, &fp, err, errlen))
        return -1;
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
    pthread_mutex_lock(&w->eng->mu);
    w->eng->durable = m->durable != 0;
    pthread_mutex_unlock(&w->eng->mu);
    if (!w->thread_on) {
        /* the engine made before the fork serves only the run it was
         * made for (grown or not); a job that makes its own pays its
         * start and its memory again: said */
        if (w->eng->pre && !pre && !w->o->quiet)
            mg_dlog(WHO, "%s: the run is not the one the engine made "
                    "before the fork was made for: this job makes its own",
                    w->o->identity);
        else if (pre && w->o->cfg.verbose > 0)
            mg_dlog(WHO, "%s: works with the engine made before the fork",
                    w->o->identity);
        if (!pre)
            w->eng->pre = NULL;  /* borrowed: the caller's to free */
        w->run_cfg = c;
        if (w->writer_fd < 0)
            w->writer_fd = mg_runlock_writer(c.out_dir);
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
        /* leaving (a signal): a grant asked for before it is not queued,
         * as the queue was emptied (BYE returns the lease); taken, its
         * samples were made after the Ctrl-C */
        if (w->o->stop && *w->o->stop) {
            w->ready_sent = false;
            break;
        }
        pthread_mutex_lock(&w->eng->mu);
        for (uint32_t i = 0; i < m.n; i++)
            worker_engine_push(w->eng, m.lease, m.first + i);
        pthread_cond_signal(&w->eng->cv);
        pthread_mutex_unlock(&w->eng->mu);
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
    mg_msg_from_row(&m, &r->row, r->lease);
    unacked_add(w, &m);
    w->rows++;
    if (w->working)
        send_msg(w, &m);
    return -2;
}

/* Take every finished result and report it. -2 to go on, else the
 * worker's result. */
static int
on_results(worker *w, char *err, size_t errlen)
{
    uint64_t v;
    ssize_t n = read(w->eng->efd, &v, sizeof v);
    (void)n;     /* EAGAIN: a wake-up already consumed; look anyway */
    pthread_mutex_lock(&w->eng->mu);
    result *res = w->eng->res;
    size_t nres = w->eng->nres;
    w->eng->res = NULL;
    w->eng->nres = w->eng->cap_res = 0;
    pthread_mutex_unlock(&w->eng->mu);
    int rc = -2;
    for (size_t i = 0; i < nres && rc == -2; i++)
        rc = on_result(w, &res[i], err, errlen);
    free(res);
    return rc;
}

/* The run ended while we were away (SHUTDOWN missed: the coordinator's
 * mark says so)? MG_WORKER_DONE, said, else -2. */
static int
run_ended(worker *w)
{
    if (!w->run_json ||
        !mg_runmark_complete(w->run_cfg.out_dir, w->run_seed,
                             (uint64_t)w->run_cfg.start,
                             (uint64_t)w->run_cfg.count))
        return -2;
    if (!w->o->quiet)
        mg_dlog(WHO, "%s: run complete (%s/.musicgen/complete, left by the "
                "coordinator); %" PRIu64 " rows made", w->o->identity,
                w->run_cfg.out_dir, w->rows);
    return MG_WORKER_DONE;
}

static void
worker_free(worker *w, bool join_engine)
{
    if (w->thread_on) {
        pthread_mutex_lock(&w->eng->mu);
        w->eng->quit = true;
        pthread_cond_signal(&w->eng->cv);
        pthread_mutex_unlock(&w->eng->mu);
        /* the engine leaves after the sample in hand, if any */
        if (join_engine)
            pthread_join(w->thread, NULL);
        else
            pthread_detach(w->thread);
    }
    sock_close(w);
    /* abandoned, the engine thread may be writing a sample still: the
     * share goes with the process, as it exits right after */
    if (w->writer_fd >= 0 && (join_engine || !w->thread_on))
        close(w->writer_fd);
    free(w->unacked);
    free(w->run_json);
    /* Abandoned, the engine thread still uses the shared block: the
     * process exits right after, so it is left to the kernel. */
    if (join_engine || !w->thread_on)
        worker_engine_free(w->eng);
    zmq_ctx_term(w->ctx);
}

/* The start shared by mg_worker_run and mg_worker_fetch_run: options and
 * the CURVE keys (into *keys, which must outlive w). 0, or -1 with err. */
static int
worker_init(worker *w, const mg_worker_opts *o, mg_curve_keys *keys,
            char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->o = o;
    w->writer_fd = -1;
    w->hb_ms = 1000;
    w->backoff_ms = BACKOFF_MIN_MS;
    if (o->curve_dir) {
        if (mg_curve_load_client(o->curve_dir, keys, err, errlen))
            return -1;
        w->curve = keys;
    }
    return 0;
}

int
mg_worker_run(const mg_worker_opts *o, char *err, size_t errlen)
{
    worker w;
    mg_curve_keys keys;
    memset(&keys, 0, sizeof keys);
    if (worker_init(&w, o, &keys, err, errlen))
        return -1;
    w.eng = worker_engine_new();
    if (!w.eng) {
        snprintf(err, errlen, "engine queue: %s", strerror(errno));
        return -1;
    }
    w.eng->pre = o->engine;
    w.eng->stop = o->stop;
    w.ctx = zmq_ctx_new();
    if (!w.ctx) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        worker_engine_free(w.eng);
        return -1;
    }
    sock_open(&w);
    int rc = -2;
    bool leaving = false;
    int64_t leave_deadline = 0;
    w.lost_since = mg_mono_ms();    /* no coordinator yet: RUN clears it */
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
            /* what is not started stays undone: BYE returns its lease */
            pthread_mutex_lock(&w.eng->mu);
            w.eng->qlen = 0;
            pthread_mutex_unlock(&w.eng->mu);
        }
        if (leaving && engine_idle(&w) &&
            (w.nunacked == 0 || mg_mono_ms() > leave_deadline)) {
            rc = MG_WORKER_STOPPED;
            send_type(&w, MG_MSG_BYE, "stopped by a signal");
            break;
        }
        int64_t now = mg_mono_ms();
        /* Ask for more once nothing waits in the queue (the sample in
         * hand still runs: the lease arrives before it ends). Asking
         * earlier let a job hoard queued samples near the end of a run
         * while another job, asking, found nothing left: the run's tail
         * was up to two samples of one job alone. */
        if (w.working && !w.ready_sent && !leaving && now >= w.nowork_until &&
            queue_len(&w) == 0) {
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
        if (w.thread_on)
            items[n++] = (zmq_pollitem_t){NULL, w.eng->efd, ZMQ_POLLIN, 0};
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
            if (w.mon && items[i].socket == w.mon) {
                rc = on_monitor(&w, err, errlen);
            } else if (!items[i].socket) {
                rc = on_results(&w, err, errlen);
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
            /* without a coordinator since it was last heard */
            if (!w.lost_since)
                w.lost_since = w.last_heard;
            if (!o->quiet)
                mg_dlog(WHO, "%s: coordinator silent; reconnecting in %d ms",
                        o->identity, w.backoff_ms);
            sock_close(&w);
            w.working = false;
            w.last_heard = now;
        }
        if (!w.sock && now - w.last_heard >= w.backoff_ms) {
            if ((rc = run_ended(&w)) != -2)
                break;
            sock_open(&w);
            w.backoff_ms = w.backoff_ms * 2 > BACKOFF_MAX_MS
                               ? BACKOFF_MAX_MS : w.backoff_ms * 2;
        }
        /* checked at every turn: checked at reconnections only, it gave
         * up up to 35 s late (LIVENESS beats, then the backoff) */
        if (o->idle_timeout_ms > 0 && w.lost_since &&
            now - w.lost_since > o->idle_timeout_ms) {
            if ((rc = run_ended(&w)) != -2)
                break;
            snprintf(err, errlen, "no coordinator at %s for %lld s; giving "
                     "up%s", o->connect,
                     (long long)(now - w.lost_since) / 1000,
                     o->curve_dir ? " (with CURVE: is the coordinator."
                     "cert in the key directory this coordinator's?)"
                     : "");
            rc = MG_WORKER_GAVE_UP;
            break;
        }
    }
    pthread_mutex_lock(&w.eng->mu);
    bool busy = w.eng->busy;
    pthread_mutex_unlock(&w.eng->mu);
    worker_free(&w, rc != MG_WORKER_STOPPED || !busy);
    memset(&keys, 0, sizeof keys);
    return rc;
}

/* ---- asking for the run without joining ---- */

/* Our fingerprint for the run of RUN m: equal, 0; different, JOIN with
 * it, as a joining worker would, so that the coordinator logs the
 * refusal too, and -2: its REFUSE ends the wait, and its reason (naming
 * the fields) is what the caller prints; -1 on a fault. */
static int
fetch_check_fp(worker *w, const mg_msg *m, const mg_config *run,
               bool *joined, char *err, size_t errlen)
{
    mg_fingerprint fp;
    char why[400];

    if (run_fingerprint(run, &fp, err, errlen))
        return -1;
    if (!mg_fingerprint_compare(&m->fp, &fp, why, sizeof why))
        return 0;
    if (send_join(w, &fp, err, errlen))
        return -1;
    *joined = true;
    return -2;
}

int
mg_worker_fetch_run(const mg_worker_opts *o, mg_config *run, char *err,
                    size_t errlen)
{
    worker w;
    mg_curve_keys keys;
    memset(&keys, 0, sizeof keys);
    if (worker_init(&w, o, &keys, err, errlen))
        return -1;
    w.ctx = zmq_ctx_new();
    if (!w.ctx) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        return -1;
    }
    sock_open(&w);              /* says HELLO */
    int64_t start = mg_mono_ms(), hello = start;
    int rc = -2;
    bool joined = false;        /* JOINed to be refused: await REFUSE */
    while (rc == -2) {
        if (o->stop && *o->stop) {
            snprintf(err, errlen, "stopped by a signal");
            rc = MG_WORKER_STOPPED;
            break;
        }
        int64_t now = mg_mono_ms();
        if (o->idle_timeout_ms > 0 && now - start > o->idle_timeout_ms) {
            snprintf(err, errlen, "no coordinator at %s for %d s",
                     o->connect, o->idle_timeout_ms / 1000);
            rc = MG_WORKER_GAVE_UP;
            break;
        }
        /* a coordinator started (or restarted) after our HELLO: again */
        if (!joined && now - hello > 2000) {
            sock_close(&w);
            sock_open(&w);
            hello = now;
        }
        zmq_pollitem_t items[2] = {{w.sock, 0, ZMQ_POLLIN, 0}};
        int n = 1;
        if (w.mon)
            items[n++] = (zmq_pollitem_t){w.mon, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, 250) < 0 && errno != EINTR) {
            snprintf(err, errlen, "zmq_poll: %s", zmq_strerror(errno));
            rc = -1;
            break;
        }
        if (n > 1 && (items[1].revents & ZMQ_POLLIN))
            rc = on_monitor(&w, err, errlen);
        if (rc != -2 || !(items[0].revents & ZMQ_POLLIN))
            continue;
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        while (rc == -2 && zmq_msg_recv(&msg, w.sock, ZMQ_DONTWAIT) >= 0) {
            mg_msg m;
            char why[300];
            if (mg_msg_decode(&m, zmq_msg_data(&msg), zmq_msg_size(&msg),
                              why, sizeof why))
                continue;
            if (m.type == MG_MSG_RUN && !joined) {
                rc = run_config(&o->cfg, &m, run, err, errlen) ? -1 : 0;
                if (rc == 0)
                    rc = check_root(&w, run, &m, err, errlen);
                if (rc == 0)
                    rc = fetch_check_fp(&w, &m, run, &joined, err, errlen);
            } else if (m.type == MG_MSG_REFUSE) {
                snprintf(err, errlen, "refused: %s", m.reason);
                rc = MG_WORKER_REFUSED;
            } else if (m.type == MG_MSG_SHUTDOWN) {
                snprintf(err, errlen, "coordinator says %s", m.reason);
                rc = MG_WORKER_COMPLETE;
            }
            mg_msg_clear(&m);
        }
        zmq_msg_close(&msg);
    }
    /* greeted but never joined: say goodbye so that the coordinator does
     * not wait for this connection's heartbeats */
    if (rc == 0)
        send_type(&w, MG_MSG_BYE, "asked for the run only");
    sock_close(&w);
    zmq_ctx_term(w.ctx);
    memset(&keys, 0, sizeof keys);
    return rc;
}
