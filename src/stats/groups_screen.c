/* groups_screen.c - the float32 screen of the label-permutation kernel: which points of a
 * shuffled map may be supra-threshold, decided without MNE's arithmetic.
 *
 * Under a shuffle a point's total sum T and centred sum of squares SST do not change, and
 * the one-way F (and the pooled two-sample t, whose square is the same F) is supra-threshold
 * iff the between-groups sum of squares SSB = sum_g S_g^2 / n_g (S_g: group g's sum of the
 * data centred on the point's mean) exceeds c / (1 + c) * SST, c = thr * dfb / dfw. With 2
 * groups S_1 = -S_0, so that is |S_0| > B: one bound per point. S_g comes from subset-sum
 * tables (subjects in chunks of 8, 256 rows each, built once per block of 64 points, as the
 * sign-flip kernel does for signs): one table row per chunk and group, added in float32.
 *
 * The bound is rigorous, not a tolerance: it is lowered by (a) a bound on the float32 sum's
 * error (table depth, the data's conversion, the mean's rounding) and (b) a bound E on how
 * far MNE's double arithmetic (f_oneway's sums of squares, ttest_ind_no_p's means and
 * two-pass variances) can move SSB and SSW from their exact values, so that a point the
 * screen drops has F <= thr (and F >= -thr, t <= thr, t of the right sign) in MNE's own
 * numbers. Every point it keeps is recomputed exactly by groups.c; only those values reach
 * clusters, so H0 is MNE's bit for bit. Data the margin cannot cover (constant or nearly
 * constant points, magnitudes near the double range) make the point a candidate always. */
#include "groups_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(CPERM_NO_CLONES)
#include <immintrin.h>
#define CPERM_SCREEN_AVX2 1
#endif

#define U64 (0x1p-53)           /* unit roundoff of double */
#define U32 (0x1p-24)           /* unit roundoff of float */
#define ROWS 256                /* rows of one chunk's table */

int cperm_group_screen_init(cperm_group_screen *sc, const cperm_plan *plan) {
    memset(sc, 0, sizeof *sc);
    const size_t N = plan->n_subjects, G = plan->n_classes;
    const int t_ind = plan->opt.statistic == CPERM_STAT_T_IND;
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    if (N > CPERM_SCREEN_MAX_SUBJECTS || N <= G) return 0;
    if (t_ind) {
        if (!plan->opt.equal_var || plan->opt.sigma != 0 || G != 2) return 0;
        if (!(tail < 0 ? thr < 0 : thr > 0)) return 0;
    } else if (plan->opt.statistic != CPERM_STAT_F_ONEWAY || tail < 0 || !(thr > 0)) {
        return 0;
    }
    const double thr_f = t_ind ? thr * thr : thr; /* t^2 = F for the pooled t */
    if (!isfinite(thr_f) || thr_f > 1e200) return 0;
    sc->n_subjects = N;
    sc->n_classes = G;
    sc->n_chunks = (N + CPERM_SCREEN_CHUNK - 1) / CPERM_SCREEN_CHUNK;
    for (size_t g = 0; g < G; g++) {
        sc->class_size[g] = plan->class_size[g];
        sc->inv_n[g] = (float)(1.0 / (double)plan->class_size[g]);
    }
    sc->t_ind = t_ind;
    sc->tail = tail;
    sc->tail_sign = t_ind ? tail : 0;
#if defined(CPERM_SCREEN_AVX2)
    __builtin_cpu_init();
    sc->use_avx2 = __builtin_cpu_supports("avx2") && !getenv("CPERM_PORTABLE_KERNEL");
#endif
    /* lowered by 32 units: covers the rounding of thr^2 and of MNE's last divisions, sqrt */
    sc->c = thr_f * (1.0 - 32.0 * U64) * (double)(G - 1) / (double)(N - G);
    return 1;
}

