/*
 * licenses — LICENSES.md of a dataset from what its samples used (see
 * licenses.h). Fonts are listed by name in sorted order, so the file is a
 * function of the finished samples and the registry only.
 */
#include "licenses.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "pools.h"
#include "song.h"

typedef struct {
    char name[64];
    char license[64];
    char license_class[16];
    char path[1024];
    long stems[MG_NLAYERS];
    long samples;
} used;

static int
cmp_used(const void *a, const void *b)
{
    return strcmp(((const used *)a)->name, ((const used *)b)->name);
}

static void
note_sample(json_t *sj, used *u, int *nu, int max)
{
    json_t *sf = json_object_get(sj, "soundfonts");
    bool seen[MG_POOLS_MAX * 2] = {false};

    if (!json_is_object(sf))
        return;
    for (int l = 0; l < MG_NLAYERS; l++) {
        json_t *o = json_object_get(sf, mg_layer_name(l));
        const char *nm = json_string_value(json_object_get(o, "name"));
        int k;
        if (!nm)
            continue;
        for (k = 0; k < *nu; k++)
            if (!strcmp(u[k].name, nm))
                break;
        if (k == *nu) {
            const char *s;
            if (*nu >= max)
                continue;
            memset(&u[k], 0, sizeof u[k]);
            snprintf(u[k].name, sizeof u[k].name, "%s", nm);
            s = json_string_value(json_object_get(o, "license"));
            snprintf(u[k].license, sizeof u[k].license, "%s",
                     s ? s : "unknown");
            s = json_string_value(json_object_get(o, "license_class"));
            snprintf(u[k].license_class, sizeof u[k].license_class, "%s",
                     s ? s : "unknown");
            s = json_string_value(json_object_get(o, "path"));
            snprintf(u[k].path, sizeof u[k].path, "%s", s ? s : "");
            (*nu)++;
        }
        u[k].stems[l]++;
        if (!seen[k]) {
            seen[k] = true;
            u[k].samples++;
        }
    }
}

/* The whole file at path into *buf (grown as needed, NUL-terminated);
 * its length, or -1. */
