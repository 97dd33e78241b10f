/*
 * row_forger — a joined peer that forges rows, for the coordinator's row
 * checks (tests/system/dist_forged_rows.sh):
 *
 *   row_forger ENDPOINT
 *
 * It speaks the protocol correctly (HELLO, JOIN with the run's own
 * fingerprint, READY) and holds a real lease, then sends rows that the
 * run could never have produced: a wrong seed, a foreign run's seed, an
 * index outside its lease or the run, leases never granted to it, a
 * wrong split, scores and durations out of range, attempts 0 and
 * 1,000,000, an ok row with an error, a failed row without one. None may
 * be acknowledged. It goes on until the coordinator drops it (REFUSE),
 * then checks that its identity is refused when it says HELLO again.
 *
 * Exit 0 when the coordinator behaved (prints "refused N forged rows;
 * dropped: REASON"), 1 otherwise, with one line saying why.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "peer/peer.h"
#include "seed.h"

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: row_forger ENDPOINT\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = tpeer_socket(ctx, argv[1], -1);
    mg_msg *m = calloc(1, sizeof *m), *row = calloc(1, sizeof *row);
    mg_config cfg;
    mg_config_defaults(&cfg);
    tpeer_hello(s, "forger");
    if (tpeer_recv(s, m, 10000) || m->type != MG_MSG_RUN) {
        printf("no RUN after HELLO\n");
        return 1;
    }
    char why[256];
    if (mg_config_apply_run_json(&cfg, m->run_json, why, sizeof why)) {
        printf("run config: %s\n", why);
        return 1;
    }
    int64_t gseed = m->global_seed;
    uint64_t start = m->start, count = m->count;
    mg_msg join;
    mg_msg_init(&join, MG_MSG_JOIN);
    join.fp = m->fp;
    mg_msg_clear(m);
    tpeer_send(s, &join);
    mg_msg_init(m, MG_MSG_READY);
    m->capacity = 1;
    tpeer_send(s, m);
    if (tpeer_recv(s, m, 10000) || m->type != MG_MSG_GRANT) {
        printf("no GRANT after READY (%s)\n", mg_msg_name(m->type));
        return 1;
    }
    uint64_t lease = m->lease, first = m->first;
    uint32_t n = m->n;
    mg_msg_clear(m);
    printf("holding lease %" PRIu64 ": %" PRIu32 " from %" PRIu64 "\n",
           lease, n, first);

    /* an honest row for `first` but for the numbers only a synthesizer
     * knows; each forgery below changes one thing */
    uint64_t seed = mg_sample_seed(gseed, first);
    uint64_t outside = first + n < start + count ? first + n : start;
    int sent = 0, round = 0;
    for (;;) {
        int k = sent % 16;
        mg_msg_init(row, MG_MSG_ROW);
        row->lease = lease;
        row->index = first;
        row->seed = seed;
        row->split = (uint8_t)mg_split_of(seed, cfg.split);
        row->status = MG_ROW_OK;
        row->attempt = 1;
        row->score = 0.5;
        row->duration = 30.0;
        switch (k) {
        case 0: row->seed = seed ^ 1; break;                /* wrong seed */
        case 1:                                              /* foreign run */
            row->seed = mg_sample_seed(gseed + 1, first);
            row->split = (uint8_t)mg_split_of(row->seed, cfg.split);
            break;
        case 2:                                  /* not in its lease */
            row->index = outside;
            row->seed = mg_sample_seed(gseed, outside);
            row->split = (uint8_t)mg_split_of(row->seed, cfg.split);
            break;
        case 3: row->lease = lease + 1; break;   /* someone else's / none */
        case 4: row->lease = lease - 1; break;
        case 5: row->lease = 7; break;           /* an id never granted */
        case 6: row->score = 1e300; break;
        case 7: row->score = -0.25; break;
        case 8: row->duration = -4.0; break;
        case 9: row->duration = 1e9; break;
        case 10: row->attempt = 1000000; break;
        case 11: row->attempt = 0; break;
        case 12: row->split = (uint8_t)((row->split + 1) % 3); break;
        case 13: snprintf(row->error, sizeof row->error, "forged"); break;
        case 14: row->status = MG_ROW_FAILED; break;  /* no error text */
        case 15: row->index = start + count + 5;      /* outside the run */
            row->seed = mg_sample_seed(gseed, row->index);
            break;
        }
        tpeer_send(s, row);
        sent++;
        /* anything but silence or the final REFUSE is a failure */
        int wait = sent < 16 ? 100 : 5000;
        while (tpeer_recv(s, m, wait) == 0) {
            if (m->type == MG_MSG_ACK) {
                printf("forged row %d (kind %d) was acknowledged\n", sent, k);
                return 1;
            }
            if (m->type == MG_MSG_REFUSE) {
                if (!strstr(m->reason, "invalid rows")) {
                    printf("REFUSE does not say why: %s\n", m->reason);
                    return 1;
                }
                printf("refused %d forged rows; dropped: %s\n", sent,
                       m->reason);
                mg_msg_clear(m);
                goto dropped;
            }
            if (m->type != MG_MSG_NOWORK && m->type != MG_MSG_GRANT) {
                printf("unexpected %s\n", mg_msg_name(m->type));
                return 1;
            }
            mg_msg_clear(m);
        }
        if (sent >= 16 && ++round > 0) {
            printf("not dropped after %d invalid rows\n", sent);
            return 1;
        }
    }
dropped:
    /* a new socket with the same identity is turned away */
    zmq_close(s);
    s = tpeer_socket(ctx, argv[1], -1);
    tpeer_hello(s, "forger");
    if (tpeer_recv(s, m, 10000) || m->type != MG_MSG_REFUSE) {
        printf("a dropped identity was let back in (%s)\n",
               mg_msg_name(m->type));
        return 1;
    }
    printf("HELLO again: refused: %s\n", m->reason);
    mg_msg_clear(m);
    free(m);
    free(row);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
