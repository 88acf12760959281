/* unit_effects.c - per-cluster effect sizes (cperm_effect_compute, cperm_cluster_effects) on
 * cases small enough to compute by hand, with the 95% t quantiles scipy gives
 * (stats.t.ppf(0.975, 3) = 3.182446305284263; Welch's df 200/67: 3.191467156071415), and the
 * errors for designs that do not fit X. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

#define Z975 1.959963984540054
#define T3 3.182446305284263
#define T_WELCH 3.191467156071415

/* One sample: rows [1 9 3], [2 9 4], [5 9 7], [0 9 2]; the cluster is points 0 and 2, so the
 * cluster-averaged data are c = 2, 3, 6, 1: mean 3, squared deviations 1 + 0 + 9 + 4 = 14,
 * var 14/3 (ddof 1), d = 3 / sqrt(14/3), t = 3 / (sqrt(14/3) / 2). */
static void one_sample(void) {
    const double X[12] = {1, 9, 3, 2, 9, 4, 5, 9, 7, 0, 9, 2};
    const int64_t m[2] = {0, 2};
    double work[4];
    cperm_effect e;
    cperm_err err = {0};
    const cperm_effect_design d = {CPERM_EFFECT_ONESAMPLE, 0, NULL, 1, NULL, 0, 0};
    int rc = cperm_effect_compute(&e, X, 4, 3, m, 2, &d, work, &err);
    CHECK("effects.onesample.rc", rc == 0, "%s", err.msg);
    const double sd = sqrt(14.0 / 3.0), dz = 3.0 / sd, sed = sqrt(0.25 + dz * dz / 8.0);
    CHECK("effects.onesample.n_points", e.n_points == 2, "%zu", e.n_points);
    CHECK_CLOSE("effects.onesample.mean_is_3", e.mean, 3.0, 1e-15);
    CHECK_CLOSE("effects.onesample.mean_ci_lo", e.mean_lo, 3.0 - T3 * sd / 2.0, 1e-14);
    CHECK_CLOSE("effects.onesample.mean_ci_hi", e.mean_hi, 3.0 + T3 * sd / 2.0, 1e-14);
    CHECK_CLOSE("effects.onesample.d", e.d, 1.3887301496588271, 1e-14);
    CHECK_CLOSE("effects.onesample.d_ci_lo", e.d_lo, dz - Z975 * sed, 1e-14);
    CHECK_CLOSE("effects.onesample.d_ci_hi", e.d_hi, dz + Z975 * sed, 1e-14);
    CHECK_CLOSE("effects.onesample.t", e.stat, 2.7774602993176543, 1e-14);
    CHECK("effects.onesample.df", e.df1 == 3 && isnan(e.df2) && isnan(e.eta2_p), "df %g %g",
          e.df1, e.df2);
}

/* Two groups: c = 4, 6 | 1, 2, 6 (rows [3 5], [6 6] | [0 2], [2 2], [5 7], both points):
 * m1 = 5, v1 = 2, m2 = 3, v2 = 7, pooled var (2 + 14) / 3 = 16/3, so d = 2 / sqrt(16/3) =
 * sqrt(3)/2 and t = 2 / sqrt(16/3 (1/2 + 1/3)) = 3 / sqrt(10). Welch: se^2 = 1 + 7/3 = 10/3,
 * df = (10/3)^2 / (1 + (7/3)^2 / 2) = 200/67. One-way F of the same: grand mean 3.8,
 * SS_between 2 (1.2)^2 + 3 (0.8)^2 = 4.8, SS_within 16: eta^2 = 4.8 / 20.8 = 3/13, F = 0.9. */
