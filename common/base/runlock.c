/*
 * runlock — one writer of a dataset tree at a time (see runlock.h).
 */
#include "runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "errmsg.h"
#include "sampledir.h"

/* The holder's words from the lock file (its first line; a holder that
 * has not written them yet is "another musicgen process"). */
static void
holder(int fd, char *who, size_t wholen)
{
    if (!wholen) return;
    ssize_t n = pread(fd, who, wholen - 1, 0);
    if (n < 0) n = 0;
    who[n] = '\0';
    who[strcspn(who, "\n")] = '\0';
    if (!who[0]) snprintf(who, wholen, "another musicgen process");
}

/* Take ROOT's lock in mode (LOCK_EX or LOCK_SH), see runlock.h. */
static int
take(const char *root, const char *what, int mode, char *err, size_t errlen)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/.musicgen", root);
    snprintf(path, sizeof path, "%s/run.lock", dir);
    if (mg_dir_make(dir))
        return mg_errf(err, errlen, "cannot make %s: %s", dir,
                       strerror(errno));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return mg_errf(err, errlen, "%s: %s", path, strerror(errno));
    int rc;
    /* mg_runlock_held's probe holds the lock for a moment: a few tries
     * over ~50 ms tell that from a holder */
    for (int tries = 0;; tries++) {
        rc = flock(fd, mode | LOCK_NB);
        if (!rc || (errno != EINTR && errno != EWOULDBLOCK) || tries == 10)
            break;
        if (errno == EWOULDBLOCK)
            usleep(5000);
    }
    if (rc && errno != EWOULDBLOCK) {
        /* A file system without flock (Lustre mounted noflock: ENOSYS,
         * NFS without a lock manager: ENOLCK): the work goes on
         * unguarded, as before there was a lock, rather than not at all. */
        return fd;
    }
    if (rc) {
        char who[200];
        holder(fd, who, sizeof who);
        close(fd);
        return mg_errf(err, errlen, "%s is in use by %s: one of generate, "
                       "coordinator, merge, score, filter and clean at a "
                       "time, or static workers (run this when it has "
                       "finished or stopped)", root, who);
    }
    char host[128] = "";
    gethostname(host, sizeof host - 1);
    char line[400];
    int n = snprintf(line, sizeof line, "%s (pid %ld on %s)\n", what,
                     (long)getpid(), host[0] ? host : "this host");
    /* The words are for a message only: a failure here changes nothing.
     * Of several static workers, the last to start is named. */
    if (n > 0 && ftruncate(fd, 0) == 0 &&
        pwrite(fd, line, (size_t)n, 0) == n)
        (void)0;
    return fd;
}

int
mg_runlock_take(const char *root, const char *what, char *err, size_t errlen)
{
    return take(root, what, LOCK_EX, err, errlen);
}

int
mg_runlock_share(const char *root, const char *what, char *err,
                 size_t errlen)
{
    return take(root, what, LOCK_SH, err, errlen);
}

void
mg_runlock_release(int fd)
{
    if (fd < 0) return;
    /* The words go first, so that a reader never names a gone holder:
     * by the last holder only (an exclusive one is; of static workers
     * sharing it, the one that can take it alone - trying gives up its
     * share, which it is dropping anyway). */
    if (!flock(fd, LOCK_EX | LOCK_NB) && ftruncate(fd, 0)) (void)0;
    close(fd);
}

int
mg_runlock_held(const char *root, char *who, size_t wholen)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.musicgen/run.lock", root);
    if (wholen) who[0] = '\0';
    /* for writing where it can be (NFS's emulation of an exclusive flock
     * needs it); a reader without the right probes read-only */
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    /* exclusive, to see static workers' shares too; another probe holds
     * it for a moment only: a few tries over ~50 ms tell the two apart */
    int held = 0;
    for (int tries = 0;; tries++) {
        if (!flock(fd, LOCK_EX | LOCK_NB)) {
            flock(fd, LOCK_UN);
            break;
        }
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK) break; /* no flock here: nothing known */
        if (tries == 10) {
            held = 1;
            holder(fd, who, wholen);
            break;
        }
        usleep(5000);
    }
    close(fd);
    return held;
}

/* ROOT/.musicgen/writers.lock opened (made by workers: where there is
 * none, none holds it), or -1. */
static int
writers_open(const char *root, int create)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.musicgen/writers.lock", root);
    return open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
}

int
mg_runlock_writer(const char *root)
{
    int fd = writers_open(root, 1);
    if (fd < 0) return -1;
    /* `clean` holds it for its sweep only: wait for it */
    int rc;
    while ((rc = flock(fd, LOCK_SH)) && errno == EINTR)
        ;
    if (rc) {
        close(fd);
        return -1;
    }
    return fd;
}

int
mg_runlock_writers(const char *root, int *fd)
{
    *fd = writers_open(root, 0);
    if (*fd < 0) return 0;
    int rc;
    while ((rc = flock(*fd, LOCK_EX | LOCK_NB)) && errno == EINTR)
        ;
    if (!rc) return 0;
    int held = errno == EWOULDBLOCK;
    close(*fd);
    *fd = -1;
    return held;
}
