/* bench_tfce.c - times one TFCE permutation test through the public API.
 *
 * Usage: bench_tfce CASE_DIR
 * CASE_DIR/params.txt: key=value lines: n_subjects, n_times, n_vertices, tail, tfce
 * (exact|riemann|mne1.3|none: none is the plain cluster-mass test at `threshold`),
 * tfce_start, tfce_step, n_permutations, seed, n_jobs, compat (none|mne1.3), generate (0:
 * read X.f64; 1: synthesise smooth data here, seed 1), also (issue 17: options.tfce_also,
 * 1 mass, 2 extent, 3 both) and threshold (the cluster-forming t of also and of none).
 * Also reads edges.i64 (int64 pairs). Writes out_h0.f64, out_map.f64 (TFCE) and with also
 * out_h0_mass.f64 / out_h0_extent.f64, and prints one JSON line: setup and execute seconds
 * (wall, and CPU of all threads), permutations, wall seconds per permutation. */
#include "clusterperm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); buf = NULL; }
    fclose(f);
    *size = n > 0 ? (size_t)n : 0;
    return buf;
}

static uint64_t rng_s = 0x2545F4914F6CDD1DULL;
static double nrand(void) {
    double u[2];
    for (int k = 0; k < 2; k++) {
        rng_s ^= rng_s >> 12; rng_s ^= rng_s << 25; rng_s ^= rng_s >> 27;
        u[k] = ((double)((rng_s * 2685821657736338717ULL) >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2.0 * log(u[0])) * cos(6.283185307179586 * u[1]);
}

/* Smooth noise per subject (3 neighbourhood means, AR(1) over time) plus an effect on the
 * first n_vertices/40 vertices over the second quarter of the times. */
static void synthesise(double *X, const cperm_graph *g, size_t n, size_t T) {
    const size_t V = g->n_vertices, P = T * V;
    double *a = malloc(V * sizeof *a), *b = malloc(V * sizeof *b);
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < T; t++) {
            for (size_t v = 0; v < V; v++) a[v] = nrand();
            for (int it = 0; it < 3; it++) {
                for (size_t v = 0; v < V; v++) {
                    double s = a[v];
                    for (size_t e = g->indptr[v]; e < g->indptr[v + 1]; e++) s += a[g->indices[e]];
                    b[v] = s / (double)(1 + g->indptr[v + 1] - g->indptr[v]);
                }
                memcpy(a, b, V * sizeof *a);
            }
            double *x = X + i * P + t * V;
            for (size_t v = 0; v < V; v++) {
                x[v] = a[v] + (t ? 0.5 * x[v - V] : 0.0);
                ss += x[v] * x[v];
            }
        }
    double sd = sqrt(ss / (double)(n * P));
    for (size_t k = 0; k < n * P; k++) X[k] /= sd;
    for (size_t i = 0; i < n; i++)
        for (size_t t = T / 4; t < T / 2; t++)
            for (size_t v = 0; v < V / 40; v++) X[i * P + t * V + v] += 0.6;
    free(a);
    free(b);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: bench_tfce CASE_DIR\n"); return 2; }
    char path[4096], line[512];
    size_t n = 0, T = 0, V = 0, sz = 0;
    int generate = 0;
    double c0 = 0.0;
    cperm_options o = CPERM_OPTIONS_INIT;
    o.tfce = CPERM_TFCE_EXACT;
    snprintf(path, sizeof path, "%s/params.txt", argv[1]);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "bench_tfce: cannot open %s\n", path); return 1; }
    while (fgets(line, sizeof line, f)) {
        char key[64], val[256];
        if (sscanf(line, "%63[^=]=%255s", key, val) != 2) continue;
        if (!strcmp(key, "n_subjects")) n = strtoul(val, NULL, 10);
        else if (!strcmp(key, "n_times")) T = strtoul(val, NULL, 10);
        else if (!strcmp(key, "n_vertices")) V = strtoul(val, NULL, 10);
        else if (!strcmp(key, "tail")) o.tail = atoi(val);
        else if (!strcmp(key, "tfce")) o.tfce = !strcmp(val, "mne1.3") ? CPERM_TFCE_MNE13 :
                                                !strcmp(val, "riemann") ? CPERM_TFCE_RIEMANN :
                                                !strcmp(val, "none") ? CPERM_TFCE_NONE :
                                                CPERM_TFCE_EXACT;
        else if (!strcmp(key, "also")) o.tfce_also = (unsigned)strtoul(val, NULL, 10);
        else if (!strcmp(key, "threshold")) o.threshold = strtod(val, NULL);
        else if (!strcmp(key, "tfce_start")) o.tfce_start = strtod(val, NULL);
        else if (!strcmp(key, "tfce_step")) o.tfce_step = strtod(val, NULL);
        else if (!strcmp(key, "n_permutations")) o.n_permutations = strtol(val, NULL, 10);
        else if (!strcmp(key, "seed")) o.seed = (uint32_t)strtoul(val, NULL, 10);
        else if (!strcmp(key, "n_jobs")) o.n_jobs = atoi(val);
        else if (!strcmp(key, "compat")) o.compat = !strcmp(val, "mne1.3") ? CPERM_COMPAT_MNE13
                                                                            : CPERM_COMPAT_NONE;
        else if (!strcmp(key, "generate")) generate = atoi(val);
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/edges.i64", argv[1]);
    int64_t *edges = slurp(path, &sz);
    if (!edges || !n || !T || !V) { fprintf(stderr, "bench_tfce: bad case %s\n", argv[1]); return 1; }
    const size_t n_edges = sz / 16;
    double *X = NULL;
    if (!generate) {
        snprintf(path, sizeof path, "%s/X.f64", argv[1]);
        X = slurp(path, &sz);
        if (!X || sz != n * T * V * sizeof *X) { fprintf(stderr, "bench_tfce: bad X.f64\n"); return 1; }
    }
    /* the call's CPU, as MNE's call is timed: from the edges (MNE's adjacency matrix,
     * already read) and X in memory to the test's end */
    c0 = cpu_now();
    cperm_err err;
    memset(&err, 0, sizeof err);
    cperm_graph *g = NULL;
    if (cperm_graph_from_edges(&g, V, edges, n_edges, &err)) {
        fprintf(stderr, "bench_tfce: %s\n", err.msg);
        return 1;
    }
    if (generate) {
        X = malloc(n * T * V * sizeof *X);
        if (!X) { fprintf(stderr, "bench_tfce: out of memory\n"); return 1; }
        synthesise(X, g, n, T);
    }
    double t0 = now();
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    int rc = cperm_plan_create(&plan, g, n, T, &o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    double t1 = now(), c1 = cpu_now();
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    double t2 = now(), c2 = cpu_now();
    if (rc) { fprintf(stderr, "bench_tfce: %s\n", err.msg); return 1; }
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    snprintf(path, sizeof path, "%s/out_h0.f64", argv[1]);
    f = fopen(path, "wb");
    if (f) { fwrite(h0, sizeof *h0, nh, f); fclose(f); }
    snprintf(path, sizeof path, "%s/out_map.f64", argv[1]);
    f = cperm_run_tfce_map(run) ? fopen(path, "wb") : NULL;
    if (f) { fwrite(cperm_run_tfce_map(run), sizeof(double), T * V, f); fclose(f); }
    for (unsigned what = CPERM_ALSO_MASS; what <= CPERM_ALSO_EXTENT; what <<= 1) {
        size_t na = 0;
        const double *ha = cperm_run_tfce_also_h0(run, what, &na);
        snprintf(path, sizeof path, "%s/out_h0_%s.f64", argv[1],
                 what == CPERM_ALSO_MASS ? "mass" : "extent");
        f = ha ? fopen(path, "wb") : NULL;
        if (f) { fwrite(ha, sizeof *ha, na, f); fclose(f); }
    }
    const double *pv = o.tfce ? cperm_run_tfce_pvalues(run) : NULL;
    size_t n_sig = 0;
    for (size_t p = 0; pv && p < T * V; p++) n_sig += pv[p] < 0.05;
    printf("{\"setup_s\": %.6f, \"execute_s\": %.6f, \"execute_cpu_s\": %.6f, "
           "\"call_cpu_s\": %.6f, "
           "\"n_orders\": %zu, \"per_perm_s\": %.6g, "
           "\"n_points\": %zu, \"n_significant\": %zu, \"h0_max\": %.17g}\n", t1 - t0, t2 - t1, c2 - c1,
           generate ? -1.0 : c2 - c0,
           cperm_plan_n_orders(plan), (t2 - t1) / (double)(cperm_plan_n_orders(plan) + 1),
           T * V, n_sig, h0[0]);
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    free(X);
    free(edges);
    return 0;
}
