/* groups.c - the label-permutation kernel: independent groups, MNE's f_oneway or
 * ttest_ind_no_p per point under each shuffle of the labels, clustered by mass
 * (permutation_cluster_test).
 *
 * Under a shuffle only the per-group sums and sums of squares change. Each order's are
 * accumulated row by row in the order's sequence, point blocks at a time, which is the
 * arithmetic numpy performs for np.sum(X_full[order][slice], axis=0), so every F value, and
 * hence every cluster and H0 entry, is MNE's bit for bit. Orders are spread over threads; a
 * thread owns its scratch, so results do not depend on the thread count. */
#include "engine_internal.h"

#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Points per block: the groups' sums of a block stay in cache while its rows stream by. */
#define F_BLOCK 1024

struct cperm_groups_ws {
    size_t n_threads;
    double **sums;              /* per thread: 2 x n_classes x F_BLOCK (sums, sums of squares) */
    double **map;               /* per thread: n_points, a permuted statistic map */
    double **var;               /* per thread: n_points variances (T_IND with sigma), or NULL */
    cperm_point **pts;          /* per thread: n_points supra-threshold points */
    uint32_t *identity;         /* n_subjects: the observed order */
};

/* mne.stats.f_oneway's expression, in its order of operations, for one point of the groups'
 * sums s[g] and sums of squares q[g]. */
static inline double f_from_sums(const cperm_plan *plan, const double *s, const double *q,
                                 size_t stride) {
    const size_t G = plan->n_classes;
    const double N = (double)plan->n_subjects;
    double ss_all = q[0], tot = s[0];
    for (size_t g = 1; g < G; g++) {
        ss_all = ss_all + q[g * stride];
        tot = tot + s[g * stride];
    }
    const double sq_all = tot * tot;
    const double sstot = ss_all - sq_all / N;
    double ssbn = 0.0;
    for (size_t g = 0; g < G; g++) ssbn += s[g * stride] * s[g * stride] / (double)plan->class_size[g];
    ssbn -= sq_all / N;
    const double sswn = sstot - ssbn;
    const double msb = ssbn / (double)(G - 1), msw = sswn / (N - (double)G);
    return msb / msw;
}

/* Sums per group of a block of points, rows in the order's sequence as numpy adds them:
 * S[g][j] = sum of x, and, when Q is not NULL, Q[g][j] = sum of x * x. */
static void block_sums(const cperm_plan *plan, const double *X, const uint32_t *order,
                       size_t p0, size_t bn, double *S, double *Q) {
    const size_t P = plan->n_points;
    for (size_t g = 0; g < plan->n_classes; g++) {
        double *s = S + g * F_BLOCK, *q = Q ? Q + g * F_BLOCK : NULL;
        const size_t i0 = plan->class_start[g], i1 = plan->class_start[g + 1];
        const double *row = X + (size_t)order[i0] * P + p0;
        for (size_t j = 0; j < bn; j++) s[j] = row[j];
        if (q)
            for (size_t j = 0; j < bn; j++) q[j] = row[j] * row[j];
        for (size_t i = i0 + 1; i < i1; i++) {
            row = X + (size_t)order[i] * P + p0;
            for (size_t j = 0; j < bn; j++) s[j] += row[j];
            if (q)
                for (size_t j = 0; j < bn; j++) q[j] += row[j] * row[j];
        }
    }
}

/* mne.stats.ttest_ind_no_p(a, b, equal_var, sigma): the two groups' means (np.mean: sum / n)
 * and np.var(ddof=1) (the squared deviations from that mean, summed in row order, / (n-1)),
 * so each point is numpy's. Writes t into `t`, using `var` (n_points) for the variances
 * when the hat adjustment needs their maximum first. */
