/* tfce_out.c - onesample's TFCE options (--tfce, --tfce-steps, --tfce-formula, --tfce-h,
 * --tfce-e), log and outputs (tfce/tfce-p/tobs/tfce-summary .stc pairs, h0.txt, tfce.json;
 * issue 5), added to the run's output set; the figures and report follow in tfce_report.c. */
#include "tfce_out.h"
#include "onesample.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tfce_cli_init(tfce_cli *t) {
    memset(t, 0, sizeof *t);
    t->mode = CPERM_TFCE_EXACT;
    t->h = 2.0;
    t->e = 0.5;
}

int tfce_cli_flag(tfce_cli *t, const char *arg) {
    if (strcmp(arg, "--tfce")) return 0;
    t->on = 1;
    return 1;
}

int tfce_cli_option(tfce_cli *t, const char *name, const char *val, int *rc) {
    double d;
    *rc = 0;
    if (!strcmp(name, "--tfce-h") || !strcmp(name, "--tfce-e")) {
        if (cli_parse_double(val, &d) || d < 0) {
            cli_error("onesample: %s '%s' must be a number >= 0", name, val);
            *rc = -1;
        } else if (name[7] == 'h') {
            t->h = d;
        } else {
            t->e = d;
        }
        t->on = 1;
        return 1;
    }
    if (!strcmp(name, "--tfce-steps")) {
        const char *comma = strchr(val, ',');
        char first[64];
        if (!comma || (size_t)(comma - val) >= sizeof first) {
            cli_error("onesample: --tfce-steps '%s' must be START,STEP", val);
            *rc = -1;
            return 1;
        }
        memcpy(first, val, (size_t)(comma - val));
        first[comma - val] = '\0';
        if (cli_parse_double(first, &t->start) || cli_parse_double(comma + 1, &t->step) ||
            t->step == 0) {
            cli_error("onesample: --tfce-steps '%s' must be START,STEP with finite numbers and "
                      "STEP != 0", val);
            *rc = -1;
        }
        t->steps_given = t->on = 1;
        return 1;
    }
    if (!strcmp(name, "--also")) { /* issue 17: mass, extent or both, comma-separated */
        t->also = 0;
        t->also_arg = val;
        for (const char *c = val;;) {
            const char *end = strchr(c, ',');
            const size_t n = end ? (size_t)(end - c) : strlen(c);
            unsigned bit = n == 4 && !strncmp(c, "mass", 4)     ? CPERM_ALSO_MASS
                           : n == 6 && !strncmp(c, "extent", 6) ? CPERM_ALSO_EXTENT
                                                                : 0u;
            if (!bit) {
                cli_error("onesample: --also '%s': unknown statistic '%.*s' (give mass, extent "
                          "or mass,extent)", val, (int)n, c);
                *rc = -1;
                return 1;
            }
            t->also |= bit;
            if (!end) break;
            c = end + 1;
        }
        return 1;
    }
    if (!strcmp(name, "--tfce-formula")) {
        if (!strcmp(val, "exact")) t->mode = CPERM_TFCE_EXACT;
        else if (!strcmp(val, "riemann")) t->mode = CPERM_TFCE_RIEMANN;
        else if (!strcmp(val, "mne1.3")) t->mode = CPERM_TFCE_MNE13;
        else {
            cli_error("onesample: --tfce-formula '%s' must be exact, riemann or mne1.3", val);
            *rc = -1;
        }
        t->formula = val;
        t->on = 1;
        return 1;
    }
    return 0;
}

int tfce_cli_finish(tfce_cli *t, long tail, int threshold_given) {
    if (t->also && (!t->on || t->mode != CPERM_TFCE_EXACT || t->steps_given)) {
        cli_error("onesample: --also %s needs exact TFCE (--tfce, without --tfce-steps or "
                  "another --tfce-formula): the extra statistics come from its sweep",
                  t->also_arg);
        return -1;
    }
    if (t->also && !threshold_given) {
        cli_error("onesample: --also %s needs the cluster-forming threshold of its clusters: "
                  "give --p-threshold P or --t-threshold T (TFCE itself uses none)",
                  t->also_arg);
        return -1;
    }
    if (!t->on) return 0;
    if (t->steps_given && !t->formula) t->mode = CPERM_TFCE_RIEMANN;
    if (t->mode == CPERM_TFCE_EXACT && t->steps_given) {
        cli_error("onesample: --tfce-steps needs --tfce-formula riemann or mne1.3 (the exact "
                  "integral has no steps)");
        return -1;
    }
    if (t->mode != CPERM_TFCE_EXACT && !t->steps_given) {
        cli_error("onesample: --tfce-formula %s needs --tfce-steps START,STEP", t->formula);
        return -1;
    }
    /* tail -1 takes MNE's negative thresholds, or their magnitudes */
    if (tail < 0 && t->step > 0 && t->start >= 0) {
        t->start = -t->start;
        t->step = -t->step;
    }
    return 0;
}

