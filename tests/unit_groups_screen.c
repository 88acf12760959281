/* unit_groups_screen.c - the label-permutation kernel's float32 screen (groups_screen.c):
 * its margin at the threshold, where points are decided by the last bits of MNE's arithmetic.
 *
 * Each trial holds 48 points that are affine copies a * z + b of one column z (so their exact
 * F, or t, is the same number and only rounding tells them apart) and 16 unrelated points.
 * The threshold is the median of the copies' values in MNE's own arithmetic (f_oneway and
 * ttest_ind_no_p written out below in numpy's order of operations), so about half of the
 * copies are above it, one sits exactly at it (not above: MNE's test is strict) and the rest
 * just below. The screen must keep every point whose MNE value passes; it must also drop
 * points (unrelated ones far below), or it would screen nothing. Then the same kind of data
 * runs end to end through the public API and every H0 entry is checked against the
 * test's own F, threshold and chain clusters. */
#include "clusterperm.h"
#include "groups_internal.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_POINTS CPERM_SCREEN_BLOCK
#define N_COPIES 48

/* xorshift64*: the test's own reproducible data */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 0x2545F4914F6CDD1Du) >> 11) * 0x1p-53;
}
static double normal(void) {
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}
static void shuffle(uint32_t *order, size_t n) {
    for (size_t i = 0; i < n; i++) order[i] = (uint32_t)i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(uniform() * (double)(i + 1));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* mne.stats.f_oneway of one point (column p of X, stride P) under `order`: numpy's sums down
 * axis 0 are row after row, reduce() adds left to right, ssbn starts from the int 0. */
static double mne_f(const double *X, size_t P, size_t p, const uint32_t *order,
                    const size_t *sizes, size_t G) {
    double S[CPERM_MAX_GROUPS], Q[CPERM_MAX_GROUPS];
    size_t i = 0, N = 0;
    for (size_t g = 0; g < G; g++) {
        for (size_t e = i + sizes[g]; i < e; i++) {
            const double x = X[(size_t)order[i] * P + p];
            S[g] = i == e - sizes[g] ? x : S[g] + x;
            Q[g] = i == e - sizes[g] ? x * x : Q[g] + x * x;
        }
        N += sizes[g];
    }
    double ss_all = Q[0], tot = S[0];
    for (size_t g = 1; g < G; g++) {
        ss_all = ss_all + Q[g];
        tot = tot + S[g];
    }
    const double sq_all = tot * tot;
    const double sstot = ss_all - sq_all / (double)N;
    double ssbn = S[0] * S[0] / (double)sizes[0];
    for (size_t g = 1; g < G; g++) ssbn += S[g] * S[g] / (double)sizes[g];
    ssbn -= sq_all / (double)N;
    const double sswn = sstot - ssbn;
    const double msb = ssbn / (double)(G - 1), msw = sswn / (double)(N - G);
    return msb / msw;
}

/* mne.stats.ttest_ind_no_p(a, b) (equal_var, sigma 0) of one point: np.mean, np.var(ddof=1)
 * (deviations from that mean, squared, summed row after row), the pooled variance. */
static double mne_t(const double *X, size_t P, size_t p, const uint32_t *order,
                    const size_t *sizes) {
    double m[2], v[2];
    size_t i0 = 0;
    for (size_t g = 0; g < 2; g++) {
        double s = 0.0;
        for (size_t i = i0; i < i0 + sizes[g]; i++) {
            const double x = X[(size_t)order[i] * P + p];
            s = i == i0 ? x : s + x;
        }
        m[g] = s / (double)sizes[g];
        double d2 = 0.0;
        for (size_t i = i0; i < i0 + sizes[g]; i++) {
            const double d = X[(size_t)order[i] * P + p] - m[g];
            d2 = i == i0 ? d * d : d2 + d * d;
        }
        v[g] = d2 / (double)(sizes[g] - 1);
        i0 += sizes[g];
    }
    const double n1 = (double)sizes[0], n2 = (double)sizes[1], df = n1 + n2 - 2.0;
    double var = ((n1 - 1) * v[0] + (n2 - 1) * v[1]) / df;
    var = var * (1.0 / n1 + 1.0 / n2);
    return (m[0] - m[1]) / sqrt(var);
}

static int supra(double v, double thr, int tail) {
    return tail == 0 ? (v > thr || v < -thr) : tail > 0 ? v > thr : v < thr;
}

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* N_COPIES affine copies of one column (scales over 2^+-20, offsets up to 40 spreads, so
 * MNE's sums of squares cancel), then unrelated columns; X is n x N_POINTS. */
static void make_block(double *X, size_t n, size_t n0, double effect) {
    double z[CPERM_SCREEN_MAX_SUBJECTS];
    for (size_t i = 0; i < n; i++) z[i] = normal() + (i % 3 == 0 ? 0.8 : 0.0) + (i < n0 ? effect : 0.0);
    for (size_t p = 0; p < N_POINTS; p++) {
        const double a = ldexp(1.0 + uniform(), (int)(uniform() * 40.0) - 20);
        const double b = p % 4 == 0 ? 0.0 : a * 40.0 * (uniform() - 0.5);
        for (size_t i = 0; i < n; i++)
            X[i * N_POINTS + p] = p < N_COPIES ? a * z[i] + b : a * normal() + b;
    }
}

/* A plan over N_POINTS vertices on a chain (1 time). */
static int make_plan(cperm_plan **plan, cperm_graph **g, const size_t *sizes, size_t G,
                     int stat, int tail, double thr, long n_perm, int jobs, cperm_err *e) {
    int64_t edges[2 * (N_POINTS - 1)];
    for (size_t v = 0; v + 1 < N_POINTS; v++) {
        edges[2 * v] = (int64_t)v;
        edges[2 * v + 1] = (int64_t)v + 1;
    }
    size_t n = 0;
    for (size_t k = 0; k < G; k++) n += sizes[k];
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.design = CPERM_DESIGN_GROUPS;
    o.n_groups = G;
    o.group_sizes = sizes;
    o.statistic = stat;
    o.tail = tail;
    o.threshold = thr;
    o.n_permutations = n_perm;
    o.seed = 1;
    o.n_jobs = jobs;
    int rc = cperm_graph_from_edges(g, N_POINTS, edges, N_POINTS - 1, e);
    if (!rc) rc = cperm_plan_create(plan, *g, n, 1, &o, e);
    return rc;
}

/* One design: `trials` blocks, each with its own order and median threshold. */
static void margin_case(const char *name, const size_t *sizes, size_t G, int stat, int tail,
                        int trials) {
    size_t n = 0;
    for (size_t g = 0; g < G; g++) n += sizes[g];
    double *X = malloc(n * N_POINTS * sizeof *X);
    uint32_t order[CPERM_SCREEN_MAX_SUBJECTS];
    size_t missed = 0, kept_exact = 0, above = 0, below = 0, at = 0, dropped = 0;
    int same_portable = 0;
    int setup_ok = X != NULL;
    for (int t = 0; setup_ok && t < trials; t++) {
        make_block(X, n, sizes[0], 0.0);
        shuffle(order, n);
        double v[N_POINTS], sorted[N_COPIES];
        for (size_t p = 0; p < N_POINTS; p++)
            v[p] = stat == CPERM_STAT_T_IND ? mne_t(X, N_POINTS, p, order, sizes)
                                            : mne_f(X, N_POINTS, p, order, sizes, G);
        memcpy(sorted, v, sizeof sorted);
        qsort(sorted, N_COPIES, sizeof *sorted, cmp_d);
        double thr = sorted[N_COPIES / 2];
        /* the threshold's sign as the tail needs it (t: tail 0 compares |t|) */
        if (tail == 0) thr = fabs(thr);
        if (tail != 0 && (thr > 0) != (tail > 0)) { /* mirror the groups: t changes sign */
            for (size_t i = 0; i < n * N_POINTS; i++) X[i] = -X[i];
            for (size_t p = 0; p < N_POINTS; p++) v[p] = -v[p];
            thr = -thr;
        }
        cperm_graph *g = NULL;
        cperm_plan *plan = NULL;
        cperm_err e = {0};
        cperm_group_screen sc;
        if (make_plan(&plan, &g, sizes, G, stat, tail, thr, 10, 1, &e) ||
            !cperm_group_screen_init(&sc, plan)) {
            setup_ok = 0;
        } else {
            float *tables = malloc(cperm_group_screen_table_floats(&sc) * sizeof(float));
            float bound[N_POINTS], slack[N_POINTS];
            uint8_t pat[CPERM_MAX_GROUPS * CPERM_SCREEN_MAX_SUBJECTS / CPERM_SCREEN_CHUNK];
            uint64_t mask = 0;
            setup_ok = tables != NULL;
            if (tables) {
                cperm_group_screen_block(&sc, X, N_POINTS, 0, N_POINTS, tables, bound, slack);
                cperm_group_screen_patterns(&sc, order, pat);
                cperm_group_screen_orders(&sc, tables, pat, 1, bound, slack, &mask);
                /* the portable screen: the same float operations, the same candidates */
                uint64_t portable = 0;
                sc.use_avx2 = 0;
                cperm_group_screen_orders(&sc, tables, pat, 1, bound, slack, &portable);
                same_portable += portable == mask;
            }
            for (size_t p = 0; p < N_POINTS; p++) {
                const int pass = supra(v[p], thr, tail), kept = (int)(mask >> p & 1);
                missed += pass && !kept;
                if (p < N_COPIES) {
                    above += pass;
                    at += fabs(v[p]) == fabs(thr);
                    below += !pass && fabs(v[p]) != fabs(thr);
                    kept_exact += kept && !pass;
                } else {
                    dropped += !kept;
                }
            }
            free(tables);
        }
        cperm_plan_free(plan);
        cperm_graph_free(g);
    }
    char what[160];
    snprintf(what, sizeof what, "screen.%s.setup", name);
    CHECK(what, setup_ok, "plan or screen refused the design");
    snprintf(what, sizeof what, "screen.%s.straddles", name);
    /* the threshold really splits the copies: above, at and (strictly) below it */
    CHECK(what, above > 0 && below > 0 && at >= (size_t)trials, "above %zu at %zu below %zu",
          above, at, below);
    snprintf(what, sizeof what, "screen.%s.keeps_every_passing_point", name);
    CHECK(what, missed == 0, "%zu points MNE puts above the threshold were dropped", missed);
    snprintf(what, sizeof what, "screen.%s.keeps_the_undecidable", name);
    /* the copies at and just below the threshold are too close to call in float32 */
    CHECK(what, kept_exact > 0, "no copy below the threshold kept");
    snprintf(what, sizeof what, "screen.%s.portable_same", name);
    CHECK(what, same_portable == trials, "%d of %d blocks", same_portable, trials);
    snprintf(what, sizeof what, "screen.%s.drops", name);
    CHECK(what, dropped > 0, "no unrelated point dropped in %d trials", trials);
    free(X);
}

/* The chain's largest cluster sum (MNE's np.max over clusters, negative ones too; 0 without
 * a cluster). */
static double chain_h0(const double *v, double thr, int tail) {
    double best = -INFINITY, cur = 0.0;
    int open = 0, sign = 0;
    for (size_t p = 0; p < N_POINTS; p++) {
        const int s = supra(v[p], thr, tail) ? (v[p] > 0 ? 1 : -1) : 0;
        if (s && open && s == sign) {
            cur += v[p];
        } else if (s) {
            if (open && cur > best) best = cur;
            cur = v[p];
            open = 1;
            sign = s;
        } else {
            if (open && cur > best) best = cur;
            open = 0;
        }
    }
    if (open && cur > best) best = cur;
    return best == -INFINITY ? 0.0 : best;
}

static void values(const double *X, const uint32_t *order, const size_t *sizes, size_t G,
                   int stat, double *v) {
    for (size_t p = 0; p < N_POINTS; p++)
        v[p] = stat == CPERM_STAT_T_IND ? mne_t(X, N_POINTS, p, order, sizes)
                                        : mne_f(X, N_POINTS, p, order, sizes, G);
}

/* End to end, tails 0 and 1: the copies differ between the groups (so all are observed
 * above the threshold and H0 is needed), and the threshold is the median of the copies'
 * values under a permuted order, so that order is decided by rounding inside the kernel.
 * Every H0 entry against the test's own values and chain clusters. */
static void end_to_end(const char *name, const size_t *sizes, size_t G, int stat, int tail,
                       int jobs) {
    size_t n = 0;
    for (size_t g = 0; g < G; g++) n += sizes[g];
    enum { NPERM = 200 };
    double *X = malloc(n * N_POINTS * sizeof *X);
    uint32_t *orders = malloc((NPERM - 1) * n * sizeof *orders);
    uint32_t identity[CPERM_SCREEN_MAX_SUBJECTS];
    for (size_t i = 0; i < n; i++) identity[i] = (uint32_t)i;
    char what[160];
    cperm_graph *g = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err e = {0};
    /* the plan's orders do not depend on the threshold: read them from a first plan */
    int rc = X && orders ? make_plan(&plan, &g, sizes, G, stat, tail, 1.0, NPERM, jobs, &e) : -1;
    if (!rc) rc = cperm_plan_label_orders(plan, 0, NPERM - 1, orders, &e);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    plan = NULL;
    g = NULL;
    double thr = 0.0, v[N_POINTS], obs[N_POINTS], sorted[N_COPIES];
    size_t probe = SIZE_MAX;
    if (!rc) {
        make_block(X, n, sizes[0], 2.5);
        values(X, identity, sizes, G, stat, obs);
        double lowest = INFINITY;
        for (size_t p = 0; p < N_COPIES; p++) lowest = fmin(lowest, tail == 0 ? fabs(obs[p]) : obs[p]);
        for (size_t k = 0; k + 1 < NPERM && probe == SIZE_MAX; k++) {
            values(X, orders + k * n, sizes, G, stat, v);
            memcpy(sorted, v, sizeof sorted);
            qsort(sorted, N_COPIES, sizeof *sorted, cmp_d);
            const double m = tail == 0 ? fabs(sorted[N_COPIES / 2]) : sorted[N_COPIES / 2];
            if (m > 0.5 && m < lowest) {
                probe = k;
                thr = m;
            }
        }
    }
    if (!rc && probe != SIZE_MAX) rc = make_plan(&plan, &g, sizes, G, stat, tail, thr, NPERM, jobs, &e);
    if (!rc && probe != SIZE_MAX) rc = cperm_run_create(&run, plan, &e);
    if (!rc && probe != SIZE_MAX) rc = cperm_plan_execute(plan, X, run, &e);
    snprintf(what, sizeof what, "screen.e2e.%s.runs", name);
    CHECK(what, rc == 0 && probe != SIZE_MAX, "rc %d: %s (probe order %zu)", rc, e.msg, probe);
    if (!rc && probe != SIZE_MAX) {
        size_t nh = 0, bad = SIZE_MAX, nonzero = 0, above = 0;
        const double *h0 = cperm_run_h0(run, &nh);
        for (size_t k = 0; nh == NPERM && k + 1 < NPERM; k++) {
            values(X, orders + k * n, sizes, G, stat, v);
            const double want = chain_h0(v, thr, tail);
            nonzero += want != 0;
            if (k == probe)
                for (size_t p = 0; p < N_COPIES; p++) above += supra(v[p], thr, tail);
            if (fabs(h0[1 + k] - want) > 1e-12 * fmax(1.0, fabs(want)) && bad == SIZE_MAX) bad = k;
        }
        snprintf(what, sizeof what, "screen.e2e.%s.h0", name);
        CHECK(what, nh == NPERM && bad == SIZE_MAX, "n_h0 %zu, first wrong order %zu (got %.17g)",
              nh, bad, bad == SIZE_MAX ? 0.0 : h0[1 + bad]);
        snprintf(what, sizeof what, "screen.e2e.%s.h0_nontrivial", name);
        CHECK(what, nonzero > 0 && cperm_run_n_clusters(run) > 0, "%zu nonzero H0 entries, %zu "
              "clusters", nonzero, cperm_run_n_clusters(run));
        snprintf(what, sizeof what, "screen.e2e.%s.probe_split", name);
        CHECK(what, above > 0 && above < N_COPIES, "%zu of %d copies above under order %zu",
              above, N_COPIES, probe);
    }
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(g);
    free(X);
    free(orders);
}

int main(void) {
    const size_t two[2] = {16, 16}, uneven[2] = {7, 12}, three[3] = {10, 12, 10};
    margin_case("f_16_16", two, 2, CPERM_STAT_F_ONEWAY, 1, 60);
    margin_case("f_16_16_tail0", two, 2, CPERM_STAT_F_ONEWAY, 0, 30);
    margin_case("f_7_12", uneven, 2, CPERM_STAT_F_ONEWAY, 1, 60);
    margin_case("f_three", three, 3, CPERM_STAT_F_ONEWAY, 1, 60);
    margin_case("t_tail0", two, 2, CPERM_STAT_T_IND, 0, 60);
    margin_case("t_tail1", uneven, 2, CPERM_STAT_T_IND, 1, 60);
    margin_case("t_tailm1", two, 2, CPERM_STAT_T_IND, -1, 60);
    end_to_end("f_16_16_j1", two, 2, CPERM_STAT_F_ONEWAY, 1, 1);
    end_to_end("f_16_16_j2", two, 2, CPERM_STAT_F_ONEWAY, 1, 2);
    end_to_end("f_three", three, 3, CPERM_STAT_F_ONEWAY, 1, 2);
    end_to_end("t_tail0", uneven, 2, CPERM_STAT_T_IND, 0, 2);
    TU_EXIT();
}
