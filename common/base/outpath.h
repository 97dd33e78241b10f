/*
 * outpath — what an output path given on the command line must be before
 * any work goes into it (export's file or directory, the index's
 * database, eval's result): minutes of reading should not end in "cannot
 * write" or in a file named after a directory.
 *
 * Invariants:
 *  - "-" (standard output) is always accepted; the caller says whether
 *    its format may go there.
 *  - A path that ends in '/' names a directory: accepted for a directory
 *    output (the slashes trimmed, so "hf/" writes hf/, its temporaries
 *    beside it as "hf.tmp-..."), refused for a file output, as is an
 *    existing directory; an existing file is refused for a directory.
 *  - The directory the output goes in must exist, be a directory and be
 *    writable; it is never created (a typo in a parent is not a new tree).
 *  - An existing output is refused unless the caller may replace it.
 *  - Messages are one line naming the option and the path as given.
 */
#ifndef MG_OUTPATH_H
#define MG_OUTPATH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { MG_OUT_FILE, MG_OUT_DIR } mg_outkind;

/* path without the slashes it ends in ("hf/" -> "hf"; "/" stays) into
 * buf; returns buf. */
const char *mg_outpath_trim(const char *path, char *buf, size_t len);

/* The directory path is in into dir ("." for a bare name, "/" for
 * "/x"); returns path's last component (a pointer into path). */
const char *mg_path_split(const char *path, char *dir, size_t n);

/* May path (given as option opt, e.g. "--out") be written as kind?
 * replace: an existing one may be replaced (else "exists (--force
 * replaces it)"); eg: a file name the message for a directory given as a
 * file suggests in it (may be NULL). 0, or -1 and one line in err. */
int mg_outpath_check(const char *opt, const char *path, mg_outkind kind,
                     bool replace, const char *eg, char *err, size_t errlen);

/* How an output file is written. MG_OUT_REPLACE: a temporary beside
 * target, renamed over it (target: path, or where its symbolic links
 * lead, a link to a file yet to be made included - renaming over a link
 * would replace the link, not the file).
 * MG_OUT_IN_PLACE: straight into path, nothing renamed: "-", or an
 * existing device, FIFO or socket (/dev/null, /dev/stdout, a named pipe:
 * renaming over one would replace the node itself, /dev/null included
 * when run as root). */
typedef enum { MG_OUT_REPLACE, MG_OUT_IN_PLACE } mg_outmode;
mg_outmode mg_outpath_target(const char *path, char *target, size_t n);

/* Where path is or would be: its real path, or its directory's real
 * path and its name when it does not exist yet. 0, or -1 (errno). */
int mg_outpath_resolve(const char *path, char *out, size_t n);

/* Is inner the directory outer or under it (both real paths)? */
bool mg_path_holds(const char *outer, const char *inner);

#endif
