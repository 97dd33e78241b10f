/*
 * stats — `musicgen stats ROOT [--fmt text|json] [--plot DIR]`: the
 * distribution of a dataset in one streaming pass
 * (common/dataset/dsstats.h), as text, JSON, and SVG charts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "dsargs.h"
#include "dsnames.h"
#include "dsstats.h"
#include "jsonout.h"
#include "progress.h"
#include "runlock.h"
#include "sampledir.h"

static const char usage[] =
    "usage: musicgen stats ROOT [--fmt text|json] [--plot DIR] [--jobs J]\n"
    "Counts by split, genre, key, mode, meter, instrument and soundfont;\n"
    "histograms of tempo, duration and musicality score; failed and\n"
    "half-written samples. One pass over the tree, constant memory.\n"
    "  --fmt json   one JSON object instead of the text report\n"
    "  --plot DIR   also write one SVG chart per count and histogram, and\n"
    "               DIR/index.html showing them all (DIR: new, empty, or\n"
    "               an earlier --plot's, whose charts are replaced)\n"
    "  --jobs J     threads reading sample.json ahead (1..64, 1: none;\n"
    "               default one per core, at most 8)\n"
    "  --progress   a progress line on stderr even when it is not a\n"
    "               terminal (a line every 10 s; on a terminal it is shown\n"
    "               anyway)\n";

int
mg_cmd_stats(int argc, char **argv)
{
    static const char *const valued[] = {"--fmt", "--plot", "--jobs", "-j",
                                         NULL};
    long jobs = 0;
    const char *plot = NULL, *fmt = "text";
    mg_cliprog_mode pmode = MG_CLIPROG_AUTO;
    mg_cliprog prog;
    char err[1200];
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "stats", usage, argc, argv, valued, false);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--fmt")) {
            fmt = a.val;
            if (strcmp(fmt, "text") && strcmp(fmt, "json")) {
                fprintf(stderr, "musicgen stats: --fmt: text or json, not "
                        "'%s'\n", fmt);
                return 2;
            }
        } else if (!strcmp(a.opt, "--plot")) {
            plot = a.val;
        } else if (!strcmp(a.opt, "--jobs") || !strcmp(a.opt, "-j")) {
            if (mg_dsargs_jobs("stats", a.val, &jobs)) return 2;
        } else if (!strcmp(a.opt, "--progress")) {
            pmode = MG_CLIPROG_ON;
        } else {
            return mg_dsargs_unknown(&a);
        }
    }
    if (r < 0)
        return a.rc;
    const char *root = a.root;
    if (mg_dsargs_dataset("stats", root)) return 1;
    /* the chart directory is checked before a pass that can take long */
    char absroot[PATH_MAX];
    if (plot && realpath(root, absroot) &&
        mg_ds_out_check("--plot", plot, root, absroot, false, err,
                        sizeof err)) {
        /* ds/000099 would be a half-written sample to verify and clean */
        fprintf(stderr, "musicgen stats: %s\n", err);
        return 1;
    }
    if (plot && mg_dsstats_plot_dir_check(plot, err, sizeof err)) {
        fprintf(stderr, "musicgen stats: %s\n", err);
        return 1;
    }
    if (plot && (mg_dir_make(plot) || access(plot, W_OK | X_OK))) {
        fprintf(stderr, "musicgen stats: --plot %s: %s\n", plot,
                strerror(errno));
        return 1;
    }
    mg_dsstats *s = mg_dsstats_new();
    if (!s) return 1;
    mg_dsprogress pg = mg_cliprog_start(&prog, "stats", root, pmode);
    int srun = mg_dsstats_run(s, root, (int)jobs, &pg, err, sizeof err);
    mg_cliprog_end(&prog);
    if (srun) {
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
    char who[200];
    if (mg_runlock_held(root, who, sizeof who))
        fprintf(stderr, "musicgen stats: note: %s is being written by %s: "
                "these are the samples finished so far\n", root,
                who);
    /* static slices not merged: the failed samples are in the slices'
     * rows, not counted without the manifest */
    char mp[4200], sp[4200];
    struct stat mst;
    snprintf(mp, sizeof mp, "%s/manifest.jsonl", root);
    snprintf(sp, sizeof sp, "%s/.musicgen/slices", root);
    if (stat(mp, &mst) && !stat(sp, &mst) && S_ISDIR(mst.st_mode))
        fprintf(stderr, "musicgen stats: note: %s's static slices are not "
                "merged (no manifest.jsonl, so failed samples are not "
                "counted; `musicgen status --out %s` says which slices are "
                "complete)\n", root, root);
    int rc = 0;
    if (plot && mg_dsstats_plot(s, plot, err, sizeof err)) {
        fprintf(stderr, "musicgen stats: %s\n", err);
        rc = 1;
    }
    mg_dsstats_destroy(&s);
    return rc;
}
