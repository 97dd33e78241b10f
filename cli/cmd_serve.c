/*
 * serve — `musicgen serve`: a web page to make one sample and audition it
 * (mix and stems in <audio>, a piano roll with chords, beats, downbeats
 * and parts on one time axis, the mix spectrogram, a tar download), and to
 * browse an existing dataset (--dataset ROOT) sample by sample. This
 * file: the command and the routing; the parts beside it (responses,
 * samples, jobs) are listed in serve_priv.h.
 *
 * libmicrohttpd, one thread per connection (a job's long poll waits on a
 * condition variable, not on the others), behind the gate of
 * coordinator/http_gate.h: a connection reaches a thread only once its
 * request head is whole, and each answer closes it. A generation is a child process:
 * this very binary exec'd as `musicgen generate --count 1` into a job
 * directory under the work root, so a crash of the engine never takes
 * the server down, and at most --max-jobs run at once (503 past that).
 * The page, its script and style are files of the repository (web/),
 * served from the data directory: nothing comes from elsewhere.
 *
 * Invariants (what a URL can reach):
 * - A sample is named by "job/N" (a finished job of this server) or
 *   "ds/I" (index I of --dataset); its directory is computed, never taken
 *   from the URL. Within a sample only the files sample.json, mix.wav,
 *   stems/<layer>.wav and midi/<layer>.mid are served, and only if their
 *   real path (symlinks resolved) lies inside the served root. Anything
 *   else is 404: "../", "%2e%2e" (MHD decodes it first) and symlinks out.
 *   A URL with an encoded control byte ("%00": MHD's decoded path ended
 *   there) is 400 before any of that (mg_http_bad_target).
 * - Every parameter is checked before use; a bad one is HTTP 400 with one
 *   line the page shows.
 * - A generation is started only by a request that comes from no page
 *   (curl) or from this server's page (its Origin is http://HOST).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "dsargs.h"
#include "genre.h"
#include "http.h"
#include "outpath.h"
#include "procs.h"
#include "sampledir.h"

#include "serve_priv.h"

#define MAX_JOBS_CAP 64

/* ---- routing ---- */

static enum MHD_Result
static_file(server *s, struct MHD_Connection *c, const char *name,
            const char *type)
{
    char p[1300];
    snprintf(p, sizeof p, "%s/%s", s->web, name);
    return serve_send_file(c, p, type, NULL);
}

/* Is the Host header (or its absence: HTTP/1.0) a loopback name, with
 * or without a port? */
