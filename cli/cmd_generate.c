/*
 * generate — `musicgen generate`: make a dataset on this machine.
 *
 * This first version runs the engine serially in one process and writes
 * manifest.jsonl (one row per index, sorted) at the end; the embedded
 * coordinator/worker mode replaces the loop without changing options or
 * output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "config.h"
#include "engine.h"

static void
utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
write_manifest(const mg_config *c, const mg_row *rows, int64_t n)
{
    char path[1200], tmp[1300], line[2048], now[32];
    snprintf(path, sizeof path, "%s/manifest.jsonl", c->out_dir);
    snprintf(tmp, sizeof tmp, "%s/.manifest.jsonl.tmp", c->out_dir);
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    utc_now(now, sizeof now);
    for (int64_t i = 0; i < n; i++) {
        if (mg_row_jsonl(&rows[i], now, line, sizeof line) < 0) {
            fclose(f);
            return -1;
        }
        fprintf(f, "%s\n", line);
    }
    if (fclose(f)) return -1;
    return rename(tmp, path);
}

int
mg_cmd_generate(int argc, char **argv)
{
    mg_config cfg;
    char err[512];
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) return 1;
    if (mg_config_from_args(&cfg, argc, argv, NULL, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen generate --seed S [options]\n\n%s",
                   mg_config_options_help());
            free(rest);
            return 0;
        }
        fprintf(stderr, "musicgen generate: unexpected argument '%s'\n",
                rest[i]);
        free(rest);
        return 2;
    }
    free(rest);
    if (mg_config_validate(&cfg, true, err, sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        return 2;
    }
    mg_engine *e = mg_engine_new(&cfg, err, sizeof err);
    if (!e) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        return 1;
    }
    mg_row *rows = calloc((size_t)cfg.count, sizeof *rows);
    if (!rows) {
        fprintf(stderr, "musicgen generate: out of memory for %" PRId64
                        " rows\n", cfg.count);
        mg_engine_destroy(&e);
        return 1;
    }
    int64_t ok = 0, failed = 0, skipped = 0;
    int rc = 0;
    for (int64_t i = 0; i < cfg.count; i++) {
        mg_row *r = &rows[i];
        if (mg_engine_run(e, (uint64_t)(cfg.start + i), r, err, sizeof err)) {
            fprintf(stderr, "musicgen generate: %s\n", err);
            rc = 1;
            break;
        }
        if (r->status == MG_ROW_OK) ok++;
        else failed++;
        if (r->skipped) skipped++;
        if (cfg.verbose >= 0 && r->status != MG_ROW_OK)
            fprintf(stderr, "sample %" PRIu64 " failed: %s\n", r->index,
                    r->error);
    }
    if (!rc && write_manifest(&cfg, rows, cfg.count)) {
        fprintf(stderr, "musicgen generate: cannot write %s/manifest.jsonl\n",
                cfg.out_dir);
        rc = 1;
    }
    if (!rc && cfg.verbose >= 0)
        fprintf(stderr,
                "done: %" PRId64 " ok, %" PRId64 " failed, %" PRId64
                " already present -> %s\n",
                ok, failed, skipped, cfg.out_dir);
    free(rows);
    mg_engine_destroy(&e);
    return rc;
}
