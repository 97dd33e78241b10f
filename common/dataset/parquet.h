/*
 * parquet — a small Apache Parquet writer (Debian ships no Arrow/Parquet C
 * library). The caller describes a schema tree of optional fields (leaves,
 * structs, 3-level LISTs), then streams each row as Dremel (repetition,
 * definition) levels with values per leaf column; this module encodes
 * them.
 *
 * What it writes: format version 1 files; DATA_PAGE (v1) pages with
 * RLE-encoded levels and PLAIN values, cut at row boundaries near 1 MiB;
 * column chunks compressed with zstd or snappy (or none); row groups of
 * at most `row_group` rows, flushed as they fill, so memory is bounded by
 * one row group whatever the row count; per-chunk statistics (min_value,
 * max_value, null_count) with TYPE_ORDER column orders; logical types
 * STRING, JSON, INTEGER(64, unsigned) and LIST. The footer is Thrift's
 * compact protocol written by hand (tw_* in parquet_priv.h). Files:
 * parquet.c (file layout, row groups, footer), parquet_col.c (column
 * values, statistics, dictionaries, page encoding), parquet_async.c (the
 * optional thread compressing pages and writing the file, mg_pq_thread).
 *
 * Invariants: a leaf value passed must match its leaf type; every row
 * gives every leaf at least one level entry (the shredder guarantees it);
 * the file appears complete only after mg_pq_close returns 0.
 */
#ifndef MG_PARQUET_H
#define MG_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MG_PQ_BOOL,
    MG_PQ_INT64,
    MG_PQ_UINT64,
    MG_PQ_DOUBLE,
    MG_PQ_STRING,
    MG_PQ_JSON, /* a string holding JSON text */
} mg_pq_type;

typedef enum { MG_PQ_LEAF, MG_PQ_STRUCT, MG_PQ_LIST } mg_pq_kind;

typedef struct mg_pq_node mg_pq_node;
struct mg_pq_node {
    char *name;
    mg_pq_kind kind;
    mg_pq_type type;    /* MG_PQ_LEAF */
    mg_pq_node **kids;  /* STRUCT: fields; LIST: kids[0], named "element" */
    size_t nkids;
    bool weak;          /* the caller's: type guessed from no value */
    bool neg, big;      /* the caller's: an integer leaf has held a value
                         * below 0 / past INT64_MAX */
    /* Set by mg_pq_open: */
    int col;            /* leaf: its column */
    int def;            /* definition level when this node is present */
    int rep;            /* LIST: repetition level of its elements */
    size_t namelen;     /* strlen(name) */
};

typedef struct mg_pq mg_pq;

/* codec: 0 none, 1 snappy, 6 zstd (Parquet's numbering). The schema
 * (fields of the root message) stays owned by the caller and must live
 * until mg_pq_close. NULL and a message on failure. */
mg_pq *mg_pq_open(const char *path, mg_pq_node **fields, size_t nfields,
                  int codec, unsigned row_group, const char *created_by,
                  char *err, size_t errlen);

/* Compress pages and write the file in a thread of its own, behind the
 * caller's rows (right after mg_pq_open, before any row): the file's
 * bytes are the same. 0, or -1 (no thread: everything stays inline). At
 * most 32 MiB of encoded pages wait for it; then the caller waits. */
int mg_pq_thread(mg_pq *p);

/* One level entry of a leaf column; val (or str/len) only when def is
 * the leaf's full definition level (a value, not a null). */
void mg_pq_level(mg_pq *p, int col, int rep, int def);
void mg_pq_int(mg_pq *p, int col, int rep, int64_t v);   /* INT64/UINT64 */
void mg_pq_double(mg_pq *p, int col, int rep, double v);
void mg_pq_bool(mg_pq *p, int col, int rep, bool v);
void mg_pq_str(mg_pq *p, int col, int rep, const char *s, size_t n);
/* n values of a column at once (a list's elements): the first at
 * repetition level rep, the others at rep_next. */
void mg_pq_doubles(mg_pq *p, int col, int rep, int rep_next,
                   const double *v, size_t n);
void mg_pq_ints(mg_pq *p, int col, int rep, int rep_next, const int64_t *v,
                size_t n);

/* Close the current row (flushes pages and row groups as they fill);
 * 0, or -1 and a message (I/O error). */
int mg_pq_end_row(mg_pq *p, char *err, size_t errlen);

/* Flush, write the footer, close; 0 or -1. Frees p either way. */
int mg_pq_close(mg_pq **pp, char *err, size_t errlen);
/* Abandon (on an error elsewhere): free and close, file left as is. */
void mg_pq_abort(mg_pq **pp);

/* Number of leaf columns. */
int mg_pq_ncols(const mg_pq *p);

#endif
