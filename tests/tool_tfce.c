/* tool_tfce.c - test driver for TFCE through the public header only: runs the whole test
 * (plan/run/execute) on a case directory, or scores given statistic maps with
 * cperm_tfce_scores, and writes raw results for tests/xcheck_tfce.py.
 *
 * Usage: tool_tfce CASE_DIR
 * params.txt: key=value lines: n_subjects, n_times, n_vertices, tail, tfce (exact|riemann|
 * mne1.3), tfce_start, tfce_step, tfce_h, tfce_e, n_permutations (int or "all"), seed,
 * max_step, sigma, sigma_method (relative|absolute), step_down_p, n_jobs, compat
 * (none|mne1.3), exclude (0/1), n_maps (> 0: scores mode); '#' starts a comment line.
 * Inputs: edges.i64 (int64 pairs), exclude.u8 (n_vertices bytes) if exclude=1, and X.f64
 * (n_subjects x n_times x n_vertices doubles; test mode) or stat.f64 (n_maps x n_times x
 * n_vertices; scores mode).
 * Outputs (native doubles): test mode: out_map.f64 (scores * sign(t)), out_scores.f64,
 * out_tobs.f64, out_pvals.f64, out_h0.f64, out_info.txt; scores mode: out_scores.f64.
 * Any error prints one message on stderr and exits 1. */
#include "clusterperm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096

typedef struct case_params {
    size_t n_subjects, n_times, n_vertices, n_maps;
    int has_exclude;
    cperm_options opt;
} case_params;

static int fail_msg(const char *what, const char *detail) {
    fprintf(stderr, "tool_tfce: %s: %s\n", what, detail);
    return 1;
}

static void join(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_LEN, "%s/%s", dir, name);
}

/* Whole file into a malloc'd buffer. NULL on failure. */
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
    double x = strtod(v, &end);
    if (end == v || *end) return -1;
    *out = x;
    return 0;
}

static int parse_int(const char *v, int *out) {
    long l;
    if (parse_long(v, &l) || l < -1000000 || l > 1000000) return -1;
    *out = (int)l;
    return 0;
}

static int set_param(case_params *p, const char *key, const char *val) {
    long l;
    if (!strcmp(key, "n_subjects")) return parse_size(val, &p->n_subjects);
    if (!strcmp(key, "n_times")) return parse_size(val, &p->n_times);
    if (!strcmp(key, "n_vertices")) return parse_size(val, &p->n_vertices);
    if (!strcmp(key, "n_maps")) return parse_size(val, &p->n_maps);
    if (!strcmp(key, "tail")) return parse_int(val, &p->opt.tail);
    if (!strcmp(key, "tfce")) {
        if (!strcmp(val, "exact")) p->opt.tfce = CPERM_TFCE_EXACT;
        else if (!strcmp(val, "riemann")) p->opt.tfce = CPERM_TFCE_RIEMANN;
        else if (!strcmp(val, "mne1.3")) p->opt.tfce = CPERM_TFCE_MNE13;
        else if (!strcmp(val, "none")) p->opt.tfce = CPERM_TFCE_NONE;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "tfce_start")) return parse_double(val, &p->opt.tfce_start);
    if (!strcmp(key, "tfce_step")) return parse_double(val, &p->opt.tfce_step);
    if (!strcmp(key, "tfce_h")) return parse_double(val, &p->opt.tfce_h);
    if (!strcmp(key, "tfce_e")) return parse_double(val, &p->opt.tfce_e);
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
    if (!strcmp(key, "sigma")) return parse_double(val, &p->opt.sigma);
    if (!strcmp(key, "sigma_method")) {
        if (!strcmp(val, "relative")) p->opt.sigma_method = CPERM_SIGMA_RELATIVE;
        else if (!strcmp(val, "absolute")) p->opt.sigma_method = CPERM_SIGMA_ABSOLUTE;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "step_down_p")) return parse_double(val, &p->opt.step_down_p);
    if (!strcmp(key, "n_jobs")) return parse_int(val, &p->opt.n_jobs);
    if (!strcmp(key, "compat")) {
        if (!strcmp(val, "none")) p->opt.compat = CPERM_COMPAT_NONE;
        else if (!strcmp(val, "mne1.3")) p->opt.compat = CPERM_COMPAT_MNE13;
        else return -1;
        return 0;
    }
    if (!strcmp(key, "exclude")) {
        if (!strcmp(val, "0") || !strcmp(val, "1")) { p->has_exclude = val[0] == '1'; return 0; }
        return -1;
    }
    return -2;
}

static int read_params(case_params *p, const char *path) {
    size_t size;
    char *text = (char *)slurp(path, &size);
    if (!text) return fail_msg(path, "cannot read");
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
        if (r == -2) { fprintf(stderr, "tool_tfce: %s: unknown key '%s'\n", path, line); rc = 1; break; }
        if (r) { fprintf(stderr, "tool_tfce: %s: bad value '%s' for %s\n", path, eq + 1, line); rc = 1; break; }
    }
    free(text);
    if (!rc && (!p->n_subjects || !p->n_times || !p->n_vertices))
        rc = fail_msg(path, "n_subjects, n_times and n_vertices are required");
    return rc;
}

