/* unit_maxt.c - the max-T test (cperm_permutation_t_test) and the FDR / Bonferroni
 * corrections on hand-computed cases, properties (threads, windows, negation) and errors. */
#include "clusterperm.h"
#include "orders_internal.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_d(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

/* X = (1, 2, 4), one test. Signed sums S give t = |S|/3 / sqrt((7 - S^2/9) * 1.5 / 3):
 * S = +-1: 1/sqrt(31), +-3: 1/sqrt(3), +-5: 5/sqrt(19), +-7: sqrt(7) = T_obs. */
static void test_one_column(void) {
    const double X[3] = {1.0, 2.0, 4.0};
    double t, p, h0[8];
    size_t n_h0 = 0;
    int exact = 0;
    cperm_err err = {0};
    /* tail 0, exact: orders 001, 010, 011 (0 = flipped): S = 1, -3, 5 */
    int rc = cperm_permutation_t_test_h0_len(&n_h0, &exact, 3, 1000, 0, &err);
    CHECK("one.len_tail0", rc == 0 && n_h0 == 4 && exact == 1, "rc %d n_h0 %zu exact %d", rc,
          n_h0, exact);
    rc = cperm_permutation_t_test(&t, &p, h0, 8, &n_h0, X, 3, 1, 1000, 0, 0, 1, &err);
    CHECK("one.rc_tail0", rc == 0 && n_h0 == 4, "rc %d n_h0 %zu: %s", rc, n_h0, err.msg);
    CHECK_CLOSE("one.tobs", t, sqrt(7.0), 1e-15);
    const double want0[4] = {1 / sqrt(31.0), 1 / sqrt(3.0), 5 / sqrt(19.0), sqrt(7.0)};
    for (int k = 0; k < 4; k++) CHECK_CLOSE("one.h0_tail0", h0[k], want0[k], 1e-15);
    CHECK("one.p_tail0", p == 0.25, "p %.17g", p);
    /* tail 1, exact: all 7 non-identity patterns, S = 1, -3, 5, -5, 3, -1, 7 */
    rc = cperm_permutation_t_test(&t, &p, h0, 8, &n_h0, X, 3, 1, 1000, 1, 0, 1, &err);
    CHECK("one.rc_tail1", rc == 0 && n_h0 == 8, "rc %d n_h0 %zu", rc, n_h0);
    for (int k = 0; k < 8; k++) CHECK_CLOSE("one.h0_tail1", h0[k], want0[k / 2], 1e-15);
    CHECK("one.p_tail1", p == 0.25, "p %.17g", p);
    /* tail -1 compares -H0 <= T: every entry, T being positive */
    rc = cperm_permutation_t_test(&t, &p, h0, 8, &n_h0, X, 3, 1, 1000, -1, 0, 1, &err);
    CHECK("one.p_tailm1", rc == 0 && p == 1.0, "rc %d p %.17g", rc, p);
}

/* Two tests, X = [[1, -3], [2, 1], [4, 2]]. Column 2 sums to 0 (T = 0); its signed sums for
 * orders 001, 010, 011 are 4, 2, 6: t = 4/sqrt(13), 2/sqrt(19), 2 sqrt(3). H0 is the larger
 * of the two columns per order, plus max |T| = sqrt(7). */
static void test_two_columns(void) {
    const double X[6] = {1.0, -3.0, 2.0, 1.0, 4.0, 2.0};
    double t[2], p[2], h0[4];
    size_t n_h0 = 0;
    cperm_err err = {0};
    int rc = cperm_permutation_t_test(t, p, h0, 4, &n_h0, X, 3, 2, 5000, 0, 123, 2, &err);
    CHECK("two.rc", rc == 0 && n_h0 == 4, "rc %d n_h0 %zu: %s", rc, n_h0, err.msg);
    CHECK_CLOSE("two.tobs0", t[0], sqrt(7.0), 1e-15);
    CHECK("two.tobs1", t[1] == 0.0, "T %.17g", t[1]);
    const double want[4] = {1 / sqrt(3.0), 4 / sqrt(13.0), sqrt(7.0), 2 * sqrt(3.0)};
    for (int k = 0; k < 4; k++) CHECK_CLOSE("two.h0", h0[k], want[k], 1e-14);
    CHECK("two.p", p[0] == 0.5 && p[1] == 1.0, "p %.17g %.17g", p[0], p[1]);
}

