/* unit_groups.c - the label-permutation kernel (independent groups, one-way F) end to end
 * through the driver on a case small enough to compute by hand, the options it refuses,
 * version-1 options structs, and whole vs merged-range runs of a groups plan. */
#include "clusterperm.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* 2 groups (2 and 3 observations), 1 time, 3 vertices on a chain 0 - 1 - 2. X[i][v]:
 *   v0: A = {1, 3}, B = {4, 6, 8}: means 2 and 6, grand mean 4.4, SSB = 2 * 2.4^2 +
 *       3 * 1.6^2 = 19.2, SSW = 2 + 8 = 10, F = (19.2 / 1) / (10 / 3) = 5.76
 *   v1: v0 - 1: the same F
 *   v2: A = {1, 2}, B = {1, 2, 1.5}: equal means, F = 0 */
static const double X[5 * 3] = {
    1, 0, 1,
    3, 2, 2,
    4, 3, 1,
    6, 5, 2,
    8, 7, 1.5,
};
static const size_t SIZES[2] = {2, 3};
static const int64_t EDGES[4] = {0, 1, 1, 2};

/* The textbook one-way F (group means, not MNE's sums) of vertex v of x (5 observations x
 * nv vertices) under `order`, for the test's own H0. */
static double f_textbook(const double *x, size_t nv, const uint32_t *order, size_t v) {
    double m[2] = {0, 0}, grand = 0;
    size_t start[3] = {0, 2, 5};
    for (size_t g = 0; g < 2; g++) {
        for (size_t i = start[g]; i < start[g + 1]; i++) m[g] += x[order[i] * nv + v];
        grand += m[g];
        m[g] /= (double)SIZES[g];
    }
    grand /= 5.0;
    double ssb = 0, ssw = 0;
    for (size_t g = 0; g < 2; g++) {
        ssb += (double)SIZES[g] * (m[g] - grand) * (m[g] - grand);
        for (size_t i = start[g]; i < start[g + 1]; i++) {
            double d = x[order[i] * nv + v] - m[g];
            ssw += d * d;
        }
    }
    return (ssb / 1.0) / (ssw / 3.0);
}

/* The largest cluster mass on the chain of F values above thr (0 if none). */
static double chain_max_mass(const double *f, double thr) {
    double best = 0, cur = 0;
    for (size_t v = 0; v < 3; v++) {
        cur = f[v] > thr ? cur + f[v] : 0;
        if (cur > best) best = cur;
    }
    return best;
}

static int make_plan(cperm_plan **plan, cperm_graph *g, const cperm_options *o, cperm_err *e) {
    return cperm_plan_create(plan, g, 5, 1, o, e);
}

static void groups_options(cperm_options *o) {
    cperm_options_init(o, CPERM_OPTIONS_VERSION);
    o->design = CPERM_DESIGN_GROUPS;
    o->n_groups = 2;
    o->group_sizes = SIZES;
    o->tail = 1;
    o->threshold = 4.0;
    o->n_permutations = 50;
    o->seed = 0;
}

