/* unit_screens.c - the sign-flip kernel's screens select candidates differently (int16 blocks
 * with two groups, float32 in AVX2, the portable float32 loop, double where
 * float32 would be too loose), but each must keep every point that passes, so the results
 * cannot depend on which one ran: H0, p-values and clusters are compared bit for bit between
 * the machine's own screens and CPERM_PORTABLE_KERNEL=1, on data built to reach each path:
 * 9, 12, 13, 14 and 16 subjects (two groups: the int16 screen, over two subsets of subjects
 * up to 13 and three from 14), 8 (one group), a vertex a thousand
 * times smaller than its block's others (the int16 screen steps aside for those blocks), an
 * all-zero vertex (Q = 0: always recomputed), a partial last block, sigma 1e-3 and 0, tails
 * 0 and 1. The second run also orders the hat's top list (the points of largest sum of
 * squares) by its heap instead of its radix sort (CPERM_TOP_HEAP). */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { V = 300, T = 5, NPERM = 300 };

static uint64_t rng_state = 88172645463325252u;
static double uniform(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2.0 * log(uniform())) * cos(6.283185307179586 * uniform()); }

/* n subjects x T x V: noise smoothed along the ring, an effect on vertices 20-59 at times
 * 1-3, vertex 10 scaled by 1e-3, vertex 150 all zero. */
static double *make_data(size_t n) {
    double *X = malloc(n * T * V * sizeof *X);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < T; t++) {
            double *row = X + (i * T + t) * V, raw[V];
            for (size_t v = 0; v < V; v++) raw[v] = gauss();
            for (size_t v = 0; v < V; v++)
                row[v] = raw[v] + 0.8 * raw[(v + 1) % V] + 0.8 * raw[(v + V - 1) % V] +
                         (t >= 1 && t <= 3 && v >= 20 && v < 60 ? 1.2 : 0.0);
            row[10] *= 1e-3;
            row[150] = 0.0;
        }
    return X;
}

static cperm_run *run_once(const cperm_graph *g, size_t n, const double *X, double thr,
                           double sigma, int tail, cperm_plan **plan_out) {
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = thr;
    o.tail = tail;
    o.sigma = sigma;
    o.n_permutations = NPERM;
    o.seed = 7;
    o.n_jobs = 2;
    cperm_err err;
    memset(&err, 0, sizeof err);
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    if (cperm_plan_create(&plan, g, n, T, &o, &err) || cperm_run_create(&run, plan, &err) ||
        cperm_plan_execute(plan, X, run, &err)) {
        printf("FAIL screens.setup: %s\n", err.msg);
        cperm_run_free(run);
        cperm_plan_free(plan);
        return NULL;
    }
    *plan_out = plan;
    return run;
}

static void compare(const cperm_graph *g, size_t n, const double *X, double thr, double sigma,
                    int tail) {
    char name[160];
    snprintf(name, sizeof name, "screens.n%zu.thr%g.sigma%g.tail%d", n, thr, sigma, tail);
    cperm_plan *pa = NULL, *pb = NULL;
    unsetenv("CPERM_PORTABLE_KERNEL");
    unsetenv("CPERM_TOP_HEAP");
    cperm_run *a = run_once(g, n, X, thr, sigma, tail, &pa);
    /* the portable screen, and the hat's list of largest sums of squares by its heap
     * instead of the radix sort */
    setenv("CPERM_PORTABLE_KERNEL", "1", 1);
    setenv("CPERM_TOP_HEAP", "1", 1);
    cperm_run *b = run_once(g, n, X, thr, sigma, tail, &pb);
    unsetenv("CPERM_PORTABLE_KERNEL");
    unsetenv("CPERM_TOP_HEAP");
    if (!a || !b) {
        TU_FAIL(name, "a run failed");
    } else {
        size_t na = 0, nb = 0;
        const double *ha = cperm_run_h0(a, &na), *hb = cperm_run_h0(b, &nb);
        size_t diff = SIZE_MAX, nonzero = 0;
        for (size_t k = 0; k < na && k < nb; k++) {
            if (ha[k] != 0) nonzero++;
            if (diff == SIZE_MAX && memcmp(&ha[k], &hb[k], sizeof ha[k])) diff = k;
        }
        char nm[200];
        snprintf(nm, sizeof nm, "%s.h0", name);
        CHECK(nm, na == nb && na > 100 && diff == SIZE_MAX && nonzero > na / 2,
              "n_h0 %zu/%zu, first difference at %zu (%.17g vs %.17g), %zu nonzero", na, nb,
              diff, diff == SIZE_MAX ? 0.0 : ha[diff], diff == SIZE_MAX ? 0.0 : hb[diff],
              nonzero);
        size_t ca = cperm_run_n_clusters(a), cb = cperm_run_n_clusters(b);
        const double *pva = cperm_run_pvalues(a), *pvb = cperm_run_pvalues(b);
        snprintf(nm, sizeof nm, "%s.pvalues", name);
        CHECK(nm, ca == cb && ca > 0 && !memcmp(pva, pvb, ca * sizeof *pva),
              "%zu vs %zu clusters, or p-values differ", ca, cb);
    }
    cperm_run_free(a);
    cperm_run_free(b);
    cperm_plan_free(pa);
    cperm_plan_free(pb);
}

int main(void) {
    int64_t edges[2 * V];
    for (size_t v = 0; v < V; v++) {
        edges[2 * v] = (int64_t)v;
        edges[2 * v + 1] = (int64_t)((v + 1) % V);
    }
    cperm_graph *g = NULL;
    cperm_err err;
    memset(&err, 0, sizeof err);
    if (cperm_graph_from_edges(&g, V, edges, V, &err)) {
        printf("FAIL screens.graph: %s\n", err.msg);
        return 1;
    }
    const size_t subjects[] = {16, 14, 13, 12, 9, 8};
    for (size_t s = 0; s < sizeof subjects / sizeof *subjects; s++) {
        const size_t n = subjects[s];
        double *X = make_data(n);
        /* t thresholds near p = 0.05 and p = 0.001 (two-sided) for these n */
        compare(g, n, X, 2.1, 1e-3, 0);
        compare(g, n, X, 4.0, 1e-3, 0);
        compare(g, n, X, 2.1, 0.0, 0);
        compare(g, n, X, 2.1, 1e-3, 1);
        free(X);
    }
    cperm_graph_free(g);
    TU_EXIT();
}
