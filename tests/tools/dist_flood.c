/*
 * dist_flood — a fake worker that answers every lease at once with
 * made-up rows, to measure the coordinator alone (ledger + protocol):
 *
 *   dist_flood ENDPOINT       prints "rows N seconds S rows_per_s R"
 *
 * It echoes the run's fingerprint in JOIN, keeps 8 leases in flight, and
 * stops at SHUTDOWN. The rows are not samples (use a throwaway run root)
 * but pass the coordinator's row checks: the run's seed and split for
 * each index, values in range.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "config.h"
#include "peer/peer.h"
#include "seed.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dist_flood ENDPOINT\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = tpeer_socket(ctx, argv[1], 0);
    mg_msg *m = calloc(1, sizeof *m), *out = calloc(1, sizeof *out);
    tpeer_hello(s, "flood");
    uint64_t rows = 0;
    double t0 = 0;
    mg_config cfg;
    mg_config_defaults(&cfg);
    for (;;) {
        if (tpeer_recv(s, m, 30000)) {
            fprintf(stderr, "dist_flood: no answer from the coordinator\n");
            return 1;
        }
        if (m->type == MG_MSG_RUN) {
            char why[256];
            if (mg_config_apply_run_json(&cfg, m->run_json, why, sizeof why)) {
                fprintf(stderr, "dist_flood: run config: %s\n", why);
                return 1;
            }
            cfg.global_seed = m->global_seed;
            mg_msg_init(out, MG_MSG_JOIN);
            out->fp = m->fp;
            tpeer_send(s, out);
            mg_msg_init(out, MG_MSG_READY);
            out->capacity = 1;
            for (int i = 0; i < 8; i++)
                tpeer_send(s, out);
            t0 = now_s();
        } else if (m->type == MG_MSG_GRANT) {
            mg_msg_init(out, MG_MSG_ROW);
            out->lease = m->lease;
            out->status = MG_ROW_OK;
            out->attempt = 1;
            out->score = 0.9;
            out->duration = 60.0;
            for (uint32_t i = 0; i < m->n; i++) {
                out->index = m->first + i;
                out->seed = mg_sample_seed(cfg.global_seed, out->index);
                out->split = (uint8_t)mg_split_of(out->seed, cfg.split);
                tpeer_send(s, out);
                rows++;
            }
            mg_msg_init(out, MG_MSG_READY);
            out->capacity = 1;
            tpeer_send(s, out);
        } else if (m->type == MG_MSG_NOWORK) {
            mg_msg_init(out, MG_MSG_READY);
            out->capacity = 1;
            tpeer_send(s, out);
        } else if (m->type == MG_MSG_SHUTDOWN || m->type == MG_MSG_REFUSE) {
            double dt = now_s() - t0;
            printf("rows %" PRIu64 " seconds %.3f rows_per_s %.0f\n", rows,
                   dt, dt > 0 ? (double)rows / dt : 0.0);
            mg_msg_clear(m);
            break;
        }
        mg_msg_clear(m);
    }
    free(m);
    free(out);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return 0;
}
