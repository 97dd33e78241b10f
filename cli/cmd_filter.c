/*
 * filter — `musicgen filter ROOT --min-score X [--reject-dir D]
 * [--dry-run]`: moves the samples scoring below X out of the dataset,
 * atomically, and splits the manifest (common/dataset/dsfilter.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dsargs.h"
#include "dsfilter.h"
#include "progress.h"

static const char usage[] =
    "usage: musicgen filter ROOT --min-score X [--reject-dir D] [--dry-run] "
    "[--jobs J] [-q]\n"
    "Moves every sample whose musicality_score is below X (0..1) to D\n"
    "(default ROOT/rejected; same file system as ROOT), at the same\n"
    "relative path, and splits manifest.jsonl between ROOT and D. Each move\n"
    "is one rename: a sample is always whole, in place or in D; an\n"
    "interrupted run is finished by running it again. --dry-run lists the\n"
    "samples it would move and changes nothing. --jobs J: threads reading\n"
    "sample.json ahead (1..64, 1: none; default one per core, at most 8).\n"
    "--progress: a progress line on stderr every 10 s (redrawn in place on\n"
    "a terminal with -q).\n";

int
mg_cmd_filter(int argc, char **argv)
{
    static const char *const valued[] = {"--min-score", "--reject-dir",
                                         "--jobs", "-j", NULL};
    long jobs = 0;
    const char *rej = NULL;
    bool dry = false, have_min = false, progress = false;
    mg_cliprog prog;
    double min = 0;
    char err[1200];
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "filter", usage, argc, argv, valued, true);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--dry-run")) {
            dry = true;
        } else if (!strcmp(a.opt, "--min-score")) {
            char *end;
            min = strtod(a.val, &end);
            if (*end || end == a.val || !isfinite(min) || min < 0 ||
                min > 1) {
                fprintf(stderr, "musicgen filter: --min-score: need a number "
                        "in 0..1, got '%s'\n", a.val);
                return 2;
            }
            have_min = true;
        } else if (!strcmp(a.opt, "--reject-dir")) {
            rej = a.val;
        } else if (!strcmp(a.opt, "--jobs") || !strcmp(a.opt, "-j")) {
            if (mg_dsargs_jobs("filter", a.val, &jobs)) return 2;
        } else if (!strcmp(a.opt, "--progress")) {
            progress = true;
        } else {
            return mg_dsargs_unknown(&a);
        }
    }
    if (r < 0)
        return a.rc;
    if (!have_min) {
        fprintf(stderr, "musicgen filter: need --min-score X (try "
                "--help)\n");
        return 2;
    }
    const char *root = a.root;
    if (mg_dsargs_dataset("filter", root)) return 1;
    bool quiet = a.quiet;
    FILE *log = quiet ? fopen("/dev/null", "w") : stdout;
    setvbuf(stdout, NULL, _IOLBF, 0);
    mg_dsfilter_totals t;
    mg_dsprogress pg = mg_cliprog_start(&prog, "filter", root,
                                        !progress ? MG_CLIPROG_OFF
                                        : quiet   ? MG_CLIPROG_ON
                                                  : MG_CLIPROG_LINES);
    int rc = mg_dsfilter_run(root, min, rej, (int)jobs, &pg, dry,
                             log ? log : stdout, &t, err, sizeof err);
    mg_cliprog_end(&prog);
    if (quiet && log) fclose(log);
    if (rc) {
        fprintf(stderr, "musicgen filter: %s\n", err);
        return 1;
    }
    if (dry && !t.below)
        printf("filter: %s: %" PRIu64 " samples, none below %g: nothing "
               "to move (dry run, nothing changed)\n", root, t.samples, min);
    else if (dry)
        printf("filter: %s: %" PRIu64 " samples, %" PRIu64 " below %g: "
               "would move them (dry run, nothing changed)\n", root,
               t.samples, t.below, min);
    else if (!t.split && !t.below)
        printf("filter: %s: %" PRIu64 " samples, none below %g; manifest "
               "unchanged; %" PRIu64 " problem%s\n", root, t.samples, min,
               t.problems, t.problems == 1 ? "" : "s");
    else
        printf("filter: %s: %" PRIu64 " samples, %" PRIu64 " below %g, %"
               PRIu64 " moved by this run; manifests: %" PRIu64 " rows kept, "
               "%" PRIu64 " in the reject directory; %" PRIu64 " problem%s\n",
               root, t.samples, t.below, min, t.moved, t.kept_rows,
               t.reject_rows, t.problems, t.problems == 1 ? "" : "s");
    if (t.dropped_rows)
        printf("filter: %" PRIu64 " manifest line%s that %s no row left out "
               "of the new manifests (%s)\n", t.dropped_rows,
               t.dropped_rows == 1 ? "" : "s",
               t.dropped_rows == 1 ? "was" : "were",
               quiet ? "-q hid the lines naming them" : "named above");
    return t.problems ? 1 : 0;
}
