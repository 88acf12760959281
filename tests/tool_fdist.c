/* tool_fdist.c - drives the F distribution API for tests/xcheck_fdist.py: stdin rows in, exact (hex) doubles out. */
/*
 * Modes (argv[1]); one output line per input line:
 *   cdf | ppf | thr    "x dfn dfd"                 -> cperm_f_cdf / _ppf / _threshold, as %a
 *   mway               "n_subjects pvalue effects L1 [L2 ...]"
 *                      -> "ERR <code>" or the thresholds (%a) then "|" and the effect masks
 * Hex output, so that "bit-identical" is checked on the bits, not on a decimal rendering.
 */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int row_3(const char *mode, const char *line) {
    double x, a, b, r;
    if (sscanf(line, "%lf %lf %lf", &x, &a, &b) != 3) return -1;
    if (strcmp(mode, "cdf") == 0)
        r = cperm_f_cdf(x, a, b);
    else if (strcmp(mode, "ppf") == 0)
        r = cperm_f_ppf(x, a, b);
    else
        r = cperm_f_threshold(x, a, b);
    printf("%a\n", r);
    return 0;
}

static int row_mway(char *line) {
    size_t levels[32], n_factors = 0, n = 0;
    uint32_t masks[256];
    double out[256];
    char *save = NULL, *tok;
    cperm_err err = {0};
    int rc;
    tok = strtok_r(line, " \t\n", &save);
    if (!tok) return -1;
    size_t n_subjects = (size_t)strtoull(tok, NULL, 10);
    if (!(tok = strtok_r(NULL, " \t\n", &save))) return -1;
    double pvalue = strtod(tok, NULL);
    if (!(tok = strtok_r(NULL, " \t\n", &save))) return -1;
    const char *effects = strcmp(tok, "NULL") == 0 ? NULL : tok;
    while ((tok = strtok_r(NULL, " \t\n", &save)) && n_factors < 32)
        levels[n_factors++] = (size_t)strtoull(tok, NULL, 10);
    rc = cperm_f_mway_effects(masks, 256, &n, n_factors, effects, &err);
    if (rc == 0) rc = cperm_f_threshold_mway_rm(out, n_subjects, levels, n_factors, effects, pvalue, &err);
    if (rc != 0) {
        printf("ERR %d %s\n", rc, err.msg);
        return 0;
    }
    for (size_t i = 0; i < n; i++) printf("%s%a", i ? " " : "", out[i]);
    printf(" |");
    for (size_t i = 0; i < n; i++) printf(" %u", (unsigned)masks[i]);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    char line[4096];
    if (argc != 2 || (strcmp(argv[1], "cdf") && strcmp(argv[1], "ppf") && strcmp(argv[1], "thr") &&
                      strcmp(argv[1], "mway"))) {
        fprintf(stderr, "usage: tool_fdist cdf|ppf|thr|mway < rows\n");
        return 2;
    }
    while (fgets(line, sizeof line, stdin)) {
        int rc = strcmp(argv[1], "mway") == 0 ? row_mway(line) : row_3(argv[1], line);
        if (rc != 0) {
            fprintf(stderr, "tool_fdist: bad row: %s", line);
            return 1;
        }
    }
    return 0;
}
