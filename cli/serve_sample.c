/*
 * serve_sample — a sample as `musicgen serve` shows it: its directory
 * (from "job/N" or "ds/I", computed, never taken from the URL), its files,
 * the view (sample.json plus its MIDI notes), a ustar tarball, the mix
 * spectrogram with beats, downbeats and parts, and the dataset's list.
 *
 * Invariant: only sample.json, mix.wav, stems/<layer>.wav and
 * midi/<layer>.mid are served, and only if their real path (symlinks
 * resolved) lies inside the served root.
 */
#include "serve_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jdoc.h"
#include "http.h"
#include "jsonout.h"
#include "procs.h"
#include "rfile.h"
#include "sampledir.h"
#include "midiread.h"
#include "spectro.h"

#define LAYERS 4
static const char *const layers[LAYERS] = {
    "beat", "melody", "harmony", "bassline",
};

/* ---- samples and their files ---- */

/* The directory of a sample reference ("job/N" or "ds/I"); 0 or -1. The
 * root it lies in goes to root. */
int
serve_sample_dir(server *s, const char *ref, char *dir, size_t n, char *root,
                 size_t rn)
{
    uint64_t v;
    if (!strncmp(ref, "job/", 4) && !serve_parse_u64(ref + 4, INT_MAX, &v)) {
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
        !serve_parse_u64(ref + 3, 999999999999ULL, &v)) {
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
        serve_dataset_gone(s, v);
    }
    return -1;
}

/* Is name one of the files a sample may hold? Its content type then. */
const char *
serve_sample_file_type(const char *name)
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
int
serve_inside(const char *root, const char *dir, const char *name, char *real)
{
    char path[PATH_MAX + 64], rroot[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!realpath(path, real) || !realpath(root, rroot))
        return -1;
    size_t l = strlen(rroot);
    return strncmp(real, rroot, l) || real[l] != '/' ? -1 : 0;
}

/* Split "/api/x/<kind>/<n>[/rest]" into ref ("kind/n") and rest. */
int
serve_split_ref(const char *p, char *ref, size_t n, const char **rest)
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

enum MHD_Result
serve_view(server *s, struct MHD_Connection *c, const char *ref)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    if (serve_sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
        serve_inside(root, dir, "sample.json", real))
        return serve_not_found(c);
    char jerr[600];
    /* not json_load_file: a seed above 2^63 is "too big" for jansson */
    json_t *sj = mg_jdoc_json_file(real, jerr, sizeof jerr);
    if (!sj) return serve_send_error(c, 500, "%s", jerr);
    json_t *notes = json_object();
    for (int l = 0; l < LAYERS; l++) {
        char name[64], err[300];
        snprintf(name, sizeof name, "midi/%s.mid", layers[l]);
        mg_mnote *nv;
        size_t nn;
        if (serve_inside(root, dir, name, real) ||
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
        if (!serve_inside(root, dir, cand[i], real))
            json_array_append_new(files, json_string(cand[i]));
    return serve_send_json(c, 200, json_pack("{s:s,s:o,s:o,s:o}", "ref", ref,
                                             "sample", sj, "notes", notes,
                                             "audio", files));
}

/* ---- tar (ustar) of a sample directory ---- */

/* A tar is streamed, never built in memory: a member is its header and
 * an open file, read as the client takes the bytes (the whole archive
 * was a buffer, up to twice its size, per request). The sizes are those
 * of fstat when the request came; a file that changes under the stream
 * ends the connection with an error (a short body for its
 * Content-Length), never a tar that looks whole. */
#define TAR_MAX (2 + 2 * LAYERS)
#define TAR_OCT11 077777777777ULL   /* the most 11 octal digits hold */

typedef struct {
    uint8_t head[512];
    FILE *f;
    uint64_t size;              /* of the file; padded to 512 in the tar */
} tar_member;

typedef struct {
    tar_member m[TAR_MAX];
    int n;
    uint64_t total;
} tar_stream;

static uint64_t
tar_padded(uint64_t size)
{
    return (size + 511) / 512 * 512;
}

static int
tar_add(tar_stream *t, const char *name, const char *path)
{
    /* a regular file only: a FIFO in a damaged tree held the request
     * (and its thread, and the server's shutdown) for ever */
    FILE *f;
    if (t->n == TAR_MAX || mg_rfile_open(path, 0, &f, NULL, 0))
        return -1;
    struct stat st;
    /* ustar's 11 octal digits: a size past them made a corrupt tar */
    if (fstat(fileno(f), &st) || strlen(name) > 99 ||
        (uint64_t)st.st_size > TAR_OCT11) {
        fclose(f);
        return -1;
    }
    tar_member *m = &t->m[t->n++];
    uint8_t *h = m->head;
    m->f = f;
    m->size = (uint64_t)st.st_size;
    memset(h, 0, 512);
    memcpy(h, name, strlen(name));
    snprintf((char *)h + 100, 8, "%07o", 0644);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)st.st_size);
    /* a time before 1970 or after 2242 is clamped (it was cut to its
     * last 11 octal digits: 2300 read as 2011, 1960 as garbage) */
    unsigned long long mt = st.st_mtime < 0 ? 0 : (uint64_t)st.st_mtime;
    snprintf((char *)h + 136, 12, "%011llo", mt > TAR_OCT11 ? TAR_OCT11 : mt);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    t->total += 512 + tar_padded(m->size);
    return 0;
}

