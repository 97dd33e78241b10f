/*
 * sfont — soundfont files read without a synthesizer: the preset table,
 * and SF3 -> SF2 expansion into the cache (see sfont.h).
 *
 * RIFF layout (SoundFont 2.04): RIFF 'sfbk' { LIST 'INFO' { ifil ... },
 * LIST 'sdta' { smpl [sm24] }, LIST 'pdta' { phdr pbag pmod pgen inst
 * ibag imod igen shdr } }. A phdr record is 38 bytes (name[20], preset,
 * bank, bag index, three dwords), the last one the terminal "EOP"; a shdr
 * record 46 bytes (name[20], start, end, loop start, loop end, rate,
 * pitch, correction, link, type). In an SF3 file a sample whose type has
 * bit 0x10 is an Ogg Vorbis stream at byte offsets [start, end) of smpl
 * and its loop points count frames from the sample's own start; the
 * expansion decodes it with libsndfile (as FluidSynth does when it loads
 * the SF3 itself, so both give the same 16-bit frames) and writes
 * absolute frame offsets, each sample followed by 46 zero frames as the
 * specification asks.
 */
#include "bytes.h"
#include "sfont.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "rfile.h"

#define SF_OGG 0x10

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Where the parts of the file are: offsets and sizes of the data of the
 * INFO list, of smpl, and of pdta. */
typedef struct {
    long info_off, info_len;
    long smpl_off, smpl_len;
    long pdta_off, pdta_len;
    int version;
} layout;

static int
scan(FILE *fp, const char *what, layout *L, char *err, size_t errlen)
{
    unsigned char h[12];
    long fsize, pos, end;

    memset(L, 0, sizeof *L);
    if (fseek(fp, 0, SEEK_END) < 0 || (fsize = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) < 0)
        return mg_errf(err, errlen, "soundfont %s: cannot seek", what);
    if (fread(h, 1, 12, fp) != 12 || memcmp(h, "RIFF", 4) ||
        memcmp(h + 8, "sfbk", 4))
        return mg_errf(err, errlen, "soundfont %s: not a SoundFont file",
                       what);
    end = 8 + (long)mg_le32(h + 4);
    if (end > fsize)
        end = fsize;
    for (pos = 12; pos + 12 <= end;) {
        long len;
        if (fseek(fp, pos, SEEK_SET) < 0 || fread(h, 1, 12, fp) != 12)
            break;
        len = (long)mg_le32(h + 4);
        if (len < 4 || pos + 8 + len > end)
            return mg_errf(err, errlen, "soundfont %s: chunk at byte %ld "
                           "runs past the file", what, pos);
        if (!memcmp(h, "LIST", 4)) {
            long d = pos + 12, dl = len - 4;
            if (!memcmp(h + 8, "INFO", 4)) {
                L->info_off = d;
                L->info_len = dl;
            } else if (!memcmp(h + 8, "pdta", 4)) {
                L->pdta_off = d;
                L->pdta_len = dl;
            } else if (!memcmp(h + 8, "sdta", 4)) {
                long q = d;
                while (q + 8 <= d + dl) {
                    unsigned char c[8];
                    long cl;
                    if (fseek(fp, q, SEEK_SET) < 0 || fread(c, 1, 8, fp) != 8)
                        break;
                    cl = (long)mg_le32(c + 4);
                    if (cl < 0 || q + 8 + cl > d + dl)
                        return mg_errf(err, errlen, "soundfont %s: sample "
                                       "chunk runs past the file", what);
                    if (!memcmp(c, "smpl", 4)) {
                        L->smpl_off = q + 8;
                        L->smpl_len = cl;
                    }
                    q += 8 + cl + (cl & 1);
                }
            }
        }
        /* RIFF pads odd chunks to even, but some SF3 writers do not: take
         * the unpadded position when a LIST starts there */
        pos += 8 + len;
        if (len & 1) {
            unsigned char id[4];
            if (fseek(fp, pos, SEEK_SET) < 0 || fread(id, 1, 4, fp) != 4 ||
                memcmp(id, "LIST", 4))
                pos++;
        }
    }
    if (!L->pdta_off)
        return mg_errf(err, errlen, "soundfont %s: no preset data (pdta)",
                       what);
    L->version = 2;
    if (L->info_off) {
        long q = L->info_off;
        while (q + 8 <= L->info_off + L->info_len) {
            unsigned char c[12];
            long cl;
            if (fseek(fp, q, SEEK_SET) < 0 || fread(c, 1, 8, fp) != 8)
                break;
            cl = (long)mg_le32(c + 4);
            if (cl < 0 || q + 8 + cl > L->info_off + L->info_len)
                break;
            if (!memcmp(c, "ifil", 4) && cl >= 4 &&
                fread(c + 8, 1, 4, fp) == 4)
                L->version = mg_le16(c + 8);
            q += 8 + cl + (cl & 1);
        }
    }
    return 0;
}

