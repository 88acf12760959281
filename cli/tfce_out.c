/* tfce_out.c - onesample's TFCE options (--tfce, --tfce-steps, --tfce-formula, --tfce-h,
 * --tfce-e) and outputs (tfce/tfce-p/tobs/tfce-summary .stc pairs, h0.txt, tfce.json), issue
 * 5; the figures and report follow in tfce_report.c. */
#include "tfce_out.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    /* noted, not consumed: onesample parses these itself */
    if (!strcmp(name, "--src")) t->src = val;
    else if (!strcmp(name, "--a")) t->a = val;
    else if (!strcmp(name, "--b")) t->b = val;
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

int tfce_cli_finish(tfce_cli *t, long tail) {
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
}

/* ------------------------------------------------------------- outputs */

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int mkdirs(const char *dir) {
    char *path = strdup(dir);
    if (!path) return -1;
    size_t n = strlen(path);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        struct stat st;
        if (stat(path, &st) != 0 && mkdir(path, 0777) != 0 && errno != EEXIST) {
            cli_error("--out: cannot create directory %s: %s", path, strerror(errno));
            free(path);
            return -1;
        }
        path[i] = saved;
    }
    free(path);
    return 0;
}

/* One (n_times x n_vertices) map as an lh/rh stc with the layout of the tested data. */
static cperm_stc *map_stc(const double *map, const cperm_stc *L) {
    const size_t nvh[2] = {L->n_vertices[0], L->n_vertices[1]};
    const size_t nv = nvh[0] + nvh[1], nt = L->n_times;
    cperm_stc *s = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&s, 2, nvh, nt, &err)) return NULL;
    for (int h = 0; h < 2; h++)
        memcpy(s->vertices[h], L->vertices[h], nvh[h] * sizeof *L->vertices[h]);
    s->tmin = L->tmin;
    s->tstep = L->tstep;
    for (size_t v = 0; v < nv; v++)
        for (size_t t = 0; t < nt; t++) s->data[v * nt + t] = map[t * nv + v];
    return s;
}

/* For how long (ms) each vertex has p < p_summary, signed by t: summarize_clusters_stc's
 * rule (sign(T_obs) * tstep per point, tstep in ms) applied to the significant points. One
 * column, tmin 0, tstep in ms as MNE's summary. NULL when no point is significant, or out of
 * memory (*oom set). */
static cperm_stc *summary_stc(const cperm_run *run, const cperm_stc *L, double p_summary,
                              int *oom) {
    const size_t nvh[2] = {L->n_vertices[0], L->n_vertices[1]};
    const size_t nv = nvh[0] + nvh[1], nt = L->n_times;
    const double *pv = cperm_run_tfce_pvalues(run), *tobs = cperm_run_tobs(run);
    const double tstep_ms = L->tstep * 1000.0;
    *oom = 0;
    size_t n_sig = 0;
    for (size_t p = 0; p < nv * nt; p++) n_sig += pv[p] < p_summary;
    if (!n_sig) return NULL;
    cperm_stc *s = NULL;
    cperm_err err = {0};
    if (cperm_stc_create(&s, 2, nvh, 1, &err)) {
        *oom = 1;
        return NULL;
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
    return s;
}

static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }

static const char *mode_name(int mode) {
    return mode == CPERM_TFCE_MNE13 ? "mne1.3" : mode == CPERM_TFCE_RIEMANN ? "riemann" : "exact";
}

static char *summary_json(const tfce_cli *tc, const cperm_plan *plan, const cperm_run *run,
                          const cperm_stc *L, long tail, long n_permutations, uint32_t seed,
                          int compat, size_t max_step, double sigma, double step_down_p,
                          double p_summary) {
    const size_t nv = L->n_vertices[0] + L->n_vertices[1], nt = L->n_times, P = nv * nt;
    const double *map = cperm_run_tfce_map(run), *pv = cperm_run_tfce_pvalues(run);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    json_t *root = json_object(), *par = json_object(), *sig = json_object();
    json_t *verts[2] = {json_array(), json_array()}, *per_time = json_array();
    json_object_set_new(par, "formula", json_string(mode_name(tc->mode)));
    if (tc->mode != CPERM_TFCE_EXACT) {
        json_object_set_new(par, "start", json_real(tc->start));
        json_object_set_new(par, "step", json_real(tc->step));
    }
    json_object_set_new(par, "h_power", json_real(tc->h));
    json_object_set_new(par, "e_power", json_real(tc->e));
    json_object_set_new(par, "tail", json_integer(tail));
    json_object_set_new(par, "n_permutations", n_permutations == CPERM_PERMUTATIONS_ALL
                                                   ? json_string("all")
                                                   : json_integer(n_permutations));
    json_object_set_new(par, "seed", json_integer(seed));
    json_object_set_new(par, "compat", json_string(compat == CPERM_COMPAT_MNE13 ? "mne1.3" : "none"));
    json_object_set_new(par, "max_step", json_integer((json_int_t)max_step));
    json_object_set_new(par, "sigma", json_real(sigma));
    json_object_set_new(par, "step_down_p", json_real(step_down_p));
    json_object_set_new(root, "tfce", par);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(plan)));
    json_object_set_new(root, "exact_test", json_boolean(cperm_plan_is_exact(plan)));
    json_object_set_new(root, "n_step_downs", json_integer((json_int_t)cperm_run_n_step_downs(run)));
    json_object_set_new(root, "h0_observed", jreal(nh ? h0[0] : NAN));
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
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    return text;
}

