/* fdr.c - MNE 1.3's multiple-comparison corrections (mne/stats/multi_comp.py): FDR by
 * Benjamini/Hochberg or Benjamini/Yekutieli, and Bonferroni, rounding as numpy does. */
#include "common_internal.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    double v;
    size_t i;
} ranked;

/* np.argsort's order: ascending, NaN last. Ties are broken by index only to be
 * deterministic: numpy's quicksort may order them otherwise, but tied p-values get the same
 * corrected value and the same decision whatever their order (the cumulative minimum carries
 * the last one's value back over the others, and a rejection at any of them reaches all). */
static int cmp_ranked(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    const int na = isnan(a->v), nb = isnan(b->v);
    if (na || nb) {
        if (na != nb) return na - nb;
    } else if (a->v != b->v) {
        return a->v < b->v ? -1 : 1;
    }
    return (a->i > b->i) - (a->i < b->i);
}

/* np.sum(1. / np.arange(1, n + 1)) (pairwise, as np.sum), using buf (n doubles). */
static double harmonic(double *buf, size_t n) {
    for (size_t k = 0; k < n; k++) buf[k] = 1.0 / (double)(k + 1);
    return cperm_np_sum(buf, n);
}

int cperm_fdr_correction(uint8_t *reject, double *p_corrected, const double *p, size_t n,
                         double alpha, int method, cperm_err *err) {
    if (method != CPERM_FDR_INDEP && method != CPERM_FDR_NEGCORR)
        return cperm_fail(err, CPERM_EINVAL, "fdr_correction: method must be indep (%d) or "
                          "negcorr (%d), got %d", CPERM_FDR_INDEP, CPERM_FDR_NEGCORR, method);
    if (n == 0) return CPERM_OK;
    if (!reject || !p_corrected || !p)
        return cperm_fail(err, CPERM_EINVAL, "fdr_correction: NULL argument");
    ranked *r = cperm_malloc(n, sizeof *r);
    if (!r) return cperm_fail(err, CPERM_ENOMEM, "fdr_correction: no memory for %zu p-values",
                              n);
    for (size_t i = 0; i < n; i++) r[i] = (ranked){p[i], i};
    qsort(r, n, sizeof *r, cmp_ranked);
    /* r holds copies of p now, so p_corrected (which may be p) is the harmonic sum's scratch */
    const double cm = method == CPERM_FDR_NEGCORR ? harmonic(p_corrected, n) : 1.0;
    const double nd = (double)n;

    /* reject[:rejectmax] = True, rejectmax the last sorted index with p < ecdf * alpha */
    size_t last = 0;
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        double ecdf = (double)(k + 1) / nd;
        if (method == CPERM_FDR_NEGCORR) ecdf /= cm;
        if (r[k].v < ecdf * alpha) {
            last = k;
            any = 1;
        }
    }
    /* from the largest p down: the running minimum of p / ecdf (np.minimum propagates NaN,
     * and NaNs sort last, so one NaN makes every value NaN), clipped to 1 */
    double run = 0.0;
    for (size_t k = n; k-- > 0;) {
        double ecdf = (double)(k + 1) / nd;
        if (method == CPERM_FDR_NEGCORR) ecdf /= cm;
        const double raw = r[k].v / ecdf;
        if (k == n - 1) run = raw;
        else if (!isnan(run) && (isnan(raw) || raw < run)) run = raw;
        const size_t i = r[k].i;
        p_corrected[i] = run > 1.0 ? 1.0 : run;
        reject[i] = (uint8_t)((any && k <= last) || r[k].v < ecdf * alpha);
    }
    free(r);
    return CPERM_OK;
}

int cperm_bonferroni_correction(uint8_t *reject, double *p_corrected, const double *p,
                                size_t n, double alpha, cperm_err *err) {
    if (n > 0 && (!reject || !p_corrected || !p))
        return cperm_fail(err, CPERM_EINVAL, "bonferroni_correction: NULL argument");
    const double nd = (double)n;
    for (size_t i = 0; i < n; i++) {
        const double c = p[i] * nd;
        p_corrected[i] = c > 1.0 ? 1.0 : c; /* clip(max=1.) keeps NaN */
        reject[i] = (uint8_t)(p_corrected[i] < alpha);
    }
    return CPERM_OK;
}
