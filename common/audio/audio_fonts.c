/*
 * audio_fonts — the soundfonts of an mg_audio: every font of the pools
 * loaded once into its own "master" fluid_synth (SF3 files through their
 * expansion), in parallel threads, with its measured or cached pre-roll;
 * `musicgen calibrate` (mg_audio_calibrate); the pools' fingerprint
 * (mg_audio_pools_hash).
 *
 * Invariants:
 *  - a master synth only holds its font (presets, calibration): samples
 *    render on fresh synths that borrow it (audio_render.c), so nothing a
 *    master does reaches a sample's bytes;
 *  - a font that fails to load is an error naming it, before any work;
 *  - the fingerprint covers the selection, the data files that decide the
 *    audio bytes (registry.json, fx.json, mix.json) and every selected
 *    font, sorted by path: the same inputs give the same hash;
 *  - a master synth reads its file through our sfloader callbacks (plain
 *    stdio, as FluidSynth's own), except the sample data, which is mapped
 *    from a side file in the SF2 cache holding the same bytes (made on
 *    first use; see "reading a font file"): the bytes loaded are
 *    FluidSynth's either way, start-up no longer zeroes and copies
 *    hundreds of MB of fresh memory.
 */
#include "audio_priv.h"
#include "audio_cal.h"
#include "hex.h"
#include "rfile.h"
#include "sfont.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Settings shared by both synth kinds (see audio_priv.h). */
fluid_settings_t *
audio_make_settings(double rate, bool fx)
{
    fluid_settings_t *st = new_fluid_settings();
    if (!st) return NULL;
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setint(st, "synth.threadsafe-api", 0);
    fluid_settings_setint(st, "synth.lock-memory", 0);
    fluid_settings_setint(st, "synth.polyphony", 256);
    fluid_settings_setint(st, "synth.reverb.active", fx);
    fluid_settings_setint(st, "synth.chorus.active", fx);
    return st;
}

/* ---- reading a font file ------------------------------------------- */

/* FluidSynth reads a font's sample data (the whole smpl chunk: 150 MB for
 * FluidR3_GM, 500 MB for the default pools) in one read into a buffer it
 * has just malloc'd. Read into fresh anonymous memory, every page of it
 * is first zeroed by the kernel and then copied into: on this project's
 * virtual machines that zeroing was most of start-up (clear_page: 1.3 of
 * 2 CPU-s for the default pools), serial before generate forks.
 *
 * So the sample data is mapped instead: a "side file" in the SF2 cache
 * (sfont.h) holds the chunk's bytes at the same offset within a page as
 * the buffer FluidSynth gave us, and the buffer's whole pages are
 * replaced by a private mapping of that file (page cache pages: no
 * zeroing, no copy, shared by every process on the host, evictable
 * under memory pressure); its partial first and last pages are read from
 * the font as before. The bytes FluidSynth sees are the file's either
 * way. The side file is made on the first read that finds none (the
 * data read as before, then written out: a one-time cost, and disk in
 * the cache the size of the fonts' sample data), keyed by the font's
 * size, mtime, the chunk's offset and length and the page offset, and
 * checked (size, first and last bytes) before each use. Anything
 * unexpected falls back to the plain read; MUSICGEN_FONT_MAP=0 turns
 * the mapping off (valgrind, diagnosis). A large plain read asks for
 * transparent huge pages under the buffer first (512x fewer faults). */
#define HUGE_READ ((fluid_long_long_t)4 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

typedef struct {
    FILE *fp;
    char *path;
    char font[1400];     /* side files' name prefixes (side_path) */
    char version[1500];
} fio;

static void *
fio_open(const char *path)
{
    fio *h = calloc(1, sizeof *h);

    if (!h)
        return NULL;
    h->path = strdup(path);
    h->fp = h->path ? fopen(path, "rb") : NULL;
    if (!h->fp) {
        free(h->path);
        free(h);
        return NULL;
    }
    return h;
}

/* All of n bytes at offset at of fd into p (wr: from p into fd): 0, or
 * -1. */
