/* tool_rmanova.c - test driver for tests/xcheck_rmanova.py: cperm_f_mway_rm on an array in
 * MNE's layout, through the public header only.
 *
 * Usage: tool_rmanova LEVELS EFFECT N_SUBJECTS N_POINTS DATA.f64 OUT.f64
 * LEVELS as "2x3", EFFECT an effect name ("A:B"); DATA holds N_SUBJECTS x n_cells x N_POINTS
 * native doubles; OUT receives the N_POINTS F values. Errors: one line on stderr, exit 1. */
#include "clusterperm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: tool_rmanova LEVELS EFFECT N_SUBJECTS N_POINTS DATA OUT\n");
        return 2;
    }
    size_t levels[CPERM_RM_MAX_FACTORS], nf = 0, cells = 1;
    for (char *c = argv[1]; *c && nf < CPERM_RM_MAX_FACTORS;) {
        char *end;
        levels[nf] = (size_t)strtoul(c, &end, 10);
        cells *= levels[nf++];
        c = *end == 'x' ? end + 1 : end;
        if (end == c && *c) break;
    }
    cperm_err err = {0};
    uint32_t effect = 0;
    size_t n_eff = 0;
    if (cperm_f_mway_effects(&effect, 1, &n_eff, nf, argv[2], &err) || n_eff != 1) {
        fprintf(stderr, "tool_rmanova: effect %s: %s\n", argv[2], err.msg);
        return 1;
    }
    const size_t S = (size_t)strtoul(argv[3], NULL, 10), P = (size_t)strtoul(argv[4], NULL, 10);
    const size_t n = S * cells * P;
    double *data = malloc(n * sizeof *data), *F = malloc((P ? P : 1) * sizeof *F);
    FILE *f = fopen(argv[5], "rb");
    if (!data || !F || !f || fread(data, sizeof *data, n, f) != n) {
        fprintf(stderr, "tool_rmanova: cannot read %zu doubles from %s\n", n, argv[5]);
        return 1;
    }
    fclose(f);
    int rc = cperm_f_mway_rm(F, data, S, levels, nf, effect, P, &err);
    if (rc) {
        fprintf(stderr, "tool_rmanova: %s (%s)\n", err.msg, cperm_strerror(rc));
        return 1;
    }
    f = fopen(argv[6], "wb");
    if (!f || fwrite(F, sizeof *F, P, f) != P || fclose(f)) {
        fprintf(stderr, "tool_rmanova: cannot write %s\n", argv[6]);
        return 1;
    }
    free(data);
    free(F);
    return 0;
}
