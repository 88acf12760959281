/* callback.c - the caller's statistic (CPERM_STAT_CALLBACK) as a cluster statistic: for each
 * order the permuted data built in a run-owned scratch (SIGN_FLIP: X with the flipped
 * subjects' rows negated, MNE's X * (2 * order - 1); GROUPS: the rows X[order], MNE's
 * X_full[order]), the caller's stat_fn on it, then the H0 entry exactly as the built-in
 * kernels make one from a statistic map: threshold clusters (clusters.c; SIGN_FLIP the signed
 * sum of largest magnitude, GROUPS the largest sum, as cperm_find_clusters decides by the
 * design) or TFCE scores (tfce.c's scorer; the largest score, which is both MNE's
 * np.max(scores) of _do_permutations and the signed maximum of _do_1samp_permutations, as
 * scores are >= 0).
 *
 * stat_fn runs on the executing thread only, orders ascending (a binding's callback holds an
 * interpreter lock anyway), so results are those of one thread for any n_jobs. Everything
 * it needs is allocated with the run. */
#include "engine_internal.h"
#include "tfce_internal.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct cperm_callback_ws {
    double *data;               /* n_subjects x n_points: the data stat_fn sees */
    double *map;                /* n_points: its statistic of a permuted order */
    cperm_point *pts;           /* n_points: the map's included supra-threshold points */
    int scan_rc;                /* stat_fn's return on the observed data */
};

static void cb_destroy(cperm_run *run) {
    cperm_cluster_ws_destroy_all(run);
    cperm_tfce_ws_free(run->tfce);
    run->tfce = NULL;
    struct cperm_callback_ws *cw = run->callback;
    if (!cw) return;
    free(cw->data);
    free(cw->map);
    free(cw->pts);
    free(cw);
    run->callback = NULL;
}

/* The scratch of one permuted data set and map, and the clustering or TFCE workspace of one
 * thread (the callback's only). */
static int cb_create(cperm_run *run, const cperm_plan *plan) {
    const size_t P = plan->n_points, n = plan->n_subjects;
    struct cperm_callback_ws *cw = calloc(1, sizeof *cw);
    run->callback = cw;
    if (!cw) return CPERM_ENOMEM;
    cw->data = cperm_malloc(n * P, sizeof *cw->data);
    cw->map = cperm_malloc(P, sizeof *cw->map);
    cw->pts = cperm_malloc(P, sizeof *cw->pts);
    if (!cw->data || !cw->map || !cw->pts) return CPERM_ENOMEM;
    if (plan->opt.tfce != CPERM_TFCE_NONE) return cperm_tfce_ws_create(&run->tfce, plan, 1);
    return cperm_cluster_ws_create_all(run, plan);
}

/* X's finiteness and largest magnitude (as the other scans), then, for finite X only,
 * stat_fn on a copy of X into run->tobs; its return waits for cb_observe, which can fail. */
static void cb_scan(const cperm_plan *plan, const double *X, cperm_run *run,
                    cperm_scan_info *info) {
    struct cperm_callback_ws *cw = run->callback;
    const size_t n = plan->n_subjects, P = plan->n_points, total = n * P;
    size_t first = SIZE_MAX;
    double xmax = 0.0;
    for (size_t i = 0; i < total; i++) {
        const double a = fabs(X[i]);
        if (!(a <= DBL_MAX)) { /* NaN or Inf */
            first = i;
            break;
        }
        xmax = a > xmax ? a : xmax;
    }
    info->first_nonfinite = first;
    info->xmax = xmax;
    cw->scan_rc = 0;
    if (first != SIZE_MAX) return;
    memcpy(cw->data, X, total * sizeof *X);
    cw->scan_rc = plan->opt.stat_fn(plan->opt.stat_user, cw->data, n, P, run->tobs);
}

static int cb_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                      cperm_err *err) {
    (void)X;
    const int rc = run->callback->scan_rc;
    if (rc)
        return cperm_fail(err, CPERM_ECANCELLED, "stat_fn: the statistic callback returned %d "
                          "on the observed data", rc);
    if (plan->opt.tfce != CPERM_TFCE_NONE) return cperm_tfce_observe(plan, run, err);
    cperm_observe_clusters(plan, run);
    return CPERM_OK;
}