/* The data of pdta sub-chunk id (malloc'ed) and its length. */
static unsigned char *
read_sub(FILE *fp, const layout *L, const char *id, long *len)
{
    long q = L->pdta_off;
    while (q + 8 <= L->pdta_off + L->pdta_len) {
        unsigned char c[8];
        long cl;
        if (fseek(fp, q, SEEK_SET) < 0 || fread(c, 1, 8, fp) != 8)
            return NULL;
        cl = (long)mg_le32(c + 4);
        if (cl < 0 || q + 8 + cl > L->pdta_off + L->pdta_len)
            return NULL;
        if (!memcmp(c, id, 4)) {
            unsigned char *b = malloc(cl ? (size_t)cl : 1);
            if (b && cl && fread(b, 1, (size_t)cl, fp) != (size_t)cl) {
                free(b);
                return NULL;
            }
            *len = cl;
            return b;
        }
        q += 8 + cl + (cl & 1);
    }
    return NULL;
}

static int
cmp_preset(const void *x, const void *y)
{
    const mg_sf_preset *a = x, *b = y;
    if (a->bank != b->bank)
        return a->bank < b->bank ? -1 : 1;
    if (a->program != b->program)
        return a->program < b->program ? -1 : 1;
    return strcmp(a->name, b->name);
}

int
mg_sfont_read_presets(FILE *fp, const char *what, mg_sf_preset **presets,
                      int *n, int *version, char *err, size_t errlen)
{
    layout L;
    unsigned char *ph;
    long len = 0, nrec;
    mg_sf_preset *v;
    int k = 0;

    *presets = NULL;
    *n = 0;
    if (scan(fp, what, &L, err, errlen) < 0)
        return -1;
    ph = read_sub(fp, &L, "phdr", &len);
    if (!ph || len % 38 || len < 2 * 38) {
        free(ph);
        return mg_errf(err, errlen, "soundfont %s: no valid preset headers "
                       "(phdr)", what);
    }
    nrec = len / 38 - 1;    /* the last record is the terminal one */
    v = calloc((size_t)nrec, sizeof *v);
    if (!v) {
        free(ph);
        return mg_errf(err, errlen, "soundfont %s: out of memory", what);
    }
    for (long i = 0; i < nrec; i++) {
        const unsigned char *r = ph + 38 * i;
        int prog = mg_le16(r + 20), bank = mg_le16(r + 22);
        if (prog > 127 || bank > 128)
            continue;       /* not reachable by MIDI bank/program */
        memcpy(v[k].name, r, 20);
        v[k].name[20] = 0;
        for (int c = 0; v[k].name[c]; c++)
            if ((unsigned char)v[k].name[c] < 0x20 ||
                (unsigned char)v[k].name[c] > 0x7e)
                v[k].name[c] = '?';
        /* trailing blanks are padding */
        for (int c = (int)strlen(v[k].name) - 1; c >= 0 &&
             v[k].name[c] == ' '; c--)
            v[k].name[c] = 0;
        v[k].bank = bank;
        v[k].program = prog;
        k++;
    }
    free(ph);
    qsort(v, (size_t)k, sizeof *v, cmp_preset);
    *presets = v;
    *n = k;
    if (version)
        *version = L.version;
    return 0;
}

