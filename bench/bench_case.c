/* bench_case.c - times the library call on one benchmark case written by run_bench.py:
 * DIR/X.f64 (n_subjects x n_times x n_vertices) and DIR/edges.i64 (vertex pairs).
 * Prints one JSON line: seconds for plan, run and execute (wall, and CPU of all threads), peak
 * RSS, clusters, p-values. */
#include "clusterperm.h"
#include "bench_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static void *slurp(const char *dir, const char *name, size_t *size) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) { fprintf(stderr, "bench_case: cannot open %s\n", path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "bench_case: read %s\n", path); exit(1); }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

int main(int argc, char **argv) {
    if (argc < 10 || argc > 13) {
        fprintf(stderr, "usage: bench_case DIR n_subjects n_times n_vertices threshold "
                        "n_permutations jobs sigma repeats [none|mne1.3] [H0_OUT|-] "
                        "[GROUP_SIZES]\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t n = strtoul(argv[2], NULL, 10), T = strtoul(argv[3], NULL, 10),
           V = strtoul(argv[4], NULL, 10);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = strtod(argv[5], NULL);
    o.n_permutations = strtol(argv[6], NULL, 10);
    o.n_jobs = atoi(argv[7]);
    o.sigma = strtod(argv[8], NULL);
    int repeats = atoi(argv[9]);
    if (argc > 10 && !strcmp(argv[10], "mne1.3")) o.compat = CPERM_COMPAT_MNE13;
    const char *h0_out = argc > 11 && strcmp(argv[11], "-") ? argv[11] : NULL;
    /* independent groups: GROUP_SIZES "16,16" (the one-way F, MNE's default tail 0) */
    size_t sizes[CPERM_MAX_GROUPS];
    if (argc > 12) {
        o.design = CPERM_DESIGN_GROUPS;
        o.n_groups = 0;
        for (char *c = argv[12]; *c && o.n_groups < CPERM_MAX_GROUPS;) {
            sizes[o.n_groups++] = strtoul(c, &c, 10);
            if (*c == ',') c++;
        }
        o.group_sizes = sizes;
    }
    size_t xs, es;
    double *X = slurp(dir, "X.f64", &xs);
    int64_t *edges = slurp(dir, "edges.i64", &es);
    if (xs != n * T * V * sizeof(double)) { fprintf(stderr, "bench_case: X size\n"); return 1; }
    cperm_err err = {0};
    cperm_graph *g = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    if (cperm_graph_from_edges(&g, V, edges, es / 16, &err)) goto fail;
    double best = 1e30, t_plan = 0, t_run = 0, best_cpu = 1e30;
    for (int r = 0; r < repeats; r++) {
        double c0 = cpu_now(), t0 = now();
        if (cperm_plan_create(&plan, g, n, T, &o, &err)) goto fail;
        double t1 = now();
        if (cperm_run_create(&run, plan, &err)) goto fail;
        double t2 = now();
        if (cperm_plan_execute(plan, X, run, &err)) goto fail;
        double t3 = now(), c3 = cpu_now();
        double total = t3 - t0;
        if (c3 - c0 < best_cpu) best_cpu = c3 - c0;
        if (total < best) { best = total; t_plan = t1 - t0; t_run = t2 - t1; }
        if (r + 1 < repeats) { cperm_run_free(run); cperm_plan_free(plan); run = NULL; plan = NULL; }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t nc = cperm_run_n_clusters(run), nh = 0;
    const double *pv = cperm_run_pvalues(run);
    cperm_run_h0(run, &nh);
    double pmin = 1.0;
    for (size_t c = 0; c < nc; c++) if (pv[c] < pmin) pmin = pv[c];
    printf("{\"seconds\": %.6f, \"cpu_s\": %.6f, \"plan_s\": %.6f, \"run_s\": %.6f, \"peak_rss_mb\": %.1f, "
           "\"n_clusters\": %zu, \"n_h0\": %zu, \"min_p\": %.17g}\n",
           best, best_cpu, t_plan, t_run, (double)ru.ru_maxrss / 1024.0, nc, nh, pmin);
    if (h0_out) {
        FILE *f = fopen(h0_out, "w");
        const double *h0 = cperm_run_h0(run, &nh);
        for (size_t i = 0; f && i < nh; i++) fprintf(f, "%.17g\n", h0[i]);
        if (f) fclose(f);
    }
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    free(X);
    free(edges);
    return 0;
fail:
    fprintf(stderr, "bench_case: %s\n", err.msg);
    return 1;
}
