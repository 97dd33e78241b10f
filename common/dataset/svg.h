/*
 * svg — a small writer of standalone SVG charts for `musicgen stats
 * --plot`: horizontal bars for counts by category, vertical bars for
 * histograms. Standalone means: one file, no scripts, no external fonts
 * or style sheets, opens in any browser or image viewer.
 *
 * Invariants: text from the data (labels, titles) is XML-escaped; the
 * output is a pure function of the input (no clock, no random ids), so
 * the same dataset gives byte-identical charts.
 */
#ifndef MG_SVG_H
#define MG_SVG_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *label;
    double value;
} mg_svg_bar;

/* Text from data, as XML character data: <, >, & and " escaped, control
 * characters (which no XML document may hold) left out. */
void mg_svg_text(FILE *f, const char *s);

/* Close a picture or page written through f: 0, or -1 with "cannot write
 * PATH: <why>" and the cut file removed. */
int mg_svg_close(FILE *f, const char *path, char *err, size_t errlen);

/* Counts by category as horizontal bars, in the order given. */
int mg_svg_hbars(const char *path, const char *title, const char *unit,
                 const mg_svg_bar *bars, int n, char *err, size_t errlen);

/* A histogram: counts[i] for the bin [lo + i*width, lo + (i+1)*width).
 * xlabel names the quantity ("tempo (BPM)"). */
int mg_svg_histogram(const char *path, const char *title, const char *xlabel,
                     double lo, double width, const double *counts, int n,
                     char *err, size_t errlen);

#endif
