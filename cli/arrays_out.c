/* arrays_out.c - the outputs of a cluster run on .npy arrays (--dims): the statistic and the
 * clusters as arrays of the observation's shape (tobs.npy, cluster-labels.npy), h0.txt,
 * clusters.json with each cluster's extent along every named dimension (and its channels),
 * h0.png and a self-contained report.html. */
#include "arrays.h"
#include "mpi.h"
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static json_t *jmaybe(double v) { return isnan(v) ? json_null() : jreal(v); }

/* The observation's flat index (C order over --dims) of the engine's point idx. */
static size_t obs_index(const os_arrays *a, size_t idx) {
    if (!(a->spatiotemporal && a->time_dim == 1)) return idx;
    const size_t t = idx / a->n_space, s = idx % a->n_space; /* (space, time) data */
    return s * a->n_times + t;
}

static void unravel(size_t *out, const os_arrays *a, size_t flat) {
    for (size_t d = a->n_dims; d-- > 0;) {
        out[d] = flat % a->lengths[d];
        flat /= a->lengths[d];
    }
}

static const char *test_name(const os_opts *o, const os_arrays *a) {
    if (os_rm(o)) return "permutation_cluster_test (f_mway_rm)";
    if (os_independent(o))
        return a->spatiotemporal ? "spatio_temporal_cluster_test" : "permutation_cluster_test";
    return a->spatiotemporal ? "spatio_temporal_cluster_1samp_test"
                             : "permutation_cluster_1samp_test";
}

static json_t *jlist(const cli_strlist *l) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n; i++) json_array_append_new(arr, json_string(l->items[i]));
    return arr;
}

/* A cluster's first and last index along each dimension into lo/hi, and its peak: the
 * member of largest |t| (the smallest flat index on a tie). */
static size_t cluster_span(const os_arrays *a, const int64_t *m, size_t n, const double *tobs,
                           size_t *lo, size_t *hi) {
    size_t idx[ARRAYS_MAX_DIMS], peak = SIZE_MAX;
    for (size_t d = 0; d < a->n_dims; d++) lo[d] = SIZE_MAX, hi[d] = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t e = (size_t)m[i];
        unravel(idx, a, obs_index(a, e));
        for (size_t d = 0; d < a->n_dims; d++) {
            if (idx[d] < lo[d]) lo[d] = idx[d];
            if (idx[d] > hi[d]) hi[d] = idx[d];
        }
        if (peak == SIZE_MAX || fabs(tobs[e]) > fabs(tobs[peak]) ||
            (fabs(tobs[e]) == fabs(tobs[peak]) && e < peak))
            peak = e;
    }
    return peak;
}

/* One cluster's record: extent per dimension, channels covered, the peak. */
static json_t *cluster_json(const os_result *r, size_t k, uint8_t *seen) {
    const os_arrays *a = r->study->arrays;
    size_t n = 0;
    const int64_t *m = cperm_run_cluster(r->run, k, &n);
    const double *tobs = cperm_run_tobs(r->run);
    const double p = cperm_run_pvalues(r->run)[k];
    size_t lo[ARRAYS_MAX_DIMS], hi[ARRAYS_MAX_DIMS], idx[ARRAYS_MAX_DIMS];
    const size_t peak = cluster_span(a, m, n, tobs, lo, hi);
    json_t *c = json_object();
    json_object_set_new(c, "index", json_integer((json_int_t)k));
    json_object_set_new(c, "p", jreal(p));
    json_object_set_new(c, "significant", json_boolean(p < r->opts->p_summary));
    json_object_set_new(c, "statistic", jreal(cperm_run_cluster_stats(r->run)[k]));
    json_object_set_new(c, "n_points", json_integer((json_int_t)n));
    if (n == 0) return c;
    json_t *ext = json_object();
    for (size_t d = 0; d < a->n_dims; d++) {
        json_t *span = json_array();
        json_array_append_new(span, json_integer((json_int_t)lo[d]));
        json_array_append_new(span, json_integer((json_int_t)hi[d]));
        json_object_set_new(ext, a->names[d], span);
    }
    json_object_set_new(c, "extent", ext);
    if (a->channels && a->adj_dim >= 0) { /* the channels it covers, in the data's order */
        const size_t L = a->lengths[a->adj_dim];
        for (size_t i = 0; i < n; i++) {
            unravel(idx, a, obs_index(a, (size_t)m[i]));
            seen[idx[a->adj_dim]] = 1;
        }
        json_t *names = json_array();
        for (size_t v = 0; v < L; v++)
            if (seen[v]) {
                json_array_append_new(names, json_string(a->channels->names[v]));
                seen[v] = 0;
            }
        json_object_set_new(c, "channels", names);
    }
    json_t *pk = json_object(), *at = json_object();
    unravel(idx, a, obs_index(a, peak));
    for (size_t d = 0; d < a->n_dims; d++)
        json_object_set_new(at, a->names[d], json_integer((json_int_t)idx[d]));
    json_object_set_new(pk, "index", at);
    if (a->channels && a->adj_dim >= 0)
        json_object_set_new(pk, "channel", json_string(a->channels->names[idx[a->adj_dim]]));
    json_object_set_new(pk, "stat", jreal(tobs[peak]));
    json_object_set_new(c, "peak", pk);
    return c;
}

