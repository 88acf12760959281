/* unit_tfce_also.c - exact TFCE's extra statistics (options.tfce_also, issue 17): the cluster
 * mass and extent that the TFCE sweep gives at the cluster-forming threshold against
 * separate plain cluster-mass runs on the same data, orders and seed (default mode, true
 * components): the mass H0 against a t_power run (rel 1e-12: permuted masses are summed in the
 * sweep's order, not np.sum's; how many entries agree bit for bit is printed), the extent H0
 * against a t_power = 0 run (bit for bit), the observed clusters, their statistics (bit for
 * bit: np.sum over the members ascending) and p-values; over tails 0, 1, -1, max_step 1 and 2,
 * with spatial_exclude and t_power 2. Also: the TFCE results are unchanged by the option, the
 * extra results do not depend on the thread count, executing allocates nothing, a mass-only
 * request has no extent, and the option's validation. */
#define _GNU_SOURCE
#include "clusterperm.h"
#include "countalloc.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GW 11 /* grid side: GW x GW vertices */
#define NV (GW * GW)
#define NT 4
#define NS 11

static uint64_t lcg = 88172645463325252ull;
static double urand(void) {
    lcg ^= lcg << 13;
    lcg ^= lcg >> 7;
    lcg ^= lcg << 17;
    return (double)(lcg >> 11) / 9007199254740992.0;
}
static double nrand(void) { /* Box-Muller */
    double u = urand(), v = urand();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static cperm_graph *grid(void) {
    int64_t e[4 * NV];
    size_t m = 0;
    for (int r = 0; r < GW; r++)
        for (int c = 0; c < GW; c++) {
            int v = r * GW + c;
            if (c + 1 < GW) { e[2 * m] = v; e[2 * m + 1] = v + 1; m++; }
            if (r + 1 < GW) { e[2 * m] = v; e[2 * m + 1] = v + GW; m++; }
        }
    cperm_graph *g = NULL;
    cperm_err err = {0};
    if (cperm_graph_from_edges(&g, NV, e, m, &err)) TU_FAIL("also.graph", "%s", err.msg);
    return g;
}

/* Subjects x times x vertices: noise plus a positive blob, a negative blob and a weak one. */
static void make_data(double *X) {
    for (size_t s = 0; s < NS; s++)
        for (size_t t = 0; t < NT; t++)
            for (int r = 0; r < GW; r++)
                for (int c = 0; c < GW; c++) {
                    double d1 = (r - 2) * (r - 2) + (c - 3) * (c - 3);
                    double d2 = (r - 7) * (r - 7) + (c - 7) * (c - 7);
                    double d3 = (r - 8) * (r - 8) + (c - 1) * (c - 1);
                    double sig = 1.4 * exp(-d1 / 4.0) * (t < 3) - 1.2 * exp(-d2 / 3.0) * (t > 0) +
                                 0.7 * exp(-d3 / 2.0);
                    X[(s * NT + t) * NV + (size_t)(r * GW + c)] = sig + nrand();
                }
}

typedef struct result {
    size_t n_h0, n_clusters;
    double h0[2048], tfce_h0[2048], stats[NV * NT], pv[NV * NT];
    size_t offsets[NV * NT + 1];
    int64_t members[NV * NT];
    double also_h0[2][2048], also_stats[2][NV * NT], also_pv[2][NV * NT];
    int has[2];
    int allocs;
} result;

/* The clusters' members as `get` gives them, concatenated, with their offsets. */
static void copy_members(result *res, const cperm_run *run,
                         const int64_t *(*get)(const cperm_run *, size_t, size_t *)) {
    res->offsets[0] = 0;
    for (size_t k = 0; k < res->n_clusters; k++) {
        size_t nm;
        const int64_t *m = get(run, k, &nm);
        memcpy(res->members + res->offsets[k], m, nm * sizeof *m);
        res->offsets[k + 1] = res->offsets[k] + nm;
    }
}

/* One plan on X; tfce: with exact TFCE and `also`; otherwise a plain cluster-mass run. */
static int run_one(const cperm_graph *g, const double *X, const cperm_options *base, int tfce,
                   unsigned also, double t_power, int n_jobs, result *res) {
    cperm_options o = *base;
    o.tfce = tfce ? CPERM_TFCE_EXACT : CPERM_TFCE_NONE;
    o.tfce_also = also;
    o.t_power = t_power;
    o.n_jobs = n_jobs;
    cperm_err err = {0};
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    int rc = cperm_plan_create(&plan, g, NS, NT, &o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) rc = cperm_plan_execute(plan, X, run, &err);
    if (!rc) {
        count_start();
        rc = cperm_plan_execute(plan, X, run, &err);
        res->allocs = count_stop();
    }
    if (rc) {
        printf("# run: %s\n", err.msg);
        goto done;
    }
    memset(res->has, 0, sizeof res->has);
    const double *h = cperm_run_h0(run, &res->n_h0);
    if (!tfce) {
        memcpy(res->h0, h, res->n_h0 * sizeof *h);
        res->n_clusters = cperm_run_n_clusters(run);
        memcpy(res->stats, cperm_run_cluster_stats(run), res->n_clusters * sizeof(double));
        memcpy(res->pv, cperm_run_pvalues(run), res->n_clusters * sizeof(double));
        copy_members(res, run, cperm_run_cluster);
        goto done;
    }
    memcpy(res->tfce_h0, h, res->n_h0 * sizeof *h);
    res->n_clusters = cperm_run_tfce_also_n_clusters(run);
    copy_members(res, run, cperm_run_tfce_also_cluster);
    for (int i = 0; i < 2; i++) {
        const unsigned w = i ? CPERM_ALSO_EXTENT : CPERM_ALSO_MASS;
        size_t nh = 0;
        const double *ah = cperm_run_tfce_also_h0(run, w, &nh);
        const double *as = cperm_run_tfce_also_stats(run, w);
        const double *ap = cperm_run_tfce_also_pvalues(run, w);
        res->has[i] = ah && as && ap && nh == res->n_h0;
        if (!res->has[i]) continue;
        memcpy(res->also_h0[i], ah, nh * sizeof *ah);
        memcpy(res->also_stats[i], as, res->n_clusters * sizeof *as);
        memcpy(res->also_pv[i], ap, res->n_clusters * sizeof *ap);
    }
done:
    cperm_run_free(run);
    cperm_plan_free(plan);
    return rc;
}

static result A, B, C, D, E;

/* The same clusters and statistics: stats bit for bit, H0 within rtol (0: bits). */
static void compare(const char *name, const result *one, int i, const result *plain,
                    double rtol) {
    char nm[128];
    snprintf(nm, sizeof nm, "also.%s.%s.present", name, i ? "extent" : "mass");
    CHECK(nm, one->has[i], "accessors gave NULL");
    if (!one->has[i]) return;
    snprintf(nm, sizeof nm, "also.%s.%s.clusters", name, i ? "extent" : "mass");
    int same = one->n_clusters == plain->n_clusters &&
               !memcmp(one->offsets, plain->offsets, (one->n_clusters + 1) * sizeof(size_t)) &&
               !memcmp(one->members, plain->members,
                       one->offsets[one->n_clusters] * sizeof(int64_t));
    CHECK(nm, same && one->n_clusters > 1, "%zu clusters, plain %zu", one->n_clusters,
          plain->n_clusters);
    if (!same) return;
    snprintf(nm, sizeof nm, "also.%s.%s.stats_bits", name, i ? "extent" : "mass");
    CHECK(nm, !memcmp(one->also_stats[i], plain->stats, one->n_clusters * sizeof(double)),
          "first %.17g plain %.17g", one->also_stats[i][0], plain->stats[0]);
    snprintf(nm, sizeof nm, "also.%s.%s.pvalues", name, i ? "extent" : "mass");
    CHECK(nm, !memcmp(one->also_pv[i], plain->pv, one->n_clusters * sizeof(double)),
          "first %g plain %g", one->also_pv[i][0], plain->pv[0]);
    size_t bad = one->n_h0, bits = 0, nonzero = 0;
    for (size_t k = 0; k < one->n_h0; k++) {
        const double a = one->also_h0[i][k], b = plain->h0[k];
        bits += !memcmp(&a, &b, sizeof a);
        nonzero += b != 0;
        if (bad == one->n_h0 && !(rtol ? fabs(a - b) <= rtol * fabs(b) : !memcmp(&a, &b, sizeof a)))
            bad = k;
    }
    snprintf(nm, sizeof nm, "also.%s.%s.h0", name, i ? "extent" : "mass");
    CHECK(nm, bad == one->n_h0 && one->n_h0 == plain->n_h0 && nonzero > one->n_h0 / 2,
          "H0[%zu] %.17g plain %.17g (%zu nonzero)", bad, bad < one->n_h0 ? one->also_h0[i][bad] : 0,
          bad < one->n_h0 ? plain->h0[bad] : 0, nonzero);
    printf("# %s %s: %zu of %zu H0 entries bit-identical, %zu clusters\n", name,
           i ? "extent" : "mass", bits, one->n_h0, one->n_clusters);
}

static void design(const char *name, const cperm_graph *g, const double *X, int tail,
                   size_t max_step, const uint8_t *exclude, double t_power) {
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.tail = tail;
    o.max_step = max_step;
    o.spatial_exclude = exclude;
    o.n_permutations = 400;
    o.seed = 17;
    const double thr = cperm_t_threshold(0.05, NS - 1, tail);
    o.threshold = thr;
    char nm[128];
    int rc = run_one(g, X, &o, 1, CPERM_ALSO_MASS | CPERM_ALSO_EXTENT, t_power, 1, &A);
    rc |= run_one(g, X, &o, 0, 0, t_power, 1, &B);
    rc |= run_one(g, X, &o, 0, 0, 0.0, 1, &C);
    rc |= run_one(g, X, &o, 1, 0, t_power, 1, &D);
    rc |= run_one(g, X, &o, 1, CPERM_ALSO_MASS | CPERM_ALSO_EXTENT, t_power, 3, &E);
    snprintf(nm, sizeof nm, "also.%s.runs", name);
    CHECK(nm, rc == 0, "a run failed");
    if (rc) return;
    compare(name, &A, 0, &B, 1e-12);
    compare(name, &A, 1, &C, 0);
    snprintf(nm, sizeof nm, "also.%s.tfce_unchanged", name);
    CHECK(nm, A.n_h0 == D.n_h0 && !memcmp(A.tfce_h0, D.tfce_h0, A.n_h0 * sizeof(double)),
          "TFCE H0 differs with tfce_also");
    snprintf(nm, sizeof nm, "also.%s.threads", name);
    CHECK(nm, !memcmp(A.also_h0, E.also_h0, sizeof A.also_h0) &&
          !memcmp(A.also_pv, E.also_pv, sizeof A.also_pv), "3 threads differ from 1");
#if COUNT_ALLOCS
    snprintf(nm, sizeof nm, "also.%s.no_allocation", name);
    CHECK(nm, A.allocs == 0 && E.allocs == 0, "execute allocated %d / %d times", A.allocs,
          E.allocs);
#endif
}

static void validation(const cperm_graph *g) {
    static const struct {
        const char *name;
        int tfce;
        unsigned also;
        double thr, step_down;
        int tail;
    } cases[] = {
        {"also.refused.no_tfce", CPERM_TFCE_NONE, CPERM_ALSO_MASS, 2.0, 0, 0},
        {"also.refused.riemann", CPERM_TFCE_RIEMANN, CPERM_ALSO_MASS, 2.0, 0, 0},
        {"also.refused.no_threshold", CPERM_TFCE_EXACT, CPERM_ALSO_EXTENT, 0.0, 0, 0},
        {"also.refused.step_down", CPERM_TFCE_EXACT, CPERM_ALSO_MASS, 2.0, 0.05, 0},
        {"also.refused.unknown_bit", CPERM_TFCE_EXACT, 4u, 2.0, 0, 0},
        {"also.refused.tail_sign", CPERM_TFCE_EXACT, CPERM_ALSO_MASS, 2.0, 0, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cperm_options o;
        cperm_options_init(&o, CPERM_OPTIONS_VERSION);
        o.tfce = cases[i].tfce;
        o.tfce_also = cases[i].also;
        o.threshold = cases[i].thr;
        o.step_down_p = cases[i].step_down;
        o.tail = cases[i].tail;
        cperm_err err = {0};
        cperm_plan *plan = NULL;
        int rc = cperm_plan_create(&plan, g, NS, NT, &o, &err);
        CHECK(cases[i].name, rc == CPERM_EINVAL && !plan && err.msg[0], "rc %d", rc);
        if (!rc) cperm_plan_free(plan);
        else printf("# %s: %s\n", cases[i].name, err.msg);
    }
    /* the default is off, and a version-3 struct means off */
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    CHECK("also.default_off", o.tfce_also == 0 && CPERM_OPTIONS_VERSION == 4, "%u", o.tfce_also);
}

static void mass_only(const cperm_graph *g, const double *X) {
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.n_permutations = 50;
    o.threshold = 2.5;
    int rc = run_one(g, X, &o, 1, CPERM_ALSO_MASS, 1.0, 1, &A);
    CHECK("also.mass_only", rc == 0 && A.has[0] && !A.has[1], "rc %d mass %d extent %d", rc,
          A.has[0], A.has[1]);
}

int main(void) {
#if COUNT_ALLOCS
    CHECK("also.counter_counts", count_init() == 0, "the counting allocator found no libgomp");
#endif
    cperm_graph *g = grid();
    if (!g) TU_EXIT();
    double *X = malloc(sizeof(double) * NS * NT * NV);
    make_data(X);
    uint8_t excl[NV] = {0};
    for (int v = 0; v < NV; v += 7) excl[v] = 1;
    design("tail0_step1", g, X, 0, 1, NULL, 1.0);
    design("tail1_step1", g, X, 1, 1, NULL, 1.0);
    design("tailm1_step1", g, X, -1, 1, NULL, 1.0);
    design("tail0_step2", g, X, 0, 2, NULL, 1.0);
    design("tail0_exclude", g, X, 0, 1, excl, 1.0);
    design("tail1_step2_tpower2", g, X, 1, 2, excl, 2.0);
    validation(g);
    mass_only(g, X);
    free(X);
    cperm_graph_free(g);
    TU_EXIT();
}
