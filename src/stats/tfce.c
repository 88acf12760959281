/* tfce.c - threshold-free cluster enhancement (the exact integral of Smith & Nichols 2009,
 * the Riemann sum of corrected MNE, MNE 1.3's released formula): its options, thresholds and
 * workspaces, the scores of one map (on a component tree, tfce_tree.c, or with MNE 1.3's
 * per-threshold list path, tfce_mne13.c), and the TFCE statistic as the driver sees it
 * (cperm_kernel_tfce: the observed scores, one H0 entry per permuted t map; p-values and
 * step-down are driver.c's). */
#include "tfce_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------ thresholds */

/* np.arange(start, stop, step)[i], mirrored: th0 = s0, th1 = s0 + sd, then s0 + i*d. */
double cperm_tfce_th_calc(const struct cperm_tfce_ws *tw, size_t i) {
    if (i == 0) return tw->s0;
    if (i == 1) return tw->s0 + tw->sd;
    return tw->s0 + (double)i * tw->d;
}

/* The weight of level i: MNE 1.3: |dh|^H; riemann (corrected MNE): |h|^H * |dh|, with dh the
 * first threshold itself at level 0. libm pow, as numpy's scalar power. */
double cperm_tfce_weight_calc(const struct cperm_tfce_ws *tw, size_t i) {
    double h = cperm_tfce_th_calc(tw, i);
    double dh = i == 0 ? fabs(h) : fabs(h - cperm_tfce_th_calc(tw, i - 1));
    if (tw->mode == CPERM_TFCE_MNE13) return pow(dh, tw->H);
    return pow(fabs(h), tw->H) * dh;
}

/* Number of thresholds for a map whose extreme (mirrored) value is stop, as np.arange. */
int cperm_tfce_n_levels(const struct cperm_tfce_ws *tw, double stop, size_t *L) {
    double len = (stop - tw->s0) / tw->sd;
    *L = 0;
    if (!(len > 0)) return 0;
    len = ceil(len);
    if (len > TFCE_MAX_LEVELS) return TFCE_ETOOMANY;
    *L = (size_t)len;
    /* MNE refuses thresholds that are not strictly monotonic */
    if (*L > tw->first_bad) return TFCE_ENONMONO;
    for (size_t i = tw->n_tab > 1 ? tw->n_tab : 1; i < *L; i++)
        if (!(cperm_tfce_th_calc(tw, i) > cperm_tfce_th_calc(tw, i - 1))) return TFCE_ENONMONO;
    return 0;
}

