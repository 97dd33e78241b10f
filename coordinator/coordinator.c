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
 * - Leases live in memory; the ledger holds only rows. What is to do is
 *   re-derived at every start from the rows (and, on resume, from the
 *   disk: a sample.json with the run's seed is a row), so a restored old
 *   ledger cannot strand work. A worker that stays up through our
 *   restart declares its leases in JOIN and we adopt them.
 * - Leases are held by the worker's identity, not its socket, so a worker
 *   that reconnects keeps its leases; a silent worker's leases are
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
 *   lease_s seconds of work, at most 1/(2 x jobs) of what is left).
 * - Nothing from the wire becomes a path: the row's path is recomputed
 *   from its index and the run's shard width.
 */
#include "coordinator.h"

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
#include "sampledir.h"
#include "stats.h"

#define WHO "coordinator"
#define BATCH_MAX 8192          /* rows per commit, at most */
#define BATCH_MS 20             /* a row waits at most this for commit */
#define RID_MAX 256
#define BAD_ROWS_MAX 16         /* invalid rows before a peer is dropped */
#define BANNED_MAX 256
/* An unmeasured sample may take this long before its lease is deemed
 * stuck (a worker that hangs on its very first sample). */
#define GRACE_UNKNOWN_MS 300000

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
    uint64_t bad_rows;
    int64_t last_row_at;        /* when its last valid row came */
} peer;

typedef enum { L_LIVE, L_RELEASED, L_DONE } lease_state;

/* A lease: [first, first + n) held by `holder`. Kept after it ends, so a
 * late row from its holder is still recognised. */
typedef struct lease_s {
    uint64_t id, first;
    uint32_t n, ndone;
    char holder[64];
    uint8_t *bits;              /* indices reported on it; NULL when over */
    lease_state state;
    uint64_t twin;              /* the duplicate of / duplicated by, or 0 */
    int64_t granted, progress_at, head_since;
} lease;

typedef struct {
    uint64_t a, b;              /* [a, b) */
} range;

struct mg_coord {
    mg_coord_opts o;
    mg_ledger *ledger;
    int lock_fd;
    void *ctx, *sock;
    void *auth, *mon;           /* CURVE: zauth actor, handshake monitor */
    bool czmq_ctx;              /* ctx is czmq's: not ours to terminate */
    mg_coord_stats st;          /* every counter, in one place */
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
    uint64_t *filtered;         /* done, then moved out by `musicgen
                                   filter`: sorted, left out of the
                                   manifest */
    size_t nfiltered;
    /* the work: ranges not leased and without a row, ascending */
    range *todo;
    size_t ntodo, cap_todo;
    uint64_t todo_total;
    /* every lease of this session (append-only) and the live ones */
    lease *leases;
    size_t nleases, cap_leases;
    size_t *live;               /* positions in leases */
    size_t nlive, cap_live;
    uint64_t lease_base;        /* ids of this session: lease_base + k */
    size_t *seqpos;             /* position of lease lease_base + k */
    size_t nseq, cap_seq;
    double sample_max_s;
    char (*banned)[64];
    size_t nbanned;
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
    o->chunk = 0;
    o->lease_s = 2.0;
    o->speculate = true;
    o->durable = true;
    o->heartbeat_ms = 1000;
    o->liveness = 5;
    o->linger_ms = 2000;
    o->progress_ms = 5000;
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
        /* the lease it works on: its oldest live one */
        const lease *h = NULL;
        for (size_t k = 0; k < c->nlive; k++) {
            const lease *l = &c->leases[c->live[k]];
            if (!strcmp(l->holder, p->identity) && (!h || l->id < h->id))
                h = l;
        }
        w[i].lease = h ? (int64_t)h->id : -1;
        w[i].lease_first = h ? h->first : 0;
        w[i].lease_n = h ? h->n : 0;
        w[i].rows = p->rows;
    }
    sp.leases_active = c->nlive;
    mg_stats_publish(c->stats, &sp, w, c->npeers);
    free(w);
    c->last_publish = mono;
}

/* ---- the work queue (ranges without a row, not leased) ---- */

static int
todo_insert(mg_coord *c, size_t pos, range r)
{
    if (c->ntodo == c->cap_todo) {
        size_t cap = c->cap_todo ? c->cap_todo * 2 : 16;
        range *t = realloc(c->todo, cap * sizeof *t);
        if (!t)
            return -1;
        c->todo = t;
        c->cap_todo = cap;
    }
    memmove(c->todo + pos + 1, c->todo + pos,
            (c->ntodo - pos) * sizeof *c->todo);
    c->todo[pos] = r;
    c->ntodo++;
    return 0;
}

static void
todo_remove(mg_coord *c, size_t pos)
{
    memmove(c->todo + pos, c->todo + pos + 1,
            (c->ntodo - pos - 1) * sizeof *c->todo);
    c->ntodo--;
}