size_t cperm_group_screen_table_floats(const cperm_group_screen *sc) {
    return sc->n_chunks * ROWS * CPERM_SCREEN_BLOCK;
}

/* The largest float <= v (v finite, >= 0 or any sign) and the smallest float >= v. */
static float float_below(double v) {
    float f = (float)v;
    return (double)f > v ? nextafterf(f, -INFINITY) : f;
}
static float float_above(double v) {
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}

/* One point's bound from its column statistics (exact-arithmetic quantities of MNE's terms,
 * each bounded from the side that keeps the screen conservative). sum_abs = sum |x|, ss =
 * sum x^2, ay = sum |y|, ssy = sum y^2 with y = x - mean (the tables' data, in double),
 * scale the power of two of the tables. Returns 0 (never decidable: always a candidate) or
 * 1 with *bound (and *slack, 3+ groups) in the tables' scaled units. */
static int point_bound(const cperm_group_screen *sc, double sum_abs, double ss, double ay,
                       double ssy, double ymax, double scale, float *bound, float *slack) {
    const double N = (double)sc->n_subjects, G = (double)sc->n_classes;
    if (!(ss <= 1e280) || !(ymax >= 1e-280) || !(ss >= 1e-280)) return 0;
    /* SST >= this: the computed sum of the y^2 less its rounding and the mean's (N delta^2,
     * delta the rounding of the mean: <= (N+1) u sum|x| / N, and sum|x|^2 <= N ss) */
    const double sst = ssy * (1.0 - 4.0 * (N + 4.0) * U64) - 2.0 * (N + 2.0) * (N + 2.0) * U64 * U64 * ss;
    /* MNE's SSB and SSW (f_oneway's ssbn and sswn; ttest_ind_no_p's squared mean difference
     * and pooled variance in the same units) are within E of the exact values: every term
     * they add is bounded by ss (Cauchy-Schwarz: S_g^2 / n_g <= sum_g x^2), each operation
     * adds at most a few units of it, and there are O(N) operations */
    const double E = 32.0 * (N + 8.0) * U64 * ss;
    const double c = sc->c;
    /* exact SSB <= bssb  =>  MNE's SSB + E <= c (MNE's SSW - E): F < thr, SSW > 0 */
    const double bssb = (c * sst / (1.0 + c) - E) * (1.0 - 8.0 * U64);
    if (!(sst > 0) || !(bssb > 0)) return 0;
    /* tail 0 also counts F < -thr: MNE's SSB >= -E, SSW >= SST / (1 + c) */
    if (!sc->t_ind && sc->tail == 0 &&
        !(E * (N - G) * (1.0 + c) * (1.0 + 16.0 * U64) <= sc->c * (G - 1.0) * sst * (1.0 - 8.0 * U64)))
        return 0;
    /* the float32 sum's distance from the exact centred group sum: the data's conversion and
     * the table's depth (7 adds within a chunk, one per further chunk), the mean's rounding
     * (n_g |delta| <= (N+2) u sum|x|), y's own rounding; float32 subnormals */
    const double depth = (double)sc->n_chunks + 8.0;
    const double es = 1.1 * (depth * U32 * ay + (N + 3.0) * U64 * (sum_abs + ay)) +
                      N * 0x1p-149 / scale;
    if (sc->n_classes == 2) {
        const double n0 = (double)sc->class_size[0], n1 = (double)sc->class_size[1];
        /* exact SSB = S_0^2 N / (n0 n1) */
        const double b = sqrt(bssb * n0 * n1 / N) * (1.0 - 8.0 * U64);
        /* one tail: a point beyond -b must have MNE's mean difference of the other sign */
        if (sc->t_ind && sc->tail != 0 &&
            !(b * N / (n0 * n1) > 4.4 * (N + 2.0) * U64 * sum_abs / (n0 < n1 ? n0 : n1)))
            return 0;
        const double lim = (b - es) * scale;
        if (!(lim > 0)) return 0;
        *bound = float_below(lim);
        *slack = 0.0f;
        return 1;
    }
    /* 3+ groups: float32 rounding of sum_g (|s_g| + slack)^2 * (1/n_g) is within
     * (G + 6) u32 relative (all terms positive) */
    const double lim = bssb * scale * scale * (1.0 - (2.0 * G + 16.0) * U32);
    if (!(lim > 0)) return 0;
    *bound = float_below(lim);
    *slack = float_above(es * scale);
    return 1;
}

