/*
 * index — `musicgen index-midi` and `musicgen index-audio`: a database of
 * a dataset's MIDI files, or of its WAV stems and mixes, with each file's
 * ground truth, as JSON Lines (--out) and/or CSV (--csv), for jq, DuckDB
 * or a spreadsheet (common/dataset/dsindex.h; schema: docs/index.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "dsargs.h"
#include "dsindex.h"
#include "dsnames.h"
#include "outpath.h"
#include "progress.h"

static const char usage_fmt[] =
    "usage: musicgen %s [--dataset|-d] ROOT [--out|-o DB.json] [--csv FILE]\n"
    "       [%s DIR] [--force] [--jobs J] [-q] [--progress]\n"
    "Writes one record per %s\n"
    "of the dataset at ROOT (flat or sharded), in index order, with its\n"
    "sample's ground truth from sample.json. Columns:\n"
    "  %s\n"
    "--out: JSON Lines (one object a line: jq and DuckDB's read_json read\n"
    "it as it is); --csv: the same columns as CSV with a header (either or\n"
    "both; - is standard output). With neither: --out ./%s. An\n"
    "existing index is replaced (rebuilt whole; written beside and renamed\n"
    "into place); any other file only with --force (the Python tool's\n"
    "database of that name is not ours); a path inside the dataset never.\n"
    "Paths are relative to ROOT, or with %s to DIR (../ where\n"
    "ROOT is not under it). Failed, half-written and unreadable samples\n"
    "and missing files are left out and counted on the summary line.\n"
    "--jobs J: threads reading sample.json ahead (1..64, 1: none; default\n"
    "one per core, at most 8; the output is the same). --progress: a\n"
    "progress line on stderr even when it is not a terminal (every 10 s;\n"
    "on a terminal it is shown anyway unless -q). Schema and example\n"
    "queries: docs/index.md.\n";

/* May the index replace path: absent, standard output, empty, or an
 * index (ours begin `{"path":` as JSON Lines, `path,sample_dir,` as CSV)?
 * Anything else - the Python tool's MidiManager database of the same
 * default name, a file named by mistake - wants --force. */
static bool
replaceable(const char *path)
{
    struct stat st;
    /* "-", new, or a device or FIFO (written into, never read here: a
     * FIFO's open would wait for a writer) */
    if (!strcmp(path, "-") || stat(path, &st) || !S_ISREG(st.st_mode))
        return true;
    FILE *f = fopen(path, "re");
    if (!f) return true;
    char head[32];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == 0 || (n >= 8 && !memcmp(head, "{\"path\":", 8)) ||
           (n >= 16 && !memcmp(head, "path,sample_dir,", 16));
}

