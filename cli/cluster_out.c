/* cluster_out.c - the outputs of a cluster run of onesample (tobs and summary .stc pairs, for
 * a volume source space -vl.stc files, for a mixed one both; h0.txt, clusters.json, and the
 * figures and report of cli/report.c), built from the plan, the run, the options and the
 * study and added to the run's output set. */
#include "cluster_out.h"
#include "cluster_tsv.h"
#include "mpi.h"
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- clusters.json */

static json_t *jreal(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static json_t *jmaybe(double v) { return isnan(v) ? json_null() : jreal(v); }
/* Milliseconds from seconds, rounded to the nanosecond so that 0.1 s prints as 100. */
static double ms(double seconds) { return nearbyint(seconds * 1e9) / 1e6; }

static json_t *jstems(const cli_strlist *l) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n; i++) json_array_append_new(arr, json_string(l->items[i]));
    return arr;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The name of block h of the tested data in clusters.json: "lh", "rh", and "vol" for a
 * volume's (alone or after a mixed space's hemispheres). */
static const char *block_key(const os_study *st, size_t h) {
    static const char *const hemi[2] = {"lh", "rh"};
    return st->volume || h > 1 ? "vol" : hemi[h];
}

/* The block of the stacked vertex v (a row of the layout) and its row in that block. */
static size_t block_of(const cperm_stc *L, size_t v, size_t *row) {
    size_t h = 0;
    while (h + 1 < L->n_hemis && v >= L->n_vertices[h]) v -= L->n_vertices[h++];
    *row = v;
    return h;
}

/* One cluster's record. scratch holds n_vertices entries, seen n_vertices zeros. */
static json_t *jxyz(const double v[3]) {
    json_t *a = json_array();
    for (int d = 0; a && d < 3; d++) json_array_append_new(a, jreal(v[d]));
    return a;
}

static json_t *jhits(const atlas_hit *h, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(h[i].name));
        json_object_set_new(o, "n_vertices", json_integer((json_int_t)h[i].n_vertices));
        json_object_set_new(o, "fraction", jreal(h[i].fraction));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *jpair(double lo, double hi) {
    json_t *a = json_array();
    json_array_append_new(a, jmaybe(lo));
    json_array_append_new(a, jmaybe(hi));
    return a;
}

/* Issue 18: a cluster's regions, peak coordinates and effect sizes. */
static void cluster_json_extra(json_t *c, const cluster_info *ci, const cli_atlas *at) {
    json_t *pk = json_object_get(c, "peak");
    if (pk && ci->has_pos && !json_object_get(pk, "pos_mm"))
        json_object_set_new(pk, "pos_mm", jxyz(ci->pos_mm)); /* surfaces: the vertex's rr */
    if (pk && ci->has_mni) json_object_set_new(pk, "mni_mm", jxyz(ci->mni));
    if (at && at->annot[0]) {
        json_object_set_new(c, "regions", jhits(ci->regions, ci->n_regions));
        json_object_set_new(c, "n_unlabelled", json_integer((json_int_t)ci->n_unlabelled));
        json_object_set_new(c, "peak_region", ci->peak_region ? json_string(ci->peak_region)
                                                              : json_null());
    }
    if (at && at->n_labels) json_object_set_new(c, "labels", jhits(ci->labels, ci->n_labels));
    const cperm_effect *e = &ci->effect;
    json_t *ef = json_object();
    json_object_set_new(ef, "mean", jmaybe(e->mean));
    json_object_set_new(ef, "mean_ci95", jpair(e->mean_lo, e->mean_hi));
    json_object_set_new(ef, "cohens_d", jmaybe(e->d));
    json_object_set_new(ef, "cohens_d_ci95", jpair(e->d_lo, e->d_hi));
    json_object_set_new(ef, "partial_eta2", jmaybe(e->eta2_p));
    json_object_set_new(ef, "stat", jmaybe(e->stat));
    json_object_set_new(ef, "df1", jmaybe(e->df1));
    json_object_set_new(ef, "df2", jmaybe(e->df2));
    json_object_set_new(c, "effect", ef);
}