#if defined(CPERM_SCREEN_AVX2)
__attribute__((target_clones("avx2", "default")))
#endif
void cperm_group_screen_block(const cperm_group_screen *sc, const double *X, size_t P,
                              size_t p0, size_t bn, float *tables, float *bound, float *slack) {
    enum { B = CPERM_SCREEN_BLOCK };
    const size_t N = sc->n_subjects;
    double sum[B], mean[B], sabs[B], ss[B], ay[B], ssy[B], ymax[B], scale[B];
    for (size_t j = 0; j < B; j++) sum[j] = sabs[j] = ss[j] = ay[j] = ssy[j] = ymax[j] = 0.0;
    for (size_t i = 0; i < N; i++) {
        const double *x = X + i * P + p0;
        for (size_t j = 0; j < bn; j++) {
            sum[j] += x[j];
            sabs[j] += fabs(x[j]);
            ss[j] += x[j] * x[j];
        }
    }
    for (size_t j = 0; j < bn; j++) mean[j] = sum[j] / (double)N;
    for (size_t i = 0; i < N; i++) {
        const double *x = X + i * P + p0;
        for (size_t j = 0; j < bn; j++) {
            const double y = x[j] - mean[j], a = fabs(y);
            ay[j] += a;
            ssy[j] += y * y;
            ymax[j] = a > ymax[j] ? a : ymax[j];
        }
    }
    for (size_t j = 0; j < B; j++) {
        if (j >= bn) { /* padding: zeros in the tables, never a candidate */
            scale[j] = 0.0;
            bound[j] = INFINITY;
            slack[j] = 0.0f;
            continue;
        }
        int e = 0;
        frexp(ymax[j], &e);
        scale[j] = ymax[j] >= 1e-280 && ymax[j] <= 1e280 ? ldexp(1.0, -e) : 0.0;
        if (!(scale[j] > 0 &&
              point_bound(sc, sabs[j], ss[j], ay[j], ssy[j], ymax[j], scale[j], &bound[j], &slack[j]))) { /* a candidate under every order; zeros keep the tables finite */
            scale[j] = 0.0;
            bound[j] = -INFINITY;
            slack[j] = 0.0f;
        }
    }
    /* subset sums, each row the sum of its subjects in increasing order (row r with its top
     * bit l = row r - 2^l plus subject l), so a row carries at most 7 roundings */
    for (size_t c = 0; c < sc->n_chunks; c++) {
        float *T = tables + c * ROWS * B;
        const size_t s0 = c * CPERM_SCREEN_CHUNK;
        const size_t cs = N - s0 < CPERM_SCREEN_CHUNK ? N - s0 : CPERM_SCREEN_CHUNK;
        for (size_t j = 0; j < B; j++) T[j] = 0.0f;
        for (size_t l = 0; l < cs; l++) {
            const double *x = X + (s0 + l) * P + p0;
            float y[B];
            for (size_t j = 0; j < B; j++)
                y[j] = j < bn ? (float)((x[j] - mean[j]) * scale[j]) : 0.0f;
            const size_t half = (size_t)1 << l;
            for (size_t r = 0; r < half; r++) {
                const float *lo = T + r * B;
                float *hi = T + (r + half) * B;
                for (size_t j = 0; j < B; j++) hi[j] = lo[j] + y[j];
            }
        }
    }
}

