/* tool_orders.c - driver for the cross-checks against numpy/scipy/MNE (xcheck_orders.py,
 * xcheck_tdist.py). Subcommands:
 *   orders N N_PERM TAIL SEED   MNE's _get_1samp_orders: "exact E", "n_orders K", K rows of 0/1
 *   perm SEED N                 RandomState(SEED).permutation(N), one value a line
 *   doubles SEED K              RandomState(SEED).random_sample(K), %.17g a line
 *   tppf                        stdin lines "p df" -> cperm_t_ppf, %.17g a line
 *   tcdf                        stdin lines "t df" -> cperm_t_cdf, %.17g a line
 * N_PERM may be "all". Exit status 2 on usage errors, 1 when the library refuses. */
#include "clusterperm.h"
#include "orders_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: tool_orders orders N N_PERM TAIL SEED | perm SEED N | "
                    "doubles SEED K | tppf | tcdf\n");
    return 2;
}

static int parse_ulong(const char *s, unsigned long long *out) {
    char *end;
    if (!*s || *s == '-') return -1;
    *out = strtoull(s, &end, 10);
    return *end ? -1 : 0;
}

static int cmd_orders(char **argv) {
    unsigned long long n, seed;
    long n_perm;
    int tail = atoi(argv[3]), exact = 0, rc;
    uint8_t *orders = NULL;
    size_t n_orders = 0;
    cperm_err err = {0, ""};
    char *line;

    if (parse_ulong(argv[1], &n) || parse_ulong(argv[4], &seed) || seed > 0xffffffffULL)
        return usage();
    n_perm = strcmp(argv[2], "all") == 0 ? CPERM_PERMUTATIONS_ALL : strtol(argv[2], NULL, 10);
    rc = cperm_orders_1samp(&orders, &n_orders, &exact, (size_t)n, n_perm, tail,
                            (uint32_t)seed, &err);
    if (rc != CPERM_OK) {
        fprintf(stderr, "error %d: %s\n", rc, err.msg);
        return 1;
    }
    line = malloc((size_t)n + 2);
    if (!line) {
        free(orders);
        return 1;
    }
    printf("exact %d\nn_orders %zu\n", exact, n_orders);
    for (size_t k = 0; k < n_orders; k++) {
        for (size_t j = 0; j < n; j++) line[j] = (char)('0' + orders[k * n + j]);
        line[n] = '\n';
        line[n + 1] = '\0';
        fputs(line, stdout);
    }
    free(line);
    free(orders);
    return 0;
}

static int cmd_perm(char **argv) {
    unsigned long long seed, n;
    cperm_mt19937 rng;
    uint32_t *a;
    if (parse_ulong(argv[1], &seed) || parse_ulong(argv[2], &n) || seed > 0xffffffffULL ||
        n > 0xffffffffULL)
        return usage();
    a = malloc(((size_t)n + 1) * sizeof *a);
    if (!a) return 1;
    cperm_mt_seed(&rng, (uint32_t)seed);
    cperm_mt_permutation_u32(&rng, a, (size_t)n);
    for (size_t i = 0; i < n; i++) printf("%u\n", a[i]);
    free(a);
    return 0;
}

static int cmd_doubles(char **argv) {
    unsigned long long seed, k;
    cperm_mt19937 rng;
    if (parse_ulong(argv[1], &seed) || parse_ulong(argv[2], &k) || seed > 0xffffffffULL)
        return usage();
    cperm_mt_seed(&rng, (uint32_t)seed);
    for (unsigned long long i = 0; i < k; i++) printf("%.17g\n", cperm_mt_next_double(&rng));
    return 0;
}

static int cmd_t(int ppf) {
    double a, df;
    while (scanf("%lf %lf", &a, &df) == 2) printf("%.17g\n", ppf ? cperm_t_ppf(a, df) : cperm_t_cdf(a, df));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 6 && strcmp(argv[1], "orders") == 0) return cmd_orders(argv + 1);
    if (argc == 4 && strcmp(argv[1], "perm") == 0) return cmd_perm(argv + 1);
    if (argc == 4 && strcmp(argv[1], "doubles") == 0) return cmd_doubles(argv + 1);
    if (argc == 2 && strcmp(argv[1], "tppf") == 0) return cmd_t(1);
    if (argc == 2 && strcmp(argv[1], "tcdf") == 0) return cmd_t(0);
    return usage();
}
