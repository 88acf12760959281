/* study.h - reading a study into X: the subjects' estimates (crop, magnitude, A - B) and
 * the source space they live on (cli/study.c). */
#ifndef CPERM_CLI_STUDY_H
#define CPERM_CLI_STUDY_H

#include "onesample.h"

/* Expands --a (and --b) into stems keyed by subject (cli/subjects.c) and pairs them. Fails,
 * printing why, unless there are at least two subjects and A and B hold the same ones.
 * `st` must be zeroed first; free it with study_free whatever the result. */
int study_subjects(os_study *st, const os_opts *o);

/* Reads --src and every subject's estimate: crops (--tmin/--tmax), takes the magnitude
 * (--magnitude), checks that all share the first one's vertices and times and hold finite
 * values, and builds X = A - B (or A) in MNE's layout; then checks that the source space's
 * vertices in use are the data's. Errors name the file (and vertex and time). 0 or -1. */
int study_read(os_study *st, const os_opts *o);

void study_free(os_study *st);

#endif
