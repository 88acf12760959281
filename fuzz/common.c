/* common.c - scratch files, stderr silencing and invariant failures for the fuzz targets and
 * their replay drivers (see fuzz.h). */
#include "fuzz.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char scratch_dir[256];
static char scratch_path[512];

static void remove_scratch(void) {
    char cmd[300];
    if (!scratch_dir[0] || strchr(scratch_dir, '\'')) return;
    /* Only our own directory, created by mkdtemp below. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch_dir);
    if (system(cmd) != 0) { /* best effort */ }
}

const char *fuzz_scratch_dir(void) {
    if (scratch_dir[0]) return scratch_dir;
    const char *base = getenv("TMPDIR");
    struct stat st;
    if (!base || !*base) base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(scratch_dir, sizeof scratch_dir, "%s/cperm-fuzz.XXXXXX", base);
    if (!mkdtemp(scratch_dir)) {
        scratch_dir[0] = '\0';
        return NULL;
    }
    atexit(remove_scratch);
    return scratch_dir;
}

const char *fuzz_scratch_file(const char *name, const uint8_t *data, size_t size) {
    const char *dir = fuzz_scratch_dir();
    if (!dir) return NULL;
    snprintf(scratch_path, sizeof scratch_path, "%s/%s", dir, name);
    int fd = open(scratch_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0) {
            close(fd);
            return NULL;
        }
        off += (size_t)n;
    }
    close(fd);
    return scratch_path;
}

void fuzz_silence_stderr(void) {
    static int done;
    if (done) return;
    done = 1;
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        fflush(stderr);
        dup2(fd, 2);
        close(fd);
    }
}

void fuzz_fail(const char *expr, const char *file, int line) {
    printf("FAIL fuzz.check: %s (%s:%d)\n", expr, file, line);
    fflush(stdout);
    abort();
}