static void
tar_free(void *cls)
{
    tar_stream *t = cls;
    for (int i = 0; i < t->n; i++)
        fclose(t->m[i].f);
    free(t);
}

/* The bytes of the archive from pos on (MHD's content reader). */
static ssize_t
tar_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    tar_stream *t = cls;
    uint64_t at = 0;
    for (int i = 0; i < t->n; i++) {
        tar_member *m = &t->m[i];
        uint64_t span = 512 + tar_padded(m->size);
        if (pos >= at + span) {
            at += span;
            continue;
        }
        uint64_t off = pos - at;
        if (off < 512) {
            size_t k = 512 - off < max ? (size_t)(512 - off) : max;
            memcpy(buf, m->head + off, k);
            return (ssize_t)k;
        }
        off -= 512;
        if (off >= m->size) {       /* the zeros that pad the member */
            uint64_t left = span - 512 - off;
            size_t k = left < max ? (size_t)left : max;
            memset(buf, 0, k);
            return (ssize_t)k;
        }
        uint64_t left = m->size - off;
        size_t k = left < max ? (size_t)left : max;
        ssize_t got = pread(fileno(m->f), buf, k, (off_t)off);
        return got > 0 ? got : MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (pos >= t->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t k = t->total - pos < max ? (size_t)(t->total - pos) : max;
    memset(buf, 0, k);             /* the two zero blocks that end it */
    return (ssize_t)k;
}

enum MHD_Result
serve_tarball(server *s, struct MHD_Connection *c, const char *ref)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    if (serve_sample_dir(s, ref, dir, sizeof dir, root, sizeof root))
        return serve_not_found(c);
    const char *base = strrchr(dir, '/') + 1;
    tar_stream *t = calloc(1, sizeof *t);
    if (!t)
        return serve_send_error(c, 500, "out of memory");
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
            if (serve_inside(root, dir, rel, real))
                continue;
            snprintf(name, sizeof name, "%s/%s", base, rel);
            if (tar_add(t, name, real)) {
                tar_free(t);
                return serve_send_error(c, 500, "cannot read %s (or it is "
                                        "8 GiB or more: too big for a tar)",
                                        rel);
            }
        }
    t->total += 1024;
    struct MHD_Response *r = MHD_create_response_from_callback(
        t->total, 64 * 1024, tar_read, t, tar_free);
    if (!r) {
        tar_free(t);
        return MHD_NO;
    }
    char cd[200];
    snprintf(cd, sizeof cd, "attachment; filename=\"sample-%s.tar\"", base);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/x-tar");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
    return mg_http_queue(c, 200, r);
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

#define SPECTRO_H 256            /* the picture's height, pixels */

/* HEAD's body reader: there is none (a HEAD is never read) */
static ssize_t
no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

