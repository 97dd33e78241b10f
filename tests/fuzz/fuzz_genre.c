/*
 * fuzz_genre — a user's genre directory is untrusted input: its spec.json
 * and drum grid come from the fuzzer (split at the first NUL byte), the
 * loader must return a spec or a one-line error, never crash or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "genre.h"

static char root[64];

static void
write_file(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (n) fwrite(d, 1, n, f);
    fclose(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!root[0]) {
        snprintf(root, sizeof root, "/tmp/fuzz-genre-%ld", (long)getpid());
        mkdir(root, 0700);
        char p[128];
        snprintf(p, sizeof p, "%s/g", root);
        mkdir(p, 0700);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    char p[128];
    snprintf(p, sizeof p, "%s/g/spec.json", root);
    write_file(p, data, n1);
    snprintf(p, sizeof p, "%s/g/drums_44.txt", root);
    write_file(p, nul ? nul + 1 : data, nul ? size - n1 - 1 : 0);
    char err[512];
    mg_genre *g = mg_genre_load(root, "g", err, sizeof err);
    if (g) {
        mg_genre *m = mg_genre_merge(&g, 1, err, sizeof err);
        mg_genre_destroy(&m);
    } else if (!memchr(err, 0, sizeof err) || strchr(err, '\n')) {
        abort(); /* the error must be one terminated line */
    }
    mg_genre_destroy(&g);
    return 0;
}
