/*
 * serve — `musicgen serve`: a web page to make one sample and audition it
 * (mix and stems in <audio>, a piano roll with chords, beats, downbeats
 * and parts on one time axis, the mix spectrogram, a tar download), and to
 * browse an existing dataset (--dataset ROOT) sample by sample.
 *
 * libmicrohttpd, one thread per connection (a job's long poll waits on a
 * condition variable, not on the others). A generation is a child process:
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
 * - Every parameter is checked before use; a bad one is HTTP 400 with one
 *   line the page shows.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "genre.h"
#include "http.h"
#include "procs.h"
#include "sampledir.h"
#include "midiread.h"
#include "spectro.h"

#define MAX_JOBS_CAP 64
#define LAYERS 4
static const char *const layers[LAYERS] = {
    "beat", "melody", "harmony", "bassline",
};

typedef enum { J_RUNNING, J_DONE, J_FAILED } job_state;

typedef struct {
    int id;
    pid_t pid;
    job_state state;
    uint64_t seed, index;
    char genre[256];
    char dir[1200];             /* <work>/job-N */
    char error[512];
    int64_t started_ms, ended_ms;
} job;

typedef struct {
    char web[1100];             /* page, script, style */
    char work[1100];            /* job directories */
    char dataset[PATH_MAX];     /* realpath of --dataset, or "" */
    char genres_dir[1024];
    char **genres;
    int ngenres;
    int max_jobs;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *jobs;
    int njobs, cap_jobs, running;
} server;

static int64_t
now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- responses ---- */

static enum MHD_Result
send_buf(struct MHD_Connection *c, unsigned status, const char *type,
         void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
                                                             mode);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result