static json_t *clusters_json(const os_result *r) {
    const os_opts *o = r->opts;
    const os_study *st = r->study;
    const os_arrays *a = st->arrays;
    json_t *root = json_object(), *par = json_object(), *data = json_object();
    json_t *clusters = json_array();
    uint8_t *seen = calloc(a->adj_dim >= 0 ? a->lengths[a->adj_dim] : 1, 1);
    json_t *done = NULL; /* root, once complete */
    if (!root || !par || !data || !clusters || !seen) {
        json_decref(par);
        json_decref(data);
        goto cleanup;
    }
    const int indep = os_independent(o), rm = os_rm(o);
    json_object_set_new(root, "program", json_string(CLI_NAME " " CPERM_VERSION_STRING));
    json_object_set_new(root, "test", json_string(test_name(o, a)));
    json_object_set_new(root, "design", json_string(rm ? "repeated measures"
                                                    : indep ? "independent groups (labels "
                                                            "shuffled across all observations)"
                                                    : o->b ? "paired (A - B, signs flipped)"
                                                           : "one sample (signs flipped)"));
    json_object_set_new(root, "statistic",
                        json_string(rm ? "f_mway_rm"
                                    : !indep ? "ttest_1samp_no_p"
                                    : o->statistic == CPERM_STAT_F_ONEWAY ? "f_oneway"
                                    : o->equal_var ? "ttest_ind_no_p"
                                                   : "ttest_ind_no_p(equal_var=False)"));
    if (rm) {
        json_t *levels = json_array();
        for (size_t k = 0; k < o->rm_n_factors; k++)
            json_array_append_new(levels, json_integer((json_int_t)o->rm_levels[k]));
        json_object_set_new(root, "effect", json_string(o->effect));
        json_object_set_new(root, "factor_levels", levels);
        json_object_set_new(root, "scheme",
                            json_string(o->rm_scheme == CPERM_RM_MNE
                                            ? "mne (all cells x subjects shuffled, MNE's pattern)"
                                            : "within (cells shuffled within each subject)"));
    }
    if (rm || indep) {
        json_t *groups = json_array();
        for (size_t g = 0; g < st->n_groups; g++) {
            json_t *one = json_object();
            json_object_set_new(one, "glob", json_string(rm ? o->cells[g] : o->groups[g]));
            json_object_set_new(one, "observations", jlist(&st->groups[g].stems));
            json_array_append_new(groups, one);
        }
        json_object_set_new(par, rm ? "cells" : "groups", groups);
        json_object_set_new(par, "f_threshold", jmaybe(o->f_threshold));
    } else {
        json_object_set_new(par, "a", jlist(&st->a.stems));
        json_object_set_new(par, "b", st->paired ? jlist(&st->b.stems) : json_null());
    }
    json_object_set_new(par, "dims", json_string(o->dims));
    json_object_set_new(par, "adjacency", o->adjacency ? json_string(o->adjacency) : json_null());
    json_object_set_new(par, "adjacency_dim",
                        o->adjacency_dim ? json_string(o->adjacency_dim) : json_null());
    json_object_set_new(par, "channels", o->channels ? json_string(o->channels) : json_null());
    json_object_set_new(par, "p_threshold", jmaybe(o->p_threshold));
    json_object_set_new(par, "t_threshold", jmaybe(o->t_threshold));
    json_object_set_new(par, "threshold", jreal(cperm_plan_threshold(r->plan)));
    json_object_set_new(par, "tail", json_integer(o->tail));
    json_object_set_new(par, "n_permutations", o->n_permutations == CPERM_PERMUTATIONS_ALL
                                                   ? json_string("all")
                                                   : json_integer(o->n_permutations));
    json_object_set_new(par, "seed", json_integer(o->seed));
    json_object_set_new(par, "sigma", jreal(o->sigma));
    json_object_set_new(par, "step_down_p", jreal(o->step_down_p));
    json_object_set_new(par, "max_step", json_integer(o->max_step));
    json_object_set_new(par, "compat", json_string(o->compat == CPERM_COMPAT_MNE13 ? "mne1.3"
                                                                                  : "none"));
    json_object_set_new(par, "min_neighbors", json_integer(o->min_neighbors));
    json_object_set_new(par, "min_duration", json_integer(o->min_duration));
    json_object_set_new(par, "min_extent", json_integer(o->min_extent));
    json_object_set_new(par, "jobs", json_integer(o->jobs));
#ifdef CPERM_MPI
    json_object_set_new(par, "ranks", json_integer(cli_mpi_size())); /* clusterperm-mpi */
#endif
    json_object_set_new(par, "p_summary", jreal(o->p_summary));
    json_object_set_new(root, "parameters", par);

    json_object_set_new(data, "n_subjects", json_integer((json_int_t)os_n_subjects(o, st)));
    if (rm || indep) json_object_set_new(data, rm ? "n_cells" : "n_groups",
                                         json_integer((json_int_t)st->n_groups));
    json_t *dims = json_array();
    for (size_t d = 0; d < a->n_dims; d++) {
        json_t *one = json_object();
        json_object_set_new(one, "name", json_string(a->names[d]));
        json_object_set_new(one, "length", json_integer((json_int_t)a->lengths[d]));
        json_array_append_new(dims, one);
    }
    json_object_set_new(data, "dims", dims);
    json_object_set_new(data, "stacked", json_boolean(a->stacked));
    json_object_set_new(data, "adjacency_kind", json_string(a->adjacency_kind));
    json_object_set_new(data, "adjacency_over",
                        a->full ? json_string("all points")
                        : a->adj_dim >= 0 ? json_string(a->names[a->adj_dim]) : json_null());
    json_object_set_new(data, "layout", json_string(a->spatiotemporal
                                                        ? "time x space (max_step along time)"
                                                        : "all dimensions (combine_adjacency)"));
    if (a->channels) {
        json_t *names = json_array();
        for (size_t i = 0; i < a->channels->n_channels; i++)
            json_array_append_new(names, json_string(a->channels->names[i]));
        json_object_set_new(data, "channels", names);
    }
    json_object_set_new(root, "data", data);

    size_t n_h0 = 0;
    cperm_run_h0(r->run, &n_h0);
    const size_t n_clusters = cperm_run_n_clusters(r->run);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(r->plan)));
    json_object_set_new(root, "exact", json_boolean(cperm_plan_is_exact(r->plan)));
    json_object_set_new(root, "n_h0", json_integer((json_int_t)n_h0));
    json_object_set_new(root, "n_step_downs",
                        json_integer((json_int_t)cperm_run_n_step_downs(r->run)));
    json_object_set_new(root, "n_clusters", json_integer((json_int_t)n_clusters));
    for (size_t k = 0; k < n_clusters; k++) {
        json_t *c = cluster_json(r, k, seen);
        if (!c || json_array_append_new(clusters, c)) goto cleanup;
    }
    json_object_set_new(root, "clusters", clusters);
    clusters = NULL;
    done = root;
    root = NULL;
