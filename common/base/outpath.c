/*
 * outpath — checks of an output path before the work (outpath.h).
 */
#include "outpath.h"

#include <errno.h>
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
    snprintf(dir, sizeof dir, "%s", p);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
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
