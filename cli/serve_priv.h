/*
 * serve_priv.h — what the files of `musicgen serve` share, and nobody
 * else: the server and its jobs, and the functions one part calls in
 * another (prefix serve_).
 *
 * The parts, one concern each:
 *   cmd_serve.c     the command: options, the daemon, routing a request
 *   serve_http.c    responses (JSON, errors, files) and parameter checks
 *   serve_sample.c  a sample's directory and files, its view, tar and
 *                   spectrogram, browsing a dataset
 *   serve_jobs.c    generation jobs: child processes, status, reaping
 * The invariants (what a URL can reach) are at the top of cmd_serve.c.
 */
#ifndef MG_SERVE_PRIV_H
#define MG_SERVE_PRIV_H

#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <jansson.h>

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

/* A directory the dataset list was read from, as it was then: the root
 * (name "") or a shard directory of it. */
typedef struct {
    char name[8];
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
} serve_stamp;

/* A sample of the dataset list: its index, and where its directory is
 * (root/shard/name, the name its index padded to namelen digits). */
typedef struct {
    uint64_t index;
    char shard[6];              /* "" when flat */
    uint8_t namelen;
} serve_listed;

typedef struct {
    char web[1100];             /* page, script, style */
    char work[1100];            /* job directories */
    char dataset[PATH_MAX];     /* realpath of --dataset, or "" */
    char genres_dir[1024];
    char **genres;
    int ngenres;
    int max_jobs;
    bool loopback;              /* bound to 127.0.0.0/8: Host is checked */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *jobs;
    int njobs, cap_jobs, running;
    int last_id;                /* the highest job id taken */
    /* /api/dataset's answer, kept while the directories it was read
     * from are unchanged and the samples it lists still are
     * (serve_dataset_list) */
    pthread_mutex_t ds_mu;
    char *ds_list;              /* NULL: none kept */
    serve_stamp *ds_stamps;
    size_t ds_nstamps;
    serve_listed *ds_samples;   /* what ds_list lists, by index */
    size_t ds_nsamples;
    size_t ds_next;             /* where the next answer's look begins */
} server;

bool serve_known_genre(const server *s, const char *name, size_t len);
enum MHD_Result serve_not_found(struct MHD_Connection *c);
int64_t serve_now_ms(void);
int serve_parse_u64(const char *s, uint64_t max, uint64_t *out);
enum MHD_Result serve_send_buf(struct MHD_Connection *c, unsigned status,
                               const char *type, void *body, size_t len,
                               enum MHD_ResponseMemoryMode mode);
enum MHD_Result serve_send_error(struct MHD_Connection *c, unsigned status,
                                 const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum MHD_Result serve_send_file(struct MHD_Connection *c, const char *path,
                                const char *type, const char *download_name);
enum MHD_Result serve_send_json(struct MHD_Connection *c, unsigned status,
                                json_t *o);
/* 405 with the methods the URL takes (allow: "GET, HEAD") */
enum MHD_Result serve_send_not_allowed(struct MHD_Connection *c,
                                       const char *allow);
enum MHD_Result serve_dataset_list(server *s, struct MHD_Connection *c);
void serve_dataset_gone(server *s, uint64_t index);
int serve_inside(const char *root, const char *dir, const char *name,
                 char *real);
int serve_sample_dir(server *s, const char *ref, char *dir, size_t n,
                     char *root, size_t rn);
const char *serve_sample_file_type(const char *name);
enum MHD_Result serve_spectrogram(server *s, struct MHD_Connection *c,
                                  const char *ref, bool head);
int serve_split_ref(const char *p, char *ref, size_t n, const char **rest);
enum MHD_Result serve_tarball(server *s, struct MHD_Connection *c,
                              const char *ref);
enum MHD_Result serve_view(server *s, struct MHD_Connection *c,
                           const char *ref);
enum MHD_Result serve_generate(server *s, struct MHD_Connection *c);
enum MHD_Result serve_job_status(server *s, struct MHD_Connection *c,
                                 const char *idstr);
void serve_reap(server *s);

#endif
