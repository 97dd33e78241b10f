/*
 * fuzz_media — the two readers of files a dataset command takes from
 * anywhere: the Standard MIDI File reader (index-midi, the MIDI corpora,
 * the musicality score of a MIDI file) and the RIFF/WAVE header parser
 * (verify, index-audio). Any input: no crash, no read past the bytes
 * (each gets an exact-size copy, so ASan sees one), a refusal with one
 * line, and what is accepted keeps the readers' promises: notes sorted by
 * start then pitch, each ending at or after its start, finite times,
 * pitch and velocity within MIDI's 0..127, channel 0..15; a header with
 * non-zero channels, rate and block size whose data starts within the
 * bytes read.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midiread.h"
#include "audiohdr.h"
#include "wavhdr.h"

static void
midi(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size ? size : 1);
    if (!b) return;
    if (size) memcpy(b, data, size);
    mg_mnote *notes = NULL;
    size_t n = 0;
    char err[256] = "";
    if (mg_midiread_parse(b, size, &notes, &n, err, sizeof err)) {
        if (!err[0] || strchr(err, '\n')) abort();
    } else {
        for (size_t i = 0; i < n; i++) {
            const mg_mnote *x = &notes[i];
            if (!isfinite(x->start) || !isfinite(x->end) || x->end < x->start ||
                x->start < 0 || x->pitch > 127 || x->velocity > 127 ||
                x->channel > 15)
                abort();
            if (i && (notes[i - 1].start > x->start ||
                      (notes[i - 1].start == x->start &&
                       notes[i - 1].pitch > x->pitch)))
                abort();
        }
        free(notes);
    }
    free(b);
}

static void
wav(const uint8_t *data, size_t size)
{
    unsigned char *b = malloc(size ? size : 1);
    if (!b) return;
    if (size) memcpy(b, data, size);
    mg_wavhdr h;
    const char *why = mg_wavhdr_parse(b, size, &h);
    if (why) {
        if (h.ok || !why[0] || strchr(why, '\n')) abort();
    } else if (!h.ok || !h.channels || !h.rate || !h.block_align ||
               h.data_off > size) {
        abort();
    }
    /* the length a header claims (score-audio's check of a cut file) */
    mg_audiohdr a;
    if (!mg_audiohdr_claim(b, size, &a) &&
        (!a.kind || (a.open_end && !a.block_align)))
        abort();
    free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20) size = 1 << 20;
    midi(data, size);
    /* the same bytes as a WAV file's first bytes, and with a RIFF/WAVE
     * head in front so the chunk walk is reached */
    wav(data, size);
    uint8_t *w = malloc(size + 12);
    if (!w) return 0;
    memcpy(w, "RIFF\0\0\0\0WAVE", 12);
    if (size) memcpy(w + 12, data, size);
    wav(w, size + 12);
    free(w);
    return 0;
}