static void t_ind_map(const cperm_plan *plan, const double *X, const uint32_t *order,
                      double *scratch, double *t, double *var) {
    const size_t P = plan->n_points, n1 = plan->class_size[0], n2 = plan->class_size[1];
    const double sigma = plan->opt.sigma;
    double *S = scratch, *D = scratch + 2 * F_BLOCK;
    double vmax = -INFINITY;
    for (size_t p0 = 0; p0 < P; p0 += F_BLOCK) {
        const size_t bn = P - p0 < F_BLOCK ? P - p0 : F_BLOCK;
        block_sums(plan, X, order, p0, bn, S, NULL);
        for (size_t g = 0; g < 2; g++) {
            double *m = S + g * F_BLOCK, *d = D + g * F_BLOCK;
            const double n = (double)plan->class_size[g];
            for (size_t j = 0; j < bn; j++) m[j] = m[j] / n;
            const size_t i0 = plan->class_start[g], i1 = plan->class_start[g + 1];
            for (size_t i = i0; i < i1; i++) {
                const double *row = X + (size_t)order[i] * P + p0;
                for (size_t j = 0; j < bn; j++) {
                    const double x = row[j] - m[j];
                    d[j] = i == i0 ? x * x : d[j] + x * x;
                }
            }
        }
        for (size_t j = 0; j < bn; j++) {
            const double v1 = D[j] / (double)(n1 - 1), v2 = D[F_BLOCK + j] / (double)(n2 - 1);
            double v;
            if (plan->opt.equal_var) {
                const double df = (double)n1 + (double)n2 - 2.0;
                v = ((double)(n1 - 1) * v1 + (double)(n2 - 1) * v2) / df;
                v = v * (1.0 / (double)n1 + 1.0 / (double)n2);
            } else {
                v = v1 / (double)n1 + v2 / (double)n2;
            }
            const double diff = S[j] - S[F_BLOCK + j];
            if (sigma > 0) {
                var[p0 + j] = v;
                t[p0 + j] = diff;
                vmax = v > vmax || v != v ? v : vmax; /* np.max propagates NaN */
            } else {
                t[p0 + j] = diff / sqrt(v);
            }
        }
    }
    if (sigma > 0) {
        const double hat = sigma * vmax;
        for (size_t p = 0; p < P; p++) t[p] = t[p] / sqrt(var[p] + hat);
    }
}

/* F of every point of X under `order` (X[order] split by the group sizes). */
static void f_map(const cperm_plan *plan, const double *X, const uint32_t *order,
                  double *scratch, double *f) {
    const size_t P = plan->n_points, G = plan->n_classes;
    double *S = scratch, *Q = scratch + G * F_BLOCK;
    for (size_t p0 = 0; p0 < P; p0 += F_BLOCK) {
        const size_t bn = P - p0 < F_BLOCK ? P - p0 : F_BLOCK;
        block_sums(plan, X, order, p0, bn, S, Q);
        for (size_t j = 0; j < bn; j++) f[p0 + j] = f_from_sums(plan, S + j, Q + j, F_BLOCK);
    }
}

/* The statistic map of the plan under `order` into `out` (n_points). */
static void stat_map(const cperm_plan *plan, const double *X, const uint32_t *order,
                     double *scratch, double *out, double *var) {
    if (plan->statistic == CPERM_STAT_T_IND)
        t_ind_map(plan, X, order, scratch, out, var);
    else
        f_map(plan, X, order, scratch, out);
}

/* The included supra-threshold points of a map, ascending. */
static size_t supra_points(const cperm_plan *plan, const double *map, const uint8_t *include,
                           cperm_point *pts) {
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    size_t m = 0;
    for (size_t p = 0; p < plan->n_points; p++) {
        const double v = map[p];
        const int supra = tail == 0 ? (v > thr || v < -thr) : tail > 0 ? v > thr : v < thr;
        if (supra && include[p]) {
            pts[m].idx = (int64_t)p;
            pts[m].t = v;
            m++;
        }
    }
    return m;
}

/* The observed F (the groups as given), X's finiteness and largest magnitude. */
static void groups_scan(const cperm_plan *plan, const double *X, cperm_run *run,
                        cperm_scan_info *info) {
    const size_t total = plan->n_subjects * plan->n_points;
    info->first_nonfinite = SIZE_MAX;
    info->xmax = 0.0;
    for (size_t i = 0; i < total; i++) {
        const double x = X[i];
        if (x - x != 0) { /* NaN or Inf */
            info->first_nonfinite = i;
            return;
        }
        const double a = x < 0 ? -x : x;
        info->xmax = a > info->xmax ? a : info->xmax;
    }
    stat_map(plan, X, run->groups->identity, run->groups->sums[0], run->tobs,
             run->groups->var[0]);
}

