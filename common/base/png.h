/*
 * png — write an 8-bit indexed-colour PNG, byte-stable: the same pixels
 * and palette give the same bytes on any machine (no time chunk, no
 * library version inside). The image data is deflate "stored" blocks, so
 * no compressor is needed; pictures here are small.
 */
#ifndef MG_PNG_H
#define MG_PNG_H

#include <stddef.h>
#include <stdint.h>

/* pix: w*h palette indices, row by row; pal: npal RGB triples (<= 256).
 * Returns a malloc'd PNG in *out, *len; 0 or -1 (no memory, bad size). */
int mg_png_encode(const uint8_t *pix, int w, int h, const uint8_t *pal,
                  int npal, uint8_t **out, size_t *len);

/* The length mg_png_encode gives a w x h picture of npal colours: it
 * depends on nothing else (stored blocks); 0 for a size it refuses. */
size_t mg_png_size(int w, int h, int npal);

#endif
