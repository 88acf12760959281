/* tstat.c - the one-sample t statistic with MNE's "hat" variance adjustment, computed with
 * numpy's exact operation order so that observed statistics (cperm_tstat_scan) and the t of
 * permuted maps (cperm_tstat_signed_*, the one computation every kernel uses) are
 * bit-identical to MNE. */
#include "engine_internal.h"

#include <math.h>
#include <string.h>

/* Columns per block of the scan: a block's rows stay in L2 between the two passes. */
#define SCAN_BLOCK 512

/* numpy evaluates mean and var(ddof=1) along axis 0 of a C-contiguous (n x P) array row by
 * row: S = x0 + x1 + ..., m = S/n, ss = sum((x-m)*(x-m)) in row order, var = ss/(n-1). We
 * follow that order per column, in column blocks so that the second pass reads cache, and
 * gather the finiteness check, the largest |x| and the sums of squares on the way. */
/* One block of columns [p0, p1): its means, variances and sums of squares, the largest |x|
 * into *xmax and the first non-finite flat index into *first_bad; returns the block's
 * largest variance. Cloned per ISA outside the parallel loop, which GCC would otherwise
 * compile once at the default target (SSE2: half the lanes of this memory-bound pass). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static double scan_block(const double *restrict X, size_t n, size_t P, size_t p0, size_t p1,
                         double *restrict mean, double *restrict var, double *restrict sumsq,
                         double *xmax, size_t *first_bad) {
    double vmax = -INFINITY;
    for (size_t p = p0; p < p1; p++) {
        mean[p] = 0.0;
        var[p] = 0.0;
        if (sumsq) sumsq[p] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = X + i * P;
        /* the largest |x| as the largest magnitude bit pattern: an integer max vectorizes
         * (a double max does not without -ffast-math, which left this loop scalar), and NaN
         * and infinity, whose patterns are the largest, cannot hide from it */
        uint64_t bmax_bits = 0;
        for (size_t p = p0; p < p1; p++) {
            uint64_t bits;
            memcpy(&bits, row + p, sizeof bits);
            bits &= UINT64_C(0x7fffffffffffffff);
            bmax_bits = bits > bmax_bits ? bits : bmax_bits;
            mean[p] += row[p];
        }
        if (bmax_bits >= UINT64_C(0x7ff0000000000000)) {
            for (size_t p = p0; p < p1; p++)
                if (!isfinite(row[p]) && i * P + p < *first_bad) *first_bad = i * P + p;
            *xmax = INFINITY;
        } else {
            double bmax;
            memcpy(&bmax, &bmax_bits, sizeof bmax);
            *xmax = bmax > *xmax ? bmax : *xmax;
        }
        if (sumsq)
            for (size_t p = p0; p < p1; p++) sumsq[p] += row[p] * row[p];
    }
    for (size_t p = p0; p < p1; p++) mean[p] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        const double *row = X + i * P;
        for (size_t p = p0; p < p1; p++) {
            double d = row[p] - mean[p];
            var[p] += d * d;
        }
    }
    for (size_t p = p0; p < p1; p++) {
        var[p] /= (double)(n - 1);
        if (var[p] > vmax) vmax = var[p];
    }
    return vmax;
}

