/* groups.c - the label-permutation kernel: independent groups, MNE's f_oneway per point under
 * each shuffle of the labels, clustered by mass (permutation_cluster_test's default).
 *
 * Under a shuffle only the per-group sums and sums of squares change. Each order's are
 * accumulated row by row in the order's sequence, point blocks at a time, which is the
 * arithmetic numpy performs for np.sum(X_full[order][slice], axis=0), so every F value, and
 * hence every cluster and H0 entry, is MNE's bit for bit. Orders are spread over threads; a
 * thread owns its scratch, so results do not depend on the thread count. */
#include "engine_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Points per block: the groups' sums of a block stay in cache while its rows stream by. */
#define F_BLOCK 1024

struct cperm_groups_ws {
    size_t n_threads;
    double **sums;              /* per thread: 2 x n_classes x F_BLOCK (sums, sums of squares) */
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

/* F of every point of X under `order` (X[order] split by the group sizes), into f (or, when
 * f is NULL, only the included supra-threshold points into pts, ascending). Returns the
 * number of points listed. */
static size_t f_map(const cperm_plan *plan, const double *X, const uint32_t *order,
                    double *scratch, double *f, const uint8_t *include, cperm_point *pts) {
    const size_t P = plan->n_points, G = plan->n_classes;
    const double thr = plan->threshold;
    double *S = scratch, *Q = scratch + G * F_BLOCK;
    size_t m = 0;
    for (size_t p0 = 0; p0 < P; p0 += F_BLOCK) {
        const size_t bn = P - p0 < F_BLOCK ? P - p0 : F_BLOCK;
        for (size_t g = 0; g < G; g++) {
            double *s = S + g * F_BLOCK, *q = Q + g * F_BLOCK;
            const size_t i0 = plan->class_start[g], i1 = plan->class_start[g + 1];
            const double *row = X + (size_t)order[i0] * P + p0;
            for (size_t j = 0; j < bn; j++) {
                s[j] = row[j];
                q[j] = row[j] * row[j];
            }
            for (size_t i = i0 + 1; i < i1; i++) {
                row = X + (size_t)order[i] * P + p0;
                for (size_t j = 0; j < bn; j++) {
                    s[j] += row[j];
                    q[j] += row[j] * row[j];
                }
            }
        }
        for (size_t j = 0; j < bn; j++) {
            const double v = f_from_sums(plan, S + j, Q + j, F_BLOCK);
            if (f) {
                f[p0 + j] = v;
            } else if (v > thr && include[p0 + j]) {
                pts[m].idx = (int64_t)(p0 + j);
                pts[m].t = v;
                m++;
            }
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
    f_map(plan, X, run->groups->identity, run->groups->sums[0], run->tobs, NULL, NULL);
}

static int groups_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                          cperm_err *err) {
    (void)X;
    (void)err;
    cperm_observe_clusters(plan, run);
    return CPERM_OK;
}

/* Orders [k0, k1) of the window into run->h0[1 + k]: MNE's largest cluster sum (np.max of
 * the sums; F clusters are positive), 0 without a cluster. */
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
        size_t m = f_map(plan, X, order, gw->sums[tid], NULL, run->include, gw->pts[tid]);
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
        if (gw->pts) free(gw->pts[i]);
    }
    free(gw->sums);
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
    gw->identity = cperm_malloc(plan->n_subjects, sizeof *gw->identity);
    if (!gw->sums || !gw->pts || !gw->identity) return CPERM_ENOMEM;
    for (size_t i = 0; i < plan->n_subjects; i++) gw->identity[i] = (uint32_t)i;
    for (size_t i = 0; i < gw->n_threads; i++) {
        gw->sums[i] = cperm_malloc(2 * plan->n_classes * F_BLOCK, sizeof(double));
        gw->pts[i] = cperm_malloc(plan->n_points, sizeof(cperm_point));
        if (!gw->sums[i] || !gw->pts[i]) return CPERM_ENOMEM;
    }
    return CPERM_OK;
}

static size_t groups_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    return 64 * run->groups->n_threads;
}

/* MNE's tail 1: p = mean(H0 >= statistic). */
static int groups_rule(const cperm_plan *plan) {
    (void)plan;
    return CPERM_PV_GE;
}

const cperm_kernel cperm_kernel_groups_f = {
    "cluster", groups_create, groups_destroy, groups_observe, groups_permute, groups_chunk,
    groups_rule, groups_scan,
};
