/*
 * dsscore — post-hoc layer-2 (audio) scoring of a dataset: `musicgen
 * score`. For every complete sample with a mix and no "audio_score" (or
 * every one with force): check the mix against its recorded SHA-256, score
 * it (common/audio/ascore, tempo range of the sample's genres), set
 * "audio_score", "musicality.combination" and "musicality_score" (0.5 x
 * symbolic + 0.5 x audio, the engine's rule) and replace sample.json
 * atomically. In the same pass, in index order, a new manifest.jsonl is
 * written whose rows carry each sample's musicality_score; it replaces the
 * old one at the end.
 *
 * Invariants: at every moment each sample.json is whole (old or new) and
 * the files its checksums name are untouched; manifest.jsonl is whole
 * (old or new). A killed run is finished by running it again: samples
 * already scored are skipped, and the manifest is rewritten from the
 * sample.json files, whatever the last run managed.
 */
#ifndef MG_DSSCORE_H
#define MG_DSSCORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "dsread.h"

typedef struct {
    uint64_t samples;  /* complete samples seen */
    uint64_t scored;   /* sample.json rewritten */
    uint64_t already;  /* had an audio score (without force) */
    uint64_t no_audio; /* no mix (midi-only, stems-only) */
    uint64_t problems; /* samples left alone because of a fault */
    uint64_t rows;     /* manifest rows written */
    uint64_t dropped_rows; /* manifest lines that were no row: left out */
} mg_dsscore_totals;

/* Score the tree at root. log gets one line per sample scored and per
 * problem, in index order. genres_dir: where the genres named in
 * sample.json live (their tempo ranges). jobs: threads reading and
 * analysing samples ahead (dsfetch.h: 0 one per core, 1 none; the result
 * is the same). ROOT's run lock (runlock.h) is held throughout: refused,
 * -1 naming the holder, while a run or a filter/clean/merge writes the
 * tree. Returns 0 when the pass ran (t->problems counts samples
 * that could not be scored), -1 with err when it could not. The test hook
 * MUSICGEN_TEST_KILL_AFTER=K makes the process SIGKILL itself right after
 * its K-th sample.json replacement. */
int mg_dsscore_run(const char *root, bool force, const char *genres_dir,
                   int jobs, const mg_dsprogress *progress, FILE *log,
                   mg_dsscore_totals *t, char *err, size_t errlen);

/* Tempo ranges of the genre lists named in sample.json files ("genres"),
 * resolved once per distinct list: zero-initialise with genres_dir set.
 * A list this machine cannot resolve gets 0, 0 (the analyser's default
 * range). */
#define MG_DS_TEMPO_RANGES 32
typedef struct {
    const char *genres_dir;
    struct {
        char key[256];
        double lo, hi;
    } r[MG_DS_TEMPO_RANGES];
    int n;
} mg_ds_tempo;
void mg_ds_tempo_range(mg_ds_tempo *t, const json_t *genres, double *lo,
                       double *hi);

/* The test hook shared by score and filter: counts steps, and after the
 * K-th (MUSICGEN_TEST_KILL_AFTER=K) kills the process with SIGKILL. */
void mg_ds_test_step(void);

#endif