void cperm_tstat_scan(const double *X, size_t n, size_t P, double sigma, int method,
                      double *t_out, double *sumsq_out, double *var, int nthreads,
                      cperm_scan_info *info) {
    double *mean = t_out; /* t_out doubles as the mean buffer until the last step */
    const size_t n_blocks = (P + SCAN_BLOCK - 1) / SCAN_BLOCK;
    double vmax = -INFINITY, xmax = 0.0;
    size_t first_bad = SIZE_MAX;
    /* dynamic: the blocks also first-touch the outputs' pages, and a shared machine's two
     * cores are rarely equally fast; maxima and minima merge exactly in any order */
#pragma omp parallel for schedule(dynamic, 16) num_threads(nthreads) \
    reduction(max : vmax, xmax) reduction(min : first_bad)
    for (size_t b = 0; b < n_blocks; b++) {
        const size_t p0 = b * SCAN_BLOCK, p1 = p0 + SCAN_BLOCK < P ? p0 + SCAN_BLOCK : P;
        double bx = 0.0;
        size_t bad = SIZE_MAX;
        const double bv = scan_block(X, n, P, p0, p1, mean, var, sumsq_out, &bx, &bad);
        vmax = bv > vmax ? bv : vmax;
        xmax = bx > xmax ? bx : xmax;
        first_bad = bad < first_bad ? bad : first_bad;
    }
    if (info) {
        info->xmax = xmax;
        info->first_nonfinite = first_bad;
    }
    const double limit = sigma <= 0 ? 0.0 : method == CPERM_SIGMA_ABSOLUTE ? sigma : sigma * vmax;
#pragma omp parallel for schedule(static) num_threads(nthreads)
    for (size_t p = 0; p < P; p++) {
        if (sigma > 0) var[p] += limit;
        t_out[p] = mean[p] / sqrt(var[p] / (double)n);
    }
}

/* MNE computes a permuted map as ttest_1samp_no_p(X * signs): per point S = sum of the signed
 * data in subject order, m = S/n, var = sum((s*x - m)^2)/(n-1) in subject order (numpy's
 * two-pass var, ddof=1), then t = m / sqrt((var + hat)/n). Points go 16 at a time with their
 * sums held in registers across all subjects (a chunk's rows are read twice, from cache), and
 * every lane performs the scalar operations in this order (no FMA: -ffp-contract=off), so
 * the result does not depend on the chunking, the range or the vector width. Points past the
 * last whole chunk take the scalar cperm_signed_var, the same arithmetic. */
#define SIGNED_CHUNK 16
typedef double signed_v4 __attribute__((vector_size(32)));

/* an unaligned load of ld's width (memcpy, which compiles to one vector move) */
#define LOAD_V(p) (memcpy(&ld, (p), sizeof ld), ld)

/* Mean and variance of the 16 points X[., p .. p+15] under signs into m[0..15], v[0..15].
 * Always inlined: GCC otherwise compiles it once at the default target, outside the AVX2
 * clones that call it, with its accumulators going through the stack (a third of a TFCE
 * permutation). */