enum MHD_Result
serve_spectrogram(server *s, struct MHD_Connection *c, const char *ref,
                  bool head)
{
    char dir[PATH_MAX + 64], root[PATH_MAX], real[PATH_MAX];
    char wav[PATH_MAX];
    if (serve_sample_dir(s, ref, dir, sizeof dir, root, sizeof root) ||
        serve_inside(root, dir, "mix.wav", wav) ||
        serve_inside(root, dir, "sample.json", real))
        return serve_not_found(c);
    const char *ws = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                 "width");
    uint64_t width = 1000;
    if (ws && serve_parse_u64(ws, 4096, &width))
        return serve_send_error(c, 400,
                                "width must be an integer in 64..4096");
    if (width < 64)
        return serve_send_error(c, 400,
                                "width must be an integer in 64..4096");
    char err[400];
    if (head) {
        /* what a GET would answer, without drawing (0.2 s of FFTs, the
         * whole mix read, for a body HEAD never sends): the mix is opened
         * as GET opens it, so a FIFO or a corrupt WAV is the same 500 (it
         * was 200), and the PNG's length is known from its size alone */
        if (mg_spectro_check(wav, err, sizeof err))
            return serve_send_error(c, 500, "%s", err);
        struct MHD_Response *r = MHD_create_response_from_callback(
            mg_spectro_png_size((int)width, SPECTRO_H), 4096, no_body, NULL,
            NULL);
        if (!r)
            return MHD_NO;
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "image/png");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        return mg_http_queue(c, 200, r);
    }
    json_t *sj = mg_jdoc_json_file(real, NULL, 0);
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
    const char *marks = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                    "marks");
    int rc = mg_spectro_png(wav, (int)width, SPECTRO_H, m,
                            marks && !strcmp(marks, "0") ? 0 : 3, &png, &len,
                            err, sizeof err);
    free(beats);
    free(downs);
    free(parts);
    if (rc)
        return serve_send_error(c, 500, "%s", err);
    return serve_send_buf(c, 200, "image/png", png, len,
                          MHD_RESPMEM_MUST_FREE);
}

/* ---- browsing a dataset ---- */

static int
cmp_listed(const void *a, const void *b)
{
    uint64_t x = ((const serve_listed *)a)->index;
    uint64_t y = ((const serve_listed *)b)->index;
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

/* A directory's stamp as it is now; false when it cannot be read. */
static bool
stamp_of(const char *path, const char *name, serve_stamp *st)
{
    struct stat sb;
    if (stat(path, &sb))
        return false;
    snprintf(st->name, sizeof st->name, "%s", name);
    st->dev = sb.st_dev;
    st->ino = sb.st_ino;
    st->mtime = sb.st_mtim;
    return true;
}

typedef struct {
    serve_listed *idx;
    size_t n, cap;
    serve_stamp *st;            /* the root, then each shard directory */
    size_t nst, capst;
    bool unstamped;             /* a directory could not be stamped */
} listing;

/* Stamp a directory before it is read: a sample renamed into it (or out)
 * after that changes its mtime. */
static void
stamp_add(listing *l, const char *path, const char *name)
{
    if (l->nst == l->capst) {
        size_t cap = l->capst ? l->capst * 2 : 16;
        serve_stamp *x = realloc(l->st, cap * sizeof *x);
        if (!x) {
            l->unstamped = true;
            return;
        }
        l->st = x;
        l->capst = cap;
    }
    if (stamp_of(path, name, &l->st[l->nst]))
        l->nst++;
    else
        l->unstamped = true;
}

/* Indices of the finished samples under root (flat, or one level of
 * shard directories). A sample directory appears whole (renamed into
 * place with its sample.json), so its parent's mtime tells a change. */
static void
scan(const char *root, const char *name, listing *l)
{
    stamp_add(l, root, name);
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!all_digits(e->d_name))
            continue;
        char p[PATH_MAX + 300];
        size_t len = strlen(e->d_name);
        snprintf(p, sizeof p, "%s/%s/sample.json", root, e->d_name);
        if (len >= 6 && len <= 20 && access(p, R_OK) == 0) {
            if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 256;
                serve_listed *x = realloc(l->idx, l->cap * sizeof *x);
                if (!x)
                    break;
                l->idx = x;
            }
            serve_listed *x = &l->idx[l->n++];
            x->index = strtoull(e->d_name, NULL, 10);
            snprintf(x->shard, sizeof x->shard, "%s", name);
            x->namelen = (uint8_t)len;
        } else if (!*name && len <= 5) {
            snprintf(p, sizeof p, "%s/%s", root, e->d_name);
            scan(p, e->d_name, l);
        }
    }
    closedir(d);
}

/* Are the directories the kept list was read from as they were? */
static bool
kept_fresh(const server *s)
{
    for (size_t i = 0; i < s->ds_nstamps; i++) {
        const serve_stamp *k = &s->ds_stamps[i];
        char p[PATH_MAX + 16];
        snprintf(p, sizeof p, "%s%s%s", s->dataset, *k->name ? "/" : "",
                 k->name);
        serve_stamp now;
        if (!stamp_of(p, k->name, &now) || now.dev != k->dev ||
            now.ino != k->ino || now.mtime.tv_sec != k->mtime.tv_sec ||
            now.mtime.tv_nsec != k->mtime.tv_nsec)
            return false;
    }
    return s->ds_nstamps > 0;
}

