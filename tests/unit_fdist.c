/* unit_fdist.c - the F distribution against closed forms, printed F tables and scipy's bits; MNE's effect order and f_threshold_mway_rm's degrees of freedom and errors. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Closed forms: F(1, 1) is atan's, F(2, m) and F(n, 2) are powers (I_w(1, b) = 1 - (1-w)^b,
 * I_w(a, 1) = w^a). The CDF is accurate to ~1e-15; the quantile is cephes' Newton search,
 * stopped at |dx/x| < 128 eps, so 1e-12. */
static void test_closed_forms(void) {
    static const double xs[] = {1e-6, 0.013, 0.4, 1.0, 2.7182818, 19.5, 4321.0};
    static const double ps[] = {1e-9, 0.001, 0.05, 0.3, 0.5, 0.77, 0.95, 0.999, 1 - 1e-9};
    char name[128];
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i];
        double w5 = 5.0 * x / (2.0 + 5.0 * x);
        snprintf(name, sizeof name, "f_cdf(%g, 1, 1) = 2/pi atan(sqrt x)", x);
        CHECK_CLOSE(name, cperm_f_cdf(x, 1, 1), 2.0 / M_PI * atan(sqrt(x)), 4e-15);
        snprintf(name, sizeof name, "f_cdf(%g, 2, 7) = 1 - (1 + 2x/7)^-3.5", x);
        CHECK_CLOSE(name, cperm_f_cdf(x, 2, 7), -expm1(-3.5 * log1p(2.0 * x / 7.0)), 4e-15);
        snprintf(name, sizeof name, "f_cdf(%g, 5, 2) = (5x / (2 + 5x))^2.5", x);
        CHECK_CLOSE(name, cperm_f_cdf(x, 5, 2), pow(w5, 2.5), 4e-15);
    }
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        /* fdtri works on y = 1 - p and inverts at 1 - y: below p ~ 1e-3 that rounding (scipy's
         * too) is the quantile's main error, so the closed forms take the p actually inverted.
         * Near p = 1 tan is taken as a cotangent of the exact 1 - p. */
        double p = 1.0 - (1.0 - ps[i]), want, got;
        want = p < 0.5 ? pow(tan(M_PI * p / 2.0), 2.0) : pow(1.0 / tan(M_PI * (1.0 - p) / 2.0), 2.0);
        got = cperm_f_ppf(p, 1, 1);
        snprintf(name, sizeof name, "f_ppf(%g, 1, 1) = tan(pi p / 2)^2", p);
        CHECK(name, fabs(got - want) <= 1e-12 * want, "got %.17g want %.17g", got, want);
        want = p / (1.0 - p);
        got = cperm_f_ppf(p, 2, 2);
        snprintf(name, sizeof name, "f_ppf(%g, 2, 2) = p / (1 - p)", p);
        CHECK(name, fabs(got - want) <= 1e-12 * want, "got %.17g want %.17g", got, want);
        want = 4.5 * expm1(-log1p(-p) / 4.5); /* dfn 2, dfd 9: (m/2)((1-p)^(-2/m) - 1) */
        got = cperm_f_ppf(p, 2, 9);
        snprintf(name, sizeof name, "f_ppf(%g, 2, 9) closed form", p);
        CHECK(name, fabs(got - want) <= 1e-12 * want, "got %.17g want %.17g", got, want);
        /* the CDF undoes the quantile (real df, both sides of the mean) */
        got = cperm_f_cdf(cperm_f_ppf(p, 3.7, 41.2), 3.7, 41.2);
        snprintf(name, sizeof name, "f_cdf(f_ppf(%g, 3.7, 41.2)) = p", p);
        CHECK(name, fabs(got - p) <= 1e-12 * fmin(p, 1.0 - p) + 1e-16, "got %.17g", got);
    }
}

/* Printed upper 5% and 1% points (Fisher & Yates / NIST tables, 4 significant digits) and
 * scipy 1.10's own doubles (scipy.stats.f.ppf / .cdf on this platform, as hex). */