int cperm_tfce_validate(const cperm_options *o, cperm_err *err) {
    if (o->tfce == CPERM_TFCE_NONE && o->tfce_also)
        return cperm_fail(err, CPERM_EINVAL, "options: tfce_also (cluster mass or extent from "
                          "the TFCE sweep) needs exact TFCE");
    if (o->tfce == CPERM_TFCE_NONE) return CPERM_OK;
    if (o->tfce != CPERM_TFCE_EXACT && o->tfce != CPERM_TFCE_RIEMANN && o->tfce != CPERM_TFCE_MNE13)
        return cperm_fail(err, CPERM_EINVAL, "options: unknown TFCE mode %d", o->tfce);
    if (!isfinite(o->tfce_h) || o->tfce_h < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: tfce_h must be finite and >= 0, got %g",
                          o->tfce_h);
    if (!isfinite(o->tfce_e) || o->tfce_e < 0)
        return cperm_fail(err, CPERM_EINVAL, "options: tfce_e must be finite and >= 0, got %g",
                          o->tfce_e);
    if (o->tfce_also) {
        if (o->tfce_also & ~(CPERM_ALSO_MASS | CPERM_ALSO_EXTENT))
            return cperm_fail(err, CPERM_EINVAL, "options: tfce_also has unknown bits 0x%x "
                              "(CPERM_ALSO_MASS, CPERM_ALSO_EXTENT)", o->tfce_also);
        if (o->tfce != CPERM_TFCE_EXACT)
            return cperm_fail(err, CPERM_EINVAL, "options: tfce_also (cluster mass or extent "
                              "from the TFCE sweep) needs exact TFCE");
        if (o->design != CPERM_DESIGN_SIGN_FLIP || o->statistic == CPERM_STAT_CALLBACK)
            return cperm_fail(err, CPERM_EINVAL, "options: tfce_also needs the sign-flip "
                              "one-sample t (not another design or a callback statistic)");
        if (o->threshold == 0)
            return cperm_fail(err, CPERM_EINVAL, "options: tfce_also needs the cluster-forming "
                              "threshold (options.threshold, not 0)");
        if (o->step_down_p > 0)
            return cperm_fail(err, CPERM_EINVAL, "options: tfce_also does not support step-down "
                              "(step_down_p %g)", o->step_down_p);
    }
    if (o->tfce == CPERM_TFCE_EXACT) {
        if (o->compat == CPERM_COMPAT_MNE13)
            return cperm_fail(err, CPERM_EINVAL, "options: exact TFCE uses true connected "
                              "components; compat mne1.3 applies only to the stepped formulas");
        return CPERM_OK;
    }
    if (!isfinite(o->tfce_start) || !isfinite(o->tfce_step))
        return cperm_fail(err, CPERM_EINVAL, "options: TFCE start and step must be finite, "
                          "got %g and %g", o->tfce_start, o->tfce_step);
    if (o->tail < 0) {
        if (o->tfce_start > 0)
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE start must be <= 0 for tail -1, "
                              "got %g", o->tfce_start);
        if (!(o->tfce_step < 0))
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE step must be < 0 for tail -1, "
                              "got %g", o->tfce_step);
    } else {
        if (!(o->tfce_step > 0))
            return cperm_fail(err, CPERM_EINVAL, "options: TFCE step must be > 0 for tail %d, "
                              "got %g", o->tail, o->tfce_step);
        if (o->tfce_start < 0)
            return cperm_fail(err, CPERM_EUNSUPPORTED, "options: TFCE start must be >= 0 for "
                              "tail %d, got %g", o->tail, o->tfce_start);
    }
    return CPERM_OK;
}

/* ----------------------------------------------------------- workspaces */

static void thread_free(tfce_thread *w) {
    free(w->t); free(w->var); free(w->signs); free(w->a); free(w->b); free(w->vals);
    free(w->ord); free(w->par); free(w->root); free(w->nsize); free(w->npar); free(w->node);
    free(w->nlo); free(w->nhi); free(w->leaf); free(w->hist);
    cperm_tfce_steps_free(&w->steps);
    memset(w, 0, sizeof *w);
}

static int thread_init(tfce_thread *w, size_t n, size_t P, size_t T, int per_step,
                       int stepped, int hat, int observed) {
    memset(w, 0, sizeof *w);
    size_t c = P ? P : 1;
    w->t = cperm_malloc(TFCE_BATCH * c, sizeof *w->t);
    if (hat) w->var = cperm_malloc(TFCE_BATCH * c, sizeof *w->var);
    w->signs = cperm_malloc(TFCE_BATCH * n, sizeof *w->signs);
    w->a = cperm_malloc(2 * c, sizeof *w->a);
    if (!w->t || (hat && !w->var) || !w->signs || !w->a) goto nomem;
    if (per_step) {
        if (cperm_tfce_steps_init(&w->steps, P, T)) goto nomem;
        return CPERM_OK;
    }
    w->b = cperm_malloc(2 * c, sizeof *w->b);
    w->vals = cperm_malloc(c, sizeof *w->vals);
    w->ord = cperm_malloc(c, sizeof *w->ord);
    w->par = cperm_malloc(c, sizeof *w->par);
    w->hist = cperm_malloc((size_t)TFCE_RADIX * TFCE_RADIX_PASSES, sizeof *w->hist);
    if (!w->b || !w->vals || !w->ord || !w->par || !w->hist) goto nomem;
    if (stepped) {
        w->root = cperm_calloc(c, sizeof *w->root);
        w->nsize = cperm_malloc(c, sizeof *w->nsize);
        w->npar = cperm_malloc(c, sizeof *w->npar);
        w->nlo = cperm_malloc(c, sizeof *w->nlo);
        w->nhi = cperm_malloc(c, sizeof *w->nhi);
        if (observed) w->leaf = cperm_malloc(c, sizeof *w->leaf);
        if (!w->root || !w->nsize || !w->npar || !w->nlo || !w->nhi || (observed && !w->leaf))
            goto nomem;
    } else {
        w->node = cperm_malloc(c, sizeof *w->node);
        if (!w->node) goto nomem;
    }
    for (size_t k = 0; k < c; k++) w->par[k] = UF_ABSENT;
    return CPERM_OK;
nomem:
    thread_free(w);
    return CPERM_ENOMEM;
}

