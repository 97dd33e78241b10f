/*
 * export_priv — what the export driver (export.c) shares with its format
 * writers (export_text.c, export_parquet.c, export_files.c, export_jams.c):
 * the row model of one sample, helpers over the output buffer (mg_gbuf),
 * and the writer interface. Not a public header.
 *
 * The row of a sample is its fields in a fixed order: the paths first
 * (path, mix_path, stem_<layer>_path, midi_<layer>_path), then every
 * field of sample.json in file order (sorted keys), nested objects
 * flattened into dotted names down to their scalars and lists. A field
 * points at a token of the sample's jdoc or holds a string it owns.
 */
#ifndef MG_EXPORT_PRIV_H
#define MG_EXPORT_PRIV_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "gbuf.h"
#include "jdoc.h"
#include "ofile.h"

/* ---- output buffer: mg_gbuf (common/base/gbuf.h) ---- */
void mg_xbuf_printf(mg_gbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Write the buffer to f and empty it; 0 or -1. */
int mg_xbuf_flush(mg_gbuf *b, FILE *f);
/* The same into a large output file (ofile.h: JSONL, CSV). */
int mg_xbuf_flush_o(mg_gbuf *b, mg_ofile *f);

/* Compact JSON text of token i (re-emitted, so no layout whitespace). */
void mg_xbuf_json(mg_gbuf *b, const mg_jdoc *d, uint32_t i);

/* ---- the row of one sample ---- */
enum { MG_XF_TOK, MG_XF_STR, MG_XF_NULL };

typedef struct {
    const char *name;
    const char *str; /* MG_XF_STR */
    uint32_t tok;    /* MG_XF_TOK */
    uint8_t kind;
} mg_xfield;

#define MG_XROW_MAX_FIELDS 4096
#define MG_XROW_MAX_FILES 64

typedef struct {
    const char *kind;  /* "mix", "stem", "midi" */
    const char *layer; /* "beat", ... ("" for the mix) */
    const char *file;  /* inside the sample directory: "stems/beat.wav" */
} mg_xfile;

typedef struct {
    const mg_jdoc *doc; /* the sample.json tokens; root is token 0 */
    const char *raw;    /* sample.json's bytes */
    size_t raw_len;
    uint64_t index;
    const char *rel;    /* sample directory, relative to the root */
    const char *dir;    /* sample directory, absolute */
    const char *split;  /* "" when absent */
    mg_xfield f[MG_XROW_MAX_FIELDS];
    size_t nf;
    mg_xfile files[MG_XROW_MAX_FILES];
    size_t nfiles;
    /* the first file sample.json names outside its directory ("midi.melody
     * names ../000000/midi/melody.mid"; in no column, not in files), or
     * NULL: the formats that read the files leave the sample out whole */
    const char *unsafe;
    size_t dropped;     /* fields past MG_XROW_MAX_FIELDS */
    char arena[1 << 17];
    size_t used;
} mg_xrow;

/* ---- a column set (CSV, Parquet): the union of the names of the rows
 * scanned before the first is written (MG_EXPORT_SCAN_ROWS) ---- */
#define MG_EXPORT_SCAN_ROWS 1000
typedef struct {
    char **names;
    size_t n;
    uint32_t *slot; /* hash table: column + 1, 0 empty */
    size_t cap;     /* power of two */
    uint32_t *last; /* mg_xcols_map: per field position, column + 1 in the
                     * last row mapped (rows mostly repeat their names) */
} mg_xcols;

/* Add a name (no-op when present); its column, or -1 (out of memory). */
long mg_xcols_add(mg_xcols *c, const char *name);
/* Column of a name, or -1. */
long mg_xcols_find(const mg_xcols *c, const char *name);
/* slot[k] (c->n entries) = the index of the row's field of column k, or
 * -1; the number of the row's fields in no column (-1: out of memory). */
long mg_xcols_map(mg_xcols *c, const mg_xrow *r, long *slot);
void mg_xcols_free(mg_xcols *c);

/* ---- --columns: the patterns a user named, parsed once (read, not
 * changed, by the fetch threads) ---- */
#define MG_XCOLSEL_MAX 128
typedef struct {
    int n;
    char pat[MG_XCOLSEL_MAX][128];
    bool glob[MG_XCOLSEL_MAX]; /* has * ? [: fnmatch, else a name */
} mg_xcolsel;

/* Comma-separated names or patterns into cs; 0, or -1 and one line. */
int mg_xcolsel_parse(mg_xcolsel *cs, const char *list, char *err,
                     size_t errlen);
/* Does pattern k match a column name? */
bool mg_xcolsel_match(const mg_xcolsel *cs, int k, const char *name);
/* Keep the row's fields the patterns match, in the patterns' order (a
 * pattern's fields in the row's order). */
void mg_xcolsel_apply(mg_xrow *r, const mg_xcolsel *cs);
/* -1 and the line for pattern k, which no column of names matched: the
 * columns most like it named. */
int mg_xcolsel_unmatched(const mg_xcolsel *cs, int k, const mg_xcols *names,
                         char *err, size_t errlen);

/* Threads at work beside the writer's: o->jobs, or (0) one per core, at
 * most MG_DSFETCH_AUTO_JOBS; 1 means none. */
int mg_export_jobs(const mg_export_opts *o);

/* ---- writers ---- */
typedef struct mg_xwriter mg_xwriter;
struct mg_xwriter {
    /* Optional: called for the first MG_EXPORT_SCAN_ROWS kept rows before
     * any row(), so a tabular writer fixes its columns from many rows. */
    int (*scan)(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen);
    /* 0 written; 1 this sample cannot be written (a file it names is
     * missing or unreadable: err says which) and nothing of it was; -1 the
     * export cannot go on. */
    int (*row)(mg_xwriter *w, const mg_xrow *r, char *err, size_t errlen);
    int (*finish)(mg_xwriter *w, char *err, size_t errlen);
    void (*destroy)(mg_xwriter *w);
    const mg_export_opts *o;
    mg_export_stats *st;
    const char *path; /* what to create: a temporary beside the output */
    /* The mg_jdoc_parse_opt flags the driver parses rows with: JSONL,
     * CSV and hf read arrays only as text (MG_JDOC_LEAF_ARRAYS), Parquet
     * lists of scalars as text or numbers (MG_JDOC_SCALAR_ARRAYS). */
    unsigned jflags;
};

/* Each returns NULL and a message on failure. */
mg_xwriter *mg_export_jsonl_new(const mg_export_opts *o, mg_export_stats *st,
                                const char *path, char *err, size_t errlen);
mg_xwriter *mg_export_csv_new(const mg_export_opts *o, mg_export_stats *st,
                              const char *path, char *err, size_t errlen);
mg_xwriter *mg_export_parquet_new(const mg_export_opts *o,
                                  mg_export_stats *st, const char *path,
                                  char *err, size_t errlen);
mg_xwriter *mg_export_hf_new(const mg_export_opts *o, mg_export_stats *st,
                             const char *path, char *err, size_t errlen);

/* A file written through a buffer: opened ("wb", one line in err when
 * it cannot be), then the buffer's last bytes written, flushed, fsync'd
 * and the file closed (0, or -1 with err naming path). */
FILE *mg_xfile_open(const char *path, char *err, size_t errlen);
int mg_xfile_finish(FILE **fp, mg_gbuf *b, const char *path, char *err,
                    size_t errlen);

/* The hf export's dataset card (export_card.c): README.md with the
 * hub's YAML block and a page for people, counted from the rows
 * written. */
typedef struct mg_hfcard mg_hfcard;
mg_hfcard *mg_hfcard_new(void); /* NULL: out of memory */
void mg_hfcard_free(mg_hfcard **c);
/* One row written into split directory split_dir; -1: too many splits. */
int mg_hfcard_add(mg_hfcard *c, const char *split_dir, const mg_xrow *r);
/* Write it at path (fsync'd); 0, or -1 with err. shards 0: the hf
 * layout; else a WebDataset of that many shards of shard_size samples. */
int mg_hfcard_save(const mg_hfcard *c, const char *path, unsigned shards,
                   unsigned shard_size, char *err, size_t errlen);

mg_xwriter *mg_export_jams_new(const mg_export_opts *o, mg_export_stats *st,
                               const char *path, char *err, size_t errlen);
mg_xwriter *mg_export_wds_new(const mg_export_opts *o, mg_export_stats *st,
                              const char *path, char *err, size_t errlen);

/* Write the fields of a row as one compact JSON object (JSONL, hf). */
void mg_export_row_json(mg_gbuf *b, const mg_xrow *r);
/* Hard link src to dst, or copy it when a link cannot be made (another
 * file system); 0 or -1 with a message. */
int mg_export_link(const char *src, const char *dst, char *err,
                   size_t errlen);

#endif
