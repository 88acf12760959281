/* tstat.c - the one-sample t statistic with MNE's "hat" variance adjustment, computed with
 * numpy's exact operation order so that observed statistics are bit-identical to MNE. */
#include "engine_internal.h"

#include <math.h>

/* numpy evaluates mean and var(ddof=1) along axis 0 of a C-contiguous (n x P) array row by
 * row: S = x0 + x1 + ..., m = S/n, ss = sum((x-m)*(x-m)) in row order, var = ss/(n-1). We
 * follow that order, streaming rows so that the whole pass is vectorisable. */
void cperm_tstat_observed(const double *X, size_t n, size_t P, double sigma, int method,
                          double *t_out, double *sumsq_out, double *var) {
    double *mean = t_out; /* t_out doubles as the mean buffer until the last step */
    for (size_t p = 0; p < P; p++) {
        mean[p] = 0.0;
        if (sumsq_out) sumsq_out[p] = 0.0;
        var[p] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = X + i * P;
        for (size_t p = 0; p < P; p++) mean[p] += row[p];
        if (sumsq_out)
            for (size_t p = 0; p < P; p++) sumsq_out[p] += row[p] * row[p];
    }
    for (size_t p = 0; p < P; p++) mean[p] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double *row = X + i * P;
        for (size_t p = 0; p < P; p++) {
            double d = row[p] - mean[p];
            var[p] += d * d;
        }
    }
    double vmax = -INFINITY;
    for (size_t p = 0; p < P; p++) {
        var[p] /= (double)(n - 1);
        /* np.max propagates NaN; X is checked finite before we get here */
        if (var[p] > vmax) vmax = var[p];
    }
    if (sigma > 0) {
        double limit = method == CPERM_SIGMA_ABSOLUTE ? sigma : sigma * vmax;
        for (size_t p = 0; p < P; p++) var[p] += limit;
    }
    for (size_t p = 0; p < P; p++) t_out[p] = mean[p] / sqrt(var[p] / (double)n);
}

int cperm_ttest_1samp(double *t_out, const double *X, size_t n_subjects, size_t n_tests,
                      double sigma, int method, cperm_err *err) {
    if (!t_out || !X) return cperm_fail(err, CPERM_EINVAL, "ttest: NULL argument");
    if (n_subjects < 2)
        return cperm_fail(err, CPERM_EINVAL, "ttest: need at least 2 subjects, got %zu",
                          n_subjects);
    if (n_tests == 0) return cperm_fail(err, CPERM_EINVAL, "ttest: no tests (n_tests = 0)");
    if (!(sigma >= 0) || !isfinite(sigma))
        return cperm_fail(err, CPERM_EINVAL, "ttest: sigma must be finite and >= 0, got %g",
                          sigma);
    if (method != CPERM_SIGMA_RELATIVE && method != CPERM_SIGMA_ABSOLUTE)
        return cperm_fail(err, CPERM_EINVAL, "ttest: unknown sigma method %d", method);
    double *var = cperm_malloc(n_tests, sizeof *var);
    if (!var) return cperm_fail(err, CPERM_ENOMEM, "ttest: out of memory for %zu tests", n_tests);
    cperm_tstat_observed(X, n_subjects, n_tests, sigma, method, t_out, NULL, var);
    free(var);
    return CPERM_OK;
}
