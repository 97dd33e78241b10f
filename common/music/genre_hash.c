/*
 * genre_hash — the fingerprint of a genres directory (mg_genre_dir_hash):
 * SHA-256 over every regular file below it, in bytewise order of relative
 * path, each as its path (NUL-terminated) then its bytes.
 *
 * Invariants: the same tree gives the same hash whatever the order
 * readdir returns; a file that cannot be read is an error, never skipped.
 */
#include "genre_priv.h"
#include "errmsg.h"
#include "hex.h"
#include "rfile.h"

#include <dirent.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char **v;
    int n, cap;
} path_list;

static int
walk(const char *root, const char *rel, path_list *pl, char *err,
     size_t errlen)
{
    char dir[2048];
    DIR *d;
    struct dirent *e;

    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    if (!(d = opendir(dir))) {
        mg_errf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        char sub[2048], full[4096];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "",
                 e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (walk(root, sub, pl, err, errlen) != 0) {
                closedir(d);
                return -1;
            }
        } else if (S_ISREG(st.st_mode)) {
            if (pl->n == pl->cap) {
                int cap = pl->cap ? pl->cap * 2 : 64;
                char **nv = realloc(pl->v, (size_t)cap * sizeof *nv);
                if (!nv)
                    goto oom;
                pl->v = nv;
                pl->cap = cap;
            }
            if (!(pl->v[pl->n] = strdup(sub)))
                goto oom;
            pl->n++;
        }
    }
    closedir(d);
    return 0;
oom:
    closedir(d);
    mg_errf(err, errlen, "out of memory hashing %s", root);
    return -1;
}

int
mg_genre_dir_hash(const char *genres_dir, char out[65], char *err,
                  size_t errlen)
{
    path_list pl = {NULL, 0, 0};
    EVP_MD_CTX *md = NULL;
    unsigned char digest[32], buf[65536];
    unsigned dlen = 0;
    int rc = -1;

    if (walk(genres_dir, "", &pl, err, errlen) != 0)
        goto out;
    if (pl.n)
        qsort(pl.v, (size_t)pl.n, sizeof *pl.v, genre_cmp_str);
    if (!(md = EVP_MD_CTX_new()) ||
        EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        mg_errf(err, errlen, "SHA-256 unavailable");
        goto out;
    }
    for (int i = 0; i < pl.n; i++) {
        char full[4096];
        FILE *f;
        size_t got;
        snprintf(full, sizeof full, "%s/%s", genres_dir, pl.v[i]);
        if (mg_rfile_open(full, 0, &f, err, errlen) < 0) goto out;
        EVP_DigestUpdate(md, pl.v[i], strlen(pl.v[i]) + 1);
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            EVP_DigestUpdate(md, buf, got);
        if (ferror(f)) {
            fclose(f);
            mg_errf(err, errlen, "%s: read error", full);
            goto out;
        }
        fclose(f);
    }
    EVP_DigestFinal_ex(md, digest, &dlen);
    mg_hex_sha256(digest, out);
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    for (int i = 0; i < pl.n; i++)
        free(pl.v[i]);
    free(pl.v);
    return rc;
}
