/*
 * http — the coordinator's status page and /metrics (see http.h).
 *
 * libmicrohttpd runs one internal polling thread; every answer is a
 * string rendered by mg_stats under its mutex, copied into the response
 * (MHD_RESPMEM_MUST_FREE), so no state of the loop is shared. Worker
 * identities come from the wire: the page writes them with textContent,
 * never as HTML.
 */
#include "http.h"
#include "http_gate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

struct mg_http {
    mg_http_server srv;
    mg_stats *stats;
    mg_http_log log;
    char url[64];
};

static const char page[] =
"<!doctype html><html lang=en><head><meta charset=utf-8>"
"<title>musicgen run</title><style>"
"body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}"
"h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.5em}"
"table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;"
"border-bottom:1px solid #ddd}th{background:#f3f3f3}"
".bar{width:40em;max-width:100%;height:1.2em;background:#eee;"
"border-radius:3px}.bar>div{height:100%;background:#3a7;border-radius:3px}"
".failed{color:#b22}.k{color:#666}#err{color:#b22}"
"</style></head><body><h1 id=title>musicgen run</h1>"
"<div class=bar><div id=bar style='width:0'></div></div>"
"<p id=summary></p><p id=err></p>"
"<h2>Workers</h2><table><thead><tr><th>worker<th>state"
"<th>last heartbeat<th>current lease<th>rows</thead>"
"<tbody id=workers></tbody></table>"
"<h2>Failures <span id=nfail class=k></span></h2><table><thead><tr>"
"<th>index<th>worker<th>at<th>error</thead><tbody id=failures></tbody>"
"</table><h2>Recent rows</h2><table><thead><tr><th>index<th>status"
"<th>score<th>duration s<th>render s<th>worker<th>at</thead>"
"<tbody id=recent></tbody></table>"
"<p class=k>Prometheus metrics: <a href=metrics>/metrics</a> &middot; "
"<a href=status.json>status.json</a></p>"
"<script>\n"
"'use strict';\n"
"function el(t,txt,cls){const e=document.createElement(t);"
"if(txt!==undefined)e.textContent=String(txt);if(cls)e.className=cls;"
"return e}\n"
"function row(cells,cls){const tr=el('tr',undefined,cls);"
"for(const c of cells)tr.appendChild(el('td',c));return tr}\n"
"function fill(id,rows){const t=document.getElementById(id);"
"t.replaceChildren(...rows)}\n"
"function hms(s){if(s===null||s===undefined)return '?';s=Math.round(s);"
"return Math.floor(s/3600)+':'+String(Math.floor(s/60)%60).padStart(2,'0')"
"+':'+String(s%60).padStart(2,'0')}\n"
"function f(x,d){return typeof x==='number'?x.toFixed(d):''}\n"
"async function tick(){try{const r=await fetch('status.json',"
"{cache:'no-store'});const s=await r.json();"
"document.getElementById('title').textContent=s.title;"
"const pct=s.total?100*s.done/s.total:0;"
"document.getElementById('bar').style.width=pct.toFixed(1)+'%';"
"document.getElementById('summary').textContent=s.done+' / '+s.total+"
"' done ('+pct.toFixed(1)+'%), '+s.failed+' failed, '+f(s.rate,2)+"
"' samples/s, ETA '+(s.complete?'done':hms(s.eta_seconds))+', elapsed '+"
"hms(s.elapsed_seconds)+', '+s.leases_active+' leases active, '+"
"s.leases_requeued+' re-queued';"
"fill('workers',s.workers.map(w=>row([w.identity,w.state,"
"f(w.last_heartbeat_seconds_ago,1)+' s ago',w.lease?('#'+w.lease.id+': '+"
"w.lease.first+'..'+w.lease.last):'-',w.rows])));"
"document.getElementById('nfail').textContent='('+s.failures_total+')';"
"fill('failures',s.failures.map(x=>row([x.index,x.worker,x.at,x.error],"
"'failed')));"
"fill('recent',s.recent_rows.map(x=>row([x.index,x.status,f(x.score,3),"
"f(x.duration_seconds,1),f(x.render_seconds,2),x.worker,x.at],"
"x.status==='ok'?'':'failed')));"
"document.getElementById('err').textContent=''}catch(e){"
"document.getElementById('err').textContent='no answer from the "
"coordinator ('+e+')'}}\n"
"tick();setInterval(tick,1000);\n"
"</script></body></html>\n";

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
      char *body, bool owned)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), body, owned ? MHD_RESPMEM_MUST_FREE
                                  : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)    /* RFC 9110 15.5.6 */
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    return mg_http_queue(conn, status, r);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    mg_http *h = cls;
    (void)version;
    (void)upload;
    if (mg_http_bad_target(*con_cls))
        return reply(conn, MHD_HTTP_BAD_REQUEST, "text/plain", "the URL "
                     "holds an encoded control character\n", false);
    if (*upload_size)
        return MHD_NO;
    if (strcmp(method, "GET") && strcmp(method, "HEAD"))
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     "only GET\n", false);
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
                     (char *)page, false);
    char *body = NULL;
    const char *type = NULL;
    if (!strcmp(url, "/status.json")) {
        body = mg_stats_json(h->stats);
        type = "application/json";
    } else if (!strcmp(url, "/metrics")) {
        body = mg_stats_metrics(h->stats);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else {
        return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n",
                     false);
    }
    if (!body)
        return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                     "out of memory\n", false);
    return reply(conn, MHD_HTTP_OK, type, body, true);
}