cleanup:
    json_decref(clusters);
    json_decref(root);
    free(seen);
    return done;
}

/* ------------------------------------------------------------- the report */

static double jnum(const json_t *v) { return json_is_number(v) ? json_number_value(v) : NAN; }

static char *arrays_page(const os_result *r, const json_t *root, const report_images *im) {
    const os_arrays *a = r->study->arrays;
    const double p_summary = r->opts->p_summary;
    report_buf b = {0};
    const json_t *clusters = json_object_get(root, "clusters");
    const size_t n_clusters = json_array_size(clusters);
    size_t n_sig = 0;
    for (size_t i = 0; i < n_clusters; i++)
        n_sig += jnum(json_object_get(json_array_get(clusters, i), "p")) < p_summary;
    report_begin(&b, "Cluster permutation test on arrays");
    report_printf(&b, "<p>Test: ");
    report_html(&b, json_string_value(json_object_get(root, "test")));
    report_printf(&b, "; design: ");
    report_html(&b, json_string_value(json_object_get(root, "design")));
    report_printf(&b, "; statistic: ");
    report_html(&b, json_string_value(json_object_get(root, "statistic")));
    report_printf(&b, "; threshold %.6g.</p>\n<p id=\"dims\">%zu observations of ",
                  cperm_plan_threshold(r->plan), r->study->a.stems.n);
    for (size_t d = 0; d < a->n_dims; d++) {
        report_printf(&b, "%s", d ? " &times; " : "");
        report_html(&b, a->names[d]);
        report_printf(&b, " (%zu)", a->lengths[d]);
    }
    report_printf(&b, "; neighbourhood: ");
    report_html(&b, a->adjacency_kind);
    if (a->adj_dim >= 0) {
        report_printf(&b, " over ");
        report_html(&b, a->names[a->adj_dim]);
    }
    report_printf(&b, "%s. <strong>%zu cluster%s, %zu with p &lt; %g.</strong></p>\n",
                  a->spatiotemporal ? ", time steps joined up to max_step" : "", n_clusters,
                  n_clusters == 1 ? "" : "s", n_sig, p_summary);
    report_printf(&b, "<h2>Figures</h2>\n");
    report_figure(&b, "h0", "histogram of the permutation distribution H0",
                  "The permutation distribution H0 of the cluster statistic, the observed "
                  "clusters and H0's critical value.", im->h0, im->h0_len);
    report_printf(&b, "<h2>Clusters</h2>\n");
    if (n_clusters == 0) {
        report_printf(&b, "<p id=\"clusters-none\">No clusters were found.</p>\n");
    } else {
        report_printf(&b, "<table id=\"clusters\">\n<thead><tr><th>cluster</th><th>p</th>"
                          "<th>statistic</th><th>size (points)</th>");
        for (size_t d = 0; d < a->n_dims; d++) {
            report_printf(&b, "<th>");
            report_html(&b, a->names[d]);
            report_printf(&b, "</th>");
        }
        report_printf(&b, "<th>peak</th>%s</tr></thead>\n<tbody>\n",
                      a->channels ? "<th>channels</th>" : "");
        const size_t shown = n_clusters < 200 ? n_clusters : 200;
        for (size_t i = 0; i < shown; i++) {
            const json_t *c = json_array_get(clusters, i), *ext = json_object_get(c, "extent");
            const double p = jnum(json_object_get(c, "p"));
            report_printf(&b, "<tr%s><td class=\"n\">%zu</td><td class=\"n\">%.4g</td>"
                          "<td class=\"n\">%.2f</td><td class=\"n\">%.0f</td>",
                          p < p_summary ? " class=\"sig\"" : "", i, p,
                          jnum(json_object_get(c, "statistic")),
                          jnum(json_object_get(c, "n_points")));
            for (size_t d = 0; d < a->n_dims; d++) {
                const json_t *span = json_object_get(ext, a->names[d]);
                report_printf(&b, "<td class=\"n\">%.0f&ndash;%.0f</td>",
                              jnum(json_array_get(span, 0)), jnum(json_array_get(span, 1)));
            }
            const json_t *pk = json_object_get(c, "peak");
            report_printf(&b, "<td class=\"n\">%.3f", jnum(json_object_get(pk, "stat")));
            const char *ch = json_string_value(json_object_get(pk, "channel"));
            if (ch) {
                report_printf(&b, " at ");
                report_html(&b, ch);
            }
            report_printf(&b, "</td>");
            if (a->channels) {
                const json_t *names = json_object_get(c, "channels");
                report_printf(&b, "<td>");
                for (size_t k = 0; k < json_array_size(names) && k < 12; k++) {
                    report_printf(&b, "%s", k ? ", " : "");
                    report_html(&b, json_string_value(json_array_get(names, k)));
                }
                if (json_array_size(names) > 12)
                    report_printf(&b, " &hellip; (%zu)", json_array_size(names));
                report_printf(&b, "</td>");
            }
            report_printf(&b, "</tr>\n");
        }
        report_printf(&b, "</tbody>\n</table>\n");
        if (shown < n_clusters)
            report_printf(&b, "<p>%zu more clusters are listed in clusters.json.</p>\n",
                          n_clusters - shown);
    }
    report_params_begin(&b);
    report_param_rows(&b, json_object_get(root, "parameters"));
    report_param_json(&b, "permutations run", json_object_get(root, "n_orders"));
    report_param_json(&b, "exact test", json_object_get(root, "exact"));
    return report_end(&b, json_string_value(json_object_get(root, "program")),
                      "clusters.json, h0.txt, tobs.npy and cluster-labels.npy");
}

