/* engine_internal.h - private layout of plans and runs, shared by the engine's modules
 * (plan.c drives, signflip.c computes permuted statistics, clusters.c forms clusters). */
#ifndef CPERM_ENGINE_INTERNAL_H
#define CPERM_ENGINE_INTERNAL_H

#include "common_internal.h"

/* Points per kernel block: one 64-bit word of a per-permutation bitset. */
#define CPERM_BLOCK 64

struct cperm_plan {
    size_t n_subjects, n_times, n_vertices, n_points;
    size_t *indptr;             /* spatial CSR, no self-loops */
    int32_t *indices;
    cperm_options opt;          /* copy; opt.spatial_exclude points at `exclude` */
    uint8_t *exclude;           /* n_vertices or NULL */
    double threshold;
    uint8_t *orders;            /* n_orders x n_subjects, 1 = kept */
    double *signs;              /* n_orders x n_subjects, +1.0 / -1.0 */
    size_t n_orders;
    int exact;
    int n_threads;
    /* sign-flip tables: subjects split into groups of <= 8 */
    size_t n_groups;
    size_t group_start[65], group_size[64];
    uint16_t *patterns;         /* n_orders x n_groups table rows */
};

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
    cperm_point *signed_pts;    /* cap: one sign's points */
    size_t *row_begin;          /* n_times + 1 */
    uint32_t *rowtag;           /* (max_step+1) x n_vertices: union-find row window */
    int32_t *rowpos;
    size_t *slot_row;           /* max_step + 1 */
    uint32_t *slot_tag;
    uint32_t tagctr;
    int32_t *rnext;             /* cap: per-row label lists of the 1-step merge */
    int32_t *rhead[2], *rtail[2], *rstamp[2]; /* cap+1 each, label-indexed */
} cperm_cluster_ws;

/* Clusters found in one map: members (flat indices) concatenated, in output order. */
typedef struct cperm_cluster_set {
    size_t n_clusters;
    size_t *offsets;            /* n_clusters + 1 */
    int64_t *members;
    double *stats;
} cperm_cluster_set;

struct cperm_run {
    const cperm_plan *plan;
    double *tobs;               /* n_points */
    double *sumsq;              /* n_points: sum of squares per point */
    uint8_t *include;           /* n_points: 1 = may be in a cluster */
    cperm_point *obs_points;    /* n_points */
    cperm_cluster_set obs;      /* capacity n_points */
    double *pvalues;            /* n_points capacity */
    double *h0;                 /* n_orders + 1 */
    double *hat;                /* n_orders: sigma * max var (or sigma) per order */
    size_t n_step_downs;
    int have_result;
    int have_observed;          /* T_obs and the observed clusters are final (during execute) */
    /* progress and checkpoints: state between chunks */
    int pass;                   /* current step-down pass */
    size_t done;                /* orders finished in this pass */
    size_t n_removed;           /* clusters excluded in this pass (from the previous one) */
    size_t *removed;            /* their indices, ascending (capacity n_points) */
    size_t *pass_removed;       /* clusters (TFCE: points) newly excluded by each pass
                                   (n_points + 1); passes before a restored one come from
                                   the checkpoint */
    size_t n_executed;          /* orders evaluated by execute calls since create/restore,
                                   all passes summed (cperm_run_n_executed) */
    size_t n_restored;          /* orders of its pass the last restored checkpoint carried */
    int restored_pass;          /* and that pass */
    const double *X;            /* data of the current/last execute (not owned) */
    uint64_t fingerprint;       /* of X and the plan, computed on demand */
    int fingerprint_valid;
    double xmax;                /* largest |x| of the current X */
    int resume_pending;         /* a restored checkpoint waits for the next execute */
    uint64_t resume_fingerprint;
    cperm_cluster_ws *ws;       /* n_threads */
    struct cperm_flip_ws *flip; /* sign-flip kernel state (signflip.c) */
    /* TFCE */
    struct cperm_tfce_ws *tfce; /* TFCE state (tfce.c), NULL unless opt.tfce */
};

/* clusters.c */
int cperm_cluster_ws_init(cperm_cluster_ws *ws, size_t n_points, size_t n_times,
                          size_t n_vertices, size_t max_step);
void cperm_cluster_ws_free(cperm_cluster_ws *ws);
/* Cluster the ascending point list `pts` (only included, supra-threshold points). If `out`
 * is NULL only the permutation statistic (the signed cluster sum of largest magnitude, first
 * in MNE's order on ties; 0 if none) is returned in *max_stat. */
int cperm_find_clusters(const cperm_plan *plan, cperm_cluster_ws *ws, const cperm_point *pts,
                        size_t n_pts, cperm_cluster_set *out, double *max_stat);

/* signflip.c */
int cperm_flip_create(struct cperm_flip_ws **out, const cperm_plan *plan);
void cperm_flip_free(struct cperm_flip_ws *fw);
/* Once per execute, after the observed statistics: hat adjustment of every order and the
 * choice of screen precision. */
void cperm_flip_prepare(const cperm_plan *plan, cperm_run *run, const double *X);
/* Runs orders [start, n_orders) on X with the current run->include; fills run->h0[1 + k],
 * keeps run->done up to date and calls the progress callback between chunks. */
int cperm_flip_run(const cperm_plan *plan, cperm_run *run, const double *X, int pass,
                   size_t start, cperm_err *err);

/* tstat.c */
typedef struct cperm_scan_info {
    double xmax;                /* largest |x| */
    size_t first_nonfinite;     /* flat index into X of the first NaN/Inf, or SIZE_MAX */
} cperm_scan_info;
/* One blocked, threaded scan of X: MNE-exact observed t, sums of squares, finiteness and
 * the largest magnitude (for the float32 screen's scale). */
void cperm_tstat_scan(const double *X, size_t n, size_t P, double sigma, int method,
                      double *t_out, double *sumsq_out, double *var, int nthreads,
                      cperm_scan_info *info);
/* t values of the observed data with MNE's exact arithmetic; also sum of squares per point. */
void cperm_tstat_observed(const double *X, size_t n_subjects, size_t n_points, double sigma,
                          int method, double *t_out, double *sumsq_out, double *var_scratch);
/* Two-pass variance of one point under signs (MNE's arithmetic); `x` strided by `stride`. */
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

#endif
