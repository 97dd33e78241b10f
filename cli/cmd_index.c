/*
 * index — `musicgen index-midi` and `musicgen index-audio`: a database of
 * a dataset's MIDI files, or of its WAV stems and mixes, with each file's
 * ground truth, as JSON Lines (--out) and/or CSV (--csv), for jq, DuckDB
 * or a spreadsheet (common/dataset/dsindex.h; schema: docs/index.md).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dsargs.h"
#include "dsindex.h"
#include "progress.h"

static const char usage_fmt[] =
    "usage: musicgen %s [--dataset] ROOT --out|-o DB.json [--csv FILE]\n"
    "       [--jobs J] [-q] [--progress]\n"
    "Writes one record per %s\n"
    "of the dataset at ROOT (flat or sharded), in index order, with its\n"
    "sample's ground truth from sample.json. Columns:\n"
    "  %s\n"
    "--out: JSON Lines (one object a line: jq and DuckDB's read_json read\n"
    "it as it is); --csv: the same columns as CSV with a header (either or\n"
    "both; - is standard output). Failed, half-written and unreadable samples and missing files\n"
    "are left out and counted on the summary line. --jobs J: threads\n"
    "reading sample.json ahead (1..64, 1: none; default one per core, at\n"
    "most 8; the output is the same). --progress: a progress line on\n"
    "stderr even when it is not a terminal (every 10 s; on a terminal it\n"
    "is shown anyway unless -q). Schema and example queries:\n"
    "docs/index.md.\n";

static int
index_cmd(mg_dsindex_kind kind, int argc, char **argv)
{
    const char *cmd = kind == MG_DSINDEX_MIDI ? "index-midi" : "index-audio";
    const char *root = NULL, *out = NULL, *csv = NULL;
    bool quiet = false, progress = false;
    mg_cliprog prog;
    long jobs = 0;
    char err[1200], cols[1200] = "";
    for (const char *const *c = mg_dsindex_columns(kind); *c; c++) {
        if (*cols) strncat(cols, ", ", sizeof cols - strlen(cols) - 1);
        strncat(cols, *c, sizeof cols - strlen(cols) - 1);
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf(usage_fmt, cmd,
                   kind == MG_DSINDEX_MIDI ? "MIDI file (one per layer)"
                                           : "WAV file (each stem, the mix)",
                   cols);
            return 0;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = true;
        } else if (!strcmp(argv[i], "--progress")) {
            progress = true;
        } else if (!strcmp(argv[i], "--jobs") || !strcmp(argv[i], "-j")) {
            if (mg_dsargs_jobs(cmd, i + 1 < argc ? argv[i + 1] : NULL, &jobs))
                return 2;
            i++;
        } else if (!strcmp(argv[i], "--dataset") || !strcmp(argv[i], "--out") ||
                   !strcmp(argv[i], "-o") || !strcmp(argv[i], "--csv")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "musicgen %s: %s needs a value\n", cmd,
                        argv[i]);
                return 2;
            }
            const char **dst = !strcmp(argv[i], "--dataset") ? &root
                               : strcmp(argv[i], "--csv") ? &out : &csv;
            *dst = argv[++i];
        } else if (argv[i][0] != '-' && !root) {
            root = argv[i]; /* ROOT as the other dataset commands take it */
        } else {
            fprintf(stderr, "musicgen %s: unknown %s '%s' (try --help)\n", cmd,
                    argv[i][0] == '-' ? "option" : "argument", argv[i]);
            return 2;
        }
    }
    if (!root || (!out && !csv)) {
        fprintf(stderr, "musicgen %s: need --dataset ROOT and --out FILE "
                "(or --csv FILE) (try --help)\n", cmd);
        return 2;
    }
    if (out && csv && !strcmp(out, csv)) {
        fprintf(stderr, "musicgen %s: --out and --csv name the same file "
                "'%s'\n", cmd, out);
        return 2;
    }
    if (mg_dsargs_dataset(cmd, root)) return 1;
    mg_dsindex_totals t;
    mg_dsprogress pg = mg_cliprog_start(&prog, cmd, root,
                                        progress ? MG_CLIPROG_ON
                                        : quiet  ? MG_CLIPROG_OFF
                                                 : MG_CLIPROG_AUTO);
    int irc = mg_dsindex_run(root, kind, (int)jobs, &pg, out, csv, &t, err,
                             sizeof err);
    mg_cliprog_end(&prog);
    if (irc) {
        fprintf(stderr, "musicgen %s: %s\n", cmd, err);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "%s: %" PRIu64 " records from %" PRIu64
                " samples to %s%s%s; left out: %" PRIu64 " failed, %" PRIu64
                " half-written, %" PRIu64 " unreadable, %" PRIu64
                " missing files\n", cmd, t.records, t.samples,
                !out ? "" : strcmp(out, "-") ? out : "standard output",
                out && csv ? " and " : "",
                !csv ? "" : strcmp(csv, "-") ? csv : "standard output",
                t.failed, t.half_written, t.unreadable, t.missing);
    /* samples but nothing of the kind: most likely the other index */
    if (!quiet && !t.records && t.samples && !t.missing)
        fprintf(stderr, "%s: note: no sample names a %s file (%s)\n", cmd,
                kind == MG_DSINDEX_MIDI ? "MIDI" : "WAV",
                kind == MG_DSINDEX_MIDI
                    ? "an audio-only dataset? index-audio indexes it"
                    : "a midi-only dataset? index-midi indexes it");
    return 0;
}

int
mg_cmd_index_midi(int argc, char **argv)
{
    return index_cmd(MG_DSINDEX_MIDI, argc, argv);
}

int
mg_cmd_index_audio(int argc, char **argv)
{
    return index_cmd(MG_DSINDEX_AUDIO, argc, argv);
}
