/* maxt.c - MNE 1.3's permutation_t_test (the t-max sign-flip test), bit for bit: moments,
 * T_obs, per order the largest |t| of the sign-flipped data, sorted H0 and p-values. */
#include "orders_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>

/* Orders whose sums share one pass over X: each row of X is loaded once for them. */
#define MAXT_BLOCK 4
/* Tests per tile: a tile of X (n x 256 doubles, 128 kB for 64 samples) stays in cache while
 * a window of orders passes over it, and the block's sums (8 kB) in L1. */
#define MAXT_TILE 256

/* The same checks and count as cperm_order_stream_signflip, without drawing anything (for
 * n > 20 the stream walks every draw). MNE cannot run without an order: np.dot of an empty
 * sign matrix fails, so neither do we. */
int cperm_permutation_t_test_h0_len(size_t *n_h0, int *is_exact, size_t n_samples,
                                    long n_permutations, int tail, cperm_err *err) {
    const size_t n = n_samples;
    if (!n_h0) return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: NULL output argument");
    if (n < 2)
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: %zu sample(s), need at "
                          "least 2", n);
    if (tail < -1 || tail > 1)
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: tail must be -1, 0 or 1, "
                          "got %d", tail);
    if (n_permutations != CPERM_PERMUTATIONS_ALL &&
        (n_permutations < 1 || n_permutations > CPERM_ORDERS_MAX_PERMUTATIONS))
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: n_permutations must be in "
                          "[2, %ld] or 'all', got %ld", CPERM_ORDERS_MAX_PERMUTATIONS,
                          n_permutations);
    const size_t use = n - (tail == 0);
    const uint64_t max_perms = use >= 64 ? UINT64_MAX : (UINT64_C(1) << use) - 1;
    uint64_t n_perm = (uint64_t)n_permutations;
    if (n_permutations == CPERM_PERMUTATIONS_ALL) {
        if (max_perms > (uint64_t)CPERM_ORDERS_MAX_PERMUTATIONS)
            return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: n_permutations='all' "
                              "with %zu samples (tail %d) means 2^%zu - 1 permutations, more "
                              "than the limit of %ld", n, tail, use,
                              CPERM_ORDERS_MAX_PERMUTATIONS);
        n_perm = max_perms;
    }
    const int exact = max_perms < n_perm;
    const uint64_t count = exact ? max_perms : n_perm - 1;
    if (count == 0)
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: n_permutations=%s with %zu "
                          "samples (tail %d) leaves no permutation to draw (MNE fails on the "
                          "empty sign matrix)",
                          n_permutations == CPERM_PERMUTATIONS_ALL ? "'all'" : "1", n, tail);
    *n_h0 = (size_t)count + 1;
    if (is_exact) *is_exact = exact;
    return CPERM_OK;
}

/* np.mean(X, axis=0) and np.mean(X ** 2, axis=0). numpy reduces the leading axis of a
 * (n, p > 1) array row by row, one running sum per column; with p == 1 the column is one
 * contiguous reduction, which numpy sums pairwise. sq is n doubles of scratch. */
static void moments(double *mu, double *x2, double *sq, const double *X, size_t n, size_t p) {
    const double nd = (double)n;
    if (p == 1) {
        for (size_t i = 0; i < n; i++) sq[i] = X[i] * X[i];
        mu[0] = cperm_np_sum(X, n) / nd;
        x2[0] = cperm_np_sum(sq, n) / nd;
        return;
    }
    for (size_t j = 0; j < p; j++) mu[j] = x2[j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = X + i * p;
        for (size_t j = 0; j < p; j++) {
            mu[j] += row[j];
            x2[j] += row[j] * row[j];
        }
    }
    for (size_t j = 0; j < p; j++) {
        mu[j] /= nd;
        x2[j] /= nd;
    }
}

/* np.max's rule: a NaN anywhere makes the maximum NaN. */
static inline double max_nan(double m, double v) { return (v > m || isnan(v)) ? v : m; }

typedef struct maxt_ctx {
    const double *X, *x2;
    size_t n, p;
    double nd, dof_scaling, sqrt_n;
} maxt_ctx;

