/* rmanova.c - one effect of a repeated-measures ANOVA, MNE 1.3's f_mway_rm (correction=False)
 * bit for bit: the design's checks, its contrast matrix, and the F of a block of points for
 * the label-permutation kernel (groups.c), whose orders say which stacked row is which
 * subject's cell. Also cperm_f_mway_rm, the same F on MNE's (subjects x cells x points)
 * array.
 *
 * f_mway_rm computes, per point, y = np.dot(data, c_) (subjects x contrast columns),
 * b = np.mean(y, axis=subjects), ss = np.sum(np.sum(y * b, axis=columns), axis=subjects),
 * mse = (np.sum(np.sum(y * y, axis=columns), axis=subjects) - ss) / (df2 / df1), F = ss / mse.
 * Each step below is numpy's arithmetic for those calls on MNE's arrays: the dot runs the
 * BLAS ddot over the cells (strided, so the reference BLAS sums cell by cell from 0), the
 * mean over a middle axis adds the subjects' rows in turn, the sums over a last axis are
 * numpy's pairwise sums, and df2 / df1 is exactly S - 1. */
#include "rmanova_internal.h"

#include <math.h>

/* Doubles of y a sub-block may hold: its points x subjects x columns stay in cache. */
#define RM_SUB_DOUBLES 32768

/* ------------------------------------------------------------ the design */

int cperm_rm_validate(size_t n_rows, const cperm_options *o, cperm_err *err) {
    const size_t F = o->rm_n_factors;
    if (F < 1 || F > CPERM_RM_MAX_FACTORS || !o->rm_factor_levels)
        return cperm_fail(err, CPERM_EINVAL, "options: a repeated-measures design needs 1 to %d "
                          "factors' levels, got %zu%s", CPERM_RM_MAX_FACTORS, F,
                          o->rm_factor_levels ? "" : " (rm_factor_levels is NULL)");
    size_t cells = 1;
    for (size_t k = 0; k < F; k++) {
        const size_t L = o->rm_factor_levels[k];
        if (L < 1 || L > CPERM_MAX_GROUPS || cells * L > CPERM_MAX_GROUPS)
            return cperm_fail(err, CPERM_EINVAL, "options: factor %c has %zu levels; a "
                              "repeated-measures design has 1 to %d cells in all", (char)('A' + k),
                              L, CPERM_MAX_GROUPS);
        cells *= L;
    }
    if (cells < 2)
        return cperm_fail(err, CPERM_EINVAL, "options: a repeated-measures design of %zu cell "
                          "compares nothing", cells);
    const uint32_t e = o->rm_effect;
    if (e == 0 || (e >> F) != 0)
        return cperm_fail(err, CPERM_EINVAL, "options: rm_effect 0x%x is not an effect of %zu "
                          "factor%s (a non-empty mask of bits 0 .. %zu)", (unsigned)e, F,
                          F == 1 ? "" : "s", F - 1);
    for (size_t k = 0; k < F; k++)
        if ((e >> k & 1u) && o->rm_factor_levels[k] < 2)
            return cperm_fail(err, CPERM_EINVAL, "options: the effect includes factor %c, which "
                              "has a single level (no degree of freedom)", (char)('A' + k));
    if (n_rows % cells || n_rows / cells < 2)
        return cperm_fail(err, CPERM_EMISMATCH, "options: X has %zu rows, which is not %zu "
                          "cells x at least 2 subjects", n_rows, cells);
    const size_t S = n_rows / cells;
    if (o->n_groups != 0 || o->group_sizes) {
        int same = o->n_groups == cells && o->group_sizes;
        for (size_t g = 0; same && g < cells; g++) same = o->group_sizes[g] == S;
        if (!same)
            return cperm_fail(err, CPERM_EINVAL, "options: the groups of a repeated-measures "
                              "design are its %zu cells of %zu subjects each (or leave n_groups "
                              "0), got %zu groups", cells, S, o->n_groups);
    }
    if (o->rm_scheme != CPERM_RM_WITHIN && o->rm_scheme != CPERM_RM_MNE)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown repeated-measures scheme %d",
                          o->rm_scheme);
    if (o->tail < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: the F test is one-tailed (tail 1; tail 0 "
                          "is the same), got tail %d", o->tail);
    if (o->tfce != CPERM_TFCE_NONE)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "options: TFCE of a repeated-measures design "
                          "is not supported yet");
    if (o->sigma != 0)
        return cperm_fail(err, CPERM_EINVAL, "options: f_mway_rm has no hat adjustment; sigma "
                          "must be 0, got %g", o->sigma);
    if (o->n_permutations == CPERM_PERMUTATIONS_ALL && o->rm_scheme == CPERM_RM_MNE)
        return cperm_fail(err, CPERM_EINVAL, "options: n_permutations='all' needs the "
                          "within-subject scheme; MNE's label shuffles take a number");
    if (n_rows > UINT32_MAX)
        return cperm_fail(err, CPERM_EUNSUPPORTED, "data: %zu observations are too many", n_rows);
    return CPERM_OK;
}