static void test_reference_values(void) {
    static const struct { double p, dfn, dfd, want; } table[] = {
        {0.95, 1, 10, 4.965},  {0.95, 5, 10, 3.326},  {0.95, 2, 27, 3.354},
        {0.95, 4, 60, 2.525},  {0.99, 2, 20, 5.849},  {0.99, 10, 10, 4.849},
        {0.95, 120, 120, 1.352}, {0.99, 1, 1, 4052.0}};
    char name[128];
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        double got = cperm_f_ppf(table[i].p, table[i].dfn, table[i].dfd);
        snprintf(name, sizeof name, "f_ppf(%g, %g, %g) = table %g", table[i].p, table[i].dfn,
                 table[i].dfd, table[i].want);
        CHECK(name, fabs(got - table[i].want) <= 5e-4 * table[i].want, "got %.17g", got);
    }
    /* bit patterns: a quantile whose search ends in Newton, one from halving (dfn <= 2), and
     * one reflected (p > 1/2 side) */
    CHECK("f_ppf(0.95, 3, 4) is scipy's 0x1.a5d934605f2d0p+2",
          cperm_f_ppf(0.95, 3, 4) == 0x1.a5d934605f2d0p+2, "got %a", cperm_f_ppf(0.95, 3, 4));
    CHECK("f_ppf(0.05, 5, 10) is scipy's 0x1.b0849b86c9801p-3",
          cperm_f_ppf(0.05, 5, 10) == 0x1.b0849b86c9801p-3, "got %a", cperm_f_ppf(0.05, 5, 10));
    CHECK("f_ppf(0.5, 1, 1) is scipy's 0x1.0000000000006p+0 (not 1: the search's stop)",
          cperm_f_ppf(0.5, 1, 1) == 0x1.0000000000006p+0, "got %a", cperm_f_ppf(0.5, 1, 1));
    CHECK("f_cdf(2.5, 5, 10) is scipy's 0x1.cbc65b8b64009p-1",
          cperm_f_cdf(2.5, 5, 10) == 0x1.cbc65b8b64009p-1, "got %a", cperm_f_cdf(2.5, 5, 10));
    CHECK("f_threshold(0.05, 1, 9) is MNE's 5.117355029199227 (2x2 design, 10 subjects)",
          cperm_f_threshold(0.05, 1, 9) == 5.117355029199227, "got %.17g",
          cperm_f_threshold(0.05, 1, 9));
}

static void test_edges(void) {
    CHECK("f_cdf at 0 and below is 0", cperm_f_cdf(0.0, 3, 4) == 0.0 && cperm_f_cdf(-2.0, 3, 4) == 0.0,
          "got %g", cperm_f_cdf(-2.0, 3, 4));
    CHECK("f_cdf(inf) is 1", cperm_f_cdf(INFINITY, 3, 4) == 1.0, "got %g", cperm_f_cdf(INFINITY, 3, 4));
    CHECK("f_cdf NaN for NaN x, df <= 0, NaN df",
          isnan(cperm_f_cdf(NAN, 3, 4)) && isnan(cperm_f_cdf(1, 0, 4)) &&
              isnan(cperm_f_cdf(1, 3, -1)) && isnan(cperm_f_cdf(0.0, NAN, 4)),
          "not NaN");
    CHECK("f_cdf with dfd = inf is 0 (scipy's fdtr: the weight underflows)",
          cperm_f_cdf(1.0, 4, INFINITY) == 0.0, "got %g", cperm_f_cdf(1.0, 4, INFINITY));
    CHECK("f_ppf(0) = 0, f_ppf(1) = inf",
          cperm_f_ppf(0.0, 3, 4) == 0.0 && isinf(cperm_f_ppf(1.0, 3, 4)), "got %g %g",
          cperm_f_ppf(0.0, 3, 4), cperm_f_ppf(1.0, 3, 4));
    CHECK("f_ppf NaN outside [0, 1], for NaN and df <= 0",
          isnan(cperm_f_ppf(-0.1, 3, 4)) && isnan(cperm_f_ppf(1.1, 3, 4)) &&
              isnan(cperm_f_ppf(NAN, 3, 4)) && isnan(cperm_f_ppf(0.5, 0, 4)) &&
              isnan(cperm_f_ppf(0.5, 3, NAN)),
          "not NaN");
    CHECK("f_threshold(p) = f_ppf(1 - p): inf at p = 0, 0 at p = 1, NaN for p = 2",
          isinf(cperm_f_threshold(0.0, 2, 9)) && cperm_f_threshold(1.0, 2, 9) == 0.0 &&
              isnan(cperm_f_threshold(2.0, 2, 9)) &&
              cperm_f_threshold(0.01, 3, 36) == cperm_f_ppf(1.0 - 0.01, 3, 36),
          "mismatch");
    /* the quantile is increasing in p, on a fine grid across both search branches */
    double prev = 0.0;
    int mono = 1;
    for (int i = 1; i < 2000; i++) {
        double q = cperm_f_ppf(i / 2000.0, 2.5, 17.0);
        if (!(q > prev)) mono = 0;
        prev = q;
    }
    CHECK("f_ppf(p, 2.5, 17) strictly increasing over 1999 p", mono, "not monotone");
}