int
mg_http_parse_addr(const char *addr, struct sockaddr_in *sa, char *err,
                   size_t errlen)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    char host[64] = "127.0.0.1";
    const char *colon = strrchr(addr, ':');
    const char *port = colon ? colon + 1 : addr;
    if (colon && colon > addr) {
        size_t n = (size_t)(colon - addr);
        if (n >= sizeof host) {
            snprintf(err, errlen, "bad address '%s': host too long", addr);
            return -1;
        }
        memcpy(host, addr, n);
        host[n] = '\0';
    }
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535) {
        snprintf(err, errlen, "bad address '%s': want HOST:PORT with PORT "
                 "in 0..65535", addr);
        return -1;
    }
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1) {
        snprintf(err, errlen, "bad address '%s': '%s' is not an IPv4 "
                 "address", addr, host);
        return -1;
    }
    sa->sin_port = htons((uint16_t)p);
    return 0;
}

/* The count of the messages left out, in one line; under l->mu. */
static void
say_left_out(mg_http_log *l)
{
    if (l->left_out)
        fprintf(stderr, "%s: http: %u more message%s of libmicrohttpd left "
                "out (at most %d a minute are written)\n", l->who,
                l->left_out, l->left_out == 1 ? "" : "s", MG_HTTP_LOG_BURST);
    l->left_out = 0;
}

/* While the daemon starts, its first message is kept to end the caller's
 * one line (MHD printed it on a line of its own before the caller's);
 * once it runs, at most MG_HTTP_LOG_BURST a minute go to stderr. */
static void
mhd_logger(void *cls, const char *fm, va_list ap)
{
    mg_http_log *l = cls;
    if (!l->running) {
        if (!l->first[0])
            vsnprintf(l->first, sizeof l->first, fm, ap);
        return;
    }
    char msg[512];
    vsnprintf(msg, sizeof msg, fm, ap);
    msg[strcspn(msg, "\n")] = '\0';
    pthread_mutex_lock(&l->mu);
    int64_t now = mg_mono_ms();
    if (now - l->minute >= 60000) {
        say_left_out(l);
        l->minute = now;
        l->said = 0;
    }
    if (l->said < MG_HTTP_LOG_BURST) {
        l->said++;
        fprintf(stderr, "%s: http: %s\n", l->who, msg);
    } else {
        l->left_out++;
    }
    pthread_mutex_unlock(&l->mu);
}

/* The mark a request with an encoded control byte gets: its address */
static const char bad_target_mark;