/* detrend(np.eye(L), type='constant')[i][j]: the identity less its column means 1 / L. */
static double centred_eye(size_t L, size_t i, size_t j) {
    const double mean = 1.0 / (double)L;
    return (i == j ? 1.0 : 0.0) - mean;
}

int cperm_rm_design_init(cperm_rm_design *d, size_t n_reps, size_t n_factors,
                         const size_t *levels, uint32_t effect, cperm_err *err) {
    memset(d, 0, sizeof *d);
    d->n_factors = n_factors;
    d->n_reps = n_reps;
    d->effect = effect;
    d->n_cells = d->n_cols = 1;
    for (size_t k = 0; k < n_factors; k++) {
        d->levels[k] = levels[k];
        d->n_cells *= levels[k];
        if (effect >> k & 1u) d->n_cols *= levels[k];
    }
    d->contrast = cperm_malloc(d->n_cells * d->n_cols, sizeof *d->contrast);
    if (!d->contrast) return cperm_fail(err, CPERM_ENOMEM, "f_mway_rm: out of memory");
    /* MNE's c_ = kron(kron(sc_A, sc_B), ...), sc_k the centred identity of the effect's
     * factors and a column of ones for the others: factor A varies slowest along rows (cells)
     * and columns, and each entry is the product of the factors' entries from A on */
    for (size_t cell = 0; cell < d->n_cells; cell++) {
        for (size_t col = 0; col < d->n_cols; col++) {
            size_t rc = cell, cc = col, rdiv = d->n_cells, cdiv = d->n_cols;
            double v = 1.0;
            for (size_t k = 0; k < n_factors; k++) {
                const size_t L = levels[k], cl = (effect >> k & 1u) ? L : 1;
                rdiv /= L;
                cdiv /= cl;
                const size_t i = rc / rdiv, j = cc / cdiv;
                rc %= rdiv;
                cc %= cdiv;
                v = v * (cl == 1 ? 1.0 : centred_eye(L, i, j));
            }
            d->contrast[cell * d->n_cols + col] = v;
        }
    }
    /* sub-blocks of a multiple of 8 points, y (subjects x columns x points) within
     * RM_SUB_DOUBLES */
    size_t sub = RM_SUB_DOUBLES / (n_reps * d->n_cols);
    sub = sub < 8 ? 8 : sub > 256 ? 256 : sub - sub % 8;
    d->sub = sub;
    return CPERM_OK;
}

void cperm_rm_design_clear(cperm_rm_design *d) {
    if (!d) return;
    free(d->contrast);
    d->contrast = NULL;
}

/* y (S x K x m), the mean b (K x m), the products (K x m), the pairwise accumulators (8 x m)
 * and the per-subject sums u, w (S x m). */