send_json(struct MHD_Connection *c, unsigned status, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        return MHD_NO;
    return send_buf(c, status, "application/json", s, strlen(s),
                    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result
send_error(struct MHD_Connection *c, unsigned status, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_json(c, status, json_pack("{s:s}", "error", msg));
}

static enum MHD_Result
not_found(struct MHD_Connection *c)
{
    return send_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

/* A regular file by fd, with Range support (one range: what <audio>
 * asks for). */
static enum MHD_Result
send_file(struct MHD_Connection *c, const char *path, const char *type,
          const char *download_name)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return not_found(c);
    }
    uint64_t size = (uint64_t)st.st_size, from = 0, to = size ? size - 1 : 0;
    unsigned status = MHD_HTTP_OK;
    const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_RANGE);
    if (range && size) {
        unsigned long long a = 0, b = size - 1;
        char *end;
        bool ok = !strncmp(range, "bytes=", 6);
        const char *p = range + 6;
        if (ok && *p == '-') {          /* the last N bytes */
            unsigned long long n = strtoull(p + 1, &end, 10);
            ok = *end == '\0' && n > 0;
            a = n >= size ? 0 : size - n;
        } else if (ok) {
            a = strtoull(p, &end, 10);
            ok = *end == '-';
            if (ok && end[1]) {
                b = strtoull(end + 1, &end, 10);
                ok = *end == '\0';
            }
            if (b >= size)
                b = size - 1;
        }
        if (!ok || a > b || a >= size) {
            close(fd);
            struct MHD_Response *r =
                MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
            char cr[64];
            snprintf(cr, sizeof cr, "bytes */%" PRIu64, size);
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
            enum MHD_Result rc = MHD_queue_response(
                c, MHD_HTTP_RANGE_NOT_SATISFIABLE, r);
            MHD_destroy_response(r);
            return rc;
        }
        from = a;
        to = b;
        status = MHD_HTTP_PARTIAL_CONTENT;
    }
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
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- parameters ---- */

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
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

static bool
known_genre(const server *s, const char *name, size_t len)
{
    for (int i = 0; i < s->ngenres; i++)
        if (strlen(s->genres[i]) == len && !strncmp(s->genres[i], name, len))
            return true;
    return false;
}

/* ---- samples and their files ---- */

/* The directory of a sample reference ("job/N" or "ds/I"); 0 or -1. The
 * root it lies in goes to root. */
static int
sample_dir(server *s, const char *ref, char *dir, size_t n, char *root,
           size_t rn)
{
    uint64_t v;
    if (!strncmp(ref, "job/", 4) && !parse_u64(ref + 4, INT_MAX, &v)) {
        int rc = -1;
        pthread_mutex_lock(&s->mu);
        for (int i = 0; i < s->njobs; i++)
            if (s->jobs[i].id == (int)v && s->jobs[i].state == J_DONE) {
                snprintf(dir, n, "%s/%06" PRIu64, s->jobs[i].dir,
                         s->jobs[i].index);
                snprintf(root, rn, "%s", s->work);
                rc = 0;
            }
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    if (!strncmp(ref, "ds/", 3) && s->dataset[0] &&
        !parse_u64(ref + 3, 999999999999ULL, &v)) {
        /* flat or sharded by 1..5 characters of the padded index */
        char pad[32];
        snprintf(pad, sizeof pad, "%06" PRIu64, v);
        for (int w = 0; w <= 5; w++) {
            if (w)
                snprintf(dir, n, "%s/%.*s/%s", s->dataset, w, pad, pad);
            else
                snprintf(dir, n, "%s/%s", s->dataset, pad);
            char sj[PATH_MAX + 32];
            snprintf(sj, sizeof sj, "%s/sample.json", dir);
            if (access(sj, R_OK) == 0) {
                snprintf(root, rn, "%s", s->dataset);
                return 0;
            }
        }
    }
    return -1;
}

/* Is name one of the files a sample may hold? Its content type then. */
static const char *
sample_file_type(const char *name)
{
    if (!strcmp(name, "sample.json"))
        return "application/json";
    if (!strcmp(name, "mix.wav"))
        return "audio/wav";
    for (int l = 0; l < LAYERS; l++) {
        char a[64], b[64];
        snprintf(a, sizeof a, "stems/%s.wav", layers[l]);
        snprintf(b, sizeof b, "midi/%s.mid", layers[l]);
        if (!strcmp(name, a))
            return "audio/wav";
        if (!strcmp(name, b))
            return "audio/midi";
    }
    return NULL;
}

/* dir/name resolved; 0 when it exists and its real path is inside root. */
static int
inside(const char *root, const char *dir, const char *name, char *real)
{
    char path[PATH_MAX + 64], rroot[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!realpath(path, real) || !realpath(root, rroot))
        return -1;
    size_t l = strlen(rroot);
    return strncmp(real, rroot, l) || real[l] != '/' ? -1 : 0;
}

/* Split "/api/x/<kind>/<n>[/rest]" into ref ("kind/n") and rest. */
static int
split_ref(const char *p, char *ref, size_t n, const char **rest)
{
    const char *a = strchr(p, '/');
    if (!a)
        return -1;
    const char *b = strchr(a + 1, '/');
    size_t len = b ? (size_t)(b - p) : strlen(p);
    if (len >= n)
        return -1;
    memcpy(ref, p, len);
    ref[len] = '\0';
    *rest = b ? b + 1 : "";
    return 0;
}

/* ---- the view of a sample: sample.json plus the notes of its MIDI ---- */

static enum MHD_Result
view(server *s, struct MHD_Connection *c, const char *ref)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    if (sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
        inside(root, dir, "sample.json", real))
        return not_found(c);
    json_error_t je;
    json_t *sj = json_load_file(real, 0, &je);
    if (!sj)
        return send_error(c, 500, "sample.json: %s", je.text);
    json_t *notes = json_object();
    for (int l = 0; l < LAYERS; l++) {
        char name[64], err[300];
        snprintf(name, sizeof name, "midi/%s.mid", layers[l]);
        mg_mnote *nv;
        size_t nn;
        if (inside(root, dir, name, real) ||
            mg_midiread_file(real, &nv, &nn, err, sizeof err))
            continue;       /* mix-only samples have no MIDI */
        json_t *a = json_array();
        for (size_t i = 0; i < nn; i++)
            json_array_append_new(a, json_pack(
                "[f,f,i,i]", nv[i].start, nv[i].end, (int)nv[i].pitch,
                (int)nv[i].velocity));
        json_object_set_new(notes, layers[l], a);
        free(nv);
    }
    json_t *files = json_array();
    const char *cand[2 + 2 * LAYERS];
    char names[2 * LAYERS][64];
    int nc = 0;
    cand[nc++] = "mix.wav";
    for (int l = 0; l < LAYERS; l++) {
        snprintf(names[l], sizeof names[l], "stems/%s.wav", layers[l]);
        cand[nc++] = names[l];
    }
    for (int i = 0; i < nc; i++)
        if (!inside(root, dir, cand[i], real))
            json_array_append_new(files, json_string(cand[i]));
    return send_json(c, 200, json_pack("{s:s,s:o,s:o,s:o}", "ref", ref,
                                       "sample", sj, "notes", notes,
                                       "audio", files));
}

/* ---- tar (ustar) of a sample directory ---- */

typedef struct {
    uint8_t *b;
    size_t len, cap;
} tbuf;

static int
tput(tbuf *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = (t->len + n) * 2;
        uint8_t *nb = realloc(t->b, cap);
        if (!nb)
            return -1;
        t->b = nb;
        t->cap = cap;
    }
    memcpy(t->b + t->len, p, n);
    t->len += n;
    return 0;
}

