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
#include "dsargs.h"
#include "dsscore.h"
#include "progress.h"

static const char usage[] =
    "usage: musicgen score ROOT [--force] [--genres-dir DIR] [--jobs J] [-q]\n"
    "Adds the layer-2 (audio) musicality score to every sample with a mix\n"
    "and no audio score (--force: to every sample with a mix), sets\n"
    "musicality_score = 0.5 x symbolic + 0.5 x audio, and keeps\n"
    "manifest.jsonl in step. Every file is replaced atomically: an\n"
    "interrupted run is finished by running it again. Exit 1 when a sample\n"
    "could not be scored (named on stderr). --jobs J: threads reading and\n"
    "analysing samples ahead (1..64, 1: none; default one per core, at most\n"
    "8; the result is the same). --progress: a progress line on stderr\n"
    "every 10 s (redrawn in place on a terminal with -q).\n";

int
mg_cmd_score(int argc, char **argv)
{
    static const char *const valued[] = {"--genres-dir", "--jobs", "-j",
                                         NULL};
    long jobs = 0;
    const char *gdir = NULL;
    bool force = false, progress = false;
    mg_cliprog prog;
    char defg[4200], err[1200];
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "score", usage, argc, argv, valued, true);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--force"))
            force = true;
        else if (!strcmp(a.opt, "--genres-dir"))
            gdir = a.val;
        else if (!strcmp(a.opt, "--jobs") || !strcmp(a.opt, "-j")) {
            if (mg_dsargs_jobs("score", a.val, &jobs)) return 2;
        } else if (!strcmp(a.opt, "--progress"))
            progress = true;
        else
            return mg_dsargs_unknown(&a);
    }
    if (r < 0)
        return a.rc;
    const char *root = a.root;
    if (mg_dsargs_dataset("score", root)) return 1;
    bool quiet = a.quiet;
    if (!gdir) {
        snprintf(defg, sizeof defg, "%s/genres", mg_data_dir());
        gdir = defg;
    }
    FILE *log = quiet ? fopen("/dev/null", "w") : stdout;
    mg_dsscore_totals t;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* its own line per sample goes to stdout: the progress line is a
     * whole line too, unless -q leaves the terminal to it */
    mg_dsprogress pg = mg_cliprog_start(&prog, "score", root,
                                        !progress ? MG_CLIPROG_OFF
                                        : quiet   ? MG_CLIPROG_ON
                                                  : MG_CLIPROG_LINES);
    int rc = mg_dsscore_run(root, force, gdir, (int)jobs, &pg,
                            log ? log : stdout, &t, err, sizeof err);
    mg_cliprog_end(&prog);
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
    if (t.dropped_rows)
        printf("score: %" PRIu64 " manifest line%s that %s no row left out "
               "of the new manifest (%s)\n", t.dropped_rows,
               t.dropped_rows == 1 ? "" : "s",
               t.dropped_rows == 1 ? "was" : "were",
               quiet ? "-q hid the lines naming them" : "named above");
    return t.problems ? 1 : 0;
}
