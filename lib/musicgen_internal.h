/*
 * musicgen_internal — what the musicgen executable (linked with the
 * static archives) uses of the public API beyond musicgen.h: an API engine
 * over an engine it already made (before forking its workers, to share the
 * loaded soundfonts), and the manifest row behind a sample. Not installed;
 * the names are not musicgen_*, so libmusicgen.so does not export them.
 */
#ifndef MUSICGEN_INTERNAL_H
#define MUSICGEN_INTERNAL_H

#include "engine.h"
#include "musicgen.h"

/* The API engine over e, made from config c; takes ownership of e (freed
 * by musicgen_engine_destroy), or NULL on failure (e stays the caller's). */
musicgen_engine *mgapi_engine_wrap(mg_engine *e, const mg_config *c);
/* Frees the API engine *e but not the engine it wraps, which is returned
 * (the caller's again); *e becomes NULL. NULL if *e was NULL. */
mg_engine *mgapi_engine_unwrap(musicgen_engine **e);
/* The sample's manifest row (borrowed). */
const mg_row *mgapi_sample_row(const musicgen_sample *s);

#endif