/* ------------------------------------------------------------- entry point */

static int add_npy(outset *set, const char *name, const double *values, const os_arrays *a,
                   const char *dtype) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    cperm_err err = {0};
    if (cperm_npy_format(&bytes, &len, values, a->lengths, a->n_dims, dtype, &err)) {
        cli_error("%s: %s", name, err.msg);
        return -1;
    }
    return outset_take(set, name, bytes, len);
}


/* ------------------------------------------------------------- TFCE */

/* A point and its p-value, sorted by p then index. */
typedef struct point_p {
    double p;
    size_t i;
} point_p;

static int cmp_point_p(const void *x, const void *y) {
    const point_p *a = x, *b = y;
    return a->p < b->p ? -1 : a->p > b->p ? 1 : a->i < b->i ? -1 : a->i > b->i;
}

#define TFCE_MAX_LISTED 10000

static json_t *tfce_json(const os_result *r, const double *tfce_obs, const double *pv_obs) {
    const os_opts *o = r->opts;
    const os_arrays *a = r->study->arrays;
    const tfce_cli *t = &o->tfce;
    json_t *root = json_object(), *par = json_object(), *pts = json_array();
    point_p *order = malloc(a->n_points * sizeof *order);
    json_t *done = NULL; /* root, once complete */
    if (!root || !par || !pts || !order) {
        json_decref(par);
        json_decref(pts);
        goto cleanup;
    }
    json_object_set_new(root, "program", json_string(CLI_NAME " " CPERM_VERSION_STRING));
    json_object_set_new(root, "test", json_string(test_name(o, a)));
    json_object_set_new(root, "statistic", json_string("ttest_1samp_no_p"));
    json_object_set_new(par, "a", jlist(&r->study->a.stems));
    json_object_set_new(par, "b", r->study->paired ? jlist(&r->study->b.stems) : json_null());
    json_object_set_new(par, "dims", json_string(o->dims));
    json_object_set_new(par, "adjacency", o->adjacency ? json_string(o->adjacency) : json_null());
    json_object_set_new(par, "tfce_formula", json_string(t->mode == CPERM_TFCE_EXACT ? "exact"
                                                         : t->mode == CPERM_TFCE_MNE13 ? "mne1.3"
                                                                                       : "riemann"));
    json_object_set_new(par, "tfce_start", t->mode == CPERM_TFCE_EXACT ? json_null() : jreal(t->start));
    json_object_set_new(par, "tfce_step", t->mode == CPERM_TFCE_EXACT ? json_null() : jreal(t->step));
    json_object_set_new(par, "tfce_h", jreal(t->h));
    json_object_set_new(par, "tfce_e", jreal(t->e));
    json_object_set_new(par, "tail", json_integer(o->tail));
    json_object_set_new(par, "n_permutations", o->n_permutations == CPERM_PERMUTATIONS_ALL
                                                   ? json_string("all")
                                                   : json_integer(o->n_permutations));
    json_object_set_new(par, "seed", json_integer(o->seed));
    json_object_set_new(par, "sigma", jreal(o->sigma));
    json_object_set_new(par, "compat", json_string(o->compat == CPERM_COMPAT_MNE13 ? "mne1.3"
                                                                                  : "none"));
    json_object_set_new(par, "p_summary", jreal(o->p_summary));
    json_object_set_new(root, "parameters", par);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(r->plan)));
    json_object_set_new(root, "also", tfce_also_json(r)); /* --also (issue 17) */
    size_t n_sig = 0;
    for (size_t i = 0; i < a->n_points; i++)
        if (pv_obs[i] < o->p_summary) order[n_sig++] = (point_p){pv_obs[i], i};
    qsort(order, n_sig, sizeof *order, cmp_point_p);
    json_object_set_new(root, "n_significant", json_integer((json_int_t)n_sig));
    size_t idx[ARRAYS_MAX_DIMS];
    for (size_t k = 0; k < n_sig && k < TFCE_MAX_LISTED; k++) {
        json_t *pt = json_object(), *at = json_object();
        unravel(idx, a, order[k].i);
        for (size_t d = 0; d < a->n_dims; d++)
            json_object_set_new(at, a->names[d], json_integer((json_int_t)idx[d]));
        json_object_set_new(pt, "index", at);
        if (a->channels && a->adj_dim >= 0)
            json_object_set_new(pt, "channel", json_string(a->channels->names[idx[a->adj_dim]]));
        json_object_set_new(pt, "tfce", jreal(tfce_obs[order[k].i]));
        json_object_set_new(pt, "p", jreal(pv_obs[order[k].i]));
        json_array_append_new(pts, pt);
    }
    json_object_set_new(root, "points", pts);
    pts = NULL;
    done = root;
    root = NULL;