static int masks_are(const char *effects, size_t n_factors, const uint32_t *want, size_t n_want) {
    uint32_t got[16];
    size_t n = 99;
    cperm_err err = {0};
    if (cperm_f_mway_effects(got, 16, &n, n_factors, effects, &err) != 0) return 0;
    return n == n_want && memcmp(got, want, n * sizeof *got) == 0;
}

static void test_effects(void) {
    /* MNE's order of all effects for 3 factors: A, B, A:B, C, A:C, B:C, A:B:C = masks 1..7 */
    static const uint32_t all3[7] = {1, 2, 3, 4, 5, 6, 7};
    CHECK("effects 'A*B*C' (3 factors) = A, B, A:B, C, A:C, B:C, A:B:C",
          masks_are("A*B*C", 3, all3, 7), "wrong");
    CHECK("effects 'all' (3 factors) = the same 7", masks_are("all", 3, all3, 7), "wrong");
    CHECK("effects 'A*B' (3 factors) = A, B, A:B", masks_are("A*B", 3, all3, 3), "wrong");
    CHECK("effects NULL = MNE's default 'A*B'", masks_are(NULL, 2, all3, 3), "wrong");
    CHECK("effects 'A*C' (3 factors) = MNE's prefix A, B, A:B, C, A:C", masks_are("A*C", 3, all3, 5),
          "wrong");
    CHECK("effects 'A:C' = the single mask 5", masks_are("A:C", 3, (const uint32_t[]){5}, 1), "wrong");
    CHECK("effects 'B+A' = B then A, as given", masks_are("B+A", 2, (const uint32_t[]){2, 1}, 2),
          "wrong");
    CHECK("effects 'C' = mask 4", masks_are("C", 3, (const uint32_t[]){4}, 1), "wrong");

    static const char *bad[] = {"B:A", "A*B:C", "A+B:C", "AB", "", "*", "A+", "D", "a",
                                "A::B", "B*A", "A:A", "Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[64];
        cperm_err err = {0};
        size_t n = 99;
        int rc = cperm_f_mway_effects(NULL, 0, &n, 3, bad[i], &err);
        snprintf(name, sizeof name, "effects \"%s\" rejected as MNE does", bad[i]);
        CHECK(name, rc == CPERM_EINVAL && err.code == CPERM_EINVAL && err.msg[0] && n == 0,
              "rc %d n %zu", rc, n);
    }
    size_t n = 0;
    uint32_t small[2] = {77, 77};
    cperm_err err = {0};
    CHECK("effects: room for 2 of 7 is CPERM_EINVAL, buffer untouched",
          cperm_f_mway_effects(small, 2, &n, 3, "all", &err) == CPERM_EINVAL && small[0] == 77 &&
              small[1] == 77,
          "rc or buffer");
    CHECK("effects: count only, 26 factors 'all' = 2^26 - 1",
          cperm_f_mway_effects(NULL, 0, &n, 26, "all", NULL) == 0 && n == (1u << 26) - 1, "n %zu", n);
    CHECK("effects: 0 and 27 factors rejected",
          cperm_f_mway_effects(NULL, 0, &n, 0, "A", NULL) == CPERM_EINVAL &&
              cperm_f_mway_effects(NULL, 0, &n, 27, "A", NULL) == CPERM_EINVAL,
          "accepted");
    CHECK("effects: NULL n_out rejected", cperm_f_mway_effects(NULL, 0, NULL, 2, "A", NULL) == CPERM_EINVAL,
          "accepted");
}

