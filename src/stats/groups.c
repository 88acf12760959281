/* groups.c - the label-permutation kernel: independent groups, MNE's f_oneway or
 * ttest_ind_no_p per point under each shuffle of the labels, clustered by mass
 * (permutation_cluster_test).
 *
 * Under a shuffle only the per-group sums and sums of squares change. MNE's value of a point
 * (block_stat) accumulates them row by row in the order's sequence, which is the arithmetic
 * numpy performs for np.sum(X_full[order][slice], axis=0), so every F value, and hence every
 * cluster and H0 entry, is MNE's bit for bit.
 *
 * Two paths lead there. The screened one (the F, the pooled t; groups_screen.c): threads own
 * fixed ranges of point blocks, each block's subset-sum tables are built once per chunk of
 * orders, and a rigorous float32 screen leaves only the points that may pass, which
 * block_stat then computes exactly; the supra-threshold ones go to per-order page lists,
 * then orders are clustered in parallel. The direct one (the hat-adjusted or Welch t, and
 * what the screen does not cover) runs block_stat on every point, orders in batches per
 * thread. Each H0 entry depends only on its order, so neither the thread count nor the
 * chunking changes a bit. */
#include "engine_internal.h"
#include "groups_internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Points per block: the groups' sums of a block stay in cache while its rows stream by. */
#define F_BLOCK 1024
/* Orders a thread runs together over each block of points. */
#define BATCH 8

/* Screened path: one thread's fixed range of point blocks and what it collects. */
typedef struct screen_part {
    size_t block_begin, block_end;
    float *tables;              /* one block's subset-sum tables */
    cperm_page_pool pool;       /* per order of the round: its supra-threshold points */
    uint64_t *masks;            /* per order of the round: a block's candidates */
} screen_part;

