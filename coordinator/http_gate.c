/*
 * http_gate — connections wait here until their request head is whole
 * (see http_gate.h).
 *
 * One thread polls the listening socket, a wake pipe and the waiting
 * connections. A waiting connection's bytes are peeked (MSG_PEEK), and
 * SO_RCVLOWAT is raised past what was seen, so that poll wakes again
 * only when more has come (a peeked socket stays readable otherwise).
 */
#include "http_gate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

typedef struct {
    int fd;
    int64_t deadline;           /* ms, monotonic */
    struct sockaddr_storage addr;
    socklen_t alen;
} waiting;

struct mg_http_gate {
    int lfd, wake[2];
    struct MHD_Daemon *d;
    pthread_t th;
    waiting w[MG_HTTP_GATE_PENDING];
    int nw;
    int64_t resume;             /* out of descriptors: accept again then */
    struct pollfd pf[MG_HTTP_GATE_PENDING + 2];
    char buf[MG_HTTP_GATE_HEAD_MAX];
};

enum { HEAD_MORE, HEAD_WHOLE, HEAD_BAD };

/* RFC 9110 tchar */
static bool
tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Empty lines a request line may follow (RFC 9112 2.2: a server SHOULD
 * ignore at least one): more is no request, and waiting for its end held
 * a connection that sent only line ends until the deadline (408). */
#define LEAD_EMPTY_MAX 2

/* Where the bytes of a head so far stand: whole (up to its blank line),
 * more to come, or a request line no HTTP request begins with. Up to
 * LEAD_EMPTY_MAX empty lines before the request line are allowed. */
static int
head_state(const char *b, size_t n)
{
    size_t i = 0, lines = 0;
    for (; i < n && (b[i] == '\r' || b[i] == '\n'); i++)
        if (b[i] == '\n' && ++lines > LEAD_EMPTY_MAX)
            return HEAD_BAD;
    size_t m = i;
    while (i < n && tchar((unsigned char)b[i]))
        i++;
    if (i == n)
        return HEAD_MORE;
    if (i == m || b[i] != ' ')
        return HEAD_BAD;
    size_t t = ++i;
    while (i < n && (unsigned char)b[i] > ' ' && b[i] != 0x7f)
        i++;
    if (i == n)
        return HEAD_MORE;
    if (i == t || (b[i] != ' ' && b[i] != '\r' && b[i] != '\n'))
        return HEAD_BAD;
    /* the version and the headers are the daemon's to judge */
    for (; i + 1 < n; i++)
        if (b[i] == '\n' && (b[i + 1] == '\n' ||
                             (b[i + 1] == '\r' && i + 2 < n &&
                              b[i + 2] == '\n')))
            return HEAD_WHOLE;
    return HEAD_MORE;
}

/* Answer a waiting connection with status and close it: what it sent is
 * read first (closing a socket with unread bytes resets it, and the
 * client may lose the answer). */