static void two_groups(void) {
    const double X[10] = {3, 5, 6, 6, 0, 2, 2, 2, 5, 7};
    const int64_t m[2] = {1, 0};
    const size_t sizes[2] = {2, 3};
    double work[5];
    cperm_effect e;
    cperm_err err = {0};
    cperm_effect_design d = {CPERM_EFFECT_TWO_GROUPS, 2, sizes, 1, NULL, 0, 0};
    int rc = cperm_effect_compute(&e, X, 5, 2, m, 2, &d, work, &err);
    CHECK("effects.two_groups.rc", rc == 0, "%s", err.msg);
    const double dd = sqrt(3.0) / 2.0, sed = sqrt(5.0 / 6.0 + dd * dd / 10.0);
    CHECK_CLOSE("effects.two_groups.mean_difference_is_2", e.mean, 2.0, 1e-15);
    CHECK_CLOSE("effects.two_groups.mean_ci_lo", e.mean_lo, 2.0 - T3 * sqrt(40.0 / 9.0), 1e-14);
    CHECK_CLOSE("effects.two_groups.mean_ci_hi", e.mean_hi, 2.0 + T3 * sqrt(40.0 / 9.0), 1e-14);
    CHECK_CLOSE("effects.two_groups.d_is_sqrt3_over_2", e.d, dd, 1e-15);
    CHECK_CLOSE("effects.two_groups.d_ci_lo", e.d_lo, dd - Z975 * sed, 1e-14);
    CHECK_CLOSE("effects.two_groups.d_ci_hi", e.d_hi, dd + Z975 * sed, 1e-14);
    CHECK_CLOSE("effects.two_groups.t", e.stat, 3.0 / sqrt(10.0), 1e-14);
    CHECK("effects.two_groups.df", e.df1 == 3, "df %g", e.df1);

    d.equal_var = 0; /* Welch */
    rc = cperm_effect_compute(&e, X, 5, 2, m, 2, &d, work, &err);
    CHECK("effects.welch.rc", rc == 0, "%s", err.msg);
    CHECK_CLOSE("effects.welch.df", e.df1, 200.0 / 67.0, 1e-14);
    CHECK_CLOSE("effects.welch.mean_ci_lo", e.mean_lo, 2.0 - T_WELCH * sqrt(10.0 / 3.0), 1e-13);
    CHECK_CLOSE("effects.welch.t", e.stat, 2.0 / sqrt(10.0 / 3.0), 1e-14);
    CHECK_CLOSE("effects.welch.d_still_pooled", e.d, dd, 1e-15);

    d.kind = CPERM_EFFECT_GROUPS_F;
    d.equal_var = 1;
    rc = cperm_effect_compute(&e, X, 5, 2, m, 2, &d, work, &err);
    CHECK("effects.oneway_f.rc", rc == 0, "%s", err.msg);
    CHECK_CLOSE("effects.oneway_f.eta2_is_3_13", e.eta2_p, 3.0 / 13.0, 1e-15);
    CHECK_CLOSE("effects.oneway_f.F_is_t_squared", e.stat, 0.9, 1e-14);
    CHECK("effects.oneway_f.df_and_nan", e.df1 == 1 && e.df2 == 3 && isnan(e.mean) &&
          isnan(e.d) && isnan(e.mean_lo), "df %g %g mean %g d %g", e.df1, e.df2, e.mean, e.d);
}

/* Repeated measures through a run: 2 cells x 3 subjects, 2 vertices, 1 time point, no edges.
 * Vertex 0: cell 1 = 1, 2, 6, cell 2 = 2, 5, 7: differences 1, 3, 1, mean 5/3, var 4/3, paired
 * t = (5/3) / sqrt(4/9) = 2.5, F = 6.25 > 1 (the threshold); vertex 1 differs by 0.1, -0.1,
 * 0.05: F < 1. So one cluster, point 0: partial eta^2 = F / (F + 2) = 25/33. */