struct cperm_groups_ws {
    size_t n_threads;
    double **sums;              /* per thread: 2 x n_classes x F_BLOCK (sums, sums of squares) */
    double **map;               /* per thread: n_points, a permuted statistic map */
    double **var;               /* per thread: n_points variances (T_IND with sigma), or NULL */
    cperm_point **pts;          /* per thread: n_points supra-threshold points */
    cperm_point **lists;        /* per thread: BATCH lists of list_cap points */
    size_t list_cap;
    uint32_t *identity;         /* n_subjects: the observed order */
    /* the screened path (screened != 0) */
    int screened;
    cperm_group_screen screen;
    size_t max_chunk;           /* orders per permute call: the window */
    size_t chunk;               /* orders per screening round: max_chunk, less after a pool
                                   overflow until rounds use little of the pool again */
    size_t n_parts;
    screen_part *parts;
    size_t pattern_bytes;       /* per order: n_classes x n_chunks */
    uint8_t *patterns;          /* per order of the window */
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
    if (bn < 4) { /* the screen's few candidates: point by point, the same adds per point */
        for (size_t g = 0; g < plan->n_classes; g++) {
            const size_t i0 = plan->class_start[g], i1 = plan->class_start[g + 1];
            for (size_t j = 0; j < bn; j++) {
                const double *x = X + p0 + j;
                double s = x[(size_t)order[i0] * P], q = s * s;
                for (size_t i = i0 + 1; i < i1; i++) {
                    const double v = x[(size_t)order[i] * P];
                    s += v;
                    q += v * v;
                }
                S[g * F_BLOCK + j] = s;
                if (Q) Q[g * F_BLOCK + j] = q;
            }
        }
        return;
    }
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

/* One block of mne.stats.ttest_ind_no_p(a, b, equal_var): the two groups' means (np.mean:
 * sum / n) and np.var(ddof=1) (the squared deviations from that mean, summed in row order,
 * / (n-1)), so each point is numpy's. The pooled (or Welch) variance into v, the difference of
 * the means into d. */
static void t_block(const cperm_plan *plan, const double *X, const uint32_t *order, size_t p0,
                    size_t bn, double *scratch, double *v, double *d) {
    const size_t P = plan->n_points, n1 = plan->class_size[0], n2 = plan->class_size[1];
    double *S = scratch, *D = scratch + 2 * F_BLOCK;
    block_sums(plan, X, order, p0, bn, S, NULL);
    for (size_t g = 0; g < 2; g++) {
        double *m = S + g * F_BLOCK, *dev = D + g * F_BLOCK;
        const double n = (double)plan->class_size[g];
        for (size_t j = 0; j < bn; j++) m[j] = m[j] / n;
        const size_t i0 = plan->class_start[g], i1 = plan->class_start[g + 1];
        for (size_t i = i0; i < i1; i++) {
            const double *row = X + (size_t)order[i] * P + p0;
            for (size_t j = 0; j < bn; j++) {
                const double x = row[j] - m[j];
                dev[j] = i == i0 ? x * x : dev[j] + x * x;
            }
        }
    }
    for (size_t j = 0; j < bn; j++) {
        const double v1 = D[j] / (double)(n1 - 1), v2 = D[F_BLOCK + j] / (double)(n2 - 1);
        double w;
        if (plan->opt.equal_var) {
            const double df = (double)n1 + (double)n2 - 2.0;
            w = ((double)(n1 - 1) * v1 + (double)(n2 - 1) * v2) / df;
            w = w * (1.0 / (double)n1 + 1.0 / (double)n2);
        } else {
            w = v1 / (double)n1 + v2 / (double)n2;
        }
        v[j] = w;
        d[j] = S[j] - S[F_BLOCK + j];
    }
}

/* The statistic of one block of points under `order` into out[0 .. bn), for every statistic
 * but the hat-adjusted t, whose hat needs the whole map first (stat_map). */
static void block_stat(const cperm_plan *plan, const double *X, const uint32_t *order,
                       size_t p0, size_t bn, double *scratch, double *out) {
    if (plan->opt.statistic == CPERM_STAT_F_MWAY_RM) { /* rmanova.c */
        cperm_rm_block(&plan->rm, X, plan->n_points, order, p0, bn, scratch, out);
        return;
    }
    if (plan->opt.statistic == CPERM_STAT_T_IND) {
        double v[F_BLOCK];
        t_block(plan, X, order, p0, bn, scratch, v, out);
        for (size_t j = 0; j < bn; j++) out[j] = out[j] / sqrt(v[j]);
        return;
    }
    const size_t G = plan->n_classes;
    double *S = scratch, *Q = scratch + G * F_BLOCK;
    block_sums(plan, X, order, p0, bn, S, Q);
    for (size_t j = 0; j < bn; j++) out[j] = f_from_sums(plan, S + j, Q + j, F_BLOCK);
}

static int hat_adjusted(const cperm_plan *plan) {
    return plan->opt.statistic == CPERM_STAT_T_IND && plan->opt.sigma > 0;
}

/* The whole statistic map under `order` into `out` (n_points); `var` (n_points) holds the
 * variances when the hat adjustment needs their maximum: var += sigma * np.max(var). */
static void stat_map(const cperm_plan *plan, const double *X, const uint32_t *order,
                     double *scratch, double *out, double *var) {
    const size_t P = plan->n_points;
    if (!hat_adjusted(plan)) {
        for (size_t p0 = 0; p0 < P; p0 += F_BLOCK)
            block_stat(plan, X, order, p0, P - p0 < F_BLOCK ? P - p0 : F_BLOCK, scratch, out + p0);
        return;
    }
    double vmax = -INFINITY;
    for (size_t p0 = 0; p0 < P; p0 += F_BLOCK) {
        const size_t bn = P - p0 < F_BLOCK ? P - p0 : F_BLOCK;
        t_block(plan, X, order, p0, bn, scratch, var + p0, out + p0);
        for (size_t j = 0; j < bn; j++) {
            const double v = var[p0 + j];
            vmax = v > vmax || v != v ? v : vmax; /* np.max propagates NaN */
        }
    }
    const double hat = plan->opt.sigma * vmax;
    for (size_t p = 0; p < P; p++) out[p] = out[p] / sqrt(var[p] + hat);
}

static inline int supra(const cperm_plan *plan, double v) {
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    return tail == 0 ? (v > thr || v < -thr) : tail > 0 ? v > thr : v < thr;
}

/* The included supra-threshold points of a map, ascending. */
static size_t supra_points(const cperm_plan *plan, const double *map, const uint8_t *include,
                           cperm_point *pts) {
    size_t m = 0;
    for (size_t p = 0; p < plan->n_points; p++)
        if (supra(plan, map[p]) && include[p]) {
            pts[m].idx = (int64_t)p;
            pts[m].t = map[p];
            m++;
        }
    return m;
}

/* The observed F (the groups as given), X's finiteness and largest magnitude. Threads own
 * fixed ranges of X (the first non-finite element is the smallest such index, the largest
 * magnitude a max: neither depends on the split) and of point blocks. */
static void groups_scan(const cperm_plan *plan, const double *X, cperm_run *run,
                        cperm_scan_info *info) {
    enum { SPAN = 4096 };
    struct cperm_groups_ws *gw = run->groups;
    const size_t total = plan->n_subjects * plan->n_points, P = plan->n_points;
    const size_t n_spans = (total + SPAN - 1) / SPAN;
    size_t first = SIZE_MAX;
    double xmax = 0.0;
#pragma omp parallel for schedule(static) num_threads((int)gw->n_threads) \
    reduction(min : first) reduction(max : xmax)
    for (size_t c = 0; c < n_spans; c++) {
        const size_t i0 = c * SPAN, i1 = total - i0 < SPAN ? total : i0 + SPAN;
        double m = 0.0;
        int bad = 0;
        for (size_t i = i0; i < i1; i++) { /* no early exit: this loop vectorises */
            const double a = fabs(X[i]);
            bad |= !(a <= DBL_MAX); /* NaN or Inf */
            m = a > m ? a : m;
        }
        for (size_t i = i0; bad && i < i1; i++)
            if (!(fabs(X[i]) <= DBL_MAX)) {
                first = i < first ? i : first;
                break;
            }
        xmax = m > xmax ? m : xmax;
    }
    info->first_nonfinite = first;
    info->xmax = xmax;
    if (first != SIZE_MAX) return;
    if (hat_adjusted(plan)) { /* the hat needs the whole map's largest variance first */
        stat_map(plan, X, gw->identity, gw->sums[0], run->tobs, gw->var[0]);
        return;
    }
    const size_t n_blocks = (P + F_BLOCK - 1) / F_BLOCK;
#pragma omp parallel for schedule(static) num_threads((int)gw->n_threads)
    for (size_t b = 0; b < n_blocks; b++) {
        size_t tid = 0;
#ifdef _OPENMP
        tid = (size_t)omp_get_thread_num();
#endif
        const size_t p0 = b * F_BLOCK;
        block_stat(plan, X, gw->identity, p0, P - p0 < F_BLOCK ? P - p0 : F_BLOCK, gw->sums[tid],
                   run->tobs + p0);
    }
}

static int groups_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                          cperm_err *err) {
    (void)X;
    (void)err;
    cperm_observe_clusters(plan, run);
    return CPERM_OK;
}

