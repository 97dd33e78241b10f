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

#include "config.h"
#include "errmsg.h"
#include "pools.h"
#include "rfile.h"
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

struct mg_licenses {
    used *u;
    int nu;
    long nsamples;
};

mg_licenses *
mg_licenses_new(void)
{
    mg_licenses *l = calloc(1, sizeof *l);
    if (l && !(l->u = calloc(MG_POOLS_MAX * 2, sizeof *l->u))) {
        free(l);
        return NULL;
    }
    return l;
}

void
mg_licenses_free(mg_licenses **lp)
{
    if (!*lp) return;
    free((*lp)->u);
    free(*lp);
    *lp = NULL;
}

void
mg_licenses_add(mg_licenses *l, const mg_license_font f[MG_NLAYERS])
{
    bool seen[MG_POOLS_MAX * 2] = {false};
    const int max = MG_POOLS_MAX * 2;

    l->nsamples++;
    for (int layer = 0; layer < MG_NLAYERS; layer++) {
        const char *nm = f[layer].name;
        int k;
        if (!nm)
            continue;
        for (k = 0; k < l->nu; k++)
            if (!strcmp(l->u[k].name, nm)) break;
        if (k == l->nu) {
            used *u = &l->u[k];
            if (l->nu >= max) continue;
            memset(u, 0, sizeof *u);
            snprintf(u->name, sizeof u->name, "%s", nm);
            snprintf(u->license, sizeof u->license, "%s",
                     f[layer].license ? f[layer].license : "unknown");
            snprintf(u->license_class, sizeof u->license_class, "%s",
                     f[layer].license_class ? f[layer].license_class
                                            : "unknown");
            snprintf(u->path, sizeof u->path, "%s",
                     f[layer].path ? f[layer].path : "");
            l->nu++;
        }
        l->u[k].stems[layer]++;
        if (!seen[k]) {
            seen[k] = true;
            l->u[k].samples++;
        }
    }
}

void
mg_licenses_add_json(mg_licenses *l, const json_t *sf)
{
    mg_license_font f[MG_NLAYERS];

    /* a sample without fonts is counted, with none */
    for (int layer = 0; layer < MG_NLAYERS; layer++) {
        json_t *o = json_object_get(sf, mg_layer_name(layer));
        f[layer] = (mg_license_font){
            json_string_value(json_object_get(o, "name")),
            json_string_value(json_object_get(o, "license")),
            json_string_value(json_object_get(o, "license_class")),
            json_string_value(json_object_get(o, "path")),
        };
    }
    mg_licenses_add(l, f);
}

/* The whole file at path into *buf (grown as needed, NUL-terminated);
 * its length, or -1. */
