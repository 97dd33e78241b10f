/*
 * dsargs — the arguments the dataset commands (`verify`, `score`,
 * `filter`, `stats`) have in common: one ROOT, --help/-h, -q/--quiet
 * where the command has it, and one line for a stray option, a second
 * ROOT or an option without its value (or with an empty one). Each command handles only its
 * own options:
 *
 *     mg_dsargs a;
 *     mg_dsargs_init(&a, "score", usage, argc, argv, valued, true);
 *     while ((r = mg_dsargs_next(&a)) == 1)
 *         if (!strcmp(a.opt, "--force")) force = true;
 *         else ... else return mg_dsargs_unknown(&a);
 *     if (r < 0) return a.rc;
 *
 * Invariant: mg_dsargs_next returns 0 only with a.root set; when it
 * returns -1 it has printed what there was to print (usage for --help on
 * stdout, else one line or the usage on stderr) and a.rc is the exit
 * status (0 for --help, 2 for bad usage).
 */
#ifndef MG_DSARGS_H
#define MG_DSARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *cmd, *usage;
    int argc, i;
    char **argv;
    const char *const *valued;  /* options that take a value, NULL-ended */
    bool has_quiet;
    const char *root;           /* ROOT, once seen */
    bool quiet;                 /* -q or --quiet (when has_quiet) */
    const char *opt, *val;      /* the option mg_dsargs_next returned */
    char sopt[3];               /* opt of an attached value: "-j" of -j4 */
    int rc;                     /* exit status once it returns -1 */
    bool dashdash;              /* "--" seen: the rest is ROOT */
} mg_dsargs;

void mg_dsargs_init(mg_dsargs *a, const char *cmd, const char *usage,
                    int argc, char **argv, const char *const *valued,
                    bool has_quiet);
/* 1: a.opt (and a.val, for a valued option) is the command's to handle;
 * 0: done, a.root set; -1: stop with exit status a.rc. */
int mg_dsargs_next(mg_dsargs *a);
/* The line for an option the command does not know; returns 2. */
int mg_dsargs_unknown(const mg_dsargs *a);
/* A --jobs value, 1..64, into *jobs: 0; else one line naming it and 2
 * (the exit status). For any command, dsargs user or not. */
int mg_dsargs_jobs(const char *cmd, const char *val, long *jobs);

/* For any command's own parser, at an argument it does not take: when opt
 * is one of valued (NULL-ended) and is the last argument, one line
 * "musicgen CMD: OPT needs a value (try --help)" and 2 (the exit status),
 * instead of calling a known option unknown; else 0. */
int mg_dsargs_no_value(const char *cmd, const char *opt, bool last,
                       const char *const *valued);

/* For a parser that takes a short option's value only as the next
 * argument: argv (argc entries) with each "-Xvalue" whose X is in shorts
 * split into "-X" "value", as getopt takes it (-j4 is -j 4), up to "--";
 * *nargc its length. NULL when out of memory; free() the array (its
 * strings are argv's). */
char **mg_dsargs_split_short(int argc, char **argv, const char *shorts,
                             int *nargc);

/* Whether ROOT looks like a dataset (for any command reading one): a
 * directory holding manifest.jsonl, .musicgen/ (a run's state) or a
 * sample or shard directory (a name of digits, or .tmp-*): 0. A directory
 * holding none of them (a slip: its parent, an empty directory): 1, after
 * one line "musicgen CMD: ROOT holds no musicgen dataset (...)" naming the
 * subdirectories that do hold one, if any. A root that is no directory is
 * the command's to report: 0. */
int mg_dsargs_dataset(const char *cmd, const char *root);
/* The same, stricter, for `clean` (it removes directories): ROOT must
 * hold manifest.jsonl or .musicgen/ - a run's or a merge's mark - since a
 * directory of digits proves nothing (~/photos/2019/201905). 0, or 1
 * after one line. */
int mg_dsargs_dataset_marked(const char *cmd, const char *root);

/* Append the comma-separated items of val to list (n bytes, items joined
 * by commas), each without the blanks around it: --genre 'jazz, latin'
 * is jazz and latin, not ' latin' (matched by no sample). 0, or -1 when
 * the list would not fit. */
int mg_dsargs_list_add(char *list, size_t n, const char *val);

#endif
