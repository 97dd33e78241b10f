/*
 * midi — Standard MIDI File writer (format 1: a conductor track with
 * tempo, time-signature and key-signature meta events at every part
 * boundary, then one note track). Drums go on channel 10 (index 9), the
 * other layers on their own channels with a program change at tick 0.
 * Output is a pure function of the song: byte-identical every time.
 */
#ifndef MG_MIDI_H
#define MG_MIDI_H

#include <stddef.h>
#include <stdint.h>

#include "song.h"

typedef struct {
    unsigned char *data;
    size_t len, cap;
} mg_buf;

void mg_buf_free(mg_buf *b);
/* Encode layer l of the song into b (appended). Returns 0 or -1. */
int mg_midi_encode(const mg_song *s, mg_layer l, mg_buf *b);
/* Encode and write to path. */
int mg_midi_write(const mg_song *s, mg_layer l, const char *path);

#endif
