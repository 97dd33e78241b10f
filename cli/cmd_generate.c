/*
 * generate — `musicgen generate`: make a dataset on this machine, with the
 * very coordinator and workers a cluster runs (embedded local mode).
 *
 * The parent validates the options and makes one engine (so a bad option,
 * genre or soundfont is one line on stderr and nothing is written), forks
 * one worker process per core (--workers N) *before* it creates any
 * ZeroMQ context or thread, so each worker inherits that engine and its
 * loaded soundfonts copy-on-write, then runs the coordinator in-process
 * on an abstract ipc:// endpoint private to this run, with its ledger
 * inside the output directory (<out>/.musicgen/ledger.sqlite). Re-running the same command
 * after Ctrl-C or kill -9 resumes from that ledger; samples the ledger
 * has but the disk lost are made again. Progress: a live bar with rate and
 * ETA on a terminal, plain lines every 5 s otherwise, nothing with -q.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "config.h"
#include "coordinator.h"
#include "dsread.h"
#include "engine.h"
#include "http.h"
#include "jdoc.h"
#include "pools.h"
#include "procs.h"
#include "progress.h"
#include "rfile.h"
#include "runlock.h"
#include "sampledir.h"
#include "seed.h"
#include "worker.h"

typedef struct {
    mg_config cfg;
    char endpoint[128];
    mg_engine *engine;           /* the parent's, inherited by the fork */
    int run_fd;                  /* the parent's run lock: not a worker's */
} child_ctx;

/* The root's run lock (runlock.h), taken before the engine loads its
 * soundfonts (seconds): from then on a reader of the root (verify,
 * export, the Python Dataset) is told a run is writing it, where it saw
 * an empty directory and said it held no dataset; and a second generate
 * on the root is refused before loading fonts of its own. A command
 * refused before its run starts removes what taking it made. */
typedef struct {
    int fd;
    bool made_root, made_state;
    char root[1100];
} early_lock;

static int
early_lock_take(early_lock *l, const char *root, char *err, size_t errlen)
{
    char state[1200];
    struct stat st;
    memset(l, 0, sizeof *l);
    l->fd = -1;
    snprintf(l->root, sizeof l->root, "%s", root);
    snprintf(state, sizeof state, "%s/.musicgen", root);
    l->made_root = stat(root, &st) != 0;
    l->made_state = stat(state, &st) != 0;
    /* a root that cannot be made or written: the engine says so, as
     * before */
    if (mg_dir_make(root) || access(root, W_OK | X_OK))
        return 0;
    l->fd = mg_runlock_take(root, "musicgen generate", err, errlen);
    return l->fd < 0 ? -1 : 0;
}

static void
early_lock_drop(early_lock *l)
{
    char p[1300];
    /* only what we made while we held the lock: refused it, the root is
     * another generate's, which made them at the same moment */
    bool held = l->fd >= 0;
    mg_runlock_release(l->fd);
    l->fd = -1;
    if (!held)
        return;
    if (l->made_state) {
        snprintf(p, sizeof p, "%s/.musicgen/run.lock", l->root);
        unlink(p);
        snprintf(p, sizeof p, "%s/.musicgen", l->root);
        rmdir(p);
    }
    if (l->made_root)
        rmdir(l->root);
}

static int
local_worker(int slot, void *ud)
{
    child_ctx *x = ud;
    mg_worker_opts o;
    char err[1024];
    /* the lock stays the parent's: a worker outliving it (kill -9) must
     * not keep the root locked */
    if (x->run_fd >= 0)
        close(x->run_fd);
    mg_worker_opts_defaults(&o);
    o.cfg = x->cfg;
    /* this process's copy of the parent's engine, lent to the worker and
     * never freed here: the process exits after the run, and freeing it
     * would copy every shared page it writes */
    o.engine = x->engine;
    o.connect = x->endpoint;
    o.quiet = true;
    o.stop = &mg_stop_flag;
    /* the coordinator is our parent: if it is gone for long, so is the run */
    o.idle_timeout_ms = 20000;
    /* forked before the coordinator binds: a refused first connect is
     * retried after 5 ms, not ZeroMQ's 100-200 ms (which a worker's
     * first sample waited, at every start, in about half the runs) */
    o.reconnect_ivl_ms = 5;
    snprintf(o.identity, sizeof o.identity, "local-%d-%ld", slot,
             (long)getpid());
    int rc = mg_worker_run(&o, err, sizeof err);
    /* An engine that cannot start fails alike in every worker: one of
     * them says so */
    bool setup = rc < 0 && !strncmp(err, "engine: ", 8);
    if ((rc < 0 && (!setup || slot == 0)) || rc == MG_WORKER_REFUSED)
        fprintf(stderr, "musicgen generate: %s\n", setup ? err + 8 : err);
    return rc < 0 ? 1 : rc == MG_WORKER_STOPPED ? 0 : rc;
}

