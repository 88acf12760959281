/* unit_engine.c - hand-computed checks of the permutation-test engine (plan/run API):
 * clusters, sums, H0, p-values and step-down on tiny chain graphs, the t statistic with and
 * without sigma, and parameter errors that must come back as codes, never aborts.
 *
 * Data trick used throughout: with 2 subjects, the column (a+1, a-1) has mean a, sum of
 * squared deviations 1+1 = 2, var = 2/1, var/n = 1, so t = a exactly. Flipping subject 0
 * gives (-a-1, a-1): mean -1, deviations -a, a, var = 2a^2, t = -1/|a|; flipping subject 1
 * gives (a+1, 1-a): t = +1/|a|. With a = 0.5 (an "inactive" point, below 1.5) a flip gives
 * |t| = 2, above 1.5; with a >= 2 a flip gives |t| <= 0.5. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS 2

/* Chain 0-1-2-3-4 (5 vertices). */
static cperm_graph *chain5(void) {
    static const int64_t edges[] = {0, 1, 1, 2, 2, 3, 3, 4};
    cperm_graph *g = NULL;
    cperm_err err;
    memset(&err, 0, sizeof err);
    if (cperm_graph_from_edges(&g, 5, edges, 4, &err)) {
        printf("FAIL engine.chain5: %s\n", err.msg);
        tu_failed++;
        return NULL;
    }
    return g;
}

/* X (2 x n_tests) from target t-values: subject 0 = a+1, subject 1 = a-1. */
static void make_x(double *X, const double *tv, size_t n_tests, double sign) {
    for (size_t i = 0; i < n_tests; i++) {
        X[i] = sign * (tv[i] + 1.0);
        X[n_tests + i] = sign * (tv[i] - 1.0);
    }
}

/* Compare cluster k's members (in engine order) with want[0..n). */
static int cluster_is(const cperm_run *run, size_t k, const int64_t *want, size_t n) {
    size_t got_n = 0;
    const int64_t *m = cperm_run_cluster(run, k, &got_n);
    if (got_n != n || !m) return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i] != want[i]) return 0;
    return 1;
}

static int array_is(const double *got, const double *want, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i]) return 0;
    return 1;
}

