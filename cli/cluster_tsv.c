/* cluster_tsv.c - clusters.tsv (issue 18): one row per cluster for spreadsheets and pandas
 * (pandas.read_csv(path, sep="\t")), the same values as clusters.json's: p, statistic,
 * extent and time span, peak, coordinates, regions and effect sizes. */
#include "cluster_tsv.h"
#include "report.h" /* report_buf */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Milliseconds from seconds, rounded to the nanosecond (as clusters.json). */
static double ms(double seconds) { return nearbyint(seconds * 1e9) / 1e6; }

/* A number, or an empty field for NaN; always preceded by a tab. */
static void num(report_buf *b, double v) {
    if (isnan(v)) report_put(b, "\t", 1);
    else if (isinf(v)) report_printf(b, "\t%s", v > 0 ? "inf" : "-inf");
    else report_printf(b, "\t%.17g", v);
}

/* Text without tabs, newlines or the lists' separators (names come from files). */
static void clean(report_buf *b, const char *s) {
    for (; s && *s; s++)
        report_put(b, *s == '\t' || *s == '\n' || *s == '\r' || *s == ';' ? " " : s, 1);
}
static void text(report_buf *b, const char *s) {
    report_put(b, "\t", 1);
    clean(b, s);
}

static const char *block_name(const os_study *st, size_t h) {
    return st->volume || h > 1 ? "vol" : h ? "rh" : "lh";
}

char *cluster_tsv_text(const os_result *r, const cluster_info *info) {
    return cluster_tsv_text_of(r, info, cperm_run_n_clusters(r->run), cperm_run_pvalues(r->run),
                               cperm_run_cluster_stats(r->run));
}

char *cluster_tsv_text_of(const os_result *r, const cluster_info *info, size_t n,
                          const double *p, const double *stat) {
    const os_study *st = r->study;
    const cperm_stc *L = st->layout;
    const double *tobs = cperm_run_tobs(r->run);
    const size_t nv = cli_stc_rows(L);
    report_buf b = {0};
    report_printf(&b, "cluster\tp\tsignificant\tstatistic\tn_points\tn_vertices\ttime_first_ms"
                      "\ttime_last_ms\tpeak_hemi\tpeak_vertex\tpeak_time_ms\tpeak_stat"
                      "\tpeak_x_mm\tpeak_y_mm\tpeak_z_mm\tmni_x\tmni_y\tmni_z\tpeak_region"
                      "\tregions\tlabels\tmean\tmean_ci_low\tmean_ci_high\tcohens_d"
                      "\tcohens_d_ci_low\tcohens_d_ci_high\tpartial_eta2\teffect_stat"
                      "\teffect_df1\teffect_df2\n");
    for (size_t k = 0; k < n; k++) {
        const cluster_info *c = &info[k];
        const int any = c->n_points > 0;
        report_printf(&b, "%zu", k);
        num(&b, p[k]);
        report_printf(&b, "\t%s", p[k] < r->opts->p_summary ? "True" : "False");
        num(&b, stat[k]);
        report_printf(&b, "\t%zu\t%zu", c->n_points, c->n_vertices);
        num(&b, any ? ms(L->tmin + L->tstep * (double)c->t_first) : NAN);
        num(&b, any ? ms(L->tmin + L->tstep * (double)c->t_last) : NAN);
        text(&b, any ? block_name(st, c->peak_block) : "");
        num(&b, any ? (double)c->peak_vertex : NAN);
        num(&b, any ? ms(L->tmin + L->tstep * (double)(c->peak / nv)) : NAN);
        num(&b, any ? tobs[c->peak] : NAN);
        for (int d = 0; d < 3; d++) num(&b, c->has_pos ? c->pos_mm[d] : NAN);
        for (int d = 0; d < 3; d++) num(&b, c->has_mni ? c->mni[d] : NAN);
        text(&b, c->peak_region ? c->peak_region : "");
        report_put(&b, "\t", 1); /* "name:vertices;..." by vertices, descending */
        for (size_t i = 0; i < c->n_regions; i++) {
            report_printf(&b, "%s", i ? ";" : "");
            clean(&b, c->regions[i].name);
            report_printf(&b, ":%zu", c->regions[i].n_vertices);
        }
        report_put(&b, "\t", 1);
        for (size_t i = 0; i < c->n_labels; i++) {
            report_printf(&b, "%s", i ? ";" : "");
            clean(&b, c->labels[i].name);
            report_printf(&b, ":%zu", c->labels[i].n_vertices);
        }
        const cperm_effect *e = &c->effect;
        num(&b, e->mean);
        num(&b, e->mean_lo);
        num(&b, e->mean_hi);
        num(&b, e->d);
        num(&b, e->d_lo);
        num(&b, e->d_hi);
        num(&b, e->eta2_p);
        num(&b, e->stat);
        num(&b, e->df1);
        num(&b, e->df2);
        report_put(&b, "\n", 1);
    }
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
