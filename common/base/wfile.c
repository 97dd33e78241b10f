/*
 * wfile — a small file written whole (see wfile.h).
 */
#include "wfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "outpath.h"
#include "sampledir.h"

static int
write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int
mg_wfile_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int
mg_wfile_put(const char *path, const void *data, size_t len, bool replace,
             char *err, size_t errlen)
{
    char host[80], dir[4200], tmp[4400];
    mg_tmp_host(host, sizeof host);
    const char *base = mg_path_split(path, dir, sizeof dir);
    snprintf(tmp, sizeof tmp, "%.*s.%s.tmp-%s-%ld", (int)(base - path), path,
             base, host, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int bad = fd < 0;
    if (fd >= 0) {
        bad |= write_all(fd, data, len) != 0;
        bad |= fsync(fd) != 0;
        bad |= close(fd) != 0;
    }
    int rc = 0;
    if (!bad && replace) {
        bad = rename(tmp, path) != 0;
    } else if (!bad) {
        if (link(tmp, path)) {
            if (errno == EEXIST) rc = 1;
            else bad = 1;
        }
    }
    int en = errno;
    if (bad || !replace) unlink(tmp);
    if (bad)
        return mg_errf(err, errlen, "cannot write %s: %s", path,
                       strerror(en));
    if (rc == 0 && mg_wfile_sync_dir(dir))
        return mg_errf(err, errlen, "cannot write %s: %s", path,
                       strerror(errno));
    return rc;
}