cleanup:
    json_decref(pts);
    json_decref(root);
    free(order);
    return done;
}

static char *tfce_page(const os_result *r, const json_t *root, const report_images *im) {
    const os_arrays *a = r->study->arrays;
    report_buf b = {0};
    const json_t *pts = json_object_get(root, "points");
    report_begin(&b, "TFCE permutation test on arrays");
    report_printf(&b, "<p id=\"dims\">%zu observations of ", r->study->a.stems.n);
    for (size_t d = 0; d < a->n_dims; d++) {
        report_printf(&b, "%s", d ? " &times; " : "");
        report_html(&b, a->names[d]);
        report_printf(&b, " (%zu)", a->lengths[d]);
    }
    report_printf(&b, "; neighbourhood: ");
    report_html(&b, a->adjacency_kind);
    report_printf(&b, ". <strong>%.0f points with p &lt; %g.</strong></p>\n",
                  jnum(json_object_get(root, "n_significant")), r->opts->p_summary);
    report_printf(&b, "<h2>Figures</h2>\n");
    report_figure(&b, "h0", "histogram of the permutation distribution H0",
                  "The permutation distribution of the largest TFCE score and the observed "
                  "one.", im->h0, im->h0_len);
    report_printf(&b, "<h2>Significant points</h2>\n");
    const size_t shown = json_array_size(pts) < 40 ? json_array_size(pts) : 40;
    if (!shown) report_printf(&b, "<p id=\"points-none\">No point has p &lt; %g.</p>\n",
                              r->opts->p_summary);
    else {
        report_printf(&b, "<table id=\"points\">\n<thead><tr>");
        for (size_t d = 0; d < a->n_dims; d++) {
            report_printf(&b, "<th>");
            report_html(&b, a->names[d]);
            report_printf(&b, "</th>");
        }
        report_printf(&b, "%s<th>TFCE</th><th>p</th></tr></thead>\n<tbody>\n",
                      a->channels ? "<th>channel</th>" : "");
        for (size_t k = 0; k < shown; k++) {
            const json_t *pt = json_array_get(pts, k), *at = json_object_get(pt, "index");
            report_printf(&b, "<tr>");
            for (size_t d = 0; d < a->n_dims; d++)
                report_printf(&b, "<td class=\"n\">%.0f</td>",
                              jnum(json_object_get(at, a->names[d])));
            if (a->channels) {
                report_printf(&b, "<td>");
                report_html(&b, json_string_value(json_object_get(pt, "channel")));
                report_printf(&b, "</td>");
            }
            report_printf(&b, "<td class=\"n\">%.4g</td><td class=\"n\">%.4g</td></tr>\n",
                          jnum(json_object_get(pt, "tfce")), jnum(json_object_get(pt, "p")));
        }
        report_printf(&b, "</tbody>\n</table>\n");
    }
    report_params_begin(&b);
    report_param_rows(&b, json_object_get(root, "parameters"));
    report_param_json(&b, "permutations run", json_object_get(root, "n_orders"));
    return report_end(&b, json_string_value(json_object_get(root, "program")),
                      "tfce.json, h0.txt, tfce.npy, tfce-p.npy and tobs.npy");
}

