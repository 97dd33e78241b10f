/*
 * export_wds — WebDataset shards: POSIX ustar archives of --shard-size
 * samples each, <out>/000000.tar, 000001.tar, ... A sample's members sit
 * together under one key (its zero-padded index): KEY.json (sample.json
 * as written), KEY.mix.wav, KEY.<layer>.wav (stems), KEY.<layer>.mid
 * (MIDI, unless --no-midi); so webdataset's key/extension grouping and
 * `tar tf` both see one group per sample.
 *
 * Reproducible bytes: mode 0644, uid/gid 0, mtime 0, no user names.
 * Files are streamed through a 64 KiB buffer, never held whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "export_priv.h"
#include "rfile.h"

typedef struct {
    mg_xwriter w;
    FILE *f;
    char path[8192];
    unsigned in_shard, shard;
    uint64_t bytes; /* written to this shard */
    mg_hfcard *card; /* README.md, as hf's (export_card.c) */
} wds;

static int
put_octal(char *field, size_t width, uint64_t v)
{
    /* width - 1 digits and a NUL */
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%0*" PRIo64, (int)width - 1, v);
    if (n < 0 || (size_t)n > width - 1) return -1;
    memcpy(field, tmp, (size_t)n + 1);
    return 0;
}

static int
header(wds *t, const char *name, uint64_t size, char *err, size_t errlen)
{
    unsigned char h[512];
    memset(h, 0, sizeof h);
    size_t nl = strlen(name);
    if (nl > 100) return mg_errf(err, errlen, "tar name too long: %s", name);
    memcpy(h, name, nl);
    put_octal((char *)h + 100, 8, 0644);
    put_octal((char *)h + 108, 8, 0);
    put_octal((char *)h + 116, 8, 0);
    if (put_octal((char *)h + 124, 12, size))
        return mg_errf(err, errlen, "%s: too large for ustar", name);
    put_octal((char *)h + 136, 12, 0);
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    if (fwrite(h, 1, 512, t->f) != 512)
        return mg_errf(err, errlen, "%s: %s", t->path, strerror(errno));
    t->bytes += 512;
    return 0;
}

static int
pad(wds *t, uint64_t size, char *err, size_t errlen)
{
    static const char zero[512];
    size_t n = (size_t)((512 - size % 512) % 512);
    if (n && fwrite(zero, 1, n, t->f) != n)
        return mg_errf(err, errlen, "%s: %s", t->path, strerror(errno));
    t->bytes += n;
    return 0;
}

static int
member_bytes(wds *t, const char *name, const void *p, size_t n, char *err,
             size_t errlen)
{
    if (header(t, name, n, err, errlen)) return -1;
    if (n && fwrite(p, 1, n, t->f) != n)
        return mg_errf(err, errlen, "%s: %s", t->path, strerror(errno));
    t->bytes += n;
    return pad(t, n, err, errlen);
}

static int
member_file(wds *t, const char *name, const char *src, char *err,
            size_t errlen)
{
    /* O_NONBLOCK and a regular file only: a FIFO in a damaged tree is
     * refused, not read for ever */
    int fd = open(src, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        int en = errno;
        bool reg = fd < 0 || S_ISREG(st.st_mode);
        if (fd >= 0) close(fd);
        return mg_errf(err, errlen, "%s: %s", src,
                       reg ? strerror(en) : "not a regular file");
    }
    uint64_t size = (uint64_t)st.st_size, done = 0;
    int rc = header(t, name, size, err, errlen);
    static char buf[1 << 16];
    while (!rc && done < size) {
        size_t want = size - done < sizeof buf ? (size_t)(size - done)
                                               : sizeof buf;
        ssize_t k = read(fd, buf, want);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            rc = mg_errf(err, errlen, "%s: %s", src,
                         k < 0 ? strerror(errno) : "shrank while read");
            break;
        }
        if (fwrite(buf, 1, (size_t)k, t->f) != (size_t)k)
            rc = mg_errf(err, errlen, "%s: %s", t->path, strerror(errno));
        done += (uint64_t)k;
    }
    close(fd);
    t->bytes += done;
    return rc ? -1 : pad(t, size, err, errlen);
}

