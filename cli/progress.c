/*
 * progress — the dataset commands' progress line (see progress.h).
 */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlog.h"

/* Seconds on the monotonic clock the daemons' logs use. */
static double
now_s(void)
{
    return (double)mg_mono_ms() / 1000.0;
}

/* Rows of root/manifest.jsonl but the failed ones (a failed sample has
 * no directory): the number of samples a pass will meet; 0 when there is
 * no manifest. A million rows take ~0.1 s. */
static uint64_t
manifest_rows(const char *root)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.jsonl", root);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    uint64_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0)
        if (!strstr(line, "\"status\":\"failed\"")) n++;
    free(line);
    fclose(f);
    return n;
}

void
mg_cliprog_eta(char *buf, size_t n, double s)
{
    if (s < 0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

static void
draw(mg_cliprog *p, double now)
{
    char line[200], left[32];
    double el = now - p->t0, rate = el > 0 ? (double)p->n / el : 0;
    int k;
    if (p->total >= p->n && p->total) {
        k = snprintf(line, sizeof line,
                     "%s: %" PRIu64 " of %" PRIu64 " samples (%d%%), %.0f/s",
                     p->cmd, p->n, p->total,
                     (int)(100.0 * (double)p->n / (double)p->total), rate);
        if (rate > 0 && p->total > p->n) {
            mg_cliprog_eta(left, sizeof left, (double)(p->total - p->n) / rate);
            snprintf(line + k, sizeof line - (size_t)k, ", %s left", left);
        }
    } else {
        snprintf(line, sizeof line, "%s: %" PRIu64 " samples, %.0f/s", p->cmd,
                 p->n, rate);
    }
    if (p->redraw)
        fprintf(stderr, "\r%s\033[K", line);
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
    p->shown = p->redraw;
    p->last = now;
}

static void
tick(void *ud, uint64_t n)
{
    mg_cliprog *p = ud;
    p->n = n;
    double now = now_s();
    if (now - p->last >= p->period) draw(p, now);
}

static void
clear(void *ud)
{
    mg_cliprog *p = ud;
    if (!p->shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->shown = false;
}

mg_dsprogress
mg_cliprog_start(mg_cliprog *p, const char *cmd, const char *root,
                 mg_cliprog_mode mode)
{
    memset(p, 0, sizeof *p);
    bool tty = isatty(STDERR_FILENO) == 1;
    p->on = mode == MG_CLIPROG_ON || mode == MG_CLIPROG_LINES ||
            (mode == MG_CLIPROG_AUTO && tty);
    if (!p->on) return (mg_dsprogress){0};
    snprintf(p->cmd, sizeof p->cmd, "%s", cmd);
    p->redraw = tty && mode != MG_CLIPROG_LINES;
    p->period = p->redraw ? 0.2 : 10.0;
    p->total = manifest_rows(root);
    p->t0 = now_s();
    p->last = p->t0 - p->period; /* the first sample draws a line at once */
    return (mg_dsprogress){tick, p->redraw ? clear : NULL, p};
}

void
mg_cliprog_end(mg_cliprog *p)
{
    if (!p->on) return;
    if (p->redraw) {
        clear(p);
        return;
    }
    double el = now_s() - p->t0;
    fprintf(stderr, "%s: %" PRIu64 " samples in %.2f s (%.0f/s)\n", p->cmd,
            p->n, el, el > 0 ? (double)p->n / el : 0.0);
    fflush(stderr);
}
