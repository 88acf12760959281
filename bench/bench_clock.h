/* bench_clock.h - what the bench programs share (bench_case.c and the floors): wall and CPU
 * clocks, and reading the float64 arrays run_bench.py writes. Header-only: each program is
 * one file compiled on its own by run_bench.sh. */
#ifndef CPERM_BENCH_CLOCK_H
#define CPERM_BENCH_CLOCK_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double cpu_now(void) { /* every thread's CPU time, for runs on a shared machine */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* count doubles from DIR/X.f64, or exit naming the program (`who`) and the file. */
static inline double *bench_read_x(const char *who, const char *dir, size_t count) {
    char path[4096];
    snprintf(path, sizeof path, "%s/X.f64", dir);
    FILE *f = fopen(path, "rb");
    double *x = malloc(count * sizeof *x);
    if (!f || !x || fread(x, sizeof *x, count, f) != count) {
        fprintf(stderr, "%s: cannot read %zu doubles from %s\n", who, count, path);
        exit(1);
    }
    fclose(f);
    return x;
}

#endif
