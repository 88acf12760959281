/* npsum.c - numpy's float64 summation (np.sum of a contiguous vector), reproduced bit for
 * bit: cluster statistics and cluster summaries must round exactly as MNE's do. */
#include "common_internal.h"

/* numpy's pairwise_sum for float64 (numpy/core/src/umath/loops_utils.h.src). */
static double pairwise(const double *a, size_t n) {
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (int k = 0; k < 8; k++) r[k] = a[k];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + (size_t)k];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise(a, n2) + pairwise(a + n2, n - n2);
}

/* A contiguous reduction is fed to pairwise_sum in buffers of 8192 elements. */
double cperm_np_sum(const double *a, size_t n) {
    double acc = 0.0;
    for (size_t i = 0; i < n; i += 8192) acc += pairwise(a + i, n - i < 8192 ? n - i : 8192);
    return acc;
}

