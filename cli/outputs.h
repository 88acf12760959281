/* outputs.h - the onesample command's output files, written all-or-nothing. */
#ifndef CPERM_CLI_OUTPUTS_H
#define CPERM_CLI_OUTPUTS_H

#include "cli.h"

typedef struct outputs_spec {
    const char *dir;
    const cperm_run *run;
    const cperm_plan *plan;
    const cperm_stc *layout;  /* vertices, n_times, tmin, tstep of the tested data */
    size_t n_subjects;
    /* parameters, recorded in clusters.json */
    double threshold, p_threshold, t_threshold; /* NaN = not given */
    int tail;
    long n_permutations;
    uint32_t seed;
    double sigma, step_down_p;
    size_t max_step;
    int compat, n_jobs;
    double p_summary;
    double tmin_crop, tmax_crop; /* NaN = none */
    int magnitude;
    const char *src;
    const cli_strlist *a, *b;    /* stems, paired by subject; b may be NULL */
    const cli_strlist *subjects; /* subject of a->items[i] and b->items[i] */
} outputs_spec;

/* Fails (printing why) unless `dir` is a writable directory or can be created. */
int outputs_check_dir(const char *dir);

/* Builds every output in memory, then writes them into a staging directory inside
 * spec->dir and renames them into place. On any failure nothing new is left in dir.
 * When no cluster has p < p_summary, no summary is written (and a stale one from an earlier
 * run is removed). Returns 0 or -1 after printing the error. */
int outputs_write(const outputs_spec *spec);

#endif
