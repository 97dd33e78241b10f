/*
 * audiohdr — the length that an audio file's header claims, for the
 * audio score's reader (aread.c): libsndfile shortens a file's length to
 * the bytes present without a word, for every format whose header has
 * one, so a file cut short would be scored as a short song.
 *
 * Formats: WAV, RF64, Wave64 (PCM, float, the 8-bit laws, and compressed
 * encodings by their "fact" frame count), AIFF/AIFC (also compressed:
 * ima4, GSM, DWVW ...; the chunks in any order, as the spec allows), AU
 * (also G.72x), NIST SPHERE, MAT4, MAT5, 8SVX/16SV, VOC, AVR, WVE,
 * MPC2000 and MIDI SDS; IRCAM, PAF and PVF declare no length (the audio
 * runs to the end of the file): only a cut inside a frame shows there.
 *
 * Invariants: reads only the n bytes given, never past them.
 */
#ifndef MG_AUDIOHDR_H
#define MG_AUDIOHDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a header claims: data_size bytes of audio from byte data_off
 * (open_end: no length, the audio runs to the end of the file). A frame
 * is block_align bytes, 0 when that is not fixed (a compressed encoding)
 * or not in the bytes read; frames is the frame count the header states
 * where it states one apart from the bytes (0: none, then
 * data_size / block_align). kind names the format ("WAV", "AIFF",
 * "NIST", ...). */
typedef struct {
    const char *kind;
    unsigned block_align;
    uint64_t data_off, data_size, frames;
    bool open_end;
} mg_audiohdr;

/* Parse a file's first n bytes: NULL when they hold one of those headers
 * (a length claimed, or open_end), else a short reason (another format,
 * a streamed file's "unknown" size, an encoding whose length cannot be
 * told, ...). */
const char *mg_audiohdr_claim(const unsigned char *b, size_t n,
                              mg_audiohdr *h);

#endif
