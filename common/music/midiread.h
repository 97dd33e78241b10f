/*
 * midiread — read the notes of a Standard MIDI File (format 0 or 1, any
 * division) back as timed notes: every note-on paired with its note-off
 * (a note-on of velocity 0 counts as one; overlapping notes of one pitch
 * close first-in first-out), times in seconds through the file's tempo
 * map (tempo events of any track; 120 BPM until the first). A note left
 * open ends at its track's end. Sorted by start, then pitch.
 *
 * Invariants: never reads past the buffer (truncated or malformed files
 * are refused with a reason); no global state.
 */
#ifndef MG_MIDIREAD_H
#define MG_MIDIREAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double start, end; /* seconds */
    uint8_t pitch, velocity, channel; /* channel 0..15 */
    uint16_t track;
} mg_mnote;

/* Parse data[0..len): 0 and a malloc'd array (*notes, *n; free it), or
 * -1 and a message. */
int mg_midiread_parse(const uint8_t *data, size_t len, mg_mnote **notes,
                      size_t *n, char *err, size_t errlen);
/* The same from a file. */
int mg_midiread_file(const char *path, mg_mnote **notes, size_t *n,
                     char *err, size_t errlen);

#endif
