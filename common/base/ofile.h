/*
 * ofile — a large output file written once, front to back, and not read
 * back by the writer (export's JSONL, CSV and Parquet files: gigabytes
 * for a big dataset).
 *
 * Why not stdio: a buffered write() copies every byte into the page cache,
 * and on the machines we measure (virtual machines) that copy costs more
 * CPU than building the rows (half the CPU of a JSONL export), then
 * evicts what the reader needs (the dataset's sample.json files). ofile
 * writes with O_DIRECT from aligned 4 MiB buffers, from the disk's side
 * of the page cache, on a thread of its own so the next buffer fills
 * while the last one is written (two buffers, so memory is 8 MiB
 * whatever the file's size).
 *
 * Invariants:
 *  - Bytes reach the file in the order given, whatever the mode; the file
 *    is complete and durable (fsync) only after mg_ofile_close returns 0.
 *  - Where the file system refuses direct I/O (tmpfs, some network file
 *    systems, a block size past 4096: the open or a write says EINVAL),
 *    ofile falls back to plain buffered writes, silently: the bytes are
 *    the same. MUSICGEN_DIRECT_IO=0 in the environment asks for buffered
 *    writes from the start.
 *  - The first error is kept (sticky) and reported by every later call.
 */
#ifndef MG_OFILE_H
#define MG_OFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_ofile mg_ofile;

/* Create (or truncate) path for writing; NULL and one line in err.
 * Path "-" is standard output (a pipe, a terminal, a file the shell
 * opened): written in order with plain writes, synced only when it is a
 * file, named "standard output" in errors. */
mg_ofile *mg_ofile_open(const char *path, char *err, size_t errlen);

/* Append n bytes; 0, or -1 with errno set (the error is kept). */
int mg_ofile_write(mg_ofile *f, const void *p, size_t n);

/* Bytes given so far (the file's size once closed). */
uint64_t mg_ofile_offset(const mg_ofile *f);

/* Whether the file is being written with direct I/O (tests, bench). */
bool mg_ofile_direct(const mg_ofile *f);

/* Write what is left, fsync, close, free; 0, or -1 and one line in err
 * ("PATH: reason"). *fp is NULL after either. */
int mg_ofile_close(mg_ofile **fp, char *err, size_t errlen);

/* Close and free without finishing (an export that failed elsewhere). */
void mg_ofile_abort(mg_ofile **fp);

#endif
