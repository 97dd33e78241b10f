/*
 * coord_priv.h — what the files of the coordinator share, and nobody
 * else: the mg_coord object, its peers, leases and work ranges, and the
 * functions one part calls in another (prefix coord_). Not a public
 * header: only coordinator/coord*.c include it (coordinator.h is the API).
 *
 * The parts, one concern each:
 *   coordinator.c     options, sending, peers, the write batch, the
 *                     heartbeat, the socket monitor and the event loop
 *   coord_setup.c     mg_coord_new/destroy: the run in the ledger, the
 *                     resume-time disk check and import, CURVE, the lock
 *   coord_handlers.c  one handler per message (HELLO, JOIN, READY, ROW)
 *   coord_rows.c      row checks (PROTOCOL.md, "Row checks"), bans
 *   coord_lease.c     the work queue, leases, lease sizing, the tail
 *                     (longest first), stragglers
 *   coord_status.c    the status page, progress lines and meta row
 * The invariants of the whole are at the top of coordinator.c.
 */
#ifndef MG_COORD_PRIV_H
#define MG_COORD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordinator.h"
#include "dlog.h"
#include "engine.h"
#include "http.h"
#include "ledger.h"
#include "plan.h"
#include "proto.h"
#include "stats.h"

#define WHO "coordinator"
#define BATCH_MAX 8192          /* rows per commit, at most */
#define BATCH_MS 20             /* a row waits at most this for commit */
#define STOP_DRAIN_MS 6000      /* a stop waits this for the rows in hand
                                   (a worker's own wait is 5 s) */
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
    bool held;                  /* its READY waits for the sample in hand
                                   (the tail of a run, coord_lease.c) */
    /* leases of an earlier session its JOIN listed that the ledger has
     * not as its own (granted just before a crash, the batch that held
     * them lost): its rows on them are refused, not held against it */
    uint64_t unadopted[16];
    int nunadopted;
} peer;

/* CURVE: the key a worker identity first said HELLO with (the z85 text
 * libzmq gives as the frame's "User-Id"); while the identity has a peer
 * or a live lease no other authorised key can take it or its leases
 * (coord_handlers.c's key_refused), after that a new key's HELLO binds it.
 * Kept in the ledger: a binding of an earlier session holds after our
 * restart until its worker is back, or could have been (restart_hold). */
typedef struct {
    char identity[64];
    char key[48];
    bool warned;                /* a refusal of it was logged */
    bool earlier;               /* from the ledger, its key not seen since */
} keyed_identity;

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

/* A queued index of the tail and its estimated cost (mg_plan_cost). */
typedef struct {
    double cost;
    uint64_t index;
} tail_item;

struct mg_coord {
    mg_coord_opts o;
    mg_ledger *ledger;
    int lock_fd;
    int run_fd; /* the run root's lock (runlock.h) */
    uint64_t grew_from; /* the run's count before it grew (0: it did not) */
    uint64_t shrank_from; /* before it shrank (0: it did not) */
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
    /* the tail of the run: once what is queued fits the window (a few
     * samples per job), single-sample leases, longest estimate first;
     * every queued index is then in the heap (entries may be stale:
     * checked against the queue when taken) */
    mg_plan *plan;              /* NULL: no estimates, index order */
    bool tail;
    tail_item *heap;            /* max-heap by cost, then lower index */
    size_t nheap, cap_heap;
    char (*banned)[64];
    size_t nbanned;
    keyed_identity *keyed;      /* CURVE: identity -> key (see above) */
    size_t nkeyed, cap_keyed;
    bool keyed_pruned;          /* the earlier session's not back dropped */
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

/* ---- coordinator.c ------------------------------------------------ */
void coord_drop_peer(mg_coord *c, peer *p);
peer *coord_find_peer(mg_coord *c, const uint8_t *rid, size_t len);
int coord_joined_count(const mg_coord *c);
void coord_send_peer(mg_coord *c, peer *p, const mg_msg *m);
void coord_send_simple(mg_coord *c, const uint8_t *rid, size_t rid_len,
                       mg_msg_type type, const char *reason);
void coord_touch_chunk(mg_coord *c, int64_t id);
int coord_tx_commit(mg_coord *c, char *err, size_t errlen);
/* coord_range.c: want differs from the ledger's run (have) in its range
 * alone: 1 (c->o.cfg's range and c->run_json now the run's), 0 when
 * something else differs too, -1 with err; and the refusal of a run that
 * differs in more, naming it (why: mg_ledger_check_run's list). */
int coord_range_only(mg_coord *c, const mg_ledger_run *have,
                     const mg_ledger_run *want, char *err, size_t errlen);
void coord_range_refuse(const mg_coord *c, const mg_ledger_run *have,
                        const mg_ledger_run *want, char *why, size_t n,
                        char *err, size_t errlen);
int coord_tx_open(mg_coord *c, char *err, size_t errlen);

/* ---- coord_status.c ----------------------------------------------- */
void coord_note_grant(mg_coord *c, peer *p, int64_t id, uint64_t first,
                      uint32_t n);
void coord_note_row(mg_coord *c, peer *p, const mg_row *row);
int coord_progress(mg_coord *c, bool final, char *err, size_t errlen);
void coord_publish(mg_coord *c, double rate, double eta_s, bool complete);
void coord_gauges(mg_coord *c);

/* ---- coord_lease.c ------------------------------------------------ */
void coord_check_leases(mg_coord *c, int64_t now);
lease *coord_duplicate_straggler(mg_coord *c, const peer *p);
int64_t coord_grace_ms(const mg_coord *c);
uint64_t coord_lease_end(mg_coord *c, lease *l, lease_state state);
lease *coord_lease_find(mg_coord *c, uint64_t id);
bool coord_lease_has(const lease *l, uint64_t index);
void coord_lease_mark(lease *l, uint64_t index);
lease *coord_lease_new(mg_coord *c, uint64_t id, uint64_t first, uint32_t n,
                       const char *holder);
uint32_t coord_lease_size(const mg_coord *c, int jobs);
bool coord_peer_busy(const mg_coord *c, const peer *p);
bool coord_tail_check(mg_coord *c, int jobs);
bool coord_tail_take(mg_coord *c, uint64_t *index, double *cost);
lease *coord_live_twin(mg_coord *c, const lease *l);
int coord_release_holder(mg_coord *c, const char *holder);
int coord_todo_add(mg_coord *c, uint64_t a, uint64_t b);
int coord_todo_sub(mg_coord *c, uint64_t a, uint64_t b);

/* ---- coord_rows.c ------------------------------------------------- */
int coord_check_row(mg_coord *c, const peer *p, const mg_msg *in, lease **lp,
                    char *why, size_t n);
bool coord_is_banned(const mg_coord *c, const char *identity);

/* ---- coord_handlers.c --------------------------------------------- */
/* key: the CURVE key the frame came with (User-Id), NULL without CURVE */
int coord_handle(mg_coord *c, const uint8_t *rid, size_t rid_len,
                 const uint8_t *buf, size_t len, const char *key,
                 bool complete, char *err, size_t errlen);
void coord_log_bad(mg_coord *c, const char *why);
void coord_serve_held(mg_coord *c);
/* CURVE: the bindings of identities to keys kept in the ledger, loaded
 * at start (see keyed_identity). 0, or -1 with err. */
int coord_keys_load(mg_coord *c, char *err, size_t errlen);

#endif
