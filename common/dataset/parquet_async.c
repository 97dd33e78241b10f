/*
 * parquet_async — the Parquet writer's compressor thread (mg_pq_thread in
 * parquet.h): encoded pages and finished row groups are queued, in the
 * order the caller makes them, and one thread compresses the pages,
 * appends them to their chunks and writes each row group to the file, as
 * the caller would have inline (mg_pq_page_out, mg_pq_group_out), so the
 * bytes are the same. One thread and a FIFO: a column's pages reach its
 * chunk in order, and a group's last pages before the group itself.
 */
#include <pthread.h>
#include <stdlib.h>

#include "parquet_priv.h"

#define QUEUE_BYTES (32u << 20)
#define SPARES 8

typedef struct pq_job {
    struct pq_job *next;
    int col;
    buf page;
    size_t nlev;
    bool page_dict;
    pq_group *g; /* a row group (no page) */
    size_t bytes;
} pq_job;

struct pq_async {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t work, room;
    pq_job *head, *tail;
    size_t queued; /* bytes of pages waiting */
    bool stop;
    bool failed; /* a job failed: the rest are dropped */
    /* Page buffers given back by the thread, for the next pages (a fresh
     * megabyte each time was a page fault per 4 KiB). */
    buf spare[SPARES];
    int nspare;
};

static void
job_free(pq_job *j)
{
    b_free(&j->page);
    mg_pq_group_free(j->g);
    free(j);
}

static void *
run(void *arg)
{
    mg_pq *p = arg;
    struct pq_async *a = p->as;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        while (!a->head && !a->stop) pthread_cond_wait(&a->work, &a->mu);
        pq_job *j = a->head;
        if (!j) break; /* stopped, and nothing is left */
        a->head = j->next;
        if (!a->head) a->tail = NULL;
        bool skip = a->failed;
        pthread_mutex_unlock(&a->mu);
        int rc = skip ? -1
                 : j->g ? mg_pq_group_out(p, j->g)
                        : mg_pq_page_out(p, &p->cols[j->col], &j->page,
                                         j->nlev, j->page_dict);
        pthread_mutex_lock(&a->mu);
        if (j->page.p && a->nspare < SPARES) {
            a->spare[a->nspare++] = j->page;
            j->page = (buf){0};
        }
        if (rc) a->failed = true;
        a->queued -= j->bytes;
        pthread_cond_broadcast(&a->room);
        job_free(j); /* a group's snapshots, or a page no spare took */
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

int
mg_pq_thread(mg_pq *p)
{
    if (p->as || p->rows) return -1;
    struct pq_async *a = calloc(1, sizeof *a);
    if (!a) return -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->work, NULL);
    pthread_cond_init(&a->room, NULL);
    p->as = a;
    if (pthread_create(&a->th, NULL, run, p)) {
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->work);
        pthread_cond_destroy(&a->room);
        free(a);
        p->as = NULL;
        return -1;
    }
    return 0;
}

bool
mg_pq_async_on(const mg_pq *p)
{
    return p->as != NULL;
}

static int
submit(mg_pq *p, pq_job *j)
{
    struct pq_async *a = p->as;
    pthread_mutex_lock(&a->mu);
    while (!a->failed && a->queued && a->queued + j->bytes > QUEUE_BYTES)
        pthread_cond_wait(&a->room, &a->mu);
    bool failed = a->failed;
    if (!failed) {
        if (a->tail) a->tail->next = j;
        else a->head = j;
        a->tail = j;
        a->queued += j->bytes;
        pthread_cond_signal(&a->work);
    }
    pthread_mutex_unlock(&a->mu);
    if (failed) job_free(j);
    return failed ? -1 : 0;
}

int
mg_pq_async_page(mg_pq *p, int ci, const buf *whole, size_t nlev,
                 bool page_dict)
{
    pq_job *j = calloc(1, sizeof *j);
    if (!j) return -1;
    struct pq_async *a = p->as;
    pthread_mutex_lock(&a->mu);
    if (a->nspare) {
        j->page = a->spare[--a->nspare];
        j->page.len = 0;
    }
    pthread_mutex_unlock(&a->mu);
    b_put(&j->page, whole->p, whole->len);
    if (j->page.oom) {
        job_free(j);
        return -1;
    }
    j->col = ci;
    j->nlev = nlev;
    j->page_dict = page_dict;
    j->bytes = whole->len;
    return submit(p, j);
}

int
mg_pq_async_group(mg_pq *p, pq_group *g)
{
    pq_job *j = calloc(1, sizeof *j);
    if (!j) {
        mg_pq_group_free(g);
        return -1;
    }
    j->g = g;
    return submit(p, j);
}

static int
finish(mg_pq *p, bool drop)
{
    struct pq_async *a = p->as;
    if (!a) return 0;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    if (drop) a->failed = true;
    pthread_cond_signal(&a->work);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->th, NULL);
    bool failed = a->failed;
    for (int i = 0; i < a->nspare; i++) b_free(&a->spare[i]);
    pthread_mutex_destroy(&a->mu);
    pthread_cond_destroy(&a->work);
    pthread_cond_destroy(&a->room);
    free(a);
    p->as = NULL;
    return failed ? -1 : 0;
}

int
mg_pq_async_drain(mg_pq *p)
{
    return finish(p, false);
}

void
mg_pq_async_kill(mg_pq *p)
{
    finish(p, true);
}
