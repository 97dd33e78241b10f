/*
 * clean — `musicgen clean --failed [ROOT | --out DIR] [--dry-run]`: remove
 * what a crash can leave behind (common/base/sampledir.h says what counts
 * as partial). Finished samples are never touched; nor is a tree a run is
 * writing (its partial directories are samples being made): the run
 * root's lock (runlock.h) is taken first. Workers connected to a
 * coordinator that is down do not hold that lock, yet write: a ".tmp-*"
 * is kept while they run (the root's writers lock) or while its writer,
 * named in it, runs on this host (sampledir.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "config.h"
#include "dsargs.h"
#include "dsread.h"
#include "runlock.h"
#include "sampledir.h"

typedef struct {
    bool dry;
    bool writers; /* connected workers hold the root's writers lock */
    long removed, failed, kept;
} sweep;

static void
found(const char *path, void *arg)
{
    sweep *s = arg;
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    int w = mg_sampledir_tmp_writer(name);
    if (w == 1 || (w != 0 && s->writers && !strncmp(name, ".tmp-", 5))) {
        /* a sample being made: removed, it became a failed row */
        printf("%s %s (%s)\n", s->dry ? "would keep" : "kept", path,
               w == 1 ? "its writer runs on this host"
                      : "workers of a run are writing this tree");
        s->kept++;
    } else if (s->dry) {
        printf("would remove %s\n", path);
        s->removed++;
    } else if (mg_dir_remove(path)) {
        fprintf(stderr, "musicgen clean: cannot remove %s: %s\n", path,
                strerror(errno));
        s->failed++;
    } else {
        printf("removed %s\n", path);
        s->removed++;
    }
}

int
mg_cmd_clean(int argc, char **argv)
{
    static const char *const extra[] = {"failed", "dry-run", NULL};
    mg_config cfg;
    char err[512];
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    bool failed = false;
    const char *root = NULL;
    sweep s = {false, false, 0, 0, 0};
    if (!rest) return 1;
    if (mg_config_from_args(&cfg, argc, argv, extra, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen clean: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--failed")) {
            failed = true;
        } else if (!strcmp(rest[i], "--dry-run")) {
            s.dry = true;
        } else if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen clean --failed [ROOT | --out DIR] "
                   "[--dry-run]\n"
                   "Removes partial sample directories (no sample.json) and "
                   ".tmp-* leftovers.\n"
                   "Refused while a run (generate, coordinator) or score, "
                   "filter, merge or clean\nis writing the tree; keeps the "
                   ".tmp-* of samples being made while workers of a\nrun "
                   "(connected to a coordinator now down) are running.\n");
            free(rest);
            return 0;
        } else if (rest[i][0] != '-' && !root) {
            root = rest[i];
        } else {
            fprintf(stderr, "musicgen clean: unexpected argument '%s'\n",
                    rest[i]);
            free(rest);
            return 2;
        }
    }
    if (root) {
        /* ROOT as the other dataset commands take it, or --out, not both */
        for (int i = 1; i < argc; i++)
            /* -o ROOT or -oROOT */
            if (!strcmp(argv[i], "--out") || !strncmp(argv[i], "-o", 2) ||
                !strncmp(argv[i], "--out=", 6)) {
                fprintf(stderr, "musicgen clean: ROOT or --out, not both\n");
                free(rest);
                return 2;
            }
        snprintf(cfg.out_dir, sizeof cfg.out_dir, "%s", root);
    }
    free(rest);
    if (!failed) {
        fprintf(stderr, "musicgen clean: say what to clean: --failed\n");
        return 2;
    }
    if (mg_dsread_root_check(cfg.out_dir, NULL, err, sizeof err)) {
        fprintf(stderr, "musicgen clean: %s\n", err);
        return 1;
    }
    if (mg_dsargs_dataset_marked("clean", cfg.out_dir)) return 1;
    int lk = -1;
    if (!s.dry && (lk = mg_runlock_take(cfg.out_dir, "musicgen clean", err,
                                        sizeof err)) < 0) {
        fprintf(stderr, "musicgen clean: %s\n", err);
        return 1;
    }
    /* held for the sweep: no worker starts writing meanwhile */
    int wk = -1;
    s.writers = mg_runlock_writers(cfg.out_dir, &wk) == 1;
    long n = mg_sampledir_partials(cfg.out_dir, found, &s);
    mg_runlock_release(wk);
    mg_runlock_release(lk);
    if (n < 0) {
        fprintf(stderr, "musicgen clean: cannot read %s: %s\n", cfg.out_dir,
                strerror(errno));
        return 1;
    }
    printf("%s %ld partial director%s in %s\n",
           s.dry ? "would remove" : "removed", s.removed,
           s.removed == 1 ? "y" : "ies", cfg.out_dir);
    if (s.kept)
        printf("%s %ld .tmp-* director%s of samples being made: clean "
               "again once the workers writing %s have stopped\n",
               s.dry ? "would keep" : "kept", s.kept,
               s.kept == 1 ? "y" : "ies", cfg.out_dir);
    return s.failed ? 1 : 0;
}
