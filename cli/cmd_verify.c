/*
 * verify — `musicgen verify ROOT [--jobs J] [--schema FILE]`: is the
 * dataset at ROOT whole? One line per problem (common/dataset/dsverify.h
 * lists the checks; the run's values of the run-level fields come from
 * the tree's ledger or static run.json, run_reference), a summary line,
 * exit 0 only when nothing was found.
 * With --fmt json, one JSON object instead: the problems as they are
 * found (a stream: a broken tree of a million samples needs no memory),
 * then the totals.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "dsargs.h"
#include "dsverify.h"
#include "engine.h"
#include "jsonout.h"
#include "ledger.h"
#include "progress.h"

static const char usage[] =
    "usage: musicgen verify ROOT [--jobs J] [--quick] [--fmt text|json]\n"
    "       [--schema FILE]\n"
    "Checks a dataset tree (flat or sharded): every sample.json parses and\n"
    "validates against the schema, every file it names exists with the\n"
    "SHA-256 it records, WAV lengths agree with the annotation, and\n"
    "manifest.jsonl has exactly one row per sample, agreeing with it, and\n"
    "every sample holds the run's values of the run-level fields (engine\n"
    "and synthesizer versions, genre data hash, global seed, output mode,\n"
    "ppq, genres, audio format: the ledger's or run.json's, else the first\n"
    "sample's; one line per field that differs, with each value's count).\n"
    "Prints one line per problem; exit 0 when the tree is whole, 1 when\n"
    "anything is wrong, 2 on bad usage.\n"
    "  --jobs J       threads hashing files (default: one per core)\n"
    "  --quick        no SHA-256: every file there with its size and every\n"
    "                 WAV's header and length (a copy's completeness, in\n"
    "                 seconds; not a flipped byte)\n"
    "  --progress     a progress line on stderr even when it is not a\n"
    "                 terminal (a line every 10 s; on a terminal it is\n"
    "                 shown anyway, and erased at the end)\n"
    "  --fmt json     one JSON object on stdout instead of the lines:\n"
    "                 \"problems\" (each {where, index, line, problem}, in\n"
    "                 the order the lines come), then the totals and\n"
    "                 \"whole\" (the exit status is the same)\n"
    "  --schema FILE  schema of sample.json (default: the installed one)\n";

/* --fmt json: the problem lines ("<where>: <what>") the run writes, each
 * turned into an element of the "problems" array as it comes (a stdio
 * stream of our own over stdout, fopencookie). The "note: " lines (no
 * LICENSES.md, a run writing the tree) are not problems: they go to
 * "notes" after it (a whole tree had them in "problems", with
 * problem_count 0). */
typedef struct {
    char line[8192];
    size_t len;
    uint64_t n;
    json_t *notes;
} jlines;

static void
jline_emit(jlines *j)
{
    j->line[j->len] = '\0';
    if (!strncmp(j->line, "note: ", 6)) {
        json_array_append_new(j->notes, mg_json_text(j->line + 6));
        j->len = 0;
        return;
    }
    char *sep = strstr(j->line, ": ");
    const char *what = sep ? sep + 2 : j->line;
    if (sep) *sep = '\0';
    const char *where = sep ? j->line : "";
    json_t *o = json_object();
    mg_json_set_path(o, "where", where);
    /* a sample's directory ("000042", "000/000042"): its index */
    const char *base = strrchr(where, '/');
    base = base ? base + 1 : where;
    size_t nd = strspn(base, "0123456789");
    json_object_set_new(o, "index", nd >= 6 && !base[nd]
                                        ? mg_json_u64(strtoull(base, NULL, 10))
                                        : json_null());
    /* "manifest.jsonl:7": the manifest's line */
    const char *colon = strrchr(where, ':');
    nd = colon ? strspn(colon + 1, "0123456789") : 0;
    json_object_set_new(o, "line", nd && !colon[1 + nd]
                                       ? json_integer(atol(colon + 1))
                                       : json_null());
    json_object_set_new(o, "problem", mg_json_text(what));
    char *t = mg_json_dump(o, 0);
    json_decref(o);
    if (t) {
        t[strcspn(t, "\n")] = '\0';
        printf("%s\n    %s", j->n++ ? "," : "", t);
        free(t);
    }
    j->len = 0;
}

static ssize_t
jlines_write(void *cookie, const char *buf, size_t size)
{
    jlines *j = cookie;
    for (size_t i = 0; i < size; i++) {
        if (buf[i] == '\n') jline_emit(j);
        else if (j->len < sizeof j->line - 1) j->line[j->len++] = buf[i];
    }
    return (ssize_t)size;
}

