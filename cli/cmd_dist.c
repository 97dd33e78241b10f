/*
 * dist — the distributed commands: `musicgen coordinator`, `worker`
 * (connected or --static) and `status` (`merge` and the static slices'
 * status: cmd_merge.c). Each parses its options
 * with the same config layer as `generate` (so a generation option means
 * the same everywhere), prints one line on error and returns the exit
 * status. The daemons themselves live in coordinator/ and worker/.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "dsargs.h"
#include "config.h"
#include "coordinator.h"
#include "curve.h"
#include "dlog.h"
#include "dsread.h"
#include "endpoint.h"
#include "engine.h"
#include "ledger.h"
#include "procs.h"
#include "proto.h"
#include "runlock.h"
#include "slices.h"
#include "worker.h"

/* worker --jobs: the parent's engine at the end of the run (kept, not
 * freed: see mg_cmd_worker). */
static mg_engine *volatile kept_engine;

/* Our own options arrive in rest as "--name" "value" or "--name=value". */
typedef struct {
    char **v;
    int n, i;
} args;

static bool
take(args *a, const char *name, const char **val)
{
    const char *s = a->v[a->i];
    size_t l = strlen(name);
    if (strncmp(s, "--", 2) || strncmp(s + 2, name, l))
        return false;
    if (s[2 + l] == '=') {
        *val = s + 3 + l;
        return true;
    }
    if (s[2 + l] || a->i + 1 >= a->n)
        return false;
    *val = a->v[++a->i];
    return true;
}

static bool
take_flag(args *a, const char *name)
{
    const char *s = a->v[a->i];
    return !strncmp(s, "--", 2) && !strcmp(s + 2, name);
}