/* Max over tests [j0, j1) of `nb` (<= MAXT_BLOCK) orders given as byte rows, folded into
 * out[b] (set when j0 == 0). MNE's np.dot(perms, X) is a BLAS product (reference dgemm, or
 * dgemv for one test) that zeroes each sum and adds (+-1) * X[i, j] for i = 0 .. n-1 in
 * turn: the product is exact, so s * x added in sample order is the same float sum. Then
 * _max_stat's element-wise formula, in its order. The maximum does not depend on the order
 * the tests are visited in (NaN wins either way), so tests may come in tiles. The hot loop:
 * compiled for AVX-512, AVX2 and a baseline, the same IEEE operations in each (no FMA). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void block_max(const maxt_ctx *c, const uint8_t *rows, size_t nb, size_t j0, size_t j1,
                      double *acc, double *out) {
    const size_t n = c->n, p = c->p, w = j1 - j0;
    double *restrict a0 = acc, *restrict a1 = acc + MAXT_TILE, *restrict a2 = acc + 2 * MAXT_TILE,
                     *restrict a3 = acc + 3 * MAXT_TILE;
    for (size_t b = 0; b < MAXT_BLOCK; b++)
        for (size_t j = 0; j < w; j++) acc[b * MAXT_TILE + j] = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *restrict x = c->X + i * p + j0;
        double sg[MAXT_BLOCK];
        /* rows past nb repeat the last one: computed and dropped, to keep one loop shape */
        for (size_t b = 0; b < MAXT_BLOCK; b++)
            sg[b] = rows[(b < nb ? b : nb - 1) * n + i] ? 1.0 : -1.0;
        const double s0 = sg[0], s1 = sg[1], s2 = sg[2], s3 = sg[3];
        for (size_t j = 0; j < w; j++) {
            const double v = x[j];
            a0[j] += s0 * v;
            a1[j] += s1 * v;
            a2[j] += s2 * v;
            a3[j] += s3 * v;
        }
    }
    const double *restrict x2 = c->x2 + j0;
    for (size_t b = 0; b < nb; b++) {
        double *restrict a = acc + b * MAXT_TILE;
        for (size_t j = 0; j < w; j++) { /* in place: the sums become t values */
            const double mu = a[j] / c->nd;
            const double sd = sqrt(x2[j] - mu * mu) * c->dof_scaling;
            a[j] = fabs(mu) / (sd / c->sqrt_n);
        }
        double m = j0 == 0 ? a[0] : out[b];
        for (size_t j = 0; j < w; j++) m = max_nan(m, a[j]);
        out[b] = m;
    }
}

/* H0 of orders [k0, k1), read from the stream a window at a time; each tile of tests (its
 * columns of X stay in cache) passes over the whole window. */
static void range_max(const maxt_ctx *c, const cperm_order_stream *s, size_t k0, size_t k1,
                      uint8_t *window, double *acc, double *h0) {
    cperm_order_cursor cur;
    cperm_order_cursor_init(&cur);
    for (size_t w0 = k0; w0 < k1; w0 += CPERM_ORDER_WINDOW) {
        const size_t w1 = k1 - w0 < CPERM_ORDER_WINDOW ? k1 : w0 + CPERM_ORDER_WINDOW;
        cperm_order_stream_fill(s, &cur, w0, w1, window);
        for (size_t j0 = 0; j0 < c->p; j0 += MAXT_TILE) {
            const size_t j1 = c->p - j0 < MAXT_TILE ? c->p : j0 + MAXT_TILE;
            for (size_t k = w0; k < w1; k += MAXT_BLOCK) {
                const size_t nb = w1 - k < MAXT_BLOCK ? w1 - k : MAXT_BLOCK;
                block_max(c, window + (k - w0) * c->n, nb, j0, j1, acc, h0 + k);
            }
        }
    }
}

/* np.sort's order for float64: ascending, NaN last. */
static int cmp_nan_last(const void *pa, const void *pb) {
    const double a = *(const double *)pa, b = *(const double *)pb;
    if (isnan(a) || isnan(b)) return isnan(a) - isnan(b);
    return (a > b) - (a < b);
}