void tfce_cli_apply(const tfce_cli *t, cperm_options *opts) {
    if (!t->on) return;
    opts->tfce = t->mode;
    opts->tfce_start = t->start;
    opts->tfce_step = t->step;
    opts->tfce_h = t->h;
    opts->tfce_e = t->e;
    opts->tfce_also = t->also; /* issue 17; opts->threshold is the cluster-forming one */
}

/* ------------------------------------------------------------- outputs */

/* For how long (ms) each vertex has p < p_summary, signed by t: summarize_clusters_stc's
 * rule (sign(T_obs) * tstep per point, tstep in ms) applied to the significant points. One
 * column, tmin 0, tstep in ms as MNE's summary. *out stays NULL when no point is
 * significant. Returns 0, or -1 after printing the error. */
static int summary_stc(cperm_stc **out, const cperm_run *run, const cperm_stc *L,
                       double p_summary) {
    const size_t nvh[2] = {L->n_vertices[0], L->n_vertices[1]};
    const size_t nv = nvh[0] + nvh[1], nt = L->n_times;
    const double *pv = cperm_run_tfce_pvalues(run), *tobs = cperm_run_tobs(run);
    const double tstep_ms = L->tstep * 1000.0;
    *out = NULL;
    size_t n_sig = 0;
    for (size_t p = 0; p < nv * nt; p++) n_sig += pv[p] < p_summary;
    if (!n_sig) return 0;
    cperm_stc *s = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&s, 2, nvh, 1, &err)) {
        cli_error("%s", err.msg);
        return -1;
    }
    for (int h = 0; h < 2; h++)
        memcpy(s->vertices[h], L->vertices[h], nvh[h] * sizeof *L->vertices[h]);
    s->tmin = 0.0;
    s->tstep = tstep_ms;
    for (size_t v = 0; v < nv; v++) {
        double d = 0.0;
        for (size_t t = 0; t < nt; t++) {
            const size_t p = t * nv + v;
            if (pv[p] < p_summary) d += (tobs[p] > 0) - (tobs[p] < 0);
        }
        s->data[v] = d * tstep_ms;
    }
    *out = s;
    return 0;
}

static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }
static json_t *jmaybe(double x) { return isnan(x) ? json_null() : jreal(x); }

static json_t *jstems(const cli_strlist *l) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < l->n; i++) json_array_append_new(arr, json_string(l->items[i]));
    return arr;
}

static const char *mode_name(int mode) {
    return mode == CPERM_TFCE_MNE13 ? "mne1.3" : mode == CPERM_TFCE_RIEMANN ? "riemann" : "exact";
}

