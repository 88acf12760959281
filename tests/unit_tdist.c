/* unit_tdist.c - Student t quantile and CDF against closed forms (df = 1, 2), the published
 * scipy value from the MNE reference notes, and the input checks. */
#include "clusterperm.h"
#include "testutil.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* scipy's quantile is a root search stopped at |dt| <= 1e-8 |t|: closed forms agree only to
 * about that, so these checks use 2e-8 relative. */
static void test_closed_forms(void) {
    static const double ps[] = {0.0005, 0.01, 0.05, 0.3, 0.5001, 0.7, 0.95, 0.999};
    char name[96];
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double p = ps[i];
        double cauchy = tan(M_PI * (p - 0.5));
        double two = (2.0 * p - 1.0) / sqrt(2.0 * p * (1.0 - p));
        double g1 = cperm_t_ppf(p, 1.0), g2 = cperm_t_ppf(p, 2.0);
        snprintf(name, sizeof name, "t_ppf(%g, 1) = tan(pi (p - 1/2))", p);
        CHECK(name, fabs(g1 - cauchy) <= 2e-8 * fabs(cauchy), "got %.17g want %.17g", g1, cauchy);
        snprintf(name, sizeof name, "t_ppf(%g, 2) = (2p-1)/sqrt(2p(1-p))", p);
        CHECK(name, fabs(g2 - two) <= 2e-8 * fabs(two), "got %.17g want %.17g", g2, two);
    }
    /* the CDF is accurate to ~1e-15: df = 1 and df = 2 closed forms, written without
     * cancellation in the lower tail (1/2 - |t|/(2s) = 1/(s(s + |t|)), s = sqrt(2 + t^2)) */
    static const double ts[] = {-30.0, -2.5, -0.3, 0.0, 0.7, 4.0, 123.0};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        double t = ts[i], s = sqrt(2.0 + t * t);
        double c1 = t < 0.0 ? atan(-1.0 / t) / M_PI : 0.5 + atan(t) / M_PI;
        double c2 = t < 0.0 ? 1.0 / (s * (s - t)) : 0.5 + t / (2.0 * s);
        snprintf(name, sizeof name, "t_cdf(%g, 1) = 1/2 + atan(t)/pi", t);
        CHECK(name, fabs(cperm_t_cdf(t, 1.0) - c1) <= 1e-14 * c1, "got %.17g want %.17g",
              cperm_t_cdf(t, 1.0), c1);
        snprintf(name, sizeof name, "t_cdf(%g, 2) closed form", t);
        CHECK(name, fabs(cperm_t_cdf(t, 2.0) - c2) <= 1e-14 * c2, "got %.17g want %.17g",
              cperm_t_cdf(t, 2.0), c2);
    }
}

static void test_scipy_values(void) {
    /* mne13-semantics.md 1.2: scipy's t.ppf(0.05, 4) is -2.1318467813362907, while the exact
     * quantile is -2.1318467863266...: the search's stopping point, reproduced bit for bit */
    double v = cperm_t_ppf(0.05, 4.0);
    CHECK("t_ppf(0.05, 4) is scipy's -2.1318467813362907", v == -2.1318467813362907,
          "got %.17g", v);
    CHECK("t_ppf(0.05, 4) is not the exact quantile", fabs(v + 2.1318467863266) > 1e-9,
          "got %.17g", v);
}

static void test_properties(void) {
    /* cdf(ppf(p)) = p to the search tolerance, for integer and fractional df */
    static const double dfs[] = {1.0, 2.5, 7.3, 19.0, 63.0, 1000.0};
    int ok = 1;
    double worst = 0.0;
    for (size_t i = 0; i < sizeof dfs / sizeof dfs[0]; i++)
        for (double p = 0.001; p < 1.0; p += 0.0371) {
            double t = cperm_t_ppf(p, dfs[i]);
            double c = cperm_t_cdf(t, dfs[i]);
            double e = fabs(c - p) / p;
            if (e > worst) worst = e;
            ok &= e < 1e-7;
        }
    CHECK("t_cdf(t_ppf(p)) = p within the search tolerance", ok, "worst relative error %g", worst);
    /* the search stops within its absolute/relative tolerance of 0 (scipy: 6.80574793290978e-17) */
    CHECK("t_ppf(0.5, 10) ~ 0", fabs(cperm_t_ppf(0.5, 10.0)) < 1e-15, "got %.17g",
          cperm_t_ppf(0.5, 10.0));
    CHECK("t_cdf(0, 3.7) = 0.5", cperm_t_cdf(0.0, 3.7) == 0.5, "got %.17g", cperm_t_cdf(0.0, 3.7));
    CHECK("t_cdf(-inf) = 0, t_cdf(inf) = 1",
          cperm_t_cdf(-INFINITY, 5.0) == 0.0 && cperm_t_cdf(INFINITY, 5.0) == 1.0, "got %g %g",
          cperm_t_cdf(-INFINITY, 5.0), cperm_t_cdf(INFINITY, 5.0));
}

static void test_invalid(void) {
    CHECK("t_ppf(0, df) is NaN", isnan(cperm_t_ppf(0.0, 5.0)), "got %g", cperm_t_ppf(0.0, 5.0));
    CHECK("t_ppf(1, df) is NaN", isnan(cperm_t_ppf(1.0, 5.0)), "got %g", cperm_t_ppf(1.0, 5.0));
    CHECK("t_ppf(-0.1, df) is NaN", isnan(cperm_t_ppf(-0.1, 5.0)), "got %g", cperm_t_ppf(-0.1, 5.0));
    CHECK("t_ppf(1.5, df) is NaN", isnan(cperm_t_ppf(1.5, 5.0)), "got %g", cperm_t_ppf(1.5, 5.0));
    CHECK("t_ppf(NaN, df) is NaN", isnan(cperm_t_ppf(NAN, 5.0)), "got %g", cperm_t_ppf(NAN, 5.0));
    CHECK("t_ppf(p, 0) is NaN", isnan(cperm_t_ppf(0.3, 0.0)), "got %g", cperm_t_ppf(0.3, 0.0));
    CHECK("t_ppf(p, -2) is NaN", isnan(cperm_t_ppf(0.3, -2.0)), "got %g", cperm_t_ppf(0.3, -2.0));
    CHECK("t_ppf(p, NaN) is NaN", isnan(cperm_t_ppf(0.3, NAN)), "got %g", cperm_t_ppf(0.3, NAN));
    CHECK("t_cdf(t, 0) is NaN", isnan(cperm_t_cdf(1.0, 0.0)), "got %g", cperm_t_cdf(1.0, 0.0));
    CHECK("t_cdf(NaN, df) is NaN", isnan(cperm_t_cdf(NAN, 3.0)), "got %g", cperm_t_cdf(NAN, 3.0));
}

int main(void) {
    test_closed_forms();
    test_scipy_values();
    test_properties();
    test_invalid();
    TU_EXIT();
}
