/*
 * licenses — `musicgen licenses ROOT [--sf-dir DIR] [-q]`: (re)write
 * ROOT/LICENSES.md from the dataset's finished samples (manifest rows with
 * status ok, each sample.json's `soundfonts`), atomically. `generate`,
 * `merge`, the coordinator and `filter` keep the file true themselves;
 * this is for a tree made another way: samples written one at a time
 * through the library (Python's musicgen.generate), trees put together by
 * hand, or one whose LICENSES.md was lost. `verify` names this command
 * when the file is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "dsargs.h"
#include "dsread.h"
#include "licenses.h"

static const char usage[] =
    "usage: musicgen licenses ROOT [--sf-dir DIR] [-q]\n"
    "Writes ROOT/LICENSES.md: every soundfont the dataset's finished\n"
    "samples used (manifest rows with status ok), with its licence, the\n"
    "attribution it asks for, its source and the stems and samples that\n"
    "use it. Replaces the file atomically.\n"
    "  --sf-dir DIR   soundfont registry the attribution texts come from\n"
    "                 (default: the installed one)\n"
    "  -q, --quiet    no summary line\n";

int
mg_cmd_licenses(int argc, char **argv)
{
    static const char *const valued[] = {"--sf-dir", NULL};
    const char *sf_dir = NULL;
    char err[1400], path[4200];
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "licenses", usage, argc, argv, valued, true);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--sf-dir"))
            sf_dir = a.val;
        else
            return mg_dsargs_unknown(&a);
    }
    if (r < 0) return a.rc;
    struct stat st;
    /* a registry that is not there would write "Attribution: unknown" for
     * every font over a good LICENSES.md */
    int bad = !sf_dir              ? 0
              : stat(sf_dir, &st)  ? errno
              : !S_ISDIR(st.st_mode) ? ENOTDIR
                                     : 0;
    if (bad) {
        fprintf(stderr, "musicgen licenses: --sf-dir %s: %s\n", sf_dir,
                strerror(bad));
        return 2;
    }
    snprintf(path, sizeof path, "%s/manifest.jsonl", a.root);
    if (mg_dsread_root_check(a.root, NULL, err, sizeof err)) {
        fprintf(stderr, "musicgen licenses: %s\n", err);
        return 1;
    }
    if (stat(path, &st)) {
        fprintf(stderr,
                "musicgen licenses: %s: no manifest.jsonl (not a dataset "
                "root?)\n",
                a.root);
        return 1;
    }
    int fonts = 0;
    if (mg_licenses_write(a.root, sf_dir, &fonts, err, sizeof err)) {
        fprintf(stderr, "musicgen licenses: %s\n", err);
        return 1;
    }
    if (!a.quiet)
        printf("licenses: %s/LICENSES.md: %d font%s\n", a.root, fonts,
               fonts == 1 ? "" : "s");
    return 0;
}
