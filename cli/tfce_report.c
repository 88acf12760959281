/* tfce_report.c - the figures and report.html of a TFCE run (onesample --tfce, issue 11):
 * the seed's figure of the duration each vertex is significant, the H0 histogram of the
 * maximal TFCE score, and a page with the parameters and the significant points, built from
 * the pieces of cli/report.c. */
#include "report.h"
#include "onesample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TFCE_MAX_ROWS 40

/* A significant point for the table: sorted by p, then by |TFCE score|, then position. */
typedef struct sig_point {
    double p, score;
    size_t at;
} sig_point;

static int cmp_points(const void *a, const void *b) {
    const sig_point *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    if (fabs(x->score) != fabs(y->score)) return fabs(x->score) > fabs(y->score) ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* The page; root is tfce.json. */
static char *tfce_page(const os_result *r, const json_t *root, const report_images *im) {
    const cperm_stc *L = r->study->layout;
    const size_t nvl = L->n_vertices[0], nv = nvl + L->n_vertices[1], nt = L->n_times;
    const size_t P = nv * nt;
    const double *pv = cperm_run_tfce_pvalues(r->run), *score = cperm_run_tfce_map(r->run);
    const double *tobs = cperm_run_tobs(r->run);
    const double ps = r->opts->p_summary;
    report_buf b = {0};
    size_t n_sig = 0, n_vert[2] = {0, 0};
    double min_p = INFINITY;
    for (size_t p = 0; p < P; p++)
        if (pv[p] < ps) n_sig++, min_p = fmin(min_p, pv[p]);
    for (size_t v = 0; v < nv; v++) {
        int any = 0;
        for (size_t t = 0; t < nt && !any; t++) any = pv[t * nv + v] < ps;
        n_vert[v >= nvl] += (size_t)any;
    }

    report_begin(&b, "Threshold-free cluster enhancement (TFCE) permutation test");
    report_printf(&b, "<p>%zu time points, %zu + %zu vertices. <strong>%zu of %zu points with "
                      "p &lt; %g", nt, nvl, nv - nvl, n_sig, P, ps);
    if (n_sig)
        report_printf(&b, " (smallest p = %.4g), at %zu lh and %zu rh vertices", min_p, n_vert[0],
                      n_vert[1]);
    report_printf(&b, ".</strong></p>\n");
    {
        char cap[480];
        snprintf(cap, sizeof cap, "For how long (ms) each vertex has a TFCE p &lt; %g, signed by "
                 "t (summarize_clusters_stc's rule applied to the significant points; "
                 "tfce-summary-lh/-rh.stc), both hemispheres seen from below as in the seed's "
                 "figure: the left hemisphere (lh) shows on the right.", ps);
        report_figures(&b, im, "point", ps, cap,
                       "histogram of the permutation distribution H0 of the largest TFCE score",
                       "The permutation distribution H0 of the largest TFCE score (one value per "
                       "sign flip; H0[0] is the observed data's), its critical value and the "
                       "observed maximum.");
    }

    report_printf(&b, "<h2>Significant points</h2>\n");
    sig_point *idx = n_sig ? malloc(n_sig * sizeof *idx) : NULL;
    if (n_sig && !idx) b.oom = 1;
    if (!n_sig) {
        report_printf(&b, "<p id=\"points-none\">No point has p &lt; %g.</p>\n", ps);
    } else if (idx) {
        size_t k = 0;
        for (size_t p = 0; p < P; p++)
            if (pv[p] < ps) idx[k++] = (sig_point){pv[p], score[p], p};
        qsort(idx, n_sig, sizeof *idx, cmp_points);
        const size_t shown = n_sig < TFCE_MAX_ROWS ? n_sig : TFCE_MAX_ROWS;
        report_printf(&b, "<table id=\"points\">\n<thead><tr><th>hemi</th><th>vertex</th>"
                          "<th>time (ms)</th><th>t</th><th>TFCE score</th><th>p</th></tr></thead>\n"
                          "<tbody>\n");
        for (size_t i = 0; i < shown; i++) {
            const size_t p = idx[i].at, v = p % nv, t = p / nv;
            const int h = v >= nvl;
            report_printf(&b, "<tr class=\"sig\"><td>%s</td><td class=\"n\">%u</td>"
                              "<td class=\"n\">%g</td><td class=\"n\">%.3f</td>"
                              "<td class=\"n\">%.4g</td><td class=\"n\">%.4g</td></tr>\n",
                          h ? "rh" : "lh", L->vertices[h][h ? v - nvl : v],
                          nearbyint((L->tmin + (double)t * L->tstep) * 1e9) / 1e6, tobs[p],
                          score[p], pv[p]);
        }
        report_printf(&b, "</tbody>\n</table>\n");
        if (shown < n_sig)
            report_printf(&b, "<p>%zu more points with p &lt; %g are in tfce-p-lh/-rh.stc (and "
                              "listed by vertex in tfce.json).</p>\n", n_sig - shown, ps);
        /* how many points are significant at each time */
        report_printf(&b, "<table id=\"per-time\">\n<thead><tr><th>time (ms)</th><th>points with "
                          "p &lt; %g</th></tr></thead>\n<tbody>\n", ps);
        for (size_t t = 0; t < nt; t++) {
            size_t c = 0;
            for (size_t v = 0; v < nv; v++) c += pv[t * nv + v] < ps;
            if (c)
                report_printf(&b, "<tr><td class=\"n\">%g</td><td class=\"n\">%zu</td></tr>\n",
                              nearbyint((L->tmin + (double)t * L->tstep) * 1e9) / 1e6, c);
        }
        report_printf(&b, "</tbody>\n</table>\n");
    }
    free(idx);

    const json_t *also = json_object_get(root, "also"); /* --also (issue 17) */
    if (json_is_object(also)) {
        const json_t *thr = json_object_get(also, "threshold");
        report_printf(&b, "<h2>Cluster tests at the threshold</h2>\n<p id=\"also\">The same "
                      "permutations also tested the %.0f clusters at the cluster-forming "
                      "threshold %.6g:", json_number_value(json_object_get(also, "n_clusters")),
                      json_is_number(thr) ? json_number_value(thr) : NAN);
        static const char *const names[2] = {"mass", "extent"};
        for (int i = 0, first = 1; i < 2; i++) {
            const json_t *one = json_object_get(also, names[i]);
            if (!json_is_object(one)) continue;
            const json_t *mp = json_object_get(one, "min_p");
            report_printf(&b, "%scluster %s: %.0f with p &lt; %g", first ? " " : "; ", names[i],
                          json_number_value(json_object_get(one, "n_significant")), ps);
            if (json_is_number(mp)) report_printf(&b, " (smallest p = %.4g)", json_number_value(mp));
            report_printf(&b, ", clusters-%s.tsv", names[i]);
            first = 0;
        }
        report_printf(&b, ".</p>\n");
    }

    report_params_begin(&b);
    {
        static const char *const names[3] = {"a", "b", "src"};
        const char *vals[3] = {r->opts->a, r->opts->b, r->opts->src}; /* as given */
        for (int i = 0; i < 3; i++) {
            report_buf cell = {0};
            if (vals[i]) report_html(&cell, vals[i]);
            else report_put(&cell, "&mdash;", 7);
            if (cell.oom) b.oom = 1;
            report_param_row(&b, names[i], cell.p ? cell.p : "");
            free(cell.p);
        }
    }
    report_param_rows(&b, json_object_get(root, "tfce"));
    report_param_json(&b, "permutations run", json_object_get(root, "n_orders"));
    report_param_json(&b, "exact test", json_object_get(root, "exact_test"));
    report_param_json(&b, "observed maximum (H0[0])", json_object_get(root, "h0_observed"));
    {
        char t[64];
        snprintf(t, sizeof t, "%g", nearbyint(L->tmin * 1e9) / 1e6);
        report_param_row(&b, "tmin (ms)", t);
        snprintf(t, sizeof t, "%g", nearbyint(L->tstep * 1e9) / 1e6);
        report_param_row(&b, "tstep (ms)", t);
    }
    return report_end(&b, CLI_NAME " " CPERM_VERSION_STRING,
                      "tfce.json, h0.txt and the .stc files");
}

void tfce_summary_clim(cperm_render_options *ro, const cperm_stc *summary) {
    double mx = 0.0;
    int neg = 0;
    const size_t n = summary->n_vertices[0] + summary->n_vertices[1];
    for (size_t i = 0; i < n; i++) {
        const double x = summary->data[i * summary->n_times];
        mx = fmax(mx, fabs(x));
        neg |= x < 0;
    }
    if (!(mx > 0)) mx = 1.0;
    ro->diverging = neg;
    ro->fmin = 0.0;
    ro->fmid = mx / 400.0; /* the seed's 0.1 of 40: anything significant shows opaque */
    ro->fmax = mx;
}

/* H0 of the largest TFCE score with the observed maximum and its p (the smallest per-point
 * p). */
int report_tfce_h0(const os_result *r, int width, int height, unsigned char **png, size_t *len,
                   cperm_err *err) {
    size_t nh = 0;
    const double *h0 = cperm_run_h0(r->run, &nh);
    const double *pv = cperm_run_tfce_pvalues(r->run);
    const size_t P = os_n_points(r->study);
    double min_p = INFINITY;
    for (size_t p = 0; p < P; p++) min_p = fmin(min_p, pv[p]);
    const double obs = nh ? h0[0] : NAN;
    return cperm_plot_h0_kind(png, len, h0, nh, nh ? &obs : NULL, isfinite(min_p) ? &min_p : NULL,
                              nh ? 1 : 0, (int)r->opts->tail, r->opts->p_summary, CPERM_H0_TFCE,
                              width, height, CPERM_FORMAT_PNG, err);
}

int tfce_report_add(outset *set, const os_result *r, const json_t *json,
                    const cperm_stc *summary) {
    static const report_kind kind = {"tfce.json", tfce_summary_clim, report_tfce_h0, tfce_page};
    return report_add_kind(set, r, json, summary, &kind);
}
