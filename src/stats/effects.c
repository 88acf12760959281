/* effects.c - per-cluster effect sizes (issue 18): the data averaged over a cluster's points
 * per observation, then its mean contrast, Cohen's d or partial eta^2, with 95% intervals where
 * a standard formula exists (the formulas are in clusterperm.h, cperm_effect). */
#include "common_internal.h"

#include <math.h>

#define Z975 1.959963984540054 /* scipy.stats.norm.ppf(0.975) */

static void effect_nan(cperm_effect *e, size_t n_points) {
    e->n_points = n_points;
    e->mean = e->mean_lo = e->mean_hi = NAN;
    e->d = e->d_lo = e->d_hi = NAN;
    e->eta2_p = e->stat = e->df1 = e->df2 = NAN;
}

/* The rows' design check: 0, or CPERM_EINVAL with a message. */
static int check_design(const cperm_effect_design *d, size_t n_obs, cperm_err *err) {
    if (!d) return cperm_fail(err, CPERM_EINVAL, "effects: no design");
    switch (d->kind) {
    case CPERM_EFFECT_ONESAMPLE:
        if (n_obs < 2)
            return cperm_fail(err, CPERM_EINVAL, "effects: one sample of %zu observations (2 "
                              "needed)", n_obs);
        return CPERM_OK;
    case CPERM_EFFECT_TWO_GROUPS:
    case CPERM_EFFECT_GROUPS_F: {
        if (!d->group_sizes || d->n_groups < 2 ||
            (d->kind == CPERM_EFFECT_TWO_GROUPS && d->n_groups != 2))
            return cperm_fail(err, CPERM_EINVAL, "effects: %zu groups for a %s design",
                              d->n_groups, d->kind == CPERM_EFFECT_TWO_GROUPS ? "two-group"
                                                                               : "one-way F");
        size_t total = 0;
        for (size_t g = 0; g < d->n_groups; g++) {
            if (d->group_sizes[g] < 1)
                return cperm_fail(err, CPERM_EINVAL, "effects: group %zu is empty", g + 1);
            total += d->group_sizes[g];
        }
        if (total != n_obs || total <= d->n_groups)
            return cperm_fail(err, CPERM_EINVAL, "effects: groups of %zu observations in all, "
                              "X has %zu (and more than %zu are needed)", total, n_obs,
                              d->n_groups);
        return CPERM_OK;
    }
    case CPERM_EFFECT_RM:
        if (d->n_groups < 2 || n_obs % d->n_groups || n_obs / d->n_groups < 2 ||
            !d->factor_levels)
            return cperm_fail(err, CPERM_EINVAL, "effects: %zu observations are not %zu cells "
                              "of at least 2 subjects", n_obs, d->n_groups);
        return CPERM_OK;
    default:
        return cperm_fail(err, CPERM_EINVAL, "effects: unknown design kind %d", d->kind);
    }
}

/* c[s] = observation s's mean over the points. */
static int cluster_means(double *c, const double *X, size_t n_obs, size_t n_points,
                         const int64_t *m, size_t n_m, cperm_err *err) {
    for (size_t i = 0; i < n_m; i++)
        if (m[i] < 0 || (uint64_t)m[i] >= n_points)
            return cperm_fail(err, CPERM_EINVAL, "effects: cluster point %lld outside the %zu "
                              "points of X", (long long)m[i], n_points);
    for (size_t s = 0; s < n_obs; s++) {
        const double *row = X + s * n_points;
        double sum = 0;
        for (size_t i = 0; i < n_m; i++) sum += row[m[i]];
        c[s] = sum / (double)n_m;
    }
    return CPERM_OK;
}

static void mean_var(const double *c, size_t n, double *mean, double *var) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += c[i];
    const double m = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += (c[i] - m) * (c[i] - m);
    *mean = m;
    *var = ss / (double)(n - 1);
}

/* Effect sizes of c (one value per observation) for the designs other than RM. */
static void effects_of(cperm_effect *e, const double *c, size_t n_obs,
                       const cperm_effect_design *d) {
    if (d->kind == CPERM_EFFECT_ONESAMPLE) {
        double m, v;
        mean_var(c, n_obs, &m, &v);
        const double n = (double)n_obs, sd = sqrt(v), se = sd / sqrt(n);
        const double tq = cperm_t_ppf(0.975, n - 1);
        e->mean = m;
        e->mean_lo = m - tq * se;
        e->mean_hi = m + tq * se;
        e->d = m / sd;
        const double sed = sqrt(1.0 / n + e->d * e->d / (2.0 * n));
        e->d_lo = e->d - Z975 * sed;
        e->d_hi = e->d + Z975 * sed;
        e->stat = m / se;
        e->df1 = n - 1;
    } else if (d->kind == CPERM_EFFECT_TWO_GROUPS) {
        const size_t n1 = d->group_sizes[0], n2 = d->group_sizes[1];
        double m1, v1, m2, v2;
        mean_var(c, n1, &m1, &v1);
        mean_var(c + n1, n2, &m2, &v2);
        const double a = (double)n1, b = (double)n2;
        const double sp = sqrt(((a - 1) * v1 + (b - 1) * v2) / (a + b - 2));
        double se, df;
        if (d->equal_var) {
            se = sp * sqrt(1.0 / a + 1.0 / b);
            df = a + b - 2;
        } else { /* Welch-Satterthwaite */
            const double q1 = v1 / a, q2 = v2 / b;
            se = sqrt(q1 + q2);
            df = (q1 + q2) * (q1 + q2) / (q1 * q1 / (a - 1) + q2 * q2 / (b - 1));
        }
        const double tq = cperm_t_ppf(0.975, df);
        e->mean = m1 - m2;
        e->mean_lo = e->mean - tq * se;
        e->mean_hi = e->mean + tq * se;
        e->d = e->mean / sp;
        const double sed = sqrt((a + b) / (a * b) + e->d * e->d / (2.0 * (a + b)));
        e->d_lo = e->d - Z975 * sed;
        e->d_hi = e->d + Z975 * sed;
        e->stat = e->mean / se;
        e->df1 = df;
    } else { /* GROUPS_F: one-way ANOVA of c */
        double grand = 0, ssb = 0, ssw = 0;
        for (size_t s = 0; s < n_obs; s++) grand += c[s];
        grand /= (double)n_obs;
        size_t off = 0;
        for (size_t g = 0; g < d->n_groups; g++) {
            const size_t ng = d->group_sizes[g];
            double mg = 0;
            for (size_t s = 0; s < ng; s++) mg += c[off + s];
            mg /= (double)ng;
            for (size_t s = 0; s < ng; s++) ssw += (c[off + s] - mg) * (c[off + s] - mg);
            ssb += (double)ng * (mg - grand) * (mg - grand);
            off += ng;
        }
        e->df1 = (double)(d->n_groups - 1);
        e->df2 = (double)(n_obs - d->n_groups);
        e->stat = (ssb / e->df1) / (ssw / e->df2);
        e->eta2_p = ssb / (ssb + ssw);
    }
}

