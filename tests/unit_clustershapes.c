/* unit_clustershapes.c - a run's clusters as MNE's out_type gives them (cluster_shapes.c):
 * masks and np.nonzero-ordered indices on hand-computed cases, in default mode (members
 * ascending) and compat mode (MNE's list-path order, which is not ascending), and the
 * errors of both calls.
 *
 * Data trick (as unit_engine.c): 2 subjects, the column (a+1, a-1) has t = a exactly. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS 2

static cperm_graph *graph_of(size_t n, const int64_t *edges, size_t m) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_from_edges(&g, n, edges, m, &err)) printf("# graph: %s\n", err.msg);
    return g;
}

static void make_x(double *X, const double *tv, size_t n_tests) {
    for (size_t i = 0; i < n_tests; i++) {
        X[i] = tv[i] + 1.0;
        X[n_tests + i] = tv[i] - 1.0;
    }
}

typedef struct fixture {
    cperm_plan *plan;
    cperm_run *run;
} fixture;

/* Tail 1, threshold 1.5, 4 permutations (exact with 2 subjects). */
static int run_case(fixture *f, const cperm_graph *g, size_t n_times, int compat,
                    const double *X) {
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.compat = compat;
    cperm_err err = {0};
    memset(f, 0, sizeof *f);
    int rc = cperm_plan_create(&f->plan, g, NS, n_times, &o, &err);
    if (!rc) rc = cperm_run_create(&f->run, f->plan, &err);
    if (!rc) rc = cperm_plan_execute(f->plan, X, f->run, &err);
    if (rc) printf("# run_case: %s\n", err.msg);
    return rc;
}

static void fixture_free(fixture *f) {
    cperm_run_free(f->run);
    cperm_plan_free(f->plan);
}