static void hand_case(cperm_graph *g) {
    cperm_options o;
    groups_options(&o);
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err e = {0};
    int rc = make_plan(&plan, g, &o, &e);
    if (!rc) rc = cperm_run_create(&run, plan, &e);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &e);
    CHECK("groups.hand.runs", rc == 0, "rc %d: %s", rc, e.msg);
    if (rc) goto done;
    const double *F = cperm_run_tobs(run);
    CHECK_CLOSE("groups.hand.f_v0", F[0], 5.76, 1e-12);
    CHECK_CLOSE("groups.hand.f_v1", F[1], 5.76, 1e-12);
    CHECK_CLOSE("groups.hand.f_v2", F[2], 0.0, 1e-12);
    size_t nm = 0;
    const int64_t *members = cperm_run_cluster(run, 0, &nm);
    CHECK("groups.hand.one_cluster", cperm_run_n_clusters(run) == 1 && nm == 2 &&
          members[0] == 0 && members[1] == 1, "%zu clusters", cperm_run_n_clusters(run));
    CHECK_CLOSE("groups.hand.mass", cperm_run_cluster_stats(run)[0], 11.52, 1e-12);
    CHECK("groups.hand.n_orders", cperm_plan_n_orders(plan) == 49 && !cperm_plan_is_exact(plan),
          "%zu orders", cperm_plan_n_orders(plan));
    /* every H0 entry from the plan's own orders with the textbook F */
    uint32_t orders[49 * 5];
    rc = cperm_plan_label_orders(plan, 0, 49, orders, &e);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    int perm_ok = rc == 0;
    for (size_t k = 0; perm_ok && k < 49; k++) { /* each order is a permutation of 0..4 */
        unsigned seen = 0;
        for (size_t i = 0; i < 5; i++) seen |= 1u << orders[k * 5 + i];
        perm_ok = seen == 31u;
    }
    CHECK("groups.hand.orders_are_permutations", perm_ok, "rc %d", rc);
    size_t bad = SIZE_MAX, ge = 0, nonzero = 0;
    for (size_t k = 0; perm_ok && nh == 50 && k < 49; k++) {
        double f[3];
        for (size_t v = 0; v < 3; v++) f[v] = f_textbook(X, 3, orders + k * 5, v);
        double want = chain_max_mass(f, 4.0);
        if (fabs(h0[1 + k] - want) > 1e-9 * fmax(1.0, want) && bad == SIZE_MAX) bad = k;
        nonzero += h0[1 + k] != 0;
    }
    CHECK("groups.hand.h0", nh == 50 && h0[0] == cperm_run_cluster_stats(run)[0] && bad == SIZE_MAX,
          "n_h0 %zu, first wrong order %zu", nh, bad);
    CHECK("groups.hand.h0_nontrivial", nonzero > 0 && nonzero < 49, "%zu nonzero", nonzero);
    for (size_t k = 0; k < nh; k++) ge += h0[k] >= cperm_run_cluster_stats(run)[0];
    CHECK("groups.hand.pvalue", cperm_run_pvalues(run)[0] == (double)ge / 50.0 && ge >= 1,
          "p %g, want %zu / 50", cperm_run_pvalues(run)[0], ge);
    /* orders of the label kind only */
    uint8_t byte_row[5];
    CHECK("groups.sign_orders_refused", cperm_plan_orders(plan, 0, 1, byte_row, &e) ==
          CPERM_EINVAL, "accepted");
    /* whole vs merged ranges: two runs, each half the orders, merged */
    cperm_run *a = NULL, *b = NULL;
    rc = cperm_run_create(&a, plan, &e);
    if (!rc) rc = cperm_run_create(&b, plan, &e);
    int more = 0;
    if (!rc) rc = cperm_run_begin(plan, X, a, &e);
    if (!rc) rc = cperm_run_begin(plan, X, b, &e);
    if (!rc) rc = cperm_run_permute(plan, X, a, 0, 20, &e);
    if (!rc) rc = cperm_run_permute(plan, X, b, 20, 49, &e);
    if (!rc) rc = cperm_run_merge_h0(a, b, 20, 49, &e);
    if (!rc) rc = cperm_run_end_pass(plan, a, &more, &e);
    size_t na = 0;
    const double *ha = rc ? NULL : cperm_run_h0(a, &na);
    CHECK("groups.merged_ranges_identical", !rc && !more && na == nh &&
          !memcmp(ha, h0, nh * sizeof *h0) &&
          !memcmp(cperm_run_pvalues(a), cperm_run_pvalues(run), sizeof(double)),
          "rc %d: %s", rc, e.msg);
    cperm_run_free(a);
    cperm_run_free(b);
done:
    cperm_run_free(run);
    cperm_plan_free(plan);
}