static int write_raw(const char *dir, const char *name, const void *data, size_t size) {
    char path[PATH_LEN];
    join(path, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return fail_msg(path, strerror(errno));
    int bad = size && (!data || fwrite(data, 1, size, f) != size);
    if (fclose(f) || bad) return fail_msg(path, "write failed");
    return 0;
}

/* Reads name (doubles) into a fresh aligned buffer of exactly `count` doubles. */
static double *read_doubles(const char *dir, const char *name, size_t count) {
    char path[PATH_LEN];
    size_t size;
    join(path, dir, name);
    unsigned char *buf = slurp(path, &size);
    if (!buf) { fail_msg(path, "cannot read"); return NULL; }
    if (count > SIZE_MAX / sizeof(double) || size != count * sizeof(double)) {
        free(buf);
        fail_msg(path, "size does not match the shape in params.txt");
        return NULL;
    }
    double *x = malloc(size ? size : 1);
    if (x) memcpy(x, buf, size);
    free(buf);
    return x;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: tool_tfce CASE_DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char path[PATH_LEN];
    cperm_options init = CPERM_OPTIONS_INIT;
    case_params p;
    memset(&p, 0, sizeof p);
    p.opt = init;
    p.opt.tfce = CPERM_TFCE_EXACT;
    unsigned char *ebuf = NULL, *exbuf = NULL;
    int64_t *edges = NULL;
    double *X = NULL, *scores = NULL;
    cperm_graph *graph = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    cperm_err err;
    memset(&err, 0, sizeof err);
    int rc = 1, r;

    join(path, dir, "params.txt");
    if (read_params(&p, path)) goto cleanup;
    size_t P = p.n_times * p.n_vertices;
    if (P / p.n_vertices != p.n_times) { fail_msg(dir, "shape overflows"); goto cleanup; }
    size_t esize, exsize;
    join(path, dir, "edges.i64");
    if (!(ebuf = slurp(path, &esize))) { fail_msg(path, "cannot read"); goto cleanup; }
    if (esize % (2 * sizeof(int64_t))) { fail_msg(path, "not a whole number of int64 pairs"); goto cleanup; }
    if (!(edges = malloc(esize ? esize : 1))) { fail_msg(dir, "out of memory"); goto cleanup; }
    memcpy(edges, ebuf, esize);
    if (p.has_exclude) {
        join(path, dir, "exclude.u8");
        if (!(exbuf = slurp(path, &exsize))) { fail_msg(path, "cannot read"); goto cleanup; }
        if (exsize != p.n_vertices) { fail_msg(path, "size is not n_vertices bytes"); goto cleanup; }
        p.opt.spatial_exclude = exbuf;
    }
    r = cperm_graph_from_edges(&graph, p.n_vertices, edges, esize / (2 * sizeof(int64_t)), &err);
    if (r) { fprintf(stderr, "tool_tfce: cperm_graph_from_edges: %s\n", err.msg); goto cleanup; }
    r = cperm_plan_create(&plan, graph, p.n_subjects, p.n_times, &p.opt, &err);
    if (r) { fprintf(stderr, "tool_tfce: cperm_plan_create: %s\n", err.msg); goto cleanup; }

    if (p.n_maps) { /* scores mode */
        if (p.n_maps > SIZE_MAX / P) { fail_msg(dir, "n_maps too large"); goto cleanup; }
        double *stat = read_doubles(dir, "stat.f64", p.n_maps * P);
        if (!stat) goto cleanup;
        scores = malloc(p.n_maps * P * sizeof *scores);
        if (!scores) { free(stat); fail_msg(dir, "out of memory"); goto cleanup; }
        for (size_t m = 0; m < p.n_maps; m++) {
            r = cperm_tfce_scores(plan, stat + m * P, scores + m * P, &err);
            if (r) {
                fprintf(stderr, "tool_tfce: cperm_tfce_scores (map %zu): %s\n", m, err.msg);
                free(stat);
                goto cleanup;
            }
        }
        free(stat);
        if (write_raw(dir, "out_scores.f64", scores, p.n_maps * P * sizeof *scores)) goto cleanup;
        rc = 0;
        goto cleanup;
    }

    if (!(X = read_doubles(dir, "X.f64", p.n_subjects * P))) goto cleanup;
    r = cperm_run_create(&run, plan, &err);
    if (r) { fprintf(stderr, "tool_tfce: cperm_run_create: %s\n", err.msg); goto cleanup; }
    r = cperm_plan_execute(plan, X, run, &err);
    if (r) { fprintf(stderr, "tool_tfce: cperm_plan_execute: %s\n", err.msg); goto cleanup; }
    size_t n_h0 = 0;
    const double *h0 = cperm_run_h0(run, &n_h0);
    if (write_raw(dir, "out_map.f64", cperm_run_tfce_map(run), P * sizeof(double)) ||
        write_raw(dir, "out_scores.f64", cperm_run_cluster_stats(run), P * sizeof(double)) ||
        write_raw(dir, "out_tobs.f64", cperm_run_tobs(run), P * sizeof(double)) ||
        write_raw(dir, "out_pvals.f64", cperm_run_tfce_pvalues(run), P * sizeof(double)) ||
        write_raw(dir, "out_h0.f64", h0, n_h0 * sizeof(double)))
        goto cleanup;
    join(path, dir, "out_info.txt");
    FILE *f = fopen(path, "w");
    if (!f) { fail_msg(path, strerror(errno)); goto cleanup; }
    fprintf(f, "n_orders=%zu\nis_exact=%d\nn_step_downs=%zu\nn_clusters=%zu\nn_h0=%zu\n",
            cperm_plan_n_orders(plan), cperm_plan_is_exact(plan), cperm_run_n_step_downs(run),
            cperm_run_n_clusters(run), n_h0);
    if (fclose(f)) { fail_msg(path, "write failed"); goto cleanup; }
    rc = 0;

cleanup:
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(graph);
    free(X);
    free(scores);
    free(edges);
    free(ebuf);
    free(exbuf);
    return rc;
}