static void ws_free(struct cperm_tfce_ws *tw) {
    if (!tw) return;
    if (tw->th)
        for (size_t i = 0; i < tw->n_threads; i++) thread_free(&tw->th[i]);
    free(tw->th);
    free(tw->thr);
    free(tw->w);
    free(tw->pe);
    free(tw->inv);
    free(tw->fwd);
    free(tw->nbr);
    free(tw->indptr);
    free(tw->indices);
    free(tw->map);
    free(tw);
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Breadth-first numbering of the spatial graph (each component from its smallest unvisited
 * vertex) and the CSR renumbered accordingly, neighbour lists ascending. */
static int bfs_order(const cperm_plan *plan, struct cperm_tfce_ws *tw) {
    const size_t V = plan->n_vertices, E = plan->indptr[V];
    int32_t *newof = tw->fwd = cperm_malloc(V, sizeof *newof);
    tw->inv = cperm_malloc(V, sizeof *tw->inv);
    tw->indptr = cperm_malloc(V + 1, sizeof *tw->indptr);
    tw->indices = cperm_malloc(E ? E : 1, sizeof *tw->indices);
    if (!newof || !tw->inv || !tw->indptr || !tw->indices) return CPERM_ENOMEM;
    for (size_t v = 0; v < V; v++) newof[v] = -1;
    size_t n = 0;
    for (size_t s0 = 0; s0 < V; s0++) {
        if (newof[s0] >= 0) continue;
        size_t head = n;
        newof[s0] = (int32_t)n;
        tw->inv[n++] = (int32_t)s0;
        while (head < n) {
            size_t v = (size_t)tw->inv[head++];
            for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++) {
                int32_t u = plan->indices[e];
                if (newof[u] >= 0) continue;
                newof[u] = (int32_t)n;
                tw->inv[n++] = u;
            }
        }
    }
    tw->indptr[0] = 0;
    for (size_t a = 0; a < V; a++) {
        size_t v = (size_t)tw->inv[a], k = tw->indptr[a];
        for (size_t e = plan->indptr[v]; e < plan->indptr[v + 1]; e++)
            tw->indices[k++] = newof[plan->indices[e]];
        qsort(tw->indices + tw->indptr[a], k - tw->indptr[a], sizeof *tw->indices, cmp_i32);
        tw->indptr[a + 1] = k;
    }
    size_t deg = 0;
    for (size_t a = 0; a < V; a++)
        if (tw->indptr[a + 1] - tw->indptr[a] > deg) deg = tw->indptr[a + 1] - tw->indptr[a];
    if (deg <= TFCE_PAD_DEG && V * deg <= 2 * (E + V)) {
        tw->deg = deg;
        tw->nbr = cperm_malloc(V * deg > 0 ? V * deg : 1, sizeof *tw->nbr);
        if (!tw->nbr) return CPERM_ENOMEM;
        for (size_t a = 0; a < V; a++)
            for (size_t e = 0; e < deg; e++) {
                const size_t at = tw->indptr[a] + e;
                tw->nbr[a * deg + e] = at < tw->indptr[a + 1] ? tw->indices[at] : (int32_t)a;
            }
    }
    return CPERM_OK;
}

