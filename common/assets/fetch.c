/*
 * fetch — libcurl download, resume, checksum and atomic install of one
 * asset (see fetch.h). libcurl because it does HTTP(S), redirects,
 * Range requests, timeouts and TLS properly; a download is a few calls.
 */
#include "fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "hex.h"
#include "sampledir.h"
#include "song.h"

void
mg_fetch_opts_defaults(mg_fetch_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retries = 3;
    o->backoff_ms = 1000;
    o->connect_timeout_s = 15;
    o->stall_s = 30;
}

int
mg_fetch_sha256(const char *path, char out[65], char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *md;
    unsigned char buf[1 << 16], h[32];
    unsigned int hl;
    size_t n;

    if (!f)
        return mg_errf(err, errlen, "%s: %s", path, strerror(errno));
    md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    if (ferror(f)) {
        fclose(f);
        EVP_MD_CTX_free(md);
        return mg_errf(err, errlen, "%s: read error", path);
    }
    fclose(f);
    EVP_DigestFinal_ex(md, h, &hl);
    EVP_MD_CTX_free(md);
    mg_hex_sha256(h, out);
    return 0;
}

typedef struct {
    FILE *f;
    int werrno;             /* first failed write */
    const mg_asset *a;
    bool bar;
    curl_off_t base;        /* bytes already there when resuming */
    int last_pct;
} xfer;

static size_t
on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (fwrite(p, 1, n, x->f) != n || fflush(x->f) != 0) {
        x->werrno = errno ? errno : EIO;
        return 0;   /* aborts the transfer */
    }
    return n;
}

static int
on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ult,
            curl_off_t uln)
{
    xfer *x = ud;
    (void)ult;
    (void)uln;
    if (x->bar && dltotal > 0) {
        curl_off_t tot = x->base + dltotal, got = x->base + dlnow;
        int pct = (int)(100 * got / tot);
        if (pct != x->last_pct) {
            int w = pct * 30 / 100;
            fprintf(stderr, "\r%-20.20s [%.*s%*s] %3d%% %6.1f/%.1f MB",
                    x->a->name, w, "##############################", 30 - w,
                    "", pct, got / 1048576.0, tot / 1048576.0);
            x->last_pct = pct;
        }
    }
    return 0;
}

/* True when path holds exactly want (len bytes). */
static bool
file_holds(const char *path, const char *want, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool same = true;
    char buf[4096];
    size_t off = 0, n;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = off + n <= len && !memcmp(buf, want + off, n);
        off += n;
    }
    same = same && !ferror(f) && off == len;
    fclose(f);
    return same;
}

/* The licence sidecar NAME.json beside the asset. Written (atomically)
 * only when missing or different from what the registry says: an
 * installed asset whose sidecar is current is left untouched. */
