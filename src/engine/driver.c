/* driver.c - the one driver of the permutation test, for every cluster statistic: a run is
 * begun on X (T_obs, the observed units, H0[0]), then each step-down pass computes H0 over
 * the sign-flip orders - whole, or as ranges computed by this run or imported from others,
 * in any order - and ends with the p-values and the step-down decision. cperm_plan_execute
 * is begin + (permute everything + end_pass) until no pass is needed.
 *
 * The driver owns the chunks of orders between progress/cancellation callbacks, the record
 * of which H0 entries of the pass are present, the checkpoint state (pass, done, removed
 * units, work counters), the include mask of each pass, the p-values and the step-down loop.
 * What a unit is and how a permuted map becomes an H0 entry is the cluster statistic's
 * (cperm_kernel, engine_internal.h): cluster mass (signflip.c) or TFCE (tfce.c). Every H0
 * entry depends only on X, the plan, the pass's include mask and its order, so results are
 * identical however the orders are split into chunks, ranges, runs or threads. */
#include "engine_internal.h"

#include <math.h>

/* ------------------------------------------------------------- small pieces */

/* include = not excluded and, when `stepped`, not in a unit removed by step-down. */
static void set_include(const cperm_plan *plan, cperm_run *run, int stepped) {
    const size_t P = plan->n_points;
    if (!plan->exclude && !plan->point_exclude)
        memset(run->include, 1, P * sizeof *run->include);
    else
        for (size_t p = 0; p < P; p++) run->include[p] = cperm_plan_includes(plan, p);
    for (size_t r = 0; stepped && r < run->n_removed; r++) {
        size_t c = run->removed[r];
        for (size_t k = run->obs.offsets[c]; k < run->obs.offsets[c + 1]; k++)
            run->include[run->obs.members[k]] = 0;
    }
}

static inline int has(const cperm_run *run, size_t k) {
    return (int)((run->have[k >> 6] >> (k & 63)) & 1u);
}

/* Sets bits [k0, k1); returns how many were clear. */
static size_t set_bits(uint64_t *bits, size_t k0, size_t k1) {
    size_t fresh = 0;
    for (size_t k = k0; k < k1; k++) {
        const uint64_t bit = (uint64_t)1 << (k & 63);
        fresh += !(bits[k >> 6] & bit);
        bits[k >> 6] |= bit;
    }
    return fresh;
}

/* Records H0 entries [k0, k1) of this pass as present and extends the done prefix. */
static void mark(cperm_run *run, size_t k0, size_t k1) {
    run->n_have += set_bits(run->have, k0, k1);
    const size_t N = run->plan->n_orders;
    while (run->done < N && has(run, run->done)) run->done++;
}

static void clear_have(cperm_run *run) {
    memset(run->have, 0, ((run->plan->n_orders + 63) / 64) * sizeof *run->have);
    run->n_have = 0;
}

/* First order in [k0, k1) whose entry is missing, or k1. */
static size_t first_missing(const cperm_run *run, size_t k0, size_t k1) {
    while (k0 < k1 && has(run, k0)) k0++;
    return k0;
}

/* ----------------------------------------------------------------- p-values */

/* In-place heapsort, ascending (no allocation, unlike the C library's qsort). */
static void sift_down(double *a, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && a[l] > a[m]) m = l;
        if (l + 1 < n && a[l + 1] > a[m]) m = l + 1;
        if (m == i) return;
        double x = a[i];
        a[i] = a[m];
        a[m] = x;
        i = m;
    }
}
static void heap_sort(double *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(a, n, i);
    for (size_t end = n; end > 1; end--) {
        double x = a[0];
        a[0] = a[end - 1];
        a[end - 1] = x;
        sift_down(a, end - 1, 0);
    }
}

/* MNE's p-values (_pval_from_histogram; TFCE's per-point variant): for each statistic the
 * share of the nh H0 values at least as extreme under `rule` (CPERM_PV_*). Counted with
 * binary searches on a sorted copy (sorted: nh scratch), which gives the counts of MNE's
 * element-wise comparisons exactly: NaN, which no comparison selects, is left out. */
static void pvalues(const double *h0, size_t nh, const double *stats, size_t n, int rule,
                    double *sorted, double *out) {
    size_t m = 0;
    for (size_t i = 0; i < nh; i++) {
        double h = rule == CPERM_PV_ABS ? fabs(h0[i]) : h0[i];
        if (h == h) sorted[m++] = h;
    }
    heap_sort(sorted, m);
    for (size_t c = 0; c < n; c++) {
        const double s = rule == CPERM_PV_ABS ? fabs(stats[c]) : stats[c];
        size_t lo = 0, hi = m, count;
        if (s != s) {
            count = 0;
        } else if (rule == CPERM_PV_LE) { /* first index with sorted > s */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (sorted[mid] <= s) lo = mid + 1; else hi = mid;
            }
            count = lo;
        } else { /* first index with sorted >= s */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (sorted[mid] < s) lo = mid + 1; else hi = mid;
            }
            count = m - lo;
        }
        out[c] = (double)count / (double)nh;
    }
}