static json_t *cluster_json(const os_result *r, size_t k, uint32_t *scratch, uint8_t *seen) {
    const cperm_stc *L = r->study->layout;
    const size_t nv = cli_stc_rows(L);
    size_t n_members = 0;
    const int64_t *m = cperm_run_cluster(r->run, k, &n_members);
    const double *tobs = cperm_run_tobs(r->run);
    const double p = cperm_run_pvalues(r->run)[k];
    const double stat = cperm_run_cluster_stats(r->run)[k];

    size_t t_first = SIZE_MAX, t_last = 0, peak = SIZE_MAX;
    for (size_t i = 0; i < n_members; i++) {
        size_t idx = (size_t)m[i], t = idx / nv;
        if (t < t_first) t_first = t;
        if (t > t_last) t_last = t;
        if (peak == SIZE_MAX || fabs(tobs[idx]) > fabs(tobs[peak]) ||
            (fabs(tobs[idx]) == fabs(tobs[peak]) && idx < peak))
            peak = idx;
    }
    json_t *verts = json_object();
    for (size_t h = 0; h < L->n_hemis; h++) {
        size_t n = 0;
        for (size_t i = 0; i < n_members; i++) {
            size_t v = (size_t)m[i] % nv, row;
            if (block_of(L, v, &row) != h || seen[v]) continue;
            seen[v] = 1;
            scratch[n++] = L->vertices[h][row];
        }
        for (size_t i = 0; i < n_members; i++) seen[(size_t)m[i] % nv] = 0;
        qsort(scratch, n, sizeof *scratch, cmp_u32);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_integer(scratch[i]));
        /* a volume's vertices are grid indices, MNE's vertno */
        json_object_set_new(verts, block_key(r->study, h), arr);
    }
    json_t *c = json_object();
    json_object_set_new(c, "index", json_integer((json_int_t)k));
    json_object_set_new(c, "p", jreal(p));
    json_object_set_new(c, "significant", json_boolean(p < r->opts->p_summary));
    json_object_set_new(c, "statistic", jreal(stat));
    json_object_set_new(c, "n_points", json_integer((json_int_t)n_members));
    json_object_set_new(c, "vertices", verts);
    if (n_members > 0) {
        json_t *span = json_array();
        json_array_append_new(span, jreal(ms(L->tmin + L->tstep * (double)t_first)));
        json_array_append_new(span, jreal(ms(L->tmin + L->tstep * (double)t_last)));
        json_object_set_new(c, "time_ms", span);
        size_t row, pt = peak / nv;
        const size_t ph = block_of(L, peak % nv, &row);
        json_t *pk = json_object();
        const uint32_t vertex = L->vertices[ph][row];
        json_object_set_new(pk, "hemi", json_string(block_key(r->study, ph)));
        json_object_set_new(pk, "vertex", json_integer(vertex));
        const int in_volume = r->study->volume || (r->study->mixed && ph == 2);
        const cperm_src_hemi *vol = in_volume ? &r->study->src->hemis[ph] : NULL;
        if (vol && vertex < vol->shape[0] * vol->shape[1] * vol->shape[2] && vertex < vol->np) {
            /* the voxel's grid index (x, y, z) and its position (the space's rr, in mm, in
             * its coordinate frame: MRI surface RAS for MNE's volume spaces) */
            const size_t x = vertex % vol->shape[0], y = vertex / vol->shape[0] % vol->shape[1],
                         z = vertex / vol->shape[0] / vol->shape[1];
            json_t *ijk = json_array(), *pos = json_array();
            json_array_append_new(ijk, json_integer((json_int_t)x));
            json_array_append_new(ijk, json_integer((json_int_t)y));
            json_array_append_new(ijk, json_integer((json_int_t)z));
            for (size_t d = 0; d < 3; d++)
                json_array_append_new(pos, jreal(nearbyint((double)vol->rr[3 * (size_t)vertex + d] *
                                                           1e6) / 1e3));
            json_object_set_new(pk, "voxel", ijk);
            json_object_set_new(pk, "pos_mm", pos);
        }
        json_object_set_new(pk, "time_ms", jreal(ms(L->tmin + L->tstep * (double)pt)));
        json_object_set_new(pk, "t", jreal(tobs[peak]));
        json_object_set_new(c, "peak", pk);
    }
    return c;
}