/* tfce.json's tree (also the report's), or NULL when out of memory. */
static json_t *summary_json(const os_result *r) {
    const os_opts *o = r->opts;
    const tfce_cli *tc = &o->tfce;
    const cperm_run *run = r->run;
    const cperm_stc *L = r->study->layout;
    const double p_summary = o->p_summary;
    const size_t nv = L->n_vertices[0] + L->n_vertices[1], nt = L->n_times, P = nv * nt;
    const double *map = cperm_run_tfce_map(run), *pv = cperm_run_tfce_pvalues(run);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    json_t *root = json_object(), *par = json_object(), *sig = json_object();
    json_t *in = json_object();
    json_t *verts[2] = {json_array(), json_array()}, *per_time = json_array();
    json_object_set_new(par, "formula", json_string(mode_name(tc->mode)));
    if (tc->mode != CPERM_TFCE_EXACT) {
        json_object_set_new(par, "start", json_real(tc->start));
        json_object_set_new(par, "step", json_real(tc->step));
    }
    json_object_set_new(par, "h_power", json_real(tc->h));
    json_object_set_new(par, "e_power", json_real(tc->e));
    json_object_set_new(par, "tail", json_integer(o->tail));
    json_object_set_new(par, "n_permutations", o->n_permutations == CPERM_PERMUTATIONS_ALL
                                                   ? json_string("all")
                                                   : json_integer(o->n_permutations));
    json_object_set_new(par, "seed", json_integer(o->seed));
    json_object_set_new(par, "compat", json_string(o->compat == CPERM_COMPAT_MNE13 ? "mne1.3"
                                                                                  : "none"));
    json_object_set_new(par, "max_step", json_integer(o->max_step));
    json_object_set_new(par, "sigma", json_real(o->sigma));
    json_object_set_new(par, "step_down_p", json_real(o->step_down_p));
    json_object_set_new(root, "tfce", par);
    /* the inputs, as clusters.json's parameters record them: subjects in pairing order */
    const cli_strlist *b = os_b_stems(r->study);
    json_object_set_new(in, "a", jstems(os_a_stems(r->study)));
    json_object_set_new(in, "b", b ? jstems(b) : json_null());
    json_object_set_new(in, "subjects", jstems(&r->study->a.keys));
    json_object_set_new(in, "src", json_string(o->src));
    json_object_set_new(in, "tmin", jmaybe(o->tmin));
    json_object_set_new(in, "tmax", jmaybe(o->tmax));
    json_object_set_new(in, "magnitude", json_boolean(o->magnitude));
    json_object_set_new(root, "inputs", in);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(r->plan)));
    json_object_set_new(root, "exact_test", json_boolean(cperm_plan_is_exact(r->plan)));
    json_object_set_new(root, "n_step_downs",
                        json_integer((json_int_t)cperm_run_n_step_downs(run)));
    json_object_set_new(root, "h0_observed", jreal(nh ? h0[0] : NAN));
    json_object_set_new(root, "also", tfce_also_json(r)); /* --also (issue 17) */
    /* points with p < p_summary: counts, vertices, time range, peak */
    size_t n_sig = 0, peak = SIZE_MAX;
    double tmin = NAN, tmax = NAN, min_p = 1.0;
    for (size_t t = 0; t < nt; t++) {
        size_t c = 0;
        for (size_t v = 0; v < nv; v++) {
            size_t p = t * nv + v;
            if (!(pv[p] < p_summary)) continue;
            c++;
            if (peak == SIZE_MAX || fabs(map[p]) > fabs(map[peak])) peak = p;
            min_p = pv[p] < min_p ? pv[p] : min_p;
        }
        n_sig += c;
        if (c) {
            double ts = L->tmin + (double)t * L->tstep;
            if (isnan(tmin)) tmin = ts;
            tmax = ts;
        }
        json_array_append_new(per_time, json_integer((json_int_t)c));
    }
    for (size_t v = 0; v < nv; v++) {
        int any = 0;
        for (size_t t = 0; t < nt && !any; t++) any = pv[t * nv + v] < p_summary;
        if (!any) continue;
        int h = v >= L->n_vertices[0];
        size_t local = h ? v - L->n_vertices[0] : v;
        json_array_append_new(verts[h], json_integer(L->vertices[h][local]));
    }
    json_object_set_new(sig, "p_threshold", json_real(p_summary));
    json_object_set_new(sig, "n_points", json_integer((json_int_t)n_sig));
    json_object_set_new(sig, "n_points_total", json_integer((json_int_t)P));
    json_object_set_new(sig, "min_p", n_sig ? json_real(min_p) : json_null());
    json_object_set_new(sig, "tmin", jreal(tmin));
    json_object_set_new(sig, "tmax", jreal(tmax));
    json_object_set_new(sig, "n_points_per_time", per_time);
    json_object_set_new(sig, "lh_vertices", verts[0]);
    json_object_set_new(sig, "rh_vertices", verts[1]);
    if (peak != SIZE_MAX) {
        json_t *pk = json_object();
        size_t v = peak % nv, t = peak / nv;
        int h = v >= L->n_vertices[0];
        size_t local = h ? v - L->n_vertices[0] : v;
        json_object_set_new(pk, "hemi", json_string(h ? "rh" : "lh"));
        json_object_set_new(pk, "vertex", json_integer(L->vertices[h][local]));
        json_object_set_new(pk, "time", json_real(L->tmin + (double)t * L->tstep));
        json_object_set_new(pk, "tfce", jreal(map[peak]));
        json_object_set_new(pk, "t", jreal(cperm_run_tobs(run)[peak]));
        json_object_set_new(pk, "p", json_real(pv[peak]));
        json_object_set_new(sig, "peak", pk);
    }
    json_object_set_new(root, "significant", sig);
    return root;
}

/* The log MNE prints with a dict threshold (the "Using %d thresholds" line for stepped
 * formulas, computed as np.arange does), then our summary. */