/* Take [a, b) out of the queue (what of it is there). */
static int
todo_sub(mg_coord *c, uint64_t a, uint64_t b)
{
    size_t lo = 0, hi = c->ntodo;
    while (lo < hi) {               /* first range ending after a */
        size_t mid = (lo + hi) / 2;
        if (c->todo[mid].b <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < c->ntodo;) {
        range *r = &c->todo[i];
        if (r->a >= b)
            break;
        if (r->a < a && r->b > b) {         /* split in two */
            range right = {b, r->b};
            r->b = a;
            c->todo_total -= b - a;
            return todo_insert(c, i + 1, right);
        }
        if (r->a < a) {
            c->todo_total -= r->b - a;
            r->b = a;
            i++;
        } else if (r->b > b) {
            c->todo_total -= b - r->a;
            r->a = b;
            break;
        } else {
            c->todo_total -= r->b - r->a;
            todo_remove(c, i);
        }
    }
    return 0;
}

/* Put [a, b) (back) in the queue, merged with its neighbours. */
static int
todo_add(mg_coord *c, uint64_t a, uint64_t b)
{
    if (a >= b || todo_sub(c, a, b))
        return -1;
    size_t lo = 0, hi = c->ntodo;
    while (lo < hi) {               /* first range starting after a */
        size_t mid = (lo + hi) / 2;
        if (c->todo[mid].a <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    c->todo_total += b - a;
    if (lo > 0 && c->todo[lo - 1].b == a) {
        c->todo[lo - 1].b = b;
        if (lo < c->ntodo && c->todo[lo].a == b) {
            c->todo[lo - 1].b = c->todo[lo].b;
            todo_remove(c, lo);
        }
        return 0;
    }
    if (lo < c->ntodo && c->todo[lo].a == b) {
        c->todo[lo].a = a;
        return 0;
    }
    if (todo_insert(c, lo, (range){a, b})) {
        c->todo_total -= b - a;
        return -1;
    }
    return 0;
}

/* ---- leases ---- */

static bool is_head(const mg_coord *c, const struct lease_s *l);

static lease *
lease_find(mg_coord *c, uint64_t id)
{
    if (id >= c->lease_base && id - c->lease_base < c->nseq)
        return &c->leases[c->seqpos[id - c->lease_base]];
    if (id >= c->lease_base)
        return NULL;
    /* adopted after our restart: few, never in seqpos */
    for (size_t i = 0; i < c->nleases; i++)
        if (c->leases[i].id == id)
            return &c->leases[i];
    return NULL;
}

static bool
lease_has(const lease *l, uint64_t index)
{
    return index >= l->first && index - l->first < l->n;
}

static bool
lease_bit(const lease *l, uint64_t index)
{
    uint64_t k = index - l->first;
    return l->bits && (l->bits[k / 8] >> (k % 8) & 1);
}

/* A new live lease; NULL when out of memory. */
static lease *
lease_new(mg_coord *c, uint64_t id, uint64_t first, uint32_t n,
          const char *holder)
{
    if (c->nleases == c->cap_leases) {
        size_t cap = c->cap_leases ? c->cap_leases * 2 : 64;
        lease *l = realloc(c->leases, cap * sizeof *l);
        if (!l)
            return NULL;
        c->leases = l;
        c->cap_leases = cap;
    }
    if (c->nlive == c->cap_live) {
        size_t cap = c->cap_live ? c->cap_live * 2 : 64;
        size_t *l = realloc(c->live, cap * sizeof *l);
        if (!l)
            return NULL;
        c->live = l;
        c->cap_live = cap;
    }
    bool ours = id >= c->lease_base;
    if (ours && c->nseq == c->cap_seq) {
        size_t cap = c->cap_seq ? c->cap_seq * 2 : 64;
        size_t *q = realloc(c->seqpos, cap * sizeof *q);
        if (!q)
            return NULL;
        c->seqpos = q;
        c->cap_seq = cap;
    }
    uint8_t *bits = calloc((n + 7) / 8, 1);
    if (!bits)
        return NULL;
    size_t pos = c->nleases++;
    lease *l = &c->leases[pos];
    memset(l, 0, sizeof *l);
    l->id = id;
    l->first = first;
    l->n = n;
    l->bits = bits;
    l->state = L_LIVE;
    snprintf(l->holder, sizeof l->holder, "%s", holder);
    l->granted = l->progress_at = mg_mono_ms();
    if (ours)
        c->seqpos[c->nseq++] = pos;
    c->live[c->nlive++] = pos;
    return l;
}

/* Record that index has a valid row on l. */
static void
lease_mark(lease *l, uint64_t index)
{
    if (!l->bits || !lease_has(l, index))
        return;
    uint64_t k = index - l->first;
    if (l->bits[k / 8] >> (k % 8) & 1)
        return;
    l->bits[k / 8] |= (uint8_t)(1u << (k % 8));
    l->ndone++;
}

static lease *
live_twin(mg_coord *c, const lease *l)
{
    lease *t = l->twin ? lease_find(c, l->twin) : NULL;
    return t && t->state == L_LIVE ? t : NULL;
}

/* End a live lease: DONE (every index reported) or RELEASED (its
 * unfinished indices go back to the queue, except those its live twin
 * still covers). Returns the number of indices re-queued. */
static uint64_t
lease_end(mg_coord *c, lease *l, lease_state state)
{
    uint64_t requeued = 0;
    if (state == L_RELEASED) {
        lease *t = live_twin(c, l);
        uint64_t run_a = 0;
        bool open = false;
        for (uint64_t i = l->first; i <= l->first + l->n; i++) {
            bool want = i < l->first + l->n && !lease_bit(l, i) &&
                        !(t && lease_has(t, i));
            if (want && !open) {
                run_a = i;
                open = true;
            } else if (!want && open) {
                todo_add(c, run_a, i);
                requeued += i - run_a;
                open = false;
            }
        }
        if (requeued)
            c->st.leases_requeued++;
    }
    free(l->bits);
    l->bits = NULL;
    l->state = state;
    size_t pos = (size_t)(l - c->leases);
    for (size_t i = 0; i < c->nlive; i++)
        if (c->live[i] == pos) {
            c->live[i] = c->live[--c->nlive];
            break;
        }
    return requeued;
}

/* Give every live lease of `holder` back to the queue; returns how many
 * leases had work left. */
static int
release_holder(mg_coord *c, const char *holder)
{
    int n = 0;
    for (size_t i = c->nlive; i-- > 0;) {
        lease *l = &c->leases[c->live[i]];
        if (!strcmp(l->holder, holder) && lease_end(c, l, L_RELEASED))
            n++;
    }
    return n;
}

/* How long the lease a worker is on may go without a row. */
static int64_t
grace_ms(const mg_coord *c)
{
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    if (c->st.sample_s <= 0)
        return ttl + GRACE_UNKNOWN_MS;
    double g = 4 * c->st.sample_s;
    if (2 * c->sample_max_s > g)
        g = 2 * c->sample_max_s;
    return ttl + (int64_t)(g * 1000.0);
}

/* Leases are renewed by work done on them. A worker works through its
 * leases in the order they were granted, so only its oldest live lease
 * (the head) is expected to progress; a head without a row for the
 * grace time is re-queued (the worker is stuck, or no longer has that
 * work, e.g. after our ledger was restored from an older copy). */
static void
check_leases(mg_coord *c, int64_t now)
{
    int64_t grace = grace_ms(c);
    for (size_t i = c->nlive; i-- > 0;) {
        lease *l = &c->leases[c->live[i]];
        if (!is_head(c, l))
            continue;
        if (!l->head_since)
            l->head_since = now;
        int64_t last = l->progress_at > l->head_since ? l->progress_at
                                                       : l->head_since;
        if (now - last <= grace)
            continue;
        char holder[64];
        uint64_t id = l->id;
        snprintf(holder, sizeof holder, "%s", l->holder);
        uint64_t back = lease_end(c, l, L_RELEASED);
        mg_stats_requeued(c->stats, back ? 1 : 0);
        mg_dlog(WHO, "lease %" PRIu64 " of %s made no progress for %" PRId64
                " ms: %" PRIu64 " sample(s) re-queued", id, holder,
                now - last, back);
    }
}

/* Indices for the next lease: fixed (--chunk), else guided - at most
 * lease_s seconds of measured work and at most 1/(2 x jobs) of what is
 * left, one sample while nothing is measured yet - so every job has work
 * at the start and the leases shrink towards the end. */
static uint32_t
lease_size(const mg_coord *c, int jobs)
{
    uint64_t n;
    if (c->o.chunk) {
        n = c->o.chunk;
    } else if (c->st.sample_s <= 0) {
        n = 1;
    } else {
        double t = c->o.lease_s / c->st.sample_s;
        uint64_t by_time = t >= (double)MG_PROTO_MAX_CHUNK
                               ? MG_PROTO_MAX_CHUNK : (uint64_t)t;
        uint64_t share = 2 * (uint64_t)(jobs > 0 ? jobs : 1);
        uint64_t guided = (c->todo_total + share - 1) / share;
        n = by_time < guided ? by_time : guided;
    }
    if (n < 1)
        n = 1;
    if (n > MG_PROTO_MAX_CHUNK)
        n = MG_PROTO_MAX_CHUNK;
    return (uint32_t)n;
}

/* Is l its holder's oldest live lease (the one it works on)? */
static bool
is_head(const mg_coord *c, const lease *l)
{
    for (size_t k = 0; k < c->nlive; k++) {
        const lease *o = &c->leases[c->live[k]];
        if (o != l && o->id < l->id && !strcmp(o->holder, l->holder))
            return false;
    }
    return true;
}

static const peer *
peer_of(const mg_coord *c, const char *identity)
{
    for (size_t i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].identity, identity))
            return &c->peers[i];
    return NULL;
}

/* Speculation: once the queue is empty, an idle job gets a copy of
 * another worker's unfinished work: first the back half of a lease of
 * two or more samples waiting behind the one its holder is on (the holder
 * then finds those samples on disk), else the unfinished part of the
 * lease a straggler is on - no row for twice the measured sample time. Never its
 * own, never one already copied. The first row per index wins and the
 * copy is harmless (the engine's rename makes one of two writers the
 * winner, the other reports the sample found on disk). */
static lease *
duplicate_straggler(mg_coord *c, const peer *p)
{
    lease *best = NULL;
    bool best_waits = false;
    if (c->st.sample_s <= 0)
        return NULL;
    int64_t now = mg_mono_ms();
    int64_t slow = (int64_t)(2000.0 * c->st.sample_s);
    for (size_t i = 0; i < c->nlive; i++) {
        lease *l = &c->leases[c->live[i]];
        if (l->twin || !strcmp(l->holder, p->identity) || l->ndone >= l->n)
            continue;
        bool waits = !is_head(c, l);
        /* its holder reaches a one-sample waiting lease before a copy
         * could finish it: only the back half of a longer one pays */
        if (waits && l->n - l->ndone < 2)
            continue;
        if (!waits) {
            const peer *h = peer_of(c, l->holder);
            int64_t since = l->progress_at;
            if (h && h->last_row_at > since)
                since = h->last_row_at;
            if (now - since < slow)
                continue;
        }
        uint32_t left = l->n - l->ndone, bleft = best ? best->n - best->ndone
                                                       : 0;
        if (!best || (waits && !best_waits) ||
            (waits == best_waits && left > bleft)) {
            best = l;
            best_waits = waits;
        }
    }
    if (!best)
        return NULL;
    uint64_t lo = best->first + best->n, hi = best->first;
    for (uint64_t i = best->first; i < best->first + best->n; i++)
        if (!lease_bit(best, i)) {
            if (i < lo)
                lo = i;
            hi = i;
        }
    if (best_waits)
        lo += (hi - lo + 1) / 2;
    uint64_t orig = best->id;
    lease *d = lease_new(c, c->lease_base + c->nseq, lo,
                         (uint32_t)(hi - lo + 1), p->identity);
    if (!d)
        return NULL;
    best = lease_find(c, orig);        /* lease_new may have moved it */
    best->twin = d->id;
    d->twin = orig;
    c->st.leases_duplicated++;
    return d;
}

/* ---- row checks ---- */

static bool
printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* Is this row one the run could have produced, from this peer? 0, or -1
 * with why. PROTOCOL.md "Row checks" lists these. */
static int
check_row(mg_coord *c, const peer *p, const mg_msg *in, lease **lp,
          char *why, size_t n)
{
    const mg_config *cfg = &c->o.cfg;
    uint64_t start = (uint64_t)cfg->start;
    *lp = NULL;
    if (in->index < start || in->index - start >= (uint64_t)cfg->count) {
        snprintf(why, n, "index %" PRIu64 " is outside the run", in->index);
        return -1;
    }
    lease *l = lease_find(c, in->lease);
    if (!l) {
        snprintf(why, n, "index %" PRIu64 ": lease %" PRIu64 " was never "
                 "granted", in->index, in->lease);
        return -1;
    }
    if (strcmp(l->holder, p->identity)) {
        snprintf(why, n, "index %" PRIu64 ": lease %" PRIu64 " is not "
                 "this worker's", in->index, in->lease);
        return -1;
    }
    if (!lease_has(l, in->index)) {
        snprintf(why, n, "index %" PRIu64 " is not in lease %" PRIu64,
                 in->index, in->lease);
        return -1;
    }
    uint64_t seed = mg_sample_seed(cfg->global_seed, in->index);
    if (in->seed != seed) {
        snprintf(why, n, "index %" PRIu64 ": seed %" PRIu64 " is not the "
                 "run's (%" PRIu64 ")", in->index, in->seed, seed);
        return -1;
    }
    if (in->split != (uint8_t)mg_split_of(seed, cfg->split)) {
        snprintf(why, n, "index %" PRIu64 ": split %u is not the run's",
                 in->index, in->split);
        return -1;
    }
    if (in->attempt < 1 || in->attempt > (uint32_t)cfg->max_attempts) {
        snprintf(why, n, "index %" PRIu64 ": attempt %" PRIu32 " not in "
                 "[1, %d]", in->index, in->attempt, cfg->max_attempts);
        return -1;
    }
    if (!(in->score >= 0.0 && in->score <= 1.0)) {
        snprintf(why, n, "index %" PRIu64 ": musicality score %g not in "
                 "[0, 1]", in->index, in->score);
        return -1;
    }
    bool dur_ok = in->status == MG_ROW_OK ? in->duration > 0.0
                                          : in->duration >= 0.0;
    if (!dur_ok || !(in->duration <= MG_ENGINE_MAX_DURATION_S)) {
        snprintf(why, n, "index %" PRIu64 ": duration %g s not in (0, %g]",
                 in->index, in->duration, MG_ENGINE_MAX_DURATION_S);
        return -1;
    }
    if (in->status == MG_ROW_OK && cfg->min_score > 0 &&
        in->score < cfg->min_score - 1e-4) {
        snprintf(why, n, "index %" PRIu64 ": score %g is below the run's "
                 "gate %g", in->index, in->score, cfg->min_score);
        return -1;
    }
    if (in->status == MG_ROW_OK ? in->error[0] != '\0'
                                : in->error[0] == '\0') {
        snprintf(why, n, "index %" PRIu64 ": %s", in->index,
                 in->status == MG_ROW_OK ? "an ok row carries an error"
                                         : "a failed row without its error");
        return -1;
    }
    if (!printable(in->error)) {
        snprintf(why, n, "index %" PRIu64 ": control characters in the "
                 "error text", in->index);
        return -1;
    }
    *lp = l;
    return 0;
}

static bool
is_banned(const mg_coord *c, const char *identity)
{
    for (size_t i = 0; i < c->nbanned; i++)
        if (!strcmp(c->banned[i], identity))
            return true;
    return false;
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
    if (is_banned(c, in->identity)) {
        send_simple(c, rid, rid_len, MG_MSG_REFUSE, "this identity was "
                    "dropped for sending invalid rows");
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
    m.durable = c->o.durable;
    send_peer(c, p, &m);
}

typedef struct {
    lease *l;
} lease_mark_ctx;

static int
mark_index(uint64_t index, void *ud)
{
    lease_mark(((lease_mark_ctx *)ud)->l, index);
    return 0;
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
    /* JOIN lists the leases the worker still has work of, as (id,
     * first, n). Ours that it does not list go back to the queue (a
     * restarted process reusing a name, work abandoned); ours it lists
     * stay its own; ids of an earlier session of ours (we restarted
     * while it worked) are adopted as declared, so its rows are
     * accepted and nothing is done twice. */
    int64_t now = mg_mono_ms();
    uint32_t nl = in->nacks / 3;
    int released = 0;
    for (size_t i = c->nlive; i-- > 0;) {
        lease *l = &c->leases[c->live[i]];
        if (strcmp(l->holder, p->identity))
            continue;
        bool listed = false;
        for (uint32_t k = 0; k < nl && !listed; k++)
            listed = in->acks[3 * k] == l->id;
        if (listed)
            l->progress_at = now;
        else if (lease_end(c, l, L_RELEASED))
            released++;
    }
    uint64_t start = (uint64_t)c->o.cfg.start;
    uint64_t end = start + (uint64_t)c->o.cfg.count;
    for (uint32_t k = 0; k < nl; k++) {
        uint64_t id = in->acks[3 * k], first = in->acks[3 * k + 1];
        uint64_t n = in->acks[3 * k + 2];
        if (id >= c->lease_base || lease_find(c, id) || n < 1 ||
            n > MG_PROTO_MAX_CHUNK || first < start || first >= end ||
            n > end - first)
            continue;
        lease *l = lease_new(c, id, first, (uint32_t)n, p->identity);
        if (!l)
            continue;
        /* what has a row already is done on it */
        char err[256];
        lease_mark_ctx mc = {l};
        if (mg_ledger_indices(c->ledger, first, n, mark_index, &mc, err,
                              sizeof err))
            mg_dlog(WHO, "%s", err);
        todo_sub(c, first, first + n);
        c->st.leases_adopted++;
        if (!c->o.quiet)
            mg_dlog(WHO, "adopted lease %" PRIu64 " of %s (%" PRIu64
                    " samples from %" PRIu64 ")", id, p->identity, n, first);
        if (l->ndone >= l->n)
            lease_end(c, l, L_DONE);
    }
    mg_stats_requeued(c->stats, released);
    if (!c->o.quiet)
        mg_dlog(WHO, "worker %s joined (%d workers)", p->identity,
                joined_count(c));
}

static int
on_ready(mg_coord *c, peer *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    lease *l = NULL;
    if (c->todo_total > 0) {
        uint32_t want = lease_size(c, joined_count(c));
        range *r = &c->todo[0];
        uint64_t first = r->a;
        uint32_t n = r->b - r->a < want ? (uint32_t)(r->b - r->a) : want;
        l = lease_new(c, c->lease_base + c->nseq, first, n, p->identity);
        if (l) {
            todo_sub(c, first, first + n);
            c->st.leases_granted++;
            c->st.last_lease_n = n;
        }
    } else if (c->o.speculate) {
        l = duplicate_straggler(c, p);
    }
    mg_msg m;
    if (!l) {
        mg_msg_init(&m, MG_MSG_NOWORK);
        m.retry_ms = c->o.heartbeat_ms;
        p->mark = 0;
    } else {
        note_grant(c, p, (int64_t)l->id, l->first, l->n);
        mg_msg_init(&m, MG_MSG_GRANT);
        m.lease = l->id;
        m.first = l->first;
        m.n = l->n;
        int64_t g = grace_ms(c) > ttl ? grace_ms(c) : ttl;
        m.ttl_ms = (uint32_t)(g > 86400000 ? 86400000 : g);  /* wire max */
    }
    send_peer(c, p, &m);
    return 0;
}

/* A peer that keeps sending invalid rows is told so and forgotten, and
 * its identity is not let back in this session. */
static void
drop_bad_peer(mg_coord *c, peer *p, const char *why)
{
    mg_msg m;
    mg_msg_init(&m, MG_MSG_REFUSE);
    snprintf(m.reason, sizeof m.reason, "dropped after %" PRIu64
             " invalid rows (the last: %s)", p->bad_rows, why);
    mg_dlog(WHO, "dropped worker %s: %s", p->identity, m.reason);
    send_peer(c, p, &m);
    int n = release_holder(c, p->identity);
    mg_stats_requeued(c->stats, n);
    if (n)
        mg_dlog(WHO, "%d lease(s) of %s re-queued", n, p->identity);
    if (c->nbanned < BANNED_MAX) {
        char (*b)[64] = realloc(c->banned, (c->nbanned + 1) * sizeof *b);
        if (b) {
            c->banned = b;
            snprintf(b[c->nbanned++], 64, "%s", p->identity);
        }
    }
    c->st.peers_dropped++;
    drop_peer(c, p);
}

/* Seconds per sample, per job: the time since the later of the peer's
 * previous row and the lease's grant, smoothed. Rows of samples found on
 * disk say nothing about the work and are left out. */
static void
measure(mg_coord *c, peer *p, const lease *l, bool skipped, int64_t now)
{
    int64_t from = p->last_row_at > l->granted ? p->last_row_at : l->granted;
    p->last_row_at = now;
    if (skipped || now < from)
        return;
    double dt = (double)(now - from) / 1000.0;
    c->st.sample_s = c->st.sample_s <= 0 ? dt
                                         : 0.9 * c->st.sample_s + 0.1 * dt;
    if (c->st.sample_s <= 0)
        c->st.sample_s = 1e-4;
    if (dt > c->sample_max_s)
        c->sample_max_s = dt;
}

static int
on_row(mg_coord *c, peer *p, const mg_msg *in, char *err, size_t errlen)
{
    lease *l;
    char why[300];
    if (check_row(c, p, in, &l, why, sizeof why)) {
        c->st.rows_rejected++;
        mg_stats_row_rejected(c->stats);
        p->bad_rows++;
        if (c->st.rows_rejected <= 50 || c->st.rows_rejected % 1000 == 0)
            mg_dlog(WHO, "rejected a row from %s (%" PRIu64 " so far): %s",
                    p->identity, c->st.rows_rejected, why);
        if (p->bad_rows >= BAD_ROWS_MAX)
            drop_bad_peer(c, p, why);
        return 0;
    }
    int64_t now = mg_mono_ms();
    measure(c, p, l, in->skipped, now);
    lease *t = live_twin(c, l);
    lease_mark(l, in->index);
    if (l->state == L_LIVE)
        l->progress_at = now;
    if (l->state == L_LIVE && l->ndone >= l->n)
        lease_end(c, l, L_DONE);
    if (t) {
        lease_mark(t, in->index);
        if (t->ndone >= t->n)
            lease_end(c, t, L_DONE);
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
    if (rc == 0)
        c->st.rows_duplicate++;
    if (rc == 1) {
        note_row(c, p, &row);
        c->done++;
        c->st.rows_accepted++;
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
    c->st.bad_frames++;
    if (c->st.bad_frames <= 20 || c->st.bad_frames % 1000 == 0)
    mg_stats_bad_message(c->stats);
        mg_dlog(WHO, "dropped a malformed message (%" PRIu64 " so far): %s",
                c->st.bad_frames, why);
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
        int released = release_holder(c, p->identity);
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
            int n = release_holder(c, p->identity);
            mg_dlog(WHO, "worker %s lost (silent for %" PRId64 " ms): %d "
                    "lease(s) re-queued", p->identity, now - p->last_seen, n);
            mg_stats_requeued(c->stats, n);
            drop_peer(c, p);
            i--;
            continue;
        }
        if (now - p->last_sent >= (int64_t)c->o.heartbeat_ms) {
            mg_msg m;
            mg_msg_init(&m, MG_MSG_HEARTBEAT);
            send_peer(c, p, &m);
        }
    }
    check_leases(c, now);
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
        total, c->done, c->failed, c->skipped, c->resumed, c->missing,
        c->nfiltered, rate,
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
    char json[600], ts[40];
    mg_rfc3339(ts, sizeof ts, mg_wall_ms());
    snprintf(json, sizeof json, "{\"done\":%" PRIu64 ",\"failed\":%" PRIu64
             ",\"rate\":%.2f,\"eta_s\":%.0f,\"workers\":%d,"
             "\"leases\":%zu,\"queued\":%" PRIu64 ",\"sample_s\":%.4f,"
             "\"rows_rejected\":%" PRIu64 ",\"leases_requeued\":%" PRIu64
             ",\"updated_at\":\"%s\"}", p.done, p.failed, p.rate, p.eta_s,
             p.workers, c->nlive, c->todo_total, c->st.sample_s,
             c->st.rows_rejected, c->st.leases_requeued, ts);
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
    char *rej[MG_DSFILTER_MAX_REJECT_DIRS]; /* `musicgen filter`'s */
    int nrej;
    uint64_t *filtered;                      /* gone into one of them */
    size_t nf, capf;
} verify_ctx;

/* Append index to a growing array; 0, or 1 when out of memory. */
static int
index_push(uint64_t **a, size_t *n, size_t *cap, uint64_t index)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        uint64_t *g = realloc(*a, nc * sizeof *g);
        if (!g)
            return 1;
        *a = g;
        *cap = nc;
    }
    (*a)[(*n)++] = index;
    return 0;
}

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
    /* moved out by `musicgen filter`: done, and kept out */
    for (int i = 0; i < v->nrej; i++) {
        char p[5200];
        snprintf(p, sizeof p, "%s/%s/sample.json", v->rej[i], row->path);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            return index_push(&v->filtered, &v->nf, &v->capf, row->index);
    }
    return index_push(&v->gone, &v->n, &v->cap, row->index);
}

