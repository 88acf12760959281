/* unit_minclusters.c - hand-computed checks of the cluster-forming controls beyond MNE
 * (cperm_options min_neighbors, min_duration, min_extent; src/engine/clusters.c): which
 * points FieldTrip's minnbchan rule removes (iterated, per sign), which clusters Eelbrain's
 * mintime / minsource rules discard (distinct time points and vertices, not points or spans),
 * the H0 of tiny exact permutation tests under the same rules, the options' validation, an
 * old (version 1) struct ignoring them, and on random data: results identical for 1 and 3
 * threads and a second execute that allocates nothing, for both designs.
 *
 * Data trick (as tests/unit_engine.c): with 2 subjects the column (a+1, a-1) has t = a
 * exactly; flipping subject 1 gives t = 1/|a| (so a = 0.5, "inactive", becomes 2, above the
 * threshold 1.5, while a >= 2 falls to <= 0.5); flipping subject 0 gives t = -1/|a|. With
 * tail 1 and n_permutations 4 the test is exact: orders [0,1], [1,0], [1,1] (1 = kept). */
#define _GNU_SOURCE
#include "chaintest.h"
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "countalloc.h"

#define NS 2

/* ------------------------------------------------------------------ helpers */

static cperm_graph *graph_of(const int64_t *edges, size_t n_edges, size_t nv) {
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_from_edges(&g, nv, edges, n_edges, &err)) {
        printf("FAIL minclusters.graph: %s\n", err.msg);
        tu_failed++;
        return NULL;
    }
    return g;
}

/* X (2 x n) from target t values: subject 0 = a + 1, subject 1 = a - 1. */
static void make_x(double *X, const double *tv, size_t n) {
    for (size_t i = 0; i < n; i++) {
        X[i] = tv[i] + 1.0;
        X[n + i] = tv[i] - 1.0;
    }
}

/* What one run gave. */
typedef struct result {
    int rc;
    char msg[CPERM_ERR_MSG_LEN];
    size_t n_clusters, n_h0;
    double stats[8], pv[8], h0[8];
    int64_t members[8][32]; /* each cluster's members, sorted */
    size_t n_members[8];
} result;