/* Field `field` of the run as value v (JSON; NULL or "": unknown). */
static void
run_ref(mg_dsverify *dv, const char *field, json_t *v, const char *src)
{
    if (!v || (json_is_string(v) && !*json_string_value(v))) return;
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (t) mg_dsverify_set_run(dv, field, t, src);
    free(t);
}

/* The run's values of the run-level fields (dsverify.h): the fingerprint
 * and options its ledger records (generate's, a coordinator's), else the
 * first static slice's record (.musicgen/slices/run.json, the same
 * form plus "fingerprint"). Neither (a tree copied without .musicgen,
 * made through the library): the first sample's are the run's. */
static void
run_reference(mg_dsverify *dv, const char *root)
{
    char lp[4200], e[600];
    const char *src = NULL;
    json_t *cfg = NULL, *fp = NULL;
    snprintf(lp, sizeof lp, "%s/.musicgen/ledger.sqlite", root);
    if (!access(lp, F_OK)) {
        mg_ledger *l = mg_ledger_open_ro(lp, e, sizeof e);
        mg_ledger_run r;
        if (l && mg_ledger_get_run(l, &r, e, sizeof e) == 1) {
            cfg = json_loads(r.run_json, 0, NULL);
            fp = json_pack("{ssssss}", "engine_version", r.fp.engine_version,
                           "genres_hash", r.fp.genres_hash, "synth_version",
                           r.fp.synth_version);
            src = ".musicgen/ledger.sqlite";
            free(r.run_json);
        }
        mg_ledger_close(&l);
    }
    if (!src) {
        snprintf(lp, sizeof lp, "%s/.musicgen/slices/run.json", root);
        cfg = json_load_file(lp, 0, NULL);
        fp = json_incref(json_object_get(cfg, "fingerprint"));
        src = ".musicgen/slices/run.json";
    }
    if (json_is_object(cfg)) {
        run_ref(dv, "global_seed", json_object_get(cfg, "seed"), src);
        run_ref(dv, "output_mode", json_object_get(cfg, "output_mode"), src);
        run_ref(dv, "genres", json_object_get(cfg, "genres"), src);
        run_ref(dv, "sample_rate", json_object_get(cfg, "sample_rate"), src);
        run_ref(dv, "audio_format", json_object_get(cfg, "sample_format"),
                src);
    }
    if (json_is_object(fp)) {
        run_ref(dv, "musicgen_version", json_object_get(fp, "engine_version"),
                src);
        run_ref(dv, "genres_hash", json_object_get(fp, "genres_hash"), src);
        run_ref(dv, "fluidsynth_version",
                json_object_get(fp, "synth_version"), src);
    }
    json_decref(cfg);
    json_decref(fp);
}

