/*
 * genre — `musicgen genre new`: a terminal wizard that writes a new genre
 * directory (docs/genres.md): spec.json with every field, starter drum
 * patterns in a chosen style for every time signature the genre uses
 * (copied from genres/starters/<style>/, data, not code), and optionally
 * a chord-transition matrix (chords.json).
 *
 * Each field is asked in turn with its default in brackets (Enter keeps
 * it); an answer is parsed and range-checked at once and a wrong one is
 * asked again with the reason. Every field is also a flag (--tempo 80-120
 * ...), and --yes takes the defaults for whatever no flag gave, so a
 * script needs no terminal. Weight tables are written normalised.
 *
 * The genre is written into a staging directory inside the target genres
 * directory, loaded there by the real loader (mg_genre_load), and only
 * then renamed into place: a genre this command leaves behind loads.
 *
 * This file is the command (options, --list, --midi, writing); the
 * questions and their parsers are genre_questions.c, the chord matrix
 * genre_matrix.c (genre_priv.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "genre.h"
#include "genre_priv.h"
#include "errmsg.h"
#include "rfile.h"
#include "sampledir.h"
#include "song.h"

/* genres/starters: the drum styles (data) */
static char starters_dir[1200];

/* ---- writing ---- */

/* Remove what a wizard killed on this host left in the genres directory
 * (its staging directory .genre-new-HOST-PID, the pid gone). */
static void
sweep_stages(const char *dir, const char *host)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char pre[100];
    size_t pl = (size_t)snprintf(pre, sizeof pre, ".genre-new-%s-", host);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *pid = e->d_name + pl;
        if (strncmp(e->d_name, pre, pl) || !*pid ||
            strspn(pid, "0123456789") != strlen(pid) ||
            !mg_pid_gone(atol(pid)))
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        mg_dir_remove(p);
    }
    closedir(d);
}

static int
copy_file(const char *from, const char *to, char *why, size_t n)
{
    /* a regular file only: a FIFO in the --from genre hung the copy */
    FILE *a, *b;
    if (mg_rfile_open(from, 0, &a, why, n))
        return -1;
    if (!(b = fopen(to, "wb"))) {
        mg_errf(why, n, "%s: %s", to, strerror(errno));
        fclose(a);
        return -1;
    }
    char buf[8192];
    size_t got;
    int rc = 0;
    while ((got = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, got, b) != got)
            rc = -1;
    if (ferror(a))
        rc = -1;
    fclose(a);
    if (fclose(b))
        rc = -1;
    if (rc)
        mg_errf(why, n, "%s: cannot copy it to %s", from, to);
    return rc;
}

static const char *
ts_file(const char *ts)
{
    static char buf[16];
    size_t j = 0;
    for (const char *p = ts; *p && j < sizeof buf - 1; p++)
        if (isdigit((unsigned char)*p))
            buf[j++] = *p;
    buf[j] = '\0';
    return buf;
}

/* Where the drum patterns of time signature ts come from: the --from
 * genre's (style "from") or a starter style's. */
static void
drum_src(char *buf, size_t n, const char *style, const char *ts,
         const char *from_dir, const char *from)
{
    if (!strcmp(style, "from"))
        snprintf(buf, n, "%s/%s/drums_%s.txt", from_dir, from, ts_file(ts));
    else
        snprintf(buf, n, "%s/%s/drums_%s.txt", starters_dir, style,
                 ts_file(ts));
}

/* An answer that is valid alone but not with the others: a name taken in
 * the target directory, a drum style without patterns for a time
 * signature given. "" when none; asked again at a prompt (it ended the
 * wizard after every question had been answered). */
static void
conflict(const gw_question *qs, int i, const char *dir, bool force,
         const char *from_dir, const char *from, char *why, size_t n)
{
    struct stat st;
    why[0] = '\0';
    if (i == Q_NAME) {
        char target[1400];
        snprintf(target, sizeof target, "%s/%s", dir,
                 json_string_value(qs[i].value));
        if (!force && !stat(target, &st))
            snprintf(why, n, "%s exists (choose another name, or --force)",
                     target);
    } else if (i == Q_DRUMS) {
        const char *style = json_string_value(qs[i].value), *k;
        json_t *w;
        json_object_foreach(qs[Q_TS].value, k, w) {
            char src[1600];
            drum_src(src, sizeof src, style, k, from_dir, from);
            if (json_real_value(w) > 0 && stat(src, &st)) {
                snprintf(why, n, "no %s drum patterns for %s (%s)", style, k,
                         src);
                return;
            }
        }
    }
}

