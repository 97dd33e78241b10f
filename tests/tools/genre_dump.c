/*
 * genre_dump — print the merged genre spec for a list of genre names as
 * JSON, so system tests can check generated data against the constraints
 * the engine itself loaded (format-independent).
 *   genre_dump GENRES_DIR [NAME...]
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "genre.h"
#include "jsonout.h"

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: genre_dump GENRES_DIR [NAME...]\n");
        return 2;
    }
    char err[512];
    mg_genre *g = mg_genre_resolve(argv[1], argv + 2, argc - 2, err,
                                   sizeof err);
    if (!g) {
        fprintf(stderr, "genre_dump: %s\n", err);
        return 1;
    }
    json_t *j = json_object();
    json_object_set_new(j, "name", json_string(g->name));
    json_object_set_new(j, "tempo_min", json_real(g->tempo_min));
    json_object_set_new(j, "tempo_max", json_real(g->tempo_max));
    json_object_set_new(j, "swing_min", json_real(g->swing_min));
    json_object_set_new(j, "swing_max", json_real(g->swing_max));
    json_t *ts = json_object();
    for (int t = 0; t < MG_NTS; t++)
        json_object_set_new(ts, mg_ts_name((mg_ts)t),
                            json_real(g->ts_weight[t]));
    json_object_set_new(j, "ts_weight", ts);
    json_t *allowed = json_array();
    for (int c = 0; c < MG_NCHORDTYPES; c++)
        if (!g->chord_filter || g->chord_allowed[c])
            json_array_append_new(
                allowed, json_string(mg_chord_info_of((mg_chord_type)c)->name));
    json_object_set_new(j, "chord_allowed", allowed);
    json_object_set_new(j, "chord_filter", json_boolean(g->chord_filter));
    json_t *keys = json_array();
    for (int k = 0; k < MG_NKEYS; k++)
        if (g->key_weight[k] > 0) {
            char name[8];
            snprintf(name, sizeof name, "%s%s", mg_pc_name(k / 2),
                     k % 2 ? "m" : "");
            json_array_append_new(keys, json_string(name));
        }
    json_object_set_new(j, "keys", keys);
    char *text = mg_json_dump(j, 0);
    fputs(text, stdout);
    free(text);
    json_decref(j);
    mg_genre_destroy(&g);
    return 0;
}
