/*
 * stats — `musicgen stats ROOT [--fmt text|json] [--plot DIR]`: the
 * distribution of a dataset in one streaming pass
 * (common/dataset/dsstats.h), as text, JSON, and SVG charts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dsstats.h"
#include "jsonout.h"

static const char usage[] =
    "usage: musicgen stats ROOT [--fmt text|json] [--plot DIR]\n"
    "Counts by split, genre, key, mode, meter, instrument and soundfont;\n"
    "histograms of tempo, duration and musicality score; failed and\n"
    "half-written samples. One pass over the tree, constant memory.\n"
    "  --fmt json   one JSON object instead of the text report\n"
    "  --plot DIR   also write one SVG chart per count and histogram, and\n"
    "               DIR/index.html showing them all\n";

int
mg_cmd_stats(int argc, char **argv)
{
    const char *root = NULL, *plot = NULL, *fmt = "text";
    char err[1200];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--fmt") && i + 1 < argc) {
            fmt = argv[++i];
            if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
                fprintf(stderr, "musicgen stats: --fmt: text or json, not "
                        "'%s'\n", fmt);
                return 2;
            }
        } else if (!strcmp(argv[i], "--plot") && i + 1 < argc) {
            plot = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "musicgen stats: unknown option '%s' (try "
                    "--help)\n", argv[i]);
            return 2;
        } else if (!root) {
            root = argv[i];
        } else {
            fprintf(stderr, "musicgen stats: one ROOT only, got '%s' too\n",
                    argv[i]);
            return 2;
        }
    }
    if (!root) {
        fputs(usage, stderr);
        return 2;
    }
    mg_dsstats *s = mg_dsstats_new();
    if (!s) return 1;
    if (mg_dsstats_run(s, root, err, sizeof err)) {
        fprintf(stderr, "musicgen stats: %s\n", err);
        mg_dsstats_destroy(&s);
        return 1;
    }
    if (!strcmp(fmt, "json")) {
        json_t *j = mg_dsstats_json(s);
        char *t = mg_json_dump(j, 2);
        if (t) fputs(t, stdout);
        free(t);
        json_decref(j);
    } else {
        mg_dsstats_print(s, stdout);
    }
    int rc = 0;
    if (plot && mg_dsstats_plot(s, plot, err, sizeof err)) {
        fprintf(stderr, "musicgen stats: %s\n", err);
        rc = 1;
    }
    mg_dsstats_destroy(&s);
    return rc;
}
