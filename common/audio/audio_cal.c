/*
 * audio_cal — pre-roll measurement and its per-machine cache.
 *
 * Probe notes: a piano note (bank 0, program 0, key 60) and a snare and a
 * kick from the drum kit (bank 128, program 0, keys 38 and 36), each the
 * first event of a freshly reset synth, rendered without reverb or chorus.
 * The onset of a probe is the first frame whose |sample| reaches
 * MG_CAL_THRESHOLD of the probe's peak; the pre-roll is the median onset
 * (the lower one when the count is even). Fonts without these presets use
 * their first preset at key 60.
 */
#include "audio_cal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>


static int
probe(fluid_synth_t *synth, int sfid, int chan, int bank, int prog, int key,
      int rate, int *onset)
{
    size_t n = (size_t)((rate / 2 + 63) / 64 * 64);
    float *l = calloc(n, sizeof *l), *r = calloc(n, sizeof *r);
    double peak = 0;
    int rc = -1;

    if (!l || !r)
        goto out;
    fluid_synth_system_reset(synth);
    fluid_synth_reverb_on(synth, -1, 0);
    fluid_synth_chorus_on(synth, -1, 0);
    if (fluid_synth_program_select(synth, chan, sfid, bank, prog) !=
        FLUID_OK)
        goto out;
    fluid_synth_cc(synth, chan, 91, 0);
    fluid_synth_cc(synth, chan, 93, 0);
    fluid_synth_noteon(synth, chan, key, 100);
    for (size_t i = 0; i < n; i += 64)
        fluid_synth_write_float(synth, 64, l, (int)i, 1, r, (int)i, 1);
    for (size_t i = 0; i < n; i++) {
        double a = fabs(l[i]) > fabs(r[i]) ? fabs(l[i]) : fabs(r[i]);
        if (a > peak)
            peak = a;
    }
    if (peak <= 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (fabs(l[i]) >= MG_CAL_THRESHOLD * peak ||
            fabs(r[i]) >= MG_CAL_THRESHOLD * peak) {
            *onset = (int)i;
            rc = 0;
            break;
        }
    }
out:
    fluid_synth_system_reset(synth);
    free(l);
    free(r);
    return rc;
}

static int
cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int
mg_cal_measure(fluid_synth_t *synth, int sfid, int rate, int *frames,
               char *err, size_t errlen)
{
    static const int probes[3][4] = {
        {0, 0, 0, 60}, {9, 128, 0, 38}, {9, 128, 0, 36}
    };
    fluid_sfont_t *sf = fluid_synth_get_sfont_by_id(synth, sfid);
    int on[3], n = 0;

    if (!sf) {
        snprintf(err, errlen, "pre-roll: soundfont id %d not loaded",
                 sfid);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (!fluid_sfont_get_preset(sf, probes[i][1], probes[i][2]))
            continue;
        if (probe(synth, sfid, probes[i][0], probes[i][1], probes[i][2],
                  probes[i][3], rate, &on[n]) == 0)
            n++;
    }
    if (n == 0) {
        fluid_preset_t *p;
        fluid_sfont_iteration_start(sf);
        p = fluid_sfont_iteration_next(sf);
        if (p && probe(synth, sfid, 0, fluid_preset_get_banknum(p),
                       fluid_preset_get_num(p), 60, rate, &on[0]) == 0)
            n = 1;
    }
    if (n == 0) {
        snprintf(err, errlen, "pre-roll: soundfont %s: no probe note "
                 "sounded", fluid_sfont_get_name(sf));
        return -1;
    }
    qsort(on, (size_t)n, sizeof on[0], cmp_int);
    *frames = on[(n - 1) / 2];
    return 0;
}

int
mg_cal_key(const char *font_path, int rate, char *key, size_t n)
{
    struct stat st;
    char host[256] = "";

    if (stat(font_path, &st) < 0)
        return -1;
    if (gethostname(host, sizeof host - 1) < 0)
        strcpy(host, "unknown");
    snprintf(key, n, "%s fluidsynth-%s rate=%d %s size=%lld mtime=%lld",
             host, fluid_version_str(), rate, font_path,
             (long long)st.st_size, (long long)st.st_mtime);
    return 0;
}