static void
usage(FILE *f)
{
    fprintf(f,
"usage: musicgen genre new [--from NAME] [--genres-dir DIR] [--yes]\n"
"                          [--FIELD VALUE ...]\n"
"       musicgen genre new --list      drum styles and genres to start from\n"
"       musicgen genre new --midi      the General MIDI drum notes\n\n"
"Asks for every field of a genre (docs/genres.md), default in brackets\n"
"(Enter keeps it), checks each answer as it is typed, and writes\n"
"DIR/NAME/ (spec.json, drums_<sig>.txt for each time signature used,\n"
"chords.json if asked), after the genre loader accepted it.\n\n"
"Every answer is also a flag; --yes takes defaults for the rest:\n"
"  --name N  --description TEXT  --style pop|rock|jazz|...\n"
"  --tempo MIN-MAX (BPM, 20..400)  --swing MIN-MAX (0.5..0.8)\n"
"  --time-signatures '4/4:3 3/4:1'  --keys all|'C:1 Am:1'\n"
"  --chord-types 'maj:1 min:1'  --chord-filter none|'maj min'\n"
"  --inversions 'root:.6 first:.25 second:.15 third:0'\n"
"  --LAYER-probability P  --LAYER-programs 'PROG:W ...'  --LAYER-tags 'a b'\n"
"      (LAYER: beat melody harmony bassline)\n"
"  --fx 'reverb:1 distortion:0'  --drums STYLE|from  --chords no|yes\n"
"  --chord-matrix 'I>IV:1,V:1;IV>V:1;V>I:1'\n"
"  --genres-dir DIR   where to write (default: $MUSICGEN_GENRES_DIR, else\n"
"                     the installed genres); --from NAME looks there,\n"
"                     then in the installed genres\n"
"  --force            replace an existing genre of that name\n");
}

