/*
 * export — `musicgen export ROOT --out PATH [--fmt F] [options]`: write a
 * dataset as JSONL, CSV, Parquet, a Hugging Face audiofolder tree, JAMS
 * files or WebDataset tar shards (common/dataset/export.h; docs/export.md).
 * Prints one summary line on stderr: rows written and what was left out.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "dsargs.h"
#include "outpath.h"
#include "export.h"
#include "progress.h"
#include "runlock.h"

static const char usage_text[] =
    "usage: musicgen export ROOT --out PATH [--fmt FMT] [options]\n"
    "\n"
    "Write the complete samples of the dataset at ROOT (flat or sharded,\n"
    "detected) in index order; half-written and failed samples are left\n"
    "out and counted.\n"
    "\n"
    "  -o, --out PATH      output file (jsonl, csv, parquet) or directory;\n"
    "                      - for standard output (jsonl, csv, parquet);\n"
    "                      a name with {split}: one file (or directory:\n"
    "                      jams, webdataset) per split, in one pass\n"
    "                      (ds-{split}.parquet, wds-{split})\n"
    "  -f, --fmt FMT       jsonl, csv, parquet, hf, jams, webdataset\n"
    "                      (default: the --out file's extension, .jsonl\n"
    "                      .ndjson .csv .parquet; else jsonl)\n"
    "  -r, --relative      paths relative to ROOT (default: absolute)\n"
    "      --no-midi       no MIDI path columns / MIDI files\n"
    "      --notes         jsonl, csv, parquet, hf: the notes.<layer>.*\n"
    "                      columns too (every note of sample.json)\n"
    "  -c, --columns LIST  jsonl, csv, parquet, hf: only these columns, in\n"
    "                      this order (names or patterns with * and ?:\n"
    "                      'sample_index,genre,tempo_bpm,levels.*');\n"
    "                      a name no column has is an error\n"
    "      --split LIST    keep these splits (train,valid,test; given\n"
    "                      again: those too)\n"
    "  -g, --genre LIST    keep samples of these genres (given again:\n"
    "                      those too; none of them in the dataset: an\n"
    "                      error naming its genres)\n"
    "      --min-score X   keep samples with musicality_score >= X\n"
    "      --shard-size N  webdataset: samples per tar shard (1000)\n"
    "      --row-group N   parquet: rows per row group (8192)\n"
    "      --codec C       parquet: zstd (default), snappy, none\n"
    "  -j, --jobs J        threads reading sample.json ahead of the writer\n"
    "                      (1..64, 1: none; default: one per core, at most\n"
    "                      8; the output is the same for every J)\n"
    "      --force         replace PATH if it exists\n"
    "  -q, --quiet         no summary line (and no progress line)\n"
    "      --progress      a progress line on stderr even when it is not a\n"
    "                      terminal (a line every 10 s; on a terminal it is\n"
    "                      shown anyway unless -q, and erased at the end)\n";

static int
bad(const char *msg, const char *arg)
{
    fprintf(stderr, "musicgen export: %s%s%s\n", msg, arg ? " " : "",
            arg ? arg : "");
    return 2;
}

static int
parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The table format a file name's extension names (.jsonl, .ndjson,
 * .csv, .parquet; any case): true and *f, or false. */
static bool
out_format(const char *path, mg_export_fmt *f)
{
    static const struct {
        const char *ext;
        mg_export_fmt fmt;
    } ext[] = {{".jsonl", MG_EXPORT_JSONL}, {".ndjson", MG_EXPORT_JSONL},
               {".csv", MG_EXPORT_CSV}, {".parquet", MG_EXPORT_PARQUET}};
    size_t n = strlen(path);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t k = strlen(ext[i].ext);
        if (n > k && !strcasecmp(path + n - k, ext[i].ext)) {
            *f = ext[i].fmt;
            return true;
        }
    }
    return false;
}


