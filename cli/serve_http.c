/*
 * serve_http — the responses of `musicgen serve` (JSON, one-line errors,
 * files) and the checks of its parameters.
 *
 * Invariant: serve_send_error answers one JSON object {"error": ...}
 * with the status given.
 */
#include "serve_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "jsonout.h"
#include "procs.h"
#include "sampledir.h"
#include "midiread.h"

int64_t
serve_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- responses ---- */

/* A response of body with the headers every answer from memory has */
static struct MHD_Response *
buf_response(const char *type, void *body, size_t len,
             enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
                                                             mode);
    if (!r)
        return NULL;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return r;
}

enum MHD_Result
serve_send_buf(struct MHD_Connection *c, unsigned status, const char *type,
               void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = buf_response(type, body, len, mode);
    return r ? mg_http_queue(c, status, r) : MHD_NO;
}

enum MHD_Result
serve_send_not_allowed(struct MHD_Connection *c, const char *allow)
{
    char msg[100];
    snprintf(msg, sizeof msg, "method not allowed (this URL takes %s)",
             allow);
    json_t *o = json_pack("{s:s}", "error", msg);
    char *text = o ? mg_json_dump(o, 0) : NULL;
    json_decref(o);
    if (!text)
        return MHD_NO;
    struct MHD_Response *r = buf_response("application/json", text,
                                          strlen(text),
                                          MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    /* RFC 9110 15.5.6: a 405 names the methods the URL takes */
    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    return mg_http_queue(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
}

enum MHD_Result
serve_send_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
    static const char oom[] = "{\"error\":\"out of memory\"}";
    if (!o)
        return serve_send_buf(c, 500, "application/json", (void *)oom,
                              sizeof oom - 1, MHD_RESPMEM_PERSISTENT);
    /* the canonical writer: a sample.json's seed above 2^63 (kept as
     * mg_json_u64) goes out as the number it is */
    char *s = mg_json_dump(o, 0);
    json_decref(o);
    if (!s)
        return MHD_NO;
    return serve_send_buf(c, status, "application/json", s, strlen(s),
                          MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result
serve_send_error(struct MHD_Connection *c, unsigned status, const char *fmt,
                 ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return serve_send_json(c, status, json_pack("{s:o}", "error",
                                                mg_json_text(msg)));
}

enum MHD_Result
serve_not_found(struct MHD_Connection *c)
{
    return serve_send_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

/* Digits only (strtoull would take blanks, signs and "0x"); *p moves past
 * them. */
static bool
range_num(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    for (; isdigit((unsigned char)**p); (*p)++) {
        if (x > (UINT64_MAX - 9) / 10)
            x = UINT64_MAX / 2;   /* past any file: unsatisfiable */
        else
            x = x * 10 + (uint64_t)(**p - '0');
    }
    *v = x;
    return *p > s;
}

/* The Range header of a file of size bytes (RFC 9110 14.2): 1 with the
 * first and last byte to send, -1 when it is one byte range that the file
 * cannot satisfy (416), 0 to ignore it and send the whole file: another
 * unit, several ranges, or no valid range at all (it answered 416 to
 * "items=0-4" and to "bytes=0-1,5-6", and sent bytes for "bytes=0--5"). */
static int
parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    uint64_t a, b = UINT64_MAX;
    if (!h || strncmp(h, "bytes=", 6))
        return 0;
    const char *p = h + 6;
    if (*p == '-') {                    /* the last N bytes */
        p++;
        if (!range_num(&p, &b) || *p)
            return 0;
        if (!b || !size)
            return -1;
        *from = b >= size ? 0 : size - b;
        *to = size - 1;
        return 1;
    }
    if (!range_num(&p, &a) || *p++ != '-')
        return 0;
    if (*p && (!range_num(&p, &b) || b < a))
        return 0;
    if (*p)
        return 0;
    if (a >= size)
        return -1;
    *from = a;
    *to = b >= size ? size - 1 : b;
    return 1;
}

/* A regular file by fd, with Range support (one range: what <audio>
 * asks for). */
enum MHD_Result
serve_send_file(struct MHD_Connection *c, const char *path, const char *type,
                const char *download_name)
{
    /* O_NONBLOCK: a FIFO in a damaged tree is refused by the fstat below
     * instead of holding the request (and a server thread) for ever */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return serve_not_found(c);
    }
    uint64_t size = (uint64_t)st.st_size, from = 0, to = size ? size - 1 : 0;
    unsigned status = MHD_HTTP_OK;
    int rg = parse_range(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_RANGE),
                         size, &from, &to);
    if (rg < 0) {
        close(fd);
        struct MHD_Response *r =
            MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
        char cr[64];
        snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
        return mg_http_queue(c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
    }
    if (rg > 0)
        status = MHD_HTTP_PARTIAL_CONTENT;
    struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(
        size ? to - from + 1 : 0, fd, from);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_PARTIAL_CONTENT) {
        char cr[96];
        snprintf(cr, sizeof cr, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
                 from, to, size);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
    }
    if (download_name) {
        char cd[300];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", download_name);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    }
    return mg_http_queue(c, status, r);
}

/* ---- parameters ---- */

int
serve_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s || strlen(s) > 20)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    errno = 0;
    unsigned long long v = strtoull(s, NULL, 10);
    if (errno || v > max)
        return -1;
    *out = v;
    return 0;
}

bool
serve_known_genre(const server *s, const char *name, size_t len)
{
    for (int i = 0; i < s->ngenres; i++)
        if (strlen(s->genres[i]) == len && !strncmp(s->genres[i], name, len))
            return true;
    return false;
}