typedef struct {
    mg_procs *procs;
    bool tty, quiet;
    bool workers_gone;
    int64_t last_line;
    int width;
} progress_ctx;

static void
on_progress(const mg_coord_progress *p, void *ud)
{
    progress_ctx *x = ud;
    /* Workers that all died (e.g. an engine fault) stop the run; after
     * a stop they leave as asked (the coordinator took their last rows) */
    if (!mg_stop_flag && mg_procs_reap(x->procs) == 0 &&
        p->done < p->total) {
        x->workers_gone = true;
        mg_stop_flag = mg_stop_flag ? mg_stop_flag : 1;
    }
    if (x->quiet)
        return;
    char eta[32];
    mg_cliprog_eta(eta, sizeof eta, p->eta_s);
    double frac = p->total ? (double)p->done / (double)p->total : 1.0;
    if (x->tty) {
        char bar[41];
        int fill = (int)(frac * 40);
        for (int i = 0; i < 40; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[40] = '\0';
        fprintf(stderr, "\r[%s] %" PRIu64 "/%" PRIu64 " %5.1f%%  %.0f/s  "
                "ETA %s  %d workers%s", bar, p->done, p->total, frac * 100,
                p->rate, eta, p->workers, p->failed ? "  (failures)" : "");
        fflush(stderr);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (now - x->last_line < 5000)
        return;
    x->last_line = now;
    fprintf(stderr, "progress: %" PRIu64 "/%" PRIu64 " (%.1f%%), %" PRIu64
            " failed, %.1f/s, ETA %s, %d workers\n", p->done, p->total,
            frac * 100, p->failed, p->rate, eta, p->workers);
}

/* The coordinator's linger after the run: over once every worker
 * process has exited (they leave on SHUTDOWN), instead of a fixed wait
 * at the end of every run; and its wait for their last rows after a
 * stop, which it passes on to them (a signal to generate alone, from
 * timeout or a service manager, reached no worker until then). */
typedef struct {
    mg_procs *procs;
    int forwarded;
} linger_ctx;

static bool
workers_exited(void *ud)
{
    linger_ctx *l = ud;
    mg_procs_forward(l->procs, &l->forwarded);
    return mg_procs_reap(l->procs) == 0;
}

/* The final line, in the words of the first serial version. */
typedef struct {
    progress_ctx *px;
    mg_coord_progress last;
} final_ctx;

static void
on_progress_final(const mg_coord_progress *p, void *ud)
{
    final_ctx *f = ud;
    f->last = *p;
    on_progress(p, f->px);
}

/* The parent's engine at the end of a run (see mg_cmd_generate). */
static mg_engine *volatile kept_engine;

static int
ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int
mg_cmd_generate(int argc, char **argv)
{
    mg_config cfg;
    char err[2600];
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest)
        return 1;
    static const char *const extra[] = {"http=", NULL};
    const char *http = NULL;
    if (mg_config_from_args(&cfg, argc, argv, extra, rest, &nrest, err,
                            sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        free(rest);
        return 2;
    }
    for (int i = 0; i < nrest; i++) {
        if (!strncmp(rest[i], "--http=", 7)) {
            http = rest[i] + 7;
            continue;
        }
        if (!strcmp(rest[i], "--http") && i + 1 < nrest) {
            http = rest[++i];
            continue;
        }
        if (!strcmp(rest[i], "--help") || !strcmp(rest[i], "-h")) {
            printf("usage: musicgen generate --seed S [options]\n\n"
                   "Runs an embedded coordinator and one worker process per "
                   "core (--workers N);\nre-run the same command to resume "
                   "(ledger: <out>/.musicgen/ledger.sqlite),\nwith a "
                   "larger --count to grow the dataset, or with a smaller "
                   "one\nto shrink it while none of the samples dropped "
                   "is finished.\n\n"
                   "  --http ADDR          a live status page and Prometheus "
                   "/metrics at ADDR\n"
                   "                       (HOST:PORT, e.g. 127.0.0.1:8081)"
                   " while the run lasts;\n"
                   "                       the command line only (not "
                   "MUSICGEN_HTTP or --config)\n\n%s",
                   mg_config_options_help());
            free(rest);
            return 0;
        }
        fprintf(stderr, "musicgen generate: unexpected argument '%s'\n",
                rest[i]);
        free(rest);
        return 2;
    }
    free(rest);
    char ledger[1300];
    snprintf(ledger, sizeof ledger, "%s/.musicgen/ledger.sqlite",
             cfg.out_dir);
    if (!cfg.seed_set) {
        mg_seed_required("musicgen generate", ledger);
        return 2;
    }
    if (mg_config_validate(&cfg, true, err, sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        return 2;
    }
    struct sockaddr_in sa;
    if (http && mg_http_parse_addr(http, &sa, err, sizeof err)) {
        fprintf(stderr, "musicgen generate: --http: %s\n", err);
        return 2;
    }
    /* not a directory of something else (before anything is made there:
     * the run's manifest.jsonl and LICENSES.md would replace its files) */
    char what[300];
    if (mg_sampledir_foreign(cfg.out_dir, what, sizeof what)) {
        fprintf(stderr, "musicgen generate: --out %s is not empty and holds "
                "no musicgen dataset (it has %s): a run writes "
                "manifest.jsonl and LICENSES.md there; give a new or empty "
                "directory, or a dataset to resume or grow\n", cfg.out_dir,
                what);
        return 1;
    }
    /* A tree laid out in another shard width (its ledger gone, so the
     * run check cannot tell): refused here, before the run writes its
     * (empty) manifest, LICENSES.md and a ledger of its own over the
     * tree's; the worker's refusal at the first sample came after them,
     * and then even the tree's own options were refused */
    int lw = -1;
    struct stat od;
    if (!stat(cfg.out_dir, &od) && S_ISDIR(od.st_mode) &&
        mg_sampledir_fits(cfg.out_dir, cfg.shard_width, "--out ",
                          "--shard-width", "another --out", &lw, err,
                          sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        return 1;
    }
    /* A tree of another run (its ledger gone, so the run check cannot
     * tell): its manifest must be this run's (its first "ok" row with
     * this run's seed for its index, no row outside the range), or the
     * run would rewrite that manifest with rows of its own over samples
     * of another (the coordinator checks it again, for its standalone
     * runs); and that row's sample.json this run's options (checked once
     * the engine knows the fingerprint, below) */
    char first[1400] = "", rel[256] = "";
    uint64_t first_seed = 0, first_index = 0;
    bool no_ledger = access(ledger, F_OK) != 0;
    if (no_ledger &&
        mg_dsmanifest_run_check(cfg.out_dir, cfg.global_seed,
                                (uint64_t)cfg.start, (uint64_t)cfg.count,
                                rel, sizeof rel, &first_index, err,
                                sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        return 1;
    } else if (rel[0] && !strstr(rel, "..")) {
        snprintf(first, sizeof first, "%s/%s/sample.json", cfg.out_dir, rel);
        first_seed = mg_sample_seed(cfg.global_seed, first_index);
    } else if (lw >= 0 && no_ledger) {
        /* no manifest either: the tree's first finished sample (a run
         * refused by its worker had left a ledger of its own options, and
         * the tree's own command was then refused) */
        mg_dsread *r = mg_dsread_open(cfg.out_dir, 0, err, sizeof err);
        mg_dsample ds;
        while (r && mg_dsread_next(r, &ds, err, sizeof err) == 1)
            if (ds.complete && !ds.misplaced &&
                ds.index != MG_DSREAD_NOINDEX) {
                snprintf(first, sizeof first, "%s/sample.json", ds.path);
                first_index = ds.index;
                first_seed = mg_sample_seed(cfg.global_seed, ds.index);
                break;
            }
        mg_dsread_destroy(&r);
    }
    /* One engine in the parent, made before the fork: set-up errors
     * (genres, soundfonts, output directory) surface here, once, and the
     * workers inherit it: its soundfonts (the slowest part of a start,
     * about a second and 140 MB for FluidR3_GM) are loaded once and
     * shared copy-on-write, not loaded again by every worker. No thread
     * and no ZeroMQ context exists yet, so the fork is clean. */
    early_lock lk;
    if (early_lock_take(&lk, cfg.out_dir, err, sizeof err)) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        early_lock_drop(&lk);
        return 1;
    }
    if (mg_fonts_auto_download("musicgen generate", &cfg)) {
        early_lock_drop(&lk);
        return 1;
    }
    mg_engine *e = mg_engine_new(&cfg, err, sizeof err);
    if (!e) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        early_lock_drop(&lk);
        return 1;
    }
    /* seeds past 2^63 kept whole, compared exactly (mg_sample_of_run
     * reads no seed) */
    json_t *fj = first[0] ? mg_jdoc_json_file(first, err, sizeof err) : NULL;
    char why[200] = "";
    uint64_t fsd;
    if (fj && !mg_jdoc_json_u64(json_object_get(fj, "seed"), &fsd) &&
        fsd != first_seed)
        snprintf(why, sizeof why, "its seed is not index %" PRIu64 "'s "
                 "under --seed %" PRId64, first_index, cfg.global_seed);
    else if (fj)
        mg_sample_of_run(fj, &cfg, mg_engine_fingerprint(e), first_seed, why,
                         sizeof why);
    /* made by another musicgen: no --seed or option of this one resumes
     * it (the ledger's refusal says the same, mg_ledger_version_check) */
    const char *fv = json_string_value(json_object_get(fj,
                                                       "musicgen_version"));
    const char *v = mg_engine_fingerprint(e)->engine_version;
    if (why[0] && fv && strcmp(fv, v)) {
        char whose[2500];
        snprintf(whose, sizeof whose, "--out %s holds a run (%s)", cfg.out_dir,
                 first);
        mg_version_refusal(err, sizeof err, whose, fv, "another --out");
        fprintf(stderr, "musicgen generate: %s\n", err);
    } else if (why[0])
        fprintf(stderr, "musicgen generate: --out %s holds another run: "
                "%s is not this run's sample (%s); give that run's --seed "
                "and options, or another --out\n", cfg.out_dir, first, why);
    if (why[0]) {
        json_decref(fj);
        mg_engine_destroy(&e);
        early_lock_drop(&lk);
        return 1;
    }
    json_decref(fj);
    /* A run killed -9 (or a power loss) leaves the temporary directories
     * of the samples in flight: remove those whose writers are provably
     * gone (a dead pid of this host, or untouched for a day), never a
     * live writer's (another generate on the same root). */
    long swept = mg_sampledir_sweep(cfg.out_dir, (long long)time(NULL),
                                    MG_TMP_STALE_S, NULL, NULL);
    if (swept > 0 && cfg.verbose >= 0)
        fprintf(stderr, "musicgen generate: removed %ld temporary "
                "director%s left by writers that are gone\n", swept,
                swept == 1 ? "y" : "ies");
    mg_license_notice("musicgen generate", &cfg);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/.musicgen", cfg.out_dir);
    if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "musicgen generate: %s: %s\n", dir, strerror(errno));
        early_lock_drop(&lk);
        return 1;
    }

    int workers = cfg.workers > 0 ? cfg.workers : ncores();
    if ((int64_t)workers > cfg.count)
        workers = (int)cfg.count;
    child_ctx cx;
    cx.cfg = cfg;
    cx.engine = e;
    cx.run_fd = lk.fd;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* abstract socket: no file to clean up, no path length limit */
    snprintf(cx.endpoint, sizeof cx.endpoint, "ipc://@musicgen-%ld-%ld%09ld",
             (long)getpid(), (long)ts.tv_sec, (long)ts.tv_nsec);

    mg_procs_signals();
    mg_procs procs;
    int spawned = mg_procs_spawn(&procs, workers, local_worker, &cx);
    /* The parent's copy is freed only at the end: while the children live,
     * its pages are theirs too (freeing them here returns no memory), and
     * freeing half a gigabyte of fonts before the coordinator answers
     * delayed it past the workers' patience under a sanitizer. */
    if (spawned) {
        fprintf(stderr, "musicgen generate: cannot start %d workers: %s\n",
                workers, strerror(errno));
        mg_procs_kill(&procs, SIGTERM);
        mg_procs_wait(&procs, 10000);
        mg_procs_free(&procs);
        mg_engine_destroy(&e);
        early_lock_drop(&lk);
        return 1;
    }
    if (cfg.verbose > 0)
        fprintf(stderr,
                "musicgen generate: %d worker%s forked from %d "
                "thread%s\n",
                workers, workers == 1 ? "" : "s", procs.threads_at_fork,
                procs.threads_at_fork == 1 ? "" : "s");

    progress_ctx px = {&procs, isatty(2) == 1, cfg.verbose < 0, false,
                       (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, 0};
    final_ctx fx = {&px, {0}};
    mg_coord_opts o;
    mg_coord_opts_defaults(&o);
    o.cfg = cfg;
    o.ledger_path = ledger;
    o.bind = cx.endpoint;
    /* leases are sized by the coordinator from measured sample time
     * (guided), so the cores stay busy to the end of a short run; the
     * embedded run is not durable against power loss (a lost row is a
     * sample found complete on disk at the next start) */
    o.durable = false;
    /* speculation copies only samples waiting behind a job's current
     * one (work stealing), never the one it is on: every job runs on
     * this host's cores, so a copy started later cannot finish first,
     * and the run's end would wait for the copy in hand */
    o.speculate_running = false;
    o.linger_ms = 200;
    linger_ctx lx = {&procs, 0};
    o.linger_done = workers_exited;
    o.linger_ud = &lx;
    o.progress_ms = px.tty ? 200 : 1000;
    o.stop = &mg_stop_flag;
    o.progress = on_progress_final;
    o.progress_ud = &fx;
    o.quiet = true;
    /* -v: the coordinator's line per lease (when each job got what) */
    o.log_leases = cfg.verbose > 0;
    o.who = "musicgen generate";
    o.other_run = "another --out";   /* no --ledger to give */
    o.run_fd = lk.fd;           /* the coordinator's from here */
    lk.fd = -1;
    o.expect_jobs = workers;
    o.http = http;
    /* the engine's, computed at its start: not a second pass over the
     * genre files before the first lease */
    o.fp = mg_engine_fingerprint(e);
    int rc = 1;
    mg_coord *c = mg_coord_new(&o, err, sizeof err);
    if (!c && mg_stop_flag) {
        /* Ctrl-C while the run was being opened (its disk check) */
        fprintf(stderr, "musicgen generate: interrupted before the run "
                "started; run the same command again to continue\n");
        mg_procs_kill(&procs, SIGTERM);
        mg_procs_wait(&procs, 10000);
        mg_procs_free(&procs);
        mg_engine_destroy(&e);
        return 130;
    }
    if (!c) {
        fprintf(stderr, "musicgen generate: %s\n", err);
        mg_procs_kill(&procs, SIGTERM);
        mg_procs_wait(&procs, 10000);
        mg_procs_free(&procs);
        mg_engine_destroy(&e);
        return 1;
    }
    int r = mg_coord_run(c, err, sizeof err);
    if (px.tty && !px.quiet)
        fputc('\n', stderr);
    if (r < 0)
        fprintf(stderr, "musicgen generate: %s\n", err);
    mg_coord_destroy(&c);
    /* Done: workers got SHUTDOWN. Stopped: ask them to finish (a Ctrl-C
     * reached them too; counted once, procs.h), passing a second stop on
     * as "abandon". */
    bool jobs_finished = false;
    if (r != 0) {
        mg_procs_finish(&procs, 15000);
        jobs_finished = mg_procs_result(&procs) == 0 && mg_stop_flag < 2;
    } else {
        mg_procs_wait(&procs, 10000);
        /* A worker killed on the way (kill -9, or one that hung and was
         * killed above: its lease went to another) left its .tmp-* in a
         * finished tree, which verify then counted as a problem: swept
         * now that the writer is gone, not at a next start that a
         * finished run never has. */
        swept = mg_procs_result(&procs)
                    ? mg_sampledir_sweep(cfg.out_dir, (long long)time(NULL),
                                         MG_TMP_STALE_S, NULL, NULL)
                    : 0;
        if (swept > 0 && cfg.verbose >= 0)
            fprintf(stderr, "musicgen generate: removed %ld temporary "
                    "director%s of workers that did not finish\n", swept,
                    swept == 1 ? "y" : "ies");
    }
    mg_procs_free(&procs);
    const mg_coord_progress *p = &fx.last;
    if (r == 0) {
        rc = 0;
        if (cfg.verbose >= 0 && p->missing)
            fprintf(stderr, "musicgen generate: %" PRIu64 " sample(s) "
                    "recorded as done were gone from disk (no sample.json, or one "
                    "cut short) and were made again\n", p->missing);
        if (cfg.verbose >= 0 && p->grew_from)
            fprintf(stderr, "musicgen generate: the run in %s grew from %"
                    PRIu64 " to %" PRIu64 " samples (indices %" PRIu64
                    "..%" PRIu64 ")\n", cfg.out_dir, p->grew_from, p->total,
                    p->run_start, p->run_start + p->total - 1);
        else if (cfg.verbose >= 0 && p->shrank_from)
            fprintf(stderr, "musicgen generate: the run in %s shrank from %"
                    PRIu64 " to %" PRIu64 " samples (indices %" PRIu64
                    "..%" PRIu64 "; none of those dropped was finished)\n",
                    cfg.out_dir, p->shrank_from, p->total, p->run_start,
                    p->run_start + p->total - 1);
        else if (cfg.verbose >= 0 && p->total &&
                 (p->run_start != (uint64_t)cfg.start ||
                  p->total != (uint64_t)cfg.count))
            fprintf(stderr, "musicgen generate: the run in %s holds samples "
                    "%" PRIu64 "..%" PRIu64 ", those asked for among them: "
                    "resumed it whole\n", cfg.out_dir, p->run_start,
                    p->run_start + p->total - 1);
        if (cfg.verbose >= 0 && p->filtered)
            fprintf(stderr, "musicgen generate: %" PRIu64 " sample(s) "
                    "moved out by `musicgen filter` stay out (not made "
                    "again, not in manifest.jsonl)\n", p->filtered);
        if (cfg.verbose >= 0)
            fprintf(stderr, "done: %" PRIu64 " ok, %" PRIu64 " failed, %"
                    PRIu64 " already present -> %s\n",
                    p->total - p->failed - p->filtered, p->failed,
                    p->resumed + p->skipped - p->filtered,
                    cfg.out_dir);
    } else if (r == 1 && px.workers_gone) {
        /* the workers said why on stderr */
        rc = 1;
    } else if (r == 1) {
        /* done counts the rows recorded when the coordinator stopped;
         * the samples in hand were finished after it (or abandoned, at a
         * second stop): said so, since they are on disk, not in done */
        fprintf(stderr, "musicgen generate: interrupted at %" PRIu64 "/%"
                PRIu64 "%s; run the same command again to continue\n",
                p->done, p->total,
                jobs_finished ? ", and the samples then in hand finished"
                : mg_stop_flag >= 2 ? ", the samples in hand abandoned"
                : "");
        rc = 130;
    }
    /* The engine is not freed: the command returns to exit(), and
     * freeing its fonts' preset and zone tables (tens of thousands of
     * small blocks, about 0.3 s on a 2-core VM) would only add a serial
     * tail to every run; the kernel takes the memory back at once. Kept
     * reachable, so leak checkers (LSan, valgrind) do not count it. */
    kept_engine = e;
    return rc;
}