/* --also (issue 17): clusters-mass.tsv / clusters-extent.tsv of arrays, one row per
 * threshold cluster: its p and statistic, points, each dimension's span (first, last index),
 * the peak (largest |t|, first if tied) per dimension, its channel and t. */
static int also_tsv(outset *set, const os_result *r, unsigned what) {
    const os_arrays *a = r->study->arrays;
    const size_t n = cperm_run_tfce_also_n_clusters(r->run);
    const double *p = cperm_run_tfce_also_pvalues(r->run, what);
    const double *stat = cperm_run_tfce_also_stats(r->run, what), *tobs = cperm_run_tobs(r->run);
    const int chan = a->channels && a->adj_dim >= 0;
    report_buf b = {0};
    size_t lo[ARRAYS_MAX_DIMS], hi[ARRAYS_MAX_DIMS], idx[ARRAYS_MAX_DIMS];
    report_printf(&b, "cluster\tp\tsignificant\tstatistic\tn_points");
    for (size_t d = 0; d < a->n_dims; d++)
        report_printf(&b, "\t%s_first\t%s_last", a->names[d], a->names[d]);
    for (size_t d = 0; d < a->n_dims; d++) report_printf(&b, "\tpeak_%s", a->names[d]);
    report_printf(&b, "%s\tpeak_stat\n", chan ? "\tpeak_channel" : "");
    for (size_t k = 0; k < n; k++) {
        size_t m_n = 0;
        const int64_t *m = cperm_run_tfce_also_cluster(r->run, k, &m_n);
        const size_t peak = cluster_span(a, m, m_n, tobs, lo, hi);
        report_printf(&b, "%zu\t%.17g\t%s\t%.17g\t%zu", k, p[k],
                      p[k] < r->opts->p_summary ? "True" : "False", stat[k], m_n);
        for (size_t d = 0; d < a->n_dims; d++) report_printf(&b, "\t%zu\t%zu", lo[d], hi[d]);
        unravel(idx, a, obs_index(a, peak)); /* a cluster has at least one point */
        for (size_t d = 0; d < a->n_dims; d++) report_printf(&b, "\t%zu", idx[d]);
        if (chan) report_printf(&b, "\t%s", a->channels->names[idx[a->adj_dim]]);
        report_printf(&b, "\t%.17g\n", tobs[peak]);
    }
    if (b.oom) {
        free(b.p);
        cli_error("out of memory while formatting clusters-%s.tsv", tfce_also_name(what));
        return -1;
    }
    char name[32];
    snprintf(name, sizeof name, "clusters-%s.tsv", tfce_also_name(what));
    return outset_take(set, name, b.p, strlen(b.p));
}

