/*
 * clean — `musicgen clean --failed [--out DIR] [--dry-run]`: remove what a
 * crash can leave behind: ".tmp-*" directories and sample directories that
 * have no sample.json (never complete, so never a sample). Finished
 * samples are never touched.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"

static int
remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return unlink(path);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[2400];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= remove_tree(p);
        else
            rc |= unlink(p);
    }
    closedir(d);
    return rmdir(path) | rc;
}

static bool
all_digits(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return false;
    return true;
}

static bool
is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Walk root and one level of shard directories. */
static int
sweep(const char *dir, int depth, bool dry, long *removed)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *de;
    while ((de = readdir(d))) {
        char p[2400], sj[2500];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (!is_dir(p) ||
            (de->d_name[0] == '.' && strncmp(de->d_name, ".tmp-", 5)))
            continue;
        bool victim = false;
        if (!strncmp(de->d_name, ".tmp-", 5)) {
            victim = true;
        } else if (all_digits(de->d_name)) {
            snprintf(sj, sizeof sj, "%s/sample.json", p);
            if (access(sj, F_OK) == 0) continue;
            /* A shard directory holds samples; a sample holds files. */
            if (depth == 0 && strlen(de->d_name) <= 5) {
                sweep(p, 1, dry, removed);
                continue;
            }
            victim = true;
        }
        if (!victim) continue;
        printf("%s %s\n", dry ? "would remove" : "removed", p);
        if (!dry && remove_tree(p)) {
            fprintf(stderr, "musicgen clean: cannot remove %s: %s\n", p,
                    strerror(errno));
            closedir(d);
            return -1;
        }
        (*removed)++;
    }
    closedir(d);
    return 0;
}

int
mg_cmd_clean(int argc, char **argv)
{
    static const char *const extra[] = {"failed", "dry-run", NULL};
    mg_config cfg;
    char err[512];
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    bool failed = false, dry = false;
    if (!rest) return 1;
    if (mg_config_from_args(&cfg, argc, argv, extra, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen clean: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strcmp(rest[i], "--failed")) failed = true;
        else if (!strcmp(rest[i], "--dry-run")) dry = true;
        else if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen clean --failed [--out DIR] [--dry-run]\n"
                   "Removes partial sample directories (no sample.json) and "
                   ".tmp-* leftovers.\n");
            free(rest);
            return 0;
        } else {
            fprintf(stderr, "musicgen clean: unexpected argument '%s'\n",
                    rest[i]);
            free(rest);
            return 2;
        }
    }
    free(rest);
    if (!failed) {
        fprintf(stderr, "musicgen clean: say what to clean: --failed\n");
        return 2;
    }
    if (!is_dir(cfg.out_dir)) {
        fprintf(stderr, "musicgen clean: %s is not a directory\n",
                cfg.out_dir);
        return 1;
    }
    long removed = 0;
    if (sweep(cfg.out_dir, 0, dry, &removed)) return 1;
    printf("%s %ld partial director%s in %s\n", dry ? "would remove" : "removed",
           removed, removed == 1 ? "y" : "ies", cfg.out_dir);
    return 0;
}