size_t cperm_rm_scratch_len(const cperm_rm_design *d) {
    const size_t S = d->n_reps, K = d->n_cols, m = d->sub;
    return (S * K + 2 * K + 8 + 2 * S) * m;
}

/* ------------------------------------------------------------ numpy's sums */

/* np.sum over the last axis of n <= 128 values, for m points at once: row r of `a` (stride
 * m) holds the r-th value of every point; numpy's pairwise_sum, then 0 + that (the reduction
 * starts from add's identity). `acc` holds 8 x m. */
static void pairwise_rows(const double *a, size_t n, size_t m, double *acc, double *out) {
    if (n < 8) {
        for (size_t i = 0; i < m; i++) out[i] = 0.0;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < m; i++) out[i] += a[r * m + i];
    } else {
        memcpy(acc, a, 8 * m * sizeof *acc);
        size_t r = 8;
        for (; r < n - (n % 8); r += 8)
            for (size_t k = 0; k < 8; k++)
                for (size_t i = 0; i < m; i++) acc[k * m + i] += a[(r + k) * m + i];
        for (size_t i = 0; i < m; i++) {
            const double *q = acc + i;
            out[i] = ((q[0] + q[m]) + (q[2 * m] + q[3 * m])) +
                     ((q[4 * m] + q[5 * m]) + (q[6 * m] + q[7 * m]));
        }
        for (; r < n; r++)
            for (size_t i = 0; i < m; i++) out[i] += a[r * m + i];
    }
    for (size_t i = 0; i < m; i++) out[i] = 0.0 + out[i];
}

/* numpy's pairwise_sum of n values strided by `stride` (any n). */
static double pairwise_strided(const double *a, size_t n, size_t stride) {
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++) res += a[i * stride];
        return res;
    }
    if (n <= 128) {
        double r[8];
        size_t i;
        for (size_t k = 0; k < 8; k++) r[k] = a[k * stride];
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t k = 0; k < 8; k++) r[k] += a[(i + k) * stride];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i * stride];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_strided(a, n2, stride) + pairwise_strided(a + n2 * stride, n - n2, stride);
}

/* ------------------------------------------------------------ the F */

/* m points starting at p of every row: F into out. */
static void rm_sub_block(const cperm_rm_design *d, const double *X, size_t stride,
                         const uint32_t *rows, size_t p, size_t m, double *scratch,
                         double *out) {
    const size_t S = d->n_reps, K = d->n_cols, C = d->n_cells, M = d->sub;
    double *y = scratch, *b = y + S * K * M, *prod = b + K * M, *acc = prod + K * M;
    double *u = acc + 8 * M, *w = u + S * M;
    /* y = np.dot(data, c_): per subject and column the cells' products summed in cell order
     * from 0 (ddot), then 0 + that (numpy's dot adds the ddot to a zero) */
    for (size_t s = 0; s < S; s++) {
        double *ys = y + s * K * m;
        for (size_t j = 0; j < K * m; j++) ys[j] = 0.0;
        for (size_t c = 0; c < C; c++) {
            const double *x = X + (size_t)rows[c * S + s] * stride + p;
            const double *cv = d->contrast + c * K;
            for (size_t j = 0; j < K; j++) {
                const double v = cv[j];
                double *yj = ys + j * m;
                for (size_t i = 0; i < m; i++) yj[i] = yj[i] + x[i] * v;
            }
        }
        for (size_t j = 0; j < K * m; j++) ys[j] = 0.0 + ys[j];
    }
    /* b = np.mean(y, axis=1): the subjects' rows added in turn from 0, / S */
    for (size_t j = 0; j < K * m; j++) b[j] = 0.0;
    for (size_t s = 0; s < S; s++)
        for (size_t j = 0; j < K * m; j++) b[j] += y[s * K * m + j];
    for (size_t j = 0; j < K * m; j++) b[j] = b[j] / (double)S;
    /* per subject, np.sum over the columns of y * b and of y * y */
    for (size_t s = 0; s < S; s++) {
        const double *ys = y + s * K * m;
        for (size_t j = 0; j < K * m; j++) prod[j] = ys[j] * b[j];
        pairwise_rows(prod, K, m, acc, u + s * m);
        for (size_t j = 0; j < K * m; j++) prod[j] = ys[j] * ys[j];
        pairwise_rows(prod, K, m, acc, w + s * m);
    }
    /* over the subjects, then MNE's ss / ((yy - ss) / (df2 / df1)) */
    const double df = (double)(S - 1);
    for (size_t i = 0; i < m; i++) {
        const double ss = 0.0 + pairwise_strided(u + i, S, m);
        const double yy = 0.0 + pairwise_strided(w + i, S, m);
        const double mse = (yy - ss) / df;
        out[i] = ss / mse;
    }
}