/* Everything but the per-thread workspaces. */
static int ws_base(struct cperm_tfce_ws **out, const cperm_plan *plan) {
    const cperm_options *o = &plan->opt;
    struct cperm_tfce_ws *tw = calloc(1, sizeof *tw);
    *out = tw;
    if (!tw) return CPERM_ENOMEM;
    size_t P = plan->n_points;
    tw->mode = o->tfce;
    tw->v_recip = plan->n_vertices > 1 ? UINT64_MAX / plan->n_vertices + 1 : 0;
    tw->stepped = o->tfce != CPERM_TFCE_EXACT;
    /* with one time point MNE takes its global path whatever adjacency it is given */
    tw->per_step = tw->stepped && o->compat == CPERM_COMPAT_MNE13 && o->max_step == 1 &&
                   plan->n_times > 1;
    tw->H = o->tfce_h;
    tw->E = o->tfce_e;
    /* tail -1 runs mirrored: x < th <=> -x > -th, and negation is exact */
    tw->s0 = o->tail < 0 ? -o->tfce_start : o->tfce_start;
    tw->sd = o->tail < 0 ? -o->tfce_step : o->tfce_step;
    tw->d = (tw->s0 + tw->sd) - tw->s0;
    tw->first_bad = SIZE_MAX;
    tw->pe = cperm_malloc(P + 1, sizeof *tw->pe);
    tw->map = cperm_malloc(P ? P : 1, sizeof *tw->map);
    if (!tw->pe || !tw->map) return CPERM_ENOMEM;
    for (size_t s = 0; s <= P; s++) tw->pe[s] = pow((double)s, tw->E);
    if (bfs_order(plan, tw)) return CPERM_ENOMEM;
    if (tw->stepped) {
        tw->n_tab = TFCE_TAB;
        tw->thr = cperm_malloc(TFCE_TAB, sizeof *tw->thr);
        tw->w = cperm_malloc(TFCE_TAB, sizeof *tw->w);
        if (!tw->thr || !tw->w) return CPERM_ENOMEM;
        for (size_t i = 0; i < TFCE_TAB; i++) {
            tw->thr[i] = cperm_tfce_th_calc(tw, i);
            tw->w[i] = cperm_tfce_weight_calc(tw, i);
            if (i > 0 && tw->first_bad == SIZE_MAX && !(tw->thr[i] > tw->thr[i - 1]))
                tw->first_bad = i;
        }
    }
    return CPERM_OK;
}

static int ws_create(struct cperm_tfce_ws **out, const cperm_plan *plan, int n_threads) {
    struct cperm_tfce_ws *tw;
    *out = NULL;
    if (ws_base(&tw, plan)) goto nomem;
    size_t nt = (size_t)n_threads;
    if (nt > plan->n_orders) nt = plan->n_orders;
    if (nt < 1) nt = 1;
    tw->th = calloc(nt, sizeof *tw->th);
    if (!tw->th) goto nomem;
    tw->n_threads = nt;
    for (size_t i = 0; i < nt; i++)
        if (thread_init(&tw->th[i], plan->n_subjects, plan->n_points, plan->n_times,
                        tw->per_step, tw->stepped, plan->opt.sigma > 0, i == 0))
            goto nomem;
    *out = tw;
    return CPERM_OK;
nomem:
    ws_free(tw);
    return CPERM_ENOMEM;
}

/* ----------------------------------------------------------- one map */

/* The mirrored extreme of the finite values (MNE's stop); TFCE_ENOFINITE if none. */
int cperm_tfce_map_stop(const double *t, size_t P, int tail, double *stop) {
    double mx = -INFINITY, mn = INFINITY;
    int any = 0;
    for (size_t p = 0; p < P; p++) {
        double x = t[p];
        if (!isfinite(x)) continue;
        any = 1;
        mx = x > mx ? x : mx;
        mn = x < mn ? x : mn;
    }
    if (!any) return TFCE_ENOFINITE;
    *stop = tail > 0 ? mx : tail < 0 ? -mn : (mx > -mn ? mx : -mn);
    return 0;
}