/* H0[0]: the observed statistic, the extreme of the units' statistics under `rule`. */
static double observed_extreme(const double *stats, size_t C, int rule) {
    double o;
    if (rule == CPERM_PV_ABS) {
        o = 0.0;
        for (size_t c = 0; c < C; c++) o = fabs(stats[c]) > o ? fabs(stats[c]) : o;
        return o;
    }
    o = stats[0];
    for (size_t c = 1; c < C; c++) {
        const double s = stats[c];
        if (rule == CPERM_PV_LE) o = s < o ? s : o;
        else o = s > o ? s : o;
    }
    return o;
}

/* Exact TFCE's extra statistics (cperm_also): the observe call filled the observed
 * clusters' statistics; H0[0] is their extreme under the cluster-mass rule, and the orders
 * computed so far are none. */
static void also_begin(const cperm_plan *plan, cperm_run *run) {
    cperm_also *a = &run->also;
    if (!a->what) return;
    const int rule = cperm_kernel_cluster_mass.rule(plan);
    const size_t C = a->obs.n_clusters;
    for (int i = 0; i < 2; i++)
        if (a->what & (1u << i)) a->h0[i][0] = C ? observed_extreme(a->stats[i], C, rule) : 0.0;
    memset(a->have, 0, ((plan->n_orders + 63) / 64) * sizeof *a->have);
    a->n_have = 0;
    a->have_result = 0;
}

/* Their p-values once the test is complete, if this run computed every order's entries. */
static void also_end(const cperm_plan *plan, cperm_run *run) {
    cperm_also *a = &run->also;
    const size_t N = plan->n_orders;
    if (!a->what || a->n_have < N) return;
    for (int i = 0; i < 2; i++)
        if (a->what & (1u << i))
            pvalues(a->h0[i], N + 1, a->stats[i], a->obs.n_clusters,
                    cperm_kernel_cluster_mass.rule(plan), run->h0_sorted, a->pv[i]);
    a->have_result = 1;
}

/* ------------------------------------------------------------------- a pass */

int cperm_run_begin(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err) {
    if (!plan || !X || !run || run->plan != plan)
        return cperm_fail(err, CPERM_EINVAL, "begin: NULL argument or run of another plan");
    const size_t n = plan->n_subjects, P = plan->n_points, V = plan->n_vertices;
    run->have_result = 0;
    run->have_observed = 0;
    run->pass_open = 0;
    run->X = X;
    run->fingerprint_valid = 0;
    /* run->pvalues doubles as the variance scratch until p-values are computed */
    cperm_scan_info info;
    if (plan->kernel->scan)
        plan->kernel->scan(plan, X, run, &info);
    else
        cperm_tstat_scan(X, n, P, plan->opt.sigma, plan->opt.sigma_method, run->tobs,
                         run->sumsq, run->pvalues, run->n_threads, &info);
    if (info.first_nonfinite != SIZE_MAX) {
        size_t i = info.first_nonfinite / P, p = info.first_nonfinite % P;
        return cperm_fail(err, CPERM_EINVAL,
                          "data: non-finite value (%g) at subject %zu, time %zu, vertex %zu",
                          X[info.first_nonfinite], i, p / V, p % V);
    }
    run->xmax = info.xmax;
    const int resume = run->resume_pending;
    run->resume_pending = 0;
    if (resume) {
        run->fingerprint = cperm_run_fingerprint(plan, X);
        run->fingerprint_valid = 1;
        if (run->fingerprint != run->resume_fingerprint)
            return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: it was made for other data or "
                              "other parameters; refusing to resume");
    } else {
        run->n_removed = 0;
        run->pass = 0;
        run->done = 0;
    }
    set_include(plan, run, 0);
    int rc = plan->kernel->observe(plan, X, run, err);
    if (rc) return rc;
    run->have_observed = 1;
    run->n_step_downs = 0;
    const size_t C = run->obs.n_clusters;
    if (C) {
        for (size_t r = 0; r < run->n_removed; r++)
            if (run->removed[r] >= C)
                return cperm_fail(err, CPERM_EMISMATCH, "checkpoint: names %s %zu of %zu",
                                  plan->kernel->unit, run->removed[r], C);
        run->h0[0] = observed_extreme(run->obs.stats, C, plan->kernel->rule(plan));
    }
    also_begin(plan, run);
    set_include(plan, run, 1);
    clear_have(run);
    const size_t restored = run->done;
    run->done = 0;
    mark(run, 0, restored); /* what a restored checkpoint carried */
    run->pass_open = 1;
    return CPERM_OK;
}