static int
tar_add(tbuf *t, const char *name, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    struct stat st;
    if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || strlen(name) > 99) {
        fclose(f);
        return -1;
    }
    uint8_t h[512];
    memset(h, 0, sizeof h);
    memcpy(h, name, strlen(name));
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)st.st_size);
    snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)st.st_mtime);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    if (tput(t, h, 512)) {
        fclose(f);
        return -1;
    }
    uint8_t buf[65536];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (tput(t, buf, n)) {
            fclose(f);
            return -1;
        }
        total += n;
    }
    fclose(f);
    static const uint8_t zero[512];
    return total % 512 ? tput(t, zero, 512 - total % 512) : 0;
}

static enum MHD_Result
tarball(server *s, struct MHD_Connection *c, const char *ref)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    if (sample_dir(s, ref, dir, sizeof dir, root, sizeof root))
        return not_found(c);
    const char *base = strrchr(dir, '/') + 1;
    tbuf t = {NULL, 0, 0};
    const char *cand[] = {"sample.json", "mix.wav"};
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < (pass == 0 ? 2 : LAYERS); i++) {
            char rel[64], name[128];
            if (pass == 0)
                snprintf(rel, sizeof rel, "%s", cand[i]);
            else
                snprintf(rel, sizeof rel, pass == 1 ? "stems/%s.wav"
                                                    : "midi/%s.mid",
                         layers[i]);
            if (inside(root, dir, rel, real))
                continue;
            snprintf(name, sizeof name, "%s/%s", base, rel);
            if (tar_add(&t, name, real)) {
                free(t.b);
                return send_error(c, 500, "cannot read %s", rel);
            }
        }
    static const uint8_t end[1024];
    if (tput(&t, end, sizeof end)) {
        free(t.b);
        return send_error(c, 500, "out of memory");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        t.len, t.b, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(t.b);
        return MHD_NO;
    }
    char cd[200];
    snprintf(cd, sizeof cd, "attachment; filename=\"sample-%s.tar\"", base);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/x-tar");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

/* ---- the mix spectrogram with beats, downbeats and parts ---- */

static double *
times_of(json_t *sj, const char *key, size_t *n)
{
    json_t *a = json_object_get(sj, key);
    *n = json_array_size(a);
    double *t = calloc(*n + 1, sizeof *t);
    for (size_t i = 0; t && i < *n; i++)
        t[i] = json_number_value(json_array_get(a, i));
    return t;
}

