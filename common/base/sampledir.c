/*
 * sampledir — directory operations on the output tree (see sampledir.h).
 */
#include "sampledir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
mg_dir_make(const char *path)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0777) && errno != EEXIST) return -1;
        *s = '/';
    }
    if (mkdir(p, 0777) && errno != EEXIST) return -1;
    return 0;
}

int
mg_dir_remove(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return errno == ENOENT ? 0 : unlink(path);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= mg_dir_remove(p);
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

static long
walk(const char *dir, int depth, void (*found)(const char *, void *),
     void *arg)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    long n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *name = de->d_name;
        char p[4096], sj[4200];
        bool tmp = !strncmp(name, ".tmp-", 5);
        if (name[0] == '.' && !tmp) continue;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        if (!is_dir(p)) continue;
        if (!tmp) {
            if (!all_digits(name)) continue;
            snprintf(sj, sizeof sj, "%s/sample.json", p);
            if (access(sj, F_OK) == 0) continue;
            /* A shard name is at most 5 digits, an index at least 6. */
            if (depth == 0 && strlen(name) <= 5) {
                long k = walk(p, 1, found, arg);
                if (k > 0) n += k;
                continue;
            }
        }
        found(p, arg);
        n++;
    }
    closedir(d);
    return n;
}

long
mg_sampledir_partials(const char *root,
                      void (*found)(const char *path, void *arg), void *arg)
{
    return walk(root, 0, found, arg);
}
