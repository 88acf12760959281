/* floor_signflip.c - the floor of the one-sample sign-flip test on a case's own data: the
 * least work any kernel must do to threshold every permuted map, timed beside the library.
 *
 * A sign flip changes only S = sum of signed data at a point; |t| > thr <=> S^2 > a*Q with Q
 * the (unchanged) sum of squares. Subjects are split into groups of at most 8; for each
 * block of points each group's 2^g signed partial sums are tabulated once, so a permuted S
 * is one table row per group: with 16 subjects, two rows and one add per point and order.
 * No exact recompute, no clustering, no hat: what is left when those cost nothing. Each
 * precision (double, float32) is timed separately; the supra-threshold counts keep the
 * work from being optimised away (and show the float32 run thresholds the same values).
 *
 * Usage: floor_signflip DIR n_subjects n_times n_vertices threshold n_permutations threads
 * (DIR/X.f64 as written by run_bench.py). Prints one JSON line. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench_clock.h"
#ifdef _OPENMP
#include <omp.h>
#endif

#define BLOCK 64
#define GROUP 8

/* One precision's run: REAL is double or float. Tables: per group 2^g rows of BLOCK sums. */
#define DEFINE_FLOOR(NAME, REAL, VEC, IVEC)                                                            \
    static long long NAME(const double *X, size_t n, size_t P, const double *aq,             \
                          const uint32_t *masks, size_t n_perm, int threads) {              \
        enum { LANES = VEC_BYTES / sizeof(REAL), VECS = BLOCK / LANES };                             \
        const size_t G = (n + GROUP - 1) / GROUP, n_blocks = (P + BLOCK - 1) / BLOCK;        \
        long long hits = 0;                                                                  \
        _Pragma("omp parallel num_threads(threads) reduction(+ : hits)")                     \
        {                                                                                    \
            REAL *tab = aligned_alloc(64, G * ((size_t)1 << GROUP) * BLOCK * sizeof *tab);             \
            REAL a[BLOCK];                                                                   \
            IVEC cnt[VECS];                                                                  \
            _Pragma("omp for schedule(static)")                                              \
            for (size_t b = 0; b < n_blocks; b++) {                                          \
                const size_t p0 = b * BLOCK, bn = P - p0 < BLOCK ? P - p0 : BLOCK;           \
                for (size_t j = 0; j < BLOCK; j++) a[j] = j < bn ? (REAL)aq[p0 + j] : (REAL)INFINITY; \
                for (size_t g = 0; g < G; g++) {                                             \
                    REAL *T = tab + g * ((size_t)1 << GROUP) * BLOCK;                        \
                    const size_t s0 = g * GROUP, gs = n - s0 < GROUP ? n - s0 : GROUP;       \
                    /* rows of subject s0 alone: -x, +x; each next subject doubles them */   \
                    for (size_t j = 0; j < BLOCK; j++) {                                     \
                        REAL v = j < bn ? (REAL)X[s0 * P + p0 + j] : 0;                      \
                        T[j] = -v;                                                           \
                        T[BLOCK + j] = v;                                                    \
                    }                                                                        \
                    for (size_t l = 1; l < gs; l++) {                                        \
                        const size_t rows = (size_t)1 << l;                                  \
                        REAL v[BLOCK];                                                       \
                        for (size_t j = 0; j < BLOCK; j++)                                   \
                            v[j] = j < bn ? (REAL)X[(s0 + l) * P + p0 + j] : 0;              \
                        for (size_t r = 0; r < rows; r++)                                    \
                            for (size_t j = 0; j < BLOCK; j++) {                             \
                                T[(r + rows) * BLOCK + j] = T[r * BLOCK + j] + v[j];         \
                                T[r * BLOCK + j] -= v[j];                                    \
                            }                                                                \
                    }                                                                        \
                }                                                                            \
                memset(cnt, 0, sizeof cnt);                                                  \
                VEC thr_v[VECS];                                                             \
                _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++)                    \
                    memcpy(&thr_v[q], a + q * LANES, sizeof thr_v[q]);                      \
                for (size_t k = 0; k < n_perm; k++) {                                        \
                    /* whole vectors (GCC vector extensions): s stays in registers */ \
                    VEC s[VECS];                                                             \
                    const REAL *r0 = tab + (size_t)(masks[k] & 0xff) * BLOCK;                \
                    _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) memcpy(&s[q], r0 + q * LANES, sizeof s[q]); \
                    for (size_t g = 1; g < G; g++) {                                         \
                        const size_t gs = n - g * GROUP < GROUP ? n - g * GROUP : GROUP;     \
                        const size_t row = (masks[k] >> (g * GROUP)) & (((size_t)1 << gs) - 1); \
                        const REAL *rg = tab + (g * ((size_t)1 << GROUP) + row) * BLOCK;     \
                        _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) {                                  \
                            VEC r;                                                           \
                            memcpy(&r, rg + q * LANES, sizeof r);                            \
                            s[q] += r;                                                       \
                        }                                                                    \
                    }                                                                        \
                    _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) {                                      \
                        cnt[q] -= (IVEC)(s[q] * s[q] > thr_v[q]);                                \
                    }                                                                        \
                }                                                                            \
                _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++)                                            \
                    for (size_t j = 0; j < LANES; j++) hits += cnt[q][j];                    \
            }                                                                                \
            free(tab);                                                                       \
        }                                                                                    \
        return hits;                                                                         \
    }

