/* tool_engine.c - test driver: runs the permutation-test engine on a case directory
 * (params.txt, X.f64, edges.i64[, exclude.u8]) through the public header only and writes
 * the results as raw files for tests/xcheck_engine*.py to compare against MNE 1.3.
 *
 * Usage: tool_engine CASE_DIR
 * params.txt: key=value lines (n_subjects, n_times, n_vertices, threshold, tail, t_power,
 * n_permutations (int or "all"), seed, max_step, sigma, sigma_method (relative|absolute),
 * step_down_p, n_jobs, compat (none|mne1.3), exclude (0/1), groups (comma-separated sizes:
 * independent groups), statistic (f|t_ind|t_1samp), equal_var (0/1), rm_levels (factor
 * levels "2x3": a repeated-measures F, X stacking the cells), rm_effect (an effect name,
 * "A:B"), rm_scheme (within|mne), min_neighbors, min_duration, min_extent); '#' starts a
 * comment line.
 * Outputs in CASE_DIR: out_tobs.f64 (n_times*n_vertices), out_h0.f64, out_pvals.f64,
 * out_stats.f64 (native doubles), out_clusters.txt (one line per cluster, flat indices
 * t*n_vertices+v in the engine's element order), out_orders.u8 (n_orders x n_subjects
 * bytes, cperm_plan_orders) and out_info.txt (key=value lines).
 * Any error prints one message on stderr and exits 1. */
#include "clusterperm.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096

typedef struct case_params {
    size_t n_subjects, n_times, n_vertices;
    int has_exclude;
    size_t group_sizes[CPERM_MAX_GROUPS];
    size_t rm_levels[CPERM_RM_MAX_FACTORS];
    cperm_options opt;
    unsigned seen; /* bit mask of the required keys that were given */
} case_params;

static int fail_msg(const char *what, const char *detail) {
    fprintf(stderr, "tool_engine: %s: %s\n", what, detail);
    return 1;
}

static int fail_err(const char *what, int rc, const cperm_err *err) {
    fprintf(stderr, "tool_engine: %s: %s (%s)\n", what, err->msg, cperm_strerror(rc));
    return 1;
}

static void join(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_LEN, "%s/%s", dir, name);
}

/* Whole file into a malloc'd buffer (one extra NUL byte). NULL on failure. */
static unsigned char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, len = 0;
    if (!f) return NULL;
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
    }
    if (ferror(f)) { free(buf); fclose(f); return NULL; }
    fclose(f);
    buf[len] = 0;
    *size = len;
    return buf;
}

static int parse_size(const char *v, size_t *out) {
    char *end;
    errno = 0;
    if (*v == '-') return -1;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end) return -1;
    *out = (size_t)x;
    return 0;
}

static int parse_long(const char *v, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end) return -1;
    *out = x;
    return 0;
}

static int parse_double(const char *v, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end) return -1;
    *out = x; /* NaN/inf are passed on: the engine must refuse them itself */
    return 0;
}

enum { K_NS = 1u, K_NT = 2u, K_NV = 4u, K_THR = 8u, K_TAIL = 16u };

