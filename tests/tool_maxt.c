/* tool_maxt.c - test driver: runs the max-T test or a multiple-comparison correction on a
 * case directory through the public header only and writes raw results for
 * tests/xcheck_maxt.py to compare against MNE 1.3.
 *
 * Usage: tool_maxt ttest CASE_DIR | tool_maxt fdr CASE_DIR | tool_maxt bonferroni CASE_DIR
 * params.txt: key=value lines. ttest: n_samples, n_tests, n_permutations (int or "all"),
 * tail, seed, n_jobs; input X.f64 (n_samples x n_tests native doubles); outputs
 * out_tobs.f64, out_pvals.f64, out_h0.f64 and out_info.txt (n_h0=, exact=). fdr /
 * bonferroni: n, alpha, method (indep|negcorr, fdr only); input p.f64; outputs
 * out_reject.u8 and out_pcorr.f64. Any error prints one message on stderr and exits 1. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 4096

typedef struct params {
    size_t n_samples, n_tests, n;
    long n_permutations;
    int tail, n_jobs, method;
    unsigned long seed;
    double alpha;
} params;

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "tool_maxt: %s: %s\n", what, detail);
    return 1;
}

static void join(char *out, const char *dir, const char *name) {
    snprintf(out, PATH_LEN, "%s/%s", dir, name);
}

static int read_params(const char *dir, params *p) {
    char path[PATH_LEN], line[256];
    join(path, dir, "params.txt");
    FILE *f = fopen(path, "r");
    if (!f) return fail(path, "cannot open");
    memset(p, 0, sizeof *p);
    p->n_jobs = 1;
    p->alpha = 0.05;
    while (fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq) continue;
        *eq = '\0';
        char *v = eq + 1;
        v[strcspn(v, "\r\n")] = '\0';
        if (!strcmp(line, "n_samples")) p->n_samples = strtoul(v, NULL, 10);
        else if (!strcmp(line, "n_tests")) p->n_tests = strtoul(v, NULL, 10);
        else if (!strcmp(line, "n")) p->n = strtoul(v, NULL, 10);
        else if (!strcmp(line, "n_permutations"))
            p->n_permutations = !strcmp(v, "all") ? CPERM_PERMUTATIONS_ALL : strtol(v, NULL, 10);
        else if (!strcmp(line, "tail")) p->tail = atoi(v);
        else if (!strcmp(line, "seed")) p->seed = strtoul(v, NULL, 10);
        else if (!strcmp(line, "n_jobs")) p->n_jobs = atoi(v);
        else if (!strcmp(line, "alpha")) p->alpha = strtod(v, NULL);
        else if (!strcmp(line, "method"))
            p->method = !strcmp(v, "negcorr") ? CPERM_FDR_NEGCORR
                        : !strcmp(v, "indep") ? CPERM_FDR_INDEP : -1;
    }
    fclose(f);
    return 0;
}

/* count values of `size` bytes from dir/name into a malloc'd buffer; NULL on any mismatch */
static void *read_raw(const char *dir, const char *name, size_t count, size_t size) {
    char path[PATH_LEN];
    join(path, dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *buf = malloc(count ? count * size : 1);
    int ok = buf && fread(buf, size, count, f) == count && fgetc(f) == EOF;
    fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int write_raw(const char *dir, const char *name, const void *data, size_t size) {
    char path[PATH_LEN];
    join(path, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return fail(path, "cannot create");
    int ok = fwrite(data, 1, size, f) == size;
    ok = fclose(f) == 0 && ok;
    return ok ? 0 : fail(path, "write failed");
}

static int run_ttest(const char *dir, const params *p) {
    cperm_err err = {0};
    size_t n_h0 = 0;
    int exact = 0, rc = 1;
    double *X = read_raw(dir, "X.f64", p->n_samples * p->n_tests, sizeof(double));
    double *t = malloc((p->n_tests + 1) * sizeof *t), *pv = malloc((p->n_tests + 1) * sizeof *pv);
    double *h0 = NULL;
    if (!X) {
        rc = fail("X.f64", "missing or not n_samples x n_tests doubles");
        goto done;
    }
    if (cperm_permutation_t_test_h0_len(&n_h0, &exact, p->n_samples, p->n_permutations,
                                        p->tail, &err)) {
        rc = fail("h0_len", err.msg);
        goto done;
    }
    h0 = malloc(n_h0 * sizeof *h0);
    if (!t || !pv || !h0) {
        rc = fail("memory", "out of memory");
        goto done;
    }
    size_t got = 0;
    if (cperm_permutation_t_test(t, pv, h0, n_h0, &got, X, p->n_samples, p->n_tests,
                                 p->n_permutations, p->tail, (uint32_t)p->seed, p->n_jobs,
                                 &err)) {
        rc = fail("permutation_t_test", err.msg);
        goto done;
    }
    if (got != n_h0) {
        rc = fail("permutation_t_test", "H0 length differs from h0_len");
        goto done;
    }
    char info[128];
    int len = snprintf(info, sizeof info, "n_h0=%zu\nexact=%d\n", n_h0, exact);
    rc = write_raw(dir, "out_tobs.f64", t, p->n_tests * sizeof *t) ||
         write_raw(dir, "out_pvals.f64", pv, p->n_tests * sizeof *pv) ||
         write_raw(dir, "out_h0.f64", h0, n_h0 * sizeof *h0) ||
         write_raw(dir, "out_info.txt", info, (size_t)len);
done:
    free(X);
    free(t);
    free(pv);
    free(h0);
    return rc;
}

static int run_correction(const char *dir, const params *p, int fdr) {
    cperm_err err = {0};
    int rc = 1;
    double *pin = read_raw(dir, "p.f64", p->n, sizeof(double));
    double *pc = malloc((p->n + 1) * sizeof *pc);
    uint8_t *rej = malloc(p->n + 1);
    if (!pin || !pc || !rej) {
        rc = fail("p.f64", "missing, not n doubles, or out of memory");
        goto done;
    }
    int r = fdr ? cperm_fdr_correction(rej, pc, pin, p->n, p->alpha, p->method, &err)
                : cperm_bonferroni_correction(rej, pc, pin, p->n, p->alpha, &err);
    if (r) {
        rc = fail(fdr ? "fdr_correction" : "bonferroni_correction", err.msg);
        goto done;
    }
    rc = write_raw(dir, "out_reject.u8", rej, p->n) ||
         write_raw(dir, "out_pcorr.f64", pc, p->n * sizeof *pc);
done:
    free(pin);
    free(pc);
    free(rej);
    return rc;
}

int main(int argc, char **argv) {
    params p;
    if (argc != 3) return fail("usage", "tool_maxt ttest|fdr|bonferroni CASE_DIR");
    if (read_params(argv[2], &p)) return 1;
    if (!strcmp(argv[1], "ttest")) return run_ttest(argv[2], &p);
    if (!strcmp(argv[1], "fdr")) return run_correction(argv[2], &p, 1);
    if (!strcmp(argv[1], "bonferroni")) return run_correction(argv[2], &p, 0);
    return fail("usage", "mode must be ttest, fdr or bonferroni");
}
