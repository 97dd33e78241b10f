/*
 * threads — N threads, one libmusicgen engine each, make samples
 * 0 .. COUNT-1 in memory (thread t takes the indices i with i % N == t)
 * and print one line per file: "<index> <file> <sha256>" (thread by
 * thread: sort it to compare it with the files of any other run).
 *
 *   cc threads.c $(pkg-config --cflags --libs musicgen) -lcrypto -o threads
 *   ./threads SEED COUNT NTHREADS [option=value ...]
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include <musicgen.h>

typedef struct {
    const musicgen_config *cfg;     /* shared read-only */
    int64_t seed;
    uint64_t count;
    int t, n;
    char *out;                      /* this thread's lines */
    size_t len;
    int rc;
} job;

static void
line(job *j, uint64_t index, const char *file, const void *p, size_t n)
{
    unsigned char d[SHA256_DIGEST_LENGTH];
    char hex[65], buf[256];
    int k;

    SHA256(p, n, d);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
        sprintf(hex + 2 * i, "%02x", d[i]);
    k = snprintf(buf, sizeof buf, "%06" PRIu64 " %s %s\n", index, file, hex);
    j->out = realloc(j->out, j->len + (size_t)k + 1);
    memcpy(j->out + j->len, buf, (size_t)k + 1);
    j->len += (size_t)k;
}

static void *
run(void *arg)
{
    job *j = arg;
    char err[512];
    musicgen_engine *e = musicgen_engine_new(j->cfg, err, sizeof err);

    if (!e) {
        fprintf(stderr, "thread %d: %s\n", j->t, err);
        j->rc = 1;
        return NULL;
    }
    for (uint64_t i = (uint64_t)j->t; i < j->count; i += (uint64_t)j->n) {
        musicgen_sample *s;
        size_t n;
        const void *p;
        if (musicgen_generate(e, j->seed, i, &s) < 0) {
            fprintf(stderr, "thread %d: %s\n", j->t, musicgen_engine_error(e));
            j->rc = 1;
            break;
        }
        p = musicgen_sample_json(s, &n);
        if (p)
            line(j, i, "sample.json", p, n);
        for (int l = 0; l <= MUSICGEN_MIX; l++) {
            char name[64];
            if (l < MUSICGEN_NLAYERS &&
                (p = musicgen_sample_midi(s, (musicgen_track)l, &n))) {
                snprintf(name, sizeof name, "midi/%s.mid",
                         musicgen_track_name(l));
                line(j, i, name, p, n);
            }
            if ((p = musicgen_sample_wav(s, (musicgen_track)l, &n))) {
                if (l < MUSICGEN_NLAYERS)
                    snprintf(name, sizeof name, "stems/%s.wav",
                             musicgen_track_name(l));
                else
                    snprintf(name, sizeof name, "mix.wav");
                line(j, i, name, p, n);
            }
        }
        /* done with it: its audio buffers go back to the engine, which
         * writes the thread's next sample into them (no fresh memory) */
        musicgen_engine_recycle(e, &s);
    }
    musicgen_engine_destroy(&e);
    return NULL;
}

int
main(int argc, char **argv)
{
    musicgen_config *cfg;
    job *jobs;
    pthread_t *th;
    int n, rc = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: %s SEED COUNT NTHREADS [option=value ...]\n",
                argv[0]);
        return 2;
    }
    n = atoi(argv[3]);
    if (n < 1 || n > 4096) {
        fprintf(stderr, "NTHREADS: 1..4096, not '%s'\n", argv[3]);
        return 2;
    }
    cfg = musicgen_config_new();
    /* SEED and COUNT checked by the library's parser, as --seed and
     * --count ("x" was seed 0, "-1" a count of 2^64 - 1) */
    if (musicgen_config_set(cfg, "seed", argv[1]) < 0 ||
        musicgen_config_set(cfg, "count", argv[2]) < 0) {
        fprintf(stderr, "%s\n", musicgen_config_error(cfg));
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq)
            *eq = 0;
        if (!eq || musicgen_config_set(cfg, argv[i], eq + 1) < 0) {
            fprintf(stderr, "%s: %s\n", argv[i],
                    eq ? musicgen_config_error(cfg) : "expected option=value");
            return 2;
        }
    }
    jobs = calloc((size_t)n, sizeof *jobs);
    th = calloc((size_t)n, sizeof *th);
    for (int t = 0; t < n; t++) {
        jobs[t] = (job){cfg, strtoll(argv[1], NULL, 10),
                        strtoull(argv[2], NULL, 10), t, n, NULL, 0, 0};
        pthread_create(&th[t], NULL, run, &jobs[t]);
    }
    for (int t = 0; t < n; t++) {
        pthread_join(th[t], NULL);
        rc |= jobs[t].rc;
        if (jobs[t].out)
            fputs(jobs[t].out, stdout);
        free(jobs[t].out);
    }
    free(jobs);
    free(th);
    musicgen_config_destroy(&cfg);
    return rc;
}
