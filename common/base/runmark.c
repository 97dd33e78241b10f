/*
 * runmark — the marks a coordinator leaves in the run root (see
 * runmark.h).
 */
#include "runmark.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "sampledir.h"
#include "wfile.h"

/* ROOT/.musicgen/NAME holds text, whole or not at all. */
static int
mark_write(const char *root, const char *name, const char *text, char *err,
           size_t errlen)
{
    char dir[4200], path[4300];
    snprintf(dir, sizeof dir, "%s/.musicgen", root);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mg_dir_make(dir))
        return mg_errf(err, errlen, "cannot write %s: %s", path,
                       strerror(errno));
    return mg_wfile_put(path, text, strlen(text), true, err, errlen) < 0
               ? -1
               : 0;
}

/* ROOT/.musicgen/NAME into have (NUL-terminated): its size, or -1 when
 * it is not there (or not a regular file). */
static long
mark_read(const char *root, const char *name, char *have, size_t n)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.musicgen/%s", root, name);
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t got = fread(have, 1, n - 1, f);
    fclose(f);
    have[got] = '\0';
    return (long)got;
}

int
mg_runmark_write(const char *root, int64_t global_seed, uint64_t start,
                 uint64_t count, char *err, size_t errlen)
{
    char text[256];
    snprintf(text, sizeof text, "{\"global_seed\":%" PRId64 ",\"start\":%"
             PRIu64 ",\"count\":%" PRIu64 "}\n", global_seed, start, count);
    return mark_write(root, "complete", text, err, errlen);
}

int
mg_runmark_serve(const char *root, int64_t global_seed, uint64_t start,
                 char *err, size_t errlen)
{
    char text[256];
    snprintf(text, sizeof text, "{\"global_seed\":%" PRId64 ",\"start\":%"
             PRIu64 "}\n", global_seed, start);
    return mark_write(root, "serving", text, err, errlen);
}

int
mg_runmark_serves(const char *root, int64_t global_seed, uint64_t start)
{
    char have[256], want[256];
    if (mark_read(root, "serving", have, sizeof have) < 0)
        return 0;
    snprintf(want, sizeof want, "{\"global_seed\":%" PRId64 ",\"start\":%"
             PRIu64 "}\n", global_seed, start);
    return strcmp(have, want) == 0;
}

/* Remove ROOT/.musicgen/NAME: 0, or -1 (errno: ENOENT when none). */
static int
mark_remove(const char *root, const char *name)
{
    char path[4300];
    snprintf(path, sizeof path, "%s/.musicgen/%s", root, name);
    return unlink(path);
}

int
mg_runmark_clear(const char *root, char *err, size_t errlen)
{
    if (mark_remove(root, "complete") && errno != ENOENT)
        return mg_errf(err, errlen, "cannot remove %s/.musicgen/complete: %s",
                       root, strerror(errno));
    return 0;
}

int
mg_runmark_unserve(const char *root)
{
    return mark_remove(root, "serving") == 0;
}

int
mg_runmark_complete(const char *root, int64_t global_seed, uint64_t start,
                    uint64_t count)
{
    char have[256], want[256];
    long n = mark_read(root, "complete", have, sizeof have);
    if (n <= 0)
        return n == 0;
    snprintf(want, sizeof want, "{\"global_seed\":%" PRId64 ",\"start\":%"
             PRIu64 ",\"count\":%" PRIu64 "}\n", global_seed, start, count);
    return strcmp(have, want) == 0;
}

int
mg_runmark_range_write(const char *root, uint64_t start, uint64_t count,
                       char *err, size_t errlen)
{
    char text[128];
    snprintf(text, sizeof text, "{\"start\":%" PRIu64 ",\"count\":%" PRIu64
             "}\n", start, count);
    return mark_write(root, "slices/range.json", text, err, errlen);
}

int
mg_runmark_range(const char *root, uint64_t *start, uint64_t *count)
{
    char have[128];
    if (mark_read(root, "slices/range.json", have, sizeof have) < 0)
        return 0;
    uint64_t s, n;
    int used = 0;
    if (sscanf(have, "{\"start\":%" SCNu64 ",\"count\":%" SCNu64 "}%n",
               &s, &n, &used) != 2 || !used || n == 0)
        return -1;
    *start = s;
    *count = n;
    return 1;
}