static int groups_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                          cperm_err *err) {
    (void)X;
    (void)err;
    cperm_observe_clusters(plan, run);
    return CPERM_OK;
}

/* Orders [k0, k1) of the window into run->h0[1 + k]: MNE's largest cluster sum (np.max of
 * the sums, whatever the tail), 0 without a cluster. */
static int groups_permute(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                          size_t k0, size_t k1, cperm_err *err) {
    struct cperm_groups_ws *gw = run->groups;
    const size_t n = plan->n_subjects;
    const uint32_t *orders = (const uint32_t *)(const void *)run->win_orders;
    (void)pass;
    (void)err;
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)gw->n_threads)
    for (size_t k = k0; k < k1; k++) {
        size_t tid = 0;
#ifdef _OPENMP
        tid = (size_t)omp_get_thread_num();
#endif
        const uint32_t *order = orders + (k - run->win_k0) * n;
        stat_map(plan, X, order, gw->sums[tid], gw->map[tid], gw->var[tid]);
        size_t m = supra_points(plan, gw->map[tid], run->include, gw->pts[tid]);
        double stat = 0.0;
        cperm_find_clusters(plan, &run->ws[tid], gw->pts[tid], m, NULL, &stat);
        run->h0[1 + k] = stat;
    }
    return CPERM_OK;
}

static void groups_destroy(cperm_run *run) {
    cperm_cluster_ws_destroy_all(run);
    struct cperm_groups_ws *gw = run->groups;
    if (!gw) return;
    for (size_t i = 0; i < gw->n_threads; i++) {
        if (gw->sums) free(gw->sums[i]);
        if (gw->map) free(gw->map[i]);
        if (gw->var) free(gw->var[i]);
        if (gw->pts) free(gw->pts[i]);
    }
    free(gw->sums);
    free(gw->map);
    free(gw->var);
    free(gw->pts);
    free(gw->identity);
    free(gw);
    run->groups = NULL;
}

static int groups_create(cperm_run *run, const cperm_plan *plan) {
    if (cperm_cluster_ws_create_all(run, plan)) return CPERM_ENOMEM;
    struct cperm_groups_ws *gw = calloc(1, sizeof *gw);
    if (!gw) return CPERM_ENOMEM;
    run->groups = gw;
    gw->n_threads = (size_t)run->n_threads;
    gw->sums = calloc(gw->n_threads, sizeof *gw->sums);
    gw->pts = calloc(gw->n_threads, sizeof *gw->pts);
    gw->map = calloc(gw->n_threads, sizeof *gw->map);
    gw->var = calloc(gw->n_threads, sizeof *gw->var);
    gw->identity = cperm_malloc(plan->n_subjects, sizeof *gw->identity);
    if (!gw->sums || !gw->pts || !gw->map || !gw->var || !gw->identity) return CPERM_ENOMEM;
    const int need_var = plan->statistic == CPERM_STAT_T_IND && plan->opt.sigma > 0;
    for (size_t i = 0; i < plan->n_subjects; i++) gw->identity[i] = (uint32_t)i;
    for (size_t i = 0; i < gw->n_threads; i++) {
        gw->sums[i] = cperm_malloc(2 * plan->n_classes * F_BLOCK, sizeof(double));
        gw->pts[i] = cperm_malloc(plan->n_points, sizeof(cperm_point));
        gw->map[i] = cperm_malloc(plan->n_points, sizeof(double));
        if (need_var) gw->var[i] = cperm_malloc(plan->n_points, sizeof(double));
        if (!gw->sums[i] || !gw->pts[i] || !gw->map[i] || (need_var && !gw->var[i]))
            return CPERM_ENOMEM;
    }
    return CPERM_OK;
}

static size_t groups_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    return 64 * run->groups->n_threads;
}

/* MNE's _pval_from_histogram: tail 1 counts H0 >= s, tail -1 H0 <= s, tail 0 |H0| >= |s|. */
static int groups_rule(const cperm_plan *plan) {
    return plan->opt.tail > 0 ? CPERM_PV_GE : plan->opt.tail < 0 ? CPERM_PV_LE : CPERM_PV_ABS;
}

const cperm_kernel cperm_kernel_groups_f = {
    "cluster", groups_create, groups_destroy, groups_observe, groups_permute, groups_chunk,
    groups_rule, groups_scan,
};
