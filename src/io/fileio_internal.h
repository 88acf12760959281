/* fileio_internal.h - private file I/O helpers: whole-file reads with a size cap and a path
 * test. Not installed. (The fault-injection hook of the atomic write layer,
 * cperm_fileio_fail_after, is declared in clusterperm.h for test builds only.) */
#ifndef CPERM_FILEIO_INTERNAL_H
#define CPERM_FILEIO_INTERNAL_H

#include "common_internal.h"

/* Read the whole of `path` into a new buffer (*out, freed by the caller with free()) of
 * *size bytes. A file larger than max_size is refused with CPERM_EUNSUPPORTED before
 * anything is allocated. `who` prefixes error messages ("stc", "fif", ...).
 * Errors: CPERM_ENOTFOUND (no such file), CPERM_EIO (open/read failed, not a regular
 * file), CPERM_EUNSUPPORTED (too large), CPERM_ENOMEM. On error *out is NULL. */
int cperm_read_file(unsigned char **out, size_t *size, const char *path, size_t max_size,
                    const char *who, cperm_err *err);

/* Non-zero if `path` exists (as os.path.exists: follows links, any file type). */
int cperm_path_exists(const char *path);

#endif