static long
slurp(const char *path, char **buf, size_t *cap)
{
    /* O_NONBLOCK: a FIFO where a sample.json belongs is refused by the
     * fstat below instead of holding `licenses` (and a run's end) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
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

/* One manifest line (lineno, text with its newline cut) into l: a row
 * with status "ok" adds its sample's fonts; another status (a failed
 * row) adds nothing. A line that is no row, or an ok row without a path
 * into the tree, is an error naming the line: it was skipped without a
 * word, and LICENSES.md left out the fonts of that row's sample. */
static int
add_row(mg_licenses *l, const char *root, char *line, long lineno,
        char **fb, size_t *fcap, char *err, size_t errlen)
{
    json_error_t je;
    json_t *row, *sj;
    const char *st, *rel;
    char sp[2400];
    size_t n = strlen(line), bom;

    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
    bom = lineno == 1 ? mg_rfile_bom(line, n) : 0;   /* as verify reads it */
    if (!line[bom + strspn(line + bom, " \t")])
        return 0;
    /* seeds are unsigned 64-bit: beyond jansson's integers */
    row = json_loads(line + bom, JSON_DECODE_INT_AS_REAL, &je);
    if (!row)
        return mg_errf(err, errlen, "manifest.jsonl:%ld: not a JSON row "
                       "(%s)", lineno, je.text);
    if (!json_is_object(row)) {
        json_decref(row);
        return mg_errf(err, errlen, "manifest.jsonl:%ld: not an object",
                       lineno);
    }
    st = json_string_value(json_object_get(row, "status"));
    rel = json_string_value(json_object_get(row, "path"));
    if (!st || strcmp(st, "ok")) {
        json_decref(row);
        return 0;
    }
    if (!rel || !*rel || rel[0] == '/' || strstr(rel, "..")) {
        json_decref(row);
        return mg_errf(err, errlen, "manifest.jsonl:%ld: an ok row without "
                       "a path inside the dataset", lineno);
    }
    snprintf(sp, sizeof sp, "%s/%s/sample.json", root, rel);
    json_decref(row);
    sj = load_fonts(sp, fb, fcap);
    if (sj)
        mg_licenses_add_json(l, json_object_get(sj, "soundfonts"));
    json_decref(sj);
    return 0;
}

int
mg_licenses_write(const char *root, const char *sf_dir, int *nfonts,
                  char *err, size_t errlen)
{
    char path[1200], why[1400];
    mg_licenses *l = mg_licenses_new();
    FILE *m = NULL;
    char *fb = NULL, *line = NULL;
    size_t fcap = 0, lcap = 0;
    long lineno = 0;
    int rc = -1;

    if (!l) return mg_errf(err, errlen, "LICENSES.md: out of memory");
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    /* a regular file only: a FIFO manifest hung the command */
    if (mg_rfile_open(path, 0, &m, why, sizeof why)) {
        mg_errf(err, errlen, "LICENSES.md: %s", why);
        goto out;
    }
    /* getline: a row longer than fgets' buffer was read as two pieces,
     * both skipped */
    while (getline(&line, &lcap, m) > 0)
        if (add_row(l, root, line, ++lineno, &fb, &fcap, why,
                    sizeof why) < 0) {
            mg_errf(err, errlen, "LICENSES.md not written: %s", why);
            fclose(m);
            goto out;
        }
    fclose(m);
    snprintf(path, sizeof path, "%s/LICENSES.md", root);
    rc = mg_licenses_save(l, sf_dir, path, "dataset", "finished sample", nfonts,
                          err, errlen);
out:
    mg_licenses_free(&l);
    free(fb);
    free(line);
    return rc;
}

int
mg_licenses_save(mg_licenses *l, const char *sf_dir, const char *path,
                 const char *whose, const char *unit, int *nfonts, char *err,
                 size_t errlen)
{
    char tmp[1300];
    used *u = l->u;
    int nu = l->nu, rc = -1;
    long nsamples = l->nsamples;
    FILE *o = NULL;
    mg_pools *reg = NULL;

    /* a hidden temporary beside it: ".LICENSES.md.tmp" */
    const char *base = strrchr(path, '/');
    int dl = base ? (int)(base - path) : 0;
    snprintf(tmp, sizeof tmp, "%.*s%s.%s.tmp", dl, path, base ? "/" : "",
             base ? base + 1 : path);
    qsort(u, (size_t)nu, sizeof *u, cmp_used);
    char dflt[4200];
    if (!sf_dir) {
        snprintf(dflt, sizeof dflt, "%s/sf", mg_data_dir());
        sf_dir = dflt;
    }
    reg = mg_pools_registry(sf_dir, err, errlen);   /* NULL: no texts */

    o = fopen(tmp, "w");
    if (!o) {
        mg_errf(err, errlen, "LICENSES.md: %s: %s", tmp, strerror(errno));
        goto out;
    }
    fprintf(o,
            "# Soundfont licences\n\n"
            "The audio of this %s was rendered with the soundfonts "
            "below (%d font%s across %ld %s%s; midi-only "
            "samples record the font each stem would use). Their terms "
            "apply to the audio; where a font asks for attribution, the "
            "text to carry is given. Written by musicgen from each "
            "sample's `sample.json` (`soundfonts`).\n\n",
            whose, nu, nu == 1 ? "" : "s", nsamples, unit,
            nsamples == 1 ? "" : "s");
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
    if (o) {
        fclose(o);
        unlink(tmp);
    }
    mg_pools_destroy(&reg);
    return rc;
}

/* One row of a LICENSES.md table: "| name | licence | class | b/m/h/l | n |".
 */
static bool
table_row(char *line, used *u)
{
    char *cell[6];
    int nc = 0;
    if (line[0] != '|') return false;
    for (char *p = line + 1; nc < 6;) {
        char *bar = strchr(p, '|');
        if (!bar) break;
        *bar = 0;
        while (*p == ' ')
            p++;
        for (char *e = bar; e > p && e[-1] == ' ';)
            *--e = 0;
        cell[nc++] = p;
        p = bar + 1;
    }
    char tail;
    if (nc != 5 ||
        sscanf(cell[3], "%ld/%ld/%ld/%ld%c", &u->stems[0], &u->stems[1],
               &u->stems[2], &u->stems[3], &tail) != 4 ||
        sscanf(cell[4], "%ld%c", &u->samples, &tail) != 1)
        return false;
    snprintf(u->name, sizeof u->name, "%s", cell[0]);
    snprintf(u->license, sizeof u->license, "%s", cell[1]);
    snprintf(u->license_class, sizeof u->license_class, "%s", cell[2]);
    return true;
}

int
mg_licenses_check(mg_licenses *l, const char *path,
                  void (*say)(void *arg, const char *line), void *arg)
{
    char line[4096], msg[600];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    bool *listed = calloc((size_t)l->nu + 1, sizeof *listed);
    if (!listed) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    int diffs = 0;
    long count = -1;
    qsort(l->u, (size_t)l->nu, sizeof *l->u, cmp_used); /* reports by name */
    while (fgets(line, sizeof line, f)) {
        char *a = strstr(line, " font");
        char *b = a ? strstr(a, " across ") : NULL;
        used u;
        if (count < 0 && b) {
            count = strtol(b + 8, NULL, 10);
            if (count != l->nsamples) {
                snprintf(msg, sizeof msg,
                         "covers %ld samples; the tree's readable "
                         "finished samples: %ld",
                         count, l->nsamples);
                say(arg, msg);
                diffs++;
            }
        } else if (table_row(line, &u)) {
            int k = 0;
            while (k < l->nu && strcmp(l->u[k].name, u.name))
                k++;
            if (k == l->nu) {
                snprintf(msg, sizeof msg, "lists %s, which no sample uses",
                         u.name);
                say(arg, msg);
                diffs++;
                continue;
            }
            const used *w = &l->u[k];
            listed[k] = true;
            if (strcmp(w->license, u.license) ||
                strcmp(w->license_class, u.license_class)) {
                snprintf(msg, sizeof msg,
                         "%s: licence %s (%s), the samples record %s (%s)",
                         u.name, u.license, u.license_class, w->license,
                         w->license_class);
                say(arg, msg);
                diffs++;
            }
            if (memcmp(w->stems, u.stems, sizeof u.stems) ||
                w->samples != u.samples) {
                snprintf(msg, sizeof msg,
                         "%s: stems %ld/%ld/%ld/%ld in %ld "
                         "samples, the samples use it for %ld/%ld/%ld/%ld in "
                         "%ld",
                         u.name, u.stems[0], u.stems[1], u.stems[2], u.stems[3],
                         u.samples, w->stems[0], w->stems[1], w->stems[2],
                         w->stems[3], w->samples);
                say(arg, msg);
                diffs++;
            }
        }
    }
    fclose(f);
    if (count < 0) {
        say(arg, "not a musicgen licence file (no sample count)");
        diffs++;
    }
    for (int k = 0; k < l->nu; k++)
        if (!listed[k]) {
            snprintf(msg, sizeof msg,
                     "does not list %s (used by %ld samples)",
                     l->u[k].name, l->u[k].samples);
            say(arg, msg);
            diffs++;
        }
    free(listed);
    return diffs;
}
