/*
 * coord_status — what a run shows while it lasts: the status page's
 * snapshot and /metrics (coordinator/http.c, only with --http), the
 * progress line (or the caller's progress callback) and the "progress"
 * meta row in the ledger.
 *
 * Invariants: nothing here changes the work or the ledger's rows; the
 * rate is over a sliding window of the last 12 progress ticks; without
 * --http (c->stats NULL) the status-page hooks do nothing.
 */
#include "coord_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what the status page shows (only when c->stats) ---- */

void
coord_note_grant(mg_coord *c, peer *p, int64_t id, uint64_t first, uint32_t n)
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
void
coord_note_row(mg_coord *c, peer *p, const mg_row *row)
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

/* The live gauges of /metrics: after each message and each beat. */
void
coord_gauges(mg_coord *c)
{
    if (!c->stats)
        return;
    mg_stats_gauges(c->stats, c->nlive, (uint64_t)coord_joined_count(c));
}

void
coord_publish(mg_coord *c, double rate, double eta_s, bool complete)
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
    coord_gauges(c);
    c->last_publish = mono;
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

int
coord_progress(mg_coord *c, bool final, char *err, size_t errlen)
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
        coord_joined_count(c), (double)(now - c->started) / 1000.0,
        (uint64_t)c->o.cfg.start, c->grew_from, c->shrank_from,
    };
    coord_publish(c, p.rate, p.eta_s, final && c->done >= total);
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
    if (coord_tx_open(c, err, errlen) ||
        mg_ledger_set_meta(c->ledger, "progress", json, err, errlen))
        return -1;
    c->last_progress = now;
    return 0;
}