static int
write_sidecar(const mg_asset *a, const char *dir, char *err, size_t errlen)
{
    char path[1400], tmp[1500];
    json_t *j = json_object(), *ls = json_array();

    json_object_set_new(j, "name", json_string(a->name));
    json_object_set_new(j, "license", json_string(a->license));
    json_object_set_new(j, "license_class", json_string(a->license_class));
    if (a->license_url[0])
        json_object_set_new(j, "license_url", json_string(a->license_url));
    if (a->attribution[0])
        json_object_set_new(j, "attribution", json_string(a->attribution));
    if (a->description[0])
        json_object_set_new(j, "note", json_string(a->description));
    json_object_set_new(j, "source_url", json_string(a->url));
    json_object_set_new(j, "sha256", json_string(a->sha256));
    for (int l = 0; l < MG_NLAYERS; l++)
        if (a->layers & (1u << l))
            json_array_append_new(ls, json_string(mg_layer_name(l)));
    json_object_set_new(j, "layers", ls);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    if (!text)
        return mg_errf(err, errlen, "%s: out of memory", a->name);
    size_t len = strlen(text);
    snprintf(path, sizeof path, "%s/%s.json", dir, a->filename);
    if (file_holds(path, text, len)) {
        free(text);
        return 0;
    }
    snprintf(tmp, sizeof tmp, "%s/.%s.json.tmp", dir, a->filename);
    FILE *f = fopen(tmp, "wb");
    int en = f ? 0 : errno;
    if (f) {
        if (fwrite(text, 1, len, f) != len)
            en = errno ? errno : EIO;
        if (fclose(f) != 0 && !en)
            en = errno;
    }
    if (!en && rename(tmp, path) < 0)
        en = errno;
    if (en) {
        free(text);
        unlink(tmp);
        return mg_errf(err, errlen, "%s: cannot write %s: %s", a->name,
                       path, strerror(en ? en : EIO));
    }
    free(text);
    return 0;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int
mg_fetch_asset(const mg_asset *a, const char *dir, const mg_fetch_opts *o,
               bool *fetched, char *err, size_t errlen)
{
    char final[1400], part[1400], sum[65], msg[CURL_ERROR_SIZE + 64];
    struct stat st;
    long backoff = o->backoff_ms;

    *fetched = false;
    /* mkdir -p: a new --sf-dir (or --midi-dir) was "cannot make
     * DIR/melody: No such file or directory" */
    if (mg_dir_make(dir) < 0)
        return mg_errf(err, errlen, "%s: cannot make %s: %s", a->name, dir,
                       strerror(errno));
    snprintf(final, sizeof final, "%s/%s", dir, a->filename);
    snprintf(part, sizeof part, "%s/.%s.part", dir, a->filename);
    if (!o->force && stat(final, &st) == 0 &&
        mg_fetch_sha256(final, sum, msg, sizeof msg) == 0 &&
        !strcmp(sum, a->sha256))
        return write_sidecar(a, dir, err, errlen);
    /* a file-size limit must be a write error here, not a signal */
    signal(SIGXFSZ, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (int attempt = 0;; attempt++) {
        CURL *h = curl_easy_init();
        xfer x = {NULL, 0, a, o->progress, 0, -1};
        long code = 0;
        CURLcode rc;
        bool retry = true;

        if (!h)
            return mg_errf(err, errlen, "%s: libcurl cannot start", a->name);
        x.f = fopen(part, "ab");
        if (!x.f) {
            curl_easy_cleanup(h);
            return mg_errf(err, errlen, "%s: cannot write %s: %s", a->name,
                           part, strerror(errno));
        }
        x.base = ftell(x.f);
        msg[0] = 0;
        curl_easy_setopt(h, CURLOPT_URL, a->url);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout_s);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->stall_s);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, msg);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        if (x.base > 0)
            curl_easy_setopt(h, CURLOPT_RESUME_FROM_LARGE,
                             (curl_off_t)x.base);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(h);
        if (fclose(x.f) != 0 && rc == CURLE_OK) {
            x.werrno = errno;
            rc = CURLE_WRITE_ERROR;
        }
        if (o->progress && x.last_pct >= 0)
            fputc('\n', stderr);
        if (rc == CURLE_OK)
            break;
        if (x.werrno) {
            /* a full disk or a size limit: the partial file is useless and
             * in the way; retrying cannot help */
            unlink(part);
            return mg_errf(err, errlen, "%s: cannot write %s: %s", a->name,
                           part, strerror(x.werrno));
        }
        if (rc == CURLE_HTTP_RETURNED_ERROR && code == 416) {
            /* the partial file is not a prefix of this one: start over */
            unlink(part);
        } else if (rc == CURLE_HTTP_RETURNED_ERROR && code >= 400 &&
                   code < 500 && code != 408 && code != 429) {
            retry = false;
        }
        if (!retry || attempt >= o->retries) {
            /* an error page is not a partial asset, and an empty file
             * (nothing came: refused, unreachable, timed out) is nothing
             * to resume: only real bytes stay for the next run */
            if (rc == CURLE_HTTP_RETURNED_ERROR ||
                (stat(part, &st) == 0 && st.st_size == 0))
                unlink(part);
            /* say what was tried: a final error is not retried, and
             * retries may be off */
            char how[64] = "";
            if (attempt > 0)
                snprintf(how, sizeof how, " after %d attempts", attempt + 1);
            else if (retry)
                snprintf(how, sizeof how, " (one attempt: retries are off)");
            return mg_errf(err, errlen, "%s: download from %s failed%s: %s",
                           a->name, a->url, how,
                           msg[0] ? msg : curl_easy_strerror(rc));
        }
        if (o->progress)
            fprintf(stderr, "%s: %s; retrying in %.1f s\n", a->name,
                    msg[0] ? msg : curl_easy_strerror(rc), backoff / 1e3);
        sleep_ms(backoff);
        backoff *= 2;
    }
    if (mg_fetch_sha256(part, sum, err, errlen) < 0)
        return -1;
    if (strcmp(sum, a->sha256)) {
        unlink(part);
        return mg_errf(err, errlen, "%s: SHA-256 mismatch: the registry says "
                       "%s, the download is %s (deleted; nothing installed)",
                       a->name, a->sha256, sum);
    }
    {
        FILE *f = fopen(part, "rb+");
        if (!f || fsync(fileno(f)) != 0) {
            int en = errno;
            if (f)
                fclose(f);
            return mg_errf(err, errlen, "%s: %s: %s", a->name, part,
                           strerror(en));
        }
        fclose(f);
    }
    if (write_sidecar(a, dir, err, errlen) < 0)
        return -1;
    if (rename(part, final) < 0)
        return mg_errf(err, errlen, "%s: cannot install %s: %s", a->name,
                       final, strerror(errno));
    *fetched = true;
    return 0;
}
