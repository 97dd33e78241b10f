/*
 * sampledir — the sample directories on disk: creating the tree, removing
 * one, and finding what a crash left behind. The engine publishes a
 * sample by renaming a hidden ".tmp-<id>-<host>-<pid>" directory into
 * place with sample.json already inside; so on disk a directory named by an
 * index without sample.json, or any ".tmp-*" directory, is never a sample.
 *
 * A writer that dies (kill -9, power loss) leaves its ".tmp-*" directory.
 * mg_sampledir_sweep removes those whose writer is provably gone: named by
 * this host and a pid that no longer exists, or (another host, or the old
 * ".tmp-<id>-<pid>" naming) untouched for MG_TMP_STALE_S. Host names must
 * therefore be unique among the machines writing one root (Slurm nodes and
 * Kubernetes pods are). A live writer's directory is never removed, nor
 * by the sweep a ".tmp-*" not named as ours (".tmp-<6+ digit index>-"):
 * a user's own ".tmp-notes" in a directory given as --out is not a
 * sample (`clean`, asked for, removes every ".tmp-*", as verify names
 * them all, in a tree with a run's mark only).
 */
#ifndef MG_SAMPLEDIR_H
#define MG_SAMPLEDIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* mkdir -p; 0 or -1 with errno (ENOTDIR when path is there as a file). */
int mg_dir_make(const char *path);
/* rm -rf (does not follow symlinks); 0, or -1 if anything stayed. */
int mg_dir_remove(const char *path);

/* Walk root (and one level of shard directories) and call found() for
 * every partial directory: ".tmp-*" or an index directory without
 * sample.json. Finished samples and hidden state (".musicgen") are never
 * reported, nor an index directory that holds finished work (a dataset's
 * mark, or a sample.json one or two levels down: a reject directory or a
 * copy given a sample's name). Returns the number found, or -1 if root cannot be read. */
/* Is process pid (of this host) gone: no such process, or a zombie (a
 * writer killed with its parent, never reaped where init reaps none)? */
bool mg_pid_gone(long pid);

/* The writer of the temporary sample directory NAME (a base name,
 * ".tmp-<id>-<host>-<pid>"): 1 running on this host, 0 gone from this
 * host, -1 not known (another host's, or a name without host and pid). */
int mg_sampledir_tmp_writer(const char *name);

/* Age after which a temporary directory whose writer cannot be checked
 * (another host) counts as abandoned: no sample takes a day to render. */
#define MG_TMP_STALE_S (24 * 3600)

/* Is the sample.json at rel (relative to the directory dfd) whole: 1
 * when it ends as our writer ends one ("\n}\n": mg_json_dump's top-level
 * close, the one brace at column 0; a file cut short ends anywhere
 * else) or, ending otherwise (written another way), parses as an
 * object; -1 when it is there but neither (cut short: a copy that
 * stopped, a power cut after a rename that was never synced); 0 when
 * it is missing or no regular file. Reads its last 3 bytes: an open, an
 * fstat and a pread beside the fstatat a bare presence check costs. */
int mg_sampledir_json_whole(int dfd, const char *rel);

/* Does root bear a run's mark: manifest.jsonl, or .musicgen/ (a run's,
 * a static worker's or a merge's state)? */
bool mg_sampledir_marked(const char *root);
/* Does root hold a dataset: a mark, or a sample or shard directory (a
 * name of digits) or one of our temporary sample directories? */
bool mg_sampledir_is_dataset(const char *root);

/* The layout root's entries show, as the dataset readers detect it:
 * *width 0 (index directories under it: flat), 1..5 (shard directories
 * of that many digits) or -1 (neither yet). eg (may be NULL) gets one
 * such directory's name. -1 with err when root holds both kinds, or
 * shards of two widths (the readers refuse such a tree), or cannot be
 * read. */
int mg_sampledir_layout(const char *root, int *width, char *eg,
                        size_t egsize, char *err, size_t errlen);

/* Does root's layout (mg_sampledir_layout) take samples of shard width
 * want? 0 when it does or holds none yet (*width as that function
 * gives it); 1 with a message when it holds another width, naming the
 * width to give; -1 with its message when the layout cannot be read.
 * opt_root and opt_width name the root and the width in the caller's
 * words ("--out " and "--shard-width" on the command line; "" and
 * "shard-width" in the library), other what to give instead ("another
 * --out", "another directory"): one rule and one sentence for both. */
int mg_sampledir_fits(const char *root, int want, const char *opt_root,
                      const char *opt_width, const char *other, int *width,
                      char *msg, size_t msglen);

/* The first three of names given one by one, in order (a message that
 * reads the same whatever readdir's order), and how many more there were;
 * zero-initialised, then mg_names3_add for each. */
typedef struct {
    char name[3][64]; /* at most 60 bytes of each */
    int n, more;
} mg_names3;
void mg_names3_add(mg_names3 *t, const char *name);
/* "a, b and c", "a, b, c and 4 more" into out. */
void mg_names3_text(const mg_names3 *t, char *out, size_t n);

/* Is root a directory of something else: there, not empty, yet holding
 * no dataset (no manifest.jsonl, no .musicgen/, no sample or shard
 * directory, no temporary sample directory)? Hidden names and lost+found
 * (a fresh file system's mount point) do not count. 1 with up to three of
 * its names in what ("README.md, src and 4 more"), else 0 (absent, empty,
 * a dataset, unreadable). A run refuses such an --out: it writes
 * manifest.jsonl and LICENSES.md there. */
int mg_sampledir_foreign(const char *root, char *what, size_t n);

/* Is s[0..n) a sample directory's name: 6 digits, or more without a
 * leading zero, within 64 bits? Its index in *v. (The layout detection
 * here and the dataset reader, dsread.c, take the same names.) */
bool mg_sampledir_index_name(const char *s, size_t n, uint64_t *v);
/* s[0..n) as a number of 1..20 decimal digits within 64 bits, into *v;
 * false on anything else. */
bool mg_sampledir_digits(const char *s, size_t n, uint64_t *v);

/* This host's name as used in temporary names, into buf: at most 40
 * bytes, each outside [A-Za-z0-9._] made '_' (so no '-' or '/'). */
void mg_tmp_host(char *buf, size_t n);

/* Remove the ".tmp-*" directories under root (and one level of shard
 * directories) whose writers are gone (see above), calling removed() for
 * each, if not NULL. now_s is the wall-clock time to age them against
 * (time(NULL)). Returns the number removed, or -1 if root cannot be read
 * (a root that does not exist yet has nothing to sweep: 0). */
long mg_sampledir_sweep(const char *root, long long now_s, long max_age_s,
                        void (*removed)(const char *path, void *arg),
                        void *arg);

long mg_sampledir_partials(const char *root,
                           void (*found)(const char *path, void *arg),
                           void *arg);

#endif