void cperm_group_screen_patterns(const cperm_group_screen *sc, const uint32_t *order,
                                 uint8_t *pat) {
    const size_t G = sc->n_classes, C = sc->n_chunks;
    memset(pat, 0, G * C);
    size_t i = 0;
    for (size_t g = 0; g < G; g++)
        for (size_t e = i + sc->class_size[g]; i < e; i++) {
            const uint32_t s = order[i];
            pat[g * C + s / CPERM_SCREEN_CHUNK] |= (uint8_t)(1u << (s % CPERM_SCREEN_CHUNK));
        }
}

/* 2 groups, portable: group 0's sum per point, compared with the bound by tail. */
static uint64_t screen_two_portable(const float *tables, const uint8_t *pat, size_t C, int tail,
                                    const float *bound) {
    enum { B = CPERM_SCREEN_BLOCK };
    float s[B];
    const float *r = tables + (size_t)pat[0] * B;
    for (size_t j = 0; j < B; j++) s[j] = r[j];
    for (size_t c = 1; c < C; c++) {
        r = tables + (c * ROWS + pat[c]) * B;
        for (size_t j = 0; j < B; j++) s[j] += r[j];
    }
    uint64_t m = 0;
    for (size_t j = 0; j < B; j++) {
        const int pass = tail == 0 ? fabsf(s[j]) > bound[j]
                         : tail > 0 ? s[j] > bound[j] : s[j] < -bound[j];
        m |= (uint64_t)pass << j;
    }
    return m;
}

#if defined(CPERM_SCREEN_AVX2)
/* The same adds in the same order, 8 points a vector. */
__attribute__((target("avx2")))
static void screen_two_avx2(const float *tables, const uint8_t *patterns, size_t stride,
                            size_t nk, size_t C, int tail, const float *bound, uint64_t *masks) {
    enum { B = CPERM_SCREEN_BLOCK };
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 bd[8];
    for (size_t q = 0; q < 8; q++) {
        bd[q] = _mm256_loadu_ps(bound + 8 * q);
        if (tail < 0) bd[q] = _mm256_xor_ps(bd[q], sign); /* s < -bound */
    }
    for (size_t k = 0; k < nk; k++) {
        const uint8_t *pat = patterns + k * stride; /* group 0's rows: its first C bytes */
        const float *r = tables + (size_t)pat[0] * B;
        __m256 s[8];
        for (size_t q = 0; q < 8; q++) s[q] = _mm256_loadu_ps(r + 8 * q);
        for (size_t c = 1; c < C; c++) {
            r = tables + (c * ROWS + pat[c]) * B;
            for (size_t q = 0; q < 8; q++) s[q] = _mm256_add_ps(s[q], _mm256_loadu_ps(r + 8 * q));
        }
        uint64_t m = 0;
        for (size_t q = 0; q < 8; q++) {
            __m256 cmp;
            if (tail == 0)
                cmp = _mm256_cmp_ps(_mm256_andnot_ps(sign, s[q]), bd[q], _CMP_GT_OQ);
            else if (tail > 0)
                cmp = _mm256_cmp_ps(s[q], bd[q], _CMP_GT_OQ);
            else
                cmp = _mm256_cmp_ps(s[q], bd[q], _CMP_LT_OQ);
            m |= (uint64_t)(unsigned)_mm256_movemask_ps(cmp) << (8 * q);
        }
        masks[k] = m;
    }
}
#endif