static int
verify_disk(mg_coord *c, char *err, size_t errlen)
{
    verify_ctx v;
    memset(&v, 0, sizeof v);
    v.root = c->o.cfg.out_dir;
    v.dfd = -1;
    v.nrej = mg_dsfilter_reject_dirs(v.root, v.rej,
                                     MG_DSFILTER_MAX_REJECT_DIRS);
    int64_t t0 = mg_mono_ms();
    int rc = mg_ledger_foreach_row(c->ledger, verify_row, &v, err, errlen);
    if (v.dfd >= 0)
        close(v.dfd);
    for (int i = 0; i < v.nrej; i++)
        free(v.rej[i]);
    if (rc == 0 && v.nf) {
        free(c->filtered);
        c->filtered = v.filtered;
        c->nfiltered = v.nf;
        v.filtered = NULL;
        if (!c->o.quiet)
            mg_dlog(WHO, "%zu sample(s) moved out by `musicgen filter` are "
                    "kept out: not made again, not in the manifest", v.nf);
    }
    free(v.filtered);
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

/* The queue: every index of the run without a row. */
typedef struct {
    mg_coord *c;
    uint64_t next;
    int rc;
} gap_ctx;

static int
gap_index(uint64_t index, void *ud)
{
    gap_ctx *g = ud;
    if (index > g->next && todo_add(g->c, g->next, index))
        g->rc = -1;
    g->next = index + 1;
    return g->rc;
}

static int
build_todo(mg_coord *c, char *err, size_t errlen)
{
    uint64_t start = (uint64_t)c->o.cfg.start;
    uint64_t end = start + (uint64_t)c->o.cfg.count;
    gap_ctx g = {c, start, 0};
    if (mg_ledger_indices(c->ledger, start, end - start, gap_index, &g, err,
                          errlen))
        return -1;
    if (g.rc == 0 && g.next < end && todo_add(c, g.next, end))
        g.rc = -1;
    if (g.rc)
        snprintf(err, errlen, "out of memory");
    return g.rc;
}

/* The row of a sample complete on disk, as a worker finding it would
 * report it: 0 when sample.json is there and is this run's sample. */
static int
row_from_disk(mg_coord *c, uint64_t index, mg_row *row)
{
    const mg_config *cfg = &c->o.cfg;
    char rel[64], path[1200];
    mg_sample_relpath(rel, sizeof rel, index, cfg->shard_width);
    snprintf(path, sizeof path, "%s/%s/sample.json", cfg->out_dir, rel);
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode) || st.st_size > (64 << 20))
        return -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!text || got != (size_t)st.st_size) {
        free(text);
        return -1;
    }
    text[got] = '\0';
    /* seeds exceed 2^63: read ours from the text, exactly */
    uint64_t seed = mg_sample_seed(cfg->global_seed, index);
    const char *k = strstr(text, "\"seed\"");
    bool seed_ok = false;
    if (k) {
        k += 6;
        while (*k == ' ' || *k == ':' || *k == '\n' || *k == '\t')
            k++;
        char *e;
        errno = 0;
        unsigned long long v = strtoull(k, &e, 10);
        seed_ok = e != k && errno == 0 && v == seed;
    }
    json_t *j = seed_ok ? json_loads(text, JSON_DECODE_INT_AS_REAL, NULL)
                        : NULL;
    free(text);
    if (!j)
        return -1;
    memset(row, 0, sizeof *row);
    row->index = index;
    row->seed = seed;
    row->status = MG_ROW_OK;
    row->split = mg_split_of(seed, cfg->split);
    snprintf(row->path, sizeof row->path, "%s", rel);
    row->score = json_number_value(json_object_get(j, "musicality_score"));
    row->duration = json_number_value(json_object_get(j, "duration_seconds"));
    row->attempt = (int)json_number_value(json_object_get(j, "attempt"));
    row->skipped = true;
    json_decref(j);
    if (row->attempt < 1)
        row->attempt = 1;
    if (!(row->score >= 0 && row->score <= 1) || !(row->duration > 0) ||
        row->duration > MG_ENGINE_MAX_DURATION_S ||
        row->attempt > cfg->max_attempts)
        return -1;
    return 0;
}