/* Deterministic heavy-ish data without libm randomness: a scrambled sequence. */
static void fill_data(double *X, size_t n, double shift) {
    uint64_t s = 0x243f6a8885a308d3ULL;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = (double)(s >> 11) / 9007199254740992.0;
        X[i] = (u - 0.5) * (1.0 + 3.0 * u * u) + shift;
    }
}

/* The orders straight from cperm_orders_1samp and MNE's formula with plain loops: the
 * windows, blocks of orders and thread ranges must not change a bit. */
static void test_reference_and_threads(void) {
    enum { N = 25, P = 7 };
    const long NPERM = 2500; /* three windows of orders */
    double X[N * P], t[P], p[P];
    fill_data(X, N * P, 0.2);
    size_t len = 0;
    cperm_err err = {0};
    int rc = cperm_permutation_t_test_h0_len(&len, NULL, N, NPERM, 1, &err);
    CHECK("ref.len", rc == 0 && len == (size_t)NPERM, "rc %d len %zu", rc, len);
    double *h0 = malloc(len * sizeof *h0), *ref = malloc(len * sizeof *ref);
    double *h0b = malloc(len * sizeof *h0b);
    uint8_t *orders = NULL;
    size_t n_orders = 0;
    int exact = -1;
    rc = cperm_orders_1samp(&orders, &n_orders, &exact, N, NPERM, 1, 99, &err);
    CHECK("ref.orders", rc == 0 && n_orders + 1 == len && exact == 0, "rc %d", rc);
    if (!h0 || !ref || !h0b || rc) goto done;
    double mu[P] = {0}, x2[P] = {0};
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < P; j++) {
            mu[j] += X[i * P + j];
            x2[j] += X[i * P + j] * X[i * P + j];
        }
    const double dof = sqrt(N / (N - 1.0));
    double tmax = 0;
    for (size_t j = 0; j < P; j++) {
        mu[j] /= N;
        x2[j] /= N;
        const double tj = fabs(mu[j] / (sqrt(x2[j] - mu[j] * mu[j]) * dof / sqrt((double)N)));
        if (tj > tmax) tmax = tj;
    }
    for (size_t k = 0; k < n_orders; k++) {
        double m = 0;
        for (size_t j = 0; j < P; j++) {
            double s = 0.0;
            for (size_t i = 0; i < N; i++)
                s += orders[k * N + i] ? X[i * P + j] : -X[i * P + j];
            const double mk = s / N;
            const double tk = fabs(mk) / (sqrt(x2[j] - mk * mk) * dof / sqrt((double)N));
            if (tk > m) m = tk;
        }
        ref[k] = m;
    }
    ref[n_orders] = tmax;
    qsort(ref, len, sizeof *ref, cmp_d);
    size_t got = 0;
    rc = cperm_permutation_t_test(t, p, h0, len, &got, X, N, P, NPERM, 1, 99, 1, &err);
    CHECK("ref.rc", rc == 0 && got == len, "rc %d: %s", rc, err.msg);
    CHECK("ref.h0_bits", memcmp(h0, ref, len * sizeof *h0) == 0, "H0 differs from the loops");
    size_t cnt = 0;
    for (size_t k = 0; k < len; k++) cnt += h0[k] >= t[0];
    CHECK("ref.pvalue_rule", p[0] == (double)cnt / (double)len, "p %.17g", p[0]);
    for (int jobs = 0; jobs <= 5; jobs += 5) {
        double t2[P], p2[P];
        rc = cperm_permutation_t_test(t2, p2, h0b, len, &got, X, N, P, NPERM, 1, 99, jobs, &err);
        CHECK("ref.threads_identical", rc == 0 && !memcmp(h0, h0b, len * sizeof *h0) &&
              !memcmp(t, t2, sizeof t) && !memcmp(p, p2, sizeof p), "n_jobs %d", jobs);
    }
    /* -X: T changes sign, H0 stays, tail 1 of X is tail -1 of -X */
    double Xn[N * P], tn[P], pn[P];
    for (size_t i = 0; i < N * P; i++) Xn[i] = -X[i];
    rc = cperm_permutation_t_test(tn, pn, h0b, len, &got, Xn, N, P, NPERM, -1, 99, 3, &err);
    int neg_ok = rc == 0 && !memcmp(h0, h0b, len * sizeof *h0);
    for (size_t j = 0; j < P; j++) neg_ok &= tn[j] == -t[j] && pn[j] == p[j];
    CHECK("ref.negation_swaps_tails", neg_ok, "rc %d", rc);
