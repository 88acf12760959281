/* engine_internal.h - private layout of plans and runs, shared by the engine's modules:
 * plan.c (plans and runs), driver.c (the one driver: passes, ranges, p-values, step-down),
 * checkpoint.c, clusters.c (clusters of a map) and the cluster statistics behind the
 * cperm_kernel interface below (signflip.c: cluster mass; tfce.c: TFCE). */
#ifndef CPERM_ENGINE_INTERNAL_H
#define CPERM_ENGINE_INTERNAL_H

#include "common_internal.h"
#include "orders_internal.h"
#include "rmanova_internal.h"

#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct cperm_scan_info cperm_scan_info; /* tstat.c, below */

/* Points per kernel block: one 64-bit word of a per-permutation bitset. */
#define CPERM_BLOCK 64

/* How a unit's p-value counts H0 (MNE's _pval_from_histogram and its TFCE variant):
 * p = #{h in H0 : h >= s} (GE), #{h <= s} (LE) or #{|h| >= |s|} (ABS), over len(H0). H0[0],
 * the observed statistic, is the extreme of the units' statistics in the same sense (the
 * largest, the smallest, the largest magnitude). */
enum { CPERM_PV_GE = 0, CPERM_PV_LE = 1, CPERM_PV_ABS = 2 };

/* A cluster statistic, as the driver (driver.c) sees it. The driver owns everything around
 * it: X's validation and T_obs, include masks, passes, the chunks of orders and the progress
 * and cancellation calls between them, checkpoint state, p-values and step-down. Within one
 * call a kernel spreads its work over run->n_threads threads. A kernel computes:
 *  - observe: with run->tobs (MNE's t of X) and run->include (1 = not excluded) set, the
 *    observed units into run->obs (clusters, or one unit per point), with their statistics,
 *    and whatever permute needs for this X (e.g. each order's hat adjustment). 0 or an error.
 *  - permute: run->h0[1 + k] for the orders k in [k0, k1) of step-down pass `pass`, under the
 *    current run->include (units removed by step-down are excluded there). Each entry must
 *    depend only on X, the plan, the include mask and k, never on how [0, n_orders) is split
 *    into calls, nor on the thread count. Allocates nothing. 0 or an error (err filled).
 *    The driver has put orders [k0, k1) in run's window (cperm_order_signs) before the call.
 *  - chunk: the orders per permute call between progress callbacks (at most
 *    CPERM_ORDER_WINDOW, the window's size).
 *  - rule: the p-value rule, CPERM_PV_*.
 *  - scan: the observed statistic of X into run->tobs, with X's finiteness and largest
 *    magnitude (NULL: the one-sample t, cperm_tstat_scan).
 * create/destroy hold the kernel's state in the run (run->flip, run->tfce). */
typedef struct cperm_kernel {
    const char *unit;           /* "cluster", "point": for messages */
    int (*create)(cperm_run *run, const cperm_plan *plan);
    void (*destroy)(cperm_run *run);
    int (*observe)(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err);
    int (*permute)(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                   size_t k0, size_t k1, cperm_err *err);
    size_t (*chunk)(const cperm_plan *plan, const cperm_run *run);
    int (*rule)(const cperm_plan *plan);
    void (*scan)(const cperm_plan *plan, const double *X, cperm_run *run,
                 cperm_scan_info *info);
} cperm_kernel;

extern const cperm_kernel cperm_kernel_cluster_mass; /* signflip.c + clusters.c */
extern const cperm_kernel cperm_kernel_tfce;         /* tfce.c */
extern const cperm_kernel cperm_kernel_groups_f;     /* groups.c + clusters.c: label
                                                        shuffles, one-way F, cluster mass */
extern const cperm_kernel cperm_kernel_callback;     /* callback.c: the caller's statistic
                                                        (CPERM_STAT_CALLBACK), either design,
                                                        cluster mass, */
extern const cperm_kernel cperm_kernel_callback_tfce; /* or TFCE */

