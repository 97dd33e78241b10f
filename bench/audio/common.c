/*
 * common — what bench_audio's legs share (ba.h): the clocks, RSS from
 * /proc, the pipe transfer, and a sample described from its sample.json
 * (length, parts, each stem's font as the engine loads it).
 */
#include "ba.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sfont.h"

double
ba_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) of this process: on a shared machine
 * wall clock includes waiting for a core; this does not (it also counts
 * the kernel's share of file writes). */
double
ba_cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

long
ba_vm_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);

    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':')
            v = atol(line + n + 1);
    fclose(f);
    return v;
}

int
ba_xfer(int fd, void *p, size_t n, int wr)
{
    char *b = p;

    while (n > 0) {
        ssize_t r = wr ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

int
ba_read_info(const char *root, const char *rel, const char *sf_dir,
             sample_info *si)
{
    char p[1400];
    json_error_t je;
    json_t *j;
    const char *fp;

    snprintf(si->dir, sizeof si->dir, "%.1000s/%.100s", root, rel);
    snprintf(p, sizeof p, "%.1200s/sample.json", si->dir);
    j = json_load_file(p, JSON_DECODE_INT_AS_REAL, &je);
    if (!j) {
        fprintf(stderr, "bench_audio: %s: %s\n", p, je.text);
        return -1;
    }
    /* reals: the seeds are unsigned 64-bit, beyond json_int_t */
    si->frames = (long)json_number_value(json_object_get(j, "audio_frames"));
    si->seconds = json_number_value(json_object_get(j, "duration_seconds"));
    si->us_per_quarter =
        (long)json_number_value(json_object_get(j, "us_per_quarter"));
    {
        json_t *arr = json_object_get(j, "song_arrangement"), *pj;
        size_t k;
        si->nparts = 0;
        json_array_foreach(arr, k, pj) {
            part_info *pi = &si->part[si->nparts];
            json_t *al = json_object_get(pj, "active_layers"), *lj;
            const char *ts =
                json_string_value(json_object_get(pj, "time_signature"));
            size_t m;
            if (si->nparts == MG_MAX_PARTS)
                break;
            memset(pi, 0, sizeof *pi);
            pi->start =
                json_number_value(json_object_get(pj, "start_seconds"));
            pi->end = json_number_value(json_object_get(pj, "end_seconds"));
            json_array_foreach(al, m, lj) {
                int l = mg_layer_from_name(json_string_value(lj));
                if (l >= 0)
                    pi->active[l] = true;
            }
            if (!ts || sscanf(ts, "%d/%d", &pi->ts_num, &pi->ts_den) != 2) {
                pi->ts_num = 4;
                pi->ts_den = 4;
            }
            si->nparts++;
        }
    }
    /* whether the engine's stem sounds (a measured loudness) */
    for (int l = 0; l < MG_NLAYERS; l++)
        si->audible[l] = json_is_number(json_object_get(
            json_object_get(json_object_get(json_object_get(j, "mixing"),
                                            "stem_loudness"),
                            mg_layer_name((mg_layer)l)),
            "measured_lufs"));
    /* each stem's font, as the engine loads it (an SF3 by its expansion) */
    for (int l = 0; l < MG_NLAYERS; l++) {
        const char *lp = json_string_value(json_object_get(
            json_object_get(json_object_get(j, "soundfonts"),
                            mg_layer_name((mg_layer)l)), "path"));
        char full[1100], e[512];
        mg_sf_preset *pr;
        int np, ver = 2;
        if (!lp)
            lp = "";
        if (lp[0] == '/')
            snprintf(full, sizeof full, "%.1000s", lp);
        else
            snprintf(full, sizeof full, "%.500s/%.500s", sf_dir, lp);
        snprintf(si->lfont[l], sizeof si->lfont[l], "%s", full);
        if (mg_sfont_presets(full, &pr, &np, &ver, e, sizeof e) == 0) {
            free(pr);
            if (ver >= 3 && mg_sfont_expand(full, si->lfont[l],
                                            sizeof si->lfont[l], e,
                                            sizeof e) < 0)
                snprintf(si->lfont[l], sizeof si->lfont[l], "%s", full);
        }
    }
    fp = json_string_value(json_object_get(
        json_object_get(json_object_get(j, "soundfonts"), "beat"), "path"));
    if (!fp)
        fp = "";
    if (fp[0] == '/')
        snprintf(si->font, sizeof si->font, "%.1000s", fp);
    else
        snprintf(si->font, sizeof si->font, "%.500s/%.500s", sf_dir, fp);
    json_decref(j);
    return si->frames > 0 ? 0 : -1;
}
