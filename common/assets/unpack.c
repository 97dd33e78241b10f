/*
 * unpack — safe, atomic archive unpacking with libarchive (see unpack.h).
 */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dirent.h>
#include <signal.h>

#include <archive.h>
#include <archive_entry.h>

#include "errmsg.h"
#include "sampledir.h"

size_t
mg_unpack_suffix(const char *f)
{
    static const char *const sfx[] = {".tar.gz", ".tar.bz2", ".tar.xz",
                                      ".tgz", ".tar", ".zip"};
    size_t n = strlen(f);
    for (size_t i = 0; i < sizeof sfx / sizeof *sfx; i++) {
        size_t k = strlen(sfx[i]);
        if (n > k && !strcasecmp(f + n - k, sfx[i])) return k;
    }
    return 0;
}

/* A relative path whose components are never "", "." or "..". */
static bool
safe_path(const char *p)
{
    if (!p || !*p || *p == '/') return false;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (n == 0 && e) return false; /* "a//b" */
        p += n;
        if (*p == '/') p++;
    }
    return true;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

static void
rm_tree(const char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the directories above path (inside the temporary root). */
static int
make_parents(char *path, size_t root_len)
{
    for (char *s = path + root_len + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        int rc = mkdir(path, 0755);
        *s = '/';
        if (rc && errno != EEXIST) return -1;
    }
    return 0;
}

/* Remove what killed runs left in dir: ".NAME.unpack-PID" and
 * ".NAME.old-PID" trees whose PID is no live process. */
static void
sweep(const char *dir, const char *name)
{
    char pre[2][300], path[2400];
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return;
    snprintf(pre[0], sizeof pre[0], ".%s.unpack-", name);
    snprintf(pre[1], sizeof pre[1], ".%s.old-", name);
    while ((e = readdir(d))) {
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(pre[k]);
            char *end;
            if (strncmp(e->d_name, pre[k], n)) continue;
            long pid = strtol(e->d_name + n, &end, 10);
            if (*end || pid <= 0 || !mg_pid_gone(pid))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            rm_tree(path);
        }
    }
    closedir(d);
}

int
mg_unpack(const char *archive, const char *dir, const char *name,
          uint64_t *files, char *err, size_t errlen)
{
    char tmp[2048], final[2048], old[2100], path[6200];
    int rc = -1;
    uint64_t total = 0;
    *files = 0;
    snprintf(tmp, sizeof tmp, "%s/.%s.unpack-%ld", dir, name, (long)getpid());
    snprintf(final, sizeof final, "%s/%s", dir, name);
    snprintf(old, sizeof old, "%s/.%s.old-%ld", dir, name, (long)getpid());
    sweep(dir, name);
    rm_tree(tmp);
    if (mkdir(tmp, 0755))
        return mg_errf(err, errlen, "cannot make %s: %s", tmp,
                       strerror(errno));
    struct archive *a = archive_read_new();
    if (!a) {
        rm_tree(tmp);
        return mg_errf(err, errlen, "out of memory");
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_zip(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_filename(a, archive, 65536) != ARCHIVE_OK) {
        mg_errf(err, errlen, "%s: not an archive we can read: %s", archive,
                archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    int r;
    char *buf = malloc(65536);
    if (!buf) {
        mg_errf(err, errlen, "out of memory");
        goto out;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        mode_t type = archive_entry_filetype(e);
        /* a directory entry may end in '/' */
        char rel[4096];
        snprintf(rel, sizeof rel, "%s", p ? p : "");
        size_t n = strlen(rel);
        while (n > 1 && rel[n - 1] == '/') rel[--n] = 0;
        if (!safe_path(rel)) {
            mg_errf(err, errlen, "%s: unsafe entry '%s' (absolute or with "
                    "'..'): archive refused, nothing unpacked", archive,
                    p ? p : "");
            goto out_buf;
        }
        if (archive_entry_hardlink(e) || (type != AE_IFREG &&
                                          type != AE_IFDIR)) {
            mg_errf(err, errlen, "%s: entry '%s' is a link or special file: "
                    "archive refused, nothing unpacked", archive, rel);
            goto out_buf;
        }
        snprintf(path, sizeof path, "%s/%s", tmp, rel);
        if (make_parents(path, strlen(tmp))) {
            mg_errf(err, errlen, "cannot make the directories of %s: %s",
                    path, strerror(errno));
            goto out_buf;
        }
        if (type == AE_IFDIR) {
            if (mkdir(path, 0755) && errno != EEXIST) {
                mg_errf(err, errlen, "cannot make %s: %s", path,
                        strerror(errno));
                goto out_buf;
            }
            continue;
        }
        /* O_EXCL: a name given twice (or a file over a directory) is an
         * error, not an overwrite */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            mg_errf(err, errlen, "cannot write %s: %s", path,
                    strerror(errno));
            goto out_buf;
        }
        la_ssize_t got;
        while ((got = archive_read_data(a, buf, 65536)) > 0) {
            total += (uint64_t)got;
            if (total > MG_UNPACK_MAX_BYTES) {
                close(fd);
                mg_errf(err, errlen, "%s: unpacks to more than %llu GiB: "
                        "refused", archive,
                        (unsigned long long)(MG_UNPACK_MAX_BYTES >> 30));
                goto out_buf;
            }
            for (la_ssize_t off = 0; off < got;) {
                ssize_t w = write(fd, buf + off, (size_t)(got - off));
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) {
                    int en = errno;
                    close(fd);
                    mg_errf(err, errlen, "cannot write %s: %s", path,
                            strerror(en ? en : EIO));
                    goto out_buf;
                }
                off += w;
            }
        }
        if (got < 0) {
            close(fd);
            mg_errf(err, errlen, "%s: %s: %s", archive, rel,
                    archive_error_string(a));
            goto out_buf;
        }
        if (close(fd)) {
            mg_errf(err, errlen, "cannot write %s: %s", path,
                    strerror(errno));
            goto out_buf;
        }
        (*files)++;
    }
    if (r != ARCHIVE_EOF) {
        mg_errf(err, errlen, "%s: %s", archive, archive_error_string(a));
        goto out_buf;
    }
    /* into place: the old tree aside, the new one in, the old one gone */
    struct stat st;
    bool had = lstat(final, &st) == 0;
    if (had && rename(final, old)) {
        mg_errf(err, errlen, "cannot move %s aside: %s", final,
                strerror(errno));
        goto out_buf;
    }
    if (rename(tmp, final)) {
        mg_errf(err, errlen, "cannot install %s: %s", final, strerror(errno));
        if (had) rename(old, final);
        goto out_buf;
    }
    if (had) rm_tree(old);
    rc = 0;
out_buf:
    free(buf);
out:
    archive_read_free(a);
    if (rc) rm_tree(tmp);
    return rc;
}
