/*
 * eval — `musicgen eval reliability --type det|rinv|seed` and `musicgen
 * eval validity --mode good|bad|both`: how reliable and how valid the
 * audio musicality score is (common/dataset/dseval.h). A summary on
 * stdout, the whole result as JSON with --output; exit 1 when the
 * criterion fails.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "dsargs.h"
#include "config.h"
#include "dseval.h"
#include "jsonout.h"
#include "outpath.h"

static const char usage[] =
    "usage: musicgen eval reliability --type det|rinv|seed [options]\n"
    "       musicgen eval validity [--mode good|bad|both] [options]\n"
    "Measures the audio (layer-2) musicality score: determinism (det),\n"
    "render invariance (rinv), spread across seeds per genre (seed), and\n"
    "construct validity: AUROC of good samples against ten pathology sets\n"
    "with a bootstrap confidence interval (criterion: AUROC >= 0.80).\n"
    "Exit 1 when the criterion fails.\n"
    "  --n-samples N      good samples (validity 100, det/rinv 5) or seeds\n"
    "                     per genre (seed 20)\n"
    "  --bootstrap-n B    bootstrap resamples for the AUROC CI (200)\n"
    "  --output F         write the full result (every score) as JSON\n"
    "                     (-: on standard output, the report on stderr)\n"
    "  --seed S           global seed of the rendered samples (1)\n"
    "  -g, --genre G      genres to cycle (repeatable; default: all)\n"
    "  --dataset ROOT     take the good samples from ROOT's mixes instead\n"
    "                     of rendering them (validity, det)\n"
    "  --jobs J           processes (default: one per core)\n"
    "  --threshold X      rejection rate: share of a set below X (0.5)\n"
    "  --calls N, --renders N   repetitions for det, rinv (5)\n"
    "  --measures-per-part SPEC  shorter songs, e.g. intro=1,verse=2\n"
    "  --genres-dir DIR, --sf-dir DIR, -v (one line per sample)\n";

static bool
need(int i, int argc, const char *opt)
{
    if (i + 1 < argc) return true;
    fprintf(stderr, "musicgen eval: %s needs a value\n", opt);
    return false;
}

static bool
to_int(const char *s, long lo, long hi, long *out, const char *opt)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || end == s || v < lo || v > hi) {
        fprintf(stderr, "musicgen eval: %s: need %ld..%ld, got '%s'\n", opt,
                lo, hi, s);
        return false;
    }
    *out = v;
    return true;
}

/* --output is checked before minutes of work, not after (outpath.h):
 * its directory must exist and be writable, and it must not name a
 * directory; an old result is replaced. */
static int
check_output(const char *path)
{
    char err[1200];
    if (!mg_outpath_check("--output", path, MG_OUT_FILE, true,
                          "eval.json", err, sizeof err))
        return 0;
    fprintf(stderr, "musicgen eval: %s\n", err);
    return -1;
}

static void
print_reliability(FILE *o, const json_t *j)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    bool passed = json_is_true(json_object_get(j, "passed"));
    if (!strcmp(type, "seed")) {
        size_t i;
        json_t *e;
        fprintf(o, "%-12s %6s %8s %8s %8s %8s %8s %8s\n", "genre", "seeds",
               "mean", "median", "sigma", "iqr", "p10", "p90");
        json_array_foreach(json_object_get(j, "entries"), i, e) {
            fprintf(o, "%-12s %6lld %8.4f %8.4f %8.4f %8.4f %8.4f %8.4f\n",
                   json_string_value(json_object_get(e, "genre")),
                   json_integer_value(json_object_get(e, "n_seeds")),
                   json_number_value(json_object_get(e, "mean")),
                   json_number_value(json_object_get(e, "median")),
                   json_number_value(json_object_get(e, "sigma")),
                   json_number_value(json_object_get(e, "iqr")),
                   json_number_value(json_object_get(e, "p10")),
                   json_number_value(json_object_get(e, "p90")));
        }
        fprintf(o, "seed stability: every genre's sigma <= %.2f: %s (%.1f s)\n",
               MG_EVAL_SEED_SIGMA_MAX, passed ? "PASSED" : "FAILED",
               json_number_value(json_object_get(j, "elapsed_seconds")));
        return;
    }
    fprintf(o, "%s: %lld samples x %lld %s: max sigma %.3g: %s (%.1f s)\n",
           !strcmp(type, "det") ? "determinism" : "render invariance",
           json_integer_value(json_object_get(j, "n_samples")),
           json_integer_value(json_object_get(j, !strcmp(type, "det")
                                                     ? "n_calls"
                                                     : "n_renders")),
           !strcmp(type, "det") ? "calls" : "renders",
           json_number_value(json_object_get(j, "max_sigma")),
           passed ? "PASSED" : "FAILED",
           json_number_value(json_object_get(j, "elapsed_seconds")));
}

