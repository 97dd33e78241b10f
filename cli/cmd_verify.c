/*
 * verify — `musicgen verify ROOT [--jobs J] [--schema FILE]`: is the
 * dataset at ROOT whole? One line per problem (common/dataset/dsverify.h
 * lists the checks), a summary line, exit 0 only when nothing was found.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "dsargs.h"
#include "dsverify.h"
#include "progress.h"

static const char usage[] =
    "usage: musicgen verify ROOT [--jobs J] [--quick] [--schema FILE]\n"
    "Checks a dataset tree (flat or sharded): every sample.json parses and\n"
    "validates against the schema, every file it names exists with the\n"
    "SHA-256 it records, WAV lengths agree with the annotation, and\n"
    "manifest.jsonl has exactly one row per sample, agreeing with it.\n"
    "Prints one line per problem; exit 0 when the tree is whole, 1 when\n"
    "anything is wrong, 2 on bad usage.\n"
    "  --jobs J       threads hashing files (default: one per core)\n"
    "  --quick        no SHA-256: every file there with its size and every\n"
    "                 WAV's header and length (a copy's completeness, in\n"
    "                 seconds; not a flipped byte)\n"
    "  --progress     a progress line on stderr even when it is not a\n"
    "                 terminal (a line every 10 s; on a terminal it is\n"
    "                 shown anyway, and erased at the end)\n"
    "  --schema FILE  schema of sample.json (default: the installed one)\n";

int
mg_cmd_verify(int argc, char **argv)
{
    static const char *const valued[] = {"--jobs", "-j", "--schema", NULL};
    const char *schema = NULL;
    bool quick = false;
    mg_cliprog_mode pmode = MG_CLIPROG_AUTO;
    mg_cliprog prog;
    char defschema[4200], err[1200];
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "verify", usage, argc, argv, valued, false);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--jobs") || !strcmp(a.opt, "-j")) {
            if (mg_dsargs_jobs("verify", a.val, &jobs)) return 2;
        } else if (!strcmp(a.opt, "--schema")) {
            schema = a.val;
        } else if (!strcmp(a.opt, "--progress")) {
            pmode = MG_CLIPROG_ON;
        } else if (!strcmp(a.opt, "--quick")) {
            quick = true;
        } else {
            return mg_dsargs_unknown(&a);
        }
    }
    if (r < 0)
        return a.rc;
    const char *root = a.root;
    if (mg_dsargs_dataset("verify", root)) return 1;
    if (jobs < 1) jobs = 1;
    if (!schema) {
        snprintf(defschema, sizeof defschema, "%s/schema/sample.schema.json",
                 mg_data_dir());
        schema = defschema;
    }
    mg_dsverify *v = mg_dsverify_new(schema, err, sizeof err);
    if (!v) {
        fprintf(stderr, "musicgen verify: schema: %s\n", err);
        return 1;
    }
    mg_dsverify_set_quick(v, quick);
    mg_dsverify_totals t;
    mg_dsprogress pg = mg_cliprog_start(&prog, "verify", root, pmode);
    int rc =
        mg_dsverify_run(v, root, (int)jobs, &pg, stdout, &t, err, sizeof err);
    mg_cliprog_end(&prog);
    mg_dsverify_destroy(&v);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "musicgen verify: %s\n", err);
        return 1;
    }
    double mb = (double)t.bytes / 1e6;
    if (quick)
        printf("verify: %s: %" PRIu64 " samples, %" PRIu64 " manifest rows, %"
               PRIu64 " files of %.1f MB, sizes and headers checked, not "
               "hashed (--quick), in %.2f s (%ld job%s): %s%" PRIu64
               " problem%s\n", root, t.samples, t.rows, t.files, mb,
               t.seconds, jobs, jobs == 1 ? "" : "s",
               t.problems ? "" : "whole, ", t.problems,
               t.problems == 1 ? "" : "s");
    else
        printf("verify: %s: %" PRIu64 " samples, %" PRIu64 " manifest rows, %"
               PRIu64 " files, %.1f MB hashed in %.2f s (%.0f MB/s, %.0f MB "
               "per CPU second, %ld job%s): %s%" PRIu64 " problem%s\n",
               root, t.samples, t.rows, t.files, mb, t.seconds,
               t.seconds > 0 ? mb / t.seconds : 0.0,
               t.cpu_seconds > 0 ? mb / t.cpu_seconds : 0.0, jobs,
               jobs == 1 ? "" : "s",
               t.problems ? "" : "whole, ", t.problems,
               t.problems == 1 ? "" : "s");
    return t.problems ? 1 : 0;
}