static int same_i64(const int64_t *a, const int64_t *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

/* Graph 0-2-1 (vertex 2 between 0 and 1), 2 times x 3 vertices, t-values
 *   t0: 3    2    4       active {0,1,2}
 *   t1: 0.5  5    0.5     active {1}
 * One cluster (vertex 1 joins t0 and t1), sum 3+2+4+5 = 14. MNE's list path: at t0 its
 * breadth-first search from vertex 0 reaches 2, then 1: [0,2,1]; t1 gives [4]; the merge
 * appends it: [0,2,1,4] (compat mode). Default mode keeps members ascending: [0,1,2,4].
 * Either way the mask is 1 1 1 0 1 0 and the np.nonzero order 0 1 2 4. */
static void test_bridge(int compat) {
    static const int64_t edges[] = {0, 2, 2, 1};
    static const double tv[6] = {3, 2, 4, 0.5, 5, 0.5};
    static const int64_t want_members[2][4] = {{0, 1, 2, 4}, {0, 2, 1, 4}};
    static const int64_t want_sorted[4] = {0, 1, 2, 4};
    static const uint8_t want_mask[6] = {1, 1, 1, 0, 1, 0};
    const char *mode = compat ? "compat" : "default";
    char nm[128];
    cperm_graph *g = graph_of(3, edges, 2);
    double X[NS * 6];
    make_x(X, tv, 6);
    fixture f;
    int rc = run_case(&f, g, 2, compat, X);
    snprintf(nm, sizeof nm, "shapes.bridge_%s.execute", mode);
    CHECK(nm, rc == 0 && cperm_run_n_clusters(f.run) == 1, "rc %d, %zu clusters", rc,
          rc ? 0 : cperm_run_n_clusters(f.run));
    if (rc || cperm_run_n_clusters(f.run) != 1) {
        fixture_free(&f);
        cperm_graph_free(g);
        return;
    }
    size_t n = 0;
    const int64_t *m = cperm_run_cluster(f.run, 0, &n);
    snprintf(nm, sizeof nm, "shapes.bridge_%s.members_order", mode);
    CHECK(nm, n == 4 && same_i64(m, want_members[compat], 4), "%zu members, first %lld %lld %lld",
          n, n > 0 ? (long long)m[0] : -1LL, n > 1 ? (long long)m[1] : -1LL,
          n > 2 ? (long long)m[2] : -1LL);
    uint8_t mask[6];
    memset(mask, 7, sizeof mask);
    cperm_err err = {0};
    rc = cperm_run_cluster_mask(f.run, 0, mask, 6, &err);
    snprintf(nm, sizeof nm, "shapes.bridge_%s.mask", mode);
    CHECK(nm, rc == 0 && !memcmp(mask, want_mask, 6), "rc %d (%s), mask %d%d%d%d%d%d", rc,
          err.msg, mask[0], mask[1], mask[2], mask[3], mask[4], mask[5]);
    int64_t idx[5] = {-1, -1, -1, -1, -9};
    size_t n_idx = 0;
    rc = cperm_run_cluster_indices(f.run, 0, idx, 5, &n_idx, &err);
    snprintf(nm, sizeof nm, "shapes.bridge_%s.indices", mode);
    CHECK(nm, rc == 0 && n_idx == 4 && same_i64(idx, want_sorted, 4) && idx[4] == -9,
          "rc %d, %zu indices %lld %lld %lld %lld, idx[4] %lld", rc, n_idx, (long long)idx[0],
          (long long)idx[1], (long long)idx[2], (long long)idx[3], (long long)idx[4]);
    /* the run's own members are left as they were */
    m = cperm_run_cluster(f.run, 0, &n);
    snprintf(nm, sizeof nm, "shapes.bridge_%s.members_untouched", mode);
    CHECK(nm, n == 4 && same_i64(m, want_members[compat], 4), "members changed");
    fixture_free(&f);
    cperm_graph_free(g);
}

/* A path through 40 vertices in a shuffled order (vertex PATH[i] next to PATH[i+1]), all
 * active at t0 (t = 2 + v / 10), nothing at t1: one cluster of the 40 points of t0. In
 * compat mode MNE's breadth-first search walks out from vertex 0 along the path both ways,
 * an order far from ascending; the indices must come back as 0 .. 39 all the same. */
static void test_path40(void) {
    enum { V = 40 };
    int64_t path[V], edges[2 * (V - 1)];
    uint32_t s = 12345u;
    for (int i = 0; i < V; i++) path[i] = i;
    for (int i = V - 1; i > 0; i--) { /* Fisher-Yates with a fixed LCG */
        s = s * 1103515245u + 12345u;
        int j = (int)((s >> 8) % (uint32_t)(i + 1));
        int64_t t = path[i];
        path[i] = path[j];
        path[j] = t;
    }
    for (int i = 0; i + 1 < V; i++) {
        edges[2 * i] = path[i];
        edges[2 * i + 1] = path[i + 1];
    }
    cperm_graph *g = graph_of(V, edges, V - 1);
    double tv[2 * V], X[NS * 2 * V];
    for (int v = 0; v < V; v++) {
        tv[v] = 2.0 + v / 10.0;
        tv[V + v] = 0.5;
    }
    make_x(X, tv, 2 * V);
    fixture f;
    int rc = run_case(&f, g, 2, CPERM_COMPAT_MNE13, X);
    CHECK("shapes.path40.execute", rc == 0 && cperm_run_n_clusters(f.run) == 1, "rc %d", rc);
    if (!rc && cperm_run_n_clusters(f.run) == 1) {
        size_t n = 0, ascending = 1;
        const int64_t *m = cperm_run_cluster(f.run, 0, &n);
        for (size_t i = 1; i < n; i++) ascending &= m[i - 1] < m[i];
        CHECK("shapes.path40.precondition_unsorted", n == V && !ascending,
              "%zu members, ascending %zu: this case does not test the sort", n, ascending);
        int64_t idx[V];
        size_t n_idx = 0, bad = 0;
        cperm_err err = {0};
        rc = cperm_run_cluster_indices(f.run, 0, idx, V, &n_idx, &err);
        for (size_t i = 0; i < n_idx; i++) bad += idx[i] != (int64_t)i;
        CHECK("shapes.path40.indices_sorted", rc == 0 && n_idx == V && !bad,
              "rc %d (%s), %zu indices, %zu out of place", rc, err.msg, n_idx, bad);
        uint8_t mask[2 * V];
        rc = cperm_run_cluster_mask(f.run, 0, mask, 2 * V, &err);
        size_t ones = 0, first_time = 0;
        for (size_t p = 0; p < 2 * V; p++) {
            ones += mask[p];
            first_time += p < V && mask[p] == 1;
        }
        CHECK("shapes.path40.mask", rc == 0 && ones == V && first_time == V,
              "rc %d, %zu ones, %zu at t0", rc, ones, first_time);
    }
    fixture_free(&f);
    cperm_graph_free(g);
}

/* Errors: one message each, nothing written but *n_out. */
static void test_errors(void) {
    static const int64_t edges[] = {0, 2, 2, 1};
    static const double tv[6] = {3, 2, 4, 0.5, 5, 0.5};
    cperm_graph *g = graph_of(3, edges, 2);
    double X[NS * 6];
    make_x(X, tv, 6);
    fixture f;
    int rc = run_case(&f, g, 2, CPERM_COMPAT_NONE, X);
    CHECK("shapes.err.setup", rc == 0, "rc %d", rc);
    if (rc) {
        fixture_free(&f);
        cperm_graph_free(g);
        return;
    }
    cperm_err err = {0};
    uint8_t mask[7];
    int64_t idx[4] = {-1, -1, -1, -1};
    size_t n_idx = 99;

    memset(mask, 7, sizeof mask);
    rc = cperm_run_cluster_mask(f.run, 1, mask, 6, &err);
    CHECK("shapes.err.mask_k", rc == CPERM_EINVAL && mask[0] == 7 &&
                                   strstr(err.msg, "cluster 1 does not exist (the run has 1)"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_run_cluster_mask(f.run, 0, mask, 7, &err);
    CHECK("shapes.err.mask_len", rc == CPERM_EINVAL && mask[0] == 7 &&
                                     strstr(err.msg, "6 points") && strstr(err.msg, "got 7"),
          "rc %d: %s", rc, err.msg);
    rc = cperm_run_cluster_mask(f.run, 0, NULL, 6, &err);
    CHECK("shapes.err.mask_null", rc == CPERM_EINVAL && strstr(err.msg, "NULL"), "rc %d: %s",
          rc, err.msg);
    rc = cperm_run_cluster_mask(NULL, 0, mask, 6, &err);
    CHECK("shapes.err.mask_null_run", rc == CPERM_EINVAL, "rc %d", rc);

    rc = cperm_run_cluster_indices(f.run, 0, idx, 3, &n_idx, &err);
    CHECK("shapes.err.indices_cap", rc == CPERM_EINVAL && n_idx == 4 && idx[0] == -1 &&
                                        strstr(err.msg, "4 points, the buffer holds 3"),
          "rc %d, n %zu: %s", rc, n_idx, err.msg);
    n_idx = 99;
    rc = cperm_run_cluster_indices(f.run, 0, NULL, 0, &n_idx, &err);
    CHECK("shapes.err.indices_count_only", rc == CPERM_EINVAL && n_idx == 4,
          "rc %d, n %zu (asking with no buffer gives the count)", rc, n_idx);
    rc = cperm_run_cluster_indices(f.run, 0, idx, 4, NULL, &err);
    CHECK("shapes.err.indices_no_count_ok", rc == 0 && idx[3] == 4, "rc %d: %s", rc, err.msg);
    rc = cperm_run_cluster_indices(f.run, 5, idx, 4, &n_idx, &err);
    CHECK("shapes.err.indices_k", rc == CPERM_EINVAL && strstr(err.msg, "cluster 5"),
          "rc %d: %s", rc, err.msg);

    /* a run that was never executed holds no clusters */
    cperm_run *fresh = NULL;
    rc = cperm_run_create(&fresh, f.plan, &err);
    if (!rc) rc = cperm_run_cluster_indices(fresh, 0, idx, 4, &n_idx, &err);
    CHECK("shapes.err.no_results", rc == CPERM_EINVAL && strstr(err.msg, "no results"),
          "rc %d: %s", rc, err.msg);
    cperm_run_free(fresh);
    fixture_free(&f);
    cperm_graph_free(g);
}

int main(void) {
    test_bridge(CPERM_COMPAT_NONE);
    test_bridge(CPERM_COMPAT_MNE13);
    test_path40();
    test_errors();
    TU_EXIT();
}