/* One order alone, the whole map at a time: the hat-adjusted t, and an order whose points
 * overflowed its batch list. */
static double one_order(const cperm_plan *plan, const double *X, cperm_run *run,
                        const uint32_t *order, size_t tid) {
    struct cperm_groups_ws *gw = run->groups;
    stat_map(plan, X, order, gw->sums[tid], gw->map[tid], gw->var[tid]);
    size_t m = supra_points(plan, gw->map[tid], run->include, gw->pts[tid]);
    double stat = 0.0;
    cperm_find_clusters(plan, &run->ws[tid], gw->pts[tid], m, NULL, &stat);
    return stat;
}

/* ------------------------------------------------------------ screened path */

/* The screen's candidates `cand` of one block under one order: MNE's values (block_stat over
 * each run of adjacent candidates), the threshold and the include mask, into the order's
 * list. -1 when the part's pool is full. */
static int exact_candidates(const cperm_plan *plan, const double *X, const cperm_run *run,
                            screen_part *pt, const uint32_t *order, size_t p0, uint64_t cand,
                            size_t kk, double *scratch) {
    double vals[CPERM_SCREEN_BLOCK];
    while (cand) {
        const size_t j = (size_t)__builtin_ctzll(cand);
        const uint64_t rest = ~(cand >> j);
        const size_t len = rest ? (size_t)__builtin_ctzll(rest) : 64 - j;
        cand &= len + j >= 64 ? 0 : ~(uint64_t)0 << (j + len);
        block_stat(plan, X, order, p0 + j, len, scratch, vals);
        for (size_t i = 0; i < len; i++) {
            const size_t p = p0 + j + i;
            if (!supra(plan, vals[i]) || !run->include[p]) continue;
            if (cperm_page_pool_append(&pt->pool, kk, (int64_t)p, vals[i]) < 0) return -1;
        }
    }
    return 0;
}