static int cmp_i64(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static result run_test(const cperm_graph *g, size_t n_times, const cperm_options *o,
                       const double *X) {
    result r;
    memset(&r, 0, sizeof r);
    cperm_err err = {0};
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    r.rc = cperm_plan_create(&plan, g, NS, n_times, o, &err);
    if (!r.rc) r.rc = cperm_run_create(&run, plan, &err);
    if (!r.rc) r.rc = cperm_plan_execute(plan, X, run, &err);
    if (r.rc) {
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
    } else {
        r.n_clusters = cperm_run_n_clusters(run);
        const double *h0 = cperm_run_h0(run, &r.n_h0);
        for (size_t k = 0; k < r.n_clusters && k < 8; k++) {
            r.stats[k] = cperm_run_cluster_stats(run)[k];
            r.pv[k] = cperm_run_pvalues(run)[k];
            const int64_t *m = cperm_run_cluster(run, k, &r.n_members[k]);
            for (size_t i = 0; i < r.n_members[k] && i < 32; i++) r.members[k][i] = m[i];
            qsort(r.members[k], r.n_members[k] < 32 ? r.n_members[k] : 32, sizeof(int64_t),
                  cmp_i64);
        }
        for (size_t k = 0; k < r.n_h0 && k < 8; k++) r.h0[k] = h0[k];
    }
    cperm_run_free(run);
    cperm_plan_free(plan);
    return r;
}

static int doubles_are(const double *got, size_t n_got, const double *want, size_t n) {
    if (n_got != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) return 0;
    return 1;
}

static int members_are(const result *r, size_t k, const int64_t *want, size_t n) {
    if (k >= r->n_clusters || r->n_members[k] != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (r->members[k][i] != want[i]) return 0;
    return 1;
}

/* One expected outcome: the clusters' stats (and p-values) and H0. */
static void expect(const char *name, const result *r, const double *stats, const double *pv,
                   size_t n_clusters, const double *h0, size_t n_h0) {
    char n[160];
    snprintf(n, sizeof n, "%s.execute", name);
    CHECK(n, r->rc == 0, "rc %d: %s", r->rc, r->msg);
    if (r->rc) return;
    snprintf(n, sizeof n, "%s.stats", name);
    CHECK(n, doubles_are(r->stats, r->n_clusters, stats, n_clusters),
          "%zu clusters (want %zu), first stat %g", r->n_clusters, n_clusters,
          r->n_clusters ? r->stats[0] : NAN);
    snprintf(n, sizeof n, "%s.pvalues", name);
    CHECK(n, doubles_are(r->pv, r->n_clusters, pv, n_clusters), "first p %g",
          r->n_clusters ? r->pv[0] : NAN);
    snprintf(n, sizeof n, "%s.h0", name);
    CHECK(n, doubles_are(r->h0, r->n_h0, h0, n_h0), "n_h0 %zu (want %zu): %g %g %g %g",
          r->n_h0, n_h0, r->h0[0], r->h0[1], r->h0[2], r->h0[3]);
}

/* ---------------------------------------------------- the ring-and-tail graph */

/* Vertices 0..5 form a ring (0-1-2-3-4-5-0); a tail 5-6-7 hangs off vertex 5. Degrees:
 * 2 2 2 2 2 3 2 1 (largest 3). Three time points; flat index t*8 + v.
 *
 *   t0: a =  2   3   4   5   6   7   8   9      all active
 *   t1:    0.5  10  11  12  0.5 0.5 0.5 13      active {1,2,3,7}
 *   t2:    0.5 0.5 0.5 0.5  0.5 0.5 100 0.5     active {6}
 *
 * No control: C1 = t0{0..7} + t1{1,2,3} (time links at 1,2,3) + t1{7} (7@t0-7@t1):
 * 44 + 46 = 90, members {0..7, 9, 10, 11, 15}; C2 = {6@t2} = {22}: 100.
 * Order [1,0]: the inactive points become 2: t1{0,4,5,6} (spatially 0-5, 4-5, 5-6) joined
 * through 0, 4, 5 to the ring t2{0..5}: 10 points, 20; and {7@t2} alone: 2. -> 20.
 * Order [0,1]: every t < 0: 0. Identity: max(90, 100) = 100.
 * H0 = [100, 0, 20, 100]; p(90) = p(100) = 2/4. */
static const int64_t RING_EDGES[] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0, 5, 6, 6, 7};
#define RV 8
#define RT 3
static const double RING_T[RV * RT] = {2,   3,   4,   5,   6,   7,   8,   9,
                                       0.5, 10,  11,  12,  0.5, 0.5, 0.5, 13,
                                       0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 100, 0.5};

static cperm_options ring_options(void) {
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    return o;
}

static void test_ring_off(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    result r = run_test(g, RT, &o, X);
    static const double st[] = {90, 100}, pv[] = {0.5, 0.5}, h0[] = {100, 0, 20, 100};
    expect("minclusters.off", &r, st, pv, 2, h0, 4);
    static const int64_t c1[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 15}, c2[] = {22};
    CHECK("minclusters.off.members", members_are(&r, 0, c1, 12) && members_are(&r, 1, c2, 1),
          "want C1 = {0..7, 9, 10, 11, 15}, C2 = {22}");
}

/* min_neighbors 1: 7@t1 (its neighbour 6 is inactive at t1) and 6@t2 (5 and 7 inactive) go;
 * every other active point has an active neighbour. C1' = t0{0..7} + t1{1,2,3}: 44 + 33 =
 * 77. [1,0]: t1{0,4,5,6} each touch 5; 7@t2 goes (6 is not supra at t2): 20.
 * H0 = [77, 0, 20, 77]; p = 2/4. */
static void test_ring_k1(const cperm_graph *g, const double *X, int compat) {
    cperm_options o = ring_options();
    o.min_neighbors = 1;
    o.compat = compat;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {77}, pv[] = {0.5}, h0[] = {77, 0, 20, 77};
    const char *nm = compat ? "minclusters.k1_compat" : "minclusters.k1";
    expect(nm, &r, st, pv, 1, h0, 4);
    static const int64_t c1[] = {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11};
    char n[96];
    snprintf(n, sizeof n, "%s.members", nm);
    CHECK(n, members_are(&r, 0, c1, 11), "want {0..7, 9, 10, 11}");
}

/* min_neighbors 2, which needs FieldTrip's repetition: at t0, 7 has one neighbour (6) and
 * goes; then 6 has one (5) and goes; a single pass would have kept 6 (two neighbours, 5 and
 * 7, at first). The ring keeps 2 each (5: 0, 4). At t1, 1 and 3 have one active neighbour
 * each, then 2 none. Left: the ring at t0, 2+3+4+5+6+7 = 27 (35 with 6@t0).
 * [1,0]: at t1, 0, 4 and 6 have one neighbour (5), then 5 none; at t2 the ring stays and 7
 * goes: 12. H0 = [27, 0, 12, 27]; p = 2/4. */
static void test_ring_k2(const cperm_graph *g, const double *X, int compat) {
    cperm_options o = ring_options();
    o.min_neighbors = 2;
    o.compat = compat;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {27}, pv[] = {0.5}, h0[] = {27, 0, 12, 27};
    const char *nm = compat ? "minclusters.k2_compat" : "minclusters.k2_iterated";
    expect(nm, &r, st, pv, 1, h0, 4);
    static const int64_t ring[] = {0, 1, 2, 3, 4, 5};
    char n[96];
    snprintf(n, sizeof n, "%s.members", nm);
    CHECK(n, members_are(&r, 0, ring, 6), "want the ring at t0, {0..5}");
}

/* min_neighbors 3: only vertex 5 has three neighbours; once the others go it has none.
 * Nothing is left: no cluster, an empty H0 (as MNE without clusters). */
static void test_ring_k3(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    o.min_neighbors = 3;
    result r = run_test(g, RT, &o, X);
    CHECK("minclusters.k3.none", r.rc == 0 && r.n_clusters == 0 && r.n_h0 == 0,
          "rc %d, %zu clusters, n_h0 %zu", r.rc, r.n_clusters, r.n_h0);
}

/* min_duration 2: C2 (time 2 only) is discarded, C1 (times 0, 1) kept; [1,0]: the big one
 * (times 1, 2) stays, 7@t2 would go anyway: 20; identity: 90. H0 = [90, 0, 20, 90].
 * min_duration 3: C1 has 12 points but 2 distinct time points: discarded; nothing left. */
static void test_ring_duration(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    o.min_duration = 2;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {90}, pv[] = {0.5}, h0[] = {90, 0, 20, 90};
    expect("minclusters.duration2", &r, st, pv, 1, h0, 4);
    o.min_duration = 3;
    r = run_test(g, RT, &o, X);
    CHECK("minclusters.duration3.none", r.rc == 0 && r.n_clusters == 0 && r.n_h0 == 0,
          "rc %d, %zu clusters (C1 covers only 2 time points)", r.rc, r.n_clusters);
}

/* min_extent 2: C2 (one vertex) goes: as min_duration 2. min_extent 8: C1 covers all 8
 * vertices and stays; [1,0]'s big cluster has 10 points but 7 distinct vertices ({0..6}):
 * discarded, and 7@t2 too: 0. H0 = [90, 0, 0, 90]. */
static void test_ring_extent(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    o.min_extent = 2;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {90}, pv[] = {0.5}, h0[] = {90, 0, 20, 90};
    expect("minclusters.extent2", &r, st, pv, 1, h0, 4);
    o.min_extent = 8;
    r = run_test(g, RT, &o, X);
    static const double h0b[] = {90, 0, 0, 90};
    expect("minclusters.extent8", &r, st, pv, 1, h0b, 4);
}

/* All three: min_neighbors 1 (C1' = 77 as above), min_duration 2 (C1' spans times 0, 1;
 * [1,0]'s 20 spans 1, 2), min_extent 7 (C1' has 8 vertices, [1,0]'s 7). H0 as k1. With
 * min_extent 8 [1,0]'s cluster goes: H0 = [77, 0, 0, 77], p = 2/4. */
static void test_ring_all(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    o.min_neighbors = 1;
    o.min_duration = 2;
    o.min_extent = 7;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {77}, pv[] = {0.5}, h0[] = {77, 0, 20, 77};
    expect("minclusters.all", &r, st, pv, 1, h0, 4);
    o.min_extent = 8;
    r = run_test(g, RT, &o, X);
    static const double h0b[] = {77, 0, 0, 77};
    expect("minclusters.all_extent8", &r, st, pv, 1, h0b, 4);
}

/* A version-1 struct ends before the controls: whatever lies beyond it is not read. */
static void test_ring_v1(const cperm_graph *g, const double *X) {
    cperm_options o = ring_options();
    o.version = 1;
    o.min_neighbors = 3; /* beyond a version-1 caller's struct */
    o.min_duration = 3;
    result r = run_test(g, RT, &o, X);
    static const double st[] = {90, 100}, pv[] = {0.5, 0.5}, h0[] = {100, 0, 20, 100};
    expect("minclusters.v1_ignores", &r, st, pv, 2, h0, 4);
}

/* Options that cannot work come back as CPERM_EINVAL naming the option. */
static void test_ring_invalid(const cperm_graph *g, const double *X) {
    struct {
        const char *name, *word;
        size_t k, dur, ext;
        int tfce;
    } cases[] = {
        {"minclusters.invalid.neighbors", "min_neighbors 4", 4, 0, 0, 0},
        {"minclusters.invalid.duration", "min_duration 4", 0, 4, 0, 0},
        {"minclusters.invalid.extent", "min_extent 9", 0, 0, 9, 0},
        {"minclusters.invalid.tfce", "TFCE", 1, 0, 0, 1},
        {"minclusters.invalid.tfce_extent", "TFCE", 0, 0, 2, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cperm_options o = ring_options();
        o.min_neighbors = cases[i].k;
        o.min_duration = cases[i].dur;
        o.min_extent = cases[i].ext;
        if (cases[i].tfce) o.tfce = CPERM_TFCE_EXACT;
        result r = run_test(g, RT, &o, X);
        CHECK(cases[i].name, r.rc == CPERM_EINVAL && strstr(r.msg, cases[i].word),
              "rc %d: '%s' (want CPERM_EINVAL naming %s)", r.rc, r.msg, cases[i].word);
    }
    /* the limits themselves are accepted: 3 neighbours, 3 time points, 8 vertices */
    cperm_options o = ring_options();
    o.min_neighbors = 3;
    o.min_duration = 3;
    o.min_extent = 8;
    result r = run_test(g, RT, &o, X);
    CHECK("minclusters.invalid.limits_ok", r.rc == 0, "rc %d: %s", r.rc, r.msg);
}

/* ----------------------------------------------------------- signs and steps */

/* Tail 0 on the chain 0-1-2-3, one time point, t = +3 -4 +5 +6, min_neighbors 1: the
 * neighbours counted are those of the same sign (FieldTrip thresholds each tail apart):
 * 0's only neighbour is negative, 1's are positive, so both go; {2, 3} stays: 11. Counting
 * either sign would keep every point ({0} 3, {2,3} 11, {1} -4). Tail 0 with 2 subjects has
 * one order, [0,1]: t = -1/|a|, nothing above 1.5. H0 = [11, 0]; p = 1/2. */
static void test_signs(void) {
    static const int64_t edges[] = {0, 1, 1, 2, 2, 3};
    cperm_graph *g = graph_of(edges, 3, 4);
    if (!g) return;
    static const double tv[4] = {3, -4, 5, 6};
    double X[NS * 4];
    make_x(X, tv, 4);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 0;
    o.n_permutations = 2;
    o.min_neighbors = 1;
    result r = run_test(g, 1, &o, X);
    static const double st[] = {11}, pv[] = {0.5}, h0[] = {11, 0};
    expect("minclusters.same_sign", &r, st, pv, 1, h0, 2);
    static const int64_t c[] = {2, 3};
    CHECK("minclusters.same_sign.members", members_are(&r, 0, c, 2), "want {2, 3}");
    o.min_neighbors = 0;
    r = run_test(g, 1, &o, X);
    CHECK("minclusters.same_sign.off", r.rc == 0 && r.n_clusters == 3, "%zu clusters, want 3",
          r.n_clusters);
    cperm_graph_free(g);
}

/* min_duration counts distinct time points, not the span: on the chain 0-1 over 3 time
 * points with max_step 2, t0 = [3, 0.5], t1 = [0.5, 0.5], t2 = [4, 0.5]: 0@t0 and 0@t2 are
 * one cluster (a 2-step link), sum 7, at 2 distinct time points (span 3). [1,0]: the
 * inactive points {1@t0, 0@t1, 1@t1, 1@t2} are one cluster of 3 time points, 8.
 * min_duration 2: H0 = [7, 0, 8, 7], p = 3/4. min_duration 3: the observed cluster goes (its
 * span would have kept it): no cluster. max_step 1 with min_duration 2: {0} and {4} are
 * one time point each: no cluster. */
static void test_duration_steps(void) {
    static const int64_t edges[] = {0, 1};
    cperm_graph *g = graph_of(edges, 1, 2);
    if (!g) return;
    static const double tv[6] = {3, 0.5, 0.5, 0.5, 4, 0.5};
    double X[NS * 6];
    make_x(X, tv, 6);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.max_step = 2;
    o.min_duration = 2;
    result r = run_test(g, 3, &o, X);
    static const double st[] = {7}, pv[] = {0.75}, h0[] = {7, 0, 8, 7};
    expect("minclusters.distinct_times", &r, st, pv, 1, h0, 4);
    o.min_duration = 3;
    r = run_test(g, 3, &o, X);
    CHECK("minclusters.distinct_times.not_span", r.rc == 0 && r.n_clusters == 0,
          "rc %d, %zu clusters (2 distinct time points < 3)", r.rc, r.n_clusters);
    o.min_duration = 2;
    o.max_step = 1;
    r = run_test(g, 3, &o, X);
    CHECK("minclusters.distinct_times.max_step1", r.rc == 0 && r.n_clusters == 0,
          "rc %d, %zu clusters", r.rc, r.n_clusters);
    cperm_graph_free(g);
}

/* ----------------------------------------------- threads and allocation, both designs */

#define BV 30
#define BT 8
#define BN 16
static const chain_effect EFFECTS[2] = {{8, 16, 2, 6, 0.9}, {20, 23, 3, 5, 0.9}};
static const size_t GROUP_SIZES[2] = {8, 8};

/* Runs the plan with n_jobs threads, twice on one run; fills h0 (n_permutations) and the
 * cluster count, and returns the allocations of the second execute (-1 on failure). */
static int run_random(const cperm_graph *g, const double *X, const cperm_options *base,
                      int n_jobs, double *h0, size_t *n_h0, size_t *n_clusters, double *stats) {
    cperm_options o = *base;
    o.n_jobs = n_jobs;
    cperm_err err = {0};
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    int allocs = -1;
    if (cperm_plan_create(&plan, g, BN, BT, &o, &err) || cperm_run_create(&run, plan, &err) ||
        cperm_plan_execute(plan, X, run, &err)) {
        printf("# %s\n", err.msg);
        goto done;
    }
    count_start();
    int rc = cperm_plan_execute(plan, X, run, &err);
    allocs = count_stop();
    if (rc) {
        allocs = -1;
        goto done;
    }
    const double *h = cperm_run_h0(run, n_h0);
    if (h) memcpy(h0, h, *n_h0 * sizeof *h0);
    *n_clusters = cperm_run_n_clusters(run);
    if (*n_clusters) memcpy(stats, cperm_run_cluster_stats(run), *n_clusters * sizeof *stats);
done:
    cperm_run_free(run);
    cperm_plan_free(plan);
    return allocs;
}

static void test_random(const cperm_graph *g, const double *X, int groups) {
    const char *nm = groups ? "minclusters.random_groups" : "minclusters.random_signflip";
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = groups ? 4.0 : 2.0;
    o.tail = groups ? 1 : 0;
    o.n_permutations = 300;
    o.seed = 7;
    o.step_down_p = 0.05;
    o.min_neighbors = 1;
    o.min_duration = 2;
    o.min_extent = 3;
    if (groups) {
        o.design = CPERM_DESIGN_GROUPS;
        o.n_groups = 2;
        o.group_sizes = GROUP_SIZES;
    }
    static double h1[300], h3[300], h_off[300], s1[BV * BT], s3[BV * BT], s_off[BV * BT];
    size_t n1 = 0, n3 = 0, n_off = 0, c1 = 0, c3 = 0, c_off = 0;
    const int a1 = run_random(g, X, &o, 1, h1, &n1, &c1, s1);
    const int a3 = run_random(g, X, &o, 3, h3, &n3, &c3, s3);
    char n[128];
    snprintf(n, sizeof n, "%s.runs", nm);
    CHECK(n, a1 >= 0 && a3 >= 0 && n1 == 300 && c1 > 0, "allocs %d %d, n_h0 %zu, %zu clusters",
          a1, a3, n1, c1);
    snprintf(n, sizeof n, "%s.threads_identical", nm);
    CHECK(n, n1 == n3 && c1 == c3 && !memcmp(h1, h3, n1 * sizeof *h1) &&
                 !memcmp(s1, s3, c1 * sizeof *s1),
          "1 and 3 threads differ (n_h0 %zu %zu, clusters %zu %zu)", n1, n3, c1, c3);
    snprintf(n, sizeof n, "%s.no_allocation", nm);
    CHECK(n, a1 == 0 && a3 == 0, "a second execute allocated %d (1 thread), %d (3 threads)",
          a1, a3);
    /* the controls change this test: the same data without them give another H0 */
    o.min_neighbors = o.min_duration = o.min_extent = 0;
    run_random(g, X, &o, 1, h_off, &n_off, &c_off, s_off);
    snprintf(n, sizeof n, "%s.controls_matter", nm);
    CHECK(n, c_off > c1 && n_off == n1 && memcmp(h_off, h1, n1 * sizeof *h1),
          "%zu clusters off, %zu on: the controls changed nothing", c_off, c1);
}

int main(void) {
#if COUNT_ALLOCS
    CHECK("minclusters.counter_counts", count_init() == 0, "the counting allocator missed an "
          "allocation or found no libgomp segment");
#else
    printf("SKIP minclusters.*.no_allocation counts: AddressSanitizer's allocator cannot be "
           "replaced\n");
#endif
    cperm_graph *g = graph_of(RING_EDGES, 8, RV);
    if (!g) TU_EXIT();
    double X[NS * RV * RT];
    make_x(X, RING_T, RV * RT);
    test_ring_off(g, X);
    test_ring_k1(g, X, CPERM_COMPAT_NONE);
    test_ring_k1(g, X, CPERM_COMPAT_MNE13);
    test_ring_k2(g, X, CPERM_COMPAT_NONE);
    test_ring_k2(g, X, CPERM_COMPAT_MNE13);
    test_ring_k3(g, X);
    test_ring_duration(g, X);
    test_ring_extent(g, X);
    test_ring_all(g, X);
    test_ring_v1(g, X);
    test_ring_invalid(g, X);
    cperm_graph_free(g);
    test_signs();
    test_duration_steps();

    cperm_err err = {0};
    cperm_graph *chain = NULL;
    double *Xr = chain_data(BN, BV, BT, 12345, EFFECTS);
    int rc = Xr ? chain_graph(&chain, BV, &err) : CPERM_ENOMEM;
    CHECK("minclusters.random_setup", rc == 0, "%s", err.msg);
    if (!rc) {
        test_random(chain, Xr, 0);
        /* groups: the effects in the first group only (the second drawn without them) */
        static const chain_effect none[2] = {{0, 0, 0, 0, 0.0}, {0, 0, 0, 0, 0.0}};
        double *Xb = chain_data(BN, BV, BT, 999, none);
        if (Xb) {
            memcpy(Xr + (BN / 2) * BV * BT, Xb, (BN / 2) * BV * BT * sizeof *Xr);
            test_random(chain, Xr, 1);
        }
        free(Xb);
    }
    cperm_graph_free(chain);
    free(Xr);
    TU_EXIT();
}