int
mg_cmd_verify(int argc, char **argv)
{
    static const char *const valued[] = {"--jobs", "-j", "--schema", "--fmt",
                                         "-f", NULL};
    const char *schema = NULL;
    bool quick = false, json = false;
    mg_cliprog_mode pmode = MG_CLIPROG_AUTO;
    mg_cliprog prog;
    char defschema[4200], err[1200];
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    mg_dsargs a;
    int r;

    mg_dsargs_init(&a, "verify", usage, argc, argv, valued, false);
    while ((r = mg_dsargs_next(&a)) == 1) {
        if (!strcmp(a.opt, "--jobs") || !strcmp(a.opt, "-j")) {
            if (mg_dsargs_jobs("verify", a.val, &jobs)) return 2;
        } else if (!strcmp(a.opt, "--schema")) {
            schema = a.val;
        } else if (!strcmp(a.opt, "--progress")) {
            pmode = MG_CLIPROG_ON;
        } else if (!strcmp(a.opt, "--quick")) {
            quick = true;
        } else if (!strcmp(a.opt, "--fmt") || !strcmp(a.opt, "-f")) {
            if (strcmp(a.val, "text") && strcmp(a.val, "json")) {
                fprintf(stderr, "musicgen verify: --fmt must be text or json, "
                        "not '%s'\n", a.val);
                return 2;
            }
            json = !strcmp(a.val, "json");
        } else {
            return mg_dsargs_unknown(&a);
        }
    }
    if (r < 0)
        return a.rc;
    const char *root = a.root;
    if (mg_dsargs_dataset("verify", root)) return 1;
    if (jobs < 1) jobs = 1;
    if (!schema) {
        snprintf(defschema, sizeof defschema, "%s/schema/sample.schema.json",
                 mg_data_dir());
        schema = defschema;
    }
    mg_dsverify *v = mg_dsverify_new(schema, err, sizeof err);
    if (!v) {
        /* --schema given: bad input (2); the installed one: a broken
         * installation (1) */
        fprintf(stderr, "musicgen verify: %sschema: %s\n",
                schema == defschema ? "" : "--", err);
        return schema == defschema ? 1 : 2;
    }
    mg_dsverify_set_quick(v, quick);
    run_reference(v, root);
    mg_dsverify_totals t;
    mg_dsprogress pg = mg_cliprog_start(&prog, "verify", root, pmode);
    FILE *out = stdout;
    jlines jl = {.len = 0, .notes = json_array()};
    if (json) {
        cookie_io_functions_t io = {.write = jlines_write};
        if (!(out = fopencookie(&jl, "w", io))) {
            fprintf(stderr, "musicgen verify: %s\n", strerror(errno));
            mg_dsverify_destroy(&v);
            json_decref(jl.notes);
            return 1;
        }
        /* {"root": ... (and "root_hex" when it is not UTF-8), then the
         * problems as they come */
        json_t *jr = json_object();
        mg_json_set_path(jr, "root", root);
        char *rt = mg_json_dump(jr, 0);
        json_decref(jr);
        printf("%.*s, \"problems\": [", rt ? (int)strcspn(rt, "\n") - 1 : 1,
               rt ? rt : "{");
        free(rt);
    }
    int rc = mg_dsverify_run(v, root, (int)jobs, &pg, out, &t, err, sizeof err);
    if (json) {
        fclose(out); /* the last line through jlines_write */
        if (jl.len) jline_emit(&jl);
    }
    mg_cliprog_end(&prog);
    mg_dsverify_destroy(&v);
    char *notes = mg_json_dump(jl.notes, 0);
    json_decref(jl.notes);
    if (notes) notes[strcspn(notes, "\n")] = '\0';
    if (rc) {
        /* a whole object still: whole false, and why it stopped */
        if (json) {
            json_t *je = mg_json_text(err);
            char *et = mg_json_dump(je, 0);
            json_decref(je);
            printf("%s],\n  \"notes\": %s, \"error\": %.*s, "
                   "\"problem_count\": %" PRIu64 ", \"whole\": false}\n",
                   jl.n ? "\n  " : "", notes ? notes : "[]",
                   et ? (int)strcspn(et, "\n") : 4, et ? et : "null",
                   t.problems);
            free(et);
        }
        free(notes);
        fflush(stdout);
        fprintf(stderr, "musicgen verify: %s\n", err);
        return 1;
    }
    if (json) {
        printf("%s],\n  \"notes\": %s,\n  \"samples\": %" PRIu64
               ", \"half_written\": %" PRIu64
               ", \"manifest_rows\": %" PRIu64 ", \"files\": %" PRIu64
               ", \"bytes\": %" PRIu64 ", \"hashed\": %s, \"seconds\": %.3f, "
               "\"jobs\": %ld, \"problem_count\": %" PRIu64
               ", \"whole\": %s}\n", jl.n ? "\n  " : "",
               notes ? notes : "[]", t.samples,
               t.partials, t.rows, t.files, t.bytes, quick ? "false" : "true",
               t.seconds, jobs, t.problems, t.problems ? "false" : "true");
        free(notes);
        return t.problems ? 1 : 0;
    }
    free(notes);
    double mb = (double)t.bytes / 1e6;
    if (quick)
        printf("verify: %s: %" PRIu64 " samples, %" PRIu64 " manifest rows, %"
               PRIu64 " files of %.1f MB, sizes and headers checked, not "
               "hashed (--quick), in %.2f s (%ld job%s): %s%" PRIu64
               " problem%s\n", root, t.samples, t.rows, t.files, mb,
               t.seconds, jobs, jobs == 1 ? "" : "s",
               t.problems ? "" : "whole, ", t.problems,
               t.problems == 1 ? "" : "s");
    else
        printf("verify: %s: %" PRIu64 " samples, %" PRIu64 " manifest rows, %"
               PRIu64 " files, %.1f MB hashed in %.2f s (%.0f MB/s, %.0f MB "
               "per CPU second, %ld job%s): %s%" PRIu64 " problem%s\n",
               root, t.samples, t.rows, t.files, mb, t.seconds,
               t.seconds > 0 ? mb / t.seconds : 0.0,
               t.cpu_seconds > 0 ? mb / t.cpu_seconds : 0.0, jobs,
               jobs == 1 ? "" : "s",
               t.problems ? "" : "whole, ", t.problems,
               t.problems == 1 ? "" : "s");
    return t.problems ? 1 : 0;
}
