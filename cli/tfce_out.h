/* tfce_out.h - the onesample command's TFCE options and outputs (issue 5), and its figures
 * and report (cli/tfce_report.c, issue 11). */
#ifndef CPERM_CLI_TFCE_OUT_H
#define CPERM_CLI_TFCE_OUT_H

#include "cli.h"

typedef struct tfce_cli {
    int on;                   /* --tfce, --tfce-steps or --tfce-formula given */
    int mode;                 /* CPERM_TFCE_* */
    int steps_given;
    double start, step, h, e;
    const char *formula;      /* as given, or NULL */
    /* the inputs, noted while their options go by (onesample parses them; it hands the
     * outputs no source space): for the figures and the report */
    const char *src, *a, *b;
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
 * (per-point p-values), tobs-lh/-rh.stc (t), h0.txt, tfce.json (parameters and the points
 * with p < p_summary) and, when any point has p < p_summary, tfce-summary-lh/-rh.stc (for
 * how long each vertex does, in ms, signed by t; a stale one is removed otherwise). Then,
 * each atomically, the figures and the page (tfce_report_write). Returns 0, or -1 after
 * printing the error (a failure in the figures leaves the statistical outputs in place). */
int tfce_cli_outputs(const tfce_cli *t, const char *dir, const cperm_plan *plan,
                     const cperm_run *run, const cperm_stc *layout, long tail,
                     long n_permutations, uint32_t seed, int compat, size_t max_step,
                     double sigma, double step_down_p, double p_summary);

/* ------------------------------------------------------------- figures and report */

typedef struct tfce_report_in {
    const tfce_cli *t;
    const char *dir;
    const cperm_run *run;
    const cperm_stc *layout;   /* vertices, times of the tested data */
    const cperm_stc *summary;  /* tfce-summary (one column), NULL when nothing is significant */
    const char *json;          /* tfce.json's text */
    long tail;
    double p_summary;
} tfce_report_in;

/* Writes into dir, each atomically: summary.png (the seed's figure of the summary, clim
 * [0, max/400, max] of its |values|, MNE's 'mne' pos_lims when any is negative; removed when
 * summary is NULL), h0.png (H0 of the largest TFCE score with the observed maximum) and
 * report.html (parameters, the significant points, the figures, self-contained). Returns 0,
 * or -1 after printing the error. */
int tfce_report_write(const tfce_report_in *in);

/* The summary figure's colour limits for a summary estimate (column 0). */
void tfce_summary_clim(cperm_render_options *ro, const cperm_stc *summary);

#endif
