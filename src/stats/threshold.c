/* threshold.c - cluster-forming thresholds from p-values, with MNE's conventions, so that the
 * CLI, tools and bindings convert p the same way (one place, not one per client). */
#include "common_internal.h"

#include <math.h>

double cperm_t_threshold(double p, double df, int tail) {
    if (!(p > 0 && p < 1) || !(df > 0) || tail < -1 || tail > 1) return NAN;
    /* MNE: -stats.distributions.t.ppf(p / (1 + (tail == 0)), n - 1), negated for tail -1 */
    const double t = -cperm_t_ppf(tail == 0 ? p / 2.0 : p, df);
    return tail < 0 ? -t : t;
}