/* 3+ groups: an upper bound of the exact SSB from every group's float32 sum. */
#if defined(CPERM_SCREEN_AVX2)
__attribute__((target_clones("avx2", "default")))
#endif
static uint64_t screen_many(const float *tables, const uint8_t *pat, size_t G, size_t C,
                            const float *inv_n, const float *bound, const float *slack) {
    enum { B = CPERM_SCREEN_BLOCK };
    float acc[B], s[B];
    for (size_t j = 0; j < B; j++) acc[j] = 0.0f;
    for (size_t g = 0; g < G; g++) {
        const uint8_t *pg = pat + g * C;
        const float *r = tables + (size_t)pg[0] * B;
        for (size_t j = 0; j < B; j++) s[j] = r[j];
        for (size_t c = 1; c < C; c++) {
            r = tables + (c * ROWS + pg[c]) * B;
            for (size_t j = 0; j < B; j++) s[j] += r[j];
        }
        for (size_t j = 0; j < B; j++) {
            const float a = fabsf(s[j]) + slack[j];
            acc[j] += a * a * inv_n[g];
        }
    }
    uint64_t m = 0;
    for (size_t j = 0; j < B; j++) m |= (uint64_t)(acc[j] > bound[j]) << j;
    return m;
}

#if defined(CPERM_SCREEN_AVX2)
/* screen_many's float operations in the same order, 8 points a vector. */
__attribute__((target("avx2")))
static void screen_many_avx2(const float *tables, const uint8_t *patterns, size_t nk, size_t G,
                             size_t C, const float *inv_n, const float *bound,
                             const float *slack, uint64_t *masks) {
    enum { B = CPERM_SCREEN_BLOCK };
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 bd[8], sl[8];
    for (size_t q = 0; q < 8; q++) {
        bd[q] = _mm256_loadu_ps(bound + 8 * q);
        sl[q] = _mm256_loadu_ps(slack + 8 * q);
    }
    for (size_t k = 0; k < nk; k++) {
        __m256 acc[8];
        for (size_t q = 0; q < 8; q++) acc[q] = _mm256_setzero_ps();
        for (size_t g = 0; g < G; g++) {
            const uint8_t *pg = patterns + (k * G + g) * C;
            const float *r = tables + (size_t)pg[0] * B;
            __m256 sv[8];
            for (size_t q = 0; q < 8; q++) sv[q] = _mm256_loadu_ps(r + 8 * q);
            for (size_t c = 1; c < C; c++) {
                r = tables + (c * ROWS + pg[c]) * B;
                for (size_t q = 0; q < 8; q++) sv[q] = _mm256_add_ps(sv[q], _mm256_loadu_ps(r + 8 * q));
            }
            const __m256 inv = _mm256_set1_ps(inv_n[g]);
            for (size_t q = 0; q < 8; q++) {
                const __m256 a = _mm256_add_ps(_mm256_andnot_ps(sign, sv[q]), sl[q]);
                acc[q] = _mm256_add_ps(acc[q], _mm256_mul_ps(_mm256_mul_ps(a, a), inv));
            }
        }
        uint64_t m = 0;
        for (size_t q = 0; q < 8; q++)
            m |= (uint64_t)(unsigned)_mm256_movemask_ps(_mm256_cmp_ps(acc[q], bd[q], _CMP_GT_OQ))
                 << (8 * q);
        masks[k] = m;
    }
}
#endif

void cperm_group_screen_orders(const cperm_group_screen *sc, const float *tables,
                               const uint8_t *patterns, size_t nk, const float *bound,
                               const float *slack, uint64_t *masks) {
    const size_t G = sc->n_classes, C = sc->n_chunks;
    if (G == 2) {
#if defined(CPERM_SCREEN_AVX2)
        if (sc->use_avx2) {
            screen_two_avx2(tables, patterns, G * C, nk, C, sc->tail_sign, bound, masks);
            return;
        }
#endif
        for (size_t k = 0; k < nk; k++)
            masks[k] = screen_two_portable(tables, patterns + k * G * C, C, sc->tail_sign, bound);
        return;
    }
#if defined(CPERM_SCREEN_AVX2)
    if (sc->use_avx2) {
        screen_many_avx2(tables, patterns, nk, G, C, sc->inv_n, bound, slack, masks);
        return;
    }
#endif
    for (size_t k = 0; k < nk; k++)
        masks[k] = screen_many(tables, patterns + k * G * C, G, C, sc->inv_n, bound, slack);
}
