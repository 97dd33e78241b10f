/*
 * cmd_genres — `musicgen list-genres [--genres-dir DIR]`: one line per
 * genre preset with its tempo and swing bounds, the time signatures it can
 * draw (heaviest first) and its description.
 *
 * The directory is --genres-dir, else $MUSICGEN_GENRES_DIR, else
 * mg_data_dir()/genres. A genre that fails to load is reported on stderr
 * with the loader's file-and-field message and makes the exit status 1;
 * the others are still listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dsargs.h"
#include "config.h"
#include "genre.h"

static void
usage(FILE *f)
{
    fprintf(f, "usage: musicgen list-genres [--genres-dir DIR] [--names]\n"
               "  Lists the genre presets in DIR (default: "
               "$MUSICGEN_GENRES_DIR,\n  else the installed genres). "
               "Format: docs/genres.md.\n"
               "  --names   the names alone, one a line (nothing is "
               "loaded or checked)\n");
}

/* Time signatures with weight > 0, heaviest first (ties in enum order). */
static void
ts_list(const mg_genre *g, char *buf, size_t n)
{
    bool used[MG_NTS] = {false};
    size_t len = 0;
    buf[0] = '\0';
    for (;;) {
        int best = -1;
        for (int t = 0; t < MG_NTS; t++)
            if (!used[t] && g->ts_weight[t] > 0 &&
                (best < 0 || g->ts_weight[t] > g->ts_weight[best]))
                best = t;
        if (best < 0 || len >= n)
            break;
        used[best] = true;
        len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "",
                                mg_ts_name((mg_ts)best));
    }
}

int
mg_cmd_list_genres(int argc, char **argv)
{
    char dir[1024], err[1024], **names = NULL;
    const char *env = getenv("MUSICGEN_GENRES_DIR");
    int n, status = 0;
    bool names_only = false;

    if (env && *env)
        snprintf(dir, sizeof dir, "%s", env);
    else
        snprintf(dir, sizeof dir, "%s/genres", mg_data_dir());
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--names")) {
            names_only = true;
        } else if (!strcmp(argv[i], "--genres-dir") && i + 1 < argc) {
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        } else if (!strncmp(argv[i], "--genres-dir=", 13)) {
            snprintf(dir, sizeof dir, "%s", argv[i] + 13);
        } else {
            static const char *const valued[] = {"--genres-dir", NULL};
            if (mg_dsargs_no_value("list-genres", argv[i], i + 1 == argc,
                                   valued))
                return 2;
            fprintf(stderr, "musicgen list-genres: unknown option '%s' "
                            "(try --help)\n", argv[i]);
            return 2;
        }
    }
    if ((n = mg_genre_list(dir, &names, err, sizeof err)) < 0) {
        fprintf(stderr, "musicgen list-genres: %s\n", err);
        return 1;
    }
    if (n == 0) {
        fprintf(stderr, "musicgen list-genres: no genres in %s (each is "
                        "a directory holding spec.json)\n", dir);
        return 1;
    }
    if (names_only) {
        for (int i = 0; i < n; i++)
            printf("%s\n", names[i]);
        mg_genre_names_free(names, n);
        return 0;
    }
    printf("%-12s %-11s %-10s %-28s %s\n", "GENRE", "TEMPO", "SWING",
           "TIME SIGNATURES", "DESCRIPTION");
    /* A broken file that every genre reads (arrangements.json) fails
     * every load alike: said once, not once per genre. */
    char said[1024] = "";
    for (int i = 0; i < n; i++) {
        mg_genre *g = mg_genre_load(dir, names[i], err, sizeof err);
        char tempo[32], swing[32], ts[64];
        if (!g) {
            if (strcmp(err, said))
                fprintf(stderr, "musicgen list-genres: %s\n", err);
            snprintf(said, sizeof said, "%s", err);
            status = 1;
            continue;
        }
        snprintf(tempo, sizeof tempo, "%g-%g", g->tempo_min, g->tempo_max);
        snprintf(swing, sizeof swing, "%.2f-%.2f", g->swing_min,
                 g->swing_max);
        ts_list(g, ts, sizeof ts);
        printf("%-12s %-11s %-10s %-28s %s\n", g->name, tempo, swing, ts,
               g->description);
        mg_genre_destroy(&g);
    }
    mg_genre_names_free(names, n);
    return status;
}
