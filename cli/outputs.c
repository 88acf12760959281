/* outputs.c - onesample's outputs (tobs/summary .stc pairs, h0.txt, clusters.json), built in
 * memory and moved into the output directory only when all of them were written. */
#include "outputs.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The output directory and the ancestors that must be created for it. */
static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int outputs_check_dir(const char *dir) {
    char *path = strdup(dir);
    int rc = -1;
    if (!path) {
        cli_error("out of memory");
        return -1;
    }
    /* Walk up to the first existing ancestor: it must be a writable directory. */
    for (;;) {
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                cli_error("--out %s: %s is not a directory", dir, path);
            } else if (access(path, W_OK | X_OK) != 0) {
                cli_error("--out %s: directory %s is not writable", dir, path);
            } else {
                rc = 0;
            }
            break;
        }
        char *slash = strrchr(path, '/');
        while (slash && slash > path && slash[1] == '\0') { /* trailing slashes */
            *slash = '\0';
            slash = strrchr(path, '/');
        }
        if (!slash) {
            if (access(".", W_OK | X_OK) != 0) cli_error("--out %s: . is not writable", dir);
            else rc = 0;
            break;
        }
        if (slash == path) slash[1] = '\0';
        else *slash = '\0';
    }
    free(path);
    return rc;
}

/* mkdir -p; records created directories (deepest last) so that they can be removed. */
static int make_dirs(const char *dir, cli_strlist *created) {
    char *path = strdup(dir);
    if (!path) return -1;
    size_t n = strlen(path);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char saved = path[i];
        path[i] = '\0';
        if (!is_dir(path)) {
            if (mkdir(path, 0777) != 0 && errno != EEXIST) {
                cli_error("--out: cannot create directory %s: %s", path, strerror(errno));
                free(path);
                return -1;
            }
            if (cli_strlist_push(created, path)) {
                free(path);
                return -1;
            }
        }
        path[i] = saved;
    }
    free(path);
    return 0;
}

static char *join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* ------------------------------------------------------------- JSON */

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

/* One cluster's record. scratch holds n_vertices entries. */
static json_t *cluster_json(const outputs_spec *sp, size_t k, uint32_t *scratch, uint8_t *seen) {
    const cperm_stc *L = sp->layout;
    const size_t nv_lh = L->n_vertices[0], nv = nv_lh + L->n_vertices[1];
    size_t n_members = 0;
    const int64_t *m = cperm_run_cluster(sp->run, k, &n_members);
    const double *tobs = cperm_run_tobs(sp->run);
    const double p = cperm_run_pvalues(sp->run)[k];
    const double stat = cperm_run_cluster_stats(sp->run)[k];

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
    const char *hemi[2] = {"lh", "rh"};
    for (size_t h = 0; h < 2; h++) {
        size_t n = 0;
        for (size_t i = 0; i < n_members; i++) {
            size_t v = (size_t)m[i] % nv;
            if ((h == 0) != (v < nv_lh) || seen[v]) continue;
            seen[v] = 1;
            scratch[n++] = L->vertices[h][h == 0 ? v : v - nv_lh];
        }
        for (size_t i = 0; i < n_members; i++) seen[(size_t)m[i] % nv] = 0;
        qsort(scratch, n, sizeof *scratch, cmp_u32);
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_integer(scratch[i]));
        json_object_set_new(verts, hemi[h], arr);
    }
    json_t *c = json_object();
    json_object_set_new(c, "index", json_integer((json_int_t)k));
    json_object_set_new(c, "p", jreal(p));
    json_object_set_new(c, "significant", json_boolean(p < sp->p_summary));
    json_object_set_new(c, "statistic", jreal(stat));
    json_object_set_new(c, "n_points", json_integer((json_int_t)n_members));
    json_object_set_new(c, "vertices", verts);
    if (n_members > 0) {
        json_t *span = json_array();
        json_array_append_new(span, jreal(ms(L->tmin + L->tstep * (double)t_first)));
        json_array_append_new(span, jreal(ms(L->tmin + L->tstep * (double)t_last)));
        json_object_set_new(c, "time_ms", span);
        size_t pv = peak % nv, pt = peak / nv;
        json_t *pk = json_object();
        json_object_set_new(pk, "hemi", json_string(pv < nv_lh ? "lh" : "rh"));
        json_object_set_new(pk, "vertex", json_integer(pv < nv_lh ? L->vertices[0][pv]
                                                                  : L->vertices[1][pv - nv_lh]));
        json_object_set_new(pk, "time_ms", jreal(ms(L->tmin + L->tstep * (double)pt)));
        json_object_set_new(pk, "t", jreal(tobs[peak]));
        json_object_set_new(c, "peak", pk);
    }
    return c;
}