static int
close_shard(wds *t, char *err, size_t errlen)
{
    if (!t->f) return 0;
    static const char zero[1024];
    int bad = fwrite(zero, 1, sizeof zero, t->f) != sizeof zero ||
              fflush(t->f) || fsync(fileno(t->f));
    int en = errno;
    if (fclose(t->f) || bad) {
        t->f = NULL;
        return mg_errf(err, errlen, "%s: %s", t->path,
                       strerror(bad ? en : errno));
    }
    t->f = NULL;
    t->w.st->files++;
    return 0;
}

static int
wds_row(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen)
{
    wds *t = (wds *)w;
    if (r->unsafe) { /* this sample only, left out whole */
        mg_errf(err, errlen, "%s/sample.json: %s, not a path inside the "
                "sample", r->rel, r->unsafe);
        return 1;
    }
    if (t->f && t->in_shard >= (w->o->shard_size ? w->o->shard_size : 1000u)) {
        if (close_shard(t, err, errlen)) return -1;
        t->shard++;
    }
    if (!t->f) {
        snprintf(t->path, sizeof t->path, "%s/%06u.tar", w->path, t->shard);
        if (!(t->f = fopen(t->path, "wb")))
            return mg_errf(err, errlen, "%s: %s", t->path, strerror(errno));
        t->in_shard = 0;
        t->bytes = 0;
    }
    char key[32], name[160], src[8192];
    /* Every file readable before the first member is written, so a
     * missing one leaves no half sample in the shard. */
    for (size_t i = 0; i < r->nfiles; i++) {
        if (!strcmp(r->files[i].kind, "midi") && w->o->no_midi) continue;
        snprintf(src, sizeof src, "%s/%s", r->dir, r->files[i].file);
        if (mg_rfile_check(src, err, errlen)) return 1; /* regular too */
    }
    snprintf(key, sizeof key, "%06" PRIu64, r->index);
    snprintf(name, sizeof name, "%s.json", key);
    if (member_bytes(t, name, r->raw, r->raw_len, err, errlen)) return -1;
    for (size_t i = 0; i < r->nfiles; i++) {
        const mg_xfile *f = &r->files[i];
        bool midi = !strcmp(f->kind, "midi");
        if (midi && w->o->no_midi) continue;
        const char *ext = strrchr(f->file, '.');
        snprintf(name, sizeof name, "%s.%s%s", key,
                 f->layer[0] ? f->layer : f->kind, ext ? ext : "");
        snprintf(src, sizeof src, "%s/%s", r->dir, f->file);
        if (member_file(t, name, src, err, errlen)) return -1;
    }
    t->in_shard++;
    w->st->rows++;
    if (mg_hfcard_add(t->card, r->split[0] ? r->split : "(none)", r))
        return mg_errf(err, errlen, "more than 16 splits");
    return 0;
}

static int
wds_finish(mg_xwriter *w, char *err, size_t errlen)
{
    wds *t = (wds *)w;
    if (close_shard(t, err, errlen)) return -1;
    if (!w->st->rows) return 0;
    char p[8300];
    snprintf(p, sizeof p, "%s/README.md", w->path);
    return mg_hfcard_save(t->card, p, t->shard + 1,
                          w->o->shard_size ? w->o->shard_size : 1000u, err,
                          errlen);
}

static void
wds_destroy(mg_xwriter *w)
{
    wds *t = (wds *)w;
    if (t->f) fclose(t->f);
    mg_hfcard_free(&t->card);
    free(t);
}

mg_xwriter *
mg_export_wds_new(const mg_export_opts *o, mg_export_stats *st,
                  const char *path, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    wds *t = calloc(1, sizeof *t);
    if (!t || !(t->card = mg_hfcard_new())) {
        free(t);
        return NULL;
    }
    t->w = (mg_xwriter){NULL, wds_row, wds_finish, wds_destroy, o, st, path};
    return &t->w;
}