/* The machine's own vector width: GCC lowers the comparisons of vectors wider than the
 * hardware's to scalar code (64-byte vectors on AVX2 ran 7x slower), which is no floor. */
#ifdef __AVX512F__
#define VEC_BYTES 64
#else
#define VEC_BYTES 32
#endif
typedef double vdouble __attribute__((vector_size(VEC_BYTES)));
typedef int64_t vint64 __attribute__((vector_size(VEC_BYTES)));
typedef float vfloat __attribute__((vector_size(VEC_BYTES)));
typedef int32_t vint32 __attribute__((vector_size(VEC_BYTES)));
DEFINE_FLOOR(floor_double, double, vdouble, vint64)
DEFINE_FLOOR(floor_float, float, vfloat, vint32)

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: floor_signflip DIR n_subjects n_times n_vertices threshold "
                        "n_permutations threads\n");
        return 2;
    }
    const size_t n = strtoul(argv[2], NULL, 10), T = strtoul(argv[3], NULL, 10),
                 V = strtoul(argv[4], NULL, 10), n_perm = strtoul(argv[6], NULL, 10);
    const double thr = strtod(argv[5], NULL);
    const int threads = atoi(argv[7]);
    if (n < 2 || n > 32) { fprintf(stderr, "floor_signflip: 2..32 subjects\n"); return 2; }
    const size_t P = T * V;
    double *X = bench_read_x("floor_signflip", argv[1], n * P);
    double *aq = malloc(P * sizeof *aq);
    uint32_t *masks = malloc(n_perm * sizeof *masks);
    if (!aq || !masks) return 1;
    /* t^2 > thr^2 <=> S^2 > a Q, a = thr^2 n / (n - 1 + thr^2) (the t of data with sum S) */
    const double a = thr * thr * (double)n / ((double)(n - 1) + thr * thr);
    double t0 = now();
    for (size_t p = 0; p < P; p++) {
        double q = 0;
        for (size_t i = 0; i < n; i++) q += X[i * P + p] * X[i * P + p];
        aq[p] = a * q;
    }
    double t_q = now() - t0;
    uint64_t st = 0x9e3779b97f4a7c15u;
    for (size_t k = 0; k < n_perm; k++) {
        st ^= st << 13; st ^= st >> 7; st ^= st << 17;
        masks[k] = (uint32_t)(st >> 11);
    }
    double best_d = 1e30, best_f = 1e30, cpu_d = 1e30, cpu_f = 1e30;
    long long hd = 0, hf = 0;
    for (int r = 0; r < 3; r++) { /* best of 3, alternating precisions */
        double c0 = cpu_now();
        t0 = now();
        hd = floor_double(X, n, P, aq, masks, n_perm, threads);
        double t1 = now(), c1 = cpu_now();
        hf = floor_float(X, n, P, aq, masks, n_perm, threads);
        double t2 = now(), c2 = cpu_now();
        if (c1 - c0 < cpu_d) cpu_d = c1 - c0;
        if (c2 - c1 < cpu_f) cpu_f = c2 - c1;
        if (t1 - t0 < best_d) best_d = t1 - t0;
        if (t2 - t1 < best_f) best_f = t2 - t1;
    }
    printf("{\"double_s\": %.6f, \"float32_s\": %.6f, \"double_cpu_s\": %.6f, \"float32_cpu_s\": %.6f, \"sumsq_s\": %.6f, \"hits_double\": %lld, "
           "\"hits_float32\": %lld}\n", best_d + t_q, best_f + t_q, cpu_d + t_q, cpu_f + t_q, t_q, hd, hf);
    free(X);
    free(aq);
    free(masks);
    return 0;
}
