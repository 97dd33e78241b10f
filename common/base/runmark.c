/*
 * runmark — the run-complete mark in the run root (see runmark.h).
 */
#include "runmark.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "sampledir.h"

int
mg_runmark_write(const char *root, int64_t global_seed, uint64_t start,
                 uint64_t count, char *err, size_t errlen)
{
    char dir[4200], path[4300], tmp[4400];
    snprintf(dir, sizeof dir, "%s/.musicgen", root);
    snprintf(path, sizeof path, "%s/complete", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = mg_dir_make(dir) ? NULL : fopen(tmp, "w");
    int bad = !f;
    if (f) {
        bad |= fprintf(f, "{\"global_seed\":%" PRId64 ",\"start\":%" PRIu64
                       ",\"count\":%" PRIu64 "}\n", global_seed, start,
                       count) < 0;
        bad |= fflush(f) != 0 || fsync(fileno(f)) != 0;
        bad |= fclose(f) != 0;
    }
    if (bad || rename(tmp, path)) {
        int en = errno;
        unlink(tmp);
        return mg_errf(err, errlen, "cannot write %s: %s", path,
                       strerror(en));
    }
    return 0;
}

int
mg_runmark_clear(const char *root, char *err, size_t errlen)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.musicgen/complete", root);
    if (unlink(path) && errno != ENOENT)
        return mg_errf(err, errlen, "cannot remove %s: %s", path,
                       strerror(errno));
    return 0;
}

int
mg_runmark_complete(const char *root, int64_t global_seed, uint64_t start,
                    uint64_t count)
{
    char path[4300], have[256], want[256];
    snprintf(path, sizeof path, "%s/.musicgen/complete", root);
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return 0;
    if (st.st_size == 0)
        return 1;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(have, 1, sizeof have - 1, f);
    fclose(f);
    have[n] = '\0';
    snprintf(want, sizeof want, "{\"global_seed\":%" PRId64 ",\"start\":%"
             PRIu64 ",\"count\":%" PRIu64 "}\n", global_seed, start, count);
    return strcmp(have, want) == 0;
}
