/*
 * coord_lease — the work: the queue of index ranges with no row and no
 * lease (ascending, disjoint), the leases granted on it, their sizing,
 * their end (done, released, re-queued) and the duplicate lease a
 * straggler's work gets.
 *
 * Invariants:
 * - Leases live in memory and are held by the worker's identity, not its
 *   socket; a lease that ends is kept, so a late row from its holder is
 *   still recognised.
 * - A live worker's lease is renewed only by rows on it: the oldest
 *   unfinished lease of a worker that makes no progress for the grace
 *   time is re-queued.
 * - Lease sizes follow the measured time per sample (guided: at most
 *   lease_s seconds of work, at most 1/(2 x jobs) of what is left before
 *   the tail window).
 * - The tail: once what is queued fits the window (TAIL_PER_JOB samples
 *   per joined job), every lease is one sample, the one with the largest
 *   estimated cost (mg_plan_cost: its seconds of audio; ties by lower
 *   index), so the run ends on its shortest samples and the jobs finish
 *   together. Only the window is ever estimated, never the whole run.
 *   Once entered the tail lasts (re-queued work joins it), and every
 *   queued index is in the heap. --chunk (fixed leases) has no tail.
 */
#include "coord_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Samples per joined job in the tail window: enough that longest-first
 * absorbs what the jobs' work in hand differs by on entry (about two
 * samples each), few enough that a million-sample run estimates a few
 * thousand. */
#define TAIL_PER_JOB 8

/* p, an array of n elements of `size` bytes with room for *cap, with
 * room for one more (the capacity doubled from `first` when full): the
 * array, moved or not, or NULL when out of memory (p is then kept). */
static void *
grow(void *p, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return p;
    size_t nc = *cap ? *cap * 2 : first;
    void *g = realloc(p, nc * size);
    if (g)
        *cap = nc;
    return g;
}

/* ---- the work queue (ranges without a row, not leased) ---- */

