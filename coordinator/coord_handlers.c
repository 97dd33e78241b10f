/*
 * coord_handlers — one handler per message from a worker (HELLO, JOIN,
 * READY, ROW, ...) and the dispatch of a decoded frame to them.
 *
 * Peer state machine (proto/PROTOCOL.md): unknown --HELLO--> greeted
 * (RUN sent) --JOIN, fingerprint equal--> joined; a different fingerprint
 * gets REFUSE naming the fields and the peer is forgotten. Anything but
 * HELLO from a peer we do not know (e.g. after our restart) gets WHO.
 * Invariant: a row is acknowledged only after the batch holding it is
 * committed (coordinator.c), never here.
 */
#include "coord_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- message handlers ---- */

/* -v: one line per lease, with its estimate in the tail (the order the
 * tail goes out in, and when each job got work) */
static void
log_grant(const peer *p, const lease *l, double cost)
{
    char est[64] = "";
    if (cost >= 0)
        snprintf(est, sizeof est, ", tail, estimate %.3f s", cost);
    else if (l->twin)
        snprintf(est, sizeof est, ", a copy of lease %" PRIu64, l->twin);
    mg_dlog(WHO, "lease %" PRIu64 " to %s: %" PRIu32 " sample%s from %"
            PRIu64 "%s", l->id, p->identity, l->n, l->n == 1 ? "" : "s",
            l->first, est);
}

static void
on_hello(mg_coord *c, const uint8_t *rid, size_t rid_len, const mg_msg *in,
         bool complete)
{
    if (complete) {
        coord_send_simple(c, rid, rid_len, MG_MSG_SHUTDOWN, "run complete");
        return;
    }
    if (coord_is_banned(c, in->identity)) {
        coord_send_simple(c, rid, rid_len, MG_MSG_REFUSE, "this identity was "
                          "dropped for sending invalid rows");
        return;
    }
    /* A reconnecting worker comes back on a new socket: forget the old
     * one; its leases are held by identity and stay its own. */
    for (size_t i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].identity, in->identity) ||
            (c->peers[i].rid_len == rid_len &&
             !memcmp(c->peers[i].rid, rid, rid_len))) {
            coord_drop_peer(c, &c->peers[i]);
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
    coord_send_peer(c, p, &m);
}

typedef struct {
    lease *l;
} lease_mark_ctx;

static int
mark_index(uint64_t index, void *ud)
{
    coord_lease_mark(((lease_mark_ctx *)ud)->l, index);
    return 0;
}

/* Was lease id, of an earlier session, granted to p over [first, first
 * + n)? The ledger says (it keeps every lease granted). When not, said,
 * and the id noted on p: its rows on it are refused but not counted as
 * invalid (a lease granted just before a crash, in the batch it lost, is
 * an honest worker's). */
static bool
granted(mg_coord *c, peer *p, uint64_t id, uint64_t first, uint64_t n)
{
    char holder[64] = "", err[300];
    uint64_t f = 0;
    uint32_t k = 0;
    int rc = mg_ledger_get_lease(c->ledger, id, &f, &k, holder,
                                 sizeof holder, err, sizeof err);
    if (rc < 0)
        mg_dlog(WHO, "%s", err);
    if (rc == 1 && !strcmp(holder, p->identity) && first >= f &&
        first - f + n <= k)
        return true;
    if (p->nunadopted < (int)(sizeof p->unadopted / sizeof *p->unadopted))
        p->unadopted[p->nunadopted++] = id;
    mg_dlog(WHO, "did not adopt lease %" PRIu64 " of %s (%" PRIu64
            " samples from %" PRIu64 "): %s", id, p->identity, n, first,
            rc != 1 ? "the ledger has no such lease"
            : strcmp(holder, p->identity) ? "it was granted to another "
            "worker" : "it was granted over other samples");
    return false;
}