static enum MHD_Result
spectrogram(server *s, struct MHD_Connection *c, const char *ref)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    char wav[PATH_MAX];
    if (sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
        inside(root, dir, "mix.wav", wav) ||
        inside(root, dir, "sample.json", real))
        return not_found(c);
    const char *ws = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                 "width");
    uint64_t width = 1000;
    if (ws && parse_u64(ws, 4096, &width))
        return send_error(c, 400, "width must be an integer in 64..4096");
    if (width < 64)
        return send_error(c, 400, "width must be an integer in 64..4096");
    json_t *sj = json_load_file(real, 0, NULL);
    size_t nb = 0, nd = 0, np = 0;
    double *beats = times_of(sj, "beat_times", &nb);
    double *downs = times_of(sj, "downbeat_times", &nd);
    json_t *arr = json_object_get(sj, "song_arrangement");
    np = json_array_size(arr);
    double *parts = calloc(np + 1, sizeof *parts);
    for (size_t i = 0; parts && i < np; i++)
        parts[i] = json_number_value(json_object_get(
            json_array_get(arr, i), "start_seconds"));
    json_decref(sj);
    mg_spectro_marks m[3] = {
        {beats, beats ? nb : 0, MG_SPECTRO_BEAT},
        {downs, downs ? nd : 0, MG_SPECTRO_DOWNBEAT},
        {parts, parts ? np : 0, MG_SPECTRO_PART},
    };
    uint8_t *png;
    size_t len;
    char err[400];
    const char *marks = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                    "marks");
    int rc = mg_spectro_png(wav, (int)width, 256, m,
                            marks && !strcmp(marks, "0") ? 0 : 3, &png, &len,
                            err, sizeof err);
    free(beats);
    free(downs);
    free(parts);
    if (rc)
        return send_error(c, 500, "%s", err);
    return send_buf(c, 200, "image/png", png, len, MHD_RESPMEM_MUST_FREE);
}

/* ---- browsing a dataset ---- */

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool
all_digits(const char *n)
{
    if (!*n)
        return false;
    for (; *n; n++)
        if (!isdigit((unsigned char)*n))
            return false;
    return true;
}

/* Indices of the finished samples under root (flat, or one level of
 * shard directories). */
static void
scan(const char *root, int depth, uint64_t **idx, size_t *n, size_t *cap)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!all_digits(e->d_name))
            continue;
        char p[PATH_MAX + 300];
        snprintf(p, sizeof p, "%s/%s/sample.json", root, e->d_name);
        if (strlen(e->d_name) >= 6 && access(p, R_OK) == 0) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                uint64_t *x = realloc(*idx, *cap * sizeof *x);
                if (!x)
                    break;
                *idx = x;
            }
            (*idx)[(*n)++] = strtoull(e->d_name, NULL, 10);
        } else if (depth == 0 && strlen(e->d_name) <= 5) {
            snprintf(p, sizeof p, "%s/%s", root, e->d_name);
            scan(p, 1, idx, n, cap);
        }
    }
    closedir(d);
}

static enum MHD_Result
dataset_list(server *s, struct MHD_Connection *c)
{
    if (!s->dataset[0])
        return send_json(c, 200, json_pack("{s:n,s:[]}", "root",
                                           "samples"));
    uint64_t *idx = NULL;
    size_t n = 0, cap = 0;
    scan(s->dataset, 0, &idx, &n, &cap);
    if (n)
        qsort(idx, n, sizeof *idx, cmp_u64);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer((json_int_t)idx[i]));
    free(idx);
    return send_json(c, 200, json_pack("{s:s,s:o}", "root", s->dataset,
                                       "samples", a));
}

/* ---- jobs ---- */