static long
slurp(const char *path, char **buf, size_t *cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    struct stat st;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > (64 << 20)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t r;
        if (n + 1 >= *cap) {
            size_t nc = *cap ? *cap * 2 : (size_t)st.st_size + 4096;
            char *nb = realloc(*buf, nc);
            if (!nb) {
                close(fd);
                return -1;
            }
            *buf = nb;
            *cap = nc;
        }
        r = read(fd, *buf + n, *cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    (*buf)[n] = 0;
    return (long)n;
}

/* A sample.json's "soundfonts", as {"soundfonts": VALUE}, or NULL. Only
 * that member is parsed: the file is scanned (strings, nesting) for the
 * top-level key and its value handed to jansson; the rest - the bulk of
 * the file, its numbers above all - is skipped (parsing every finished
 * sample's whole file was most of a midi-only run's serial end: 2,000
 * files, about 2 CPU-s, read a character at a time). A file where the
 * scan finds no such key is parsed whole, as before. */
static json_t *
load_fonts(const char *path, char **buf, size_t *cap)
{
    static const char key[] = "\"soundfonts\"";
    long n = slurp(path, buf, cap);
    const char *b = *buf;
    int depth = 0;

    if (n < 0)
        return NULL;
    for (long i = 0; i < n; i++) {
        char c = b[i];
        if (c == '"') {
            long j = i + 1;
            if (depth == 1 && !strncmp(b + i, key, sizeof key - 1)) {
                j = i + (long)sizeof key - 1;
                while (j < n && strchr(" \t\r\n", b[j]))
                    j++;
                if (j < n && b[j] == ':') {
                    json_t *v = json_loadb(b + j + 1, (size_t)(n - j - 1),
                                           JSON_DISABLE_EOF_CHECK |
                                           JSON_DECODE_INT_AS_REAL, NULL);
                    json_t *o = v ? json_object() : NULL;
                    if (o)
                        json_object_set_new(o, "soundfonts", v);
                    else
                        json_decref(v);
                    return o;
                }
                j = i + 1;
            }
            /* skip the string */
            for (; j < n && b[j] != '"'; j++)
                if (b[j] == '\\')
                    j++;
            i = j;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return json_loadb(b, (size_t)n, JSON_DECODE_INT_AS_REAL, NULL);
}

int
mg_licenses_write(const char *root, const char *sf_dir, int *nfonts,
                  char *err, size_t errlen)
{
    char path[1200], tmp[1300], line[8192];
    used *u = calloc(MG_POOLS_MAX * 2, sizeof *u);
    int nu = 0, rc = -1;
    long nsamples = 0;
    FILE *m = NULL, *o = NULL;
    mg_pools *reg = NULL;
    char *fb = NULL;
    size_t fcap = 0;

    if (!u)
        return mg_errf(err, errlen, "LICENSES.md: out of memory");
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    m = fopen(path, "r");
    if (!m) {
        mg_errf(err, errlen, "LICENSES.md: %s: %s", path, strerror(errno));
        goto out;
    }
    while (fgets(line, sizeof line, m)) {
        /* seeds are unsigned 64-bit: beyond jansson's integers */
        json_t *row = json_loads(line, JSON_DECODE_INT_AS_REAL, NULL), *sj;
        const char *st = json_string_value(json_object_get(row, "status"));
        const char *rel = json_string_value(json_object_get(row, "path"));
        char sp[2400];
        if (row && st && rel && !strcmp(st, "ok") && !strstr(rel, "..")) {
            snprintf(sp, sizeof sp, "%s/%s/sample.json", root, rel);
            sj = load_fonts(sp, &fb, &fcap);
            if (sj) {
                note_sample(sj, u, &nu, MG_POOLS_MAX * 2);
                nsamples++;
            }
            json_decref(sj);
        }
        json_decref(row);
    }
    fclose(m);
    m = NULL;
    qsort(u, (size_t)nu, sizeof *u, cmp_used);
    reg = mg_pools_registry(sf_dir, err, errlen);   /* NULL: no texts */

    snprintf(path, sizeof path, "%s/LICENSES.md", root);
    snprintf(tmp, sizeof tmp, "%s/.LICENSES.md.tmp", root);
    o = fopen(tmp, "w");
    if (!o) {
        mg_errf(err, errlen, "LICENSES.md: %s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(o, "# Soundfont licences\n\n"
            "The audio of this dataset was rendered with the soundfonts "
            "below (%d font%s across %ld finished sample%s; midi-only "
            "samples record the font each stem would use). Their terms "
            "apply to the audio; where a font asks for attribution, the "
            "text to carry is given. Written by musicgen from each "
            "sample's `sample.json` (`soundfonts`).\n\n",
            nu, nu == 1 ? "" : "s", nsamples, nsamples == 1 ? "" : "s");
    if (nu) {
        fprintf(o, "| font | licence | class | stems (beat/melody/harmony/"
                "bassline) | samples |\n|---|---|---|---|---|\n");
        for (int i = 0; i < nu; i++)
            fprintf(o, "| %s | %s | %s | %ld/%ld/%ld/%ld | %ld |\n",
                    u[i].name, u[i].license, u[i].license_class,
                    u[i].stems[0], u[i].stems[1], u[i].stems[2],
                    u[i].stems[3], u[i].samples);
        fputc('\n', o);
    }
    for (int i = 0; i < nu; i++) {
        int k = reg ? mg_pools_find(reg, u[i].name) : -1;
        const mg_font_info *f = k >= 0 ? mg_pools_font(reg, k) : NULL;
        fprintf(o, "## %s\n\n", u[i].name);
        fprintf(o, "- Licence: %s (%s)\n", u[i].license, u[i].license_class);
        if (f && f->license_url[0])
            fprintf(o, "- Licence text: %s\n", f->license_url);
        if (f && f->copyright)
            fprintf(o, "- Copyright: %s\n", f->copyright);
        if (f && f->debian_package[0])
            fprintf(o, "- Source: Debian package `%s` (full terms in "
                    "/usr/share/doc/%s/copyright)\n", f->debian_package,
                    f->debian_package);
        if (u[i].path[0])
            fprintf(o, "- File: `%s`\n", u[i].path);
        fprintf(o, "- Attribution: %s\n\n",
                f && f->attribution ? f->attribution
                : "unknown: the registry has no entry for this font; check "
                  "its licence before distributing the audio");
    }
    if (fflush(o) || fsync(fileno(o))) {
        mg_errf(err, errlen, "LICENSES.md: write %s: %s", tmp,
                strerror(errno));
        goto out;
    }
    if (fclose(o)) {
        o = NULL;
        mg_errf(err, errlen, "LICENSES.md: write %s: %s", tmp,
                strerror(errno));
        goto out;
    }
    o = NULL;
    if (rename(tmp, path) < 0) {
        mg_errf(err, errlen, "LICENSES.md: %s: %s", path, strerror(errno));
        goto out;
    }
    if (nfonts)
        *nfonts = nu;
    rc = 0;
out:
    if (m)
        fclose(m);
    if (o) {
        fclose(o);
        unlink(tmp);
    }
    mg_pools_destroy(&reg);
    free(u);
    free(fb);
    return rc;
}