/* Run one configuration; returns the run (caller frees run and plan) or NULL. */
static cperm_run *run_case(const char *name, const cperm_graph *g, size_t n_times,
                           const cperm_options *o, const double *X, cperm_plan **plan_out) {
    cperm_err err;
    memset(&err, 0, sizeof err);
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    int rc = cperm_plan_create(&plan, g, NS, n_times, o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    char nm[128];
    snprintf(nm, sizeof nm, "%s.execute", name);
    CHECK(nm, rc == 0, "rc %d: %s", rc, err.msg);
    if (rc) {
        cperm_run_free(run);
        cperm_plan_free(plan);
        *plan_out = NULL;
        return NULL;
    }
    *plan_out = plan;
    return run;
}

/* The 5 x 3 grid, tail 1, threshold 1.5. t-values (rows = time, columns = vertex):
 *   t0: 3    2    0.5  16   0.5      active {0,1,3}
 *   t1: 0.5  2    0.5  0.5  2        active {1,4}
 *   t2: 0.5  0.5  0.5  3    2        active {3,4}
 * flat index = t*5+v. Connected (space: chain, time: same vertex at t+-1):
 *   A = {0,1,6}   ((0,0)-(0,1) spatially, (0,1)-(1,1) in time)   sum 3+2+2  = 7
 *   B = {3}                                                     sum 16
 *   C = {9,13,14} ((1,4)-(2,4) in time, (2,4)-(2,3) spatially)   sum 2+3+2  = 7
 * ordered by smallest member: A, B, C. MNE's 1-step list path gives the same members in
 * the same order here: t0 BFS [0,1],[3]; t1 [6],[9]; t2 [13,14]; merges append [6] to
 * [0,1] and [13,14] to [9].
 *
 * Permutations, tail 1, n_permutations 4 > max_perms = 2^2-1 = 3: exact, orders
 * bin_perm_rep(2)[1:4] = [0,1], [1,0], [1,1] (1 = kept).
 *   [0,1] flips subject 0: every t = -1/|a| < 0: no cluster, H0 entry 0.
 *   [1,0] flips subject 1: t = 1/|a|: the inactive points (a=0.5) become 2, the others
 *         <= 0.5: mask = complement = t0{2,4}, t1{0,2,3}, t2{0,1,2}:
 *         {2,7,8,12,11,10,5} (2-(1,2)=7-(1,3)=8, 7-(2,2)=12-11-10-(1,0)=5) sum 14, {4} sum 2
 *         -> H0 entry 14.
 *   [1,1] identity: max |sum| = 16.
 * H0 = [orig = max(stats) = 16, 0, 14, 16].
 * p (tail 1) = mean(H0 >= c): A 7 -> 3/4, B 16 -> 2/4, C 7 -> 3/4. */
static const double GRID[15] = {3, 2, 0.5, 16, 0.5, 0.5, 2, 0.5, 0.5, 2, 0.5, 0.5, 0.5, 3, 2};
static const int64_t CL_A[] = {0, 1, 6}, CL_B[] = {3}, CL_C[] = {9, 13, 14};

static void test_grid_tail1(const cperm_graph *g, int compat) {
    const char *nm = compat ? "engine.grid_t1_compat" : "engine.grid_t1";
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.compat = compat;
    cperm_plan *plan;
    cperm_run *run = run_case(nm, g, 3, &o, X, &plan);
    if (!run) return;
    char n[128];
    const double *tobs = cperm_run_tobs(run);
    snprintf(n, sizeof n, "%s.tobs", nm);
    CHECK(n, array_is(tobs, GRID, 15), "t_obs differs from the (a+1, a-1) construction");
    snprintf(n, sizeof n, "%s.exact", nm);
    CHECK(n, cperm_plan_is_exact(plan) && cperm_plan_n_orders(plan) == 3,
          "is_exact %d n_orders %zu", cperm_plan_is_exact(plan), cperm_plan_n_orders(plan));
    snprintf(n, sizeof n, "%s.orders", nm);
    {
        static const uint8_t want[3][2] = {{0, 1}, {1, 0}, {1, 1}};
        uint8_t ord[3][2];
        int ok = cperm_plan_n_orders(plan) == 3 && cperm_plan_orders(plan, 0, 3, ord[0], NULL) == 0;
        for (size_t k = 0; ok && k < 3; k++) ok = ord[k][0] == want[k][0] && ord[k][1] == want[k][1];
        CHECK(n, ok, "orders are not bin_perm_rep(2)[1:4]");
    }
    snprintf(n, sizeof n, "%s.n_clusters", nm);
    CHECK(n, cperm_run_n_clusters(run) == 3, "got %zu", cperm_run_n_clusters(run));
    if (cperm_run_n_clusters(run) == 3) {
        snprintf(n, sizeof n, "%s.members", nm);
        CHECK(n, cluster_is(run, 0, CL_A, 3) && cluster_is(run, 1, CL_B, 1) &&
                     cluster_is(run, 2, CL_C, 3), "members differ from A={0,1,6} B={3} C={9,13,14}");
        static const double stats[] = {7, 16, 7}, pv[] = {0.75, 0.5, 0.75};
        snprintf(n, sizeof n, "%s.stats", nm);
        CHECK(n, array_is(cperm_run_cluster_stats(run), stats, 3), "want 7 16 7");
        snprintf(n, sizeof n, "%s.pvalues", nm);
        CHECK(n, array_is(cperm_run_pvalues(run), pv, 3), "want 0.75 0.5 0.75, got %g %g %g",
              cperm_run_pvalues(run)[0], cperm_run_pvalues(run)[1], cperm_run_pvalues(run)[2]);
    }
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    static const double want_h0[] = {16, 0, 14, 16};
    snprintf(n, sizeof n, "%s.h0", nm);
    CHECK(n, nh == 4 && array_is(h0, want_h0, 4), "want H0 = 16 0 14 16 (n_h0 %zu)", nh);
    snprintf(n, sizeof n, "%s.n_step_downs", nm);
    CHECK(n, cperm_run_n_step_downs(run) == 1, "got %zu", cperm_run_n_step_downs(run));

    /* Executing again on the same run and plan gives the same results. */
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = cperm_plan_execute(plan, X, run, &err);
    h0 = cperm_run_h0(run, &nh);
    snprintf(n, sizeof n, "%s.reexecute", nm);
    CHECK(n, rc == 0 && nh == 4 && array_is(h0, want_h0, 4) && cperm_run_n_clusters(run) == 3,
          "second execute differs (rc %d)", rc);
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* Step-down on the grid with step_down_p = 0.6:
 *   pass 1: p = .75 .5 .75 -> B (p .5 < .6) is removed: point 3 is excluded.
 *   pass 2: [0,1] -> 0; [1,0] -> the complement mask does not contain 3 -> 14;
 *           identity -> A 7, C 7 (B excluded) -> 7.  H0 = [16 (orig, from the observed
 *           stats), 0, 14, 7]; p = A: 16,14,7 >= 7 -> 3/4; B: 16 -> 1/4; C -> 3/4.
 *           Removed set is still {B}: n_removed = 0, stop. Two passes. */
static void test_grid_stepdown(const cperm_graph *g) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.step_down_p = 0.6;
    cperm_plan *plan;
    cperm_run *run = run_case("engine.stepdown", g, 3, &o, X, &plan);
    if (!run) return;
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    static const double want_h0[] = {16, 0, 14, 7}, pv[] = {0.75, 0.25, 0.75};
    CHECK("engine.stepdown.h0", nh == 4 && array_is(h0, want_h0, 4), "want 16 0 14 7");
    CHECK("engine.stepdown.pvalues",
          cperm_run_n_clusters(run) == 3 && array_is(cperm_run_pvalues(run), pv, 3),
          "want 0.75 0.25 0.75");
    CHECK("engine.stepdown.n_step_downs", cperm_run_n_step_downs(run) == 2, "got %zu",
          cperm_run_n_step_downs(run));
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* Tail 0 on the grid: n_permutations 2 > max_perms = 2^1-1 = 1: exact, one order [0,1]
 * (subject 0 flipped; sample 0's bit is always 0). Flipped t = -1/|a|: inactive points
 * give -2 < -1.5: negative clusters = the complement components, sums -14 and -2 ->
 * H0 entry -14 (signed). Observed has no negative point, so clusters A, B, C as before.
 * H0 = [max |stats| = 16, -14]; p = mean(|H0| >= |c|): A 7 -> 1, B 16 -> 1/2, C -> 1. */
static void test_grid_tail0(const cperm_graph *g) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 0;
    o.n_permutations = 2;
    cperm_plan *plan;
    cperm_run *run = run_case("engine.grid_t0", g, 3, &o, X, &plan);
    if (!run) return;
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    static const double want_h0[] = {16, -14}, pv[] = {1, 0.5, 1};
    uint8_t ord0[2] = {9, 9};
    CHECK("engine.grid_t0.orders", cperm_plan_n_orders(plan) == 1 && cperm_plan_is_exact(plan) &&
                                       cperm_plan_orders(plan, 0, 1, ord0, NULL) == 0 &&
                                       ord0[0] == 0 && ord0[1] == 1,
          "want the single exact order [0,1]");
    CHECK("engine.grid_t0.h0", nh == 2 && array_is(h0, want_h0, 2), "want 16 -14");
    CHECK("engine.grid_t0.pvalues",
          cperm_run_n_clusters(run) == 3 && array_is(cperm_run_pvalues(run), pv, 3), "want 1 .5 1");
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* Tail -1: the grid negated (t -> -t), threshold -1.5. Stats -7 -16 -7. Orders as tail 1.
 *   [0,1] flips subject 0 of (-a-1, 1-a): (a+1, 1-a), t = +1/|a| > 0: nothing -> 0.
 *   [1,0]: t = -1/|a|: the complement at -2: -14 and -2 -> -14.   [1,1]: -16.
 * H0 = [min(stats) = -16, 0, -14, -16]; p = mean(H0 <= c): A -7 -> 3/4, B -16 -> 2/4. */
static void test_grid_tailm1(const cperm_graph *g) {
    double X[NS * 15];
    make_x(X, GRID, 15, -1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = -1.5;
    o.tail = -1;
    o.n_permutations = 4;
    cperm_plan *plan;
    cperm_run *run = run_case("engine.grid_tm1", g, 3, &o, X, &plan);
    if (!run) return;
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    static const double want_h0[] = {-16, 0, -14, -16}, st[] = {-7, -16, -7}, pv[] = {0.75, 0.5, 0.75};
    CHECK("engine.grid_tm1.stats", cperm_run_n_clusters(run) == 3 &&
                                       array_is(cperm_run_cluster_stats(run), st, 3), "want -7 -16 -7");
    CHECK("engine.grid_tm1.h0", nh == 4 && array_is(h0, want_h0, 4), "want -16 0 -14 -16");
    CHECK("engine.grid_tm1.pvalues",
          cperm_run_n_clusters(run) == 3 && array_is(cperm_run_pvalues(run), pv, 3), "want .75 .5 .75");
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* t_power: 0 -> counts: A 3, B 1, C 3; flipped [1,0] gives sizes 7 and 1 -> 7; identity
 * -> 3 (first of the tied maxima). H0 = [3, 0, 7, 3].
 * t_power 2 -> x*x: A 9+4+4 = 17, B 256, C 4+9+4 = 17; [1,0]: 7*4 = 28; identity 256.
 * H0 = [256, 0, 28, 256]. */
static void test_grid_tpower(const cperm_graph *g, double tp) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.t_power = tp;
    char nm[64], n[128];
    snprintf(nm, sizeof nm, "engine.tpower%g", tp);
    cperm_plan *plan;
    cperm_run *run = run_case(nm, g, 3, &o, X, &plan);
    if (!run) return;
    static const double st0[] = {3, 1, 3}, h00[] = {3, 0, 7, 3};
    static const double st2[] = {17, 256, 17}, h02[] = {256, 0, 28, 256};
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    snprintf(n, sizeof n, "%s.stats", nm);
    CHECK(n, cperm_run_n_clusters(run) == 3 &&
                 array_is(cperm_run_cluster_stats(run), tp == 0 ? st0 : st2, 3), "stats differ");
    snprintf(n, sizeof n, "%s.h0", nm);
    CHECK(n, nh == 4 && array_is(h0, tp == 0 ? h00 : h02, 4), "H0 differs");
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* spatial_exclude = {1}: (0,1) and (1,1) leave A, which becomes {0} (sum 3); B and C stay.
 * Permutation [1,0]: the complement mask without vertex 1 splits into {2,7,8,12} (sum 8),
 * {4} and {5,10} ((2,1)=11 is excluded) -> 8. H0 = [16, 0, 8, 16]. */
static void test_grid_exclude(const cperm_graph *g) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    static const uint8_t excl[5] = {0, 1, 0, 0, 0};
    static const int64_t a[] = {0};
    static const double st[] = {3, 16, 7};
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.spatial_exclude = excl;
    cperm_plan *plan;
    cperm_run *run = run_case("engine.exclude", g, 3, &o, X, &plan);
    if (!run) return;
    CHECK("engine.exclude.clusters", cperm_run_n_clusters(run) == 3 && cluster_is(run, 0, a, 1) &&
                                         cluster_is(run, 1, CL_B, 1) && cluster_is(run, 2, CL_C, 3),
          "want {0} {3} {9,13,14}");
    CHECK("engine.exclude.stats", cperm_run_n_clusters(run) == 3 &&
                                      array_is(cperm_run_cluster_stats(run), st, 3), "want 3 16 7");
    static const double want_h0[] = {16, 0, 8, 16};
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    CHECK("engine.exclude.h0", nh == 4 && array_is(h0, want_h0, 4), "want 16 0 8 16");
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* exclude (per point, MNE's exclude over the whole sample) = {6, 7, 13}: (1,1), (1,2) and
 * (2,3), which no spatial mask can express. A loses 6: {0,1} (sum 5); B = {3} (16); C loses
 * 13: {9,14} ((1,4)-(2,4) in time, sum 4). Permutation [1,0] (the a = 0.5 points active):
 * without 7 the complement splits into {2}, {4}, {5,10,11,12} (sum 8) and {8} -> 8.
 * H0 = [16, 0, 8, 16]; p = 3/4, 2/4, 3/4. With spatial_exclude {0} as well: {1} (2), {3},
 * {9,14}; [1,0] leaves {2}, {4}, {8}, {11,12} (sum 4) -> H0 = [16, 0, 4, 16]. */
static void test_grid_point_exclude(const cperm_graph *g, int with_spatial) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    uint8_t excl[15] = {0};
    excl[6] = excl[7] = excl[13] = 1;
    static const uint8_t spatial[5] = {1, 0, 0, 0, 0};
    static const int64_t a[] = {0, 1}, a_spatial[] = {1}, c[] = {9, 14};
    const double st[] = {with_spatial ? 2 : 5, 16, 4};
    const double want_h0[] = {16, 0, with_spatial ? 4 : 8, 16};
    static const double want_p[] = {0.75, 0.5, 0.75};
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.exclude = excl;
    if (with_spatial) o.spatial_exclude = spatial;
    const char *nm = with_spatial ? "engine.point_exclude_spatial" : "engine.point_exclude";
    char n[128];
    cperm_plan *plan;
    cperm_run *run = run_case(nm, g, 3, &o, X, &plan);
    if (!run) return;
    snprintf(n, sizeof n, "%s.clusters", nm);
    CHECK(n, cperm_run_n_clusters(run) == 3 &&
                 (with_spatial ? cluster_is(run, 0, a_spatial, 1) : cluster_is(run, 0, a, 2)) &&
                 cluster_is(run, 1, CL_B, 1) && cluster_is(run, 2, c, 2),
          "want %s {3} {9,14}", with_spatial ? "{1}" : "{0,1}");
    snprintf(n, sizeof n, "%s.stats", nm);
    CHECK(n, cperm_run_n_clusters(run) == 3 && array_is(cperm_run_cluster_stats(run), st, 3),
          "want %g 16 4", st[0]);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    snprintf(n, sizeof n, "%s.h0", nm);
    CHECK(n, nh == 4 && array_is(h0, want_h0, 4), "want 16 0 %g 16", want_h0[2]);
    snprintf(n, sizeof n, "%s.pvalues", nm);
    CHECK(n, cperm_run_n_clusters(run) == 3 && array_is(cperm_run_pvalues(run), want_p, 3),
          "want 0.75 0.5 0.75");
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* MNE 1.3's 1-step split (semantics map 1.7), tail 1, threshold 1.5:
 *   t0: 2  0.5  3  4  5     active {0,2,3,4}
 *   t1: 2  3    2  0.5 4    active {0,1,2,4}
 * Connected: one cluster {0,2,3,4,5,6,7,9}, sum 2+3+4+5+2+3+2+4 = 25 (default mode).
 * MNE list path: t0 BFS [0], [2,3,4] (labels 1, 2); t1 [5,6,7], [9] (labels 3, 4).
 * Merge t0->t1: inds = v{0,2,4}, snapshot c1d = [1,2,2], n = [3,3,4]. num 3: prevs {1,2},
 * base 1: label 2 joins 1 -> [0,2,3,4]; label 3 joins -> [0,2,3,4,5,6,7]. num 4: prevs
 * from the stale snapshot = {2}, base 2 (now empty): [9] lands in label 2's slot.
 * Result [[0,2,3,4,5,6,7] sum 21, [9] sum 4] (compat mode).
 * Permutations (n_permutations 4, exact): [0,1] -> nothing; [1,0] -> the a=0.5 points
 * (0,1)=1 and (1,3)=8 become 2, not adjacent: {1} 2, {8} 2 -> 2; identity -> max.
 * H0 default = [25, 0, 2, 25]; compat = [21, 0, 2, 21]. */
static void test_split(const cperm_graph *g, int compat) {
    static const double tv[10] = {2, 0.5, 3, 4, 5, 2, 3, 2, 0.5, 4};
    static const int64_t all[] = {0, 2, 3, 4, 5, 6, 7, 9}, first[] = {0, 2, 3, 4, 5, 6, 7},
                         last[] = {9};
    double X[NS * 10];
    make_x(X, tv, 10, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.compat = compat;
    const char *nm = compat ? "engine.split_compat" : "engine.split_default";
    char n[128];
    cperm_plan *plan;
    cperm_run *run = run_case(nm, g, 2, &o, X, &plan);
    if (!run) return;
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    snprintf(n, sizeof n, "%s.clusters", nm);
    if (compat) {
        static const double st[] = {21, 4}, wh[] = {21, 0, 2, 21};
        CHECK(n, cperm_run_n_clusters(run) == 2 && cluster_is(run, 0, first, 7) &&
                     cluster_is(run, 1, last, 1), "want [0,2,3,4,5,6,7] [9] (the split)");
        snprintf(n, sizeof n, "%s.stats", nm);
        CHECK(n, cperm_run_n_clusters(run) == 2 && array_is(cperm_run_cluster_stats(run), st, 2),
              "want 21 4");
        snprintf(n, sizeof n, "%s.h0", nm);
        CHECK(n, nh == 4 && array_is(h0, wh, 4), "want 21 0 2 21");
    } else {
        static const double st[] = {25}, wh[] = {25, 0, 2, 25};
        CHECK(n, cperm_run_n_clusters(run) == 1 && cluster_is(run, 0, all, 8),
              "want one cluster [0,2,3,4,5,6,7,9]");
        snprintf(n, sizeof n, "%s.stats", nm);
        CHECK(n, cperm_run_n_clusters(run) == 1 && array_is(cperm_run_cluster_stats(run), st, 1),
              "want 25");
        snprintf(n, sizeof n, "%s.h0", nm);
        CHECK(n, nh == 4 && array_is(h0, wh, 4), "want 25 0 2 25");
    }
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* max_step: t0 v0 = 3, t2 v0 = 4, all else 0.5 (inactive). max_step 1: {0} 3, {10} 4;
 * max_step 2: (0,0) and (2,0) are 2 steps apart: one cluster {0,10}, sum 7. Both modes. */
static void test_max_step(const cperm_graph *g, size_t max_step, int compat) {
    double tv[15];
    for (size_t i = 0; i < 15; i++) tv[i] = 0.5;
    tv[0] = 3;
    tv[10] = 4;
    double X[NS * 15];
    make_x(X, tv, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 1.5;
    o.tail = 1;
    o.n_permutations = 4;
    o.max_step = max_step;
    o.compat = compat;
    char nm[64];
    snprintf(nm, sizeof nm, "engine.max_step%zu%s", max_step, compat ? "_compat" : "");
    cperm_plan *plan;
    cperm_run *run = run_case(nm, g, 3, &o, X, &plan);
    if (!run) return;
    static const int64_t c0[] = {0}, c10[] = {10}, both[] = {0, 10};
    const double *st = cperm_run_cluster_stats(run);
    if (max_step == 1)
        CHECK(nm, cperm_run_n_clusters(run) == 2 && cluster_is(run, 0, c0, 1) &&
                      cluster_is(run, 1, c10, 1) && st[0] == 3 && st[1] == 4,
              "want {0} 3, {10} 4; got %zu clusters", cperm_run_n_clusters(run));
    else
        CHECK(nm, cperm_run_n_clusters(run) == 1 && cluster_is(run, 0, both, 2) && st[0] == 7,
              "want {0,10} 7; got %zu clusters", cperm_run_n_clusters(run));
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* No cluster at all (threshold above every t): zero clusters; MNE returns empty H0. */
static void test_no_clusters(const cperm_graph *g) {
    double X[NS * 15];
    make_x(X, GRID, 15, 1.0);
    cperm_options o = CPERM_OPTIONS_INIT;
    o.threshold = 100;
    o.tail = 0;
    o.n_permutations = 2;
    cperm_plan *plan;
    cperm_run *run = run_case("engine.no_clusters", g, 3, &o, X, &plan);
    if (!run) return;
    size_t nh = 99;
    cperm_run_h0(run, &nh);
    CHECK("engine.no_clusters.empty", cperm_run_n_clusters(run) == 0 && nh == 0,
          "got %zu clusters, %zu H0 entries", cperm_run_n_clusters(run), nh);
    cperm_run_free(run);
    cperm_plan_free(plan);
}

/* t by hand. X columns [1,2,3,4] and [2,4,6,8] (4 subjects):
 *   col 1: mean 2.5, ss = 2.25+0.25+0.25+2.25 = 5, var = 5/3, t = 2.5/sqrt(5/12) = sqrt(15)
 *   col 2: mean 5, var = 20/3, t = 5/sqrt(20/12) = sqrt(15)
 * sigma 0.1 relative: var += 0.1 * max(var) = 2/3 -> 7/3 and 22/3:
 *   t1 = 2.5/sqrt(7/12) = sqrt(75/7), t2 = 5/sqrt(22/12) = sqrt(150/11)
 * sigma 1 absolute: var += 1 -> 8/3 and 23/3: t1 = sqrt(6.25*12/8) = sqrt(9.375),
 *   t2 = sqrt(25*12/23) = sqrt(300/23). */
static void test_ttest(void) {
    static const double X[8] = {1, 2, 2, 4, 3, 6, 4, 8};
    double t[2];
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = cperm_ttest_1samp(t, X, 4, 2, 0.0, CPERM_SIGMA_RELATIVE, &err);
    CHECK("engine.ttest.plain.rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_CLOSE("engine.ttest.plain.col1", t[0], sqrt(15.0), 1e-14);
    CHECK_CLOSE("engine.ttest.plain.col2", t[1], sqrt(15.0), 1e-14);
    rc = cperm_ttest_1samp(t, X, 4, 2, 0.1, CPERM_SIGMA_RELATIVE, &err);
    CHECK("engine.ttest.relative.rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_CLOSE("engine.ttest.relative.col1", t[0], sqrt(75.0 / 7.0), 1e-14);
    CHECK_CLOSE("engine.ttest.relative.col2", t[1], sqrt(150.0 / 11.0), 1e-14);
    rc = cperm_ttest_1samp(t, X, 4, 2, 1.0, CPERM_SIGMA_ABSOLUTE, &err);
    CHECK("engine.ttest.absolute.rc", rc == 0, "rc %d: %s", rc, err.msg);
    CHECK_CLOSE("engine.ttest.absolute.col1", t[0], sqrt(9.375), 1e-14);
    CHECK_CLOSE("engine.ttest.absolute.col2", t[1], sqrt(300.0 / 23.0), 1e-14);
    /* The (a+1, a-1) construction: t = a exactly (mean a, var/n = 1). */
    static const double Y[4] = {4, 1.5, 2, -0.5};
    rc = cperm_ttest_1samp(t, Y, 2, 2, 0.0, CPERM_SIGMA_RELATIVE, &err);
    CHECK("engine.ttest.pair", rc == 0 && t[0] == 3.0 && t[1] == 0.5, "got %.17g %.17g", t[0], t[1]);
}

/* ------------------------------------------------------------------ errors */

/* A failed call: negative code, err.code equal to it, a message, *out left NULL. */
static void expect_fail(const char *name, int rc, const cperm_err *err, const void *out) {
    CHECK(name, rc < 0 && err->code == rc && err->msg[0] != 0 && out == NULL,
          "rc %d, err.code %d, msg '%s', out %p", rc, err->code, err->msg, out);
}

static void plan_fails(const char *name, const cperm_graph *g, size_t ns, size_t nt,
                       const cperm_options *o) {
    cperm_err err;
    memset(&err, 0, sizeof err);
    cperm_plan *plan = NULL;
    int rc = cperm_plan_create(&plan, g, ns, nt, o, &err);
    expect_fail(name, rc, &err, plan);
    cperm_plan_free(plan);
}

static void test_errors(const cperm_graph *g) {
    cperm_options base = CPERM_OPTIONS_INIT;
    base.threshold = 1.5;
    base.tail = 1;
    base.n_permutations = 4;
    cperm_options o;
    cperm_err err;

    o = base; o.threshold = NAN;
    plan_fails("engine.err.threshold_nan", g, NS, 3, &o);
    o = base; o.threshold = INFINITY;
    plan_fails("engine.err.threshold_inf", g, NS, 3, &o);
    plan_fails("engine.err.one_subject", g, 1, 3, &base);
    plan_fails("engine.err.zero_subjects", g, 0, 3, &base);
    plan_fails("engine.err.zero_times", g, NS, 0, &base);
    o = base; o.n_permutations = 0;
    plan_fails("engine.err.n_permutations_0", g, NS, 3, &o);
    o = base; o.n_permutations = -5;
    plan_fails("engine.err.n_permutations_neg", g, NS, 3, &o);
    o = base; o.tail = 2;
    plan_fails("engine.err.tail_2", g, NS, 3, &o);
    o = base; o.tail = -2; o.threshold = -1.5;
    plan_fails("engine.err.tail_m2", g, NS, 3, &o);
    o = base; o.tail = 1; o.threshold = -1.5;
    plan_fails("engine.err.sign_tail1", g, NS, 3, &o);
    o = base; o.tail = -1; o.threshold = 1.5;
    plan_fails("engine.err.sign_tailm1", g, NS, 3, &o);
    o = base; o.tail = 0; o.threshold = -1.5;
    plan_fails("engine.err.sign_tail0", g, NS, 3, &o);
    o = base; o.max_step = 0;
    plan_fails("engine.err.max_step_0", g, NS, 3, &o);
    o = base; o.sigma_method = 7;
    plan_fails("engine.err.sigma_method", g, NS, 3, &o);
    o = base; o.compat = 9;
    plan_fails("engine.err.compat", g, NS, 3, &o);
    o = base; o.version = 999;
    plan_fails("engine.err.options_version", g, NS, 3, &o);
    plan_fails("engine.err.options_null", g, NS, 3, NULL);
    plan_fails("engine.err.graph_null", NULL, NS, 3, &base);

    /* Threshold 0 is allowed for every tail (MNE only rejects the wrong sign). */
    {
        cperm_plan *plan = NULL;
        memset(&err, 0, sizeof err);
        o = base; o.tail = -1; o.threshold = 0.0;
        int rc = cperm_plan_create(&plan, g, NS, 3, &o, &err);
        CHECK("engine.ok.threshold_zero_tailm1", rc == 0, "rc %d: %s", rc, err.msg);
        cperm_plan_free(plan);
    }

    /* Zero vertices: either the graph or the plan must refuse. */
    {
        cperm_graph *g0 = NULL;
        memset(&err, 0, sizeof err);
        int rc = cperm_graph_from_edges(&g0, 0, NULL, 0, &err);
        if (rc) expect_fail("engine.err.zero_vertices", rc, &err, g0);
        else plan_fails("engine.err.zero_vertices", g0, NS, 3, &base);
        cperm_graph_free(g0);
    }

    /* Adjacency: edge index out of range (== n_vertices, negative). */
    {
        static const int64_t e_hi[] = {0, 1, 4, 5}, e_neg[] = {0, 1, -1, 2};
        cperm_graph *ge = NULL;
        memset(&err, 0, sizeof err);
        int rc = cperm_graph_from_edges(&ge, 5, e_hi, 2, &err);
        expect_fail("engine.err.edge_out_of_range", rc, &err, ge);
        cperm_graph_free(ge);
        ge = NULL;
        memset(&err, 0, sizeof err);
        rc = cperm_graph_from_edges(&ge, 5, e_neg, 2, &err);
        expect_fail("engine.err.edge_negative", rc, &err, ge);
        cperm_graph_free(ge);
    }
    /* CSR: asymmetric (0->1 without 1->0), index out of range, decreasing indptr. */
    {
        static const int64_t ip_asym[] = {0, 1, 1, 1};
        static const int32_t ix_asym[] = {1};
        static const int64_t ip_sym[] = {0, 1, 2, 2};
        static const int32_t ix_range[] = {1, 3};
        static const int64_t ip_dec[] = {0, 2, 1, 2};
        static const int32_t ix_dec[] = {1, 0};
        cperm_graph *gc = NULL;
        memset(&err, 0, sizeof err);
        int rc = cperm_graph_from_csr(&gc, 3, ip_asym, ix_asym, &err);
        expect_fail("engine.err.csr_asymmetric", rc, &err, gc);
        cperm_graph_free(gc);
        gc = NULL;
        memset(&err, 0, sizeof err);
        rc = cperm_graph_from_csr(&gc, 3, ip_sym, ix_range, &err);
        expect_fail("engine.err.csr_out_of_range", rc, &err, gc);
        cperm_graph_free(gc);
        gc = NULL;
        memset(&err, 0, sizeof err);
        rc = cperm_graph_from_csr(&gc, 3, ip_dec, ix_dec, &err);
        expect_fail("engine.err.csr_indptr_decreasing", rc, &err, gc);
        cperm_graph_free(gc);
        /* and a valid symmetric CSR is accepted */
        static const int64_t ip_ok[] = {0, 1, 3, 4};
        static const int32_t ix_ok[] = {1, 0, 2, 1};
        gc = NULL;
        memset(&err, 0, sizeof err);
        rc = cperm_graph_from_csr(&gc, 3, ip_ok, ix_ok, &err);
        CHECK("engine.ok.csr_chain3", rc == 0 && gc && gc->n_vertices == 3 && gc->indptr[3] == 4,
              "rc %d: %s", rc, err.msg);
        cperm_graph_free(gc);
    }

    /* NaN / Inf in X at execute time; the run stays usable afterwards. */
    {
        cperm_plan *plan = NULL;
        cperm_run *run = NULL;
        memset(&err, 0, sizeof err);
        int rc = cperm_plan_create(&plan, g, NS, 3, &base, &err);
        if (!rc) rc = cperm_run_create(&run, plan, &err);
        CHECK("engine.err.setup", rc == 0, "rc %d: %s", rc, err.msg);
        if (!rc) {
            double X[NS * 15];
            make_x(X, GRID, 15, 1.0);
            X[7] = NAN;
            memset(&err, 0, sizeof err);
            rc = cperm_plan_execute(plan, X, run, &err);
            CHECK("engine.err.x_nan", rc == CPERM_EINVAL && err.code == rc &&
                  strstr(err.msg, "(nan) at subject 0, time 1, vertex 2"), "rc %d msg '%s'", rc, err.msg);
            make_x(X, GRID, 15, 1.0);
            X[NS * 15 - 1] = -INFINITY;
            memset(&err, 0, sizeof err);
            rc = cperm_plan_execute(plan, X, run, &err);
            CHECK("engine.err.x_inf", rc == CPERM_EINVAL && err.code == rc &&
                  strstr(err.msg, "(-inf) at subject 1, time 2, vertex 4"), "rc %d msg '%s'", rc, err.msg);
            /* the first in subject-major order is named, beside a larger finite value */
            make_x(X, GRID, 15, 1.0);
            X[NS * 15 - 1] = NAN;
            X[15 + 1] = 1e300;
            X[15 + 3] = INFINITY;
            memset(&err, 0, sizeof err);
            rc = cperm_plan_execute(plan, X, run, &err);
            CHECK("engine.err.x_first_nonfinite", rc == CPERM_EINVAL &&
                  strstr(err.msg, "(inf) at subject 1, time 0, vertex 3"), "rc %d msg '%s'", rc, err.msg);
            make_x(X, GRID, 15, 1.0);
            memset(&err, 0, sizeof err);
            rc = cperm_plan_execute(plan, X, run, &err);
            size_t nh = 0;
            static const double want_h0[] = {16, 0, 14, 16};
            const double *h0 = cperm_run_h0(run, &nh);
            CHECK("engine.err.recovers", rc == 0 && nh == 4 && array_is(h0, want_h0, 4),
                  "rc %d after errors: %s", rc, err.msg);
            memset(&err, 0, sizeof err);
            rc = cperm_plan_execute(plan, NULL, run, &err);
            CHECK("engine.err.x_null", rc < 0 && err.code == rc && err.msg[0], "rc %d", rc);
        }
        cperm_run_free(run);
        cperm_plan_free(plan);
    }
    {
        cperm_run *run = NULL;
        memset(&err, 0, sizeof err);
        int rc = cperm_run_create(&run, NULL, &err);
        expect_fail("engine.err.run_null_plan", rc, &err, run);
        cperm_run_free(run);
    }
    /* NULL err pointers are allowed. */
    {
        cperm_plan *plan = NULL;
        o = base; o.tail = 2;
        int rc = cperm_plan_create(&plan, g, NS, 3, &o, NULL);
        CHECK("engine.err.null_err_ok", rc == CPERM_EINVAL && plan == NULL, "rc %d", rc);
    }
    /* Every _free accepts NULL. */
    cperm_plan_free(NULL);
    cperm_run_free(NULL);
    cperm_graph_free(NULL);
    TU_OK("engine.free_null");
}

int main(void) {
    cperm_graph *g = chain5();
    if (!g) TU_EXIT();
    test_ttest();
    test_grid_tail1(g, 0);
    test_grid_tail1(g, 1);
    test_grid_tail0(g);
    test_grid_tailm1(g);
    test_grid_stepdown(g);
    test_grid_tpower(g, 0);
    test_grid_tpower(g, 2);
    test_grid_exclude(g);
    test_grid_point_exclude(g, 0);
    test_grid_point_exclude(g, 1);
    test_split(g, 0);
    test_split(g, 1);
    test_max_step(g, 1, 0);
    test_max_step(g, 2, 0);
    test_max_step(g, 1, 1);
    test_max_step(g, 2, 1);
    test_no_clusters(g);
    test_errors(g);
    cperm_graph_free(g);
    TU_EXIT();
}
