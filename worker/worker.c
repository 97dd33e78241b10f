/*
 * worker — one connection to the coordinator and one engine thread.
 *
 * The network loop (this thread) owns the DEALER socket; the engine runs
 * in a second thread, so heartbeats keep flowing while a long sample
 * renders and the coordinator never mistakes a busy worker for a dead one.
 * The two share a queue of leased indices and a list of results under one
 * mutex; the engine takes the next index itself (no round trip between
 * samples) and wakes the network loop through an eventfd only when the
 * result list goes from empty to non-empty, so a burst of cheap samples
 * costs one wake-up, not one per sample. The engine thread runs at most
 * one sample at a time; SIGTERM empties the queue, which is what lets it
 * finish exactly the current sample.
 *
 * State machine (proto/PROTOCOL.md): connecting (HELLO sent) --RUN-->
 * working (JOIN, re-send unacknowledged rows, READY) --SHUTDOWN--> done.
 * REFUSE ends the worker; WHO sends HELLO again; a coordinator silent for
 * heartbeat * liveness means a new socket after a backoff that doubles
 * from 500 ms to 30 s (Paranoid Pirate).
 */
#include "worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "dlog.h"
#include "engine.h"
#include "musicgen.h"
#include "musicgen_internal.h"
#include "proto.h"
#include "sampledir.h"

#define WHO "worker"
#define LIVENESS 5
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
/* Results of fast samples wake the network loop at most this often (the
 * rest ride along), unless the engine is about to run dry. */
#define WAKE_MIN_MS 5

/* ---- the engine thread ---- */

typedef struct {
    uint64_t lease, index;
} pending;

typedef struct {
    int kind;            /* 0 row, 1 fault (err), 2 engine could not start */
    uint64_t lease;
    mg_row row;
    char err[512];
} result;

/* What the two threads share. Everything after mu is guarded by it. On
 * the abandon path (a second SIGTERM mid-sample) the engine thread is
 * left running and the process exits under it, so this lives on the heap
 * and is freed only after a join. */
typedef struct {
    mg_config cfg;
    mg_engine *pre;              /* made before the fork (borrowed), or NULL */
    int efd;                     /* eventfd: "results are waiting" */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pending *queue;              /* leased indices not yet started */
    size_t qhead, qlen, qcap;
    bool busy, quit;
    uint64_t busy_lease, busy_index;
    bool durable;                /* fsync each sample before its ROW */
    result *res;                 /* finished, not yet taken */
    size_t nres, cap_res;
    int64_t last_wake;           /* when the eventfd was last written */
    bool deferred;               /* results wait without a wake-up */
} engine_shared;

/* Under mu. A result that cannot be stored is lost: its lease expires
 * and the sample is made again. */
static bool
push_result(engine_shared *s, const result *r)
{
    if (s->nres == s->cap_res) {
        size_t cap = s->cap_res ? s->cap_res * 2 : 16;
        result *n = realloc(s->res, cap * sizeof *n);
        if (!n)
            return false;
        s->res = n;
        s->cap_res = cap;
    }
    s->res[s->nres++] = *r;
    return s->nres == 1;
}

static void
post_result(engine_shared *s, const result *r)
{
    pthread_mutex_lock(&s->mu);
    bool wake = push_result(s, r) || s->deferred;
    s->busy = false;
    if (wake) {
        /* A wake-up per sample costs more than a midi-only sample on a
         * virtual machine: coalesce, but never hold a result while the
         * engine waits for work (or leaves) */
        int64_t now = mg_mono_ms();
        if (s->qlen == 0 || s->quit || now - s->last_wake >= WAKE_MIN_MS) {
            s->last_wake = now;
            s->deferred = false;
        } else {
            s->deferred = true;
            wake = false;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (wake) {
        uint64_t one = 1;
        ssize_t n = write(s->efd, &one, sizeof one);
        (void)n;     /* the counter cannot overflow at one per batch */
    }
}


/* fsync every file and directory under dir, then dir itself. 0 or -1
 * (errno set). */
static int
sync_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[2400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &st)) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = sync_tree(p);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fsync(fd))
                rc = -1;
            if (fd >= 0)
                close(fd);
        }
    }
    int dfd = dirfd(d);
    if (rc == 0 && fsync(dfd))
        rc = -1;
    closedir(d);
    return rc;
}

static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Durable mode: the sample's files, its directory, and the directories
 * above it up to the run root reach the disk before the ROW is sent, so
 * an acknowledged row survives a power cut (its rename included). A
 * failure is a fault of the output: the worker stops, as on disk full. */
static int
sync_sample(const char *root, const char *rel, char *err, size_t errlen)
{
    char p[2200];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    if (sync_tree(p))
        goto fail;
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash || (size_t)(slash - p) < strlen(root))
            break;
        *slash = '\0';
        if (sync_dir(p))
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "durable mode: cannot sync %.400s: %s", p,
             strerror(errno));
    return -1;
}

