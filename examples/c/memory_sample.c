/*
 * memory_sample — one sample made in memory with libmusicgen, then saved
 * where a dataset would hold it, to show that the bytes are the files the
 * `musicgen` executable writes.
 *
 *   cc memory_sample.c $(pkg-config --cflags --libs musicgen) -o memory_sample
 *   ./memory_sample SEED INDEX OUTDIR [option=value ...]
 *
 * e.g. ./memory_sample 42 3 mem genre=jazz output-mode=full
 * writes OUTDIR/000003/ (sample.json, midi/<layer>.mid, stems/<layer>.wav,
 * mix.wav) and
 * prints the sample's split, score and the mix's frames.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <musicgen.h>

static int
save(const char *dir, const char *rel, const void *p, size_t n)
{
    char path[2048];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (!(f = fopen(path, "wb")) || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    char err[512], dir[1024], sub[1100];
    musicgen_config *cfg;
    musicgen_engine *eng;
    musicgen_sample *s;
    musicgen_pcm pcm;
    int rc = 1;

    if (argc < 4) {
        fprintf(stderr, "usage: %s SEED INDEX OUTDIR [option=value ...]\n",
                argv[0]);
        return 2;
    }
    cfg = musicgen_config_new();
    /* SEED and INDEX checked by the library's parser, as --seed and
     * --start ("x" was seed 0, "-1" index 2^64 - 1) */
    if (musicgen_config_set(cfg, "seed", argv[1]) < 0 ||
        musicgen_config_set(cfg, "start", argv[2]) < 0) {
        fprintf(stderr, "%s\n", musicgen_config_error(cfg));
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            fprintf(stderr, "%s: expected option=value\n", argv[i]);
            return 2;
        }
        *eq = 0;
        if (musicgen_config_set(cfg, argv[i], eq + 1) < 0) {
            fprintf(stderr, "%s\n", musicgen_config_error(cfg));
            return 2;
        }
    }
    eng = musicgen_engine_new(cfg, err, sizeof err);
    musicgen_config_destroy(&cfg);      /* the engine keeps its copy */
    if (!eng) {
        fprintf(stderr, "engine: %s\n", err);
        return 1;
    }
    if (musicgen_generate(eng, strtoll(argv[1], NULL, 10),
                          strtoull(argv[2], NULL, 10), &s) < 0) {
        fprintf(stderr, "generate: %s\n", musicgen_engine_error(eng));
        musicgen_engine_destroy(&eng);
        return 1;
    }
    if (musicgen_sample_status(s) != MUSICGEN_OK) {
        fprintf(stderr, "sample failed: %s\n", musicgen_sample_error(s));
        goto out;
    }
    snprintf(dir, sizeof dir, "%s/%s", argv[3], musicgen_sample_path(s));
    mkdir(argv[3], 0777);
    mkdir(dir, 0777);
    snprintf(sub, sizeof sub, "%s/midi", dir);
    mkdir(sub, 0777);
    {
        size_t n;
        const char *json = musicgen_sample_json(s, &n);
        if (save(dir, "sample.json", json, n) < 0)
            goto out;
    }
    for (int l = 0; l <= MUSICGEN_MIX; l++) {
        char rel[64];
        size_t n;
        const unsigned char *b;
        if (l < MUSICGEN_NLAYERS) {
            b = musicgen_sample_midi(s, (musicgen_track)l, &n);
            snprintf(rel, sizeof rel, "midi/%s.mid", musicgen_track_name(l));
            if (save(dir, rel, b, n) < 0)
                goto out;
        }
        if (!(b = musicgen_sample_wav(s, (musicgen_track)l, &n)))
            continue;           /* the output mode has no such file */
        if (l < MUSICGEN_NLAYERS) {
            snprintf(sub, sizeof sub, "%s/stems", dir);
            mkdir(sub, 0777);
            snprintf(rel, sizeof rel, "stems/%s.wav", musicgen_track_name(l));
        } else {
            snprintf(rel, sizeof rel, "mix.wav");
        }
        if (save(dir, rel, b, n) < 0)
            goto out;
    }
    printf("sample %" PRIu64 " split=%s musicality=%.4f duration=%.3f s",
           musicgen_sample_index(s), musicgen_sample_split(s),
           musicgen_sample_musicality(s), musicgen_sample_duration(s));
    if (musicgen_sample_pcm(s, MUSICGEN_MIX, &pcm) == 0)
        printf(" mix=%zu frames x %d ch at %d Hz", pcm.frames, pcm.channels,
               pcm.sample_rate);
    printf("\n");
    rc = 0;
out:
    musicgen_sample_destroy(&s);
    musicgen_engine_destroy(&eng);
    return rc;
}