/* Orders [k0, k0 + nk) of the window over this part's blocks. -1 on pool overflow. */
static int screen_part_run(const cperm_plan *plan, const double *X, const cperm_run *run,
                           screen_part *pt, size_t k0, size_t nk, double *scratch) {
    const struct cperm_groups_ws *gw = run->groups;
    const cperm_group_screen *sc = &gw->screen;
    const size_t P = plan->n_points, n = plan->n_subjects;
    const uint32_t *orders = (const uint32_t *)(const void *)run->win_orders;
    const uint8_t *patterns = gw->patterns + (k0 - run->win_k0) * gw->pattern_bytes;
    float bound[CPERM_SCREEN_BLOCK], slack[CPERM_SCREEN_BLOCK];
    cperm_page_pool_reset(&pt->pool, nk);
    for (size_t b = pt->block_begin; b < pt->block_end; b++) {
        const size_t p0 = b * CPERM_SCREEN_BLOCK;
        const size_t bn = P - p0 < CPERM_SCREEN_BLOCK ? P - p0 : CPERM_SCREEN_BLOCK;
        cperm_group_screen_block(sc, X, P, p0, bn, pt->tables, bound, slack);
        cperm_group_screen_orders(sc, pt->tables, patterns, nk, bound, slack, pt->masks);
        for (size_t kk = 0; kk < nk; kk++) {
            if (!pt->masks[kk]) continue;
            const uint32_t *order = orders + (k0 + kk - run->win_k0) * n;
            if (exact_candidates(plan, X, run, pt, order, p0, pt->masks[kk], kk, scratch) < 0)
                return -1;
        }
    }
    return 0;
}

/* The screened path of groups_permute: rounds of up to gw->chunk orders (halved when a
 * part's pool overflows, grown back when rounds use little of it); in each, threads screen
 * their parts, then cluster the orders. */
static int screened_permute(const cperm_plan *plan, const double *X, cperm_run *run,
                            size_t k0, size_t k1, cperm_err *err) {
    struct cperm_groups_ws *gw = run->groups;
    const size_t n = plan->n_subjects;
    const uint32_t *orders = (const uint32_t *)(const void *)run->win_orders;
    for (size_t k = k0; k < k1; k++)
        cperm_group_screen_patterns(&gw->screen, orders + (k - run->win_k0) * n,
                                    gw->patterns + (k - run->win_k0) * gw->pattern_bytes);
    while (k0 < k1) {
        const size_t nk = k1 - k0 < gw->chunk ? k1 - k0 : gw->chunk;
        int overflow = 0;
#pragma omp parallel for schedule(static, 1) num_threads((int)gw->n_threads) reduction(| : overflow)
        for (size_t i = 0; i < gw->n_parts; i++) {
            size_t tid = 0;
#ifdef _OPENMP
            tid = (size_t)omp_get_thread_num();
#endif
            overflow |= screen_part_run(plan, X, run, &gw->parts[i], k0, nk, gw->sums[tid]) < 0;
        }
        if (overflow) {
            /* too many supra-threshold points for the pool: redo with fewer orders */
            if (nk == 1) return cperm_fail(err, CPERM_ENOMEM, "engine: point pool exhausted");
            gw->chunk = nk / 2;
            continue;
        }
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)gw->n_threads)
        for (size_t kk = 0; kk < nk; kk++) {
            size_t tid = 0;
#ifdef _OPENMP
            tid = (size_t)omp_get_thread_num();
#endif
            cperm_point *g = gw->pts[tid];
            size_t m = 0; /* parts ascend: so do the points */
            for (size_t i = 0; i < gw->n_parts; i++)
                m += cperm_page_pool_gather(&gw->parts[i].pool, kk, g + m);
            double stat = 0.0;
            cperm_find_clusters(plan, &run->ws[tid], g, m, NULL, &stat);
            run->h0[1 + k0 + kk] = stat;
        }
        k0 += nk;
        size_t used = 0, cap = 0;
        for (size_t i = 0; i < gw->n_parts; i++) {
            used += gw->parts[i].pool.used;
            cap += gw->parts[i].pool.n_pages;
        }
        gw->chunk = cperm_page_pool_next_chunk(gw->chunk, gw->max_chunk, used, cap);
    }
    return CPERM_OK;
}

