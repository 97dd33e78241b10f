/*
 * svg — standalone SVG bar charts and histograms (see svg.h).
 *
 * Layout in user units (1 unit = 1 px at 100%): a title line, the plot
 * area with light grid lines at "nice" steps (1, 2 or 5 x 10^k), value or
 * bin labels, and the numbers beside the bars so the chart reads without
 * hovering. Labels are measured with a fixed average glyph width, which is
 * enough for sans-serif at 12 px.
 */
#include "svg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

#define FONT "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\""
#define BAR_FILL "#4C78A8"
#define GRID "#dddddd"
#define CHAR_W 7.0

void
mg_svg_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20) fputc(*s, f);
        }
    }
}

/* A step of 1, 2 or 5 x 10^k giving about `ticks` grid lines up to max. */
static double
nice_step(double max, int ticks)
{
    if (max <= 0) return 1;
    double raw = max / ticks, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void
num(char *buf, size_t n, double v)
{
    if (fabs(v - round(v)) < 1e-9)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.3g", v);
}

int
mg_svg_close(FILE *f, const char *path, char *err, size_t errlen)
{
    int en = ferror(f) ? (errno ? errno : EIO) : 0;
    if (fclose(f) && !en)
        en = errno ? errno : EIO;
    if (!en)
        return 0;
    unlink(path); /* a cut picture is no picture */
    return mg_errf(err, errlen, "cannot write %s: %s", path, strerror(en));
}

static FILE *
start(const char *path, double w, double h, const char *title, char *err,
      size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        mg_errf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return NULL;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
               "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n"
               "<title>", w, h, w, h);
    mg_svg_text(f, title);
    fprintf(f, "</title>\n<rect width=\"100%%\" height=\"100%%\" "
               "fill=\"white\"/>\n<text x=\"%.0f\" y=\"24\" " FONT
               " font-size=\"16\" font-weight=\"bold\" "
               "text-anchor=\"middle\">", w / 2);
    mg_svg_text(f, title);
    fputs("</text>\n", f);
    return f;
}

static int
finish(FILE *f, const char *path, char *err, size_t errlen)
{
    fputs("</svg>\n", f);
    return mg_svg_close(f, path, err, errlen);
}

int
mg_svg_hbars(const char *path, const char *title, const char *unit,
             const mg_svg_bar *bars, int n, char *err, size_t errlen)
{
    double max = 0, labw = 40;
    for (int i = 0; i < n; i++) {
        if (bars[i].value > max) max = bars[i].value;
        double l = CHAR_W * (double)strlen(bars[i].label ? bars[i].label : "");
        if (l > labw) labw = l;
    }
    if (labw > 260) labw = 260;
    const double row = 22, top = 48, plotw = 460, left = labw + 20;
    const double w = left + plotw + 80, h = top + row * (n ? n : 1) + 40;
    FILE *f = start(path, w, h, title, err, errlen);
    if (!f) return -1;
    double step = nice_step(max, 5), axis = max > 0 ? ceil(max / step) * step
                                                    : 1;
    char b[64];
    for (double v = 0; v <= axis + step / 2; v += step) {
        double x = left + plotw * v / axis;
        num(b, sizeof b, v);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
                   "stroke=\"" GRID "\"/>\n<text x=\"%.1f\" y=\"%.0f\" " FONT
                   " font-size=\"11\" fill=\"#555\" text-anchor=\"middle\">"
                   "%s</text>\n", x, top - 6, x, top + row * n, x,
                top + row * n + 16, b);
    }
    for (int i = 0; i < n; i++) {
        double y = top + row * i, bw = plotw * bars[i].value / axis;
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" " FONT " font-size=\"12\" "
                   "text-anchor=\"end\">", left - 8, y + 15);
        mg_svg_text(f, bars[i].label);
        num(b, sizeof b, bars[i].value);
        fprintf(f, "</text>\n<rect x=\"%.0f\" y=\"%.1f\" width=\"%.2f\" "
                   "height=\"%.0f\" fill=\"" BAR_FILL "\"/>\n"
                   "<text x=\"%.1f\" y=\"%.1f\" " FONT " font-size=\"11\">"
                   "%s</text>\n", left, y + 3, bw, row - 6, left + bw + 4,
                y + 15, b);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" " FONT " font-size=\"12\" "
               "text-anchor=\"middle\">", left + plotw / 2, h - 6);
    mg_svg_text(f, unit);
    fputs("</text>\n", f);
    return finish(f, path, err, errlen);
}

int
mg_svg_histogram(const char *path, const char *title, const char *xlabel,
                 double lo, double width, const double *counts, int n,
                 char *err, size_t errlen)
{
    double max = 0;
    for (int i = 0; i < n; i++)
        if (counts[i] > max) max = counts[i];
    const double left = 60, top = 48, plotw = 560, ploth = 260;
    const double w = left + plotw + 30, h = top + ploth + 60;
    FILE *f = start(path, w, h, title, err, errlen);
    if (!f) return -1;
    double step = nice_step(max, 5), axis = max > 0 ? ceil(max / step) * step
                                                    : 1;
    char b[64];
    for (double v = 0; v <= axis + step / 2; v += step) {
        double y = top + ploth - ploth * v / axis;
        num(b, sizeof b, v);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" "
                   "stroke=\"" GRID "\"/>\n<text x=\"%.0f\" y=\"%.1f\" " FONT
                   " font-size=\"11\" fill=\"#555\" text-anchor=\"end\">%s"
                   "</text>\n", left, y, left + plotw, y, left - 6, y + 4, b);
    }
    double bw = plotw / (n ? n : 1);
    int every = n > 10 ? (n + 9) / 10 : 1;
    for (int i = 0; i < n; i++) {
        double bh = ploth * counts[i] / axis, x = left + bw * i;
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                   "height=\"%.2f\" fill=\"" BAR_FILL "\"><title>%g-%g: %g"
                   "</title></rect>\n", x + 1, top + ploth - bh, bw - 2, bh,
                lo + width * i, lo + width * (i + 1), counts[i]);
        if (counts[i] > 0 && bw >= 18)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" " FONT " font-size=\"10\""
                       " text-anchor=\"middle\">%g</text>\n", x + bw / 2,
                    top + ploth - bh - 3, counts[i]);
    }
    for (int i = 0; i <= n; i += every) {
        double x = left + bw * i;
        num(b, sizeof b, lo + width * i);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\" "
                   "stroke=\"#333\"/>\n<text x=\"%.2f\" y=\"%.0f\" " FONT
                   " font-size=\"11\" text-anchor=\"middle\">%s</text>\n", x,
                top + ploth, x, top + ploth + 5, x, top + ploth + 18, b);
    }
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
               "stroke=\"#333\"/>\n<text x=\"%.0f\" y=\"%.0f\" " FONT
               " font-size=\"12\" text-anchor=\"middle\">", left, top + ploth,
            left + plotw, top + ploth, left + plotw / 2, h - 12);
    mg_svg_text(f, xlabel);
    fputs("</text>\n", f);
    return finish(f, path, err, errlen);
}
