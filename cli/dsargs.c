/*
 * dsargs — the dataset commands' common arguments (see dsargs.h). The
 * messages are the commands' own: "musicgen CMD: ..." on one line.
 */
#include "dsargs.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sampledir.h"

void
mg_dsargs_init(mg_dsargs *a, const char *cmd, const char *usage, int argc,
               char **argv, const char *const *valued, bool has_quiet)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->usage = usage;
    a->argc = argc;
    a->argv = argv;
    a->i = 0;
    a->valued = valued;
    a->has_quiet = has_quiet;
}

static bool
takes_value(const mg_dsargs *a, const char *opt)
{
    for (const char *const *v = a->valued; v && *v; v++)
        if (!strcmp(*v, opt))
            return true;
    return false;
}

int
mg_dsargs_no_value(const char *cmd, const char *opt, bool last,
                   const char *const *valued)
{
    mg_dsargs a = {.valued = valued};
    if (!last || !takes_value(&a, opt))
        return 0;
    fprintf(stderr, "musicgen %s: %s needs a value (try --help)\n", cmd, opt);
    return 2;
}

int
mg_dsargs_next(mg_dsargs *a)
{
    while (++a->i < a->argc) {
        const char *s = a->argv[a->i];
        a->opt = a->val = NULL;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(a->usage, stdout);
            a->rc = 0;
            return -1;
        }
        if (a->has_quiet && (!strcmp(s, "-q") || !strcmp(s, "--quiet"))) {
            a->quiet = true;
            continue;
        }
        if (!strcmp(s, "--") && !a->dashdash) {
            a->dashdash = true; /* the end of options: ROOT may be "-x" */
            continue;
        }
        if (s[0] == '-' && !a->dashdash) {
            a->opt = s;
            /* -j4 as well as -j 4, as getopt takes a short option's value */
            if (s[1] && s[1] != '-' && s[2]) {
                snprintf(a->sopt, sizeof a->sopt, "-%c", s[1]);
                if (takes_value(a, a->sopt)) {
                    a->opt = a->sopt;
                    a->val = s + 2;
                    return 1;
                }
            }
            if (takes_value(a, s)) {
                if (a->i + 1 >= a->argc) {
                    fprintf(stderr, "musicgen %s: %s needs a value (try "
                            "--help)\n", a->cmd, s);
                    a->rc = 2;
                    return -1;
                }
                a->val = a->argv[++a->i];
                /* an unset shell variable: no option takes "" (it was
                 * read as a path, "--plot : No such file ...") */
                if (!*a->val) {
                    fprintf(stderr, "musicgen %s: %s is an empty value "
                            "(try --help)\n", a->cmd, s);
                    a->rc = 2;
                    return -1;
                }
            }
            return 1;
        }
        if (a->root) {
            fprintf(stderr, "musicgen %s: one ROOT only, got '%s' too\n",
                    a->cmd, s);
            a->rc = 2;
            return -1;
        }
        a->root = s;
    }
    if (!a->root) {
        fputs(a->usage, stderr);
        a->rc = 2;
        return -1;
    }
    return 0;
}

char **
mg_dsargs_split_short(int argc, char **argv, const char *shorts,
                      int *nargc)
{
    /* one block: the new argv, then the "-X" names it points to (argv's
     * strings are not ours to cut) */
    size_t slots = 2 * (size_t)argc + 1;
    char **v = calloc(1, slots * sizeof *v + 3 * (size_t)argc);
    if (!v)
        return NULL;
    char *names = (char *)(v + slots);
    int n = 0;
    bool opts = true;
    for (int i = 0; i < argc; i++) {
        char *s = argv[i];
        if (!strcmp(s, "--"))
            opts = false;
        /* the value of a "-X" before it is no option ("-o -jx.json") */
        bool value = i > 1 && argv[i - 1][0] == '-' && argv[i - 1][1] &&
                     !argv[i - 1][2] && strchr(shorts, argv[i - 1][1]);
        if (i && opts && !value && s[0] == '-' && s[1] && s[1] != '-' &&
            s[2] && strchr(shorts, s[1])) {
            char *name = names + 3 * i;
            name[0] = '-';
            name[1] = s[1];
            v[n++] = name;
            v[n++] = s + 2;
            continue;
        }
        v[n++] = s;
    }
    *nargc = n;
    return v;
}

int
mg_dsargs_unknown(const mg_dsargs *a)
{
    fprintf(stderr, "musicgen %s: unknown option '%s' (try --help)\n",
            a->cmd, a->opt);
    return 2;
}

int
mg_dsargs_jobs(const char *cmd, const char *val, long *jobs)
{
    char *end = NULL;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || end == val || *end || v < 1 || v > 64) {
        fprintf(stderr, "musicgen %s: --jobs: need 1..64, got '%s'\n", cmd,
                val ? val : "");
        return 2;
    }
    *jobs = v;
    return 0;
}

int
mg_dsargs_dataset(const char *cmd, const char *root)
{
    struct stat st;
    if (stat(root, &st) || !S_ISDIR(st.st_mode) ||
        mg_sampledir_is_dataset(root))
        return 0;
    DIR *d = opendir(root);
    if (!d) return 0;
    /* the subdirectories that hold a dataset: the first three named */
    mg_names3 t = {0};
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        if (n[0] == '.' || strlen(n) > 60) continue;
        char sub[4200];
        snprintf(sub, sizeof sub, "%s/%s", root, n);
        if (!stat(sub, &st) && S_ISDIR(st.st_mode) && mg_sampledir_marked(sub))
            mg_names3_add(&t, n);
    }
    closedir(d);
    const char *sep = root[strlen(root) - 1] == '/' ? "" : "/";
    fprintf(stderr, "musicgen %s: %s holds no musicgen dataset (no "
            "manifest.jsonl, no sample directories)", cmd, root);
    for (int i = 0; i < t.n; i++)
        fprintf(stderr, "%s%s%s%s", i ? ", " : "; ", root, sep, t.name[i]);
    if (t.more) fprintf(stderr, " and %d more", t.more);
    if (t.n) fprintf(stderr, t.n + t.more > 1 ? " do" : " does");
    fputc('\n', stderr);
    return 1;
}

int
mg_dsargs_dataset_marked(const char *cmd, const char *root)
{
    struct stat st;
    if (stat(root, &st) || !S_ISDIR(st.st_mode) || mg_sampledir_marked(root))
        return 0;
    if (mg_dsargs_dataset(cmd, root)) return 1; /* named what holds one */
    fprintf(stderr, "musicgen %s: %s has no manifest.jsonl and no .musicgen/: "
            "not a musicgen dataset, and %s removes directories only in "
            "one\n", cmd, root, cmd);
    return 1;
}

int
mg_dsargs_list_add(char *list, size_t n, const char *val)
{
    size_t l = strlen(list);
    for (const char *p = val;;) {
        const char *c = strchr(p, ',');
        const char *e = c ? c : p + strlen(p);
        while (p < e && isspace((unsigned char)*p))
            p++;
        const char *q = e;
        while (q > p && isspace((unsigned char)q[-1]))
            q--;
        /* an empty item stays one: the commands name an empty value */
        int w = snprintf(list + l, n - l, "%s%.*s", l ? "," : "",
                         (int)(q - p), p);
        if (w < 0 || (size_t)w >= n - l)
            return -1;
        l += (size_t)w;
        if (!c)
            return 0;
        p = c + 1;
    }
}
