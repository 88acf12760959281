/* stc_internal.h - private declarations shared by the source-estimate modules (stc.c for
 * the .stc format and the object, stc_h5.c for MNE's -stc.h5 files). Not installed. */
#ifndef CPERM_STC_INTERNAL_H
#define CPERM_STC_INTERNAL_H

#include "common_internal.h"

/* Allocate an stc with zeroed vertices and data: n_hemis (1 or 2) blocks of n_vertices[h]
 * rows of n_orient x n_times doubles. tmin = tstep = 0, subject "".
 * Errors: CPERM_EINVAL (bad layout), CPERM_ENOMEM (including size overflow). */
int cperm_stc_alloc(cperm_stc **out, size_t n_hemis, const size_t *n_vertices,
                    size_t n_orient, size_t n_times, cperm_err *err);

/* As read_source_estimate does: if any hemisphere's vertices are not strictly increasing,
 * sort every hemisphere's vertices together with their data rows (argsort). Afterwards a
 * repeated vertex is an error (MNE: "Vertices must be ordered in increasing order"):
 * CPERM_EFORMAT naming `name`. CPERM_ENOMEM if the sort buffers cannot be allocated. */
int cperm_stc_sort_vertices(cperm_stc *stc, const char *name, cperm_err *err);

/* Read an h5io "-stc.h5" file (title "mnepython") as a surface SourceEstimate or
 * VectorSourceEstimate. Errors: CPERM_EFORMAT (not HDF5, missing/ill-typed members, shapes
 * that disagree), CPERM_EUNSUPPORTED (volume/mixed/discrete src_type, complex data),
 * CPERM_EIO, CPERM_ENOMEM. Vertices are sorted as by cperm_stc_sort_vertices. */
int cperm_stc_h5_read(cperm_stc **out, const char *path, cperm_err *err);

#endif
