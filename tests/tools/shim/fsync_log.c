/*
 * fsync_log — an LD_PRELOAD shim for the durability test: every fsync(2)
 * and fdatasync(2) of the process is passed on to libc, and, when it
 * succeeds, the path of its file descriptor (from /proc/self/fd) is
 * appended as one line "fsync PATH" to the file named by $MG_FSYNC_LOG
 * (O_APPEND, one write per line: processes and threads may share it).
 * Nothing else changes: the program under test is the real one.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

static void
note(const char *what, int fd)
{
    const char *log = getenv("MG_FSYNC_LOG");
    if (!log)
        return;
    char link[64], path[4096], line[4200];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0)
        return;
    path[n] = '\0';
    int len = snprintf(line, sizeof line, "%s %s\n", what, path);
    int lf = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (lf < 0)
        return;
    if (len > 0 && write(lf, line, (size_t)len) < 0)
        len = 0;
    close(lf);
}

int
fsync(int fd)
{
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int rc = real ? real(fd) : -1;
    if (rc == 0)
        note("fsync", fd);
    return rc;
}

int
fdatasync(int fd)
{
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int rc = real ? real(fd) : -1;
    if (rc == 0)
        note("fsync", fd);
    return rc;
}
