/* tool_combine.c - test driver: the engine on lattices and combined graphs, for
 * xcheck_combine.py and xcheck_shapes.py (MNE's tests on data of any shape).
 * Builds the graph with cperm_graph_lattice / cperm_graph_combine, runs the permutation test
 * through the public header only and writes raw results.
 *
 * Usage: tool_combine CASE_DIR
 * params.txt: key=value lines. shape=L0,L1,... (the sample shape, at most 8 dimensions);
 * graph=lattice|combine (cperm_graph_lattice of the shape, or cperm_graph_combine with
 * graphD.i64 edge lists, int64 pairs, for the dimensions listed in graphs=D,D,...);
 * split=0|1 (0: one "time", the graph over every point; 1: the first dimension becomes the
 * engine's time axis, max_step 1, and the graph covers the others, a single vertex for 1-D
 * data); run=0|1 (0: only write
 * the graph); n_subjects, threshold, tail, t_power, n_permutations, seed, step_down_p,
 * n_jobs, sequential_sums, max_step (split=1), compat=none|mne1.3, exclude=0|1 (exclude.u8:
 * prod(shape) bytes, options.exclude), groups=N1,N2,... (independent groups stacked in X),
 * statistic=f|t_ind, equal_var=0|1. X.f64: n_subjects x prod(shape) doubles, row-major.
 * Outputs: out_indptr.i64 and out_indices.i32 (the graph), and with run=1 out_tobs.f64,
 * out_h0.f64, out_pvals.f64, out_stats.f64, out_clusters.txt (one line per cluster, flat
 * row-major indices in the engine's element order), out_sorted.txt (the same from
 * cperm_run_cluster_indices) and out_masks.u8 (n_clusters x prod(shape) bytes from
 * cperm_run_cluster_mask). Any error prints one line on stderr and exits 1. */
#include "clusterperm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096
#define MAX_DIMS 8

typedef struct params {
    size_t n_dims, shape[MAX_DIMS];
    int has_graph[MAX_DIMS];
    int combine, split, run, has_exclude;
    size_t n_subjects, group_sizes[MAX_DIMS];
    cperm_options opt;
} params;

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "tool_combine: %s: %s\n", what, detail);
    return 1;
}

static void join(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_LEN, "%s/%s", dir, name);
}

/* A whole file in a malloc'd buffer with a NUL after it; NULL on failure. */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (cap - len < 4096) {
            char *nb = realloc(buf, cap + 65536 + 1);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
            cap += 65536;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got > 0);
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); return NULL; }
    buf[len] = 0;
    *size = len;
    return buf;
}

/* Comma-separated sizes into out (at most MAX_DIMS); returns the count or 0 when malformed. */
static size_t parse_list(const char *v, size_t *out) {
    size_t n = 0;
    while (*v) {
        char *end;
        errno = 0;
        if (*v == '-' || n == MAX_DIMS) return 0;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || (*end && *end != ',')) return 0;
        out[n++] = (size_t)x;
        v = *end ? end + 1 : end;
    }
    return n;
}

static int set_param(params *p, const char *key, const char *val) {
    char *end;
    errno = 0;
    if (!strcmp(key, "shape")) return (p->n_dims = parse_list(val, p->shape)) ? 0 : -1;
    if (!strcmp(key, "graphs")) {
        size_t d[MAX_DIMS], n = *val ? parse_list(val, d) : 0;
        if (*val && !n) return -1;
        for (size_t k = 0; k < n; k++) {
            if (d[k] >= MAX_DIMS) return -1;
            p->has_graph[d[k]] = 1;
        }
        return 0;
    }
    if (!strcmp(key, "graph")) {
        if (!strcmp(val, "lattice")) p->combine = 0;
        else if (!strcmp(val, "combine")) p->combine = 1;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "threshold")) { p->opt.threshold = strtod(val, &end); return *end ? -1 : 0; }
    if (!strcmp(key, "t_power")) { p->opt.t_power = strtod(val, &end); return *end ? -1 : 0; }
    if (!strcmp(key, "step_down_p")) { p->opt.step_down_p = strtod(val, &end); return *end ? -1 : 0; }
    if (!strcmp(key, "compat")) {
        if (!strcmp(val, "none")) p->opt.compat = CPERM_COMPAT_NONE;
        else if (!strcmp(val, "mne1.3")) p->opt.compat = CPERM_COMPAT_MNE13;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "statistic")) {
        if (!strcmp(val, "f")) p->opt.statistic = CPERM_STAT_F_ONEWAY;
        else if (!strcmp(val, "t_ind")) p->opt.statistic = CPERM_STAT_T_IND;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "groups")) { /* independent groups (at most MAX_DIMS), stacked in X */
        size_t n = parse_list(val, p->group_sizes);
        if (!n) return -1;
        p->opt.design = CPERM_DESIGN_GROUPS;
        p->opt.n_groups = n;
        p->opt.group_sizes = p->group_sizes;
        return 0;
    }
    if (!strcmp(key, "n_permutations") && !strcmp(val, "all")) {
        p->opt.n_permutations = CPERM_PERMUTATIONS_ALL;
        return 0;
    }
    long x = strtol(val, &end, 10);
    if (errno || end == val || *end) return -1;
    if (!strcmp(key, "split")) p->split = (int)x;
    else if (!strcmp(key, "run")) p->run = (int)x;
    else if (!strcmp(key, "n_subjects")) p->n_subjects = (size_t)x;
    else if (!strcmp(key, "tail")) p->opt.tail = (int)x;
    else if (!strcmp(key, "n_permutations")) p->opt.n_permutations = x;
    else if (!strcmp(key, "seed")) p->opt.seed = (uint32_t)x;
    else if (!strcmp(key, "n_jobs")) p->opt.n_jobs = (int)x;
    else if (!strcmp(key, "sequential_sums")) p->opt.sequential_sums = (int)x;
    else if (!strcmp(key, "max_step")) p->opt.max_step = (size_t)x;
    else if (!strcmp(key, "exclude")) p->has_exclude = (int)x;
    else if (!strcmp(key, "equal_var")) p->opt.equal_var = (int)x;
    else return -2;
    return 0;
}