/* How many of the sorted h0[0 .. m) (no NaN) are >= v; 0 for NaN v, as the comparison. */
static size_t count_ge(const double *h0, size_t m, double v) {
    if (isnan(v)) return 0;
    size_t lo = 0, hi = m;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (h0[mid] >= v) hi = mid; else lo = mid + 1;
    }
    return m - lo;
}

int cperm_permutation_t_test(double *t_obs, double *p_values, double *h0, size_t n_h0_cap,
                             size_t *n_h0, const double *X, size_t n_samples, size_t n_tests,
                             long n_permutations, int tail, uint32_t seed, int n_jobs,
                             cperm_err *err) {
    const size_t n = n_samples, p = n_tests;
    size_t len;
    int exact, rc;
    if (!t_obs || !p_values || !h0 || !X)
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: NULL argument");
    if ((rc = cperm_permutation_t_test_h0_len(&len, &exact, n, n_permutations, tail, err)))
        return rc;
    if (p == 0)
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: no test (n_tests 0)");
    if (n > SIZE_MAX / p / sizeof(double))
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: %zu x %zu samples overflow",
                          n, p);
    if (n_h0_cap < len) {
        if (n_h0) *n_h0 = len;
        return cperm_fail(err, CPERM_EINVAL, "permutation_t_test: H0 has %zu values, the "
                          "buffer room for %zu", len, n_h0_cap);
    }
    const size_t count = len - 1;
    size_t threads = n_jobs > 0 ? (size_t)n_jobs : (size_t)omp_get_max_threads();
    /* a thread's share below a few blocks costs more to start than to compute */
    if (threads > (count + 63) / 64) threads = (count + 63) / 64;
    if (threads < 1) threads = 1;

    cperm_order_stream *s = NULL;
    double *mu = NULL, *acc = NULL;
    uint8_t *windows = NULL;
    if ((rc = cperm_order_stream_signflip(&s, n, n_permutations, tail, seed, err))) return rc;
    /* mu: means, E[X^2], and n of scratch for the squares */
    mu = cperm_malloc(2 * p + n, sizeof *mu);
    acc = cperm_malloc(threads * MAXT_BLOCK, MAXT_TILE * sizeof *acc);
    windows = cperm_malloc(threads * CPERM_ORDER_WINDOW, n);
    if (!mu || !acc || !windows) {
        rc = cperm_fail(err, CPERM_ENOMEM, "permutation_t_test: no memory for %zu tests x %zu "
                        "threads", p, threads);
        goto cleanup;
    }
    double *x2 = mu + p;
    moments(mu, x2, x2 + p, X, n, p);
    const maxt_ctx c = {X, x2, n, p, (double)n, sqrt((double)n / ((double)n - 1.0)),
                        sqrt((double)n)};
    double tmax = 0.0;
    for (size_t j = 0; j < p; j++) {
        const double sd = sqrt(x2[j] - mu[j] * mu[j]) * c.dof_scaling;
        t_obs[j] = mu[j] / (sd / c.sqrt_n);
        tmax = j == 0 ? fabs(t_obs[j]) : max_nan(tmax, fabs(t_obs[j]));
    }

    /* fixed contiguous ranges per thread: each H0 entry depends on its order alone */
#pragma omp parallel for schedule(static, 1) num_threads((int)threads)
    for (size_t t = 0; t < threads; t++)
        range_max(&c, s, count * t / threads, count * (t + 1) / threads,
                  windows + t * CPERM_ORDER_WINDOW * n, acc + t * MAXT_BLOCK * MAXT_TILE, h0);
    h0[count] = tmax;
    qsort(h0, len, sizeof *h0, cmp_nan_last);

    size_t finite = len;
    while (finite > 0 && isnan(h0[finite - 1])) finite--;
    for (size_t j = 0; j < p; j++) {
        const double v = tail == 0 ? fabs(t_obs[j]) : tail == 1 ? t_obs[j] : -t_obs[j];
        p_values[j] = (double)count_ge(h0, finite, v) / (double)len;
    }
    if (n_h0) *n_h0 = len;
cleanup:
    cperm_order_stream_free(s);
    free(mu);
    free(acc);
    free(windows);
    return rc;
}