static void
print_validity(FILE *o, const json_t *j)
{
    json_t *g = json_object_get(j, "good_mean");
    fprintf(o, "good: n %lld", json_integer_value(json_object_get(j, "n_good")));
    if (g)
        fprintf(o, ", mean %.4f, std %.4f, p10 %.4f, p90 %.4f",
               json_number_value(g),
               json_number_value(json_object_get(j, "good_std")),
               json_number_value(json_object_get(j, "good_p10")),
               json_number_value(json_object_get(j, "good_p90")));
    fprintf(o, "\n");
    json_t *paths = json_object_get(j, "pathologies");
    if (paths) {
        size_t i;
        json_t *e;
        bool both = json_object_get(j, "overall_auroc") != NULL;
        fprintf(o, "%-20s %4s %7s %7s %7s", "pathology", "n", "mean", "std",
               "reject");
        if (both) fprintf(o, " %7s %17s %7s", "AUROC", "95% CI", "d");
        fprintf(o, "\n");
        json_array_foreach(paths, i, e) {
            fprintf(o, "%-20s %4lld %7.4f %7.4f %7.2f",
                   json_string_value(json_object_get(e, "name")),
                   json_integer_value(json_object_get(e, "n")),
                   json_number_value(json_object_get(e, "mean")),
                   json_number_value(json_object_get(e, "std")),
                   json_number_value(json_object_get(e, "rejection_rate")));
            if (both) {
                json_t *ci = json_object_get(e, "auroc_ci_95");
                json_t *d = json_object_get(e, "cohens_d");
                fprintf(o, " %7.4f   [%.4f, %.4f]", json_number_value(
                                                   json_object_get(e, "auroc")),
                       json_number_value(json_array_get(ci, 0)),
                       json_number_value(json_array_get(ci, 1)));
                if (json_is_number(d))
                    fprintf(o, " %7.2f", json_number_value(d));
                else
                    fprintf(o, " %7s", "-");
                if (json_is_true(json_object_get(e, "is_chance_level")))
                    fprintf(o, "  (chance level)");
            }
            fprintf(o, "\n");
        }
        if (both) {
            json_t *ci = json_object_get(j, "overall_auroc_ci");
            fprintf(o, "overall AUROC %.4f [%.4f, %.4f] (criterion >= %.2f): "
                   "%s\n", json_number_value(json_object_get(j,
                                                             "overall_auroc")),
                   json_number_value(json_array_get(ci, 0)),
                   json_number_value(json_array_get(ci, 1)), MG_EVAL_AUROC_MIN,
                   json_is_true(json_object_get(j, "passed")) ? "PASSED"
                                                              : "FAILED");
        }
    }
    fprintf(o, "elapsed %.1f s\n",
           json_number_value(json_object_get(j, "elapsed_seconds")));
}