void
mg_cal_default_cache_dir(char *buf, size_t n)
{
    const char *x = getenv("XDG_CACHE_HOME");
    const char *h = getenv("HOME");

    if (x && *x)
        snprintf(buf, n, "%s/musicgen", x);
    else
        snprintf(buf, n, "%s/.cache/musicgen", h && *h ? h : "/tmp");
}

int
mg_cal_cache_path(const char *cache_dir, char *buf, size_t n)
{
    if (!cache_dir || !*cache_dir) {
        if (n) *buf = 0;
        return -1;
    }
    snprintf(buf, n, "%s/calibration.json", cache_dir);
    return 0;
}

/* The value of key in table, or NULL (a new reference). */
static json_t *
cache_get(const char *cache_dir, const char *table, const char *key)
{
    char path[1024];
    json_t *root, *v;

    if (mg_cal_cache_path(cache_dir, path, sizeof path) < 0)
        return NULL;
    root = json_load_file(path, 0, NULL);
    if (!root)
        return NULL;
    v = json_incref(json_object_get(json_object_get(root, table), key));
    json_decref(root);
    return v;
}

int
mg_cal_cache_get(const char *cache_dir, const char *key, int *frames)
{
    json_t *v = cache_get(cache_dir, "preroll_frames", key);
    int rc = -1;

    if (json_is_integer(v) && json_integer_value(v) >= 0 &&
        json_integer_value(v) < 1000000) {
        *frames = (int)json_integer_value(v);
        rc = 0;
    }
    json_decref(v);
    return rc;
}

static int
mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
            *p = '/';
            return -1;
        }
        *p = '/';
    }
    return 0;
}

static int cache_put(const char *cache_dir, const char *table,
                     const char *key, json_t *val, char *err, size_t errlen);

int
mg_cal_cache_put(const char *cache_dir, const char *key, int frames,
                 char *err, size_t errlen)
{
    return cache_put(cache_dir, "preroll_frames", key, json_integer(frames),
                     err, errlen);
}

/* Identity of a file's bytes without reading them: path, device, inode,
 * size and mtime to the nanosecond (a rewritten font changes at least
 * the mtime). */
static int
hash_key(const char *file, char *key, size_t n)
{
    struct stat st;

    if (stat(file, &st) < 0)
        return -1;
    snprintf(key, n, "%s dev=%llu ino=%llu size=%lld mtime=%lld.%09ld",
             file, (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    return 0;
}

int
mg_cal_hash_get(const char *cache_dir, const char *file, char hex[65])
{
    char key[1400];
    json_t *v;
    const char *h;
    int rc = -1;

    if (hash_key(file, key, sizeof key) < 0)
        return -1;
    v = cache_get(cache_dir, "sha256", key);
    h = json_string_value(v);
    if (h && strlen(h) == 64 && strspn(h, "0123456789abcdef") == 64) {
        memcpy(hex, h, 65);
        rc = 0;
    }
    json_decref(v);
    return rc;
}

void
mg_cal_hash_put(const char *cache_dir, const char *file, const char *hex)
{
    char key[1400], err[256];

    if (cache_dir && *cache_dir && hash_key(file, key, sizeof key) == 0)
        (void)cache_put(cache_dir, "sha256", key, json_string(hex), err,
                        sizeof err);
}

static int
cache_put(const char *cache_dir, const char *table, const char *key,
          json_t *val, char *err, size_t errlen)
{
    char path[1024], tmp[1100];
    json_t *root, *tab;
    int rc = -1;

    if (mg_cal_cache_path(cache_dir, path, sizeof path) < 0) {
        json_decref(val);
        snprintf(err, errlen, "no cache directory (cache-dir) configured");
        return -1;
    }
    if (mkdirs(path) < 0) {
        snprintf(err, errlen, "calibration cache %s: %s", path,
                 strerror(errno));
        return -1;
    }
    root = json_load_file(path, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        root = json_object();
    }
    tab = json_object_get(root, table);
    if (!json_is_object(tab)) {
        tab = json_object();
        json_object_set_new(root, table, tab);
    }
    json_object_set_new(tab, key, val);
    /* per thread: engines in several threads may write it at once */
    snprintf(tmp, sizeof tmp, "%s.%ld.%ld.tmp", path, (long)getpid(),
             (long)gettid());
    if (json_dump_file(root, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ||
        rename(tmp, path) < 0) {
        snprintf(err, errlen, "calibration cache %s: %s", path,
                 strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