static void
refuse(int fd, const char *status)
{
    char junk[4096];
    for (int k = 0; k < 16 && recv(fd, junk, sizeof junk, 0) > 0; k++)
        ;
    /* a 503 says why, and when to come back */
    const char *body = strncmp(status, "503", 3) ? "" :
        "busy: every connection this server takes is in use (or all "
        "those one address may hold); try again shortly\n";
    char msg[400];
    size_t n = (size_t)snprintf(msg, sizeof msg, "HTTP/1.1 %s\r\n"
                                "Connection: close\r\n%sContent-Length: "
                                "%zu\r\n\r\n%s", status, *body ?
                                "Content-Type: text/plain\r\n"
                                "Retry-After: 5\r\n" : "",
                                strlen(body), body);
    if (send(fd, msg, n, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
        shutdown(fd, SHUT_WR);
    close(fd);
}

static void
drop(mg_http_gate *g, int i)
{
    g->w[i] = g->w[--g->nw];
}

/* Look at waiting connection i again; false when it left the gate. */
static bool
look(mg_http_gate *g, int i, short revents)
{
    waiting *w = &g->w[i];
    ssize_t n = recv(w->fd, g->buf, sizeof g->buf, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return true;
    if (n <= 0) {
        close(w->fd);
        drop(g, i);
        return false;
    }
    int st = head_state(g->buf, (size_t)n);
    if (st == HEAD_MORE && (size_t)n == sizeof g->buf)
        st = HEAD_WHOLE;        /* the daemon answers it too large */
    if (st == HEAD_BAD) {
        refuse(w->fd, "400 Bad Request");
        drop(g, i);
        return false;
    }
    if (st == HEAD_MORE && (revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        close(w->fd);           /* it stopped sending half way */
        drop(g, i);
        return false;
    }
    if (st == HEAD_MORE) {
        int low = (int)n + 1;
        setsockopt(w->fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low);
        return true;
    }
    int one = 1;
    setsockopt(w->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
    /* the daemon closes the socket it cannot take (its limits on
     * connections, in all and from one address): a copy kept answers
     * 503 then, where the client got no answer at all */
    int spare = dup(w->fd);
    if (MHD_add_connection(g->d, w->fd, (const struct sockaddr *)&w->addr,
                           w->alen) != MHD_YES && spare >= 0)
        refuse(spare, "503 Service Unavailable");
    else if (spare >= 0)
        close(spare);
    drop(g, i);
    return false;
}

static void
take(mg_http_gate *g)
{
    for (;;) {
        waiting w;
        w.alen = sizeof w.addr;
        w.fd = accept4(g->lfd, (struct sockaddr *)&w.addr, &w.alen,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (w.fd < 0) {
            /* out of descriptors (or memory): the queued connection
             * stays readable, and polling it again at once spun a core */
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED)
                g->resume = mg_mono_ms() + 100;
            return;
        }
        if (g->nw == MG_HTTP_GATE_PENDING) {
            int old = 0;
            for (int i = 1; i < g->nw; i++)
                if (g->w[i].deadline < g->w[old].deadline)
                    old = i;
            refuse(g->w[old].fd, "503 Service Unavailable");
            drop(g, old);
        }
        w.deadline = mg_mono_ms() + MG_HTTP_GATE_HEAD_MS;
        g->w[g->nw++] = w;
    }
}

static void *
run(void *arg)
{
    mg_http_gate *g = arg;
    struct pollfd *pf = g->pf;
    for (;;) {
        int64_t now = mg_mono_ms(), next = now + 60000;
        for (int i = 0; i < g->nw;) {
            if (g->w[i].deadline <= now) {
                /* nothing sent at all: closed without a word (a
                 * browser's unused preconnection, which it opens again
                 * when it needs one) */
                char c;
                if (recv(g->w[i].fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
                    refuse(g->w[i].fd, "408 Request Timeout");
                else
                    close(g->w[i].fd);
                drop(g, i);
                continue;
            }
            if (g->w[i].deadline < next)
                next = g->w[i].deadline;
            i++;
        }
        pf[0] = (struct pollfd){g->wake[0], POLLIN, 0};
        pf[1] = (struct pollfd){now < g->resume ? -1 : g->lfd, POLLIN, 0};
        if (now < g->resume && g->resume < next)
            next = g->resume;
        for (int i = 0; i < g->nw; i++)
            pf[i + 2] = (struct pollfd){g->w[i].fd, POLLIN | POLLRDHUP, 0};
        int nw = g->nw;
        if (poll(pf, (nfds_t)nw + 2, (int)(next - now)) < 0 &&
            errno != EINTR)
            continue;
        if (pf[0].revents)
            return NULL;
        /* backwards: drop() moves the last one into the place it frees */
        for (int i = nw - 1; i >= 0; i--)
            if (pf[i + 2].revents)
                look(g, i, pf[i + 2].revents);
        if (pf[1].revents)
            take(g);
    }
}

mg_http_gate *
mg_http_gate_new(int lfd, struct MHD_Daemon *d)
{
    mg_http_gate *g = calloc(1, sizeof *g);
    if (!g || pipe2(g->wake, O_CLOEXEC)) {
        free(g);
        close(lfd);
        return NULL;
    }
    g->lfd = lfd;
    g->d = d;
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    if (pthread_create(&g->th, NULL, run, g)) {
        close(g->wake[0]);
        close(g->wake[1]);
        close(lfd);
        free(g);
        return NULL;
    }
    return g;
}

void
mg_http_gate_destroy(mg_http_gate **gp)
{
    mg_http_gate *g = *gp;
    if (!g)
        return;
    ssize_t r = write(g->wake[1], "x", 1);
    (void)r;
    pthread_join(g->th, NULL);
    for (int i = 0; i < g->nw; i++)
        close(g->w[i].fd);
    close(g->lfd);
    close(g->wake[0]);
    close(g->wake[1]);
    free(g);
    *gp = NULL;
}