static int
to_int(const char *cmd, const char *name, const char *s, long lo, long hi,
       long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < lo || v > hi) {
        fprintf(stderr, "musicgen %s: --%s: must be an integer in [%ld, "
                "%ld], got '%s'\n", cmd, name, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int
parse(const char *cmd, mg_config *cfg, int argc, char **argv,
      const char *const *extra, char ***rest, int *nrest)
{
    char err[512];
    *rest = calloc((size_t)argc + 1, sizeof **rest);
    if (!*rest)
        return -1;
    if (mg_config_from_args(cfg, argc, argv, extra, *rest, nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen %s: %s\n", cmd, err);
        free(*rest);
        return -1;
    }
    return 0;
}

/* --workers is generate's (the processes it forks): the coordinator
 * makes no samples, and a worker's processes are --jobs. Their --help
 * listed it with the generation options ("worker processes (default:
 * one per core)") and the command line's was taken without a word, the
 * run then made by one job. Refused there, naming what to give; from
 * the environment or a config file shared with generate it is ignored. */
static int
no_workers(const char *cmd, int argc, char **argv, const char *instead)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--workers") || !strncmp(argv[i], "-w", 2) ||
            !strncmp(argv[i], "--workers=", 10)) {
            fprintf(stderr, "musicgen %s: --workers is generate's (the "
                    "processes it forks); %s\n", cmd, instead);
            return -1;
        }
    return 0;
}

/* The generation options' help, less --workers (no_workers) */
static void
options_help(void)
{
    const char *t = mg_config_options_help();
    for (const char *e; *t; t = e + 1) {
        e = strchr(t, '\n');
        if (!e)
            e = t + strlen(t) - 1;
        if (!strstr(t, "--workers ") || strstr(t, "--workers ") > e)
            fwrite(t, 1, (size_t)(e - t + 1), stdout);
    }
}

/* ---- a resume without --seed ---- */

void
mg_seed_required(const char *who, const char *ledger)
{
    char err[300];
    struct stat st;
    mg_ledger *l = NULL;
    mg_ledger_run run;
    if (!stat(ledger, &st) && S_ISREG(st.st_mode) &&
        (l = mg_ledger_open_ro(ledger, err, sizeof err)) &&
        mg_ledger_get_run(l, &run, err, sizeof err) == 1) {
        fprintf(stderr, "%s: --seed is required (the global seed): the run "
                "in %s has --seed %" PRId64 "; give it, with the run's other "
                "options, to resume or grow that run\n", who, ledger,
                run.global_seed);
        mg_ledger_run_free(&run);
    } else {
        fprintf(stderr, "%s: --seed is required (the global seed)\n", who);
    }
    mg_ledger_close(&l);
}

/* ---- coordinator ---- */

static const char coord_usage[] =
    "usage: musicgen coordinator --seed S --count N --out ROOT --ledger FILE\n"
    "         [--bind ENDPOINT] [--chunk K] [generation options]\n\n"
    "  --ledger FILE        the run's SQLite ledger (local disk, not NFS)\n"
    "  --bind ENDPOINT      default tcp://*:5555 (tcp://HOST:* picks a port)\n"
    "  --chunk K            fixed indices per lease (default: sized from\n"
    "                       the measured time per sample, see --lease-seconds)\n"
    "  --lease-seconds S    seconds of work per lease (default 2); leases are\n"
    "                       also small at the start, and the last 8 samples\n"
    "                       per job go one by one, longest song first\n"
    "  --no-speculate       do not copy a straggler's lease to an idle job\n"
    "                       once nothing else is left\n"
    "  --durable yes|no     an acknowledged row survives power loss: ledger\n"
    "                       synchronous=FULL, samples fsynced by the workers\n"
    "                       before they report them (default yes)\n"
    "  --heartbeat-ms MS    heartbeat period (default 1000; dead after 5)\n"
    "  --linger-ms MS       answer late workers after completion (2000)\n"
    "  --progress-ms MS     progress log period (default 5000)\n"
    "  --endpoint-file F    write the bound endpoint to F\n"
    "  --http ADDR          status page and Prometheus /metrics at ADDR\n"
    "                       (HOST:PORT, e.g. 127.0.0.1:9100; port 0 picks\n"
    "                       one; the URL is logged)\n"
    "  --curve-dir DIR      CURVE security: DIR/coordinator.cert_secret is\n"
    "                       our keypair; only workers whose certificate is\n"
    "                       in DIR/authorized/ may join (musicgen keygen)\n\n";

int
mg_cmd_coordinator(int argc, char **argv)
{
    static const char *const extra[] = {
        "ledger=", "bind=", "chunk=", "heartbeat-ms=", "linger-ms=",
        "progress-ms=", "endpoint-file=", "curve-dir=", "http=",
        "lease-seconds=", "no-speculate", "durable=", NULL,
    };
    mg_coord_opts o;
    mg_coord_opts_defaults(&o);
    char **rest;
    int nrest, rc = 2;
    if (no_workers("coordinator", argc, argv, "the coordinator makes no "
                   "samples: give each worker --jobs J") ||
        parse("coordinator", &o.cfg, argc, argv, extra, &rest, &nrest))
        return 2;
    const char *ledger = NULL, *bind = "tcp://*:5555", *v;
    args a = {rest, nrest, 0};
    for (; a.i < a.n; a.i++) {
        long x;
        if (take_flag(&a, "help") || !strcmp(rest[a.i], "-h")) {
            fputs(coord_usage, stdout);
            options_help();
            free(rest);
            return 0;
        } else if (take(&a, "ledger", &v)) {
            ledger = v;
        } else if (take(&a, "bind", &v)) {
            bind = v;
        } else if (take(&a, "endpoint-file", &v)) {
            o.endpoint_file = v;
        } else if (take(&a, "curve-dir", &v)) {
            o.curve_dir = v;
        } else if (take(&a, "http", &v)) {
            o.http = v;
        } else if (take(&a, "chunk", &v)) {
            if (to_int("coordinator", "chunk", v, 1, MG_PROTO_MAX_CHUNK, &x))
                goto out;
            o.chunk = (uint32_t)x;
        } else if (take(&a, "lease-seconds", &v)) {
            char *e;
            errno = 0;
            double d = strtod(v, &e);
            if (e == v || *e || errno || !(d >= 0.01 && d <= 3600)) {
                fprintf(stderr, "musicgen coordinator: --lease-seconds: "
                        "must be a number of seconds in [0.01, 3600], got "
                        "'%s'\n", v);
                goto out;
            }
            o.lease_s = d;
        } else if (take_flag(&a, "no-speculate")) {
            o.speculate = false;
        } else if (take(&a, "durable", &v)) {
            if (!strcmp(v, "yes")) {
                o.durable = true;
            } else if (!strcmp(v, "no")) {
                o.durable = false;
            } else {
                fprintf(stderr, "musicgen coordinator: --durable: expected "
                        "yes or no, got '%s'\n", v);
                goto out;
            }
        } else if (take(&a, "heartbeat-ms", &v)) {
            if (to_int("coordinator", "heartbeat-ms", v, 50, 600000, &x))
                goto out;
            o.heartbeat_ms = (uint32_t)x;
        } else if (take(&a, "linger-ms", &v)) {
            if (to_int("coordinator", "linger-ms", v, 0, 600000, &x))
                goto out;
            o.linger_ms = (int)x;
        } else if (take(&a, "progress-ms", &v)) {
            if (to_int("coordinator", "progress-ms", v, 50, 3600000, &x))
                goto out;
            o.progress_ms = (int)x;
        } else {
            fprintf(stderr, "musicgen coordinator: unexpected argument "
                    "'%s'\n", rest[a.i]);
            goto out;
        }
    }
    char err[2600];
    if (!ledger) {
        fprintf(stderr, "musicgen coordinator: --ledger FILE is required "
                "(on the coordinator's local disk)\n");
        goto out;
    }
    if (!o.cfg.seed_set) {
        mg_seed_required("musicgen coordinator", ledger);
        goto out;
    }
    if (mg_config_validate(&o.cfg, true, err, sizeof err)) {
        fprintf(stderr, "musicgen coordinator: %s\n", err);
        goto out;
    }
    /* before the ledger is made: a typo must leave nothing behind */
    if (mg_endpoint_check(bind, true, err, sizeof err)) {
        fprintf(stderr, "musicgen coordinator: --bind: %s\n", err);
        goto out;
    }
    o.ledger_path = ledger;
    o.bind = bind;
    o.stop = &mg_stop_flag;
    o.quiet = o.cfg.verbose < 0;
    o.log_leases = o.cfg.verbose > 0;
    mg_procs_signals();
    mg_license_notice("musicgen coordinator", &o.cfg);
    mg_coord *c = mg_coord_new(&o, err, sizeof err);
    if (!c) {
        fprintf(stderr, "musicgen coordinator: %s\n", err);
        rc = 1;
        goto out;
    }
    int r = mg_coord_run(c, err, sizeof err);
    if (r < 0)
        fprintf(stderr, "musicgen coordinator: %s\n", err);
    mg_coord_destroy(&c);
    rc = r == 0 ? 0 : r == 1 ? 3 : 1;
out:
    free(rest);
    return rc;
}

/* ---- worker ---- */

static const char worker_usage[] =
    "usage: musicgen worker --connect ENDPOINT --out ROOT [--jobs J]\n"
    "       musicgen worker --static --array-index I --array-size M\n"
    "                       --seed S --count N --out ROOT [options]\n\n"
    "  --connect ENDPOINT   the coordinator, e.g. tcp://head:5555\n"
    "  --out ROOT           where this machine sees the run's shared root\n"
    "  --jobs J             J worker processes, one engine each (default 1)\n"
    "  --identity NAME      stable name, 1 to 58 printable characters\n"
    "                       (default host-pid)\n"
    "  --idle-timeout S     give up after S s without a coordinator\n"
    "                       (default 300; 0: never, wait for one for ever)\n"
    "  --curve-dir DIR      CURVE security: DIR/coordinator.cert (the\n"
    "                       coordinator's public key) and our keypair\n"
    "                       DIR/worker.cert_secret (musicgen keygen)\n"
    "  --static             no coordinator: make slice I of M of the run\n"
    "  --array-index I      default $SLURM_ARRAY_TASK_ID or\n"
    "                       $JOB_COMPLETION_INDEX\n"
    "  --array-size M       default $SLURM_ARRAY_TASK_COUNT\n"
    "  --durable yes|no     (--static) each sample reaches the disk before\n"
    "                       its slice row is written (default yes); with\n"
    "                       a coordinator, its --durable decides\n\n";

/* The longest --identity: the protocol's 63 bytes less a job's ".1023". */
#define MAX_IDENTITY 58

typedef struct {
    mg_worker_opts o;
    bool is_static, durable, durable_set;
    int index, size, jobs;
} worker_job;

static int
worker_child(int slot, void *ud)
{
    worker_job *j = ud;
    char err[1024];
    if (j->is_static) {
        /* J jobs make part slot of J of slice I of M each; the parent
         * joins them (the slice files are named by I and M alone,
         * whatever --jobs each task of the array had) */
        int rc = mg_worker_static(&j->o.cfg, j->index, j->size, slot,
                                  j->jobs, j->durable, j->o.engine,
                                  &mg_stop_flag, err, sizeof err);
        if (rc)
            fprintf(stderr, "musicgen worker: %s\n", err);
        return rc ? 1 : 0;
    }
    mg_worker_opts o = j->o;
    if (j->jobs > 1) {
        size_t l = strnlen(o.identity, sizeof o.identity - 8);
        snprintf(o.identity + l, sizeof o.identity - l, ".%d", slot);
    }
    o.stop = &mg_stop_flag;
    int rc = mg_worker_run(&o, err, sizeof err);
    if (rc < 0 || rc == MG_WORKER_GAVE_UP)
        fprintf(stderr, "musicgen worker: %s\n", err);
    if (rc == MG_WORKER_REFUSED)
        fprintf(stderr, "musicgen worker: %s\n", err[0] ? err :
                "refused by the coordinator");
    return rc < 0 ? 1 : rc == MG_WORKER_STOPPED ? 0 : rc;
}

static int
env_int(const char *name, int dflt)
{
    const char *s = getenv(name);
    return s && *s ? atoi(s) : dflt;
}

int
mg_cmd_worker(int argc, char **argv)
{
    static const char *const extra[] = {
        "connect=", "jobs=", "identity=", "idle-timeout=", "static",
        "array-index=", "array-size=", "curve-dir=", "durable=", NULL,
    };
    worker_job j;
    memset(&j, 0, sizeof j);
    mg_worker_opts_defaults(&j.o);
    j.jobs = 1;
    j.durable = true;
    j.index = env_int("SLURM_ARRAY_TASK_ID", env_int("JOB_COMPLETION_INDEX",
                                                     -1));
    j.size = env_int("SLURM_ARRAY_TASK_COUNT", -1);
    char **rest;
    int nrest, rc = 2;
    if (no_workers("worker", argc, argv, "a worker's are --jobs J") ||
        parse("worker", &j.o.cfg, argc, argv, extra, &rest, &nrest))
        return 2;
    const char *v;
    args a = {rest, nrest, 0};
    for (; a.i < a.n; a.i++) {
        long x;
        if (take_flag(&a, "help") || !strcmp(rest[a.i], "-h")) {
            fputs(worker_usage, stdout);
            options_help();
            free(rest);
            return 0;
        } else if (take_flag(&a, "static")) {
            j.is_static = true;
        } else if (take(&a, "connect", &v)) {
            j.o.connect = v;
        } else if (take(&a, "curve-dir", &v)) {
            j.o.curve_dir = v;
        } else if (take(&a, "identity", &v)) {
            /* leases are held by identity: an empty one was sent as is
             * (the coordinator dropped every HELLO and the worker waited
             * for ever), a long one was cut, and two names sharing their
             * first 63 bytes took each other's peer and leases */
            size_t n = strlen(v), k = 0;
            while (k < n && v[k] > ' ' && v[k] < 0x7f)
                k++;
            if (n < 1 || n > MAX_IDENTITY || k < n) {
                fprintf(stderr, "musicgen worker: --identity must be 1 to %d "
                        "printable characters without spaces (--jobs adds "
                        "'.N' to it), got '%.80s'%s\n", MAX_IDENTITY, v,
                        n > 80 ? "..." : "");
                goto out;
            }
            snprintf(j.o.identity, sizeof j.o.identity, "%s", v);
        } else if (take(&a, "jobs", &v)) {
            if (to_int("worker", "jobs", v, 1, 1024, &x))
                goto out;
            j.jobs = (int)x;
        } else if (take(&a, "idle-timeout", &v)) {
            if (to_int("worker", "idle-timeout", v, 0, 86400 * 365, &x))
                goto out;
            j.o.idle_timeout_ms = (int)(x * 1000 > INT32_MAX ? INT32_MAX
                                                            : x * 1000);
        } else if (take(&a, "array-index", &v)) {
            if (to_int("worker", "array-index", v, 0, 1000000, &x))
                goto out;
            j.index = (int)x;
        } else if (take(&a, "array-size", &v)) {
            if (to_int("worker", "array-size", v, 1, 1000000, &x))
                goto out;
            j.size = (int)x;
        } else if (take(&a, "durable", &v)) {
            if (strcmp(v, "yes") && strcmp(v, "no")) {
                fprintf(stderr, "musicgen worker: --durable: expected yes "
                        "or no, got '%s'\n", v);
                goto out;
            }
            j.durable = !strcmp(v, "yes");
            j.durable_set = true;
        } else {
            fprintf(stderr, "musicgen worker: unexpected argument '%s'\n",
                    rest[a.i]);
            goto out;
        }
    }
    char err[512];
    j.o.quiet = j.o.cfg.verbose < 0;
    if (j.is_static) {
        if (mg_config_validate(&j.o.cfg, true, err, sizeof err)) {
            fprintf(stderr, "musicgen worker: %s\n", err);
            goto out;
        }
        if (j.size < 1 || j.index < 0 || j.index >= j.size) {
            fprintf(stderr, "musicgen worker: --static needs --array-index I "
                    "and --array-size M with 0 <= I < M\n");
            goto out;
        }
    } else if (!j.o.connect) {
        fprintf(stderr, "musicgen worker: --connect ENDPOINT is required "
                "(or --static)\n");
        goto out;
    } else if (j.durable_set) {
        fprintf(stderr, "musicgen worker: --durable goes with --static; a "
                "coordinated run is durable as the coordinator's --durable "
                "says\n");
        goto out;
    } else if (mg_endpoint_check(j.o.connect, false, err, sizeof err)) {
        fprintf(stderr, "musicgen worker: --connect: %s\n", err);
        goto out;
    } else if (j.o.curve_dir) {
        /* once here, not once per --jobs process */
        mg_curve_keys k;
        if (mg_curve_load_client(j.o.curve_dir, &k, err, sizeof err)) {
            fprintf(stderr, "musicgen worker: %s\n", err);
            rc = 1;
            goto out;
        }
        memset(&k, 0, sizeof k);
    }
    mg_procs_signals();
    if (j.is_static && mg_fonts_auto_download("musicgen worker", &j.o.cfg)) {
        rc = 1;
        goto out;
    }
    if (j.jobs == 1) {
        rc = worker_child(0, &j);
        goto out;
    }
    /* One engine for the J jobs, made here before the fork: its
     * soundfonts (about a second and 140 MB for FluidR3_GM) are loaded
     * once and shared copy-on-write, not once per job. A coordinated
     * worker asks the coordinator for its run first (the engine is made
     * for that run); if asking fails, each job asks and makes its own. */
    {
        mg_config run = j.o.cfg;
        int fr = 0;
        j.o.stop = &mg_stop_flag;
        if (!j.is_static)
            fr = mg_worker_fetch_run(&j.o, &run, err, sizeof err);
        if (fr == MG_WORKER_STOPPED) {
            rc = 0;
            goto out;
        }
        if (fr == MG_WORKER_COMPLETE || fr == MG_WORKER_REFUSED ||
            fr == MG_WORKER_GAVE_UP) {
            /* what every job would meet: said once */
            if (fr != MG_WORKER_COMPLETE || !j.o.quiet)
                fprintf(stderr, "musicgen worker: %s\n", err);
            rc = fr == MG_WORKER_COMPLETE ? 0 : fr;
            goto out;
        }
        if (fr == 0) {
            /* an engine that cannot be made here (a missing soundfont, an
             * output that cannot be written) fails alike in every job */
            if (mg_fonts_auto_download("musicgen worker", &run)) {
                rc = 1;
                goto out;
            }
            j.o.engine = mg_engine_new(&run, err, sizeof err);
            if (!j.o.engine) {
                fprintf(stderr, "musicgen worker: %s\n", err);
                rc = 1;
                goto out;
            }
            j.o.cfg = run;
        } else if (!j.o.quiet) {
            mg_dlog("worker", "cannot ask the coordinator for its run (%s); "
                    "each job asks and makes its own engine", err);
        }
    }
    /* Fault-injection hook for the test suite: the jobs start once the
     * file it names exists (a coordinator restarted with a larger
     * --count between our question and the jobs' HELLO). Never set in
     * use. */
    const char *after = getenv("MUSICGEN_FAULT_JOBS_AFTER");
    while (after && access(after, F_OK) && !mg_stop_flag)
        usleep(20000);
    mg_procs p;
    int spawned = mg_procs_spawn(&p, j.jobs, worker_child, &j);
    /* The parent's copy is freed only when the children are gone: freed
     * now, every page its frees write is copied (the children share them)
     * on the cores the jobs need. The children never free theirs. */
    if (spawned) {
        mg_engine_destroy(&j.o.engine);
        fprintf(stderr, "musicgen worker: cannot start %d processes: %s\n",
                j.jobs, strerror(errno));
        mg_procs_kill(&p, SIGTERM);
        mg_procs_wait(&p, 10000);
        mg_procs_free(&p);
        rc = 1;
        goto out;
    }
    /* Pass our signals on: the children finish their samples. Woken by
     * a child's exit or a signal, not by a timer: the run's end is seen
     * at once. */
    int forwarded = 0;
    while (mg_procs_sleep(&p, forwarded) > 0)
        mg_procs_forward(&p, &forwarded);
    rc = mg_procs_result(&p);
    mg_procs_free(&p);
    if (rc == 0 && j.is_static && !mg_stop_flag &&
        mg_worker_static_join(&j.o.cfg, j.index, j.size, j.jobs, err,
                              sizeof err)) {
        fprintf(stderr, "musicgen worker: %s\n", err);
        rc = 1;
    }
    /* not freed: the command returns to exit(), and freeing the fonts'
     * tables block by block only delays it (see generate); kept
     * reachable for leak checkers */
    kept_engine = j.o.engine;
out:
    free(rest);
    return rc;
}

/* ---- keygen ---- */

int
mg_cmd_keygen(int argc, char **argv)
{
    const char *dir = NULL;
    bool worker_only = false;
    args a = {argv, argc, 1};   /* argv[0] is "keygen" */
    for (; a.i < a.n; a.i++) {
        const char *v;
        if (take_flag(&a, "help") || !strcmp(argv[a.i], "-h")) {
            printf("usage: musicgen keygen --curve-dir DIR [--worker-only]\n"
                   "  makes CURVE keys for a run (czmq certificates; secret "
                   "files mode 0600):\n"
                   "    DIR/coordinator.cert[_secret]  the coordinator's "
                   "keypair\n"
                   "    DIR/worker.cert[_secret]       a worker keypair\n"
                   "    DIR/authorized/worker.cert     that worker, "
                   "authorised\n"
                   "  Existing keys are kept. --worker-only: a worker "
                   "keypair alone (copy its\n  worker.cert into the "
                   "coordinator's authorized/ and the coordinator's\n"
                   "  coordinator.cert beside it).\n"
                   "  Use: musicgen coordinator --curve-dir DIR ...\n"
                   "       musicgen worker --curve-dir DIR ...\n");
            return 0;
        } else if (take(&a, "curve-dir", &v)) {
            dir = v;
        } else if (take_flag(&a, "worker-only")) {
            worker_only = true;
        } else {
            static const char *const valued[] = {"--curve-dir", NULL};
            if (mg_dsargs_no_value("keygen", argv[a.i], a.i + 1 == a.n,
                                   valued))
                return 2;
            fprintf(stderr, "musicgen keygen: unexpected argument '%s'\n",
                    argv[a.i]);
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "musicgen keygen: --curve-dir DIR is required\n");
        return 2;
    }
    char report[8192], err[2300];
    if (mg_curve_keygen(dir, worker_only, report, sizeof report, err,
                        sizeof err)) {
        fprintf(stderr, "musicgen keygen: %s\n", err);
        return 1;
    }
    fprintf(stderr, "%s\n", report[0] ? report : "keys already present; "
            "nothing made");
    return 0;
}

/* ---- status ---- */

int
mg_cmd_status(int argc, char **argv)
{
    static const char *const extra[] = {"ledger=", NULL};
    mg_config cfg;
    char **rest;
    int nrest, rc = 2;
    if (parse("status", &cfg, argc, argv, extra, &rest, &nrest))
        return 2;
    const char *ledger = NULL, *v;
    args a = {rest, nrest, 0};
    for (; a.i < a.n; a.i++) {
        if (take_flag(&a, "help") || !strcmp(rest[a.i], "-h")) {
            printf("usage: musicgen status --ledger FILE | --out ROOT\n"
                   "  (--out ROOT reads ROOT/.musicgen/ledger.sqlite, the "
                   "ledger of `musicgen generate`,\n"
                   "  or, in a tree of `worker --static`, its slices)\n");
            free(rest);
            return 0;
        } else if (take(&a, "ledger", &v)) {
            ledger = v;
        } else {
            fprintf(stderr, "musicgen status: unexpected argument '%s'\n",
                    rest[a.i]);
            goto out;
        }
    }
    char path[1200], err[512];
    bool by_root = !ledger; /* --out ROOT: its run lock says more */
    if (!ledger) {
        snprintf(path, sizeof path, "%s/.musicgen/ledger.sqlite",
                 cfg.out_dir);
        ledger = path;
    }
    /* a missing ROOT is named as such: it read 'ledger ROOT/.musicgen/
     * ledger.sqlite: No such file or directory' */
    if (by_root && mg_dsread_root_check(cfg.out_dir, NULL, err, sizeof err)) {
        fprintf(stderr, "musicgen status: %s\n", err);
        rc = 1;
        goto out;
    }
    /* nor a directory that holds no dataset, named as the dataset
     * commands name it (it read 'ledger ROOT/.musicgen/ledger.sqlite: No
     * such file or directory') */
    if (by_root && mg_dsargs_dataset("status", cfg.out_dir)) {
        rc = 1;
        goto out;
    }
    struct stat lst;
    if (by_root && stat(ledger, &lst) && errno == ENOENT) {
        if (!mg_status_static(cfg.out_dir)) {
            rc = 0;
            goto out;
        }
        /* a coordinator's tree: its ledger is on the coordinator's own
         * disk, not here ("ledger ROOT/.musicgen/ledger.sqlite: No such
         * file or directory" said nothing of that) */
        char who[200], sp[1300];
        snprintf(sp, sizeof sp, "%s/.musicgen/serving", cfg.out_dir);
        if (!stat(sp, &lst)) {
            bool live = mg_runlock_held(cfg.out_dir, who, sizeof who) == 1;
            fprintf(stderr, "musicgen status: %s is the root of a "
                    "coordinator's run%s%s; its ledger is on the "
                    "coordinator's disk: musicgen status --ledger FILE "
                    "there\n", cfg.out_dir, live ? ", being written by " : "",
                    live ? who : "");
            rc = 1;
            goto out;
        }
        /* samples, but no run's ledger: a copy, or a tree made elsewhere */
        fprintf(stderr, "musicgen status: %s holds no run (no "
                ".musicgen/ledger.sqlite): stats %s reads its samples\n",
                cfg.out_dir, cfg.out_dir);
        rc = 1;
        goto out;
    }
    mg_ledger *l = mg_ledger_open_ro(ledger, err, sizeof err);
    mg_ledger_run run;
    mg_ledger_counts c;
    if (!l || mg_ledger_get_run(l, &run, err, sizeof err) != 1 ||
        mg_ledger_counts_get(l, mg_wall_ms(), &c, err, sizeof err)) {
        fprintf(stderr, "musicgen status: %s\n", l ? (err[0] ? err :
                "the ledger holds no run") : err);
        mg_ledger_close(&l);
        rc = 1;
        goto out;
    }
    uint64_t done = c.ok + c.failed;
    printf("run: seed %" PRId64 ", %" PRIu64 " samples from %" PRIu64
           ", chunks of %u\n", run.global_seed, run.count, run.start,
           run.chunk);
    printf("done: %" PRIu64 "/%" PRIu64 " (%.1f%%), %" PRIu64 " ok, %"
           PRIu64 " failed\n", done, c.total,
           c.total ? 100.0 * (double)done / (double)c.total : 0.0, c.ok,
           c.failed);
    printf("chunks of %u: %" PRIu64 " done, %" PRIu64 " not done\n",
           run.chunk, c.chunks_done, c.chunks_pending + c.chunks_leased);
    char *prog = mg_ledger_get_meta(l, "progress");
    json_t *j = prog ? json_loads(prog, 0, NULL) : NULL;
    if (j) {
        double eta = json_number_value(json_object_get(j, "eta_s"));
        char etas[32] = "?";
        if (eta >= 0) {
            long t = (long)eta;
            snprintf(etas, sizeof etas, "%ld:%02ld:%02ld", t / 3600,
                     t / 60 % 60, t % 60);
        }
        printf("last progress: %.1f rows/s, ETA %s, %d workers (at %s)\n",
               json_number_value(json_object_get(j, "rate")),
               done >= c.total ? "0:00:00" : etas,
               (int)json_integer_value(json_object_get(j, "workers")),
               json_string_value(json_object_get(j, "updated_at")));
        if (json_object_get(j, "leases"))
            printf("leases: %d live, %" PRId64 " samples queued, %.3f s per "
                   "sample; %" PRId64 " rows rejected, %" PRId64 " leases "
                   "re-queued\n",
                   (int)json_integer_value(json_object_get(j, "leases")),
                   (int64_t)json_integer_value(json_object_get(j, "queued")),
                   json_number_value(json_object_get(j, "sample_s")),
                   (int64_t)json_integer_value(
                       json_object_get(j, "rows_rejected")),
                   (int64_t)json_integer_value(
                       json_object_get(j, "leases_requeued")));
        json_decref(j);
    }
    char who[200];
    if (done >= c.total)
        printf("state: complete\n");
    else if (!by_root)
        printf("state: incomplete\n");
    else if (mg_runlock_held(cfg.out_dir, who, sizeof who))
        printf("state: incomplete, being written by %s\n", who);
    else
        printf("state: incomplete, nothing writing it now (stopped: the "
               "same command again resumes it)\n");
    free(prog);
    mg_ledger_run_free(&run);
    mg_ledger_close(&l);
    rc = 0;
out:
    free(rest);
    return rc;
}
