/* fuzz.h - helpers shared by the libFuzzer targets in fuzz/: the entry point's prototype and
 * a per-process scratch file for parsers that need a path (gzip FIF, HDF5, list files). */
#ifndef CPERM_FUZZ_H
#define CPERM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to "<per-process scratch dir>/<name>" and returns that path (static storage,
 * valid until the next call), or NULL if the file cannot be written. The scratch directory
 * is created on first use under $TMPDIR (default /tmp; /dev/shm if it exists, for speed)
 * and removed at exit. */
const char *fuzz_scratch_file(const char *name, const uint8_t *data, size_t size);

/* The directory fuzz_scratch_file() writes into (created if needed), or NULL. */
const char *fuzz_scratch_dir(void);

/* Prints "FAIL fuzz.check: EXPR (file:line)" on stdout and aborts: a broken invariant is a
 * finding, which libFuzzer records as a crash and the replay driver as a failed run. */
void fuzz_fail(const char *expr, const char *file, int line);
#define FUZZ_CHECK(cond)                                        \
    do {                                                        \
        if (!(cond)) fuzz_fail(#cond, __FILE__, __LINE__);      \
    } while (0)

/* Redirects stderr to /dev/null once (the CLI's parsers print their errors); for the replay
 * driver. Under libFuzzer use -close_fd_mask=2 instead, which keeps libFuzzer's own output. */
void fuzz_silence_stderr(void);

#endif
