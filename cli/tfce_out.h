/* tfce_out.h - the onesample command's TFCE options and outputs (issue 5), and its figures
 * and report (cli/tfce_report.c, issue 11), all added to the run's output set. */
#ifndef CPERM_CLI_TFCE_OUT_H
#define CPERM_CLI_TFCE_OUT_H

#include "cli.h"
#include "outputs.h"

#include <jansson.h>

struct os_result; /* cli/onesample.h, which includes this header for tfce_cli */

typedef struct tfce_cli {
    int on;                   /* --tfce, --tfce-steps or --tfce-formula given */
    int mode;                 /* CPERM_TFCE_* */
    int steps_given;
    double start, step, h, e;
    const char *formula;      /* as given, or NULL */
    unsigned also;            /* --also: CPERM_ALSO_MASS | CPERM_ALSO_EXTENT (issue 17) */
    const char *also_arg;     /* --also as given, or NULL */
} tfce_cli;

void tfce_cli_init(tfce_cli *t);
/* Flags without a value ("--tfce"): 1 if consumed. */
int tfce_cli_flag(tfce_cli *t, const char *arg);
/* Options with a value: 1 if `name` is a TFCE option (then *rc is 0, or -1 after printing
 * the error), 0 otherwise. */
int tfce_cli_option(tfce_cli *t, const char *name, const char *val, int *rc);
/* Checks the combination once all arguments are read; -1 after printing the error.
 * threshold_given: --p-threshold or --t-threshold was given (--also needs one; without
 * --also TFCE refuses them). */
int tfce_cli_finish(tfce_cli *t, long tail, int threshold_given);
void tfce_cli_apply(const tfce_cli *t, cperm_options *opts);

/* After a successful execute: the log MNE prints for TFCE ("Using N thresholds ...", or
 * "Exact TFCE ..."), then how many points have p < --p-summary. */
void tfce_print_log(const struct os_result *r);

/* Adds a TFCE run's outputs to `set`: tfce-lh/-rh.stc (scores * sign(t), MNE's t_obs),
 * tfce-p-lh/-rh.stc (per-point p-values), tobs-lh/-rh.stc (t), h0.txt, tfce.json (the
 * parameters, the inputs and subjects, and the points with p < --p-summary) and, when any
 * point has p < --p-summary, tfce-summary-lh/-rh.stc (for how long each vertex does, in ms,
 * signed by t; marked stale otherwise); then the figures and the page (tfce_report_add).
 * Returns 0, or -1 after printing the error. */
int tfce_outputs(outset *set, const struct os_result *r);

/* --also (issue 17): the names of the statistics asked for ("mass", "extent") and their
 * files. also_name(CPERM_ALSO_MASS) = "mass". */
const char *tfce_also_name(unsigned what);
/* Adds h0-mass.txt / h0-extent.txt (one value a line, as h0.txt) for each statistic of
 * --also, and marks those not asked for stale. Returns 0, or -1 after printing the error
 * (also when the run holds no such H0). */
int tfce_also_h0_outputs(outset *set, const struct os_result *r);
/* Adds clusters-mass.tsv / clusters-extent.tsv of a run on source estimates: the threshold
 * clusters, one row each in clusters.tsv's columns (p and statistic of that test; no regions:
 * TFCE runs take no atlas). 0, or -1 after printing the error. */
int tfce_also_tsv_outputs(outset *set, const struct os_result *r);
/* The log lines of --also (the threshold, the clusters, how many have p < --p-summary). */
void tfce_also_print_log(const struct os_result *r);
/* tfce.json's "also" object: the cluster-forming threshold, the statistics and, for each,
 * the observed extreme, the number of clusters and of those with p < --p-summary and the
 * files; NULL (a JSON null) without --also. */
struct json_t;
struct json_t *tfce_also_json(const struct os_result *r);

/* ------------------------------------------------------------- figures and report */

/* Adds to the set: summary.png (the seed's figure of `summary` - tfce-summary's column, or
 * NULL when nothing is significant: then summary.png is marked stale - on the study's
 * source space, clim [0, max/400, max] of its |values|, MNE's 'mne' pos_lims when any is
 * negative), h0.png (H0 of the largest TFCE score with the observed maximum) and
 * report.html (parameters, the significant points, the figures, self-contained; `json` is
 * tfce.json's tree, borrowed). Returns 0, or -1 after printing the error. */
int tfce_report_add(outset *set, const struct os_result *r, const json_t *json,
                    const cperm_stc *summary);

/* The summary figure's colour limits for a summary estimate (column 0). */
void tfce_summary_clim(cperm_render_options *ro, const cperm_stc *summary);

#endif