/* Samples of the kept list one answer looks at again. A sample.json
 * deleted by hand inside its directory changes no directory the stamps
 * watch (only the sample's own): the kept list went on showing it. To
 * look at every sample each time costs what reading the tree costs (a
 * stat per sample), so each answer looks at this many, in turn: a list
 * of up to this many samples never shows a gone one, a longer one stops
 * within a few answers, and at once when the sample is asked for
 * (serve_dataset_gone). */
#define DS_LOOK 1024

/* Do the next DS_LOOK samples of the kept list still have their
 * sample.json? Under ds_mu. */
static bool
kept_whole(server *s)
{
    size_t n = s->ds_nsamples < DS_LOOK ? s->ds_nsamples : DS_LOOK;
    for (size_t k = 0; k < n; k++) {
        if (s->ds_next >= s->ds_nsamples)
            s->ds_next = 0;
        const serve_listed *x = &s->ds_samples[s->ds_next++];
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s%s%s/%0*" PRIu64 "/sample.json",
                 s->dataset, *x->shard ? "/" : "", x->shard,
                 (int)x->namelen, x->index);
        if (access(p, R_OK))
            return false;
    }
    return true;
}

/* Forget the kept list; under ds_mu. */
static void
forget(server *s)
{
    free(s->ds_list);
    free(s->ds_stamps);
    free(s->ds_samples);
    s->ds_list = NULL;
    s->ds_stamps = NULL;
    s->ds_samples = NULL;
    s->ds_nstamps = s->ds_nsamples = s->ds_next = 0;
}

/* The sample of this index was asked for and is not there: if the kept
 * list shows it, it is read again next time. */
void
serve_dataset_gone(server *s, uint64_t index)
{
    serve_listed key = {.index = index};
    pthread_mutex_lock(&s->ds_mu);
    if (s->ds_samples && bsearch(&key, s->ds_samples, s->ds_nsamples,
                                 sizeof key, cmp_listed))
        forget(s);
    pthread_mutex_unlock(&s->ds_mu);
}

/* A stamp tells a later change only if its mtime is older than the
 * clock's granularity of file times (coarse: a change in the same tick
 * as the read leaves the mtime as it was): 2 s covers every file system
 * a dataset lives on. */
static bool
settled(const listing *l)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    for (size_t i = 0; i < l->nst; i++)
        if (l->st[i].mtime.tv_sec > now.tv_sec - 2)
            return false;
    return !l->unstamped && l->nst > 0;
}

/* The list of a dataset: read once, kept while its root and shard
 * directories are unchanged and the samples looked at again (kept_whole)
 * are still there (a page that polls it read every sample directory of
 * the tree each time). */
enum MHD_Result
serve_dataset_list(server *s, struct MHD_Connection *c)
{
    if (!s->dataset[0])
        return serve_send_json(c, 200, json_pack("{s:n,s:[]}", "root",
                                                 "samples"));
    pthread_mutex_lock(&s->ds_mu);
    if (s->ds_list && kept_fresh(s) && kept_whole(s)) {
        char *copy = strdup(s->ds_list);
        pthread_mutex_unlock(&s->ds_mu);
        if (!copy)
            return serve_send_error(c, 500, "out of memory");
        return serve_send_buf(c, 200, "application/json", copy,
                              strlen(copy), MHD_RESPMEM_MUST_FREE);
    }
    forget(s);
    listing l = {0};
    scan(s->dataset, "", &l);
    if (l.n)
        qsort(l.idx, l.n, sizeof *l.idx, cmp_listed);
    json_t *a = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(a, json_integer((json_int_t)l.idx[i].index));
    json_t *o = json_pack("{s:o,s:o}", "root", mg_json_text(s->dataset),
                          "samples", a);
    char *text = o ? mg_json_dump(o, 0) : NULL;
    json_decref(o);
    char *copy = text ? strdup(text) : NULL;
    if (copy && settled(&l)) {
        s->ds_list = copy;
        s->ds_stamps = l.st;
        s->ds_nstamps = l.nst;
        s->ds_samples = l.idx;
        s->ds_nsamples = l.n;
        copy = NULL;
        l.st = NULL;
        l.idx = NULL;
    }
    free(copy);
    free(l.st);
    free(l.idx);
    pthread_mutex_unlock(&s->ds_mu);
    if (!text)
        return serve_send_error(c, 500, "out of memory");
    return serve_send_buf(c, 200, "application/json", text, strlen(text),
                          MHD_RESPMEM_MUST_FREE);
}
