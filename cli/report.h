/* report.h - onesample's figures (summary.png, h0.png) and self-contained report.html. */
#ifndef CPERM_CLI_REPORT_H
#define CPERM_CLI_REPORT_H

#include "cli.h"

/* Written after the statistical outputs, from what is in `dir` (clusters.json,
 * summary-lh/-rh.stc) and the run: summary.png (the seed's figure on the source space's
 * surfaces; removed when no summary was written), h0.png, and report.html with every image
 * embedded as a data URI. Each file is replaced atomically. Returns 0, or -1 after printing
 * the error (the statistical outputs are left as they are). */
int report_write(const char *dir, const cperm_srcspace *src, const cperm_run *run, int tail,
                 double p_summary);

#endif
