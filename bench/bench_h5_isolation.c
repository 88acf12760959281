/* bench_h5_isolation.c - the cost of reading -stc.h5 files in a child process
 * (cperm_stc_read_h5, CPERM_H5_ISOLATE_CHILD) against reading them in-process, on a study's
 * files; also checks that both give bit-identical estimates.
 *
 *   bench_h5_isolation [--reps R] [--ballast MB] FILE...
 *
 * Each repetition reads every FILE once in each mode (the order of the modes alternates
 * between repetitions, so that neither always finds the page cache warmer); prints per mode
 * the median over repetitions of the time for all files, and the median per file. --ballast
 * first allocates and touches MB of memory, as the CLI holds the data matrix X while it reads
 * the later subjects (fork copies the page tables of the whole process). */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int same(const cperm_stc *a, const cperm_stc *b) {
    size_t n = (a->n_vertices[0] + a->n_vertices[1]) * a->n_orient * a->n_times;
    return a->n_hemis == b->n_hemis && a->n_vertices[0] == b->n_vertices[0] &&
           a->n_vertices[1] == b->n_vertices[1] && a->n_orient == b->n_orient &&
           a->n_times == b->n_times && memcmp(&a->tmin, &b->tmin, sizeof a->tmin) == 0 &&
           memcmp(&a->tstep, &b->tstep, sizeof a->tstep) == 0 &&
           strcmp(a->subject, b->subject) == 0 &&
           memcmp(a->vertices[0], b->vertices[0], a->n_vertices[0] * 4) == 0 &&
           memcmp(a->vertices[1], b->vertices[1], a->n_vertices[1] * 4) == 0 &&
           memcmp(a->data, b->data, n * sizeof(double)) == 0;
}

int main(int argc, char **argv) {
    int reps = 5, i, r, m, nf, first = 1;
    size_t ballast_mb = 0;
    double *t[2];
    const char *names[2] = {"in-process", "child process"};
    unsigned char *ballast = NULL;
    size_t bytes = 0;

    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (strcmp(argv[first], "--reps") == 0 && first + 1 < argc)
            reps = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--ballast") == 0 && first + 1 < argc)
            ballast_mb = (size_t)atol(argv[first + 1]);
        else
            break;
        first += 2;
    }
    nf = argc - first;
    if (nf <= 0 || reps <= 0) {
        fprintf(stderr, "usage: bench_h5_isolation [--reps R] [--ballast MB] FILE...\n");
        return 2;
    }
    if (ballast_mb) {
        ballast = malloc(ballast_mb << 20);
        if (!ballast) return 2;
        memset(ballast, 1, ballast_mb << 20);
    }
    t[0] = calloc((size_t)reps, sizeof(double));
    t[1] = calloc((size_t)reps, sizeof(double));
    for (r = 0; r < reps; r++) {
        for (m = 0; m < 2; m++) {
            int mode = (m + r) % 2; /* alternate which mode goes first */
            cperm_h5_options o = CPERM_H5_OPTIONS_INIT;
            double t0 = now_s();
            o.isolate = mode ? CPERM_H5_ISOLATE_CHILD : CPERM_H5_ISOLATE_NONE;
            for (i = 0; i < nf; i++) {
                cperm_stc *s = NULL;
                cperm_err err = {0, ""};
                if (cperm_stc_read_h5(&s, argv[first + i], &o, &err)) {
                    fprintf(stderr, "%s\n", err.msg);
                    return 1;
                }
                if (r == 0 && mode == 0)
                    bytes += (s->n_vertices[0] + s->n_vertices[1]) * s->n_orient * s->n_times * 8;
                cperm_stc_free(s);
            }
            t[mode][r] = now_s() - t0;
        }
    }
    /* Bit-identity, file by file. */
    for (i = 0; i < nf; i++) {
        cperm_h5_options a = CPERM_H5_OPTIONS_INIT, b = CPERM_H5_OPTIONS_INIT;
        cperm_stc *x = NULL, *y = NULL;
        a.isolate = CPERM_H5_ISOLATE_NONE;
        b.isolate = CPERM_H5_ISOLATE_CHILD;
        if (cperm_stc_read_h5(&x, argv[first + i], &a, NULL) ||
            cperm_stc_read_h5(&y, argv[first + i], &b, NULL) || !same(x, y)) {
            fprintf(stderr, "%s: the two modes differ\n", argv[first + i]);
            return 1;
        }
        cperm_stc_free(x);
        cperm_stc_free(y);
    }
    printf("%d files, %.1f MB of float64 data, %d repetitions, ballast %zu MB; "
           "bit-identical: yes\n", nf, (double)bytes / 1e6, reps, ballast_mb);
    for (m = 0; m < 2; m++) {
        qsort(t[m], (size_t)reps, sizeof(double), cmp_double);
        printf("%-14s median %8.3f s for all files (min %.3f, max %.3f), %7.2f ms per file\n",
               names[m], t[m][reps / 2], t[m][0], t[m][reps - 1], t[m][reps / 2] * 1e3 / nf);
    }
    qsort(t[0], (size_t)reps, sizeof(double), cmp_double);
    printf("cost of isolation: %+.3f s for all files (%+.2f ms per file, %+.0f %%)\n",
           t[1][reps / 2] - t[0][reps / 2], (t[1][reps / 2] - t[0][reps / 2]) * 1e3 / nf,
           100.0 * (t[1][reps / 2] / t[0][reps / 2] - 1.0));
    free(t[0]);
    free(t[1]);
    free(ballast);
    return 0;
}