static int map_scores(const cperm_plan *plan, const struct cperm_tfce_ws *tw, tfce_thread *w,
                      const double *t, const uint8_t *include, double *scores, double *best,
                      tfce_also_out *also) {
    if (tw->per_step) return cperm_tfce_map_per_step(plan, tw, w, t, include, scores, best);
    return cperm_tfce_map_tree(plan, tw, w, t, include, scores, best, also);
}

static int map_error(cperm_err *err, int code, const char *what) {
    switch (code) {
    case TFCE_ENOFINITE:
        return cperm_fail(err, CPERM_EINVAL, "tfce: no finite values in the %s statistic", what);
    case TFCE_ENONMONO:
        return cperm_fail(err, CPERM_EINVAL, "tfce: thresholds of the %s statistic are not "
                          "strictly monotonic (step too small for start)", what);
    case TFCE_ENOMEM:
        return cperm_fail(err, CPERM_ENOMEM, "tfce: out of memory for the thresholds' "
                          "components of the %s statistic", what);
    case TFCE_EINF:
        return cperm_fail(err, CPERM_EINVAL, "tfce: infinite t value in the %s statistic "
                          "(zero variance): the exact integral diverges", what);
    default:
        return cperm_fail(err, CPERM_EUNSUPPORTED, "tfce: more than %.0f thresholds for the %s "
                          "statistic", TFCE_MAX_LEVELS, what);
    }
}

int cperm_tfce_scores(const cperm_plan *plan, const double *stat, double *scores, cperm_err *err) {
    if (!plan || !stat || !scores) return cperm_fail(err, CPERM_EINVAL, "tfce: NULL argument");
    if (plan->opt.tfce == CPERM_TFCE_NONE)
        return cperm_fail(err, CPERM_EINVAL, "tfce: the plan was made without a TFCE mode");
    const size_t P = plan->n_points;
    /* a run holds every workspace one map needs */
    cperm_run *run = NULL;
    int rc = cperm_run_create(&run, plan, err);
    if (rc) return rc;
    for (size_t p = 0; p < P; p++) run->include[p] = cperm_plan_includes(plan, p);
    double best;
    rc = map_scores(plan, run->tfce, &run->tfce->th[0], stat, run->include, scores, &best, NULL);
    if (rc) rc = map_error(err, rc, "given");
    cperm_run_free(run);
    return rc;
}

/* ------------------------------------------------------- permutations */

/* Orders [k0, k1) of this pass into run->h0[1 + k]: per order MNE's permuted t map
 * (tstat.c) and its largest score, the orders spread over the threads in batches of
 * TFCE_BATCH, whose maps come from one pass over X. A failing map is reported for the first
 * failing order of the range. */
static int tfce_permute(const cperm_plan *plan, const double *X, cperm_run *run, int pass,
                        size_t k0, size_t k1, cperm_err *err) {
    struct cperm_tfce_ws *tw = run->tfce;
    const size_t n = plan->n_subjects, P = plan->n_points;
    const int nthreads = (int)tw->n_threads;
    const size_t n_batches = (k1 - k0 + TFCE_BATCH - 1) / TFCE_BATCH;
    (void)pass;
    tw->fail_code = 0;
    tw->fail_order = plan->n_orders;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (size_t bi = 0; bi < n_batches; bi++) {
        size_t tid = 0;
#ifdef _OPENMP
        tid = (size_t)omp_get_thread_num();
#endif
        tfce_thread *w = &tw->th[tid];
        const size_t kb = k0 + bi * TFCE_BATCH, m = k1 - kb < TFCE_BATCH ? k1 - kb : TFCE_BATCH;
        double *maps[TFCE_BATCH];
        for (size_t b = 0; b < m; b++) {
            cperm_order_signs_to(plan, run, kb + b, w->signs + b * n);
            maps[b] = w->t + b * P;
        }
        cperm_tstat_signed_maps(X, n, P, w->signs, m, plan->opt.sigma, plan->opt.sigma_method,
                                maps, w->var);
        for (size_t b = 0; b < m; b++) {
            const size_t k = kb + b;
            double best = 0.0;
            tfce_also_out ao = {run->also.what, {0.0, 0.0}, NULL};
            int rc = map_scores(plan, tw, w, maps[b], run->include, NULL, &best, &ao);
            run->h0[1 + k] = best;
            for (int i = 0; i < 2; i++)
                if (ao.what & (1u << i)) run->also.h0[i][1 + k] = ao.best[i];
            if (rc) {
#pragma omp critical(cperm_tfce_fail)
                if (k < tw->fail_order) {
                    tw->fail_order = k;
                    tw->fail_code = rc;
                }
            }
        }
    }
    if (tw->fail_code) {
        char what[64];
        snprintf(what, sizeof what, "permutation %zu", tw->fail_order + 1);
        return map_error(err, tw->fail_code, what);
    }
    return CPERM_OK;
}