/* clusters.json's text, and its tree into *tree (the report reads it there rather than
 * parsing the text back: 4 ms for the seed's 815 clusters). NULL when out of memory. */
static json_t *clusters_json(const os_result *r, int wrote_summary, const cluster_info *info) {
    const os_opts *o = r->opts;
    const os_study *st = r->study;
    const cperm_stc *L = st->layout;
    const size_t nv = cli_stc_rows(L);
    json_t *root = json_object(), *par = json_object(), *data = json_object();
    json_t *clusters = json_array();
    uint32_t *scratch = malloc(nv * sizeof *scratch);
    uint8_t *seen = calloc(nv, 1);
    json_t *done = NULL; /* root, once complete */
    if (!root || !par || !data || !clusters || !scratch || !seen) {
        json_decref(par);
        json_decref(data);
        goto cleanup;
    }

    json_object_set_new(root, "program", json_string(CLI_NAME " " CPERM_VERSION_STRING));
    const int indep = os_independent(o), rm = os_rm(o);
    json_object_set_new(root, "test", json_string(rm ? "permutation_cluster_test (f_mway_rm)"
                                                  : indep ? "spatio_temporal_cluster_test"
                                                          : "spatio_temporal_cluster_1samp_test"));
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

    if (rm) { /* the effect, the factors' levels, the scheme and the cells */
        json_t *levels = json_array(), *cells = json_array();
        for (size_t k = 0; k < o->rm_n_factors; k++)
            json_array_append_new(levels, json_integer((json_int_t)o->rm_levels[k]));
        json_object_set_new(root, "effect", json_string(o->effect));
        json_object_set_new(root, "factor_levels", levels);
        json_object_set_new(root, "scheme",
                            json_string(o->rm_scheme == CPERM_RM_MNE
                                            ? "mne (all cells x subjects shuffled, MNE's pattern)"
                                            : "within (cells shuffled within each subject)"));
        for (size_t c = 0; c < st->n_groups; c++) {
            json_t *one = json_object();
            json_object_set_new(one, "glob", json_string(o->cells[c]));
            json_object_set_new(one, "stems", jstems(&st->groups[c].stems));
            json_array_append_new(cells, one);
        }
        json_object_set_new(par, "cells", cells);
        json_object_set_new(par, "subjects", jstems(&st->groups[0].keys));
        json_object_set_new(par, "f_threshold", jmaybe(o->f_threshold));
    } else if (indep) {
        json_t *groups = json_array();
        for (size_t g = 0; g < st->n_groups; g++) {
            json_t *one = json_object();
            json_object_set_new(one, "glob", json_string(o->groups[g]));
            json_object_set_new(one, "stems", jstems(&st->groups[g].stems));
            json_object_set_new(one, "subjects", jstems(&st->groups[g].keys));
            json_array_append_new(groups, one);
        }
        json_object_set_new(par, "groups", groups);
        json_object_set_new(par, "f_threshold", jmaybe(o->f_threshold));
    } else {
        const cli_strlist *b = os_b_stems(st);
        json_object_set_new(par, "a", jstems(os_a_stems(st)));
        json_object_set_new(par, "b", b ? jstems(b) : json_null());
        json_object_set_new(par, "subjects", jstems(&st->a.keys));
    }
    json_object_set_new(par, "src", json_string(o->src));
    json_object_set_new(par, "tmin", jmaybe(o->tmin));
    json_object_set_new(par, "tmax", jmaybe(o->tmax));
    json_object_set_new(par, "magnitude", json_boolean(o->magnitude));
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
    json_object_set_new(par, "t_power", json_integer(1));
    json_object_set_new(par, "compat", json_string(o->compat == CPERM_COMPAT_MNE13 ? "mne1.3"
                                                                                  : "none"));
    /* cluster-forming controls (issue 13); min_duration in time points */
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
    if (rm) json_object_set_new(data, "n_cells", json_integer((json_int_t)st->n_groups));
    json_object_set_new(data, "n_times", json_integer((json_int_t)L->n_times));
    json_object_set_new(data, "source_space", json_string(st->volume ? "volume"
                                                          : st->mixed ? "mixed" : "surface"));
    if (!st->volume) {
        json_object_set_new(data, "n_vertices_lh", json_integer((json_int_t)L->n_vertices[0]));
        json_object_set_new(data, "n_vertices_rh", json_integer((json_int_t)L->n_vertices[1]));
    }
    if (st->volume || st->mixed) { /* the grid the vertex numbers index */
        const size_t hv = st->volume ? 0 : 2;
        const cperm_src_hemi *vol = &st->src->hemis[hv];
        json_t *shape = json_array();
        for (size_t d = 0; d < 3; d++)
            json_array_append_new(shape, json_integer((json_int_t)vol->shape[d]));
        json_object_set_new(data, "n_vertices_vol", json_integer((json_int_t)L->n_vertices[hv]));
        json_object_set_new(data, "grid_shape", shape);
    }
    json_object_set_new(data, "tmin_ms", jreal(ms(L->tmin)));
    json_object_set_new(data, "tstep_ms", jreal(ms(L->tstep)));
    json_object_set_new(root, "data", data);
    if (st->atlas) { /* issue 18: what labelled the clusters */
        const cli_atlas *at = st->atlas;
        json_t *a = json_object(), *files = json_array();
        json_object_set_new(a, "parc", at->opts->parc ? json_string(at->opts->parc) : json_null());
        json_object_set_new(a, "subject", json_string(at->opts->subject));
        json_object_set_new(a, "subjects_dir", *at->subjects_dir ? json_string(at->subjects_dir)
                                                                 : json_null());
        for (size_t i = 0; i < at->opts->n_labels; i++)
            json_array_append_new(files, json_string(at->opts->labels[i]));
        json_object_set_new(a, "label_files", files);
        json_object_set_new(a, "mni", json_boolean(at->mni));
        json_object_set_new(root, "atlas", a);
    }

    size_t n_h0 = 0;
    cperm_run_h0(r->run, &n_h0);
    const size_t n_clusters = cperm_run_n_clusters(r->run);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(r->plan)));
    json_object_set_new(root, "exact", json_boolean(cperm_plan_is_exact(r->plan)));
    json_object_set_new(root, "n_h0", json_integer((json_int_t)n_h0));
    json_object_set_new(root, "n_step_downs",
                        json_integer((json_int_t)cperm_run_n_step_downs(r->run)));
    json_object_set_new(root, "n_clusters", json_integer((json_int_t)n_clusters));
    json_object_set_new(root, "summary_written", json_boolean(wrote_summary));
    for (size_t k = 0; k < n_clusters; k++) {
        json_t *c = cluster_json(r, k, scratch, seen);
        if (!c) goto cleanup;
        cluster_json_extra(c, &info[k], st->atlas); /* issue 18 */
        if (json_array_append_new(clusters, c)) goto cleanup;
    }
    json_object_set_new(root, "clusters", clusters);
    clusters = NULL;
    done = root;
    root = NULL;

