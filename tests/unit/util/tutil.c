/*
 * tutil — the unit tests' shared set-up (tutil.h).
 */
#include "tutil.h"

#include <stdio.h>
#include <stdlib.h>

char *
tu_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        len = ftell(f);
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0)
        b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (!b)
        return NULL;
    b[len] = '\0';
    *n = (size_t)len;
    return b;
}

char *
tu_tmpdir(char *root, size_t n, const char *name)
{
    const char *t = getenv("TMPDIR");
    snprintf(root, n, "%s/%s.XXXXXX", t && *t ? t : "/tmp", name);
    return mkdtemp(root);
}

int
tu_put(const char *dir, const char *rel, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}