static void *
engine_main(void *arg)
{
    engine_shared *s = arg;
    result *r = calloc(1, sizeof *r);
    char err[512];
    /* An engine made before the fork is borrowed: never freed here (see
     * mg_worker_opts.engine); one made here is ours. */
    mg_engine *eng = s->pre;
    bool own = !eng;
    musicgen_engine *e = NULL;
    s->pre = NULL;
    if (!eng && r)
        eng = mg_engine_new(&s->cfg, err, sizeof err);
    /* samples are made through the public API (lib/musicgen.h), as any
     * client of libmusicgen makes them */
    if (eng && !(e = mgapi_engine_wrap(eng, &s->cfg))) {
        snprintf(err, sizeof err, "out of memory");
        if (own)
            mg_engine_destroy(&eng);
    }
    /* Fault-injection hook for the test suite: a slower engine makes
     * "kill it mid-run" a window wide enough to hit. Never set in use. */
    const char *d = getenv("MUSICGEN_FAULT_SAMPLE_DELAY_MS");
    long delay_ms = d ? atol(d) : 0;
    if (!e) {
        result fail;
        memset(&fail, 0, sizeof fail);
        fail.kind = 2;
        snprintf(fail.err, sizeof fail.err, "%s", r ? err : "out of memory");
        post_result(s, &fail);
        free(r);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->quit && s->qlen == 0)
            pthread_cond_wait(&s->cv, &s->mu);
        if (s->quit) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        pending p = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % s->qcap;
        s->qlen--;
        s->busy = true;
        s->busy_lease = p.lease;
        s->busy_index = p.index;
        bool durable = s->durable;
        pthread_mutex_unlock(&s->mu);
        memset(r, 0, sizeof *r);
        r->lease = p.lease;
        if (delay_ms > 0 && delay_ms < 60000)
            usleep((useconds_t)delay_ms * 1000);
        musicgen_sample *smp = NULL;
        if (musicgen_generate_to_dir(e, s->cfg.global_seed, p.index,
                                     s->cfg.out_dir, &smp)) {
            r->kind = 1;
            r->row.index = p.index;
            snprintf(r->err, sizeof r->err, "%s", musicgen_engine_error(e));
        } else {
            r->row = *mgapi_sample_row(smp);
            if (durable && r->row.status == MG_ROW_OK &&
                sync_sample(s->cfg.out_dir, r->row.path, r->err,
                            sizeof r->err))
                r->kind = 1;
        }
        musicgen_sample_destroy(&smp);
        post_result(s, r);
    }
    eng = mgapi_engine_unwrap(&e);
    if (own)
        mg_engine_destroy(&eng);
    free(r);
    return NULL;
}

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
    mg_dlog(WHO, "refused: %s", err);
    return MG_WORKER_REFUSED;
}

static engine_shared *
shared_new(void)
{
    engine_shared *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (e->efd < 0) {
        free(e);
        return NULL;
    }
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    return e;
}

static void
shared_free(engine_shared *e)
{
    if (!e)
        return;
    close(e->efd);
    e->pre = NULL;               /* borrowed */
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e->queue);
    free(e->res);
    free(e);
}

static int
thread_start(worker *w, char *err, size_t errlen)
{
    w->eng->cfg = w->run_cfg;
    if (pthread_create(&w->thread, NULL, engine_main, w->eng)) {
        snprintf(err, errlen, "cannot start the engine thread");
        return -1;
    }
    w->thread_on = true;
    return 0;
}

