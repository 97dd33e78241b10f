/*
 * annotate — the song's part of sample.json (annotate.c).
 */
#ifndef MG_ANNOTATE_H
#define MG_ANNOTATE_H

#include <jansson.h>

#include "quality.h"
#include "song.h"

/* Add the song's fields to sample.json's object j (key, mode, key_label,
 * tempo and meter, swing, duration, song_arrangement, chords, the beat
 * grids, tempo_map, performance, notes, instruments). */
void mg_annotate_song(const mg_song *s, json_t *j);

/* The symbolic quality verdict as sample.json's musicality.symbolic. */
json_t *mg_quality_json(const mg_quality *q);

#endif