struct cperm_plan {
    size_t n_subjects, n_times, n_vertices, n_points;
    size_t *indptr;             /* spatial CSR, no self-loops */
    int32_t *indices;
    uint32_t *lower_indptr;     /* the same edges to lower-numbered vertices only */
    int32_t *lower_indices;
    cperm_options opt;          /* copy; opt.spatial_exclude points at `exclude` */
    uint8_t *exclude;           /* n_vertices or NULL */
    uint8_t *point_exclude;     /* n_points or NULL (opt.exclude points at it) */
    double threshold;
    size_t n_classes;           /* GROUPS: the design's groups, stacked in X */
    size_t class_start[CPERM_MAX_GROUPS + 1], class_size[CPERM_MAX_GROUPS];
    cperm_rm_design rm;         /* F_MWAY_RM: the cells (classes) and the effect's contrast */
    cperm_order_stream *orders; /* MNE's orders, regenerated per window (perm/orders.c) */
    size_t n_orders;
    int exact;
    int n_threads;
    /* sign-flip tables: subjects split into groups of <= 8 */
    size_t n_groups;
    size_t group_start[65], group_size[64];
    const cperm_kernel *kernel; /* the cluster statistic */
};

/* Whether point p may be in a cluster before any step-down: excluded by neither the spatial
 * mask (the same at every time point) nor the per-point one. */
static inline uint8_t cperm_plan_includes(const cperm_plan *plan, size_t p) {
    return !(plan->exclude && plan->exclude[p % plan->n_vertices]) &&
           !(plan->point_exclude && plan->point_exclude[p]);
}

/* A supra-threshold point: flat index and its t value. */
typedef struct cperm_point {
    int64_t idx;
    double t;
} cperm_point;

/* Per-thread scratch for clustering one statistic map given as an ascending point list. */
typedef struct cperm_cluster_ws {
    size_t cap;                 /* points it can hold (n_points) */
    uint32_t *stamp;            /* n_points: generation tag of points present now */
    int32_t *pos_of;            /* n_points: position of a present point in the list */
    uint32_t gen;
    int32_t *parent;            /* cap: union-find / cluster labels */
    int32_t *label;             /* cap */
    int32_t *next;              /* cap: linked member lists */
    int32_t *head, *tail;       /* cap+1 */
    int64_t *count;             /* cap+1 */
    int64_t *pairs;             /* 2*cap scratch for the 1-step merge */
    int32_t *queue;             /* cap */
    int32_t *order;             /* cap: member order for sums */
    double *vals;               /* cap: transformed values for sums */
    cperm_point *signed_pts;    /* cap: the positive points */
    cperm_point *negative_pts;  /* cap: the other sign's points */
    int32_t *vertex_of;         /* cap: each listed point's vertex (components' prefetch) */
    size_t *row_begin;          /* n_times + 1 */
    uint64_t *rowbits;          /* (max_step+1) x words of n_vertices bits: the union-find
                                   row window's membership (all clear between calls) */
    int32_t *rowpos;            /* (max_step+1) x n_vertices: a member's position */
    size_t *slot_row;           /* max_step + 1: the row each slot holds, or SIZE_MAX */
    size_t *slot_first, *slot_end; /* max_step + 1: that row's points in the call's list */
    int32_t *rnext;             /* cap: per-row label lists of the 1-step merge */
    int32_t *rhead[2], *rtail[2], *rstamp[2]; /* cap+1 each, label-indexed */
    /* cluster-forming controls (issue 13): distinct time points and vertices of a cluster */
    size_t n_times, n_vertices;
    uint32_t *time_tag;         /* n_times */
    uint32_t *vertex_tag;       /* n_vertices */
    uint32_t time_gen, vertex_gen;
} cperm_cluster_ws;

/* Clusters found in one map: members (flat indices) concatenated, in output order. */
typedef struct cperm_cluster_set {
    size_t n_clusters;
    size_t *offsets;            /* n_clusters + 1 */
    int64_t *members;
    double *stats;
} cperm_cluster_set;

/* Exact TFCE's extra statistics (options.tfce_also): the observed threshold clusters, and per
 * statistic (0 = mass, 1 = extent) their values, p-values and H0; allocated by
 * cperm_kernel_tfce's create, filled by its observe and permute, p-values by driver.c's
 * end_pass. have/n_have: the orders of the pass whose extra entries this run computed (set by
 * driver.c after each computed range). */
typedef struct cperm_also {
    unsigned what;              /* CPERM_ALSO_* bits */
    cperm_cluster_set obs;      /* capacity n_points; obs.stats unused */
    double *stats[2], *pv[2], *h0[2];
    uint64_t *have;             /* n_orders bits */
    size_t n_have;
    int have_result;
} cperm_also;

