/*
 * ofile — direct-I/O output files (contract in ofile.h).
 *
 * Two aligned buffers: the caller fills one while the I/O thread writes
 * the other. A buffer handed over is always full (OBUF bytes, a multiple
 * of any logical block size we accept), so every direct write starts at an
 * aligned offset; the tail (less than a buffer) is written at close after
 * O_DIRECT is cleared with fcntl, since a direct write must be a whole
 * number of blocks. A write refused with EINVAL (the file system's
 * alignment differs) clears O_DIRECT and is retried as a plain write.
 */
#include "ofile.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"

#define OBUF (4u << 20)
#define OALIGN 4096u

struct mg_ofile {
    int fd;
    char *path;
    bool direct;
    bool stream;      /* standard output, a device, a FIFO: write(), in
                         order, no offsets */
    char *buf[2];
    size_t fill;      /* bytes in buf[cur] */
    int cur;          /* the buffer the caller fills */
    uint64_t offset;  /* bytes given */
    /* the I/O thread */
    pthread_t th;
    bool th_up;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;      /* buffer handed over and not yet written, or -1 */
    bool quit;
    int err;          /* first errno, sticky */
};

/* Write all of p[0..n) with pwrite at off (direct or not). */
static int
write_at(mg_ofile *f, const char *p, size_t n, uint64_t off)
{
    while (n) {
        ssize_t k = f->stream ? write(f->fd, p, n)
                              : pwrite(f->fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0 && errno == EINVAL && f->direct) {
            /* The file system wants another alignment: buffered from
             * here on (the same bytes, at the same offsets). */
            int fl = fcntl(f->fd, F_GETFL);
            if (fl < 0 || fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) < 0)
                return -1;
            f->direct = false;
            continue;
        }
        if (k < 0) return -1;
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static void *
io_main(void *arg)
{
    mg_ofile *f = arg;
    uint64_t off = 0;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (f->pending < 0 && !f->quit) pthread_cond_wait(&f->cv, &f->mu);
        if (f->pending < 0) break;
        int b = f->pending;
        int failed = f->err;
        pthread_mutex_unlock(&f->mu);
        int en = 0;
        if (!failed && write_at(f, f->buf[b], OBUF, off)) en = errno;
        off += OBUF;
        pthread_mutex_lock(&f->mu);
        if (en && !f->err) f->err = en;
        f->pending = -1;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static bool
direct_wanted(void)
{
    const char *e = getenv("MUSICGEN_DIRECT_IO");
    return !e || strcmp(e, "0");
}

/* Is path there and no regular file (a FIFO, a device)? Such a path is
 * never opened with O_DIRECT: a FIFO's open pairs with its reader before
 * O_DIRECT is refused (EINVAL), and the reader, seeing its writer close,
 * read end-of-file and left, so the buffered retry waited for ever
 * ("export --out fifo" hung about one time in three). */
static bool
not_a_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

mg_ofile *
mg_ofile_open(const char *path, char *err, size_t errlen)
{
    mg_ofile *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        mg_errf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    f->pending = -1;
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    f->fd = -1;
    if (!strcmp(path, "-")) {
        /* a descriptor of our own, closed at the end like a file's */
        f->stream = true;
        free(f->path);
        f->path = strdup("standard output");
        f->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (!f->path || f->fd < 0) {
            mg_errf(err, errlen, "standard output: %s",
                    f->path ? strerror(errno) : "out of memory");
            if (f->fd >= 0) close(f->fd);
            free(f->path);
            free(f);
            return NULL;
        }
    } else if (direct_wanted() && !not_a_file(path)) {
        f->fd = open(path, flags | O_DIRECT, 0644);
        f->direct = f->fd >= 0;
    }
    if (f->fd < 0) f->fd = open(path, flags, 0644);
    if (f->fd < 0) {
        mg_errf(err, errlen, "%s: %s", path, strerror(errno));
        free(f->path);
        free(f);
        return NULL;
    }
    /* a device or a FIFO (/dev/null, a named pipe): written in order like
     * standard output, not synced (they take no fsync) */
    struct stat fst;
    if (!f->stream && !fstat(f->fd, &fst) && !S_ISREG(fst.st_mode))
        f->stream = true;
    for (int i = 0; i < 2; i++)
        if (posix_memalign((void **)&f->buf[i], OALIGN, OBUF)) {
            f->buf[i] = NULL;
            mg_errf(err, errlen, "%s: out of memory", path);
            mg_ofile_abort(&f);
            return NULL;
        }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->th, NULL, io_main, f)) {
        mg_errf(err, errlen, "%s: cannot start a thread", path);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cv);
        mg_ofile_abort(&f);
        return NULL;
    }
    f->th_up = true;
    return f;
}