static void
on_join(mg_coord *c, peer *p, const mg_msg *in)
{
    char why[400];
    if (mg_fingerprint_compare(&c->fp, &in->fp, why, sizeof why)) {
        mg_msg m;
        mg_msg_init(&m, MG_MSG_REFUSE);
        /* another musicgen: no data or option of the worker's own
         * remedies it ("engine_version 0.3.0 vs 0.2.0" said neither
         * which was whose nor what to do) */
        if (strcmp(c->fp.engine_version, in->fp.engine_version))
            snprintf(m.reason, sizeof m.reason, "fingerprint differs: this "
                     "worker is musicgen %.31s, the run is musicgen %s's: "
                     "run a worker of musicgen %s", in->fp.engine_version,
                     c->fp.engine_version, c->fp.engine_version);
        else
            snprintf(m.reason, sizeof m.reason, "fingerprint differs: %s",
                     why);
        mg_dlog(WHO, "refused worker %s: %s", p->identity, m.reason);
        coord_send_peer(c, p, &m);
        coord_drop_peer(c, p);
        return;
    }
    p->state = P_JOINED;
    /* JOIN lists the leases the worker still has work of, as (id,
     * first, n). Ours that it does not list go back to the queue (a
     * restarted process reusing a name, work abandoned); ours it lists
     * stay its own; ids of an earlier session of ours (we restarted
     * while it worked) are adopted when the ledger has them as granted
     * to this identity over that range, so its rows are accepted and
     * nothing is done twice. Adopted as declared, any lease a worker
     * listed was its own: it could report rows for indices it was never
     * given (and the manifest listed samples it never made). */
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
        else if (coord_lease_end(c, l, L_RELEASED))
            released++;
    }
    uint64_t start = (uint64_t)c->o.cfg.start;
    uint64_t end = start + (uint64_t)c->o.cfg.count;
    for (uint32_t k = 0; k < nl; k++) {
        uint64_t id = in->acks[3 * k], first = in->acks[3 * k + 1];
        uint64_t n = in->acks[3 * k + 2];
        if (id >= c->lease_base || coord_lease_find(c, id) || n < 1 ||
            n > MG_PROTO_MAX_CHUNK || first < start || first >= end ||
            n > end - first)
            continue;
        if (!granted(c, p, id, first, n))
            continue;
        lease *l = coord_lease_new(c, id, first, (uint32_t)n, p->identity);
        if (!l)
            continue;
        /* what has a row already is done on it */
        char err[256];
        lease_mark_ctx mc = {l};
        if (mg_ledger_indices(c->ledger, first, n, mark_index, &mc, err,
                              sizeof err))
            mg_dlog(WHO, "%s", err);
        coord_todo_sub(c, first, first + n);
        c->st.leases_adopted++;
        if (!c->o.quiet)
            mg_dlog(WHO, "adopted lease %" PRIu64 " of %s (%" PRIu64
                    " samples from %" PRIu64 ")", id, p->identity, n, first);
        if (l->ndone >= l->n)
            coord_lease_end(c, l, L_DONE);
    }
    mg_stats_requeued(c->stats, released);
    if (!c->o.quiet)
        mg_dlog(WHO, "worker %s joined (%d workers)", p->identity,
                coord_joined_count(c));
}

/* READY: the next lease. In the tail a job asks while it renders its
 * last sample (it prefetches one); its READY is held until that sample's
 * row, so each tail sample goes to a job that is free at that moment
 * and a job never waits behind another's prefetched sample at the end. */
static int
on_ready(mg_coord *c, peer *p, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    lease *l = NULL;
    double cost = -1;
    p->held = false;
    if (c->todo_total > 0 && coord_tail_check(c, coord_joined_count(c))) {
        uint64_t index;
        if (coord_peer_busy(c, p)) {
            p->held = true;
            return 0;
        }
        if (coord_tail_take(c, &index, &cost)) {
            l = coord_lease_new(c, c->lease_base + c->nseq, index, 1,
                                p->identity);
            if (!l)
                coord_todo_add(c, index, index + 1);
        }
    } else if (c->todo_total > 0) {
        uint32_t want = coord_lease_size(c, coord_joined_count(c));
        range *r = &c->todo[0];
        uint64_t first = r->a;
        uint32_t n = r->b - r->a < want ? (uint32_t)(r->b - r->a) : want;
        l = coord_lease_new(c, c->lease_base + c->nseq, first, n, p->identity);
        if (l)
            coord_todo_sub(c, first, first + n);
    }
    if (l) {
        c->st.leases_granted++;
        c->st.last_lease_n = l->n;
    } else if (c->todo_total == 0 && c->o.speculate) {
        l = coord_duplicate_straggler(c, p);
    }
    mg_msg m;
    if (!l) {
        mg_msg_init(&m, MG_MSG_NOWORK);
        m.retry_ms = c->o.heartbeat_ms;
        p->mark = 0;
    } else {
        if (c->o.log_leases)
            log_grant(p, l, cost);
        coord_note_grant(c, p, (int64_t)l->id, l->first, l->n);
        mg_msg_init(&m, MG_MSG_GRANT);
        m.lease = l->id;
        m.first = l->first;
        m.n = l->n;
        int64_t g = coord_grace_ms(c) > ttl ? coord_grace_ms(c) : ttl;
        m.ttl_ms = (uint32_t)(g > 86400000 ? 86400000 : g);  /* wire max */
    }
    coord_send_peer(c, p, &m);
    return 0;
}