static int
eval_cmd(int argc, char **argv)
{
    mg_eval_opts o;
    mg_config c;
    const char *what = NULL, *type = NULL, *mode = "both", *output = NULL;
    char err[1200];
    long v;

    mg_eval_defaults(&o);
    mg_config_defaults(&c);
    o.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o.jobs < 1) o.jobs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--type")) {
            if (!need(i, argc, a)) return 2;
            type = argv[++i];
        } else if (!strcmp(a, "--mode")) {
            if (!need(i, argc, a)) return 2;
            mode = argv[++i];
        } else if (!strcmp(a, "--output") || !strcmp(a, "-o")) {
            if (!need(i, argc, a)) return 2;
            output = argv[++i];
        } else if (!strcmp(a, "--n-samples") || !strcmp(a, "-n")) {
            if (!need(i, argc, a) || !to_int(argv[++i], 1, 100000, &v, a))
                return 2;
            o.n = (int)v;
        } else if (!strcmp(a, "--bootstrap-n")) {
            if (!need(i, argc, a) || !to_int(argv[++i], 1, 100000, &v, a))
                return 2;
            o.bootstrap_n = (int)v;
        } else if (!strcmp(a, "--calls") || !strcmp(a, "--renders")) {
            if (!need(i, argc, a) || !to_int(argv[++i], 2, 1000, &v, a))
                return 2;
            if (!strcmp(a, "--calls")) o.calls = (int)v;
            else o.renders = (int)v;
        } else if (!strcmp(a, "--jobs") || !strcmp(a, "-j")) {
            if (!need(i, argc, a) || !to_int(argv[++i], 1, 64, &v, a))
                return 2;
            o.jobs = (int)v;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "-s")) {
            if (!need(i, argc, a) ||
                !to_int(argv[++i], 0, 0x7fffffffL, &v, a))
                return 2;
            o.seed = v;
        } else if (!strcmp(a, "--threshold")) {
            char *end;
            if (!need(i, argc, a)) return 2;
            o.threshold = strtod(argv[++i], &end);
            if (*end || !isfinite(o.threshold) || o.threshold < 0 ||
                o.threshold > 1) {
                fprintf(stderr, "musicgen eval: --threshold: need 0..1, got "
                        "'%s'\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--genre") || !strcmp(a, "-g")) {
            if (!need(i, argc, a)) return 2;
            char buf[1024] = "", *save = NULL;
            if (mg_dsargs_list_add(buf, sizeof buf, argv[++i])) {
                fprintf(stderr, "musicgen eval: --genre: too long a list\n");
                return 2;
            }
            for (char *t = strtok_r(buf, ",", &save); t;
                 t = strtok_r(NULL, ",", &save)) {
                if (o.ngenres == MG_EVAL_MAX_GENRES) {
                    fprintf(stderr, "musicgen eval: at most %d genres\n",
                            MG_EVAL_MAX_GENRES);
                    return 2;
                }
                snprintf(o.genres[o.ngenres++], 64, "%s", t);
            }
        } else if (!strcmp(a, "--dataset")) {
            if (!need(i, argc, a)) return 2;
            o.dataset = argv[++i];
        } else if (!strcmp(a, "--measures-per-part") ||
                   !strcmp(a, "--genres-dir") || !strcmp(a, "--sf-dir")) {
            if (!need(i, argc, a)) return 2;
            if (mg_config_set(&c, a + 2, argv[++i], err, sizeof err)) {
                fprintf(stderr, "musicgen eval: %s\n", err);
                return 2;
            }
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o.verbose = true;
        } else if (a[0] == '-') {
            fprintf(stderr, "musicgen eval: unknown option '%s' (try "
                    "--help)\n", a);
            return 2;
        } else if (!what) {
            what = a;
        } else {
            fprintf(stderr, "musicgen eval: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!what || (strcmp(what, "reliability") && strcmp(what, "validity"))) {
        if (what)
            fprintf(stderr, "musicgen eval: unknown evaluation '%s' "
                    "(reliability or validity; see musicgen eval --help)\n",
                    what);
        else
            fputs(usage, stderr);
        return 2;
    }
    errno = 0;
    if (output && strcmp(output, "-") && check_output(output))
        return 2;
    o.genres_dir = c.genres_dir;
    o.sf_dir = c.sf_dir;
    for (int k = 0; k < 8 && k < MG_NPARTKINDS; k++)
        o.measures_override[k] = c.measures_override[k];
    json_t *j;
    if (!strcmp(what, "reliability")) {
        if (!type) {
            fprintf(stderr, "musicgen eval reliability: --type det, rinv or "
                    "seed\n");
            return 2;
        }
        j = mg_eval_reliability(&o, type, err, sizeof err);
    } else {
        j = mg_eval_validity(&o, mode, err, sizeof err);
    }
    if (!j) {
        fprintf(stderr, "musicgen eval %s: %s\n", what, err);
        return strstr(err, "--type") || strstr(err, "--mode") ? 2 : 1;
    }
    /* --output -: the JSON alone on standard output, the report on
     * standard error */
    bool json_out = output && !strcmp(output, "-");
    FILE *rep = json_out ? stderr : stdout;
    if (!strcmp(what, "reliability"))
        print_reliability(rep, j);
    else
        print_validity(rep, j);
    int rc = 0;
    if (json_out) {
        char *text = mg_json_dump(j, 2);
        if (!text) {
            fprintf(stderr, "musicgen eval: out of memory\n");
            rc = 1;
        } else if (fputs(text, stdout) < 0 || fflush(stdout)) {
            rc = 1; /* main says so, with the reason */
        }
        free(text);
    } else if (output) {
        if (mg_json_write_file(j, output)) {
            fprintf(stderr, "musicgen eval: cannot write %s\n", output);
            rc = 1;
        }
    }
    json_t *p = json_object_get(j, "passed");
    if (p && !json_is_true(p)) rc = 1;
    json_decref(j);
    return rc;
}

int
mg_cmd_eval(int argc, char **argv)
{
    /* -j4 as well as -j 4 */
    int n;
    char **v = mg_dsargs_split_short(argc, argv, "onjsg", &n);
    if (!v) {
        fprintf(stderr, "musicgen eval: out of memory\n");
        return 1;
    }
    int rc = eval_cmd(n, v);
    free(v);
    return rc;
}