static char *clusters_json(const outputs_spec *sp, int wrote_summary) {
    const cperm_stc *L = sp->layout;
    const size_t nv = L->n_vertices[0] + L->n_vertices[1];
    json_t *root = json_object(), *par = json_object(), *data = json_object();
    json_t *clusters = json_array();
    uint32_t *scratch = malloc(nv * sizeof *scratch);
    uint8_t *seen = calloc(nv, 1);
    char *text = NULL;
    if (!root || !par || !data || !clusters || !scratch || !seen) goto cleanup;

    json_object_set_new(root, "program", json_string(CLI_NAME " " CPERM_VERSION_STRING));
    json_object_set_new(root, "test", json_string("spatio_temporal_cluster_1samp_test"));

    json_object_set_new(par, "a", jstems(sp->a));
    json_object_set_new(par, "b", sp->b ? jstems(sp->b) : json_null());
    json_object_set_new(par, "subjects", jstems(sp->subjects));
    json_object_set_new(par, "src", json_string(sp->src));
    json_object_set_new(par, "tmin", jmaybe(sp->tmin_crop));
    json_object_set_new(par, "tmax", jmaybe(sp->tmax_crop));
    json_object_set_new(par, "magnitude", json_boolean(sp->magnitude));
    json_object_set_new(par, "p_threshold", jmaybe(sp->p_threshold));
    json_object_set_new(par, "t_threshold", jmaybe(sp->t_threshold));
    json_object_set_new(par, "threshold", jreal(sp->threshold));
    json_object_set_new(par, "tail", json_integer(sp->tail));
    json_object_set_new(par, "n_permutations", sp->n_permutations == CPERM_PERMUTATIONS_ALL
                                                   ? json_string("all")
                                                   : json_integer(sp->n_permutations));
    json_object_set_new(par, "seed", json_integer(sp->seed));
    json_object_set_new(par, "sigma", jreal(sp->sigma));
    json_object_set_new(par, "step_down_p", jreal(sp->step_down_p));
    json_object_set_new(par, "max_step", json_integer((json_int_t)sp->max_step));
    json_object_set_new(par, "t_power", json_integer(1));
    json_object_set_new(par, "compat", json_string(sp->compat == CPERM_COMPAT_MNE13 ? "mne1.3"
                                                                                   : "none"));
    json_object_set_new(par, "jobs", json_integer(sp->n_jobs));
    json_object_set_new(par, "p_summary", jreal(sp->p_summary));
    json_object_set_new(root, "parameters", par);

    json_object_set_new(data, "n_subjects", json_integer((json_int_t)sp->n_subjects));
    json_object_set_new(data, "n_times", json_integer((json_int_t)L->n_times));
    json_object_set_new(data, "n_vertices_lh", json_integer((json_int_t)L->n_vertices[0]));
    json_object_set_new(data, "n_vertices_rh", json_integer((json_int_t)L->n_vertices[1]));
    json_object_set_new(data, "tmin_ms", jreal(ms(L->tmin)));
    json_object_set_new(data, "tstep_ms", jreal(ms(L->tstep)));
    json_object_set_new(root, "data", data);

    size_t n_h0 = 0;
    cperm_run_h0(sp->run, &n_h0);
    const size_t n_clusters = cperm_run_n_clusters(sp->run);
    json_object_set_new(root, "n_orders", json_integer((json_int_t)cperm_plan_n_orders(sp->plan)));
    json_object_set_new(root, "exact", json_boolean(cperm_plan_is_exact(sp->plan)));
    json_object_set_new(root, "n_h0", json_integer((json_int_t)n_h0));
    json_object_set_new(root, "n_step_downs",
                        json_integer((json_int_t)cperm_run_n_step_downs(sp->run)));
    json_object_set_new(root, "n_clusters", json_integer((json_int_t)n_clusters));
    json_object_set_new(root, "summary_written", json_boolean(wrote_summary));
    for (size_t k = 0; k < n_clusters; k++) {
        json_t *c = cluster_json(sp, k, scratch, seen);
        if (!c || json_array_append_new(clusters, c)) goto cleanup;
    }
    json_object_set_new(root, "clusters", clusters);
    clusters = NULL;
    text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));

