/*
 * stats — what the coordinator shows on its status page and /metrics.
 *
 * The coordinator's loop is the only writer: it reports events (a row
 * stored, a lease granted or re-queued, a commit and its latency) and
 * publishes a snapshot of its workers and progress now and then. Readers
 * (the HTTP thread, coordinator/http.c) only ever get a rendering made
 * under the same mutex: nothing here touches the ledger or a socket, so
 * the HTTP thread never shares the SQLite handle with the loop.
 *
 * Counters follow Prometheus conventions: monotonic within a process,
 * samples counted from the ledger's state at start (so at the end of a
 * run they equal the ledger's ok and failed rows).
 */
#ifndef MG_STATS_H
#define MG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_stats mg_stats;

/* One worker, as the loop last saw it. */
typedef struct {
    char identity[64];
    bool joined;
    int64_t last_seen_ms;       /* wall clock of its last message */
    int64_t lease;              /* -1: none */
    uint64_t lease_first;
    uint32_t lease_n;
    uint64_t rows;
} mg_stats_worker;

typedef struct {
    uint64_t total, done, failed;
    double rate, eta_s, elapsed_s;
    uint64_t leases_active;
    bool complete;
} mg_stats_progress;

mg_stats *mg_stats_new(const char *title, uint64_t done, uint64_t failed,
                       uint64_t total);
void mg_stats_destroy(mg_stats **s);

/* ---- the loop's side ---- */
/* A row newly stored in the ledger; render_s < 0 when unknown. */
void mg_stats_row(mg_stats *s, const char *worker, uint64_t index, bool ok,
                  bool skipped, double score, double duration,
                  const char *error, double render_s);
void mg_stats_commit(mg_stats *s, double seconds);
void mg_stats_lease_granted(mg_stats *s);
void mg_stats_requeued(mg_stats *s, int n);
void mg_stats_bad_message(mg_stats *s);
/* A ROW refused by the coordinator's row checks. */
void mg_stats_row_rejected(mg_stats *s);
void mg_stats_publish(mg_stats *s, const mg_stats_progress *p,
                      const mg_stats_worker *w, size_t nw);
/* The gauges of now (leases held, workers joined), set as they change,
 * so that /metrics shows them as live as its counters (a snapshot of
 * the last publish showed a granted lease as not active). */
void mg_stats_gauges(mg_stats *s, uint64_t leases_active,
                     uint64_t workers_joined);

/* ---- the readers' side (any thread); malloc'd, NULL on no memory ---- */
char *mg_stats_json(mg_stats *s);
char *mg_stats_metrics(mg_stats *s);

#endif
