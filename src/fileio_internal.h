/* fileio_internal.h - private file I/O helpers: whole-file reads with a size cap, and the
 * fault-injection hook of the atomic write layer (cperm_write_file_atomic). Not installed. */
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

/* Test hook (fault injection, in the spirit of SQLite's I/O layer): after this call the
 * n-th low-level step of cperm_write_file_atomic (create the temporary file, each write,
 * fsync, close, rename - counted across calls) fails as if the system call had returned
 * EIO. n = 0 disables injection. The counter is thread-local so that a test injecting
 * faults cannot disturb other threads; it is the library's only mutable state and exists
 * for tests alone. */
void cperm_fileio_fail_after(long n);

/* Number of low-level steps performed by cperm_write_file_atomic in this thread since the
 * last cperm_fileio_fail_after() call; lets a test enumerate every injection point. */
long cperm_fileio_steps(void);

#endif