/* Order k of the window applied to X, into the scratch. */
static void permuted_data(const cperm_plan *plan, const double *X, const cperm_run *run,
                          size_t k, double *out) {
    const size_t n = plan->n_subjects, P = plan->n_points;
    if (plan->opt.design == CPERM_DESIGN_GROUPS) {
        const uint32_t *o = (const uint32_t *)(const void *)run->win_orders +
                            (k - run->win_k0) * n;
        for (size_t i = 0; i < n; i++) memcpy(out + i * P, X + (size_t)o[i] * P, P * sizeof *X);
        return;
    }
    const uint8_t *o = run->win_orders + (k - run->win_k0) * n;
    for (size_t i = 0; i < n; i++) {
        const double *x = X + i * P;
        double *y = out + i * P;
        if (o[i]) {
            memcpy(y, x, P * sizeof *x);
        } else { /* x * -1.0, exactly */
            for (size_t p = 0; p < P; p++) y[p] = -x[p];
        }
    }
}

/* Orders [k0, k1) of this pass into run->h0[1 + k], one stat_fn call each, on this thread. */
static int cb_permute(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                      size_t k0, size_t k1, cperm_err *err) {
    struct cperm_callback_ws *cw = run->callback;
    const size_t n = plan->n_subjects, P = plan->n_points;
    const int tail = plan->opt.tail;
    const double thr = plan->threshold;
    for (size_t k = k0; k < k1; k++) {
        permuted_data(plan, X, run, k, cw->data);
        const int rc = plan->opt.stat_fn(plan->opt.stat_user, cw->data, n, P, cw->map);
        if (rc)
            return cperm_fail(err, CPERM_ECANCELLED, "stat_fn: the statistic callback returned "
                              "%d for order %zu (0-based) of step-down pass %d", rc, k,
                              pass + 1);
        double stat = 0.0;
        if (run->tfce) {
            const int trc = cperm_tfce_map_scores(plan, run->tfce, &run->tfce->th[0], cw->map,
                                                  run->include, NULL, &stat);
            if (trc) {
                char what[64];
                snprintf(what, sizeof what, "permutation %zu", k + 1);
                return cperm_tfce_map_error(err, trc, what);
            }
        } else {
            size_t m = 0;
            for (size_t p = 0; p < P; p++) {
                const double t = cw->map[p];
                const int supra = tail == 0 ? (t > thr || t < -thr) : tail > 0 ? t > thr
                                                                               : t < thr;
                if (supra && run->include[p]) {
                    cw->pts[m].idx = (int64_t)p;
                    cw->pts[m].t = t;
                    m++;
                }
            }
            cperm_find_clusters(plan, &run->ws[0], cw->pts, m, NULL, &stat);
        }
        run->h0[1 + k] = stat;
    }
    return CPERM_OK;
}

/* Orders per driver chunk: progress and cancellation come between chunks, and a caller's
 * statistic may be slow. */
static size_t cb_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    (void)run;
    return 16;
}

/* TFCE: as cperm_kernel_tfce (for GROUPS too: its H0 holds the largest score, so MNE's
 * _pval_from_histogram with the tail counts the same as this rule, MNE 1.3's tail -1 LE
 * included); clusters: MNE's _pval_from_histogram by the tail, as both built-in kernels. */
static int cb_rule(const cperm_plan *plan) {
    if (plan->opt.tfce != CPERM_TFCE_NONE) return cperm_tfce_rule(plan);
    return plan->opt.tail > 0 ? CPERM_PV_GE : plan->opt.tail < 0 ? CPERM_PV_LE : CPERM_PV_ABS;
}

const cperm_kernel cperm_kernel_callback = {
    "cluster", cb_create, cb_destroy, cb_observe, cb_permute, cb_chunk, cb_rule, cb_scan,
};
/* the same with TFCE, whose units are points */
const cperm_kernel cperm_kernel_callback_tfce = {
    "point", cb_create, cb_destroy, cb_observe, cb_permute, cb_chunk, cb_rule, cb_scan,
};