/* Held READYs whose job has nothing in hand any more (its last lease
 * ended: done, or re-queued for want of progress) are answered now. */
void
coord_serve_held(mg_coord *c)
{
    for (size_t i = 0; i < c->npeers; i++) {
        peer *p = &c->peers[i];
        if (p->held && !coord_peer_busy(c, p))
            on_ready(c, p, NULL, 0);
    }
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
    coord_send_peer(c, p, &m);
    int n = coord_release_holder(c, p->identity);
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
    coord_drop_peer(c, p);
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
    if (coord_check_row(c, p, in, &l, why, sizeof why)) {
        c->st.rows_rejected++;
        mg_stats_row_rejected(c->stats);
        for (int i = 0; i < p->nunadopted; i++)
            if (p->unadopted[i] == in->lease)
                return 0;   /* said once, at its JOIN */
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
    lease *t = coord_live_twin(c, l);
    coord_lease_mark(l, in->index);
    if (l->state == L_LIVE)
        l->progress_at = now;
    if (l->state == L_LIVE && l->ndone >= l->n)
        coord_lease_end(c, l, L_DONE);
    if (t) {
        coord_lease_mark(t, in->index);
        if (t->ndone >= t->n)
            coord_lease_end(c, t, L_DONE);
    }
    mg_row row;
    mg_msg_to_row(in, &row, c->o.cfg.shard_width);
    char wrote_at[40];
    mg_rfc3339(wrote_at, sizeof wrote_at, mg_wall_ms());
    if (coord_tx_open(c, err, errlen))
        return -1;
    int rc = mg_ledger_put_row(c->ledger, &row, p->identity, wrote_at, err,
                               errlen);
    if (rc < 0)
        return -1;
    if (rc == 0)
        c->st.rows_duplicate++;
    if (rc == 1) {
        coord_note_row(c, p, &row);
        c->done++;
        c->st.rows_accepted++;
        if (row.skipped)
            c->skipped++;
        if (row.status == MG_ROW_FAILED) {
            c->failed++;
            mg_dlog(WHO, "sample %" PRIu64 " failed on %s: %s", row.index,
                    p->identity, row.error);
        }
        coord_touch_chunk(c, mg_ledger_chunk_of(c->ledger, row.index));
    }
    /* its sample in hand is done: a held READY gets its lease now */
    if (p->held && !coord_peer_busy(c, p))
        on_ready(c, p, err, errlen);
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

void
coord_log_bad(mg_coord *c, const char *why)
{
    /* One line per bad frame, but a flood cannot drown the log. */
    c->st.bad_frames++;
    mg_stats_bad_message(c->stats);
    if (c->st.bad_frames <= 20 || c->st.bad_frames % 1000 == 0)
        mg_dlog(WHO, "dropped a malformed message (%" PRIu64 " so far): %s",
                c->st.bad_frames, why);
}

/* Is `identity` live: a connected peer, or a live lease it holds? At
 * most how many ms until it is not (its peer's silence counts as lost,
 * its leases are re-queued), if it stays silent, into *left. */
static bool
identity_live(const mg_coord *c, const char *identity, int64_t *left)
{
    int64_t ttl = (int64_t)c->o.heartbeat_ms * c->o.liveness;
    bool live = false;
    *left = 0;
    for (size_t i = 0; i < c->npeers; i++)
        if (!strcmp(c->peers[i].identity, identity)) {
            int64_t l = ttl - (mg_mono_ms() - c->peers[i].last_seen);
            *left = l > *left ? l : *left;
            live = true;
        }
    for (size_t i = 0; i < c->nlive; i++)
        if (!strcmp(c->leases[c->live[i]].holder, identity)) {
            int64_t g = coord_grace_ms(c);
            *left = g > *left ? g : *left;
            live = true;
            break;
        }
    return live;
}

/* CURVE: how long after our start a binding of an earlier session holds
 * for its worker to come back: a worker that outlived the restart says
 * HELLO again within its beats and its longest reconnection wait. */
static int64_t
restart_hold_ms(const mg_coord *c)
{
    return (int64_t)c->o.heartbeat_ms * c->o.liveness +
           MG_PROTO_BACKOFF_MAX_MS;
}

static keyed_identity *
keyed_add(mg_coord *c, const char *identity, const char *key)
{
    if (c->nkeyed == c->cap_keyed) {
        size_t cap = c->cap_keyed ? c->cap_keyed * 2 : 16;
        keyed_identity *nk = realloc(c->keyed, cap * sizeof *nk);
        if (!nk)
            return NULL;
        c->keyed = nk;
        c->cap_keyed = cap;
    }
    keyed_identity *k = &c->keyed[c->nkeyed++];
    memset(k, 0, sizeof *k);
    snprintf(k->identity, sizeof k->identity, "%s", identity);
    snprintf(k->key, sizeof k->key, "%s", key);
    return k;
}

/* The binding of k goes to the ledger: a restart keeps it. A ledger that
 * cannot take it is said; the binding holds in this session still. */
static void
keyed_keep(mg_coord *c, const keyed_identity *k)
{
    char err[300];
    if (mg_ledger_put_key(c->ledger, k->identity, k->key, err, sizeof err))
        mg_dlog(WHO, "identity %s: its CURVE key is not kept for a restart: "
                "%s", k->identity, err);
}

static int
load_key(const char *identity, const char *key, void *ud)
{
    keyed_identity *k = keyed_add(ud, identity, key);
    if (k)
        k->earlier = true;
    return k ? 0 : 1;
}

int
coord_keys_load(mg_coord *c, char *err, size_t errlen)
{
    size_t n = c->nkeyed;
    if (mg_ledger_foreach_key(c->ledger, load_key, c, err, errlen))
        return -1;
    if (c->nkeyed < n) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Once the earlier session's workers have had their time to come back,
 * the bindings of those that did not are moot (another key's HELLO
 * would take them): dropped, not searched at every message. */
static void
keyed_prune(mg_coord *c, int64_t now)
{
    if (c->keyed_pruned || now - c->started < restart_hold_ms(c))
        return;
    size_t k = 0;
    for (size_t i = 0; i < c->nkeyed; i++)
        if (!c->keyed[i].earlier)
            c->keyed[k++] = c->keyed[i];
    c->nkeyed = k;
    c->keyed_pruned = true;
}

/* CURVE: an identity belongs to the key of its first HELLO while it is
 * live (a connected peer or a live lease: what another key must not
 * take). true when `identity` is bound to another key than `key` (the
 * peer is refused, logged once per binding); a new identity is bound to
 * `key` on HELLO, and so is one no longer live: a worker restarted with
 * a new key takes its identity back once the old one's connection has
 * been declared lost (its leases re-queued with it), not only after a
 * restart of the coordinator. Bindings are kept in the ledger: after our
 * restart an identity bound before it is held for its worker, which may
 * be on its way back with its leases, for restart_hold_ms (kept in
 * memory alone, the first authorised key to say HELLO after a restart
 * took any identity, another key's included). */
static bool
key_refused(mg_coord *c, const uint8_t *rid, size_t rid_len,
            const char *identity, const char *key, bool hello)
{
    int64_t now = mg_mono_ms();
    keyed_prune(c, now);
    keyed_identity *k = NULL;
    for (size_t i = 0; i < c->nkeyed && !k; i++)
        if (!strcmp(c->keyed[i].identity, identity))
            k = &c->keyed[i];
    if (!k) {
        if (!hello)
            return false;
        k = keyed_add(c, identity, key);
        if (!k)
            return true;    /* unbound is not safe: refuse for now */
        keyed_keep(c, k);
        return false;
    }
    if (!strcmp(k->key, key)) {
        k->earlier = false;     /* its worker is back */
        return false;
    }
    int64_t left;
    bool live = identity_live(c, identity, &left);
    int64_t hold = k->earlier ? c->started + restart_hold_ms(c) - now : 0;
    if (hold > 0) {
        live = true;
        left = hold > left ? hold : left;
    }
    if (hello && !live) {
        mg_dlog(WHO, "identity %s: bound to CURVE key %s now (its worker "
                "with key %s is gone)", identity, key, k->key);
        snprintf(k->key, sizeof k->key, "%s", key);
        k->warned = false;
        k->earlier = false;
        keyed_keep(c, k);
        return false;
    }
    char reason[400];
    long long s = (long long)((left > 0 ? left : 0) + 999) / 1000;
    if (hold > 0)
        snprintf(reason, sizeof reason, "identity %.64s is in use by a "
                 "worker with another CURVE key (give each worker its own "
                 "--identity; bound to that key before the coordinator "
                 "restarted, it is kept for that worker to come back: a "
                 "worker restarted with a new key takes it in %lld s)",
                 identity, s);
    else
        snprintf(reason, sizeof reason, "identity %.64s is in use by a "
                 "worker with another CURVE key (give each worker its own "
                 "--identity; a worker restarted with a new key takes it "
                 "back once the old one's connection and leases are "
                 "released, within %lld s of its last message)", identity,
                 s);
    if (!k->warned)
        mg_dlog(WHO, "refused a peer: identity %s is bound to CURVE key %s, "
                "the peer's key is %s (said once per identity)", identity,
                k->key, key);
    k->warned = true;
    coord_send_simple(c, rid, rid_len, MG_MSG_REFUSE, reason);
    return true;
}

int
coord_handle(mg_coord *c, const uint8_t *rid, size_t rid_len,
             const uint8_t *buf, size_t len, const char *key, bool complete,
             char *err, size_t errlen)
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
            coord_send_simple(c, rid, rid_len, MG_MSG_REFUSE, reason);
            return 0;
        }
        coord_log_bad(c, why);
        return 0;
    }
    int rc = 0;
    peer *p = coord_find_peer(c, rid, rid_len);
    const char *who = m.type == MG_MSG_HELLO ? m.identity
                      : p ? p->identity : NULL;
    if (key && who && !complete &&
        key_refused(c, rid, rid_len, who, key, m.type == MG_MSG_HELLO))
        goto out;
    if (m.type == MG_MSG_HELLO) {
        on_hello(c, rid, rid_len, &m, complete);
        goto out;
    }
    if (!p) {
        if (m.type != MG_MSG_BYE && m.type != MG_MSG_REFUSE)
            coord_send_simple(c, rid, rid_len,
                              complete ? MG_MSG_SHUTDOWN : MG_MSG_WHO,
                              complete ? "run complete" : NULL);
        goto out;
    }
    p->last_seen = mg_mono_ms();
    if (p->state == P_GREETED && m.type != MG_MSG_JOIN &&
        m.type != MG_MSG_HEARTBEAT && m.type != MG_MSG_BYE) {
        coord_log_bad(c, "message before JOIN");
        goto out;
    }
    switch (m.type) {
    case MG_MSG_JOIN:
        if (p->state == P_GREETED)
            on_join(c, p, &m);
        break;
    case MG_MSG_READY:
        if (complete)
            coord_send_simple(c, rid, rid_len, MG_MSG_SHUTDOWN,
                              "run complete");
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
        int released = coord_release_holder(c, p->identity);
        mg_stats_requeued(c->stats, released);
        /* its rows still wait for the commit; ack them then is moot */
        coord_drop_peer(c, p);
        break;
    default:
        coord_log_bad(c, "a message only a coordinator sends");
        break;
    }
out:
    mg_msg_clear(&m);
    return rc;
}