static void
reap(server *s)
{
    for (int i = 0; i < s->njobs; i++) {
        job *j = &s->jobs[i];
        int st;
        if (j->state != J_RUNNING || waitpid(j->pid, &st, WNOHANG) != j->pid)
            continue;
        j->ended_ms = now_ms();
        s->running--;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            j->state = J_DONE;
            continue;
        }
        j->state = J_FAILED;
        /* the child's own one-line reason, from its log */
        char log[1300], line[512] = "";
        snprintf(log, sizeof log, "%s.log", j->dir);
        FILE *f = fopen(log, "r");
        while (f && fgets(line, sizeof line, f))
            if (strstr(line, "musicgen"))
                snprintf(j->error, sizeof j->error, "%s", line);
        if (f)
            fclose(f);
        j->error[strcspn(j->error, "\n")] = '\0';
        if (!j->error[0])
            snprintf(j->error, sizeof j->error, "the generator %s %d",
                     WIFEXITED(st) ? "exited with status" : "died of signal",
                     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    }
}

/* The stage a running job is at, from what its hidden work directory
 * holds so far (the engine writes MIDI, then stems, then the mix). */
static const char *
phase(const job *j)
{
    DIR *d = opendir(j->dir);
    if (!d)
        return "starting";
    const char *ph = "starting";
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ".tmp", 4))
            continue;
        char p[1600];
        struct stat st;
        ph = "composing";
        snprintf(p, sizeof p, "%s/%s/midi/bassline.mid", j->dir, e->d_name);
        if (!stat(p, &st))
            ph = "rendering stems";
        snprintf(p, sizeof p, "%s/%s/stems/bassline.wav", j->dir, e->d_name);
        if (!stat(p, &st))
            ph = "mixing";
        snprintf(p, sizeof p, "%s/%s/mix.wav", j->dir, e->d_name);
        if (!stat(p, &st))
            ph = "scoring";
    }
    closedir(d);
    return ph;
}

static json_t *
job_json(const job *j)
{
    static const char *const names[] = {"running", "done", "failed"};
    int64_t end = j->state == J_RUNNING ? now_ms() : j->ended_ms;
    json_t *o = json_pack("{s:i,s:s,s:f,s:s}", "id", j->id, "state",
                          names[j->state], "elapsed_seconds",
                          (double)(end - j->started_ms) / 1000.0,
                          "phase", j->state == J_RUNNING ? phase(j)
                          : names[j->state]);
    if (j->state == J_DONE) {
        char ref[32];
        snprintf(ref, sizeof ref, "job/%d", j->id);
        json_object_set_new(o, "sample", json_string(ref));
    }
    if (j->state == J_FAILED)
        json_object_set_new(o, "error", json_string(j->error));
    return o;
}

static enum MHD_Result
job_status(server *s, struct MHD_Connection *c, const char *idstr)
{
    uint64_t id;
    if (parse_u64(idstr, INT_MAX, &id))
        return not_found(c);
    const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                "wait");
    /* long poll: until the job ends or 10 s pass */
    int64_t until = now_ms() + (w && !strcmp(w, "1") ? 10000 : 0);
    pthread_mutex_lock(&s->mu);
    job *j = NULL;
    for (;;) {
        reap(s);
        j = NULL;
        for (int i = 0; i < s->njobs; i++)
            if (s->jobs[i].id == (int)id)
                j = &s->jobs[i];
        if (!j || j->state != J_RUNNING || now_ms() >= until)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    json_t *o = j ? job_json(j) : NULL;
    pthread_mutex_unlock(&s->mu);
    return o ? send_json(c, 200, o) : not_found(c);
}

static const char *
arg(struct MHD_Connection *c, const char *k)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

