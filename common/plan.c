/*
 * plan — a sample's cost before it is made (see plan.h).
 *
 * Invariant: the draw is the engine's, step for step (engine.c produce:
 * attempt 1, the streams of its attempt seed and the run's genre salt,
 * mg_gen_params first), so the cost of a sample is a pure function of
 * (global_seed, index, config) and equals the duration the engine
 * reports when the first attempt passes.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "gen.h"
#include "genre.h"
#include "rng.h"
#include "seed.h"
#include "song.h"

struct mg_plan {
    mg_genre *genre;
    uint64_t genre_salt;
    int measures[MG_NPARTKINDS];    /* the config's overrides */
    mg_song song;               /* scratch */
};

mg_plan *
mg_plan_new(const mg_config *c, char *err, size_t errlen)
{
    mg_plan *p = calloc(1, sizeof *p);
    if (!p) {
        mg_errf(err, errlen, "out of memory");
        return NULL;
    }
    mg_song_init(&p->song);
    char *names[MG_MAX_GENRES];
    char key[MG_MAX_GENRES * 65 + 8];
    for (int i = 0; i < c->ngenres; i++)
        names[i] = (char *)c->genres[i];
    p->genre = mg_genre_resolve(c->genres_dir, names, c->ngenres, err,
                                errlen);
    if (!p->genre)
        goto bad;
    if (mg_genre_key(key, sizeof key, (const char *const *)names,
                     c->ngenres)) {
        mg_errf(err, errlen, "genre names too long");
        goto bad;
    }
    p->genre_salt = mg_genre_salt(key);
    memcpy(p->measures, c->measures_override, sizeof p->measures);
    return p;
bad:
    mg_plan_destroy(&p);
    return NULL;
}

void
mg_plan_destroy(mg_plan **pp)
{
    mg_plan *p = *pp;
    if (!p)
        return;
    mg_genre_destroy(&p->genre);
    mg_song_free(&p->song);
    free(p);
    *pp = NULL;
}

double
mg_plan_cost(mg_plan *p, int64_t global_seed, uint64_t index)
{
    mg_song *s = &p->song;
    mg_gen_opts opts = {.measures_override = p->measures};
    mg_song_reset_tracks(s);
    s->global_seed = global_seed;
    s->index = index;
    s->sample_seed = mg_sample_seed(global_seed, index);
    s->attempt = 1;
    s->attempt_seed = mg_attempt_seed(s->sample_seed, 1);
    mg_rng rng[MG_NSTREAMS];
    mg_streams_init(rng, s->attempt_seed, p->genre_salt);
    if (mg_gen_params(s, p->genre, &opts, &rng[MG_STREAM_PARAMS]))
        return 1.0;
    double d = mg_song_duration(s);
    return d > 0 ? d : 1.0;
}