/* The observed scores (run->tobs under the exclusions in run->include); every point is its
 * own unit ("cluster"), as MNE returns them, and the map of scores * sign(t). */
static int tfce_observe(const cperm_plan *plan, const double *X, cperm_run *run,
                        cperm_err *err) {
    struct cperm_tfce_ws *tw = run->tfce;
    const size_t P = plan->n_points;
    double *scores = run->obs.stats, best;
    (void)X;
    tfce_also_out ao = {run->also.what, {0.0, 0.0}, &run->also};
    run->also.obs.n_clusters = 0;
    int rc = map_scores(plan, tw, &tw->th[0], run->tobs, run->include, scores, &best, &ao);
    if (rc) return map_error(err, rc, "observed");
    run->obs.n_clusters = P;
    for (size_t p = 0; p <= P; p++) run->obs.offsets[p] = p;
    for (size_t p = 0; p < P; p++) {
        run->obs.members[p] = (int64_t)p;
        double x = run->tobs[p];
        double sg = x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; /* np.sign */
        tw->map[p] = scores[p] * sg;
    }
    return CPERM_OK;
}

static void also_free(cperm_also *a) {
    free(a->obs.offsets);
    free(a->obs.members);
    for (int i = 0; i < 2; i++) {
        free(a->stats[i]);
        free(a->pv[i]);
        free(a->h0[i]);
    }
    free(a->have);
    memset(a, 0, sizeof *a);
}

/* The extra statistics' buffers (options.tfce_also): all of them made here, at run creation. */
static int also_create(cperm_also *a, const cperm_plan *plan) {
    memset(a, 0, sizeof *a);
    const unsigned what = plan->opt.tfce_also;
    if (!what) return CPERM_OK;
    const size_t P = plan->n_points, N = plan->n_orders;
    a->obs.offsets = cperm_malloc(P + 1, sizeof *a->obs.offsets);
    a->obs.members = cperm_malloc(P ? P : 1, sizeof *a->obs.members);
    a->have = cperm_calloc((N + 63) / 64 + 1, sizeof *a->have);
    if (!a->obs.offsets || !a->obs.members || !a->have) goto nomem;
    for (int i = 0; i < 2; i++) {
        if (!(what & (1u << i))) continue;
        a->stats[i] = cperm_malloc(P ? P : 1, sizeof(double));
        a->pv[i] = cperm_malloc(P ? P : 1, sizeof(double));
        a->h0[i] = cperm_calloc(N + 1, sizeof(double));
        if (!a->stats[i] || !a->pv[i] || !a->h0[i]) goto nomem;
    }
    a->what = what;
    return CPERM_OK;
nomem:
    also_free(a);
    return CPERM_ENOMEM;
}

static int tfce_create(cperm_run *run, const cperm_plan *plan) {
    int rc = ws_create(&run->tfce, plan, run->n_threads);
    return rc ? rc : also_create(&run->also, plan);
}