static enum MHD_Result
generate(server *s, struct MHD_Connection *c)
{
    const char *seed = arg(c, "seed"), *index = arg(c, "index");
    const char *genre = arg(c, "genre"), *mode = arg(c, "mode");
    const char *measures = arg(c, "measures"), *rate = arg(c, "rate");
    uint64_t sv, iv, rv = 44100;
    if (!seed || parse_u64(seed, INT64_MAX, &sv))
        return send_error(c, 400, "seed must be an integer in 0..%" PRId64
                          " (got '%.40s')", INT64_MAX, seed ? seed : "");
    if (!index || !*index)
        index = "0";
    if (parse_u64(index, 999999999999ULL, &iv))
        return send_error(c, 400, "index must be an integer in "
                          "0..999999999999 (got '%.40s')", index);
    if (genre && *genre) {
        if (strlen(genre) > 200)
            return send_error(c, 400, "genre list too long");
        for (const char *p = genre; *p;) {
            size_t l = strcspn(p, ",");
            if (!known_genre(s, p, l))
                return send_error(c, 400, "unknown genre '%.*s' (see "
                                  "musicgen list-genres)", (int)(l > 60 ?
                                  60 : l), p);
            p += l + (p[l] == ',');
        }
    }
    if (mode && *mode && strcmp(mode, "full") && strcmp(mode, "mix-only") &&
        strcmp(mode, "stems-only"))
        return send_error(c, 400, "mode must be full, mix-only or "
                          "stems-only (got '%.40s')", mode);
    if (rate && *rate && (parse_u64(rate, 96000, &rv) ||
                          (rv != 22050 && rv != 44100 && rv != 48000)))
        return send_error(c, 400, "sample rate must be 22050, 44100 or "
                          "48000 (got '%.40s')", rate);
    if (measures && *measures) {
        /* part=N[,part=N]: a shape check here, the engine checks names */
        if (strlen(measures) > 200)
            return send_error(c, 400, "measures too long");
        for (const char *p = measures; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr("=,-_", *p))
                return send_error(c, 400, "measures must look like "
                                  "intro=2,verse=4");
    }
    pthread_mutex_lock(&s->mu);
    reap(s);
    if (s->running >= s->max_jobs) {
        pthread_mutex_unlock(&s->mu);
        return send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy: %d "
                          "generation(s) running (at most %d); try again "
                          "when one ends", s->running, s->max_jobs);
    }
    if (s->njobs == s->cap_jobs) {
        int cap = s->cap_jobs ? s->cap_jobs * 2 : 16;
        job *nj = realloc(s->jobs, (size_t)cap * sizeof *nj);
        if (!nj) {
            pthread_mutex_unlock(&s->mu);
            return send_error(c, 500, "out of memory");
        }
        s->jobs = nj;
        s->cap_jobs = cap;
    }
    job *j = &s->jobs[s->njobs];
    memset(j, 0, sizeof *j);
    j->id = s->njobs + 1;
    j->seed = sv;
    j->index = iv;
    snprintf(j->genre, sizeof j->genre, "%s", genre ? genre : "");
    snprintf(j->dir, sizeof j->dir, "%s/job-%d", s->work, j->id);
    char a_seed[32], a_index[32], a_rate[16], log[1300];
    snprintf(a_seed, sizeof a_seed, "%" PRIu64, sv);
    snprintf(a_index, sizeof a_index, "%" PRIu64, iv);
    snprintf(a_rate, sizeof a_rate, "%" PRIu64, rv);
    snprintf(log, sizeof log, "%s.log", j->dir);
    const char *av[32];
    int n = 0;
    av[n++] = "musicgen";
    av[n++] = "generate";
    av[n++] = "--seed"; av[n++] = a_seed;
    av[n++] = "--start"; av[n++] = a_index;
    av[n++] = "--count"; av[n++] = "1";
    av[n++] = "--workers"; av[n++] = "1";
    av[n++] = "--out"; av[n++] = j->dir;
    av[n++] = "--sample-rate"; av[n++] = a_rate;
    av[n++] = "--shard-width"; av[n++] = "0";
    av[n++] = "-q";
    if (genre && *genre) {
        av[n++] = "--genre"; av[n++] = genre;
    }
    if (mode && *mode) {
        av[n++] = "--output-mode"; av[n++] = mode;
    }
    if (measures && *measures) {
        av[n++] = "--measures-per-part"; av[n++] = measures;
    }
    av[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            dup2(fd, 1);
        }
        signal(SIGPIPE, SIG_DFL);
        execv("/proc/self/exe", (char *const *)av);
        _exit(127);
    }
    if (pid < 0) {
        pthread_mutex_unlock(&s->mu);
        return send_error(c, 500, "cannot start a generator: %s",
                          strerror(errno));
    }
    j->pid = pid;
    j->state = J_RUNNING;
    j->started_ms = now_ms();
    s->njobs++;
    s->running++;
    json_t *o = job_json(j);
    pthread_mutex_unlock(&s->mu);
    return send_json(c, 202, o);
}