void tfce_print_log(const os_result *r) {
    const tfce_cli *t = &r->opts->tfce;
    const long tail = r->opts->tail;
    const double p_summary = r->opts->p_summary;
    const size_t P = os_n_points(r->study);
    const double *tobs = cperm_run_tobs(r->run), *pv = cperm_run_tfce_pvalues(r->run);
    double mn = INFINITY, mx = -INFINITY, fmn = INFINITY, fmx = -INFINITY;
    int nan = 0;
    for (size_t p = 0; p < P; p++) {
        double x = tobs[p];
        if (isnan(x)) nan = 1;
        mn = x < mn ? x : mn;
        mx = x > mx ? x : mx;
        if (isfinite(x)) {
            fmn = x < fmn ? x : fmn;
            fmx = x > fmx ? x : fmx;
        }
    }
    printf("stat_fun(H1): min=%f max=%f\n", nan ? NAN : mn, nan ? NAN : mx);
    printf("Running initial clustering \xe2\x80\xa6\n");
    if (t->mode != CPERM_TFCE_EXACT) {
        double stop = tail < 0 ? fmn : tail > 0 ? fmx : (fmx > -fmn ? fmx : -fmn);
        double len = ceil((stop - t->start) / t->step);
        if (!(len > 0)) {
            fflush(stdout);
            fprintf(stderr, CLI_NAME ": warning: threshold[\"start\"] (%g) is more extreme than "
                            "data statistics with most extreme value %g\n", t->start, stop);
        } else {
            double th1 = t->start + t->step, last = len == 1 ? t->start : len == 2 ? th1
                                     : t->start + (len - 1) * (th1 - t->start);
            printf("Using %.0f thresholds from %0.2f to %0.2f for TFCE computation "
                   "(h_power=%0.2f, e_power=%0.2f)\n", len, t->start, last, t->h, t->e);
        }
    } else {
        printf("Exact TFCE (h_power=%0.2f, e_power=%0.2f)\n", t->h, t->e);
    }
    printf("Found %zu clusters\n", P);
    printf("Permuting %zu times%s...\n", cperm_plan_n_orders(r->plan),
           cperm_plan_is_exact(r->plan) ? " (exact test)" : "");
    printf("Computing cluster p-values\n");
    printf("Done.\n");
    size_t n_sig = 0;
    for (size_t p = 0; p < P; p++) n_sig += pv[p] < p_summary;
    printf("TFCE: %zu of %zu points with p < %g\n", n_sig, P, p_summary);
    fflush(stdout);
    tfce_also_print_log(r); /* --also (issue 17) */
}

int tfce_outputs(outset *set, const os_result *r) {
    static const char *const stems[3] = {"tfce", "tfce-p", "tobs"};
    const cperm_stc *layout = r->study->layout;
    const double *maps[3] = {cperm_run_tfce_map(r->run), cperm_run_tfce_pvalues(r->run),
                             cperm_run_tobs(r->run)};
    char *h0 = NULL;
    json_t *tree = NULL;
    size_t h0_len = 0;
    cperm_stc *summary = NULL; /* the set's once added */
    int rc = -1;
    for (int k = 0; k < 3; k++)
        if (outset_add_map(set, stems[k], maps[k], layout)) goto cleanup;
    if (summary_stc(&summary, r->run, layout, r->opts->p_summary)) goto cleanup;
    if (summary ? outset_add_stc(set, "tfce-summary", summary)
                : outset_remove_stale(set, "tfce-summary-lh.stc") ||
                      outset_remove_stale(set, "tfce-summary-rh.stc"))
        goto cleanup;
    if (!(h0 = outputs_h0_text(r->run, &h0_len))) goto cleanup;
    {
        const int taken = outset_take(set, "h0.txt", h0, h0_len); /* the set owns h0 now */
        h0 = NULL;
        if (taken) goto cleanup;
    }
    if (tfce_also_h0_outputs(set, r) || tfce_also_tsv_outputs(set, r)) goto cleanup; /* 17 */
    if (!(tree = summary_json(r))) {
        cli_error("out of memory while formatting tfce.json");
        goto cleanup;
    }
    if (outset_add_json(set, "tfce.json", tree)) goto cleanup;
    /* the figures and the page (cli/tfce_report.c) */
    if (tfce_report_add(set, r, tree, summary)) goto cleanup;
    rc = 0;
cleanup:
    json_decref(tree);
    free(h0);
    return rc;
}