static int set_param(case_params *p, const char *key, const char *val) {
    long l;
    if (!strcmp(key, "n_subjects")) { p->seen |= K_NS; return parse_size(val, &p->n_subjects); }
    if (!strcmp(key, "n_times")) { p->seen |= K_NT; return parse_size(val, &p->n_times); }
    if (!strcmp(key, "n_vertices")) { p->seen |= K_NV; return parse_size(val, &p->n_vertices); }
    if (!strcmp(key, "threshold")) { p->seen |= K_THR; return parse_double(val, &p->opt.threshold); }
    if (!strcmp(key, "tail")) {
        p->seen |= K_TAIL;
        if (parse_long(val, &l)) return -1;
        p->opt.tail = (int)l;
        return (long)p->opt.tail == l ? 0 : -1;
    }
    if (!strcmp(key, "t_power")) return parse_double(val, &p->opt.t_power);
    if (!strcmp(key, "n_permutations")) {
        if (!strcmp(val, "all")) { p->opt.n_permutations = CPERM_PERMUTATIONS_ALL; return 0; }
        return parse_long(val, &p->opt.n_permutations);
    }
    if (!strcmp(key, "seed")) {
        if (parse_long(val, &l) || l < 0 || l > 0xffffffffL) return -1;
        p->opt.seed = (uint32_t)l;
        return 0;
    }
    if (!strcmp(key, "max_step")) return parse_size(val, &p->opt.max_step);
    if (!strcmp(key, "statistic")) {
        if (!strcmp(val, "f")) p->opt.statistic = CPERM_STAT_F_ONEWAY;
        else if (!strcmp(val, "t_ind")) p->opt.statistic = CPERM_STAT_T_IND;
        else if (!strcmp(val, "t_1samp")) p->opt.statistic = CPERM_STAT_T_1SAMP;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "equal_var")) {
        if (parse_long(val, &l) || (l != 0 && l != 1)) return -1;
        p->opt.equal_var = (int)l;
        return 0;
    }
    if (!strcmp(key, "groups")) { /* independent groups: comma-separated sizes */
        p->opt.design = CPERM_DESIGN_GROUPS;
        p->opt.n_groups = 0;
        p->opt.group_sizes = p->group_sizes;
        for (const char *c = val; *c;) {
            char *end;
            unsigned long long x = strtoull(c, &end, 10);
            if (end == c || p->opt.n_groups == CPERM_MAX_GROUPS) return -1;
            p->group_sizes[p->opt.n_groups++] = (size_t)x;
            c = *end == ',' ? end + 1 : end;
            if (*end && *end != ',') return -1;
        }
        return 0;
    }
    if (!strcmp(key, "rm_levels")) { /* repeated measures: "2x2x3" */
        p->opt.design = CPERM_DESIGN_GROUPS;
        p->opt.statistic = CPERM_STAT_F_MWAY_RM;
        p->opt.rm_n_factors = 0;
        p->opt.rm_factor_levels = p->rm_levels;
        for (const char *c = val; *c;) {
            char *end;
            unsigned long long x = strtoull(c, &end, 10);
            if (end == c || p->opt.rm_n_factors == CPERM_RM_MAX_FACTORS) return -1;
            p->rm_levels[p->opt.rm_n_factors++] = (size_t)x;
            if (*end && *end != 'x') return -1;
            c = *end == 'x' ? end + 1 : end;
        }
        return 0;
    }
    if (!strcmp(key, "rm_effect")) { /* after rm_levels */
        size_t n = 0;
        if (cperm_f_mway_effects(&p->opt.rm_effect, 1, &n, p->opt.rm_n_factors, val, NULL) ||
            n != 1)
            return -1;
        return 0;
    }
    if (!strcmp(key, "rm_scheme")) {
        if (!strcmp(val, "within")) p->opt.rm_scheme = CPERM_RM_WITHIN;
        else if (!strcmp(val, "mne")) p->opt.rm_scheme = CPERM_RM_MNE;
        else return -1;
        return 0;
    }
    /* the cluster-forming controls (issue 13) */
    if (!strcmp(key, "min_neighbors")) return parse_size(val, &p->opt.min_neighbors);
    if (!strcmp(key, "min_duration")) return parse_size(val, &p->opt.min_duration);
    if (!strcmp(key, "min_extent")) return parse_size(val, &p->opt.min_extent);
    if (!strcmp(key, "sigma")) return parse_double(val, &p->opt.sigma);
    if (!strcmp(key, "sigma_method")) {
        if (!strcmp(val, "relative")) p->opt.sigma_method = CPERM_SIGMA_RELATIVE;
        else if (!strcmp(val, "absolute")) p->opt.sigma_method = CPERM_SIGMA_ABSOLUTE;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "step_down_p")) return parse_double(val, &p->opt.step_down_p);
    if (!strcmp(key, "n_jobs")) {
        if (parse_long(val, &l)) return -1;
        p->opt.n_jobs = (int)l;
        return (long)p->opt.n_jobs == l ? 0 : -1;
    }
    if (!strcmp(key, "compat")) {
        if (!strcmp(val, "none")) p->opt.compat = CPERM_COMPAT_NONE;
        else if (!strcmp(val, "mne1.3")) p->opt.compat = CPERM_COMPAT_MNE13;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "exclude")) {
        if (!strcmp(val, "0")) p->has_exclude = 0;
        else if (!strcmp(val, "1")) p->has_exclude = 1;
        else return -1;
        return 0;
    }
    return -2;
}

