/*
 * worker_sync — durable mode: a finished sample's files, its directory
 * and the directories above it up to the run root are fsynced before its
 * row is reported (a coordinated worker's ROW, a static slice's line), so
 * an acknowledged row survives a power cut, its rename included.
 */
#include "worker_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wfile.h"

/* fsync every file and directory under dir, then dir itself. 0 or -1
 * (errno set). */
static int
sync_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[2400];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (lstat(p, &st)) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = sync_tree(p);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || fsync(fd))
                rc = -1;
            if (fd >= 0)
                close(fd);
        }
    }
    int dfd = dirfd(d);
    if (rc == 0 && fsync(dfd))
        rc = -1;
    closedir(d);
    return rc;
}

/* Durable mode: the sample's files, its directory, and the directories
 * above it up to the run root reach the disk before the ROW is sent, so
 * an acknowledged row survives a power cut (its rename included). A
 * failure is a fault of the output: the worker stops, as on disk full. */
int
worker_sync_sample(const char *root, const char *rel, char *err, size_t errlen)
{
    char p[2200];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    if (sync_tree(p))
        goto fail;
    for (;;) {
        char *slash = strrchr(p, '/');
        if (!slash || (size_t)(slash - p) < strlen(root))
            break;
        *slash = '\0';
        if (mg_wfile_sync_dir(p))
            goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "durable mode: cannot sync %.400s: %s", p,
             strerror(errno));
    return -1;
}