static void repeated_measures(void) {
    const double X[12] = {1, 1, 2, 2, 6, 3, 2, 1.1, 5, 1.9, 7, 3.05};
    const size_t levels[1] = {2};
    cperm_graph *g = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err err = {0};
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.design = CPERM_DESIGN_GROUPS;
    o.statistic = CPERM_STAT_F_MWAY_RM;
    o.tail = 1;
    o.threshold = 1.0;
    o.n_permutations = 8;
    o.rm_n_factors = 1;
    o.rm_factor_levels = levels;
    o.rm_effect = 1u;
    int rc = cperm_graph_from_edges(&g, 2, NULL, 0, &err);
    if (!rc) rc = cperm_plan_create(&plan, g, 6, 1, &o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    CHECK("effects.rm.run", rc == 0 && cperm_run_n_clusters(run) == 1, "rc %d %s, %zu clusters",
          rc, err.msg, run ? cperm_run_n_clusters(run) : 0);
    if (!rc && cperm_run_n_clusters(run) == 1) {
        cperm_effect e[1];
        const cperm_effect_design d = {CPERM_EFFECT_RM, 2, NULL, 1, levels, 1, 1u};
        rc = cperm_cluster_effects(e, 1, run, X, 6, 2, &d, &err);
        CHECK("effects.rm.rc", rc == 0, "%s", err.msg);
        CHECK_CLOSE("effects.rm.F_is_6.25", e[0].stat, 6.25, 1e-13);
        CHECK_CLOSE("effects.rm.eta2_is_25_33", e[0].eta2_p, 25.0 / 33.0, 1e-14);
        CHECK("effects.rm.df", e[0].df1 == 1 && e[0].df2 == 2 && e[0].n_points == 1,
              "df %g %g, %zu points", e[0].df1, e[0].df2, e[0].n_points);
        /* the same run as one sample of the 6 rows: mean of X[:, 0] = 23/6 */
        const cperm_effect_design d1 = {CPERM_EFFECT_ONESAMPLE, 0, NULL, 1, NULL, 0, 0};
        rc = cperm_cluster_effects(e, 1, run, X, 6, 2, &d1, &err);
        CHECK_CLOSE("effects.run_onesample_mean", rc ? NAN : e[0].mean, 23.0 / 6.0, 1e-15);
        /* errors: too small an output, a design that does not fit */
        cperm_err e2 = {0};
        rc = cperm_cluster_effects(e, 0, run, X, 6, 2, &d1, &e2);
        CHECK("effects.refuse.n_out", rc == CPERM_EINVAL && strstr(e2.msg, "room for 0"),
              "rc %d '%s'", rc, e2.msg);
        const cperm_effect_design d5 = {CPERM_EFFECT_RM, 4, NULL, 1, levels, 1, 1u};
        rc = cperm_cluster_effects(e, 1, run, X, 6, 2, &d5, &e2);
        CHECK("effects.refuse.cells", rc == CPERM_EINVAL && strstr(e2.msg, "4 cells"),
              "rc %d '%s'", rc, e2.msg);
        rc = cperm_cluster_effects(e, 1, run, X, 6, 0, &d1, &e2);
        CHECK("effects.refuse.point_outside_X", rc == CPERM_EINVAL && strstr(e2.msg, "outside"),
              "rc %d '%s'", rc, e2.msg);
    }
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
}

static void refusals(void) {
    const double X[4] = {1, 2, 3, 4};
    const int64_t m[1] = {0};
    const size_t sizes[2] = {2, 3};
    double work[4];
    cperm_effect e;
    cperm_err err = {0};
    const cperm_effect_design d = {CPERM_EFFECT_TWO_GROUPS, 2, sizes, 1, NULL, 0, 0};
    int rc = cperm_effect_compute(&e, X, 4, 1, m, 1, &d, work, &err);
    CHECK("effects.refuse.group_sizes", rc == CPERM_EINVAL && strstr(err.msg, "5 observations"),
          "rc %d '%s'", rc, err.msg);
    const cperm_effect_design rm = {CPERM_EFFECT_RM, 2, NULL, 1, sizes, 1, 1u};
    rc = cperm_effect_compute(&e, X, 4, 1, m, 1, &rm, work, &err);
    CHECK("effects.refuse.rm_one_cluster", rc == CPERM_EINVAL && strstr(err.msg, "every"),
          "rc %d '%s'", rc, err.msg);
    const cperm_effect_design one = {CPERM_EFFECT_ONESAMPLE, 0, NULL, 1, NULL, 0, 0};
    rc = cperm_effect_compute(&e, X, 1, 4, m, 1, &one, work, &err);
    CHECK("effects.refuse.one_observation", rc == CPERM_EINVAL && strstr(err.msg, "1 obs"),
          "rc %d '%s'", rc, err.msg);
}

int main(void) {
    one_sample();
    two_groups();
    repeated_measures();
    refusals();
    TU_EXIT();
}
