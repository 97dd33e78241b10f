/*
 * outpath — checks of an output path before the work (outpath.h).
 */
#include "outpath.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"

const char *
mg_outpath_trim(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/') buf[--n] = '\0';
    return buf;
}

const char *
mg_path_split(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
    return slash ? slash + 1 : path;
}

int
mg_outpath_check(const char *opt, const char *path, mg_outkind kind,
                 bool replace, const char *eg, char *err, size_t errlen)
{
    if (!strcmp(path, "-")) return 0;
    if (!*path) return mg_errf(err, errlen, "%s is empty", opt);
    size_t n = strlen(path);
    char p[4096];
    mg_outpath_trim(path, p, sizeof p);
    struct stat st;
    bool isdir = !stat(p, &st) && S_ISDIR(st.st_mode);
    if (kind == MG_OUT_FILE && (isdir || path[n - 1] == '/')) {
        char hint[4200] = "";
        if (eg) snprintf(hint, sizeof hint, " (e.g. %s/%s)", p, eg);
        return mg_errf(err, errlen, "%s %s %s; the output is one file: name "
                       "it%s", opt, path,
                       isdir ? "is a directory" : "ends in '/' (a directory)",
                       hint);
    }
    if (!stat(p, &st)) {
        if (kind == MG_OUT_DIR && !S_ISDIR(st.st_mode))
            return mg_errf(err, errlen, "%s %s exists and is not a "
                           "directory", opt, path);
        if (!replace)
            return mg_errf(err, errlen, "%s exists (--force replaces it)",
                           path);
        return 0;
    }
    if (errno != ENOENT && errno != ENOTDIR)
        return mg_errf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
    /* the directory it goes in, named here rather than as the temporary
     * beside the output that would fail later */
    char dir[4096];
    mg_path_split(p, dir, sizeof dir);
    if (stat(dir, &st))
        return mg_errf(err, errlen, "%s %s: directory %s: %s", opt, path, dir,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return mg_errf(err, errlen, "%s %s: %s is not a directory", opt, path,
                       dir);
    if (access(dir, W_OK | X_OK))
        return mg_errf(err, errlen, "%s %s: cannot write in %s: %s", opt,
                       path, dir, strerror(errno));
    return 0;
}

mg_outmode
mg_outpath_target(const char *path, char *target, size_t n)
{
    snprintf(target, n, "%s", path);
    if (!strcmp(path, "-")) return MG_OUT_IN_PLACE;
    struct stat st, lst;
    if (stat(path, &st)) {
        /* new; or a link to a file yet to be made: that file, as the
         * shell's > makes it */
        char link[PATH_MAX];
        ssize_t k;
        if (lstat(path, &lst) || !S_ISLNK(lst.st_mode) ||
            (k = readlink(path, link, sizeof link - 1)) <= 0)
            return MG_OUT_REPLACE;
        link[k] = '\0';
        const char *slash = strrchr(path, '/');
        if (link[0] == '/' || !slash)
            snprintf(target, n, "%s", link);
        else
            snprintf(target, n, "%.*s/%s", (int)(slash - path), path, link);
        return MG_OUT_REPLACE;
    }
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) return MG_OUT_IN_PLACE;
    char real[PATH_MAX];
    if (!lstat(path, &lst) && S_ISLNK(lst.st_mode) && realpath(path, real))
        snprintf(target, n, "%s", real);
    return MG_OUT_REPLACE;
}

int
mg_outpath_resolve(const char *path, char *out, size_t n)
{
    char real[PATH_MAX];
    if (realpath(path, real)) {
        snprintf(out, n, "%s", real);
        return 0;
    }
    if (errno != ENOENT) return -1;
    char dir[PATH_MAX], t[PATH_MAX];
    const char *base = mg_path_split(mg_outpath_trim(path, t, sizeof t), dir,
                                     sizeof dir);
    if (!realpath(dir, real)) return -1;
    snprintf(out, n, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base);
    return 0;
}

bool
mg_path_holds(const char *outer, const char *inner)
{
    size_t n = strlen(outer);
    if (!strcmp(outer, "/")) return true;
    return !strncmp(outer, inner, n) && (inner[n] == '\0' || inner[n] == '/');
}
