/* chaintest.h - the step-down test setup shared by unit_ranges.c and unit_stepdown.c: a chain
 * of vertices over time with two effects (a strong one, and a weaker one that step-down
 * finds only once the strong one is excluded), the chain's graph, and a progress callback
 * that checkpoints a run and cancels it in a given pass. */
#ifndef CPERM_CHAINTEST_H
#define CPERM_CHAINTEST_H

#include "clusterperm.h"

#include <stdint.h>
#include <stdlib.h>

/* An effect added over the vertices v_lo < v < v_hi at the times t_lo < t < t_hi. */
typedef struct chain_effect {
    size_t v_lo, v_hi, t_lo, t_hi;
    double add;
} chain_effect;

/* n_subj x n_t x n_v values uniform on [-1, 1) from a 64-bit LCG seeded with `seed`, plus
 * the two effects; NULL when out of memory. */
static double *chain_data(size_t n_subj, size_t n_v, size_t n_t, uint64_t seed,
                          const chain_effect fx[2]) {
    const size_t n_p = n_v * n_t;
    double *X = malloc(n_subj * n_p * sizeof *X);
    uint64_t st = seed;
    for (size_t i = 0; X && i < n_subj * n_p; i++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        X[i] = ((double)(st >> 11) / 9007199254740992.0 - 0.5) * 2.0;
        const size_t v = i % n_p % n_v, t = i % n_p / n_v;
        for (int k = 0; k < 2; k++)
            if (v > fx[k].v_lo && v < fx[k].v_hi && t > fx[k].t_lo && t < fx[k].t_hi)
                X[i] += fx[k].add;
    }
    return X;
}

/* The chain 0 - 1 - ... - (n_v - 1). */
static int chain_graph(cperm_graph **g, size_t n_v, cperm_err *err) {
    int64_t *edges = malloc(2 * (n_v - 1) * sizeof *edges);
    if (!edges) return CPERM_ENOMEM;
    for (size_t v = 0; v + 1 < n_v; v++) {
        edges[2 * v] = (int64_t)v;
        edges[2 * v + 1] = (int64_t)v + 1;
    }
    const int rc = cperm_graph_from_edges(g, n_v, edges, n_v - 1, err);
    free(edges);
    return rc;
}

/* progress_user of chain_save_and_stop: set run and stop_pass (0-based); the callback fills
 * the rest. */
typedef struct chain_saver {
    cperm_run *run;
    int stop_pass;
    unsigned char *blob; /* the checkpoint, malloc'd */
    size_t blob_size;
    size_t saved_done; /* the orders of pass stop_pass done when it was taken */
} chain_saver;

/* Checkpoints and cancels at the first callback of pass stop_pass past its start (inline:
 * not every includer uses it). */
static inline int chain_save_and_stop(void *user, size_t done, size_t total, int pass) {
    chain_saver *s = user;
    (void)total;
    if (pass < s->stop_pass || done == 0 || s->blob) return 0;
    s->blob_size = cperm_run_checkpoint(s->run, NULL, 0);
    s->blob = malloc(s->blob_size);
    if (s->blob) cperm_run_checkpoint(s->run, s->blob, s->blob_size);
    s->saved_done = done;
    return 1;
}

#endif