int cperm_run_permute(const cperm_plan *plan, const double *X, cperm_run *run, size_t k0,
                      size_t k1, cperm_err *err) {
    if (!plan || !X || !run || run->plan != plan)
        return cperm_fail(err, CPERM_EINVAL, "permute: NULL argument or run of another plan");
    if (!run->pass_open)
        return cperm_fail(err, CPERM_EINVAL, "permute: no step-down pass is open (call "
                          "cperm_run_begin first; the last pass has ended)");
    if (X != run->X)
        return cperm_fail(err, CPERM_EINVAL, "permute: X is not the data the run began with");
    const size_t N = plan->n_orders;
    if (k0 > k1 || k1 > N)
        return cperm_fail(err, CPERM_EINVAL, "permute: orders [%zu, %zu) are not a range of "
                          "[0, %zu)", k0, k1, N);
    if (run->obs.n_clusters == 0) return CPERM_OK; /* nothing observed: no H0 is needed */
    const int pass = run->pass;
    if (run->progress && run->progress(run->progress_user, k0, N, pass))
        return cperm_fail(err, CPERM_ECANCELLED, "engine: cancelled by the caller");
    size_t chunk = plan->kernel->chunk(plan, run);
    if (chunk < 1) chunk = 1;
    if (chunk > CPERM_ORDER_WINDOW) chunk = CPERM_ORDER_WINDOW;
    for (size_t a = k0; a < k1;) {
        const size_t b = k1 - a < chunk ? k1 : a + chunk;
        cperm_order_stream_fill(plan->orders, &run->cursor, a, b, run->win_orders);
        run->win_k0 = a;
        run->win_n = b - a;
        int rc = plan->kernel->permute(plan, X, run, pass, a, b, err);
        if (rc) return rc;
        mark(run, a, b);
        /* exact TFCE's extra H0s hold only what this run computed (not imports, restores) */
        if (run->also.what) run->also.n_have += set_bits(run->also.have, a, b);
        run->n_executed += b - a; /* the chunks it finished, also when a later one fails */
        if (run->progress && run->progress(run->progress_user, b, N, pass))
            return cperm_fail(err, CPERM_ECANCELLED, "engine: cancelled by the caller");
        a = b;
    }
    return CPERM_OK;
}

int cperm_run_end_pass(const cperm_plan *plan, cperm_run *run, int *more, cperm_err *err) {
    if (more) *more = 0;
    if (!plan || !run || run->plan != plan)
        return cperm_fail(err, CPERM_EINVAL, "end_pass: NULL argument or run of another plan");
    if (!run->pass_open)
        return cperm_fail(err, CPERM_EINVAL, "end_pass: no step-down pass is open (call "
                          "cperm_run_begin first; the last pass has ended)");
    const size_t C = run->obs.n_clusters, N = plan->n_orders;
    if (C == 0) { /* nothing to test */
        run->pass_open = 0;
        run->have_result = 1;
        return CPERM_OK;
    }
    if (run->n_have < N)
        return cperm_fail(err, CPERM_EINVAL, "end_pass: permutation %zu of step-down pass %d "
                          "was neither computed nor imported (%zu of %zu present)",
                          first_missing(run, 0, N), run->pass + 1, run->n_have, N);
    pvalues(run->h0, N + 1, run->obs.stats, C, plan->kernel->rule(plan), run->h0_sorted,
            run->pvalues);
    /* step-down-in-jumps: units with p < step_down_p leave the next pass */
    const int pass = run->pass;
    size_t total_removed = run->n_removed, removed = 0;
    for (size_t c = 0; c < C; c++)
        if (run->pvalues[c] < plan->opt.step_down_p) run->removed[removed++] = c;
    run->n_removed = removed;
    run->n_step_downs = (size_t)pass + 1;
    /* units newly excluded (TFCE: points, as MNE counts its one-point "clusters") */
    run->pass_removed[pass] = removed > total_removed ? removed - total_removed : 0;
    if (removed <= total_removed) {
        run->pass_open = 0;
        run->have_result = 1;
        also_end(plan, run);
        return CPERM_OK;
    }
    run->pass = pass + 1;
    run->done = 0;
    clear_have(run);
    set_include(plan, run, 1);
    if (more) *more = 1;
    return CPERM_OK;
}