static int arrays_tfce_outputs(outset *set, const os_result *r, double *buf) {
    const os_arrays *a = r->study->arrays;
    const double *tfce = cperm_run_tfce_map(r->run), *pv = cperm_run_tfce_pvalues(r->run);
    double *pv_obs = malloc(a->n_points * sizeof *pv_obs);
    char *h0 = NULL;
    json_t *tree = NULL; /* the JSON file's tree, also the report's */
    size_t h0_len = 0;
    int rc = -1;
    if (!pv_obs) {
        cli_error("out of memory");
        return -1;
    }
    for (size_t e = 0; e < a->n_points; e++) buf[obs_index(a, e)] = tfce[e];
    if (add_npy(set, "tfce.npy", buf, a, "<f8")) goto cleanup;
    for (size_t e = 0; e < a->n_points; e++) pv_obs[obs_index(a, e)] = pv[e];
    if (add_npy(set, "tfce-p.npy", pv_obs, a, "<f8")) goto cleanup;
    if (!(h0 = outputs_h0_text(r->run, &h0_len))) goto cleanup;
    {
        const int taken = outset_take(set, "h0.txt", h0, h0_len);
        h0 = NULL;
        if (taken) goto cleanup;
    }
    if (tfce_also_h0_outputs(set, r)) goto cleanup; /* --also (issue 17) */
    for (unsigned what = CPERM_ALSO_MASS; what <= CPERM_ALSO_EXTENT; what <<= 1)
        if ((r->opts->tfce.also & what) && also_tsv(set, r, what)) goto cleanup;
    if (!(tree = tfce_json(r, buf, pv_obs))) {
        cli_error("out of memory while formatting tfce.json");
        goto cleanup;
    }
    if (outset_add_json(set, "tfce.json", tree)) goto cleanup;
    static const report_kind kind = {"tfce.json", NULL, report_tfce_h0, tfce_page};
    if (report_add_kind(set, r, tree, NULL, &kind)) goto cleanup;
    rc = 0;
cleanup:
    json_decref(tree);
    free(pv_obs);
    free(h0);
    return rc;
}