struct cperm_run {
    const cperm_plan *plan;
    int n_threads;              /* this run's threads (the plan's n_jobs unless set) */
    int n_ws;                   /* cluster workspaces in ws */
    cperm_progress_fn progress; /* this run's callback (the plan's unless set) */
    void *progress_user;
    double *tobs;               /* n_points */
    double *sumsq;              /* n_points: sum of squares per point */
    uint8_t *include;           /* n_points: 1 = may be in a cluster */
    cperm_point *obs_points;    /* n_points */
    cperm_cluster_set obs;      /* capacity n_points */
    double *pvalues;            /* n_points capacity */
    double *h0;                 /* n_orders + 1 */
    double *h0_sorted;          /* n_orders + 1: p-value scratch */
    uint64_t *have;             /* n_orders bits: H0 entries of this pass computed/imported */
    size_t n_have;              /* bits set in `have` */
    /* the window: orders [win_k0, win_k0 + win_n) of the chunk being permuted, regenerated
     * by the driver from plan->orders before each kernel call */
    uint8_t *win_orders;        /* CPERM_ORDER_WINDOW x n_subjects: sign bytes, or uint32
                                   indices for label orders */
    size_t win_k0, win_n;
    cperm_order_cursor cursor;  /* the stream's RNG after the last window */
    double *sign_rows;          /* n_threads x n_subjects: one order's +-1.0 per thread */
    size_t n_step_downs;
    int have_result;
    int have_observed;          /* T_obs and the observed clusters are final (after begin) */
    int pass_open;              /* begun and the pass not yet ended by its last end_pass */
    /* progress and checkpoints: state between chunks */
    int pass;                   /* current step-down pass */
    size_t done;                /* orders finished in this pass: H0[1 .. done] all present */
    size_t n_removed;           /* clusters excluded in this pass (from the previous one) */
    size_t *removed;            /* their indices, ascending (capacity n_points) */
    size_t *pass_removed;       /* clusters (TFCE: points) newly excluded by each pass
                                   (n_points + 1); passes before a restored one come from
                                   the checkpoint */
    size_t n_executed;          /* orders computed by execute/permute calls since
                                   create/restore, all passes summed (cperm_run_n_executed) */
    size_t n_restored;          /* orders of its pass the last restored checkpoint carried */
    int restored_pass;          /* and that pass */
    const double *X;            /* data of the current/last begin (not owned) */
    uint64_t fingerprint;       /* of X and the plan, computed on demand */
    int fingerprint_valid;
    double xmax;                /* largest |x| of the current X */
    int resume_pending;         /* a restored checkpoint waits for the next begin */
    uint64_t resume_fingerprint;
    /* the cluster statistic's state (cperm_kernel create/destroy) */
    cperm_cluster_ws *ws;       /* n_threads (cluster mass) */
    struct cperm_flip_ws *flip; /* sign-flip kernel state (signflip.c), cluster mass */
    struct cperm_tfce_ws *tfce; /* TFCE state (tfce.c), NULL unless opt.tfce */
    struct cperm_groups_ws *groups; /* label-permutation state (groups.c) */
    struct cperm_callback_ws *callback; /* the caller's statistic (callback.c) */
    cperm_also also;            /* exact TFCE's extra statistics (tfce.c), what = 0 if none */
};

/* The root of k in a union-find forest of int32 parents (a root is its own parent), with
 * path halving; no store when k hangs right under its root, the usual case (clusters.c and
 * TFCE compat mne1.3's components, tfce_mne13.c). */
static inline int32_t cperm_uf_find32(int32_t *parent, int32_t k) {
    for (;;) {
        const int32_t p = parent[k];
        if (p == k) return k;
        const int32_t gp = parent[p];
        if (gp == p) return p;
        parent[k] = gp;
        k = gp;
    }
}

/* A cluster member's contribution: sign(x) * |x| ** t_power with numpy's fast paths for the
 * array power (clusters.c, and exact TFCE's clusters in tfce_tree.c). */
static inline double cperm_powered(double x, double t_power) {
    if (t_power == 1.0) return x;
    double s = x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
    double a = fabs(x), v;
    if (t_power == 0.0) v = 1.0;
    else if (t_power == 0.5) v = sqrt(a);
    else if (t_power == 2.0) v = a * a;
    else if (t_power == -1.0) v = 1.0 / a;
    else v = pow(a, t_power);
    return s * v;
}

/* clusters.c */
int cperm_cluster_ws_init(cperm_cluster_ws *ws, size_t n_points, size_t n_times,
                          size_t n_vertices, size_t max_step);
