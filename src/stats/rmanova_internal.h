/* rmanova_internal.h - private API of rmanova.c: one effect of a repeated-measures ANOVA
 * (MNE's f_mway_rm) per point, as the label-permutation kernel (groups.c) computes it under
 * each order. Not installed. */
#ifndef CPERM_RMANOVA_INTERNAL_H
#define CPERM_RMANOVA_INTERNAL_H

#include "common_internal.h"

/* A validated design and the effect's contrast matrix (MNE's c_ of _iter_contrasts). */
typedef struct cperm_rm_design {
    size_t n_factors;
    size_t levels[CPERM_RM_MAX_FACTORS];
    size_t n_cells;             /* product of the levels */
    size_t n_reps;              /* subjects: rows per cell */
    uint32_t effect;            /* factor mask */
    size_t n_cols;              /* the contrast's columns: product of the effect's levels */
    double *contrast;           /* n_cells x n_cols, row-major, MNE's values */
    size_t sub;                 /* points per sub-block of cperm_rm_block */
} cperm_rm_design;

/* Checks a repeated-measures plan's options for n_rows stacked rows (n_cells x subjects):
 * factors, levels, effect, scheme, the groups if given, tail, TFCE, sigma, 'all'. Allocates
 * nothing. 0 or an error naming the option and its value. */
int cperm_rm_validate(size_t n_rows, const cperm_options *o, cperm_err *err);
/* The design of validated options (or of the arguments of cperm_f_mway_rm) with its contrast.
 * 0 or CPERM_ENOMEM; clear with cperm_rm_design_clear (also after a failure). */
int cperm_rm_design_init(cperm_rm_design *d, size_t n_reps, size_t n_factors,
                         const size_t *levels, uint32_t effect, cperm_err *err);
void cperm_rm_design_clear(cperm_rm_design *d);
/* Doubles of scratch cperm_rm_block needs. */
size_t cperm_rm_scratch_len(const cperm_rm_design *d);
/* The F of points p0 .. p0 + bn - 1 into out[0 .. bn): subject s's cell c is the row
 * rows[c * n_reps + s] of X (row stride `stride` doubles). Allocates nothing. */
void cperm_rm_block(const cperm_rm_design *d, const double *X, size_t stride,
                    const uint32_t *rows, size_t p0, size_t bn, double *scratch, double *out);

#endif