int
mg_sfont_presets(const char *path, mg_sf_preset **presets, int *n,
                 int *version, char *err, size_t errlen)
{
    FILE *fp;
    char msg[1200];
    int rc;

    /* a regular file only: a FIFO or device named as a font must not
     * hang or spin the reader */
    if (mg_rfile_open(path, 0, &fp, msg, sizeof msg) < 0)
        return mg_errf(err, errlen, "soundfont %s", msg);
    rc = mg_sfont_read_presets(fp, path, presets, n, version, err, errlen);
    fclose(fp);
    return rc;
}

/* ---- SF3 expansion -------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    sf_count_t n, pos;
} membuf;

static sf_count_t
m_len(void *u)
{
    return ((membuf *)u)->n;
}

static sf_count_t
m_seek(sf_count_t off, int whence, void *u)
{
    membuf *m = u;
    sf_count_t to = whence == SEEK_SET ? off
                  : whence == SEEK_CUR ? m->pos + off : m->n + off;
    if (to < 0 || to > m->n)
        return -1;
    m->pos = to;
    return to;
}

static sf_count_t
m_read(void *ptr, sf_count_t count, void *u)
{
    membuf *m = u;
    if (count > m->n - m->pos)
        count = m->n - m->pos;
    memcpy(ptr, m->p + m->pos, (size_t)count);
    m->pos += count;
    return count;
}

static sf_count_t
m_write(const void *ptr, sf_count_t count, void *u)
{
    (void)ptr;
    (void)count;
    (void)u;
    return 0;
}

static sf_count_t
m_tell(void *u)
{
    return ((membuf *)u)->pos;
}

/* Decode one Ogg Vorbis stream to 16-bit mono frames (malloc'ed). */
static short *
decode(const unsigned char *p, size_t n, sf_count_t *frames)
{
    SF_VIRTUAL_IO io = {m_len, m_seek, m_read, m_write, m_tell};
    membuf m = {p, (sf_count_t)n, 0};
    SF_INFO info;
    SNDFILE *sf;
    short *out;

    memset(&info, 0, sizeof info);
    sf = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (!sf)
        return NULL;
    if (info.channels != 1 || info.frames <= 0 || info.frames > (1 << 28)) {
        sf_close(sf);
        return NULL;
    }
    out = malloc(sizeof *out * (size_t)info.frames);
    if (out)
        *frames = sf_readf_short(sf, out, info.frames);
    sf_close(sf);
    if (out && *frames <= 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* $MUSICGEN_SF2_CACHE, else $XDG_CACHE_HOME/musicgen/sf2, else
 * ~/.cache/musicgen/sf2 (made if missing). The expansion is a pure
 * function of the SF3 file, so one directory may serve many users, runs
 * and test sandboxes. */
int
mg_sfont_cache_dir(char *buf, size_t n)
{
    const char *e = getenv("MUSICGEN_SF2_CACHE");
    const char *x = getenv("XDG_CACHE_HOME");
    const char *h = getenv("HOME");
    char p[900];

    if (e && *e) {
        snprintf(buf, n, "%s", e);
    } else {
        if (x && *x) {
            mkdir(x, 0755);
            snprintf(p, sizeof p, "%.880s/musicgen", x);
        } else {
            char hc[900];
            snprintf(hc, sizeof hc, "%.880s/.cache", h && *h ? h : "/tmp");
            mkdir(hc, 0755);
            snprintf(p, sizeof p, "%.870s/.cache/musicgen",
                     h && *h ? h : "/tmp");
        }
        mkdir(p, 0755);
        snprintf(buf, n, "%s/sf2", p);
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static int
wr(FILE *o, const void *p, size_t n)
{
    return fwrite(p, 1, n, o) == n ? 0 : -1;
}

static int
wr_hdr(FILE *o, const char *id, uint32_t len)
{
    unsigned char h[8];
    memcpy(h, id, 4);
    put32(h + 4, len);
    return wr(o, h, 8);
}

int
mg_sfont_expand(const char *path, char *out, size_t outlen, char *err,
                size_t errlen)
{
    struct stat st;
    char dir[1024], tmp[1200];
    const char *base = strrchr(path, '/');
    FILE *fp = NULL, *o = NULL;
    layout L;
    unsigned char *smpl = NULL, *info = NULL, *pd = NULL, *shdr = NULL;
    short **data = NULL;
    sf_count_t *nfr = NULL;
    long nsh = 0, shlen = 0;
    int rc = -1;

    base = base ? base + 1 : path;
    if (stat(path, &st) < 0)
        return mg_errf(err, errlen, "soundfont %s: %s", path,
                       strerror(errno));
    if (mg_sfont_cache_dir(dir, sizeof dir) < 0)
        return mg_errf(err, errlen, "soundfont %s: cannot make the cache "
                       "directory %s: %s", path, dir, strerror(errno));
    snprintf(out, outlen, "%s/%.200s-%lld-%lld.sf2", dir, base,
             (long long)st.st_size, (long long)st.st_mtime);
    if (access(out, R_OK) == 0)
        return 0;

    fp = fopen(path, "rb");
    if (!fp)
        return mg_errf(err, errlen, "soundfont %s: %s", path,
                       strerror(errno));
    if (scan(fp, path, &L, err, errlen) < 0)
        goto out;
    if (!L.smpl_off || !L.info_off) {
        mg_errf(err, errlen, "soundfont %s: no sample data", path);
        goto out;
    }
    smpl = malloc((size_t)L.smpl_len + 1);
    info = malloc((size_t)L.info_len + 1);
    pd = malloc((size_t)L.pdta_len + 1);
    if (!smpl || !info || !pd) {
        mg_errf(err, errlen, "soundfont %s: out of memory", path);
        goto out;
    }
    if (fseek(fp, L.smpl_off, SEEK_SET) < 0 ||
        fread(smpl, 1, (size_t)L.smpl_len, fp) != (size_t)L.smpl_len ||
        fseek(fp, L.info_off, SEEK_SET) < 0 ||
        fread(info, 1, (size_t)L.info_len, fp) != (size_t)L.info_len ||
        fseek(fp, L.pdta_off, SEEK_SET) < 0 ||
        fread(pd, 1, (size_t)L.pdta_len, fp) != (size_t)L.pdta_len) {
        mg_errf(err, errlen, "soundfont %s: short read", path);
        goto out;
    }
    shdr = read_sub(fp, &L, "shdr", &shlen);
    if (!shdr || shlen % 46 || shlen < 46) {
        mg_errf(err, errlen, "soundfont %s: no valid sample headers", path);
        goto out;
    }
    nsh = shlen / 46 - 1;
    data = calloc((size_t)nsh + 1, sizeof *data);
    nfr = calloc((size_t)nsh + 1, sizeof *nfr);
    if (!data || !nfr) {
        mg_errf(err, errlen, "soundfont %s: out of memory", path);
        goto out;
    }
    /* decode every sample and rewrite its header */
    {
        uint32_t pos = 0;
        for (long i = 0; i < nsh; i++) {
            unsigned char *r = shdr + 46 * i;
            uint32_t s = mg_le32(r + 20), e = mg_le32(r + 24);
            uint32_t ls = mg_le32(r + 28), le = mg_le32(r + 32);
            uint16_t type = mg_le16(r + 44);
            if (type & 0x8000) {        /* ROM sample: nothing to decode */
                nfr[i] = 0;
            } else if (type & SF_OGG) {
                if (e < s || e > (uint32_t)L.smpl_len) {
                    mg_errf(err, errlen, "soundfont %s: sample %ld lies "
                            "outside the sample data", path, i);
                    goto out;
                }
                data[i] = decode(smpl + s, e - s, &nfr[i]);
                if (!data[i]) {
                    mg_errf(err, errlen, "soundfont %s: sample %ld: cannot "
                            "decode its Ogg Vorbis data", path, i);
                    goto out;
                }
                type &= (uint16_t)~SF_OGG;
            } else {
                if (e < s || (uint64_t)e * 2 > (uint64_t)L.smpl_len) {
                    mg_errf(err, errlen, "soundfont %s: sample %ld lies "
                            "outside the sample data", path, i);
                    goto out;
                }
                nfr[i] = e - s;
                data[i] = malloc(sizeof(short) * (nfr[i] ? nfr[i] : 1));
                if (!data[i]) {
                    mg_errf(err, errlen, "soundfont %s: out of memory", path);
                    goto out;
                }
                for (sf_count_t k = 0; k < nfr[i]; k++)
                    data[i][k] = (short)mg_le16(smpl + 2 * (s + k));
                ls -= s;
                le -= s;
            }
            put32(r + 20, pos);
            put32(r + 24, pos + (uint32_t)nfr[i]);
            put32(r + 28, pos + ls);
            put32(r + 32, pos + le);
            r[44] = (unsigned char)type;
            r[45] = (unsigned char)(type >> 8);
            pos += (uint32_t)nfr[i] + 46;
        }
    }
    /* write: RIFF sfbk { INFO (ifil 2.1), sdta { smpl }, pdta } */
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    o = fopen(tmp, "wb");
    if (!o) {
        mg_errf(err, errlen, "soundfont %s: cannot write %s: %s", path, tmp,
                strerror(errno));
        goto out;
    }
    {
        uint64_t sbytes = 0;
        uint32_t total;
        for (long i = 0; i < nsh; i++)
            sbytes += 2 * ((uint64_t)nfr[i] + 46);
        if (sbytes > 0xF0000000u) {
            mg_errf(err, errlen, "soundfont %s: too large to expand", path);
            goto out;
        }
        total = 4 + (12 + (uint32_t)L.info_len) + (12 + 8 + (uint32_t)sbytes) +
                (12 + (uint32_t)L.pdta_len);
        /* patch ifil in the INFO copy */
        for (long q = 0; q + 8 <= L.info_len;) {
            long cl = (long)mg_le32(info + q + 4);
            if (cl < 0 || q + 8 + cl > L.info_len)
                break;
            if (!memcmp(info + q, "ifil", 4) && cl >= 4) {
                info[q + 8] = 2;
                info[q + 9] = 0;
                info[q + 10] = 1;
                info[q + 11] = 0;
            }
            q += 8 + cl + (cl & 1);
        }
        /* the new shdr goes into the pdta copy in place (same size) */
        for (long q = 0; q + 8 <= L.pdta_len;) {
            long cl = (long)mg_le32(pd + q + 4);
            if (cl < 0 || q + 8 + cl > L.pdta_len)
                break;
            if (!memcmp(pd + q, "shdr", 4) && cl == shlen)
                memcpy(pd + q + 8, shdr, (size_t)shlen);
            q += 8 + cl + (cl & 1);
        }
        if (wr_hdr(o, "RIFF", total) || wr(o, "sfbk", 4) ||
            wr_hdr(o, "LIST", 4 + (uint32_t)L.info_len) || wr(o, "INFO", 4) ||
            wr(o, info, (size_t)L.info_len) ||
            wr_hdr(o, "LIST", 4 + 8 + (uint32_t)sbytes) || wr(o, "sdta", 4) ||
            wr_hdr(o, "smpl", (uint32_t)sbytes))
            goto werr;
        for (long i = 0; i < nsh; i++) {
            static const short zero[46];
            if (nfr[i] && wr(o, data[i], sizeof(short) * (size_t)nfr[i]))
                goto werr;
            if (wr(o, zero, sizeof zero))
                goto werr;
        }
        if (wr_hdr(o, "LIST", 4 + (uint32_t)L.pdta_len) || wr(o, "pdta", 4) ||
            wr(o, pd, (size_t)L.pdta_len))
            goto werr;
    }
    if (fflush(o) || fsync(fileno(o)) || fclose(o)) {
        o = NULL;
        goto werr;
    }
    o = NULL;
    if (rename(tmp, out) < 0)
        goto werr;
    rc = 0;
    goto out;
werr:
    mg_errf(err, errlen, "soundfont %s: cannot write %s: %s", path, tmp,
            strerror(errno ? errno : EIO));
    unlink(tmp);
out:
    if (o) {
        fclose(o);
        unlink(tmp);
    }
    if (fp)
        fclose(fp);
    if (data)
        for (long i = 0; i < nsh; i++)
            free(data[i]);
    free(data);
    free(nfr);
    free(smpl);
    free(info);
    free(pd);
    free(shdr);
    return rc;
}
