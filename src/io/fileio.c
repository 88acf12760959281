/* fileio.c - whole-file reads with a size cap and atomic whole-file writes (temporary file
 * in the target directory, fsync, rename), with a fault-injection hook in test builds. */
#include "fileio_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef CPERM_TEST_HOOKS
/* Fault injection state (cperm_fileio_fail_after in clusterperm.h). Compiled only into the
 * test archive (libclusterperm-testhooks.a, -DCPERM_TEST_HOOKS), so that no installed library
 * or program can be made to fail its writes. Thread-local: a test in one thread never makes
 * another thread's writes fail. */
static _Thread_local long fail_countdown; /* 0 = off; step that fails when it reaches 1 */
static _Thread_local long step_count;

void cperm_fileio_fail_after(long n) {
    fail_countdown = n > 0 ? n : 0;
    step_count = 0;
}

long cperm_fileio_steps(void) {
    return step_count;
}

/* Called before each low-level write step; returns non-zero (with errno = EIO) if the
 * step must fail. */
static int injected_failure(void) {
    step_count++;
    if (fail_countdown > 0 && --fail_countdown == 0) {
        errno = EIO;
        return 1;
    }
    return 0;
}
#else
/* Production builds: no injection point exists; the compiler drops the checks. */
static inline int injected_failure(void) {
    return 0;
}
#endif

int cperm_path_exists(const char *path) {
    struct stat st;
    return path && stat(path, &st) == 0;
}

int cperm_read_file(unsigned char **out, size_t *size, const char *path, size_t max_size,
                    const char *who, cperm_err *err) {
    int fd = -1, rc = CPERM_OK;
    unsigned char *buf = NULL;
    struct stat st;
    size_t len, got = 0;

    *out = NULL;
    *size = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return cperm_fail(err, CPERM_ENOTFOUND, "%s: %s: no such file", who, path);
        return cperm_fail(err, CPERM_EIO, "%s: %s: cannot open: %s", who, path,
                          strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        rc = cperm_fail(err, CPERM_EIO, "%s: %s: cannot stat: %s", who, path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cperm_fail(err, CPERM_EIO, "%s: %s: not a regular file", who, path);
        goto cleanup;
    }
    if (st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)max_size) {
        rc = cperm_fail(err, CPERM_EUNSUPPORTED, "%s: %s: file of %jd bytes exceeds the limit "
                        "of %zu bytes", who, path, (intmax_t)st.st_size, max_size);
        goto cleanup;
    }
    len = (size_t)st.st_size;
    buf = malloc(len ? len : 1);
    if (!buf) {
        rc = cperm_fail(err, CPERM_ENOMEM, "%s: %s: cannot allocate %zu bytes", who, path, len);
        goto cleanup;
    }
    /* Read what is there; a file that shrinks meanwhile is simply shorter. */
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = cperm_fail(err, CPERM_EIO, "%s: %s: read failed: %s", who, path,
                            strerror(errno));
            goto cleanup;
        }
        if (n == 0) break;
        got += (size_t)n;
    }
    *out = buf;
    *size = got;
    buf = NULL;
cleanup:
    free(buf);
    close(fd);
    return rc;
}

/* Write all of data to fd, retrying on EINTR and short writes. 0 or -1 (errno set). */
static int write_all(int fd, const unsigned char *data, size_t size) {
    while (size > 0) {
        /* Chunks of at most 1 GiB keep every write() within what Linux accepts in one call. */
        size_t chunk = size < ((size_t)1 << 30) ? size : ((size_t)1 << 30);
        ssize_t n;
        if (injected_failure()) return -1;
        n = write(fd, data, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        data += n;
        size -= (size_t)n;
    }
    return 0;
}

/* Best effort: make the rename durable. Errors are ignored because the new file is already
 * in place and readable; only its durability across a crash would be affected. */
static void fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_CLOEXEC
#ifdef O_DIRECTORY
                           | O_DIRECTORY
#endif
    );
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int cperm_write_file_atomic(const char *path, const void *data, size_t size, cperm_err *err) {
    int rc = CPERM_OK, fd = -1;
    char *tmp = NULL, *dir = NULL;
    const char *slash, *base;
    size_t dirlen, tmpcap;
    long attempt;

    if (!path || !*path || (!data && size > 0))
        return cperm_fail(err, CPERM_EINVAL, "write: invalid arguments");
    slash = strrchr(path, '/');
    base = slash ? slash + 1 : path;
    if (!*base) return cperm_fail(err, CPERM_EINVAL, "write: %s: not a file name", path);
    dirlen = slash ? (size_t)(slash - path) : 0;

    /* Temporary name in the same directory (rename is atomic only within a filesystem):
     * "<dir>/.<base>.<pid>.<attempt>.tmp". O_EXCL plus retry makes it unique even against
     * other threads or processes writing the same target. */
    tmpcap = strlen(path) + 64;
    tmp = malloc(tmpcap);
    dir = malloc(dirlen + 2);
    if (!tmp || !dir) {
        rc = cperm_fail(err, CPERM_ENOMEM, "write: %s: out of memory", path);
        goto cleanup;
    }
    if (slash) {
        memcpy(dir, path, dirlen ? dirlen : 1); /* "/x" -> dir "/" */
        dir[dirlen ? dirlen : 1] = '\0';
    } else {
        strcpy(dir, ".");
    }
    for (attempt = 0;; attempt++) {
        snprintf(tmp, tmpcap, "%.*s%s.%s.%ld.%ld.tmp", (int)dirlen, path, slash ? "/" : "",
                 base, (long)getpid(), attempt);
        if (injected_failure()) {
            fd = -1;
        } else {
            /* 0666 & ~umask, as a plain fopen(path, "w") would create the file. */
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        }
        if (fd >= 0) break;
        if (errno != EEXIST || attempt >= 1000) {
            rc = cperm_fail(err, CPERM_EIO, "write: %s: cannot create temporary file %s: %s",
                            path, tmp, strerror(errno));
            goto cleanup_notmp;
        }
    }
    if (write_all(fd, data, size) != 0) {
        rc = cperm_fail(err, CPERM_EIO, "write: %s: write failed: %s", path, strerror(errno));
        goto cleanup;
    }
    if (injected_failure() || fsync(fd) != 0) {
        rc = cperm_fail(err, CPERM_EIO, "write: %s: fsync failed: %s", path, strerror(errno));
        goto cleanup;
    }
    {
        /* On an injected failure the descriptor is still closed, as a failed close() does. */
        int injected = injected_failure();
        int crc = close(fd);
        fd = -1;
        if (injected || crc != 0) {
            rc = cperm_fail(err, CPERM_EIO, "write: %s: close failed: %s", path,
                            strerror(injected ? EIO : errno));
            goto cleanup;
        }
    }
    if (injected_failure() || rename(tmp, path) != 0) {
        rc = cperm_fail(err, CPERM_EIO, "write: %s: cannot rename %s into place: %s", path, tmp,
                        strerror(errno));
        goto cleanup;
    }
    fsync_dir(dir);
    free(tmp);
    free(dir);
    return CPERM_OK;

cleanup:
    if (fd >= 0) close(fd);
    if (tmp) unlink(tmp);
cleanup_notmp:
    free(tmp);
    free(dir);
    return rc;
}