static void tfce_destroy(cperm_run *run) {
    ws_free(run->tfce);
    run->tfce = NULL;
    also_free(&run->also);
}

static size_t tfce_chunk(const cperm_plan *plan, const cperm_run *run) {
    (void)plan;
    return 16 * run->tfce->n_threads;
}

/* H0 holds the largest score of each map: p = mean(H0 >= score); MNE 1.3's released TFCE
 * for tail -1 compares the other way (H0[0] = the smallest score, p = mean(H0 <= score)). */
static int tfce_rule(const cperm_plan *plan) {
    return plan->opt.tfce == CPERM_TFCE_MNE13 && plan->opt.tail < 0 ? CPERM_PV_LE : CPERM_PV_GE;
}

const cperm_kernel cperm_kernel_tfce = {
    "point", tfce_create, tfce_destroy, tfce_observe, tfce_permute, tfce_chunk, tfce_rule,
    NULL,
};

/* ------------------------------------------- for other kernels (callback.c) */

int cperm_tfce_ws_create(struct cperm_tfce_ws **out, const cperm_plan *plan, int n_threads) {
    return ws_create(out, plan, n_threads);
}
void cperm_tfce_ws_free(struct cperm_tfce_ws *tw) { ws_free(tw); }
int cperm_tfce_map_scores(const cperm_plan *plan, const struct cperm_tfce_ws *tw,
                          tfce_thread *w, const double *t, const uint8_t *include,
                          double *scores, double *best) {
    return map_scores(plan, tw, w, t, include, scores, best, NULL);
}
int cperm_tfce_map_error(cperm_err *err, int code, const char *what) {
    return map_error(err, code, what);
}
int cperm_tfce_observe(const cperm_plan *plan, cperm_run *run, cperm_err *err) {
    return tfce_observe(plan, NULL, run, err);
}
int cperm_tfce_rule(const cperm_plan *plan) { return tfce_rule(plan); }

/* ------------------------------------------------------------ accessors */

const double *cperm_run_tfce_map(const cperm_run *run) {
    return run && run->have_result && run->tfce ? run->tfce->map : NULL;
}

const double *cperm_run_tfce_pvalues(const cperm_run *run) {
    return run && run->have_result && run->tfce ? run->pvalues : NULL;
}

/* Exact TFCE's extra statistics (tfce_also): the index of `what`'s arrays, or -1. */
static int also_index(const cperm_run *run, unsigned what) {
    if (!run || !run->have_result || !run->also.have_result) return -1;
    const int i = what == CPERM_ALSO_MASS ? 0 : what == CPERM_ALSO_EXTENT ? 1 : -1;
    return i >= 0 && (run->also.what & what) ? i : -1;
}

size_t cperm_run_tfce_also_n_clusters(const cperm_run *run) {
    return run && run->have_result && run->also.have_result ? run->also.obs.n_clusters : 0;
}

const int64_t *cperm_run_tfce_also_cluster(const cperm_run *run, size_t k, size_t *n_members) {
    if (n_members) *n_members = 0;
    if (k >= cperm_run_tfce_also_n_clusters(run)) return NULL;
    const cperm_cluster_set *o = &run->also.obs;
    if (n_members) *n_members = o->offsets[k + 1] - o->offsets[k];
    return o->members + o->offsets[k];
}

const double *cperm_run_tfce_also_stats(const cperm_run *run, unsigned what) {
    const int i = also_index(run, what);
    return i < 0 ? NULL : run->also.stats[i];
}

const double *cperm_run_tfce_also_pvalues(const cperm_run *run, unsigned what) {
    const int i = also_index(run, what);
    return i < 0 ? NULL : run->also.pv[i];
}

const double *cperm_run_tfce_also_h0(const cperm_run *run, unsigned what, size_t *n_h0) {
    const int i = also_index(run, what);
    if (n_h0) *n_h0 = i < 0 ? 0 : run->plan->n_orders + 1;
    return i < 0 ? NULL : run->also.h0[i];
}
