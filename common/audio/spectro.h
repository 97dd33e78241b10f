/*
 * spectro — a picture of a WAV file's spectrum over time (log frequency,
 * dB colour), with optional time markers (downbeats, beats, part starts)
 * drawn over it, as an indexed PNG. Byte-stable: the same file and sizes
 * give the same PNG (our FFT, no library whose version could change it).
 */
#ifndef MG_SPECTRO_H
#define MG_SPECTRO_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const double *times;    /* seconds */
    size_t n;
    int kind;               /* MG_SPECTRO_BEAT, _DOWNBEAT, _PART */
} mg_spectro_marks;

enum { MG_SPECTRO_BEAT, MG_SPECTRO_DOWNBEAT, MG_SPECTRO_PART };

/* 0 with a malloc'd PNG in *png and its size in *len, or -1 with err; width, height in
 * pixels (64..4096); marks may be NULL. */
int mg_spectro_png(const char *wav_path, int width, int height,
                   const mg_spectro_marks *marks, size_t nmarks,
                   uint8_t **png, size_t *len, char *err, size_t errlen);

/* What mg_spectro_png would say of wav_path before it draws: 0 when it
 * opens as a WAV (a regular file whose header libsndfile reads), or -1
 * with the same err. Reads the header only (a HEAD of serve's
 * spectrogram answers what a GET would, without the FFTs). */
int mg_spectro_check(const char *wav_path, char *err, size_t errlen);

/* The length of the PNG mg_spectro_png makes at width x height (it
 * depends on nothing else); 0 for a size it refuses. */
size_t mg_spectro_png_size(int width, int height);

#endif
