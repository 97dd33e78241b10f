/*
 * endpoint — syntax of the endpoints we accept (see endpoint.h). Only the
 * shape is checked here; whether a host resolves or a port is free is the
 * socket's answer, reported by the caller with the endpoint named.
 */
#include "endpoint.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"

static bool
host_ok(const char *h, size_t n, bool for_bind)
{
    if (n == 0) return false;
    if (n == 1 && h[0] == '*') return for_bind;
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']') return false;
        for (size_t i = 1; i + 1 < n; i++)
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.')
                return false;
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_') return false;
    }
    return true;
}

int
mg_endpoint_check(const char *ep, bool for_bind, char *err, size_t errlen)
{
    const char *want = for_bind ? "tcp://*:5555, tcp://HOST:* or ipc://PATH"
                                : "tcp://HOST:PORT or ipc://PATH";
    if (!ep || !*ep)
        return mg_errf(err, errlen, "empty endpoint (expected %s)", want);
    if (!strncmp(ep, "ipc://", 6) || !strncmp(ep, "inproc://", 9)) {
        const char *rest = strchr(ep, ':') + 3;
        if (!*rest)
            return mg_errf(err, errlen, "endpoint '%s': no path after the "
                           "transport", ep);
        return 0;
    }
    if (strncmp(ep, "tcp://", 6))
        return mg_errf(err, errlen, "endpoint '%.200s': not tcp://, ipc:// or "
                       "inproc:// (expected %s)", ep, want);
    const char *hp = ep + 6;
    /* ZeroMQ's "source;destination" form: check the destination. */
    const char *semi = strchr(hp, ';');
    if (semi && !for_bind) hp = semi + 1;
    const char *colon = strrchr(hp, ':');
    if (!colon)
        return mg_errf(err, errlen, "endpoint '%.200s': no port (expected %s)",
                       ep, want);
    if (!host_ok(hp, (size_t)(colon - hp), for_bind))
        return mg_errf(err, errlen, "endpoint '%.200s': bad host '%.*s' "
                       "(expected %s)", ep, (int)(colon - hp) > 100 ? 100 :
                       (int)(colon - hp), hp, want);
    const char *port = colon + 1;
    if (!strcmp(port, "*") || !strcmp(port, "!")) {
        if (for_bind) return 0;
        return mg_errf(err, errlen, "endpoint '%.200s': a connect needs a "
                       "port number", ep);
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || !isdigit((unsigned char)*port) || p < 1 || p > 65535)
        return mg_errf(err, errlen, "endpoint '%.200s': port '%.20s' is not "
                       "1..65535", ep, port);
    return 0;
}