cleanup:
    json_decref(clusters);
    json_decref(root);
    free(scratch);
    free(seen);
    return text;
}

/* h0.txt: one value a line, %.17g. */
static char *h0_text(const cperm_run *run, size_t *len) {
    size_t n = 0;
    const double *h0 = cperm_run_h0(run, &n);
    char *buf = malloc(n * 32 + 1), *p = buf;
    if (!buf) return NULL;
    for (size_t i = 0; i < n; i++) p += snprintf(p, 32, "%.17g\n", h0[i]);
    *p = '\0';
    *len = (size_t)(p - buf);
    return buf;
}

/* ------------------------------------------------------------- writing */

typedef struct staged {
    const char *name;
    int present;
} staged;

int outputs_write(const outputs_spec *sp) {
    const cperm_stc *L = sp->layout;
    const size_t nv = L->n_vertices[0] + L->n_vertices[1], nt = L->n_times;
    cperm_stc *tobs_stc = NULL, *sum_stc = NULL;
    double *summary = NULL;
    size_t n_cols = 0, h0_len = 0;
    char *json = NULL, *h0 = NULL, *stage = NULL;
    cli_strlist created = {0};
    cperm_err err = {0};
    int rc = -1;
    staged files[] = {{"tobs-lh.stc", 0}, {"tobs-rh.stc", 0}, {"summary-lh.stc", 0},
                      {"summary-rh.stc", 0}, {"h0.txt", 0},    {"clusters.json", 0}};
    const size_t n_files = sizeof files / sizeof files[0];
    size_t n_moved = 0;

    /* 1. Everything in memory. */
    const size_t nvh[2] = {L->n_vertices[0], L->n_vertices[1]};
    if (cperm_stc_create(&tobs_stc, 2, nvh, nt, &err)) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    const double *tobs = cperm_run_tobs(sp->run);
    for (size_t h = 0; h < 2; h++)
        memcpy(tobs_stc->vertices[h], L->vertices[h], nvh[h] * sizeof *L->vertices[h]);
    tobs_stc->tmin = L->tmin;
    tobs_stc->tstep = L->tstep;
    for (size_t v = 0; v < nv; v++)
        for (size_t t = 0; t < nt; t++) tobs_stc->data[v * nt + t] = tobs[t * nv + v];

    int src = cperm_summarize_clusters(&summary, &n_cols, sp->run, nv, nt, sp->p_summary,
                                       L->tstep * 1000.0, &err);
    if (src) {
        cli_error("%s", err.msg);
        goto cleanup;
    }
    const int have_summary = n_cols > 0; /* none when no cluster is significant */
    if (have_summary) {
        if (cperm_stc_create(&sum_stc, 2, nvh, n_cols, &err)) {
            cli_error("%s", err.msg);
            goto cleanup;
        }
        for (size_t h = 0; h < 2; h++)
            memcpy(sum_stc->vertices[h], L->vertices[h], nvh[h] * sizeof *L->vertices[h]);
        sum_stc->tmin = 0.0;
        sum_stc->tstep = L->tstep * 1000.0; /* summarize_clusters_stc(tstep=tstep * 1000) */
        memcpy(sum_stc->data, summary, nv * n_cols * sizeof *summary);
        snprintf(sum_stc->subject, sizeof sum_stc->subject, "fsaverage");
    }
    json = clusters_json(sp, have_summary);
    h0 = h0_text(sp->run, &h0_len);
    if (!json || !h0) {
        cli_error("out of memory while formatting the outputs");
        goto cleanup;
    }

    /* 2. Into a staging directory inside DIR. */
    if (make_dirs(sp->dir, &created)) goto cleanup;
    stage = join(sp->dir, ".clusterperm-XXXXXX");
    if (!stage || !mkdtemp(stage)) {
        cli_error("--out %s: cannot create a staging directory: %s", sp->dir, strerror(errno));
        goto cleanup;
    }
    {
        char *stem = join(stage, "tobs");
        /* issue 7: marked before writing, so that cleanup also removes the lh file when the
         * rh one fails (else the staging directory is left behind, not empty) */
        files[0].present = files[1].present = 1;
        int w = stem ? cperm_stc_write(tobs_stc, stem, &err) : CPERM_ENOMEM;
        const int oom = !stem;
        free(stem);
        if (w) {
            cli_error("%s", oom ? "out of memory" : err.msg);
            goto cleanup;
        }
    }
    if (have_summary) {
        char *stem = join(stage, "summary");
        /* issue 7: marked before writing, so that cleanup also removes the lh file when the
         * rh one fails (else the staging directory is left behind, not empty) */
        files[2].present = files[3].present = 1;
        int w = stem ? cperm_stc_write(sum_stc, stem, &err) : CPERM_ENOMEM;
        const int oom = !stem;
        free(stem);
        if (w) {
            cli_error("%s", oom ? "out of memory" : err.msg);
            goto cleanup;
        }
    }
    for (size_t i = 4; i < 6; i++) {
        char *path = join(stage, files[i].name);
        const char *buf = i == 4 ? h0 : json;
        size_t len = i == 4 ? h0_len : strlen(json);
        int w = path ? cperm_write_file_atomic(path, buf, len, &err) : CPERM_ENOMEM;
        const int oom = !path;
        free(path);
        if (w) {
            cli_error("%s", oom ? "out of memory" : err.msg);
            goto cleanup;
        }
        files[i].present = 1;
    }

    /* 3. Move into place. */
    for (n_moved = 0; n_moved < n_files; n_moved++) {
        if (!files[n_moved].present) continue;
        char *from = join(stage, files[n_moved].name), *to = join(sp->dir, files[n_moved].name);
        int ok = from && to && rename(from, to) == 0;
        if (!ok) cli_error("--out %s: cannot move %s into place: %s", sp->dir,
                           files[n_moved].name, strerror(errno));
        free(from);
        free(to);
        if (!ok) goto cleanup;
    }
    if (!have_summary) {
        /* A summary left by an earlier run would contradict this run's clusters.json. */
        for (size_t i = 2; i < 4; i++) {
            char *path = join(sp->dir, files[i].name);
            if (path) unlink(path);
            free(path);
        }
        printf("No cluster with p < %g: no summary written\n", sp->p_summary);
    }
    rc = 0;

cleanup:
    if (rc) {
        for (size_t i = 0; i < n_files; i++) {
            if (!files[i].present) continue;
            char *path = join(i < n_moved ? sp->dir : stage ? stage : sp->dir, files[i].name);
            if (path && (i < n_moved || stage)) unlink(path);
            free(path);
        }
    }
    if (stage) rmdir(stage);
    if (rc)
        for (size_t i = created.n; i-- > 0;) rmdir(created.items[i]);
    cli_strlist_free(&created);
    free(stage);
    cperm_stc_free(tobs_stc);
    cperm_stc_free(sum_stc);
    free(summary);
    free(json);
    free(h0);
    return rc;
}
