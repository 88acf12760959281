/* cluster_shapes.c - a finished run's clusters as MNE's out_type returns them: a mask over
 * the sample's points (out_type='mask') or flat point indices in np.nonzero order
 * (out_type='indices'), written into the caller's buffers, so that a binding builds MNE's
 * return values with one reshape or np.unravel_index per cluster and no loop over points. */
#include "engine_internal.h"

/* Cluster k's members, or an error naming what is wrong. */
static int members_of(const cperm_run *run, size_t k, const int64_t **m, size_t *n,
                      const char *what, cperm_err *err) {
    if (!run) return cperm_fail(err, CPERM_EINVAL, "%s: NULL run", what);
    if (!run->have_result)
        return cperm_fail(err, CPERM_EINVAL, "%s: the run holds no results (execute it first)",
                          what);
    if (k >= run->obs.n_clusters)
        return cperm_fail(err, CPERM_EINVAL, "%s: cluster %zu does not exist (the run has %zu)",
                          what, k, run->obs.n_clusters);
    *m = run->obs.members + run->obs.offsets[k];
    *n = run->obs.offsets[k + 1] - run->obs.offsets[k];
    return CPERM_OK;
}

int cperm_run_cluster_mask(const cperm_run *run, size_t k, uint8_t *mask, size_t n_mask,
                           cperm_err *err) {
    const int64_t *m = NULL;
    size_t n = 0;
    int rc = members_of(run, k, &m, &n, "cluster mask", err);
    if (rc) return rc;
    const size_t P = run->plan->n_points;
    if (!mask || n_mask != P)
        return cperm_fail(err, CPERM_EINVAL, "cluster mask: the mask must hold the run's %zu "
                          "points (n_times x n_vertices), got %s%zu", P, mask ? "" : "NULL, ",
                          n_mask);
    memset(mask, 0, P);
    for (size_t i = 0; i < n; i++) mask[m[i]] = 1;
    return CPERM_OK;
}

/* Restores the max-heap property below node i of a[0..n). */
static void sift_down(int64_t *a, size_t i, size_t n) {
    const int64_t x = a[i];
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && a[c + 1] > a[c]) c++;
        if (a[c] <= x) break;
        a[i] = a[c];
    }
    a[i] = x;
}

/* Heap sort: in place, allocation-free (qsort may allocate), O(n log n) for any order. */
static void sort_ascending(int64_t *a, size_t n) {
    for (size_t i = n / 2; i-- > 0;) sift_down(a, i, n);
    for (size_t end = n; end > 1; end--) {
        const int64_t top = a[0];
        a[0] = a[end - 1];
        a[end - 1] = top;
        sift_down(a, 0, end - 1);
    }
}

int cperm_run_cluster_indices(const cperm_run *run, size_t k, int64_t *out, size_t cap,
                              size_t *n_out, cperm_err *err) {
    const int64_t *m = NULL;
    size_t n = 0;
    int rc = members_of(run, k, &m, &n, "cluster indices", err);
    if (rc) return rc;
    if (n_out) *n_out = n;
    if ((!out && n) || cap < n)
        return cperm_fail(err, CPERM_EINVAL, "cluster indices: cluster %zu has %zu points, the "
                          "buffer holds %zu", k, n, out ? cap : 0);
    if (n) memcpy(out, m, n * sizeof *out);
    /* default mode keeps members ascending already; compat mode has MNE's list-path order */
    size_t i = 1;
    while (i < n && out[i - 1] < out[i]) i++;
    if (i < n) sort_ascending(out, n);
    return CPERM_OK;
}