static int read_params(case_params *p, const char *path) {
    size_t size;
    char *text = (char *)slurp(path, &size);
    if (!text) return fail_msg(path, strerror(errno ? errno : EIO));
    int rc = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
        if (!n || line[0] == '#') continue;
        char *eq = strchr(line, '=');
        if (!eq) { rc = fail_msg(path, "line without '='"); break; }
        *eq = 0;
        int r = set_param(p, line, eq + 1);
        if (r == -2) { fprintf(stderr, "tool_engine: %s: unknown key '%s'\n", path, line); rc = 1; break; }
        if (r) { fprintf(stderr, "tool_engine: %s: bad value '%s' for %s\n", path, eq + 1, line); rc = 1; break; }
    }
    free(text);
    if (!rc && p->seen != (K_NS | K_NT | K_NV | K_THR | K_TAIL))
        rc = fail_msg(path, "n_subjects, n_times, n_vertices, threshold and tail are required");
    return rc;
}

static int write_raw(const char *dir, const char *name, const void *data, size_t size) {
    char path[PATH_LEN];
    join(path, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return fail_msg(path, strerror(errno));
    int bad = size && fwrite(data, 1, size, f) != size;
    if (fclose(f) || bad) return fail_msg(path, "write failed");
    return 0;
}

static int write_outputs(const char *dir, const cperm_plan *plan, const cperm_run *run,
                         size_t n_tests, size_t n_subjects, int labels) {
    size_t n_clusters = cperm_run_n_clusters(run), n_h0 = 0;
    const double *h0 = cperm_run_h0(run, &n_h0);
    const double *stats = cperm_run_cluster_stats(run);
    const double *pv = cperm_run_pvalues(run);
    if (write_raw(dir, "out_tobs.f64", cperm_run_tobs(run), n_tests * sizeof(double)) ||
        write_raw(dir, "out_h0.f64", h0, n_h0 * sizeof(double)) ||
        write_raw(dir, "out_pvals.f64", pv, n_clusters * sizeof(double)) ||
        write_raw(dir, "out_stats.f64", stats, n_clusters * sizeof(double)))
        return 1;

    char path[PATH_LEN];
    const size_t width = labels ? sizeof(uint32_t) : 1;
    join(path, dir, labels ? "out_orders.u32" : "out_orders.u8");
    FILE *f = fopen(path, "wb");
    if (!f) return fail_msg(path, strerror(errno));
    int bad = 0;
    /* in ranges of 1000 orders, a stride that is not the stream's, so that restarts
     * within it are exercised too */
    uint8_t *o = malloc(1000 * n_subjects * width);
    if (!o) bad = 1;
    for (size_t k = 0; !bad && k < cperm_plan_n_orders(plan); k += 1000) {
        size_t k1 = k + 1000 < cperm_plan_n_orders(plan) ? k + 1000 : cperm_plan_n_orders(plan);
        int rc = labels ? cperm_plan_label_orders(plan, k, k1, (uint32_t *)(void *)o, NULL)
                        : cperm_plan_orders(plan, k, k1, o, NULL);
        if (rc || fwrite(o, width, (k1 - k) * n_subjects, f) != (k1 - k) * n_subjects)
            bad = 1;
    }
    free(o);
    if (fclose(f) || bad) return fail_msg(path, "write failed");

    join(path, dir, "out_clusters.txt");
    f = fopen(path, "w");
    if (!f) return fail_msg(path, strerror(errno));
    for (size_t k = 0; k < n_clusters; k++) {
        size_t n = 0;
        const int64_t *m = cperm_run_cluster(run, k, &n);
        for (size_t i = 0; i < n; i++) fprintf(f, i ? " %lld" : "%lld", (long long)m[i]);
        fputc('\n', f);
    }
    if (fclose(f)) return fail_msg(path, "write failed");

    join(path, dir, "out_info.txt");
    f = fopen(path, "w");
    if (!f) return fail_msg(path, strerror(errno));
    fprintf(f, "n_orders=%zu\nis_exact=%d\nthreshold=%.17g\nn_step_downs=%zu\n"
               "n_clusters=%zu\nn_h0=%zu\n",
            cperm_plan_n_orders(plan), cperm_plan_is_exact(plan), cperm_plan_threshold(plan),
            cperm_run_n_step_downs(run), n_clusters, n_h0);
    if (fclose(f)) return fail_msg(path, "write failed");
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tool_engine CASE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[PATH_LEN];
    cperm_options init = CPERM_OPTIONS_INIT;
    case_params p;
    memset(&p, 0, sizeof p);
    p.opt = init;
    unsigned char *xbuf = NULL, *ebuf = NULL, *exbuf = NULL;
    cperm_graph *graph = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = 1, r;

    join(path, dir, "params.txt");
    if (read_params(&p, path)) goto cleanup;

    size_t xsize, esize, exsize;
    join(path, dir, "X.f64");
    if (!(xbuf = slurp(path, &xsize))) { fail_msg(path, "cannot read"); goto cleanup; }
    size_t n_tests = p.n_times * p.n_vertices;
    if ((p.n_vertices && n_tests / p.n_vertices != p.n_times) ||
        (n_tests && (p.n_subjects > SIZE_MAX / n_tests / sizeof(double))) ||
        xsize != p.n_subjects * n_tests * sizeof(double)) {
        fail_msg(path, "size does not match n_subjects*n_times*n_vertices doubles");
        goto cleanup;
    }
    join(path, dir, "edges.i64");
    if (!(ebuf = slurp(path, &esize))) { fail_msg(path, "cannot read"); goto cleanup; }
    if (esize % (2 * sizeof(int64_t))) { fail_msg(path, "not a whole number of int64 pairs"); goto cleanup; }
    if (p.has_exclude) {
        join(path, dir, "exclude.u8");
        if (!(exbuf = slurp(path, &exsize))) { fail_msg(path, "cannot read"); goto cleanup; }
        if (exsize != p.n_vertices) { fail_msg(path, "size is not n_vertices bytes"); goto cleanup; }
        p.opt.spatial_exclude = exbuf;
    }

    /* Copy out of the byte buffers so alignment never depends on malloc. */
    double *X = malloc(xsize ? xsize : 1);
    int64_t *edges = malloc(esize ? esize : 1);
    if (!X || !edges) { free(X); free(edges); fail_msg(dir, "out of memory"); goto cleanup; }
    memcpy(X, xbuf, xsize);
    memcpy(edges, ebuf, esize);

    r = cperm_graph_from_edges(&graph, p.n_vertices, edges, esize / (2 * sizeof(int64_t)), &err);
    if (r) { fail_err("cperm_graph_from_edges", r, &err); free(X); free(edges); goto cleanup; }
    r = cperm_plan_create(&plan, graph, p.n_subjects, p.n_times, &p.opt, &err);
    /* The plan copies what it needs: free the graph early to prove it. */
    cperm_graph_free(graph);
    graph = NULL;
    if (r) { fail_err("cperm_plan_create", r, &err); free(X); free(edges); goto cleanup; }
    r = cperm_run_create(&run, plan, &err);
    if (r) { fail_err("cperm_run_create", r, &err); free(X); free(edges); goto cleanup; }
    r = cperm_plan_execute(plan, X, run, &err);
    free(X);
    free(edges);
    if (r) { fail_err("cperm_plan_execute", r, &err); goto cleanup; }
    if (write_outputs(dir, plan, run, n_tests, p.n_subjects, p.opt.design == CPERM_DESIGN_GROUPS))
        goto cleanup;
    rc = 0;

cleanup:
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(graph);
    free(xbuf);
    free(ebuf);
    free(exbuf);
    return rc;
}