int
mg_cmd_export(int argc, char **argv)
{
    char splits[256] = "", genres[1024] = "";
    mg_export_opts o = {.fmt = MG_EXPORT_JSONL,
                        .shard_size = 1000,
                        .row_group = 8192,
                        .codec = MG_CODEC_ZSTD};
    bool quiet = false, progress = false, fmt_given = false, dashdash = false;
    mg_cliprog prog;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i], *val = NULL;
        char name[64] = "";
        if (!dashdash && !strcmp(a, "--")) {
            dashdash = true; /* the end of options: ROOT may be "-x" */
            continue;
        }
        if (!dashdash && a[0] == '-' && a[1]) {
            const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
            snprintf(name, sizeof name, "%.*s",
                     eq ? (int)(eq - a) : (int)strlen(a), a);
            if (eq) val = (char *)eq + 1;
        } else {
            if (o.root) return bad("unexpected argument", a);
            o.root = a;
            continue;
        }
        static const char *const flags[] = {
            "-r",      "--relative", "--no-midi", "--notes", "--force", "-q",
            "--quiet", "--progress", "-h",        "--help",  NULL};
        static const char *const valued[] = {
            "-o", "--out", "-f", "--fmt", "--split", "-g", "--genre",
            "--min-score", "--shard-size", "--row-group", "-j", "--jobs",
            "--codec", "--columns", "-c", NULL};
        bool is_flag = false, takes = false;
        /* -j4 as well as -j 4, as getopt takes a short option's value */
        if (a[1] != '-' && a[2]) {
            for (int k = 0; valued[k]; k++)
                if (!strncmp(a, valued[k], 2) && !valued[k][2]) {
                    name[2] = '\0';
                    val = a + 2;
                }
        }
        for (int k = 0; flags[k]; k++) is_flag |= !strcmp(name, flags[k]);
        for (int k = 0; valued[k]; k++) takes |= !strcmp(name, valued[k]);
        /* an unknown option is named as such, before it can take the
         * next argument for its value */
        if (!is_flag && !takes) {
            fprintf(stderr, "musicgen export: unknown option '%s' (try "
                    "--help)\n", name);
            return 2;
        }
        if (is_flag) {
            if (val) return bad("option takes no value:", name);
        } else if (!val) {
            if (i + 1 >= argc) return bad("missing value for", name);
            val = argv[++i];
        }
        if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(name, "-o") || !strcmp(name, "--out")) {
            o.out = val;
        } else if (!strcmp(name, "-f") || !strcmp(name, "--fmt")) {
            if (mg_export_fmt_parse(val, &o.fmt))
                return bad("--fmt must be jsonl, csv, parquet, hf, jams or "
                           "webdataset, not", val);
            fmt_given = true;
        } else if (!strcmp(name, "-r") || !strcmp(name, "--relative")) {
            o.relative = true;
        } else if (!strcmp(name, "--no-midi")) {
            o.no_midi = true;
        } else if (!strcmp(name, "--notes")) {
            o.notes = true;
        } else if (!strcmp(name, "-c") || !strcmp(name, "--columns")) {
            o.columns = val;
        } else if (!strcmp(name, "--force")) {
            o.overwrite = true;
        } else if (!strcmp(name, "-q") || !strcmp(name, "--quiet")) {
            quiet = true;
        } else if (!strcmp(name, "--progress")) {
            progress = true;
        } else if (!strcmp(name, "--split")) {
            /* given again: one more, as -g for generate (not the last) */
            if (mg_dsargs_list_add(splits, sizeof splits, val))
                return bad("--split: too long a list:", val);
            o.split = splits;
        } else if (!strcmp(name, "-g") || !strcmp(name, "--genre")) {
            if (mg_dsargs_list_add(genres, sizeof genres, val))
                return bad("--genre: too long a list:", val);
            o.genre = genres;
        } else if (!strcmp(name, "--min-score")) {
            char *end;
            o.min_score = strtod(val, &end);
            if (end == val || *end || !isfinite(o.min_score) ||
                o.min_score < 0 || o.min_score > 1)
                return bad("--min-score must be a number in [0, 1], not",
                           val);
            o.has_min_score = true;
        } else if (!strcmp(name, "--shard-size")) {
            if (parse_uint(val, 1, 100000000, &o.shard_size))
                return bad("--shard-size must be a whole number >= 1, not",
                           val);
        } else if (!strcmp(name, "--row-group")) {
            if (parse_uint(val, 1, 10000000, &o.row_group))
                return bad("--row-group must be a whole number >= 1, not",
                           val);
        } else if (!strcmp(name, "-j") || !strcmp(name, "--jobs")) {
            if (parse_uint(val, 1, 64, &o.jobs))
                return bad("--jobs must be a whole number in 1..64, not",
                           val);
        } else if (!strcmp(name, "--codec")) {
            if (mg_export_codec_parse(val, &o.codec))
                return bad("--codec must be zstd, snappy or none, not", val);
        }
    }
    if (!o.root) return bad("missing ROOT (try musicgen export --help)", NULL);
    if (mg_dsargs_dataset("export", o.root)) return 1;
    /* A file named for a table format: that format without --fmt, and
     * --fmt naming another one is most likely a slip (JSON Lines in a
     * .parquet file reads as a broken Parquet file) */
    mg_export_fmt named;
    if (o.out && out_format(o.out, &named)) {
        if (!fmt_given) {
            o.fmt = named;
        } else if (o.fmt != named) {
            fprintf(stderr, "musicgen export: --out %s names a %s file, "
                    "--fmt says %s\n", o.out, mg_export_fmt_name(named),
                    mg_export_fmt_name(o.fmt));
            return 2;
        }
    }
    /* "hf/" is the directory hf (the summary names it so too) */
    char outbuf[4096];
    if (o.out && (o.fmt == MG_EXPORT_HF || o.fmt == MG_EXPORT_JAMS ||
                  o.fmt == MG_EXPORT_WEBDATASET))
        o.out = mg_outpath_trim(o.out, outbuf, sizeof outbuf);
    char err[1024];
    /* the library's own check (mg_export_run repeats it): bad input is
     * exit 2 here, before anything is read */
    if (mg_export_opts_check(&o, err, sizeof err)) return bad(err, NULL);

    mg_export_stats st;
    o.progress = mg_cliprog_start(&prog, "export", o.root,
                                  progress ? MG_CLIPROG_ON
                                  : quiet  ? MG_CLIPROG_OFF
                                           : MG_CLIPROG_AUTO);
    int xrc = mg_export_run(&o, &st, err, sizeof err);
    mg_cliprog_end(&prog);
    if (xrc) {
        fprintf(stderr, "musicgen export: %s\n", err);
        return 1;
    }
    if (!quiet) {
        fprintf(stderr,
                "musicgen export: %" PRIu64 " %s to %s (%s", st.rows,
                st.rows == 1 ? "row" : "rows", strcmp(o.out, "-") ? o.out : "standard output",
                mg_export_fmt_name(o.fmt));
        for (int k = 0; k < st.nsplit; k++)
            fprintf(stderr, "%s%s %" PRIu64, k ? ", " : ": ",
                    st.split_name[k], st.split_rows[k]);
        fprintf(stderr, "); left out: %" PRIu64 " half-written, %" PRIu64
                " invalid, %" PRIu64 " failed (manifest), %" PRIu64
                " filtered", st.partial, st.invalid, st.failed, st.filtered);
        if (st.invalid)
            fprintf(stderr, " (invalid, the first: %s)", st.first_invalid);
        if (st.no_audio)
            fprintf(stderr, ", %" PRIu64 " without a mix", st.no_audio);
        if (st.unreadable)
            fprintf(stderr, ", %" PRIu64 " with a missing or unreadable "
                    "file (first: %s)", st.unreadable, st.first_unreadable);
        if (st.unsafe_paths)
            fprintf(stderr, "; %" PRIu64 " naming a file outside its sample "
                    "(that path left null; first: %s)", st.unsafe_paths,
                    st.first_unsafe);
        if (st.dropped_fields)
            fprintf(stderr, "; %" PRIu64 " values outside the first "
                    "sample's columns", st.dropped_fields);
        if (st.bad_values)
            fprintf(stderr, "; %" PRIu64 " values of another type than "
                    "their column (written as null)", st.bad_values);
        bool each = st.nsplit > 0; /* one directory per split */
        if ((o.fmt == MG_EXPORT_HF || o.fmt == MG_EXPORT_WEBDATASET) && each)
            fprintf(stderr, "; the soundfonts' terms in each %s/LICENSES.md",
                    o.out);
        else if (o.fmt == MG_EXPORT_HF || o.fmt == MG_EXPORT_WEBDATASET)
            fprintf(stderr,
                    "; the soundfonts' terms in %s/LICENSES.md "
                    "(%d font%s)",
                    o.out, st.fonts, st.fonts == 1 ? "" : "s");
        if ((o.fmt == MG_EXPORT_HF || o.fmt == MG_EXPORT_WEBDATASET) &&
            st.rows)
            fprintf(stderr, "; the dataset card in %s%s/README.md",
                    each ? "each " : "", o.out);
        fputc('\n', stderr);
    }
    char who[200];
    if (mg_runlock_held(o.root, who, sizeof who))
        fprintf(stderr, "musicgen export: note: %s is being written by %s: "
                "the export holds the samples finished so far\n", o.root,
                who);
    if (st.genres_absent[0])
        fprintf(stderr, "musicgen export: note: no sample of genre %s (its "
                "genres: %s)\n", st.genres_absent, st.genres_seen);
    return 0;
}
