/*
 * smf — read the notes of a Standard MIDI File (format 0 or 1) with their
 * times in seconds, following the file's tempo map. Used to show a
 * sample's MIDI (musicgen serve's piano roll, the tutorial's pictures);
 * independent of the writer in common/music/midi.c, so it also checks it.
 */
#ifndef MG_SMF_H
#define MG_SMF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double start, end;      /* seconds */
    uint8_t pitch, velocity, channel;
} mg_smf_note;

typedef struct {
    mg_smf_note *notes;     /* sorted by start, then pitch */
    size_t n;
    double end;             /* last event, seconds */
} mg_smf;

/* 0 and *out filled (free with mg_smf_free), or -1 with err naming the
 * file and what is wrong with it. */
int mg_smf_read(const char *path, mg_smf *out, char *err, size_t errlen);
int mg_smf_parse(const uint8_t *buf, size_t len, mg_smf *out, char *err,
                 size_t errlen);
void mg_smf_free(mg_smf *s);

#endif