int cperm_plan_execute(const cperm_plan *plan, const double *X, cperm_run *run, cperm_err *err) {
    if (!plan || !X || !run || run->plan != plan)
        return cperm_fail(err, CPERM_EINVAL, "execute: NULL argument or run of another plan");
    int rc = cperm_run_begin(plan, X, run, err);
    for (int more = !rc; more;) {
        /* a resumed pass continues where its checkpoint stopped */
        rc = cperm_run_permute(plan, X, run, run->done, plan->n_orders, err);
        if (!rc) rc = cperm_run_end_pass(plan, run, &more, err);
        if (rc) break;
    }
    return rc;
}

/* --------------------------------------------------------- ranges and merges */

static int check_range(const cperm_run *run, size_t k0, size_t k1, const void *buf,
                       const char *what, cperm_err *err) {
    if (!run || (!buf && k1 > k0))
        return cperm_fail(err, CPERM_EINVAL, "%s: NULL argument", what);
    if (k0 > k1 || k1 > run->plan->n_orders)
        return cperm_fail(err, CPERM_EINVAL, "%s: orders [%zu, %zu) are not a range of [0, %zu)",
                          what, k0, k1, run->plan->n_orders);
    return CPERM_OK;
}

static int check_present(const cperm_run *run, size_t k0, size_t k1, const char *what,
                         cperm_err *err) {
    if (!run->pass_open && !run->have_result)
        return cperm_fail(err, CPERM_EINVAL, "%s: the run has no step-down pass (call "
                          "cperm_run_begin first)", what);
    size_t k = first_missing(run, k0, k1);
    if (k < k1)
        return cperm_fail(err, CPERM_EINVAL, "%s: permutation %zu of step-down pass %d has not "
                          "been computed", what, k, run->pass + 1);
    return CPERM_OK;
}

int cperm_run_export_h0(const cperm_run *run, size_t k0, size_t k1, double *out,
                        cperm_err *err) {
    int rc = check_range(run, k0, k1, out, "export_h0", err);
    if (!rc) rc = check_present(run, k0, k1, "export_h0", err);
    if (rc) return rc;
    if (k1 > k0) memcpy(out, run->h0 + 1 + k0, (k1 - k0) * sizeof *out);
    return CPERM_OK;
}

int cperm_run_import_h0(cperm_run *run, size_t k0, size_t k1, const double *in,
                        cperm_err *err) {
    int rc = check_range(run, k0, k1, in, "import_h0", err);
    if (rc) return rc;
    if (!run->pass_open)
        return cperm_fail(err, CPERM_EINVAL, "import_h0: no step-down pass is open (call "
                          "cperm_run_begin first; the last pass has ended)");
    if (k1 > k0) memmove(run->h0 + 1 + k0, in, (k1 - k0) * sizeof *in);
    mark(run, k0, k1);
    return CPERM_OK;
}

int cperm_run_merge_h0(cperm_run *dst, const cperm_run *src, size_t k0, size_t k1,
                       cperm_err *err) {
    if (!dst || !src) return cperm_fail(err, CPERM_EINVAL, "merge_h0: NULL argument");
    int rc = check_range(dst, k0, k1, src, "merge_h0", err);
    if (rc) return rc;
    if (!dst->pass_open)
        return cperm_fail(err, CPERM_EINVAL, "merge_h0: no step-down pass is open in the "
                          "destination run");
    const cperm_plan *a = dst->plan, *b = src->plan;
    int same = a->n_orders == b->n_orders && a->n_points == b->n_points &&
               a->n_subjects == b->n_subjects && src->pass == dst->pass &&
               src->obs.n_clusters == dst->obs.n_clusters && src->n_removed == dst->n_removed &&
               src->have_observed && dst->have_observed &&
               (!dst->obs.n_clusters || !memcmp(&src->h0[0], &dst->h0[0], sizeof dst->h0[0]));
    for (size_t r = 0; same && r < dst->n_removed; r++) same = src->removed[r] == dst->removed[r];
    if (!same)
        return cperm_fail(err, CPERM_EMISMATCH, "merge_h0: the runs test other data or "
                          "parameters, or are in other step-down states (pass %d with %zu "
                          "removed vs pass %d with %zu)", src->pass + 1, src->n_removed,
                          dst->pass + 1, dst->n_removed);
    rc = check_present(src, k0, k1, "merge_h0", err);
    if (rc) return rc;
    if (src != dst && k1 > k0)
        memcpy(dst->h0 + 1 + k0, src->h0 + 1 + k0, (k1 - k0) * sizeof *dst->h0);
    mark(dst, k0, k1);
    return CPERM_OK;
}

int cperm_run_pass(const cperm_run *run, size_t *done) {
    if (done) *done = run ? run->done : 0;
    return run ? run->pass : 0;
}
