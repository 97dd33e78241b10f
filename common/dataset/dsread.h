/*
 * dsread — read a dataset tree: detect its layout, stream its sample
 * directories in index order, and stream its manifest.
 *
 * Layout is detected, never configured: a root whose index directories
 * ("000042", padded to at least 6 digits) sit directly under it is flat
 * (width 0); a root of all-digit shard directories of one length w
 * (1..5) holding the index directories is sharded with width w. An empty
 * root is flat. Both kinds at once, or shards of different widths, are
 * refused with a message naming them.
 *
 * Invariants:
 *  - Index order, whatever readdir() order the file system has, and
 *    constant memory: a directory is read in windows of at most
 *    MG_DSREAD_WINDOW entries (the smallest not yet given, one readdir
 *    pass per window), so a flat 1,000,000-sample root costs a few passes
 *    over the directory, never a list of every name.
 *  - A sample is complete iff its directory is named by an index and holds
 *    sample.json (the engine writes it last and renames the directory
 *    into place). ".tmp-<index>-<pid>" directories and index directories
 *    without sample.json are half-written: they are given (complete =
 *    false) only when MG_DSREAD_PARTIALS is set, in index order beside the
 *    samples (a ".tmp-*" whose name carries no index comes last in its
 *    directory, index MG_DSREAD_NOINDEX).
 *  - Hidden state (".musicgen", any other dot name), plain files and
 *    non-canonical names ("0042", "0000042") are never samples.
 *  - Indices of 7 digits and more (past 999999) are ordered correctly in
 *    the sharded layout too (shard "100" holds 100xxx and 100xxxx).
 *  - Everything a mg_dsample points to is owned by the reader and valid
 *    until the next call to mg_dsread_next() or mg_dsread_destroy().
 */
#ifndef MG_DSREAD_H
#define MG_DSREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MG_DSREAD_NOINDEX UINT64_MAX
/* Entries sorted per readdir() pass (memory: 16 bytes each). */
#define MG_DSREAD_WINDOW 65536

enum {
    MG_DSREAD_PARTIALS = 1 << 0, /* also give half-written directories */
    MG_DSREAD_PARSE = 1 << 1,    /* parse sample.json with jansson */
    MG_DSREAD_RAW = 1 << 2,      /* read sample.json's bytes (no parse) */
};

typedef struct mg_dsread mg_dsread;

/* How far a long pass over a dataset is, for a display (the CLI's
 * --progress line): tick(ud, n) after each of the n sample directories
 * handed to the command so far (complete or not), in the command's own
 * thread; clear(ud), where not NULL, before the pass writes a line of its
 * own to a terminal the display may share. Both NULL: no display (what
 * the library's callers get unless they ask). */
typedef struct {
    void (*tick)(void *ud, uint64_t n);
    void (*clear)(void *ud);
    void *ud;
} mg_dsprogress;

typedef struct {
    uint64_t index;   /* MG_DSREAD_NOINDEX for an odd ".tmp-*" name */
    const char *path; /* "<root>/<rel>" */
    const char *rel;  /* "000042", "000/000042", "000/.tmp-000042-77" */
    bool complete;    /* an index directory holding sample.json */
    bool tmp;         /* a ".tmp-*" directory */
    /* sharded: an index directory in another shard than its own (moved
     * by hand): error says so, and readers leave it out - read as a
     * sample it would come out of index order */
    bool misplaced;
    /* With MG_DSREAD_PARSE: the parsed object (borrowed), or NULL and
     * error set when sample.json cannot be read or is not a JSON object. */
    json_t *json;
    /* With MG_DSREAD_RAW (or PARSE): sample.json's bytes, NUL-terminated. */
    const char *raw;
    size_t raw_len;
    const char *error; /* NULL, or one line: why sample.json is unusable */
} mg_dsample;

/* 0 when ROOT is a directory (its stat in *st, when st is given); else -1
 * and "ROOT: <why>" (missing, unreadable, not a directory: the reason,
 * never a guess; an empty ROOT is named as such). Every command reading or changing a tree checks its
 * ROOT with this first. */