static int
index_cmd(mg_dsindex_kind kind, int argc, char **argv)
{
    const bool midi = kind == MG_DSINDEX_MIDI;
    const char *cmd = midi ? "index-midi" : "index-audio";
    /* the Python tool's names: --midi-dir, --samples-dir, midi_db.json */
    const char *base_opt = midi ? "--midi-dir" : "--samples-dir";
    const char *db = midi ? "midi_db.json" : "audio_db.json";
    const char *root = NULL, *out = NULL, *csv = NULL, *base = NULL;
    bool quiet = false, progress = false, force = false;
    mg_cliprog prog;
    long jobs = 0;
    char err[1200], cols[1200] = "";
    for (const char *const *c = mg_dsindex_columns(kind); *c; c++) {
        if (*cols) strncat(cols, ", ", sizeof cols - strlen(cols) - 1);
        strncat(cols, *c, sizeof cols - strlen(cols) - 1);
    }
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || !strcmp(a, "--")) {
            /* the end of options: ROOT may be "-x" */
            if (dashdash && root) {
                fprintf(stderr, "musicgen %s: unknown argument '%s' (try "
                        "--help)\n", cmd, a);
                return 2;
            }
            if (dashdash) root = a;
            dashdash = true;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf(usage_fmt, cmd, base_opt,
                   midi ? "MIDI file (one per layer)"
                        : "WAV file (each stem, the mix)",
                   cols, db, base_opt);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--progress")) {
            progress = true;
        } else if (!strcmp(a, "--force")) {
            force = true;
        } else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
            if (mg_dsargs_jobs(cmd, i + 1 < argc ? argv[i + 1] : NULL, &jobs))
                return 2;
            i++;
        } else if (!strcmp(a, "--dataset") || !strcmp(a, "-d") ||
                   !strcmp(a, "--out") || !strcmp(a, "-o") ||
                   !strcmp(a, "--csv") || !strcmp(a, base_opt)) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                fprintf(stderr, "musicgen %s: %s needs a value\n", cmd, a);
                return 2;
            }
            const char **dst = !strcmp(a, "--dataset") || !strcmp(a, "-d")
                                   ? &root
                               : !strcmp(a, "--csv")  ? &csv
                               : !strcmp(a, base_opt) ? &base
                                                      : &out;
            *dst = argv[++i];
        } else if (a[0] != '-' && !root) {
            root = a; /* ROOT as the other dataset commands take it */
        } else {
            fprintf(stderr, "musicgen %s: unknown %s '%s' (try --help)\n", cmd,
                    a[0] == '-' ? "option" : "argument", a);
            return 2;
        }
    }
    if (!root) {
        fprintf(stderr, "musicgen %s: need --dataset ROOT (try --help)\n",
                cmd);
        return 2;
    }
    if (!out && !csv) out = db;
    /* one file however spelled (./a.json and a.json, a link): the CSV
     * renamed over the JSON, then "cannot replace" */
    char ro[PATH_MAX], rc_[PATH_MAX];
    if (out && csv &&
        (!strcmp(out, csv) ||
         (strcmp(out, "-") && strcmp(csv, "-") &&
          !mg_outpath_resolve(out, ro, sizeof ro) &&
          !mg_outpath_resolve(csv, rc_, sizeof rc_) && !strcmp(ro, rc_)))) {
        fprintf(stderr, "musicgen %s: --out and --csv name the same file "
                "'%s'\n", cmd, out);
        return 2;
    }
    /* before the work: where the files go, and the base directory */
    if ((out && mg_outpath_check("--out", out, MG_OUT_FILE, true, db, err,
                                 sizeof err)) ||
        (csv && mg_outpath_check("--csv", csv, MG_OUT_FILE, true,
                                 midi ? "midi_db.csv" : "audio_db.csv", err,
                                 sizeof err))) {
        fprintf(stderr, "musicgen %s: %s\n", cmd, err);
        return 1; /* an output it cannot write: as export */
    }
    struct stat st;
    if (base && stat(base, &st)) {
        fprintf(stderr, "musicgen %s: %s %s: %s\n", cmd, base_opt, base,
                strerror(errno));
        return 2;
    }
    if (base && !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "musicgen %s: %s %s is not a directory\n", cmd,
                base_opt, base);
        return 2;
    }
    if (mg_dsargs_dataset(cmd, root)) return 1;
    /* never in place of the dataset's own files, --force or not */
    char absroot[PATH_MAX];
    bool have_root = realpath(root, absroot) != NULL;
    for (int k = 0; k < 2 && have_root; k++) {
        const char *p = k ? csv : out;
        if (p && mg_ds_out_check(k ? "--csv" : "--out", p, root, absroot,
                                 false, err, sizeof err)) {
            fprintf(stderr, "musicgen %s: %s\n", cmd, err);
            return 1;
        }
    }
    /* a file of another kind only with --force (after the check above:
     * its hint must not offer --force for a dataset's own file) */
    for (int k = 0; k < 2 && !force; k++) {
        const char *p = k ? csv : out;
        if (p && !replaceable(p)) {
            fprintf(stderr, "musicgen %s: %s %s exists and is not an index "
                    "(it does not begin as one); --force replaces it\n", cmd,
                    k ? "--csv" : "--out", p);
            return 1;
        }
    }
    mg_dsindex_totals t;
    mg_dsprogress pg = mg_cliprog_start(&prog, cmd, root,
                                        progress ? MG_CLIPROG_ON
                                        : quiet  ? MG_CLIPROG_OFF
                                                 : MG_CLIPROG_AUTO);
    int irc = mg_dsindex_run(root, kind, (int)jobs, &pg, out, csv, base, &t,
                             err, sizeof err);
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

/* -j4 as well as -j 4 */
static int
index_split(mg_dsindex_kind kind, int argc, char **argv)
{
    int n;
    char **v = mg_dsargs_split_short(argc, argv, "jdo", &n);
    if (!v) {
        fprintf(stderr, "musicgen %s: out of memory\n", argv[0]);
        return 1;
    }
    int rc = index_cmd(kind, n, v);
    free(v);
    return rc;
}

int
mg_cmd_index_midi(int argc, char **argv)
{
    return index_split(MG_DSINDEX_MIDI, argc, argv);
}

int
mg_cmd_index_audio(int argc, char **argv)
{
    return index_split(MG_DSINDEX_AUDIO, argc, argv);
}