static void
list(const char *genres_dir)
{
    printf("drum styles (%s):\n", starters_dir);
    DIR *d = opendir(starters_dir);
    struct dirent *e;
    char names[32][256];
    int n = 0;
    while (d && (e = readdir(d)) && n < 32)
        if (e->d_name[0] != '.')
            snprintf(names[n++], 256, "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof *names,
          (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char p[1600], line[300] = "";
        snprintf(p, sizeof p, "%.1200s/%.255s/README", starters_dir,
                 names[i]);
        FILE *f = fopen(p, "r");
        if (f && fgets(line, sizeof line, f))
            line[strcspn(line, "\n")] = '\0';
        if (f)
            fclose(f);
        printf("  %-12s %s\n", names[i], line);
    }
    char **g = NULL, err[600];
    int ng = mg_genre_list(genres_dir, &g, err, sizeof err);
    printf("genres to start from (--from, %s):\n ", genres_dir);
    for (int i = 0; i < ng; i++)
        printf(" %s", g[i]);
    printf("\n");
    if (ng > 0)
        mg_genre_names_free(g, ng);
}

static int
genre_new(int argc, char **argv)
{
    gw_question qs[NQ];
    snprintf(starters_dir, sizeof starters_dir, "%s/genres/starters",
             mg_data_dir());
    gw_questions_init(qs, starters_dir);

    char dir[1024];
    const char *env = getenv("MUSICGEN_GENRES_DIR");
    snprintf(dir, sizeof dir, "%s", env && *env ? env : "");
    if (!dir[0])
        snprintf(dir, sizeof dir, "%s/genres", mg_data_dir());
    const char *from = NULL, *matrix_flag = NULL;
    bool yes = false, force = false, want_list = false, want_midi = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            want_list = true;
        } else if (!strcmp(a, "--midi")) {
            want_midi = true;
        } else if (!strcmp(a, "--yes") || !strcmp(a, "-y")) {
            yes = true;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (!strcmp(a, "--from") && v) {
            from = v, i++;
        } else if (!strcmp(a, "--genres-dir") && v) {
            snprintf(dir, sizeof dir, "%s", v), i++;
        } else if (!strcmp(a, "--chord-matrix") && v) {
            matrix_flag = v, i++;
        } else if (!strncmp(a, "--", 2) && v) {
            int k;
            for (k = 0; k < NQ; k++)
                if (!strcmp(a + 2, qs[k].key))
                    break;
            if (k == NQ) {
                fprintf(stderr, "musicgen genre new: unknown option '%s' "
                        "(try --help)\n", a);
                return 2;
            }
            if (strlen(v) >= sizeof qs[k].given) {  /* it was cut short */
                fprintf(stderr, "musicgen genre new: %s: longer than %zu "
                        "characters\n", a, sizeof qs[k].given - 1);
                return 2;
            }
            snprintf(qs[k].given, sizeof qs[k].given, "%s", v);
            qs[k].has_flag = true;
            i++;
        } else {
            /* a known option without its value was "unexpected" */
            bool valued = !v && (!strcmp(a, "--from") ||
                                 !strcmp(a, "--genres-dir") ||
                                 !strcmp(a, "--chord-matrix"));
            for (int k = 0; !v && !valued && k < NQ; k++)
                valued = !strncmp(a, "--", 2) && !strcmp(a + 2, qs[k].key);
            fprintf(stderr, valued ? "musicgen genre new: %s needs a value "
                    "(try --help)\n" : "musicgen genre new: unexpected "
                    "argument '%s' (try --help)\n", a);
            return 2;
        }
    }
    if (want_midi) {
        printf("General MIDI drum notes (names usable in drums_<sig>.txt; "
               "a number 1..127 works too):\n");
        int note;
        const char *nm;
        for (size_t i = 0; (nm = mg_drum_voice(i, &note)); i++)
            printf("  %3d  %s\n", note, nm);
        return 0;
    }
    if (want_list) {
        list(dir);
        return 0;
    }
    /* --from: the target directory's genre, else the installed one */
    char from_dir[1024];
    snprintf(from_dir, sizeof from_dir, "%s", dir);
    if (from) {
        char p[1400], why[1600];
        json_t *spec = NULL;
        for (int t = 0; t < 2 && !spec && !strchr(from, '/'); t++) {
            if (t == 1)
                snprintf(from_dir, sizeof from_dir, "%s/genres",
                         mg_data_dir());
            snprintf(p, sizeof p, "%s/%s/spec.json", from_dir, from);
            if (access(p, F_OK))
                continue;
            /* a regular file only (a FIFO there hung the wizard), and a
             * spec.json that does not parse is named as such (it was
             * 'no genre NAME') */
            if (!(spec = mg_rfile_json(p, 0, why, sizeof why))) {
                fprintf(stderr, "musicgen genre new: --from %s: %s\n", from,
                        why);
                return 2;
            }
        }
        if (!spec) {
            fprintf(stderr, "musicgen genre new: --from %s: no genre %s in "
                    "%s nor %s/genres\n", from, from, dir, mg_data_dir());
            return 2;
        }
        gw_defaults_from(qs, spec);
        json_decref(spec);
        gw_set_def(&qs[Q_DRUMS], "from");
        qs[Q_DRUMS].prompt = "starter drum style (backbeat swing electronic "
                             "one-drop minimal), or from (copy the --from "
                             "genre's)";
    }
    if (matrix_flag) {
        qs[Q_MATRIX].has_flag = true;
        snprintf(qs[Q_MATRIX].given, sizeof qs[Q_MATRIX].given, "yes");
    }
    bool interactive = !yes;
    if (interactive)
        printf("A new genre: Enter keeps the [default]; docs/genres.md "
               "explains each field.\n");
    json_t *spec = json_object();
    int rc = 1;
    char stage[1300] = "", gdir[1400] = "", target[1400] = "";
    json_t *matrix = NULL;
    for (int i = 0; i < NQ; i++) {
        if (gw_ask(&qs[i], interactive))
            goto out;
        char why[1800];
        conflict(qs, i, dir, force, from_dir, from, why, sizeof why);
        if (why[0] && (!interactive || qs[i].has_flag)) {
            fprintf(stderr, "musicgen genre new: %s\n", why);
            goto out;
        }
        if (why[0]) {
            printf("  ! %s; try again\n", why);
            json_decref(qs[i].value);
            qs[i].value = NULL;
            i--;
            continue;
        }
        if (interactive && !qs[i].has_flag &&
            (i == Q_TS || i == Q_KEYS || i == Q_CHORDS || i == Q_INV) &&
            json_is_object(qs[i].value) && json_object_size(qs[i].value) > 1)
            gw_show_weights(qs[i].value);
        if (i == Q_NAME)
            snprintf(target, sizeof target, "%s/%s", dir,
                     json_string_value(qs[i].value));
    }
    /* spec.json, fields in the documented order */
    json_object_set(spec, "name", qs[Q_NAME].value);
    json_object_set(spec, "description", qs[Q_DESC].value);
    json_object_set(spec, "style", qs[Q_STYLE].value);
    json_object_set(spec, "tempo", qs[Q_TEMPO].value);
    json_object_set(spec, "swing", qs[Q_SWING].value);
    json_object_set(spec, "time_signatures", qs[Q_TS].value);
    if (!json_is_null(qs[Q_KEYS].value))
        json_object_set(spec, "keys", qs[Q_KEYS].value);
    json_object_set(spec, "chord_types", qs[Q_CHORDS].value);
    if (!json_is_null(qs[Q_FILTER].value))
        json_object_set(spec, "chord_filter", qs[Q_FILTER].value);
    json_object_set(spec, "inversions", qs[Q_INV].value);
    json_t *layers = json_object();
    for (int l = 0; l < 4; l++) {
        json_t *L = json_object();
        json_object_set(L, "probability", qs[Q_LAYER0 + 3 * l].value);
        json_object_set(L, "tags", qs[Q_LAYER0 + 3 * l + 2].value);
        json_object_set(L, "programs", qs[Q_LAYER0 + 3 * l + 1].value);
        json_object_set_new(layers, mg_layer_name((mg_layer)l), L);
    }
    json_object_set_new(spec, "layers", layers);
    json_object_set(spec, "fx", qs[Q_FX].value);
    if (json_is_true(qs[Q_MATRIX].value)) {
        char why[600];
        matrix = matrix_flag
                 ? gw_matrix_from_flag(matrix_flag, why, sizeof why)
                 : interactive ? gw_matrix_ask() : NULL;
        if (!matrix) {
            if (matrix_flag)
                fprintf(stderr, "musicgen genre new: --chord-matrix: %s\n",
                        why);
            else if (!interactive)
                fprintf(stderr, "musicgen genre new: --chords yes needs "
                        "--chord-matrix with --yes\n");
            goto out;
        }
    }
    /* stage, load with the real loader, then move into place */
    const char *name = json_string_value(qs[Q_NAME].value);
    char host[64];
    mg_tmp_host(host, sizeof host);
    sweep_stages(dir, host);
    snprintf(stage, sizeof stage, "%s/.genre-new-%s-%ld", dir, host,
             (long)getpid());
    snprintf(gdir, sizeof gdir, "%s/%s", stage, name);
    if (mg_dir_make(gdir)) {
        fprintf(stderr, "musicgen genre new: %s: %s\n", gdir, strerror(errno));
        goto out;
    }
    char p[1600];
    snprintf(p, sizeof p, "%s/spec.json", gdir);
    if (json_dump_file(spec, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                       JSON_REAL_PRECISION(6))) {
        fprintf(stderr, "musicgen genre new: cannot write %s\n", p);
        goto out;
    }
    if (matrix) {
        snprintf(p, sizeof p, "%s/chords.json", gdir);
        if (json_dump_file(matrix, p, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                           JSON_REAL_PRECISION(6))) {
            fprintf(stderr, "musicgen genre new: cannot write %s\n", p);
            goto out;
        }
    }
    const char *style = json_string_value(qs[Q_DRUMS].value);
    const char *k;
    json_t *w;
    json_object_foreach(qs[Q_TS].value, k, w) {
        if (json_real_value(w) <= 0)
            continue;
        char src[1600], dst[1700];
        drum_src(src, sizeof src, style, k, from_dir, from);
        snprintf(dst, sizeof dst, "%s/drums_%s.txt", gdir, ts_file(k));
        char why[1800];
        if (copy_file(src, dst, why, sizeof why)) {
            fprintf(stderr, "musicgen genre new: %s drum patterns for %s: "
                    "%s\n", style, k, why);
            goto out;
        }
    }
    char err[1200];
    mg_genre *g = mg_genre_load(stage, name, err, sizeof err);
    if (!g) {
        fprintf(stderr, "musicgen genre new: the genre does not load: %s\n",
                err);
        goto out;
    }
    mg_genre_destroy(&g);
    if (force)
        mg_dir_remove(target);
    if (rename(gdir, target)) {
        fprintf(stderr, "musicgen genre new: %s: %s\n", target,
                strerror(errno));
        goto out;
    }
    printf("wrote %s/ (spec.json, drum patterns%s); it loads.\n"
           "try: musicgen generate --seed 1 --count 1 --out /tmp/%s-demo -g %s"
           "%s%s\n", target, matrix ? ", chords.json" : "", name, name,
           env && *env && !strcmp(env, dir) ? "" : " --genres-dir ",
           env && *env && !strcmp(env, dir) ? "" : dir);
    rc = 0;
out:
    if (stage[0])
        mg_dir_remove(stage);
    for (int i = 0; i < NQ; i++)
        json_decref(qs[i].value);
    json_decref(spec);
    json_decref(matrix);
    return rc;
}

int
mg_cmd_genre(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "new"))
        return genre_new(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "usage: musicgen genre new [options] (try musicgen "
            "genre new --help)\n");
    return 2;
}
