/*
 * progress — the dataset commands' progress line: how many samples are
 * done, of how many (the manifest's rows, when the root has a manifest),
 * how fast, and the time left. On a terminal one line on stderr, redrawn
 * in place at most five times a second and erased at the end (the
 * command's summary follows); into a file or a pipe (a batch job's log)
 * a line every 10 s and one at the end. The library only counts
 * (mg_dsprogress, dsread.h); what is shown is decided here.
 */
#ifndef MG_CLI_PROGRESS_H
#define MG_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "dsread.h"

typedef enum {
    MG_CLIPROG_OFF,
    MG_CLIPROG_AUTO,  /* on when stderr is a terminal */
    MG_CLIPROG_ON,    /* --progress: redrawn on a terminal, lines elsewhere */
    MG_CLIPROG_LINES, /* --progress of a command that prints a line per
                       * sample: always whole lines, never redrawn */
} mg_cliprog_mode;

typedef struct {
    char cmd[24];
    bool on, redraw, shown;
    uint64_t total, n;
    double t0, last, period;
} mg_cliprog;

/* Start the display of `cmd` over the dataset at root; the mg_dsprogress
 * to hand to the pass (all NULL when the mode leaves it off). */
mg_dsprogress mg_cliprog_start(mg_cliprog *p, const char *cmd, const char *root,
                               mg_cliprog_mode mode);
/* The pass is over: erase the line (terminal) or write the last one. */
void mg_cliprog_end(mg_cliprog *p);

/* s seconds as "MM:SS" or "H:MM:SS" ("--:--" when s < 0): the time left
 * on this line and on generate's. */
void mg_cliprog_eta(char *buf, size_t n, double s);

#endif
