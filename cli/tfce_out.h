/* tfce_out.h - the onesample command's TFCE options and outputs (issue 5). */
#ifndef CPERM_CLI_TFCE_OUT_H
#define CPERM_CLI_TFCE_OUT_H

#include "cli.h"

typedef struct tfce_cli {
    int on;                   /* --tfce, --tfce-steps or --tfce-formula given */
    int mode;                 /* CPERM_TFCE_* */
    int steps_given;
    double start, step, h, e;
    const char *formula;      /* as given, or NULL */
} tfce_cli;

void tfce_cli_init(tfce_cli *t);
/* Flags without a value ("--tfce"): 1 if consumed. */
int tfce_cli_flag(tfce_cli *t, const char *arg);
/* Options with a value: 1 if `name` is a TFCE option (then *rc is 0, or -1 after printing
 * the error), 0 otherwise. */
int tfce_cli_option(tfce_cli *t, const char *name, const char *val, int *rc);
/* Checks the combination once all arguments are read; -1 after printing the error. */
int tfce_cli_finish(tfce_cli *t, long tail);
void tfce_cli_apply(const tfce_cli *t, cperm_options *opts);

/* After a successful execute: prints the log (MNE's lines for TFCE) and writes, all or
 * nothing, into dir: tfce-lh/-rh.stc (scores * sign(t), MNE's t_obs), tfce-p-lh/-rh.stc
 * (per-point p-values), tobs-lh/-rh.stc (t), h0.txt and tfce.json (parameters and the
 * points with p < p_summary). Returns 0, or -1 after printing the error. */
int tfce_cli_outputs(const tfce_cli *t, const char *dir, const cperm_plan *plan,
                     const cperm_run *run, const cperm_stc *layout, long tail,
                     long n_permutations, uint32_t seed, int compat, size_t max_step,
                     double sigma, double step_down_p, double p_summary);

#endif