static int
pio_all(int fd, void *p, size_t n, off_t at, bool wr)
{
    char *c = p;

    while (n > 0) {
        ssize_t r = wr ? pwrite(fd, c, n, at) : pread(fd, c, n, at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c += r;
        n -= (size_t)r;
        at += r;
    }
    return 0;
}

static int
pread_all(int fd, void *p, size_t n, off_t at)
{
    return pio_all(fd, p, n, at, false);
}

static int
pwrite_all(int fd, const void *p, size_t n, off_t at)
{
    return pio_all(fd, (void *)p, n, at, true);
}

/* Whether CHK bytes at fa of fd a equal those at fb of fd b (buf: room
 * for 2 x CHK). */
#define CHK 4096
static bool
same_bytes(int a, off_t fa, int b, off_t fb, unsigned char *buf)
{
    return pread_all(a, buf, CHK, fa) == 0 &&
           pread_all(b, buf + CHK, CHK, fb) == 0 &&
           !memcmp(buf, buf + CHK, CHK);
}

/* FNV-1a of the font's absolute path (as given where it has none): side
 * files of two fonts of one name in two directories never meet. */
static uint64_t
path_key(const char *path)
{
    char *abs = realpath(path, NULL);
    const unsigned char *c = (const unsigned char *)(abs ? abs : path);
    uint64_t k = 0xcbf29ce484222325u;

    for (; *c; c++)
        k = (k ^ *c) * 0x100000001b3u;
    free(abs);
    return k;
}

/* The side file's path for count bytes at off of h's font, to be mapped
 * at page offset shift: DIR/NAME-PATHKEY-SIZE-MTIME-OFF-COUNT-pSHIFT.smpl.
 * h->font (DIR/NAME-PATHKEY-) and h->version (the same plus SIZE-MTIME-)
 * are kept for side_prune. 0, or -1 (no cache directory, mapping off). */
static int
side_path(fio *h, off_t off, size_t count, size_t shift, char *out,
          size_t n)
{
    const char *e = getenv("MUSICGEN_FONT_MAP");
    const char *base = strrchr(h->path, '/');
    char dir[1024];
    struct stat st;

    if ((e && !strcmp(e, "0")) || fstat(fileno(h->fp), &st) < 0 ||
        mg_sfont_cache_dir(dir, sizeof dir) < 0)
        return -1;
    base = base ? base + 1 : h->path;
    snprintf(h->font, sizeof h->font, "%s/%.200s-%016llx-", dir, base,
             (unsigned long long)path_key(h->path));
    snprintf(h->version, sizeof h->version, "%s%lld-%lld.%09ld-", h->font,
             (long long)st.st_size, (long long)st.st_mtim.tv_sec,
             (long)st.st_mtim.tv_nsec);
    snprintf(out, n, "%s%lld-%zu-p%zu.smpl", h->version, (long long)off,
             count, shift);
    return 0;
}

/* Side files of h's font path made for another size or mtime of it (the
 * font was replaced or updated since) are removed: nothing will map them
 * again, and each is the size of the font's sample data. Those of the
 * current version (any offset or page shift: another build's allocator)
 * and temporary files stay. A process that still maps a removed file
 * keeps its pages. */
static void
side_prune(const fio *h)
{
    const char *slash = strrchr(h->font, '/');
    const char *fname = slash + 1, *version = h->version + (fname - h->font);
    size_t fl = strlen(fname), vl = strlen(version);
    char dir[1024];
    struct dirent *d;
    DIR *dp;

    if (!slash || (size_t)(slash - h->font) >= sizeof dir)
        return;
    memcpy(dir, h->font, (size_t)(slash - h->font));
    dir[slash - h->font] = '\0';
    if (!(dp = opendir(dir)))
        return;
    while ((d = readdir(dp))) {
        size_t nl = strlen(d->d_name);
        if (nl > 5 && !strcmp(d->d_name + nl - 5, ".smpl") &&
            !strncmp(d->d_name, fname, fl) &&
            strncmp(d->d_name, version, vl))
            (void)unlinkat(dirfd(dp), d->d_name, 0);
    }
    closedir(dp);
}

/* Maps the whole pages of buf (count bytes at the font's current offset)
 * from the side file and reads the partial ones. 0: done; 1: no usable
 * side file (path in side); -1: not possible here (read instead). */
static int
map_read(fio *h, void *buf, size_t count, char *side, size_t sn)
{
    const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t b = (uintptr_t)buf, lo = (b + pg - 1) & ~(pg - 1);
    uintptr_t hi = (b + count) & ~(pg - 1);
    size_t shift = b & (pg - 1), head = lo - b, tail = b + count - hi;
    off_t off = ftello(h->fp);
    int ffd = fileno(h->fp), sfd;
    unsigned char chk[2 * CHK];
    struct stat ss;
    void *m;
    bool ok;

    if (off < 0 || hi <= lo ||
        side_path(h, off, count, shift, side, sn) < 0)
        return -1;
    sfd = open(side, O_RDONLY | O_CLOEXEC);
    if (sfd < 0)
        return errno == ENOENT ? 1 : -1;
    /* the partial pages from the font; the data's first and last 4 KB
     * from the font and from the side file compared: a side file of
     * other bytes (truncated, altered, another font's) is made anew */
    ok = fstat(sfd, &ss) == 0 && ss.st_size == (off_t)(shift + count) &&
         pread_all(ffd, buf, head, off) == 0 &&
         pread_all(ffd, (void *)hi, tail, off + (off_t)(hi - b)) == 0 &&
         same_bytes(ffd, off, sfd, (off_t)shift, chk) &&
         same_bytes(ffd, off + (off_t)count - CHK, sfd,
                    (off_t)(shift + count) - CHK, chk);
    if (!ok) {
        close(sfd);
        return 1;
    }
    /* mapped elsewhere first: a failure there leaves buf as it was */
    m = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE, sfd,
             (off_t)(shift + head));
    close(sfd);
    if (m == MAP_FAILED)
        return -1;
    if (mremap(m, hi - lo, hi - lo, MREMAP_MAYMOVE | MREMAP_FIXED,
               (void *)lo) == MAP_FAILED) {
        munmap(m, hi - lo);
        return -1;
    }
#ifdef MADV_POPULATE_READ
    /* page tables now, in one call, rather than a fault per page when
     * FluidSynth scans the loops (a hint: an old kernel says no) */
    (void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
#endif
    return fseeko(h->fp, off + (off_t)count, SEEK_SET) == 0 ? 0 : -1;
}

/* The side file for count bytes of buf (just read), written whole under a
 * temporary name and renamed: a reader sees none or all of it. Failure
 * only means the next start reads again. */
static void
side_make(const fio *h, const char *side, const void *buf, size_t count)
{
    static unsigned long seq;
    const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    size_t shift = (uintptr_t)buf & (pg - 1);
    char tmp[1700];
    int fd;

    snprintf(tmp, sizeof tmp, "%s.tmp-%ld-%lu", side, (long)getpid(),
             __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    /* bytes [0, shift) are a hole: never mapped, never read */
    if (ftruncate(fd, (off_t)shift) < 0 ||
        pwrite_all(fd, buf, count, (off_t)shift) < 0 || fsync(fd) < 0) {
        close(fd);
        unlink(tmp);
        return;
    }
    if (close(fd) < 0 || rename(tmp, side) < 0) {
        unlink(tmp);
        return;
    }
    side_prune(h);
}

static int
fio_read(void *buf, fluid_long_long_t count, void *hp)
{
    fio *h = hp;
    char side[1600];
    int r = -1;

    if (count >= HUGE_READ) {
        r = map_read(h, buf, (size_t)count, side, sizeof side);
        if (r == 0)
            return FLUID_OK;
#ifdef MADV_HUGEPAGE
        uintptr_t lo = ((uintptr_t)buf + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        uintptr_t hi = ((uintptr_t)buf + (uintptr_t)count) & ~(HUGE_PAGE - 1);
        if (hi > lo)    /* a hint: a kernel without THP says no, harmlessly */
            (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
    }
    if (fread(buf, (size_t)count, 1, h->fp) != 1)
        return FLUID_FAILED;
    if (r == 1)
        side_make(h, side, buf, (size_t)count);
    return FLUID_OK;
}

static int
fio_seek(void *hp, fluid_long_long_t off, int whence)
{
    fio *h = hp;
    return fseeko(h->fp, (off_t)off, whence) == 0 ? FLUID_OK : FLUID_FAILED;
}

static fluid_long_long_t
fio_tell(void *hp)
{
    fio *h = hp;
    return (fluid_long_long_t)ftello(h->fp);
}

static int
fio_close(void *hp)
{
    fio *h = hp;
    int rc = fclose(h->fp);
    free(h->path);
    free(h);
    return rc == 0 ? FLUID_OK : FLUID_FAILED;
}

int
audio_add_font_loader(fluid_synth_t *syn)
{
    fluid_sfloader_t *l = new_fluid_defsfloader(fluid_synth_get_settings(syn));
    if (!l)
        return -1;
    if (fluid_sfloader_set_callbacks(l, fio_open, fio_read, fio_seek,
                                     fio_tell, fio_close) != FLUID_OK) {
        delete_fluid_sfloader(l);
        return -1;
    }
    fluid_synth_add_sfloader(syn, l);   /* the synth owns it now */
    return 0;
}

/* Address space, under a limit (ulimit -v), for loading file: FluidSynth
 * holds a font's whole sample data and loads it with an OpenMP team (a
 * stack per CPU), and its loader does not check every allocation: under
 * a limit that left too little room, fluid_synth_sfload was a
 * segmentation fault (FluidR3_GM at 192 kHz under ulimit -v 100000 or
 * 257500 on 2 CPUs) or libgomp exited with "Thread creation failed", where a
 * little more room gave "cannot load it". So under a limit the room is
 * tried first, a PROT_NONE reservation (it counts against the limit as
 * the font's memory will) of the file's size, a stack per CPU and 16 MiB
 * for the rest; its lack is one line. Fonts load in parallel, so a limit
 * can still fall between them: their errors then name the limit too
 * (limit_note). Without a limit nothing is tried. */
static int
room_to_load(const char *file, const char *shown, char *err, size_t errlen)
{
    struct rlimit rl, stk;
    struct stat st;
    cpu_set_t set;
    long cpus = 1;
    size_t need, stack = 8u << 20;
    void *p;

    if (getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY ||
        stat(file, &st))
        return 0;
    /* libgomp's team: a thread per CPU this process may run on */
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        cpus = CPU_COUNT(&set);
    if (getrlimit(RLIMIT_STACK, &stk) == 0 && stk.rlim_cur != RLIM_INFINITY)
        stack = (size_t)stk.rlim_cur;
    need = (size_t)st.st_size + (size_t)cpus * stack + (16u << 20);
    p = mmap(NULL, need, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
             MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
        munmap(p, need);
        return 0;
    }
    snprintf(err, errlen, "soundfont %.300s: no room to load it: it needs "
             "about %zu MiB of address space, more than the process's "
             "limit (ulimit -v %llu) leaves free: raise the limit", shown,
             need >> 20, (unsigned long long)(rl.rlim_cur >> 10));
    return -1;
}

/* " under ulimit -v N (...)" when the address space is limited (the
 * likely cause of a font that does not load or decode), else "". */
static const char *
limit_note(char *buf, size_t n)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_AS, &rl) || rl.rlim_cur == RLIM_INFINITY)
        return "";
    snprintf(buf, n, " under ulimit -v %llu (too little address space?)",
             (unsigned long long)(rl.rlim_cur >> 10));
    return buf;
}

/* Load one font into its master synth and find its pre-roll (cached, or
 * measured). Runs in a thread of its own; reports into f->err. */
static void *
load_one(void *arg)
{
    font *f = arg;
    char key[1600];
    double r = 44100;
    int rate;

    fluid_settings_getnum(fluid_synth_get_settings(f->synth),
                          "synth.sample-rate", &r);
    rate = (int)r;
    snprintf(f->file, sizeof f->file, "%s", f->info->file);
    if (f->info->version >= 3 &&
        mg_sfont_expand(f->info->file, f->file, sizeof f->file, f->err,
                        sizeof f->err) < 0) {
        char note[100];
        size_t k = strlen(f->err);
        snprintf(f->err + k, sizeof f->err - k, "%s",
                 limit_note(note, sizeof note));
        return NULL;
    }
    if (room_to_load(f->file, f->info->file, f->err, sizeof f->err) < 0)
        return NULL;
    f->sfid = fluid_synth_sfload(f->synth, f->file, 0);
    if (f->sfid == FLUID_FAILED) {
        char note[100];
        snprintf(f->err, sizeof f->err, "soundfont %.300s: FluidSynth "
                 "cannot load it%s", f->info->file,
                 limit_note(note, sizeof note));
        return NULL;
    }
    f->sfont = fluid_synth_get_sfont_by_id(f->synth, f->sfid);
    if (mg_cal_key(f->file, rate, key, sizeof key) < 0 ||
        mg_cal_cache_get(f->cache_dir, key, &f->preroll) < 0) {
        /* the synth `musicgen calibrate` measures on */
        fluid_synth_set_polyphony(f->synth, CAL_POLY);
        if (mg_cal_measure(f->synth, f->sfid, rate, &f->preroll, f->err,
                           sizeof f->err) < 0)
            return NULL;
    }
    return NULL;
}

int
audio_load_fonts(mg_audio *a, char *err, size_t errlen)
{
    pthread_t th[MAX_FONTS];
    bool started[MAX_FONTS] = {false};
    const char *map = getenv("MUSICGEN_FONT_MAP");
    int rc = 0;

    /* "0" turns the mapping off (docs/soundfonts.md); any other word was
     * taken as on: MUSICGEN_FONT_MAP=off under valgrind mapped anyway */
    if (map && *map && strcmp(map, "0") && strcmp(map, "1")) {
        snprintf(err, errlen, "MUSICGEN_FONT_MAP: need 0 (read the fonts, "
                 "no mapping) or 1, got '%s'", map);
        return -1;
    }
    for (int i = 0; i < a->nfonts; i++) {
        font *f = &a->fonts[i];
        f->err[0] = 0;
        if (!f->synth)
            continue;
        if (audio_add_font_loader(f->synth) < 0) {
            snprintf(err, errlen, "audio: cannot make a SoundFont loader");
            rc = -1;
            break;
        }
        started[i] = pthread_create(&th[i], NULL, load_one, f) == 0;
        if (!started[i])
            load_one(f);
    }
    for (int i = 0; i < a->nfonts; i++)
        if (started[i])
            pthread_join(th[i], NULL);
    for (int i = 0; i < a->nfonts && rc == 0; i++)
        if (a->fonts[i].err[0]) {
            snprintf(err, errlen, "%s", a->fonts[i].err);
            rc = -1;
        }
    return rc;
}

/* ---- calibrate ------------------------------------------------------ */

int
mg_audio_calibrate(const mg_config *c, FILE *report, char *err,
                   size_t errlen)
{
    mg_pools *pools = NULL;
    fluid_settings_t *st = NULL;
    char cache[1024];
    int nf = 0, rc = -1, rate = c->sample_rate > 0 ? c->sample_rate : 44100;

    pools = mg_pools_load(c->sf_dir, c->fonts, c->accept_license, err,
                          errlen);
    if (!pools)
        goto out;
    nf = mg_pools_count(pools);
    st = new_fluid_settings();
    if (!st) {
        snprintf(err, errlen, "cannot create FluidSynth settings");
        goto out;
    }
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setint(st, "synth.lock-memory", 0);
    if (mg_cal_cache_path(c->cache_dir, cache, sizeof cache) < 0) {
        snprintf(err, errlen, "no cache directory (--cache-dir)");
        goto out;
    }
    for (int i = 0; i < nf; i++) {
        const mg_font_info *fi = mg_pools_font(pools, i);
        fluid_synth_t *syn;
        char key[1600], file[1200];
        int id, frames;

        if (!fi->selected)
            continue;
        snprintf(file, sizeof file, "%s", fi->file);
        if (fi->version >= 3 &&
            mg_sfont_expand(fi->file, file, sizeof file, err, errlen) < 0)
            goto out;
        if (room_to_load(file, fi->file, err, errlen) < 0)
            goto out;
        syn = new_fluid_synth(st);
        if (!syn) {
            snprintf(err, errlen, "cannot create a FluidSynth synth");
            goto out;
        }
        id = fluid_synth_sfload(syn, file, 0);
        if (id == FLUID_FAILED) {
            delete_fluid_synth(syn);
            snprintf(err, errlen, "soundfont %s: FluidSynth cannot load it",
                     fi->file);
            goto out;
        }
        if (mg_cal_measure(syn, id, rate, &frames, err, errlen) < 0) {
            delete_fluid_synth(syn);
            goto out;
        }
        delete_fluid_synth(syn);
        if (mg_cal_key(file, rate, key, sizeof key) < 0 ||
            mg_cal_cache_put(c->cache_dir, key, frames, err, errlen) < 0)
            goto out;
        if (report)
            fprintf(report, "%-24s %6d frames  %8.3f ms  at %d Hz  %s\n",
                    fi->name, frames, 1e3 * frames / rate, rate, fi->file);
    }
    if (report)
        fprintf(report, "fluidsynth %s; cached in %s\n", fluid_version_str(),
                cache);
    rc = 0;
out:
    if (st)
        delete_fluid_settings(st);
    mg_pools_destroy(&pools);
    return rc;
}

/* ---- fingerprint ---------------------------------------------------- */

static int
sha256_file(const char *path, char out[65], char *err, size_t errlen)
{
    FILE *fp;
    EVP_MD_CTX *ctx;
    unsigned char md[32], *buf;
    unsigned int mdlen = 0;
    size_t n;

    if (mg_rfile_open(path, 0, &fp, err, errlen) < 0) return -1;
    buf = malloc(1 << 20);
    ctx = EVP_MD_CTX_new();
    if (!buf || !ctx) {
        fclose(fp);
        free(buf);
        EVP_MD_CTX_free(ctx);
        snprintf(err, errlen, "sha256: out of memory");
        return -1;
    }
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while ((n = fread(buf, 1, 1 << 20, fp)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    free(buf);
    if (ferror(fp)) {
        fclose(fp);
        snprintf(err, errlen, "%s: read error", path);
        return -1;
    }
    fclose(fp);
    mg_hex_sha256(md, out);
    return 0;
}

typedef struct {
    char path[1024];
    char sha[65];
} hashed;

static int
cmp_hashed(const void *x, const void *y)
{
    return strcmp(((const hashed *)x)->path, ((const hashed *)y)->path);
}

int
mg_audio_pools_hash(const mg_config *c, char out[65], char *err,
                    size_t errlen)
{
    const char *sf_dir = c->sf_dir;
    static const char *const data[] = {"registry.json", "fx.json",
                                       "mix.json"};
    mg_pools *pools = NULL;
    hashed *h = calloc(MAX_FONTS + 4, sizeof *h);
    int nf = 0, nh = 0, rc = -1;
    EVP_MD_CTX *ctx = NULL;
    unsigned char md[32];
    unsigned int mdlen;

    if (!h) {
        snprintf(err, errlen, "sha256: out of memory");
        goto out;
    }
    pools = mg_pools_load(sf_dir, c->fonts, c->accept_license, err, errlen);
    if (!pools)
        goto out;
    nf = mg_pools_count(pools);
    /* the selection itself (the pools are the fonts it names) */
    snprintf(h[nh].path, sizeof h[nh].path, " fonts=%.200s", c->fonts);
    memset(h[nh].sha, '0', 64);
    h[nh].sha[64] = 0;
    nh++;
    /* the data files that decide the audio bytes count too */
    for (int i = 0; i < 3; i++) {
        char p[1200];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", sf_dir, data[i]);
        if (stat(p, &st) < 0)
            continue;
        snprintf(h[nh].path, sizeof h[nh].path, "%s", data[i]);
        if (sha256_file(p, h[nh].sha, err, errlen) < 0)
            goto out;
        nh++;
    }
    /* fonts are large: their hashes are cached by file identity */
    for (int i = 0; i < nf; i++) {
        const mg_font_info *f = mg_pools_font(pools, i);
        if (!f->selected)
            continue;
        snprintf(h[nh].path, sizeof h[nh].path, "%s", f->path);
        if (mg_cal_hash_get(c->cache_dir, f->file, h[nh].sha) < 0) {
            if (sha256_file(f->file, h[nh].sha, err, errlen) < 0)
                goto out;
            mg_cal_hash_put(c->cache_dir, f->file, h[nh].sha);
        }
        nh++;
    }
    qsort(h, (size_t)nh, sizeof *h, cmp_hashed);
    ctx = EVP_MD_CTX_new();
    if (!ctx)
        goto out;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int i = 0; i < nh; i++) {
        EVP_DigestUpdate(ctx, h[i].path, strlen(h[i].path) + 1);
        EVP_DigestUpdate(ctx, h[i].sha, 64);
        EVP_DigestUpdate(ctx, "\n", 1);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    mg_hex_sha256(md, out);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    mg_pools_destroy(&pools);
    free(h);
    return rc;
}