cleanup:
    json_decref(clusters);
    json_decref(root);
    free(scratch);
    free(seen);
    return done;
}

/* ------------------------------------------------------------- the summary */

/* summarize_clusters_stc(clu, tstep=tstep * 1000, vertices=...) for the clusters with
 * p < --p-summary. *out stays NULL when none has. Returns 0, or -1 after printing why. */
static int summary_stc(cperm_stc **out, const os_result *r) {
    const cperm_stc *L = r->study->layout;
    const size_t nv = cli_stc_rows(L);
    double *summary = NULL;
    size_t n_cols = 0;
    cperm_err err = {0};
    *out = NULL;
    if (cperm_summarize_clusters(&summary, &n_cols, r->run, nv, L->n_times, r->opts->p_summary,
                                 L->tstep * 1000.0, &err)) {
        cli_error("%s", err.msg);
        return -1;
    }
    if (n_cols == 0) { /* no cluster is significant */
        free(summary);
        return 0;
    }
    cperm_stc *s = outputs_like(L, n_cols); /* lh/rh, one volume, or both, as the data */
    if (!s) {
        free(summary);
        return -1;
    }
    s->tmin = 0.0;
    s->tstep = L->tstep * 1000.0; /* summarize_clusters_stc(tstep=tstep * 1000) */
    memcpy(s->data, summary, nv * n_cols * sizeof *summary);
    snprintf(s->subject, sizeof s->subject, "fsaverage");
    free(summary);
    *out = s;
    return 0;
}

