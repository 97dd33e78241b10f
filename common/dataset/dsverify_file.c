/*
 * dsverify_file — the files a sample names, for `musicgen verify`
 * (dsverify.h): each there, a regular file inside the sample, with the
 * SHA-256 sample.json records, and a WAV's header, length, rate and
 * duration as sample.json says (mg_dsv_check_file); mg_dsverify_sha256.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dsnames.h"
#include "dsverify_priv.h"
#include "hex.h"
#include "wavhdr.h"

/* errno for a path that is no regular file (a FIFO, a directory, a
 * device): ESPIPE, which nothing here can meet otherwise (no seeks); the
 * messages say "not a regular file" (why_err). */
const char *
mg_dsv_why_err(int en)
{
    return en == EFTYPE_NOTREG ? "not a regular file" : strerror(en);
}

/* Hash path, and parse its WAV header when wav. Returns -1 (errno) when
 * it cannot be read. */
static int
hash_file(const char *path, unsigned char *buf, size_t bufsize, bool wav,
          mg_wavhdr *h, const char **wav_err, char hex[65], uint64_t *size,
          bool quick)
{
    /* O_NONBLOCK and the check below: a FIFO or a device named by a
     * damaged tree is a problem reported, not a read that never ends */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -1;
    struct stat fst;
    if (fstat(fd, &fst) || !S_ISREG(fst.st_mode)) {
        close(fd);
        errno = EFTYPE_NOTREG;
        return -1;
    }
    if (quick) {
        /* the size, and a WAV's header from its first bytes; no hash */
        struct stat st;
        ssize_t got = 0;
        if (fstat(fd, &st) ||
            (wav && (got = pread(fd, buf, bufsize < 65536 ? bufsize : 65536,
                                 0)) < 0)) {
            int en = errno;
            close(fd);
            errno = en;
            return -1;
        }
        if (wav)
            *wav_err = got ? mg_wavhdr_parse(buf, (size_t)got, h)
                           : "empty file";
        close(fd);
        hex[0] = '\0';
        *size = (uint64_t)st.st_size;
        return 0;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(ctx);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    uint64_t total = 0;
    bool first = true;
    for (;;) {
        ssize_t got = read(fd, buf, bufsize);
        if (got < 0) {
            if (errno == EINTR) continue;
            int en = errno;
            EVP_MD_CTX_free(ctx);
            close(fd);
            errno = en;
            return -1;
        }
        if (got == 0) break;
        if (first && wav) *wav_err = mg_wavhdr_parse(buf, (size_t)got, h);
        first = false;
        EVP_DigestUpdate(ctx, buf, (size_t)got);
        total += (uint64_t)got;
    }
    if (first && wav) *wav_err = "empty file";
    unsigned char d[32];
    unsigned int dl = 0;
    EVP_DigestFinal_ex(ctx, d, &dl);
    EVP_MD_CTX_free(ctx);
    close(fd);
    mg_hex_sha256(d, hex);
    *size = total;
    return 0;
}

int
mg_dsverify_sha256(const char *path, char hex[65])
{
    unsigned char *buf = malloc(BUF_SIZE);
    mg_wavhdr h;
    const char *werr;
    uint64_t size;
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    int rc = hash_file(path, buf, BUF_SIZE, false, &h, &werr, hex, &size,
                       false);
    int en = errno;
    free(buf);
    errno = en;
    return rc;
}

static bool
ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

void
mg_dsv_check_file(const char *dir, const char *rel, const char *want_hex,
           const json_t *j, unsigned char *buf, size_t bufsize, bool quick,
           mg_dsverify_result *r)
{
    char path[4200], hex[65];
    mg_wavhdr h;
    const char *werr = NULL;
    uint64_t size = 0;
    bool wav = ends_with(rel, ".wav");

    if (!mg_ds_rel_safe(rel)) {
        mg_dsv_problem(r, "%s: not a relative path inside the sample", rel);
        return;
    }
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (hash_file(path, buf, bufsize, wav, &h, &werr, hex, &size, quick)) {
        mg_dsv_problem(r, "%s: %s", rel,
                errno == ENOENT ? "missing" : mg_dsv_why_err(errno));
        return;
    }
    r->files++;
    r->bytes += size;
    if (!want_hex)
        mg_dsv_problem(r, "%s: no SHA-256 recorded under \"checksums\"", rel);
    else if (!quick && strcmp(hex, want_hex))
        mg_dsv_problem(r, "%s: SHA-256 mismatch (recorded %.12s..., file has "
                "%.12s...)", rel, want_hex, hex);
    if (!wav) return;
    if (werr) {
        mg_dsv_problem(r, "%s: bad WAV header: %s", rel, werr);
        return;
    }
    if (h.data_off + h.data_size > size)
        mg_dsv_problem(r, "%s: truncated WAV: data chunk of %" PRIu64
                " bytes, file ends %" PRIu64 " bytes short", rel,
                h.data_size, h.data_off + h.data_size - size);
    uint64_t frames = h.data_size / h.block_align;
    json_t *rate = json_object_get(j, "sample_rate");
    json_t *af = json_object_get(j, "audio_frames");
    json_t *dur = json_object_get(j, "duration_seconds");
    if (json_is_number(rate) && (double)h.rate != json_number_value(rate))
        mg_dsv_problem(r, "%s: %u Hz, sample.json says %g", rel, h.rate,
                json_number_value(rate));
    if (json_is_number(af) && (double)frames != json_number_value(af))
        mg_dsv_problem(r, "%s: %" PRIu64 " frames, sample.json says audio_frames "
                "%.0f", rel, frames, json_number_value(af));
    if (json_is_number(dur)) {
        double secs = (double)frames / h.rate, d = json_number_value(dur);
        if (fabs(secs - d) > 1.0 / h.rate + 1e-6)
            mg_dsv_problem(r, "%s: %.6f s long, sample.json says duration_seconds "
                    "%.6f", rel, secs, d);
    }
}