static int
hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The target as it came, before libmicrohttpd decodes it; what this
 * returns is the request's first *con_cls. */
static void *
mark_target(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    for (const char *p = uri; (p = strchr(p, '%')); p++) {
        int hi = hex(p[1]), lo = hi < 0 ? -1 : hex(p[2]);
        if (lo >= 0 && (hi < 2 || (hi == 7 && lo == 15)))
            return (void *)&bad_target_mark;
    }
    return NULL;
}

bool
mg_http_bad_target(const void *con_cls)
{
    return con_cls == &bad_target_mark;
}

enum MHD_Result
mg_http_queue(struct MHD_Connection *c, unsigned status,
              struct MHD_Response *r)
{
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* The listening socket, bound; -1 with errno. */
static int
listen_on(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(fd, (const struct sockaddr *)sa, sizeof *sa) ||
        listen(fd, SOMAXCONN)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
mg_http_listen(const char *addr, const struct sockaddr_in *sa, unsigned flags,
               unsigned timeout, MHD_AccessHandlerCallback handler, void *cls,
               mg_http_log *log, mg_http_server *srv, unsigned *port,
               char *err, size_t errlen)
{
    log->first[0] = '\0';
    log->running = 0;
    log->minute = mg_mono_ms();
    log->said = log->left_out = 0;
    srv->d = NULL;
    srv->gate = NULL;
    srv->log = log;
    int lfd = listen_on(sa);
    struct sockaddr_in got;
    socklen_t gl = sizeof got;
    if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&got, &gl)) {
        snprintf(err, errlen, "cannot serve HTTP on %s: %s", addr,
                 strerror(errno));
        if (lfd >= 0)
            close(lfd);
        return -1;
    }
    /* the gate accepts; the daemon gets connections whose head is whole */
    srv->d = MHD_start_daemon(
        flags | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC,
        0, NULL, NULL, handler, cls,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, log,
        MHD_OPTION_URI_LOG_CALLBACK, mark_target, NULL,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        /* half of them for one address: clients that ask for a WAV and
         * never read it held all 64 (a minute each, again and again) */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout, MHD_OPTION_END);
    if (srv->d)
        srv->gate = mg_http_gate_new(lfd, srv->d);
    else
        close(lfd);
    if (!srv->gate) {
        log->first[strcspn(log->first, "\n")] = '\0';
        snprintf(err, errlen, "cannot serve HTTP on %s: %s", addr,
                 log->first[0] ? log->first : "cannot start the server");
        if (srv->d)
            MHD_stop_daemon(srv->d);
        srv->d = NULL;
        return -1;
    }
    pthread_mutex_init(&log->mu, NULL);
    log->running = 1;
    *port = ntohs(got.sin_port);
    return 0;
}

void
mg_http_close(mg_http_server *srv)
{
    mg_http_gate_destroy(&srv->gate);
    if (srv->d)
        MHD_stop_daemon(srv->d);
    srv->d = NULL;
    if (srv->log && srv->log->running) {
        say_left_out(srv->log);
        srv->log->running = 0;
        pthread_mutex_destroy(&srv->log->mu);
    }
    srv->log = NULL;
}

mg_http *
mg_http_start(const char *addr, mg_stats *stats, char *err, size_t errlen)
{
    struct sockaddr_in sa;
    if (mg_http_parse_addr(addr, &sa, err, errlen))
        return NULL;
    mg_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->stats = stats;
    h->log.who = "musicgen coordinator";
    unsigned port;
    if (mg_http_listen(addr, &sa, MHD_USE_INTERNAL_POLLING_THREAD, 30,
                       on_request, h, &h->log, &h->srv, &port, err,
                       errlen)) {
        free(h);
        return NULL;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    snprintf(h->url, sizeof h->url, "http://%s:%u/", ip, port);
    return h;
}

const char *
mg_http_url(const mg_http *h)
{
    return h->url;
}

void
mg_http_stop(mg_http **hp)
{
    mg_http *h = *hp;
    if (!h)
        return;
    mg_http_close(&h->srv);
    free(h);
    *hp = NULL;
}
