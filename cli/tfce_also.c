/* tfce_also.c - onesample's --also mass,extent (issue 17): exact TFCE's sweep of every
 * permuted map also gives the clusters at the cluster-forming threshold, so one run adds the
 * cluster-mass and cluster-extent tests: h0-mass.txt / h0-extent.txt (as h0.txt),
 * clusters-mass.tsv / clusters-extent.tsv (clusters.tsv's columns; the arrays' own in
 * arrays_out.c), tfce.json's "also" object and log lines. */
#include "tfce_out.h"
#include "cluster_tsv.h"
#include "onesample.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned also_bits[2] = {CPERM_ALSO_MASS, CPERM_ALSO_EXTENT};

const char *tfce_also_name(unsigned what) { return what == CPERM_ALSO_MASS ? "mass" : "extent"; }

int tfce_also_h0_outputs(outset *set, const os_result *r) {
    const unsigned also = r->opts->tfce.also;
    for (int i = 0; i < 2; i++) {
        const unsigned what = also_bits[i];
        if (!(also & what)) continue;
        size_t n = 0, len = 0;
        const double *h0 = cperm_run_tfce_also_h0(r->run, what, &n);
        if (!h0) { /* the library keeps it only for permutations this run computed */
            cli_error("--also %s: the run holds no %s H0 (its permutations were not all "
                      "computed by this process)", tfce_also_name(what), tfce_also_name(what));
            return -1;
        }
        /* no observed cluster: an empty H0, as the cluster test's h0.txt (MNE's) */
        if (!cperm_run_tfce_also_n_clusters(r->run)) n = 0;
        char name[32], *text = outputs_values_text(h0, n, &len);
        if (!text) return -1;
        snprintf(name, sizeof name, "h0-%s.txt", tfce_also_name(what));
        if (outset_take(set, name, text, len)) return -1; /* the set owns text */
    }
    return 0;
}

int tfce_also_tsv_outputs(outset *set, const os_result *r) {
    const unsigned also = r->opts->tfce.also;
    if (!also) return 0;
    cluster_info *info = NULL;
    const size_t n = cperm_run_tfce_also_n_clusters(r->run);
    if (cluster_info_compute_also(&info, r)) return -1;
    int rc = 0;
    for (int i = 0; !rc && i < 2; i++) {
        const unsigned what = also_bits[i];
        if (!(also & what)) continue;
        char name[32], *text = cluster_tsv_text_of(r, info, n,
                                                   cperm_run_tfce_also_pvalues(r->run, what),
                                                   cperm_run_tfce_also_stats(r->run, what));
        if (!text) {
            cli_error("out of memory while formatting clusters-%s.tsv", tfce_also_name(what));
            rc = -1;
            break;
        }
        snprintf(name, sizeof name, "clusters-%s.tsv", tfce_also_name(what));
        rc = outset_take(set, name, text, strlen(text));
    }
    cluster_info_free(info, n);
    return rc;
}

static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }

json_t *tfce_also_json(const os_result *r) {
    const os_opts *o = r->opts;
    const unsigned also = o->tfce.also;
    if (!also) return json_null();
    const size_t n = cperm_run_tfce_also_n_clusters(r->run);
    json_t *root = json_object(), *names = json_array();
    for (int i = 0; i < 2; i++)
        if (also & also_bits[i]) json_array_append_new(names, json_string(tfce_also_name(also_bits[i])));
    json_object_set_new(root, "statistics", names);
    json_object_set_new(root, "threshold", jreal(cperm_plan_threshold(r->plan)));
    json_object_set_new(root, "p_threshold", isnan(o->p_threshold) ? json_null()
                                                                   : json_real(o->p_threshold));
    json_object_set_new(root, "t_threshold", isnan(o->t_threshold) ? json_null()
                                                                   : json_real(o->t_threshold));
    json_object_set_new(root, "n_clusters", json_integer((json_int_t)n));
    for (int i = 0; i < 2; i++) {
        const unsigned what = also_bits[i];
        if (!(also & what)) continue;
        size_t nh = 0, n_sig = 0;
        const double *h0 = cperm_run_tfce_also_h0(r->run, what, &nh);
        const double *pv = cperm_run_tfce_also_pvalues(r->run, what);
        double min_p = NAN;
        for (size_t k = 0; pv && k < n; k++) {
            n_sig += pv[k] < o->p_summary;
            if (isnan(min_p) || pv[k] < min_p) min_p = pv[k];
        }
        char h0_name[32], tsv_name[32];
        snprintf(h0_name, sizeof h0_name, "h0-%s.txt", tfce_also_name(what));
        snprintf(tsv_name, sizeof tsv_name, "clusters-%s.tsv", tfce_also_name(what));
        json_t *one = json_object();
        json_object_set_new(one, "h0_observed", jreal(h0 && nh && n ? h0[0] : NAN));
        json_object_set_new(one, "n_significant", json_integer((json_int_t)n_sig));
        json_object_set_new(one, "min_p", jreal(min_p));
        json_object_set_new(one, "h0", json_string(h0_name));
        json_object_set_new(one, "clusters", json_string(tsv_name));
        json_object_set_new(root, tfce_also_name(what), one);
    }
    return root;
}

void tfce_also_print_log(const os_result *r) {
    const os_opts *o = r->opts;
    if (!o->tfce.also) return;
    const size_t n = cperm_run_tfce_also_n_clusters(r->run);
    printf("Also at the cluster-forming threshold %f: %zu cluster%s\n",
           cperm_plan_threshold(r->plan), n, n == 1 ? "" : "s");
    for (int i = 0; i < 2; i++) {
        const unsigned what = also_bits[i];
        if (!(o->tfce.also & what)) continue;
        const double *pv = cperm_run_tfce_also_pvalues(r->run, what);
        size_t n_sig = 0;
        for (size_t k = 0; pv && k < n; k++) n_sig += pv[k] < o->p_summary;
        printf("Cluster %s: %zu cluster%s with p < %g\n", tfce_also_name(what), n_sig,
               n_sig == 1 ? "" : "s", o->p_summary);
    }
    fflush(stdout);
}
