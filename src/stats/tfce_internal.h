/* tfce_internal.h - private interface of tfce.c (threshold-free cluster enhancement) to the
 * engine driver in plan.c. */
#ifndef CPERM_TFCE_INTERNAL_H
#define CPERM_TFCE_INTERNAL_H

#include "engine_internal.h"

struct cperm_tfce_ws;

/* Checks the TFCE fields of options (called by plan validation when options->tfce is set). */
int cperm_tfce_validate(const cperm_options *o, cperm_err *err);
/* Every buffer a TFCE execution needs (per-thread workspaces included). CPERM_ENOMEM. */
int cperm_tfce_create(struct cperm_tfce_ws **out, const cperm_plan *plan);
void cperm_tfce_free(struct cperm_tfce_ws *tw);
/* The whole TFCE test on X (already checked finite): observed t and scores, permutations,
 * H0, per-point p-values, step-down. Fills run->tobs, run->obs (one cluster per point, stats
 * = scores), run->pvalues, run->h0 and run->n_step_downs; resume continues from the state a
 * restored checkpoint left in run (pass, done, removed points). */
int cperm_tfce_execute(const cperm_plan *plan, const double *X, cperm_run *run, int resume,
                       cperm_err *err);

#endif
