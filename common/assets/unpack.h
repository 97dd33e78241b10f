/*
 * unpack — unpack a downloaded archive (zip, tar, tar.gz/.tgz, tar.bz2,
 * tar.xz; libarchive) into a directory beside it, safely and atomically.
 *
 * Invariants:
 *  - Only regular files and directories are written, each at a relative
 *    path without "." or ".." components; an absolute path, a "..", a
 *    symbolic or hard link, a device or a FIFO refuses the whole archive
 *    (nothing is written outside the destination, ever).
 *  - Entries go to DIR/.NAME.unpack-PID and the tree is renamed to
 *    DIR/NAME only when every entry is written: DIR/NAME is the old tree,
 *    the new whole tree, or absent — never a partial one. Modes are 0644
 *    and 0755 (no owner, setuid or timestamps from the archive). What a
 *    killed run left (".NAME.unpack-PID", ".NAME.old-PID" of a dead PID)
 *    is removed by the next unpack of NAME.
 *  - At most MG_UNPACK_MAX_BYTES are written (a decompression bomb is
 *    refused with a line, not a full disk).
 */
#ifndef MG_UNPACK_H
#define MG_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MG_UNPACK_MAX_BYTES (64ull << 30)

/* Length of filename's archive suffix (".zip", ".tar.gz", ...), or 0 when
 * it is not an archive we unpack. */
size_t mg_unpack_suffix(const char *filename);

/* Unpack archive into dir/name (replacing an older dir/name). 0 and
 * *files set, or -1 with one line in err. */
int mg_unpack(const char *archive, const char *dir, const char *name,
              uint64_t *files, char *err, size_t errlen);

#endif