/* ------------------------------------------------------------- entry point */

/* The outputs before the figures: the .stc pairs, h0.txt, clusters.json (its tree into
 * *json, for the report) and clusters.tsv. 0, or -1 after printing the error. */
static int cluster_texts(outset *set, const os_result *r, cperm_stc **summary, json_t **json) {
    char *h0 = NULL, *tsv = NULL;
    size_t h0_len = 0;
    int rc = -1;
    cluster_info *info = NULL; /* issue 18 */
    if (cluster_info_compute(&info, r, r->study->atlas)) return -1;
    if (outset_add_map(set, "tobs", cperm_run_tobs(r->run), r->study->layout)) goto cleanup;
    if (summary_stc(summary, r)) goto cleanup;
    if (*summary ? outset_add_stc(set, "summary", *summary)
                 : outset_remove_stale(set, "summary-lh.stc") ||
                       outset_remove_stale(set, "summary-rh.stc") ||
                       outset_remove_stale(set, "summary-vl.stc"))
        goto cleanup;
    if (!(h0 = outputs_h0_text(r->run, &h0_len))) goto cleanup;
    {
        const int taken = outset_take(set, "h0.txt", h0, h0_len); /* the set owns h0 now */
        h0 = NULL;
        if (taken) goto cleanup;
    }
    if (!(*json = clusters_json(r, *summary != NULL, info))) {
        cli_error("out of memory while formatting clusters.json");
        goto cleanup;
    }
    if (outset_add_json(set, "clusters.json", *json)) goto cleanup;
    if (!(tsv = cluster_tsv_text(r, info))) { /* issue 18 */
        cli_error("out of memory while formatting clusters.tsv");
        goto cleanup;
    }
    if (outset_add(set, "clusters.tsv", tsv, strlen(tsv))) goto cleanup;
    rc = 0;
cleanup:
    cluster_info_free(info, cperm_run_n_clusters(r->run));
    free(tsv);
    free(h0);
    return rc;
}

int cluster_outputs(outset *set, const os_result *r, int *summarised) {
    cperm_stc *summary = NULL; /* the set's once added */
    json_t *json = NULL;
    int rc = 0;
    *summarised = 0;
    /* The texts are formatted on one core while the other loads the figures' fonts, which the
     * first figure would otherwise wait for with both cores (issue 17). */
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
        rc = cluster_texts(set, r, &summary, &json);
#pragma omp section
        cperm_render_prepare_fonts();
    }
    if (!rc) rc = report_add(set, r, json, summary);
    if (!rc) *summarised = summary != NULL;
    json_decref(json);
    return rc ? -1 : 0;
}