static void test_mway(void) {
    double out[8];
    cperm_err err = {0};
    /* 3x2 design, 13 subjects: A has df (2, 24), B (1, 12), A:B (2, 24) */
    size_t lv32[2] = {3, 2};
    int rc = cperm_f_threshold_mway_rm(out, 13, lv32, 2, "A*B", 0.05, &err);
    CHECK("mway 3x2 'A*B': A = F(2, 24), B = F(1, 12), A:B = F(2, 24) at 0.95",
          rc == 0 && out[0] == cperm_f_ppf(0.95, 2, 24) && out[1] == cperm_f_ppf(0.95, 1, 12) &&
              out[2] == cperm_f_ppf(0.95, 2, 24),
          "rc %d: %.17g %.17g %.17g", rc, out[0], out[1], out[2]);
    CHECK("mway 3x2: B threshold is the table's F(.95; 1, 12) = 4.747", fabs(out[1] - 4.747) < 5e-4,
          "got %.17g", out[1]);
    /* 2x3x4, 8 subjects, 'A:B:C': df1 = 1 * 2 * 3 = 6, df2 = 42 */
    size_t lv234[3] = {2, 3, 4};
    rc = cperm_f_threshold_mway_rm(out, 8, lv234, 3, "A:B:C", 0.01, &err);
    CHECK("mway 2x3x4 'A:B:C' = F(6, 42) at 0.99", rc == 0 && out[0] == cperm_f_ppf(1.0 - 0.01, 6, 42),
          "rc %d got %.17g", rc, out[0]);
    /* a factor of 1 level outside the effect is harmless (its ones column has rank 1) */
    size_t lv21[2] = {2, 1};
    rc = cperm_f_threshold_mway_rm(out, 5, lv21, 2, "A", 0.05, &err);
    CHECK("mway 2x1 'A' = F(1, 4)", rc == 0 && out[0] == cperm_f_ppf(0.95, 1, 4), "rc %d", rc);
    /* ... inside it gives MNE's NaN: an error here, out untouched */
    out[0] = out[1] = 42.0;
    rc = cperm_f_threshold_mway_rm(out, 5, lv21, 2, "A+B", 0.05, &err);
    CHECK("mway 2x1 'A+B': B has no degrees of freedom -> CPERM_EINVAL, out untouched",
          rc == CPERM_EINVAL && out[0] == 42.0 && out[1] == 42.0 && strstr(err.msg, "single level"),
          "rc %d out %g msg %s", rc, out[0], err.msg);
    size_t lv22[2] = {2, 2}, lv20[2] = {2, 0};
    CHECK("mway: 1 subject, p = 1.5, p = NaN, 0 levels, bad effects, NULL out: CPERM_EINVAL",
          cperm_f_threshold_mway_rm(out, 1, lv22, 2, "A", 0.05, NULL) == CPERM_EINVAL &&
              cperm_f_threshold_mway_rm(out, 9, lv22, 2, "A", 1.5, NULL) == CPERM_EINVAL &&
              cperm_f_threshold_mway_rm(out, 9, lv22, 2, "A", NAN, NULL) == CPERM_EINVAL &&
              cperm_f_threshold_mway_rm(out, 9, lv20, 2, "A", 0.05, NULL) == CPERM_EINVAL &&
              cperm_f_threshold_mway_rm(out, 9, lv22, 2, "A:C", 0.05, NULL) == CPERM_EINVAL &&
              cperm_f_threshold_mway_rm(NULL, 9, lv22, 2, "A", 0.05, NULL) == CPERM_EINVAL,
          "accepted");
    size_t huge[3] = {100000, 100000, 100000};
    CHECK("mway: 1e15 x 1e3 error degrees of freedom -> CPERM_EUNSUPPORTED",
          cperm_f_threshold_mway_rm(out, 1001, huge, 3, "A", 0.05, NULL) == CPERM_EUNSUPPORTED,
          "accepted");
    rc = cperm_f_threshold_mway_rm(out, 9, lv22, 2, "A", 1.0, NULL);
    CHECK("mway: pvalue 1 gives isf's lower bound 0", rc == 0 && out[0] == 0.0, "got %g", out[0]);
}

int main(void) {
    test_closed_forms();
    test_reference_values();
    test_edges();
    test_effects();
    test_mway();
    TU_EXIT();
}