/* Under mu. */
static void
queue_push(engine_shared *e, uint64_t lease, uint64_t index)
{
    if (e->qlen == e->qcap) {
        size_t cap = e->qcap ? e->qcap * 2 : 256;
        pending *q = malloc(cap * sizeof *q);
        if (!q)
            return;     /* the lease expires and is redone */
        for (size_t i = 0; i < e->qlen; i++)
            q[i] = e->queue[(e->qhead + i) % e->qcap];
        free(e->queue);
        e->queue = q;
        e->qcap = cap;
        e->qhead = 0;
    }
    e->queue[(e->qhead + e->qlen) % e->qcap] = (pending){lease, index};
    e->qlen++;
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
    mg_config c;
    char why[400];
    if (run_config(&w->o->cfg, m, &c, err, errlen))
        return -1;
    mg_fingerprint fp;
    if (run_fingerprint(&c, &fp, err, errlen) ||
        send_join(w, &fp, err, errlen))
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
        /* the engine made before the fork serves only the very run it
         * was made for */
        char *mine = w->eng->pre ? mg_config_run_json(&w->o->cfg) : NULL;
        if (w->eng->pre && (!mine || strcmp(mine, m->run_json)))
            w->eng->pre = NULL;  /* borrowed: the caller's to free */
        free(mine);
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
        pthread_mutex_lock(&w->eng->mu);
        for (uint32_t i = 0; i < m.n; i++)
            queue_push(w->eng, m.lease, m.first + i);
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
    free(w->unacked);
    free(w->run_json);
    /* Abandoned, the engine thread still uses the shared block: the
     * process exits right after, so it is left to the kernel. */
    if (join_engine || !w->thread_on)
        shared_free(w->eng);
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
    w.eng = shared_new();
    if (!w.eng) {
        snprintf(err, errlen, "engine queue: %s", strerror(errno));
        return -1;
    }
    w.eng->pre = o->engine;
    w.ctx = zmq_ctx_new();
    if (!w.ctx) {
        snprintf(err, errlen, "zmq: %s", zmq_strerror(errno));
        shared_free(w.eng);
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

/* ---- static mode ---- */

/* Remove "<slice>.tmp.<host>.<pid>" files of this slice whose writer is
 * gone: this host and a pid that no longer exists, or untouched for
 * MG_TMP_STALE_S (sampledir.h). */
static void
sweep_slice_tmps(const char *dir, const char *slice, const char *host)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char pre[400];
    snprintf(pre, sizeof pre, "%s.tmp.", slice);
    size_t pl = strlen(pre), hl = strlen(host);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (strncmp(n, pre, pl))
            continue;
        char p[2400];
        snprintf(p, sizeof p, "%s/%s", dir, n);
        const char *dot = strrchr(n, '.');
        char *end;
        long pid = strtol(dot + 1, &end, 10);
        bool gone;
        if (*end == '\0' && pid > 0 && (size_t)(dot - n) == pl + hl &&
            !strncmp(n + pl, host, hl)) {
            gone = kill((pid_t)pid, 0) && errno == ESRCH;
        } else {
            struct stat st;
            gone = !stat(p, &st) &&
                   (long long)time(NULL) - (long long)st.st_mtime >
                       MG_TMP_STALE_S;
        }
        if (gone)
            unlink(p);
    }
    closedir(d);
}

int
mg_worker_static(const mg_config *cfg, int array_index, int array_size,
                 bool durable, struct mg_engine *pre, const volatile sig_atomic_t *stop,
                 char *err, size_t errlen)
{
    if (array_size < 1 || array_index < 0 || array_index >= array_size) {
        snprintf(err, errlen, "--array-index must be in [0, --array-size)");
        return -1;
    }
    uint64_t count = (uint64_t)cfg->count, start = (uint64_t)cfg->start;
    uint64_t lo = start + count * (uint64_t)array_index / (uint64_t)array_size;
    uint64_t hi = start + count * (uint64_t)(array_index + 1) /
                              (uint64_t)array_size;
    char dir[1200], path[1300], tmp[1700], host[80];
    /* The first tasks of an array start together on a root that may not
     * exist yet: mkdir -p, where "exists" (another task won) is success. */
    snprintf(dir, sizeof dir, "%s/.musicgen/slices", cfg->out_dir);
    if (mg_dir_make(dir)) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof path, "%s/slice-%d-of-%d.jsonl", dir, array_index,
             array_size);
    /* host and pid: a requeued task on another node never shares it, and
     * a rerun here removes what a killed run of this slice left */
    mg_tmp_host(host, sizeof host);
    snprintf(tmp, sizeof tmp, "%s.tmp.%s.%ld", path, host, (long)getpid());
    sweep_slice_tmps(dir, strrchr(path, '/') + 1, host);
    /* pre is borrowed (never freed here); an engine made here is ours */
    mg_engine *eng = pre ? pre : mg_engine_new(cfg, err, errlen);
    if (!eng)
        return -1;
    /* samples through the public API, as in engine_main */
    musicgen_engine *e = mgapi_engine_wrap(eng, cfg);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        if (!pre)
            mg_engine_destroy(&eng);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        eng = mgapi_engine_unwrap(&e);
        if (!pre)
            mg_engine_destroy(&eng);
        return -1;
    }
    int rc = 0;
    /* the test suite's fault-injection hook, as in engine_main */
    const char *d = getenv("MUSICGEN_FAULT_SAMPLE_DELAY_MS");
    long delay_ms = d ? atol(d) : 0;
    for (uint64_t i = lo; i < hi; i++) {
        if (stop && *stop) {
            snprintf(err, errlen, "stopped at sample %" PRIu64 "; run the "
                     "same command again to finish the slice", i);
            rc = -1;
            break;
        }
        mg_row row;
        char line[2048], ts[40];
        if (delay_ms > 0) {
            struct timespec dt = {delay_ms / 1000, delay_ms % 1000 * 1000000};
            nanosleep(&dt, NULL);
        }
        musicgen_sample *smp = NULL;
        if (musicgen_generate_to_dir(e, cfg->global_seed, i, cfg->out_dir,
                                     &smp)) {
            snprintf(err, errlen, "%s", musicgen_engine_error(e));
            rc = -1;
            break;
        }
        row = *mgapi_sample_row(smp);
        musicgen_sample_destroy(&smp);
        if (durable && row.status == MG_ROW_OK &&
            sync_sample(cfg->out_dir, row.path, err, errlen)) {
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
    eng = mgapi_engine_unwrap(&e);
    if (!pre)
        mg_engine_destroy(&eng);
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