int cperm_effect_compute(cperm_effect *out, const double *X, size_t n_obs, size_t n_points,
                         const int64_t *members, size_t n_members,
                         const cperm_effect_design *design, double *work, cperm_err *err) {
    if (!out || !X || !work || (!members && n_members))
        return cperm_fail(err, CPERM_EINVAL, "effects: NULL argument");
    int rc = check_design(design, n_obs, err);
    if (rc) return rc;
    if (design->kind == CPERM_EFFECT_RM)
        return cperm_fail(err, CPERM_EINVAL, "effects: a repeated-measures design needs every "
                          "cluster at once (cperm_cluster_effects)");
    effect_nan(out, n_members);
    if (n_members == 0) return CPERM_OK;
    if ((rc = cluster_means(work, X, n_obs, n_points, members, n_members, err))) return rc;
    effects_of(out, work, n_obs, design);
    return CPERM_OK;
}

int cperm_cluster_effects(cperm_effect *out, size_t n_out, const cperm_run *run, const double *X,
                          size_t n_obs, size_t n_points, const cperm_effect_design *design,
                          cperm_err *err) {
    if (!run || !X || (!out && n_out)) return cperm_fail(err, CPERM_EINVAL, "effects: NULL argument");
    const size_t n_clusters = cperm_run_n_clusters(run);
    if (n_out < n_clusters)
        return cperm_fail(err, CPERM_EINVAL, "effects: room for %zu clusters, the run has %zu",
                          n_out, n_clusters);
    int rc = check_design(design, n_obs, err);
    if (rc) return rc;
    if (n_clusters == 0) return CPERM_OK;
    const int rm = design->kind == CPERM_EFFECT_RM;
    /* one workspace: c for one cluster, and for RM every cluster's means in f_mway_rm's
     * layout (subjects x cells x clusters) and their F */
    double *c = cperm_malloc(n_obs, sizeof *c);
    double *data = rm ? cperm_malloc(n_obs, n_clusters * sizeof *data) : NULL;
    double *F = rm ? cperm_malloc(n_clusters, sizeof *F) : NULL;
    if (!c || (rm && (!data || !F))) {
        rc = cperm_fail(err, CPERM_ENOMEM, "effects: out of memory for %zu clusters of %zu "
                        "observations", n_clusters, n_obs);
        goto cleanup;
    }
    const size_t n_cells = design->n_groups, n_subj = rm ? n_obs / n_cells : 0;
    for (size_t k = 0; k < n_clusters; k++) {
        size_t n_m = 0;
        const int64_t *m = cperm_run_cluster(run, k, &n_m);
        effect_nan(&out[k], n_m);
        if (n_m == 0) {
            for (size_t s = 0; rm && s < n_obs; s++) c[s] = NAN;
        } else if ((rc = cluster_means(c, X, n_obs, n_points, m, n_m, err))) {
            goto cleanup;
        }
        if (!rm) {
            if (n_m) effects_of(&out[k], c, n_obs, design);
            continue;
        }
        for (size_t cell = 0; cell < n_cells; cell++) /* X: cell after cell */
            for (size_t s = 0; s < n_subj; s++)
                data[(s * n_cells + cell) * n_clusters + k] = c[cell * n_subj + s];
    }
    if (rm) {
        if ((rc = cperm_f_mway_rm(F, data, n_subj, design->factor_levels, design->n_factors,
                                  design->effect, n_clusters, err)))
            goto cleanup;
        double df1 = 1;
        for (size_t f = 0; f < design->n_factors; f++)
            if (design->effect >> f & 1u) df1 *= (double)design->factor_levels[f] - 1;
        const double df2 = df1 * (double)(n_subj - 1);
        for (size_t k = 0; k < n_clusters; k++) {
            if (out[k].n_points == 0) continue;
            out[k].stat = F[k];
            out[k].df1 = df1;
            out[k].df2 = df2;
            out[k].eta2_p = F[k] * df1 / (F[k] * df1 + df2);
        }
    }
    rc = CPERM_OK;
cleanup:
    free(c);
    free(data);
    free(F);
    return rc;
}