done:
    free(orders);
    free(h0);
    free(ref);
    free(h0b);
}

/* A zero column: 0/0 in every t, so every H0 entry is NaN (np.max) and no p-value counts. */
static void test_nan_column(void) {
    double X[8 * 3], t[3], p[3], h0[64];
    size_t n_h0 = 0;
    cperm_err err = {0};
    fill_data(X, 8 * 3, 0.0);
    for (int i = 0; i < 8; i++) X[i * 3 + 1] = 0.0;
    int rc = cperm_permutation_t_test(t, p, h0, 64, &n_h0, X, 8, 3, 50, 0, 1, 1, &err);
    int all_nan = rc == 0 && n_h0 == 50;
    for (size_t k = 0; k < n_h0; k++) all_nan &= isnan(h0[k]);
    CHECK("nan.h0_all_nan", all_nan, "rc %d n_h0 %zu", rc, n_h0);
    CHECK("nan.tobs", isnan(t[1]) && isfinite(t[0]) && isfinite(t[2]), "T %g %g %g", t[0],
          t[1], t[2]);
    CHECK("nan.pvalues_zero", p[0] == 0 && p[1] == 0 && p[2] == 0, "p %g %g %g", p[0], p[1],
          p[2]);
}

static void test_lengths_and_errors(void) {
    struct { size_t n; long perm; int tail; size_t len; int exact; } cases[] = {
        {6, 1000, 0, 32, 1}, {6, CPERM_PERMUTATIONS_ALL, 0, 31, 0},
        {6, CPERM_PERMUTATIONS_ALL, 1, 63, 0}, {6, 63, 1, 63, 0}, {6, 64, 1, 64, 1},
        {12, 1000, -1, 1000, 0}, {2, 2, 0, 2, 1}, {40, 2, 1, 2, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t len = 0;
        int exact = -1;
        int rc = cperm_permutation_t_test_h0_len(&len, &exact, cases[c].n, cases[c].perm,
                                                 cases[c].tail, NULL);
        CHECK("len.table", rc == 0 && len == cases[c].len && exact == cases[c].exact,
              "case %zu: rc %d len %zu exact %d", c, rc, len, exact);
    }
    cperm_err err = {0};
    size_t len = 7;
    CHECK("err.one_permutation",
          cperm_permutation_t_test_h0_len(&len, NULL, 8, 1, 0, &err) == CPERM_EINVAL &&
          len == 7 && err.code == CPERM_EINVAL && strstr(err.msg, "no permutation"),
          "%s", err.msg);
    CHECK("err.all_two_samples",
          cperm_permutation_t_test_h0_len(&len, NULL, 2, CPERM_PERMUTATIONS_ALL, 0, NULL) ==
          CPERM_EINVAL, "accepted");
    CHECK("err.one_sample", cperm_permutation_t_test_h0_len(&len, NULL, 1, 10, 1, NULL) ==
          CPERM_EINVAL, "accepted");
    CHECK("err.tail", cperm_permutation_t_test_h0_len(&len, NULL, 5, 10, 2, NULL) ==
          CPERM_EINVAL, "accepted");
    CHECK("err.too_many", cperm_permutation_t_test_h0_len(&len, NULL, 5, 200000000L, 0, NULL)
          == CPERM_EINVAL, "accepted");
    CHECK("err.all_too_many",
          cperm_permutation_t_test_h0_len(&len, NULL, 40, CPERM_PERMUTATIONS_ALL, 1, NULL) ==
          CPERM_EINVAL, "accepted");

    double X[5 * 2], t[2] = {42, 42}, p[2] = {42, 42}, h0[10];
    fill_data(X, 10, 0.1);
    size_t n_h0 = 0;
    int rc = cperm_permutation_t_test(t, p, h0, 9, &n_h0, X, 5, 2, 10, 0, 0, 1, &err);
    CHECK("err.small_buffer", rc == CPERM_EINVAL && n_h0 == 10 && t[0] == 42 && p[0] == 42,
          "rc %d n_h0 %zu", rc, n_h0);
    CHECK("err.no_tests", cperm_permutation_t_test(t, p, h0, 10, NULL, X, 5, 0, 10, 0, 0, 1,
                                                   NULL) == CPERM_EINVAL, "accepted");
    CHECK("err.null_x", cperm_permutation_t_test(t, p, h0, 10, NULL, NULL, 5, 2, 10, 0, 0, 1,
                                                 NULL) == CPERM_EINVAL, "accepted");
    rc = cperm_permutation_t_test(t, p, h0, 10, NULL, X, 5, 2, 10, 0, 0, 1, NULL);
    CHECK("ok.null_n_h0", rc == 0 && p[0] > 0 && p[0] <= 1, "rc %d", rc);
}

static void test_fdr(void) {
    uint8_t rej[5];
    double pc[5];
    cperm_err err = {0};
    /* sorted 0.01 0.03 0.04 0.5, ECDF .25 .5 .75 1: only 0.01 < .0125; p / ECDF = .04 .06
     * .0533 .5, running minimum from the top: .04 .0533 .0533 .5 */
    const double p1[4] = {0.01, 0.04, 0.03, 0.5};
    int rc = cperm_fdr_correction(rej, pc, p1, 4, 0.05, CPERM_FDR_INDEP, &err);
    CHECK("fdr.indep_rc", rc == 0, "rc %d", rc);
    CHECK("fdr.indep_reject", rej[0] == 1 && rej[1] == 0 && rej[2] == 0 && rej[3] == 0,
          "%d %d %d %d", rej[0], rej[1], rej[2], rej[3]);
    CHECK_CLOSE("fdr.indep_p0", pc[0], 0.04, 1e-15);
    CHECK_CLOSE("fdr.indep_p1", pc[1], 0.04 / 0.75, 1e-15);
    CHECK("fdr.indep_cummin", pc[2] == pc[1], "%.17g %.17g", pc[2], pc[1]);
    CHECK_CLOSE("fdr.indep_p3", pc[3], 0.5, 1e-15);
    /* a hole filled: sorted .001 .03 .036 .9 pass, fail, pass, fail -> first three rejected */
    const double p2[4] = {0.9, 0.036, 0.001, 0.03};
    rc = cperm_fdr_correction(rej, pc, p2, 4, 0.05, CPERM_FDR_INDEP, &err);
    CHECK("fdr.hole_filled", rc == 0 && rej[0] == 0 && rej[1] && rej[2] && rej[3],
          "%d %d %d %d", rej[0], rej[1], rej[2], rej[3]);
    /* negcorr: ECDF / (1 + 1/2 + 1/3 + 1/4) = ECDF * 12/25: 0.01 < .25 * .48 * .05 = .006? no */
    rc = cperm_fdr_correction(rej, pc, p1, 4, 0.05, CPERM_FDR_NEGCORR, &err);
    CHECK("fdr.negcorr_reject", rc == 0 && !rej[0] && !rej[1] && !rej[2] && !rej[3], "rc %d",
          rc);
    CHECK_CLOSE("fdr.negcorr_p0", pc[0], 0.04 * 25.0 / 12.0, 1e-15);
    CHECK("fdr.negcorr_clip", pc[3] == 1.0, "%.17g", pc[3]); /* .5 * 25/12 > 1 */
    /* ties, 0 and 1: sorted 0 .02 .02 1 1, raw 0 .05 .0333 1.25 1 -> 0 .0333 .0333 1 1;
     * .02 < .02 fails, .02 < .03 passes, so both tied values are rejected */
    const double p3[5] = {0.0, 1.0, 0.02, 0.02, 1.0};
    rc = cperm_fdr_correction(rej, pc, p3, 5, 0.05, CPERM_FDR_INDEP, &err);
    CHECK("fdr.ties_reject", rc == 0 && rej[0] && !rej[1] && rej[2] && rej[3] && !rej[4],
          "%d %d %d %d %d", rej[0], rej[1], rej[2], rej[3], rej[4]);
    CHECK("fdr.ties_values", pc[0] == 0.0 && pc[1] == 1.0 && pc[4] == 1.0 && pc[2] == pc[3],
          "%g %g %g %g %g", pc[0], pc[1], pc[2], pc[3], pc[4]);
    CHECK_CLOSE("fdr.ties_p2", pc[2], 0.02 / 0.6, 1e-15);
    /* a NaN: sorted last, so the running minimum is NaN everywhere; decisions still made */
    const double p4[3] = {0.01, NAN, 0.2};
    rc = cperm_fdr_correction(rej, pc, p4, 3, 0.05, CPERM_FDR_INDEP, &err);
    CHECK("fdr.nan", rc == 0 && isnan(pc[0]) && isnan(pc[1]) && isnan(pc[2]) && rej[0] &&
          !rej[1] && !rej[2], "rc %d", rc);
    /* in place, and n = 0 */
    double p5[4] = {0.01, 0.04, 0.03, 0.5};
    rc = cperm_fdr_correction(rej, p5, p5, 4, 0.05, CPERM_FDR_NEGCORR, &err);
    CHECK_CLOSE("fdr.in_place", p5[0], 0.04 * 25.0 / 12.0, 1e-15);
    CHECK("fdr.empty", cperm_fdr_correction(NULL, NULL, NULL, 0, 0.05, 0, &err) == 0, "fails");
    CHECK("fdr.bad_method", cperm_fdr_correction(rej, pc, p1, 4, 0.05, 2, &err) ==
          CPERM_EINVAL, "accepted");
    CHECK("fdr.null", cperm_fdr_correction(rej, NULL, p1, 4, 0.05, 0, &err) == CPERM_EINVAL,
          "accepted");
}

static void test_bonferroni(void) {
    const double p[4] = {0.01, 0.2, 0.5, NAN};
    uint8_t rej[4];
    double pc[4];
    int rc = cperm_bonferroni_correction(rej, pc, p, 4, 0.05, NULL);
    CHECK("bonf.values", rc == 0 && pc[0] == 0.04 && pc[1] == 0.8 && pc[2] == 1.0 &&
          isnan(pc[3]), "%g %g %g %g", pc[0], pc[1], pc[2], pc[3]);
    CHECK("bonf.reject", rej[0] && !rej[1] && !rej[2] && !rej[3], "%d %d %d %d", rej[0],
          rej[1], rej[2], rej[3]);
    CHECK("bonf.null", cperm_bonferroni_correction(rej, NULL, p, 4, 0.05, NULL) ==
          CPERM_EINVAL, "accepted");
}

int main(void) {
    test_one_column();
    test_two_columns();
    test_reference_and_threads();
    test_nan_column();
    test_lengths_and_errors();
    test_fdr();
    test_bonferroni();
    TU_EXIT();
}