/* On resume: a sample finished on disk whose row the ledger lacks (a
 * ledger restored from an older copy, a power cut in non-durable mode)
 * is done - its row is re-derived from its sample.json. */
static int
import_from_disk(mg_coord *c, char *err, size_t errlen)
{
    uint64_t *found = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (size_t r = 0; r < c->ntodo && rc == 0; r++)
        for (uint64_t i = c->todo[r].a; i < c->todo[r].b; i++) {
            mg_row row;
            if (row_from_disk(c, i, &row))
                continue;
            if (!c->in_tx && tx_open(c, err, errlen)) {
                rc = -1;
                break;
            }
            char wrote_at[40];
            mg_rfc3339(wrote_at, sizeof wrote_at, mg_wall_ms());
            if (mg_ledger_put_row(c->ledger, &row, "(found on disk)",
                                  wrote_at, err, errlen) < 0) {
                rc = -1;
                break;
            }
            touch_chunk(c, mg_ledger_chunk_of(c->ledger, i));
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                uint64_t *f = realloc(found, cap * sizeof *f);
                if (!f) {
                    snprintf(err, errlen, "out of memory");
                    rc = -1;
                    break;
                }
                found = f;
            }
            found[n++] = i;
        }
    if (rc == 0 && c->in_tx)
        rc = tx_commit(c, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++)
        todo_sub(c, found[i], found[i] + 1);
    c->st.rows_from_disk = n;
    if (rc == 0 && n && !c->o.quiet)
        mg_dlog(WHO, "%zu sample(s) complete on disk had no row in the "
                "ledger: their rows are re-derived from sample.json", n);
    free(found);
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
    want.chunk = c->o.chunk ? c->o.chunk : 64;   /* status bookkeeping */
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
                    "from %" PRIu64 ", %s", want.global_seed,
                    want.count, want.start, c->o.chunk ? "fixed leases"
                    : "leases sized by measured sample time");
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
    if (build_todo(c, err, errlen) ||
        (rc == 1 && import_from_disk(c, err, errlen)))
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
    if (c->o.heartbeat_ms < 50)
        c->o.heartbeat_ms = 50;
    if (c->o.liveness < 2)
        c->o.liveness = 2;
    if (c->o.progress_ms < 50)
        c->o.progress_ms = 50;
    if (!(c->o.lease_s > 0))
        c->o.lease_s = 2.0;
    /* ids of this session's leases: after any id an earlier session of
     * this ledger handed out (it started earlier; 65536 leases per ms of
     * its life), so a worker's lease from before our restart is never
     * mistaken for one of ours */
    c->lease_base = (uint64_t)mg_wall_ms() << 16;
    /* The endpoint first: a bad --bind must leave nothing behind (no
     * output directory, no ledger). */
    if (mg_endpoint_check(c->o.bind, true, err, errlen))
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
        if (!err[0])
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
    if (mg_dir_make(c->o.cfg.out_dir)) {
        snprintf(err, errlen, "%s: %s", c->o.cfg.out_dir, strerror(errno));
        goto fail;
    }
    if (lock_ledger(c, err, errlen))
        goto fail;
    c->ledger = mg_ledger_open(c->o.ledger_path, err, errlen);
    if (!c->ledger ||
        mg_ledger_set_durable(c->ledger, c->o.durable, err, errlen) ||
        open_run(c, err, errlen))
        goto fail;
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
        mg_dlog(WHO, "listening on %s%s (ledger %s%s)", c->endpoint,
                c->o.curve_dir ? " with CURVE" : "", c->o.ledger_path,
                c->o.durable ? ", durable" : "");
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
    for (size_t i = 0; i < c->nleases; i++)
        free(c->leases[i].bits);
    free(c->leases);
    free(c->live);
    free(c->seqpos);
    free(c->todo);
    free(c->filtered);
    free(c->banned);
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
    if (tx_commit(c, err, errlen))
        return -1;
    if (mg_ledger_write_manifest(c->ledger, c->o.cfg.out_dir, c->filtered,
                                 c->nfiltered, err, errlen))
        return -1;
    /* the fonts the finished samples used, from their sample.json */
    if (mg_licenses_write(c->o.cfg.out_dir, c->o.cfg.sf_dir, NULL, err,
                          errlen))
        return -1;
    for (size_t i = 0; i < c->npeers; i++)
        send_simple(c, c->peers[i].rid, c->peers[i].rid_len,
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
            /* every index has its row: what is still leased is moot */
            while (c->nlive)
                lease_end(c, &c->leases[c->live[0]], L_DONE);
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
