/*
 * rfile — regular files only (see rfile.h for why).
 * Invariant: nothing here reads a byte before fstat has said S_ISREG.
 */
#include "rfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "errmsg.h"

static const char *
kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

static int
open_regular(const char *path, long long max_bytes, int *fdp, long long *size,
             char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;

    if (fd < 0) return mg_errf(err, errlen, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return mg_errf(err, errlen, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return mg_errf(err, errlen, "%s: is %s, expected a regular file", path,
                       kind(st.st_mode));
    }
    if (max_bytes > 0 && (long long)st.st_size > max_bytes) {
        close(fd);
        return mg_errf(err, errlen, "%s: %lld bytes, more than the %lld allowed",
                       path, (long long)st.st_size, max_bytes);
    }
    /* Back to blocking reads: a regular file never blocks anyway. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *fdp = fd;
    *size = (long long)st.st_size;
    return 0;
}

int
mg_rfile_open(const char *path, long long max_bytes, FILE **fp, char *err,
              size_t errlen)
{
    int fd;
    long long size;

    *fp = NULL;
    if (open_regular(path, max_bytes, &fd, &size, err, errlen) < 0) return -1;
    if (!(*fp = fdopen(fd, "r"))) {
        int e = errno;
        close(fd);
        return mg_errf(err, errlen, "%s: %s", path, strerror(e));
    }
    return 0;
}

int
mg_rfile_check(const char *path, char *err, size_t errlen)
{
    int fd;
    long long size;

    if (open_regular(path, 0, &fd, &size, err, errlen) < 0) return -1;
    close(fd);
    return 0;
}

int
mg_rfile_read(const char *path, long long max_bytes, char **buf, size_t *len,
              char *err, size_t errlen)
{
    int fd;
    long long size;
    size_t got = 0;

    *buf = NULL;
    *len = 0;
    if (open_regular(path, max_bytes, &fd, &size, err, errlen) < 0) return -1;
    char *b = malloc((size_t)size + 1);
    if (!b) {
        close(fd);
        return mg_errf(err, errlen, "%s: out of memory", path);
    }
    /* Read at most the size fstat gave: a file growing under us is cut
     * there rather than read without end. */
    while (got < (size_t)size) {
        ssize_t n = read(fd, b + got, (size_t)size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            free(b);
            close(fd);
            return mg_errf(err, errlen, "%s: %s", path, strerror(e));
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    b[got] = 0;
    *buf = b;
    *len = got;
    return 0;
}

size_t
mg_rfile_bom(const char *text, size_t len)
{
    return len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
}

void
mg_rfile_skip_bom(FILE *f)
{
    char b[3];
    if (fread(b, 1, 3, f) != 3 || !mg_rfile_bom(b, 3))
        rewind(f);
}

json_t *
mg_rfile_json(const char *path, size_t flags, char *err, size_t errlen)
{
    char *text;
    size_t len;
    json_error_t je;

    if (mg_rfile_read(path, MG_RFILE_JSON_MAX, &text, &len, err, errlen) < 0)
        return NULL;
    size_t bom = mg_rfile_bom(text, len);
    json_t *j = json_loadb(text + bom, len - bom, flags, &je);
    free(text);
    if (!j) mg_errf(err, errlen, "%s:%d: %s", path, je.line, je.text);
    return j;
}
