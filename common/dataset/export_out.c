/*
 * export_out — what the export's writers share on the output side: the
 * output buffer (mg_xbuf_*, a row as one JSON object), files hard-linked
 * or copied out of the tree (regular files only). (What an export
 * killed on this host left beside its output: mg_dsfile_sweep.)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "export_priv.h"
#include "sampledir.h"

/* ---- buffer ---- */

void
mg_xbuf_printf(mg_gbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        mg_gbuf_put(b, small, (size_t)n);
        return;
    }
    if (mg_gbuf_reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int
mg_xbuf_flush(mg_gbuf *b, FILE *f)
{
    if (b->oom) {
        errno = ENOMEM;
        return -1;
    }
    if (b->len && fwrite(b->p, 1, b->len, f) != b->len) return -1;
    b->len = 0;
    return 0;
}

int
mg_xbuf_flush_o(mg_gbuf *b, mg_ofile *f)
{
    if (b->oom) {
        errno = ENOMEM;
        return -1;
    }
    if (b->len && mg_ofile_write(f, b->p, b->len)) return -1;
    b->len = 0;
    return 0;
}

void
mg_xbuf_json(mg_gbuf *b, const mg_jdoc *d, uint32_t i)
{
    if (mg_gbuf_reserve(b, (size_t)d->t[i].len + 2)) return;
    b->len += mg_jdoc_compact(d, i, b->p + b->len);
}

void
mg_export_row_json(mg_gbuf *b, const mg_xrow *r)
{
    mg_gbuf_putc(b, '{');
    for (size_t i = 0; i < r->nf; i++) {
        const mg_xfield *f = &r->f[i];
        if (i) mg_gbuf_putc(b, ',');
        mg_gbuf_jstr(b, f->name);
        mg_gbuf_putc(b, ':');
        if (f->kind == MG_XF_TOK) mg_xbuf_json(b, r->doc, f->tok);
        else if (f->kind == MG_XF_STR) mg_gbuf_jstr(b, f->str);
        else mg_gbuf_puts(b, "null");
    }
    mg_gbuf_puts(b, "}\n");
}

/* ---- files ---- */

static int
copy_file(const char *src, const char *dst, char *err, size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (in < 0)
        return mg_errf(err, errlen, "%s: %s", src, strerror(errno));
    struct stat st;
    if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
        close(in);
        return mg_errf(err, errlen, "%s: not a regular file", src);
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int en = errno;
        close(in);
        return mg_errf(err, errlen, "%s: %s", dst, strerror(en));
    }
    char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || write(out, buf, (size_t)n) != n) {
            rc = mg_errf(err, errlen, "copying %s: %s", src, strerror(errno));
            break;
        }
    }
    close(in);
    if (close(out) && !rc)
        rc = mg_errf(err, errlen, "%s: %s", dst, strerror(errno));
    if (rc) unlink(dst);
    return rc;
}

int
mg_export_link(const char *src, const char *dst, char *err, size_t errlen)
{
    struct stat st; /* a FIFO or a device is never linked nor copied */
    if (!lstat(src, &st) && !S_ISREG(st.st_mode))
        return mg_errf(err, errlen, "%s: not a regular file", src);
    if (link(src, dst) == 0) return 0;
    if (errno == ENOENT)
        return mg_errf(err, errlen, "%s: %s", src, strerror(errno));
    /* Another file system, too many links, or no links at all: copy. */
    if (errno == EXDEV || errno == EMLINK || errno == EPERM ||
        errno == ENOTSUP || errno == EOPNOTSUPP)
        return copy_file(src, dst, err, errlen);
    return mg_errf(err, errlen, "%s: %s", dst, strerror(errno));
}