static int
todo_insert(mg_coord *c, size_t pos, range r)
{
    range *t = grow(c->todo, c->ntodo, &c->cap_todo, sizeof *t, 16);
    if (!t)
        return -1;
    c->todo = t;
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

/* The first range in the queue that ends after x (by_end) or starts
 * after x: a binary search, the queue being ascending and disjoint. */
static size_t
todo_after(const mg_coord *c, uint64_t x, bool by_end)
{
    size_t lo = 0, hi = c->ntodo;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((by_end ? c->todo[mid].b : c->todo[mid].a) <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool
todo_has(const mg_coord *c, uint64_t x)
{
    size_t i = todo_after(c, x, true);
    return i < c->ntodo && c->todo[i].a <= x;
}

/* ---- the tail heap (max cost on top, then the lower index) ---- */

static bool
above(const tail_item *x, const tail_item *y)
{
    return x->cost > y->cost || (x->cost == y->cost && x->index < y->index);
}

static int
heap_push(mg_coord *c, uint64_t index)
{
    tail_item *h = grow(c->heap, c->nheap, &c->cap_heap, sizeof *h, 64);
    if (!h)
        return -1;
    c->heap = h;
    tail_item it = {c->plan ? mg_plan_cost(c->plan, c->o.cfg.global_seed,
                                           index) : 0.0, index};
    size_t k = c->nheap++;
    while (k > 0 && above(&it, &h[(k - 1) / 2])) {
        h[k] = h[(k - 1) / 2];
        k = (k - 1) / 2;
    }
    h[k] = it;
    return 0;
}

static tail_item
heap_pop(mg_coord *c)
{
    tail_item *h = c->heap, top = h[0], last = h[--c->nheap];
    size_t k = 0, n = c->nheap;
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, m = k;
        const tail_item *best = &last;
        if (l < n && above(&h[l], best)) {
            m = l;
            best = &h[l];
        }
        if (r < n && above(&h[r], best))
            m = r;
        if (m == k)
            break;
        h[k] = h[m];
        k = m;
    }
    if (n)
        h[k] = last;
    return top;
}

static int
heap_push_range(mg_coord *c, uint64_t a, uint64_t b)
{
    for (uint64_t i = a; i < b; i++)
        if (heap_push(c, i))
            return -1;
    return 0;
}

/* Take [a, b) out of the queue (what of it is there). */
int
coord_todo_sub(mg_coord *c, uint64_t a, uint64_t b)
{
    size_t lo = todo_after(c, a, true);
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
    if (a >= b || coord_todo_sub(c, a, b))
        return -1;
    size_t lo = todo_after(c, a, false);
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

/* Put [a, b) (back) in the queue; in the tail, in the heap too. */
int
coord_todo_add(mg_coord *c, uint64_t a, uint64_t b)
{
    if (todo_add(c, a, b))
        return -1;
    return c->tail ? heap_push_range(c, a, b) : 0;
}

/* Enter the tail once what is queued fits the window of `jobs` joined
 * jobs (never with fixed leases); true while in it. Entering estimates
 * each queued index once (microseconds each). */
bool
coord_tail_check(mg_coord *c, int jobs)
{
    if (c->tail || c->o.chunk)
        return c->tail;
    uint64_t w = (uint64_t)TAIL_PER_JOB * (uint64_t)(jobs > 0 ? jobs : 1);
    if (c->todo_total > w)
        return false;
    for (size_t i = 0; i < c->ntodo; i++)
        if (heap_push_range(c, c->todo[i].a, c->todo[i].b)) {
            c->nheap = 0;
            return false;
        }
    c->tail = true;
    if (!c->o.quiet)
        mg_dlog(WHO, "the last %" PRIu64 " samples go out one at a time, "
                "longest first%s", c->todo_total,
                c->plan ? "" : " (no estimates: in index order)");
    return true;
}

/* The queued index of the tail with the largest estimated cost, taken
 * out of the queue; false when none is left. */
bool
coord_tail_take(mg_coord *c, uint64_t *index, double *cost)
{
    while (c->nheap) {
        tail_item it = heap_pop(c);
        if (!todo_has(c, it.index))
            continue;           /* stale: leased or done since */
        coord_todo_sub(c, it.index, it.index + 1);
        *index = it.index;
        *cost = it.cost;
        return true;
    }
    return false;
}

/* Does p hold a live lease (a sample in hand)? A live lease always has
 * work left: it ends when its last row comes. */
bool
coord_peer_busy(const mg_coord *c, const peer *p)
{
    for (size_t k = 0; k < c->nlive; k++)
        if (!strcmp(c->leases[c->live[k]].holder, p->identity))
            return true;
    return false;
}

/* ---- leases ---- */

static bool is_head(const mg_coord *c, const struct lease_s *l);

lease *
coord_lease_find(mg_coord *c, uint64_t id)
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

bool
coord_lease_has(const lease *l, uint64_t index)
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
lease *
coord_lease_new(mg_coord *c, uint64_t id, uint64_t first, uint32_t n,
                const char *holder)
{
    lease *ls = grow(c->leases, c->nleases, &c->cap_leases, sizeof *ls, 64);
    if (!ls)
        return NULL;
    c->leases = ls;
    size_t *lv = grow(c->live, c->nlive, &c->cap_live, sizeof *lv, 64);
    if (!lv)
        return NULL;
    c->live = lv;
    bool ours = id >= c->lease_base;
    size_t *q = ours ? grow(c->seqpos, c->nseq, &c->cap_seq, sizeof *q, 64)
                     : c->seqpos;
    if (ours && !q)
        return NULL;
    c->seqpos = q;
    /* a lease of ours goes to the ledger (in the batch): after a restart
     * a worker is given back only the leases it was granted. One the
     * ledger cannot take is not granted. */
    char err[300];
    if (ours && (coord_tx_open(c, err, sizeof err) ||
                 mg_ledger_put_lease(c->ledger, id, first, n, holder, err,
                                     sizeof err))) {
        mg_dlog(WHO, "lease not granted: %s", err);
        return NULL;
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
void
coord_lease_mark(lease *l, uint64_t index)
{
    if (!l->bits || !coord_lease_has(l, index))
        return;
    uint64_t k = index - l->first;
    if (l->bits[k / 8] >> (k % 8) & 1)
        return;
    l->bits[k / 8] |= (uint8_t)(1u << (k % 8));
    l->ndone++;
}

lease *
coord_live_twin(mg_coord *c, const lease *l)
{
    lease *t = l->twin ? coord_lease_find(c, l->twin) : NULL;
    return t && t->state == L_LIVE ? t : NULL;
}

/* End a live lease: DONE (every index reported) or RELEASED (its
 * unfinished indices go back to the queue, except those its live twin
 * still covers). Returns the number of indices re-queued. */
uint64_t
coord_lease_end(mg_coord *c, lease *l, lease_state state)
{
    uint64_t requeued = 0;
    if (state == L_RELEASED) {
        lease *t = coord_live_twin(c, l);
        uint64_t run_a = 0;
        bool open = false;
        for (uint64_t i = l->first; i <= l->first + l->n; i++) {
            bool want = i < l->first + l->n && !lease_bit(l, i) &&
                        !(t && coord_lease_has(t, i));
            if (want && !open) {
                run_a = i;
                open = true;
            } else if (!want && open) {
                coord_todo_add(c, run_a, i);
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
int
coord_release_holder(mg_coord *c, const char *holder)
{
    int n = 0;
    for (size_t i = c->nlive; i-- > 0;) {
        lease *l = &c->leases[c->live[i]];
        if (!strcmp(l->holder, holder) && coord_lease_end(c, l, L_RELEASED))
            n++;
    }
    return n;
}

/* How long the lease a worker is on may go without a row. */
int64_t
coord_grace_ms(const mg_coord *c)
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
void
coord_check_leases(mg_coord *c, int64_t now)
{
    int64_t grace = coord_grace_ms(c);
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
        uint64_t back = coord_lease_end(c, l, L_RELEASED);
        mg_stats_requeued(c->stats, back ? 1 : 0);
        mg_dlog(WHO, "lease %" PRIu64 " of %s made no progress for %" PRId64
                " ms: %" PRIu64 " sample(s) re-queued", id, holder,
                now - last, back);
    }
}

/* Indices for the next lease: fixed (--chunk), else guided - at most
 * lease_s seconds of measured work and at most 1/(2 x jobs) of what is
 * left before the tail window, one sample while nothing is measured
 * yet - so every job has work at the start, the leases shrink towards
 * the tail and none reaches into it (the tail's are one sample each,
 * coord_tail_take). */
uint32_t
coord_lease_size(const mg_coord *c, int jobs)
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
        if (jobs < c->o.expect_jobs)
            jobs = c->o.expect_jobs;
        uint64_t j = (uint64_t)(jobs > 0 ? jobs : 1), share = 2 * j;
        uint64_t w = TAIL_PER_JOB * j;
        uint64_t before = c->todo_total > w ? c->todo_total - w : 1;
        uint64_t guided = (before + share - 1) / share;
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
 * another worker's unfinished work: first the back half of the samples
 * waiting behind the one their holder is on - a lease of two or more
 * queued behind its current lease, or those behind the current sample in
 * its current lease, two or more (the holder then finds those samples on
 * disk) - else, with speculate_running (not embedded generate), the
 * unfinished part of the lease a straggler is on - no row for twice the
 * measured sample time. Never its own, never one already copied. The
 * first row per index wins and the copy is harmless (the engine's rename
 * makes one of two writers the winner, the other reports the sample
 * found on disk). */
lease *
coord_duplicate_straggler(mg_coord *c, const peer *p)
{
    lease *best = NULL;
    bool best_waits = false, best_behind = false;
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
        /* A lease its holder is on: the unfinished part of a straggler's
         * (no row for twice the sample time; only with
         * speculate_running), else the samples behind the one its holder
         * is on (its first not done: a job renders its lease in order),
         * two or more, as those of a waiting lease. */
        bool behind = false;
        if (!waits) {
            bool straggles = false;
            if (c->o.speculate_running) {
                const peer *h = peer_of(c, l->holder);
                int64_t since = l->progress_at;
                if (h && h->last_row_at > since)
                    since = h->last_row_at;
                straggles = now - since >= slow;
            }
            if (!straggles && l->n - l->ndone < 3)
                continue;
            behind = !straggles;
        }
        waits |= behind;
        uint32_t left = l->n - l->ndone, bleft = best ? best->n - best->ndone
                                                       : 0;
        if (!best || (waits && !best_waits) ||
            (waits == best_waits && left > bleft)) {
            best = l;
            best_waits = waits;
            best_behind = behind;
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
    if (best_behind)
        lo++; /* not the sample its holder is on */
    if (best_waits)
        lo += (hi - lo + 1) / 2;
    uint64_t orig = best->id;
    lease *d = coord_lease_new(c, c->lease_base + c->nseq, lo,
                               (uint32_t)(hi - lo + 1), p->identity);
    if (!d)
        return NULL;
    best = coord_lease_find(c, orig);        /* lease_new may have moved it */
    best->twin = d->id;
    d->twin = orig;
    c->st.leases_duplicated++;
    return d;
}