void cperm_rm_block(const cperm_rm_design *d, const double *X, size_t stride,
                    const uint32_t *rows, size_t p0, size_t bn, double *scratch, double *out) {
    for (size_t q = 0; q < bn; q += d->sub) {
        const size_t m = bn - q < d->sub ? bn - q : d->sub;
        rm_sub_block(d, X, stride, rows, p0 + q, m, scratch, out + q);
    }
}

/* ------------------------------------------------------------ public */

int cperm_f_mway_rm(double *F, const double *data, size_t n_subjects,
                    const size_t *factor_levels, size_t n_factors, uint32_t effect,
                    size_t n_points, cperm_err *err) {
    if (!F || !data || !factor_levels)
        return cperm_fail(err, CPERM_EINVAL, "f_mway_rm: NULL argument");
    if (n_factors < 1 || n_factors > CPERM_RM_MAX_FACTORS)
        return cperm_fail(err, CPERM_EINVAL, "f_mway_rm: %zu factors (1 to %d are supported)",
                          n_factors, CPERM_RM_MAX_FACTORS);
    size_t cells = 1;
    for (size_t k = 0; k < n_factors; k++) cells *= factor_levels[k] <= CPERM_MAX_GROUPS
                                                     ? factor_levels[k] : CPERM_MAX_GROUPS + 1;
    /* the plan's checks, on options that say the same */
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    o.design = CPERM_DESIGN_GROUPS;
    o.statistic = CPERM_STAT_F_MWAY_RM;
    o.tail = 1;
    o.rm_n_factors = n_factors;
    o.rm_factor_levels = factor_levels;
    o.rm_effect = effect;
    if (n_subjects < 2)
        return cperm_fail(err, CPERM_EINVAL, "f_mway_rm: %zu subjects leave no error degrees of "
                          "freedom", n_subjects);
    int rc = cperm_rm_validate(cells <= CPERM_MAX_GROUPS ? n_subjects * cells : 0, &o, err);
    if (rc) return rc;
    if (n_points == 0) return CPERM_OK;
    cperm_rm_design d;
    uint32_t *rows = NULL;
    double *scratch = NULL;
    rc = cperm_rm_design_init(&d, n_subjects, n_factors, factor_levels, effect, err);
    if (!rc) {
        rows = cperm_malloc(cells * n_subjects, sizeof *rows);
        scratch = cperm_malloc(cperm_rm_scratch_len(&d), sizeof *scratch);
        if (!rows || !scratch) rc = cperm_fail(err, CPERM_ENOMEM, "f_mway_rm: out of memory");
    }
    if (!rc) {
        /* MNE's layout: subject s's cell c is row s * n_cells + c */
        for (size_t c = 0; c < cells; c++)
            for (size_t s = 0; s < n_subjects; s++)
                rows[c * n_subjects + s] = (uint32_t)(s * cells + c);
        cperm_rm_block(&d, data, n_points, rows, 0, n_points, scratch, F);
    }
    free(rows);
    free(scratch);
    cperm_rm_design_clear(&d);
    return rc;
}