/* ------------------------------------------------------------- the kernel */

/* Orders [k0, k1) of the window into run->h0[1 + k]: MNE's largest cluster sum (np.max of
 * the sums, whatever the tail), 0 without a cluster. Orders go to threads in batches of
 * BATCH, and a batch runs block by block over the points: each block's rows of X are read
 * from memory once for the batch, not once per order, as per-order maps would (X is
 * usually far larger than the caches). */
static int groups_permute(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                          size_t k0, size_t k1, cperm_err *err) {
    struct cperm_groups_ws *gw = run->groups;
    const size_t n = plan->n_subjects, P = plan->n_points, cap = gw->list_cap;
    const uint32_t *orders = (const uint32_t *)(const void *)run->win_orders;
    const size_t n_batches = (k1 - k0 + BATCH - 1) / BATCH;
    (void)pass;
    if (gw->screened) return screened_permute(plan, X, run, k0, k1, err);
#pragma omp parallel for schedule(dynamic, 1) num_threads((int)gw->n_threads)
    for (size_t b = 0; b < n_batches; b++) {
        size_t tid = 0;
#ifdef _OPENMP
        tid = (size_t)omp_get_thread_num();
#endif
        const size_t a = k0 + b * BATCH, m = k1 - a < BATCH ? k1 - a : BATCH;
        const uint32_t *ord[BATCH];
        for (size_t i = 0; i < m; i++) ord[i] = orders + (a + i - run->win_k0) * n;
        if (hat_adjusted(plan)) {
            for (size_t i = 0; i < m; i++) run->h0[1 + a + i] = one_order(plan, X, run, ord[i], tid);
            continue;
        }
        cperm_point *lists = gw->lists[tid];
        size_t len[BATCH] = {0};
        double vals[F_BLOCK];
        for (size_t p0 = 0; p0 < P; p0 += F_BLOCK) {
            const size_t bn = P - p0 < F_BLOCK ? P - p0 : F_BLOCK;
            for (size_t i = 0; i < m; i++) {
                if (len[i] > cap) continue; /* overflowed: done alone below */
                block_stat(plan, X, ord[i], p0, bn, gw->sums[tid], vals);
                cperm_point *list = lists + i * cap;
                for (size_t j = 0; j < bn; j++) {
                    if (!supra(plan, vals[j]) || !run->include[p0 + j]) continue;
                    if (len[i] == cap) {
                        len[i] = cap + 1;
                        break;
                    }
                    list[len[i]].idx = (int64_t)(p0 + j);
                    list[len[i]].t = vals[j];
                    len[i]++;
                }
            }
        }
        for (size_t i = 0; i < m; i++) {
            double stat = 0.0;
            if (len[i] > cap)
                stat = one_order(plan, X, run, ord[i], tid);
            else
                cperm_find_clusters(plan, &run->ws[tid], lists + i * cap, len[i], NULL, &stat);
            run->h0[1 + a + i] = stat;
        }
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
        if (gw->lists) free(gw->lists[i]);
    }
    for (size_t i = 0; gw->parts && i < gw->n_parts; i++) {
        free(gw->parts[i].tables);
        cperm_page_pool_free(&gw->parts[i].pool);
        free(gw->parts[i].masks);
    }
    free(gw->parts);
    free(gw->patterns);
    free(gw->lists);
    free(gw->sums);
    free(gw->map);
    free(gw->var);
    free(gw->pts);
    free(gw->identity);
    free(gw);
    run->groups = NULL;
}

/* The screened path's state: parts of point blocks (one per thread), their tables and page
 * pools (cperm_page_pool_init: bounded, and always enough for a round of one order). */
