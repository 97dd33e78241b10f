/*
 * serve_jobs — generation jobs of `musicgen serve`: each a child process
 * (this binary exec'd as `musicgen generate --count 1` into its own job
 * directory), at most --max-jobs at once, reaped and reported as JSON.
 *
 * Invariant: a crash of the engine ends a job as failed, never the
 * server.
 */
#include "serve_priv.h"

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonout.h"
#include "procs.h"
#include "sampledir.h"
#include "midiread.h"

/* ---- jobs ---- */

void
serve_reap(server *s)
{
    for (int i = 0; i < s->njobs; i++) {
        job *j = &s->jobs[i];
        int st;
        if (j->state != J_RUNNING || waitpid(j->pid, &st, WNOHANG) != j->pid)
            continue;
        j->ended_ms = serve_now_ms();
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
    int64_t end = j->state == J_RUNNING ? serve_now_ms() : j->ended_ms;
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
        json_object_set_new(o, "error", mg_json_text(j->error));
    return o;
}

enum MHD_Result
serve_job_status(server *s, struct MHD_Connection *c, const char *idstr)
{
    uint64_t id;
    if (serve_parse_u64(idstr, INT_MAX, &id))
        return serve_not_found(c);
    const char *w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                "wait");
    /* long poll: until the job ends or 10 s pass */
    int64_t until = serve_now_ms() + (w && !strcmp(w, "1") ? 10000 : 0);
    pthread_mutex_lock(&s->mu);
    job *j = NULL;
    for (;;) {
        serve_reap(s);
        j = NULL;
        for (int i = 0; i < s->njobs; i++)
            if (s->jobs[i].id == (int)id)
                j = &s->jobs[i];
        if (!j || j->state != J_RUNNING || serve_now_ms() >= until)
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
    return o ? serve_send_json(c, 200, o) : serve_not_found(c);
}

static const char *
arg(struct MHD_Connection *c, const char *k)
{
    return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, k);
}

enum MHD_Result
serve_generate(server *s, struct MHD_Connection *c)
{
    const char *seed = arg(c, "seed"), *index = arg(c, "index");
    const char *genre = arg(c, "genre"), *mode = arg(c, "mode");
    const char *measures = arg(c, "measures"), *rate = arg(c, "rate");
    uint64_t sv, iv, rv = 44100;
    /* generate's range, negatives too (a run of --seed -3 could not be
     * auditioned here: digits only, 0..2^63-1) */
    bool neg = seed && *seed == '-';
    if (!seed || serve_parse_u64(seed + neg, (uint64_t)INT64_MAX + neg,
                                 &sv))
        return serve_send_error(c, 400, "seed must be an integer in "
                                "%" PRId64 "..%" PRId64 " (got '%.40s')",
                                INT64_MIN, INT64_MAX, seed ? seed : "");
    if (!index || !*index)
        index = "0";
    if (serve_parse_u64(index, 999999999999ULL, &iv))
        return serve_send_error(c, 400, "index must be an integer in "
                                "0..999999999999 (got '%.40s')", index);
    if (genre && *genre) {
        if (strlen(genre) > 200)
            return serve_send_error(c, 400, "genre list too long");
        for (const char *p = genre; *p;) {
            size_t l = strcspn(p, ",");
            if (!serve_known_genre(s, p, l))
                return serve_send_error(c, 400, "unknown genre '%.*s' (see "
                                        "musicgen list-genres)", (int)(l > 60 ?
                                        60 : l), p);
            p += l + (p[l] == ',');
        }
    }
    if (mode && *mode && strcmp(mode, "full") && strcmp(mode, "mix-only") &&
        strcmp(mode, "stems-only"))
        return serve_send_error(c, 400, "mode must be full, mix-only or "
                                "stems-only (got '%.40s')", mode);
    if (rate && *rate && (serve_parse_u64(rate, 96000, &rv) ||
                          (rv != 22050 && rv != 44100 && rv != 48000)))
        return serve_send_error(c, 400, "sample rate must be 22050, 44100 or "
                                "48000 (got '%.40s')", rate);
    if (measures && *measures) {
        /* part=N[,part=N]: a shape check here, the engine checks names */
        if (strlen(measures) > 200)
            return serve_send_error(c, 400, "measures too long");
        for (const char *p = measures; *p; p++)
            if (!isalnum((unsigned char)*p) && !strchr("=,-_", *p))
                return serve_send_error(c, 400, "measures must look like "
                                        "intro=2,verse=4");
    }
    pthread_mutex_lock(&s->mu);
    serve_reap(s);
    if (s->running >= s->max_jobs) {
        pthread_mutex_unlock(&s->mu);
        return serve_send_error(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                                "busy: %d generation(s) running (at most "
                                "%d); try again when one ends", s->running,
                                s->max_jobs);
    }
    if (s->njobs == s->cap_jobs) {
        int cap = s->cap_jobs ? s->cap_jobs * 2 : 16;
        job *nj = realloc(s->jobs, (size_t)cap * sizeof *nj);
        if (!nj) {
            pthread_mutex_unlock(&s->mu);
            return serve_send_error(c, 500, "out of memory");
        }
        s->jobs = nj;
        s->cap_jobs = cap;
    }
    job *j = &s->jobs[s->njobs];
    memset(j, 0, sizeof *j);
    /* a directory of our own: a --work DIR used before (an earlier
     * server, or another one now) holds job-1.. of other runs, and
     * `generate` there refused the new seed ("holds a different run") */
    for (;;) {
        j->id = ++s->last_id;
        snprintf(j->dir, sizeof j->dir, "%s/job-%d", s->work, j->id);
        if (!mkdir(j->dir, 0755))
            break;
        if (errno != EEXIST || s->last_id == INT_MAX) {
            int e = errno;
            pthread_mutex_unlock(&s->mu);
            return serve_send_error(c, 500, "cannot make %s: %s", j->dir,
                                    strerror(e));
        }
    }
    j->seed = neg ? 0 - sv : sv;       /* two's complement, as generate's */
    j->index = iv;
    snprintf(j->genre, sizeof j->genre, "%s", genre ? genre : "");
    char a_seed[32], a_index[32], a_rate[16], log[1300];
    snprintf(a_seed, sizeof a_seed, "%s%" PRIu64, neg && sv ? "-" : "", sv);
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
        return serve_send_error(c, 500, "cannot start a generator: %s",
                                strerror(errno));
    }
    j->pid = pid;
    j->state = J_RUNNING;
    j->started_ms = serve_now_ms();
    s->njobs++;
    s->running++;
    json_t *o = job_json(j);
    pthread_mutex_unlock(&s->mu);
    return serve_send_json(c, 202, o);
}
