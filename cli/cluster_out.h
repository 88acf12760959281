/* cluster_out.h - the outputs of a cluster run of onesample (cli/cluster_out.c). */
#ifndef CPERM_CLI_CLUSTER_OUT_H
#define CPERM_CLI_CLUSTER_OUT_H

#include "onesample.h"
#include "outputs.h"

/* Adds a cluster run's outputs to `set`: tobs-lh/-rh.stc (T_obs), summary-lh/-rh.stc
 * (summarize_clusters_stc of the clusters with p < --p-summary; marked stale when there is
 * none, and then *summarised is 0), h0.txt, clusters.json (the parameters - the threshold,
 * the number of orders and exactness from the plan -, the inputs and subjects, the data's
 * shape and the clusters), and the figures and page (report_add). Returns 0, or -1 after
 * printing the error. */
int cluster_outputs(outset *set, const os_result *r, int *summarised);

#endif