/* The log MNE prints with a dict threshold (the "Using %d thresholds" line for stepped
 * formulas, computed as np.arange does), then our summary. */
static void print_log(const tfce_cli *t, const cperm_plan *plan, const cperm_run *run,
                      size_t P, long tail, double p_summary) {
    const double *tobs = cperm_run_tobs(run), *pv = cperm_run_tfce_pvalues(run);
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
    printf("Permuting %zu times%s...\n", cperm_plan_n_orders(plan),
           cperm_plan_is_exact(plan) ? " (exact test)" : "");
    printf("Computing cluster p-values\n");
    printf("Done.\n");
    size_t n_sig = 0;
    for (size_t p = 0; p < P; p++) n_sig += pv[p] < p_summary;
    printf("TFCE: %zu of %zu points with p < %g\n", n_sig, P, p_summary);
    fflush(stdout);
}

int tfce_cli_outputs(const tfce_cli *t, const char *dir, const cperm_plan *plan,
                     const cperm_run *run, const cperm_stc *layout, long tail,
                     long n_permutations, uint32_t seed, int compat, size_t max_step,
                     double sigma, double step_down_p, double p_summary) {
    enum { N_FILES = 10, H0_TXT = 8, JSON = 9 };
    static const char *const stems[4] = {"tfce", "tfce-p", "tobs", "tfce-summary"};
    static const char *const files[N_FILES] = {
        "tfce-lh.stc", "tfce-rh.stc", "tfce-p-lh.stc", "tfce-p-rh.stc", "tobs-lh.stc",
        "tobs-rh.stc", "tfce-summary-lh.stc", "tfce-summary-rh.stc", "h0.txt", "tfce.json"};
    const size_t P = (layout->n_vertices[0] + layout->n_vertices[1]) * layout->n_times;
    const double *maps[3] = {cperm_run_tfce_map(run), cperm_run_tfce_pvalues(run),
                             cperm_run_tobs(run)};
    cperm_err err = {0};
    char *stage = NULL, *json = NULL, *h0txt = NULL;
    cperm_stc *summary = NULL;
    int rc = -1, present[N_FILES] = {0}, oom = 0;
    size_t n_moved = 0;
    print_log(t, plan, run, P, tail, p_summary);
    summary = summary_stc(run, layout, p_summary, &oom);
    if (oom) {
        cli_error("out of memory");
        return -1;
    }
    if (mkdirs(dir)) goto cleanup;
    char *tmpl = join(dir, ".tfce-stage-XXXXXX");
    if (!tmpl || !(stage = mkdtemp(tmpl))) {
        cli_error("--out %s: cannot create a staging directory: %s", dir, strerror(errno));
        free(tmpl);
        goto cleanup;
    }
    for (int k = 0; k < 4; k++) {
        if (k == 3 && !summary) continue;
        cperm_stc *s = k < 3 ? map_stc(maps[k], layout) : summary;
        char *stem = join(stage, stems[k]);
        int w = s && stem ? cperm_stc_write(s, stem, &err) : CPERM_ENOMEM;
        if (k < 3) cperm_stc_free(s);
        free(stem);
        if (w) {
            cli_error("%s", w == CPERM_ENOMEM ? "out of memory" : err.msg);
            goto cleanup;
        }
        present[2 * k] = present[2 * k + 1] = 1;
    }
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    h0txt = malloc(nh * 32 + 1);
    json = summary_json(t, plan, run, layout, tail, n_permutations, seed, compat, max_step,
                        sigma, step_down_p, p_summary);
    if (!h0txt || !json) {
        cli_error("out of memory");
        goto cleanup;
    }
    char *q = h0txt;
    for (size_t i = 0; i < nh; i++) q += snprintf(q, 32, "%.17g\n", h0[i]);
    for (int k = H0_TXT; k <= JSON; k++) {
        char *path = join(stage, files[k]);
        const char *buf = k == H0_TXT ? h0txt : json;
        size_t len = k == H0_TXT ? (size_t)(q - h0txt) : strlen(json);
        int w = path ? cperm_write_file_atomic(path, buf, len, &err) : CPERM_ENOMEM;
        free(path);
        if (w) {
            cli_error("%s", w == CPERM_ENOMEM ? "out of memory" : err.msg);
            goto cleanup;
        }
        present[k] = 1;
    }
    for (n_moved = 0; n_moved < N_FILES; n_moved++) {
        if (!present[n_moved]) continue;
        char *from = join(stage, files[n_moved]), *to = join(dir, files[n_moved]);
        int ok = from && to && rename(from, to) == 0;
        if (!ok) cli_error("--out %s: cannot move %s into place: %s", dir, files[n_moved],
                           strerror(errno));
        free(from);
        free(to);
        if (!ok) goto cleanup;
    }
    if (!summary) /* a summary from an earlier run would contradict this one */
        for (int k = 6; k < 8; k++) {
            char *path = join(dir, files[k]);
            if (path) unlink(path);
            free(path);
        }
    rc = 0;
cleanup:
    if (rc)
        for (size_t k = 0; k < N_FILES; k++) {
            if (!present[k] || !stage) continue;
            char *path = join(k < n_moved ? dir : stage, files[k]);
            if (path) unlink(path);
            free(path);
        }
    if (stage) rmdir(stage);
    free(stage);
    /* the figures and the page, after the statistical outputs (cli/tfce_report.c) */
    if (rc == 0) {
        const tfce_report_in in = {t, dir, run, layout, summary, json, tail, p_summary};
        rc = tfce_report_write(&in);
    }
    cperm_stc_free(summary);
    free(json);
    free(h0txt);
    return rc;
}