static void refusals(cperm_graph *g) {
    cperm_options o;
    cperm_plan *plan = NULL;
    cperm_err e = {0};
    const size_t wrong[2] = {2, 2}, empty[2] = {0, 5};
    struct { const char *name; int want; } cases[] = {
        {"groups.refuse.sizes_mismatch", CPERM_EMISMATCH}, {"groups.refuse.empty", CPERM_EINVAL},
        {"groups.refuse.tail_m1", CPERM_EINVAL},     {"groups.refuse.tfce", CPERM_EUNSUPPORTED},
        {"groups.refuse.sigma", CPERM_EINVAL},     {"groups.refuse.all", CPERM_EINVAL},
        {"groups.refuse.one_group", CPERM_EINVAL}, {"groups.refuse.t_stat", CPERM_EUNSUPPORTED},
        {"signflip.refuse.f_stat", CPERM_EUNSUPPORTED}, {"refuse.unknown_design", CPERM_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        groups_options(&o);
        switch (i) {
        case 0: o.group_sizes = wrong; break;
        case 1: o.group_sizes = empty; break;
        case 2: o.tail = -1; o.threshold = -4.0; break;
        case 3: o.tfce = CPERM_TFCE_EXACT; break;
        case 4: o.sigma = 1e-3; break;
        case 5: o.n_permutations = CPERM_PERMUTATIONS_ALL; break;
        case 6: o.n_groups = 1; break;
        case 7: o.statistic = CPERM_STAT_T_1SAMP; break;
        case 8: o.design = CPERM_DESIGN_SIGN_FLIP; o.statistic = CPERM_STAT_F_ONEWAY; break;
        default: o.design = 7; break;
        }
        memset(&e, 0, sizeof e);
        int rc = make_plan(&plan, g, &o, &e);
        CHECK(cases[i].name, rc == cases[i].want && plan == NULL && e.msg[0],
              "rc %d (want %d): %s", rc, cases[i].want, e.msg);
        cperm_plan_free(plan);
        plan = NULL;
    }
}

/* A caller compiled against version 1 passes a struct that ends before the design fields:
 * the library must read no more of it and run the one-sample test. The struct is allocated
 * at exactly its version-1 size, so an over-read shows under the sanitizer. */
#if defined(__GNUC__)
/* the fields are reached through the current struct's type, as the library does once it has
 * read `version`: only version-1 fields are touched, which GCC cannot tell */
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
static void version1(cperm_graph *g) {
    cperm_options *v1 = malloc(CPERM_OPTIONS_V1_SIZE);
    cperm_options v2;
    cperm_plan *p1 = NULL, *p2 = NULL;
    cperm_run *r1 = NULL, *r2 = NULL;
    cperm_err e = {0};
    int rc = v1 ? cperm_options_init(v1, 1) : -100;
    CHECK("options_v1.init", rc == 0 && v1->version == 1, "rc %d", rc);
    if (rc) goto done;
    cperm_options_init(&v2, CPERM_OPTIONS_VERSION);
    v1->threshold = v2.threshold = 1.0;
    v1->n_permutations = v2.n_permutations = 16;
    rc = cperm_plan_create(&p1, g, 5, 1, v1, &e);
    if (!rc) rc = cperm_plan_create(&p2, g, 5, 1, &v2, &e);
    if (!rc) rc = cperm_run_create(&r1, p1, &e);
    if (!rc) rc = cperm_run_create(&r2, p2, &e);
    if (!rc) rc = cperm_plan_execute(p1, X, r1, &e);
    if (!rc) rc = cperm_plan_execute(p2, X, r2, &e);
    size_t n1 = 0, n2 = 0;
    const double *h1 = rc ? NULL : cperm_run_h0(r1, &n1), *h2 = rc ? NULL : cperm_run_h0(r2, &n2);
    CHECK("options_v1.same_as_v2", !rc && cperm_plan_n_orders(p1) == 15 && n1 == n2 &&
          (!n1 || !memcmp(h1, h2, n1 * sizeof *h1)), "rc %d: %s", rc, e.msg);
    v1->version = CPERM_OPTIONS_VERSION + 1;
    cperm_plan *p3 = NULL;
    rc = cperm_plan_create(&p3, g, 5, 1, v1, &e);
    CHECK("options.future_version_refused", rc == CPERM_EINVAL && !p3, "rc %d", rc);
done:
    cperm_run_free(r1);
    cperm_run_free(r2);
    cperm_plan_free(p1);
    cperm_plan_free(p2);
    free(v1);
}

/* Many supra-threshold points (F > 0.05 on most of 40000 vertices of a chain): more than a
 * batch list holds, so each order is computed again alone; H0 still equals the textbook F
 * clustered along the chain. */
static void overflow_case(void) {
    enum { NVX = 40000, NOBS = 5 };
    int64_t *edges = malloc(2 * (NVX - 1) * sizeof *edges);
    double *x = malloc(NOBS * NVX * sizeof *x);
    cperm_graph *g = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err e = {0};
    int rc = edges && x ? 0 : CPERM_ENOMEM;
    for (int v = 0; !rc && v < NVX - 1; v++) {
        edges[2 * v] = v;
        edges[2 * v + 1] = v + 1;
    }
    uint64_t st = 99;
    for (size_t i = 0; !rc && i < NOBS * NVX; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(st >> 11) / 9007199254740992.0;
    }
    cperm_options o;
    groups_options(&o);
    o.threshold = 0.05;
    o.n_permutations = 12;
    o.n_jobs = 2;
    if (!rc) rc = cperm_graph_from_edges(&g, NVX, edges, NVX - 1, &e);
    if (!rc) rc = cperm_plan_create(&plan, g, NOBS, 1, &o, &e);
    if (!rc) rc = cperm_run_create(&run, plan, &e);
    if (!rc) rc = cperm_plan_execute(plan, x, run, &e);
    size_t nh = 0, bad = SIZE_MAX, supra_max = 0;
    const double *h0 = rc ? NULL : cperm_run_h0(run, &nh);
    uint32_t orders[11 * NOBS];
    if (!rc) rc = cperm_plan_label_orders(plan, 0, 11, orders, &e);
    double *f = malloc(NVX * sizeof *f);
    for (size_t k = 0; !rc && f && k < 11; k++) {
        size_t supra = 0;
        double best = 0, cur = 0;
        for (size_t v = 0; v < NVX; v++) {
            f[v] = f_textbook(x, NVX, orders + k * NOBS, v);
            supra += f[v] > 0.05;
            cur = f[v] > 0.05 ? cur + f[v] : 0;
            best = cur > best ? cur : best;
        }
        supra_max = supra > supra_max ? supra : supra_max;
        if (fabs(h0[1 + k] - best) > 1e-9 * best && bad == SIZE_MAX) bad = k;
    }
    CHECK("groups.overflow_path", !rc && f && nh == 12 && bad == SIZE_MAX && supra_max > NVX / 8,
          "rc %d (%s), first wrong order %zu, at most %zu supra-threshold points", rc, e.msg, bad,
          supra_max);
    free(f);
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    free(edges);
    free(x);
}

int main(void) {
    cperm_graph *g = NULL;
    cperm_err e = {0};
    if (cperm_graph_from_edges(&g, 3, EDGES, 2, &e)) {
        TU_FAIL("groups.graph", "%s", e.msg);
        TU_EXIT();
    }
    hand_case(g);
    refusals(g);
    version1(g);
    overflow_case();
    cperm_graph_free(g);
    TU_EXIT();
}