static int screen_create(struct cperm_groups_ws *gw, const cperm_plan *plan) {
    const size_t P = plan->n_points;
    const size_t n_blocks = (P + CPERM_SCREEN_BLOCK - 1) / CPERM_SCREEN_BLOCK;
    size_t parts = gw->n_threads < n_blocks ? gw->n_threads : n_blocks;
    if (parts < 1) parts = 1;
    gw->max_chunk = plan->n_orders < CPERM_ORDER_WINDOW ? plan->n_orders : CPERM_ORDER_WINDOW;
    if (gw->max_chunk < 1) gw->max_chunk = 1;
    gw->chunk = gw->max_chunk;
    gw->pattern_bytes = gw->screen.n_classes * gw->screen.n_chunks;
    gw->patterns = cperm_malloc(gw->max_chunk, gw->pattern_bytes);
    gw->parts = calloc(parts, sizeof *gw->parts);
    if (!gw->patterns || !gw->parts) return CPERM_ENOMEM;
    gw->n_parts = parts;
    for (size_t i = 0; i < parts; i++) {
        screen_part *pt = &gw->parts[i];
        pt->block_begin = i * n_blocks / parts;
        pt->block_end = (i + 1) * n_blocks / parts;
        const size_t own = (pt->block_end - pt->block_begin) * CPERM_SCREEN_BLOCK;
        const int pool_rc = cperm_page_pool_init(
            &pt->pool, plan->n_subjects * P * sizeof(double), parts, own, gw->max_chunk);
        pt->tables = cperm_malloc(cperm_group_screen_table_floats(&gw->screen), sizeof(float));
        pt->masks = cperm_malloc(gw->max_chunk, sizeof *pt->masks);
        if (pool_rc || !pt->tables || !pt->masks) return CPERM_ENOMEM;
    }
    return CPERM_OK;
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
    gw->lists = calloc(gw->n_threads, sizeof *gw->lists);
    /* a permuted map rarely has more than an eighth of its points above the threshold; one
     * that has is computed again alone */
    gw->list_cap = plan->n_points / 8 > 4096 ? plan->n_points / 8 : plan->n_points;
    gw->identity = cperm_malloc(plan->n_subjects, sizeof *gw->identity);
    if (!gw->sums || !gw->pts || !gw->map || !gw->var || !gw->lists || !gw->identity)
        return CPERM_ENOMEM;
    const int need_var = plan->opt.statistic == CPERM_STAT_T_IND && plan->opt.sigma > 0;
    for (size_t i = 0; i < plan->n_subjects; i++) gw->identity[i] = (uint32_t)i;
    for (size_t i = 0; i < gw->n_threads; i++) {
        gw->sums[i] = cperm_malloc(plan->opt.statistic == CPERM_STAT_F_MWAY_RM
                                   ? cperm_rm_scratch_len(&plan->rm)
                                   : 2 * plan->n_classes * F_BLOCK, sizeof(double));
        gw->pts[i] = cperm_malloc(plan->n_points, sizeof(cperm_point));
        gw->map[i] = cperm_malloc(plan->n_points, sizeof(double));
        if (need_var) gw->var[i] = cperm_malloc(plan->n_points, sizeof(double));
        gw->lists[i] = cperm_malloc(BATCH * gw->list_cap, sizeof(cperm_point));
        if (!gw->lists[i]) return CPERM_ENOMEM;
        if (!gw->sums[i] || !gw->pts[i] || !gw->map[i] || (need_var && !gw->var[i]))
            return CPERM_ENOMEM;
    }
    gw->screened = cperm_group_screen_init(&gw->screen, plan);
    return gw->screened ? screen_create(gw, plan) : CPERM_OK;
}

static size_t groups_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    if (run->groups->screened) return run->groups->max_chunk;
    return 4 * BATCH * run->groups->n_threads;
}

/* MNE's _pval_from_histogram: tail 1 counts H0 >= s, tail -1 H0 <= s, tail 0 |H0| >= |s|. */
static int groups_rule(const cperm_plan *plan) {
    return plan->opt.tail > 0 ? CPERM_PV_GE : plan->opt.tail < 0 ? CPERM_PV_LE : CPERM_PV_ABS;
}

const cperm_kernel cperm_kernel_groups_f = {
    "cluster", groups_create, groups_destroy, groups_observe, groups_permute, groups_chunk,
    groups_rule, groups_scan,
};