int arrays_outputs(outset *set, const os_result *r) {
    const os_arrays *a = r->study->arrays;
    const size_t n = a->n_points;
    double *buf = malloc(n * sizeof *buf);
    char *h0 = NULL;
    json_t *tree = NULL; /* the JSON file's tree, also the report's */
    size_t h0_len = 0;
    int rc = -1;
    if (!buf) {
        cli_error("out of memory");
        return -1;
    }
    const double *tobs = cperm_run_tobs(r->run);
    for (size_t e = 0; e < n; e++) buf[obs_index(a, e)] = tobs[e];
    if (add_npy(set, "tobs.npy", buf, a, "<f8")) goto cleanup;
    if (r->opts->tfce.on) { /* TFCE: per-point scores and p-values, no clusters */
        rc = arrays_tfce_outputs(set, r, buf);
        goto cleanup;
    }
    memset(buf, 0, n * sizeof *buf);
    const size_t n_clusters = cperm_run_n_clusters(r->run);
    for (size_t k = 0; k < n_clusters; k++) {
        size_t m = 0;
        const int64_t *pts = cperm_run_cluster(r->run, k, &m);
        for (size_t i = 0; i < m; i++) buf[obs_index(a, (size_t)pts[i])] = (double)(k + 1);
    }
    if (n_clusters >= (size_t)INT32_MAX) {
        cli_error("cluster-labels.npy: %zu clusters do not fit int32 labels", n_clusters);
        goto cleanup;
    }
    if (add_npy(set, "cluster-labels.npy", buf, a, "<i4")) goto cleanup;
    if (!(h0 = outputs_h0_text(r->run, &h0_len))) goto cleanup;
    {
        const int taken = outset_take(set, "h0.txt", h0, h0_len);
        h0 = NULL;
        if (taken) goto cleanup;
    }
    if (!(tree = clusters_json(r))) {
        cli_error("out of memory while formatting clusters.json");
        goto cleanup;
    }
    if (outset_add_json(set, "clusters.json", tree)) goto cleanup;
    static const report_kind kind = {"clusters.json", NULL, report_cluster_h0, arrays_page};
    if (report_add_kind(set, r, tree, NULL, &kind)) goto cleanup;
    rc = 0;
cleanup:
    json_decref(tree);
    free(buf);
    free(h0);
    return rc;
}