void cperm_cluster_ws_free(cperm_cluster_ws *ws);
/* run->ws: one workspace per thread (cluster-mass kernels' create/destroy). */
int cperm_cluster_ws_create_all(cperm_run *run, const cperm_plan *plan);
void cperm_cluster_ws_destroy_all(cperm_run *run);
/* The observed clusters: run->tobs's supra-threshold points (tail and plan->threshold) that
 * run->include keeps, clustered into run->obs. */
void cperm_observe_clusters(const cperm_plan *plan, cperm_run *run);
/* Cluster the ascending point list `pts` (only included, supra-threshold points), after the
 * plan's cluster-forming controls: min_neighbors removes points first, min_duration and
 * min_extent discard clusters (neither stored nor in *max_stat). If `out` is NULL only the
 * permutation statistic (the signed cluster sum of largest magnitude, first in MNE's order on
 * ties; for GROUPS designs the largest sum, as MNE's _do_permutations; 0 if none) is returned
 * in *max_stat. */
int cperm_find_clusters(const cperm_plan *plan, cperm_cluster_ws *ws, const cperm_point *pts,
                        size_t n_pts, cperm_cluster_set *out, double *max_stat);

/* checkpoint.c: a 64-bit fingerprint of X and of everything in the plan that shapes results */
uint64_t cperm_run_fingerprint(const cperm_plan *plan, const double *X);

/* tstat.c */
struct cperm_scan_info {
    double xmax;                /* largest |x| */
    size_t first_nonfinite;     /* flat index into X of the first NaN/Inf, or SIZE_MAX */
};
/* One blocked, threaded scan of X: MNE-exact observed t, sums of squares, finiteness and
 * the largest magnitude (for the float32 screen's scale). */
void cperm_tstat_scan(const double *X, size_t n, size_t P, double sigma, int method,
                      double *t_out, double *sumsq_out, double *var, int nthreads,
                      cperm_scan_info *info);
/* t values of the observed data with MNE's exact arithmetic; also sum of squares per point. */
void cperm_tstat_observed(const double *X, size_t n_subjects, size_t n_points, double sigma,
                          int method, double *t_out, double *sumsq_out, double *var_scratch);
/* The t of permuted maps, MNE's ttest_1samp_no_p(X * signs) bit for bit; every kernel uses
 * these. X is (n x P) with row stride P. cperm_tstat_signed_moments: mean[j] and var[j]
 * (two-pass, ddof=1) of points p0 + j, j < count, under signs; returns the larger of vmax and
 * the largest variance (`var > vmax` comparisons in point order). cperm_tstat_signed_t: in
 * place over the means, t = mean / sqrt((var + hat) / n). */
double cperm_tstat_signed_moments(const double *X, size_t n, size_t P, size_t p0, size_t count,
                                  const double *signs, double *mean, double *var, double vmax);
void cperm_tstat_signed_t(double *t, const double *var, size_t count, size_t n, double hat);
/* The same t of points p0 + j (count <= 64) straight into t[j], hat given, computed for the
 * 16-point chunks holding a bit of `want` (bit j = point p0 + j) and, past the last whole
 * chunk, for the wanted points alone; other entries of t are left as they were. */
void cperm_tstat_signed_block_t(const double *X, size_t n, size_t P, size_t p0, size_t count,
                                const double *signs, double hat, uint64_t want, double *t);
/* The same t of `count` (order, point) pairs, into t[c]: point p0 + off[c] under the signs
 * of row[c] (signs + row[c] * n, as +-1.0) with hat hats[row[c]]; eight pairs at a time,
 * one per vector lane, so scattered candidates of many orders share the work. scratch:
 * 8 * n doubles. */
void cperm_tstat_signed_pairs_t(const double *X, size_t n, size_t P, size_t p0,
                                const uint8_t *off, const uint32_t *row, size_t count,
                                const double *signs, const double *hats, double *scratch,
                                double *t);
/* cperm_tstat_signed_maps: count whole maps (P points) in one pass over X (each chunk of X
 * read once from memory for all of them): map b under signs + b * n into t[b], each with the
 * hat of its own largest variance; var: count * P doubles of scratch, used only with a hat
 * (sigma > 0; may be NULL otherwise). */
void cperm_tstat_signed_maps(const double *X, size_t n, size_t P, const double *signs,
                             size_t count, double sigma, int method, double *const *t,
                             double *var);
