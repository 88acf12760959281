/* summary.c - summarize_clusters_stc: per-vertex signed durations of the significant clusters. */
#include "common_internal.h"

#include <math.h>
#include <stdlib.h>

/* np.sign(x) * (x != 0) * tstep, the per-point contribution of _sum_cluster_data. */
static double signed_step(double x, double tstep) {
    double s = x > 0 ? 1.0 : (x < 0 ? -1.0 : (x == 0 ? 0.0 : x));
    return s * (x != 0 ? 1.0 : 0.0) * tstep;
}

int cperm_summarize_clusters(double **out, size_t *n_columns, const cperm_run *run,
                             size_t n_vertices, size_t n_times, double p_thresh,
                             double tstep, cperm_err *err) {
    double *summary = NULL, *dense = NULL, *row = NULL;
    uint8_t *touched = NULL;
    size_t *good = NULL;
    int rc = CPERM_OK;

    if (!out || !n_columns || !run)
        return cperm_fail(err, CPERM_EINVAL, "summarize_clusters: NULL argument");
    *out = NULL;
    *n_columns = 0;
    if (n_vertices == 0 || n_times == 0 || n_vertices > SIZE_MAX / n_times)
        return cperm_fail(err, CPERM_EINVAL,
                          "summarize_clusters: invalid shape %zu vertices x %zu times",
                          n_vertices, n_times);
    if (!isfinite(tstep) || !(p_thresh == p_thresh))
        return cperm_fail(err, CPERM_EINVAL, "summarize_clusters: tstep and p_thresh must be "
                                             "finite numbers");

    const size_t n_clusters = cperm_run_n_clusters(run);
    const double *pvals = cperm_run_pvalues(run);
    const double *tobs = cperm_run_tobs(run);
    if (n_clusters > 0 && (!pvals || !tobs))
        return cperm_fail(err, CPERM_EINVAL, "summarize_clusters: the run holds no results");

    size_t n_good = 0;
    good = cperm_malloc(n_clusters, sizeof *good);
    if (!good) return cperm_fail(err, CPERM_ENOMEM, "summarize_clusters: out of memory");
    for (size_t k = 0; k < n_clusters; k++)
        if (pvals[k] < p_thresh) good[n_good++] = k;
    if (n_good == 0) /* a normal result (MNE raises here): no columns, *out stays NULL */
        goto cleanup;

    const size_t n_cols = n_good + 1;
    const size_t n_tests = n_vertices * n_times;
    summary = cperm_calloc(n_vertices, n_cols * sizeof *summary);
    dense = cperm_calloc(n_tests, sizeof *dense); /* (n_vertices x n_times), as MNE's `data` */
    row = cperm_calloc(n_cols, sizeof *row);
    touched = cperm_calloc(n_vertices, 1);
    if (n_cols > SIZE_MAX / sizeof *summary || !summary || !dense || !row || !touched) {
        rc = cperm_fail(err, CPERM_ENOMEM, "summarize_clusters: out of memory for %zu x %zu",
                        n_vertices, n_cols);
        goto cleanup;
    }

    for (size_t ii = 0; ii < n_good; ii++) {
        size_t n_members = 0;
        const int64_t *members = cperm_run_cluster(run, good[ii], &n_members);
        if (n_members > 0 && !members) {
            rc = cperm_fail(err, CPERM_EINVAL, "summarize_clusters: cluster %zu has no members",
                            good[ii]);
            goto cleanup;
        }
        for (size_t m = 0; m < n_members; m++) {
            if (members[m] < 0 || (uint64_t)members[m] >= (uint64_t)n_tests) {
                rc = cperm_fail(err, CPERM_EINVAL,
                                "summarize_clusters: cluster %zu point %lld is outside %zu "
                                "times x %zu vertices",
                                good[ii], (long long)members[m], n_times, n_vertices);
                goto cleanup;
            }
            size_t t = (size_t)members[m] / n_vertices, v = (size_t)members[m] % n_vertices;
            dense[v * n_times + t] = signed_step(tobs[(size_t)members[m]], tstep);
            touched[v] = 1;
        }
        /* Rows outside the cluster sum to exactly 0 and stay as calloc left them. */
        for (size_t m = 0; m < n_members; m++) {
            size_t v = (size_t)members[m] % n_vertices;
            if (!touched[v]) continue;
            touched[v] = 0;
            summary[v * n_cols + ii + 1] = cperm_np_sum(dense + v * n_times, n_times);
        }
        for (size_t m = 0; m < n_members; m++) {
            size_t t = (size_t)members[m] / n_vertices, v = (size_t)members[m] % n_vertices;
            dense[v * n_times + t] = 0.0;
        }
    }
    /* data_summary[:, 0] = np.sum(data_summary, axis=1), column 0 still zero. */
    for (size_t v = 0; v < n_vertices; v++) {
        for (size_t c = 0; c < n_cols; c++) row[c] = summary[v * n_cols + c];
        summary[v * n_cols] = cperm_np_sum(row, n_cols);
    }
    *out = summary;
    *n_columns = n_cols;
    summary = NULL;

cleanup:
    free(summary);
    free(dense);
    free(row);
    free(touched);
    free(good);
    return rc;
}