static int read_params(params *p, const char *path) {
    size_t size;
    char *text = slurp(path, &size), *save = NULL;
    if (!text) return fail(path, "cannot read");
    int rc = 0;
    for (char *line = strtok_r(text, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq) { rc = fail(path, "line without '='"); break; }
        *eq = 0;
        int r = set_param(p, line, eq + 1);
        if (r) rc = fail(line, r == -2 ? "unknown key" : "bad value");
    }
    free(text);
    if (!rc && !p->n_dims) rc = fail(path, "shape is required");
    return rc;
}

static int write_raw(const char *dir, const char *name, const void *data, size_t size) {
    char path[PATH_LEN];
    join(path, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return fail(path, strerror(errno));
    int bad = size && fwrite(data, 1, size, f) != size;
    if (fclose(f) || bad) return fail(path, "write failed");
    return 0;
}

/* The graph over dimensions first .. n_dims-1 of the shape, as the params ask. */
static int build_graph(cperm_graph **out, const params *p, size_t first, const char *dir) {
    cperm_graph *dims[MAX_DIMS] = {NULL};
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = 0, r;
    if (first == p->n_dims) { /* 1-D data split into times: one "vertex" */
        const size_t one = 1;
        r = cperm_graph_lattice(out, 1, &one, &err);
        return r ? fail("cperm_graph_lattice", err.msg) : 0;
    }
    if (!p->combine) {
        r = cperm_graph_lattice(out, p->n_dims - first, p->shape + first, &err);
        if (r) return fail("cperm_graph_lattice", err.msg);
        return 0;
    }
    for (size_t d = first; d < p->n_dims && !rc; d++) {
        if (!p->has_graph[d]) continue;
        char path[PATH_LEN], name[32];
        size_t size;
        snprintf(name, sizeof name, "graph%zu.i64", d);
        join(path, dir, name);
        char *buf = slurp(path, &size);
        if (!buf || size % (2 * sizeof(int64_t))) { free(buf); rc = fail(path, "missing or not int64 pairs"); break; }
        int64_t *edges = malloc(size ? size : 1);
        if (!edges) { free(buf); rc = fail(path, "out of memory"); break; }
        memcpy(edges, buf, size);
        r = cperm_graph_from_edges(&dims[d], p->shape[d], edges, size / (2 * sizeof(int64_t)), &err);
        if (r) rc = fail("cperm_graph_from_edges", err.msg);
        free(edges);
        free(buf);
    }
    if (!rc) {
        r = cperm_graph_combine(out, p->n_dims - first, p->shape + first,
                                (const cperm_graph *const *)(dims + first), &err);
        if (r) rc = fail("cperm_graph_combine", err.msg);
    }
    for (size_t d = 0; d < MAX_DIMS; d++) cperm_graph_free(dims[d]);
    return rc;
}

static int write_graph(const char *dir, const cperm_graph *g) {
    size_t n = g->n_vertices;
    int64_t *ip = malloc((n + 1) * sizeof *ip);
    if (!ip) return fail(dir, "out of memory");
    for (size_t i = 0; i <= n; i++) ip[i] = (int64_t)g->indptr[i];
    int rc = write_raw(dir, "out_indptr.i64", ip, (n + 1) * sizeof *ip) ||
             write_raw(dir, "out_indices.i32", g->indices, g->indptr[n] * sizeof *g->indices);
    free(ip);
    return rc;
}

/* Each cluster through cperm_run_cluster_indices (out_sorted.txt) and cperm_run_cluster_mask
 * (out_masks.u8), as a binding building MNE's out_type would call them. */
static int write_shapes(const char *dir, const cperm_run *run, size_t n_points) {
    size_t n_clusters = cperm_run_n_clusters(run);
    char path[PATH_LEN];
    cperm_err err;
    memset(&err, 0, sizeof err);
    int64_t *idx = malloc(n_points * sizeof *idx);
    uint8_t *mask = malloc(n_points ? n_points : 1);
    FILE *fs = NULL, *fm = NULL;
    int rc = 1;
    if (!idx || !mask) { fail(dir, "out of memory"); goto cleanup; }
    join(path, dir, "out_sorted.txt");
    if (!(fs = fopen(path, "w"))) { fail(path, strerror(errno)); goto cleanup; }
    join(path, dir, "out_masks.u8");
    if (!(fm = fopen(path, "wb"))) { fail(path, strerror(errno)); goto cleanup; }
    for (size_t k = 0; k < n_clusters; k++) {
        size_t n = 0;
        if (cperm_run_cluster_indices(run, k, idx, n_points, &n, &err) ||
            cperm_run_cluster_mask(run, k, mask, n_points, &err)) {
            fail("cluster shapes", err.msg);
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) fprintf(fs, i ? " %lld" : "%lld", (long long)idx[i]);
        fputc('\n', fs);
        if (fwrite(mask, 1, n_points, fm) != n_points) { fail(path, "write failed"); goto cleanup; }
    }
    rc = 0;
cleanup:
    if (fs && fclose(fs) && !rc) rc = fail("out_sorted.txt", "write failed");
    if (fm && fclose(fm) && !rc) rc = fail("out_masks.u8", "write failed");
    free(idx);
    free(mask);
    return rc;
}

static int write_results(const char *dir, const cperm_run *run, size_t n_points) {
    size_t n_clusters = cperm_run_n_clusters(run), n_h0 = 0;
    const double *h0 = cperm_run_h0(run, &n_h0);
    if (write_raw(dir, "out_tobs.f64", cperm_run_tobs(run), n_points * sizeof(double)) ||
        write_raw(dir, "out_h0.f64", h0, n_h0 * sizeof(double)) ||
        write_raw(dir, "out_pvals.f64", cperm_run_pvalues(run), n_clusters * sizeof(double)) ||
        write_raw(dir, "out_stats.f64", cperm_run_cluster_stats(run), n_clusters * sizeof(double)))
        return 1;
    char path[PATH_LEN];
    join(path, dir, "out_clusters.txt");
    FILE *f = fopen(path, "w");
    if (!f) return fail(path, strerror(errno));
    for (size_t k = 0; k < n_clusters; k++) {
        size_t n = 0;
        const int64_t *m = cperm_run_cluster(run, k, &n);
        for (size_t i = 0; i < n; i++) fprintf(f, i ? " %lld" : "%lld", (long long)m[i]);
        fputc('\n', f);
    }
    if (fclose(f)) return fail(path, "write failed");
    return write_shapes(dir, run, n_points);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tool_combine CASE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[PATH_LEN];
    params p;
    cperm_options init = CPERM_OPTIONS_INIT;
    memset(&p, 0, sizeof p);
    p.opt = init;
    p.run = 1;
    cperm_graph *graph = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    char *xbuf = NULL, *ebuf = NULL;
    double *X = NULL;
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = 1, r;

    join(path, dir, "params.txt");
    if (read_params(&p, path)) goto cleanup;
    size_t first = p.split ? 1 : 0, n_times = p.split ? p.shape[0] : 1;
    if (build_graph(&graph, &p, first, dir) || write_graph(dir, graph)) goto cleanup;
    if (!p.run) {
        rc = 0;
        goto cleanup;
    }
    size_t n_points = n_times * graph->n_vertices, xsize;
    join(path, dir, "X.f64");
    if (!(xbuf = slurp(path, &xsize))) { fail(path, "cannot read"); goto cleanup; }
    if (xsize != p.n_subjects * n_points * sizeof(double)) {
        fail(path, "size is not n_subjects x prod(shape) doubles");
        goto cleanup;
    }
    if (!(X = malloc(xsize ? xsize : 1))) { fail(path, "out of memory"); goto cleanup; }
    memcpy(X, xbuf, xsize);
    if (p.has_exclude) {
        size_t esize;
        join(path, dir, "exclude.u8");
        if (!(ebuf = slurp(path, &esize))) { fail(path, "cannot read"); goto cleanup; }
        if (esize != n_points) { fail(path, "size is not prod(shape) bytes"); goto cleanup; }
        p.opt.exclude = (const uint8_t *)ebuf;
    }
    r = cperm_plan_create(&plan, graph, p.n_subjects, n_times, &p.opt, &err);
    if (r) { fail("cperm_plan_create", err.msg); goto cleanup; }
    r = cperm_run_create(&run, plan, &err);
    if (r) { fail("cperm_run_create", err.msg); goto cleanup; }
    r = cperm_plan_execute(plan, X, run, &err);
    if (r) { fail("cperm_plan_execute", err.msg); goto cleanup; }
    if (write_results(dir, run, n_points)) goto cleanup;
    rc = 0;
cleanup:
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(graph);
    free(xbuf);
    free(ebuf);
    free(X);
    return rc;
}