/* Per-order point lists in a fixed pool of pages (pagepool.c), one pool per thread's part of
 * a screened kernel. Append returns -1 when the pool is full (the kernel then redoes the
 * round with fewer orders); gather copies order k's points, in append order, to out. */
/* 64 points (1 KB) a page: each order's last page is half empty on average, and a round of
 * the seed case (1024 orders, two parts) touched 4 MB more with 256 (issue 17: first touches
 * cost as much as the rest of the screen's writes) */
#define CPERM_PAGE_POINTS 64
typedef struct cperm_page {
    int32_t next;
    uint32_t len;               /* set when the page fills; the tail page's is fill[k] */
    cperm_point pts[CPERM_PAGE_POINTS];
} cperm_page;
typedef struct cperm_page_pool {
    cperm_page *pages;
    size_t n_pages, used;
    int32_t *head, *tail;       /* per order of the round: its page list */
    uint32_t *fill;             /* per order: points in its tail page (kept here, beside
                                   tail, so that an append touches one line of the page) */
} cperm_page_pool;
int cperm_page_pool_init(cperm_page_pool *pool, size_t x_bytes, size_t n_parts,
                         size_t own_points, size_t max_orders);
void cperm_page_pool_free(cperm_page_pool *pool);
void cperm_page_pool_reset(cperm_page_pool *pool, size_t n_orders);
size_t cperm_page_pool_gather(const cperm_page_pool *pool, size_t k, cperm_point *out);
/* The next round's orders: doubled (up to max_chunk) when this round used under a quarter of
 * the pools' pages. */
size_t cperm_page_pool_next_chunk(size_t chunk, size_t max_chunk, size_t used, size_t cap);
static inline int cperm_page_pool_append(cperm_page_pool *pool, size_t k, int64_t idx,
                                         double t) {
    int32_t tl = pool->tail[k];
    uint32_t f = pool->fill[k];
    if (tl < 0 || f == CPERM_PAGE_POINTS) {
        if (pool->used == pool->n_pages) return -1;
        const int32_t fresh = (int32_t)pool->used++;
        pool->pages[fresh].next = -1;
        if (tl < 0) {
            pool->head[k] = fresh;
        } else {
            pool->pages[tl].next = fresh;
            pool->pages[tl].len = CPERM_PAGE_POINTS;
        }
        pool->tail[k] = tl = fresh;
        f = 0;
    }
    cperm_point *slot = &pool->pages[tl].pts[f];
    slot->idx = idx;
    slot->t = t;
    pool->fill[k] = f + 1;
    return 0;
}

/* MNE's hat adjustment for a map whose largest variance is vmax. */
static inline double cperm_tstat_hat(double sigma, int method, double vmax) {
    if (!(sigma > 0)) return 0.0;
    return method == CPERM_SIGMA_ABSOLUTE ? sigma : sigma * vmax;
}
/* One point: the same arithmetic as cperm_tstat_signed_moments for count 1 (which the
 * kernels' per-candidate paths call inline, where a call per point would cost more than the
 * point); `x` strided by `stride`. Returns the variance. */
static inline double cperm_signed_var(const double *x, size_t stride, const double *signs,
                                      size_t n, double *mean_out) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += signs[i] * x[i * stride];
    double m = s / (double)n;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = signs[i] * x[i * stride] - m;
        ss += d * d;
    }
    *mean_out = m;
    return ss / (double)(n - 1);
}

/* Order k of the current window as +-1.0 per subject (MNE's 2 * order - 1) into out (n
 * doubles); cperm_order_signs into the calling OpenMP thread's row of run->sign_rows. The
 * window holds bytes, and expanding one costs n stores against the n x (block)
 * multiply-adds it feeds. */
static inline void cperm_order_signs_to(const cperm_plan *plan, const cperm_run *run,
                                        size_t k, double *out) {
    const size_t n = plan->n_subjects;
    const uint8_t *o = run->win_orders + (k - run->win_k0) * n;
    for (size_t i = 0; i < n; i++) out[i] = o[i] ? 1.0 : -1.0;
}
static inline const double *cperm_order_signs(const cperm_plan *plan, const cperm_run *run,
                                              size_t k) {
    size_t tid = 0;
#ifdef _OPENMP
    tid = (size_t)omp_get_thread_num();
#endif
    double *row = run->sign_rows + tid * plan->n_subjects;
    cperm_order_signs_to(plan, run, k, row);
    return row;
}

#endif
