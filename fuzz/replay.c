/* replay.c - runs a fuzz target's corpus without libFuzzer (built with the normal compiler
 * for `make check`): feeds every file of the given directories (default: fuzz/corpus/NAME
 * and fuzz/regress/NAME) to LLVMFuzzerTestOneInput and prints "ok" / "FAIL" lines. A
 * crash or sanitizer report aborts the process, which the test runner reports. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_NAME
#error "compile with -DFUZZ_NAME=\"target\""
#endif

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_all(const char *path, uint8_t **out, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap *= 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    if (!buf) return -1;
    *out = buf;
    *size = n;
    return 0;
}

/* Returns the number of inputs run from dir, or -1 if it cannot be listed. */
static long replay_dir(const char *dir, int *failed) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) break;
            names = nn;
        }
        names[n] = strdup(e->d_name);
        if (names[n]) n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        uint8_t *buf = NULL;
        size_t size = 0;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (read_all(path, &buf, &size)) {
            printf("FAIL fuzz.%s.read: cannot read %s\n", FUZZ_NAME, path);
            *failed = 1;
        } else {
            fflush(stdout);
            LLVMFuzzerTestOneInput(buf, size); /* must return; a crash aborts */
            free(buf);
        }
        free(names[i]);
    }
    free(names);
    return (long)n;
}

int main(int argc, char **argv) {
    char def[2][512];
    const char *dirs_default[2];
    const char *const *dirs;
    int n_dirs, failed = 0;
    snprintf(def[0], sizeof def[0], "fuzz/corpus/%s", FUZZ_NAME);
    snprintf(def[1], sizeof def[1], "fuzz/regress/%s", FUZZ_NAME);
    dirs_default[0] = def[0];
    dirs_default[1] = def[1];
    if (argc > 1) {
        dirs = (const char *const *)(argv + 1);
        n_dirs = argc - 1;
    } else {
        dirs = dirs_default;
        n_dirs = 2;
    }
    fuzz_silence_stderr(); /* the CLI parsers print errors; libFuzzer runs use -close_fd_mask=2 */
    long total = 0;
    for (int i = 0; i < n_dirs; i++) {
        long k = replay_dir(dirs[i], &failed);
        /* The seed corpus must exist; regression inputs may not (yet). */
        if (k < 0 && (argc > 1 || i == 0)) {
            printf("FAIL fuzz.%s.corpus: cannot list %s (run from the repository root)\n",
                   FUZZ_NAME, dirs[i]);
            failed = 1;
        }
        if (k > 0) total += k;
    }
    if (total > 0 && !failed)
        printf("ok fuzz.%s.replay (%ld inputs)\n", FUZZ_NAME, total);
    else if (!failed)
        printf("FAIL fuzz.%s.replay: no inputs found\n", FUZZ_NAME);
    return failed || total == 0;
}