struct stat;
int mg_dsread_root_check(const char *root, struct stat *st, char *err,
                         size_t errlen);

/* Open ROOT and detect its layout; NULL and a message if ROOT is not a
 * readable directory or its layout is mixed. flags: MG_DSREAD_*. */
mg_dsread *mg_dsread_open(const char *root, unsigned flags, char *err,
                          size_t errlen);
void mg_dsread_destroy(mg_dsread **rp);

/* Sort at most n (1..MG_DSREAD_WINDOW) entries per readdir pass; before
 * the first mg_dsread_next. Tests use a small window to exercise the
 * multi-pass path; 0, or -1 when too late or out of range. */
int mg_dsread_set_window(mg_dsread *r, size_t n);

/* 0 for flat, 1..5 for sharded. */
int mg_dsread_shard_width(const mg_dsread *r);
const char *mg_dsread_root(const mg_dsread *r);

/* Next directory in index order: 1 and *out filled, 0 at the end, -1 and
 * a message if a directory cannot be read (the walk cannot go on). */
int mg_dsread_next(mg_dsread *r, mg_dsample *out, char *err, size_t errlen);

/* Exchange the reader's sample.json buffer (capacity *cap) with *buf:
 * the current sample's bytes (mg_dsample.raw) become the caller's, to
 * keep past the next call; the reader reads the next into the buffer it
 * was given (or a new one when *buf was NULL). The current sample's
 * mg_dsread_json is then no longer available. */
void mg_dsread_swap_raw(mg_dsread *r, char **buf, size_t *cap);

/* sample.json of the current sample, parsed on demand (when the reader
 * was opened without MG_DSREAD_PARSE); borrowed, NULL on error. */
json_t *mg_dsread_json(mg_dsread *r);

/* ---- manifest.jsonl, streamed line by line ---- */
typedef struct mg_dsmanifest mg_dsmanifest;

/* Open <root>/manifest.jsonl (or the file PATH when it names a file).
 * NULL and a message when it cannot be opened (errno is kept: ENOENT
 * means there is no manifest). */
mg_dsmanifest *mg_dsmanifest_open(const char *root, char *err,
                                  size_t errlen);
void mg_dsmanifest_destroy(mg_dsmanifest **mp);

/* Next non-empty line: 1 and *row set to the parsed object (owned by the
 * reader, valid until the next call) with *lineno its 1-based line; -1
 * and a message "manifest.jsonl:LINE: ..." for a line that is not a JSON
 * object (the next call goes on with the next line); 0 at the end. */
int mg_dsmanifest_next(mg_dsmanifest *m, json_t **row, long *lineno,
                       char *err, size_t errlen);

/* The lowest and highest index of the finished samples in root's tree
 * (complete, in their place): 1, or 0 when it holds none (or cannot be
 * read). */
int mg_dsread_span(const char *root, uint64_t *lo, uint64_t *hi);

/* The sample_index of a row line of ours (manifest.jsonl, a static
 * slice), read from its text: 1 and *index, or 0 when the line has none.
 * Not jansson: seeds past 2^63 overflow its integers; the rows are our
 * own canonical lines, where sample_index is a bare unsigned number after
 * its key. */
int mg_dsrow_index(const char *line, uint64_t *index);

/* May a new run of (global_seed, samples start .. start + count - 1)
 * rewrite ROOT's manifest.jsonl? A run without the tree's ledger (a new
 * coordinator ledger, or generate's ledger gone) rewrites it from its own
 * rows: over another run's tree that dropped every row of it. Its first
 * "ok" row must carry the seed this run derives for its index, and no
 * row - nor any finished sample on disk (a manifest gone, or older than
 * the samples) - may lie outside the range. 0 (no manifest, or this run's; rel, if
 * not NULL, then holds the first ok row's path, or "", and *index its
 * index), or -1 with err ("--out ROOT holds another run: ..."). */
int mg_dsmanifest_run_check(const char *root, int64_t global_seed,
                            uint64_t start, uint64_t count, char *rel,
                            size_t rellen, uint64_t *index, char *err,
                            size_t errlen);

#endif