static inline __attribute__((always_inline)) void
signed_chunk(const double *restrict X, size_t n, size_t P, size_t p,
             const double *restrict signs, double *restrict m_out, double *restrict v_out) {
    /* four 4-lane accumulators: GCC lowers a 64-byte vector type to pieces through the
     * stack outside AVX-512 (on an AVX2 machine that tripled a TFCE permutation); the lanes
     * are independent, so the width does not change a value */
    const signed_v4 zero = { 0.0, 0.0, 0.0, 0.0 };
    signed_v4 s0 = zero, s1 = zero, s2 = zero, s3 = zero, ld;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * P + p;
        const signed_v4 sg = zero + signs[i];
        s0 += sg * LOAD_V(x);
        s1 += sg * LOAD_V(x + 4);
        s2 += sg * LOAD_V(x + 8);
        s3 += sg * LOAD_V(x + 12);
    }
    const signed_v4 dn = zero + (double)n, dn1 = zero + (double)(n - 1);
    s0 /= dn;
    s1 /= dn;
    s2 /= dn;
    s3 /= dn;
    signed_v4 q0 = zero, q1 = zero, q2 = zero, q3 = zero;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * P + p;
        const signed_v4 sg = zero + signs[i];
        const signed_v4 d0 = sg * LOAD_V(x) - s0, d1 = sg * LOAD_V(x + 4) - s1;
        const signed_v4 d2 = sg * LOAD_V(x + 8) - s2, d3 = sg * LOAD_V(x + 12) - s3;
        q0 += d0 * d0;
        q1 += d1 * d1;
        q2 += d2 * d2;
        q3 += d3 * d3;
    }
    q0 /= dn1;
    q1 /= dn1;
    q2 /= dn1;
    q3 /= dn1;
    memcpy(m_out, &s0, sizeof s0);
    memcpy(m_out + 4, &s1, sizeof s1);
    memcpy(m_out + 8, &s2, sizeof s2);
    memcpy(m_out + 12, &s3, sizeof s3);
    memcpy(v_out, &q0, sizeof q0);
    memcpy(v_out + 4, &q1, sizeof q1);
    memcpy(v_out + 8, &q2, sizeof q2);
    memcpy(v_out + 12, &q3, sizeof q3);
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
double cperm_tstat_signed_moments(const double *restrict X, size_t n, size_t P, size_t p0,
                                  size_t count, const double *restrict signs,
                                  double *restrict mean, double *restrict var, double vmax) {
    size_t j = 0;
    for (; j + SIGNED_CHUNK <= count; j += SIGNED_CHUNK)
        signed_chunk(X, n, P, p0 + j, signs, mean + j, var + j);
    for (; j < count; j++) var[j] = cperm_signed_var(X + p0 + j, P, signs, n, &mean[j]);
    for (j = 0; j < count; j++) vmax = var[j] > vmax ? var[j] : vmax;
    return vmax;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void cperm_tstat_signed_block_t(const double *restrict X, size_t n, size_t P, size_t p0,
                                size_t count, const double *restrict signs, double hat,
                                uint64_t want, double *restrict t) {
    const double dn = (double)n;
    double v[64];
    size_t j = 0;
    for (; j + SIGNED_CHUNK <= count; j += SIGNED_CHUNK) {
        if (!((want >> j) & 0xffffu)) continue;
        /* a chunk for one or two points costs more than the points alone */
        if (__builtin_popcountll((want >> j) & 0xffffu) < 3) {
            for (uint64_t w = (want >> j) & 0xffffu; w; w &= w - 1) {
                const size_t q = j + (size_t)__builtin_ctzll(w);
                double m, var = cperm_signed_var(X + p0 + q, P, signs, n, &m);
                t[q] = m / sqrt((var + hat) / dn);
            }
            continue;
        }
        signed_chunk(X, n, P, p0 + j, signs, t + j, v + j);
        /* runtime bounds, so that the compiler vectorises the roots and divisions */
        const size_t hi = j + SIGNED_CHUNK < count ? j + SIGNED_CHUNK : count;
        for (size_t q = j; q < hi; q++) t[q] = t[q] / sqrt((v[q] + hat) / dn);
    }
    for (; j < count; j++) {
        if (!((want >> j) & 1u)) continue;
        double m, var = cperm_signed_var(X + p0 + j, P, signs, n, &m);
        t[j] = m / sqrt((var + hat) / dn);
    }
}

/* Lanes are (order, point) pairs: each lane performs cperm_signed_var's operations in its
 * order, so the values are the scalar path's, but eight candidates share one chain of
 * dependent adds instead of each waiting on its own. A short last group repeats its last
 * pair in the spare lanes. The signed products of the first pass wait in `scratch` for the
 * second. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void cperm_tstat_signed_pairs_t(const double *restrict X, size_t n, size_t P, size_t p0,
                                const uint8_t *restrict off, const uint32_t *restrict row,
                                size_t count, const double *restrict signs,
                                const double *restrict hats, double *restrict scratch,
                                double *restrict t) {
    const signed_v4 zero = { 0.0, 0.0, 0.0, 0.0 };
    const signed_v4 dn = zero + (double)n, dn1 = zero + (double)(n - 1);
    for (size_t j = 0; j < count; j += 8) {
        const double *x[8], *sg[8];
        double h[8];
        for (size_t l = 0; l < 8; l++) {
            const size_t c = j + l < count ? j + l : count - 1;
            x[l] = X + p0 + off[c];
            sg[l] = signs + (size_t)row[c] * n;
            h[l] = hats[row[c]];
        }
        signed_v4 s0 = zero, s1 = zero;
        for (size_t i = 0; i < n; i++) {
            const size_t xi = i * P;
            const signed_v4 a = { x[0][xi], x[1][xi], x[2][xi], x[3][xi] };
            const signed_v4 b = { x[4][xi], x[5][xi], x[6][xi], x[7][xi] };
            const signed_v4 ga = { sg[0][i], sg[1][i], sg[2][i], sg[3][i] };
            const signed_v4 gb = { sg[4][i], sg[5][i], sg[6][i], sg[7][i] };
            const signed_v4 pa = ga * a, pb = gb * b;
            memcpy(scratch + 8 * i, &pa, sizeof pa);
            memcpy(scratch + 8 * i + 4, &pb, sizeof pb);
            s0 += pa;
            s1 += pb;
        }
        s0 /= dn;
        s1 /= dn;
        signed_v4 v0 = zero, v1 = zero, ld;
        for (size_t i = 0; i < n; i++) {
            const signed_v4 d0 = LOAD_V(scratch + 8 * i) - s0;
            const signed_v4 d1 = LOAD_V(scratch + 8 * i + 4) - s1;
            v0 += d0 * d0;
            v1 += d1 * d1;
        }
        v0 /= dn1;
        v1 /= dn1;
        double m[8], r[8];
        memcpy(m, &s0, sizeof s0);
        memcpy(m + 4, &s1, sizeof s1);
        memcpy(r, &v0, sizeof v0);
        memcpy(r + 4, &v1, sizeof v1);
        for (size_t l = 0; l < 8; l++) r[l] = m[l] / sqrt((r[l] + h[l]) / (double)n);
        const size_t hi = count - j < 8 ? count - j : 8;
        for (size_t l = 0; l < hi; l++) t[j + l] = r[l];
    }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void cperm_tstat_signed_t(double *restrict t, const double *restrict var, size_t count,
                          size_t n, double hat) {
    const double dn = (double)n;
    for (size_t j = 0; j < count; j++) t[j] = t[j] / sqrt((var[j] + hat) / dn);
}

/* The moments of count maps, one chunk of X at a time for all of them. With a hat, the
 * variances go to var (the hat needs each map's largest); without one (sigma 0) each
 * chunk's t is final at once, with cperm_tstat_signed_t's arithmetic and hat 0, and no
 * variance map is written, scanned and read back. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void signed_moments_many(const double *restrict X, size_t n, size_t P,
                                const double *restrict signs, size_t count, int no_hat,
                                double *const *restrict mean, double *restrict var) {
    const double dn = (double)n, hat = 0.0;
    double v[SIGNED_CHUNK];
    size_t j = 0;
    for (; j + SIGNED_CHUNK <= P; j += SIGNED_CHUNK)
        for (size_t b = 0; b < count; b++) {
            double *m = mean[b] + j;
            signed_chunk(X, n, P, j, signs + b * n, m, no_hat ? v : var + b * P + j);
            if (no_hat)
                for (size_t q = 0; q < SIGNED_CHUNK; q++) m[q] = m[q] / sqrt((v[q] + hat) / dn);
        }
    for (size_t b = 0; b < count; b++)
        for (size_t q = j; q < P; q++) {
            double m, vq = cperm_signed_var(X + q, P, signs + b * n, n, &m);
            if (no_hat) {
                mean[b][q] = m / sqrt((vq + hat) / dn);
            } else {
                mean[b][q] = m;
                var[b * P + q] = vq;
            }
        }
}

void cperm_tstat_signed_maps(const double *X, size_t n, size_t P, const double *signs,
                             size_t count, double sigma, int method, double *const *t,
                             double *var) {
    const int no_hat = !(sigma > 0);
    signed_moments_many(X, n, P, signs, count, no_hat, t, var);
    if (no_hat) return;
    for (size_t b = 0; b < count; b++) {
        const double *v = var + b * P;
        double vmax = 0.0;
        for (size_t q = 0; q < P; q++) vmax = v[q] > vmax ? v[q] : vmax;
        cperm_tstat_signed_t(t[b], v, P, n, cperm_tstat_hat(sigma, method, vmax));
    }
}

void cperm_tstat_observed(const double *X, size_t n, size_t P, double sigma, int method,
                          double *t_out, double *sumsq_out, double *var) {
    cperm_tstat_scan(X, n, P, sigma, method, t_out, sumsq_out, var, 1, NULL);
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
