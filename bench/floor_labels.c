/* floor_labels.c - the floor of the label-permutation test (independent groups, the one-way
 * F of two groups) on a case's own data: the least work any kernel must do to threshold
 * every permuted map, timed beside the library.
 *
 * With two groups the total sum and sum of squares of a point do not change under a
 * relabelling, so F > f depends on group 0's sum S0 alone: F > f <=> (S0 - c)^2 > b, with
 * c = n0 * total / N and b = f * SST * n0 n1 / (N (N - 2 + f)). Subjects are split into
 * groups of at most 8; per block of points each group's 2^g subset sums are tabulated once,
 * so S0 is one table row per group (4 rows for 32 subjects). No exact recompute, no
 * clustering. Double and float32 are timed separately; the supra-threshold counts keep the
 * work from being optimised away.
 *
 * Usage: floor_labels DIR n_subjects n_times n_vertices f_threshold n_permutations threads
 * (DIR/X.f64 as written by run_bench.py; the first n/2 subjects are group 0). Prints one
 * JSON line. */
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
#define MAX_SUBJECTS 64

/* One precision's run: REAL is double or float. members[k]: bit i = subject i in group 0
 * under order k. */
#define DEFINE_FLOOR(NAME, REAL, VEC, IVEC)                                                            \
    static long long NAME(const double *X, size_t n, size_t P, const double *centre,         \
                          const double *bound, const uint64_t *members, size_t n_perm,      \
                          int threads) {                                                    \
        enum { LANES = VEC_BYTES / sizeof(REAL), VECS = BLOCK / LANES };                             \
        const size_t G = (n + GROUP - 1) / GROUP, n_blocks = (P + BLOCK - 1) / BLOCK;        \
        long long hits = 0;                                                                  \
        _Pragma("omp parallel num_threads(threads) reduction(+ : hits)")                     \
        {                                                                                    \
            REAL *tab = aligned_alloc(64, G * ((size_t)1 << GROUP) * BLOCK * sizeof *tab);             \
            REAL c[BLOCK], b[BLOCK];                                                         \
            IVEC cnt[VECS];                                                                  \
            _Pragma("omp for schedule(static)")                                              \
            for (size_t blk = 0; blk < n_blocks; blk++) {                                    \
                const size_t p0 = blk * BLOCK, bn = P - p0 < BLOCK ? P - p0 : BLOCK;         \
                for (size_t j = 0; j < BLOCK; j++) {                                         \
                    c[j] = j < bn ? (REAL)centre[p0 + j] : 0;                                \
                    b[j] = j < bn ? (REAL)bound[p0 + j] : (REAL)INFINITY;                    \
                }                                                                            \
                for (size_t g = 0; g < G; g++) {                                             \
                    REAL *T = tab + g * ((size_t)1 << GROUP) * BLOCK;                        \
                    const size_t s0 = g * GROUP, gs = n - s0 < GROUP ? n - s0 : GROUP;       \
                    /* row m = sum of the subjects of bits set in m; each subject doubles */ \
                    for (size_t j = 0; j < BLOCK; j++) T[j] = 0;                             \
                    for (size_t l = 0; l < gs; l++) {                                        \
                        const size_t rows = (size_t)1 << l;                                  \
                        REAL v[BLOCK];                                                       \
                        for (size_t j = 0; j < BLOCK; j++)                                   \
                            v[j] = j < bn ? (REAL)X[(s0 + l) * P + p0 + j] : 0;              \
                        for (size_t r = 0; r < rows; r++)                                    \
                            for (size_t j = 0; j < BLOCK; j++)                               \
                                T[(r + rows) * BLOCK + j] = T[r * BLOCK + j] + v[j];         \
                    }                                                                        \
                }                                                                            \
                memset(cnt, 0, sizeof cnt);                                                  \
                VEC thr_v[VECS];                                                             \
                _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++)                    \
                    memcpy(&thr_v[q], b + q * LANES, sizeof thr_v[q]);                      \
                /* the centre folded into group 0's rows: S0 - c is then G rows' sum */      \
                for (size_t r = 0; r < ((size_t)1 << GROUP); r++)                            \
                    for (size_t j = 0; j < BLOCK; j++) tab[r * BLOCK + j] -= c[j];           \
                for (size_t k = 0; k < n_perm; k++) {                                        \
                    const REAL *rows[MAX_SUBJECTS / GROUP] = {0};                                  \
                    for (size_t g = 0; g < G; g++)                                           \
                        rows[g] = tab + (g * ((size_t)1 << GROUP) +                          \
                                         ((size_t)(members[k] >> (g * GROUP)) & 0xff)) * BLOCK; \
                    /* whole vectors (GCC vector extensions): s stays in registers */ \
                    VEC s[VECS];                                                             \
                    _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) memcpy(&s[q], rows[0] + q * LANES, sizeof s[q]); \
                    for (size_t g = 1; g < G; g++)                                           \
                        _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) {                                  \
                            VEC r;                                                           \
                            memcpy(&r, rows[g] + q * LANES, sizeof r);                       \
                            s[q] += r;                                                       \
                        }                                                                    \
                    _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++) {                                      \
                        cnt[q] -= (IVEC)(s[q] * s[q] > thr_v[q]);                                  \
                    }                                                                        \
                }                                                                            \
                _Pragma("GCC unroll 8") for (size_t q = 0; q < VECS; q++)                                            \
                    for (size_t j = 0; j < LANES; j++) hits += cnt[q][j];                           \
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
        fprintf(stderr, "usage: floor_labels DIR n_subjects n_times n_vertices f_threshold "
                        "n_permutations threads\n");
        return 2;
    }
    const size_t n = strtoul(argv[2], NULL, 10), T = strtoul(argv[3], NULL, 10),
                 V = strtoul(argv[4], NULL, 10), n_perm = strtoul(argv[6], NULL, 10);
    const double f = strtod(argv[5], NULL);
    const int threads = atoi(argv[7]);
    if (n < 4 || n > MAX_SUBJECTS) { fprintf(stderr, "floor_labels: 4..64 subjects\n"); return 2; }
    const size_t P = T * V, n0 = n / 2, n1 = n - n0;
    double *X = bench_read_x("floor_labels", argv[1], n * P);
    double *centre = malloc(P * sizeof *centre), *bound = malloc(P * sizeof *bound);
    uint64_t *members = malloc(n_perm * sizeof *members);
    if (!centre || !bound || !members) return 1;
    double t0 = now();
    for (size_t p = 0; p < P; p++) {
        double tot = 0, sq = 0;
        for (size_t i = 0; i < n; i++) tot += X[i * P + p];
        const double m = tot / (double)n;
        for (size_t i = 0; i < n; i++) sq += (X[i * P + p] - m) * (X[i * P + p] - m);
        centre[p] = (double)n0 * m;
        bound[p] = f * sq * (double)(n0 * n1) / ((double)n * ((double)n - 2.0 + f));
    }
    const double t_pre = now() - t0;
    uint64_t st = 0x9e3779b97f4a7c15u;
    for (size_t k = 0; k < n_perm; k++) { /* a random half: Fisher-Yates over the labels */
        unsigned idx[MAX_SUBJECTS];
        for (size_t i = 0; i < n; i++) idx[i] = (unsigned)i;
        uint64_t m = 0;
        for (size_t i = 0; i < n0; i++) {
            st ^= st << 13; st ^= st >> 7; st ^= st << 17;
            size_t j = i + (size_t)(st % (n - i));
            unsigned tmp = idx[i]; idx[i] = idx[j]; idx[j] = tmp;
            m |= (uint64_t)1 << idx[i];
        }
        members[k] = m;
    }
    double best_d = 1e30, best_f = 1e30, cpu_d = 1e30, cpu_f = 1e30;
    long long hd = 0, hf = 0;
    for (int r = 0; r < 3; r++) { /* best of 3, alternating precisions */
        double c0 = cpu_now();
        t0 = now();
        hd = floor_double(X, n, P, centre, bound, members, n_perm, threads);
        double t1 = now(), c1 = cpu_now();
        hf = floor_float(X, n, P, centre, bound, members, n_perm, threads);
        double t2 = now(), c2 = cpu_now();
        if (c1 - c0 < cpu_d) cpu_d = c1 - c0;
        if (c2 - c1 < cpu_f) cpu_f = c2 - c1;
        if (t1 - t0 < best_d) best_d = t1 - t0;
        if (t2 - t1 < best_f) best_f = t2 - t1;
    }
    printf("{\"double_s\": %.6f, \"float32_s\": %.6f, \"double_cpu_s\": %.6f, \"float32_cpu_s\": %.6f, \"moments_s\": %.6f, \"hits_double\": %lld, "
           "\"hits_float32\": %lld}\n", best_d + t_pre, best_f + t_pre, cpu_d + t_pre, cpu_f + t_pre, t_pre, hd, hf);
    free(X);
    free(centre);
    free(bound);
    free(members);
    return 0;
}
