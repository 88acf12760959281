/* cluster_tsv.h - clusters.tsv, one row per cluster of a cluster run (cli/cluster_tsv.c). */
#ifndef CPERM_CLI_CLUSTER_TSV_H
#define CPERM_CLI_CLUSTER_TSV_H

#include "atlas.h"
#include "onesample.h"

/* clusters.tsv's text: a header row and one row per cluster (info from cluster_info_compute),
 * tab-separated, empty fields for values that do not apply (pandas reads them as NaN). NULL
 * when out of memory. The caller frees it. */
char *cluster_tsv_text(const os_result *r, const cluster_info *info);
/* The same for n clusters with these p-values and statistics (exact TFCE's threshold
 * clusters of --also, issue 17: clusters-mass.tsv, clusters-extent.tsv). */
char *cluster_tsv_text_of(const os_result *r, const cluster_info *info, size_t n,
                          const double *p, const double *stat);

#endif