static bool
loopback_host(const char *host)
{
    if (!host) return true;
    size_t n = strlen(host);
    const char *colon = host[0] == '[' ? strchr(host, ']') : host;
    if (!colon) return false;
    colon = strchr(colon, ':');
    if (colon) {
        if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
            return false;
        n = (size_t)(colon - host);
    }
    if ((n == 9 && !strncasecmp(host, "localhost", 9)) ||
        (n == 5 && !strncmp(host, "[::1]", 5)))
        return true;
    char ip[16];
    struct in_addr a;
    if (n >= sizeof ip) return false;
    memcpy(ip, host, n);
    ip[n] = 0;
    return inet_pton(AF_INET, ip, &a) == 1 &&
           (ntohl(a.s_addr) >> 24) == 127;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    server *s = cls;
    (void)version;
    (void)upload;
    if (mg_http_bad_target(*con_cls))
        return serve_send_error(c, MHD_HTTP_BAD_REQUEST, "the URL holds an "
                                "encoded control character (%%00..%%1F or "
                                "%%7F)");
    if (!*con_cls) {            /* first call: headers only */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {         /* no request bodies: ignore them */
        *upload_size = 0;
        return MHD_YES;
    }
    /* bound to loopback, only a loopback name may be asked for: a page
     * of another site whose name an attacker points at 127.0.0.1 (DNS
     * rebinding) would otherwise read every sample as its own origin */
    if (s->loopback && !loopback_host(MHD_lookup_connection_value(
                           c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        return serve_send_error(c, MHD_HTTP_FORBIDDEN, "this server answers "
                                "to localhost, 127.0.0.1 or [::1] only "
                                "(Host names another machine)");
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool post = !strcmp(method, "POST");
    /* defence in depth: no URL with a dot-dot segment reaches a handler */
    if (strstr(url, "..") || strstr(url, "//") || strchr(url, '\\'))
        return serve_not_found(c);
    if (!strcmp(url, "/api/generate") && !post)
        return serve_send_not_allowed(c, "POST");   /* it was 404 */
    if (post && !strcmp(url, "/api/generate")) {
        /* a page of another site may not start generations here (a
         * browser lets any page POST to 127.0.0.1 without asking): a
         * browser names the page's origin, which must be this server */
        const char *origin = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, "Origin");
        const char *host = MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        if (origin && (!host || strncmp(origin, "http://", 7) ||
                       strcmp(origin + 7, host)))
            return serve_send_error(c, MHD_HTTP_FORBIDDEN, "a request from "
                                    "another site's page is refused");
        return serve_generate(s, c);
    }
    if (!get)
        return serve_send_not_allowed(c, "GET, HEAD");
    if (!strcmp(url, "/") || !strcmp(url, "/index.html"))
        return static_file(s, c, "serve.html", "text/html; charset=utf-8");
    if (!strcmp(url, "/serve.js"))
        return static_file(s, c, "serve.js", "text/javascript");
    if (!strcmp(url, "/serve.css"))
        return static_file(s, c, "serve.css", "text/css");
    if (!strcmp(url, "/api/genres")) {
        json_t *a = json_array();
        for (int i = 0; i < s->ngenres; i++)
            json_array_append_new(a, json_string(s->genres[i]));
        return serve_send_json(c, 200, json_pack("{s:o,s:i}", "genres", a,
                                            "max_jobs", s->max_jobs));
    }
    if (!strcmp(url, "/api/dataset"))
        return serve_dataset_list(s, c);
    if (!strncmp(url, "/api/job/", 9))
        return serve_job_status(s, c, url + 9);
    char ref[64];
    const char *rest;
    if (!strncmp(url, "/api/view/", 10) &&
        !serve_split_ref(url + 10, ref, sizeof ref, &rest) && !*rest)
        return serve_view(s, c, ref);
    if (!strncmp(url, "/api/spectrogram/", 17) &&
        !serve_split_ref(url + 17, ref, sizeof ref, &rest) && !*rest)
        return serve_spectrogram(s, c, ref, !strcmp(method, "HEAD"));
    if (!strncmp(url, "/api/tar/", 9) &&
        !serve_split_ref(url + 9, ref, sizeof ref, &rest) && !*rest)
        return serve_tarball(s, c, ref);
    if (!strncmp(url, "/files/", 7) &&
        !serve_split_ref(url + 7, ref, sizeof ref, &rest)) {
        const char *type = serve_sample_file_type(rest);
        char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
        if (!type ||
            serve_sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
            serve_inside(root, dir, rest, real))
            return serve_not_found(c);
        return serve_send_file(c, real, type, NULL);
    }
    return serve_not_found(c);
}

/* ---- the command ---- */

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: musicgen serve [--bind HOST:PORT] [--dataset ROOT]\n"
        "                      [--max-jobs N] [--work DIR]\n\n"
        "A web page to generate one sample and audition it: mix and stems,\n"
        "a piano roll with chords, beats, downbeats and parts, the mix\n"
        "spectrogram, a tar download; --dataset browses an existing one.\n\n"
        "  --bind HOST:PORT   default 127.0.0.1:8080 (port 0 picks one;\n"
        "                     the URL is printed)\n"
        "  --dataset ROOT     browse this dataset (read only)\n"
        "  --max-jobs N       generations at once, 1..%d (default 2); past\n"
        "                     that a request gets 503\n"
        "  --work DIR         where generated samples go (default: a new\n"
        "                     directory under $TMPDIR, kept at exit)\n",
        MAX_JOBS_CAP);
}

int
mg_cmd_serve(int argc, char **argv)
{
    const char *bind = "127.0.0.1:8080", *dataset = NULL, *work = NULL;
    int max_jobs = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--bind") && v) {
            bind = v, i++;
        } else if (!strcmp(a, "--dataset") && v) {
            dataset = v, i++;
        } else if (!strcmp(a, "--work") && v) {
            work = v, i++;
        } else if (!strcmp(a, "--max-jobs") && v) {
            uint64_t x;
            if (serve_parse_u64(v, MAX_JOBS_CAP, &x) || x < 1) {
                fprintf(stderr, "musicgen serve: --max-jobs must be an "
                        "integer in 1..%d\n", MAX_JOBS_CAP);
                return 2;
            }
            max_jobs = (int)x, i++;
        } else {
            static const char *const valued[] = {"--bind", "--dataset",
                                                 "--max-jobs", "--work",
                                                 NULL};
            if (mg_dsargs_no_value("serve", a, !v, valued))
                return 2;
            fprintf(stderr, "musicgen serve: unexpected argument '%s' "
                    "(try --help)\n", a);
            return 2;
        }
    }
    static server s;
    char err[1200];
    struct sockaddr_in sa;
    if (mg_http_parse_addr(bind, &sa, err, sizeof err)) {
        fprintf(stderr, "musicgen serve: --bind: %s\n", err);
        return 2;
    }
    s.max_jobs = max_jobs;
    s.loopback = (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
    snprintf(s.web, sizeof s.web, "%s/web", mg_data_dir());
    char probe[1300];
    snprintf(probe, sizeof probe, "%s/serve.html", s.web);
    if (access(probe, R_OK)) {
        fprintf(stderr, "musicgen serve: %s: %s (is the data directory "
                "installed? MUSICGEN_DATA_DIR)\n", probe, strerror(errno));
        return 1;
    }
    if (dataset && !realpath(dataset, s.dataset)) {
        fprintf(stderr, "musicgen serve: --dataset %s: %s\n", dataset,
                strerror(errno));
        return 2;
    }
    struct stat dst;
    if (dataset && (stat(s.dataset, &dst) || !S_ISDIR(dst.st_mode))) {
        fprintf(stderr, "musicgen serve: --dataset %s is not a directory\n",
                dataset);
        return 2;
    }
    if (dataset && mg_dsargs_dataset("serve", dataset)) return 1;
    if (work && !stat(work, &dst) && !S_ISDIR(dst.st_mode)) {
        fprintf(stderr, "musicgen serve: --work %s is not a directory\n",
                work);
        return 2;
    }
    char rw[PATH_MAX];
    if (work && dataset && !mg_outpath_resolve(work, rw, sizeof rw) &&
        mg_path_holds(s.dataset, rw)) {
        /* job directories (with their ledgers) went into the dataset that
         * --dataset browses read only */
        fprintf(stderr, "musicgen serve: --work %s is inside the dataset %s "
                "(browsed read only): give a directory outside it\n", work,
                dataset);
        return 2;
    }
    if (work) {
        if (mg_dir_make(work) || !realpath(work, s.work)) {
            fprintf(stderr, "musicgen serve: --work %s: %s\n", work,
                    strerror(errno));
            return 2;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(s.work, sizeof s.work, "%s/musicgen-serve-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(s.work)) {
            fprintf(stderr, "musicgen serve: %s: %s\n", s.work,
                    strerror(errno));
            return 1;
        }
    }
    const char *gd = getenv("MUSICGEN_GENRES_DIR");
    snprintf(s.genres_dir, sizeof s.genres_dir, "%s", gd && *gd ? gd : "");
    if (!s.genres_dir[0])
        snprintf(s.genres_dir, sizeof s.genres_dir, "%s/genres",
                 mg_data_dir());
    s.ngenres = mg_genre_list(s.genres_dir, &s.genres, err, sizeof err);
    if (s.ngenres < 0) {
        fprintf(stderr, "musicgen serve: %s\n", err);
        return 1;
    }
    pthread_mutex_init(&s.mu, NULL);
    pthread_mutex_init(&s.ds_mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    mg_procs_signals();
    static mg_http_log log = {.who = "musicgen serve"};
    unsigned port;
    mg_http_server srv;
    if (mg_http_listen(bind, &sa, MHD_USE_THREAD_PER_CONNECTION |
                       MHD_USE_INTERNAL_POLLING_THREAD, 60, on_request, &s,
                       &log, &srv, &port, err, sizeof err)) {
        fprintf(stderr, "musicgen serve: %s\n", err);
        return 1;
    }
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    printf("musicgen serve: http://%s:%u/ (samples in %s%s%s)\n", ip, port,
           s.work, s.dataset[0] ? "; browsing " : "", s.dataset);
    fflush(stdout);
    while (!mg_stop_flag) {
        struct timespec t = {0, 200 * 1000000L};
        nanosleep(&t, NULL);
        pthread_mutex_lock(&s.mu);
        serve_reap(&s);
        pthread_cond_broadcast(&s.cv);
        pthread_mutex_unlock(&s.mu);
    }
    mg_http_close(&srv);
    pthread_mutex_lock(&s.mu);
    for (int i = 0; i < s.njobs; i++)
        if (s.jobs[i].state == J_RUNNING)
            kill(s.jobs[i].pid, SIGTERM);
    pthread_mutex_unlock(&s.mu);
    for (int i = 0; i < s.njobs; i++)
        if (s.jobs[i].state == J_RUNNING)
            waitpid(s.jobs[i].pid, NULL, 0);
    free(s.jobs);
    mg_genre_names_free(s.genres, s.ngenres);
    return 0;
}