/* Hand the full buffer to the I/O thread (after it finished the last). */
static int
hand_over(mg_ofile *f)
{
    pthread_mutex_lock(&f->mu);
    while (f->pending >= 0) pthread_cond_wait(&f->cv, &f->mu);
    int en = f->err;
    if (!en) {
        f->pending = f->cur;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    if (en) {
        errno = en;
        return -1;
    }
    f->cur ^= 1;
    f->fill = 0;
    return 0;
}

int
mg_ofile_write(mg_ofile *f, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        size_t room = OBUF - f->fill, k = n < room ? n : room;
        memcpy(f->buf[f->cur] + f->fill, s, k);
        f->fill += k;
        f->offset += k;
        s += k;
        n -= k;
        if (f->fill == OBUF && hand_over(f)) return -1;
    }
    return 0;
}

uint64_t
mg_ofile_offset(const mg_ofile *f)
{
    return f->offset;
}

bool
mg_ofile_direct(const mg_ofile *f)
{
    return f->direct;
}

/* Stop the I/O thread once it has written what it holds; its error. */
static int
stop_thread(mg_ofile *f)
{
    if (!f->th_up) return 0;
    pthread_mutex_lock(&f->mu);
    while (f->pending >= 0) pthread_cond_wait(&f->cv, &f->mu);
    f->quit = true;
    pthread_cond_broadcast(&f->cv);
    int en = f->err;
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->th, NULL);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    f->th_up = false;
    return en;
}

static void
free_f(mg_ofile *f)
{
    if (f->fd >= 0) close(f->fd);
    free(f->buf[0]);
    free(f->buf[1]);
    free(f->path);
    free(f);
}

int
mg_ofile_close(mg_ofile **fp, char *err, size_t errlen)
{
    mg_ofile *f = *fp;
    *fp = NULL;
    if (!f) return 0;
    int en = stop_thread(f);
    if (!en && f->fill) {
        /* The tail, less than a buffer: not a whole number of blocks. */
        uint64_t off = f->offset - f->fill;
        if (f->direct) {
            int fl = fcntl(f->fd, F_GETFL);
            if (fl < 0 || fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) < 0)
                en = errno;
            f->direct = false;
        }
        if (!en && write_at(f, f->buf[f->cur], f->fill, off)) en = errno;
    }
    /* a pipe or a terminal has nothing to sync; standard output sent to a
     * file is synced as a file of ours is */
    struct stat st;
    if (!en && (!f->stream || (!fstat(f->fd, &st) && S_ISREG(st.st_mode))) &&
        fsync(f->fd))
        en = errno;
    if (close(f->fd) && !en) en = errno;
    f->fd = -1;
    int rc = 0;
    if (en) rc = mg_errf(err, errlen, "%s: %s", f->path, strerror(en));
    free_f(f);
    return rc;
}

void
mg_ofile_abort(mg_ofile **fp)
{
    mg_ofile *f = *fp;
    *fp = NULL;
    if (!f) return;
    stop_thread(f);
    free_f(f);
}