/* ---- routing ---- */

static enum MHD_Result
static_file(server *s, struct MHD_Connection *c, const char *name,
            const char *type)
{
    char p[1300];
    snprintf(p, sizeof p, "%s/%s", s->web, name);
    return send_file(c, p, type, NULL);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    server *s = cls;
    (void)version;
    (void)upload;
    if (!*con_cls) {            /* first call: headers only */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {         /* no request bodies: ignore them */
        *upload_size = 0;
        return MHD_YES;
    }
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool post = !strcmp(method, "POST");
    /* defence in depth: no URL with a dot-dot segment reaches a handler */
    if (strstr(url, "..") || strstr(url, "//") || strchr(url, '\\'))
        return not_found(c);
    if (post && !strcmp(url, "/api/generate"))
        return generate(s, c);
    if (!get)
        return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not "
                          "allowed");
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
        return send_json(c, 200, json_pack("{s:o,s:i}", "genres", a,
                                            "max_jobs", s->max_jobs));
    }
    if (!strcmp(url, "/api/dataset"))
        return dataset_list(s, c);
    if (!strncmp(url, "/api/job/", 9))
        return job_status(s, c, url + 9);
    char ref[64];
    const char *rest;
    if (!strncmp(url, "/api/view/", 10) &&
        !split_ref(url + 10, ref, sizeof ref, &rest) && !*rest)
        return view(s, c, ref);
    if (!strncmp(url, "/api/spectrogram/", 17) &&
        !split_ref(url + 17, ref, sizeof ref, &rest) && !*rest)
        return spectrogram(s, c, ref);
    if (!strncmp(url, "/api/tar/", 9) &&
        !split_ref(url + 9, ref, sizeof ref, &rest) && !*rest)
        return tarball(s, c, ref);
    if (!strncmp(url, "/files/", 7) &&
        !split_ref(url + 7, ref, sizeof ref, &rest)) {
        const char *type = sample_file_type(rest);
        char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
        if (!type || sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
            inside(root, dir, rest, real))
            return not_found(c);
        return send_file(c, real, type, NULL);
    }
    return not_found(c);
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
            if (parse_u64(v, MAX_JOBS_CAP, &x) || x < 1) {
                fprintf(stderr, "musicgen serve: --max-jobs must be an "
                        "integer in 1..%d\n", MAX_JOBS_CAP);
                return 2;
            }
            max_jobs = (int)x, i++;
        } else {
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
    pthread_cond_init(&s.cv, NULL);
    mg_procs_signals();
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
        MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "musicgen serve: cannot serve HTTP on %s (in use, "
                "or not an address of this machine?)\n", bind);
        return 1;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
    printf("musicgen serve: http://%s:%u/ (samples in %s%s%s)\n", ip,
           di ? (unsigned)di->port : (unsigned)ntohs(sa.sin_port), s.work,
           s.dataset[0] ? "; browsing " : "", s.dataset);
    fflush(stdout);
    while (!mg_stop_flag) {
        struct timespec t = {0, 200 * 1000000L};
        nanosleep(&t, NULL);
        pthread_mutex_lock(&s.mu);
        reap(&s);
        pthread_cond_broadcast(&s.cv);
        pthread_mutex_unlock(&s.mu);
    }
    MHD_stop_daemon(d);
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
