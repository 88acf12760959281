/* groups_internal.h - the label-permutation kernel's float32 screen (groups_screen.c) as the
 * kernel (groups.c) and the unit tests see it. */
#ifndef CPERM_GROUPS_INTERNAL_H
#define CPERM_GROUPS_INTERNAL_H

#include "engine_internal.h"

/* Points per screened block: one 64-bit candidate mask per order. */
#define CPERM_SCREEN_BLOCK 64
/* Subjects per subset-sum table: 2^8 rows of CPERM_SCREEN_BLOCK floats. */
#define CPERM_SCREEN_CHUNK 8
/* Subjects the screen accepts: tables stay within 2 MB per thread. */
#define CPERM_SCREEN_MAX_SUBJECTS 256

/* What the screen of one plan needs, fixed at run creation (cperm_group_screen_init). */
typedef struct cperm_group_screen {
    size_t n_subjects, n_classes, n_chunks;
    size_t class_size[CPERM_MAX_GROUPS];
    int t_ind;                  /* the pooled two-sample t (else the one-way F) */
    int tail;                   /* the plan's tail */
    int tail_sign;              /* the sign rule of group 0's sum: the t's tail; 0 for F */
    int use_avx2;               /* the CPU runs the AVX2 screen */
    double c;                   /* "supra" needs ssb > c / (1 + c) * sstot (in exact terms) */
    float inv_n[CPERM_MAX_GROUPS]; /* 1 / n_g in float32 (3+ groups) */
} cperm_group_screen;

/* Fills *sc and returns 1 when the plan's statistic can be screened: the one-way F (tail 0 or
 * 1, threshold > 0) and the pooled two-sample t without hat adjustment (threshold > 0 for
 * tails 0 and 1, < 0 for tail -1), at most CPERM_SCREEN_MAX_SUBJECTS subjects; else 0 (the
 * kernel then evaluates every point exactly). */
int cperm_group_screen_init(cperm_group_screen *sc, const cperm_plan *plan);

/* Floats of one block's tables (n_chunks x 256 x CPERM_SCREEN_BLOCK). */
size_t cperm_group_screen_table_floats(const cperm_group_screen *sc);

/* One block of points p0 .. p0 + bn (bn <= CPERM_SCREEN_BLOCK) of X (n_subjects rows of
 * stride P): the subset-sum tables of each point's centred, power-of-two scaled data in
 * float32, and per point the screen's bound (2 groups: a point may pass iff its group-0 sum
 * s satisfies |s| > bound, s > bound or s < -bound for tails 0, 1, -1; 3+ groups: iff
 * sum_g (|s_g| + slack)^2 / n_g > bound). A bound of -INFINITY makes a point a candidate
 * under every order (data the margin cannot cover); +INFINITY (the block's padding) never. */
void cperm_group_screen_block(const cperm_group_screen *sc, const double *X, size_t P,
                              size_t p0, size_t bn, float *tables, float *bound, float *slack);

/* One order's table rows: pat[g * n_chunks + c] = the subjects 8c .. 8c + 7 that `order`
 * puts in group g (MNE's slices of X_full[order]), as bits. */
void cperm_group_screen_patterns(const cperm_group_screen *sc, const uint32_t *order,
                                 uint8_t *pat);

/* Screens nk orders (their patterns consecutive) over one block: masks[k] bit j = point j
 * may pass under order k. Never drops a point whose exact statistic (MNE's arithmetic) is
 * supra-threshold. */
void cperm_group_screen_orders(const cperm_group_screen *sc, const float *tables,
                               const uint8_t *patterns, size_t nk, const float *bound,
                               const float *slack, uint64_t *masks);

#endif
