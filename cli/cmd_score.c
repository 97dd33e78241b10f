/*
 * score — `musicgen score ROOT [--force] [--genres-dir DIR]`: post-hoc
 * layer-2 (audio) scoring of the samples that lack it, sample.json and
 * manifest.jsonl replaced atomically (common/dataset/dsscore.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "dsscore.h"

static const char usage[] =
    "usage: musicgen score ROOT [--force] [--genres-dir DIR] [-q]\n"
    "Adds the layer-2 (audio) musicality score to every sample with a mix\n"
    "and no audio score (--force: to every sample with a mix), sets\n"
    "musicality_score = 0.5 x symbolic + 0.5 x audio, and keeps\n"
    "manifest.jsonl in step. Every file is replaced atomically: an\n"
    "interrupted run is finished by running it again. Exit 1 when a sample\n"
    "could not be scored (named on stderr).\n";

int
mg_cmd_score(int argc, char **argv)
{
    const char *root = NULL, *gdir = NULL;
    bool force = false, quiet = false;
    char defg[4200], err[1200];

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--force")) {
            force = true;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (!strcmp(argv[i], "--genres-dir") && i + 1 < argc) {
            gdir = argv[++i];
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "musicgen score: unknown option '%s' (try "
                    "--help)\n", argv[i]);
            return 2;
        } else if (!root) {
            root = argv[i];
        } else {
            fprintf(stderr, "musicgen score: one ROOT only, got '%s' too\n",
                    argv[i]);
            return 2;
        }
    }
    if (!root) {
        fputs(usage, stderr);
        return 2;
    }
    if (!gdir) {
        snprintf(defg, sizeof defg, "%s/genres", mg_data_dir());
        gdir = defg;
    }
    FILE *log = quiet ? fopen("/dev/null", "w") : stdout;
    mg_dsscore_totals t;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = mg_dsscore_run(root, force, gdir, log ? log : stdout, &t, err,
                            sizeof err);
    if (quiet && log) fclose(log);
    if (rc) {
        fprintf(stderr, "musicgen score: %s\n", err);
        return 1;
    }
    printf("score: %s: %" PRIu64 " samples: %" PRIu64 " scored, %" PRIu64
           " already scored, %" PRIu64 " without audio, %" PRIu64
           " problem%s; %" PRIu64 " manifest rows\n", root, t.samples,
           t.scored, t.already, t.no_audio, t.problems,
           t.problems == 1 ? "" : "s", t.rows);
    return t.problems ? 1 : 0;
}
